"""VIST story-in-sequence (SIS) files: typed stories and albums, loaded with per-story checks.

A story is 5 photos in ``worker_arranged_photo_order`` with one sentence each. Annotations that
cannot form a valid story are skipped and reported (:class:`SkippedStory`), never fatal; a file
that is not a SIS file at all raises :class:`~imgstory.errors.UserInputError`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imgstory.data.vist_json import (
    album_photos,
    annotation_list,
    as_id,
    image_album,
    split_from_filename,
    unwrap_annotation,
)
from imgstory.jsonfile import read_json_streamed

SIS_SUFFIX = ".story-in-sequence.json"
STORY_LENGTH = 5
REQUIRED_TEXT_FIELDS = ("text", "original_text")


@dataclass(frozen=True, slots=True)
class Story:
    """One VIST story: 5 photos in the worker's order, one sentence per photo."""

    story_id: str
    album_id: str
    split: str
    photo_ids: tuple[str, ...]
    texts: tuple[str, ...]
    original_texts: tuple[str, ...]

    @property
    def story_text(self) -> str:
        """The 5 normalised sentences joined with spaces (the AREL reference form)."""
        return " ".join(self.texts)


@dataclass(frozen=True, slots=True)
class SkippedStory:
    """A story (or a stray annotation) that was left out, and why."""

    story_id: str
    album_id: str
    reason: str
    kind: str = "bad annotation"


@dataclass(frozen=True, slots=True)
class Album:
    """An album: its stories and every photo the ``images`` list assigns to it."""

    album_id: str
    story_ids: tuple[str, ...]
    photo_ids: tuple[str, ...]


@dataclass
class SisFile:
    """A loaded SIS file: valid stories in file order plus what was skipped."""

    path: Path
    split: str
    stories: list[Story]
    skipped: list[SkippedStory] = field(default_factory=list)
    album_photo_ids: dict[str, list[str]] = field(default_factory=dict)

    def stories_by_album(self) -> dict[str, list[Story]]:
        """``album_id -> stories`` in file order."""
        grouped: dict[str, list[Story]] = {}
        for story in self.stories:
            grouped.setdefault(story.album_id, []).append(story)
        return grouped

    def album_ids(self) -> list[str]:
        """Album ids that have at least one valid story, in file order."""
        return list(self.stories_by_album())

    def albums(self) -> dict[str, Album]:
        """``album_id -> Album`` (stories and the album's photos from the ``images`` list)."""
        result = {}
        for album_id, stories in self.stories_by_album().items():
            photos = self.album_photo_ids.get(album_id) or _unique(
                photo for story in stories for photo in story.photo_ids
            )
            result[album_id] = Album(album_id, tuple(s.story_id for s in stories), tuple(photos))
        return result

    def photo_ids(self) -> list[str]:
        """Distinct photo ids used by the valid stories, in first-use order."""
        return _unique(photo for story in self.stories for photo in story.photo_ids)

    def skipped_reasons(self) -> dict[str, int]:
        """How many stories were skipped for each kind of problem."""
        return dict(Counter(skip.kind for skip in self.skipped))


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


@dataclass(frozen=True, slots=True)
class _Sentence:
    """What a story needs of one annotation, kept while the file is read (``problem``: why not)."""

    position: int
    story_id: str
    album_id: str | None
    order: Any = None
    photo_id: str = ""
    text: str = ""
    original_text: str = ""
    problem: str | None = None


def load_sis(path: str | Path, split: str | None = None) -> SisFile:
    """Load an official ``{split}.story-in-sequence.json`` into typed stories.

    The file is read a chunk at a time and each annotation reduced to what a story needs as
    soon as it is parsed, so loading costs about twice the file's size at most.

    Args:
        path: the SIS file.
        split: the split name; by default taken from the file name (``test`` for
            ``test.story-in-sequence.json``).

    Returns:
        The valid stories in file order; every story that could not be formed (a missing or
        mistyped field, not 5 photos, two photos at one position, mixed albums) is in
        ``skipped`` with a reason naming the story and the field.

    Raises:
        UserInputError: the file is missing, not JSON, or not in the SIS layout.
    """
    path = Path(path)
    split = split or split_from_filename(path, SIS_SUFFIX)
    reader = _SentenceReader()
    document = read_json_streamed(
        path,
        "a VIST story-in-sequence file",
        {"annotations": reader, "images": image_album, "albums": lambda position, album: None},
    )
    sentences: dict[str, list[_Sentence]] = {}
    for line in annotation_list(document, path, "story-in-sequence"):
        sentences.setdefault(line.story_id, []).append(line)
    stories = _form_stories(sentences, split, reader.skipped)
    return SisFile(path, split, stories, reader.skipped, album_photos(document, path))


class _SentenceReader:
    """Reduces each annotation to a :class:`_Sentence` as it is parsed; one that names no story
    goes to ``skipped``. Ids are interned: one string per distinct id, however often it repeats.
    """

    def __init__(self) -> None:
        self.skipped: list[SkippedStory] = []
        self.shared: dict[str, str] = {}

    def __call__(self, position: int, entry: Any) -> _Sentence | None:
        """The sentence of the ``position``-th annotation (its ``problem`` set when a field is
        wrong), or ``None`` when it names no story."""
        annotation = unwrap_annotation(entry)
        if not isinstance(annotation, dict):
            self.skipped.append(
                SkippedStory("?", "?", f"annotation #{position} is not an object", "bad annotation")
            )
            return None
        story_id = as_id(annotation.get("story_id"))
        if story_id is None:
            self.skipped.append(
                SkippedStory(
                    "?",
                    str(annotation.get("album_id", "?")),
                    f"annotation #{position}: field 'story_id' is missing or not a string",
                )
            )
            return None
        shared = self.shared
        story_id = shared.setdefault(story_id, story_id)
        album_id = as_id(annotation.get("album_id"))
        album_id = album_id if album_id is None else shared.setdefault(album_id, album_id)
        problem = _annotation_problem(annotation)
        if problem:
            return _Sentence(position, story_id, album_id, problem=problem)
        photo_id = as_id(annotation["photo_flickr_id"])
        return _Sentence(
            position,
            story_id,
            album_id,
            annotation["worker_arranged_photo_order"],
            shared.setdefault(photo_id, photo_id),
            annotation["text"].strip(),
            annotation["original_text"].strip(),
        )


def _form_stories(
    sentences: dict[str, list[_Sentence]], split: str, skipped: list[SkippedStory]
) -> list[Story]:
    """The stories of each story id's sentences, in photo order; one that cannot be formed is
    appended to ``skipped`` with its reason instead."""
    stories = []
    for story_id, lines in sentences.items():
        album_id = lines[0].album_id or "?"
        problem = next((line.problem for line in lines if line.problem), None)
        reason = problem or _story_problem(lines)
        if reason:
            skipped.append(SkippedStory(story_id, album_id, f"story {story_id}: {reason}"))
            continue
        ordered = sorted(lines, key=lambda line: line.order)
        stories.append(
            Story(
                story_id=story_id,
                album_id=album_id,
                split=split,
                photo_ids=tuple(line.photo_id for line in ordered),
                texts=tuple(line.text for line in ordered),
                original_texts=tuple(line.original_text for line in ordered),
            )
        )
    return stories


def _annotation_problem(annotation: dict[str, Any]) -> str | None:
    """The first problem with one sentence's fields, or None."""
    for name in ("album_id", "photo_flickr_id"):
        if as_id(annotation.get(name)) is None:
            return f"field '{name}' is missing or not a string"
    order = annotation.get("worker_arranged_photo_order")
    if isinstance(order, bool) or not isinstance(order, int):
        return (
            "field 'worker_arranged_photo_order' is missing or not an integer"
            f" (found {json.dumps(order)})"
        )
    for name in REQUIRED_TEXT_FIELDS:
        if not isinstance(annotation.get(name), str):
            return f"field '{name}' is missing or not a string"
    return None


def _story_problem(lines: list[_Sentence]) -> str | None:
    """A problem with the story as a whole (length, positions, albums), or None."""
    if len(lines) != STORY_LENGTH:
        return f"has {len(lines)} photos, a VIST story has {STORY_LENGTH}"
    orders = [line.order for line in lines]
    repeated = [order for order, count in Counter(orders).items() if count > 1]
    if repeated:
        return f"two photos at worker_arranged_photo_order {repeated[0]}"
    if sorted(orders) != list(range(STORY_LENGTH)):
        return f"worker_arranged_photo_order is {sorted(orders)}, expected 0..{STORY_LENGTH - 1}"
    albums = {line.album_id for line in lines}
    if len(albums) > 1:
        return f"field 'album_id' differs between its sentences ({', '.join(sorted(albums))})"
    return None


def write_sis(
    path: str | Path,
    stories: Iterable[Story],
    split: str | None = None,
    *,
    album_photo_ids: dict[str, list[str]] | None = None,
    setting: str = "generated",
    worker_id: str = "imgstory",
) -> Path:
    """Write stories as an official SIS file (every official annotation field, stable order).

    Args:
        path: the output file; its parent folders are created.
        stories: the stories, written in the given order.
        split: recorded nowhere in the file (VIST keeps it in the name); accepted for symmetry.
        album_photo_ids: all photos of each album for the ``images`` list (defaults to the
            photos the stories use).
        setting: the ``setting`` field of every annotation.
        worker_id: the ``worker_id`` field of every annotation.
    """
    del split
    stories = list(stories)
    path = Path(path)
    photos_by_album = dict(album_photo_ids or {})
    for story in stories:
        known = photos_by_album.setdefault(story.album_id, [])
        known.extend(photo for photo in story.photo_ids if photo not in known)
    annotations = []
    storylet = 0
    for story in stories:
        for order, (photo, text, original) in enumerate(
            zip(story.photo_ids, story.texts, story.original_texts, strict=True)
        ):
            annotations.append(
                [
                    {
                        "original_text": original,
                        "album_id": story.album_id,
                        "photo_flickr_id": photo,
                        "setting": setting,
                        "worker_id": worker_id,
                        "story_id": story.story_id,
                        "tier": "story-in-sequence",
                        "worker_arranged_photo_order": order,
                        "text": text,
                        "storylet_id": str(storylet),
                    }
                ]
            )
            storylet += 1
    document = {
        "type": "story-in-sequence",
        "albums": [{"id": album} for album in photos_by_album],
        "images": [
            {"id": photo, "album_id": album}
            for album, photos in photos_by_album.items()
            for photo in photos
        ],
        "annotations": annotations,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=None) + "\n", encoding="utf-8")
    return path
