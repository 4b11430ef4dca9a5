"""Model comparison's released-systems section: everything scored here, story metrics, pairs.

Tables come from the registry (``assets/published_results.json``): entries scored here from
released outputs (with intervals and story metrics) in one table and one chart; a paired
bootstrap between any two released (saved per-album statistics) or local systems.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from imgstory.app import state
from imgstory.app.i18n import N_, _, error_text, ngettext, number
from imgstory.app.naming import interval_text, metric_name, ordered_metrics, shown_table
from imgstory.app.results import ResultsOrigin, results_origin, system_label
from imgstory.app.results import prediction_files as find_predictions
from imgstory.errors import UserInputError
from imgstory.eval.comparison import COMPARED_METRICS, comparable_systems
from imgstory.eval.published import (
    SCORED_HERE_FLOOR,
    SCORED_HERE_HUMAN,
    PublishedResult,
    load_published_results,
)
from imgstory.eval.report import RealPhotoReport
from imgstory.eval.results import INTERVAL_COLUMNS
from imgstory.eval.story_metrics import STORY_METRIC_KEYS, STORY_METRICS_NOTE
from imgstory.paths import PUBLISHED_RESULTS_FILE
from imgstory.viz.metrics import metric_chart

SCORED_HERE_NOTE = N_(
    "Scored here by `imgstory published add` from the outputs each system's authors released, "
    "VIST test set, 0-1 scale, 95% bootstrap intervals over albums (1,000 resamples). AREL "
    "protocol unless the protocol column says challenge (avg. max METEOR per photo sequence: "
    "not comparable). The human row scores each reference against the album's other 4; the "
    "constant-story row is a floor: no model, the same story for every album."
)
PAIRED_NOTE = N_(
    "Paired bootstrap on the albums both systems scored against the same reference stories: "
    "albums resampled 1,000 times, A minus B recomputed on each resample; p is two-sided."
)
LOCAL_PREFIX = "local: "
REAL_PREFIX = "real photos: "
PAIR_GROUPS_NOTE = N_(
    "Only systems scored on the same albums are offered together: the real-photo systems with "
    "each other (re-scored against the chosen VIST folder's test references), the released "
    "systems with each other (VIST test; a results folder of real VIST runs joins them), and a "
    "demo-pack results folder's systems with each other."
)
NO_REAL_PAIRS = N_(
    "Pairs of real-photo systems are re-scored against the VIST test references, and the chosen "
    "data has none for these albums: pick a VIST folder in the sidebar. The thesis model against "
    "every row is in the real-photo table above."
)
#: The registry's own words shown in tables (system names, provenance, protocol, source); the
#: catalog holds them (``babel.cfg`` extracts them from the registry).
REGISTRY_TEXT_COLUMNS = ("system", "protocol", "provenance", "source")


def translated_registry(table: pd.DataFrame):
    """A registry table as the page shows it (:func:`imgstory.app.naming.shown_table`): text
    cells and headers in the session's language, metrics named and in the thesis's order, "—"
    for a number a paper did not report; numbers stay numbers underneath."""
    return shown_table(table, metric_column=None, text_columns=REGISTRY_TEXT_COLUMNS)


def choice_title(choice: str) -> str:
    """A system in the paired-comparison pickers: a registry name, ``local: <system>`` or
    ``real photos: <row>``."""
    if choice.startswith(LOCAL_PREFIX):
        return _("local: {system}").format(system=choice.removeprefix(LOCAL_PREFIX))
    if choice.startswith(REAL_PREFIX):
        return _("real photos: {system}").format(system=_(choice.removeprefix(REAL_PREFIX)))
    return _(choice)


@dataclass(frozen=True)
class PairGroup:
    """Systems scored on the same albums, so any two of them can be compared.

    Attributes:
        key: ``real``, ``released`` or ``local``.
        title: how the picker names the group (in the session's language).
        choices: the systems, as :func:`resolve_system` takes them.
    """

    key: str
    title: str
    choices: tuple[str, ...]


def real_photo_references(
    report: RealPhotoReport | None, references: Mapping[str, list[str]] | None
) -> dict[str, list[str]] | None:
    """The references of the real-photo results' albums, when ``references`` (a data source's
    test references) hold every one of them; else None."""
    if report is None or references is None:
        return None
    albums = list(report.albums)
    if not albums or any(album not in references for album in albums):
        return None
    return {album: list(references[album]) for album in albums}


def pair_groups(
    registered: Sequence[str],
    local: Sequence[str],
    local_is_real_vist: bool,
    real_report: RealPhotoReport | None,
    real_references: Mapping[str, list[str]] | None,
) -> list[PairGroup]:
    """The groups of the paired picker: only systems scored on the same albums, each group with
    at least two systems.

    Args:
        registered: the registry's systems with per-album statistics (VIST test).
        local: the results folder's systems.
        local_is_real_vist: the results folder holds runs on a real VIST folder's test split
            (they join the released systems); else (the demo pack) they form their own group.
        real_report: the real-photo results, or None.
        real_references: the references of their albums (:func:`real_photo_references`), or
            None when the chosen data has none (the real-photo group is then left out).
    """
    groups = []
    if real_report is not None and real_references is not None:
        report = real_report
        rows = [name for name, row in report.systems.items() if row.kind != "reference"]
        title = ngettext(
            "real photos ({albums} album)", "real photos ({albums} albums)", len(report.albums)
        ).format(albums=len(report.albums))
        groups.append(PairGroup("real", title, tuple(REAL_PREFIX + name for name in rows)))
    locals_ = tuple(LOCAL_PREFIX + name for name in local)
    released = tuple(registered) + (locals_ if local_is_real_vist else ())
    groups.append(PairGroup("released", _("released systems (VIST test)"), released))
    if not local_is_real_vist:
        groups.append(PairGroup("local", _("this results folder (demo pack)"), locals_))
    return [group for group in groups if len(group.choices) >= 2]


def _ordered(intervals: dict) -> dict:
    """The intervals of :data:`COMPARED_METRICS`, in that order."""
    return {key: intervals[key] for key in COMPARED_METRICS if key in intervals}


def scored_here(results: Sequence[PublishedResult]) -> list[PublishedResult]:
    """The entries computed here (released outputs and the human references)."""
    return [result for result in results if result.scored_here]


def scored_here_table(results: Sequence[PublishedResult]) -> pd.DataFrame:
    """One row per scored-here entry: cells ``value [low, high]``, coverage and provenance."""
    rows = []
    for result in scored_here(results):
        rows.append(
            {
                N_("system"): result.system,
                N_("protocol"): result.protocol,
                **{
                    key: interval_text(interval.value, interval.low, interval.high)
                    for key, interval in _ordered(result.intervals).items()
                },
                N_("albums scored"): result.albums_scored,
                N_("albums missing"): result.albums_missing,
                N_("provenance"): result.provenance,
                N_("source"): result.source,
                "sha256": result.sha256[:12],
                N_("scored on"): result.date,
            }
        )
    return pd.DataFrame(rows)


def _arel_entry(results: Sequence[PublishedResult], provenance: str) -> PublishedResult | None:
    return next((r for r in results if r.provenance == provenance and r.protocol == "arel"), None)


def floor_sentence(results: Sequence[PublishedResult]) -> str | None:
    """What the constant-story floor says about METEOR, from the registry's numbers (None
    without the floor or the human row)."""
    floor = _arel_entry(results, SCORED_HERE_FLOOR)
    human = _arel_entry(results, SCORED_HERE_HUMAN)
    if floor is None or human is None or "METEOR" not in floor.scores:
        return None
    values = {
        "floor": f"{floor.scores_0_1['METEOR']:.3f}",
        "human": f"{human.scores_0_1['METEOR']:.3f}",
        "albums": number(floor.albums_scored or 0),
    }
    if floor.scores_0_1["METEOR"] <= human.scores_0_1["METEOR"]:
        return _(
            "**The floor:** a constant story scores METEOR {floor} on the {albums}-album test "
            "set, below the human references left out one at a time ({human})."
        ).format(**values)
    sentence = _(
        "**What the floor says about METEOR:** a constant story, the same for every album, "
        "scores METEOR {floor} on the {albums}-album test set, above the human references left "
        "out one at a time ({human}): METEOR alone cannot rank VIST systems."
    ).format(**values)
    floor_cider, human_cider = floor.scores_0_1.get("CIDEr"), human.scores_0_1.get("CIDEr")
    if floor_cider is not None and human_cider is not None and floor_cider < human_cider:
        sentence += " " + _(
            "CIDEr can (constant story {floor}, humans {human}), and so can album "
            "identification: a story the same for every album never picks out its own album."
        ).format(floor=f"{floor_cider:.3f}", human=f"{human_cider:.3f}")
    return sentence


def scored_here_long(results: Sequence[PublishedResult]) -> pd.DataFrame:
    """The AREL-protocol scored-here entries as a long table for ``metric_chart``."""
    rows = [
        {"system": result.system, "metric": key, **interval.row()}
        for result in scored_here(results)
        if result.protocol == "arel"
        for key, interval in _ordered(result.intervals).items()
    ]
    return pd.DataFrame(rows, columns=["system", "metric", *INTERVAL_COLUMNS])


def _kind(result: PublishedResult) -> str:
    if result.provenance == SCORED_HERE_FLOOR:
        return _("floor")
    return _("human") if result.provenance == SCORED_HERE_HUMAN else _("released")


def story_metrics_table(
    results: Sequence[PublishedResult], local: Mapping[str, Mapping[str, float]] | None = None
) -> pd.DataFrame:
    """Story metrics per system: released, human and floor entries (AREL protocol: one story
    per album), then ``local`` systems (``name -> {metric: value, "stories": n}``)."""
    rows = [
        {
            "system": result.system,
            N_("kind"): _kind(result),
            **{key: result.story_metrics.get(key) for key in STORY_METRIC_KEYS},
            N_("stories"): result.story_metrics.get("story_metrics_stories"),
        }
        for result in scored_here(results)
        if result.protocol == "arel" and result.story_metrics
    ]
    rows += [
        {"system": system_label(name), "kind": _("local"), **values}
        for name, values in (local or {}).items()
    ]
    return pd.DataFrame(rows, columns=["system", "kind", *STORY_METRIC_KEYS, "stories"])


def local_story_metrics(prediction_files: Mapping[str, Path]) -> dict[str, dict[str, float]]:
    """Story metrics of each local system's predictions file (no scorer, no Java)."""
    from imgstory.eval.predictions import load_predictions
    from imgstory.eval.story_metrics import story_metrics

    measured = {}
    for name, path in prediction_files.items():
        result = story_metrics(load_predictions(path))
        measured[name] = {**result.scores, "stories": result.stories}
    return measured


def comparison_table(first, second) -> tuple[pd.DataFrame, str]:
    """A paired comparison of two ``ComparedSystem`` s: the table and a caption naming them."""
    from imgstory.eval.comparison import compare_systems

    comparison = compare_systems(first, second)
    caption = ngettext(
        "A = {first}, B = {second}: {albums} album in common.",
        "A = {first}, B = {second}: {albums} albums in common.",
        comparison.albums,
    ).format(
        first=choice_title(first.label), second=choice_title(second.label), albums=comparison.albums
    )
    caption += " " + _(PAIRED_NOTE)
    if comparison.different_references:
        caption += " " + ngettext(
            "{n} shared album had other references.",
            "{n} shared albums had other references.",
            comparison.different_references,
        ).format(n=comparison.different_references)
    return comparison.table, caption


def _local_system(name: str, path: Path, references: Mapping[str, list[str]]):
    from imgstory.eval.arel import evaluate_arel
    from imgstory.eval.comparison import scored_system
    from imgstory.eval.predictions import load_predictions

    result = evaluate_arel(references, load_predictions(path))
    return scored_system(LOCAL_PREFIX + name, result, references)


def _real_photo_system(name: str, report: RealPhotoReport, references: Mapping[str, list[str]]):
    from imgstory.eval.arel import evaluate_arel
    from imgstory.eval.comparison import scored_system

    stories = report.systems[name].stories
    return scored_system(REAL_PREFIX + name, evaluate_arel(references, stories), references)


def resolve_system(
    choice: str,
    prediction_files: Mapping[str, Path],
    references: Mapping[str, list[str]] | None,
    registry: Path = PUBLISHED_RESULTS_FILE,
    real_report: RealPhotoReport | None = None,
    real_references: Mapping[str, list[str]] | None = None,
):
    """The ``ComparedSystem`` behind a choice of :func:`show_released_systems`' selectors.

    Args:
        choice: a registry name, ``local: <system>`` or ``real photos: <row>``.
        prediction_files: the results folder's systems.
        references: the test references of the results folder's data (local systems).
        registry: the published-results registry.
        real_report: the real-photo results (``real photos:`` choices).
        real_references: the references of their albums.

    Raises:
        UserInputError: a local or real-photo system without references to score it against.
    """
    from imgstory.eval.comparison import registered_system

    if choice.startswith(REAL_PREFIX):
        if real_report is None or real_references is None:
            raise UserInputError(N_("real-photo systems need the VIST test references"))
        name = choice.removeprefix(REAL_PREFIX)
        return _real_photo_system(name, real_report, real_references)
    if not choice.startswith(LOCAL_PREFIX):
        return registered_system(choice, registry)
    if references is None:
        raise UserInputError(
            N_(
                "local systems are scored against the data source's test references, and this "
                "data source has none"
            )
        )
    name = choice.removeprefix(LOCAL_PREFIX)
    return _local_system(name, prediction_files[name], references)


def source_test_references(source) -> dict[str, list[str]] | None:
    """The data source's test references (local systems are scored against them), or None."""
    if source is None or "test" not in source.sis_files:
        return None
    return state.references(source, "test")


def show_released_systems(
    results_dir: Path,
    source,
    registry: Path = PUBLISHED_RESULTS_FILE,
    real_report: RealPhotoReport | None = None,
) -> None:
    """Render the section: scored-here table and chart, story metrics, a paired comparison.

    Args:
        results_dir: the results folder whose ``predictions/`` are the local systems.
        source: the chosen data source (its test references score real-photo systems), or None.
        registry: the published-results registry.
        real_report: the real-photo results (their systems join the paired picker), or None.
    """
    prediction_files = find_predictions(results_dir)
    origin = results_origin(results_dir)
    st.header(_("Released systems scored here (real VIST test)"))
    try:
        results = load_published_results(registry)
    except UserInputError as error:
        st.info(
            _("The published-results registry cannot be read: {error}").format(
                error=error_text(error)
            )
        )
        return
    if not scored_here(results):
        st.info(_("No released outputs scored yet: `imgstory published add` scores them."))
        return
    _show_scored_here(results)
    _show_story_metrics(results, prediction_files, origin)
    _show_paired_comparison(prediction_files, origin, source, registry, real_report)


def _show_scored_here(results: Sequence[PublishedResult]) -> None:
    """The released systems scored here: their table, the floor sentence and a metric's chart."""
    st.caption(_(SCORED_HERE_NOTE))
    st.dataframe(translated_registry(scored_here_table(results)), hide_index=True, width="stretch")
    floor = floor_sentence(results)
    if floor:
        st.markdown(floor)
    metric = st.selectbox(
        _("Metric to chart"),
        ordered_metrics(COMPARED_METRICS),
        format_func=metric_name,
        key="released_metric",
        help=_(SCORED_HERE_NOTE),
    )
    long = scored_here_long(results)
    st.vega_lite_chart(
        spec=metric_chart(
            long.assign(system=[_(system) for system in long["system"]]),
            metric,
            title=_(
                "{metric}, released outputs scored here (VIST test, AREL protocol, 95% CI)"
            ).format(metric=metric_name(metric)),
            metric_title=metric_name(metric),
            colour="#2e86c1",
            translate=_,
        ),
        width="stretch",
    )


def _show_story_metrics(
    results: Sequence[PublishedResult],
    prediction_files: Mapping[str, Path],
    origin: ResultsOrigin,
) -> None:
    """Story metrics per system: released, human and (on real VIST) local rows in one table; a
    results folder on other data apart."""
    local_is_real_vist = origin.source is not None and not origin.is_demo
    st.subheader(_("Story metrics per system"))
    try:
        local = local_story_metrics(prediction_files)
    except UserInputError as error:
        local = {}
        st.warning(error_text(error))
    released_rows = story_metrics_table(results, local if local_is_real_vist else None)
    st.dataframe(translated_registry(released_rows), hide_index=True, width="stretch")
    st.caption(
        _(STORY_METRICS_NOTE)
        + " "
        + _(
            "Released and human rows: VIST test, one story per album (humans: mean over the 5 "
            "leave-one-out passes); local rows: the chosen results folder's stories."
        )
    )
    if local and not local_is_real_vist:
        st.markdown(
            _("**This results folder's systems ({data}), apart: not real VIST**").format(
                data=origin.label
            )
        )
        st.dataframe(
            translated_registry(story_metrics_table([], local)), hide_index=True, width="stretch"
        )


def _show_paired_comparison(
    prediction_files: Mapping[str, Path],
    origin: ResultsOrigin,
    source,
    registry: Path,
    real_report: RealPhotoReport | None,
) -> None:
    """Pick a group of systems scored on the same albums, two of them, and test A against B."""
    st.subheader(_("Paired comparison of two systems"))
    local_is_real_vist = origin.source is not None and not origin.is_demo
    references = source_test_references(origin.source or source)
    real_references = real_photo_references(real_report, source_test_references(source))
    groups = pair_groups(
        comparable_systems(registry),
        list(prediction_files),
        local_is_real_vist,
        real_report,
        real_references,
    )
    st.caption(_(PAIR_GROUPS_NOTE))
    if real_report is not None and real_references is None:
        st.caption(_(NO_REAL_PAIRS))
    if not groups:
        st.info(_("No two systems here were scored on the same albums."))
        return
    titles = {group.key: group.title for group in groups}
    chosen = st.radio(
        _("Systems scored on the same albums"),
        list(titles),
        format_func=titles.get,
        horizontal=True,
        key="paired_group",
    )
    choices = next(group.choices for group in groups if group.key == chosen)
    columns = st.columns(2)
    first = columns[0].selectbox(
        _("System A"), choices, index=0, format_func=choice_title, key=f"paired_a_{chosen}"
    )
    second = columns[1].selectbox(
        _("System B"), choices, index=1, format_func=choice_title, key=f"paired_b_{chosen}"
    )
    if st.button(_("Compare A and B"), help=_(PAIRED_NOTE), disabled=first == second):
        try:
            with st.spinner(_("Loading (a local system is scored first: METEOR starts Java)…")):
                compared = [
                    resolve_system(
                        choice,
                        prediction_files,
                        references,
                        registry,
                        real_report,
                        real_references,
                    )
                    for choice in (first, second)
                ]
                table, caption = comparison_table(*compared)
        except UserInputError as error:
            st.error(error_text(error))
        else:
            st.dataframe(shown_table(table), hide_index=True, width="stretch")
            st.caption(caption)
