"""Home: what IMG_Story does, the architecture, which data and models are loaded, links."""

import streamlit as st

from imgstory.app import models, state
from imgstory.viz.architecture import architecture_dot

st.title("IMG_Story — visual storytelling")
st.markdown(
    "Give IMG_Story an ordered sequence of photos and it writes a short story, **one sentence per "
    "photo**, the task of the VIST benchmark (Huang et al., NAACL 2016). The thesis model is a "
    "sequence-to-sequence network: an image encoder turns each photo into a feature vector, an "
    "LSTM reads the photo sequence, another LSTM reads the story written so far, and a stacked "
    "LSTM decoder joins both to write the next sentence. Everything runs on this machine."
)

left, right = st.columns([3, 2])
with left:
    st.subheader("Architecture")
    st.graphviz_chart(architecture_dot("LSTM"), width="stretch")
    st.caption(
        "Seq2Seq storyteller as trained by `imgstory train` (the GRU baseline swaps every LSTM "
        "for a GRU; the Greedy baseline decodes the same model greedily instead of beam search)."
    )
with right:
    st.subheader("Loaded now")
    source = state.current_source(required=False)
    if source is None:
        st.info(f"No data source: {st.session_state.get(state.SOURCE_ERROR_KEY)}")
    else:
        st.markdown(f"**Data:** {source.label}")
        for split, (albums, stories) in state.split_counts(source).items():
            st.markdown(f"- {split}: {albums} albums, {stories} stories")
        if source.is_demo:
            st.caption(
                "The demo pack is generated (drawn scenes, template stories) so the app works "
                "offline; its numbers are not comparable with results on real VIST."
            )
    choices = models.discover_models()
    if choices:
        st.markdown("**Models:**")
        for choice in choices:
            facts = models.card_summary(choice.card())
            st.markdown(f"- {choice.label}" + (f" — {facts}" if facts else ""))
    else:
        st.info(
            "No model found: build the demo pack (`imgstory demo build`) or set "
            "IMGSTORY_MODELS_DIR to a folder of model directories."
        )

st.subheader("Pages")
links = st.columns(5)
for column, (page, label, what) in zip(
    links,
    [
        ("app_pages/explore.py", "Dataset explorer", "albums, photos and their stories"),
        ("app_pages/generate.py", "Generate", "upload photos and get a story"),
        ("app_pages/features.py", "Feature plots", "maps and similarities of photo features"),
        ("app_pages/compare.py", "Model comparison", "metrics with intervals, published results"),
        ("app_pages/thesis.py", "Thesis results", "the presentation view"),
    ],
    strict=True,
):
    with column:
        st.page_link(page, label=label, icon=":material/arrow_forward:")
        st.caption(what)
