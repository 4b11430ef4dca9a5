"""Model comparison: our systems with bootstrap intervals, published results, score your own."""

import streamlit as st

from imgstory.app import published_view, real_photos, results, scoring, sources, state, widgets
from imgstory.errors import UserInputError
from imgstory.paths import DEMO_DIR
from imgstory.text.tokens import display_sentence
from imgstory.viz.metrics import metric_chart

source = state.current_source(required=False)
state.meteor_started()  # in the background: warm when scoring starts
st.title("Model comparison")

default_results = source.results_dir if source and source.results_dir else DEMO_DIR / "results"
results_dir = sources.typed_folder(
    st.text_input(
        "Results folder",
        value=sources.folder_text(default_results),
        help="A folder holding summary.json and predictions/<system>.json: the demo pack's "
        "(assets/demo/results) or one written by your own runs on real VIST (<vist>/results).",
    )
)
origin = results.results_origin(results_dir)
data_label = origin.label

st.header("Our systems")
try:
    long = state.summary(results_dir)
except UserInputError as error:
    long = None
    st.info(f"{error}. Build the demo pack (`imgstory demo build`) or pick another folder.")
if long is not None:
    st.caption(
        f"Data: {data_label} (from {sources.display_path(results_dir)}). "
        f"{scoring.PROTOCOL_NOTE} Bars: 95% bootstrap intervals; dark bar: the thesis model."
    )
    widgets.show_summary_table(long, origin)
    metrics = [m for m in results.METRICS if m in set(long["metric"])]
    named = results.with_labels(long)
    charts = st.columns(2)
    for index, metric in enumerate(metrics):
        with charts[index % 2]:
            st.plotly_chart(
                metric_chart(
                    named,
                    metric,
                    title=f"{results.METRIC_LABELS[metric]} ({origin.short})",
                    highlight=results.system_label(results.THESIS_SYSTEM),
                ),
                width="stretch",
            )
    wide = results.wide_table(long)
    caption = f"Results on the {data_label}; {scoring.PROTOCOL_NOTE}"
    downloads = st.columns(2)
    downloads[0].download_button(
        "Download table (CSV)", results.to_csv(long), "results.csv", "text/csv"
    )
    downloads[1].download_button(
        "Download table (LaTeX)",
        results.to_latex(wide.fillna("--"), caption),
        "results.tex",
        "text/x-tex",
    )

    saved = results.saved_comparisons(results_dir)
    if not saved.empty:
        st.markdown("**Paired bootstrap tests saved with these results**")
        st.dataframe(saved, hide_index=True, width="stretch")
        st.caption(f"Difference = first system minus second. {scoring.PAIRED_HELP}")
    with st.expander("Paired significance (re-scores every system's predictions)"):
        baseline = results.THESIS_SYSTEM
        problem = state.paired_problem(results_dir, baseline)
        if problem:
            st.info(f"Paired tests cannot run on this folder: {problem}.")
        elif st.button("Run paired bootstrap tests", help=scoring.PAIRED_HELP):
            bar = st.progress(0.0, text="Scoring every system…")
            try:
                tests = state.paired_tests(
                    results_dir, baseline, lambda done, text: bar.progress(done, text=text)
                )
            except UserInputError as error:
                tests = None
                st.error(f"Paired tests failed: {error}")
            bar.empty()
            if tests is not None:
                st.caption(
                    f"{results.system_label(baseline)} (baseline) minus each other system on the "
                    f"albums both scored, against the references of the {origin.label}; "
                    f"{scoring.PAIRED_HELP}"
                )
                st.dataframe(tests.drop(columns="key").round(4), hide_index=True, width="stretch")

st.header("Real VIST photos: our VIST models against baselines")
real = real_photos.load_real_photo_results()
if real is None:
    st.info(
        "Not computed here: `make vist-models` scores the VIST models when a VIST folder with "
        "test photos is present (`imgstory vist score FOLDER --stories VAL_TEXT`)."
    )
else:
    st.caption(real_photos.real_photo_caption(real))
    st.dataframe(real_photos.real_photo_table(real), hide_index=True, width="stretch")
    album = st.selectbox("Stories written for album", real["albums"], key="real_album")
    for system, story in real_photos.example_stories(real, album).items():
        st.markdown(f"**{system}:** {display_sentence(story)}")

published_view.show_released_systems(results_dir, source)

st.header("Published results on real VIST")
try:
    from imgstory.eval.published import published_results_frame

    published = published_results_frame()
except UserInputError as error:
    st.info(f"The published-results registry cannot be read: {error}")
else:
    st.caption(
        "Numbers as published on real VIST, each with its paper, source and protocol, on the 0-1 "
        "scale. Never drawn in one chart with demo-pack numbers: the data differ."
    )
    scores, citations = results.published_views(published)
    st.dataframe(scores, hide_index=True, width="stretch")
    with st.expander("Papers and sources of these numbers"):
        for line in citations:
            st.markdown(f"- {line}")
    if "METEOR" in published:
        shown = published.dropna(subset=["METEOR"])
        label = shown["system"] + " (" + shown["protocol"] + ", " + shown["split"] + ")"
        st.plotly_chart(
            metric_chart(
                results.plain_table(label, "METEOR", shown["METEOR"]),
                "METEOR",
                title="METEOR as published on real VIST (no intervals published)",
                colour="#2e86c1",
            ),
            width="stretch",
        )

st.header("Score your own predictions")
st.caption(
    "Upload AREL-format predictions ({album_id: [story]}) and, unless they are for this data "
    "source's test split, the matching references; the same evaluator as `imgstory evaluate`."
)
upload_columns = st.columns(2)
predictions_file = upload_columns[0].file_uploader("Predictions (JSON)")
references_file = upload_columns[1].file_uploader("References (JSON, AREL format; optional)")
if st.button("Score predictions", disabled=predictions_file is None):
    bar = st.progress(0.0, text="Reading the files…")
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
            against = f"the test stories of the {source.label}"
        else:
            raise UserInputError("no references: upload the reference file of your split")
        table, result, left_out = scoring.score_predictions(
            predictions, references, against, lambda done, text: bar.progress(done, text=text)
        )
    except UserInputError as error:
        st.error(str(error))
    else:
        st.caption(
            f"{predictions_file.name} against {against}: "
            f"{len(result.albums_scored):,} albums scored, "
            f"{len(result.albums_missing):,} reference albums without a prediction. "
            f"{scoring.PROTOCOL_NOTE}"
        )
        if left_out:
            st.warning(left_out)
        st.dataframe(table, hide_index=True)
        for warning in result.warnings:
            st.warning(warning)
    finally:
        bar.empty()
