"""Draw the app's favicon (assets/app/favicon.png) with Pillow: served by the app itself, so the
browser never asks a font server for an icon. Run: ``python scripts/make_favicon.py``.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

FAVICON = Path(__file__).resolve().parent.parent / "assets" / "app" / "favicon.png"
SIZE = 64


def draw_favicon(size: int = SIZE) -> Image.Image:
    """An open book of three photo frames on the app's red (its theme's primary colour)."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=size // 6, fill=(192, 57, 43, 255))
    frame = size // 5
    top = size // 3
    for index in range(3):
        left = size // 10 + index * (frame + size // 12)
        draw.rectangle((left, top, left + frame, top + frame), fill=(255, 255, 255, 255))
        draw.rectangle((left + 2, top + frame - 5, left + frame - 2, top + frame - 2),
                       fill=(46, 134, 193, 255))  # fmt: skip
    for line in range(2):  # the story under the photos
        y = top + frame + size // 8 + line * (size // 10)
        draw.line((size // 8, y, size - size // 8 - line * size // 5, y), fill="white", width=3)
    return image


if __name__ == "__main__":
    FAVICON.parent.mkdir(parents=True, exist_ok=True)
    draw_favicon().save(FAVICON)
    print(f"wrote {FAVICON}")
