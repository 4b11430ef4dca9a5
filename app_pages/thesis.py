"""Thesis results: the presentation view — question, architecture, headline table, examples."""

import streamlit as st

from imgstory.app import (
    examples,
    explore,
    real_photo_view,
    real_photos,
    results,
    scoring,
    scoring_cache,
    source_picker,
    sources,
    state,
    thesis_view,
    widgets,
)
from imgstory.app.i18n import _, error_text, stories_language_note, story_html
from imgstory.errors import UserInputError
from imgstory.paths import DEMO_DIR
from imgstory.text.tokens import display_sentence
from imgstory.viz.architecture import architecture_dot

source = source_picker.current_source(required=False)
own_results = source is not None and source.results_dir is not None
results_dir = source.results_dir if own_results else DEMO_DIR / "results"
origin = results.results_origin(results_dir)  # the numbers' own data, not the sidebar's
real = widgets.real_photo_results()

st.title(_("Does a sequence model tell better photo stories?"))
st.markdown(
    _(
        "**Question.** Given five ordered photos, can a Seq2Seq network that remembers both the "
        "photo sequence and the story written so far write a coherent five-sentence story — and "
        "does its recurrent cell (LSTM vs GRU) or its decoding (beam search vs greedy) matter?"
    )
)

st.header(_("Architecture"))
encoder = thesis_view.shown_encoder(real, origin.is_demo)
diagram, notes = st.columns([3, 2])
diagram.graphviz_chart(architecture_dot("LSTM", translate=_, encoder=encoder), width="stretch")
notes.markdown(thesis_view.architecture_notes(encoder))

if real is not None:
    st.header(_("Headline: the thesis model on real VIST photos"))
    real_photo_view.show_real_photo_results(
        real, findings_heading=_("The thesis's claims on real photos"), static_table=True
    )

st.header(thesis_view.results_heading(real is not None, origin))
if source is not None and not source.is_demo and not own_results:
    st.info(
        _(
            "The {data} has no results/ folder of its own: the table below is the demo pack's "
            "(drawn scenes, not real VIST) and is labelled as such."
        ).format(data=source.label)
    )
try:
    long = state.summary(results_dir)
except UserInputError as error:
    long = None
    st.info(_("No saved results to present: {error}").format(error=error_text(error)))
if long is not None:
    st.caption(
        _(
            "Data: {data} (read from {file}). {protocol} Brackets: 95% bootstrap intervals; ★ the "
            "thesis model."
        ).format(
            data=origin.label,
            file=f"{sources.display_path(results_dir)}/{results.SUMMARY_FILE}",
            protocol=_(scoring.PROTOCOL_NOTE),
        )
    )
    widgets.show_summary_table(long, origin)

    st.subheader(_("Findings on {data}").format(data=origin.short))
    st.caption(
        _("Data: {data}. Verdicts from paired bootstrap tests on METEOR.").format(data=origin.label)
    )
    tests = scoring_cache.findings_tests(results_dir, results.THESIS_SYSTEM)
    for first, second, topic in results.FINDINGS:
        sentence = results.finding(long, first, second, tests.get(second))
        if sentence:
            st.markdown(f"- **{_(topic)}:** {sentence}")

st.header(_("Example stories"))
shown = []
if source is not None and "test" in source.sis_files:
    by_album = state.sis_file(source.sis_files["test"]).stories_by_album()
    finder = state.source_photo_finder(source)
    predictions = results.prediction_files(results_dir) if own_results or source.is_demo else {}
    if predictions:
        system = examples.preferred_system(list(predictions), [results.THESIS_SYSTEM])
        written_by = _("the {system} ({data})").format(
            system=results.system_label(system), data=origin.label
        )
        generated = scoring.predictions_from_file(predictions[system])
    elif real is not None:
        system = real.thesis
        written_by = _("the {system}, from {file}").format(
            system=_(system), file=real_photos.RESULTS_FILE.name
        )
        generated = real.systems[system].stories
    else:
        generated = {}
    shown = examples.examples(generated, by_album, finder)
if not shown:
    st.info(
        _(
            "No example to show: no saved stories for albums whose five photos are all in the "
            "{data} (pick the demo pack, or a VIST folder with test photos)."
        ).format(data=source.label if source else _("chosen data"))
    )
else:
    st.caption(
        _(
            "Stories written by {writer}; photos: one of the album's story sequences in the "
            "{data}, all five photos present."
        ).format(writer=written_by, data=source.label)
    )
    stories_language_note()
for example in shown:
    sentences = explore.split_story(example.generated)
    st.subheader(_("Album {album}").format(album=example.album_id))
    credits = [
        f"{slot.position + 1}. {source.photo_credit(slot.photo_id)}" for slot in example.slots
    ]
    if len(sentences) == len(example.slots):  # one generated sentence under each photo
        widgets.show_photo_strip(
            [slot.path for slot in example.slots],
            [display_sentence(sentence) for sentence in sentences],
            credits,
            key=example.album_id,
        )
    else:
        widgets.show_slots(example.slots, source.photo_credit, key=example.album_id)
        generated = story_html(display_sentence(example.generated))
        st.markdown(_("**Generated:** {story}").format(story=generated), unsafe_allow_html=True)
    st.caption(
        _("A human story of these photos: {story}").format(
            story=story_html(" ".join(example.story.original_texts))
        ),
        unsafe_allow_html=True,
    )

st.header(_("Limitations"))
notes = [
    _(
        "One story per album is scored against all of the album's references (AREL protocol); "
        "the VIST challenge protocol (per sequence, max METEOR) gives numbers that are not "
        "comparable."
    ),
    _("The model has no attention: it cannot point at the region a word describes."),
    _("Automatic metrics reward common phrasing; they are a weak proxy for a good story."),
]
if origin.is_demo:
    notes.insert(0, _(results.DEMO_RESULTS_NOTE))
for note in notes:
    st.markdown(f"- {note}")
