"""The trainer: stories + photo (or sentence) vectors -> a model directory, logs elsewhere.

Teacher forcing with a masked loss, early stopping on the validation loss, the best weights, CSV
and TensorBoard logs, determinism (seeds + TensorFlow op determinism) and exact resume; the data
pipeline is :mod:`imgstory.model.pipeline`, the callbacks :mod:`imgstory.model.callbacks`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from imgstory.data.sis import Story
from imgstory.distribute import distribution_strategy
from imgstory.errors import UserInputError
from imgstory.features.store import FeatureStore
from imgstory.model import rundir
from imgstory.model.architecture import build_model
from imgstory.model.callbacks import (
    BestCheckpoint,
    EpochClock,
    EpochProgress,
    RunBackup,
    Throughput,
)
from imgstory.model.card import model_card
from imgstory.model.config import ModelConfig, TrainingConfig
from imgstory.model.directory import save_model_directory
from imgstory.model.pipeline import StoryBatches, split_by_album, stories_with_features
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


def unigram_log_frequencies(sentences: np.ndarray, vocab_size: int) -> np.ndarray:
    """``(vocab,)`` log-frequencies of the real tokens of ``sentences`` (unseen ids: very low)."""
    counts = np.bincount(sentences[sentences != PAD_ID].ravel(), minlength=vocab_size)
    return np.log(np.maximum(counts, 1e-3) / max(counts.sum(), 1)).astype(np.float32)


def compile_for_training(model: keras.Model, config: TrainingConfig) -> keras.Model:
    """Adam with gradient clipping, the masked loss and the masked token accuracy."""
    model.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate, clipnorm=config.clip_norm),
        loss=masked_loss,
        # A metric object, not the bare function: its variables then exist before fit.
        metrics=[keras.metrics.MeanMetricWrapper(masked_accuracy, name="masked_accuracy")],
    )
    # Without a distribution strategy Keras creates Adam's slots (and a bare function's metric
    # variables) inside the first traced train step, and TensorFlow then traces the step again
    # (no variable may be created on a later call). Built here, it is traced once: ~3 s less
    # per training on this CPU, the same weights.
    model.optimizer.build(model.trainable_variables)
    return model


def tensorboard_available() -> bool:
    """TensorBoard logs need the ``tensorboard`` package (tensorflow-cpu 2.21 lacks it)."""
    import importlib.util

    return importlib.util.find_spec("tensorboard") is not None


def default_work_dir(out_dir: Path) -> Path:
    """Where checkpoints and logs go: one folder per model directory (see :mod:`.rundir`)."""
    return rundir.default_work_dir(out_dir)


@dataclass(frozen=True)
class SentenceFeatures:
    """Per-sentence vectors standing in for photo features (text-only training).

    Attributes:
        encoder: the encoder whose photo vectors these stand for (``"concepts"``).
        fingerprint: that encoder's weights fingerprint (a model refuses other features).
        dimension: vector length.
        vectors: stories -> ``(stories, 5, dimension)`` float32, one vector per sentence.
        card: what the model card records about the bridge (noise, source, ...).
        words: words the vocabulary keeps whatever their count (the terms the model may copy).
    """

    encoder: str
    fingerprint: str
    dimension: int
    vectors: Callable[[Sequence[Story]], np.ndarray]
    card: dict[str, Any] = field(default_factory=dict)
    words: tuple[str, ...] = ()


def train_model(
    features: str | Path | SentenceFeatures,
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
    restart: bool = False,
    overwrite: bool = False,
    stories_source: str | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
) -> TrainingReport:
    """Train a storyteller and write its model directory.

    The run is deterministic: the same seed, data and configs give the same weights whatever the
    machine's load (seeded Keras, TensorFlow op determinism, shuffles keyed by epoch), and a
    resumed run ends exactly where an uninterrupted one does.

    Args:
        features: a feature store holding the stories' photos, or per-sentence vectors for
            text-only training (:class:`SentenceFeatures`).
        stories: the training stories (every one is used, whatever its split is called).
        out_dir: the model directory to write (model.keras, vocab.json, config.json, card).
        model_config: sizes (feature_dim and vocab_size are filled in here).
        training_config: epochs, batch size, seed, validation fraction, strategy.
        val_stories: validation stories; by default a fraction of albums is held out.
        glove_path: GloVe vectors for the initial word embeddings (a glove.*.txt file or the
            packaged ``glove-6b-50d``); else learned from scratch.
        progress: draw a progress bar per epoch.
        work_dir: checkpoints, backup and logs (default ``runs/<out_dir name>-<path hash>``);
            it serves this ``out_dir`` only (:mod:`imgstory.model.rundir`).
        resume: continue an interrupted run from ``work_dir``'s backup (refused without one).
        restart: discard ``work_dir``'s backup; without ``resume`` or ``restart`` a backup
            there is refused, never silently removed.
        overwrite: replace an existing model directory at ``out_dir``.
        stories_source: where the stories came from, for the model card.
        callbacks: more Keras callbacks (e.g. a progress display in the app).

    Raises:
        UserInputError: no story has features, bad GloVe file, an output or work dir that is
            not this run's to write, a backup without resume or restart, and other input problems.
    """
    model_config = model_config or ModelConfig()
    training_config = training_config or TrainingConfig()
    out_dir = Path(out_dir)
    inputs = (None if isinstance(features, SentenceFeatures) else features, glove_path)
    run = rundir.plan_run(
        out_dir,
        work_dir,
        model_config,
        training_config,
        resume=resume,
        restart=restart,
        overwrite=overwrite,
        inputs=inputs,
    )
    work_dir = run.work_dir
    given_configs = (model_config, training_config)
    started = time.perf_counter()
    keras.utils.set_random_seed(training_config.seed)
    tf.config.experimental.enable_op_determinism()

    if isinstance(features, SentenceFeatures):
        store, usable, skipped = None, list(stories), 0
        encoder_card = {
            "name": features.encoder,
            "fingerprint": features.fingerprint,
            "dimension": features.dimension,
            "text_only_bridge": features.card,
        }
        dimension = features.dimension
    else:
        store = FeatureStore.open(features)
        usable, skipped = stories_with_features(store, stories)
        if not usable:
            raise UserInputError(
                f"none of the {len(stories)} stories has features for all 5 photos in "
                f"{store.path}: extract features for their photos first "
                "(`imgstory features extract`)"
            )
        encoder_card = {
            "name": store.encoder,
            "fingerprint": store.weights_fingerprint,
            "dimension": store.dimension,
            "store": str(store.path),
        }
        dimension = store.dimension
    if val_stories is None:
        train, validation = split_by_album(
            usable, training_config.validation_fraction, training_config.seed
        )
    elif store is None:
        train, validation = usable, list(val_stories)
    else:
        train = usable
        validation, val_skipped = stories_with_features(store, val_stories)
        skipped += val_skipped

    vocabulary = Vocabulary.build(
        (text for story in train for text in story.texts),
        model_config.vocab_min_count,
        model_config.vocab_max_size,
        keep=features.words if isinstance(features, SentenceFeatures) else (),
    )
    model_config = replace(model_config, feature_dim=dimension, vocab_size=len(vocabulary))
    glove_report = None
    initial_embeddings = None
    if glove_path:
        vectors, coverage = load_glove(glove_path, vocabulary, model_config.embedding_dim)
        initial_embeddings = embedding_matrix(
            vocabulary, vectors, model_config.embedding_dim, training_config.seed
        )
        glove_report = coverage.to_json()

    def batches(chosen: Sequence[Story]) -> StoryBatches:
        if store is None:
            return StoryBatches(None, chosen, vocabulary, model_config, features.vectors(chosen))
        return StoryBatches(store, chosen, vocabulary, model_config)

    train_batches = batches(train)
    batch_size = training_config.batch_size
    train_data = train_batches.dataset(batch_size, shuffle=True, seed=training_config.seed)
    val_data = None
    if validation:
        val_data = batches(validation).dataset(batch_size, shuffle=False, seed=0)

    rundir.claim_work_dir(run, *given_configs)
    with distribution_strategy(training_config.strategy).scope():
        model = build_model(model_config, initial_embeddings)
        model.get_layer("photo_normalization").set_statistics(train_batches.features)
        if training_config.unigram_bias:
            model.get_layer("vocab_logits").bias.assign(
                unigram_log_frequencies(train_batches.sentences, len(vocabulary))
            )
        compile_for_training(model, training_config)
    monitor = "val_loss" if val_data is not None else "loss"
    best_path = work_dir / "checkpoints" / BEST_WEIGHTS
    best_path.parent.mkdir(parents=True, exist_ok=True)
    throughput = Throughput()
    steps = train_batches.steps(batch_size)
    best = BestCheckpoint(best_path, monitor)
    stopping = keras.callbacks.EarlyStopping(monitor=monitor, patience=training_config.patience)
    backup = RunBackup(work_dir / "backup", training_config.backup_every_epochs, best, stopping)
    backup.set_model(model)
    initial_epoch = 0
    if run.resume:
        initial_epoch = rundir.restore_backup(backup, work_dir)
    else:
        backup.remove()  # none there, or --restart asked to discard it
    callbacks = [
        EpochClock(train_batches),
        best,
        stopping,
        backup,  # after best and stopping: it records their state of the epoch just ended
        keras.callbacks.CSVLogger(str(work_dir / "training_log.csv"), append=initial_epoch > 0),
        throughput,
        *callbacks,  # after the backup: a callback that stops the run finds this epoch saved
    ]
    if tensorboard_available():
        callbacks.append(
            keras.callbacks.TensorBoard(str(work_dir / "tensorboard"), profile_batch=0)
        )
    if progress:
        callbacks.append(EpochProgress(steps, len(train_batches), training_config.epochs))
    model.fit(
        train_data,
        validation_data=val_data,
        epochs=training_config.epochs,
        initial_epoch=initial_epoch,
        callbacks=callbacks,
        shuffle=False,  # the pipeline shuffles, keyed by epoch
        verbose=0,
    )
    history = backup.history  # every epoch of the run, those before a resume included
    timed = throughput.seconds[1:] or throughput.seconds  # the first epoch includes tracing
    train_seconds = sum(timed) or 1e-9
    best_epoch = max(best.best_epoch, 0)
    report = TrainingReport(
        model_dir=str(out_dir),
        work_dir=str(work_dir),
        train_stories=len(train),
        val_stories=len(validation),
        skipped_without_features=skipped,
        vocabulary_size=len(vocabulary),
        epochs_run=len(history.get("loss", [])),
        best_epoch=best_epoch + 1,
        best_val_loss=history["val_loss"][best_epoch] if "val_loss" in history else None,
        final_train_loss=history["loss"][-1] if history.get("loss") else float("nan"),
        seconds=round(time.perf_counter() - started, 2),
        stories_per_second=round(len(train) * len(timed) / train_seconds, 2),
        history=history,
        glove=glove_report,
    )
    card = model_card(
        report, model_config, training_config, encoder_card, vocabulary, train, stories_source
    )
    card["parameters"] = int(model.count_params())
    save_model_directory(out_dir, model, model_config, training_config, vocabulary, card)
    (work_dir / "report.json").write_text(json.dumps(report.to_json(), indent=2) + "\n")
    backup.remove()  # the model is saved: nothing left to resume
    return report
