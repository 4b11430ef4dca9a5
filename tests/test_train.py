"""Training end to end: a tiny model learns its stories by heart; the CLI trains and predicts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from train_fixtures import TINY, memorising, tiny_model

from devtools.toy_data import toy_feature_store, toy_stories
from imgstory.data.sis import Story, write_sis
from imgstory.decoding import DecodingConfig
from imgstory.model.config import ModelConfig, TrainingConfig

pytest.importorskip("tensorflow")
from imgstory.cli import main
from imgstory.generation.predict import predict_stories
from imgstory.generation.storyteller import Storyteller
from imgstory.model.pipeline import split_by_album
from imgstory.model.training import train_model


def memorise(tmp_path: Path, cell: str):
    """Train a tiny model on 4 stories (2 albums) until it should know them by heart."""
    stories = toy_stories(albums=2, stories_per_album=2)
    store = toy_feature_store(tmp_path / "features", stories)
    report = train_model(
        store.path,
        stories,
        tmp_path / f"model-{cell}",
        tiny_model(cell=cell),
        memorising(25, 1, patience=25),
        progress=False,
        work_dir=tmp_path / "work",
    )
    return stories, store, report


@pytest.fixture(scope="module")
def lstm_run(tmp_path_factory):
    return memorise(tmp_path_factory.mktemp("lstm"), "lstm")


def test_a_tiny_lstm_reproduces_its_training_stories(lstm_run):
    stories, store, report = lstm_run
    losses = report.history["loss"]
    assert losses[0] > 2.5 and losses[-1] < 0.2 and losses[-1] < losses[len(losses) // 2]
    assert report.train_stories == 4 and report.val_stories == 0 and report.epochs_run == 25
    teller = Storyteller.load(report.model_dir)
    assert teller.card["cell"] == "lstm"
    assert teller.card["embeddings"]["source"].startswith("learned from scratch")
    # learned by heart: the toy stories reuse trigrams ("at the lake"), so no trigram blocking
    greedy = DecodingConfig(method="greedy", no_repeat_ngram_size=0)
    for story in stories:
        told = teller.generate_from_features(store.get(story.photo_ids), greedy)
        assert told.sentences == story.texts


def test_prediction_formats_from_the_memorised_model(lstm_run):
    stories, store, report = lstm_run
    greedy = DecodingConfig(method="greedy", no_repeat_ngram_size=0)  # memorised: no blocking
    arel = predict_stories(report.model_dir, store, stories, greedy)
    first = {}
    for story in stories:
        first.setdefault(story.album_id, story)
    assert arel == {album: [story.story_text] for album, story in first.items()}
    challenge = predict_stories(report.model_dir, store, stories, greedy, format="challenge")
    entries = challenge["output_stories"]
    assert [entry["photo_sequence"] for entry in entries] == [list(s.photo_ids) for s in stories]
    assert [entry["story_text_normalized"] for entry in entries] == [s.story_text for s in stories]


def test_validation_split_is_by_album_and_reproducible():
    stories = toy_stories(albums=10, stories_per_album=2)
    train, validation = split_by_album(stories, 0.2, seed=3)
    assert len(validation) == 4 and len(train) == 16
    assert not {s.album_id for s in train} & {s.album_id for s in validation}
    assert split_by_album(stories, 0.2, seed=3) == (train, validation)
    assert split_by_album(stories, 0.0, seed=3) == (stories, [])


def _photo(path: Path, seed: int) -> Path:
    """A photo of its own: a 4 x 4 grid of random colours (what the colour layout sees best)."""
    blocks = np.random.default_rng(seed).integers(0, 256, (4, 4, 3)).astype(np.uint8)
    Image.fromarray(np.kron(blocks, np.ones((16, 16, 1), np.uint8))).save(path)
    return path


def test_cli_trains_a_gru_that_tells_its_stories_from_the_photos(tmp_path, capsys):
    """`imgstory train` on real image files (hand-crafted features), then predict and generate."""
    from imgstory.features.extract import extract_features

    stories = toy_stories(albums=2, stories_per_album=2)
    photo_ids = sorted({photo for story in stories for photo in story.photo_ids})
    images = tmp_path / "images"
    images.mkdir()
    photos = {pid: _photo(images / f"{pid}.png", seed) for seed, pid in enumerate(photo_ids)}
    extract_features(photos, tmp_path / "features", "handcrafted", progress=False)
    orphan = Story("x", "album9", "train", ("nope",) * 5, ("a .",) * 5, ("a.",) * 5)
    sis = write_sis(tmp_path / "train.story-in-sequence.json", [*stories, orphan])
    glove = tmp_path / "glove.tiny.16d.txt"
    glove.write_text("the " + " ".join(["0.5"] * 16) + "\nwe " + " ".join(["-0.5"] * 16) + "\n")
    config = tmp_path / "config.json"
    training = {"learning_rate": 0.01, "backup_every_epochs": 0, "patience": 30}
    config.write_text(json.dumps({"model": TINY, "training": training}))

    model_dir = tmp_path / "model"
    arguments = ["train", "--features", str(tmp_path / "features"), "--stories", str(sis)]
    arguments += ["--val-stories", str(sis), "--out", str(model_dir), "--config", str(config)]
    arguments += ["--cell", "gru", "--epochs", "30", "--batch-size", "1", "--seed", "1"]
    arguments += ["--glove", str(glove), "--work-dir", str(tmp_path / "runs"), "--json"]
    assert main(arguments) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["skipped_without_features"] == 2  # the orphan, in training and validation
    assert report["train_stories"] == report["val_stories"] == 4
    assert report["epochs_run"] == 30 and report["best_val_loss"] < 0.2
    assert sorted(p.name for p in model_dir.iterdir()) == [
        "config.json", "model.keras", "model_card.json", "vocab.json",
    ]  # fmt: skip
    card = json.loads((model_dir / "model_card.json").read_text())
    assert card["cell"] == "gru" and card["encoder"]["name"] == "handcrafted"
    assert card["embeddings"]["source"] == "glove" and card["embeddings"]["found"] == 2
    assert (tmp_path / "runs" / "training_log.csv").read_text().count("\n") == 31

    out = tmp_path / "predictions.json"
    arguments = ["predict", "--model", str(model_dir), "--features", str(tmp_path / "features")]
    arguments += ["--stories", str(sis), "--out", str(out), "--decoding", "greedy", "--json"]
    arguments += ["--no-repeat-ngram", "0"]  # memorised stories reuse trigrams
    assert main(arguments) == 0
    assert json.loads(capsys.readouterr().out)["stories"] == 2  # albums with all features
    expected = {s.album_id: [s.story_text] for s in stories[::-1]}  # first story per album
    assert json.loads(out.read_text()) == expected

    story = stories[0]
    files = [str(images / f"{pid}.png") for pid in story.photo_ids]
    command = ["generate", "--model", str(model_dir), *files, "--decoding", "greedy", "--json"]
    assert main([*command, "--no-repeat-ngram", "0"]) == 0  # memorised stories reuse trigrams
    generated = json.loads(capsys.readouterr().out)
    assert generated == {"sentences": list(story.texts), "story": story.story_text}
    import tensorflow as tf  # generate skips Grappler for its story only, never for the process

    assert tf.config.optimizer.get_experimental_options()["disable_meta_optimizer"] is False

    assert main(["generate", "--model", str(model_dir), str(tmp_path / "absent.jpg")]) == 2
    assert "absent.jpg" in capsys.readouterr().err
    assert main(["generate", "--model", str(model_dir), *(files * 3)]) == 2
    assert "give 1 to 10 photos" in capsys.readouterr().err
    assert main([*command, "--repeat-penalty", "-1"]) == 2
    error = capsys.readouterr().err.strip()
    assert error == "error: --repeat-penalty must be at least 0, got -1.0"


def test_the_shuffle_of_an_epoch_depends_on_the_epoch_alone():
    """Epoch e's batches are the same in a fresh run and in a run resumed at epoch e."""
    from imgstory.model.pipeline import StoryBatches
    from imgstory.model.sources import StoryVectors
    from imgstory.text.vocabulary import Vocabulary

    stories = toy_stories(albums=6, stories_per_album=3)
    vocabulary = Vocabulary.build((t for s in stories for t in s.texts), 1, None)
    features = np.random.default_rng(0).normal(size=(len(stories), 5, 3)).astype(np.float32)
    batches = StoryBatches(StoryVectors.per_sentence(features), stories, vocabulary, ModelConfig())
    orders = []
    for epoch in (0, 1, 2, 1):
        batches.epoch = epoch
        orders.append([row.tolist() for row in batches.batch_order(4, shuffle=True, seed=5)])
    assert orders[1] == orders[3] and orders[0] != orders[1] != orders[2]
    rows = sorted(r for batch in orders[0] for r in batch)
    assert rows == list(range(len(stories)))  # every story once per epoch
    for batch in orders[0]:  # one length bucket per batch
        assert len({int(batches.lengths[r]) // 4 for r in batch}) == 1


def test_the_train_step_creates_no_variable_so_it_is_traced_once(tmp_path, monkeypatch):
    """Adam's slots and the metric's totals exist before fit: a variable created inside the
    traced train step makes TensorFlow trace the whole step a second time (~3 s per run)."""
    import keras
    import tensorflow as tf

    created_while_tracing = []
    create = keras.Variable.__init__

    def recording_init(variable, *args, **kwargs):
        create(variable, *args, **kwargs)
        if tf.inside_function():
            created_while_tracing.append(variable.path)

    monkeypatch.setattr(keras.Variable, "__init__", recording_init)
    stories = toy_stories(albums=2, stories_per_album=2)
    store = toy_feature_store(tmp_path / "features", stories)
    training = TrainingConfig(epochs=1, batch_size=2, validation_fraction=0.5)
    train_model(store.path, stories, tmp_path / "m", tiny_model(), training, progress=False)
    assert created_while_tracing == []


def test_the_callbacks_come_in_their_declared_order(tmp_path):
    """Clock, best, early stopping, backup, log, throughput, the caller's, TensorBoard, bar."""
    import keras

    from imgstory.model.callbacks import (
        BestCheckpoint,
        EpochClock,
        EpochProgress,
        ResumableEarlyStopping,
        RunBackup,
        Throughput,
    )
    from imgstory.model.training import fit_callbacks

    best = BestCheckpoint(tmp_path / "best.weights.h5", "loss")
    stopping = ResumableEarlyStopping("loss", 2)
    pieces = [EpochClock(), best, stopping, RunBackup(tmp_path / "backup", 1, best, stopping)]
    pieces += [keras.callbacks.CSVLogger(str(tmp_path / "log.csv")), Throughput()]
    extra = [keras.callbacks.Callback(), keras.callbacks.Callback()]
    bar = EpochProgress(1, 1, 1)
    assert fit_callbacks(*pieces, extra, progress=bar) == [*pieces, *extra, bar]
    assert fit_callbacks(*pieces) == pieces
