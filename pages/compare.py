"""Model comparison: our systems with bootstrap intervals, published results, score your own."""

from pathlib import Path

import streamlit as st

from imgstory.app import real_photos, results, scoring, state
from imgstory.errors import UserInputError
from imgstory.paths import DEMO_DIR
from imgstory.text.tokens import display_sentence
from imgstory.viz.metrics import metric_chart

source = state.current_source(required=False)
st.title("Model comparison")

default_results = source.results_dir if source and source.results_dir else DEMO_DIR / "results"
results_dir = Path(
    st.text_input(
        "Results folder",
        value=str(default_results),
        help="A folder holding summary.json and predictions/<system>.json: the demo pack's "
        "(assets/demo/results) or one written by your own runs on real VIST.",
    )
)
if (
    source is not None
    and source.results_dir
    and results_dir.resolve() == source.results_dir.resolve()
):
    data_label = f"{source.label}, test split (results in {results_dir})"
elif results_dir.resolve().is_relative_to(DEMO_DIR.resolve()):
    data_label = "demo pack test split (generated scenes, not real VIST)"
else:
    data_label = f"your results in {results_dir}"

st.header("Our systems")
try:
    long = state.summary(results_dir)
except UserInputError as error:
    long = None
    st.info(f"{error}. Build the demo pack (`imgstory demo build`) or pick another folder.")
if long is not None:
    st.caption(f"Data: {data_label}. {scoring.PROTOCOL_NOTE} Bars: 95% bootstrap intervals.")
    metrics = [m for m in results.METRICS if m in set(long["metric"])]
    charts = st.columns(2)
    for index, metric in enumerate(metrics):
        with charts[index % 2]:
            st.plotly_chart(
                metric_chart(long, metric, title=metric),
                width="stretch",
            )
    wide = results.wide_table(long)
    st.dataframe(wide, hide_index=True, width="stretch")
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
        predictions_found = results.prediction_files(results_dir)
        baseline = "lstm-beam" if "lstm-beam" in predictions_found else None
        if baseline is None or source is None or "test" not in source.sis_files:
            st.info(
                f"Needs {results_dir / results.PREDICTIONS_DIR}/lstm-beam.json and the test "
                "references of the chosen data source."
            )
        elif st.button("Run paired bootstrap tests", help=scoring.PAIRED_HELP):
            with st.status("Scoring every system (METEOR starts Java)…") as status:
                try:
                    tests = scoring.paired_tests(
                        {n: scoring.predictions_from_file(p) for n, p in predictions_found.items()},
                        state.references(source, "test"),
                        baseline,
                    )
                    status.update(label="Done", state="complete")
                except UserInputError as error:
                    status.update(label="Failed", state="error")
                    tests = None
                    st.error(str(error))
            if tests is not None:
                st.caption(
                    f"{results.system_label(baseline)} minus each other system on the albums "
                    f"both scored, against the test references of the {source.label}; "
                    f"{scoring.PAIRED_HELP}"
                )
                st.dataframe(tests, hide_index=True, width="stretch")

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
    st.dataframe(
        published,
        hide_index=True,
        width="stretch",
        column_config={"url": st.column_config.LinkColumn("url")},
    )
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
            against = f"the test references of the {source.label}"
        else:
            raise UserInputError("no references: upload the reference file of your split")
        with st.status("Scoring (METEOR starts Java: a few seconds)…") as status:
            table, result = scoring.score_predictions(predictions, references)
            status.update(label="Scored", state="complete")
    except UserInputError as error:
        st.error(str(error))
    else:
        st.caption(
            f"{predictions_file.name} against {against}: "
            f"{len(result.albums_scored)} albums scored, "
            f"{len(result.albums_missing)} reference albums without a prediction. "
            f"{scoring.PROTOCOL_NOTE}"
        )
        st.dataframe(table, hide_index=True)
        for warning in result.warnings:
            st.warning(warning)
