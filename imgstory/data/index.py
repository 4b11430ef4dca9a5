"""The Parquet index of stories and photos that later stages and the app query with pandas.

``stories.parquet``: one row per story (ids, split, the 5 photo ids and sentences as lists, the
joined story text, and whether all its photos are usable). ``photos.parquet``: one row per photo
(id, album, split, path, status ok|missing|unreadable|unchecked, reason).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from imgstory.data.inspect import PhotoStatus, check_photos
from imgstory.data.photos import PhotoFinder
from imgstory.data.sis import Story, load_sis
from imgstory.errors import UserInputError
from imgstory.outputs import atomic_file

STORIES_FILE = "stories.parquet"
PHOTOS_FILE = "photos.parquet"


@dataclass
class VistIndex:
    """Two tables: ``stories`` (one row per story) and ``photos`` (one row per photo)."""

    stories: pd.DataFrame
    photos: pd.DataFrame

    def write(self, out_dir: str | Path) -> Path:
        """Write both tables as Parquet files into ``out_dir`` (created), each one atomically."""
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, table in ((STORIES_FILE, self.stories), (PHOTOS_FILE, self.photos)):
            with atomic_file(out_dir / name) as temporary:
                table.to_parquet(temporary, index=False)
        return out_dir


def is_index_dir(folder: Path) -> bool:
    """Whether ``folder`` holds an index written by :meth:`VistIndex.write`."""
    return (folder / STORIES_FILE).is_file()


def build_index(
    sis_paths: Iterable[str | Path],
    images_dir: str | Path | None = None,
    *,
    check_readable: bool = True,
    progress: bool = True,
) -> VistIndex:
    """Index one or more SIS files (e.g. train/val/test) and, optionally, their photos."""
    story_rows, photo_rows = [], []
    finder = PhotoFinder(images_dir) if images_dir is not None else None
    for sis_path in sis_paths:
        sis = load_sis(sis_path)
        album_of = {photo: album for album, ps in sis.album_photo_ids.items() for photo in ps}
        for story in sis.stories:
            album_of.update(dict.fromkeys(story.photo_ids, story.album_id))
        if finder is None:
            statuses = {photo: PhotoStatus(photo, None, "unchecked") for photo in sis.photo_ids()}
        else:
            statuses = check_photos(
                sis.photo_ids(),
                finder,
                split=sis.split,
                check_readable=check_readable,
                progress=progress,
            )
        for photo, status in statuses.items():
            photo_rows.append(
                {
                    "photo_id": photo,
                    "album_id": album_of.get(photo, ""),
                    "split": sis.split,
                    "path": status.path,
                    "status": status.status,
                    "reason": status.reason,
                }
            )
        for story in sis.stories:
            story_rows.append(
                {
                    "story_id": story.story_id,
                    "album_id": story.album_id,
                    "split": story.split,
                    "photo_ids": list(story.photo_ids),
                    "texts": list(story.texts),
                    "original_texts": list(story.original_texts),
                    "story_text": story.story_text,
                    "photos_ok": all(
                        statuses[photo].status in ("ok", "unchecked") for photo in story.photo_ids
                    ),
                    "source": str(sis.path),
                }
            )
    stories = pd.DataFrame(story_rows, columns=_STORY_COLUMNS)
    photos = pd.DataFrame(photo_rows, columns=_PHOTO_COLUMNS)
    photos = photos.drop_duplicates(subset=["photo_id", "split"], ignore_index=True)
    return VistIndex(stories, photos)


_STORY_COLUMNS = [
    "story_id",
    "album_id",
    "split",
    "photo_ids",
    "texts",
    "original_texts",
    "story_text",
    "photos_ok",
    "source",
]
_PHOTO_COLUMNS = ["photo_id", "album_id", "split", "path", "status", "reason"]


def read_index(index_dir: str | Path) -> VistIndex:
    """Read an index written by :meth:`VistIndex.write` (``imgstory data index``)."""
    index_dir = Path(index_dir)
    paths = [index_dir / STORIES_FILE, index_dir / PHOTOS_FILE]
    for path in paths:
        if not path.is_file():
            raise UserInputError(f"{path}: not found; build the index with `imgstory data index`")
    return VistIndex(pd.read_parquet(paths[0]), pd.read_parquet(paths[1]))


def stories_from_index(index: VistIndex) -> list[Story]:
    """The index's stories as typed records (the rows whose photos are usable)."""
    rows = index.stories[index.stories["photos_ok"]]
    return [
        Story(
            story_id=row.story_id,
            album_id=row.album_id,
            split=row.split,
            photo_ids=tuple(row.photo_ids),
            texts=tuple(row.texts),
            original_texts=tuple(row.original_texts),
        )
        for row in rows.itertuples(index=False)
    ]


def load_stories(path: str | Path) -> list[Story]:
    """Stories from a SIS file or an index folder; raise when there are none that are valid."""
    path = Path(path)
    if path.is_dir():
        if not is_index_dir(path):
            raise UserInputError(
                f"{path} is a folder, not a story file, and not a story index (no {STORIES_FILE}"
                "): give a {split}.story-in-sequence.json file or a folder from `imgstory data "
                "index`"
            )
        stories = stories_from_index(read_index(path))
        if not stories:
            raise UserInputError(f"{path}: the index holds no story whose photos are all usable")
        return stories
    sis = load_sis(path)
    if not sis.stories:
        detail = f" (first problem: {sis.skipped[0].reason})" if sis.skipped else ""
        raise UserInputError(f"{sis.path}: no valid stories{detail}")
    return sis.stories
