"""Typed configs of the storyteller and of its training, saved as JSON beside the weights.

Option help text lives here once; the CLI (``--help``) and the app (``help=``) reuse it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imgstory.configs import Bounds, FieldError, check_fields, config_from_json
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
    "term_slots": (
        "photo features are term features with this many slots (the 'terms' encoder: each a "
        "word vector and a weight); 0 = a plain photo vector"
    ),
    "tied_output": (
        "score output words by their (frozen) input word vectors, so a word the stories never "
        "used, such as a class name, can still be written"
    ),
    "copy_terms": (
        "our extension (needs term_slots): the decoder attends to the photo's terms and may copy "
        "one as the next word (a pointer-generator, See et al. 2017)"
    ),
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
    "weight_average": (
        "momentum of an exponential moving average of the weights, updated every step; the "
        "average is what is validated, kept as the best and saved (0 = off; 0.995 typical)"
    ),
}


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
    "term_slots": Bounds(0, 64, high_included=True),
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
    "weight_average": Bounds(0.0, 1.0),
}


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
    term_slots: int = 0
    tied_output: bool = False
    copy_terms: bool = False
    feature_dim: int = 0
    vocab_size: int = 0

    def __post_init__(self) -> None:
        check_fields(self, MODEL_LIMITS)
        if (self.copy_terms or self.tied_output) and not self.term_slots:
            raise UserInputError("copy_terms and tied_output need term_slots (term features)")
        if self.term_slots and self.feature_dim and self.feature_dim % self.term_slots:
            raise UserInputError(
                f"feature_dim {self.feature_dim} is not {self.term_slots} term slots"
            )

    @property
    def term_dim(self) -> int:
        """Length of one term's word vector (term features: ``slots * (term_dim + 1)``)."""
        return self.feature_dim // self.term_slots - 1 if self.term_slots else 0

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
        return config_from_json(cls, document, source)


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
    weight_average: float = 0.0

    def __post_init__(self) -> None:
        check_fields(self, TRAINING_LIMITS)
        if self.weight_average and self.strategy != "default":
            raise FieldError("weight_average", "0 with a strategy other than 'default'",
                             self.weight_average)  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        """Plain dict (JSON-ready)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, document: dict[str, Any], source: str = "training config") -> TrainingConfig:
        """Rebuild from :meth:`to_json`'s dict."""
        return config_from_json(cls, document, source)


def load_config_file(path: str | Path) -> tuple[ModelConfig, TrainingConfig]:
    """Read ``{"model": {...}, "training": {...}}`` (either part may be absent) from JSON."""
    path = Path(path)
    document = read_json(path, 'an imgstory config file: {"model": {...}, "training": {...}}')
    if not isinstance(document, dict) or not set(document) <= {"model", "training"}:
        raise UserInputError(f"{path}: expected an object with 'model' and/or 'training' keys")
    model = ModelConfig.from_json(document.get("model", {}), f"{path} 'model'")
    training = TrainingConfig.from_json(document.get("training", {}), f"{path} 'training'")
    return model, training
