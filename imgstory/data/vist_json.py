"""Reading the official VIST JSON layout (albums, images, annotations) with clear errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from imgstory.errors import UserInputError


def iter_annotations(document: Any, path: Path, tier: str) -> Iterator[tuple[int, Any]]:
    """Yield ``(position, annotation)`` of an official file's ``annotations`` list.

    Each official annotation is a one-element list holding a dict; a bare dict is accepted too.
    Anything else is yielded as-is for the caller to report (it cannot name a story).
    """
    for position, entry in enumerate(annotation_list(document, path, tier)):
        yield position, unwrap_annotation(entry)


def annotation_list(document: Any, path: Path, tier: str) -> list:
    """The document's ``annotations`` list, or a clear error naming what is wrong instead."""
    if not isinstance(document, dict):
        raise UserInputError(
            f"{path}: expected a JSON object with 'albums', 'images' and 'annotations' "
            f"(the official VIST {tier} layout), found a {type(document).__name__}"
        )
    annotations = document.get("annotations")
    if annotations is None:
        raise UserInputError(
            f"{path}: field 'annotations' is missing; this is not an official VIST {tier} file"
        )
    if not isinstance(annotations, list):
        raise UserInputError(
            f"{path}: field 'annotations' must be a list of one-element lists, "
            f"found a {type(annotations).__name__}"
        )
    return annotations


def unwrap_annotation(entry: Any) -> Any:
    """An official annotation ``[{...}]`` -> ``{...}``; anything else unchanged."""
    if isinstance(entry, list) and len(entry) == 1:
        return entry[0]
    return entry


def image_album(position: int, image: Any) -> tuple[str, str] | None:
    """``(album_id, photo_id)`` of an ``images`` entry, or None for an entry without both.

    Takes ``position`` so that :func:`imgstory.jsonfile.read_json_streamed` can call it on each
    entry as it is read.
    """
    if isinstance(image, dict) and "id" in image and "album_id" in image:
        return str(image["album_id"]), str(image["id"])
    return None


def album_photos(document: dict, path: Path) -> dict[str, list[str]]:
    """``album_id -> [photo ids]`` from the ``images`` list (empty when the list is absent).

    The list holds the file's entries, or the pairs :func:`image_album` made of them.
    """
    images = document.get("images") or []
    if not isinstance(images, list):
        raise UserInputError(
            f"{path}: field 'images' must be a list, found {type(images).__name__}"
        )
    photos: dict[str, list[str]] = {}
    for position, image in enumerate(images):
        pair = image if isinstance(image, tuple) else image_album(position, image)
        if pair is not None:
            photos.setdefault(pair[0], []).append(pair[1])
    return photos


def as_id(value: Any) -> str | None:
    """VIST ids are strings (sometimes ints in third-party copies); anything else is invalid."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int):
        return str(value)
    return None


def split_from_filename(path: Path, suffix: str) -> str:
    """``test.story-in-sequence.json`` -> ``test``; any other name -> its stem."""
    name = path.name
    return name[: -len(suffix)] if name.endswith(suffix) and len(name) > len(suffix) else path.stem
