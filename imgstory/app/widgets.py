"""Streamlit pieces shared by several pages: a story shown as photos with sentences underneath."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import streamlit as st

from imgstory.app.explore import PhotoSlot


def show_photo_strip(
    photos: Sequence[Any],
    sentences: Sequence[str],
    captions: Sequence[str],
) -> None:
    """Photos side by side (stacked on a phone), each with its caption and sentence under it.

    ``photos`` holds paths, PIL images or bytes; None marks a missing photo, shown as such.
    """
    columns = st.columns(max(1, len(photos)))
    for column, photo, caption, sentence in zip(columns, photos, captions, sentences, strict=True):
        with column:
            if photo is None:
                with st.container(border=True):
                    st.markdown("🖼️ **photo missing**")
                    st.caption(caption)
            else:
                st.image(str(photo) if isinstance(photo, Path) else photo, caption=caption)
            st.markdown(sentence)


def show_slots(slots: Sequence[PhotoSlot], credit) -> None:
    """A dataset story: each photo (or a 'missing' note) with its Flickr credit and sentence."""
    show_photo_strip(
        [slot.path for slot in slots],
        [slot.sentence for slot in slots],
        [f"{slot.position + 1}. {credit(slot.photo_id)}" for slot in slots],
    )
