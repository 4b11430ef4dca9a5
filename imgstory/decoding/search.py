"""The compiled story search: every sentence of a story, token by token, inside one ``tf.function``.

A Python loop of ``model.predict`` calls per token is 35-60x slower here (benchmarks/bench_model.py
times both), so the whole story -- photo encoding, each sentence's greedy / beam / sampling
search, repetition blocking and the story-state update -- is one traced graph. It drives any model
that offers the :class:`StepModel` methods (:class:`imgstory.model.architecture.StoryModelParts`
does).

The scheme: candidates, bans, forced, choose
--------------------------------------------
**Candidates.** Each photo's sentence is searched as ``K`` candidates side by side, one row each
(``rows = batch * K``; story ``b`` holds rows ``b*K .. b*K+K-1``), all conditioned on the story
so far (:attr:`DecodingConfig.candidates`):

- beam search: ``K = beam_size``; the candidates are the ``K`` best finished sentences, best
  first (:meth:`StorySearch._beam_search`);
- greedy: ``K = 3`` with ``block_repeated_sentences``, else 1; candidate ``r`` starts with the
  ``(r+1)``-th likeliest first word, then takes the likeliest word at each step;
- sampling: ``K`` as greedy; candidate ``r`` draws its own words (its noise is keyed by ``r``:
  :mod:`imgstory.decoding.keyed_random`).

**Bans** (:meth:`StorySearch._banned`). The *rules* always hold: never ``<pad>`` / ``<start>`` /
``<unk>``, no empty sentence, the last slot is ``<end>``. The *soft* bans -- with n-gram blocking
on, a repeated n-gram of the story, a word straight after itself and a content word twice in a
sentence; a word that disagrees with the article before it; ``<end>`` not after ". ! ?", and
only ". ! ?" (or ``<end>`` after one) in the slot before the last -- give
way in a row where they would leave no word at all. The presence penalty is no ban: it lowers the
log-probability of the words earlier sentences wrote (:meth:`StorySearch._presence_penalty`); nor
is the sentence length aimed at: the punctuation that ends a sentence loses log-probability while
the sentence is shorter than its aim and gains it past the aim (:meth:`StorySearch._aim`,
:meth:`StorySearch._length_bias`).

**Repeated sentences** (``block_repeated_sentences``). Each row tracks the written sentences it
still equals word for word (``matching``); at the step where one of them would be completed (the
step of its ``<end>``, or of its last word when it fills the width), the completing token is
banned (:meth:`StorySearch._block_repeats`: the rules and this ban never give way, the soft bans
do where nothing would be left). Greedy and sampling pick each row's word both with and without
this ban and go on with the banned pick; a row whose word the ban ever changed is **forced**: it
went where its model would not have. Beam search only scores with the ban, so it never forces.

**Choose** (:meth:`StorySearch._choose`). One candidate per story is written: without blocking,
the first; with it, the first that neither repeats a written sentence nor was forced, else the
first that does not repeat, else the first that was not forced, else the first.
"""

from __future__ import annotations

import functools
import logging
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple, Protocol, TypeVar

import numpy as np
import tensorflow as tf

from imgstory.decoding import keyed_random
from imgstory.decoding.config import LENGTH_SLOPE, DecodingConfig
from imgstory.decoding.keyed_random import story_keys
from imgstory.text.vocabulary import END_ID, PAD_ID, START_ID, UNK_ID

__all__ = ["EMPTY", "NEGATIVE", "StepModel", "StorySearch", "story_keys"]


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


class StepModel(Protocol):
    """What the search needs from a storyteller (all tensors; see StoryModelParts)."""

    vocab_size: int
    sentence_width: int
    hidden_size: int

    def encode_photos(self, features: tf.Tensor) -> tf.Tensor: ...

    def initial_story_state(self, batch: tf.Tensor) -> list[tf.Tensor]: ...

    def story_step(self, sentence_vector, state): ...

    def start_sentence(self, photo_encoding, story_output): ...

    def decoder_step(self, tokens, memory, states, copy_weight=None): ...

    def encode_sentence(self, tokens: tf.Tensor) -> tf.Tensor: ...


# -- what the graph carries: loop states and per-sentence inputs, named ---------------------


class RunInputs(NamedTuple):
    """The graph inputs a sentence search reads besides the features (no retrace on change)."""

    story_hashes: tf.Tensor  # (batch,) int64: keyed_random.story_hashes of seed and story keys
    temperature: tf.Tensor  # () float32, sampling
    top_p: tf.Tensor  # () float32, sampling
    length_penalty: tf.Tensor  # () float32, beam
    repeat_penalty: tf.Tensor  # () float32: the presence penalty per earlier use of a word
    end_penalty: tf.Tensor  # () float32: what a sentence's ending punctuation loses each step
    copy_weight: tf.Tensor  # () float32: copying a term against the vocabulary (1 = as trained)
    sentence_length: tf.Tensor  # () float32: tokens a sentence aims at on average (0 = no aim)


class StoryLoop(NamedTuple):
    """The state of the loop over a story's photos (one sentence per iteration)."""

    index: tf.Tensor  # () int32: the photo whose sentence comes next
    history: tf.Tensor  # (batch, photos, width) int32: the sentences written, <pad> after
    story_output: tf.Tensor  # (batch, hidden): the story encoder's output so far
    story_state: Any  # the story encoder's states, (batch, hidden) each


class SentenceRows(NamedTuple):
    """One sentence's inputs copied for its ``K`` candidate rows, and what blocking needs.

    ``matching`` is where each row starts: the written sentences (those before the current
    photo) which the empty sentence still equals. ``ban_step`` / ``ban_token`` say how each
    written sentence would be completed: its ``<end>`` at its length, or, for one that fills the
    width, its last word at ``width - 2`` (the width's last slot can only be ``<end>``).
    """

    memory: Any  # (rows, hidden), or the model's nest of such tensors
    states: Any  # the decoder's states, (rows, hidden) each
    story_so_far: tf.Tensor  # (rows, photos * width) int32: the written sentences end to end
    written: tf.Tensor  # (rows, photos, width) int32: the same, one sentence per photo
    matching: tf.Tensor  # (rows, photos) bool
    ban_step: tf.Tensor  # (rows, photos) int32
    ban_token: tf.Tensor  # (rows, photos) int32
    penalty: tf.Tensor  # (rows, vocab) float32 presence and end penalties, or a () 0.0 without
    copy_weight: tf.Tensor  # () float32: RunInputs.copy_weight
    aim: tf.Tensor  # (rows,) float32: the tokens this sentence aims at (0 = no aim)


class Completing(NamedTuple):
    """One step's repeat blocking: the written sentences the next token would complete."""

    hits: tf.Tensor  # (rows, photos) bool: still matching, and completed at this step
    tokens: tf.Tensor  # (rows, photos) int32: the token that would complete each
    rules: tf.Tensor  # (1, vocab) bool: this step's rules (they never give way)


class StepScores(NamedTuple):
    """One decoder step over all rows: its scores with and without the bans, the states after."""

    log_probs: tf.Tensor  # (rows, vocab): log-softmax less the presence, end and length terms
    allowed: tf.Tensor  # (rows, vocab): log_probs with the rules and soft bans at NEGATIVE
    completing: Completing | None  # None without repeated-sentence blocking
    states: Any  # the decoder's states after this step


class PickLoop(NamedTuple):
    """The state of greedy or sampled decoding of one sentence's candidates."""

    step: tf.Tensor  # () int32: the slot written next
    tokens: tf.Tensor  # (rows, width) int32: the words so far, <pad> after
    last: tf.Tensor  # (rows,) int32: the word just written (<start> before the first)
    finished: tf.Tensor  # (rows,) bool: wrote <end>
    forced: tf.Tensor  # (rows,) bool: repeat blocking changed one of its words
    matching: tf.Tensor  # (rows, photos) bool: written sentences the row still equals
    states: Any  # the decoder's states, (rows, hidden) each


class BeamLoop(NamedTuple):
    """The state of beam search for one sentence: ``K`` live beams and ``K`` finished."""

    step: tf.Tensor  # () int32: the slot written next
    tokens: tf.Tensor  # (rows, width) int32: the live beams, <pad> after
    last: tf.Tensor  # (rows,) int32: each live beam's last word
    scores: tf.Tensor  # (rows,) float32: each live beam's total log-probability
    matching: tf.Tensor  # (rows, photos) bool: written sentences the beam still equals
    pool_tokens: tf.Tensor  # (batch, K, width) int32: finished sentences, best first
    pool_scores: tf.Tensor  # (batch, K) float32: their length-penalised scores (EMPTY: none)
    states: Any  # the decoder's states, (rows, hidden) each


#: greedy or sampled word choice: ``(scores, step) -> (natural, token)``, ``(rows,)`` int32 each
Pick = Callable[[StepScores, tf.Tensor], tuple[tf.Tensor, tf.Tensor]]
_State = TypeVar("_State", bound=tuple)


def _while(
    running: Callable[[_State], tf.Tensor],
    step: Callable[[_State], _State],
    start: _State,
    maximum_iterations: int | None = None,
) -> _State:
    """``tf.while_loop`` over one NamedTuple state: ``running(state)``, ``step(state) -> state``.

    The state's fields travel as the loop variables (tf.nest flattens the NamedTuple).
    """
    (final,) = tf.while_loop(
        running, lambda state: (step(state),), (start,), maximum_iterations=maximum_iterations
    )
    return final


class StorySearch:
    """A compiled search for one decoding config: ``search(features) -> (batch, n, width)`` ids.

    Build once per (model, config) and reuse; the first call traces the graph (1-3 s), later
    calls with any batch size or number of photos reuse it. ``seed``, ``temperature``, ``top_p``,
    ``length_penalty``, ``repeat_penalty``, ``end_penalty`` and ``copy_weight`` are graph inputs,
    so changing them does not retrace. ``copy_weight`` reaches the model's decoder step: a model
    that copies terms weighs copying against its vocabulary by it (1.0 = as trained); others
    ignore it.
    With ``sentence_ends`` (the ids of ".", "!", "?": :class:`Storyteller` passes its
    vocabulary's), ``<end>`` may only follow one of them, so every sentence ends with its
    punctuation: VIST text has sentences without it (6% of the train text), and a model learns
    to stop after a bare word ("the rides were green"); one that runs to the width has one in the
    slot before its last; and those ids lose ``end_penalty`` log-probability at every step, so a
    sentence ends only where the model is clearly done (a logit bias, as the OpenAI and Hugging
    Face generation options allow on any token). With ``once_per_sentence`` (content
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
    The module docstring states how candidates, bans, forcing and the choice fit together.
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
        ending = np.zeros((1, model.vocab_size), bool)  # (1, vocab): those tokens
        ending[0, list(sentence_ends)] = True
        # 1.0 for them: what end_penalty is taken from
        self._ending = tf.constant(ending.astype(np.float32)) if sentence_ends else None
        # the slot before a sentence's last takes one of them, or <end> after one: not these
        ending[0, END_ID] = True
        self._not_closing = tf.constant(~ending) if sentence_ends else None
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
            tf.TensorSpec((), tf.float32, name="end_penalty"),
            tf.TensorSpec((), tf.float32, name="copy_weight"),
            tf.TensorSpec((), tf.float32, name="sentence_length"),
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
            tf.constant(config.end_penalty, tf.float32),
            tf.constant(config.copy_weight, tf.float32),
            tf.constant(config.sentence_length, tf.float32),
        )
        return tokens.numpy()

    # -- the story: one sentence per photo ---------------------------------------------------

    def _decode_story(
        self,
        features: tf.Tensor,
        keys: tf.Tensor,
        seed: tf.Tensor,
        temperature: tf.Tensor,
        top_p: tf.Tensor,
        length_penalty: tf.Tensor,
        repeat_penalty: tf.Tensor,
        end_penalty: tf.Tensor,
        copy_weight: tf.Tensor,
        sentence_length: tf.Tensor,
    ) -> tf.Tensor:
        """The traced graph: ``(batch, photos, width)`` int32 ids of every story's sentences."""
        model = self.model
        batch, photos = tf.shape(features)[0], tf.shape(features)[1]
        encodings = model.encode_photos(features)  # (batch, photos, encoding)
        story_state = model.initial_story_state(batch)
        story_output, story_state = model.story_step(
            tf.zeros((batch, model.hidden_size)), story_state
        )  # (batch, hidden): the story before its first sentence
        history = tf.fill((batch, photos, model.sentence_width), PAD_ID)  # (batch, photos, width)
        run = RunInputs(
            keyed_random.story_hashes(seed, keys),  # (batch,)
            temperature,
            top_p,
            length_penalty,
            repeat_penalty,
            end_penalty,
            copy_weight,
            sentence_length,
        )
        start = StoryLoop(tf.constant(0), history, story_output, story_state)
        told = _while(
            lambda story: story.index < photos,
            functools.partial(self._tell_sentence, encodings=encodings, run=run),
            start,
        )
        return told.history

    def _tell_sentence(self, story: StoryLoop, encodings: tf.Tensor, run: RunInputs) -> StoryLoop:
        """Search, choose and write photo ``story.index``'s sentence; update the story state."""
        model, index, history = self.model, story.index, story.history
        memory, states = model.start_sentence(encodings[:, index], story.story_output)
        penalty = self._word_penalties(history, run)  # (batch, vocab) or 0
        rows = self._rows(memory, states, history, index, penalty, run)
        if self.config.method == "beam":
            candidates = self._beam_search(rows, run.length_penalty)
            forced = tf.zeros(tf.shape(candidates)[:2], tf.bool)
        else:
            candidates, forced = self._greedy_or_sample(rows, index, run)
        # candidates: (batch, K, width), forced: (batch, K)
        chosen = self._choose(candidates, forced, history, index)  # (batch, width)
        written = tf.equal(tf.range(tf.shape(history)[1]), index)[None, :, None]  # (1, photos, 1)
        history = tf.where(written, chosen[:, None, :], history)
        story_output, story_state = model.story_step(
            model.encode_sentence(chosen), story.story_state
        )
        return StoryLoop(index + 1, history, story_output, story_state)

    def _word_penalties(self, history: tf.Tensor, run: RunInputs) -> tf.Tensor:
        """``(batch, vocab)``: what each word loses at every step of the next sentence: the
        presence penalty and, for the sentence-ending punctuation, ``end_penalty``; 0.0 when
        neither applies."""
        penalty = self._presence_penalty(history, run.repeat_penalty)  # (batch, vocab) or ()
        if self._ending is None:
            return penalty
        ending = run.end_penalty * self._ending  # (1, vocab)
        return penalty + tf.broadcast_to(ending, (tf.shape(history)[0], self.model.vocab_size))

    def _presence_penalty(self, history: tf.Tensor, repeat_penalty: tf.Tensor) -> tf.Tensor:
        """``(batch, vocab)``: what each of ``repeat_words`` loses for the times the story's
        earlier sentences wrote it (``repeat_penalty`` per time); 0.0 without such words."""
        if self._repeat_words is None:
            return tf.constant(0.0)
        batch = tf.shape(history)[0]
        written = tf.reshape(history, (batch, -1))  # (batch, photos * width)
        story = tf.broadcast_to(tf.range(batch)[:, None], tf.shape(written))  # its story's row
        indices = tf.stack([tf.reshape(story, (-1,)), tf.reshape(written, (-1,))], axis=1)
        counts = tf.scatter_nd(  # summed per (story, word); XLA compiles it, not bincount
            indices, tf.ones(tf.shape(indices)[:1], tf.float32), (batch, self.model.vocab_size)
        )  # (batch, vocab)
        return repeat_penalty * counts * self._repeat_words

    def _rows(
        self,
        memory: Any,
        states: Any,
        history: tf.Tensor,
        index: tf.Tensor,
        penalty: tf.Tensor,
        run: RunInputs,
    ) -> SentenceRows:
        """Each story's sentence inputs repeated for its ``K`` candidate rows (see
        :class:`SentenceRows`)."""
        count, width = self._candidates, self.model.sentence_width
        batch, photos = tf.shape(history)[0], tf.shape(history)[1]
        memory = tf.nest.map_structure(lambda m: tf.repeat(m, count, axis=0), memory)
        states = tf.nest.map_structure(lambda s: tf.repeat(s, count, axis=0), states)
        written = tf.repeat(history, count, axis=0)  # (rows, photos, width)
        story_so_far = tf.reshape(written, (batch * count, -1))  # (rows, photos * width)
        matching = tf.broadcast_to(tf.range(photos) < index, (batch * count, photos))
        # (rows, photos): each written sentence's tokens, the slot of its <end> (0: still to come)
        words = tf.argmax(tf.cast(tf.equal(written, END_ID), tf.int32), -1, output_type=tf.int32)
        full = words >= width - 1  # (rows, photos)
        ban_step = tf.where(full, width - 2, words)
        ban_token = tf.where(full, written[:, :, width - 2], END_ID)
        if penalty.shape.rank:  # (batch, vocab) -> (rows, vocab)
            penalty = tf.repeat(penalty, count, 0)
        aim = self._aim(tf.reduce_sum(words, 1), photos, index, run.sentence_length)  # (rows,)
        return SentenceRows(
            memory,
            states,
            story_so_far,
            written,
            matching,
            ban_step,
            ban_token,
            penalty,
            run.copy_weight,
            aim,
        )

    def _aim(
        self, written: tf.Tensor, photos: tf.Tensor, index: tf.Tensor, sentence_length: tf.Tensor
    ) -> tf.Tensor:
        """``(rows,)``: the tokens photo ``index``'s sentence aims at, given the tokens each row's
        story has ``written`` so far: what is left of the story's ``sentence_length * photos``
        over the photos left, kept between half of ``sentence_length`` and the width; 0 when
        ``sentence_length`` is 0 (no aim)."""
        photos = tf.cast(photos, tf.float32)
        left = photos - tf.cast(index, tf.float32)
        aim = (sentence_length * photos - tf.cast(written, tf.float32)) / left
        # at most the width, also where half of sentence_length would be more (a narrow model)
        aim = tf.minimum(tf.maximum(aim, sentence_length / 2), self.model.sentence_width - 1.0)
        return tf.where(sentence_length > 0, aim, 0.0)

    def _length_bias(self, aim: tf.Tensor, step: tf.Tensor) -> tf.Tensor:
        """``(rows, vocab)``: what the sentence-ending punctuation loses at ``step`` (a sentence
        ending there has ``step + 1`` tokens): ``LENGTH_SLOPE`` per token short of the row's
        ``aim``, a gain past it; 0.0 for rows without an aim or a model without those tokens."""
        if self._ending is None:
            return tf.constant(0.0)
        short = aim - tf.cast(step + 1, tf.float32)  # (rows,) tokens short of the aim
        bias = tf.where(aim > 0, LENGTH_SLOPE * short, 0.0)
        return bias[:, None] * self._ending  # (rows, vocab)

    # -- one decoder step, shared by every method ---------------------------------------------

    def _step_scores(self, loop: PickLoop | BeamLoop, rows: SentenceRows) -> StepScores:
        """Run the decoder on every row's last word and score the next word (any method)."""
        step = loop.step
        logits, states = self.model.decoder_step(
            loop.last, rows.memory, loop.states, copy_weight=rows.copy_weight
        )
        log_probs = tf.nn.log_softmax(logits) - rows.penalty  # (rows, vocab)
        log_probs -= self._length_bias(rows.aim, step)
        banned, rules = self._banned(loop.tokens, rows.story_so_far, step)
        completing = None
        if self.config.block_repeated_sentences:
            hits = loop.matching & tf.equal(rows.ban_step, step)  # (rows, photos)
            completing = Completing(hits, rows.ban_token, rules)
        allowed = tf.where(banned, NEGATIVE, log_probs)
        return StepScores(log_probs, allowed, completing, states)

    def _still_matching(
        self, matching: tf.Tensor, rows: SentenceRows, step: tf.Tensor, token: tf.Tensor
    ) -> tf.Tensor:
        """``(rows, photos)``: the written sentences each row equals after writing ``token``
        ``(rows,)`` at ``step``, of those it equalled before (``matching``)."""
        return matching & tf.equal(rows.written[:, :, step], token[:, None])

    # -- greedy and sampling ------------------------------------------------------------------

    def _greedy_or_sample(
        self, rows: SentenceRows, index: tf.Tensor, run: RunInputs
    ) -> tuple[tf.Tensor, tf.Tensor]:
        """Greedy or sampled candidates ``(batch, K, width)`` and ``(batch, K)`` flags: True where
        blocking a repeated sentence changed that candidate (forced: the others are preferred)."""
        count, width = self._candidates, self.model.sentence_width
        n_rows = tf.shape(rows.written)[0]  # batch * K
        pick: Pick
        if self.config.method == "greedy":
            pick = functools.partial(self._greedy_pick, n_rows=n_rows)
        else:
            row_hashes = keyed_random.candidate_hashes(run.story_hashes, index, count)  # (rows,)
            pick = functools.partial(
                self._sample_pick,
                row_hashes=row_hashes,
                temperature=run.temperature,
                top_p=run.top_p,
            )
        start = PickLoop(
            step=tf.constant(0),
            tokens=tf.fill((n_rows, width), PAD_ID),
            last=tf.fill((n_rows,), START_ID),
            finished=tf.zeros((n_rows,), tf.bool),
            forced=tf.zeros((n_rows,), tf.bool),
            matching=rows.matching,
            states=rows.states,
        )
        final = _while(
            lambda loop: tf.logical_and(loop.step < width, ~tf.reduce_all(loop.finished)),
            functools.partial(self._pick_step, rows=rows, pick=pick),
            start,
            maximum_iterations=width,
        )
        shape = (n_rows // count, count)  # (batch, K)
        return tf.reshape(final.tokens, (*shape, width)), tf.reshape(final.forced, shape)

    def _pick_step(self, loop: PickLoop, rows: SentenceRows, pick: Pick) -> PickLoop:
        """One word for every row: ``pick(scores, step) -> (natural, token)`` ``(rows,)`` each,
        the word without and with repeat blocking; a finished row writes ``<pad>``."""
        step, width = loop.step, self.model.sentence_width
        scores = self._step_scores(loop, rows)
        natural, token = pick(scores, step)
        token = tf.where(loop.finished, PAD_ID, token)  # candidates keep their order
        tokens = tf.where(tf.equal(tf.range(width), step)[None, :], token[:, None], loop.tokens)
        forced, matching = loop.forced, loop.matching
        if scores.completing is not None:  # repeat blocking: was it forced, what does it match
            forced = forced | (~loop.finished & tf.not_equal(natural, token))
            matching = self._still_matching(matching, rows, step, token)
        finished = loop.finished | tf.equal(token, END_ID)
        return PickLoop(step + 1, tokens, token, finished, forced, matching, scores.states)

    def _greedy_pick(
        self, scores: StepScores, step: tf.Tensor, n_rows: tf.Tensor
    ) -> tuple[tf.Tensor, tf.Tensor]:
        """Greedy next tokens ``(rows,)``: without and with sentence-repeat blocking."""
        count = self._candidates

        def pick(allowed: tf.Tensor) -> tf.Tensor:
            token = tf.argmax(allowed, axis=-1, output_type=tf.int32)
            if count == 1:
                return token
            # candidate r starts with the (r+1)-th likeliest first word, then goes greedy
            _, ranked = tf.math.top_k(allowed, count)  # (rows, count)
            first = tf.gather(ranked, tf.range(n_rows) % count, batch_dims=1)
            return tf.where(tf.equal(step, 0), first, token)

        natural = pick(scores.allowed)
        completing = scores.completing
        if completing is None:
            return natural, natural
        token = tf.cond(
            tf.reduce_any(completing.hits),
            lambda: pick(self._block_repeats(scores.log_probs, scores.allowed, completing)[0]),
            lambda: natural,
        )
        return natural, token

    def _sample_pick(
        self,
        scores: StepScores,
        step: tf.Tensor,
        row_hashes: tf.Tensor,
        temperature: tf.Tensor,
        top_p: tf.Tensor,
    ) -> tuple[tf.Tensor, tf.Tensor]:
        """Sampled next tokens ``(rows,)``: without and with sentence-repeat blocking.

        Gumbel-max with noise hashed from (seed, story, sentence, candidate, step, word), so the
        draws of a story never depend on the other rows of the batch. A blocked token is drawn
        around (the same noise over the other kept words); only where every kept word is
        blocked are the filters applied again without it.
        """
        noise = keyed_random.gumbel_noise(row_hashes, step, self.model.vocab_size)  # (rows, v)
        logits = scores.allowed / temperature
        kept = self._kept(logits, top_p)  # (rows, vocab)
        natural = tf.argmax(tf.where(kept, logits, NEGATIVE) + noise, -1, output_type=tf.int32)
        completing = scores.completing
        if completing is None:
            return natural, natural

        def around_repeats() -> tf.Tensor:
            blocked, ban = self._block_repeats(scores.log_probs, scores.allowed, completing)
            around = kept & ~ban
            token = tf.argmax(tf.where(around, logits, NEGATIVE) + noise, -1, tf.int32)
            blocked = blocked / temperature
            again = tf.where(self._kept(blocked, top_p), blocked, NEGATIVE) + noise
            stuck = ~tf.reduce_any(around, axis=-1)  # (rows,): every kept word was blocked
            return tf.where(stuck, tf.argmax(again, -1, output_type=tf.int32), token)

        token = tf.cond(tf.reduce_any(completing.hits), around_repeats, lambda: natural)
        return natural, token

    def _kept(self, logits: tf.Tensor, top_p: tf.Tensor) -> tf.Tensor:
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

    # -- beam search --------------------------------------------------------------------------

    def _beam_search(self, rows: SentenceRows, length_penalty: tf.Tensor) -> tf.Tensor:
        """Beam search for one photo: the ``K`` best finished sentences ``(batch, K, width)``.

        As fairseq / Hugging Face do: each step ranks ``2K`` continuations of the ``K`` live
        beams; one that ends (``<end>`` among the best ``K``) moves to a finished pool scored by
        ``log-probability / ((5 + length) / 6) ** length_penalty``, and the best ``K`` that go on
        stay live. The search stops when no live beam can beat the pool's worst, or at the
        width (whose last slot is ``<end>``, so every live beam has finished by then).
        """
        count, width = self._candidates, self.model.sentence_width
        n_rows = tf.shape(rows.written)[0]  # batch * K
        batch = n_rows // count
        first = tf.one_hot(0, count, on_value=0.0, off_value=NEGATIVE)
        start = BeamLoop(
            step=tf.constant(0),
            tokens=tf.fill((n_rows, width), PAD_ID),
            last=tf.fill((n_rows,), START_ID),
            scores=tf.reshape(tf.tile(first[None, :], (batch, 1)), (-1,)),  # beam 0 live
            matching=rows.matching,
            pool_tokens=tf.fill((batch, count, width), PAD_ID),
            pool_scores=tf.fill((batch, count), EMPTY),
            states=rows.states,
        )
        lengths = tf.range(1, width + 1, dtype=tf.float32)  # a sentence ending at step s: s + 1
        penalties = tf.pow((5.0 + lengths) / 6.0, length_penalty)  # (width,)
        final = _while(
            functools.partial(self._beam_running, penalties=penalties),
            functools.partial(self._beam_step, rows=rows, penalties=penalties),
            start,
            maximum_iterations=width,
        )
        # an empty slot (fewer than K sentences could finish) repeats the best finished one;
        # live beams count only where nothing finished at all
        filled = final.pool_scores > EMPTY  # (batch, K)
        best = tf.where(
            filled[:, :1, None],
            final.pool_tokens[:, :1],
            tf.reshape(final.tokens, (batch, count, width))[:, :1],
        )
        return tf.where(filled[:, :, None], final.pool_tokens, best)

    def _beam_running(self, beam: BeamLoop, penalties: tf.Tensor) -> tf.Tensor:
        """Whether any story's pool can still change (and a slot is left)."""
        width = self.model.sentence_width
        # a live beam only loses log-probability, so the best it can still reach is its
        # score now over the most favourable penalty of a length still to come
        best = tf.reduce_max(tf.reshape(beam.scores, tf.shape(beam.pool_scores)), axis=1)
        soonest = penalties[tf.minimum(beam.step, width - 1)]
        reachable = tf.maximum(best / soonest, best / penalties[-1])  # (batch,)
        settled = beam.pool_scores[:, -1] >= reachable  # pool full and out of reach
        return tf.logical_and(beam.step < width, ~tf.reduce_all(settled))

    def _beam_step(self, beam: BeamLoop, rows: SentenceRows, penalties: tf.Tensor) -> BeamLoop:
        """Grow every live beam by one word; move those that end to the finished pool."""
        count, vocab, width = self._candidates, self.model.vocab_size, self.model.sentence_width
        step, batch = beam.step, tf.shape(beam.pool_scores)[0]
        scores = self._step_scores(beam, rows)
        allowed, completing = scores.allowed, scores.completing  # (rows, vocab)
        if completing is not None:
            allowed = tf.cond(
                tf.reduce_any(completing.hits),
                lambda: self._block_repeats(scores.log_probs, allowed, completing)[0],
                lambda: allowed,
            )
        total = tf.reshape(beam.scores[:, None] + allowed, (batch, count * vocab))
        found, flat_index = tf.math.top_k(total, 2 * count)  # (batch, 2K), best first
        source = flat_index // vocab + tf.range(batch)[:, None] * count  # (batch, 2K): its row
        token = flat_index % vocab  # (batch, 2K)
        grown = tf.where(
            tf.equal(tf.range(width), step)[None, None, :],
            token[:, :, None],
            tf.gather(beam.tokens, source),
        )  # (batch, 2K, width)
        ends = tf.equal(token, END_ID)
        top_ranked = tf.range(2 * count)[None, :] < count  # (1, 2K)
        finishing = tf.where(ends & top_ranked, found / penalties[step], EMPTY)
        pool_scores, kept = tf.math.top_k(tf.concat([beam.pool_scores, finishing], 1), count)
        pool_tokens = tf.gather(tf.concat([beam.pool_tokens, grown], 1), kept, batch_dims=1)
        live, alive = tf.math.top_k(tf.where(ends, EMPTY, found), count)  # (batch, K)
        source = tf.reshape(tf.gather(source, alive, batch_dims=1), (-1,))  # (rows,)
        token = tf.reshape(tf.gather(token, alive, batch_dims=1), (-1,))  # (rows,)
        tokens = tf.reshape(tf.gather(grown, alive, batch_dims=1), (-1, width))  # (rows, width)
        states = tf.nest.map_structure(lambda s: tf.gather(s, source), scores.states)
        matching = beam.matching
        if completing is not None:
            matching = self._still_matching(tf.gather(matching, source), rows, step, token)
        live = tf.reshape(live, (-1,))  # (rows,)
        return BeamLoop(step + 1, tokens, token, live, matching, pool_tokens, pool_scores, states)

    # -- bans, repeat blocking, the choice ----------------------------------------------------

    def _banned(
        self, tokens: tf.Tensor, story_so_far: tf.Tensor, step: tf.Tensor
    ) -> tuple[tf.Tensor, tf.Tensor]:
        """``(rows or 1, vocab)`` forbidden next tokens: the rules, the repeated n-grams and the
        word just written and a content word already in the sentence (with n-gram blocking on),
        ``<end>`` straight after a word and, in the slot before the last, anything but a
        sentence end (with sentence ends given); and the rules alone (``<pad>``/``<start>``/
        ``<unk>`` never, no empty sentence, the last slot is ``<end>``)."""
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
            # one that runs to the width too: the slot before its last is its punctuation
            soft.append(self._not_closing & tf.equal(step, self.model.sentence_width - 2))
        if not soft:
            return rules, rules
        banned = functools.reduce(operator.or_, soft)  # (rows, vocab)
        hopeless = tf.reduce_all(rules | banned, axis=-1, keepdims=True)
        return rules | (banned & ~hopeless), rules

    def _block_repeats(
        self, log_probs: tf.Tensor, allowed: tf.Tensor, completing: Completing
    ) -> tuple[tf.Tensor, tf.Tensor]:
        """``allowed`` ``(rows, vocab)`` log-probabilities with the tokens that would complete a
        written sentence forbidden too, and those tokens; n-gram bans give way where nothing
        would be left (the rules and this blocking never do)."""
        ban = tf.reduce_any(
            tf.one_hot(
                tf.where(completing.hits, completing.tokens, -1),
                self.model.vocab_size,
                True,
                False,
            ),
            axis=1,
        )  # (rows, vocab)
        blocked = tf.where(ban, NEGATIVE, allowed)
        if self.config.no_repeat_ngram_size:
            empty = tf.reduce_all(blocked <= NEGATIVE, axis=-1, keepdims=True)
            blocked = tf.where(
                empty, tf.where(completing.rules | ban, NEGATIVE, log_probs), blocked
            )
        return blocked, ban

    def _repeated_ngrams(
        self, tokens: tf.Tensor, story_so_far: tf.Tensor, step: tf.Tensor, size: int
    ) -> tf.Tensor:
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

    def _choose(
        self, candidates: tf.Tensor, forced: tf.Tensor, history: tf.Tensor, index: tf.Tensor
    ) -> tf.Tensor:
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
