"""The compiled story search: every sentence of a story, token by token, inside one ``tf.function``.

A Python loop of ``model.predict`` calls per token is ~60x slower here (see MEASURED.md), so the
whole story -- photo encoding, each sentence's greedy / beam / sampling search, repetition blocking
and the story-state update -- is one traced graph. It drives any model that offers the
:class:`StepModel` methods (:class:`imgstory.model.architecture.StoryModelParts` does).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import tensorflow as tf

from imgstory.decoding.config import DecodingConfig
from imgstory.text.vocabulary import END_ID, PAD_ID, START_ID, UNK_ID

NEGATIVE = -1e9  # a log-probability that never wins (finite, so sums stay free of NaN)


class StepModel(Protocol):
    """What the search needs from a storyteller (all tensors; see StoryModelParts)."""

    vocab_size: int
    sentence_width: int
    hidden_size: int

    def encode_photos(self, features: tf.Tensor) -> tf.Tensor: ...

    def initial_story_state(self, batch: tf.Tensor) -> list[tf.Tensor]: ...

    def story_step(self, sentence_vector, state): ...

    def start_sentence(self, photo_encoding, story_output): ...

    def decoder_step(self, tokens, memory, states): ...

    def encode_sentence(self, tokens: tf.Tensor) -> tf.Tensor: ...


class StorySearch:
    """A compiled search for one decoding config: ``search(features) -> (batch, n, width)`` ids.

    Build once per (model, config) and reuse; the first call traces the graph (1-3 s), later
    calls with any batch size or number of photos reuse it. ``seed``, ``temperature`` and
    ``length_penalty`` are graph inputs, so changing them does not retrace. ``jit_compile=True``
    compiles with XLA: ~25% faster per story here, but it compiles again (1-2 s) for every new
    (batch, photos) shape, so it pays off for long runs of one shape only.
    """

    def __init__(
        self,
        model: StepModel,
        config: DecodingConfig,
        feature_dim: int,
        jit_compile: bool = False,
    ):
        self.model = model
        self.config = config
        self._candidates = config.candidates
        signature = [
            tf.TensorSpec((None, None, feature_dim), tf.float32, name="features"),
            tf.TensorSpec((), tf.int64, name="seed"),
            tf.TensorSpec((), tf.float32, name="temperature"),
            tf.TensorSpec((), tf.float32, name="length_penalty"),
        ]
        self._compiled = tf.function(
            self._decode_story, input_signature=signature, autograph=False, jit_compile=jit_compile
        )

    def __call__(self, features: np.ndarray, config: DecodingConfig | None = None) -> np.ndarray:
        """Decode stories for ``(batch, n_photos, feature_dim)`` features.

        Args:
            features: photo features, one row of ``n_photos`` per story.
            config: the run-time options (seed, temperature, length penalty) to use; must share
                :meth:`DecodingConfig.compiled_key` with the config this search was built for.

        Returns:
            ``(batch, n_photos, width)`` int32 word ids per sentence (``<end>`` then ``<pad>``).
        """
        config = config or self.config
        if config.compiled_key() != self.config.compiled_key():
            raise ValueError("this search was compiled for another method / beam / n-gram setting")
        features = np.asarray(features, dtype=np.float32)
        if features.ndim != 3 or features.shape[1] < 1:
            raise ValueError(f"features must be (batch, n_photos, dim), got {features.shape}")
        tokens = self._compiled(
            tf.constant(features),
            tf.constant(config.seed, tf.int64),
            tf.constant(config.temperature, tf.float32),
            tf.constant(config.length_penalty, tf.float32),
        )
        return tokens.numpy()

    # -- the graph -------------------------------------------------------------------------

    def _decode_story(self, features, seed, temperature, length_penalty):
        model = self.model
        batch, photos = tf.shape(features)[0], tf.shape(features)[1]
        width = model.sentence_width
        encodings = model.encode_photos(features)  # (batch, photos, encoding)
        story_state = model.initial_story_state(batch)
        story_output, story_state = model.story_step(
            tf.zeros((batch, model.hidden_size)), story_state
        )  # (batch, hidden): the story before its first sentence
        history = tf.fill((batch, photos, width), PAD_ID)  # (batch, photos, width)

        def tell_one(index, history, story_output, story_state):
            memory, states = model.start_sentence(encodings[:, index], story_output)
            candidates = self._search_sentence(
                memory, states, history, index, seed, temperature, length_penalty
            )  # (batch, candidates, width), best first
            chosen = self._choose(candidates, history, index)  # (batch, width)
            written = tf.equal(tf.range(photos), index)[None, :, None]  # (1, photos, 1)
            history = tf.where(written, chosen[:, None, :], history)
            story_output, story_state = model.story_step(model.encode_sentence(chosen), story_state)
            return index + 1, history, story_output, story_state

        _, history, _, _ = tf.while_loop(
            lambda index, *_: index < photos,
            tell_one,
            (tf.constant(0), history, story_output, story_state),
        )
        return history

    def _search_sentence(self, memory, states, history, index, seed, temperature, length_penalty):
        """Candidate sentences for one photo, ``(batch, K, width)``, in order of preference."""
        model, config, count = self.model, self.config, self._candidates
        vocab, width = model.vocab_size, model.sentence_width
        batch = tf.shape(memory)[0]
        rows = batch * count
        memory = tf.repeat(memory, count, axis=0)  # (rows, hidden)
        states = tf.nest.map_structure(lambda s: tf.repeat(s, count, axis=0), states)
        story_so_far = tf.repeat(tf.reshape(history, (batch, -1)), count, axis=0)  # (rows, n*w)
        if config.method == "beam":  # only the first beam is live before the first step
            first = tf.one_hot(0, count, on_value=0.0, off_value=NEGATIVE)
            scores = tf.reshape(tf.tile(first[None, :], (batch, 1)), (-1,))  # (rows,)
        else:
            scores = tf.zeros((rows,))
        tokens = tf.fill((rows, width), PAD_ID)  # (rows, width)
        finished = tf.zeros((rows,), tf.bool)
        lengths = tf.zeros((rows,), tf.int32)
        last = tf.fill((rows,), START_ID)

        def step_once(step, tokens, last, scores, finished, lengths, states):
            logits, new_states = model.decoder_step(last, memory, states)  # (rows, vocab)
            log_probs = tf.nn.log_softmax(logits)
            log_probs = self._ban(log_probs, tokens, story_so_far, step)
            pad_only = tf.one_hot(PAD_ID, vocab, on_value=0.0, off_value=NEGATIVE)
            log_probs = tf.where(finished[:, None], pad_only[None, :], log_probs)
            if config.method == "beam":
                total = tf.reshape(scores[:, None] + log_probs, (batch, count * vocab))
                scores, flat_index = tf.math.top_k(total, count)  # (batch, count)
                source = flat_index // vocab + tf.range(batch)[:, None] * count
                source = tf.reshape(source, (-1,))  # (rows,): the beam each row continues
                token = tf.reshape(flat_index % vocab, (-1,))
                scores = tf.reshape(scores, (-1,))
                tokens, finished, lengths = (
                    tf.gather(tokens, source),
                    tf.gather(finished, source),
                    tf.gather(lengths, source),
                )
                new_states = tf.nest.map_structure(lambda s: tf.gather(s, source), new_states)
            else:
                token = self._pick(log_probs, step, index, seed, temperature, rows)
                token = tf.where(finished, PAD_ID, token)  # candidates keep their order
            tokens = tf.where(tf.equal(tf.range(width), step)[None, :], token[:, None], tokens)
            lengths += tf.cast(~finished, tf.int32)
            finished = finished | tf.equal(token, END_ID)
            return step + 1, tokens, token, scores, finished, lengths, new_states

        def running(step, tokens, last, scores, finished, lengths, states):
            return tf.logical_and(step < width, ~tf.reduce_all(finished))

        _, tokens, _, scores, _, lengths, _ = tf.while_loop(
            running,
            step_once,
            (tf.constant(0), tokens, last, scores, finished, lengths, states),
            maximum_iterations=width,
        )
        tokens = tf.reshape(tokens, (batch, count, width))
        if config.method != "beam":
            return tokens
        penalty = tf.pow((5.0 + tf.cast(lengths, tf.float32)) / 6.0, length_penalty)
        ranked = tf.reshape(scores / penalty, (batch, count))
        order = tf.argsort(ranked, axis=1, direction="DESCENDING", stable=True)
        return tf.gather(tokens, order, batch_dims=1)

    def _pick(self, log_probs, step, index, seed, temperature, rows):
        """Greedy or sampled next tokens ``(rows,)`` (not used by beam search)."""
        config, count = self.config, self._candidates
        if config.method == "greedy":
            if count == 1:
                return tf.argmax(log_probs, axis=-1, output_type=tf.int32)
            # candidate r starts with the (r+1)-th likeliest first word, then goes greedy
            _, ranked = tf.math.top_k(log_probs, count)  # (rows, count)
            rank = tf.where(step == 0, tf.range(rows) % count, 0)
            return tf.gather(ranked, rank, batch_dims=1)
        logits = log_probs / temperature
        if config.top_k > 0:
            kth = tf.math.top_k(logits, min(config.top_k, self.model.vocab_size)).values[:, -1:]
            logits = tf.where(logits < kth, NEGATIVE, logits)
        draw_seed = tf.stack([seed, tf.cast(index * 1000 + step, tf.int64)])
        drawn = tf.random.stateless_categorical(logits, 1, seed=draw_seed, dtype=tf.int32)
        return drawn[:, 0]

    def _ban(self, log_probs, tokens, story_so_far, step):
        """Forbid impossible or blocked next tokens by setting their log-probability very low."""
        vocab, width = self.model.vocab_size, self.model.sentence_width
        never = tf.one_hot([PAD_ID, START_ID, UNK_ID], vocab, on_value=True, off_value=False)
        banned = tf.reduce_any(never, axis=0)[None, :]  # (1, vocab)
        is_end = tf.equal(tf.range(vocab), END_ID)[None, :]
        banned = banned | (is_end & tf.equal(step, 0))  # no empty sentence
        banned = banned | (~is_end & tf.equal(step, width - 1))  # the last slot is <end>
        size = self.config.no_repeat_ngram_size
        if size:
            banned = banned | self._repeated_ngrams(tokens, story_so_far, step, size)
        return tf.where(banned, NEGATIVE, log_probs)

    def _repeated_ngrams(self, tokens, story_so_far, step, size):
        """``(rows, vocab)`` True where a token would repeat an n-gram of the story so far."""
        rows = tf.shape(tokens)[0]
        context = tf.concat([story_so_far, tokens], axis=1)  # (rows, length)
        frames = tf.signal.frame(context, size, 1, axis=1)  # (rows, windows, size)
        columns = tf.maximum(step - (size - 1) + tf.range(size - 1), 0)
        prefix = tf.gather(tokens, columns, axis=1)  # (rows, size - 1): the last words written
        following = frames[:, :, -1]  # (rows, windows)
        match = tf.reduce_all(tf.equal(frames[:, :, :-1], prefix[:, None, :]), axis=-1)
        match = match & tf.not_equal(following, PAD_ID) & tf.not_equal(following, END_ID)
        match = match & (step >= size - 1)
        row_ids = tf.broadcast_to(tf.range(rows)[:, None], tf.shape(following))
        indices = tf.stack([tf.reshape(row_ids, (-1,)), tf.reshape(following, (-1,))], axis=1)
        counts = tf.scatter_nd(
            indices, tf.reshape(tf.cast(match, tf.int32), (-1,)), (rows, self.model.vocab_size)
        )
        return counts > 0

    def _choose(self, candidates, history, index):
        """The first candidate ``(batch, width)`` that is not a sentence already written."""
        if not self.config.block_repeated_sentences:
            return candidates[:, 0]
        same = tf.reduce_all(
            tf.equal(candidates[:, :, None, :], history[:, None, :, :]), axis=-1
        )  # (batch, K, photos)
        written = tf.range(tf.shape(history)[1]) < index  # (photos,)
        repeated = tf.reduce_any(same & written[None, None, :], axis=-1)  # (batch, K)
        first_new = tf.argmax(tf.cast(~repeated, tf.int32), axis=1, output_type=tf.int32)
        return tf.gather(candidates, first_new, batch_dims=1)
