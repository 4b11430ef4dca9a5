"""Finding model directories the app can offer: the shipped VIST models, the demo pack's, a user's.

A model directory holds ``model.keras`` and ``config.json`` (see ``imgstory.model``); a user's
models folder (``IMGSTORY_MODELS_DIR``) may be one such directory or hold several. Every label
says what the model learned from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from imgstory.app.i18n import N_, _, name_in, ngettext
from imgstory.app.sources import display_path
from imgstory.paths import DEMO_DIR, SHIPPED_MODELS_DIR, models_dir

MODEL_FILES = ("model.keras", "config.json")
SHIPPED_DIR = SHIPPED_MODELS_DIR
VIST_MODELS = {
    "vist-lstm": N_(
        "VIST LSTM (thesis model; learned from real VIST stories, reads a photo's ImageNet class "
        "names and may copy them)"
    ),
    "vist-gru": N_("VIST GRU (baseline; learned from real VIST stories)"),
    "vist-lstm-plain": N_(
        "VIST LSTM without copying (the thesis architecture alone; for comparison)"
    ),
}
DEMO_MODELS = {
    "lstm": N_("LSTM (demo pack: learned from drawn scenes, not real photos)"),
    "gru": N_("GRU (demo pack: learned from drawn scenes, not real photos)"),
}
DRAWN_SCENES_WARNING = N_(
    "This model learned from the demo pack's drawn scenes, not from real photos: on real photos "
    "its stories are about beach days and weddings whatever the photos show. For real photos "
    "choose a VIST model."
)
DRAWN_SCENES_WARNING_COMPARE = N_(
    "The demo pack's models (marked 'demo pack') learned from drawn scenes, not from real "
    "photos: on real photos their stories are about beach days and weddings whatever the photos "
    "show. Compare them on a demo-pack sequence, or leave them out for real photos."
)


@dataclass(frozen=True)
class ModelChoice:
    """A model the user can pick: its label (English, the picker's value), where it lives,
    whether it is a demo model, and its title (the label in the session's language)."""

    label: str
    path: Path
    is_demo: bool
    title: str = ""

    def __post_init__(self) -> None:
        if not self.title:
            object.__setattr__(self, "title", _(self.label))

    def card(self) -> dict:
        """The model card (data, encoder, training facts), or {} when it has none or is broken."""
        try:
            card = json.loads((self.path / "model_card.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return card if isinstance(card, dict) else {}

    def reads_terms(self) -> bool:
        """Whether the model reads photos as terms (the VIST models): the album share acts on
        those only."""
        encoder = self.card().get("encoder")
        return isinstance(encoder, dict) and encoder.get("name") == "terms"

    def copies_terms(self) -> bool:
        """Whether the model copies terms (the VIST models but ``vist-lstm-plain``): the copy
        weight acts on those only. False for a model whose config cannot be read (loading it
        says why)."""
        try:
            config = json.loads((self.path / "config.json").read_text(encoding="utf-8"))
            return config["model"]["copy_terms"] is True
        except (OSError, ValueError, TypeError, KeyError):
            return False


#: Encoder names (``--encoder``) as captions say them; others are shown as they are.
ENCODER_TITLES = {
    "handcrafted": N_("handcrafted"),
    "concepts": N_("concepts"),
    "terms": N_("terms"),
    "xception": N_("xception"),
}


def encoder_title(name: str) -> str:
    """An encoder's name in the session's language (``handcrafted`` -> ``ручные``)."""
    return name_in(ENCODER_TITLES, name)


def card_summary(card: dict) -> str:
    """A one-line description of a model card: cell, encoder, vocabulary, training stories
    (in the session's language; cell and encoder names as the card writes them)."""
    encoder, vocabulary, data = card.get("encoder"), card.get("vocabulary"), card.get("data")
    words = vocabulary.get("size") if isinstance(vocabulary, dict) else None
    stories = data.get("train_stories") if isinstance(data, dict) else None
    facts = [
        str(card["cell"]).upper() if card.get("cell") else "",
        _("{name} features").format(name=encoder_title(str(encoder.get("name"))))
        if isinstance(encoder, dict)
        else "",
        ngettext("{n} word", "{n} words", words).format(n=words) if _counted(words) else "",
        ngettext("{n} training story", "{n} training stories", stories).format(n=stories)
        if _counted(stories)
        else "",
    ]
    return ", ".join(fact for fact in facts if fact)


def _counted(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_model_dir(path: Path) -> bool:
    """True when ``path`` holds a saved storyteller."""
    return all((path / name).is_file() for name in MODEL_FILES)


def discover_models(
    demo_dir: Path = DEMO_DIR, user_dir: Path | None = None, shipped_dir: Path = SHIPPED_DIR
) -> list[ModelChoice]:
    """Every model to offer: the shipped VIST models, the demo pack's, then the user's own."""
    choices = [
        ModelChoice(label, shipped_dir / name, is_demo=False)
        for name, label in VIST_MODELS.items()
        if is_model_dir(shipped_dir / name)
    ]
    choices += [
        ModelChoice(label, demo_dir / "models" / name, is_demo=True)
        for name, label in DEMO_MODELS.items()
        if is_model_dir(demo_dir / "models" / name)
    ]
    user_dir = user_dir if user_dir is not None else models_dir()
    if user_dir is not None and user_dir.is_dir():
        candidates = [user_dir, *sorted(p for p in user_dir.iterdir() if p.is_dir())]
        yours = N_("{name} (your models: {path})")
        choices += [
            ModelChoice(
                yours.format(name=path.name, path=display_path(path)),
                path,
                is_demo=False,
                title=_(yours).format(name=path.name, path=display_path(path)),
            )
            for path in candidates
            if is_model_dir(path)
        ]
    return choices


def default_model(choices: list[ModelChoice], demo_photos: bool) -> int:
    """Index of the model to preselect: the demo LSTM for demo-pack photos, else the VIST LSTM.

    Args:
        choices: :func:`discover_models`'s list.
        demo_photos: the photos are a demo-pack sequence (drawn scenes), not uploads or VIST.
    """
    wanted = DEMO_MODELS["lstm"] if demo_photos else VIST_MODELS["vist-lstm"]
    labels = [choice.label for choice in choices]
    return labels.index(wanted) if wanted in labels else 0


def compare_defaults(choices: list[ModelChoice], demo_photos: bool) -> list[str]:
    """Labels of the models compare mode preselects: the models made for these photos (the
    demo pack's for its drawn scenes; the others, VIST and your own, for real photos), or every
    model when none is.

    Args:
        choices: :func:`discover_models`'s list.
        demo_photos: the photos are a demo-pack sequence (drawn scenes), not uploads or VIST.
    """
    suited = [choice.label for choice in choices if choice.is_demo == demo_photos]
    return suited or [choice.label for choice in choices]


def drawn_scene_models_on_real_photos(chosen: list[ModelChoice], demo_photos: bool) -> bool:
    """Whether a chosen model learned from drawn scenes while the photos are real: the page
    then shows :data:`DRAWN_SCENES_WARNING` (:data:`DRAWN_SCENES_WARNING_COMPARE` in compare
    mode)."""
    return not demo_photos and any(choice.is_demo for choice in chosen)
