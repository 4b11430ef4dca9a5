"""The real-photo results of the VIST storytellers (``imgstory vist score``) as a table and chart.

Kept apart from demo-pack and published results: a dozen real test albums, their own label. The
document's texts (system names, data, protocol) are in the catalog too (``babel.cfg`` extracts
them), so they are shown in the session's language.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from imgstory.app.i18n import N_, _, ngettext, number
from imgstory.app.naming import p_text
from imgstory.eval.claims import (
    AREL_TRAINING,
    BEATS,
    NOT_SIGNIFICANT,
    OTHER_AHEAD,
    THESIS_AHEAD,
    ClaimFinding,
    MetricFinding,
)
from imgstory.eval.naming import NamingResult
from imgstory.eval.report import SIGNIFICANCE, SYSTEM_KINDS, Interval, PairedTest, RealPhotoReport
from imgstory.paths import REAL_PHOTO_RESULTS_FILE as RESULTS_FILE

#: Encoders of models that learned from VIST text alone and read a photo through the names of
#: its likeliest ImageNet classes (the card's encoder name: ``terms``; older cards ``concepts``).
TEXT_ONLY_ENCODERS = ("terms", "concepts")
NEVER_SAW_A_PHOTO = N_(
    "The VIST models never saw a photo in training: they learned from VIST text alone, and read "
    "a photo through the names of its likeliest ImageNet classes (EfficientNet-Lite0)."
)
#: How each claim names its two sides in sentences.
CLAIM_SIDES = {
    "gru": (N_("the LSTM"), N_("the GRU")),
    "greedy": (N_("beam search"), N_("greedy decoding")),
    "arel": (N_("the LSTM"), N_("AREL")),
}
#: What is known of how the other side was trained (said when it is far ahead).
CLAIM_TRAINING = {"arel": AREL_TRAINING}
FINDINGS_NOTE = N_(
    "Verdicts from the paired bootstrap tests stored with these results: the thesis model minus "
    "the other system on the same {albums} real albums, 1,000 resamples, two-sided p; "
    'significant when p < {level}. With so few albums, "not significant" means these albums '
    "cannot tell the two apart, not that they are equal."
)


def load_real_photo_results(path: Path = RESULTS_FILE) -> RealPhotoReport | None:
    """The real-photo results, or None when they have not been computed (no VIST photos there).

    Raises:
        UserInputError: the file is not JSON, or of an older layout or malformed (the message
            names the file and the ``imgstory vist score`` command that rewrites it).
    """
    if not path.is_file():
        return None
    return RealPhotoReport.load(path)


def _with_interval(entry: Interval | None) -> str:
    if entry is None:
        return "--"
    return f"{entry.value:.3f} [{entry.low:.3f}, {entry.high:.3f}]"


def _share(value: float, interval: tuple[float, float]) -> str:
    return f"{value:.0%} [{interval[0]:.0%}, {interval[1]:.0%}]"


def _measure(value: float | None) -> str:
    return "--" if value is None else f"{value:.3f}"


def _naming(naming: NamingResult | None) -> str:
    if naming is None or naming.rate is None:
        return "--"
    return f"{naming.named}/{naming.eligible} ({naming.rate:.0%})"


def _versus(test: PairedTest | None) -> str:
    if test is None:
        return "--"
    return f"{test.difference:+.3f} [{test.low:+.3f}, {test.high:+.3f}], {p_text(test.p_value)}"


def real_photo_table(report: RealPhotoReport) -> pd.DataFrame:
    """One row per system, grouped by kind (ours, released, humans, floors): AREL-protocol scores
    and album identification with their 95% intervals, story quality, naming rate, and the
    thesis model minus the row on CIDEr (paired bootstrap)."""
    rows = []
    for kind in SYSTEM_KINDS:
        for system, result in report.systems.items():
            if result.kind != kind:
                continue
            scores, found = result.scores, result.identification
            rows.append(
                {
                    N_("group"): _(SYSTEM_KINDS[kind]),
                    N_("system"): _(system),
                    "METEOR": _with_interval(scores.get("METEOR")),
                    "ROUGE-L": _with_interval(scores.get("ROUGE_L")),
                    "CIDEr": _with_interval(scores.get("CIDEr")),
                    "BLEU-4": _with_interval(scores.get("Bleu_4")),
                    N_("own album first"): _share(found.top1, found.interval(1)),
                    N_("own album in top 3"): _share(found.top3, found.interval(3)),
                    N_("non-redundancy"): _measure(result.quality.non_redundancy),
                    N_("distinct-2 in a story"): _measure(result.quality.distinct_2),
                    N_("naming rate"): _naming(result.naming),
                    N_("thesis model minus this, CIDEr"): _versus(
                        result.versus_thesis.get("CIDEr")
                    ),
                }
            )
    return pd.DataFrame(rows)


#: The columns of the Thesis page's headline table (the full table is on Model comparison).
HEADLINE_COLUMNS = (
    N_("system"),
    N_("group"),
    "METEOR",
    "ROUGE-L",
    "CIDEr",
    N_("own album first"),
    N_("naming rate"),
    N_("thesis model minus this, CIDEr"),
)
HEADLINE_NOTE = N_(
    "The full table, with BLEU-4, the album in the top 3, non-redundancy and distinct-2, is on "
    "Model comparison."
)


def real_photo_caption(report: RealPhotoReport) -> str:
    """Which data, training text and protocol produced the table."""
    return _(
        "Data: {data}. Training text: {text}. Protocol: {protocol}. Small sample: read the "
        "intervals, not the digits."
    ).format(
        data=_(report.data),
        text=_(report.training_text),
        protocol=_(report.protocol),
    )


def example_stories(report: RealPhotoReport, album_id: str) -> dict[str, str]:
    """What each system wrote for one album."""
    return {name: row.stories.get(album_id, "") for name, row in report.systems.items()}


def thesis_encoder(report: RealPhotoReport) -> str:
    """The encoder name of the thesis row's model (``terms``, ``concepts``, ...; "" unknown)."""
    encoder = str(report.model_fingerprint(report.thesis).get("encoder") or "")
    return encoder.split()[0] if encoder else ""


def _metric_names(metrics) -> str:
    """``METEOR, ROUGE-L and CIDEr`` in the session's language."""
    from imgstory.app.results import metric_label

    names = [metric_label(metric) for metric in metrics]
    if len(names) < 2:
        return "".join(names)
    return _("{items} and {last}").format(items=", ".join(names[:-1]), last=names[-1])


def metric_sentence(finding: MetricFinding, sides: tuple[str, str]) -> str:
    """One metric of a claim: both values, who is ahead by how much with the interval of the
    difference, the p-value and the number of albums, and whether it is significant."""
    from imgstory.app.results import metric_label

    thesis, other = (_(side) for side in sides)
    test = finding.test
    leader = thesis if test.difference >= 0 else other
    # the interval of the leader's lead: thesis minus other, or its negation
    low, high = (test.low, test.high) if test.difference >= 0 else (-test.high, -test.low)
    verdict = {
        THESIS_AHEAD: _("significant"),
        OTHER_AHEAD: _("significant"),
        NOT_SIGNIFICANT: _("not significant"),
    }[finding.outcome]
    return _(
        "{metric}: {thesis} {thesis_value}, {other} {other_value}; {leader} ahead by {gap} "
        "(interval {low} to {high}, 95%), {p}, n = {albums}: {verdict}."
    ).format(
        metric=metric_label(finding.metric),
        thesis=thesis,
        thesis_value=f"{finding.thesis_value:.3f}",
        other=other,
        other_value=f"{finding.other_value:.3f}",
        leader=leader,
        gap=f"{abs(test.difference):.3f}",
        low=f"{low:+.3f}",
        high=f"{high:+.3f}",
        p=p_text(test.p_value),
        albums=number(test.albums),
        verdict=verdict,
    )


def _outcomes(finding: ClaimFinding, sides: tuple[str, str]) -> str:
    """Which metrics favour which side, significantly, and which show no significant
    difference."""
    thesis, other = (_(side) for side in sides)
    parts = []
    if finding.ahead(THESIS_AHEAD):
        parts.append(
            _("{side} is significantly ahead on {metrics}").format(
                side=thesis, metrics=_metric_names(finding.ahead(THESIS_AHEAD))
            )
        )
    if finding.ahead(OTHER_AHEAD):
        parts.append(
            _("{side} is significantly ahead on {metrics}").format(
                side=other, metrics=_metric_names(finding.ahead(OTHER_AHEAD))
            )
        )
    if finding.ahead(NOT_SIGNIFICANT):
        parts.append(
            _("no significant difference on {metrics}").format(
                metrics=_metric_names(finding.ahead(NOT_SIGNIFICANT))
            )
        )
    return "; ".join(parts)


def claim_verdict(finding: ClaimFinding) -> str:
    """The claim's verdict in one sentence, computed from the paired tests."""
    sides = CLAIM_SIDES.get(finding.key, (N_("the thesis model"), N_("the other system")))
    if finding.holds and finding.expected == BEATS:
        word = _("Supported on real photos")
    elif finding.holds:
        word = _("Consistent with real photos")
    elif finding.holds is None:
        word = _("Not confirmed on real photos")
    elif finding.expected == BEATS:
        word = _("Contradicted on real photos")
    else:
        word = _("Not supported on real photos")
    albums = ngettext("{n} album", "{n} albums", finding.albums).format(n=number(finding.albums))
    verdict = _("{word} ({albums}): {outcomes}.").format(
        word=word, albums=albums, outcomes=_outcomes(finding, sides)
    )
    if finding.far_ahead:
        from imgstory.app.results import metric_label

        widest = max(finding.metrics, key=lambda f: f.ratio or 0.0)
        far = _("{other} is far ahead: {ratio} times the thesis model's {metric}.")
        if finding.key in CLAIM_TRAINING:
            far = _(
                "{other}, trained on {training}, is far ahead: {ratio} times the thesis "
                "model's {metric}."
            )
        verdict += " " + far.format(
            other=_(sides[1]),
            training=_(CLAIM_TRAINING.get(finding.key, "")),
            ratio=f"{widest.ratio:.1f}",
            metric=metric_label(widest.metric),
        )
    return verdict


def claim_markdown(finding: ClaimFinding) -> str:
    """A claim as the pages show it: what the thesis says, the verdict, one line per metric."""
    sides = CLAIM_SIDES.get(finding.key, (N_("the thesis model"), N_("the other system")))
    lines = [
        _("**{topic}.** The thesis: {claim}. Tested here: {thesis} against {other}.").format(
            topic=_(finding.topic),
            claim=_(finding.claim),
            thesis=_(finding.thesis),
            other=_(finding.other),
        ),
        "",
        f"**{claim_verdict(finding)}**",
        "",
    ]
    lines += [f"- {metric_sentence(metric, sides)}" for metric in finding.metrics]
    return "\n".join(lines)


def findings_caption(report: RealPhotoReport) -> str:
    """How the verdicts are computed (data, test, significance level)."""
    return _(FINDINGS_NOTE).format(albums=number(len(report.albums)), level=SIGNIFICANCE)
