"""The data source a session reads: chosen in the router's sidebar (:func:`select_source`),
read by the pages (:func:`current_source`)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from imgstory.app import sources
from imgstory.app.exposure import served_beyond_this_machine
from imgstory.app.i18n import _, error_text, translated_choice
from imgstory.errors import UserInputError

SOURCE_KEY = "data_source"
SOURCE_ERROR_KEY = "data_source_error"
#: The sidebar's data source choice (demo pack or VIST folder).
SOURCE_KIND_KEY = "source_kind"


def select_source() -> None:
    """Sidebar controls of the router: pick the demo pack or a VIST folder; remember the choice."""
    with st.sidebar:
        st.subheader(_("Data"))
        default_folder = sources.default_folder()
        kind = st.radio(
            _("Data source"),
            sources.SOURCE_KINDS,
            format_func=_,
            key=translated_choice(
                SOURCE_KIND_KEY, sources.VIST_FOLDER if default_folder else sources.DEMO
            ),
            help=_(sources.SOURCE_HELP),
        )
        folder = _vist_folder(default_folder) if kind == sources.VIST_FOLDER else ""
    try:
        st.session_state[SOURCE_KEY] = sources.choose_source(kind, folder)
        st.session_state[SOURCE_ERROR_KEY] = None
    except UserInputError as error:
        st.session_state[SOURCE_KEY] = None
        st.session_state[SOURCE_ERROR_KEY] = error_text(error)
    with st.sidebar:
        chosen = st.session_state[SOURCE_KEY]
        if chosen is not None:
            st.caption(
                _("Showing: {data} — splits {splits}").format(
                    data=chosen.label, splits=", ".join(chosen.splits)
                )
            )
        else:
            st.warning(st.session_state[SOURCE_ERROR_KEY])


def _vist_folder(default_folder: str) -> str:
    """The VIST folder field: a free path here, only the folder given at start when served."""
    if served_beyond_this_machine():
        return (
            st.selectbox(
                _("VIST folder"),
                [default_folder] if default_folder else [],
                format_func=lambda path: Path(path).name,
                key="vist_folder_served",
                placeholder=_("none given at start"),
                help=_(
                    "served on a network, the app reads only the VIST folder given when it was "
                    "started (IMGSTORY_VIST_DIR)"
                ),
            )
            or ""
        )
    return st.text_input(
        _("VIST folder"),
        value=default_folder,
        key="vist_folder",
        placeholder=_("/path/to/vist (holds sis/ and images/)"),
        help=_(sources.SOURCE_HELP),
    )


def current_source(required: bool = True) -> sources.DataSource | None:
    """The chosen data source; when there is none and ``required``, say why and stop the page."""
    if SOURCE_KEY not in st.session_state:
        try:
            st.session_state[SOURCE_KEY] = sources.choose_source(
                sources.VIST_FOLDER if sources.default_folder() else sources.DEMO,
                sources.default_folder(),
            )
        except UserInputError as error:
            st.session_state[SOURCE_KEY] = None
            st.session_state[SOURCE_ERROR_KEY] = error_text(error)
    chosen = st.session_state[SOURCE_KEY]
    if chosen is None and required:
        st.info(
            _("No data to show: {reason}. Pick another data source in the sidebar.").format(
                reason=st.session_state.get(SOURCE_ERROR_KEY)
            )
        )
        st.stop()
    return chosen
