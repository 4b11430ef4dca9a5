"""What the Generate page writes a story for: uploaded photos or a dataset sequence, in order.

The page picks one kind of input explicitly (never a silent fallback from one to the other),
and Generate is ready only when the photos, their order and the runs are all valid.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from imgstory.app import explore, uploads
from imgstory.app.i18n import N_, _, error_text, ngettext
from imgstory.data.photos import PhotoFinder
from imgstory.data.sis import Story
from imgstory.errors import UserInputError
from imgstory.images import load_image

UPLOAD = N_("My photos")
DATASET = N_("A dataset sequence")
PHOTO_SOURCES = (UPLOAD, DATASET)
#: Session key of what the Generate page writes for (:data:`UPLOAD` or :data:`DATASET`).
PHOTO_SOURCE_KEY = "photo_source"
#: Session key of the (split, story_id) the explorer hands to the Generate page.
PICKED_STORY_KEY = "picked_story"
PHOTO_SOURCE_HELP = N_(
    "My photos: the photos you upload below. A dataset sequence: five photos of a story of the "
    "chosen data source, scored against its album's reference stories."
)


@dataclass(frozen=True)
class PhotoInputs:
    """The photos a story is written for, in story order, and where they came from."""

    photos: tuple[Any, ...] = ()
    labels: tuple[str, ...] = ()
    origin: str = ""
    album_id: str | None = None
    split: str | None = None
    problems: tuple[str, ...] = ()
    #: What these photos are, in this order (the uploads' bytes, or the story's id): a story
    #: generated for other inputs is never shown for these. Empty when there is no photo.
    identity: str = ""


@dataclass(frozen=True)
class GeneratedStories:
    """Stories written on a press of Generate, with the inputs they were written for."""

    identity: str
    results: tuple[Any, ...]
    photos: tuple[Any, ...]
    references: tuple[str, ...]
    origin: str


def generated_for(stored: GeneratedStories | None, inputs: PhotoInputs) -> GeneratedStories | None:
    """``stored`` when it was written for exactly ``inputs`` (same photos, same order) and holds
    a story; None otherwise: after another sequence, other uploads or no photo at all, the page
    shows no story of earlier inputs."""
    if stored is None or not stored.results or not inputs.identity:
        return None
    return stored if stored.identity == inputs.identity else None


def from_uploads(files: Sequence[tuple[str, bytes]]) -> PhotoInputs:
    """Checked uploads (``(name, bytes)``): the photos that passed and a line per refused file."""
    checked, problems = uploads.check_uploads(list(files))
    digest = hashlib.sha256()
    for photo in checked:
        digest.update(hashlib.sha256(photo.name.encode() + b"\0" + photo.data).digest())
    return PhotoInputs(
        photos=tuple(photo.image for photo in checked),
        labels=tuple(photo.name for photo in checked),
        origin=ngettext("your {n} uploaded photo", "your {n} uploaded photos", len(checked)).format(
            n=len(checked)
        ),
        problems=tuple(problems),
        identity=f"uploads:{digest.hexdigest()}" if checked else "",
    )


def from_story(story: Story, finder: PhotoFinder | None, source_label: str) -> PhotoInputs:
    """A dataset story's five photos (decoded at display size)."""
    slots = explore.story_slots(story, finder)
    missing = explore.missing_photos(slots)
    if missing:
        raise UserInputError(
            N_(
                "story {story}: photos {photos} are not in the data source's photo folder; pick "
                "another sequence"
            ),
            story=story.story_id,
            photos=", ".join(missing),
        )
    return PhotoInputs(
        photos=tuple(load_image(slot.path, max_side=uploads.DISPLAY_SIDE) for slot in slots),
        labels=tuple(story.photo_ids),
        origin=_("story {story} (album {album}) of the {data}").format(
            story=story.story_id, album=story.album_id, data=source_label
        ),
        album_id=story.album_id,
        split=story.split,
        identity=f"story:{source_label}:{story.split}:{story.story_id}",
    )


def find_story(stories: Sequence[Story], story_id: str) -> Story:
    """The story with ``story_id``.

    Raises:
        UserInputError: no such story (the file changed since the page listed it).
    """
    for story in stories:
        if story.story_id == story_id:
            return story
    raise UserInputError(
        N_("story {story} is not in the story file any more: pick another one"), story=story_id
    )


def sequence_choices(
    table: pd.DataFrame, width: int = 70, keep: str | None = None
) -> dict[str, str]:
    """``story_id -> "story id: first words…"`` for a picker, one per distinct photo sequence
    (VIST tells most sequences several times: one story stands for them, its label says how
    many more there are), built once (no per-option lookup).

    Args:
        keep: a story that stands for its sequence (the one the explorer handed over); the
            others are represented by their first story.
    """
    template = _("story {story}: {text}…")
    ranked = table.assign(_kept=table["story_id"] != keep).sort_values("_kept", kind="stable")
    first = ranked.drop_duplicates("photo_ids").sort_index()
    others = table.groupby("photo_ids", sort=False)["story_id"].size() - 1
    labels = {}
    for story_id, photos, text in zip(
        first["story_id"], first["photo_ids"], first["text"], strict=True
    ):
        label = template.format(story=story_id, text=text[:width])
        if others[photos]:
            label += " " + ngettext(
                "(and {n} more story of these photos)",
                "(and {n} more stories of these photos)",
                int(others[photos]),
            ).format(n=int(others[photos]))
        labels[story_id] = label
    return labels


def ordered(inputs: PhotoInputs, order_text: str) -> tuple[PhotoInputs, str | None]:
    """The photos in the typed order, or unchanged with the reason the order is invalid."""
    try:
        order = uploads.parse_order(order_text, len(inputs.photos))
    except UserInputError as error:
        return inputs, error_text(error)
    return replace(
        inputs,
        photos=tuple(inputs.photos[i] for i in order),
        labels=tuple(inputs.labels[i] for i in order),
        identity=f"{inputs.identity}|order:{','.join(map(str, order))}" if inputs.identity else "",
    ), None


def not_ready(
    inputs: PhotoInputs, runs: int, order_error: str | None, uploaded: int, kind: str
) -> str | None:
    """Why Generate cannot run now (None when it can): the button is disabled with this reason.

    Args:
        uploaded: how many files the uploader holds (accepted by Streamlit's size limit).
        kind: :data:`UPLOAD` or :data:`DATASET`.
    """
    if kind == UPLOAD and uploaded > uploads.MAX_PHOTOS:
        return _("at most {most} photos: remove {extra}").format(
            most=uploads.MAX_PHOTOS, extra=uploaded - uploads.MAX_PHOTOS
        )
    if not inputs.photos:
        if kind == UPLOAD:
            return _(
                "no photo to write about: upload 1-10 photos (a file over {mb} MB is refused by "
                "the uploader itself and marked in red there; the page never sees it)"
            ).format(mb=uploads.MAX_PHOTO_MB)
        return _("no dataset sequence with all its photos here: upload your own photos")
    if order_error:
        return _("the photo order is invalid: {problem}").format(problem=order_error)
    if not runs:
        return _("choose at least one model and one decoding")
    return None
