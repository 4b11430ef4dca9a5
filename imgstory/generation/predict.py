"""Batch prediction: one story per album (AREL format) or per photo sequence (challenge format).

The output is what ``imgstory evaluate`` scores, so this is how a trained model is scored on VIST.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from imgstory.data.sis import Story
from imgstory.decoding.config import DecodingConfig
from imgstory.errors import UserInputError
from imgstory.eval.predictions import ChallengeStory, challenge_document

if TYPE_CHECKING:
    from imgstory.features.store import FeatureStore
    from imgstory.generation.storyteller import Storyteller

FORMATS = ("arel", "challenge")
FORMAT_HELP = (
    "'arel' = {album_id: [story]} with one story per album (what AREL's evaluation and "
    "`imgstory evaluate` score); 'challenge' = the VIST challenge submission, one story per "
    "photo sequence"
)


def sequences_to_tell(stories: Sequence[Story], format: str) -> list[tuple[str, tuple[str, ...]]]:
    """``(album_id, photo_ids)`` pairs to write a story for, in file order.

    AREL: the first story's photo sequence of each album (as AREL's own evaluation does);
    challenge: every distinct photo sequence. :func:`predict_stories` passes only the stories
    whose photos all have features, so an album is told from its first usable sequence.
    """
    if format not in FORMATS:
        raise UserInputError(f"unknown prediction format {format!r}: choose arel or challenge")
    chosen: dict[Any, tuple[str, tuple[str, ...]]] = {}
    for story in stories:
        key = story.album_id if format == "arel" else (story.album_id, story.photo_ids)
        chosen.setdefault(key, (story.album_id, story.photo_ids))
    return list(chosen.values())


def predict_stories(
    model: str | Path | Storyteller,
    features_store: str | Path | FeatureStore,
    stories: Sequence[Story],
    decoding: DecodingConfig | None = None,
    format: str = "arel",
    *,
    batch_size: int = 32,
    progress: bool = False,
    description: str = "IMG_Story Seq2Seq storyteller",
) -> dict[str, Any]:
    """Write a story for each album (or photo sequence) of ``stories``.

    Args:
        model: a model directory or a loaded :class:`~imgstory.generation.storyteller.Storyteller`.
        features_store: a feature store path or :class:`~imgstory.features.store.FeatureStore`
            made with the model's encoder.
        stories: the stories whose albums / photo sequences to tell (e.g. a test SIS file).
        decoding: the decoding options (default: :class:`DecodingConfig`'s, greedy).
        format: ``"arel"`` -> ``{album_id: [story]}``; ``"challenge"`` -> the VIST challenge
            submission document.
        batch_size: stories decoded together.
        progress: draw a progress bar on stderr.
        description: the challenge document's ``additional_description``.

    Raises:
        UserInputError: another encoder's features, or no sequence with features for all photos.
    """
    from imgstory.features.store import FeatureStore
    from imgstory.generation.storyteller import Storyteller
    from imgstory.model.directory import check_encoder
    from imgstory.progress import track

    storyteller = model if isinstance(model, Storyteller) else Storyteller.load(model)
    store = (
        features_store
        if isinstance(features_store, FeatureStore)
        else FeatureStore.open(features_store)
    )
    check_encoder(
        storyteller.directory,
        store.encoder,
        store.weights_fingerprint,
        f"feature store {store.path}",
    )
    decoding = decoding or DecodingConfig()
    with_features = [story for story in stories if not store.missing(story.photo_ids)]
    usable = sequences_to_tell(with_features, format)
    if not usable:
        raise UserInputError(
            f"none of the {len(stories)} stories has features for all its photos in "
            f"{store.path}: extract them with `imgstory features extract`"
        )
    told: list[str] = []
    starts = range(0, len(usable), batch_size)
    for start in track(starts, len(starts), "writing stories", enabled=progress):
        chunk = usable[start : start + batch_size]
        features = np.stack([store.get(photos) for _, photos in chunk])  # (batch, 5, dim)
        told += [story.story for story in storyteller.generate_batch(features, decoding)]
    if format == "arel":
        return {album: [story] for (album, _), story in zip(usable, told, strict=True)}
    told_stories = (
        ChallengeStory(album, tuple(photos), story)
        for (album, photos), story in zip(usable, told, strict=True)
    )
    return challenge_document(told_stories, description)
