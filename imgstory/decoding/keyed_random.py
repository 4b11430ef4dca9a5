"""Keyed random numbers for sampling: a story samples the same alone or in any batch.

Why not ``tf.random``: its generators draw a tensor's numbers together, so the numbers a story
gets would depend on the shape of its batch and on its row in it (``imgstory generate`` on one
album and ``predict`` over a test split would tell it differently). Here every random number is
a pure function of *what it is for*: a 32-bit hash of (seed, story key, sentence, candidate,
step, word). The story key (:func:`story_keys`) comes from the story's own feature bytes, so the
same photos with the same seed give the same story whatever else is decoded beside them, on any
batch size, with or without XLA.

The hash is a multiply-xorshift integer mixer (two rounds, bijective on 32 bits); parts are
folded in with a golden-ratio increment; the top 24 bits of a word's hash make a uniform
in (0, 1) and ``-log(-log(u))`` a Gumbel(0, 1) draw, so the sampler is Gumbel-max: the argmax of
``logits + noise`` is a draw from ``softmax(logits)``. Everything runs on int64 tensors holding
values below 2**32 (the products stay below 2**59: no overflow).
"""

from __future__ import annotations

import hashlib

import numpy as np
import tensorflow as tf

MASK32 = 0xFFFFFFFF  # the low 32 bits
_MULTIPLIER = 0x45D9F3B  # the mixing rounds' odd multiplier
_GOLDEN = 0x9E3779B9  # 2**32 / golden ratio: the increment that separates folded parts


def story_keys(features: np.ndarray) -> np.ndarray:
    """A sampling key per story ``(batch,)`` int64 from its feature bytes (same photos, same key).

    Sampling draws from (seed, story key, sentence, step, candidate, word), never from a story's
    row in the batch, so a story reads the same alone (``generate``) or in a batch (``predict``).
    """
    features = np.ascontiguousarray(features, dtype=np.float32)
    return np.array(
        [
            int.from_bytes(hashlib.blake2b(story.tobytes(), digest_size=8).digest(), "little")
            & (2**63 - 1)
            for story in features
        ],
        dtype=np.int64,
    )


def mix32(value: tf.Tensor) -> tf.Tensor:
    """A 32-bit integer hash (bijective, good avalanche) on int64 values in ``[0, 2**32)``.

    Every product stays below 2**59, so int64 never overflows.
    """
    value = tf.bitwise.bitwise_and(
        tf.bitwise.bitwise_xor(value, tf.bitwise.right_shift(value, 16)) * _MULTIPLIER, MASK32
    )
    value = tf.bitwise.bitwise_and(
        tf.bitwise.bitwise_xor(value, tf.bitwise.right_shift(value, 16)) * _MULTIPLIER, MASK32
    )
    return tf.bitwise.bitwise_xor(value, tf.bitwise.right_shift(value, 16))


def hash_with(state: tf.Tensor, part: tf.Tensor | int) -> tf.Tensor:
    """Fold an integer ``part`` (its low 32 bits) into a 32-bit hash ``state`` (broadcasting)."""
    part = tf.bitwise.bitwise_and(tf.cast(part, tf.int64), MASK32)
    return mix32(tf.bitwise.bitwise_and(tf.bitwise.bitwise_xor(state, part) + _GOLDEN, MASK32))


def story_hashes(seed: tf.Tensor, keys: tf.Tensor) -> tf.Tensor:
    """``(batch,)`` int64: each story's hash of the ``()`` int64 seed and its ``(batch,)`` key
    (both folded in 32 bits at a time)."""
    hashed = mix32(tf.bitwise.bitwise_and(seed, MASK32))
    hashed = hash_with(hashed, tf.bitwise.right_shift(seed, 32))
    return hash_with(hash_with(hashed, keys), tf.bitwise.right_shift(keys, 32))


def candidate_hashes(stories: tf.Tensor, sentence: tf.Tensor, candidates: int) -> tf.Tensor:
    """``(batch * candidates,)`` int64: the hash of each candidate row of one sentence.

    Row ``b * candidates + r`` folds sentence ``sentence`` and candidate ``r`` into story ``b``'s
    hash (``stories``: ``(batch,)`` from :func:`story_hashes`).
    """
    repeated = tf.repeat(stories, candidates)  # (rows,): story b's hash in rows b*K .. b*K+K-1
    rows = tf.shape(repeated)[0]
    return hash_with(hash_with(repeated, sentence), tf.range(rows) % candidates)


def gumbel_noise(row_hashes: tf.Tensor, step: tf.Tensor, vocab: int) -> tf.Tensor:
    """``(rows, vocab)`` float32 Gumbel(0, 1) noise for one step, one draw per (row, word).

    ``row_hashes``: ``(rows,)`` from :func:`candidate_hashes`. The uniform is the word hash's top
    24 bits plus a half, over 2**24: in (0, 1), so the noise lies within [-2.9, 17.4].
    """
    step_hashes = hash_with(row_hashes, step)  # (rows,)
    word_hash = hash_with(step_hashes[:, None], tf.range(vocab)[None, :])  # (rows, vocab)
    uniform = (tf.cast(tf.bitwise.right_shift(word_hash, 8), tf.float32) + 0.5) / 2.0**24
    return -tf.math.log(-tf.math.log(uniform))
