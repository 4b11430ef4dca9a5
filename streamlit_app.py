"""IMG_Story's Streamlit app: the router. Run with ``streamlit run streamlit_app.py``.

It builds the navigation once, puts the shared data-source controls in the sidebar and runs the
page the user chose; the pages themselves live in ``pages/``.
"""

from __future__ import annotations

import streamlit as st

from imgstory.app.state import select_source

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page(
        "pages/explore.py", title="Dataset explorer", icon=":material/search:", url_path="explore"
    ),
    st.Page(
        "pages/generate.py", title="Generate", icon=":material/edit_note:", url_path="generate"
    ),
    st.Page(
        "pages/features.py",
        title="Feature plots",
        icon=":material/scatter_plot:",
        url_path="features",
    ),
    st.Page(
        "pages/compare.py",
        title="Model comparison",
        icon=":material/bar_chart:",
        url_path="compare",
    ),
    st.Page("pages/thesis.py", title="Thesis results", icon=":material/school:", url_path="thesis"),
]


def run() -> None:
    """Configure the page, draw the shared sidebar and run the selected page."""
    st.set_page_config(page_title="IMG_Story", page_icon=":material/auto_stories:", layout="wide")
    page = st.navigation(PAGES)
    select_source()
    page.run()


run()
