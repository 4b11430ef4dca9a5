"""The offline encoder: deterministic, TensorFlow-free, and it tells scenes apart."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from test_features_extract import extract_in_a_fresh_process

from imgstory.errors import UserInputError
from imgstory.features.encoders import ENCODERS, get_encoder
from imgstory.features.handcrafted import HandcraftedConfig, HandcraftedEncoder
from imgstory.features.store import FeatureStore

THEMES = ("beach", "birthday", "wedding", "snowy forest", "snowy city", "concert", "football")


def _jitter(rng: np.random.Generator, colour: tuple[int, int, int], amount: int = 25) -> tuple:
    return tuple(
        int(np.clip(value + rng.integers(-amount, amount + 1), 0, 255)) for value in colour
    )


def draw_scene(theme: str, seed: int, size: tuple[int, int] = (320, 240)) -> Image.Image:
    """A Pillow drawing of ``theme`` with random layout and colour jitter (like the demo pack's)."""
    rng = np.random.default_rng(seed)
    width, height = size
    horizon = int(height * rng.uniform(0.45, 0.65))
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)

    def spots(count: int, colour: tuple, radius: tuple[int, int], top: int = 0) -> None:
        for _ in range(count):
            x, y = rng.integers(0, width), rng.integers(top, height)
            r = rng.integers(*radius)
            draw.ellipse([x - r, y - r, x + r, y + r], fill=_jitter(rng, colour))

    if theme == "beach":
        draw.rectangle([0, 0, width, horizon], fill=_jitter(rng, (110, 180, 235)))
        draw.rectangle([0, horizon, width, horizon + 30], fill=_jitter(rng, (20, 90, 170)))
        draw.rectangle([0, horizon + 30, width, height], fill=_jitter(rng, (235, 210, 150)))
        spots(1, (255, 230, 60), (15, 30), top=0)
    elif theme == "birthday":
        draw.rectangle([0, 0, width, height], fill=_jitter(rng, (250, 200, 210)))
        spots(12, (220, 40, 120), (8, 20))
        cake_x = int(rng.integers(80, 240))
        draw.rectangle([cake_x - 50, horizon, cake_x + 50, horizon + 60], fill=(120, 70, 40))
    elif theme == "wedding":
        draw.rectangle([0, 0, width, height], fill=_jitter(rng, (245, 240, 230), 10))
        for _ in range(6):
            x = int(rng.integers(0, width))
            draw.rectangle([x, 60, x + 20, height], fill=_jitter(rng, (250, 250, 250), 5))
        spots(8, (240, 180, 190), (5, 12))
    elif theme == "snowy forest":
        draw.rectangle([0, 0, width, horizon], fill=_jitter(rng, (200, 210, 220)))
        draw.rectangle([0, horizon, width, height], fill=(250, 250, 252))
        for _ in range(int(rng.integers(5, 10))):
            x, top = int(rng.integers(0, width)), int(rng.integers(20, horizon - 20))
            draw.polygon(
                [(x, top), (x - 25, horizon + 10), (x + 25, horizon + 10)], fill=(20, 80, 40)
            )
    elif theme == "snowy city":
        draw.rectangle([0, 0, width, height], fill=_jitter(rng, (170, 175, 185)))
        for _ in range(int(rng.integers(4, 8))):
            x, top = int(rng.integers(0, width)), int(rng.integers(20, horizon))
            draw.rectangle([x, top, x + 40, height], fill=_jitter(rng, (90, 80, 80)))
            for window in range(top + 8, height - 10, 16):
                draw.rectangle([x + 8, window, x + 16, window + 8], fill=(240, 220, 120))
        draw.rectangle([0, height - 40, width, height], fill=(245, 245, 250))
        spots(60, (255, 255, 255), (1, 3))
    elif theme == "concert":
        draw.rectangle([0, 0, width, height], fill=_jitter(rng, (15, 10, 30), 10))
        for _ in range(4):
            x = int(rng.integers(0, width))
            draw.polygon(
                [(x, 0), (x - 40, height), (x + 40, height)], fill=_jitter(rng, (150, 60, 200), 60)
            )
        spots(30, (30, 30, 40), (6, 12), top=int(height * 0.75))
    elif theme == "football":
        draw.rectangle([0, 0, width, horizon // 2], fill=_jitter(rng, (120, 170, 230)))
        draw.rectangle([0, horizon // 2, width, height], fill=_jitter(rng, (40, 150, 50)))
        for line in range(0, width, 60):
            draw.line([(line, horizon // 2), (line, height)], fill=(255, 255, 255), width=3)
        spots(10, (200, 30, 30), (4, 8), top=horizon // 2)
    return image


@pytest.fixture(scope="module")
def encoder() -> HandcraftedEncoder:
    built = get_encoder("handcrafted")
    assert isinstance(built, HandcraftedEncoder)
    return built


def test_interface_and_dimension(encoder: HandcraftedEncoder) -> None:
    assert encoder.name == "handcrafted" and encoder.image_size == 128
    assert encoder.dimension == ENCODERS["handcrafted"].dimension == 544
    vectors = encoder.encode([draw_scene("beach", 0), draw_scene("concert", 1)])
    assert vectors.shape == (2, 544) and vectors.dtype == np.float32
    assert np.isfinite(vectors).all() and vectors.min() >= -1.0 and vectors.max() <= 1.0
    assert encoder.encode([]).shape == (0, 544)


def test_deterministic_across_calls_and_threads(encoder: HandcraftedEncoder) -> None:
    photos = [draw_scene(theme, seed) for seed, theme in enumerate(THEMES)]
    first = encoder.encode(photos)
    single_thread = HandcraftedEncoder(threads=1).encode(photos)
    np.testing.assert_array_equal(first, encoder.encode(photos))
    np.testing.assert_array_equal(first, single_thread)


def test_fingerprint_changes_with_parameters(encoder: HandcraftedEncoder) -> None:
    assert encoder.fingerprint == HandcraftedEncoder().fingerprint
    other = HandcraftedConfig(hue_bins=16)
    assert other.fingerprint() != encoder.fingerprint
    assert HandcraftedEncoder(other).dimension == 544 + (16 - 12) * 3 * 3


def test_scenes_are_told_apart_by_nearest_neighbour(encoder: HandcraftedEncoder) -> None:
    """Leave-one-out 1-NN over 7 themes x 5 random drawings recovers the theme."""
    labels = np.repeat(np.arange(len(THEMES)), 5)
    photos = [draw_scene(THEMES[label], seed=100 + index) for index, label in enumerate(labels)]
    vectors = encoder.encode(photos)
    vectors = vectors - vectors.mean(axis=0)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    similarity = vectors @ vectors.T  # (35, 35) cosine
    np.fill_diagonal(similarity, -np.inf)
    accuracy = float((labels[similarity.argmax(axis=1)] == labels).mean())
    assert accuracy >= 0.9, f"nearest-neighbour theme accuracy {accuracy:.2f}"


def test_uniform_images_differ_only_in_colour_blocks(encoder: HandcraftedEncoder) -> None:
    red, blue = (encoder.encode([Image.new("RGB", (50, 50), colour)]) for colour in ("red", "blue"))
    assert not np.array_equal(red, blue)
    texture = slice(544 - (144 + 50 + 18), 544)  # HOG and LBP blocks come last
    np.testing.assert_array_equal(red[0, texture], blue[0, texture])


def test_weights_are_refused_for_handcrafted() -> None:
    with pytest.raises(UserInputError, match="has no weights"):
        get_encoder("handcrafted", weights="x.weights.h5")
    with pytest.raises(
        UserInputError, match="choose one of concepts, handcrafted, terms, xception"
    ):
        get_encoder("resnet")
    with pytest.raises(UserInputError, match="xception encoder only"):
        get_encoder("handcrafted", strategy="mirrored")


def test_bad_pixel_batch_shape_is_a_value_error(encoder: HandcraftedEncoder) -> None:
    with pytest.raises(ValueError, match=r"expected \(n, 128, 128, 3\)"):
        encoder.encode_arrays(np.zeros((1, 64, 64, 3), dtype=np.uint8))


def test_handcrafted_path_never_imports_tensorflow(tmp_path: Path) -> None:
    Image.new("RGB", (40, 30), "green").save(tmp_path / "p1.png")
    photos = [str(tmp_path / "p1.png")]
    assert extract_in_a_fresh_process(photos, tmp_path / "store", "handcrafted") == (1, 0, False)


@pytest.mark.real_data
def test_real_photos_of_one_album_are_closer_than_others(vist_dir: Path, tmp_path: Path) -> None:
    """On VIST's 12 sample albums, a photo's nearest neighbour is often from its own album."""
    from imgstory.features.extract import extract_features

    sequences = json.loads((vist_dir / "photos" / "sequences.json").read_text())
    album_of = {
        photo_id: album_index
        for album_index, album in enumerate(sequences)
        for photo_id in album["stories"][0]["photo_flickr_ids"]
    }
    report = extract_features(
        sorted((vist_dir / "photos").glob("*.jpg")),
        tmp_path / "store",
        "handcrafted",
        progress=False,
    )
    assert report.stored == 60
    ids = sorted(album_of)
    vectors = FeatureStore.open(tmp_path / "store").get(ids)
    vectors = vectors - vectors.mean(axis=0)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    similarity = vectors @ vectors.T
    albums = np.array([album_of[photo_id] for photo_id in ids])
    same = (albums[:, None] == albums[None, :]) & ~np.eye(len(ids), dtype=bool)
    assert similarity[same].mean() > similarity[albums[:, None] != albums[None, :]].mean() + 0.1
    np.fill_diagonal(similarity, -np.inf)
    accuracy = float((albums[similarity.argmax(axis=1)] == albums).mean())
    assert accuracy >= 0.4, f"same-album nearest neighbour {accuracy:.2f} (chance ~0.07)"
