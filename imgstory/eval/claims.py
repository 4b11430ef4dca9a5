"""The thesis's three claims read from a real-photo comparison's paired tests.

The thesis claims that its LSTM beats a GRU (METEOR, ROUGE-L) and is about equal to greedy
decoding and to AREL. :func:`thesis_claims` finds the rows of a :class:`RealPhotoReport` that
test each claim (by what the rows are: a model's cell, a decoding, a released system's name,
never by a row name the file happens to use) and gives each a verdict computed from the stored
paired bootstrap tests (thesis model minus the row), so the verdict follows whatever the numbers
are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from imgstory.eval.report import PAIRED_METRICS, PairedTest, RealPhotoReport
from imgstory.i18n import N_

#: A metric's outcome, and a claim's overall one.
THESIS_AHEAD = "thesis ahead"
OTHER_AHEAD = "other ahead"
NOT_SIGNIFICANT = "not significant"
MIXED = "mixed"
#: What a claim expects of the thesis model against the other row.
BEATS = "beats"
EQUALS = "about equal"
#: The other system is "far ahead" when it is significantly ahead on every metric tested and
#: scores at least this many times the thesis model's value on one of them.
FAR_AHEAD_RATIO = 2.0
#: How AREL was trained (Wang et al., ACL 2018: the VIST train split's photo-story pairs).
AREL_TRAINING = N_("about 40,000 real photo-story pairs (VIST train)")


@dataclass(frozen=True)
class MetricFinding:
    """One metric of a claim: both systems' values and the paired test of thesis minus other."""

    metric: str
    thesis_value: float
    other_value: float
    test: PairedTest

    @property
    def outcome(self) -> str:
        """:data:`THESIS_AHEAD`, :data:`OTHER_AHEAD` or :data:`NOT_SIGNIFICANT`."""
        if not self.test.significant:
            return NOT_SIGNIFICANT
        return THESIS_AHEAD if self.test.difference > 0 else OTHER_AHEAD

    @property
    def ratio(self) -> float | None:
        """The other system's value over the thesis model's (None when the thesis scores 0)."""
        return self.other_value / self.thesis_value if self.thesis_value > 0 else None


@dataclass(frozen=True)
class ClaimFinding:
    """A thesis claim tested on real photos.

    Attributes:
        key: which claim (``gru``, ``greedy``, ``arel``).
        topic: the comparison in words (``LSTM vs GRU``).
        claim: what the thesis says.
        expected: :data:`BEATS` (the thesis model ahead on ``claimed_metrics``) or
            :data:`EQUALS`.
        claimed_metrics: the metrics the thesis names (``BEATS`` claims).
        thesis: the thesis model's row.
        other: the row it is tested against.
        metrics: one finding per paired metric, in :data:`PAIRED_METRICS` order.
    """

    key: str
    topic: str
    claim: str
    expected: str
    claimed_metrics: tuple[str, ...]
    thesis: str
    other: str
    metrics: tuple[MetricFinding, ...]

    @property
    def albums(self) -> int:
        """The albums the paired tests ran on (the smallest count over metrics)."""
        return min(finding.test.albums for finding in self.metrics)

    def ahead(self, outcome: str) -> tuple[str, ...]:
        """The metrics with this outcome."""
        return tuple(f.metric for f in self.metrics if f.outcome == outcome)

    @property
    def outcome(self) -> str:
        """Over all metrics: one side significantly ahead on some and behind on none, both
        (:data:`MIXED`), or neither."""
        thesis, other = self.ahead(THESIS_AHEAD), self.ahead(OTHER_AHEAD)
        if thesis and other:
            return MIXED
        if thesis:
            return THESIS_AHEAD
        return OTHER_AHEAD if other else NOT_SIGNIFICANT

    @property
    def far_ahead(self) -> bool:
        """The other system is significantly ahead on every metric and at least
        :data:`FAR_AHEAD_RATIO` times the thesis model on one."""
        return len(self.ahead(OTHER_AHEAD)) == len(self.metrics) and any(
            f.ratio is not None and f.ratio >= FAR_AHEAD_RATIO for f in self.metrics
        )

    @property
    def holds(self) -> bool | None:
        """True when the numbers support the claim, False when they contradict it, None when
        they cannot tell (a ``BEATS`` claim without a significant difference)."""
        if self.expected == EQUALS:
            return self.outcome == NOT_SIGNIFICANT
        claimed = {f.outcome for f in self.metrics if f.metric in self.claimed_metrics}
        if OTHER_AHEAD in claimed:
            return False
        return True if claimed == {THESIS_AHEAD} else None


def _model_rows(report: RealPhotoReport) -> list[str]:
    return [name for name, row in report.systems.items() if row.kind == "model"]


def gru_row(report: RealPhotoReport) -> str | None:
    """The GRU baseline: a model row whose model is a GRU reading photos as the thesis model
    does (same encoder), told with the thesis row's decoding method."""
    thesis = report.model_fingerprint(report.thesis)
    method = report.decoding.get(report.thesis, {}).get("method")
    for name in _model_rows(report):
        model = report.model_fingerprint(name)
        same_encoder = model.get("encoder") == thesis.get("encoder")
        same_decoding = report.decoding.get(name, {}).get("method") == method
        if model.get("cell") == "gru" and same_encoder and same_decoding:
            return name
    return None


def greedy_row(report: RealPhotoReport) -> str | None:
    """The decoding comparison: the thesis model's own directory told with the other of beam
    search and greedy decoding (greedy when the thesis row uses beam search, as the thesis did;
    beam search when it is greedy, as the shipped default is)."""
    thesis_model = report.systems[report.thesis].model
    method = report.decoding.get(report.thesis, {}).get("method")
    other = {"beam": "greedy", "greedy": "beam"}.get(method)
    for name in _model_rows(report):
        told = report.decoding.get(name, {}).get("method") == other
        if name != report.thesis and told and report.systems[name].model == thesis_model:
            return name
    return None


def arel_row(report: RealPhotoReport) -> str | None:
    """AREL's released stories: the released row named AREL."""
    for name, row in report.systems.items():
        if row.kind == "released" and name.upper().startswith("AREL"):
            return name
    return None


@dataclass(frozen=True)
class Claim:
    """A claim of the thesis and how to find the row that tests it."""

    key: str
    topic: str
    claim: str
    expected: str
    claimed_metrics: tuple[str, ...]
    find_row: Callable[[RealPhotoReport], str | None]


CLAIMS = (
    Claim(
        "gru",
        N_("LSTM vs GRU"),
        N_("the LSTM beats the GRU on METEOR and ROUGE-L"),
        BEATS,
        ("METEOR", "ROUGE_L"),
        gru_row,
    ),
    Claim(
        "greedy",
        N_("Beam search vs greedy"),
        N_("beam search and greedy decoding score about the same"),
        EQUALS,
        (),
        greedy_row,
    ),
    Claim(
        "arel",
        N_("LSTM vs AREL"),
        N_("the LSTM scores about the same as AREL"),
        EQUALS,
        (),
        arel_row,
    ),
)


def claim_finding(report: RealPhotoReport, claim: Claim, other: str) -> ClaimFinding | None:
    """``claim`` tested by the thesis row against ``other`` (None without paired tests)."""
    thesis, row = report.systems[report.thesis], report.systems[other]
    metrics = tuple(
        MetricFinding(
            metric,
            thesis.scores[metric].value,
            row.scores[metric].value,
            row.versus_thesis[metric],
        )
        for metric in PAIRED_METRICS
        if metric in row.versus_thesis and metric in thesis.scores and metric in row.scores
    )
    if not metrics:
        return None
    return ClaimFinding(
        claim.key,
        claim.topic,
        claim.claim,
        claim.expected,
        claim.claimed_metrics,
        report.thesis,
        other,
        metrics,
    )


def thesis_claims(report: RealPhotoReport) -> list[ClaimFinding]:
    """Each claim whose row the report holds, with its verdict's numbers, in :data:`CLAIMS`
    order (a claim without its row, or without paired tests, is left out)."""
    findings = []
    for claim in CLAIMS:
        other = claim.find_row(report)
        found = claim_finding(report, claim, other) if other and other != report.thesis else None
        if found is not None:
            findings.append(found)
    return findings
