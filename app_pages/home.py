"""Home: what IMG_Story does, the architecture, which data and models are loaded, links."""

import streamlit as st

from imgstory.app import models, navigation, source_picker, state
from imgstory.app.i18n import _, ngettext
from imgstory.viz.architecture import architecture_dot

st.title(_("IMG_Story — visual storytelling"))
st.markdown(
    _(
        "Give IMG_Story an ordered sequence of photos and it writes a short story, **one sentence "
        "per photo**, the task of the VIST benchmark (Huang et al., NAACL 2016). The thesis model "
        "is a sequence-to-sequence network: an image encoder turns each photo into a feature "
        "vector, an LSTM reads the photo sequence, another LSTM reads the story written so far, "
        "and a stacked LSTM decoder joins both to write the next sentence. Everything runs on "
        "this machine."
    )
)

left, right = st.columns([3, 2])
with left:
    st.subheader(_("Architecture"))
    st.graphviz_chart(architecture_dot("LSTM", translate=_), width="stretch")
    st.caption(
        _(
            "Seq2Seq storyteller as trained by `imgstory train` (the GRU baseline swaps every "
            "LSTM for a GRU; the thesis decoded with beam search and compared greedy decoding of "
            "the same model; greedy is now the default, chosen on held-out VIST val albums)."
        )
    )
with right:
    st.subheader(_("Loaded now"))
    source = source_picker.current_source(required=False)
    if source is None:
        st.info(
            _("No data source: {reason}").format(
                reason=st.session_state.get(source_picker.SOURCE_ERROR_KEY)
            )
        )
    else:
        st.markdown(_("**Data:** {data}").format(data=source.label))
        for split, (albums, stories) in state.split_counts(source).items():
            counts = ngettext("{n} album", "{n} albums", albums).format(n=albums)
            counts += ", " + ngettext("{n} story", "{n} stories", stories).format(n=stories)
            st.markdown(f"- {split}: {counts}")
        if source.is_demo:
            st.caption(
                _(
                    "The demo pack is generated (drawn scenes, template stories) so the app works "
                    "offline; its numbers are not comparable with results on real VIST."
                )
            )
    choices = models.discover_models()
    if choices:
        st.markdown(_("**Models:**"))
        for choice in choices:
            facts = models.card_summary(choice.card())
            st.markdown(f"- {choice.title}" + (f" — {facts}" if facts else ""))
    else:
        st.info(
            _(
                "No model found: build the demo pack (`imgstory demo build`) or set "
                "IMGSTORY_MODELS_DIR to a folder of model directories."
            )
        )

st.subheader(_("Pages"))
links = st.columns(3)  # two rows: the longer (Russian) page names fit
for index, page in enumerate(p for p in navigation.PAGES if p is not navigation.HOME):
    with links[index % len(links)]:
        st.page_link(page.script, label=_(page.title), icon=":material/arrow_forward:")
        st.caption(_(page.summary))
