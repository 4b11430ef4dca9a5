"""VIST description-in-isolation (DII) files: one caption per photo, in ``photo_order_in_story``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from imgstory.data.vist_json import as_id, iter_annotations, split_from_filename
from imgstory.jsonfile import read_json

DII_SUFFIX = ".description-in-isolation.json"


@dataclass(frozen=True, slots=True)
class Description:
    """A caption written for one photo seen alone."""

    photo_id: str
    album_id: str
    photo_order_in_story: int
    text: str
    original_text: str


@dataclass
class DiiFile:
    """A loaded DII file: valid descriptions plus the annotations that were skipped, with why."""

    path: Path
    split: str
    descriptions: list[Description]
    skipped: list[str] = field(default_factory=list)

    def by_photo(self) -> dict[str, list[Description]]:
        """``photo_id -> descriptions`` (VIST has several per photo)."""
        grouped: dict[str, list[Description]] = {}
        for description in self.descriptions:
            grouped.setdefault(description.photo_id, []).append(description)
        return grouped


def load_dii(path: str | Path, split: str | None = None) -> DiiFile:
    """Load an official ``{split}.description-in-isolation.json``.

    A description with a missing or mistyped field is skipped with a reason naming the
    annotation and the field; a file that is not a DII file raises ``UserInputError``.
    """
    path = Path(path)
    document = read_json(path, "a VIST description-in-isolation file")
    descriptions, skipped = [], []
    for position, annotation in iter_annotations(document, path, "description-in-isolation"):
        if not isinstance(annotation, dict):
            skipped.append(f"annotation #{position} is not an object")
            continue
        photo_id, album_id = (
            as_id(annotation.get("photo_flickr_id")),
            as_id(annotation.get("album_id")),
        )
        order = annotation.get("photo_order_in_story")
        text, original = annotation.get("text"), annotation.get("original_text", "")
        if photo_id is None or album_id is None:
            skipped.append(f"annotation #{position}: field 'photo_flickr_id' or 'album_id' missing")
        elif isinstance(order, bool) or not isinstance(order, int):
            skipped.append(
                f"annotation #{position}: field 'photo_order_in_story' is not an integer"
            )
        elif not isinstance(text, str) or not isinstance(original, str):
            skipped.append(f"annotation #{position}: field 'text' is missing or not a string")
        else:
            descriptions.append(
                Description(photo_id, album_id, order, text.strip(), original.strip())
            )
    return DiiFile(path, split or split_from_filename(path, DII_SUFFIX), descriptions, skipped)
