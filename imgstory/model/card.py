"""The model card and the training report: what data, encoder, embeddings and training produced
a model directory (the card, saved in it) and what a training run did (the report, in its work
dir and printed by ``imgstory train --json``)."""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from imgstory.data.sis import Story
from imgstory.model.config import ModelConfig, TrainingConfig
from imgstory.paths import REPO_ROOT
from imgstory.text.vocabulary import Vocabulary


@dataclass
class TrainingReport:
    """What a training run did (also stored, in part, in the model card)."""

    model_dir: str
    work_dir: str
    train_stories: int
    val_stories: int
    skipped_without_features: int
    vocabulary_size: int
    epochs_run: int
    best_epoch: int
    best_val_loss: float | None
    final_train_loss: float
    seconds: float
    stories_per_second: float
    history: dict[str, list[float]] = field(default_factory=dict)
    glove: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain dict (what ``imgstory train --json`` prints)."""
        return asdict(self)


def git_commit() -> str | None:
    """The repository's current commit (None outside a git checkout)."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def output_description(config: ModelConfig) -> str:
    """What the output layer does, in words (the thesis layer, GloVe-tied, term copying)."""
    parts = ["the thesis output layer (decoder state -> vocabulary)"]
    if config.term_slots:
        parts.append(f"reads {config.term_slots} terms per photo")
    if config.tied_output:
        parts.append("plus scores tied to the words' fixed GloVe vectors")
    if config.copy_terms:
        parts.append("plus copying a photo's term (our extension: attention + pointer-generator)")
    return "; ".join(parts)


def model_card(
    report: TrainingReport,
    model_config: ModelConfig,
    training_config: TrainingConfig,
    encoder: dict[str, Any],
    vocabulary: Vocabulary,
    train: Sequence[Story],
    stories_source: str | None,
) -> dict[str, Any]:
    """The model card: what data, encoder and protocol produced the model."""

    texts = [text for story in train for text in story.texts]
    return {
        "name": Path(report.model_dir).name,
        "architecture": f"Seq2Seq {model_config.cell.upper()} storyteller (imgstory.model)",
        "output": output_description(model_config),
        "cell": model_config.cell,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "data": {
            "stories_source": stories_source,
            "train_stories": report.train_stories,
            "train_albums": len({story.album_id for story in train}),
            "val_stories": report.val_stories,
            "skipped_without_features": report.skipped_without_features,
        },
        "encoder": encoder,
        "vocabulary": {
            "size": len(vocabulary),
            "fingerprint": vocabulary.fingerprint,
            "min_count": model_config.vocab_min_count,
            "train_token_coverage": round(vocabulary.coverage(texts), 4),
        },
        "embeddings": (
            {"source": "glove", **report.glove}
            if report.glove
            else {"source": "learned from scratch (no GloVe file given)"}
        ),
        "training": {
            "epochs_run": report.epochs_run,
            "best_epoch": report.best_epoch,
            "train_loss": report.final_train_loss,
            "val_loss": report.best_val_loss,
            "seconds": report.seconds,
            "stories_per_second": report.stories_per_second,
            "batch_size": training_config.batch_size,
            "learning_rate": training_config.learning_rate,
            "seed": training_config.seed,
            "strategy": training_config.strategy,
        },
    }
