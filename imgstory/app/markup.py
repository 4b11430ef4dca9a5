"""User text inside Streamlit's Markdown, shown exactly as typed and never as markup.

Streamlit draws ``st.markdown``, ``st.caption``, ``st.success``/``st.error`` and ``st.table``
cells as Markdown: a study, system or rater name, a story or a file name holding
``![x](http://host/a.png)`` would otherwise make the visitor's browser fetch that address.
"""

from __future__ import annotations

import html
import re

#: Characters that start Markdown (and Streamlit's LaTeX) markup; HTML's are escaped as entities.
_MARKDOWN_ACTIVE = re.compile(r"([\\`*_\[\]!#|~$^{}])")


def literal(text: object) -> str:
    """``text`` escaped for Streamlit's Markdown: HTML special characters as entities, the
    Markdown ones backslash-escaped, so links, images, emphasis and HTML are shown as typed
    (``*hi*`` stays ``*hi*``, never *hi*; an image is never fetched).
    """
    return _MARKDOWN_ACTIVE.sub(r"\\\1", html.escape(str(text), quote=False))
