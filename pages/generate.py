"""Generate: upload photos or pick a dataset sequence, choose model and decoding, get a story."""

import streamlit as st

from imgstory.app import explore, generation, models, state, uploads, widgets
from imgstory.decoding import DECODING_HELP, DecodingConfig
from imgstory.errors import UserInputError
from imgstory.images import load_image

RESULTS_KEY = "generated_results"

st.title("Generate a story")
source = state.current_source(required=False)

upload_column, pick_column = st.columns(2)
with upload_column:
    uploaded = st.file_uploader(
        "Your photos, in story order",
        accept_multiple_files=True,
        help=uploads.UPLOAD_HELP,
        key="photos",
    )
with pick_column:
    story = None
    finder = state.source_photo_finder(source) if source else None
    picked_split, picked_id = st.session_state.get(state.PICKED_STORY_KEY, (None, None))
    split = picked_split if source and picked_split in source.sis_files else None
    split = split or (source.default_split if source else None)
    if source is not None and finder is not None and split:
        table = state.stories_table(source, [split])
        table = table[explore.photos_found(table, finder) == 5].set_index("story_id")
        if len(table):
            ids = list(table.index)
            story_id = st.selectbox(
                "…or a sequence from the dataset (used when no photos are uploaded)",
                ids,
                index=ids.index(picked_id) if picked_id in ids else 0,
                format_func=lambda s: f"story {s}: {table.loc[s, 'text'][:70]}…",
                help=f"Stories of the {split} split of the {source.label} whose photos are all "
                "here; the explorer's 'Write a story for these photos' button picks one.",
            )
            story = next(s for s in state.sis_file(source.sis_files[split]).stories
                         if s.story_id == story_id)  # fmt: skip
    if story is None:
        st.info("No dataset sequence with its photos here: upload your own photos.")

photos, labels, album_id, references, problems, origin = [], [], None, [], [], ""
if uploaded:
    checked, problems = uploads.check_uploads([(f.name, f.getvalue()) for f in uploaded])
    photos, labels = [p.image for p in checked], [p.name for p in checked]
    origin = f"your {len(photos)} uploaded photos"
elif story is not None:
    slots = explore.story_slots(story, finder)
    photos = [load_image(slot.path, max_side=uploads.DISPLAY_SIDE) for slot in slots]
    labels, album_id = list(story.photo_ids), story.album_id
    references = state.references(source, story.split).get(story.album_id, [])
    origin = f"story {story.story_id} (album {story.album_id}) of the {source.label}"
for problem in problems:
    st.error(problem)

order_column, preview_column = st.columns([1, 3])
order_text = order_column.text_input(
    "Photo order",
    placeholder=" ".join(str(n) for n in range(1, len(photos) + 1)) or "1 2 3 4 5",
    help="The photos' numbers in story order, e.g. 2 1 3 5 4; empty keeps the order shown.",
    key="order",
)
try:
    order = uploads.parse_order(order_text, len(photos))
except UserInputError as error:
    st.error(str(error))
    order = list(range(len(photos)))
photos, labels = [photos[i] for i in order], [labels[i] for i in order]
if photos:
    with preview_column:
        st.caption(f"Photos: {origin}, in this order:")
        st.image(photos, caption=[f"{n}. {x}" for n, x in enumerate(labels, start=1)], width=110)

choices = models.discover_models()
if not choices:
    st.info(
        "No model to run: build the demo pack (`imgstory demo build`) or set IMGSTORY_MODELS_DIR "
        "to a folder of model directories (from `imgstory train`)."
    )
    st.stop()
by_label = {choice.label: choice for choice in choices}

settings = st.columns([2, 2, 1])
compare = settings[2].toggle(
    "Compare mode",
    key="compare",
    help="Run several models and decodings on the same photos and show the stories side by side.",
)
if compare:
    chosen_models = settings[0].multiselect("Models", list(by_label), default=list(by_label))
    presets = settings[1].multiselect(
        "Decodings",
        list(generation.DECODING_PRESETS),
        default=list(generation.DECODING_PRESETS)[:2],
        help=DECODING_HELP["method"],
    )
    runs = [
        (by_label[m], DecodingConfig(**generation.DECODING_PRESETS[p]))
        for m in chosen_models
        for p in presets
    ]
else:
    demo_photos = not uploaded and story is not None and source.is_demo
    # One widget per kind of photos, so each starts on its own default model.
    model_label = settings[0].selectbox(
        "Model",
        list(by_label),
        index=models.default_model(choices, demo_photos),
        key="model_demo" if demo_photos else "model",
    )
    runs = [(by_label[model_label], widgets.decoding_controls(settings[1]))]
    if by_label[model_label].is_demo and not demo_photos and photos:
        st.warning(models.DRAWN_SCENES_WARNING)

ready = bool(photos) and bool(runs) and not (uploaded and len(uploaded) > uploads.MAX_PHOTOS)
if st.button("Generate story", type="primary", disabled=not ready):
    produced = []
    with st.status("Writing the story…", expanded=False) as status:
        try:
            for choice, decoding in runs:
                status.update(label=f"{choice.label}: loading (once per server) and decoding…")
                produced.append(
                    state.on_model_thread(
                        generation.generate_story,
                        state.storyteller(choice.path),
                        photos,
                        decoding,
                        model_label=choice.label,
                        model_dir=str(choice.path),
                        photo_labels=labels,
                        album_id=album_id,
                    )
                )
            status.update(label="Story written", state="complete")
        except (UserInputError, ValueError, OSError) as error:
            status.update(label="Generation failed", state="error")
            st.error(f"Could not generate: {error}")
    st.session_state[RESULTS_KEY] = dict(
        results=produced, photos=photos, references=references, origin=origin
    )

shown = st.session_state.get(RESULTS_KEY)
if shown and shown["results"]:
    widgets.show_results(**shown)
