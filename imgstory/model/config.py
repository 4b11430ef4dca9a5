"""Typed configs of the storyteller and of its training, saved as JSON beside the weights.

Option help text lives here once; the CLI (``--help``) and the app (``help=``) reuse it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imgstory.errors import UserInputError
from imgstory.jsonfile import read_json

CELLS = ("lstm", "gru")
STRATEGIES = ("default", "mirrored")

HELP = {
    "cell": "recurrent cell of every layer: 'lstm' (the thesis model) or 'gru' (the GRU baseline)",
    "hidden_size": "units of each recurrent layer: 512 is the thesis size; 256 trains ~3x faster",
    "photo_layers": "recurrent layers over the photo sequence (bidirectional)",
    "decoder_layers": "stacked recurrent layers in the sentence decoder",
    "embedding_dim": "word-vector width: 300 to match GloVe 300-d",
    "dropout": "dropout rate between layers while training (0 disables it)",
    "max_sentence_length": "longest sentence in words; longer training sentences are cut",
    "vocab_min_count": "words seen fewer times in the training stories become <unk>",
    "vocab_max_size": "cap on the vocabulary size (special tokens included); empty = no cap",
    "feature_noise": (
        "std of Gaussian noise added to the standardised photo vectors while training (text-only "
        "training: lets a model trained on sentence vectors read photo vectors; 0 = none)"
    ),
    "train_embeddings": "fine-tune the word vectors (off: GloVe vectors stay frozen)",
    "epochs": "most passes over the training stories (early stopping may end sooner)",
    "batch_size": "stories per training step: 64 fits the thesis model in ~2 GB of memory",
    "learning_rate": "Adam learning rate: 1e-3 works for both cells",
    "seed": "fixes the weights' initialisation, the validation split and the shuffling",
    "validation_fraction": "share of albums held out for validation when no --val-stories given",
    "patience": "stop after this many epochs without a better validation loss",
    "backup_every_epochs": "save a resumable backup every this many epochs (0 = never)",
    "strategy": "'mirrored' trains on all local GPUs/CPUs with tf.distribute (TF_CONFIG: workers)",
}


def _from_json(cls: type, document: dict[str, Any], source: str):
    """Build a config dataclass from a dict, refusing unknown fields with a clear message."""
    if not isinstance(document, dict):
        raise UserInputError(f"{source}: expected a JSON object for {cls.__name__}")
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(document) - known)
    if unknown:
        raise UserInputError(
            f"{source}: unknown {cls.__name__} field(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}"
        )
    try:
        return cls(**document)
    except (TypeError, ValueError) as error:
        raise UserInputError(f"{source}: {error}") from None


@dataclass
class ModelConfig:
    """Sizes of the Seq2Seq storyteller; with the vocabulary it fully rebuilds the model.

    ``feature_dim`` and ``vocab_size`` are filled in by training from the feature store and the
    vocabulary.
    """

    cell: str = "lstm"
    hidden_size: int = 512
    photo_layers: int = 1
    decoder_layers: int = 2
    embedding_dim: int = 300
    dropout: float = 0.2
    max_sentence_length: int = 25
    vocab_min_count: int = 3
    vocab_max_size: int | None = None
    train_embeddings: bool = True
    feature_noise: float = 0.0
    feature_dim: int = 0
    vocab_size: int = 0

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {CELLS}, got {self.cell!r}")
        for name in ("hidden_size", "photo_layers", "decoder_layers", "embedding_dim"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not 0.0 <= self.feature_noise <= 10.0:
            raise ValueError(f"feature_noise must be in [0, 10], got {self.feature_noise}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.max_sentence_length < 2:
            raise ValueError(
                f"max_sentence_length must be at least 2, got {self.max_sentence_length}"
            )

    @property
    def sentence_width(self) -> int:
        """Tokens per encoded sentence: the words plus ``<end>``."""
        return self.max_sentence_length + 1

    def to_json(self) -> dict[str, Any]:
        """Plain dict (JSON-ready)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, document: dict[str, Any], source: str = "model config") -> ModelConfig:
        """Rebuild from :meth:`to_json`'s dict."""
        return _from_json(cls, document, source)


@dataclass
class TrainingConfig:
    """How the storyteller is trained (recorded in the model card)."""

    epochs: int = 20
    batch_size: int = 64
    learning_rate: float = 1e-3
    clip_norm: float = 5.0
    seed: int = 0
    validation_fraction: float = 0.1
    patience: int = 3
    strategy: str = "default"
    backup_every_epochs: int = 1

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch_size must be at least 1")
        if self.learning_rate <= 0:
            raise ValueError(f"learning_rate must be positive, got {self.learning_rate}")
        if not 0.0 <= self.validation_fraction < 1.0:
            raise ValueError(
                f"validation_fraction must be in [0, 1), got {self.validation_fraction}"
            )
        if self.strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {STRATEGIES}, got {self.strategy!r}")

    def to_json(self) -> dict[str, Any]:
        """Plain dict (JSON-ready)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, document: dict[str, Any], source: str = "training config") -> TrainingConfig:
        """Rebuild from :meth:`to_json`'s dict."""
        return _from_json(cls, document, source)


def load_config_file(path: str | Path) -> tuple[ModelConfig, TrainingConfig]:
    """Read ``{"model": {...}, "training": {...}}`` (either part may be absent) from JSON."""
    path = Path(path)
    document = read_json(path, 'an imgstory config file: {"model": {...}, "training": {...}}')
    if not isinstance(document, dict) or not set(document) <= {"model", "training"}:
        raise UserInputError(f"{path}: expected an object with 'model' and/or 'training' keys")
    model = ModelConfig.from_json(document.get("model", {}), f"{path} 'model'")
    training = TrainingConfig.from_json(document.get("training", {}), f"{path} 'training'")
    return model, training
