"""The terms bridge: the sentence encoder, the classes a training sentence simulates, and the
album's shared terms (imgstory.text.sentence_encoder, imgstory.features.terms)."""

from __future__ import annotations

import numpy as np
import pytest

from imgstory.features.concepts import CLASSES
from imgstory.features.terms import TermBridge, TermSpace, album_terms
from imgstory.text.sentence_encoder import packaged_encoder


@pytest.fixture(scope="module")
def encoder():
    return packaged_encoder()


@pytest.fixture(scope="module")
def minilm_space():
    return TermSpace.packaged()


def _names(space: TermSpace, row: np.ndarray) -> list[str]:
    return [space.concepts.names[index] for index in np.flatnonzero(row)]


def test_the_encoder_gives_unit_vectors_that_put_paraphrases_together(encoder):
    vectors = encoder.encode(
        ["a dog runs across the park", "a puppy plays on the grass", "the stock market fell"]
    )
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3


def test_the_encoder_matches_sentence_transformers(encoder):
    """Cosines the reference implementation (sentence-transformers, PyTorch) gives for these
    pairs, recorded once in a separate venv: the NumPy forward pass must agree to 1e-4."""
    pairs = {
        ("snow", "snowplow"): REFERENCE_COSINES[0],
        ("the fans arrived at the basketball game .", "basketball"): REFERENCE_COSINES[1],
        ("we had a great time .", "a photo of a koala"): REFERENCE_COSINES[2],
    }
    for (first, second), expected in pairs.items():
        left, right = encoder.encode([first, second])
        assert float(left @ right) == pytest.approx(expected, abs=1e-4), (first, second)


def test_batches_and_padding_do_not_change_a_sentence_vector(encoder):
    alone = encoder.encode(["the fire pit was very large ."])
    mixed = encoder.encode(
        ["a", "the fire pit was very large .", "a much longer sentence " * 8], batch_size=2
    )
    np.testing.assert_allclose(mixed[1], alone[0], atol=1e-5)


def test_minilm_bridge_finds_what_a_classifier_says_of_a_snowy_street(minilm_space):
    glove_space = TermSpace(minilm_space.config, minilm_space.concepts, TermBridge("glove", 1))
    sentence = ["the snow covered the street ."]
    found = _names(minilm_space, minilm_space.sentence_classes(sentence)[0])
    assert {"snowplow", "snowmobile"} <= set(found)
    assert "snowplow" not in _names(glove_space, glove_space.sentence_classes(sentence)[0])


def test_simulated_classes_are_a_top_k_mixture(minilm_space):
    weights = minilm_space.sentence_classes(["we watched the race cars .", "", "it was ."])
    assert weights.shape == (3, CLASSES)
    assert weights[0].sum() == pytest.approx(1.0)
    assert 0 < np.count_nonzero(weights[0]) <= minilm_space.config.top_classes
    assert "race car" in _names(minilm_space, weights[0])
    assert not weights[1].any() and not weights[2].any()  # no content word, no class


def test_bridge_settings_are_checked():
    with pytest.raises(ValueError, match="vectors"):
        TermBridge("word2vec")
    with pytest.raises(ValueError, match="neighbours"):
        TermBridge(neighbours=0)


def _album(space: TermSpace) -> np.ndarray:
    """Four photos a classifier calls a snowplow, one a fireboat at a dock."""
    names = space.concepts.names
    probabilities = np.full((5, CLASSES), 1e-4)
    probabilities[:4, names.index("snowplow")] = 0.5
    probabilities[4, names.index("fireboat")] = 0.6
    probabilities[4, names.index("dock")] = 0.3
    return space.photo_terms(probabilities)


def _words(space: TermSpace, row: np.ndarray) -> dict[str, float]:
    slots = row.reshape(space.config.terms, -1)
    return {
        space.words[int(np.argmax(space.vectors @ slot[:-1]))]: float(slot[-1])
        for slot in slots
        if slot[-1] > 0
    }


def test_album_terms_bring_the_albums_shared_word_to_every_photo(minilm_space):
    features = _album(minilm_space)
    assert "snowplow" not in _words(minilm_space, features[4])
    pooled = album_terms(features, 0.5, minilm_space.config.terms)
    last = _words(minilm_space, pooled[4])
    assert last["snowplow"] == pytest.approx(0.4, abs=0.01)  # half of the album's 0.8
    assert last["fireboat"] > last["dock"] > 0  # its own words stay, in order
    assert sum(last.values()) == pytest.approx(1.0)
    assert _words(minilm_space, pooled[0])["snowplow"] > 0.85
    np.testing.assert_array_equal(album_terms(features, 0.0, minilm_space.config.terms), features)
    with pytest.raises(ValueError, match="album share"):
        album_terms(features, 1.5, minilm_space.config.terms)


#: sentence-transformers 6.3 with PyTorch 2.13 on the same package folder, normalised embeddings.
REFERENCE_COSINES = (0.7409638, 0.4716680, 0.0658365)


def test_album_share_pools_each_storys_terms_before_the_search(minilm_space):
    from imgstory.decoding import DecodingConfig
    from imgstory.generation.storyteller import Storyteller
    from imgstory.paths import SHIPPED_MODELS_DIR

    teller = Storyteller.load(SHIPPED_MODELS_DIR / "vist-lstm")
    features = _album(minilm_space)  # (5, 408)
    slots = teller.directory.model_config.term_slots
    pooled = album_terms(features, 0.5, slots)
    shared = teller.generate_batch(np.stack([features, features]), DecodingConfig(album_share=0.5))
    own = DecodingConfig(album_share=0.0)  # each photo's terms as they are
    assert shared == teller.generate_batch(np.stack([pooled, pooled]), own)
    alone = teller.generate_batch(features[None], own)[0]
    assert shared[0].sentences[4] != alone.sentences[4]  # the fireboat photo hears of the snowplow
