"""Model comparison's released-systems section: everything scored here, story metrics, pairs.

Tables come from the registry (``assets/published_results.json``): entries scored here from
released outputs (with intervals and story metrics) in one table and one chart; a paired
bootstrap between any two released (saved per-album statistics) or local systems.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
import streamlit as st

from imgstory.app.i18n import N_, _, error_text, ngettext, translate_columns
from imgstory.errors import UserInputError
from imgstory.eval.comparison import COMPARED_METRICS
from imgstory.eval.published import PublishedResult, load_published_results
from imgstory.eval.story_metrics import STORY_METRIC_KEYS, STORY_METRICS_NOTE
from imgstory.paths import PUBLISHED_RESULTS_FILE

SCORED_HERE_NOTE = N_(
    "Scored here by `imgstory published add` from the outputs each system's authors released, "
    "VIST test set, 0-1 scale, 95% bootstrap intervals over albums (1,000 resamples). AREL "
    "protocol unless the protocol column says challenge (avg. max METEOR per photo sequence: "
    "not comparable). The human row scores each reference against the album's other 4."
)
PAIRED_NOTE = N_(
    "Paired bootstrap on the albums both systems scored against the same reference stories: "
    "albums resampled 1,000 times, A minus B recomputed on each resample; p is two-sided."
)
LOCAL_PREFIX = "local: "
#: The registry's own words shown in tables (system names, provenance, protocol, source); the
#: catalog holds them (``babel.cfg`` extracts them from the registry).
REGISTRY_TEXT_COLUMNS = ("system", "protocol", "provenance", "source")


def translated_registry(table: pd.DataFrame) -> pd.DataFrame:
    """A registry table with its text cells and headers in the session's language, and "—" for
    a number a paper did not report (the grid would print "None")."""
    shown = table.astype(object).where(table.notna(), "—")
    for column in REGISTRY_TEXT_COLUMNS:
        if column in shown:
            shown[column] = [_(text) for text in shown[column]]
    return translate_columns(shown)


def choice_title(choice: str) -> str:
    """A system in the paired-comparison pickers: a registry name, or ``local: <system>``."""
    if choice.startswith(LOCAL_PREFIX):
        return _("local: {system}").format(system=choice.removeprefix(LOCAL_PREFIX))
    return _(choice)


def _cell(value: float, interval: Sequence[float] | None, digits: int = 4) -> str:
    text = f"{value:.{digits}f}"
    if interval:
        text += f" [{interval[0]:.{digits}f}, {interval[1]:.{digits}f}]"
    return text


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
                    key: _cell(result.scores[key], result.ci95.get(key))
                    for key in COMPARED_METRICS
                    if key in result.scores
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


def scored_here_long(results: Sequence[PublishedResult]) -> pd.DataFrame:
    """The AREL-protocol scored-here entries as a long table for ``metric_chart``."""
    rows = [
        {
            "system": result.system,
            "metric": key,
            "value": result.scores[key],
            "ci_low": result.ci95.get(key, [math.nan])[0],
            "ci_high": result.ci95.get(key, [math.nan, math.nan])[1],
        }
        for result in scored_here(results)
        if result.protocol == "arel"
        for key in COMPARED_METRICS
        if key in result.scores
    ]
    return pd.DataFrame(rows, columns=["system", "metric", "value", "ci_low", "ci_high"])


def story_metrics_table(
    results: Sequence[PublishedResult], local: Mapping[str, Mapping[str, float]] | None = None
) -> pd.DataFrame:
    """Story metrics per system: released and human entries (AREL protocol: one story per
    album), then ``local`` systems (``name -> {metric: value, "stories": n}``)."""
    rows = [
        {
            "system": result.system,
            N_("kind"): _("human") if "human" in result.provenance else _("released"),
            **{key: result.story_metrics.get(key) for key in STORY_METRIC_KEYS},
            N_("stories"): result.story_metrics.get("story_metrics_stories"),
        }
        for result in scored_here(results)
        if result.protocol == "arel" and result.story_metrics
    ]
    rows += [
        {"system": name, "kind": _("local"), **values} for name, values in (local or {}).items()
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


def resolve_system(
    choice: str,
    prediction_files: Mapping[str, Path],
    references: Mapping[str, list[str]] | None,
    registry: Path = PUBLISHED_RESULTS_FILE,
):
    """The ``ComparedSystem`` behind a choice of :func:`show_released_systems`' selectors.

    Raises:
        UserInputError: a local system without test references to score it against.
    """
    from imgstory.eval.comparison import registered_system

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
    from imgstory.app import state

    if source is None or "test" not in source.sis_files:
        return None
    return state.references(source, "test")


def show_released_systems(
    results_dir: Path, source, registry: Path = PUBLISHED_RESULTS_FILE
) -> None:
    """Render the section: scored-here table and chart, story metrics, a paired comparison.

    Args:
        results_dir: the results folder whose ``predictions/`` are the local systems.
        source: the chosen data source (its test references score local systems), or None.
        registry: the published-results registry.
    """
    from imgstory.app.results import prediction_files as find_predictions
    from imgstory.eval.comparison import comparable_systems
    from imgstory.viz.metrics import metric_chart

    prediction_files = find_predictions(results_dir)

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
    st.caption(_(SCORED_HERE_NOTE))
    st.dataframe(translated_registry(scored_here_table(results)), hide_index=True, width="stretch")
    metric = st.selectbox(
        _("Metric to chart"), COMPARED_METRICS, key="released_metric", help=_(SCORED_HERE_NOTE)
    )
    long = scored_here_long(results)
    st.vega_lite_chart(
        spec=metric_chart(
            long.assign(system=[_(system) for system in long["system"]]),
            metric,
            title=_(
                "{metric}, released outputs scored here (VIST test, AREL protocol, 95% CI)"
            ).format(metric=metric),
            colour="#2e86c1",
            translate=_,
        ),
        width="stretch",
    )

    st.subheader(_("Story metrics per system"))
    try:
        local = local_story_metrics(prediction_files)
    except UserInputError as error:
        local = {}
        st.warning(error_text(error))
    st.dataframe(
        translated_registry(story_metrics_table(results, local)), hide_index=True, width="stretch"
    )
    st.caption(
        _(STORY_METRICS_NOTE)
        + " "
        + _(
            "Released and human rows: VIST test, one story per album (humans: mean over the 5 "
            "leave-one-out passes); local rows: the chosen results folder's stories."
        )
    )

    st.subheader(_("Paired comparison of two systems"))
    choices = comparable_systems(registry) + [LOCAL_PREFIX + name for name in prediction_files]
    columns = st.columns(2)
    first = columns[0].selectbox(
        _("System A"), choices, index=0, format_func=choice_title, key="paired_a"
    )
    second = columns[1].selectbox(
        _("System B"),
        choices,
        index=min(1, len(choices) - 1),
        format_func=choice_title,
        key="paired_b",
    )
    if st.button(_("Compare A and B"), help=_(PAIRED_NOTE), disabled=first == second):
        try:
            with st.spinner(_("Loading (a local system is scored first: METEOR starts Java)…")):
                references = source_test_references(source)
                table, caption = comparison_table(
                    resolve_system(first, prediction_files, references, registry),
                    resolve_system(second, prediction_files, references, registry),
                )
        except UserInputError as error:
            st.error(error_text(error))
        else:
            st.dataframe(translate_columns(table), hide_index=True, width="stretch")
            st.caption(caption)
