"""A model directory: ``model.keras``, ``vocab.json``, ``config.json``, ``model_card.json``.

Saving strips the optimizer (a shipping model holds weights only) and writes the directory whole
(a temporary folder renamed into place); loading uses Keras safe mode, never unpickles anything,
and refuses a damaged archive, code in the model file (Lambda layers), or a vocabulary or encoder
that does not match the model, each with a message saying which.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imgstory.errors import UserInputError
from imgstory.jsonfile import read_json
from imgstory.model.config import ModelConfig, TrainingConfig
from imgstory.outputs import atomic_dir
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
    """Write the four files; the Keras model is re-built without optimizer state before saving.

    The files are written into a temporary folder that then replaces ``directory`` (an earlier
    model there included: callers check first, see :func:`imgstory.outputs.check_output_dir`).
    """
    from imgstory.model.architecture import build_model

    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    clean = build_model(model_config)  # uncompiled twin: weights only, no optimizer variables
    clean.set_weights(model.get_weights())
    config = {
        "format": DIRECTORY_FORMAT,
        "model": model_config.to_json(),
        "training": training_config.to_json(),
        "vocab_fingerprint": vocabulary.fingerprint,
        "encoder": card.get("encoder", {}),
    }
    with atomic_dir(directory) as staging:
        clean.save(staging / MODEL_FILE)
        vocabulary.save(staging / VOCAB_FILE)
        _write_json(staging / CONFIG_FILE, config)
        _write_json(staging / CARD_FILE, {**card, "vocab_fingerprint": vocabulary.fingerprint})
    return directory


def is_model_directory(folder: Path) -> bool:
    """Whether ``folder`` is a model directory written by :func:`save_model_directory`."""
    try:
        config = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(config, dict) and config.get("format") == DIRECTORY_FORMAT


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
    check_keras_archive(directory / MODEL_FILE)
    try:
        model = keras.models.load_model(directory / MODEL_FILE, safe_mode=True, compile=False)
    except (ValueError, OSError, TypeError) as error:
        text = str(error)
        if "safe_mode" in text or "unsafe" in text.lower():
            raise UserInputError(
                _unsafe_message(
                    directory / MODEL_FILE, "a layer or function Keras safe mode refuses"
                )
            ) from None
        reason = text.splitlines()[0] if text else type(error).__name__
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


#: Layers and objects whose saved form is Python code: Keras safe mode refuses to load them.
UNSAFE_CLASSES = ("Lambda", "__lambda__", "TFOpLambda")


def check_keras_archive(path: Path) -> None:
    """Refuse a damaged ``.keras`` archive, or one holding code, before Keras reads it.

    Raises:
        UserInputError: the archive is truncated or corrupt, lacks its config, or holds a Lambda
            layer (which Keras safe mode, the only mode IMG_Story loads with, refuses).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            broken = archive.testzip()
            names = set(archive.namelist())
            if broken is None and "config.json" in names:
                document = json.loads(archive.read("config.json").decode("utf-8"))
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, RecursionError) as error:
        raise UserInputError(
            f"{path} is damaged: not a complete Keras archive ({error}); it was probably cut "
            "short while copying or saving: copy it again, or train the model again"
        ) from None
    if broken is not None or "config.json" not in names:
        what = f"{broken} is corrupt" if broken is not None else "config.json is missing"
        raise UserInputError(
            f"{path} is damaged: {what} inside the Keras archive; copy it again, or train the "
            "model again"
        )
    unsafe = _unsafe_classes(document)
    if unsafe:
        raise UserInputError(_unsafe_message(path, f"a {unsafe[0]} layer"))


def _unsafe_classes(node: Any) -> list[str]:
    """The unsafe class names anywhere in a Keras config document."""
    if isinstance(node, dict):
        found = [node["class_name"]] if node.get("class_name") in UNSAFE_CLASSES else []
        return found + [name for value in node.values() for name in _unsafe_classes(value)]
    if isinstance(node, list):
        return [name for value in node for name in _unsafe_classes(value)]
    return []


def _unsafe_message(path: Path, what: str) -> str:
    return (
        f"{path} holds {what} (Python code saved in the model file); IMG_Story loads models "
        "in Keras safe mode, which refuses to run code from a file, so this model is refused. "
        "Use a model directory written by `imgstory train`"
    )


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
