"""The trainer: stories + photo (or sentence) vectors -> a model directory, logs elsewhere.

Teacher forcing with a masked loss, early stopping on the validation loss, the best weights, CSV
and TensorBoard logs, determinism (seeds + TensorFlow op determinism) and exact resume. A run is
three steps, composed by :func:`run_training` (and :func:`train_model`, which plans the run
first):

1. :func:`prepare`: the stories with vectors, the validation split, the vocabulary, GloVe and
   the data pipelines (:mod:`imgstory.model.pipeline`), from any
   :class:`~imgstory.model.sources.FeatureSource`;
2. :func:`fit`: the model built and trained, with the callbacks of :mod:`imgstory.model.callbacks`
   in the one order :func:`fit_callbacks` declares;
3. :func:`save`: the report, the model card and the model directory.

The run's model directory and work dir are checked once, by
:func:`imgstory.model.rundir.plan_run`: ``imgstory train`` plans before TensorFlow loads and
hands the plan to :func:`run_training`; :func:`train_model` plans and runs in one call.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from imgstory.data.sis import Story
from imgstory.distribute import distribution_strategy
from imgstory.errors import UserInputError
from imgstory.model import rundir
from imgstory.model.architecture import build_model
from imgstory.model.callbacks import (
    BestCheckpoint,
    EpochClock,
    EpochProgress,
    ResumableEarlyStopping,
    RunBackup,
    Throughput,
    WeightAverage,
)
from imgstory.model.card import TrainingReport, model_card
from imgstory.model.config import ModelConfig, TrainingConfig
from imgstory.model.directory import save_model_directory
from imgstory.model.pipeline import StoryBatches, split_by_album
from imgstory.model.rundir import RunPlan
from imgstory.model.sources import FeatureSource, feature_source
from imgstory.text.glove import embedding_matrix, load_glove
from imgstory.text.vocabulary import PAD_ID, Vocabulary


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


# ------------------------------------------------------------------------------------ prepare
@dataclass(frozen=True)
class TrainingData:
    """What :func:`prepare` makes of a run's inputs.

    Attributes:
        train, validation: the stories trained on and validated on (all with vectors).
        skipped: stories left out for want of vectors (training and validation).
        vocabulary: built from the training sentences (and the source's kept words).
        model_config: the given config with ``feature_dim`` and ``vocab_size`` filled in.
        embeddings: the initial word vectors (GloVe), or None to learn them from scratch.
        glove: GloVe's coverage for the report, or None.
        encoder: the model card's ``encoder`` entry.
        train_batches, val_batches: the pipelines (``val_batches`` None without validation).
        train_data, val_data: their ``tf.data`` datasets.
    """

    train: list[Story]
    validation: list[Story]
    skipped: int
    vocabulary: Vocabulary
    model_config: ModelConfig
    embeddings: np.ndarray | None
    glove: dict[str, Any] | None
    encoder: dict[str, Any]
    train_batches: StoryBatches
    val_batches: StoryBatches | None
    train_data: tf.data.Dataset
    val_data: tf.data.Dataset | None


def prepare(
    source: FeatureSource,
    stories: Sequence[Story],
    model_config: ModelConfig,
    training_config: TrainingConfig,
    *,
    val_stories: Sequence[Story] | None = None,
    glove_path: str | Path | None = None,
) -> TrainingData:
    """The data of a run: stories with vectors, validation split, vocabulary, GloVe, pipelines.

    Without ``val_stories`` a fraction of the albums is held out (``training_config``).

    Raises:
        UserInputError: no story has vectors for its 5 photos, or a bad GloVe file.
    """
    usable = source.with_vectors(stories)
    if not usable:
        where = source.path or f"the {source.encoder} vectors"
        raise UserInputError(
            f"none of the {len(stories)} stories has features for all 5 photos in {where}: "
            "extract features for their photos first (`imgstory features extract`)"
        )
    skipped = len(stories) - len(usable)
    if val_stories is None:
        fraction, seed = training_config.validation_fraction, training_config.seed
        train, validation = split_by_album(usable, fraction, seed)
    else:
        train, validation = usable, source.with_vectors(val_stories)
        skipped += len(val_stories) - len(validation)
    vocabulary = Vocabulary.build(
        (text for story in train for text in story.texts),
        model_config.vocab_min_count,
        model_config.vocab_max_size,
        keep=source.words,
    )
    model_config = replace(model_config, feature_dim=source.dimension, vocab_size=len(vocabulary))
    embeddings, glove = initial_embeddings(glove_path, vocabulary, model_config, training_config)
    batch_size = training_config.batch_size
    train_batches = StoryBatches(source.story_vectors(train), train, vocabulary, model_config)
    train_data = train_batches.dataset(batch_size, shuffle=True, seed=training_config.seed)
    val_batches = val_data = None
    if validation:
        vectors = source.story_vectors(validation)
        val_batches = StoryBatches(vectors, validation, vocabulary, model_config)
        val_data = val_batches.dataset(batch_size, shuffle=False, seed=0)
    return TrainingData(
        train=train,
        validation=validation,
        skipped=skipped,
        vocabulary=vocabulary,
        model_config=model_config,
        embeddings=embeddings,
        glove=glove,
        encoder=source.encoder_card(),
        train_batches=train_batches,
        val_batches=val_batches,
        train_data=train_data,
        val_data=val_data,
    )


def initial_embeddings(
    glove_path: str | Path | None,
    vocabulary: Vocabulary,
    model_config: ModelConfig,
    training_config: TrainingConfig,
) -> tuple[np.ndarray | None, dict[str, Any] | None]:
    """GloVe's ``(vocab, embedding_dim)`` initial word vectors and coverage; (None, None) without.

    Raises:
        UserInputError: a missing or malformed GloVe file, or one of another dimension.
    """
    if not glove_path:
        return None, None
    dimension = model_config.embedding_dim
    vectors, coverage = load_glove(glove_path, vocabulary, dimension)
    matrix = embedding_matrix(vocabulary, vectors, dimension, training_config.seed)
    return matrix, coverage.to_json()


# ---------------------------------------------------------------------------------------- fit
def build_for_training(data: TrainingData, training_config: TrainingConfig) -> keras.Model:
    """The compiled model, in the run's distribution strategy: GloVe embeddings, the photo
    normalisation's statistics from the training vectors, the unigram output bias if asked."""
    with distribution_strategy(training_config.strategy).scope():
        model = build_model(data.model_config, data.embeddings)
        model.get_layer("photo_normalization").set_statistics(data.train_batches.features)
        if training_config.unigram_bias:
            model.get_layer("vocab_logits").bias.assign(
                unigram_log_frequencies(data.train_batches.sentences, len(data.vocabulary))
            )
        compile_for_training(model, training_config)
    return model


@dataclass(frozen=True)
class FitResult:
    """What :func:`fit` leaves: the history, the best epoch, the epochs' times and the backup.

    Attributes:
        history: every epoch's logs, those before a resume included.
        best_epoch: the best epoch by the monitored loss (0-based, absolute; -1 if none).
        epoch_seconds: training seconds of each epoch of this process (validation excluded).
        backup: the run's backup (removed once the model is saved).
    """

    history: dict[str, list[float]]
    best_epoch: int
    epoch_seconds: list[float]
    backup: RunBackup


def fit(
    model: keras.Model,
    data: TrainingData,
    plan: RunPlan,
    training_config: TrainingConfig,
    *,
    progress: bool = True,
    callbacks: Sequence[keras.callbacks.Callback] = (),
) -> FitResult:
    """Train ``model`` on ``data``: from the plan's backup when it resumes, else from epoch 0
    (a backup there, which ``--restart`` discards, is removed). The best weights are in the
    model when it returns.

    Raises:
        UserInputError: the backup to resume does not fit this run.
    """
    monitor = "val_loss" if data.val_data is not None else "loss"
    plan.best_weights.parent.mkdir(parents=True, exist_ok=True)
    best = BestCheckpoint(plan.best_weights, monitor)
    stopping = ResumableEarlyStopping(monitor, training_config.patience)
    average = (
        WeightAverage(training_config.weight_average) if training_config.weight_average else None
    )
    backup = RunBackup(
        plan.backup_dir, training_config.backup_every_epochs, best, stopping, average
    )
    backup.set_model(model)
    initial_epoch = 0
    if plan.resume:
        initial_epoch = rundir.restore_backup(backup, plan.work_dir)
    else:
        backup.remove()  # none there, or --restart asked to discard it
    throughput = Throughput()
    progress_bar = None
    if progress:
        steps = data.train_batches.steps(training_config.batch_size)
        progress_bar = EpochProgress(steps, len(data.train_batches), training_config.epochs)
    model.fit(
        data.train_data,
        validation_data=data.val_data,
        epochs=training_config.epochs,
        initial_epoch=initial_epoch,
        callbacks=fit_callbacks(
            EpochClock(data.train_batches),
            best,
            stopping,
            backup,
            keras.callbacks.CSVLogger(str(plan.training_log), append=initial_epoch > 0),
            throughput,
            callbacks,
            average=average,
            tensorboard=(
                keras.callbacks.TensorBoard(str(plan.tensorboard_dir), profile_batch=0)
                if tensorboard_available()
                else None
            ),
            progress=progress_bar,
        ),
        shuffle=False,  # the pipeline shuffles, keyed by epoch
        verbose=0,
    )
    return FitResult(backup.history, best.best_epoch, throughput.seconds, backup)


def fit_callbacks(
    clock: EpochClock,
    best: BestCheckpoint,
    stopping: ResumableEarlyStopping,
    backup: RunBackup,
    log: keras.callbacks.CSVLogger,
    throughput: Throughput,
    extra: Sequence[keras.callbacks.Callback] = (),
    *,
    average: WeightAverage | None = None,
    tensorboard: keras.callbacks.TensorBoard | None = None,
    progress: EpochProgress | None = None,
) -> list[keras.callbacks.Callback]:
    """The trainer's callbacks in the one order Keras calls them in (at each event, in order):

    1. ``clock``: the pipeline's epoch, set before the epoch's first batch is drawn;
    2. ``average``, when given: puts the weight average in the model at the epoch's end, so
       the callbacks after it judge, keep and back up the average;
    3. ``best`` and 4. ``stopping``: judge the epoch that just ended;
    5. ``backup``: after 3 and 4, so it records their state of that epoch;
    6. ``log`` (CSV) and 7. ``throughput``;
    8. ``extra``, the caller's: after the backup, so one that stops (or interrupts) the run
       finds the epoch saved;
    9. ``tensorboard`` and 10. ``progress``, when given.
    """
    averaged = [average] if average is not None else []
    ordered = [clock, *averaged, best, stopping, backup, log, throughput, *extra]
    return ordered + [callback for callback in (tensorboard, progress) if callback is not None]


# --------------------------------------------------------------------------------------- save
def save(
    model: keras.Model,
    data: TrainingData,
    fitted: FitResult,
    plan: RunPlan,
    training_config: TrainingConfig,
    *,
    seconds: float,
    stories_source: str | None = None,
) -> TrainingReport:
    """Write the model directory (with its card) and the work dir's report; return the report.

    ``seconds``: the run's duration so far (the report's ``seconds``).
    """
    history = fitted.history
    timed = fitted.epoch_seconds[1:] or fitted.epoch_seconds  # the first includes tracing
    best_epoch = max(fitted.best_epoch, 0)
    report = TrainingReport(
        model_dir=str(plan.out_dir),
        work_dir=str(plan.work_dir),
        train_stories=len(data.train),
        val_stories=len(data.validation),
        skipped_without_features=data.skipped,
        vocabulary_size=len(data.vocabulary),
        epochs_run=len(history.get("loss", [])),
        best_epoch=best_epoch + 1,
        best_val_loss=history["val_loss"][best_epoch] if "val_loss" in history else None,
        final_train_loss=history["loss"][-1] if history.get("loss") else float("nan"),
        seconds=round(seconds, 2),
        stories_per_second=round(len(data.train) * len(timed) / (sum(timed) or 1e-9), 2),
        history=history,
        glove=data.glove,
    )
    card = model_card(
        report,
        data.model_config,
        training_config,
        data.encoder,
        data.vocabulary,
        data.train,
        stories_source,
    )
    card["parameters"] = int(model.count_params())
    config = data.model_config
    save_model_directory(plan.out_dir, model, config, training_config, data.vocabulary, card)
    plan.report_file.write_text(json.dumps(report.to_json(), indent=2) + "\n")
    return report


# ---------------------------------------------------------------------------------- the run
def run_training(
    plan: RunPlan,
    source: FeatureSource,
    stories: Sequence[Story],
    model_config: ModelConfig | None = None,
    training_config: TrainingConfig | None = None,
    *,
    val_stories: Sequence[Story] | None = None,
    glove_path: str | Path | None = None,
    progress: bool = True,
    stories_source: str | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
) -> TrainingReport:
    """Train a storyteller as ``plan`` (:func:`~imgstory.model.rundir.plan_run`) says:
    :func:`prepare`, :func:`fit`, :func:`save`, then remove the backup.

    ``model_config`` and ``training_config`` must be the configs the plan checked; the other
    arguments are :func:`train_model`'s.

    Raises:
        UserInputError: as :func:`train_model`, but for the checks of the plan.
    """
    model_config = model_config or ModelConfig()
    training_config = training_config or TrainingConfig()
    started = time.perf_counter()
    keras.utils.set_random_seed(training_config.seed)
    tf.config.experimental.enable_op_determinism()
    data = prepare(
        source,
        stories,
        model_config,
        training_config,
        val_stories=val_stories,
        glove_path=glove_path,
    )
    rundir.claim_work_dir(plan, model_config, training_config)  # the configs as given
    model = build_for_training(data, training_config)
    fitted = fit(model, data, plan, training_config, progress=progress, callbacks=callbacks)
    seconds = time.perf_counter() - started
    report = save(
        model, data, fitted, plan, training_config, seconds=seconds, stories_source=stories_source
    )
    fitted.backup.remove()  # the model is saved: nothing left to resume
    return report


def train_model(
    features: str | Path | FeatureSource,
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
    """Train a storyteller and write its model directory (:func:`plan_run
    <imgstory.model.rundir.plan_run>`, then :func:`run_training`).

    The run is deterministic: the same seed, data and configs give the same weights whatever the
    machine's load (seeded Keras, TensorFlow op determinism, shuffles keyed by epoch), and a
    resumed run ends exactly where an uninterrupted one does.

    Args:
        features: a feature store's folder holding the stories' photos, or any
            :class:`~imgstory.model.sources.FeatureSource` (per-sentence vectors for text-only
            training: :class:`~imgstory.model.sources.SentenceFeatures`).
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
    given = features if isinstance(features, (str, Path)) else features.path
    plan = rundir.plan_run(
        out_dir,
        work_dir,
        model_config,
        training_config,
        resume=resume,
        restart=restart,
        overwrite=overwrite,
        inputs=(given, glove_path),
    )
    return run_training(
        plan,
        feature_source(features),
        stories,
        model_config,
        training_config,
        val_stories=val_stories,
        glove_path=glove_path,
        progress=progress,
        stories_source=stories_source,
        callbacks=callbacks,
    )
