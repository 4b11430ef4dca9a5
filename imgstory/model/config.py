"""Typed configs of the storyteller and of its training, saved as JSON beside the weights.

Option help text lives here once; the CLI (``--help``) and the app (``help=``) reuse it.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imgstory.distribute import STRATEGIES
from imgstory.errors import UserInputError
from imgstory.jsonfile import read_json
from imgstory.text.vocabulary import SPECIAL_TOKENS

CELLS = ("lstm", "gru")

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
    "unigram_bias": (
        "start the output layer's bias at the training words' log-frequencies, so the first "
        "epochs learn from the photos instead of relearning which words are common"
    ),
    "strategy": "'mirrored' trains on all local GPUs/CPUs with tf.distribute (TF_CONFIG: workers)",
}


@dataclass(frozen=True)
class Bounds:
    """The range a number field may take: from ``low`` (excluded when ``above``) to ``high``."""

    low: float
    high: float = math.inf
    above: bool = False
    high_included: bool = False

    def holds(self, value: float) -> bool:
        """Whether ``value`` is in the range."""
        over_low = value > self.low if self.above else value >= self.low
        under_high = value <= self.high if self.high_included else value < self.high
        return over_low and under_high

    def __str__(self) -> str:
        if self.high == math.inf:
            return f"{'more than' if self.above else 'at least'} {self.low}"
        return f"in [{self.low}, {self.high}{']' if self.high_included else ')'}"


#: Ranges and choices of the fields; every field's type comes from its annotation.
MODEL_LIMITS: dict[str, Bounds | tuple[str, ...]] = {
    "cell": CELLS,
    "hidden_size": Bounds(1),
    "photo_layers": Bounds(1),
    "decoder_layers": Bounds(1),
    "embedding_dim": Bounds(1),
    "dropout": Bounds(0.0, 1.0),
    "max_sentence_length": Bounds(2),
    "vocab_min_count": Bounds(1),
    "vocab_max_size": Bounds(len(SPECIAL_TOKENS) + 1),
    "feature_noise": Bounds(0.0, 10.0, high_included=True),
    "feature_dim": Bounds(0),
    "vocab_size": Bounds(0),
}
TRAINING_LIMITS: dict[str, Bounds | tuple[str, ...]] = {
    "epochs": Bounds(1),
    "batch_size": Bounds(1),
    "learning_rate": Bounds(0, above=True),
    "clip_norm": Bounds(0, above=True),
    "seed": Bounds(0, 2**32 - 1, high_included=True),
    "validation_fraction": Bounds(0.0, 1.0),
    "patience": Bounds(0),
    "strategy": STRATEGIES,
    "backup_every_epochs": Bounds(0),
}
#: Annotation -> the Python types a value may have, and how a message names them.
_TYPES = {
    "int": ((int,), "a whole number"),
    "float": ((int, float), "a finite number"),
    "bool": ((bool,), "true or false"),
    "str": ((str,), "a text"),
}


def check_fields(config: Any, limits: dict[str, Bounds | tuple[str, ...]]) -> None:
    """Check every field of a config dataclass for its type, then its range, naming the field.

    The type comes from the field's annotation (``int``, ``float``, ``bool`` or ``str``,
    optionally ``| None``), so a field added later is checked too; ``limits`` adds the ranges.

    Raises:
        ValueError: ``"<field> must be <what>, got <value>"`` for the first wrong field.
    """
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        names = [name.strip() for name in str(field.type).split("|")]
        if value is None and "None" in names:
            continue
        kinds = [_TYPES[name] for name in names if name in _TYPES]
        if kinds and not any(_has_type(value, types) for types, _ in kinds):
            wanted = " or ".join(what for _, what in kinds)
            raise ValueError(f"{field.name} must be {wanted}, got {value!r}")
        limit = limits.get(field.name)
        if isinstance(limit, Bounds) and not limit.holds(value):
            raise ValueError(f"{field.name} must be {limit}, got {value!r}")
        if isinstance(limit, tuple) and value not in limit:
            raise ValueError(f"{field.name} must be one of {limit}, got {value!r}")


def _has_type(value: Any, types: tuple[type, ...]) -> bool:
    """``isinstance``, except that a bool is no number and a number must be finite."""
    if isinstance(value, bool):
        return bool in types
    if isinstance(value, float) and not math.isfinite(value):
        return False
    return isinstance(value, types)


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
        check_fields(self, MODEL_LIMITS)

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
    unigram_bias: bool = False

    def __post_init__(self) -> None:
        check_fields(self, TRAINING_LIMITS)

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
