"""The storyteller's output layer: next-word scores, optionally tied to GloVe and copying terms.

Three forms, chosen by :class:`~imgstory.model.config.ModelConfig`:

- the thesis form: a dense layer from the decoder state to the vocabulary;
- ``tied_output``: plus the decoder state projected into GloVe space and scored against every
  vocabulary word's (fixed) GloVe vector, so a word the training stories never used -- a class
  name such as *flamingo* -- gets a score from its meaning;
- ``copy_terms`` (our extension): the decoder attends to the photo's terms (word vectors and
  weights, :mod:`imgstory.features.terms`) and a gate mixes the vocabulary distribution with the
  attention copied onto the terms' words (a pointer-generator, See et al. 2017). Its output is
  the log of that mixture, which a softmax leaves unchanged, so losses and decoders that expect
  logits work as they are.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from imgstory.text.vocabulary import PAD_ID

#: A term matches a vocabulary word when their unit vectors agree to this cosine (the same word).
SAME_WORD = 0.999
_FLOOR = 1e-12  # probabilities are floored here before the log


@keras.saving.register_keras_serializable(package="imgstory")
class WordOutput(layers.Layer):
    """``(decoder states, previous words, term vectors, term weights)`` -> next-word scores.

    Shapes: states ``(rows, width, hidden)``, previous-word vectors ``(rows, width, embedding)``,
    term vectors ``(rows, slots, word_dim)``, term weights ``(rows, slots)`` (0 = empty slot);
    output ``(rows, width, vocab)``. Without ``copy`` the term inputs are ignored. The training
    model also passes the sentences being predicted, ``tokens`` ``(rows, width)``, so that only
    their words' positions are scored (:meth:`call`).
    """

    def __init__(
        self,
        vocab_size: int,
        word_dim: int,
        attention_size: int,
        tied: bool = False,
        copy: bool = False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.vocab_size, self.word_dim, self.attention_size = vocab_size, word_dim, attention_size
        self.tied, self.copy = tied, copy
        self.scores = layers.Dense(vocab_size, name="scores")
        if tied or copy:
            self.projection = layers.Dense(word_dim, activation="tanh", name="projection")
        if copy:
            self.query = layers.Dense(attention_size, use_bias=False, name="query")
            self.key = layers.Dense(attention_size, name="key")
            self.gate = layers.Dense(
                1, bias_initializer=keras.initializers.Constant(2.0), name="gate"
            )

    def get_config(self):
        config = super().get_config()
        config.update(
            vocab_size=self.vocab_size,
            word_dim=self.word_dim,
            attention_size=self.attention_size,
            tied=self.tied,
            copy=self.copy,
        )
        return config

    def build(
        self,
        states_shape,
        previous_shape=None,
        terms_shape=None,
        weights_shape=None,
        tokens_shape=None,
    ):
        hidden = states_shape[-1]
        # The vocabulary's GloVe vectors (fixed): what tied scores and term copying compare with.
        self.words = self.add_weight(
            shape=(self.vocab_size, self.word_dim),
            initializer="zeros",
            trainable=False,
            name="words",
        )
        joined = hidden + (self.word_dim if self.copy else 0)  # state (+ term context)
        self.scores.build((None, joined))
        if self.tied or self.copy:
            self.projection.build((None, joined))
        if self.copy:
            self.query.build((None, hidden))
            self.key.build((None, self.word_dim + 1))
            self.gate.build((None, joined + previous_shape[-1]))

    @property
    def bias(self):
        """The vocabulary scores' bias (training starts it at the words' log-frequencies)."""
        return self.scores.bias

    def set_words(self, vectors: np.ndarray) -> None:
        """Fix the vocabulary's word vectors ``(vocab, word_dim)`` (GloVe; their unit rows are
        what terms are matched against)."""
        self.words.assign(np.asarray(vectors, np.float32))

    def call(self, states, previous, terms, weights, tokens=None, copy_weight=None):
        """Next-word scores ``(rows, width, vocab)`` (shapes in the class docstring).

        ``copy_weight`` (a () float; None = 1.0, as trained) weighs copying against the
        vocabulary: the mixture becomes ``g p_vocab + w (1 - g) p_copy``, renormalised, i.e. the
        gate's logit less ``log w`` (below 1 the story prior wins more often over a copied term;
        0 never copies). Without ``copy`` it changes nothing.

        With ``tokens`` ``(rows, width)``, the words being predicted (the training model passes
        its sentences), only the positions whose token is not ``<pad>`` are scored and the others
        get 0: a masked loss ignores them, and the vocabulary-wide products, most of a training
        step, shrink by the padding (about 28% of VIST batch positions). Scores of the real
        positions are those of a call without ``tokens``.
        """
        if tokens is None and states.shape[1] == 1:  # a decoding step: one position a row
            scores = self._score(states[:, 0], previous[:, 0], None, terms, weights, copy_weight)
            return scores[:, None]
        rows, width = ops.shape(states)[0], ops.shape(states)[1]
        flat_states = ops.reshape(states, (rows * width, -1))  # (positions, hidden)
        flat_previous = ops.reshape(previous, (rows * width, -1))  # (positions, embedding)
        row_of = ops.repeat(ops.arange(rows), width)  # (positions,): each position's row
        scored = None
        if tokens is not None:
            real = ops.not_equal(ops.reshape(tokens, (-1,)), PAD_ID)  # (positions,)
            scored = ops.nonzero(real)[0]  # (n,) the positions scored
            flat_states = ops.take(flat_states, scored, axis=0)  # (n, hidden)
            flat_previous = ops.take(flat_previous, scored, axis=0)  # (n, embedding)
            row_of = ops.take(row_of, scored, axis=0)  # (n,)
        logits = self._score(
            flat_states, flat_previous, row_of, terms, weights, copy_weight
        )  # (n, vocab)
        if scored is not None:
            logits = ops.scatter(scored[:, None], logits, (rows * width, self.vocab_size))
        return ops.reshape(logits, (rows, width, self.vocab_size))

    def _score(self, states, previous, row_of, terms, weights, copy_weight=None):
        """Scores ``(n, vocab)`` of ``n`` positions: their states ``(n, hidden)``, previous-word
        vectors ``(n, embedding)`` and rows ``(n,)`` in ``terms`` / ``weights`` (None: position
        ``i`` is row ``i``, as in a decoding step); ``copy_weight`` as :meth:`call` has it."""
        joined = states  # (n, hidden)
        unit = self.words / ops.maximum(ops.norm(self.words, axis=-1, keepdims=True), 1e-6)
        if self.copy:

            def own(per_row):  # (rows, ...) -> (n, ...): each position's row
                return per_row if row_of is None else ops.take(per_row, row_of, axis=0)

            queries = self.query(states)  # (n, attention)
            keys = own(self.key(ops.concatenate([terms, weights[..., None]], axis=-1)))
            # keys: (n, slots, attention)
            scores = ops.einsum("na,nsa->ns", queries, keys) / np.sqrt(self.attention_size)
            present = own(ops.greater(weights, 0.0))  # (n, slots)
            attention = ops.softmax(ops.where(present, scores, -1e9), axis=-1)  # (n, slots)
            context = ops.einsum("ns,nsd->nd", attention, own(terms))  # (n, word_dim)
            joined = ops.concatenate([states, context], axis=-1)
        logits = self.scores(joined)  # (n, vocab)
        if self.tied or self.copy:
            logits = logits + ops.matmul(self.projection(joined), ops.transpose(unit))
        if not self.copy:
            return logits
        gate = self.gate(ops.concatenate([joined, previous], axis=-1))  # (n, 1) logits
        if copy_weight is not None:  # g / (g + w (1 - g)) = sigmoid(logit - log w)
            gate = gate - ops.log(ops.maximum(ops.cast(copy_weight, gate.dtype), _FLOOR))
        generate = ops.sigmoid(gate)  # (n, 1)
        copied = self._copied(attention, terms, unit, row_of)  # (n, vocab)
        mixed = generate * ops.softmax(logits, axis=-1) + (1.0 - generate) * copied
        return ops.log(ops.maximum(mixed, _FLOOR))

    def _copied(self, attention, terms, unit, row_of):
        """The attention ``(n, slots)`` copied onto the vocabulary: ``(n, vocab)``, each slot's
        share added to the word its term is (unit vectors agreeing to :data:`SAME_WORD`; distinct
        words' GloVe vectors differ, so a term is at most one word), nothing for a term that is
        no vocabulary word."""
        similarity = ops.einsum("rsd,vd->rsv", terms, unit)  # (rows, slots, vocab)
        if row_of is None:  # a position a row (decoding): the few rows' matches, densely
            matches = ops.cast(similarity > SAME_WORD, attention.dtype)  # (n, slots, vocab)
            return ops.einsum("ns,nsv->nv", attention, matches)
        word = ops.take(ops.argmax(similarity, axis=-1), row_of, axis=0)  # (n, slots)
        named = ops.take(ops.max(similarity, axis=-1) > SAME_WORD, row_of, axis=0)  # (n, slots)
        shares = attention * ops.cast(named, attention.dtype)  # (n, slots)
        count, slots = ops.shape(attention)[0], ops.shape(attention)[1]
        position = ops.repeat(ops.arange(count)[:, None], slots, axis=1)  # (n, slots)
        indices = ops.stack([position, ops.cast(word, position.dtype)], axis=-1)  # (n, slots, 2)
        return ops.scatter(
            ops.reshape(indices, (-1, 2)), ops.reshape(shares, (-1,)), (count, self.vocab_size)
        )

    def compute_output_shape(self, states_shape, *_, **__):
        return (*states_shape[:-1], self.vocab_size)
