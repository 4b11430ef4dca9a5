"""The training data pipeline: stories + their photo vectors -> length-bucketed ``tf.data`` batches.

Shuffling is keyed by ``(seed, epoch)``, so epoch *e* sees the same order whether the run started
at epoch 0 or was resumed at epoch *e*; batches are cut to their longest sentence, so the softmax
is not spent on padding.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from imgstory.data.sis import STORY_LENGTH, Story
from imgstory.model.config import ModelConfig
from imgstory.model.sources import StoryVectors
from imgstory.text.vocabulary import PAD_ID, Vocabulary

#: Stories whose longest sentence differs by fewer tokens than this share a bucket.
BUCKET_TOKENS = 4


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

    The photo vectors are one table (a :class:`~imgstory.model.sources.StoryVectors`, kept in its
    dtype) and each batch is gathered from it in NumPy, so memory stays one copy of the features
    whatever the number of epochs.
    Set :attr:`epoch` (the :class:`~imgstory.model.callbacks.EpochClock` callback does) before
    each pass: the shuffle of that pass depends on ``(seed, epoch)`` only.
    """

    def __init__(
        self,
        vectors: StoryVectors,
        stories: Sequence[Story],
        vocabulary: Vocabulary,
        config: ModelConfig,
    ):
        """Args:
        vectors: the stories' photo vectors (:meth:`FeatureSource.story_vectors
            <imgstory.model.sources.FeatureSource.story_vectors>`), one row set per story.
        stories: the stories, in a fixed order.
        vocabulary: encodes the sentences.
        config: ``max_sentence_length`` cuts longer sentences.

        Raises:
            ValueError: ``vectors`` holds another number of stories.
        """
        if vectors.rows.shape != (len(stories), STORY_LENGTH):
            raise ValueError(f"vector rows {vectors.rows.shape}, expected ({len(stories)}, 5)")
        self.features = vectors.table  # (rows, dimension)
        self.photo_rows = vectors.rows  # (stories, 5)
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
