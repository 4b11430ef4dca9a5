"""What is in a VIST folder and what is broken: counts of stories, albums, photos and problems."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from imgstory.data.photos import PhotoFinder
from imgstory.data.sis import SisFile, load_sis
from imgstory.progress import track

EXAMPLES_SHOWN = 10


@dataclass(frozen=True, slots=True)
class PhotoStatus:
    """Where a photo is and whether it decodes: ``status`` is ok, missing or unreadable."""

    photo_id: str
    path: str | None
    status: str
    reason: str = ""


def check_photos(
    photo_ids: list[str],
    finder: PhotoFinder,
    *,
    split: str | None = None,
    check_readable: bool = True,
    progress: bool = True,
) -> dict[str, PhotoStatus]:
    """Resolve every photo and (optionally) check that it decodes, two threads at a time."""
    from imgstory.images import check_image

    located = {photo: finder.find(photo, split) for photo in photo_ids}
    statuses = {
        photo: PhotoStatus(photo, None, "missing", "no file named <photo_id>.<jpg|png|gif|...>")
        for photo, path in located.items()
        if path is None
    }
    present = [(photo, path) for photo, path in located.items() if path is not None]
    if not check_readable:
        statuses.update({photo: PhotoStatus(photo, str(path), "ok") for photo, path in present})
        return statuses
    with ThreadPoolExecutor(max_workers=2) as pool:
        reasons = pool.map(lambda item: check_image(item[1]), present)
        for (photo, path), reason in track(
            zip(present, reasons, strict=True), len(present), "checking photos", progress
        ):
            status = "unreadable" if reason else "ok"
            statuses[photo] = PhotoStatus(photo, str(path), status, reason or "")
    return statuses


@dataclass
class InspectReport:
    """The findings of :func:`inspect_sis`; ``to_dict`` is the CLI's ``--json`` object."""

    file: str
    split: str
    stories: int
    albums: int
    photos: int
    sentences: int
    skipped_stories: int
    missing_photos: int = 0
    unreadable_photos: int = 0
    found_photos: int = 0
    usable_stories: int = 0
    usable_albums: int = 0
    images_dir: str | None = None
    photos_checked: bool = False
    skipped_reasons: dict[str, int] = field(default_factory=dict)
    skipped_examples: list[str] = field(default_factory=list)
    missing_examples: list[str] = field(default_factory=list)
    unreadable_examples: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict:
        """A JSON-ready dict with the integer counts at the top level."""
        return asdict(self)


def inspect_sis(
    sis_path: str | Path,
    images_dir: str | Path | None = None,
    *,
    check_readable: bool = True,
    progress: bool = True,
) -> InspectReport:
    """Count what a SIS file holds and, given a photo folder, which stories are usable.

    Missing and unreadable photos are findings, not errors: the stories that need them are
    counted as skipped (with the reason), the rest stay usable.
    """
    sis = load_sis(sis_path)
    report = _file_counts(sis)
    if images_dir is None:
        report.usable_stories, report.usable_albums = report.stories, report.albums
        return report
    finder = PhotoFinder(images_dir)
    statuses = check_photos(
        sis.photo_ids(), finder, split=sis.split, check_readable=check_readable, progress=progress
    )
    report.images_dir = str(images_dir)
    report.photos_checked = check_readable
    by_status: dict[str, list[PhotoStatus]] = {"ok": [], "missing": [], "unreadable": []}
    for status in statuses.values():
        by_status[status.status].append(status)
    report.found_photos = len(by_status["ok"])
    report.missing_photos = len(by_status["missing"])
    report.unreadable_photos = len(by_status["unreadable"])
    report.missing_examples = [s.photo_id for s in by_status["missing"][:EXAMPLES_SHOWN]]
    report.unreadable_examples = [
        {"photo_id": s.photo_id, "path": s.path or "", "reason": s.reason}
        for s in by_status["unreadable"][:EXAMPLES_SHOWN]
    ]
    usable_albums = set()
    for story in sis.stories:
        problems = {statuses[photo].status for photo in story.photo_ids} - {"ok"}
        if not problems:
            report.usable_stories += 1
            usable_albums.add(story.album_id)
            continue
        kind = "unreadable photo" if "unreadable" in problems else "missing photo"
        report.skipped_reasons[kind] = report.skipped_reasons.get(kind, 0) + 1
        report.skipped_stories += 1
    report.usable_albums = len(usable_albums)
    return report


def _file_counts(sis: SisFile) -> InspectReport:
    return InspectReport(
        file=str(sis.path),
        split=sis.split,
        stories=len(sis.stories),
        albums=len(sis.album_ids()),
        photos=len(sis.photo_ids()),
        sentences=sum(len(story.texts) for story in sis.stories),
        skipped_stories=len(sis.skipped),
        skipped_reasons=sis.skipped_reasons(),
        skipped_examples=[skip.reason for skip in sis.skipped[:EXAMPLES_SHOWN]],
    )
