"""Thesis results: the presentation view — question, architecture, headline table, examples."""

import json

import streamlit as st

from imgstory.app import explore, results, scoring, state, widgets
from imgstory.errors import UserInputError
from imgstory.paths import DEMO_DIR
from imgstory.text.tokens import display_sentence
from imgstory.viz.architecture import architecture_dot

source = state.current_source(required=False)
results_dir = source.results_dir if source and source.results_dir else DEMO_DIR / "results"
on_demo = source is None or source.is_demo
data_label = source.label if source else "demo pack"

st.title("Does a sequence model tell better photo stories?")
st.markdown(
    "**Question.** Given five ordered photos, can a Seq2Seq network that remembers both the photo "
    "sequence and the story written so far write a coherent five-sentence story — and does its "
    "recurrent cell (LSTM vs GRU) or its decoding (beam search vs greedy) matter?"
)

st.header("Architecture")
diagram, notes = st.columns([3, 2])
diagram.graphviz_chart(architecture_dot("LSTM"), width="stretch")
notes.markdown(
    "- **Photos:** each photo becomes one feature vector (Xception on ImageNet; the offline demo "
    "uses handcrafted colour/texture features).\n"
    "- **Sequence context:** an LSTM reads the five vectors in order.\n"
    "- **Story so far:** word vectors (GloVe 300-d) of the sentences already written, read by "
    "another LSTM.\n"
    "- **Memory and decoder:** photo *i*, the sequence context and the story so far feed a "
    "stacked LSTM that writes sentence *i* word by word (softmax over the vocabulary).\n"
    "- **Baselines:** GRU cells instead of LSTM; greedy decoding instead of beam search."
)

st.header("Headline results")
try:
    long = state.summary(results_dir)
except UserInputError as error:
    long = None
    st.info(f"No saved results to present: {error}")
if long is not None:
    st.caption(
        f"Read from {results_dir / results.SUMMARY_FILE} ({data_label}); {scoring.PROTOCOL_NOTE} "
        "Brackets: 95% bootstrap intervals."
    )
    st.dataframe(results.wide_table(long), hide_index=True, width="stretch")

    st.header("Findings")
    for first, second, topic in [
        ("lstm-beam", "gru-beam", "LSTM vs GRU (both beam search)"),
        ("lstm-beam", "lstm-greedy", "Beam search vs greedy (LSTM)"),
        ("lstm-beam", "random", "Thesis model vs a random training story"),
        ("lstm-beam", "retrieval", "Thesis model vs nearest-neighbour retrieval"),
    ]:
        sentence = results.finding(long, first, second)
        if sentence:
            st.markdown(f"- **{topic}:** {sentence}")

st.header("Example stories")
predictions = results.prediction_files(results_dir)
system = "lstm-beam" if "lstm-beam" in predictions else next(iter(predictions), None)
if system is None or source is None or "test" not in source.sis_files:
    st.info("No saved predictions with their test photos to show.")
else:
    stories = json.loads(predictions[system].read_text(encoding="utf-8"))
    albums = state.sis_file(source.sis_files["test"]).stories_by_album()
    finder = state.source_photo_finder(source)
    shown = [album for album in stories if album in albums][:3]
    st.caption(
        f"Stories written by the {results.system_label(system)}, from "
        f"{predictions[system].name}; photos: the album's first story sequence in the "
        f"{source.label}."
    )
    for album_id in shown:
        story = albums[album_id][0]
        generated = stories[album_id]
        text = generated[0] if isinstance(generated, list) else generated
        sentences = explore.split_story(text)
        st.subheader(f"Album {album_id}")
        slots = explore.story_slots(story, finder)
        if len(sentences) == len(slots):  # one generated sentence under each photo
            widgets.show_photo_strip(
                [slot.path for slot in slots],
                [display_sentence(sentence) for sentence in sentences],
                [f"{slot.position + 1}. {source.photo_credit(slot.photo_id)}" for slot in slots],
            )
        else:
            widgets.show_slots(slots, source.photo_credit)
            st.markdown(f"**Generated:** {display_sentence(text)}")
        st.caption(f"A human story of these photos: {' '.join(story.original_texts)}")

st.header("Limitations")
notes = [
    "One story per album is scored against all of the album's references (AREL protocol); "
    "the VIST challenge protocol (per sequence, max METEOR) gives numbers that are not comparable.",
    "The model has no attention: it cannot point at the region a word describes.",
    "Automatic metrics reward common phrasing; they are a weak proxy for a good story.",
]
if on_demo:
    notes.insert(
        0,
        "These numbers come from the **demo pack**: generated scenes and template stories with "
        "handcrafted features, trained offline. They show the pipeline works end to end; they "
        "say nothing about real VIST (see the published results on the comparison page).",
    )
for note in notes:
    st.markdown(f"- {note}")
