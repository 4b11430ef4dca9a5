"""Example stories for the Thesis page: generated stories beside the photos they were written for.

An album is shown through one of its story sequences whose five photos are all present in the
data source, so every example shows real photos (or the demo pack's scenes) and never an empty
heading.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from imgstory.app.explore import PhotoSlot, story_slots
from imgstory.data.photos import PhotoFinder
from imgstory.data.sis import Story

EXAMPLES_SHOWN = 3


@dataclass(frozen=True)
class Example:
    """A generated story, the human story sequence whose photos it is shown under."""

    album_id: str
    generated: str
    story: Story
    slots: list[PhotoSlot]


def generated_text(value: str | Sequence[str]) -> str:
    """A prediction's story: AREL files hold ``album -> [story]`` or ``album -> story``."""
    return value if isinstance(value, str) else (value[0] if value else "")


def examples(
    generated: Mapping[str, str | Sequence[str]],
    stories_by_album: Mapping[str, Sequence[Story]],
    finder: PhotoFinder | None,
    limit: int = EXAMPLES_SHOWN,
) -> list[Example]:
    """Up to ``limit`` albums with a generated story and a sequence whose photos are all here.

    Args:
        generated: album id -> generated story (AREL predictions, or a results document's).
        stories_by_album: the data source's stories of the split, by album.
        finder: the source's photo lookup (None: no photos, so no examples).
    """
    found = []
    if finder is None:
        return found
    for album_id, value in generated.items():
        for story in stories_by_album.get(album_id, ()):
            slots = story_slots(story, finder)
            if all(slot.path is not None for slot in slots):
                found.append(Example(album_id, generated_text(value), story, slots))
                break
        if len(found) == limit:
            break
    return found


def preferred_system(systems: Sequence[str], wanted: Sequence[str]) -> str | None:
    """The first of ``wanted`` found in ``systems`` (else the first system; None when empty)."""
    return next((name for name in wanted if name in systems), next(iter(systems), None))
