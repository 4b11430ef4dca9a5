"""Two reference systems without a language model: nearest-neighbour retrieval and a random floor.

Retrieval answers a photo sequence with the training story whose photo sequence is most similar
(sum of position-wise cosine similarities of the photo features); the floor answers with a
training story drawn at random. Both return AREL-style ``album_id -> story`` mappings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from imgstory.data.sis import Story


def first_sequences(stories: Sequence[Story]) -> dict[str, tuple[str, ...]]:
    """``album_id -> photo ids`` of each album's first story: the sequence a system describes."""
    sequences: dict[str, tuple[str, ...]] = {}
    for story in stories:
        sequences.setdefault(story.album_id, story.photo_ids)
    return sequences


def _unit_rows(features: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (zero rows stay zero)."""
    norms = np.linalg.norm(features, axis=-1, keepdims=True)
    return features / np.maximum(norms, 1e-12)


def retrieval_stories(
    train_features: np.ndarray,
    train_stories: Sequence[Story],
    query_features: Mapping[str, np.ndarray],
) -> dict[str, str]:
    """The most similar training story for every query sequence.

    Args:
        train_features: ``(train stories, 5, dim)`` photo features of ``train_stories``.
        train_stories: the stories to retrieve from, row for row.
        query_features: ``album_id -> (5, dim)`` features of the sequence to describe.

    Returns:
        ``album_id -> story text`` (ties go to the earlier training story).
    """
    if len(train_stories) != len(train_features):
        raise ValueError(
            f"{len(train_features)} feature rows for {len(train_stories)} training stories"
        )
    if not len(train_stories):
        raise ValueError("no training stories to retrieve from")
    stories, length, dim = train_features.shape
    keys = _unit_rows(np.asarray(train_features, np.float64)).reshape(stories, length * dim)
    album_ids = list(query_features)
    queries = np.stack([np.asarray(query_features[a], np.float64) for a in album_ids])
    queries = _unit_rows(queries).reshape(len(album_ids), length * dim)  # (queries, 5 * dim)
    similarity = queries @ keys.T  # (queries, train stories): sum of per-photo cosines
    best = similarity.argmax(axis=1)
    return {
        album: train_stories[int(row)].story_text
        for album, row in zip(album_ids, best, strict=True)
    }


def random_stories(
    train_stories: Sequence[Story], album_ids: Sequence[str], seed: int
) -> dict[str, str]:
    """A training story drawn uniformly at random (reproducibly) for every album: the floor."""
    if not train_stories:
        raise ValueError("no training stories to draw from")
    rng = np.random.default_rng([seed, 0xF100])
    picks = rng.integers(len(train_stories), size=len(album_ids))
    return {
        album: train_stories[int(i)].story_text for album, i in zip(album_ids, picks, strict=True)
    }
