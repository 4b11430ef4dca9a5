"""Training's result pinned bit for bit: the weights and history of two tiny fixed-seed runs.

The digests were recorded from the trainer before it was split into prepare / fit / save
(issue 30.2), so any refactoring of :mod:`imgstory.model.training` must leave every weight
bit and every logged loss as they were. They hold for this TensorFlow build on this kind of CPU
(op determinism makes a run repeatable, not portable across builds): after a TensorFlow upgrade
rerecord them from the unchanged trainer (``IMGSTORY_RECORD_DIGESTS=1`` prints the new ones).
"""

from __future__ import annotations

import hashlib
import json
import os
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from train_fixtures import model_weights

from devtools.toy_data import random_stories, toy_feature_store, toy_stories
from imgstory.data.sis import STORY_LENGTH, Story
from imgstory.model.config import ModelConfig, TrainingConfig

pytest.importorskip("tensorflow")
from imgstory.model.training import train_model

#: sha256 of every weight array's bytes (layer order), of the report's history and of the
#: report and model card (less times and temporary paths), per run.
RECORDED = {
    "store": {
        "weights": "748ea2a4b1f1ed625d7084249f1415f160d8a1b99a2190d368097143d307b68d",
        "history": "e511feeb45b3bc3e79c3b55d2baafbe949b712f5b542968a238a70b53c5bfdb5",
        "report": "48e5a108f143213fd7a25cd66582a300ab7a3418215c6ca88cdcafc7ab51b8e1",
    },
    "sentences": {
        "weights": "40dcea4ccbda6d25499fc0f64ae03c7b28d29895c2200f25786b98c0fda10e28",
        "history": "457536ddf4b9a366c5dcf411043e3834eb686f94e382d19c1a79d7a657e5ddb6",
        "report": "c3947d91b0cce9d314b442353393ed8fb2146e8e9f483a560ead5323d6afff88",
    },
}


def weights_digest(model_dir: Path) -> str:
    """sha256 over every weight array of a model directory: dtype, shape and bytes."""
    digest = hashlib.sha256()
    for array in model_weights(model_dir):
        digest.update(f"{array.dtype}{array.shape}".encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def history_digest(history: dict[str, list[float]]) -> str:
    """sha256 of the history as JSON (floats written exactly by ``repr``)."""
    return hashlib.sha256(json.dumps(history, sort_keys=True).encode()).hexdigest()


def report_digest(report: Any) -> str:
    """sha256 of the report and the model card as JSON, less times and temporary paths."""
    document = report.to_json()
    for key in ("model_dir", "work_dir", "seconds", "stories_per_second"):
        document.pop(key)
    (document.get("glove") or {}).pop("path", None)
    card = json.loads((Path(report.model_dir) / "model_card.json").read_text(encoding="utf-8"))
    for key in ("name", "created", "commit"):
        card.pop(key)
    for key in ("seconds", "stories_per_second"):
        card["training"].pop(key)
    card["encoder"].pop("store", None)
    card["embeddings"].pop("path", None)
    text = json.dumps({"report": document, "card": card}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def tiny_glove(path: Path, words: list[str], dimension: int) -> Path:
    """A small GloVe text file: a seeded vector for each of ``words``."""
    generator = np.random.default_rng(11)
    lines = [
        " ".join([word, *(f"{value:.5f}" for value in generator.normal(0, 0.5, dimension))])
        for word in words
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def sentence_vectors(stories: list[Story] | tuple[Story, ...], dimension: int) -> np.ndarray:
    """A fixed vector per sentence, keyed by its text (what a text-only bridge would give)."""
    rows = [
        np.random.default_rng(zlib.crc32(text.encode())).normal(0, 1, dimension)
        for story in stories
        for text in story.texts
    ]
    return np.asarray(rows, dtype=np.float32).reshape(len(stories), STORY_LENGTH, dimension)


def store_run(tmp_path: Path):
    """Photo features from a store, some stories without them, given validation stories,
    dropout, feature noise, GloVe, the unigram bias, backups and early stopping."""
    stories = toy_stories(albums=3, stories_per_album=2)
    unseen = random_stories(3, vocabulary_words=20, words_per_sentence=4)
    store = toy_feature_store(tmp_path / "features", [*stories[:-1], *unseen[:-1]], dimension=12)
    glove = tiny_glove(tmp_path / "glove.toy.8d.txt", ["we", "the", "park", "lake", "w3"], 8)
    model = ModelConfig(
        hidden_size=24, embedding_dim=8, decoder_layers=1, dropout=0.2, feature_noise=0.1,
        max_sentence_length=10, vocab_min_count=1,
    )  # fmt: skip
    training = TrainingConfig(
        epochs=8, batch_size=2, learning_rate=0.02, patience=2, backup_every_epochs=1,
        unigram_bias=True, seed=3,
    )  # fmt: skip
    return train_model(
        store.path, stories, tmp_path / "model", model, training, val_stories=unseen,
        glove_path=glove, progress=False, work_dir=tmp_path / "work",
    )  # fmt: skip


def sentences_run(tmp_path: Path):
    """Text-only training: per-sentence vectors, kept words, a GRU, an album-held-out split."""
    from imgstory.model.sources import SentenceFeatures

    stories = toy_stories(albums=4, stories_per_album=2, seed=5)
    features = SentenceFeatures(
        encoder="toy-sentences",
        fingerprint="toy",
        dimension=10,
        vectors=lambda chosen: sentence_vectors(chosen, 10),
        card={"training": "text only"},
        words=("zebra", "giraffe"),
    )
    model = ModelConfig(
        cell="gru", hidden_size=24, embedding_dim=8, decoder_layers=2, dropout=0.1,
        max_sentence_length=10, vocab_min_count=2,
    )  # fmt: skip
    training = TrainingConfig(
        epochs=5, batch_size=3, learning_rate=0.01, validation_fraction=0.3, patience=5,
        backup_every_epochs=2, seed=9,
    )  # fmt: skip
    return train_model(
        features, stories, tmp_path / "model", model, training, progress=False,
        work_dir=tmp_path / "work", stories_source="toy",
    )  # fmt: skip


@pytest.mark.parametrize("run", ["store", "sentences"])
def test_training_gives_the_recorded_weights_bit_for_bit(tmp_path, run):
    """The same seed, data and configs give the weights and losses recorded before the trainer
    was refactored: not one bit differs."""
    report = {"store": store_run, "sentences": sentences_run}[run](tmp_path)
    measured = {
        "weights": weights_digest(Path(report.model_dir)),
        "history": history_digest(report.history),
        "report": report_digest(report),
    }
    if os.environ.get("IMGSTORY_RECORD_DIGESTS"):
        print(f"\n{run!r}: {measured},")
    assert measured == RECORDED[run], report.history
