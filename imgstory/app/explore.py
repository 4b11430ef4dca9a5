"""Browsing stories: a searchable story table and the photos of one story (no Streamlit widgets
here; texts in the session's language)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from imgstory.app.i18n import N_, _, ngettext
from imgstory.data.photos import PhotoFinder
from imgstory.data.sis import Story

#: Column names (English, as the code reads them; tables on screen show them translated).
STORY_COLUMNS = (N_("split"), N_("album_id"), N_("story_id"), N_("photo_ids"), N_("text"))


def stories_table(stories: Iterable[Story]) -> pd.DataFrame:
    """One row per story: split, album_id, story_id, photo ids (space separated) and its text."""
    rows = [
        (story.split, story.album_id, story.story_id, " ".join(story.photo_ids), story.story_text)
        for story in stories
    ]
    return pd.DataFrame(rows, columns=list(STORY_COLUMNS))


def filter_stories(
    table: pd.DataFrame, splits: Sequence[str] = (), query: str = ""
) -> pd.DataFrame:
    """Stories in ``splits`` (all when empty) whose text contains every word of ``query``.

    The search is case-insensitive and matches words anywhere in the 5 sentences, album id or
    story id (so pasting an id finds it).
    """
    selected = table[table["split"].isin(splits)] if splits else table
    haystack = (
        selected["text"] + " " + selected["album_id"] + " " + selected["story_id"]
    ).str.lower()
    keep = pd.Series(True, index=selected.index)
    for word in query.lower().split():
        keep &= haystack.str.contains(word, regex=False)
    return selected[keep]


def photos_found(stories: pd.DataFrame, finder: PhotoFinder | None) -> pd.Series:
    """How many of each story's photos exist on disk (0 for every story without a finder)."""
    if finder is None:
        return pd.Series(0, index=stories.index)
    return pd.Series(
        [
            sum(finder.find(photo, split) is not None for photo in photo_ids.split())
            for photo_ids, split in zip(stories["photo_ids"], stories["split"], strict=True)
        ],
        index=stories.index,
        dtype="int64",
    )


def albums_table(stories: pd.DataFrame) -> pd.DataFrame:
    """One row per album of a story table: split, album_id, number of stories, first story."""
    grouped = stories.groupby(["split", "album_id"], sort=False)
    return pd.DataFrame(
        {
            N_("stories shown"): grouped["story_id"].count(),
            N_("first story"): grouped["text"].first().str.slice(0, 120),
        }
    ).reset_index()


def album_choices(albums: pd.DataFrame) -> dict[str, str]:
    """``album_id -> "album (split)"`` for the album picker, built once per run."""
    return {
        album_id: f"{album_id} ({split})"
        for album_id, split in zip(albums["album_id"], albums["split"], strict=True)
    }


def selected_album(albums: pd.DataFrame, selection: dict | None) -> str | None:
    """The album of the table row the user selected (``st.dataframe`` selection), or None."""
    rows = ((selection or {}).get("selection") or {}).get("rows") or []
    if not rows or rows[0] >= len(albums):
        return None
    return str(albums["album_id"].iloc[rows[0]])


def album_heading(album_id: str, split: str, in_album: int, shown: int) -> str:
    """The album's heading: its story count in the file and, when fewer, how many are shown."""
    heading = ngettext(
        "Album {album} ({split}): {n} story", "Album {album} ({split}): {n} stories", in_album
    ).format(album=album_id, split=split, n=in_album)
    if shown < in_album:
        heading += _(", {shown} shown (the others match no search or miss photos)").format(
            shown=shown
        )
    return heading


@dataclass(frozen=True)
class PhotoSlot:
    """One position of a story on screen: the photo (or None when missing) and its sentence."""

    position: int
    photo_id: str
    path: Path | None
    sentence: str


def story_slots(story: Story, finder: PhotoFinder | None) -> list[PhotoSlot]:
    """The photos of a story in order, each with its sentence; a missing file has no path."""
    return [
        PhotoSlot(
            position=position,
            photo_id=photo_id,
            path=finder.find(photo_id, story.split) if finder else None,
            sentence=sentence,
        )
        for position, (photo_id, sentence) in enumerate(
            zip(story.photo_ids, story.original_texts, strict=True)
        )
    ]


def missing_photos(slots: Sequence[PhotoSlot]) -> list[str]:
    """Photo ids of the slots whose file was not found."""
    return [slot.photo_id for slot in slots if slot.path is None]


SENTENCE_ENDS = (".", "!", "?")


def split_story(story: str) -> list[str]:
    """A normalised story cut into sentences at the tokens ``.``, ``!`` and ``?``."""
    sentences, current = [], []
    for token in story.split():
        current.append(token)
        if token in SENTENCE_ENDS:
            sentences.append(" ".join(current))
            current = []
    if current:
        sentences.append(" ".join(current))
    return sentences
