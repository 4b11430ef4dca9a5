"""Robust photo loading shared by data inspection, feature extraction and the app.

Any photo (EXIF-rotated, grayscale, CMYK, palette, alpha, 16-bit, animated, huge) becomes an 8-bit
RGB ``PIL.Image``; anything unreadable raises :class:`ImageLoadError` naming the file and reason.
"""

from __future__ import annotations

import contextlib
import io
import re
import struct
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from imgstory.errors import UserInputError
from imgstory.i18n import N_

#: The one pixel limit: the most pixels a photo may decode to (40 M, e.g. 8000x5000), checked
#: from the file's header before any pixel is decoded. When the caller asks for ``max_side``, big
#: JPEGs are reduced by Pillow's draft mode (1/2..1/8 scale while decoding), so they count at the
#: size they actually decode to; see :data:`DECODE_BOUND_BYTES_PER_PIXEL` for the memory bound.
MAX_DECODED_PIXELS = 40_000_000
#: Memory a decode with ``max_side`` (the app's uploads, the feature extractor) may take, in bytes
#: per decoded pixel: Pillow's decoded buffer (at most 4: RGBA, CMYK, 32-bit grey) plus the RGB
#: result, converted a strip of rows at a time and reduced towards ``2 * max_side`` strip by strip
#: (well under one byte a pixel for a big photo). A photo at the limit: <= 200 MB
#: (``python -m benchmarks.bench_photo_memory``). Without ``max_side`` the full-size RGB result
#: (3 bytes a pixel) comes on top.
DECODE_BOUND_BYTES_PER_PIXEL = 5
#: Bytes of one strip of a high-bit-depth photo converted to 8 bits at a time.
_STRIP_BYTES = 1 << 20
#: The photo file suffixes every part of IMG_Story recognises (folders, uploads, VIST layouts).
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp")

#: Side used by :func:`check_image`: JPEGs are decoded at 1/8 scale, which still reads every byte.
CHECK_SIDE = 64

_WHITE = (255, 255, 255)


class ImageLoadError(UserInputError):
    """A photo that cannot be read; ``source`` names it and ``reason`` says why."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(N_("cannot read photo {source}: {reason}"), source=source, reason=reason)
        self.source = source
        self.reason = reason


def load_image(
    source: str | Path | bytes,
    *,
    name: str | None = None,
    max_side: int | None = None,
) -> Image.Image:
    """Read a photo as an 8-bit RGB image, whatever its format quirks.

    Args:
        source: a file path, or the bytes of an uploaded file.
        name: what error messages call the photo (default: the path, or ``"uploaded photo"``).
        max_side: when given, the result's longer side is at most this; large JPEGs are reduced
            while decoding (draft mode), so a 40-megapixel photo costs little.

    Returns:
        An RGB image: EXIF orientation applied, first frame of an animation, transparency composed
        over white, 16-bit and float samples scaled to 8 bits, CMYK/palette/grayscale converted.

    Raises:
        ImageLoadError: missing, not an image, truncated/corrupt, or over the pixel limit.
    """
    if max_side is not None and max_side < 1:
        raise ValueError(f"max_side must be a positive number of pixels, got {max_side}")
    with _open_stream(source, name) as (stream, label):
        return _decode(stream, label, max_side)


def probe_image(
    source: str | Path | bytes, *, name: str | None = None, max_side: int | None = None
) -> tuple[str, int, int]:
    """Check a photo from its header alone, before anything expensive (a model) is loaded.

    Returns:
        ``(format, width, height)`` as :func:`load_image` would decode it with ``max_side``.

    Raises:
        ImageLoadError: what :func:`load_image` would say of a missing, empty, non-image or
            over-the-limit file (truncated pixel data is only found when decoding).
    """
    with _open_stream(source, name) as (stream, label), _opened(stream, label) as image:
        _check_pixels(image, label, max_side)
        return str(image.format), *image.size


@contextlib.contextmanager
def _open_stream(source: str | Path | bytes, name: str | None) -> Iterator[tuple[IO[bytes], str]]:
    """The photo's bytes as a stream and its label; missing, folder and empty files refused."""
    label = name or (str(source) if not isinstance(source, bytes) else "uploaded photo")
    try:
        stream = io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")  # noqa: SIM115
    except FileNotFoundError:
        raise ImageLoadError(label, _NOT_FOUND) from None
    except IsADirectoryError:
        raise ImageLoadError(label, N_("this is a folder, not an image file")) from None
    except OSError as error:
        raise ImageLoadError(label, f"cannot open the file ({error.strerror or error})") from None
    with stream:
        if not stream.read(1):
            raise ImageLoadError(label, N_("the file is empty (0 bytes); copy the photo again"))
        stream.seek(0)
        yield stream, label


def check_image(path: str | Path) -> str | None:
    """Fast readability check for scanning many photos: ``None`` if readable, else the reason.

    Verifies the container (PNG checksums, GIF structure) and decodes the pixels at reduced size,
    which still catches truncated JPEGs, at a fraction of a full decode's cost.
    """
    try:
        probe_image(path, max_side=CHECK_SIDE)  # missing, empty, over the limit: no decoding
        with Image.open(path) as image:
            image.verify()
        load_image(path, max_side=CHECK_SIDE)
    except ImageLoadError as error:
        return error.reason
    except FileNotFoundError:
        return _NOT_FOUND
    except UnidentifiedImageError:
        return _NOT_AN_IMAGE
    except Image.DecompressionBombError as error:
        return _bomb_reason(error)
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as error:
        return _corrupt_reason(error)
    return None


_NOT_AN_IMAGE = N_("not an image file Pillow can read (check it is really a JPEG/PNG/GIF/...)")
_NOT_FOUND = N_("file not found")


def _corrupt_reason(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    if "truncated" in text.lower():
        return f"file is truncated ({text}); re-download or re-copy it"
    return f"file is corrupt ({text})"


def _bomb_reason(error: BaseException) -> str:
    """Pillow refuses files far over its own guard when opening them; say it with our limit."""
    claimed = re.search(r"\((\d+) pixels\)", str(error))
    size = f"{int(claimed.group(1)):,} pixels" if claimed else "far more pixels than allowed"
    return _over_limit(size)


def _over_limit(size: str) -> str:
    return (
        f"too many pixels: {size} is over the limit of {MAX_DECODED_PIXELS:,} decoded pixels "
        "(a decompression bomb, or a photo to shrink first)"
    )


@contextlib.contextmanager
def _reading(label: str) -> Iterator[None]:
    """Pillow's errors while reading ``label`` -> :class:`ImageLoadError` with a reason."""
    try:
        yield
    except ImageLoadError:
        raise
    except UnidentifiedImageError:
        raise ImageLoadError(label, _NOT_AN_IMAGE) from None
    except Image.DecompressionBombError as error:
        raise ImageLoadError(label, _bomb_reason(error)) from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as error:
        raise ImageLoadError(label, _corrupt_reason(error)) from None


@contextlib.contextmanager
def _opened(stream: IO[bytes], label: str) -> Iterator[Image.Image]:
    """Pillow's lazy image (header read, no pixels decoded), errors as :class:`ImageLoadError`."""
    with _reading(label), warnings.catch_warnings():
        # Pillow warns above its own limit; MAX_DECODED_PIXELS is enforced by _check_pixels.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        image = Image.open(stream)
    yield image  # not closed here: closing would free the pixels the caller returns


def _check_pixels(image: Image.Image, label: str, max_side: int | None) -> None:
    """Refuse an image that would decode to more than MAX_DECODED_PIXELS (draft applied first)."""
    with _reading(label):
        image.seek(0)  # first frame of an animated GIF/PNG/WebP
        if max_side is not None and image.format in {"JPEG", "MPO"}:
            image.draft("RGB", (max_side, max_side))
    width, height = image.size
    if width * height > MAX_DECODED_PIXELS:
        raise ImageLoadError(label, _over_limit(f"{width}x{height} = {width * height:,} pixels"))


def _decode(stream: IO[bytes], label: str, max_side: int | None) -> Image.Image:
    with _opened(stream, label) as image:
        _check_pixels(image, label, max_side)
        with _reading(label):
            image.load()
            ImageOps.exif_transpose(image, in_place=True)  # no copy of an upright photo
            rgb = _to_rgb(image, max_side)
    _reduce(rgb, max_side)
    return rgb


def _reduce(image: Image.Image, max_side: int | None) -> None:
    """Shrink ``image`` in place so its longer side is at most ``max_side`` (None: as it is)."""
    if max_side is not None and max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.BILINEAR)


def _to_rgb(image: Image.Image, max_side: int | None) -> Image.Image:
    """Any Pillow mode -> 8-bit RGB (alpha over white, high bit depths scaled, not clipped).

    Other modes than RGB are converted a strip of rows at a time, each strip reduced by an
    integer factor towards ``2 * max_side`` at once, so a conversion never holds a second
    full-size copy of the photo (:data:`DECODE_BOUND_BYTES_PER_PIXEL`).
    """
    mode = image.mode
    if mode == "RGB":
        return image
    if mode in {"I", "I;16", "I;16B", "I;16L", "I;16N", "F"}:
        convert = _high_depth_converter(image)
    elif mode in {"RGBA", "LA", "PA", "RGBa", "La"} or "transparency" in image.info:
        convert = _over_white
    else:
        convert = _plain_rgb
    width, height = image.size
    factor = max(1, max(width, height) // (2 * max_side)) if max_side else 1
    rows = max(factor, _STRIP_BYTES // (8 * width) // factor * factor)
    rgb = Image.new("RGB", (-(-width // factor), -(-height // factor)))
    for top in range(0, height, rows):
        strip = convert(image.crop((0, top, width, min(top + rows, height))))
        rgb.paste(strip.reduce(factor) if factor > 1 else strip, (0, top // factor))
    return rgb


def _plain_rgb(strip: Image.Image) -> Image.Image:
    return strip.convert("RGB")


def _over_white(strip: Image.Image) -> Image.Image:
    """A strip with transparency composed over white."""
    rgba = strip.convert("RGBA")
    background = Image.new("RGBA", rgba.size, (*_WHITE, 255))
    return Image.alpha_composite(background, rgba).convert("RGB")


def _high_depth_converter(image: Image.Image) -> Callable[[Image.Image], Image.Image]:
    """Strip -> RGB for a 16-bit, 32-bit or float grey photo: 16-bit samples 0..65535 map to
    0..255; float samples from the photo's own range (found strip by strip), NaN as its low."""
    low, scale = 0.0, 1 / 257.0
    if image.mode == "F":
        width, height = image.size
        rows = max(1, _STRIP_BYTES // (8 * width))
        finite = [
            samples[~np.isnan(samples)]
            for samples in (
                np.asarray(image.crop((0, top, width, min(top + rows, height))), np.float64)
                for top in range(0, height, rows)
            )
        ]
        low = float(min((part.min() for part in finite if part.size), default=0.0))
        high = float(max((part.max() for part in finite if part.size), default=0.0))
        scale = 255.0 / (high - low) if high > low else 0.0

    def convert(strip: Image.Image) -> Image.Image:
        samples = np.asarray(strip, dtype=np.float64)  # (rows, width)
        eight_bit = (np.nan_to_num(samples, nan=low) - low) * scale
        return Image.fromarray(np.clip(np.rint(eight_bit), 0, 255).astype(np.uint8)).convert("RGB")

    return convert
