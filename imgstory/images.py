"""Robust photo loading shared by data inspection, feature extraction and the app.

Any photo (EXIF-rotated, grayscale, CMYK, palette, alpha, 16-bit, animated, huge) becomes an 8-bit
RGB ``PIL.Image``; anything unreadable raises :class:`ImageLoadError` naming the file and reason.
"""

from __future__ import annotations

import io
import struct
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from imgstory.errors import UserInputError

#: Largest decoded image accepted, in pixels (Pillow's own decompression-bomb threshold, ~89 Mpx).
#: Huge JPEGs are first reduced by Pillow's draft mode (1/2..1/8 scale while decoding) when the
#: caller asks for ``max_side``, so only what is actually decoded counts against the limit.
MAX_DECODED_PIXELS = Image.MAX_IMAGE_PIXELS or 89_478_485

#: Side used by :func:`check_image`: JPEGs are decoded at 1/8 scale, which still reads every byte.
CHECK_SIDE = 64

_WHITE = (255, 255, 255)


class ImageLoadError(UserInputError):
    """A photo that cannot be read; ``source`` names it and ``reason`` says why."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"cannot read photo {source}: {reason}")
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
    label = name or (str(source) if not isinstance(source, bytes) else "uploaded photo")
    try:
        stream = io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")  # noqa: SIM115
    except FileNotFoundError:
        raise ImageLoadError(label, "file not found") from None
    except IsADirectoryError:
        raise ImageLoadError(label, "this is a folder, not an image file") from None
    except OSError as error:
        raise ImageLoadError(label, f"cannot open the file ({error.strerror or error})") from None
    with stream:
        return _decode(stream, label, max_side)


def check_image(path: str | Path) -> str | None:
    """Fast readability check for scanning many photos: ``None`` if readable, else the reason.

    Verifies the container (PNG checksums, GIF structure) and decodes the pixels at reduced size,
    which still catches truncated JPEGs, at a fraction of a full decode's cost.
    """
    try:
        with Image.open(path) as image:
            image.verify()
        load_image(path, max_side=CHECK_SIDE)
    except ImageLoadError as error:
        return error.reason
    except FileNotFoundError:
        return "file not found"
    except UnidentifiedImageError:
        return _NOT_AN_IMAGE
    except Image.DecompressionBombError as error:
        return _bomb_reason(error)
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as error:
        return _corrupt_reason(error)
    return None


_NOT_AN_IMAGE = "not an image file Pillow can read (check it is really a JPEG/PNG/GIF/...)"


def _corrupt_reason(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    if "truncated" in text.lower():
        return f"file is truncated ({text}); re-download or re-copy it"
    return f"file is corrupt ({text})"


def _bomb_reason(error: BaseException) -> str:
    return f"too many pixels ({error}); shrink it first or it could exhaust memory"


def _decode(stream: io.IOBase, label: str, max_side: int | None) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # Pillow warns above MAX_IMAGE_PIXELS; we enforce our own limit after draft reduction.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(stream)
        image.seek(0)  # first frame of an animated GIF/PNG/WebP
        if max_side is not None and image.format in {"JPEG", "MPO"}:
            image.draft("RGB", (max_side, max_side))
        width, height = image.size
        if width * height > MAX_DECODED_PIXELS:
            raise ImageLoadError(
                label,
                f"{width}x{height} pixels is over the decompression-bomb limit of "
                f"{MAX_DECODED_PIXELS:,} pixels; shrink it first",
            )
        image.load()
        image = ImageOps.exif_transpose(image)
        rgb = _to_rgb(image)
    except ImageLoadError:
        raise
    except UnidentifiedImageError:
        raise ImageLoadError(label, _NOT_AN_IMAGE) from None
    except Image.DecompressionBombError as error:
        raise ImageLoadError(label, _bomb_reason(error)) from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as error:
        raise ImageLoadError(label, _corrupt_reason(error)) from None
    if max_side is not None and max(rgb.size) > max_side:
        rgb.thumbnail((max_side, max_side), Image.Resampling.BILINEAR)
    return rgb


def _to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode -> 8-bit RGB (alpha over white, high bit depths scaled, not clipped)."""
    mode = image.mode
    if mode == "RGB":
        return image
    if mode in {"I", "I;16", "I;16B", "I;16L", "I;16N", "F"}:
        return _high_depth_gray_to_rgb(image)
    has_alpha = mode in {"RGBA", "LA", "PA", "RGBa", "La"} or "transparency" in image.info
    if has_alpha:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (*_WHITE, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def _high_depth_gray_to_rgb(image: Image.Image) -> Image.Image:
    samples = np.asarray(image, dtype=np.float64)  # (height, width)
    if image.mode == "F":
        low, high = float(np.nanmin(samples)), float(np.nanmax(samples))
        scale = 255.0 / (high - low) if high > low else 0.0
        eight_bit = (np.nan_to_num(samples, nan=low) - low) * scale
    else:
        # 16-bit samples (PNG/TIFF "I;16" or "I"): full range 0..65535 maps to 0..255.
        eight_bit = samples / 257.0
    gray = Image.fromarray(np.clip(np.rint(eight_bit), 0, 255).astype(np.uint8))
    return gray.convert("RGB")
