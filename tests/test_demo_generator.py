"""The demo dataset generator: themes, VIST-style text, official layout, determinism, scenes."""

from __future__ import annotations

import hashlib
import json
import re

import numpy as np
import pytest
from PIL import Image

from imgstory.data.references import load_references, references_from_stories
from imgstory.data.sis import load_sis
from imgstory.demo.generator import (
    DatasetConfig,
    assign_splits,
    load_album_themes,
    plan_dataset,
    write_dataset,
)
from imgstory.demo.scenes import PHOTO_SIZE, PROPS, SceneStyle, render_scene
from imgstory.demo.stories import FEMALE_NAMES, MALE_NAMES, normalise_sentence
from imgstory.demo.themes import (
    STAGES_PER_STORY,
    THEMES,
    THEMES_BY_NAME,
    names_theme,
    theme_accuracy,
)

SMALL = DatasetConfig(num_albums=24)


@pytest.fixture(scope="module")
def small_pack(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo_small")
    albums = write_dataset(out, SMALL, seed=7)
    return out, albums


def test_eight_themes_of_five_stages_with_varied_wording():
    assert len(THEMES) >= 8
    for theme in THEMES:
        assert len(theme.stages) == STAGES_PER_STORY
        for stage in theme.stages:
            assert len(set(stage.sentences)) >= 4, (theme.name, stage.name)
            assert all(name in PROPS for name, _, _ in stage.scene.props), stage.name


def test_keywords_belong_to_one_theme_and_every_opening_names_it():
    for theme in THEMES:
        others = {word for other in THEMES if other is not theme for word in other.keywords}
        assert others.isdisjoint(theme.keywords), theme.name
        for stage in theme.stages:
            for template in stage.sentences:
                tokens = set(normalise_sentence(template).split())
                assert tokens.isdisjoint(others), (theme.name, template)
        for template in theme.stages[0].sentences:
            assert names_theme(normalise_sentence(template), theme), template


def test_normalise_sentence_matches_vist_text():
    # Pairs taken from the official VIST test file (original_text -> text).
    assert (
        normalise_sentence(
            "I found some awesome crafts at the fair, I'm really happy that I went. "
        )
        == "i found some awesome crafts at the fair , i 'm really happy that i went ."
    )
    assert normalise_sentence("It was a great day!") == "it was a great day !"
    assert normalise_sentence("The dragon coaster was mom's favorite.") == (
        "the dragon coaster was mom 's favorite ."
    )
    assert normalise_sentence("[female]'s cake wasn't ready.") == (
        "[female] 's cake was n't ready ."
    )


def test_theme_accuracy_counts_albums_whose_story_names_their_theme():
    themes = {"1": "beach", "2": "wedding"}
    assert theme_accuracy({"1": "we swam in the ocean .", "2": "the sun was out ."}, themes) == 0.5
    assert theme_accuracy({"1": "oceanic views .", "2": "the bride smiled ."}, themes) == 0.5
    with pytest.raises(ValueError, match="no theme"):
        theme_accuracy({"3": "a story"}, themes)


def test_splits_are_by_album_and_balanced_by_theme():
    assignment = assign_splits(80, DatasetConfig(num_albums=80), seed=1)
    for theme in THEMES:
        splits = [split for name, split in assignment if name == theme.name]
        assert len(splits) == 10
        assert {"train", "val", "test"} <= set(splits)
    assert assignment == assign_splits(80, DatasetConfig(num_albums=80), seed=1)
    assert assignment != assign_splits(80, DatasetConfig(num_albums=80), seed=2)


def test_written_pack_is_official_vist_layout(small_pack):
    out, albums = small_pack
    by_id = {album.album_id: album for album in albums}
    seen_albums: dict[str, str] = {}
    for split in ("train", "val", "test"):
        sis = load_sis(out / "sis" / f"{split}.story-in-sequence.json")
        assert sis.split == split and not sis.skipped and sis.stories
        raw = json.loads((out / "sis" / f"{split}.story-in-sequence.json").read_text())
        first = raw["annotations"][0][0]
        assert set(first) >= {
            "story_id",
            "album_id",
            "photo_flickr_id",
            "worker_arranged_photo_order",
            "text",
            "original_text",
            "storylet_id",
            "setting",
            "tier",
            "worker_id",
        }
        for album_id, stories in sis.stories_by_album().items():
            assert seen_albums.setdefault(album_id, split) == split  # split by album
            album = by_id[album_id]
            assert len(album.photos) >= 6 and 3 <= len(stories) <= 5
            stage_of = {photo.photo_id: photo.stage for photo in album.photos}
            for story in stories:
                assert [stage_of[p] for p in story.photo_ids] == list(range(STAGES_PER_STORY))
                assert names_theme(story.story_text, THEMES_BY_NAME[album.theme])
                for text, original in zip(story.texts, story.original_texts, strict=True):
                    assert text == text.lower() and text.endswith((" .", " !"))
                    assert "[" not in original
                    if "[male]" in text:
                        assert any(name in original for name in MALE_NAMES)
                    if "[female]" in text:
                        assert any(name in original for name in FEMALE_NAMES)
            # An album's stories are worded differently from one another.
            assert len({story.texts[1] for story in stories}) == len(stories)
        for photo_id in sis.photo_ids():
            with Image.open(out / "images" / split / f"{photo_id}.jpg") as photo:
                assert photo.format == "JPEG" and photo.size == PHOTO_SIZE
        if split != "train":
            references = load_references(out / "reference" / f"{split}_reference.json")
            assert references == references_from_stories(sis.stories)
    assert load_album_themes(out) == {album.album_id: album.theme for album in albums}


def test_no_two_photos_are_the_same(small_pack):
    out, _ = small_pack
    photos = sorted((out / "images").rglob("*.jpg"))
    assert len(photos) >= 24 * 6
    digests = {hashlib.sha256(path.read_bytes()).hexdigest() for path in photos}
    assert len(digests) == len(photos)


def test_same_seed_same_bytes_other_seed_other_pack(tmp_path):
    config = DatasetConfig(num_albums=24, most_extra_photos=1)
    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    write_dataset(first, config, seed=3)
    write_dataset(second, config, seed=3)
    write_dataset(other, config, seed=4)
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    sis = "sis/test.story-in-sequence.json"
    assert (first / sis).read_bytes() != (other / sis).read_bytes()


def test_weather_word_matches_the_photo():
    albums = plan_dataset(DatasetConfig(num_albums=48), seed=5)
    checked = 0
    for album in albums:
        photo_weather = {p.photo_id: p.weather for p in album.photos}
        for story in album.stories:
            for photo_id, text in zip(story.photo_ids, story.texts, strict=True):
                words = set(text.split()) & {"sunny", "cloudy", "snowy"}
                if words and re.search(r"(a|for a) (sunny|cloudy|snowy) (day|morning)", text):
                    expected = {"sunny": "sunny", "cloudy": "cloudy", "snowing": "snowy"}
                    assert words == {expected[photo_weather[photo_id]]}, text
                    checked += 1
    assert checked > 10


def test_a_stage_is_recognisable_from_its_picture():
    """Nearest class mean on the offline encoder's features tells the 40 stages apart."""
    from imgstory.features.handcrafted import HandcraftedEncoder

    encoder = HandcraftedEncoder()
    labels, photos = [], []
    for index in range(5):  # 4 photos of every stage to learn from, 1 to test
        rng = np.random.default_rng([11, index])
        for theme in THEMES:
            style = SceneStyle(
                ("#d6453d", "#2f6fd0", "#e8b23a"), str(rng.choice(["sunny", "cloudy", "snowing"]))
            )
            for stage_index, stage in enumerate(theme.stages):
                photos.append(encoder.preprocess(render_scene(stage.scene, style, rng)))
                labels.append((index, f"{theme.name}/{stage_index}"))
    features = encoder.encode_arrays(np.stack(photos))  # (200, dimension)
    classes = sorted({label for _, label in labels})
    train = np.array([index < 4 for index, _ in labels])
    names = np.array([label for _, label in labels])
    means = np.stack([features[train & (names == c)].mean(axis=0) for c in classes])
    distances = ((features[~train][:, None, :] - means[None]) ** 2).sum(axis=-1)
    predicted = np.array(classes)[distances.argmin(axis=1)]
    accuracy = (predicted == names[~train]).mean()
    assert accuracy >= 0.8, accuracy
