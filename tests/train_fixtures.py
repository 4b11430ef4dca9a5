"""What the training tests share: a tiny model config and reading a model's weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: A model small enough to learn 4 toy stories by heart in seconds.
TINY = {
    "hidden_size": 64,
    "embedding_dim": 16,
    "decoder_layers": 1,
    "dropout": 0.0,
    "max_sentence_length": 10,
    "vocab_min_count": 1,
}


def model_weights(model_dir: Path) -> list[np.ndarray]:
    """Every weight array of a saved model directory, in layer order."""
    from imgstory.generation.storyteller import Storyteller

    return Storyteller.load(model_dir).directory.model.get_weights()
