"""Keras callbacks of the trainer: epoch-keyed shuffling, best weights, exact resume, progress.

:class:`RunBackup` makes a resumed run continue as if it had never stopped: it restores the
weights, optimizer and dropout-seed state, and the state of the best-weights and early-stopping
callbacks, at the absolute epoch where the backup was written. Only public Keras API is used:
the early-stopping state is kept by our own subclass (:class:`ResumableEarlyStopping`), the
seed states are read from ``model.variables`` (:func:`seed_states`). The order the trainer
calls them in is stated once, in :func:`imgstory.model.training.fit_callbacks`.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import warnings
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from imgstory.errors import UserInputError
from imgstory.model.rundir import (
    BACKUP_AVERAGE,
    BACKUP_BEST,
    BACKUP_SEEDS,
    BACKUP_STATE,
    BACKUP_WEIGHTS,
    PARTIAL_SUFFIX,
    PREVIOUS_SUFFIX,
)
from imgstory.progress import ProgressBar

#: The key of seed state ``i`` in the backup's seeds file (in :func:`seed_states`' order).
SEED_KEY = "state_{}"
#: The key of trainable weight ``i``'s other side in the backup's average file.
AVERAGE_KEY = "weight_{}"


def load_all_weights(model: keras.Model, path: Path) -> None:
    """``model.load_weights(path)``, refusing a file that leaves part of the model unloaded.

    Keras only warns when a saved file lacks a nested layer's weights ("Skipping nested
    container ... Affected layers will retain their freshly-initialized weights") and goes on;
    a backup that does not fit would then train on with fresh layers. That warning is raised
    here as a ValueError instead; other warnings pass through.

    Raises:
        ValueError: the file does not hold every layer's weights, or (from Keras) a shape
            differs.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.load_weights(str(path))
    for warning in caught:
        if "Skipping" in str(warning.message):
            raise ValueError(f"{path.name} leaves part of the model unloaded: {warning.message}")
        warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)


class EpochClock(keras.callbacks.Callback):
    """Tells the data pipeline which absolute epoch starts (its shuffle is keyed by it)."""

    def __init__(self, *pipelines: Any):
        super().__init__()
        self.pipelines = pipelines

    def on_epoch_begin(self, epoch, logs=None):
        for pipeline in self.pipelines:
            pipeline.epoch = epoch


class BestCheckpoint(keras.callbacks.Callback):
    """Keep the best weights so far (by ``monitor``) and write them to ``path``.

    The weights are copied in memory every time they improve and written at most once per
    ``interval`` seconds and when training ends, so small models do not spend their time saving.
    ``best_epoch`` is absolute (0-based) and survives a resume (see :class:`RunBackup`).
    """

    def __init__(self, path: Path, monitor: str, interval: float = 60.0):
        super().__init__()
        self.path, self.monitor, self.interval = path, monitor, interval
        self.best = float("inf")
        self.best_epoch = -1
        self.best_weights: list[np.ndarray] | None = None
        self._written = time.perf_counter()
        self._unsaved = False

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is not None and value < self.best:
            self.best, self.best_epoch = float(value), epoch
            self.best_weights, self._unsaved = self.model.get_weights(), True
        if self._unsaved and time.perf_counter() - self._written > self.interval:
            self.write()

    def on_train_end(self, logs=None):
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)
            if self._unsaved:
                self.write()

    def write(self, path: Path | None = None) -> None:
        """Write the best weights to ``path`` (default: the checkpoint path)."""
        if self.best_weights is None:
            return
        current = self.model.get_weights()
        self.model.set_weights(self.best_weights)
        self.model.save_weights(str(path or self.path))
        self.model.set_weights(current)
        if path is None:
            self._written, self._unsaved = time.perf_counter(), False

    def restore(self, best: float, best_epoch: int, weights_file: Path | None) -> None:
        """Take back the state a backup recorded."""
        self.best, self.best_epoch = best, best_epoch
        if weights_file is not None:
            current = self.model.get_weights()
            load_all_weights(self.model, weights_file)
            self.best_weights = self.model.get_weights()
            self.model.set_weights(current)


def seed_states(model: keras.Model) -> list[keras.Variable]:
    """The states of the model's random-seed generators (dropout masks and feature noise come
    from them), in a fixed order.

    Keras' ``model.variables`` is documented as all layer state, random seeds included; the
    weights (``model.weights``) are the rest of it. ``save_weights`` and ``get_weights`` hold
    the weights only, and an exact resume needs the seeds too.
    """
    weights = {id(variable) for variable in model.weights}
    return [variable for variable in model.variables if id(variable) not in weights]


class WeightAverage(keras.callbacks.Callback):
    """An exponential moving average of the trainable weights (Polyak averaging): the average is
    what is validated, kept as the best weights and saved; training goes on from the raw ones.

    After every training step the average becomes ``momentum * average + (1 - momentum) *
    weights`` (it starts as the weights the run starts from). The model holds its raw weights
    while an epoch trains and the average from validation until the next epoch begins, so
    validation, :class:`BestCheckpoint` and :class:`RunBackup` (after this callback at an
    epoch's end) see the average. A backup records which side is in the model
    (:meth:`write`, :meth:`restore`), so a resumed run trains on from the raw weights with the
    average it had. Keras' own ``use_ema`` keeps the average in the optimizer, where a backup
    written after its swap would put the average back as the weights to train on.
    """

    def __init__(self, momentum: float):
        super().__init__()
        if not 0.0 < momentum < 1.0:
            raise ValueError(f"the momentum must be in (0, 1), got {momentum}")
        self.momentum = momentum
        self.other: list[keras.Variable] | None = None  # the side not in the model
        self.average_in_model = False
        self._update: Any = None  # the traced step update, made with ``other``

    def _ensure(self) -> None:
        if self.other is None:
            self.other = [
                keras.Variable(variable.numpy(), trainable=False, name="weight_average")
                for variable in self.model.trainable_variables
            ]
            pairs = list(zip(self.model.trainable_variables, self.other, strict=True))
            rate = 1.0 - self.momentum

            @tf.function
            def update() -> None:
                # One traced call per step: 2.4 ms for the VIST LSTM's 4.75 M weights on one
                # thread, 4.1x faster than the same ops run eagerly (a step takes ~500 ms;
                # benchmarks/bench_weight_average.py).
                for variable, average in pairs:
                    average.assign_add(rate * (variable.value - average.value))

            self._update = update

    def _swap(self) -> None:
        for variable, other in zip(self.model.trainable_variables, self.other, strict=True):
            value = variable.numpy()
            variable.assign(other)
            other.assign(value)
        self.average_in_model = not self.average_in_model

    def on_train_begin(self, logs=None):
        self._ensure()

    def on_epoch_begin(self, epoch, logs=None):
        if self.average_in_model:
            self._swap()

    def on_train_batch_end(self, batch, logs=None):
        self._update()  # the model holds the raw weights while an epoch trains

    def on_test_begin(self, logs=None):
        if not self.average_in_model:
            self._swap()

    def on_epoch_end(self, epoch, logs=None):
        if not self.average_in_model:  # a run without validation
            self._swap()

    def write(self, path: Path) -> None:
        """Save the side not in the model and which side the model holds."""
        self._ensure()
        others = {AVERAGE_KEY.format(i): v.numpy() for i, v in enumerate(self.other)}
        np.savez(path, average_in_model=self.average_in_model, **others)

    def restore(self, path: Path) -> None:
        """Take back what :meth:`write` saved (the model's own weights already loaded)."""
        self._ensure()
        with np.load(path) as saved:
            for index, variable in enumerate(self.other):
                variable.assign(saved[AVERAGE_KEY.format(index)])
            self.average_in_model = bool(saved["average_in_model"])


class ResumableEarlyStopping(keras.callbacks.EarlyStopping):
    """Keras' early stopping, whose state a backup records and a resume puts back.

    :meth:`resume_from` hands it the recorded state; it takes it in its own ``on_train_begin``,
    after Keras' reset, so it does not matter where the backup callback comes in the list.
    """

    def __init__(self, monitor: str, patience: int):
        super().__init__(monitor=monitor, patience=patience)
        self._recorded: dict[str, Any] | None = None

    def state(self) -> dict[str, Any]:
        """The state a resume needs: epochs without improvement, best value and its epoch."""
        return {
            "wait": self.wait,
            "best": None if self.best is None else float(self.best),
            "best_epoch": self.best_epoch,
        }

    def resume_from(self, state: dict[str, Any]) -> None:
        """Continue from ``state`` (:meth:`state` of the interrupted run) when training begins."""
        self._recorded = state

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        if self._recorded is not None:
            recorded, self._recorded = self._recorded, None
            self.wait, self.best = recorded["wait"], recorded["best"]
            self.best_epoch = recorded["best_epoch"]


class RunBackup(keras.callbacks.Callback):
    """Every ``every`` epochs, back up everything a resume needs; restore it on ``resume``.

    It must come after ``best`` and ``early_stopping`` in the callback list, so that it records
    their state of the epoch that just ended. The backup is written to a temporary folder and
    renamed into place, so a kill mid-write leaves the previous backup intact.
    """

    def __init__(
        self,
        folder: Path,
        every: int,
        best: BestCheckpoint,
        early_stopping: ResumableEarlyStopping,
        average: WeightAverage | None = None,
    ):
        super().__init__()
        self.folder, self.every = folder, every
        self.best, self.early_stopping, self.average = best, early_stopping, average
        self.history: dict[str, list[float]] = {}
        self.initial_epoch = 0

    @property
    def exists(self) -> bool:
        """Whether a complete backup is there."""
        return (self.folder / BACKUP_STATE).is_file()

    def read_state(self) -> dict[str, Any]:
        """The backup's state document (epoch to resume at, callbacks' state, history)."""
        try:
            return json.loads((self.folder / BACKUP_STATE).read_text())
        except (OSError, ValueError) as error:
            raise UserInputError(
                f"{self.folder / BACKUP_STATE}: unreadable training backup ({error}); "
                "train again without --resume to start over"
            ) from None

    def restore(self) -> int:
        """Load the backup into the model and callbacks; returns the epoch to start at."""
        state = self.read_state()
        model = self.model
        if not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        load_all_weights(model, self.folder / BACKUP_WEIGHTS)
        with np.load(self.folder / BACKUP_SEEDS) as seeds:
            if "seed_0" in seeds.files:  # written before seed_states (another order)
                raise UserInputError(
                    f"the backup in {self.folder} was written by an earlier imgstory, whose "
                    "random-seed states this one cannot place: pass --restart to start over"
                )
            for index, variable in enumerate(seed_states(model)):
                variable.assign(seeds[SEED_KEY.format(index)])
        best_file = self.folder / BACKUP_BEST
        if self.average is not None:
            if not (self.folder / BACKUP_AVERAGE).is_file():
                raise UserInputError(
                    f"the backup in {self.folder} holds no weight average, which this run "
                    "keeps (training.weight_average): pass --restart to start over"
                )
            self.average.set_model(model)
            self.average.restore(self.folder / BACKUP_AVERAGE)
        self.best.set_model(model)
        self.best.restore(
            state["best"], state["best_epoch"], best_file if best_file.is_file() else None
        )
        self.history = {key: list(values) for key, values in state["history"].items()}
        self.initial_epoch = int(state["epoch"])
        self.early_stopping.resume_from(state["early_stopping"])
        return self.initial_epoch

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        if self.every and (epoch + 1) % self.every == 0 and not self.model.stop_training:
            self.write(epoch + 1)

    def write(self, next_epoch: int) -> None:
        """Write the backup of a run whose next epoch is ``next_epoch`` (atomically)."""
        partial = self.folder.with_name(self.folder.name + PARTIAL_SUFFIX)
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        self.model.save_weights(str(partial / BACKUP_WEIGHTS))
        states = seed_states(self.model)
        seeds = {SEED_KEY.format(i): np.asarray(v.numpy()) for i, v in enumerate(states)}
        np.savez(partial / BACKUP_SEEDS, **seeds)
        if self.average is not None:
            self.average.write(partial / BACKUP_AVERAGE)
        self.best.write(partial / BACKUP_BEST)
        state = {
            "epoch": next_epoch,
            "best": self.best.best,
            "best_epoch": self.best.best_epoch,
            "early_stopping": self.early_stopping.state(),
            "history": self.history,
        }
        (partial / BACKUP_STATE).write_text(json.dumps(state))
        previous = self.folder.with_name(self.folder.name + PREVIOUS_SUFFIX)
        shutil.rmtree(previous, ignore_errors=True)
        if self.folder.exists():
            os.replace(self.folder, previous)
        os.replace(partial, self.folder)
        shutil.rmtree(previous, ignore_errors=True)

    def remove(self) -> None:
        """Delete the backup (once the run has finished and its model is saved)."""
        for suffix in ("", PARTIAL_SUFFIX, PREVIOUS_SUFFIX):
            shutil.rmtree(self.folder.with_name(self.folder.name + suffix), ignore_errors=True)


class EpochProgress(keras.callbacks.Callback):
    """One progress bar per epoch on stderr: loss, validation loss and stories/s."""

    def __init__(self, steps: int, stories: int, epochs: int):
        super().__init__()
        self.steps, self.stories, self.epochs = steps, stories, epochs
        self._bar: ProgressBar | None = None

    def on_epoch_begin(self, epoch, logs=None):
        self._bar = ProgressBar(self.steps, f"epoch {epoch + 1}/{self.epochs}", unit="batch")
        self._bar.__enter__()
        self._start = time.perf_counter()
        self._seen = 0.0

    def on_train_batch_end(self, batch, logs=None):
        self._seen = min(self.stories, self._seen + self.stories / max(self.steps, 1))
        rate = self._seen / max(time.perf_counter() - self._start, 1e-9)
        self._bar.update()
        self._bar.show(loss=f"{(logs or {}).get('loss', 0):.3f}", stories_s=f"{rate:.1f}")

    def on_epoch_end(self, epoch, logs=None):
        if "val_loss" in (logs or {}):
            self._bar.show(
                loss=f"{logs['loss']:.3f}",
                val_loss=f"{logs['val_loss']:.3f}",
                stories_s=f"{self.stories / (time.perf_counter() - self._start):.1f}",
            )
        self._bar.__exit__(None, None, None)


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
