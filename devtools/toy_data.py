"""Small, fully known stories and feature stores for tests, benchmarks and smoke runs.

Each photo gets its own random (seeded) feature vector, so a model can learn to tell photos
apart; the sentences are short and distinct, so a tiny model can learn them by heart.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from imgstory.data.sis import STORY_LENGTH, Story
from imgstory.features.store import FeatureStore

TOY_ENCODER = "toy"
_SUBJECTS = ("we", "the family", "my friends", "[male]", "[female]", "the kids")
_VERBS = ("went to", "walked to", "arrived at", "looked at", "played at", "left")
_PLACES = ("the beach", "the park", "the party", "the lake", "the city", "the museum")
_ENDINGS = (".", "!", "together .", "early .", "at night .", "again .")


def toy_stories(albums: int = 2, stories_per_album: int = 2, seed: int = 0) -> list[Story]:
    """``albums x stories_per_album`` stories of 5 photos; every sentence is different."""
    generator = np.random.default_rng(seed)
    stories, seen = [], set()
    for album in range(albums):
        photos = [f"{album}{index:03d}" for index in range(STORY_LENGTH + 2)]
        for number in range(stories_per_album):
            chosen = generator.permutation(len(photos))[:STORY_LENGTH]
            texts = []
            while len(texts) < STORY_LENGTH:
                parts = [generator.choice(words) for words in (_SUBJECTS, _VERBS, _PLACES)]
                sentence = " ".join([*parts, str(generator.choice(_ENDINGS))])
                if sentence not in seen:
                    seen.add(sentence)
                    texts.append(sentence)
            stories.append(
                Story(
                    story_id=f"{album}-{number}",
                    album_id=f"album{album}",
                    split="train",
                    photo_ids=tuple(photos[i] for i in chosen),
                    texts=tuple(texts),
                    original_texts=tuple(texts),
                )
            )
    return stories


def random_stories(
    count: int, vocabulary_words: int, words_per_sentence: int = 12, seed: int = 0
) -> list[Story]:
    """``count`` stories of random words from ``w0 .. w{vocabulary_words-1}`` (for benchmarks)."""
    generator = np.random.default_rng(seed)
    stories = []
    for number in range(count):
        words = generator.integers(0, vocabulary_words, (STORY_LENGTH, words_per_sentence))
        texts = tuple(" ".join(f"w{word}" for word in row) + " ." for row in words)
        stories.append(
            Story(
                story_id=str(number),
                album_id=f"album{number // 5}",
                split="train",
                photo_ids=tuple(f"{number}p{index}" for index in range(STORY_LENGTH)),
                texts=texts,
                original_texts=texts,
            )
        )
    return stories


def toy_feature_store(
    path: str | Path, stories: Sequence[Story], dimension: int = 32, seed: int = 0
) -> FeatureStore:
    """A feature store (encoder ``toy``) with one seeded random vector per photo of ``stories``."""
    photo_ids = list(dict.fromkeys(photo for story in stories for photo in story.photo_ids))
    generator = np.random.default_rng(seed)
    store = FeatureStore.create(
        path, encoder=TOY_ENCODER, dimension=dimension, weights_fingerprint=f"toy-seed{seed}"
    )
    store.append(photo_ids, generator.normal(0.0, 1.0, (len(photo_ids), dimension)))
    return store
