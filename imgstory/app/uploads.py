"""Checking photos a user uploads (count, type, size, decodability) and their order.

Uploaded bytes stay in memory: nothing is written to a shared temporary file. Each distinct file
is decoded once: Streamlit reruns the page on every click, and the check's verdict (the small
decoded copy, or the reason for refusing the file) is kept for the next rerun.
"""

from __future__ import annotations

import hashlib
import threading
import tomllib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath

from PIL import Image

from imgstory.app.i18n import N_, _, error_text
from imgstory.errors import UserInputError
from imgstory.generation.storyteller import MAX_PHOTOS
from imgstory.images import PHOTO_SUFFIXES, ImageLoadError, load_image
from imgstory.paths import REPO_ROOT

#: What the uploader accepts: the suffixes the whole package reads, without their dot.
PHOTO_TYPES = tuple(suffix[1:] for suffix in PHOTO_SUFFIXES)
MIN_PHOTOS = 1


def server_upload_limit_mb(config: Path = REPO_ROOT / ".streamlit" / "config.toml") -> int:
    """``server.maxUploadSize`` of the app's Streamlit config (Streamlit's default 200 without
    one): the one upload limit, which the app's own check uses too."""
    try:
        settings = tomllib.loads(config.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return 200
    return int(settings.get("server", {}).get("maxUploadSize", 200))


#: Stated once, in .streamlit/config.toml: files above it never reach the app.
MAX_PHOTO_MB = server_upload_limit_mb()
#: Longest side kept after decoding: encoders resize to ~300 px, so bigger photos only cost memory.
DISPLAY_SIDE = 768
#: Verdicts kept for reruns (a decoded copy is at most 768 x 768 x 3 bytes, ~1.8 MB).
CHECKED_KEPT = 4 * MAX_PHOTOS


def upload_help() -> str:
    """The uploaders' help text: how many photos, which types, the size limit."""
    return _(
        "1 to {most} photos ({types}; at most {mb} MB each). The model was trained on 5-photo "
        "stories; it writes one sentence per photo. Photos stay on this machine, in memory."
    ).format(most=MAX_PHOTOS, types=", ".join(PHOTO_TYPES), mb=MAX_PHOTO_MB)


def refused_note() -> str:
    """Under the uploader: what a file marked in red by Streamlit's own size check means."""
    return _(
        "A file marked in red above was refused by the uploader itself (over {mb} MB, the "
        "server's limit): it never reaches the app and is not among the photos used."
    ).format(mb=MAX_PHOTO_MB)


@dataclass(frozen=True)
class UploadedPhoto:
    """A photo that passed every check: its file name, raw bytes and decoded RGB image."""

    name: str
    data: bytes
    image: Image.Image


def check_upload(name: str, data: bytes, *, max_megabytes: float = MAX_PHOTO_MB) -> UploadedPhoto:
    """Validate one uploaded file.

    Raises:
        UserInputError: wrong extension, empty, too big, or not decodable; the message names the
            file and says what to do.
    """
    extension = PurePath(name).suffix.lower().lstrip(".")
    if extension not in PHOTO_TYPES:
        raise UserInputError(
            N_("{name}: .{extension} files are not photos this app reads; upload {types}"),
            name=name,
            extension=extension or "(none)",
            types=", ".join(PHOTO_TYPES),
        )
    if not data:
        raise UserInputError(N_("{name}: the file is empty; upload the photo again"), name=name)
    size_mb = len(data) / 2**20
    if size_mb > max_megabytes:
        raise UserInputError(
            N_("{name}: {size} MB is over the {limit} MB limit; upload a smaller copy"),
            name=name,
            size=f"{size_mb:.1f}",
            limit=f"{max_megabytes:g}",
        )
    verdict = _decoded(name, data, extension)
    if isinstance(verdict, ImageLoadError):
        raise UserInputError(
            N_("{problem}; upload a valid {type} photo"),
            problem=error_text(verdict),
            type=extension.upper(),
        )
    return UploadedPhoto(name=name, data=data, image=verdict.copy())


_CHECKED: OrderedDict[tuple[str, bytes], Image.Image | ImageLoadError] = OrderedDict()
_CHECKED_LOCK = threading.Lock()


def _decoded(name: str, data: bytes, extension: str) -> Image.Image | ImageLoadError:
    """The photo decoded at display size, or why it cannot be; each file decoded only once."""
    key = (name, hashlib.sha256(data).digest())
    with _CHECKED_LOCK:
        if key in _CHECKED:
            _CHECKED.move_to_end(key)
            return _CHECKED[key]
    try:
        verdict: Image.Image | ImageLoadError = load_image(data, name=name, max_side=DISPLAY_SIDE)
    except ImageLoadError as error:
        verdict = error
    with _CHECKED_LOCK:
        _CHECKED[key] = verdict
        while len(_CHECKED) > CHECKED_KEPT:
            _CHECKED.popitem(last=False)
    return verdict


def check_uploads(
    files: Sequence[tuple[str, bytes]], *, max_megabytes: float = MAX_PHOTO_MB
) -> tuple[list[UploadedPhoto], list[str]]:
    """Validate a batch of uploads: the good photos, and one message per problem.

    A count outside 1-10 is a problem of its own (listed first); each bad file is reported and
    left out, so a user sees every problem at once.
    """
    problems = []
    if len(files) > MAX_PHOTOS:
        too_many = _("{n} photos uploaded: the storyteller takes {least} to {most}; remove {extra}")
        problems.append(
            too_many.format(
                n=len(files), least=MIN_PHOTOS, most=MAX_PHOTOS, extra=len(files) - MAX_PHOTOS
            )
        )
    photos = []
    for name, data in files:
        try:
            photos.append(check_upload(name, data, max_megabytes=max_megabytes))
        except UserInputError as error:
            problems.append(error_text(error))
    return photos, problems


def parse_order(text: str, count: int) -> list[int]:
    """Parse a photo order such as ``"2 1 3 5 4"`` (1-based positions) into 0-based indices.

    Every photo must appear exactly once; an empty text keeps the upload order.

    Raises:
        UserInputError: a token is not a number, out of range, repeated, or a photo is missing.
    """
    tokens = text.replace(",", " ").split()
    if not tokens:
        return list(range(count))
    try:
        numbers = [int(token) for token in tokens]
    except ValueError:
        raise UserInputError(
            N_("photo order {text}: use numbers separated by spaces, e.g. {example}"),
            text=repr(text),
            example=" ".join(str(n) for n in range(1, count + 1)),
        ) from None
    wrong = [n for n in numbers if not 1 <= n <= count]
    if wrong:
        raise UserInputError(
            N_("photo order: {number} is not a photo number (1 to {count})"),
            number=wrong[0],
            count=count,
        )
    if len(set(numbers)) != len(numbers) or len(numbers) != count:
        missing = sorted(set(range(1, count + 1)) - set(numbers))
        if missing:
            raise UserInputError(
                N_("photo order {text}: list each of the {count} photos once (missing {missing})"),
                text=repr(text),
                count=count,
                missing=", ".join(map(str, missing)),
            )
        raise UserInputError(
            N_("photo order {text}: list each of the {count} photos once (one is repeated)"),
            text=repr(text),
            count=count,
        )
    return [n - 1 for n in numbers]
