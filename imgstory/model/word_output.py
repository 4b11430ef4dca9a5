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

#: A term matches a vocabulary word when their unit vectors agree to this cosine (the same word).
SAME_WORD = 0.999
_FLOOR = 1e-12  # probabilities are floored here before the log


@keras.saving.register_keras_serializable(package="imgstory")
class WordOutput(layers.Layer):
    """``(decoder states, previous words, term vectors, term weights)`` -> next-word scores.

    Shapes: states ``(rows, width, hidden)``, previous-word vectors ``(rows, width, embedding)``,
    term vectors ``(rows, slots, word_dim)``, term weights ``(rows, slots)`` (0 = empty slot);
    output ``(rows, width, vocab)``. Without ``copy`` the term inputs are ignored.
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

    def build(self, states_shape, previous_shape=None, terms_shape=None, weights_shape=None):
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

    def call(self, states, previous, terms, weights):
        joined = states  # (rows, width, hidden)
        if self.copy:
            queries = self.query(states)  # (rows, width, attention)
            keys = self.key(ops.concatenate([terms, weights[..., None]], axis=-1))  # (r, s, a)
            scores = ops.einsum("rwa,rsa->rws", queries, keys) / np.sqrt(self.attention_size)
            present = ops.expand_dims(ops.greater(weights, 0.0), 1)  # (rows, 1, slots)
            attention = ops.softmax(ops.where(present, scores, -1e9), axis=-1)  # (r, w, s)
            context = ops.einsum("rws,rsd->rwd", attention, terms)  # (rows, width, word_dim)
            joined = ops.concatenate([states, context], axis=-1)
        logits = self.scores(joined)  # (rows, width, vocab)
        if self.tied or self.copy:
            unit = self.words / ops.maximum(ops.norm(self.words, axis=-1, keepdims=True), 1e-6)
            logits = logits + ops.matmul(self.projection(joined), ops.transpose(unit))
        if not self.copy:
            return logits
        generate = ops.sigmoid(self.gate(ops.concatenate([joined, previous], axis=-1)))  # (r,w,1)
        matches = ops.cast(ops.einsum("rsd,vd->rsv", terms, unit) > SAME_WORD, "float32")
        copied = ops.einsum("rws,rsv->rwv", attention, matches)  # (rows, width, vocab)
        mixed = generate * ops.softmax(logits, axis=-1) + (1.0 - generate) * copied
        return ops.log(ops.maximum(mixed, _FLOOR))

    def compute_output_shape(self, states_shape, *_):
        return (*states_shape[:-1], self.vocab_size)
