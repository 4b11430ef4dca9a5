"""The compiled story search: every sentence of a story, token by token, inside one ``tf.function``.

A Python loop of ``model.predict`` calls per token is ~60x slower here (see MEASURED.md), so the
whole story -- photo encoding, each sentence's greedy / beam / sampling search, repetition blocking
and the story-state update -- is one traced graph. It drives any model that offers the
:class:`StepModel` methods (:class:`imgstory.model.architecture.StoryModelParts` does).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import operator
from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np
import tensorflow as tf

from imgstory.decoding.config import DecodingConfig
from imgstory.text.vocabulary import END_ID, PAD_ID, START_ID, UNK_ID


class _OneTracePerSearch(logging.Filter):
    """Drops TensorFlow's frequent-retracing warning about :meth:`StorySearch._decode_story`.

    Every search (one per model and decoding setting) traces its own graph once; TensorFlow
    counts the traces by the shared method's code, so comparing 8 models x decodings in the app
    logged "triggered tf.function retracing" for searches that were each traced only once.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not ("tf.function retracing" in message and "_decode_story" in message)


tf.get_logger().addFilter(_OneTracePerSearch())

NEGATIVE = -1e9  # a log-probability that never wins (finite, so sums stay free of NaN)
EMPTY = -1e10  # the score of an empty slot of the finished pool: below every hypothesis
MASK32 = 0xFFFFFFFF


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


def _mix32(value):
    """A 32-bit integer hash (bijective, good avalanche) on int64 values in ``[0, 2**32)``.

    Every product stays below 2**59, so int64 never overflows.
    """
    value = tf.bitwise.bitwise_and(
        tf.bitwise.bitwise_xor(value, tf.bitwise.right_shift(value, 16)) * 0x45D9F3B, MASK32
    )
    value = tf.bitwise.bitwise_and(
        tf.bitwise.bitwise_xor(value, tf.bitwise.right_shift(value, 16)) * 0x45D9F3B, MASK32
    )
    return tf.bitwise.bitwise_xor(value, tf.bitwise.right_shift(value, 16))


def _hash_with(state, part):
    """Fold an integer ``part`` into a 32-bit hash ``state`` (broadcasting, int64)."""
    part = tf.bitwise.bitwise_and(tf.cast(part, tf.int64), MASK32)
    return _mix32(tf.bitwise.bitwise_and(tf.bitwise.bitwise_xor(state, part) + 0x9E3779B9, MASK32))


class StorySearch:
    """A compiled search for one decoding config: ``search(features) -> (batch, n, width)`` ids.

    Build once per (model, config) and reuse; the first call traces the graph (1-3 s), later
    calls with any batch size or number of photos reuse it. ``seed``, ``temperature``, ``top_p``,
    ``length_penalty`` and ``repeat_penalty`` are graph inputs, so changing them does not retrace.
    With ``sentence_ends`` (the ids of ".", "!", "?": :class:`Storyteller` passes its
    vocabulary's), ``<end>`` may only follow one of them, so every sentence ends with its
    punctuation: VIST text has sentences without it (6% of the train text), and a model learns
    to stop after a bare word ("the rides were green"). With ``once_per_sentence`` (content
    words: :class:`Storyteller` passes its vocabulary's) and n-gram blocking on, a sentence holds
    each of those words at most once ("the fireworks were lit with fireworks"). With
    ``repeat_words`` (:class:`Storyteller` passes its vocabulary's words, punctuation left out),
    each time an earlier sentence of the story wrote one costs it ``repeat_penalty``
    log-probability: a presence penalty, as the OpenAI and Hugging Face generation options have
    one, so sentences share fewer words (RoViST non-redundancy) -- "the fireworks were lit up"
    after "the fireworks lit up the sky" becomes rarer, not impossible. With ``article_bans``
    (``article id -> ids``: :func:`imgstory.text.articles.article_bans`), a word banned after "a"
    or "an" does not follow it ("a ambulance", "a sunglasses").
    ``jit_compile=True`` compiles with XLA: ~25% faster per story here, but it compiles again
    (1-2 s) for every new (batch, photos) shape, so it pays off for long runs of one shape only.
    """

    def __init__(
        self,
        model: StepModel,
        config: DecodingConfig,
        feature_dim: int,
        jit_compile: bool = False,
        sentence_ends: Sequence[int] = (),
        once_per_sentence: Sequence[int] = (),
        repeat_words: Sequence[int] = (),
        article_bans: Mapping[int, Sequence[int]] | None = None,
    ):
        self.model = model
        self.config = config
        # ids of the tokens that end a sentence (".", "!", "?"): <end> may follow only them
        self._sentence_ends = tf.constant(list(sentence_ends), tf.int32) if sentence_ends else None
        # ids of the content words a sentence holds at most once (with n-gram blocking on)
        once = np.zeros((1, model.vocab_size), bool)
        once[0, list(once_per_sentence)] = True
        self._once = tf.constant(once) if once_per_sentence else None
        # (1, vocab) 1.0 for the words the presence penalty counts (all words, not punctuation)
        counted = np.zeros((1, model.vocab_size), np.float32)
        counted[0, list(repeat_words)] = 1.0
        self._repeat_words = tf.constant(counted) if repeat_words else None
        # the articles ("a", "an") and, per article, the words that may not follow it
        self._articles = None
        if article_bans:
            masks = np.zeros((len(article_bans), model.vocab_size), bool)  # (articles, vocab)
            for row, banned_words in enumerate(article_bans.values()):
                masks[row, list(banned_words)] = True
            self._articles = (tf.constant(list(article_bans), tf.int32), tf.constant(masks))
        self._candidates = config.candidates
        rules = np.zeros((model.sentence_width, model.vocab_size), bool)  # (step, vocab) banned
        rules[:, [PAD_ID, START_ID, UNK_ID]] = True  # never written
        rules[0, END_ID] = True  # no empty sentence
        rules[-1, :] = True  # the last slot is <end>
        rules[-1, END_ID] = False
        self._rules = rules
        signature = [
            tf.TensorSpec((None, None, feature_dim), tf.float32, name="features"),
            tf.TensorSpec((None,), tf.int64, name="keys"),
            tf.TensorSpec((), tf.int64, name="seed"),
            tf.TensorSpec((), tf.float32, name="temperature"),
            tf.TensorSpec((), tf.float32, name="top_p"),
            tf.TensorSpec((), tf.float32, name="length_penalty"),
            tf.TensorSpec((), tf.float32, name="repeat_penalty"),
        ]
        self._compiled = tf.function(
            self._decode_story, input_signature=signature, autograph=False, jit_compile=jit_compile
        )

    def __call__(
        self,
        features: np.ndarray,
        config: DecodingConfig | None = None,
        keys: np.ndarray | None = None,
    ) -> np.ndarray:
        """Decode stories for ``(batch, n_photos, feature_dim)`` features.

        Args:
            features: photo features, one row of ``n_photos`` per story.
            config: the run-time options (seed, temperature, top-p, length penalty) to use; must
                share :meth:`DecodingConfig.compiled_key` with the config this search was built
                for.
            keys: ``(batch,)`` int64 sampling keys, one per story (default: :func:`story_keys`
                of the features, so a story samples the same whatever else is in the batch).

        Returns:
            ``(batch, n_photos, width)`` int32 word ids per sentence (``<end>`` then ``<pad>``).
        """
        config = config or self.config
        if config.compiled_key() != self.config.compiled_key():
            raise ValueError("this search was compiled for another method / beam / n-gram setting")
        features = np.asarray(features, dtype=np.float32)
        if features.ndim != 3 or features.shape[1] < 1:
            raise ValueError(f"features must be (batch, n_photos, dim), got {features.shape}")
        keys = story_keys(features) if keys is None else np.asarray(keys, dtype=np.int64)
        if keys.shape != features.shape[:1]:
            raise ValueError(f"keys must be one per story ({features.shape[0]},), got {keys.shape}")
        tokens = self._compiled(
            tf.constant(features),
            tf.constant(keys),
            tf.constant(config.seed, tf.int64),
            tf.constant(config.temperature, tf.float32),
            tf.constant(config.top_p, tf.float32),
            tf.constant(config.length_penalty, tf.float32),
            tf.constant(config.repeat_penalty, tf.float32),
        )
        return tokens.numpy()

    # -- the graph -------------------------------------------------------------------------

    def _decode_story(
        self, features, keys, seed, temperature, top_p, length_penalty, repeat_penalty
    ):
        model = self.model
        batch, photos = tf.shape(features)[0], tf.shape(features)[1]
        width = model.sentence_width
        encodings = model.encode_photos(features)  # (batch, photos, encoding)
        story_state = model.initial_story_state(batch)
        story_output, story_state = model.story_step(
            tf.zeros((batch, model.hidden_size)), story_state
        )  # (batch, hidden): the story before its first sentence
        history = tf.fill((batch, photos, width), PAD_ID)  # (batch, photos, width)
        story_hash = _mix32(tf.bitwise.bitwise_and(seed, MASK32))
        story_hash = _hash_with(story_hash, tf.bitwise.right_shift(seed, 32))
        story_hash = _hash_with(_hash_with(story_hash, keys), tf.bitwise.right_shift(keys, 32))
        # story_hash: (batch,), from the seed and each story's key

        def tell_one(index, history, story_output, story_state):
            memory, states = model.start_sentence(encodings[:, index], story_output)
            penalty = self._presence_penalty(history, repeat_penalty)  # (batch, vocab) or 0
            if self.config.method == "beam":
                candidates = self._beam_search(
                    memory, states, history, index, length_penalty, penalty
                )
                forced = tf.zeros(tf.shape(candidates)[:2], tf.bool)
            else:
                candidates, forced = self._greedy_or_sample(
                    memory, states, history, index, story_hash, temperature, top_p, penalty
                )  # (batch, candidates, width), (batch, candidates)
            chosen = self._choose(candidates, forced, history, index)  # (batch, width)
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

    def _presence_penalty(self, history, repeat_penalty):
        """``(batch, vocab)``: what each of ``repeat_words`` loses for the times the story's
        earlier sentences wrote it (``repeat_penalty`` per time); 0.0 without such words."""
        if self._repeat_words is None:
            return tf.constant(0.0)
        vocab = self.model.vocab_size
        written = tf.reshape(history, (tf.shape(history)[0], -1))  # (batch, photos * width)
        counts = tf.math.bincount(
            written, minlength=vocab, maxlength=vocab, axis=-1, dtype=tf.float32
        )  # (batch, vocab)
        return repeat_penalty * counts * self._repeat_words

    def _rows(self, memory, states, history, index):
        """Per-candidate copies of a sentence's inputs, and what repeat blocking needs.

        Returns memory (``(rows, hidden)``, or the model's tuple of such rows), states, the
        story so far ``(rows, photos * width)``, the sentences ``(rows, photos, width)``,
        ``matching`` ``(rows, photos)`` (the written ones: those the sentence so far still
        equals word for word), and ``ban_step`` / ``ban_token`` ``(rows, photos)``: the step and
        token that would complete each one -- its ``<end>``, or, for one that fills the width,
        its last word (the width's last slot can only be ``<end>``).
        """
        count, width = self._candidates, self.model.sentence_width
        batch, photos = tf.shape(history)[0], tf.shape(history)[1]
        memory = tf.nest.map_structure(lambda m: tf.repeat(m, count, axis=0), memory)
        states = tf.nest.map_structure(lambda s: tf.repeat(s, count, axis=0), states)
        written = tf.repeat(history, count, axis=0)  # (rows, photos, width)
        story_so_far = tf.reshape(written, (batch * count, -1))  # (rows, photos * width)
        matching = tf.broadcast_to(tf.range(photos) < index, (batch * count, photos))
        words = tf.argmax(tf.cast(tf.equal(written, END_ID), tf.int32), -1, output_type=tf.int32)
        full = words >= width - 1  # (rows, photos)
        ban_step = tf.where(full, width - 2, words)
        ban_token = tf.where(full, written[:, :, width - 2], END_ID)
        return memory, states, story_so_far, written, (matching, ban_step, ban_token)

    def _greedy_or_sample(
        self, memory, states, history, index, story_hash, temperature, top_p, penalty
    ):
        """Greedy or sampled candidates ``(batch, K, width)`` and ``(batch, K)`` flags: True where
        blocking a repeated sentence changed that candidate (the others are preferred)."""
        model, count = self.model, self._candidates
        width = model.sentence_width
        batch = tf.shape(tf.nest.flatten(memory)[0])[0]
        rows = batch * count
        memory, states, story_so_far, written, (matching, ban_step, ban_token) = self._rows(
            memory, states, history, index
        )
        penalty = self._per_row(penalty)  # (rows, vocab) or 0
        row_hash = None
        if self.config.method == "sample":  # (rows,): seed, story, sentence, candidate
            row_hash = _hash_with(
                _hash_with(tf.repeat(story_hash, count), index), tf.range(rows) % count
            )
        tokens = tf.fill((rows, width), PAD_ID)  # (rows, width)
        finished = tf.zeros((rows,), tf.bool)
        forced = tf.zeros((rows,), tf.bool)
        last = tf.fill((rows,), START_ID)

        def step_once(step, tokens, last, finished, forced, matching, states):
            logits, new_states = model.decoder_step(last, memory, states)  # (rows, vocab)
            log_probs = tf.nn.log_softmax(logits) - penalty
            banned, rules = self._banned(tokens, story_so_far, step)
            repeats = None  # (rows, photos) written sentences the next token would complete
            if self.config.block_repeated_sentences:
                repeats = (matching & tf.equal(ban_step, step), ban_token, rules)
            if self.config.method == "greedy":
                natural, token = self._greedy_pick(log_probs, banned, repeats, step, rows)
            else:
                noise_hash = _hash_with(row_hash, step)
                natural, token = self._sample_pick(
                    log_probs, banned, repeats, noise_hash, temperature, top_p
                )
            token = tf.where(finished, PAD_ID, token)  # candidates keep their order
            tokens = tf.where(tf.equal(tf.range(width), step)[None, :], token[:, None], tokens)
            if self.config.block_repeated_sentences:
                forced = forced | (~finished & tf.not_equal(natural, token))
                matching = matching & tf.equal(written[:, :, step], token[:, None])
            finished = finished | tf.equal(token, END_ID)
            return step + 1, tokens, token, finished, forced, matching, new_states

        def running(step, tokens, last, finished, *_):
            return tf.logical_and(step < width, ~tf.reduce_all(finished))

        _, tokens, _, _, forced, _, _ = tf.while_loop(
            running,
            step_once,
            (tf.constant(0), tokens, last, finished, forced, matching, states),
            maximum_iterations=width,
        )
        return tf.reshape(tokens, (batch, count, width)), tf.reshape(forced, (batch, count))

    def _beam_search(self, memory, states, history, index, length_penalty, penalty):
        """Beam search for one photo: the ``K`` best finished sentences ``(batch, K, width)``.

        As fairseq / Hugging Face do: each step ranks ``2K`` continuations of the ``K`` live
        beams; one that ends (``<end>`` among the best ``K``) moves to a finished pool scored by
        ``log-probability / ((5 + length) / 6) ** length_penalty``, and the best ``K`` that go on
        stay live. The search stops when no live beam can beat the pool's worst, or at the
        width (whose last slot is ``<end>``, so every live beam has finished by then).
        """
        model, count = self.model, self._candidates
        vocab, width = model.vocab_size, model.sentence_width
        batch = tf.shape(tf.nest.flatten(memory)[0])[0]
        rows = batch * count
        memory, states, story_so_far, written, (matching, ban_step, ban_token) = self._rows(
            memory, states, history, index
        )
        penalty = self._per_row(penalty)  # (rows, vocab) or 0
        first = tf.one_hot(0, count, on_value=0.0, off_value=NEGATIVE)
        scores = tf.reshape(tf.tile(first[None, :], (batch, 1)), (-1,))  # (rows,): beam 0 live
        tokens = tf.fill((rows, width), PAD_ID)  # (rows, width)
        last = tf.fill((rows,), START_ID)
        pool_tokens = tf.fill((batch, count, width), PAD_ID)  # (batch, K, width) finished
        pool_scores = tf.fill((batch, count), EMPTY)  # (batch, K), best first
        offsets = tf.range(batch)[:, None] * count  # (batch, 1): a story's first row
        top_ranked = tf.range(2 * count)[None, :] < count  # (1, 2K)
        lengths = tf.range(1, width + 1, dtype=tf.float32)  # a sentence ending at step s: s + 1
        penalties = tf.pow((5.0 + lengths) / 6.0, length_penalty)  # (width,)

        def step_once(step, tokens, last, scores, matching, pool_tokens, pool_scores, states):
            logits, new_states = model.decoder_step(last, memory, states)  # (rows, vocab)
            log_probs = tf.nn.log_softmax(logits) - penalty
            banned, rules = self._banned(tokens, story_so_far, step)
            allowed = tf.where(banned, NEGATIVE, log_probs)
            if self.config.block_repeated_sentences:
                hits = matching & tf.equal(ban_step, step)
                allowed = tf.cond(
                    tf.reduce_any(hits),
                    lambda: self._block_repeats(log_probs, allowed, (hits, ban_token, rules))[0],
                    lambda: allowed,
                )
            total = tf.reshape(scores[:, None] + allowed, (batch, count * vocab))
            found, flat_index = tf.math.top_k(total, 2 * count)  # (batch, 2K), best first
            source = flat_index // vocab + offsets  # (batch, 2K): the row each one continues
            token = flat_index % vocab  # (batch, 2K)
            grown = tf.where(
                tf.equal(tf.range(width), step)[None, None, :],
                token[:, :, None],
                tf.gather(tokens, source),
            )  # (batch, 2K, width)
            ends = tf.equal(token, END_ID)
            finishing = tf.where(ends & top_ranked, found / penalties[step], EMPTY)
            pool_scores, kept = tf.math.top_k(tf.concat([pool_scores, finishing], 1), count)
            pool_tokens = tf.gather(tf.concat([pool_tokens, grown], 1), kept, batch_dims=1)
            scores, alive = tf.math.top_k(tf.where(ends, EMPTY, found), count)  # (batch, K)
            source = tf.reshape(tf.gather(source, alive, batch_dims=1), (-1,))  # (rows,)
            token = tf.reshape(tf.gather(token, alive, batch_dims=1), (-1,))  # (rows,)
            tokens = tf.reshape(tf.gather(grown, alive, batch_dims=1), (rows, width))
            new_states = tf.nest.map_structure(lambda s: tf.gather(s, source), new_states)
            if self.config.block_repeated_sentences:
                matching = tf.gather(matching, source) & tf.equal(
                    written[:, :, step], token[:, None]
                )
            scores = tf.reshape(scores, (-1,))
            return step + 1, tokens, token, scores, matching, pool_tokens, pool_scores, new_states

        def running(step, tokens, last, scores, matching, pool_tokens, pool_scores, states):
            # a live beam only loses log-probability, so the best it can still reach is its
            # score now over the most favourable penalty of a length still to come
            best = tf.reduce_max(tf.reshape(scores, (batch, count)), axis=1)  # (batch,)
            soonest = penalties[tf.minimum(step, width - 1)]
            reachable = tf.maximum(best / soonest, best / penalties[-1])
            settled = pool_scores[:, -1] >= reachable  # pool full and out of reach
            return tf.logical_and(step < width, ~tf.reduce_all(settled))

        _, tokens, _, scores, _, pool_tokens, pool_scores, _ = tf.while_loop(
            running,
            step_once,
            (tf.constant(0), tokens, last, scores, matching, pool_tokens, pool_scores, states),
            maximum_iterations=width,
        )
        # an empty slot (fewer than K sentences could finish) repeats the best finished one;
        # live beams count only where nothing finished at all
        filled = pool_scores > EMPTY  # (batch, K)
        best = tf.where(
            filled[:, :1, None],
            pool_tokens[:, :1],
            tf.reshape(tokens, (batch, count, width))[:, :1],
        )
        return tf.where(filled[:, :, None], pool_tokens, best)

    def _per_row(self, penalty):
        """A story's ``(batch, vocab)`` penalty repeated for each of its candidate rows."""
        return penalty if penalty.shape.rank == 0 else tf.repeat(penalty, self._candidates, 0)

    def _greedy_pick(self, log_probs, banned, repeats, step, rows):
        """Greedy next tokens ``(rows,)``: without and with sentence-repeat blocking."""
        count = self._candidates

        def pick(scores):
            token = tf.argmax(scores, axis=-1, output_type=tf.int32)
            if count == 1:
                return token
            # candidate r starts with the (r+1)-th likeliest first word, then goes greedy
            _, ranked = tf.math.top_k(scores, count)  # (rows, count)
            first = tf.gather(ranked, tf.range(rows) % count, batch_dims=1)
            return tf.where(tf.equal(step, 0), first, token)

        allowed = tf.where(banned, NEGATIVE, log_probs)
        natural = pick(allowed)
        if not self.config.block_repeated_sentences:
            return natural, natural
        token = tf.cond(
            tf.reduce_any(repeats[0]),
            lambda: pick(self._block_repeats(log_probs, allowed, repeats)[0]),
            lambda: natural,
        )
        return natural, token

    def _sample_pick(self, log_probs, banned, repeats, noise_hash, temperature, top_p):
        """Sampled next tokens ``(rows,)``: without and with sentence-repeat blocking.

        Gumbel-max with noise hashed from (seed, story, sentence, candidate, step, word), so the
        draws of a story never depend on the other rows of the batch. A blocked token is drawn
        around (the same noise over the other kept words); only where every kept word is
        blocked are the filters applied again without it.
        """
        vocab = self.model.vocab_size
        word_hash = _hash_with(noise_hash[:, None], tf.range(vocab)[None, :])  # (rows, vocab)
        uniform = (tf.cast(tf.bitwise.right_shift(word_hash, 8), tf.float32) + 0.5) / 2.0**24
        noise = -tf.math.log(-tf.math.log(uniform))  # Gumbel(0, 1), within [-2.9, 17.4]
        allowed = tf.where(banned, NEGATIVE, log_probs)
        logits = allowed / temperature
        kept = self._kept(logits, top_p)  # (rows, vocab)
        natural = tf.argmax(tf.where(kept, logits, NEGATIVE) + noise, -1, output_type=tf.int32)
        if not self.config.block_repeated_sentences:
            return natural, natural

        def around_repeats():
            blocked, ban = self._block_repeats(log_probs, allowed, repeats)
            around = kept & ~ban
            token = tf.argmax(tf.where(around, logits, NEGATIVE) + noise, -1, tf.int32)
            blocked = blocked / temperature
            again = tf.where(self._kept(blocked, top_p), blocked, NEGATIVE) + noise
            stuck = ~tf.reduce_any(around, axis=-1)  # (rows,): every kept word was blocked
            return tf.where(stuck, tf.argmax(again, -1, output_type=tf.int32), token)

        token = tf.cond(tf.reduce_any(repeats[0]), around_repeats, lambda: natural)
        return natural, token

    def _kept(self, logits, top_p):
        """``(rows, vocab)`` True for the words top-k and top-p (nucleus) let through."""
        config, vocab = self.config, self.model.vocab_size
        if config.top_k == 0 and not config.nucleus:
            return tf.ones_like(logits, tf.bool)
        size = min(config.top_k, vocab) if config.top_k > 0 else vocab
        best = tf.math.top_k(logits, size).values  # (rows, size), best first
        if not config.nucleus:
            return logits >= best[:, -1:]
        probabilities = tf.nn.softmax(best)
        before = tf.math.cumsum(probabilities, axis=-1, exclusive=True)
        inside = before < top_p  # the likeliest word is always inside
        cutoff = tf.reduce_min(tf.where(inside, best, np.inf), axis=-1, keepdims=True)
        return logits >= cutoff

    def _banned(self, tokens, story_so_far, step):
        """``(rows or 1, vocab)`` forbidden next tokens: the rules, the repeated n-grams and the
        word just written and a content word already in the sentence (with n-gram blocking on),
        ``<end>`` straight after a word (with sentence ends given); and the rules alone
        (``<pad>``/``<start>``/``<unk>`` never, no empty sentence, the last slot is ``<end>``)."""
        rules = tf.gather(tf.constant(self._rules), step)[None, :]  # (1, vocab)
        vocab = self.model.vocab_size
        previous = tf.gather(tokens, tf.maximum(step - 1, 0), axis=1)  # (rows,): last word
        soft = []  # bans that give way where they would leave no word at all
        size = self.config.no_repeat_ngram_size
        if size:
            soft.append(self._repeated_ngrams(tokens, story_so_far, step, size))  # (rows, vocab)
            soft.append(tf.one_hot(previous, vocab, True, False) & (step > 0))  # "plastic plastic"
            if self._once is not None:  # "the fireworks were lit with fireworks"
                used = tf.reduce_any(tf.one_hot(tokens, vocab, True, False), axis=1)  # (rows, v)
                soft.append(used & self._once)
        if self._articles is not None:  # "a ambulance", "a sunglasses"
            articles, masks = self._articles
            after = tf.equal(previous[:, None], articles[None, :]) & (step > 0)  # (rows, arts)
            soft.append(tf.reduce_any(after[:, :, None] & masks[None, :, :], axis=1))
        if self._sentence_ends is not None:  # a sentence ends with its punctuation
            finished = tf.reduce_any(tf.equal(previous[:, None], self._sentence_ends), axis=1)
            soft.append(tf.one_hot(END_ID, vocab, True, False)[None, :] & ~finished[:, None])
        if not soft:
            return rules, rules
        banned = functools.reduce(operator.or_, soft)  # (rows, vocab)
        hopeless = tf.reduce_all(rules | banned, axis=-1, keepdims=True)
        return rules | (banned & ~hopeless), rules

    def _block_repeats(self, log_probs, allowed, repeats):
        """``allowed`` ``(rows, vocab)`` log-probabilities with the tokens that would complete a
        written sentence forbidden too, and those tokens; n-gram bans give way where nothing
        would be left (the rules and this blocking never do)."""
        hits, ban_token, rules = repeats  # (rows, photos), (rows, photos), (1, vocab)
        ban = tf.reduce_any(
            tf.one_hot(tf.where(hits, ban_token, -1), self.model.vocab_size, True, False), axis=1
        )  # (rows, vocab)
        blocked = tf.where(ban, NEGATIVE, allowed)
        if self.config.no_repeat_ngram_size:
            empty = tf.reduce_all(blocked <= NEGATIVE, axis=-1, keepdims=True)
            blocked = tf.where(empty, tf.where(rules | ban, NEGATIVE, log_probs), blocked)
        return blocked, ban

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

    def _choose(self, candidates, forced, history, index):
        """The candidate ``(batch, width)`` to write: the first that is not a sentence already
        written (the search never ends one) and was not bent by that blocking, if any is."""
        if not self.config.block_repeated_sentences:
            return candidates[:, 0]
        same = tf.reduce_all(
            tf.equal(candidates[:, :, None, :], history[:, None, :, :]), axis=-1
        )  # (batch, K, photos)
        written = tf.range(tf.shape(history)[1]) < index  # (photos,)
        repeated = tf.reduce_any(same & written[None, None, :], axis=-1)  # (batch, K)
        preference = tf.where(repeated, 0, 2) + tf.where(forced, 0, 1)  # (batch, K)
        best = tf.argmax(preference, axis=1, output_type=tf.int32)  # the first of the best
        return tf.gather(candidates, best, batch_dims=1)
