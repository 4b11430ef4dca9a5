"""AREL-format reference files: ``{album_id: [story, ...]}``, one normalised story per string."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from imgstory.data.sis import Story
from imgstory.errors import UserInputError
from imgstory.i18n import N_
from imgstory.jsonfile import read_json
from imgstory.outputs import write_text_atomic

REFERENCE_FORMAT = N_('an AREL reference file: {"album_id": ["story", ...], ...}')


def load_references(path: str | Path) -> dict[str, list[str]]:
    """Load ``album_id -> [reference story, ...]``; stories are stripped of outer spaces.

    Raises:
        UserInputError: not JSON, not an object of string lists, or an empty file.
    """
    path = Path(path)
    document = read_json(path, REFERENCE_FORMAT)
    if not isinstance(document, dict):
        raise UserInputError(
            f"{path}: expected {REFERENCE_FORMAT}, found a {type(document).__name__}"
            + (" (is this a SIS file? use its AREL reference file)" if _looks_sis(document) else "")
        )
    if _looks_sis(document):
        raise UserInputError(
            f"{path}: this is a VIST story-in-sequence file, not {REFERENCE_FORMAT}; "
            "convert it with `imgstory data references`"
        )
    references: dict[str, list[str]] = {}
    for album_id, stories in document.items():
        if isinstance(stories, str):
            stories = [stories]
        if not isinstance(stories, list) or not all(isinstance(s, str) for s in stories):
            raise UserInputError(
                f"{path}: album {album_id!r} must map to a list of story strings, "
                f"found {json.dumps(stories)[:60]}"
            )
        kept = [story.strip() for story in stories if story.strip()]
        if not kept:
            raise UserInputError(f"{path}: album {album_id!r} has no non-empty reference story")
        references[str(album_id)] = kept
    if not references:
        raise UserInputError(f"{path}: no albums; expected {REFERENCE_FORMAT}")
    return references


def _looks_sis(document: object) -> bool:
    return isinstance(document, dict) and "annotations" in document


def references_from_stories(stories: Iterable[Story]) -> dict[str, list[str]]:
    """Group stories by album into the AREL reference form (album order = first appearance)."""
    references: dict[str, list[str]] = {}
    for story in stories:
        references.setdefault(story.album_id, []).append(story.story_text)
    return references


def write_references(references: dict[str, list[str]], path: str | Path) -> Path:
    """Write an AREL-format reference file (UTF-8, stable key order) through an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_text_atomic(path, json.dumps(references, ensure_ascii=False, indent=1) + "\n")
