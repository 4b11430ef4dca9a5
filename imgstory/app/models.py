"""Finding model directories the app can offer: the demo pack's LSTM and GRU, and a user's own.

A model directory holds ``model.keras`` and ``config.json`` (see ``imgstory.model``); a user's
models folder (``IMGSTORY_MODELS_DIR``) may be one such directory or hold several.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from imgstory.paths import DEMO_DIR, models_dir

MODEL_FILES = ("model.keras", "config.json")
DEMO_MODELS = {"lstm": "LSTM (demo pack, thesis model)", "gru": "GRU (demo pack, baseline)"}


@dataclass(frozen=True)
class ModelChoice:
    """A model the user can pick: how it is shown, where it lives, whether it is a demo model."""

    label: str
    path: Path
    is_demo: bool

    def card(self) -> dict:
        """The model card (data, encoder, training facts), or {} when it has none or is broken."""
        try:
            card = json.loads((self.path / "model_card.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return card if isinstance(card, dict) else {}


def card_summary(card: dict) -> str:
    """A one-line description of a model card: cell, encoder, vocabulary, training stories."""
    encoder, vocabulary, data = card.get("encoder"), card.get("vocabulary"), card.get("data")
    facts = [
        str(card["cell"]).upper() if card.get("cell") else "",
        f"{encoder.get('name')} features" if isinstance(encoder, dict) else "",
        f"{vocabulary.get('size')} words" if isinstance(vocabulary, dict) else "",
        f"{data.get('train_stories')} training stories" if isinstance(data, dict) else "",
    ]
    return ", ".join(fact for fact in facts if fact)


def is_model_dir(path: Path) -> bool:
    """True when ``path`` holds a saved storyteller."""
    return all((path / name).is_file() for name in MODEL_FILES)


def discover_models(demo_dir: Path = DEMO_DIR, user_dir: Path | None = None) -> list[ModelChoice]:
    """Every model to offer, demo models first, then the user's (``IMGSTORY_MODELS_DIR``)."""
    choices = [
        ModelChoice(label, demo_dir / "models" / name, is_demo=True)
        for name, label in DEMO_MODELS.items()
        if is_model_dir(demo_dir / "models" / name)
    ]
    user_dir = user_dir if user_dir is not None else models_dir()
    if user_dir is not None and user_dir.is_dir():
        candidates = [user_dir, *sorted(p for p in user_dir.iterdir() if p.is_dir())]
        choices += [
            ModelChoice(f"{path.name} (your models: {path})", path, is_demo=False)
            for path in candidates
            if is_model_dir(path)
        ]
    return choices
