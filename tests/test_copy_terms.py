"""Copying a photo's term: a tiny storyteller writes a word it never saw as an output."""

from __future__ import annotations

import numpy as np
import pytest
from train_fixtures import memorising, tiny_model

from imgstory.data.sis import STORY_LENGTH, Story
from imgstory.decoding import DecodingConfig
from imgstory.text.glove import packaged_glove

pytest.importorskip("tensorflow")
from imgstory.generation.storyteller import Storyteller
from imgstory.model.sources import SentenceFeatures
from imgstory.model.training import train_model

SEEN = ("dog", "cat", "horse", "cow", "sheep", "goat", "pig", "duck", "lion", "bear", "fish")
UNSEEN = ("zebra", "giraffe", "flamingo")
SLOTS = 2


def terms_of(words: list[str]) -> np.ndarray:
    """``(len(words), SLOTS * 51)``: each word as its photo's only term (weight 1)."""
    glove = packaged_glove()
    rows = np.zeros((len(words), SLOTS, glove.dimension + 1), np.float32)
    for row, word in enumerate(words):
        vector = glove.get(word)
        rows[row, 0, :-1] = vector / np.linalg.norm(vector)
        rows[row, 0, -1] = 1.0
    return rows.reshape(len(words), -1)


def animal_stories(count: int) -> list[Story]:
    """Stories whose every sentence names its photo's animal: 'we saw a <animal> there .'."""
    rng = np.random.default_rng(0)
    stories = []
    for number in range(count):
        animals = rng.choice(SEEN, STORY_LENGTH)
        texts = tuple(f"we saw a {animal} there ." for animal in animals)
        photos = tuple(f"{number}-{i}" for i in range(STORY_LENGTH))
        stories.append(Story(str(number), str(number), "val", photos, texts, texts))
    return stories


def animal_of(sentence: str) -> str:
    return sentence.split()[3]


@pytest.mark.parametrize("copy", [True, False])
def test_copy_writes_a_term_never_seen_as_an_output(tmp_path, copy):
    """With copying, the model names zebras, giraffes and flamingos it never wrote in training
    (they are in its vocabulary only as terms it may copy); without it, it cannot."""
    stories = animal_stories(60)
    features = SentenceFeatures(
        encoder="toy-terms",
        fingerprint="toy",
        dimension=SLOTS * 51,
        vectors=lambda chosen: terms_of(
            [animal_of(text) for story in chosen for text in story.texts]
        ).reshape(len(chosen), STORY_LENGTH, -1),
        words=SEEN + UNSEEN,
    )
    # GloVe 50-d word vectors, read as terms, tie the output scores (and may be copied)
    terms = {"embedding_dim": 50, "term_slots": SLOTS, "tied_output": True, "copy_terms": copy}
    config = tiny_model(hidden_size=32, decoder_layers=2, max_sentence_length=8, **terms)
    training = memorising(25, 20, unigram_bias=True)
    out = tmp_path / "model"
    train_model(features, stories, out, config, training, glove_path="glove-6b-50d",
                progress=False, work_dir=tmp_path / "work")  # fmt: skip
    teller = Storyteller.load(out)
    for word in UNSEEN:
        assert teller.vocabulary.counts[word] == 0  # in the vocabulary, never in a story
    photos = [*UNSEEN, "dog", "lion"]
    # the toy language is one template: trigram blocking would forbid its second sentence
    told = teller.generate_from_features(terms_of(photos), DecodingConfig(no_repeat_ngram_size=0))
    named = [animal_of(sentence) for sentence in told.sentences]
    if copy:
        assert told.sentences[0] == "we saw a zebra there ."
        assert named == photos
        never = DecodingConfig(no_repeat_ngram_size=0, copy_weight=0.0)  # copying weighed at 0
        told = teller.generate_from_features(terms_of(photos), never)
        assert not {animal_of(sentence) for sentence in told.sentences} & set(UNSEEN)
    else:
        assert not set(named) & set(UNSEEN)


def test_the_copy_weight_reweighs_the_mixture_and_nothing_else() -> None:
    """``copy_weight`` w turns the output layer's mixture g p_vocab + (1 - g) p_copy into
    (g p_vocab + w (1 - g) p_copy) / (g + w (1 - g)): 1 is the trained layer, 0 its vocabulary
    part alone; a layer that does not copy ignores it."""
    import tensorflow as tf

    from imgstory.model.word_output import WordOutput

    rng = np.random.default_rng(1)
    rows, width, hidden, dim, vocab, slots = 3, 4, 8, 5, 13, 2
    words = rng.normal(size=(vocab, dim)).astype(np.float32)
    unit = words / np.linalg.norm(words, axis=1, keepdims=True)
    copied = rng.choice(np.arange(1, vocab), (rows, slots), replace=False)  # distinct term words
    terms = tf.constant(unit[copied], tf.float32)  # (rows, slots, dim)
    weights = tf.constant(rng.uniform(0.2, 1.0, (rows, slots)), tf.float32)
    states = tf.constant(rng.normal(size=(rows, width, hidden)), tf.float32)
    previous = tf.constant(rng.normal(size=(rows, width, dim)), tf.float32)
    layer = WordOutput(vocab, dim, attention_size=4, tied=True, copy=True)
    layer(states, previous, terms, weights)
    layer.set_words(words)

    def probabilities(**options) -> np.ndarray:
        return np.exp(layer(states, previous, terms, weights, **options).numpy().astype(float))

    trained, vocabulary_part = probabilities(), probabilities(copy_weight=0.0)
    np.testing.assert_allclose(probabilities(copy_weight=1.0), trained, rtol=1e-6)
    never = np.ones((rows, vocab), bool)  # the words no term copies onto, per row
    never[np.arange(rows)[:, None], copied] = False
    never = np.broadcast_to(never[:, None], trained.shape)  # (rows, width, vocab)
    # the gate g of each position: what a word no term names keeps of its vocabulary probability
    gate = (trained * never).sum(-1) / (vocabulary_part * never).sum(-1)  # (rows, width)
    assert np.all((gate > 0.0) & (gate < 1.0))
    for weight in (0.25, 0.6):
        expected = (weight * trained + (1 - weight) * gate[..., None] * vocabulary_part) / (
            gate + weight * (1 - gate)
        )[..., None]
        np.testing.assert_allclose(probabilities(copy_weight=weight), expected, atol=1e-6)
        np.testing.assert_allclose(expected.sum(-1), trained.sum(-1), atol=1e-6)
    plain = WordOutput(vocab, dim, attention_size=4, tied=True, copy=False)
    plain(states, previous, terms, weights)
    np.testing.assert_array_equal(
        plain(states, previous, terms, weights, copy_weight=0.3).numpy(),
        plain(states, previous, terms, weights).numpy(),
    )


def test_the_output_layer_scores_only_predicted_positions_and_trains_the_same() -> None:
    """Given the words being predicted, the output layer scores only the non-<pad> positions:
    there its scores, the masked loss and every gradient equal a call that scores them all (the
    <pad> positions get 0); a slot whose term is no vocabulary word copies nothing."""
    import tensorflow as tf

    from imgstory.model.training import masked_loss
    from imgstory.model.word_output import WordOutput

    rng = np.random.default_rng(0)
    rows, width, hidden, dim, vocab, slots = 4, 6, 8, 5, 11, 3
    words = rng.normal(size=(vocab, dim)).astype(np.float32)
    words[0] = 0.0  # <pad> has no vector
    layer = WordOutput(vocab, dim, attention_size=4, tied=True, copy=True)
    states = tf.constant(rng.normal(size=(rows, width, hidden)), tf.float32)
    previous = tf.constant(rng.normal(size=(rows, width, dim)), tf.float32)
    unit = words / np.linalg.norm(words, axis=1, keepdims=True).clip(1e-6)
    terms = unit[rng.integers(1, vocab, (rows, slots))]  # (rows, slots, dim): vocabulary words
    stray = rng.normal(size=(rows, dim))
    terms[:, -1] = stray / np.linalg.norm(stray, axis=1, keepdims=True)  # a term that is no word
    terms = terms.astype(np.float32)
    weights = rng.uniform(0.2, 1.0, (rows, slots)).astype(np.float32)
    weights[0, 1] = 0.0  # an empty slot
    tokens = rng.integers(1, vocab, (rows, width))
    tokens[:, 4:] = 0  # <pad> after 4 words
    tokens[1, 2:] = 0
    layer(states, previous, terms, weights)  # build
    layer.set_words(words)

    def loss_and_gradients(**options):
        with tf.GradientTape() as tape:
            scores = layer(states, previous, terms, weights, **options)
            loss = masked_loss(tf.constant(tokens[None]), tf.reshape(scores, (1, *scores.shape)))
        return scores.numpy(), loss.numpy(), tape.gradient(loss, layer.trainable_variables)

    every, every_loss, every_gradients = loss_and_gradients()
    scored, loss, gradients = loss_and_gradients(tokens=tokens)
    real = tokens != 0
    np.testing.assert_allclose(scored[real], every[real], atol=1e-5)
    assert np.all(scored[~real] == 0.0)
    np.testing.assert_allclose(loss, every_loss, rtol=1e-5)
    for got, expected in zip(gradients, every_gradients, strict=True):
        np.testing.assert_allclose(got.numpy(), expected.numpy(), atol=1e-5)
    # each named term's word holds its copied share: more probability than without copying
    named = layer._copied(
        tf.ones((rows, slots)) / slots, tf.constant(terms), tf.constant(unit), tf.range(rows)
    ).numpy()  # (rows, vocab)
    assert np.allclose(named.sum(axis=1), (slots - 1) / slots)  # the last slot copies nothing
