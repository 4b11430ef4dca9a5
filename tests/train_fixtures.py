"""What the training tests share: a tiny model config, a memorising training config and
reading a model's weights."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from imgstory.model.config import ModelConfig, TrainingConfig

#: A model small enough to learn 4 toy stories by heart in seconds.
TINY = {
    "hidden_size": 64,
    "embedding_dim": 16,
    "decoder_layers": 1,
    "dropout": 0.0,
    "max_sentence_length": 10,
    "vocab_min_count": 1,
}

#: Training that learns a few toy stories by heart: a fast rate, every story trained on (no
#: validation split; the training loss picks the best epoch), no backups.
MEMORISE = {"learning_rate": 1e-2, "validation_fraction": 0.0, "backup_every_epochs": 0}


def tiny_model(**changes: Any) -> ModelConfig:
    """:data:`TINY` as a :class:`ModelConfig`, with the fields a test changes."""
    return ModelConfig(**{**TINY, **changes})


def memorising(epochs: int, batch_size: int, **changes: Any) -> TrainingConfig:
    """:data:`MEMORISE` training for ``epochs`` of ``batch_size`` stories, with ``changes``."""
    return TrainingConfig(epochs=epochs, batch_size=batch_size, **{**MEMORISE, **changes})


def model_weights(model_dir: Path) -> list[np.ndarray]:
    """Every weight array of a saved model directory, in layer order."""
    from imgstory.generation.storyteller import Storyteller

    return Storyteller.load(model_dir).directory.model.get_weights()
