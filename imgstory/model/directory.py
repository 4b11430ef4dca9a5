"""A model directory: ``model.keras``, ``vocab.json``, ``config.json``, ``model_card.json``.

Saving strips the optimizer (a shipping model holds weights only); loading uses Keras safe mode,
never unpickles anything, and refuses a vocabulary or encoder that does not match the model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imgstory.errors import UserInputError
from imgstory.jsonfile import read_json
from imgstory.model.config import ModelConfig, TrainingConfig
from imgstory.text.vocabulary import Vocabulary

MODEL_FILE = "model.keras"
VOCAB_FILE = "vocab.json"
CONFIG_FILE = "config.json"
CARD_FILE = "model_card.json"
DIRECTORY_FORMAT = "imgstory-model/1"


@dataclass
class ModelDirectory:
    """What a model directory holds once loaded (the Keras model is built and weighted)."""

    path: Path
    model: Any  # keras.Model
    model_config: ModelConfig
    training_config: TrainingConfig
    vocabulary: Vocabulary
    card: dict[str, Any]

    @property
    def encoder_name(self) -> str:
        """The photo encoder whose features the model was trained on."""
        return str(self.card.get("encoder", {}).get("name", ""))

    @property
    def encoder_fingerprint(self) -> str:
        """Fingerprint of that encoder's weights."""
        return str(self.card.get("encoder", {}).get("fingerprint", ""))


def save_model_directory(
    directory: str | Path,
    model: Any,
    model_config: ModelConfig,
    training_config: TrainingConfig,
    vocabulary: Vocabulary,
    card: dict[str, Any],
) -> Path:
    """Write the four files; the Keras model is re-built without optimizer state before saving."""
    from imgstory.model.architecture import build_model

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    clean = build_model(model_config)  # uncompiled twin: weights only, no optimizer variables
    clean.set_weights(model.get_weights())
    clean.save(directory / MODEL_FILE)
    vocabulary.save(directory / VOCAB_FILE)
    config = {
        "format": DIRECTORY_FORMAT,
        "model": model_config.to_json(),
        "training": training_config.to_json(),
        "vocab_fingerprint": vocabulary.fingerprint,
        "encoder": card.get("encoder", {}),
    }
    _write_json(directory / CONFIG_FILE, config)
    _write_json(directory / CARD_FILE, {**card, "vocab_fingerprint": vocabulary.fingerprint})
    return directory


def read_model_files(directory: str | Path) -> tuple[dict, dict, Vocabulary]:
    """``config.json``, ``model_card.json`` and the vocabulary, checked against each other.

    Raises:
        UserInputError: a missing or broken file, or a vocabulary other than the model's.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise UserInputError(f"model directory not found: {directory}")
    for name in (MODEL_FILE, VOCAB_FILE, CONFIG_FILE):
        if not (directory / name).is_file():
            raise UserInputError(
                f"{directory} is not a model directory: {name} is missing "
                "(train one with `imgstory train`)"
            )
    config = _read_json(directory / CONFIG_FILE)
    if config.get("format") != DIRECTORY_FORMAT:
        raise UserInputError(f"{directory / CONFIG_FILE}: not an IMG_Story model config")
    card = _read_json(directory / CARD_FILE) if (directory / CARD_FILE).is_file() else {}
    vocabulary = Vocabulary.load(directory / VOCAB_FILE)
    expected = config.get("vocab_fingerprint")
    if vocabulary.fingerprint != expected:
        raise UserInputError(
            f"{directory / VOCAB_FILE} is not the vocabulary this model was trained with "
            f"(fingerprint {vocabulary.fingerprint}, model expects {expected}): put back the "
            "vocab.json saved with the model"
        )
    size = config.get("model", {}).get("vocab_size")
    if size != len(vocabulary):
        raise UserInputError(
            f"{directory}: the model has {size} output words but vocab.json has {len(vocabulary)}"
        )
    return config, card, vocabulary


def load_model_directory(directory: str | Path) -> ModelDirectory:
    """Load and check a model directory (Keras safe mode, no compile, no pickle)."""
    import keras

    import imgstory.model.architecture  # noqa: F401  (registers the custom layers for loading)

    directory = Path(directory)
    config, card, vocabulary = read_model_files(directory)
    source = str(directory / CONFIG_FILE)
    model_config = ModelConfig.from_json(config.get("model", {}), source)
    training_config = TrainingConfig.from_json(config.get("training", {}), source)
    try:
        model = keras.models.load_model(directory / MODEL_FILE, safe_mode=True, compile=False)
    except (ValueError, OSError, TypeError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise UserInputError(
            f"{directory / MODEL_FILE}: cannot load the model ({reason})"
        ) from None
    outputs = model.output_shape[-1]
    if outputs != len(vocabulary):
        raise UserInputError(
            f"{directory}: model.keras predicts {outputs} words but vocab.json has "
            f"{len(vocabulary)}: the files come from different models"
        )
    return ModelDirectory(directory, model, model_config, training_config, vocabulary, card)


def check_encoder(directory: ModelDirectory, encoder: str, fingerprint: str, source: str) -> None:
    """Refuse features made by another encoder (or other weights) than the model's.

    Raises:
        UserInputError: names both encoders and what to do.
    """
    expected = (directory.encoder_name, directory.encoder_fingerprint)
    if (encoder, fingerprint) != expected:
        raise UserInputError(
            f"{source} holds {encoder!r} features (weights {fingerprint}) but model "
            f"{directory.path} was trained on {expected[0]!r} features (weights {expected[1]}): "
            f"extract features with the {expected[0]!r} encoder and the model's weights"
        )


def _write_json(path: Path, document: dict) -> None:
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _read_json(path: Path) -> dict:
    document = read_json(path, "a JSON file of an imgstory model directory")
    if not isinstance(document, dict):
        raise UserInputError(f"{path}: expected a JSON object")
    return document
