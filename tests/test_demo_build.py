"""The demo build end to end on the tiny config, its baselines, and the ``imgstory demo`` CLI."""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pytest

from imgstory.cli import main
from imgstory.data.references import load_references
from imgstory.data.sis import Story, load_sis
from imgstory.demo.builder import (
    BUILD_CONFIGS,
    MANIFEST_FILE,
    SUMMARY_METRICS,
    SYSTEMS,
    build_demo_pack,
)
from imgstory.demo.stories import normalise_sentence
from imgstory.demo.themes import THEMES
from imgstory.eval.floors import first_stories, nearest_stories, random_stories


def _story(story_id: str, album_id: str, photos: tuple[str, ...], text: str) -> Story:
    return Story(story_id, album_id, "train", photos, (text,) * 5, (text,) * 5)


@pytest.fixture(scope="module")
def tiny_pack(tmp_path_factory):
    """A tiny pack built once through the CLI (``--json``): the pack folder and its JSON."""
    out = tmp_path_factory.mktemp("tiny_pack")
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code = main(
            ["demo", "build", "--out", str(out), "--config", "tiny", "--json", "--no-progress"]
        )
    assert code == 0
    return out, json.loads(stdout.getvalue())


def test_every_sentence_fits_the_models_sentence_length():
    for config in BUILD_CONFIGS.values():
        for theme in THEMES:
            for stage in theme.stages:
                for template in stage.sentences:
                    filled = template.format(m="[male]", f="[female]", weather="sunny")
                    assert len(normalise_sentence(filled).split()) <= config.max_sentence_length


def test_retrieval_returns_the_training_story_of_the_closest_sequence():
    rng = np.random.default_rng(0)
    train_features = rng.normal(size=(3, 5, 8)).astype(np.float32)  # (stories, 5, dim)
    stories = [
        _story(str(i), f"a{i}", tuple(f"p{i}{k}" for k in range(5)), f"s{i}") for i in range(3)
    ]
    queries = {
        "x": train_features[2] * 3.0,  # same directions, other scale: still story 2
        "y": train_features[0] + 0.01 * rng.normal(size=(5, 8)),
    }
    assert nearest_stories(queries, train_features, stories) == {
        "x": stories[2].story_text,
        "y": stories[0].story_text,
    }
    with pytest.raises(ValueError, match="feature rows"):
        nearest_stories(queries, train_features[:2], stories)


def test_random_floor_is_reproducible_and_draws_training_stories():
    stories = [_story(str(i), f"a{i}", ("p",) * 5, f"story {i}") for i in range(50)]
    albums = [_story(f"q{i}", f"t{i}", ("p",) * 5, "?") for i in range(20)]
    first = random_stories(albums, stories, seed=1)
    assert first == random_stories(albums, stories, seed=1)
    assert first != random_stories(albums, stories, seed=2)
    assert first != random_stories(albums, stories, seed=[1, 0xF100])  # the demo build's seed
    assert set(first) == {album.album_id for album in albums}
    assert set(first.values()) <= {story.story_text for story in stories}


def test_first_stories_take_each_albums_first_story():
    stories = [
        _story("1", "a", ("1", "2", "3", "4", "5"), "x"),
        _story("2", "a", ("6", "7", "8", "9", "0"), "y"),
        _story("3", "b", ("a", "b", "c", "d", "e"), "z"),
    ]
    first = first_stories(stories)
    assert {album: story.photo_ids for album, story in first.items()} == {
        "a": ("1", "2", "3", "4", "5"),
        "b": tuple("abcde"),
    }


def _old_pack(folder):
    """A previous pack's entries and a file of the user's: ``{relative path: bytes}``."""
    files = {
        "sis/train.story-in-sequence.json": b'{"old": 1}',
        "models/lstm/model.keras": b"old weights",
        "results/summary.json": b'{"old": 2}',
        MANIFEST_FILE: b'{"old": 3}',
        "notes.txt": b"mine",
    }
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return files


def _files(folder):
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in folder.rglob("*")
        if path.is_file()
    }


def test_a_failed_build_leaves_the_previous_pack_as_it_was(tmp_path, monkeypatch):
    import imgstory.demo.builder as builder
    from imgstory.errors import UserInputError

    before = _old_pack(tmp_path)

    def fail(out_dir, *args, **kwargs):
        assert (out_dir / "sis").is_dir() and out_dir != tmp_path  # the new dataset is staged
        raise UserInputError("3 generated photos could not be read")

    monkeypatch.setattr(builder, "_extract_pack_features", fail)
    with pytest.raises(UserInputError, match="could not be read"):
        build_demo_pack(tmp_path, config="tiny")
    assert _files(tmp_path) == before  # no staging folder left, every old byte in place


def test_replacing_the_pack_moves_the_old_entries_back_when_a_move_fails(tmp_path, monkeypatch):
    import os

    import imgstory.demo.builder as builder

    before = _old_pack(tmp_path)
    staging = tmp_path / ".building-x"
    for entry in builder.PACK_ENTRIES:  # a complete new pack
        if "." in entry or entry == MANIFEST_FILE:
            (staging / entry).parent.mkdir(parents=True, exist_ok=True)
            (staging / entry).write_text("new")
        else:
            (staging / entry / "new.json").parent.mkdir(parents=True, exist_ok=True)
            (staging / entry / "new.json").write_text("new")
    real_replace = os.replace

    def replace(source, target):
        if str(source).endswith(os.path.join(".building-x", "results")):
            raise OSError("disk full")
        return real_replace(source, target)

    monkeypatch.setattr(builder.os, "replace", replace)
    with pytest.raises(OSError, match="disk full"):
        builder._replace_pack(staging, tmp_path)
    monkeypatch.setattr(builder.os, "replace", real_replace)
    assert {k: v for k, v in _files(tmp_path).items() if not k.startswith(".building-x")} == before
    builder._replace_pack(staging, tmp_path)  # and without the failure the new pack goes in
    after = _files(tmp_path)
    assert after["notes.txt"] == b"mine" and after["results/new.json"] == b"new"
    assert "results/summary.json" not in after and after[MANIFEST_FILE] == b"new"


def test_unknown_config_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["demo", "build", "--out", str(tmp_path), "--config", "huge"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "unknown demo config 'huge'" in error and "tiny" in error


@pytest.mark.slow
def test_tiny_build_writes_the_whole_pack(tiny_pack):
    out, printed = tiny_pack
    for split in ("train", "val", "test"):
        assert load_sis(out / "sis" / f"{split}.story-in-sequence.json").stories
    references = load_references(out / "reference" / "test_reference.json")
    assert (out / "reference" / "val_reference.json").is_file()
    for cell in ("lstm", "gru"):
        names = {path.name for path in (out / "models" / cell).iterdir()}
        assert {"model.keras", "vocab.json", "config.json", "model_card.json"} <= names
    assert (out / "features" / "metadata.json").is_file()

    summary = json.loads((out / "results" / "summary.json").read_text())
    assert set(summary["systems"]) == set(SYSTEMS) == set(printed["systems"])
    for system, scores in summary["systems"].items():
        predictions = json.loads((out / "results" / "predictions" / f"{system}.json").read_text())
        assert set(predictions) == set(references)
        assert all(isinstance(v, list) and len(v) == 1 for v in predictions.values())
        for metric in SUMMARY_METRICS:
            low, high = scores[metric]["ci95"]
            assert low <= scores[metric]["value"] + 1e-9 and scores[metric]["value"] <= high + 1e-9
        assert 0.0 <= scores["theme_accuracy"] <= 1.0
    # Retrieval copies a training story of the same stages: far above the random floor.
    systems = summary["systems"]
    assert systems["retrieval"]["theme_accuracy"] == 1.0
    assert systems["retrieval"]["CIDEr"]["value"] > systems["random"]["CIDEr"]["value"]
    # The thesis model is tested against every other system (the Thesis page reads these).
    assert set(summary["comparisons"]) == {f"lstm-beam vs {s}" for s in SYSTEMS[1:]}
    for tests in summary["comparisons"].values():
        assert set(SUMMARY_METRICS) <= set(tests)

    assert not list(out.glob(".building-*"))  # the staging folder is gone
    for cell in ("lstm", "gru"):  # the models name the pack's store, not the staging folder's
        for name in ("config.json", "model_card.json"):
            card = json.loads((out / "models" / cell / name).read_text())
            assert card["encoder"]["store"] == str(out / "features")

    manifest = json.loads((out / MANIFEST_FILE).read_text())
    for entry, size in manifest["bytes"].items():
        assert size == sum(p.stat().st_size for p in (out / entry).rglob("*") if p.is_file())
    assert manifest["seed"] == 0 and manifest["encoder"] == "handcrafted"
    assert manifest["config"]["name"] == "tiny"
    assert {
        "generate",
        "features",
        "train_lstm",
        "train_gru",
        "predict",
        "evaluate",
        "total",
    } <= set(manifest["timings_seconds"])


@pytest.mark.slow
def test_summary_values_are_what_imgstory_evaluate_prints(tiny_pack, capsys):
    out, _ = tiny_pack
    summary = json.loads((out / "results" / "summary.json").read_text())
    code = main(
        [
            "evaluate",
            "--references",
            str(out / "reference" / "test_reference.json"),
            "--predictions",
            str(out / "results" / "predictions" / "random.json"),
            "--json",
        ]
    )
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    for metric in SUMMARY_METRICS:
        if printed.get(metric) is not None:
            assert printed[metric] == pytest.approx(
                summary["systems"]["random"][metric]["value"], abs=1e-12
            )


@pytest.mark.slow
def test_pack_photos_pass_imgstory_data_inspect(tiny_pack, capsys):
    out, _ = tiny_pack
    sis = out / "sis" / "test.story-in-sequence.json"
    assert main(["data", "inspect", str(sis), "--images", str(out / "images"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["missing_photos"] == 0 and report["unreadable_photos"] == 0
    assert report["skipped_stories"] == 0 and report["usable_albums"] == report["albums"]
