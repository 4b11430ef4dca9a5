"""The training data pipeline: stories + feature store -> length-bucketed ``tf.data`` batches.

Shuffling is keyed by ``(seed, epoch)``, so epoch *e* sees the same order whether the run started
at epoch 0 or was resumed at epoch *e*; batches are cut to their longest sentence, so the softmax
is not spent on padding.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from imgstory.data.sis import STORY_LENGTH, Story
from imgstory.features.store import FeatureStore
from imgstory.model.config import ModelConfig
from imgstory.text.vocabulary import PAD_ID, Vocabulary

#: Stories whose longest sentence differs by fewer tokens than this share a bucket.
BUCKET_TOKENS = 4


def stories_with_features(store: FeatureStore, stories: Sequence[Story]) -> tuple[list[Story], int]:
    """The stories whose 5 photos all have features, and how many were skipped."""
    usable = [story for story in stories if not store.missing(story.photo_ids)]
    return usable, len(stories) - len(usable)


def split_by_album(
    stories: Sequence[Story], fraction: float, seed: int
) -> tuple[list[Story], list[Story]]:
    """Hold out a ``fraction`` of albums (all their stories) for validation, reproducibly."""
    albums = sorted({story.album_id for story in stories})
    if fraction <= 0 or len(albums) < 2:
        return list(stories), []
    generator = np.random.default_rng(seed)
    held = max(1, round(len(albums) * fraction))
    held_out = set(generator.permutation(albums)[:held].tolist())
    train = [story for story in stories if story.album_id not in held_out]
    return train, [story for story in stories if story.album_id in held_out]


class StoryBatches:
    """Stories as ``({"photo_features", "sentences"}, sentences)`` batches for ``model.fit``.

    The needed photo vectors are read from the store once (kept in its dtype); each batch is
    gathered in NumPy, so memory stays one copy of the features whatever the number of epochs.
    Set :attr:`epoch` (the :class:`~imgstory.model.callbacks.EpochClock` callback does) before
    each pass: the shuffle of that pass depends on ``(seed, epoch)`` only.
    """

    def __init__(
        self,
        store: FeatureStore,
        stories: Sequence[Story],
        vocabulary: Vocabulary,
        config: ModelConfig,
        features: np.ndarray | None = None,
    ):
        """Args:
        store: where the photo vectors are read (unless ``features`` is given).
        stories: the stories, in a fixed order.
        vocabulary: encodes the sentences.
        config: ``max_sentence_length`` cuts longer sentences.
        features: optional ``(stories, 5, dimension)`` vectors to use instead of the store's
            (text-only training gives each story its own per-sentence vectors).
        """
        if features is None:
            photo_ids = list(dict.fromkeys(p for story in stories for p in story.photo_ids))
            rows = {photo: row for row, photo in enumerate(photo_ids)}
            self.features = np.empty((len(photo_ids), store.dimension), dtype=store.dtype)
            for start in range(0, len(photo_ids), 8192):  # bounded peak memory on real VIST
                chunk = photo_ids[start : start + 8192]
                self.features[start : start + len(chunk)] = store.get(chunk)
            self.photo_rows = np.array(
                [[rows[p] for p in story.photo_ids] for story in stories], dtype=np.int64
            )  # (stories, 5)
        else:
            if features.shape[:2] != (len(stories), STORY_LENGTH):
                raise ValueError(f"features {features.shape}, expected ({len(stories)}, 5, d)")
            self.features = features.reshape(-1, features.shape[-1])  # (stories * 5, d)
            self.photo_rows = np.arange(len(self.features)).reshape(len(stories), STORY_LENGTH)
        texts = [text for story in stories for text in story.texts]
        sentences = vocabulary.encode_batch(texts, config.max_sentence_length)
        self.sentences = sentences.reshape(len(stories), STORY_LENGTH, -1)  # (stories, 5, width)
        # Real tokens (words + <end>) of each story's longest sentence: the batch width it needs.
        self.lengths = (self.sentences != PAD_ID).sum(axis=-1).max(axis=-1)  # (stories,)
        self.feature_dim = self.features.shape[-1]
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.photo_rows)

    def steps(self, batch_size: int) -> int:
        """Batches per pass (the same for every epoch)."""
        buckets = np.bincount(self.lengths // BUCKET_TOKENS)
        return int(sum(-(-count // batch_size) for count in buckets if count))

    def batch_order(self, batch_size: int, shuffle: bool, seed: int) -> list[np.ndarray]:
        """The story rows of each batch of this pass: bucketed by length, shuffled by epoch."""
        order = np.arange(len(self))
        generator = np.random.default_rng([seed, self.epoch])
        if shuffle:
            generator.shuffle(order)
        buckets = self.lengths[order] // BUCKET_TOKENS
        order = order[np.argsort(buckets, kind="stable")]  # grouped by bucket, shuffled within
        bounds = np.flatnonzero(np.diff(np.sort(buckets))) + 1
        batches = []
        for group in np.split(order, bounds):
            batches.extend(
                group[start : start + batch_size] for start in range(0, len(group), batch_size)
            )
        if shuffle:
            batches = [batches[i] for i in generator.permutation(len(batches))]
        return batches

    def batches(
        self, batch_size: int, shuffle: bool, seed: int
    ) -> Iterator[tuple[dict, np.ndarray]]:
        """One pass of NumPy batches, each cut to its longest sentence."""
        for chosen in self.batch_order(batch_size, shuffle, seed):
            width = int(self.lengths[chosen].max())
            features = self.features[self.photo_rows[chosen]].astype(np.float32)  # (b, 5, d)
            sentences = np.ascontiguousarray(self.sentences[chosen, :, :width])  # (b, 5, width)
            yield {"photo_features": features, "sentences": sentences}, sentences

    def dataset(self, batch_size: int, shuffle: bool, seed: int):
        """A ``tf.data`` pipeline of :meth:`batches`; each pass reads :attr:`epoch` as it starts."""
        import tensorflow as tf

        signature = (
            {
                "photo_features": tf.TensorSpec((None, STORY_LENGTH, self.feature_dim), tf.float32),
                "sentences": tf.TensorSpec((None, STORY_LENGTH, None), tf.int32),
            },
            tf.TensorSpec((None, STORY_LENGTH, None), tf.int32),
        )
        dataset = tf.data.Dataset.from_generator(
            lambda: self.batches(batch_size, shuffle, seed), output_signature=signature
        )
        dataset = dataset.apply(tf.data.experimental.assert_cardinality(self.steps(batch_size)))
        return dataset.prefetch(tf.data.AUTOTUNE)
