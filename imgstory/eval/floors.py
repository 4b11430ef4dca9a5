"""Floors: story systems without a language model, which every comparison is read against.

Each answers an album's photo sequence with a whole training story: :func:`nearest_stories` the
one whose sequence is most similar position by position (the demo pack compares photo features;
real photos compare concept vectors with sentence meanings,
:func:`imgstory.vist_models.real_photos.retrieval_stories`), :func:`random_stories` one drawn at
random. Both return AREL-style ``album_id -> story`` mappings; the constant story is
:data:`imgstory.eval.released.CONSTANT_STORY`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from imgstory.data.sis import Story


def first_stories(stories: Sequence[Story]) -> dict[str, Story]:
    """``album_id -> its first story``: the photo sequence an AREL-format system describes."""
    chosen: dict[str, Story] = {}
    for story in stories:
        chosen.setdefault(story.album_id, story)
    return chosen


def _unit_rows(features: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (zero rows stay zero)."""
    norms = np.linalg.norm(features, axis=-1, keepdims=True)
    return features / np.maximum(norms, 1e-12)


def nearest_stories(
    queries: Mapping[str, np.ndarray], candidates: np.ndarray, train: Sequence[Story]
) -> dict[str, str]:
    """The training story whose sequence best matches each query sequence.

    The match is the sum of the position-wise cosine similarities (photo i against the story's
    i-th row), computed in float64.

    Args:
        queries: ``album_id -> (5, dim)`` vectors of the sequence to describe.
        candidates: ``(train stories, 5, dim)`` vectors of ``train``, row for row.
        train: the stories to retrieve from.

    Returns:
        ``album_id -> story text`` (ties go to the earlier training story).

    Raises:
        ValueError: no training story, or not one row of vectors per training story.
    """
    if len(train) != len(candidates):
        raise ValueError(f"{len(candidates)} feature rows for {len(train)} training stories")
    if not len(train):
        raise ValueError("no training stories to retrieve from")
    stories, length, dim = candidates.shape
    keys = _unit_rows(np.asarray(candidates, np.float64)).reshape(stories, length * dim)
    album_ids = list(queries)
    rows = np.stack([np.asarray(queries[album], np.float64) for album in album_ids])
    rows = _unit_rows(rows).reshape(len(album_ids), length * dim)  # (queries, 5 * dim)
    similarity = rows @ keys.T  # (queries, train stories): sum of per-position cosines
    best = similarity.argmax(axis=1)
    return {album: train[int(row)].story_text for album, row in zip(album_ids, best, strict=True)}


def random_stories(
    sequences: Sequence[Story], train: Sequence[Story], seed: int | Sequence[int]
) -> dict[str, str]:
    """A training story drawn uniformly at random (reproducibly) for each album of
    ``sequences``: the floor.

    Args:
        sequences: one story per album to answer (only its ``album_id`` is read).
        train: the stories to draw from.
        seed: the generator's seed (``numpy.random.default_rng``; a sequence of ints keeps one
            caller's draws apart from another's).

    Raises:
        ValueError: no training story.
    """
    if not train:
        raise ValueError("no training stories to draw from")
    picks = np.random.default_rng(seed).integers(len(train), size=len(sequences))
    return {
        story.album_id: train[int(index)].story_text
        for story, index in zip(sequences, picks, strict=True)
    }
