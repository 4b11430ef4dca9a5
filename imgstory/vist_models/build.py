"""Build the VIST storytellers: the thesis Seq2Seq (LSTM) and its GRU baseline, from text alone.

Each photo slot is given the concept vector of its sentence (:mod:`imgstory.features.concepts`),
plus Gaussian noise while training; at run time the ``concepts`` encoder gives the same kind of
vector for a photo. Word vectors start from the packaged GloVe 6B 50-d.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from imgstory.data.sis import STORY_LENGTH, Story
from imgstory.features.concepts import ConceptConfig, ConceptSpace, concept_fingerprint
from imgstory.model.config import ModelConfig, TrainingConfig
from imgstory.vist_models.text_stories import TextStories

#: The shipped models' sizes: the thesis architecture at hidden 256 (fits 2 cores and 40 MB).
VIST_MODEL = ModelConfig(
    hidden_size=256,
    photo_layers=1,
    decoder_layers=2,
    embedding_dim=50,
    dropout=0.2,
    max_sentence_length=20,
    vocab_min_count=5,
    feature_noise=0.5,
)
VIST_TRAINING = TrainingConfig(
    epochs=11,
    batch_size=32,
    learning_rate=4e-3,
    validation_fraction=0.05,
    patience=2,
    backup_every_epochs=0,  # a full build takes minutes: no resumable backup to write each epoch
    unigram_bias=True,
)
MODEL_NAMES = {"lstm": "vist-lstm", "gru": "vist-gru"}


@dataclass(frozen=True)
class BuiltModel:
    """One trained model directory and its training report (as JSON)."""

    cell: str
    path: Path
    report: dict


def sentence_features(space: ConceptSpace, noise: float, text: TextStories):
    """The text-only stand-in for photo features: each story's 5 sentence concept vectors."""
    from imgstory.model.training import SentenceFeatures

    def vectors(stories: Sequence[Story]) -> np.ndarray:
        texts = [sentence for story in stories for sentence in story.texts]
        return space.sentence_meanings(texts).reshape(len(stories), STORY_LENGTH, -1)

    return SentenceFeatures(
        encoder="concepts",
        fingerprint=concept_fingerprint(space.config),
        dimension=space.dimension,
        vectors=vectors,
        card={
            "training": "text only: no photo was seen; each photo slot held its sentence's "
            "meaning vector (the unit mean GloVe vector of its content words) plus noise",
            "concepts": vars(space.config),
            "feature_noise": noise,
            "text": text.card(),
        },
    )


def build_vist_models(
    text: TextStories,
    out_dir: str | Path,
    cells: Sequence[str] = ("lstm", "gru"),
    model_config: ModelConfig = VIST_MODEL,
    training_config: TrainingConfig = VIST_TRAINING,
    *,
    work_dir: str | Path | None = None,
    progress: bool = True,
    overwrite: bool = False,
) -> list[BuiltModel]:
    """Train one storyteller per cell on ``text`` and write ``out_dir/vist-<cell>/``.

    An existing model directory there is replaced only with ``overwrite``.
    """
    from imgstory.model.training import train_model

    out_dir = Path(out_dir)
    space = ConceptSpace.packaged(ConceptConfig())
    features = sentence_features(space, model_config.feature_noise, text)
    built = []
    for cell in cells:
        name = MODEL_NAMES[cell]
        report = train_model(
            features,
            text.stories,
            out_dir / name,
            replace(model_config, cell=cell),
            training_config,
            glove_path="glove-6b-50d",
            progress=progress,
            work_dir=Path(work_dir) / name if work_dir else None,
            stories_source=f"{text.source} (sha256 {text.sha256[:16]})",
            overwrite=overwrite,
            restart=True,  # a build is one run: an interrupted one starts over
        )
        built.append(BuiltModel(cell, out_dir / name, report.to_json()))
    return built
