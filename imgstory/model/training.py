"""Training the storyteller: stories + feature store -> a model directory, with logs elsewhere.

Teacher forcing with a masked loss, a shuffled ``tf.data`` pipeline read from the feature store,
early stopping on the validation loss, the best checkpoint, CSV and TensorBoard logs, fixed seeds,
resuming an interrupted run, a progress bar with loss and stories/s, and ``tf.distribute``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from imgstory.data.sis import STORY_LENGTH, Story
from imgstory.errors import UserInputError
from imgstory.features.store import FeatureStore
from imgstory.model.architecture import build_model
from imgstory.model.config import ModelConfig, TrainingConfig
from imgstory.model.directory import save_model_directory
from imgstory.paths import REPO_ROOT
from imgstory.text.glove import embedding_matrix, load_glove
from imgstory.text.vocabulary import PAD_ID, Vocabulary

BEST_WEIGHTS = "best.weights.h5"


@dataclass
class TrainingReport:
    """What a training run did (also stored, in part, in the model card)."""

    model_dir: str
    work_dir: str
    train_stories: int
    val_stories: int
    skipped_without_features: int
    vocabulary_size: int
    epochs_run: int
    best_epoch: int
    best_val_loss: float | None
    final_train_loss: float
    seconds: float
    stories_per_second: float
    history: dict[str, list[float]] = field(default_factory=dict)
    glove: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain dict (what ``imgstory train --json`` prints)."""
        return asdict(self)


def masked_loss(targets: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    """Mean cross-entropy over real tokens: ``targets`` (b, 5, w), ``logits`` (b, 5, w, vocab)."""
    per_token = keras.losses.sparse_categorical_crossentropy(targets, logits, from_logits=True)
    mask = tf.cast(tf.not_equal(targets, PAD_ID), per_token.dtype)  # (b, 5, w)
    return tf.reduce_sum(per_token * mask) / tf.maximum(tf.reduce_sum(mask), 1.0)


def masked_accuracy(targets: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    """Share of real tokens whose likeliest prediction is right."""
    predicted = tf.argmax(logits, axis=-1, output_type=targets.dtype)
    mask = tf.not_equal(targets, PAD_ID)
    hits = tf.cast(tf.equal(predicted, targets) & mask, tf.float32)
    return tf.reduce_sum(hits) / tf.maximum(tf.reduce_sum(tf.cast(mask, tf.float32)), 1.0)


def stories_with_features(store: FeatureStore, stories: Sequence[Story]) -> tuple[list[Story], int]:
    """The stories whose 5 photos all have features, and how many were skipped."""
    usable = [story for story in stories if not store.missing(story.photo_ids)]
    return usable, len(stories) - len(usable)


def split_by_album(
    stories: Sequence[Story], fraction: float, seed: int
) -> tuple[list[Story], list[Story]]:
    """Hold out a ``fraction`` of albums (all their stories) for validation, reproducibly."""
    albums = sorted({story.album_id for story in stories})
    if fraction <= 0 or len(albums) < 2:
        return list(stories), []
    generator = np.random.default_rng(seed)
    held = max(1, round(len(albums) * fraction))
    held_out = set(generator.permutation(albums)[:held].tolist())
    train = [story for story in stories if story.album_id not in held_out]
    return train, [story for story in stories if story.album_id in held_out]


class StoryBatches:
    """Stories as ``({"photo_features", "sentences"}, sentences)`` batches for ``model.fit``.

    The needed photo vectors are read from the store once (kept in its dtype); each batch is
    gathered in NumPy, so memory stays one copy of the features whatever the number of epochs.
    """

    def __init__(
        self,
        store: FeatureStore,
        stories: Sequence[Story],
        vocabulary: Vocabulary,
        config: ModelConfig,
    ):
        photo_ids = list(dict.fromkeys(p for story in stories for p in story.photo_ids))
        rows = {photo: row for row, photo in enumerate(photo_ids)}
        self.features = np.empty((len(photo_ids), store.dimension), dtype=store.dtype)
        for start in range(0, len(photo_ids), 8192):  # bounded peak memory on real VIST
            chunk = photo_ids[start : start + 8192]
            self.features[start : start + len(chunk)] = store.get(chunk)
        self.photo_rows = np.array(
            [[rows[p] for p in story.photo_ids] for story in stories], dtype=np.int64
        )  # (stories, 5)
        texts = [text for story in stories for text in story.texts]
        sentences = vocabulary.encode_batch(texts, config.max_sentence_length)
        self.sentences = sentences.reshape(len(stories), STORY_LENGTH, -1)  # (stories, 5, width)
        self.feature_dim = store.dimension

    def __len__(self) -> int:
        return len(self.photo_rows)

    def dataset(self, batch_size: int, shuffle: bool, seed: int) -> tf.data.Dataset:
        """A ``tf.data`` pipeline; reshuffled (reproducibly) on every pass."""
        passes = iter(range(1_000_000))

        def batches():
            order = np.arange(len(self))
            if shuffle:
                np.random.default_rng([seed, next(passes)]).shuffle(order)
            for start in range(0, len(order), batch_size):
                chosen = order[start : start + batch_size]
                features = self.features[self.photo_rows[chosen]].astype(np.float32)
                sentences = self.sentences[chosen]
                yield {"photo_features": features, "sentences": sentences}, sentences

        width = self.sentences.shape[-1]
        signature = (
            {
                "photo_features": tf.TensorSpec((None, STORY_LENGTH, self.feature_dim), tf.float32),
                "sentences": tf.TensorSpec((None, STORY_LENGTH, width), tf.int32),
            },
            tf.TensorSpec((None, STORY_LENGTH, width), tf.int32),
        )
        dataset = tf.data.Dataset.from_generator(batches, output_signature=signature)
        steps = -(-len(self) // batch_size)
        dataset = dataset.apply(tf.data.experimental.assert_cardinality(steps))
        return dataset.prefetch(tf.data.AUTOTUNE)


class ProgressBar(keras.callbacks.Callback):
    """One tqdm bar per epoch on stderr: loss, validation loss and stories/s."""

    def __init__(self, steps: int, stories: int, epochs: int):
        super().__init__()
        self.steps, self.stories, self.epochs = steps, stories, epochs
        self._bar = None

    def on_epoch_begin(self, epoch, logs=None):
        from tqdm import tqdm

        self._bar = tqdm(total=self.steps, desc=f"epoch {epoch + 1}/{self.epochs}", unit="batch")
        self._start = time.perf_counter()
        self._seen = 0

    def on_train_batch_end(self, batch, logs=None):
        self._seen = min(self.stories, self._seen + self.stories / max(self.steps, 1))
        rate = self._seen / max(time.perf_counter() - self._start, 1e-9)
        self._bar.set_postfix(loss=f"{(logs or {}).get('loss', 0):.3f}", stories_s=f"{rate:.1f}")
        self._bar.update(1)

    def on_epoch_end(self, epoch, logs=None):
        if "val_loss" in (logs or {}):
            self._bar.set_postfix(
                loss=f"{logs['loss']:.3f}",
                val_loss=f"{logs['val_loss']:.3f}",
                stories_s=f"{self.stories / (time.perf_counter() - self._start):.1f}",
            )
        self._bar.close()


class BestCheckpoint(keras.callbacks.Callback):
    """Keep the best weights so far (by ``monitor``) and write them to ``path``.

    The weights are copied in memory every time they improve and written at most once per
    ``interval`` seconds and when training ends, so small models do not spend their time saving.
    """

    def __init__(self, path: Path, monitor: str, interval: float = 60.0):
        super().__init__()
        self.path, self.monitor, self.interval = path, monitor, interval
        self.best = float("inf")
        self.best_weights = None
        self._written = time.perf_counter()
        self._unsaved = False

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is not None and value < self.best:
            self.best, self.best_weights, self._unsaved = value, self.model.get_weights(), True
        if self._unsaved and time.perf_counter() - self._written > self.interval:
            self._write()

    def on_train_end(self, logs=None):
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)
            if self._unsaved:
                self._write()

    def _write(self):
        current = self.model.get_weights()
        self.model.set_weights(self.best_weights)
        self.model.save_weights(str(self.path))
        self.model.set_weights(current)
        self._written, self._unsaved = time.perf_counter(), False


class Throughput(keras.callbacks.Callback):
    """Training time per epoch, excluding validation (for stories/s in the report)."""

    def __init__(self):
        super().__init__()
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_test_begin(self, logs=None):
        if hasattr(self, "_start"):
            self.seconds.append(time.perf_counter() - self._start)
            del self._start

    def on_epoch_end(self, epoch, logs=None):
        if hasattr(self, "_start"):  # no validation this epoch
            self.seconds.append(time.perf_counter() - self._start)
            del self._start


def compile_for_training(model: keras.Model, config: TrainingConfig) -> keras.Model:
    """Adam with gradient clipping, the masked loss and the masked token accuracy."""
    model.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate, clipnorm=config.clip_norm),
        loss=masked_loss,
        metrics=[masked_accuracy],
    )
    return model


def distribution_strategy(name: str) -> tf.distribute.Strategy:
    """``default`` (one device) or ``mirrored`` (all local devices; multi-worker with TF_CONFIG)."""
    if name == "mirrored":
        if os.environ.get("TF_CONFIG"):
            return tf.distribute.MultiWorkerMirroredStrategy()
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def tensorboard_available() -> bool:
    """TensorBoard logs need the ``tensorboard`` package (tensorflow-cpu 2.21 lacks it)."""
    import importlib.util

    return importlib.util.find_spec("tensorboard") is not None


def default_work_dir(out_dir: Path) -> Path:
    """Where checkpoints and logs go: ``runs/<model dir name>`` (never inside the model dir)."""
    return Path("runs") / out_dir.resolve().name


def _git_commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def train_model(
    features_store_path: str | Path,
    stories: Sequence[Story],
    out_dir: str | Path,
    model_config: ModelConfig | None = None,
    training_config: TrainingConfig | None = None,
    *,
    val_stories: Sequence[Story] | None = None,
    glove_path: str | Path | None = None,
    progress: bool = True,
    work_dir: str | Path | None = None,
    resume: bool = False,
    stories_source: str | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
) -> TrainingReport:
    """Train a storyteller and write its model directory.

    Args:
        features_store_path: a feature store holding the stories' photos.
        stories: the training stories (every one is used, whatever its split is called).
        out_dir: the model directory to write (model.keras, vocab.json, config.json, card).
        model_config: sizes (feature_dim and vocab_size are filled in here).
        training_config: epochs, batch size, seed, validation fraction, strategy.
        val_stories: validation stories; by default a fraction of albums is held out.
        glove_path: a GloVe text file for the initial word vectors (else learned from scratch).
        progress: draw a progress bar per epoch.
        work_dir: checkpoints, backup and logs (default ``runs/<out_dir name>``).
        resume: continue an interrupted run from ``work_dir``'s backup.
        stories_source: where the stories came from, for the model card.
        callbacks: more Keras callbacks (e.g. a progress display in the app).

    Raises:
        UserInputError: no story has features, bad GloVe file, and other input problems.
    """
    model_config = model_config or ModelConfig()
    training_config = training_config or TrainingConfig()
    out_dir = Path(out_dir)
    work_dir = Path(work_dir) if work_dir else default_work_dir(out_dir)
    started = time.perf_counter()
    keras.utils.set_random_seed(training_config.seed)

    store = FeatureStore.open(features_store_path)
    usable, skipped = stories_with_features(store, stories)
    if not usable:
        raise UserInputError(
            f"none of the {len(stories)} stories has features for all 5 photos in {store.path}: "
            "extract features for their photos first (`imgstory features extract`)"
        )
    if val_stories is None:
        train, validation = split_by_album(
            usable, training_config.validation_fraction, training_config.seed
        )
    else:
        train = usable
        validation, val_skipped = stories_with_features(store, val_stories)
        skipped += val_skipped

    vocabulary = Vocabulary.build(
        (text for story in train for text in story.texts),
        model_config.vocab_min_count,
        model_config.vocab_max_size,
    )
    model_config = replace(model_config, feature_dim=store.dimension, vocab_size=len(vocabulary))
    glove_report = None
    initial_embeddings = None
    if glove_path:
        vectors, coverage = load_glove(glove_path, vocabulary, model_config.embedding_dim)
        initial_embeddings = embedding_matrix(
            vocabulary, vectors, model_config.embedding_dim, training_config.seed
        )
        glove_report = coverage.to_json()

    train_batches = StoryBatches(store, train, vocabulary, model_config)
    batch_size = training_config.batch_size
    train_data = train_batches.dataset(batch_size, shuffle=True, seed=training_config.seed)
    val_data = None
    if validation:
        val_batches = StoryBatches(store, validation, vocabulary, model_config)
        val_data = val_batches.dataset(batch_size, shuffle=False, seed=0)

    work_dir.mkdir(parents=True, exist_ok=True)
    backup_dir = work_dir / "backup"
    if not resume and backup_dir.exists():
        shutil.rmtree(backup_dir)
    with distribution_strategy(training_config.strategy).scope():
        model = build_model(model_config, initial_embeddings)
        model.get_layer("photo_normalization").set_statistics(train_batches.features)
        compile_for_training(model, training_config)
    monitor = "val_loss" if val_data is not None else "loss"
    best_path = work_dir / "checkpoints" / BEST_WEIGHTS
    best_path.parent.mkdir(parents=True, exist_ok=True)
    throughput = Throughput()
    steps = -(-len(train_batches) // batch_size)
    callbacks = [
        *callbacks,
        BestCheckpoint(best_path, monitor),
        keras.callbacks.EarlyStopping(monitor=monitor, patience=training_config.patience),
        keras.callbacks.CSVLogger(str(work_dir / "training_log.csv"), append=resume),
        throughput,
    ]
    if training_config.backup_every_epochs:
        callbacks.insert(
            0,
            keras.callbacks.BackupAndRestore(
                str(backup_dir), save_freq=steps * training_config.backup_every_epochs
            ),
        )
    if tensorboard_available():
        callbacks.append(
            keras.callbacks.TensorBoard(str(work_dir / "tensorboard"), profile_batch=0)
        )
    if progress:
        callbacks.append(ProgressBar(steps, len(train_batches), training_config.epochs))
    fitted = model.fit(
        train_data,
        validation_data=val_data,
        epochs=training_config.epochs,
        callbacks=callbacks,
        shuffle=False,  # the pipeline shuffles, reproducibly
        verbose=0,
    )
    history = {name: [float(v) for v in values] for name, values in fitted.history.items()}
    monitored = history.get(monitor) or [float("nan")]
    best_epoch = int(np.nanargmin(monitored)) if np.isfinite(monitored).any() else 0
    timed = throughput.seconds[1:] or throughput.seconds  # the first epoch includes tracing
    train_seconds = sum(timed) or 1e-9
    epochs_run = len(history.get("loss", []))
    report = TrainingReport(
        model_dir=str(out_dir),
        work_dir=str(work_dir),
        train_stories=len(train),
        val_stories=len(validation),
        skipped_without_features=skipped,
        vocabulary_size=len(vocabulary),
        epochs_run=epochs_run,
        best_epoch=best_epoch + 1,
        best_val_loss=history["val_loss"][best_epoch] if "val_loss" in history else None,
        final_train_loss=history["loss"][-1] if history.get("loss") else float("nan"),
        seconds=round(time.perf_counter() - started, 2),
        stories_per_second=round(len(train) * len(timed) / train_seconds, 2),
        history=history,
        glove=glove_report,
    )
    card = _model_card(
        report, model_config, training_config, store, vocabulary, train, stories_source
    )
    card["parameters"] = int(model.count_params())
    save_model_directory(out_dir, model, model_config, training_config, vocabulary, card)
    (work_dir / "report.json").write_text(json.dumps(report.to_json(), indent=2) + "\n")
    return report


def _model_card(
    report: TrainingReport,
    model_config: ModelConfig,
    training_config: TrainingConfig,
    store: FeatureStore,
    vocabulary: Vocabulary,
    train: Sequence[Story],
    stories_source: str | None,
) -> dict[str, Any]:
    """The model card: what data, encoder and protocol produced the model."""
    import datetime as dt

    texts = [text for story in train for text in story.texts]
    return {
        "name": Path(report.model_dir).name,
        "architecture": f"Seq2Seq {model_config.cell.upper()} storyteller (imgstory.model)",
        "cell": model_config.cell,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": _git_commit(),
        "data": {
            "stories_source": stories_source,
            "train_stories": report.train_stories,
            "train_albums": len({story.album_id for story in train}),
            "val_stories": report.val_stories,
            "skipped_without_features": report.skipped_without_features,
        },
        "encoder": {
            "name": store.encoder,
            "fingerprint": store.weights_fingerprint,
            "dimension": store.dimension,
            "store": str(store.path),
        },
        "vocabulary": {
            "size": len(vocabulary),
            "fingerprint": vocabulary.fingerprint,
            "min_count": model_config.vocab_min_count,
            "train_token_coverage": round(vocabulary.coverage(texts), 4),
        },
        "embeddings": (
            {"source": "glove", **report.glove}
            if report.glove
            else {"source": "learned from scratch (no GloVe file given)"}
        ),
        "training": {
            "epochs_run": report.epochs_run,
            "best_epoch": report.best_epoch,
            "train_loss": report.final_train_loss,
            "val_loss": report.best_val_loss,
            "seconds": report.seconds,
            "stories_per_second": report.stories_per_second,
            "batch_size": training_config.batch_size,
            "learning_rate": training_config.learning_rate,
            "seed": training_config.seed,
            "strategy": training_config.strategy,
        },
    }
