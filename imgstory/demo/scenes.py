"""Paint a demo photo: a stage's :class:`~imgstory.demo.themes.SceneSpec` drawn with Pillow.

Every photo gets its own random layout, colours, counts, people and weather from a NumPy
generator, so no two photos are alike while a stage stays recognisable. Deterministic: the same
generator state paints the same pixels.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance

from imgstory.demo.themes import SceneSpec

RGB = tuple[int, int, int]
PHOTO_SIZE = (256, 192)
RENDER_SCALE = 2
JPEG_QUALITY = 75

SKIN = ("#f1c8a5", "#d9a27a", "#a8714a", "#7a4a2c", "#f5d5c0")
HAIR = ("#2b1a10", "#5a3a1e", "#c9a25a", "#1a1a1a", "#8a4a1a")
CLOTHES = (
    "#d6453d",
    "#2f6fd0",
    "#3ca35a",
    "#e8b23a",
    "#8e4fc0",
    "#e07b2f",
    "#20a6a6",
    "#c2407e",
    "#444a58",
    "#f0f0f0",
)
#: A gown: what the graduates, and the speaker at their ceremony, wear.
GOWN: dict[str, Any] = {"body": (20, 20, 26), "legs": (20, 20, 26)}
#: A graduate: the gown and a mortarboard.
GRADUATE: dict[str, Any] = {**GOWN, "hat": "mortarboard"}


def rgb(colour: str) -> RGB:
    """``"#rrggbb"`` -> ``(r, g, b)``."""
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


def jitter(colour: str | RGB, rng: np.random.Generator, amount: int = 18) -> RGB:
    """A colour moved by up to ``amount`` per channel, clipped to 0..255."""
    base = rgb(colour) if isinstance(colour, str) else colour
    shift = rng.integers(-amount, amount + 1, size=3)
    return tuple(int(np.clip(c + s, 0, 255)) for c, s in zip(base, shift, strict=True))


@dataclass(frozen=True)
class SceneStyle:
    """What one album's photos share: accent colours (team, balloons) and its weather."""

    accents: tuple[str, ...]
    weather: str


@dataclass(frozen=True)
class Frame:
    """The canvas being painted: its size and the row where the ground starts."""

    draw: ImageDraw.ImageDraw
    width: int
    height: int
    horizon: int
    style: SceneStyle

    def ground_spot(
        self, rng: np.random.Generator, near: float = 0.0, far: float = 1.0
    ) -> tuple[float, float, float]:
        """A random ``(x, y, size)`` on the ground; ``size`` grows toward the viewer."""
        depth = rng.uniform(near, far)
        y = self.horizon + 6 + depth * (self.height - self.horizon - 8)
        size = self.height * (0.2 + 0.45 * depth)
        return rng.uniform(0.06, 0.94) * self.width, y, size

    def sky_spot(self, rng: np.random.Generator) -> tuple[float, float]:
        """A random ``(x, y)`` in the sky (above the horizon)."""
        return rng.uniform(0.05, 0.95) * self.width, rng.uniform(0.05, 0.8) * self.horizon

    def pick(self, rng: np.random.Generator, colours: tuple[str, ...] = CLOTHES) -> RGB:
        """A jittered random colour from ``colours``."""
        return jitter(colours[int(rng.integers(len(colours)))], rng, 12)

    def accent(self, rng: np.random.Generator) -> RGB:
        """One of the album's accent colours, jittered."""
        return self.pick(rng, self.style.accents)


Prop = Callable[[Frame, np.random.Generator], None]


def _box(x: float, y: float, half_width: float, height: float) -> tuple[float, ...]:
    return (x - half_width, y - height, x + half_width, y)


@dataclass(frozen=True)
class _Pose:
    """Where a standing person's parts go: feet at ``(x, feet)``, ``height`` tall."""

    x: float
    feet: float
    height: float

    @property
    def head(self) -> float:
        """The head's radius."""
        return self.height * 0.11

    @property
    def head_y(self) -> float:
        """The row of the head's centre."""
        return self.feet - self.height + self.head

    @property
    def shoulders(self) -> float:
        """The row of the shoulders."""
        return self.head_y + self.head * 1.1

    @property
    def hips(self) -> float:
        """The row of the hips."""
        return self.feet - self.height * 0.42

    @property
    def half(self) -> float:
        """Half the torso's width."""
        return self.height * 0.14

    @property
    def line(self) -> int:
        """The stroke width of arms and legs."""
        return max(2, int(self.height * 0.07))


def _torso(draw: ImageDraw.ImageDraw, pose: _Pose, body: RGB, legs: RGB, dress: bool) -> None:
    """A dress down to the feet, or a shirt over two legs."""
    x, half, shoulders, hips, feet = pose.x, pose.half, pose.shoulders, pose.hips, pose.feet
    if dress:
        draw.polygon(
            [
                (x - half, shoulders),
                (x + half, shoulders),
                (x + half * 2, feet),
                (x - half * 2, feet),
            ],
            fill=body,
        )
    else:
        draw.rectangle((x - half, shoulders, x + half, hips), fill=body)
        draw.line((x - half * 0.5, hips, x - half * 0.6, feet), fill=legs, width=pose.line + 1)
        draw.line((x + half * 0.5, hips, x + half * 0.6, feet), fill=legs, width=pose.line + 1)


def _arms(draw: ImageDraw.ImageDraw, pose: _Pose, colour: RGB, arms_up: bool) -> None:
    """Both arms, raised or hanging."""
    x, half, shoulders = pose.x, pose.half, pose.shoulders
    arm_end = -pose.height * 0.3 if arms_up else pose.height * 0.3
    for side in (-1, 1):
        draw.line(
            (x + side * half, shoulders + 2, x + side * half * 2.1, shoulders + arm_end),
            fill=colour,
            width=pose.line,
        )


def _held(
    draw: ImageDraw.ImageDraw, pose: _Pose, holds: str | None, rng: np.random.Generator
) -> None:
    """What the person holds: a guitar, a diploma or nothing."""
    x, half, height, shoulders, hips = pose.x, pose.half, pose.height, pose.shoulders, pose.hips
    if holds == "guitar":
        draw.ellipse(
            _box(x + half * 0.4, hips + height * 0.08, half * 0.9, height * 0.25),
            fill=jitter("#b5651d", rng),
        )
        draw.line(
            (x, hips - height * 0.05, x + half * 2.6, shoulders - height * 0.05),
            fill=(40, 30, 20),
            width=pose.line,
        )
    elif holds == "diploma":
        draw.rectangle(
            (x + half * 1.6, shoulders, x + half * 2.6, shoulders + height * 0.07),
            fill=(250, 248, 235),
        )


def _head(draw: ImageDraw.ImageDraw, pose: _Pose, skin: RGB, rng: np.random.Generator) -> None:
    """The face and, over its top half, the hair."""
    x, head, head_y = pose.x, pose.head, pose.head_y
    draw.ellipse((x - head, head_y - head, x + head, head_y + head), fill=skin)
    draw.chord(
        (x - head, head_y - head, x + head, head_y + head),
        180,
        360,
        fill=jitter(HAIR[int(rng.integers(len(HAIR)))], rng, 8),
    )


def _hat(draw: ImageDraw.ImageDraw, pose: _Pose, hat: str | None, colour: RGB, skin: RGB) -> None:
    """A party hat, a beanie, a mortarboard, a veil, or nothing."""
    x, head, head_y = pose.x, pose.head, pose.head_y
    if hat == "party":
        draw.polygon(
            [
                (x - head * 0.7, head_y - head * 0.8),
                (x + head * 0.7, head_y - head * 0.8),
                (x, head_y - head * 2.6),
            ],
            fill=colour,
        )
    elif hat == "beanie":
        draw.chord(
            (x - head * 1.1, head_y - head * 1.3, x + head * 1.1, head_y + head * 0.5),
            180,
            360,
            fill=colour,
        )
    elif hat == "mortarboard":
        draw.polygon(
            [
                (x - head * 1.6, head_y - head * 0.9),
                (x, head_y - head * 1.5),
                (x + head * 1.6, head_y - head * 0.9),
                (x, head_y - head * 0.4),
            ],
            fill=(20, 20, 24),
        )
        draw.line(
            (x + head * 1.2, head_y - head, x + head * 1.3, head_y + head * 0.4),
            fill=(230, 190, 40),
            width=max(1, pose.line // 2),
        )
    elif hat == "veil":
        draw.polygon(
            [
                (x - head * 1.2, head_y - head),
                (x + head * 1.2, head_y - head),
                (x + head * 1.8, pose.shoulders + pose.height * 0.2),
                (x - head * 1.8, pose.shoulders + pose.height * 0.2),
            ],
            fill=(245, 245, 250),
        )
        draw.ellipse(
            (x - head * 0.8, head_y - head * 0.8, x + head * 0.8, head_y + head * 0.9), fill=skin
        )


def _figure(
    frame: Frame,
    rng: np.random.Generator,
    x: float,
    feet: float,
    height: float,
    *,
    body: RGB | None = None,
    legs: RGB | None = None,
    arms_up: bool = False,
    dress: bool = False,
    hat: str | None = None,
    hat_colour: RGB | None = None,
    backpack: bool = False,
    holds: str | None = None,
) -> None:
    """A person standing with their feet at ``(x, feet)``.

    Parts are painted back to front (backpack, torso, arms, what they hold, head, hat) and the
    random choices are drawn in that order too, so a generator state paints the same person.
    """
    draw = frame.draw
    body = body or frame.pick(rng)
    legs = legs or jitter("#30343c", rng, 15)
    skin = jitter(SKIN[int(rng.integers(len(SKIN)))], rng, 8)
    pose = _Pose(x, feet, height)
    if backpack:
        draw.rectangle(
            (x - pose.half * 1.3, pose.shoulders + 2, x + pose.half * 0.2, pose.hips),
            fill=jitter("#6a4a2a", rng),
        )
    _torso(draw, pose, body, legs, dress)
    _arms(draw, pose, skin if arms_up else body, arms_up)
    _held(draw, pose, holds, rng)
    _head(draw, pose, skin, rng)
    _hat(draw, pose, hat, hat_colour or frame.pick(rng), skin)


def _person(frame: Frame, rng: np.random.Generator, **looks: object) -> None:
    x, y, size = frame.ground_spot(rng)
    _figure(frame, rng, x, y, size, **looks)


def _sun(frame: Frame, rng: np.random.Generator) -> None:
    x, y = frame.sky_spot(rng)
    r = frame.height * rng.uniform(0.05, 0.08)
    frame.draw.ellipse((x - r, y - r, x + r, y + r), fill=jitter("#ffe14d", rng, 10))


def _moon(frame: Frame, rng: np.random.Generator) -> None:
    x, y = frame.sky_spot(rng)
    r = frame.height * rng.uniform(0.04, 0.06)
    frame.draw.ellipse((x - r, y - r, x + r, y + r), fill=jitter("#f2f0d8", rng, 8))


def _stars(frame: Frame, rng: np.random.Generator) -> None:
    for _ in range(int(rng.integers(20, 45))):
        x, y = frame.sky_spot(rng)
        frame.draw.point([(x, y), (x + 1, y), (x, y + 1)], fill=jitter("#fffbe0", rng, 20))


def _clouds(frame: Frame, rng: np.random.Generator) -> None:
    for _ in range(int(rng.integers(2, 5))):
        x, y = frame.sky_spot(rng)
        w = frame.width * rng.uniform(0.08, 0.16)
        colour = jitter("#eef0f3", rng, 10)
        for dx in (-w, 0, w):
            r = w * rng.uniform(0.7, 1.0)
            frame.draw.ellipse((x + dx - r, y - r * 0.6, x + dx + r, y + r * 0.6), fill=colour)


def _snowflakes(frame: Frame, rng: np.random.Generator) -> None:
    for _ in range(int(rng.integers(120, 220))):
        x, y = rng.uniform(0, frame.width), rng.uniform(0, frame.height)
        r = rng.uniform(1.0, 3.0)
        frame.draw.ellipse((x - r, y - r, x + r, y + r), fill=(250, 250, 255))


def _setting_sun(frame: Frame, rng: np.random.Generator) -> None:
    x, r = rng.uniform(0.25, 0.75) * frame.width, frame.height * rng.uniform(0.1, 0.15)
    y = frame.horizon
    frame.draw.pieslice((x - r, y - r, x + r, y + r), 180, 360, fill=jitter("#ff7a2a", rng, 15))
    for i in range(1, 6):
        frame.draw.line(
            (x - r * (1.2 - i * 0.15), y + i * 9, x + r * (1.2 - i * 0.15), y + i * 9),
            fill=jitter("#f5a050", rng),
            width=3,
        )


def _palm_tree(frame: Frame, rng: np.random.Generator) -> None:
    x, base = rng.uniform(0.05, 0.95) * frame.width, frame.horizon + 4
    top = base - frame.height * rng.uniform(0.35, 0.5)
    lean = rng.uniform(-20, 20)
    frame.draw.line((x, base, x + lean, top), fill=jitter("#8a6234", rng), width=7)
    for angle in np.linspace(0, 2 * np.pi, 6, endpoint=False) + rng.uniform(0, 1):
        end = (x + lean + np.cos(angle) * 45, top + np.sin(angle) * 22 + 10)
        frame.draw.line((x + lean, top, *end), fill=jitter("#2f8a3a", rng), width=6)


def _tree(frame: Frame, rng: np.random.Generator) -> None:
    x, base = rng.uniform(0.03, 0.97) * frame.width, frame.horizon + rng.uniform(2, 12)
    height = frame.height * rng.uniform(0.22, 0.36)
    frame.draw.rectangle((x - 5, base - height * 0.4, x + 5, base), fill=jitter("#6a4a2a", rng))
    r = height * 0.35
    frame.draw.ellipse(
        (x - r, base - height - r * 0.2, x + r, base - height * 0.3),
        fill=jitter("#3a8a3a", rng, 20),
    )


def _bare_tree(frame: Frame, rng: np.random.Generator) -> None:
    x, base = rng.uniform(0.05, 0.95) * frame.width, frame.horizon + rng.uniform(2, 10)
    height = frame.height * rng.uniform(0.25, 0.4)
    colour = jitter("#4a3a30", rng)
    frame.draw.line((x, base, x, base - height), fill=colour, width=6)
    for i in range(4):
        y = base - height * (0.45 + i * 0.14)
        side = 1 if i % 2 else -1
        frame.draw.line((x, y, x + side * height * 0.3, y - height * 0.15), fill=colour, width=3)


def _pine_tree(frame: Frame, rng: np.random.Generator) -> None:
    x, y, size = frame.ground_spot(rng, 0.0, 0.7)
    height = size * rng.uniform(1.2, 1.8)
    green, snow = jitter("#1f4a30", rng, 14), (245, 248, 252)
    frame.draw.rectangle((x - 4, y - height * 0.15, x + 4, y), fill=jitter("#5a3a24", rng))
    for level in range(3):
        top = y - height * (1 - level * 0.22)
        bottom = y - height * (0.5 - level * 0.15)
        half = height * (0.18 + level * 0.06)
        frame.draw.polygon([(x, top), (x - half, bottom), (x + half, bottom)], fill=green)
        frame.draw.polygon(
            [
                (x, top),
                (x - half * 0.35, top + (bottom - top) * 0.35),
                (x + half * 0.35, top + (bottom - top) * 0.35),
            ],
            fill=snow,
        )


def _road(frame: Frame, rng: np.random.Generator) -> None:
    y = frame.horizon + (frame.height - frame.horizon) * rng.uniform(0.45, 0.65)
    frame.draw.rectangle(
        (0, frame.horizon, frame.width, frame.horizon + 10), fill=jitter("#e3cf9a", rng)
    )
    for x in range(int(rng.integers(0, 30)), frame.width, 60):
        frame.draw.rectangle((x, y, x + 30, y + 4), fill=(240, 240, 240))


def _car(
    frame: Frame, rng: np.random.Generator, *, headlights: bool = False, cans: bool = False
) -> None:
    x, y, size = frame.ground_spot(rng, 0.2, 0.9)
    w, h = size * 0.9, size * 0.3
    colour = jitter("#ffffff", rng, 6) if cans else frame.pick(rng)
    frame.draw.rounded_rectangle(
        (x - w / 2, y - h, x + w / 2, y - h * 0.25), radius=int(h * 0.2), fill=colour
    )
    frame.draw.rounded_rectangle(
        (x - w * 0.3, y - h * 1.6, x + w * 0.25, y - h * 0.9), radius=int(h * 0.2), fill=colour
    )
    frame.draw.rectangle((x - w * 0.25, y - h * 1.45, x + w * 0.2, y - h), fill=(170, 200, 225))
    for wheel in (-w * 0.3, w * 0.3):
        r = h * 0.32
        frame.draw.ellipse(
            (x + wheel - r, y - h * 0.3 - r, x + wheel + r, y - h * 0.3 + r), fill=(25, 25, 25)
        )
    if headlights:
        for side in (-1, 1):
            frame.draw.polygon(
                [
                    (x + side * w / 2, y - h * 0.7),
                    (x + side * w * 1.2, y - h * 1.1),
                    (x + side * w * 1.2, y - h * 0.1),
                ],
                fill=(255, 240, 170),
            )
    if cans:
        frame.draw.text((x - w * 0.3, y - h * 0.8), "JUST MARRIED", fill=(200, 60, 90))
        for i in range(3):
            frame.draw.line(
                (x + w / 2, y - h * 0.5, x + w * (0.7 + i * 0.12), y - h * 0.05),
                fill=(150, 150, 150),
                width=2,
            )
            frame.draw.rectangle(
                (x + w * (0.66 + i * 0.12), y - h * 0.15, x + w * (0.74 + i * 0.12), y),
                fill=(190, 190, 200),
            )


def _sea(frame: Frame, rng: np.random.Generator) -> None:
    depth = frame.horizon + (frame.height - frame.horizon) * rng.uniform(0.15, 0.3)
    frame.draw.rectangle((0, frame.horizon, frame.width, depth), fill=jitter("#2a7fc8", rng))
    frame.draw.rectangle((0, depth - 3, frame.width, depth + 2), fill=(245, 250, 255))


def _waves(frame: Frame, rng: np.random.Generator) -> None:
    for _ in range(int(rng.integers(8, 14))):
        x, y, size = frame.ground_spot(rng)
        frame.draw.arc(
            (x - size * 0.3, y - size * 0.08, x + size * 0.3, y + size * 0.08),
            180,
            360,
            fill=(235, 245, 255),
            width=3,
        )


def _swimmer(frame: Frame, rng: np.random.Generator) -> None:
    x, y, size = frame.ground_spot(rng, 0.1, 0.8)
    r = size * 0.1
    frame.draw.ellipse(
        (x - r * 2.2, y - r * 0.3, x + r * 2.2, y + r * 0.6), fill=jitter("#4a9ad8", rng)
    )
    frame.draw.ellipse(
        (x - r, y - r * 1.6, x + r, y + r * 0.4),
        fill=jitter(SKIN[int(rng.integers(len(SKIN)))], rng, 8),
    )


def _surfboard(frame: Frame, rng: np.random.Generator) -> None:
    x, y, size = frame.ground_spot(rng, 0.2, 0.9)
    frame.draw.ellipse(
        (x - size * 0.35, y - size * 0.06, x + size * 0.35, y + size * 0.06), fill=frame.pick(rng)
    )


def _umbrella(frame: Frame, rng: np.random.Generator) -> None:
    x, y, size = frame.ground_spot(rng, 0.1, 0.7)
    colour = frame.pick(rng)
    frame.draw.line((x, y, x, y - size * 0.9), fill=(90, 90, 90), width=3)
    frame.draw.pieslice(
        (x - size * 0.45, y - size * 1.15, x + size * 0.45, y - size * 0.6), 180, 360, fill=colour
    )


def _towel(frame: Frame, rng: np.random.Generator) -> None:
    x, y, size = frame.ground_spot(rng, 0.3, 1.0)
    a, b = frame.pick(rng), frame.pick(rng)
    for i in range(4):
        frame.draw.rectangle(
            (
                x - size * 0.3 + i * size * 0.15,
                y - size * 0.12,
                x - size * 0.15 + i * size * 0.15,
                y,
            ),
            fill=a if i % 2 else b,
        )


def _sandcastle(frame: Frame, rng: np.random.Generator) -> None:
    x = rng.uniform(0.3, 0.7) * frame.width
    y = frame.height * rng.uniform(0.8, 0.92)
    size = frame.height * rng.uniform(0.45, 0.6)
    sand = jitter("#c9a55e", rng, 12)
    frame.draw.rectangle((x - size * 0.5, y - size * 0.45, x + size * 0.5, y), fill=sand)
    for dx in (-0.5, -0.1, 0.3):
        frame.draw.rectangle(
            (x + size * dx, y - size * 0.75, x + size * (dx + 0.2), y - size * 0.4), fill=sand
        )
        for t in range(3):
            frame.draw.rectangle(
                (
                    x + size * (dx + t * 0.075),
                    y - size * 0.82,
                    x + size * (dx + t * 0.075 + 0.04),
                    y - size * 0.75,
                ),
                fill=sand,
            )
    frame.draw.rectangle(
        (x - size * 0.06, y - size * 0.2, x + size * 0.06, y), fill=jitter("#7a5a30", rng)
    )
    frame.draw.line(
        (x + size * 0.4, y - size * 0.82, x + size * 0.4, y - size * 1.05),
        fill=(60, 60, 60),
        width=2,
    )
    frame.draw.polygon(
        [
            (x + size * 0.4, y - size * 1.05),
            (x + size * 0.55, y - size * 1.0),
            (x + size * 0.4, y - size * 0.95),
        ],
        fill=frame.pick(rng),
    )


def _bucket(frame: Frame, rng: np.random.Generator) -> None:
    x, y, size = frame.ground_spot(rng, 0.4, 1.0)
    frame.draw.polygon(
        [
            (x - size * 0.15, y - size * 0.3),
            (x + size * 0.15, y - size * 0.3),
            (x + size * 0.11, y),
            (x - size * 0.11, y),
        ],
        fill=frame.pick(rng),
    )


def _shell(frame: Frame, rng: np.random.Generator) -> None:
    x, y, size = frame.ground_spot(rng, 0.3, 1.0)
    r = size * 0.05
    frame.draw.pieslice((x - r, y - r, x + r, y + r), 180, 360, fill=jitter("#f2e0d0", rng))


def _silhouette(frame: Frame, rng: np.random.Generator) -> None:
    x = rng.uniform(0.1, 0.9) * frame.width
    _figure(
        frame,
        rng,
        x,
        frame.height * 0.97,
        frame.height * rng.uniform(0.4, 0.55),
        body=(30, 20, 40),
        legs=(30, 20, 40),
    )


def _door(frame: Frame, rng: np.random.Generator) -> None:
    x = rng.uniform(0.1, 0.9) * frame.width
    frame.draw.rectangle(
        (x - 25, frame.horizon - frame.height * 0.45, x + 25, frame.horizon),
        fill=jitter("#8a5a3a", rng),
    )


def _bunting(frame: Frame, rng: np.random.Generator) -> None:
    y = frame.height * rng.uniform(0.08, 0.2)
    step = frame.width / int(rng.integers(7, 11))
    for i in range(int(frame.width // step) + 1):
        frame.draw.polygon(
            [(i * step, y), ((i + 1) * step, y), ((i + 0.5) * step, y + step * 0.8)],
            fill=frame.accent(rng),
        )


def _balloon(frame: Frame, rng: np.random.Generator, *, high: bool = False) -> None:
    x = rng.uniform(0.05, 0.95) * frame.width
    y = rng.uniform(0.1, 0.45 if high else 0.6) * frame.height
    r = frame.height * rng.uniform(0.05, 0.08)
    frame.draw.line((x, y + r * 1.2, x + rng.uniform(-8, 8), y + r * 4), fill=(90, 90, 90), width=1)
    frame.draw.ellipse((x - r, y - r * 1.2, x + r, y + r * 1.2), fill=frame.accent(rng))


def _gift(frame: Frame, rng: np.random.Generator) -> None:
    x, y, size = frame.ground_spot(rng, 0.2, 1.0)
    w = size * rng.uniform(0.18, 0.3)
    frame.draw.rectangle((x - w, y - w * 1.4, x + w, y), fill=frame.pick(rng))
    ribbon = frame.accent(rng)
    frame.draw.rectangle((x - w * 0.15, y - w * 1.4, x + w * 0.15, y), fill=ribbon)
    frame.draw.rectangle((x - w, y - w * 0.85, x + w, y - w * 0.6), fill=ribbon)


def _table(frame: Frame, rng: np.random.Generator) -> None:
    top = frame.horizon + (frame.height - frame.horizon) * 0.1
    frame.draw.rectangle(
        (frame.width * 0.08, top, frame.width * 0.92, frame.height), fill=jitter("#f3eee6", rng, 10)
    )


def _cake(frame: Frame, rng: np.random.Generator) -> None:
    x = rng.uniform(0.35, 0.65) * frame.width
    base = frame.horizon + (frame.height - frame.horizon) * 0.75
    w = frame.width * rng.uniform(0.16, 0.24)
    icing = frame.accent(rng)
    frame.draw.rectangle((x - w, base - w * 0.7, x + w, base), fill=jitter("#f6e3c6", rng))
    frame.draw.rectangle((x - w, base - w * 0.75, x + w, base - w * 0.55), fill=icing)
    count = int(rng.integers(4, 9))
    for cx in np.linspace(x - w * 0.8, x + w * 0.8, count):
        frame.draw.rectangle(
            (cx - 2, base - w * 1.05, cx + 2, base - w * 0.75), fill=frame.pick(rng)
        )
        frame.draw.ellipse((cx - 5, base - w * 1.25, cx + 5, base - w * 1.05), fill=(255, 200, 60))
        frame.draw.ellipse(
            (cx - 14, base - w * 1.35, cx + 14, base - w * 0.95), outline=(255, 220, 120)
        )


def _gabled(
    frame: Frame,
    x: float,
    base: float,
    w: float,
    shape: tuple[float, float, float],
    wall: RGB,
    roof: RGB,
) -> None:
    """A building ``2 w`` wide standing on ``base`` at ``x``, its wall and gabled roof sized in
    ``w`` by ``shape``: (wall height, roof half-width at the eaves, roof peak above ``base``)."""
    height, eaves, peak = shape
    frame.draw.rectangle((x - w, base - w * height, x + w, base), fill=wall)
    frame.draw.polygon(
        [(x - w * eaves, base - w * height), (x + w * eaves, base - w * height),
         (x, base - w * peak)],
        fill=roof,
    )  # fmt: skip


def _church(frame: Frame, rng: np.random.Generator) -> None:
    x = rng.uniform(0.3, 0.7) * frame.width
    base, w = frame.horizon + 6, frame.width * rng.uniform(0.16, 0.22)
    white = jitter("#f5f3ee", rng, 8)
    _gabled(frame, x, base, w, (1.1, 1.1, 1.7), white, jitter("#8a3a30", rng))
    frame.draw.rectangle((x - w * 0.2, base - w * 2.4, x + w * 0.2, base - w * 1.4), fill=white)
    frame.draw.polygon(
        [(x - w * 0.25, base - w * 2.4), (x + w * 0.25, base - w * 2.4), (x, base - w * 3.0)],
        fill=jitter("#8a3a30", rng),
    )
    frame.draw.rectangle(
        (x - w * 0.2, base - w * 0.6, x + w * 0.2, base), fill=jitter("#6a4a2a", rng)
    )


def _aisle(frame: Frame, rng: np.random.Generator) -> None:
    x = frame.width / 2 + rng.uniform(-20, 20)
    frame.draw.polygon(
        [
            (x - 20, frame.horizon),
            (x + 20, frame.horizon),
            (x + 110, frame.height),
            (x - 110, frame.height),
        ],
        fill=jitter("#b02a3a", rng),
    )


def _flower_arch(frame: Frame, rng: np.random.Generator) -> None:
    x, r = frame.width / 2 + rng.uniform(-15, 15), frame.height * rng.uniform(0.32, 0.4)
    base = frame.horizon + 4
    for angle in np.linspace(np.pi, 2 * np.pi, 18):
        fx, fy = x + np.cos(angle) * r, base - r * 0.35 + np.sin(angle) * r
        frame.draw.ellipse((fx - 9, fy - 9, fx + 9, fy + 9), fill=frame.accent(rng))
    for side in (-1, 1):
        frame.draw.rectangle(
            (x + side * r - 4, base - r * 0.35, x + side * r + 4, base), fill=jitter("#3a7a3a", rng)
        )


def _couple(frame: Frame, rng: np.random.Generator) -> None:
    x = frame.width / 2 + rng.uniform(-30, 30)
    feet = frame.horizon + (frame.height - frame.horizon) * rng.uniform(0.2, 0.5)
    size = frame.height * rng.uniform(0.45, 0.55)
    _figure(frame, rng, x - size * 0.22, feet, size, body=(248, 248, 252), dress=True, hat="veil")
    _figure(frame, rng, x + size * 0.22, feet, size * 1.05, body=(25, 25, 32), legs=(25, 25, 32))


def _flower(frame: Frame, rng: np.random.Generator) -> None:
    x, y, size = frame.ground_spot(rng)
    r = size * 0.07
    for angle in np.linspace(0, 2 * np.pi, 5, endpoint=False):
        px, py = x + np.cos(angle) * r, y - size * 0.2 + np.sin(angle) * r
        frame.draw.ellipse((px - r, py - r, px + r, py + r), fill=frame.accent(rng))
    frame.draw.ellipse(
        (x - r * 0.6, y - size * 0.2 - r * 0.6, x + r * 0.6, y - size * 0.2 + r * 0.6),
        fill=(250, 220, 60),
    )


def _rings(frame: Frame, rng: np.random.Generator) -> None:
    x = rng.uniform(0.4, 0.6) * frame.width
    y = frame.horizon + (frame.height - frame.horizon) * 0.3
    frame.draw.ellipse((x - 110, y - 40, x + 110, y + 60), fill=jitter("#f3e9f7", rng))
    r = frame.height * rng.uniform(0.12, 0.16)
    for dx in (-r * 0.6, r * 0.6):
        frame.draw.ellipse(
            (x + dx - r, y - r * 1.3, x + dx + r, y + r * 0.7),
            outline=jitter("#e3b43a", rng, 10),
            width=int(r * 0.22),
        )


def _string_lights(frame: Frame, rng: np.random.Generator) -> None:
    for row in range(int(rng.integers(2, 4))):
        y0 = frame.height * (0.08 + row * 0.1)
        points = [(x, y0 + 12 * np.sin(x / 40 + row)) for x in range(0, frame.width + 1, 16)]
        frame.draw.line(points, fill=(80, 70, 60), width=1)
        for px, py in points:
            frame.draw.ellipse((px - 3, py - 3, px + 3, py + 3), fill=jitter("#ffe08a", rng, 15))


def _dance_floor(frame: Frame, rng: np.random.Generator) -> None:
    light, dark = jitter("#d8c8a0", rng), jitter("#5a4a3a", rng)
    cell = int(rng.integers(36, 52))
    for i, x in enumerate(range(0, frame.width, cell)):
        for j, y in enumerate(range(frame.horizon, frame.height, cell // 2)):
            frame.draw.rectangle(
                (x, y, x + cell, y + cell // 2), fill=light if (i + j) % 2 else dark
            )


def _spotlights(frame: Frame, rng: np.random.Generator) -> None:
    for _ in range(int(rng.integers(3, 6))):
        x = rng.uniform(0, frame.width)
        spread = rng.uniform(40, 90)
        frame.draw.polygon(
            [(x, 0), (x - spread, frame.horizon), (x + spread, frame.horizon)],
            fill=frame.accent(rng),
        )


def _light_beams(frame: Frame, rng: np.random.Generator) -> None:
    for _ in range(int(rng.integers(5, 9))):
        x0, x1 = rng.uniform(0, frame.width), rng.uniform(0, frame.width)
        frame.draw.line(
            (x0, 0, x1, frame.horizon), fill=frame.accent(rng), width=int(rng.integers(6, 14))
        )


def _stage_platform(frame: Frame, rng: np.random.Generator) -> None:
    top = frame.horizon + (frame.height - frame.horizon) * 0.35
    frame.draw.rectangle((0, top, frame.width, frame.height), fill=jitter("#3a3030", rng))
    frame.draw.rectangle((0, top, frame.width, top + 5), fill=frame.accent(rng))
    for x in (frame.width * 0.1, frame.width * 0.9):
        frame.draw.rectangle((x - 18, top - 50, x + 18, top), fill=(15, 15, 15))


def _musician(frame: Frame, rng: np.random.Generator) -> None:
    x = rng.uniform(0.12, 0.88) * frame.width
    feet = frame.horizon + (frame.height - frame.horizon) * 0.35
    _figure(
        frame,
        rng,
        x,
        feet,
        frame.height * rng.uniform(0.38, 0.48),
        holds="guitar" if rng.random() < 0.6 else None,
    )


def _singer(frame: Frame, rng: np.random.Generator) -> None:
    x = rng.uniform(0.35, 0.65) * frame.width
    size = frame.height * rng.uniform(0.8, 0.95)
    _figure(frame, rng, x, frame.height * 1.05, size, arms_up=rng.random() < 0.5)
    mic_x = x + size * 0.3
    frame.draw.line(
        (mic_x, frame.height, mic_x, frame.height - size * 0.72), fill=(150, 150, 160), width=4
    )
    frame.draw.ellipse(
        (mic_x - 8, frame.height - size * 0.78, mic_x + 8, frame.height - size * 0.7),
        fill=(60, 60, 70),
    )


def _crowd(frame: Frame, rng: np.random.Generator) -> None:
    for row in range(4):
        y = frame.horizon + row * (frame.height - frame.horizon) / 3.5
        r = 12 + row * 6
        for x in np.arange(rng.uniform(0, r), frame.width + r, r * 1.9):
            colour = jitter("#201828", rng, 10)
            frame.draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
            frame.draw.rectangle(
                (x - r * 1.1, y + r * 0.8, x + r * 1.1, max(frame.height, y + r)), fill=colour
            )
            if rng.random() < 0.3:
                frame.draw.line(
                    (x + r, y, x + r * 1.6, y - r * 2.5), fill=colour, width=max(3, r // 3)
                )


def _venue(frame: Frame, rng: np.random.Generator) -> None:
    left = rng.uniform(0.05, 0.3) * frame.width
    right = left + frame.width * rng.uniform(0.55, 0.65)
    top = frame.horizon - frame.height * rng.uniform(0.45, 0.6)
    frame.draw.rectangle((left, top, right, frame.horizon), fill=jitter("#4a3a4a", rng))
    frame.draw.rectangle(
        (left - 10, top + 30, right + 10, top + 70), fill=jitter("#f0d060", rng, 10)
    )
    for x in np.arange(left, right + 10, 16):
        frame.draw.ellipse((x - 3, top + 24, x + 3, top + 30), fill=(255, 250, 200))
        frame.draw.ellipse((x - 3, top + 70, x + 3, top + 76), fill=(255, 250, 200))
    frame.draw.rectangle(
        ((left + right) / 2 - 25, frame.horizon - 60, (left + right) / 2 + 25, frame.horizon),
        fill=(30, 20, 25),
    )


def _mountains(frame: Frame, rng: np.random.Generator) -> None:
    for _ in range(int(rng.integers(2, 4))):
        x = rng.uniform(0, frame.width)
        half, height = frame.width * rng.uniform(0.2, 0.35), frame.horizon * rng.uniform(0.45, 0.8)
        peak = (x, frame.horizon - height)
        frame.draw.polygon(
            [(x - half, frame.horizon), peak, (x + half, frame.horizon)],
            fill=jitter("#7a8494", rng),
        )
        frame.draw.polygon(
            [
                peak,
                (x - half * 0.3, peak[1] + height * 0.3),
                (x + half * 0.3, peak[1] + height * 0.3),
            ],
            fill=(248, 250, 252),
        )


def _frozen_lake(frame: Frame, rng: np.random.Generator) -> None:
    cx = frame.width * rng.uniform(0.35, 0.65)
    top = frame.horizon + (frame.height - frame.horizon) * rng.uniform(0.15, 0.3)
    frame.draw.ellipse(
        (cx - frame.width * 0.45, top, cx + frame.width * 0.45, frame.height * 0.95),
        fill=jitter("#9cc8e6", rng, 12),
    )
    for _ in range(4):
        x0 = cx + rng.uniform(-120, 120)
        frame.draw.line(
            (x0, top + 30, x0 + rng.uniform(-40, 40), top + 80), fill=(235, 245, 255), width=2
        )


def _path(frame: Frame, rng: np.random.Generator) -> None:
    x = frame.width * rng.uniform(0.35, 0.65)
    frame.draw.polygon(
        [
            (x - 8, frame.horizon),
            (x + 8, frame.horizon),
            (x + 140, frame.height),
            (x - 140, frame.height),
        ],
        fill=jitter("#d2d8e0", rng, 6),
    )


def _trail_sign(frame: Frame, rng: np.random.Generator) -> None:
    x, y, size = frame.ground_spot(rng, 0.3, 0.8)
    wood = jitter("#7a5230", rng)
    frame.draw.rectangle((x - 4, y - size * 0.8, x + 4, y), fill=wood)
    frame.draw.rectangle(
        (x - size * 0.35, y - size * 0.85, x + size * 0.35, y - size * 0.6), fill=wood
    )
    frame.draw.rectangle(
        (x - size * 0.35, y - size * 0.87, x + size * 0.35, y - size * 0.83), fill=(250, 250, 255)
    )


def _footprints(frame: Frame, rng: np.random.Generator) -> None:
    x, y = rng.uniform(0.1, 0.4) * frame.width, frame.height * 0.95
    dx = rng.uniform(15, 30)
    for i in range(10):
        px, py = x + i * dx, y - i * (y - frame.horizon) / 11
        frame.draw.ellipse((px - 4, py - 2, px + 4, py + 2), fill=(190, 200, 215))


def _animal(
    frame: Frame, rng: np.random.Generator, *, colour: str, legs: float, tail: bool
) -> None:
    x, y, size = frame.ground_spot(rng, 0.3, 0.9)
    fur = jitter(colour, rng, 12)
    w, h = size * 0.45, size * 0.18
    frame.draw.ellipse((x - w / 2, y - legs * size - h, x + w / 2, y - legs * size), fill=fur)
    for lx in (-w * 0.35, -w * 0.2, w * 0.2, w * 0.35):
        frame.draw.line((x + lx, y - legs * size - h * 0.3, x + lx, y), fill=fur, width=3)
    head_x = x + w * 0.55
    frame.draw.ellipse(
        (
            head_x - h * 0.45,
            y - legs * size - h * 1.6,
            head_x + h * 0.45,
            y - legs * size - h * 0.7,
        ),
        fill=fur,
    )
    if tail:
        frame.draw.ellipse(
            (x - w * 0.9, y - legs * size - h * 0.8, x - w * 0.4, y - legs * size - h * 0.2),
            fill=fur,
        )
    else:
        for side in (-1, 1):
            frame.draw.line(
                (
                    head_x,
                    y - legs * size - h * 1.5,
                    head_x + side * h * 0.6,
                    y - legs * size - h * 2.4,
                ),
                fill=(90, 60, 40),
                width=3,
            )


def _snowman(frame: Frame, rng: np.random.Generator) -> None:
    x = rng.uniform(0.3, 0.7) * frame.width
    base = frame.horizon + (frame.height - frame.horizon) * rng.uniform(0.55, 0.8)
    r = frame.height * rng.uniform(0.12, 0.16)
    white = (250, 251, 255)
    for scale, lift in ((1.0, 0.0), (0.72, 1.6), (0.5, 2.75)):
        cy = base - r - lift * r
        frame.draw.ellipse(
            (x - r * scale, cy - r * scale, x + r * scale, cy + r * scale),
            fill=white,
            outline=(200, 205, 215),
        )
    head_y = base - r - 2.75 * r
    frame.draw.polygon(
        [(x, head_y), (x + r * 0.5, head_y + 3), (x, head_y + 6)], fill=(240, 130, 30)
    )
    frame.draw.rectangle(
        (x - r * 0.4, head_y - r * 1.0, x + r * 0.4, head_y - r * 0.45), fill=(25, 25, 25)
    )
    frame.draw.rectangle(
        (x - r * 0.5, head_y + r * 0.35, x + r * 0.5, head_y + r * 0.55), fill=frame.accent(rng)
    )


def _rink(frame: Frame, rng: np.random.Generator) -> None:
    frame.draw.ellipse(
        (frame.width * 0.02, frame.horizon + 8, frame.width * 0.98, frame.height * 1.1),
        fill=jitter("#bfe2f5", rng, 10),
        outline=(230, 80, 80),
        width=4,
    )


def _skater(frame: Frame, rng: np.random.Generator) -> None:
    x, y, size = frame.ground_spot(rng, 0.2, 0.9)
    _figure(frame, rng, x, y, size * 0.8, arms_up=rng.random() < 0.3, hat="beanie")
    frame.draw.line((x - size * 0.12, y, x + size * 0.12, y), fill=(200, 200, 210), width=3)


def _buildings(frame: Frame, rng: np.random.Generator, *, lit: bool = False) -> None:
    x = -rng.uniform(0, 20)
    while x < frame.width:
        w = frame.width * rng.uniform(0.12, 0.22)
        top = frame.horizon - frame.height * rng.uniform(0.25, 0.6)
        wall = jitter("#2a2f44" if lit else "#8a7a70", rng, 20)
        frame.draw.rectangle((x, top, x + w, frame.horizon), fill=wall)
        frame.draw.rectangle((x, top, x + w, top + 5), fill=(248, 250, 255))
        for wy in np.arange(top + 12, frame.horizon - 12, 18):
            for wx in np.arange(x + 6, x + w - 10, 14):
                on = lit and rng.random() < 0.7
                frame.draw.rectangle(
                    (wx, wy, wx + 7, wy + 9), fill=(255, 220, 120) if on else (60, 70, 90)
                )
        x += w + rng.uniform(2, 8)


def _lamp_post(frame: Frame, rng: np.random.Generator) -> None:
    x, y, size = frame.ground_spot(rng, 0.1, 0.6)
    frame.draw.line((x, y, x, y - size * 1.4), fill=(30, 30, 35), width=4)
    r = size * 0.08
    frame.draw.ellipse((x - r, y - size * 1.4 - r, x + r, y - size * 1.4 + r), fill=(255, 235, 150))


def _grill(frame: Frame, rng: np.random.Generator) -> None:
    x, y, size = frame.ground_spot(rng, 0.4, 0.9)
    frame.draw.line((x - size * 0.15, y, x, y - size * 0.3), fill=(40, 40, 40), width=3)
    frame.draw.line((x + size * 0.15, y, x, y - size * 0.3), fill=(40, 40, 40), width=3)
    frame.draw.pieslice(
        (x - size * 0.25, y - size * 0.55, x + size * 0.25, y - size * 0.15),
        0,
        180,
        fill=(30, 30, 30),
    )
    for i in range(3):
        frame.draw.ellipse(
            (
                x - 10 + i * 8,
                y - size * (0.6 + i * 0.15),
                x + 10 + i * 8,
                y - size * (0.48 + i * 0.15),
            ),
            fill=(200, 200, 205),
        )


def _stands(frame: Frame, rng: np.random.Generator) -> None:
    top = frame.height * rng.uniform(0.08, 0.18)
    frame.draw.rectangle((0, top, frame.width, frame.horizon), fill=jitter("#5a5a62", rng))
    for y in np.arange(top + 6, frame.horizon - 4, 9):
        for x in np.arange(rng.uniform(0, 6), frame.width, 8):
            frame.draw.rectangle(
                (x, y, x + 5, y + 5),
                fill=frame.accent(rng) if rng.random() < 0.6 else frame.pick(rng),
            )


def _field_lines(frame: Frame, rng: np.random.Generator) -> None:
    offset = rng.uniform(0, 60)
    for i in range(-6, 12):
        x_far = offset + i * frame.width / 8
        x_near = frame.width / 2 + (x_far - frame.width / 2) * 2.2
        frame.draw.line((x_far, frame.horizon, x_near, frame.height), fill=(240, 245, 240), width=3)


def _ball(frame: Frame, rng: np.random.Generator) -> None:
    x, y = rng.uniform(0.2, 0.8) * frame.width, frame.height * rng.uniform(0.2, 0.5)
    frame.draw.ellipse((x - 16, y - 9, x + 16, y + 9), fill=(120, 60, 30))
    frame.draw.line((x - 6, y, x + 6, y), fill=(250, 250, 250), width=2)


def _scoreboard(frame: Frame, rng: np.random.Generator) -> None:
    x = rng.uniform(0.3, 0.7) * frame.width
    w, top = frame.width * rng.uniform(0.25, 0.32), frame.height * rng.uniform(0.06, 0.15)
    frame.draw.rectangle((x - w, top, x + w, top + w * 0.7), fill=(20, 20, 24))
    frame.draw.rectangle((x - 5, top + w * 0.7, x + 5, frame.horizon), fill=(60, 60, 66))
    home, away = int(rng.integers(14, 42)), int(rng.integers(3, 28))
    frame.draw.text((x - w * 0.8, top + w * 0.1), f"HOME {home}", fill=frame.accent(rng))
    frame.draw.text((x - w * 0.8, top + w * 0.35), f"AWAY {away}", fill=(240, 240, 240))


def _stadium_lights(frame: Frame, rng: np.random.Generator) -> None:
    x = rng.uniform(0.1, 0.9) * frame.width
    top = frame.height * rng.uniform(0.05, 0.15)
    frame.draw.line((x, frame.horizon, x, top + 20), fill=(90, 90, 100), width=5)
    frame.draw.rectangle((x - 30, top, x + 30, top + 22), fill=(255, 255, 225))
    frame.draw.polygon(
        [(x - 30, top + 22), (x + 30, top + 22), (x + 90, frame.horizon), (x - 90, frame.horizon)],
        fill=jitter("#3a4070", rng, 8),
    )


def _family_group(frame: Frame, rng: np.random.Generator) -> None:
    count = int(rng.integers(3, 6))
    feet = frame.horizon + (frame.height - frame.horizon) * rng.uniform(0.5, 0.8)
    size = frame.height * rng.uniform(0.4, 0.5)
    graduate = int(rng.integers(count))
    for i, x in enumerate(np.linspace(0.25, 0.75, count) * frame.width):
        if i == graduate:
            _figure(frame, rng, x, feet, size, **GRADUATE, holds="diploma")
        else:
            _figure(frame, rng, x, feet, size * rng.uniform(0.75, 1.0))


def _flying_cap(frame: Frame, rng: np.random.Generator) -> None:
    x, y = rng.uniform(0.03, 0.97) * frame.width, rng.uniform(0.05, 0.6) * frame.height
    r = rng.uniform(9, 16)
    tilt = rng.uniform(-0.4, 0.4) * r
    frame.draw.polygon(
        [(x - r, y + tilt), (x, y - r * 0.5), (x + r, y - tilt), (x, y + r * 0.5)],
        fill=(18, 18, 22),
    )
    frame.draw.line((x, y, x + r * 0.4, y + r), fill=(230, 190, 40), width=2)


def _seated_rows(frame: Frame, rng: np.random.Generator) -> None:
    for row in range(5):
        y = frame.horizon + (row + 0.7) * (frame.height - frame.horizon) / 5
        r = 7 + row * 3
        for x in np.arange(rng.uniform(0, r * 2), frame.width, r * 2.6):
            frame.draw.rectangle((x - r, y - r * 0.2, x + r, y + r * 2), fill=(20, 20, 28))
            frame.draw.ellipse(
                (x - r * 0.7, y - r * 1.4, x + r * 0.7, y),
                fill=jitter(SKIN[int(rng.integers(len(SKIN)))], rng, 8),
            )
            frame.draw.polygon(
                [(x - r, y - r * 1.2), (x, y - r * 1.6), (x + r, y - r * 1.2), (x, y - r * 0.9)],
                fill=(15, 15, 18),
            )


def _podium(frame: Frame, rng: np.random.Generator) -> None:
    x = rng.uniform(0.3, 0.7) * frame.width
    frame.draw.rectangle(
        (frame.width * 0.1, frame.horizon - 24, frame.width * 0.9, frame.horizon),
        fill=jitter("#1e3a6e", rng, 10),
    )
    _figure(frame, rng, x, frame.horizon - 10, frame.height * 0.3, **GOWN)
    frame.draw.polygon(
        [
            (x - 22, frame.horizon - 40),
            (x + 22, frame.horizon - 40),
            (x + 16, frame.horizon),
            (x - 16, frame.horizon),
        ],
        fill=jitter("#6a4a2a", rng),
    )


def _handshake(frame: Frame, rng: np.random.Generator) -> None:
    feet = frame.horizon + (frame.height - frame.horizon) * rng.uniform(0.3, 0.7)
    size = frame.height * rng.uniform(0.6, 0.72)
    x = frame.width * rng.uniform(0.4, 0.6)
    frame.draw.rectangle(
        (0, frame.height * 0.08, frame.width, frame.height * 0.16), fill=jitter("#e3b43a", rng, 10)
    )
    _figure(frame, rng, x - size * 0.3, feet, size, **GRADUATE, holds="diploma")
    _figure(frame, rng, x + size * 0.3, feet, size * 1.02, body=jitter("#6a1a2a", rng, 10))


def _confetti(frame: Frame, rng: np.random.Generator) -> None:
    for _ in range(int(rng.integers(60, 120))):
        x, y = rng.uniform(0, frame.width), rng.uniform(0, frame.height)
        frame.draw.rectangle((x, y, x + 4, y + 3), fill=frame.pick(rng))


def _cabin(frame: Frame, rng: np.random.Generator) -> None:
    x = rng.uniform(0.25, 0.6) * frame.width
    base, w = frame.horizon + 20, frame.width * rng.uniform(0.15, 0.2)
    _gabled(frame, x, base, w, (0.9, 1.2, 1.6), jitter("#6a4020", rng), (240, 244, 250))
    frame.draw.rectangle(
        (x - w * 0.5, base - w * 0.6, x - w * 0.15, base - w * 0.3), fill=(255, 210, 110)
    )
    frame.draw.rectangle(
        (x + w * 0.2, base - w * 0.6, x + w * 0.55, base), fill=jitter("#3a2410", rng)
    )


def _campfire(frame: Frame, rng: np.random.Generator) -> None:
    x = rng.uniform(0.6, 0.85) * frame.width
    y = frame.horizon + (frame.height - frame.horizon) * rng.uniform(0.55, 0.85)
    r = frame.height * rng.uniform(0.06, 0.09)
    frame.draw.ellipse(
        (x - r * 3, y - r * 1.5, x + r * 3, y + r * 0.8), fill=jitter("#6a5a70", rng, 8)
    )
    frame.draw.polygon([(x - r, y), (x + r, y), (x, y - r * 2.6)], fill=(255, 120, 20))
    frame.draw.polygon([(x - r * 0.5, y), (x + r * 0.5, y), (x, y - r * 1.6)], fill=(255, 220, 80))
    frame.draw.line((x - r * 1.3, y + 3, x + r * 1.3, y - 3), fill=(90, 50, 20), width=5)


def _campus_hall(frame: Frame, rng: np.random.Generator) -> None:
    x = rng.uniform(0.35, 0.65) * frame.width
    base, w = frame.horizon + 4, frame.width * rng.uniform(0.28, 0.36)
    _gabled(frame, x, base, w, (0.75, 1.05, 1.05), jitter("#a0482e", rng, 14), (235, 232, 225))
    for cx in np.linspace(x - w * 0.8, x + w * 0.8, 6):
        frame.draw.rectangle((cx - 5, base - w * 0.72, cx + 5, base), fill=(240, 238, 232))


PROPS: dict[str, Prop] = {
    "sun": _sun,
    "moon": _moon,
    "stars": _stars,
    "setting_sun": _setting_sun,
    "palm_tree": _palm_tree,
    "tree": _tree,
    "bare_tree": _bare_tree,
    "pine_tree": _pine_tree,
    "road": _road,
    "car": _car,
    "night_car": partial(_car, headlights=True),
    "just_married_car": partial(_car, cans=True),
    "sea": _sea,
    "waves": _waves,
    "swimmer": _swimmer,
    "surfboard": _surfboard,
    "umbrella": _umbrella,
    "towel": _towel,
    "sandcastle": _sandcastle,
    "bucket": _bucket,
    "shell": _shell,
    "silhouette": _silhouette,
    "person": _person,
    "walker": partial(_person, hat="beanie"),
    "kid": lambda frame, rng: _person(frame, rng, hat="beanie", arms_up=rng.random() < 0.5),
    "hiker": partial(_person, hat="beanie", backpack=True),
    "party_guest": partial(_person, hat="party"),
    "dancer": lambda frame, rng: _person(frame, rng, arms_up=True, dress=rng.random() < 0.5),
    "fan": lambda frame, rng: _person(frame, rng, body=frame.accent(rng)),
    "cheering_fan": lambda frame, rng: _person(frame, rng, body=frame.accent(rng), arms_up=True),
    "player": lambda frame, rng: _person(
        frame, rng, body=frame.accent(rng), hat="beanie", hat_colour=(230, 230, 235)
    ),
    "graduate": partial(_person, **GRADUATE),
    "cheering_graduate": partial(_person, **GRADUATE, arms_up=True),
    "door": _door,
    "bunting": _bunting,
    "balloon": _balloon,
    "balloon_sky": partial(_balloon, high=True),
    "gift": _gift,
    "table": _table,
    "cake": _cake,
    "church": _church,
    "aisle": _aisle,
    "flower_arch": _flower_arch,
    "couple": _couple,
    "flower": _flower,
    "rings": _rings,
    "string_lights": _string_lights,
    "dance_floor": _dance_floor,
    "confetti": _confetti,
    "trail_sign": _trail_sign,
    "path": _path,
    "footprints": _footprints,
    "deer": partial(_animal, colour="#8a5a30", legs=0.3, tail=False),
    "fox": partial(_animal, colour="#d2641e", legs=0.12, tail=True),
    "mountains": _mountains,
    "frozen_lake": _frozen_lake,
    "cabin": _cabin,
    "campfire": _campfire,
    "buildings": _buildings,
    "lit_buildings": partial(_buildings, lit=True),
    "lamp_post": _lamp_post,
    "snowman": _snowman,
    "rink": _rink,
    "skater": _skater,
    "venue": _venue,
    "spotlights": _spotlights,
    "light_beams": _light_beams,
    "stage_platform": _stage_platform,
    "musician": _musician,
    "singer": _singer,
    "crowd": _crowd,
    "campus_hall": _campus_hall,
    "podium": _podium,
    "seated_rows": _seated_rows,
    "handshake": _handshake,
    "flying_cap": _flying_cap,
    "family_group": _family_group,
    "grill": _grill,
    "stands": _stands,
    "field_lines": _field_lines,
    "ball": _ball,
    "scoreboard": _scoreboard,
    "stadium_lights": _stadium_lights,
}


def scene_weather(scene: SceneSpec, album_weather: str) -> str:
    """The weather a photo of ``scene`` shows: the album's when the scene allows it."""
    return album_weather if album_weather in scene.weathers else scene.weathers[0]


def render_scene(
    scene: SceneSpec,
    style: SceneStyle,
    rng: np.random.Generator,
    size: tuple[int, int] = PHOTO_SIZE,
) -> Image.Image:
    """Paint one photo of ``scene`` in ``style``'s colours and weather.

    Args:
        scene: the stage's scene.
        style: the album's accents and weather (used when the scene allows that weather).
        rng: the source of every random choice (layout, colours, counts, flip, light).
        size: ``(width, height)`` of the returned RGB image.
    """
    width, height = size[0] * RENDER_SCALE, size[1] * RENDER_SCALE
    weather = scene_weather(scene, style.weather)
    horizon = int(np.clip(scene.horizon + rng.uniform(-0.05, 0.05), 0.05, 0.95) * height)
    sky_top, sky_bottom = jitter(scene.sky[0], rng), jitter(scene.sky[1], rng)
    if weather in ("cloudy", "snowing"):
        grey = np.array([150, 156, 166] if weather == "cloudy" else [175, 180, 190])
        sky_top, sky_bottom = (
            tuple(int(v) for v in (np.array(c) + grey) / 2) for c in (sky_top, sky_bottom)
        )
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(horizon):
        t = y / max(1, horizon - 1)
        draw.line(
            (0, y, width, y),
            fill=tuple(int(a + (b - a) * t) for a, b in zip(sky_top, sky_bottom, strict=True)),
        )
    draw.rectangle((0, horizon, width, height), fill=jitter(scene.ground, rng))
    frame = Frame(draw, width, height, horizon, style)
    if weather == "sunny" and not any(name == "sun" for name, _, _ in scene.props):
        _sun(frame, rng)
    elif weather == "cloudy":
        _clouds(frame, rng)
    for name, fewest, most in scene.props:
        for _ in range(int(rng.integers(fewest, most + 1))):
            PROPS[name](frame, rng)
    if weather == "snowing":
        _snowflakes(frame, rng)
    if rng.random() < 0.5:
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    image = ImageEnhance.Brightness(image).enhance(rng.uniform(0.88, 1.12))
    return image.resize(size, Image.Resampling.LANCZOS)


def jpeg_bytes(image: Image.Image, quality: int = JPEG_QUALITY) -> bytes:
    """The photo as a compact baseline JPEG (deterministic for a given Pillow)."""
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality, optimize=True)
    return buffer.getvalue()
