"""Dataset explorer: browse albums and their 5-photo stories, search text, see all references."""

import streamlit as st

from imgstory.app import explore, photo_inputs, source_picker, state, widgets
from imgstory.app.i18n import _, ngettext, stories_language_note, story_html, translate_columns

source = source_picker.current_source()
st.title(_("Dataset explorer"))
st.caption(_("Data: {data}").format(data=source.label))

filters = st.columns([1, 2])
with filters[0]:
    splits = st.multiselect(
        _("Splits"),
        source.splits,
        default=[source.default_split],
        help=_("Which split files to browse (sis/{split}.story-in-sequence.json)."),
    )
with filters[1]:
    query = st.text_input(
        _("Search story text"),
        placeholder=_("e.g. beach, birthday cake, or an album / story id"),
        help=_("Every word must appear in one of the album's stories (case-insensitive)."),
    )

finder = state.source_photo_finder(source)
stories = explore.filter_stories(state.source_stories_table(source, splits), splits, query)
if finder is not None and st.toggle(
    _("Only stories whose 5 photos are all here"),
    value=True,
    help=_("Hide stories with photos missing from {folder}.").format(folder=source.images_dir),
):
    stories = stories[explore.photos_found(stories, finder) == 5]
albums = explore.albums_table(stories)
st.markdown(
    ngettext(
        "**{albums} album, {stories} stories** match.",
        "**{albums} albums, {stories} stories** match.",
        len(albums),
    ).format(albums=len(albums), stories=len(stories))
)
if albums.empty:
    st.info(_("No story matches: pick more splits or change the search words."))
    st.stop()

selection = st.dataframe(
    translate_columns(albums),
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
    _("Album"),
    list(labels),
    format_func=labels.get,
    key="album",
    help=_("Or click a row of the table."),
)
split = albums.set_index("album_id").loc[album_id, "split"]
in_album = state.sis_file(source.sis_files[split]).stories_by_album()[album_id]
shown_ids = set(stories["story_id"])
album_stories = [story for story in in_album if story.story_id in shown_ids]
if finder is None:
    st.info(
        _("{folder} has no images/ folder: stories are shown without their photos.").format(
            folder=source.root.name
        )
    )

st.subheader(explore.album_heading(album_id, split, len(in_album), len(album_stories)))
tabs = st.tabs([_("Story {story}").format(story=story.story_id) for story in album_stories])
for tab, story in zip(tabs, album_stories, strict=True):
    with tab:
        slots = explore.story_slots(story, finder)
        missing = explore.missing_photos(slots)
        if missing and finder is not None:
            st.warning(
                ngettext(
                    "{missing} of {total} photo is missing from {folder}/: {photos} (some VIST "
                    "photos left Flickr).",
                    "{missing} of {total} photos are missing from {folder}/: {photos} (some VIST "
                    "photos left Flickr).",
                    len(slots),
                ).format(
                    missing=len(missing),
                    total=len(slots),
                    folder=source.images_dir.name,
                    photos=", ".join(missing),
                )
            )
        widgets.show_slots(slots, source.photo_credit, key=story.story_id)
        if not missing and st.button(
            _("Write a story for these photos"),
            key=f"generate-{story.story_id}",
            icon=":material/edit_note:",
        ):
            st.session_state[photo_inputs.PICKED_STORY_KEY] = (story.split, story.story_id)
            st.session_state[photo_inputs.PHOTO_SOURCE_KEY] = photo_inputs.DATASET
            st.switch_page("app_pages/generate.py")
        st.caption(
            _("Normalised text (what the models learn and are scored on): {text}").format(
                text=story_html(story.story_text)
            ),
            unsafe_allow_html=True,
        )

with st.expander(_("All reference stories of this album (AREL format)"), expanded=True):
    album_references = state.references(source, split).get(album_id, [])
    origin = source.reference_files.get(split, source.sis_files[split])
    st.caption(
        ngettext(
            "{n} reference from {file}", "{n} references from {file}", len(album_references)
        ).format(n=len(album_references), file=origin.name)
    )
    stories_language_note()
    for number, reference in enumerate(album_references, start=1):
        st.markdown(f"{number}. {story_html(reference)}", unsafe_allow_html=True)
