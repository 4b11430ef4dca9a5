"""A tiny VIST-format folder and a tiny trained model for the app's tests (built once per session).

The folder is laid out as the official archives (``sis/``, ``images/{split}/``, ``reference/``)
plus a feature store and a results folder, all written with the project's own writers; the model
is trained for a few seconds with the project's trainer. conftest.py serves them as the fixtures
``tiny_vist`` and ``tiny_models``; the tests at the bottom check them.
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import shutil
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from train_fixtures import memorising, tiny_model

from imgstory.app.sources import VIST_FOLDER, scan_source
from imgstory.data.references import references_from_stories, write_references
from imgstory.data.sis import Story, load_sis, write_sis
from imgstory.eval.results import Interval, SummaryResults, SystemScores

#: Three toy themes: a background colour and one sentence per story position.
THEMES = {
    "beach": (
        (70, 150, 230),
        ["we went to the beach .", "the sand was warm .", "we swam in the sea .",
         "we ate ice cream .", "the sun went down ."],
    ),
    "party": (
        (200, 60, 90),
        ["the party started .", "we saw the cake .", "everyone sang a song .",
         "we opened gifts .", "the guests went home ."],
    ),
    "snow": (
        (235, 235, 245),
        ["it snowed all night .", "we walked in the forest .", "we saw a deer .",
         "we built a snowman .", "we drank hot cocoa ."],
    ),
}  # fmt: skip
ALBUMS_PER_THEME = {"train": 2, "test": 1}
SYSTEMS = {"lstm-beam": 0.31, "lstm-greedy": 0.29, "random": 0.12}


def scene(colour: tuple[int, int, int], position: int, variant: int, size=(96, 72)) -> Image.Image:
    """A small picture: the theme's background with a shape that marks the story position."""
    image = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(image)
    x = 8 + position * 16 + variant * 2
    draw.ellipse((x, 20, x + 20 + position * 3, 40 + position * 5), fill=(20 * position, 90, 40))
    draw.rectangle((0, size[1] - 8 - variant, size[0], size[1]), fill=(90, 70, 40))
    return image


def story_photos(folder: Path, theme: str = "beach") -> list[str]:
    """The five scenes of ``theme`` (variant 0) saved as ``photo1.jpg`` .. ``photo5.jpg`` in
    ``folder``: a story's photos to upload, in order."""
    paths = []
    for position in range(5):
        path = folder / f"photo{position + 1}.jpg"
        scene(THEMES[theme][0], position, 0).save(path)
        paths.append(str(path))
    return paths


def jpeg_bytes(image: Image.Image) -> bytes:
    """An image encoded as JPEG."""
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def build_vist_folder(root: Path) -> Path:
    """Write the tiny VIST folder (stories, photos, references, features, results) under root."""
    photo_number = 1000
    stories_by_split: dict[str, list[Story]] = {}
    for split, albums_per_theme in ALBUMS_PER_THEME.items():
        for theme_index, (colour, sentences) in enumerate(THEMES.values()):
            for album_index in range(albums_per_theme):
                album_id = f"{split}{theme_index}{album_index}"
                photos = []
                for position in range(5):
                    photo_id = str(photo_number)
                    photo_number += 1
                    folder = root / "images" / split
                    folder.mkdir(parents=True, exist_ok=True)
                    scene(colour, position, album_index).save(folder / f"{photo_id}.jpg")
                    photos.append(photo_id)
                for story_index in range(2):
                    stories_by_split.setdefault(split, []).append(
                        Story(
                            story_id=f"{album_id}-{story_index}",
                            album_id=album_id,
                            split=split,
                            photo_ids=tuple(photos),
                            texts=tuple(sentences),
                            original_texts=tuple(s.capitalize() for s in sentences),
                        )
                    )
    for split, stories in stories_by_split.items():
        write_sis(root / "sis" / f"{split}.story-in-sequence.json", stories, split)
        write_references(
            references_from_stories(stories), root / "reference" / f"{split}_reference.json"
        )
    write_features(root)
    write_results(root, stories_by_split["test"])
    return root


def write_features(root: Path) -> Path:
    """A handcrafted-encoder feature store of every photo, in ``root/features``."""
    from imgstory.features.extract import extract_features

    photos = {path.stem: path for path in sorted((root / "images").rglob("*.jpg"))}
    extract_features(photos, root / "features", "handcrafted", progress=False)
    return root / "features"


def write_results(root: Path, test_stories: list[Story]) -> Path:
    """A results folder: ``summary.json`` and AREL-format predictions for a few systems."""
    predictions = root / "results" / "predictions"
    predictions.mkdir(parents=True, exist_ok=True)
    systems = {}
    albums = list(dict.fromkeys(s.album_id for s in test_stories))
    first_story = {album: next(s for s in test_stories if s.album_id == album) for album in albums}
    for system, meteor in SYSTEMS.items():
        # the models tell each album's own story; "random" tells the next album's
        shift = 1 if system == "random" else 0
        stories = {
            album: [first_story[albums[(i + shift) % len(albums)]].story_text]
            for i, album in enumerate(albums)
        }
        (predictions / f"{system}.json").write_text(json.dumps(stories), encoding="utf-8")
        systems[system] = SystemScores(
            {
                "METEOR": Interval(meteor, meteor - 0.02, meteor + 0.02),
                "ROUGE_L": Interval(meteor + 0.1, meteor + 0.08, meteor + 0.12),
                "Bleu_4": Interval(meteor / 3, meteor / 3 - 0.01, meteor / 3 + 0.01),
                "CIDEr": Interval(meteor / 2, meteor / 2 - 0.03, meteor / 2 + 0.03),
            },
            {"theme_accuracy": 1.0 if system != "random" else 0.33},
        )
    summary = root / "results" / "summary.json"
    summary.write_text(json.dumps(SummaryResults(systems).to_json()), encoding="utf-8")
    return summary


def train_tiny_model(vist_folder: Path, out_dir: Path, cell: str = "lstm") -> Path:
    """Train a tiny storyteller on the folder's train stories until it has learnt them."""
    from imgstory.model.training import train_model

    stories = load_sis(vist_folder / "sis" / "train.story-in-sequence.json").stories
    train_model(
        vist_folder / "features",
        stories,
        out_dir,
        tiny_model(cell=cell, hidden_size=32, max_sentence_length=8),
        # 30 epochs learn the 12 stories by heart (checked by the tests that read them back)
        memorising(30, 8),
        progress=False,
        work_dir=out_dir.parent / f"{out_dir.name}-work",
    )
    return out_dir


def built_once(tmp_path_factory, name: str, build) -> Path:
    """``build(folder)`` run once per test run, whichever pytest-xdist worker asks first; the
    others wait on a file lock, then read the same folder (tests treat it as read-only). The
    folder lives in the run's shared temporary root, so every run builds afresh."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's root, shared by its workers
    folder = root / f"built-{name}"
    with open(root / f"built-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not (root / f"built-{name}.done").exists():
            shutil.rmtree(folder, ignore_errors=True)  # a build that failed halfway
            folder.mkdir()
            build(folder)
            (root / f"built-{name}.done").touch()
    return folder


def test_tiny_folder_is_a_vist_folder(tiny_vist):
    source = scan_source(tiny_vist, VIST_FOLDER)
    assert source.splits == ["train", "test"]
    assert set(source.reference_files) == {"train", "test"}
    test = load_sis(source.sis_files["test"])
    assert len(test.stories) == 6 and not test.skipped
    assert len(list((tiny_vist / "images" / "test").glob("*.jpg"))) == 15


def test_scenes_differ_by_theme_and_position():
    beach, party = THEMES["beach"][0], THEMES["party"][0]
    first, second = np.asarray(scene(beach, 0, 0)), np.asarray(scene(beach, 3, 0))
    assert np.abs(first.astype(int) - second).sum() > 0
    assert np.abs(first.astype(int) - np.asarray(scene(party, 0, 0))).mean() > 20
