"""The thesis Seq2Seq storyteller as one Keras Functional model, plus its per-step pieces.

``build_model(config)`` gives the teacher-forced training model. :class:`StoryModelParts` exposes
the same layers one step at a time (photo encoding, story state, decoder step) for the decoding
module, so training and generation share every weight.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import layers, ops

from imgstory.data.sis import STORY_LENGTH
from imgstory.model.config import ModelConfig
from imgstory.model.word_output import WordOutput
from imgstory.text.vocabulary import PAD_ID, START_ID

_RNN_LAYERS = {"lstm": layers.LSTM, "gru": layers.GRU}


def state_count(cell: str) -> int:
    """How many state tensors one recurrent layer carries: LSTM (h, c) = 2, GRU (h) = 1."""
    return 2 if cell == "lstm" else 1


def _rnn(config: ModelConfig, name: str, **options) -> layers.Layer:
    """A recurrent layer of the configured cell (LSTM or GRU)."""
    return _RNN_LAYERS[config.cell](config.hidden_size, name=name, **options)


@keras.saving.register_keras_serializable(package="imgstory")
class FeatureStandardization(layers.Layer):
    """``(x - mean) * scale`` per feature dimension, with statistics of the training photos.

    Both are non-trainable weights, saved with the model; :meth:`set_statistics` fills them in.
    """

    def build(self, input_shape):
        dimension = input_shape[-1]
        self.mean = self.add_weight(
            shape=(dimension,), initializer="zeros", trainable=False, name="mean"
        )
        self.scale = self.add_weight(
            shape=(dimension,), initializer="ones", trainable=False, name="scale"
        )

    def call(self, features):
        return (features - self.mean) * self.scale

    def set_statistics(self, features: np.ndarray) -> None:
        """Standardise like ``features`` ``(photos, dimension)``; near-constant dims are damped."""
        features = np.asarray(features, dtype=np.float64)
        deviation = features.std(axis=0)
        floor = max(1e-6, 0.01 * float(np.median(deviation)))
        self.mean.assign(features.mean(axis=0).astype(np.float32))
        self.scale.assign((1.0 / np.maximum(deviation, floor)).astype(np.float32))


@keras.saving.register_keras_serializable(package="imgstory")
class MergeStoryAxis(layers.Layer):
    """``(batch, 5, ...)`` -> ``(batch * 5, ...)``: one row per sentence (any sentence width)."""

    def call(self, inputs):
        shape = ops.shape(inputs)
        return ops.reshape(inputs, (-1, *shape[2:]))

    def compute_output_shape(self, input_shape):
        return (None, *input_shape[2:])


@keras.saving.register_keras_serializable(package="imgstory")
class SplitStoryAxis(layers.Layer):
    """``(batch * 5, ...)`` -> ``(batch, 5, ...)``: the inverse of :class:`MergeStoryAxis`."""

    def call(self, inputs):
        shape = ops.shape(inputs)
        return ops.reshape(inputs, (-1, STORY_LENGTH, *shape[1:]))

    def compute_output_shape(self, input_shape):
        return (None, STORY_LENGTH, *input_shape[1:])


@keras.saving.register_keras_serializable(package="imgstory")
class RepeatOverTokens(layers.Layer):
    """``[vectors (rows, d), tokens (rows, width)]`` -> ``(rows, width, d)``, width at run time."""

    def call(self, inputs):
        vectors, tokens = inputs
        return ops.repeat(ops.expand_dims(vectors, 1), ops.shape(tokens)[1], axis=1)

    def compute_output_shape(self, input_shape):
        vectors, tokens = input_shape
        return (vectors[0], tokens[1], vectors[-1])


def build_model(config: ModelConfig, embedding_matrix: np.ndarray | None = None) -> keras.Model:
    """The teacher-forced training model of the storyteller.

    Inputs: ``photo_features`` ``(batch, 5, feature_dim)`` float32 and ``sentences``
    ``(batch, 5, width)`` int32 (word ids, ``<end>``, ``<pad>``; any width up to
    ``max_sentence_length + 1``, so batches need not be padded past their longest sentence).
    Output: logits ``(batch, 5, width, vocab_size)`` predicting ``sentences`` from the shifted
    sentence (``<start>`` first), photo *i*, the photo sequence and the previous sentences.

    The parts are built in a fixed order (word embedding, image-sequence encoder, text encoder,
    memory, decoder, output layer): with a seeded Keras, that order fixes the initial weights.

    Args:
        config: sizes; ``feature_dim`` and ``vocab_size`` must be set.
        embedding_matrix: optional ``(vocab_size, embedding_dim)`` initial word vectors (GloVe).

    Raises:
        ValueError: ``feature_dim`` / ``vocab_size`` unset, or an embedding matrix of wrong shape.
    """
    _check_buildable(config)
    sentences_per_story = STORY_LENGTH
    photo_features = keras.Input((sentences_per_story, config.feature_dim), name="photo_features")
    sentences = keras.Input((sentences_per_story, None), dtype="int32", name="sentences")
    word_embedding = layers.Embedding(
        config.vocab_size,
        config.embedding_dim,
        trainable=config.train_embeddings,
        name="word_embedding",
    )
    photo_vectors, photo_context = _photo_encoder(photo_features, config)
    flat_sentences, story_context = _text_encoder(sentences, word_embedding, config)
    # Memory: photo i + sequence context + story so far.
    joined = layers.Concatenate(name="memory_inputs")([photo_vectors, photo_context, story_context])
    memory = layers.Dense(config.hidden_size, activation="tanh", name="memory")(joined)  # (b, 5, h)
    memory = MergeStoryAxis(name="memory_rows")(memory)  # (batch * 5, hidden)
    words, hidden_states = _decoder(flat_sentences, memory, word_embedding, config)
    output = None
    if config.tied_output or config.copy_terms:  # the photo's terms: vectors and weights per row
        term_vectors, term_weights = split_terms(
            MergeStoryAxis(name="photo_rows")(photo_features), config
        )  # (batch * 5, slots, embedding_dim), (batch * 5, slots)
        output = _word_output(config)
        # scored where a word is predicted: <pad> positions get 0, which the loss ignores
        logits = output(hidden_states, words, term_vectors, term_weights, tokens=flat_sentences)
    else:
        logits = layers.Dense(config.vocab_size, name="vocab_logits")(hidden_states)
    # logits: (batch * 5, width, vocab)
    logits = SplitStoryAxis(name="story_logits")(logits)  # (batch, 5, width, vocab)
    model = keras.Model(
        {"photo_features": photo_features, "sentences": sentences},
        logits,
        name=f"storyteller_{config.cell}",
    )
    if embedding_matrix is not None:
        expected = (config.vocab_size, config.embedding_dim)
        if embedding_matrix.shape != expected:
            raise ValueError(
                f"embedding matrix shape {embedding_matrix.shape}, expected {expected}"
            )
        word_embedding.embeddings.assign(embedding_matrix.astype(np.float32))
        if output is not None:
            output.set_words(embedding_matrix)
    return model


def _check_buildable(config: ModelConfig) -> None:
    """Sizes set, and term features whose word vectors fit the embeddings where words are read."""
    if config.feature_dim < 1 or config.vocab_size < 5:
        raise ValueError("ModelConfig.feature_dim and vocab_size must be set before build_model")
    if (config.tied_output or config.copy_terms) and config.term_dim != config.embedding_dim:
        raise ValueError(
            "tied_output / copy_terms need term features whose word vectors have "
            f"embedding_dim ({config.embedding_dim}) values, got term_dim {config.term_dim}"
        )


def _photo_encoder(photo_features: Any, config: ModelConfig) -> tuple[Any, Any]:
    """Image-sequence encoder: ``(batch, 5, hidden)`` photo vectors and their ``(batch, 5,
    2 * hidden)`` sequence context.

    Photo vectors are standardised per dimension (photos of one encoder share a large common
    part; the differences are what tell them apart), projected, then bidirectional RNNs run
    over the sequence.
    """
    photo_normalization = FeatureStandardization(name="photo_normalization")
    photos = photo_normalization(photo_features)
    if config.feature_noise > 0:  # text-only training: bridges sentence and photo vectors
        photos = layers.GaussianNoise(config.feature_noise, name="feature_noise")(photos)
    photos = layers.Dropout(config.dropout, name="photo_dropout")(photos)
    hidden = config.hidden_size
    photo_vectors = layers.Dense(hidden, activation="relu", name="photo_projection")(photos)
    photo_context = photo_vectors  # (batch, 5, hidden)
    for index in range(config.photo_layers):
        recurrent = _rnn(config, f"photo_{config.cell}_{index}", return_sequences=True)
        photo_context = layers.Bidirectional(recurrent, name=f"photo_rnn_{index}")(photo_context)
    return photo_vectors, photo_context


def _text_encoder(
    sentences: Any, word_embedding: layers.Embedding, config: ModelConfig
) -> tuple[Any, Any]:
    """Text encoder: each sentence to a vector, then an RNN over the previous sentences.

    Returns the sentences as rows ``(batch * 5, width)`` and the story so far before each
    sentence ``(batch, 5, hidden)``.
    """
    flat_sentences = MergeStoryAxis(name="sentence_rows")(sentences)  # (batch * 5, width)
    sentence_mask = ops.not_equal(flat_sentences, PAD_ID)
    sentence_vectors = _rnn(config, "sentence_rnn")(
        word_embedding(flat_sentences), mask=sentence_mask
    )  # (batch * 5, hidden)
    sentence_vectors = SplitStoryAxis(name="sentence_stories")(sentence_vectors)  # (b, 5, h)
    shifted = ops.pad(sentence_vectors, ((0, 0), (1, 0), (0, 0)))  # (b, 6, h): shifted right
    previous = shifted[:, :STORY_LENGTH]  # (b, 5, h): each sentence sees those before
    story_context = _rnn(config, "story_rnn", return_sequences=True)(previous)  # (batch, 5, h)
    return flat_sentences, story_context


def _decoder(
    flat_sentences: Any, memory: Any, word_embedding: layers.Embedding, config: ModelConfig
) -> tuple[Any, Any]:
    """Decoder: stacked RNNs over ``<start>`` + words, initial states from the memory.

    Returns the input word vectors ``(batch * 5, width, embedding_dim)`` and the last layer's
    states ``(batch * 5, width, hidden)``.
    """
    hidden, states = config.hidden_size, state_count(config.cell)
    start = ops.full_like(flat_sentences[:, :1], START_ID)
    decoder_tokens = ops.concatenate([start, flat_sentences[:, :-1]], axis=1)  # (b * 5, width)
    words = word_embedding(decoder_tokens)  # (batch * 5, width, embedding_dim)
    repeated_memory = RepeatOverTokens(name="memory_per_token")([memory, decoder_tokens])
    # repeated_memory: (batch * 5, width, hidden)
    hidden_states = layers.Concatenate(name="decoder_inputs")([words, repeated_memory])
    for index in range(config.decoder_layers):
        initial = layers.Dense(hidden * states, activation="tanh", name=f"decoder_init_{index}")(
            memory
        )  # (batch * 5, hidden * states)
        initial_state = [initial[:, part * hidden : (part + 1) * hidden] for part in range(states)]
        hidden_states = _rnn(config, f"decoder_rnn_{index}", return_sequences=True)(
            hidden_states, initial_state=initial_state
        )  # (batch * 5, width, hidden)
        hidden_states = layers.Dropout(config.dropout, name=f"decoder_dropout_{index}")(
            hidden_states
        )
    return words, hidden_states


def split_terms(features: Any, config: ModelConfig) -> tuple[Any, Any]:
    """Term features ``(rows, slots * (d + 1))`` -> vectors ``(rows, slots, d)``, weights
    ``(rows, slots)`` (:mod:`imgstory.features.terms`)."""
    slots = ops.reshape(features, (-1, config.term_slots, config.term_dim + 1))
    return slots[:, :, :-1], slots[:, :, -1]


def _word_output(config: ModelConfig) -> WordOutput:
    return WordOutput(
        config.vocab_size,
        config.embedding_dim,
        config.hidden_size,
        tied=config.tied_output,
        copy=config.copy_terms,
        name="vocab_logits",
    )


class StoryModelParts:
    """The trained model's layers, callable one photo / one token at a time (no dropout).

    This is the interface :mod:`imgstory.decoding` drives. Every method is written with
    ``keras.ops``: it runs inside ``tf.function`` and also on symbolic inputs (to build
    per-step Keras models, as the benchmark's ``model.predict`` baseline does).
    """

    def __init__(self, model: keras.Model, config: ModelConfig):
        self.config = config
        self.vocab_size = config.vocab_size
        self.sentence_width = config.sentence_width
        self.hidden_size = config.hidden_size
        self._states = state_count(config.cell)
        get = model.get_layer
        self._embedding = get("word_embedding")
        self._photo_normalization = get("photo_normalization")
        self._photo_projection = get("photo_projection")
        self._photo_rnns = [get(f"photo_rnn_{i}") for i in range(config.photo_layers)]
        self._sentence_rnn = get("sentence_rnn")
        self._story_cell = get("story_rnn").cell
        self._memory = get("memory")
        self._decoder_inits = [get(f"decoder_init_{i}") for i in range(config.decoder_layers)]
        self._decoder_cells = [get(f"decoder_rnn_{i}").cell for i in range(config.decoder_layers)]
        self._logits = get("vocab_logits")
        self._reads_terms = config.tied_output or config.copy_terms

    def encode_photos(self, features: Any) -> Any:
        """``(batch, n, feature_dim)`` -> ``(batch, n, 3 * hidden)`` (vector + sequence context),
        followed by the features themselves where the output layer reads the photo's terms."""
        vectors = self._photo_projection(self._photo_normalization(features))  # (batch, n, h)
        context = vectors
        for recurrent in self._photo_rnns:
            context = recurrent(context, training=False)  # (batch, n, 2 * hidden)
        parts = [vectors, context, features] if self._reads_terms else [vectors, context]
        return ops.concatenate(parts, axis=-1)

    def initial_story_state(self, batch: Any) -> list[Any]:
        """Zero state of the story RNN for ``batch`` stories."""
        return [ops.zeros((batch, self.hidden_size)) for _ in range(self._states)]

    def story_step(self, sentence_vector: Any, state: list[Any]) -> tuple[Any, list[Any]]:
        """Feed one sentence vector ``(batch, hidden)`` to the story RNN; returns output, state."""
        output, new_state = self._story_cell(sentence_vector, state, training=False)
        return output, list(new_state)

    def start_sentence(self, photo_encoding: Any, story_output: Any) -> tuple[Any, list[list[Any]]]:
        """Memory and initial decoder states for one photo's sentence.

        The memory is ``(batch, hidden)``; for a model that reads terms it is the tuple (memory,
        term vectors ``(batch, slots, d)``, term weights ``(batch, slots)``).
        """
        encoded = photo_encoding[:, : 3 * self.hidden_size]  # (batch, 3 * hidden)
        joined = ops.concatenate([encoded, story_output], axis=-1)  # (batch, 4 * hidden)
        memory = self._memory(joined)  # (batch, hidden)
        states = []
        for init in self._decoder_inits:
            initial = init(memory)  # (batch, hidden * states)
            states.append(ops.split(initial, self._states, axis=-1))
        if self._reads_terms:
            terms = split_terms(photo_encoding[:, 3 * self.hidden_size :], self.config)
            return (memory, *terms), states
        return memory, states

    def decoder_step(
        self, tokens: Any, memory: Any, states: list[list[Any]], copy_weight: Any = None
    ) -> tuple[Any, list[list[Any]]]:
        """One decoder step: previous tokens ``(rows,)`` -> logits ``(rows, vocab)``, new states
        (``memory`` as :meth:`start_sentence` gives it). ``copy_weight`` (a () float, None = 1.0)
        weighs copying a term against the vocabulary in a model that copies
        (:meth:`~imgstory.model.word_output.WordOutput.call`); other models ignore it."""
        terms = None
        if self._reads_terms:
            memory, *terms = memory
        words = self._embedding(tokens)  # (rows, emb)
        inputs = ops.concatenate([words, memory], axis=-1)  # (rows, emb + hidden)
        new_states = []
        for cell, state in zip(self._decoder_cells, states, strict=True):
            inputs, state = cell(inputs, state, training=False)  # (rows, hidden)
            new_states.append(list(state))
        if terms is None:
            return self._logits(inputs), new_states
        logits = self._logits(
            inputs[:, None], words[:, None], *terms, copy_weight=copy_weight
        )  # (rows, 1, vocab)
        return logits[:, 0], new_states

    def encode_sentence(self, tokens: Any) -> Any:
        """A generated sentence ``(batch, width)`` (words, <end>, <pad>) -> ``(batch, hidden)``."""
        mask = ops.not_equal(tokens, PAD_ID)
        return self._sentence_rnn(self._embedding(tokens), mask=mask, training=False)
