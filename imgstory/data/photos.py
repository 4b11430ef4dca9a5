"""Finding VIST photos on disk: ``images/{split}/{id}.jpg|.png|.gif`` or one flat folder."""

from __future__ import annotations

import os
from pathlib import Path

from imgstory.images import PHOTO_SUFFIXES
from imgstory.jsonfile import check_input_folder

#: What a photo folder is, for the messages.
PHOTO_FOLDER = (
    "a photo folder: the VIST images/ folder, with train/ val/ test/ inside, or a flat folder "
    "of <photo_id>.jpg files"
)


class PhotoFinder:
    """Resolve a ``photo_flickr_id`` to its file by scanning a folder once.

    The folder may be the official ``images/`` root (with ``train/``, ``val/``, ``test/`` inside),
    one split folder, or a flat folder. Files are keyed by their stem; a file without an extension
    (the official archives hold a few) counts too. When one id exists twice, the split folder that
    matches the requested split wins, then the first found.
    """

    def __init__(self, images_dir: str | Path):
        self.images_dir = Path(images_dir)
        check_input_folder(self.images_dir, PHOTO_FOLDER)
        self._by_id: dict[str, list[Path]] = {}
        self._scan(self.images_dir, depth=0)

    def _scan(self, folder: Path, depth: int) -> None:
        with os.scandir(folder) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                if entry.is_dir(follow_symlinks=True):
                    if depth < 2 and not entry.name.startswith("."):
                        self._scan(Path(entry.path), depth + 1)
                    continue
                stem, extension = os.path.splitext(entry.name)
                if extension.lower() in PHOTO_SUFFIXES or (not extension and stem.isdigit()):
                    self._by_id.setdefault(stem, []).append(Path(entry.path))

    def __len__(self) -> int:
        return len(self._by_id)

    def ids(self) -> list[str]:
        """Every photo id found."""
        return list(self._by_id)

    def find(self, photo_id: str, split: str | None = None) -> Path | None:
        """The file of ``photo_id`` (preferring ``split``'s folder), or None when missing."""
        candidates = self._by_id.get(str(photo_id))
        if not candidates:
            return None
        if split:
            for candidate in candidates:
                if candidate.parent.name == split:
                    return candidate
        return candidates[0]
