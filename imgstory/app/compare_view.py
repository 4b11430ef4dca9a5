"""The Model comparison page's sections: our systems (summary, charts, downloads, paired tests),
the real-photo results, the published registry and scoring uploaded predictions."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from imgstory.app import (
    published_view,
    real_photo_view,
    results,
    scoring,
    scoring_cache,
    sources,
    state,
    widgets,
)
from imgstory.app.i18n import N_, _, error_text, number
from imgstory.app.naming import shown_table
from imgstory.errors import UserInputError
from imgstory.eval.published import published_results_frame
from imgstory.eval.report import RealPhotoReport
from imgstory.viz.metrics import metric_chart


def show_our_systems(long: pd.DataFrame, results_dir: Path, origin: results.ResultsOrigin) -> None:
    """Our systems from a results folder's summary: table, one chart per metric, downloads, the
    paired tests saved with them and, on request, paired tests re-scored from the predictions."""
    st.caption(
        _(
            "Data: {data} (from {folder}). {protocol} Bars: 95% bootstrap intervals; dark bar: "
            "the thesis model."
        ).format(
            data=origin.label,
            folder=sources.display_path(results_dir),
            protocol=_(scoring.PROTOCOL_NOTE),
        )
    )
    widgets.show_summary_table(long, origin)
    _show_metric_charts(long, origin)
    _show_downloads(long, origin.label)
    saved = results.saved_comparisons(results_dir)
    if not saved.empty:
        st.markdown(_("**Paired bootstrap tests saved with these results**"))
        st.dataframe(shown_table(results.comparisons_view(saved)), hide_index=True, width="stretch")
        st.caption(
            _("Difference = first system minus second. {help}").format(help=_(scoring.PAIRED_HELP))
        )
    with st.expander(_("Paired significance (re-scores every system's predictions)")):
        _show_paired_tests(results_dir, origin)


def _show_metric_charts(long: pd.DataFrame, origin: results.ResultsOrigin) -> None:
    """One bar chart per metric of the summary, two a row, the thesis model highlighted."""
    metrics = [m for m in results.METRICS if m in set(long["metric"])]
    named = results.with_labels(long)
    charts = st.columns(2)
    for index, metric in enumerate(metrics):
        with charts[index % 2]:
            st.vega_lite_chart(
                spec=metric_chart(
                    named,
                    metric,
                    title=f"{results.metric_label(metric)} ({origin.short})",
                    metric_title=results.metric_label(metric),
                    highlight=results.system_label(results.THESIS_SYSTEM),
                    translate=_,
                ),
                width="stretch",
            )


def _show_downloads(long: pd.DataFrame, data_label: str) -> None:
    """The summary as CSV and as a LaTeX table."""
    wide = results.wide_table(long)
    caption = _("Results on the {data}; {protocol}").format(
        data=data_label, protocol=_(scoring.PROTOCOL_NOTE)
    )
    downloads = st.columns(2)
    downloads[0].download_button(
        _("Download table (CSV)"), results.to_csv(long), "results.csv", "text/csv"
    )
    downloads[1].download_button(
        _("Download table (LaTeX)"),
        results.to_latex(wide.fillna("--"), caption),
        "results.tex",
        "text/x-tex",
    )


def _show_paired_tests(results_dir: Path, origin: results.ResultsOrigin) -> None:
    """The thesis model against every other system, re-scored on request (or why it cannot be)."""
    baseline = results.THESIS_SYSTEM
    problem = scoring_cache.paired_problem(results_dir, baseline)
    if problem:
        st.info(_("Paired tests cannot run on this folder: {problem}.").format(problem=problem))
        return
    if not st.button(_("Run paired bootstrap tests"), help=_(scoring.PAIRED_HELP)):
        return
    bar = st.progress(0.0, text=_("Scoring every system…"))
    try:
        tests = scoring_cache.cached_paired_tests(
            results_dir, baseline, lambda done, text: bar.progress(done, text=text)
        )
    except UserInputError as error:
        tests = None
        st.error(_("Paired tests failed: {error}").format(error=error_text(error)))
    bar.empty()
    if tests is not None:
        st.caption(
            _(
                "{baseline} (baseline, A) minus each other system (B) on the albums both "
                "scored, against the references of the {data}. {help}"
            ).format(
                baseline=results.system_label(baseline),
                data=origin.label,
                help=_(scoring.PAIRED_HELP),
            )
        )
        st.dataframe(shown_table(results.paired_view(tests)), hide_index=True, width="stretch")


def show_real_photos(real: RealPhotoReport | None) -> None:
    """Our VIST models against baselines on real VIST photos, or how to compute them."""
    if real is None:
        st.info(
            _(
                "Not computed here: `make vist-models` scores the VIST models when a VIST folder "
                "with test photos is present (`imgstory vist score FOLDER --stories VAL_TEXT`)."
            )
        )
        return
    real_photo_view.show_real_photo_results(
        real, findings_heading=_("The thesis's claims on real photos"), stories=True
    )


def show_published() -> None:
    """The published-results registry: numbers as published, their papers, a METEOR chart."""
    try:
        published = published_results_frame()
    except UserInputError as error:
        st.info(
            _("The published-results registry cannot be read: {error}").format(
                error=error_text(error)
            )
        )
        return
    st.caption(
        _(
            "Numbers as published on real VIST, each with its paper, source and protocol, on the "
            "0-1 scale. Never drawn in one chart with demo-pack numbers: the data differ."
        )
    )
    scores, citations = results.published_views(published)
    st.dataframe(
        shown_table(scores, text_columns=published_view.REGISTRY_TEXT_COLUMNS),
        hide_index=True,
        width="stretch",
    )
    with st.expander(_("Papers and sources of these numbers")):
        for line in citations:
            st.markdown(f"- {line}")
    if "METEOR" in published:
        shown = published.dropna(subset=["METEOR"])
        label = [
            f"{_(system)} ({_(protocol)}, {split})"
            for system, protocol, split in zip(
                shown["system"], shown["protocol"], shown["split"], strict=True
            )
        ]
        st.vega_lite_chart(
            spec=metric_chart(
                results.plain_table(label, "METEOR", shown["METEOR"]),
                "METEOR",
                title=_("METEOR as published on real VIST (no intervals published)"),
                metric_title="METEOR",
                colour="#2e86c1",
                translate=_,
            ),
            width="stretch",
        )


def show_score_uploads(source: sources.DataSource | None) -> None:
    """Score uploaded AREL predictions against uploaded references or the source's test split."""
    st.caption(
        _(
            "Upload AREL-format predictions ({album_id: [story]}) and, unless they are for this "
            "data source's test split, the matching references; the same evaluator as "
            "`imgstory evaluate`."
        )
    )
    upload_columns = st.columns(2)
    predictions_file = upload_columns[0].file_uploader(_("Predictions (JSON)"))
    references_file = upload_columns[1].file_uploader(_("References (JSON, AREL format; optional)"))
    if not st.button(_("Score predictions"), disabled=predictions_file is None):
        return
    bar = st.progress(0.0, text=_("Reading the files…"))
    try:
        predictions = scoring.predictions_from_upload(
            predictions_file.name, predictions_file.getvalue()
        )
        if references_file is not None:
            references = scoring.references_from_upload(
                references_file.name, references_file.getvalue()
            )
            against = references_file.name
        elif source is not None and "test" in source.sis_files:
            references = state.references(source, "test")
            against = _("the test stories of the {data}").format(data=source.label)
        else:
            raise UserInputError(N_("no references: upload the reference file of your split"))
        table, result, left_out = scoring.score_predictions(
            predictions, references, against, lambda done, text: bar.progress(done, text=text)
        )
    except UserInputError as error:
        st.error(error_text(error))
    else:
        _show_upload_scores(table, result, left_out, predictions_file.name, against)
    finally:
        bar.empty()


def _show_upload_scores(
    table: pd.DataFrame, result, left_out: str | None, file: str, against: str
) -> None:
    """The scores of an uploaded predictions file, what was left out and the scorer's warnings."""
    st.caption(
        _(
            "{file} against {references}: {scored} albums scored, {missing} reference albums "
            "without a prediction. {protocol}"
        ).format(
            file=file,
            references=against,
            scored=number(len(result.albums_scored)),
            missing=number(len(result.albums_missing)),
            protocol=_(scoring.PROTOCOL_NOTE),
        )
    )
    if left_out:
        st.warning(left_out)
    st.dataframe(shown_table(table), hide_index=True)
    for warning in result.warnings:
        st.warning(warning)
