"""Score storytellers on real VIST test photos against baselines on the same photos.

Systems: models (run on their own encoder's features of the photos), *concept retrieval* (the
training story whose sentences best match the photos' concepts, position by position) and a
random training story. Scores: the AREL protocol with bootstrap intervals, and album
identification (:mod:`imgstory.eval.identification`). Test data is only scored, never trained on.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from imgstory.data.sis import Story
from imgstory.errors import UserInputError

RESAMPLES = 1000
REPORTED = ("Bleu_4", "METEOR", "ROUGE_L", "CIDEr")


def photo_sequences(stories: Sequence[Story], photos_dir: Path) -> tuple[list[Story], dict]:
    """The first story of each album whose 5 photos are all in ``photos_dir``, and their files."""
    from imgstory.data.photos import PhotoFinder

    finder = PhotoFinder(photos_dir)
    chosen: dict[str, Story] = {}
    files: dict[str, Path] = {}
    for story in stories:
        if story.album_id in chosen:
            continue
        found = [finder.find(photo) for photo in story.photo_ids]
        if all(found):
            chosen[story.album_id] = story
            files.update(zip(story.photo_ids, found, strict=True))
    if not chosen:
        raise UserInputError(f"{photos_dir}: no album has all 5 photos of one of its stories")
    return list(chosen.values()), files


def retrieval_stories(
    photo_vectors: Mapping[str, np.ndarray], sequences: Sequence[Story], train: Sequence[Story]
) -> dict[str, str]:
    """Concept retrieval: per album, the training story best matching its photos' concepts."""
    from imgstory.features.concepts import ConceptSpace

    space = ConceptSpace.packaged()
    texts = [sentence for story in train for sentence in story.texts]
    candidates = space.sentence_meanings(texts).reshape(len(train), 5, -1)  # (stories, 5, 50)
    told = {}
    for story in sequences:
        photos = np.stack([photo_vectors[photo] for photo in story.photo_ids])  # (5, 50)
        best = int(np.einsum("pd,spd->s", photos, candidates).argmax())
        told[story.album_id] = train[best].story_text
    return told


def random_stories(sequences: Sequence[Story], train: Sequence[Story], seed: int) -> dict:
    """A random training story per album (seeded)."""
    generator = np.random.default_rng(seed)
    picks = generator.integers(0, len(train), len(sequences))
    return {story.album_id: train[i].story_text for story, i in zip(sequences, picks, strict=True)}


def _score(references: Mapping[str, list[str]], told: Mapping[str, str]) -> dict[str, Any]:
    from imgstory.eval.arel import evaluate_arel
    from imgstory.eval.bootstrap import bootstrap_ci
    from imgstory.eval.identification import identify_albums

    result = evaluate_arel(references, told)
    intervals = bootstrap_ci(result, n=RESAMPLES, seed=0)
    return {
        "scores": {
            key: {
                "value": round(intervals[key].value, 4),
                "ci95": [round(intervals[key].low, 4), round(intervals[key].high, 4)],
            }
            for key in REPORTED
            if key in intervals
        },
        "identification": identify_albums(references, told).to_json(),
        "stories": dict(told),
        "warnings": result.warnings,
    }


def evaluate_on_real_photos(
    test_stories: Sequence[Story],
    photos_dir: str | Path,
    references: Mapping[str, list[str]],
    models: Mapping[str, str | Path],
    train: Sequence[Story],
    *,
    seed: int = 0,
) -> dict[str, Any]:
    """Tell and score every album of ``test_stories`` whose photos are in ``photos_dir``.

    Args:
        test_stories: test-split stories (SIS) giving each album's photo sequence.
        photos_dir: the photos (``<photo_flickr_id>.jpg``, flat or in split folders).
        references: AREL-format test references.
        models: label -> model directory; each runs on features of its own encoder.
        train: the training stories the baselines draw from (never test stories).
        seed: the random baseline's seed.

    Returns:
        A JSON-ready document: what was scored, how, and each system's scores and stories.
    """
    from imgstory.decoding.config import DecodingConfig
    from imgstory.features.extract import extract_features
    from imgstory.features.store import FeatureStore
    from imgstory.generation.predict import predict_stories
    from imgstory.generation.storyteller import Storyteller

    sequences, files = photo_sequences(test_stories, Path(photos_dir))
    album_references = {story.album_id: references[story.album_id] for story in sequences}
    systems: dict[str, dict[str, str]] = {}
    concept_vectors: dict[str, np.ndarray] = {}
    with tempfile.TemporaryDirectory(prefix="imgstory-real-") as scratch:
        stores: dict[str, FeatureStore] = {}
        for label, model_dir in models.items():
            teller = Storyteller.load(model_dir)
            encoder = teller.encoder_name
            if encoder not in stores:
                path = Path(scratch) / encoder
                extract_features(files, path, encoder, progress=False, dtype="float32")
                stores[encoder] = FeatureStore.open(path)
            told = predict_stories(teller, stores[encoder], sequences, DecodingConfig())
            systems[label] = {album: stories[0] for album, stories in told.items()}
        if "concepts" not in stores:
            path = Path(scratch) / "concepts"
            extract_features(files, path, "concepts", progress=False, dtype="float32")
            stores["concepts"] = FeatureStore.open(path)
        ids = sorted(files)
        concept_vectors = dict(zip(ids, stores["concepts"].get(ids), strict=True))
    systems["concept retrieval (val story)"] = retrieval_stories(concept_vectors, sequences, train)
    systems["random val story"] = random_stories(sequences, train, seed)
    return {
        "data": (
            f"VIST test split: the {len(sequences)} albums with all 5 photos of a story in "
            f"{Path(photos_dir).name}/ (one photo sequence each)"
        ),
        "albums": [story.album_id for story in sequences],
        "protocol": (
            "AREL (one story per album against all its reference stories; coco-caption "
            f"BLEU-4, METEOR 1.5 -t hter, ROUGE-L, CIDEr-D), 95% bootstrap intervals over albums "
            f"({RESAMPLES} resamples); album identification = rank of the album's own references "
            "by CIDEr-D among all scored albums' references (ties count against), 95% Wilson "
            "intervals"
        ),
        "training_text": "VIST val stories only; test stories, photos and references only scored",
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "systems": {label: _score(album_references, told) for label, told in systems.items()},
    }
