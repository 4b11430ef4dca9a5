"""Where the trainer's photo vectors come from: a feature store, or per-sentence stand-ins.

The trainer reads both through one small protocol, :class:`FeatureSource`: the encoder it
stands for (name, weights fingerprint, dimension), the stories it has vectors for, those
vectors laid out for the data pipeline (:class:`StoryVectors`) and the model card's encoder
entry. :class:`StoreFeatures` gives a :class:`~imgstory.features.store.FeatureStore`'s photo
vectors (the store itself stays a photo-level store: story layout is the trainer's business);
:class:`SentenceFeatures` gives text-only training one vector per sentence. Nothing here imports
TensorFlow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from imgstory.data.sis import STORY_LENGTH, Story
from imgstory.features.store import FeatureStore

#: Photo ids read from a store at once (bounded peak memory on real VIST).
READ_CHUNK = 8192


@dataclass(frozen=True)
class StoryVectors:
    """Each story's 5 photo vectors: a table of vectors and, per story, its 5 row numbers.

    A photo in several stories has one row (a store's photos), or every sentence has its own
    (text-only training). The photo normalisation's statistics are taken over the table's rows.

    Attributes:
        table: ``(rows, dimension)`` vectors, in the source's dtype.
        rows: ``(stories, 5)`` int64 row numbers into ``table``.
    """

    table: np.ndarray
    rows: np.ndarray

    @classmethod
    def per_sentence(cls, vectors: np.ndarray) -> StoryVectors:
        """One row per sentence from ``(stories, 5, dimension)`` vectors.

        Raises:
            ValueError: ``vectors`` is not ``(stories, 5, dimension)``.
        """
        if vectors.ndim != 3 or vectors.shape[1] != STORY_LENGTH:
            raise ValueError(f"vectors {vectors.shape}, expected (stories, 5, dimension)")
        table = vectors.reshape(-1, vectors.shape[-1])  # (stories * 5, dimension)
        return cls(table, np.arange(len(table)).reshape(len(vectors), STORY_LENGTH))


@runtime_checkable
class FeatureSource(Protocol):
    """What the trainer needs of its photo vectors (a store's, or text-only stand-ins)."""

    @property
    def encoder(self) -> str:
        """The encoder whose photo vectors these are (or stand for)."""
        ...

    @property
    def fingerprint(self) -> str:
        """That encoder's weights fingerprint (a model refuses other encoders' features)."""
        ...

    @property
    def dimension(self) -> int:
        """Vector length."""
        ...

    @property
    def words(self) -> tuple[str, ...]:
        """Words the vocabulary keeps whatever their count (terms a model may copy)."""
        ...

    @property
    def path(self) -> Path | None:
        """The input the vectors are read from (never written to), None when computed."""
        ...

    def with_vectors(self, stories: Sequence[Story]) -> list[Story]:
        """The stories (in order) that have a vector for each of their 5 photos."""
        ...

    def story_vectors(self, stories: Sequence[Story]) -> StoryVectors:
        """The vectors of ``stories`` (each one has them: see :meth:`with_vectors`)."""
        ...

    def encoder_card(self) -> dict[str, Any]:
        """The model card's ``encoder`` entry (name, fingerprint, dimension, where from)."""
        ...


@dataclass(frozen=True)
class StoreFeatures:
    """A feature store's photo vectors as a :class:`FeatureSource`."""

    store: FeatureStore

    @classmethod
    def open(cls, path: str | Path) -> StoreFeatures:
        """Open the feature store at ``path`` (:meth:`FeatureStore.open`, its checks included)."""
        return cls(FeatureStore.open(path))

    @property
    def encoder(self) -> str:
        """The store's encoder."""
        return self.store.encoder

    @property
    def fingerprint(self) -> str:
        """The store's encoder weights fingerprint."""
        return self.store.weights_fingerprint

    @property
    def dimension(self) -> int:
        """The store's vector length."""
        return self.store.dimension

    @property
    def words(self) -> tuple[str, ...]:
        """None: photo features name no word the vocabulary must keep."""
        return ()

    @property
    def path(self) -> Path:
        """The store's folder."""
        return self.store.path

    def with_vectors(self, stories: Sequence[Story]) -> list[Story]:
        """The stories whose 5 photos all have features in the store."""
        return [story for story in stories if not self.store.missing(story.photo_ids)]

    def story_vectors(self, stories: Sequence[Story]) -> StoryVectors:
        """Each photo's vector read once (in the store's dtype), one row per distinct photo."""
        photo_ids = list(dict.fromkeys(p for story in stories for p in story.photo_ids))
        index = {photo: row for row, photo in enumerate(photo_ids)}
        table = np.empty((len(photo_ids), self.store.dimension), dtype=self.store.dtype)
        for start in range(0, len(photo_ids), READ_CHUNK):
            chunk = photo_ids[start : start + READ_CHUNK]
            table[start : start + len(chunk)] = self.store.get(chunk)
        rows = np.array([index[p] for story in stories for p in story.photo_ids], dtype=np.int64)
        return StoryVectors(table, rows.reshape(len(stories), STORY_LENGTH))

    def encoder_card(self) -> dict[str, Any]:
        """Name, fingerprint, dimension and the store's folder."""
        return {
            "name": self.encoder,
            "fingerprint": self.fingerprint,
            "dimension": self.dimension,
            "store": str(self.store.path),
        }


@dataclass(frozen=True)
class SentenceFeatures:
    """Per-sentence vectors standing in for photo features (text-only training).

    Attributes:
        encoder: the encoder whose photo vectors these stand for (``"concepts"``).
        fingerprint: that encoder's weights fingerprint (a model refuses other features).
        dimension: vector length.
        vectors: stories -> ``(stories, 5, dimension)`` float32, one vector per sentence.
        card: what the model card records about the bridge (noise, source, ...).
        words: words the vocabulary keeps whatever their count (the terms the model may copy).
    """

    encoder: str
    fingerprint: str
    dimension: int
    vectors: Callable[[Sequence[Story]], np.ndarray]
    card: dict[str, Any] = field(default_factory=dict)
    words: tuple[str, ...] = ()

    @property
    def path(self) -> None:
        """None: the vectors are computed from the stories' text."""
        return None

    def with_vectors(self, stories: Sequence[Story]) -> list[Story]:
        """Every story (each sentence has its vector)."""
        return list(stories)

    def story_vectors(self, stories: Sequence[Story]) -> StoryVectors:
        """One row per sentence.

        Raises:
            ValueError: :attr:`vectors` gave another shape than ``(stories, 5, dimension)``.
        """
        vectors = self.vectors(stories)
        if vectors.shape[:2] != (len(stories), STORY_LENGTH):
            raise ValueError(f"features {vectors.shape}, expected ({len(stories)}, 5, d)")
        return StoryVectors.per_sentence(vectors)

    def encoder_card(self) -> dict[str, Any]:
        """Name, fingerprint, dimension and what the card records about the bridge."""
        return {
            "name": self.encoder,
            "fingerprint": self.fingerprint,
            "dimension": self.dimension,
            "text_only_bridge": self.card,
        }


def feature_source(features: str | Path | FeatureStore | FeatureSource) -> FeatureSource:
    """``features`` as a :class:`FeatureSource`: a store's folder or a store is opened as
    :class:`StoreFeatures`; a source is returned as it is.

    Raises:
        UserInputError: a folder that is not a readable feature store.
    """
    if isinstance(features, (str, Path)):
        return StoreFeatures.open(features)
    if isinstance(features, FeatureStore):
        return StoreFeatures(features)
    return features
