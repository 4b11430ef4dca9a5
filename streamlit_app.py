"""IMG_Story's Streamlit app: the router. Run with ``streamlit run streamlit_app.py``.

It builds the navigation once, puts the shared controls (language, data source) in the sidebar
and runs the page the user chose; the pages themselves live in ``app_pages/``. Not ``pages/``:
Streamlit treats a ``pages/`` folder as a legacy multipage app, and a first visit straight to a
page's URL then runs that page without this router (no sidebar controls, no layout).
"""

from __future__ import annotations

import streamlit as st

from imgstory.app import navigation
from imgstory.app.exposure import stop_address_lookups
from imgstory.app.i18n import _, language_switch, streamlit_texts
from imgstory.app.source_picker import select_source
from imgstory.app.uploads import MAX_PHOTO_MB
from imgstory.app.warmup import background_imports_finished
from imgstory.paths import ASSETS_DIR

FAVICON = ASSETS_DIR / "app" / "favicon.png"


def pages() -> list[st.Page]:
    """The app's pages (:data:`navigation.PAGES`), titled in the session's language (a page's
    URL never changes)."""
    return [
        st.Page(
            page.script,
            title=_(page.title),
            icon=f":material/{page.icon}:",
            **({"default": True} if page is navigation.HOME else {"url_path": page.name}),
        )
        for page in navigation.PAGES
    ]


def run() -> None:
    """Configure the page, draw the shared sidebar (language, data) and run the selected page."""
    # A local file: an emoji or :material: favicon makes the browser ask a font server for it.
    st.set_page_config(page_title="IMG_Story", page_icon=str(FAVICON), layout="wide")
    stop_address_lookups()  # nothing leaves the machine, even to check a request's origin
    page = st.navigation(pages())
    language_switch()
    streamlit_texts(MAX_PHOTO_MB)
    select_source()
    background_imports_finished()  # a page never imports what a warm-up thread is importing
    page.run()


run()
