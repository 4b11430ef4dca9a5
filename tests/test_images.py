"""Robust photo loading: every format quirk becomes 8-bit RGB; bad files give one clear reason."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile

from imgstory import images
from imgstory.errors import UserInputError
from imgstory.images import ImageLoadError, check_image, load_image


def _noise(width: int, height: int, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels (a decompression bomb's header)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IEND", b"")


@pytest.fixture
def photo_dir(tmp_path: Path) -> Path:
    """One file per quirk, good and bad."""
    _noise(64, 48).save(tmp_path / "good.jpg", quality=90)
    whole = io.BytesIO()
    _noise(256, 192, seed=1).save(whole, "JPEG", quality=95)
    (tmp_path / "truncated.jpg").write_bytes(whole.getvalue()[: len(whole.getvalue()) // 2])
    (tmp_path / "text.jpg").write_text("this is not a photo\n")
    Image.new("CMYK", (40, 30), (0, 255, 255, 0)).save(tmp_path / "cmyk.jpg")  # red in CMYK
    gray16 = np.full((20, 30), 65535 // 2, dtype=np.uint16)
    Image.fromarray(gray16).save(tmp_path / "gray16.png")
    frames = [Image.new("RGB", (32, 32), colour) for colour in ((0, 0, 255), (255, 0, 0))]
    frames[0].save(tmp_path / "animated.gif", save_all=True, append_images=frames[1:], duration=100)
    return tmp_path


def test_good_jpeg_loads_as_rgb(photo_dir: Path) -> None:
    image = load_image(photo_dir / "good.jpg")
    assert image.mode == "RGB"
    assert image.size == (64, 48)
    assert check_image(photo_dir / "good.jpg") is None


def test_truncated_jpeg_is_reported_not_padded(photo_dir: Path) -> None:
    with pytest.raises(ImageLoadError, match=r"truncated\.jpg: file is truncated"):
        load_image(photo_dir / "truncated.jpg")
    assert "truncated" in check_image(photo_dir / "truncated.jpg")


def test_text_file_named_jpg_is_not_an_image(photo_dir: Path) -> None:
    with pytest.raises(ImageLoadError) as caught:
        load_image(photo_dir / "text.jpg")
    assert isinstance(caught.value, UserInputError)
    assert str(photo_dir / "text.jpg") in str(caught.value)
    assert "not an image file" in caught.value.reason
    assert "\n" not in str(caught.value)
    assert "not an image file" in check_image(photo_dir / "text.jpg")


def test_cmyk_jpeg_becomes_rgb(photo_dir: Path) -> None:
    image = load_image(photo_dir / "cmyk.jpg")
    assert image.mode == "RGB"
    red, green, blue = np.asarray(image).reshape(-1, 3).mean(axis=0)
    assert red > 200 and green < 60 and blue < 60


def test_16_bit_png_is_scaled_not_clipped(photo_dir: Path) -> None:
    with Image.open(photo_dir / "gray16.png") as raw:
        assert raw.mode.startswith("I")  # really 16-bit on disk
    pixels = np.asarray(load_image(photo_dir / "gray16.png"))
    assert pixels.shape == (20, 30, 3)
    assert np.all(np.abs(pixels.astype(int) - 127) <= 1)  # half of 65535 -> half of 255


def test_animated_gif_gives_first_frame(photo_dir: Path) -> None:
    pixels = np.asarray(load_image(photo_dir / "animated.gif"))
    assert pixels.shape == (32, 32, 3)
    assert pixels[..., 2].mean() > 200 and pixels[..., 0].mean() < 50  # blue, not red


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    landscape = Image.new("RGB", (60, 20), (200, 10, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    landscape.save(tmp_path / "rotated.jpg", exif=exif)
    assert load_image(tmp_path / "rotated.jpg").size == (20, 60)


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P"])
def test_transparency_is_composed_over_white(tmp_path: Path, mode: str) -> None:
    image = Image.new("RGBA", (10, 10), (0, 0, 0, 0)).convert(mode)
    path = tmp_path / f"clear_{mode}.png"
    if mode == "P":
        image.save(path, transparency=0)
    else:
        image.save(path)
    assert np.asarray(load_image(path)).min() == 255


def test_grayscale_and_palette_become_rgb(tmp_path: Path) -> None:
    Image.new("L", (8, 8), 100).save(tmp_path / "gray.png")
    Image.new("RGB", (8, 8), (10, 200, 30)).convert("P").save(tmp_path / "palette.png")
    assert np.asarray(load_image(tmp_path / "gray.png")).tolist()[0][0] == [100, 100, 100]
    assert load_image(tmp_path / "palette.png").mode == "RGB"


def test_bytes_source_uses_the_given_name() -> None:
    encoded = io.BytesIO()
    _noise(16, 16).save(encoded, "PNG")
    assert load_image(encoded.getvalue(), name="upload.png").size == (16, 16)
    with pytest.raises(ImageLoadError, match=r"^cannot read photo upload\.png: not an image"):
        load_image(b"garbage", name="upload.png")


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ImageLoadError, match="file not found"):
        load_image(tmp_path / "absent.jpg")
    assert check_image(tmp_path / "absent.jpg") == "file not found"
    with pytest.raises(ImageLoadError, match="folder"):
        load_image(tmp_path)


def test_huge_jpeg_is_reduced_while_decoding(tmp_path: Path) -> None:
    Image.new("RGB", (4000, 3000), (0, 120, 0)).save(tmp_path / "huge.jpg")
    image = load_image(tmp_path / "huge.jpg", max_side=300)
    assert max(image.size) <= 300
    assert abs(image.size[0] / image.size[1] - 4 / 3) < 0.02
    with Image.open(tmp_path / "huge.jpg") as opened:
        opened.draft("RGB", (300, 300))
        assert opened.size == (500, 375)  # what draft mode decodes: 1/8 of the pixels


def test_decompression_bomb_header_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bomb.png").write_bytes(_png_header_only(30000, 30000))
    with pytest.raises(ImageLoadError, match=r"bomb\.png: too many pixels"):
        load_image(tmp_path / "bomb.png")
    assert "too many pixels" in check_image(tmp_path / "bomb.png")


def test_pixel_limit_applies_after_draft(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(images, "MAX_DECODED_PIXELS", 100_000)
    Image.new("RGB", (800, 600), (9, 9, 9)).save(tmp_path / "big.png")
    Image.new("RGB", (800, 600), (9, 9, 9)).save(tmp_path / "big.jpg")
    with pytest.raises(ImageLoadError, match="800x600 = 480,000 pixels is over the limit"):
        load_image(tmp_path / "big.png", max_side=100)  # PNG cannot be reduced while decoding
    assert max(load_image(tmp_path / "big.jpg", max_side=100).size) == 100  # JPEG can


def test_bomb_message_quotes_the_documented_limit_not_pillows(tmp_path: Path) -> None:
    """Finding 7: a 900 M-pixel header was refused with Pillow's 179 M limit in the message."""
    (tmp_path / "bomb.png").write_bytes(_png_header_only(30000, 30000))
    with pytest.raises(ImageLoadError) as refused:
        load_image(tmp_path / "bomb.png")
    assert f"{images.MAX_DECODED_PIXELS:,} decoded pixels" in str(refused.value)
    assert "900,000,000 pixels" in str(refused.value)
    assert "178,956,970" not in str(refused.value)


def test_a_9000x9000_png_is_refused_from_its_header_before_decoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding 7: a 97 KB PNG of 81 M pixels was decoded (~470 MB) instead of refused."""
    Image.new("L", (9000, 9000), 7).save(tmp_path / "flat.png")
    assert (tmp_path / "flat.png").stat().st_size < 200_000

    def no_decoding(self):
        raise AssertionError("pixels decoded")

    monkeypatch.setattr(Image.Image, "load", no_decoding)
    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    for source in (tmp_path / "flat.png", (tmp_path / "flat.png").read_bytes()):
        with pytest.raises(ImageLoadError, match="9000x9000 = 81,000,000 pixels is over the lim"):
            load_image(source, max_side=600)
    assert "over the limit" in check_image(tmp_path / "flat.png")


def test_an_empty_photo_is_called_empty_not_a_non_image(tmp_path: Path) -> None:
    """Finding 6: a 0-byte photo was reported as 'not an image'."""
    (tmp_path / "empty.jpg").write_bytes(b"")
    for source in (tmp_path / "empty.jpg", b""):
        with pytest.raises(ImageLoadError, match="the file is empty"):
            load_image(source)
    assert "the file is empty" in check_image(tmp_path / "empty.jpg")
    with pytest.raises(ImageLoadError, match="the file is empty"):
        images.probe_image(tmp_path / "empty.jpg")


def test_probe_reads_the_header_only(tmp_path: Path) -> None:
    _noise(64, 48).save(tmp_path / "good.jpg")
    assert images.probe_image(tmp_path / "good.jpg") == ("JPEG", 64, 48)
    (tmp_path / "text.jpg").write_text("not a photo")
    with pytest.raises(ImageLoadError, match="not an image"):
        images.probe_image(tmp_path / "text.jpg")


def test_max_side_must_be_positive(photo_dir: Path) -> None:
    with pytest.raises(ValueError, match="max_side"):
        load_image(photo_dir / "good.jpg", max_side=0)


def test_check_image_catches_png_checksum_damage(tmp_path: Path) -> None:
    _noise(32, 32).save(tmp_path / "ok.png")
    data = bytearray((tmp_path / "ok.png").read_bytes())
    data[60] ^= 0xFF  # inside the IDAT chunk: its CRC no longer matches
    (tmp_path / "damaged.png").write_bytes(bytes(data))
    assert check_image(tmp_path / "ok.png") is None
    assert check_image(tmp_path / "damaged.png") is not None


@pytest.mark.real_data
def test_every_real_vist_photo_is_readable(vist_dir: Path) -> None:
    photos = sorted((vist_dir / "photos").glob("*.jpg"))
    assert len(photos) == 60
    assert [check_image(path) for path in photos] == [None] * 60
    image = load_image(photos[0], max_side=128)
    assert image.mode == "RGB" and max(image.size) == 128


#: Runs in a fresh process: decode ``argv[1]`` as an upload would (max_side 768); prints the
#: growth of the peak resident memory (bytes) and the result's size and centre pixel.
_DECODE_PEAK = r"""
import json, sys
from imgstory.images import load_image
def peak():
    status = open("/proc/self/status").read().split("VmHWM:")[1]
    return int(status.split()[0]) * 1024
before = peak()
image = load_image(sys.argv[1], max_side=768)
centre = image.getpixel((image.width // 2, image.height // 2))
print(json.dumps([peak() - before, image.size, centre]))
"""


@pytest.mark.parametrize(
    ("kind", "centre"), [("grey16", [156, 156, 156]), ("rgba", [147, 172, 207])]
)
def test_big_16_bit_and_rgba_photos_decode_within_the_stated_bound(tmp_path, kind, centre):
    """Issue 29.4: a 16-bit grey photo cost ~32 bytes a pixel to decode (float64 copies), an
    RGBA one ~19; both stay under DECODE_BOUND_BYTES_PER_PIXEL, with the same pixels."""
    import json
    import subprocess
    import sys

    side = 6300  # the photo: 39.7 M pixels, under the limit
    path = tmp_path / f"{kind}.png"
    if kind == "grey16":
        Image.fromarray(np.full((side, side), 40_000, dtype=np.uint16)).save(path)
    else:
        Image.new("RGBA", (side, side), (40, 90, 160, 128)).save(path)
    done = subprocess.run(
        [sys.executable, "-c", _DECODE_PEAK, str(path)], capture_output=True, text=True, check=True
    )
    grown, size, pixel = json.loads(done.stdout)
    assert size == [768, 768] and pixel == centre  # 40000/257 = 155.6; half-transparent on white
    assert grown <= images.DECODE_BOUND_BYTES_PER_PIXEL * side * side, grown / side**2
