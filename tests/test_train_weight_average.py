"""Training with a weight average: what is saved is the average of the raw weights."""

from __future__ import annotations

import numpy as np
import pytest
from train_fixtures import TINY

from devtools.toy_data import toy_feature_store, toy_stories
from imgstory.configs import FieldError
from imgstory.model.config import ModelConfig, TrainingConfig

pytest.importorskip("tensorflow")
import keras

from imgstory.model.training import train_model


class RawWeights(keras.callbacks.Callback):
    """Records the trainable weights the run starts from and after every training step."""

    def __init__(self) -> None:
        super().__init__()
        self.steps: list[list[np.ndarray]] = []

    def on_train_begin(self, logs=None):
        self.steps.append([v.numpy().copy() for v in self.model.trainable_variables])

    def on_train_batch_end(self, batch, logs=None):
        self.steps.append([v.numpy().copy() for v in self.model.trainable_variables])


def test_the_saved_model_is_the_moving_average_of_the_raw_weights(tmp_path):
    from imgstory.generation.storyteller import Storyteller

    stories = toy_stories(albums=2, stories_per_album=2)
    store = toy_feature_store(tmp_path / "features", stories)
    momentum = 0.8
    training = TrainingConfig(
        epochs=1, batch_size=2, learning_rate=0.05, validation_fraction=0.0,
        weight_average=momentum, backup_every_epochs=0,
    )  # fmt: skip
    raw = RawWeights()
    train_model(
        store.path, stories, tmp_path / "m", ModelConfig(**TINY), training, progress=False,
        work_dir=tmp_path / "work", callbacks=[raw],
    )  # fmt: skip
    assert len(raw.steps) >= 3  # the start and 2+ steps
    average = [weight.copy() for weight in raw.steps[0]]
    for step in raw.steps[1:]:
        average = [momentum * a + (1 - momentum) * w for a, w in zip(average, step, strict=True)]
    saved = Storyteller.load(tmp_path / "m").directory.model.trainable_variables
    assert len(saved) == len(average)
    for variable, expected in zip(saved, average, strict=True):
        np.testing.assert_allclose(variable.numpy(), expected, rtol=1e-5, atol=1e-6)
    changed = [not np.allclose(e, w) for e, w in zip(average, raw.steps[-1], strict=True)]
    assert sum(changed) >= len(changed) // 2  # the average is not the last raw weights


def test_a_weight_average_needs_the_default_strategy():
    with pytest.raises(FieldError, match="weight_average"):
        TrainingConfig(weight_average=0.99, strategy="mirrored")
    with pytest.raises(FieldError, match="weight_average"):
        TrainingConfig(weight_average=1.0)
