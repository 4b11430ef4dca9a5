"""Dataset explorer: browse albums and their 5-photo stories, search text, see all references."""

import streamlit as st

from imgstory.app import explore, photo_inputs, state, widgets

source = state.current_source()
st.title("Dataset explorer")
st.caption(f"Data: {source.label}")

filters = st.columns([1, 2])
with filters[0]:
    splits = st.multiselect(
        "Splits",
        source.splits,
        default=[source.default_split],
        help="Which split files to browse (sis/{split}.story-in-sequence.json).",
    )
with filters[1]:
    query = st.text_input(
        "Search story text",
        placeholder="e.g. beach, birthday cake, or an album / story id",
        help="Every word must appear in one of the album's stories (case-insensitive).",
    )

finder = state.source_photo_finder(source)
stories = explore.filter_stories(state.stories_table(source, splits), splits, query)
if finder is not None and st.toggle(
    "Only stories whose 5 photos are all here",
    value=True,
    help=f"Hide stories with photos missing from {source.images_dir}.",
):
    stories = stories[explore.photos_found(stories, finder) == 5]
albums = explore.albums_table(stories)
st.markdown(f"**{len(albums)} albums, {len(stories)} stories** match.")
if albums.empty:
    st.info("No story matches: pick more splits or change the search words.")
    st.stop()

selection = st.dataframe(
    albums,
    hide_index=True,
    width="stretch",
    height=220,
    on_select="rerun",
    selection_mode="single-row",
    key="album_table",
)
clicked = explore.selected_album(albums, selection)
if clicked is not None and clicked != st.session_state.get("album_clicked"):
    st.session_state["album_clicked"] = clicked  # a new row click selects its album
    st.session_state["album"] = clicked
labels = explore.album_choices(albums)
if st.session_state.get("album") not in labels:  # filtered out since it was chosen
    st.session_state.pop("album", None)
album_id = st.selectbox(
    "Album",
    list(labels),
    format_func=labels.get,
    key="album",
    help="Or click a row of the table.",
)
split = albums.set_index("album_id").loc[album_id, "split"]
in_album = state.sis_file(source.sis_files[split]).stories_by_album()[album_id]
shown_ids = set(stories["story_id"])
album_stories = [story for story in in_album if story.story_id in shown_ids]
if finder is None:
    st.info(f"{source.root.name} has no images/ folder: stories are shown without their photos.")

st.subheader(explore.album_heading(album_id, split, len(in_album), len(album_stories)))
tabs = st.tabs([f"Story {story.story_id}" for story in album_stories])
for tab, story in zip(tabs, album_stories, strict=True):
    with tab:
        slots = explore.story_slots(story, finder)
        missing = explore.missing_photos(slots)
        if missing and finder is not None:
            st.warning(
                f"{len(missing)} of {len(slots)} photos are missing from "
                f"{source.images_dir.name}/: "
                f"{', '.join(missing)} (some VIST photos left Flickr)."
            )
        widgets.show_slots(slots, source.photo_credit)
        if not missing and st.button(
            "Write a story for these photos",
            key=f"generate-{story.story_id}",
            icon=":material/edit_note:",
        ):
            st.session_state[state.PICKED_STORY_KEY] = (story.split, story.story_id)
            st.session_state[state.PHOTO_SOURCE_KEY] = photo_inputs.DATASET
            st.switch_page("app_pages/generate.py")
        st.caption(f"Normalised text (what the models learn and are scored on): {story.story_text}")

with st.expander("All reference stories of this album (AREL format)", expanded=True):
    album_references = state.references(source, split).get(album_id, [])
    origin = source.reference_files.get(split, source.sis_files[split])
    st.caption(f"{len(album_references)} references from {origin.name}")
    for number, reference in enumerate(album_references, start=1):
        st.markdown(f"{number}. {reference}")
