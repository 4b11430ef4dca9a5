"""Model comparison: our systems with bootstrap intervals, published results, score your own."""

import streamlit as st

from imgstory.app import (
    published_view,
    real_photo_view,
    results,
    scorer_warmup,
    scoring,
    scoring_cache,
    source_picker,
    sources,
    state,
    widgets,
)
from imgstory.app.i18n import N_, _, error_text, number
from imgstory.app.naming import shown_table
from imgstory.errors import UserInputError
from imgstory.paths import DEMO_DIR
from imgstory.viz.metrics import metric_chart

source = source_picker.current_source(required=False)
scorer_warmup.meteor_started(2)  # in the background: warm when scoring starts (2 jars share a job)
st.title(_("Model comparison"))

default_results = source.results_dir if source and source.results_dir else DEMO_DIR / "results"
results_dir = sources.typed_folder(
    st.text_input(
        _("Results folder"),
        value=sources.folder_text(default_results),
        help=_(
            "A folder holding summary.json and predictions/<system>.json: the demo pack's "
            "(assets/demo/results) or one written by your own runs on real VIST (<vist>/results)."
        ),
    )
)
origin = results.results_origin(results_dir)
data_label = origin.label

st.header(_("Our systems"))
try:
    long = state.summary(results_dir)
except UserInputError as error:
    long = None
    st.info(
        _("{problem}. Build the demo pack (`imgstory demo build`) or pick another folder.").format(
            problem=error_text(error)
        )
    )
if long is not None:
    st.caption(
        _(
            "Data: {data} (from {folder}). {protocol} Bars: 95% bootstrap intervals; dark bar: "
            "the thesis model."
        ).format(
            data=data_label,
            folder=sources.display_path(results_dir),
            protocol=_(scoring.PROTOCOL_NOTE),
        )
    )
    widgets.show_summary_table(long, origin)
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

    saved = results.saved_comparisons(results_dir)
    if not saved.empty:
        st.markdown(_("**Paired bootstrap tests saved with these results**"))
        st.dataframe(shown_table(results.comparisons_view(saved)), hide_index=True, width="stretch")
        st.caption(
            _("Difference = first system minus second. {help}").format(help=_(scoring.PAIRED_HELP))
        )
    with st.expander(_("Paired significance (re-scores every system's predictions)")):
        baseline = results.THESIS_SYSTEM
        problem = scoring_cache.paired_problem(results_dir, baseline)
        if problem:
            st.info(_("Paired tests cannot run on this folder: {problem}.").format(problem=problem))
        elif st.button(_("Run paired bootstrap tests"), help=_(scoring.PAIRED_HELP)):
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
                st.dataframe(
                    shown_table(results.paired_view(tests)), hide_index=True, width="stretch"
                )

st.header(_("Real VIST photos: our VIST models against baselines"))
real = widgets.real_photo_results()
if real is None:
    st.info(
        _(
            "Not computed here: `make vist-models` scores the VIST models when a VIST folder with "
            "test photos is present (`imgstory vist score FOLDER --stories VAL_TEXT`)."
        )
    )
else:
    real_photo_view.show_real_photo_results(
        real, findings_heading=_("The thesis's claims on real photos"), stories=True
    )

published_view.show_released_systems(results_dir, source, real_report=real)

st.header(_("Published results on real VIST"))
try:
    from imgstory.eval.published import published_results_frame

    published = published_results_frame()
except UserInputError as error:
    st.info(
        _("The published-results registry cannot be read: {error}").format(error=error_text(error))
    )
else:
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

st.header(_("Score your own predictions"))
st.caption(
    _(
        "Upload AREL-format predictions ({album_id: [story]}) and, unless they are for this data "
        "source's test split, the matching references; the same evaluator as `imgstory evaluate`."
    )
)
upload_columns = st.columns(2)
predictions_file = upload_columns[0].file_uploader(_("Predictions (JSON)"))
references_file = upload_columns[1].file_uploader(_("References (JSON, AREL format; optional)"))
if st.button(_("Score predictions"), disabled=predictions_file is None):
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
        st.caption(
            _(
                "{file} against {references}: {scored} albums scored, {missing} reference albums "
                "without a prediction. {protocol}"
            ).format(
                file=predictions_file.name,
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
    finally:
        bar.empty()
