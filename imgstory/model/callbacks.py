"""Keras callbacks of the trainer: epoch-keyed shuffling, best weights, exact resume, progress.

:class:`RunBackup` makes a resumed run continue as if it had never stopped: it restores the
weights, optimizer and dropout-seed state, and the state of the best-weights and early-stopping
callbacks, at the absolute epoch where the backup was written.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import keras
import numpy as np

from imgstory.errors import UserInputError
from imgstory.progress import ProgressBar

BACKUP_WEIGHTS = "model.weights.h5"  # weights and optimizer state
BACKUP_STATE = "state.json"
BACKUP_SEEDS = "seeds.npz"
BACKUP_BEST = "best.weights.h5"


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
            self.model.load_weights(str(weights_file))
            self.best_weights = self.model.get_weights()
            self.model.set_weights(current)


def _seed_states(model: keras.Model) -> list[Any]:
    """The state variables of the model's random-seed generators (dropout masks come from them).

    Keras saves them with neither ``save_weights`` nor ``get_weights``; an exact resume needs them.
    """
    return [
        generator.state
        for layer in model._flatten_layers()
        for generator in getattr(layer, "_seed_generators", [])
    ]


class RunBackup(keras.callbacks.Callback):
    """Every ``every`` epochs, back up everything a resume needs; restore it on ``resume``.

    Put it after :class:`BestCheckpoint` and ``EarlyStopping`` in the callback list, so that it
    records their state of the epoch that just ended. The backup is written to a temporary folder
    and renamed into place, so a kill mid-write leaves the previous backup intact.
    """

    def __init__(
        self,
        folder: Path,
        every: int,
        best: BestCheckpoint,
        early_stopping: keras.callbacks.EarlyStopping,
    ):
        super().__init__()
        self.folder, self.every = folder, every
        self.best, self.early_stopping = best, early_stopping
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
        model.load_weights(str(self.folder / BACKUP_WEIGHTS))
        with np.load(self.folder / BACKUP_SEEDS) as seeds:
            for index, variable in enumerate(_seed_states(model)):
                variable.assign(seeds[f"seed_{index}"])
        best_file = self.folder / BACKUP_BEST
        self.best.set_model(model)
        self.best.restore(
            state["best"], state["best_epoch"], best_file if best_file.is_file() else None
        )
        self.history = {key: list(values) for key, values in state["history"].items()}
        self.initial_epoch = int(state["epoch"])
        self._pending_early_stopping = state["early_stopping"]
        return self.initial_epoch

    def on_train_begin(self, logs=None):
        # EarlyStopping resets itself in its own on_train_begin, which runs before this one.
        pending = getattr(self, "_pending_early_stopping", None)
        if pending is not None:
            self.early_stopping.wait = pending["wait"]
            self.early_stopping.best = pending["best"]
            self.early_stopping.best_epoch = pending["best_epoch"]
            self._pending_early_stopping = None

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        if self.every and (epoch + 1) % self.every == 0 and not self.model.stop_training:
            self.write(epoch + 1)

    def write(self, next_epoch: int) -> None:
        """Write the backup of a run whose next epoch is ``next_epoch`` (atomically)."""
        partial = self.folder.with_name(self.folder.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        self.model.save_weights(str(partial / BACKUP_WEIGHTS))
        seeds = {f"seed_{i}": np.asarray(v.numpy()) for i, v in enumerate(_seed_states(self.model))}
        np.savez(partial / BACKUP_SEEDS, **seeds)
        self.best.write(partial / BACKUP_BEST)
        stopping = self.early_stopping
        state = {
            "epoch": next_epoch,
            "best": self.best.best,
            "best_epoch": self.best.best_epoch,
            "early_stopping": {
                "wait": stopping.wait,
                "best": None if stopping.best is None else float(stopping.best),
                "best_epoch": stopping.best_epoch,
            },
            "history": self.history,
        }
        (partial / BACKUP_STATE).write_text(json.dumps(state))
        previous = self.folder.with_name(self.folder.name + ".previous")
        shutil.rmtree(previous, ignore_errors=True)
        if self.folder.exists():
            os.replace(self.folder, previous)
        os.replace(partial, self.folder)
        shutil.rmtree(previous, ignore_errors=True)

    def remove(self) -> None:
        """Delete the backup (once the run has finished and its model is saved)."""
        for suffix in ("", ".partial", ".previous"):
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
