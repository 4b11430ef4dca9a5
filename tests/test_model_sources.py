"""The trainer's feature sources: a store's photo vectors and text-only sentence vectors."""

from __future__ import annotations

import numpy as np
import pytest

from devtools.toy_data import toy_feature_store, toy_stories
from imgstory.model.config import ModelConfig
from imgstory.model.pipeline import StoryBatches
from imgstory.model.sources import (
    FeatureSource,
    SentenceFeatures,
    StoreFeatures,
    StoryVectors,
    feature_source,
)
from imgstory.text.vocabulary import Vocabulary


def per_sentence(dimension: int) -> SentenceFeatures:
    """Sentence vectors whose first value numbers the sentence: story * 5 + position."""

    def vectors(stories) -> np.ndarray:
        values = np.zeros((len(stories), 5, dimension), dtype=np.float32)
        values[:, :, 0] = np.arange(len(stories) * 5).reshape(-1, 5)
        return values

    return SentenceFeatures("toy-text", "fp", dimension, vectors, {"bridge": 1}, ("zebra",))


def test_a_store_gives_one_row_per_photo_and_skips_stories_without_features(tmp_path):
    stories = toy_stories(albums=2, stories_per_album=2)  # an album's stories share photos
    store = toy_feature_store(tmp_path / "features", stories[1:], dimension=6)
    source = feature_source(tmp_path / "features")
    assert isinstance(source, StoreFeatures) and isinstance(source, FeatureSource)
    assert (source.encoder, source.fingerprint, source.dimension) == ("toy", "toy-seed0", 6)
    assert source.path == store.path and source.words == ()
    assert set(stories[0].photo_ids) - set(store.ids)  # the first story lacks a photo
    usable = source.with_vectors(stories)
    assert usable == stories[1:]
    vectors = source.story_vectors(usable)
    distinct = list(dict.fromkeys(p for story in usable for p in story.photo_ids))
    assert vectors.table.shape == (len(distinct), 6) and vectors.table.dtype == store.dtype
    assert vectors.rows.shape == (len(usable), 5) and vectors.rows.dtype == np.int64
    for story, rows in zip(usable, vectors.rows, strict=True):
        np.testing.assert_array_equal(vectors.table[rows], store.get(story.photo_ids))
    assert source.encoder_card() == {
        "name": "toy", "fingerprint": "toy-seed0", "dimension": 6, "store": str(store.path)
    }  # fmt: skip
    assert source.story_vectors([]).rows.shape == (0, 5)


def test_sentence_vectors_give_one_row_per_sentence():
    stories = toy_stories(albums=2, stories_per_album=2)
    source = per_sentence(3)
    assert isinstance(source, FeatureSource) and feature_source(source) is source
    assert source.path is None and source.words == ("zebra",)
    assert source.with_vectors(stories) == stories
    vectors = source.story_vectors(stories)
    assert vectors.table.shape == (20, 3)
    np.testing.assert_array_equal(vectors.rows, np.arange(20).reshape(4, 5))
    np.testing.assert_array_equal(vectors.table[vectors.rows][:, :, 0], vectors.rows)
    assert source.encoder_card() == {
        "name": "toy-text", "fingerprint": "fp", "dimension": 3, "text_only_bridge": {"bridge": 1}
    }  # fmt: skip
    wrong = SentenceFeatures("t", "f", 3, lambda chosen: np.zeros((len(chosen), 4, 3)))
    with pytest.raises(ValueError, match="expected"):
        wrong.story_vectors(stories)


def test_batches_refuse_vectors_of_other_stories():
    stories = toy_stories(albums=2, stories_per_album=2)
    vocabulary = Vocabulary.build((t for s in stories for t in s.texts), 1, None)
    vectors = StoryVectors.per_sentence(np.zeros((3, 5, 2), dtype=np.float32))
    with pytest.raises(ValueError, match=r"expected \(4, 5\)"):
        StoryBatches(vectors, stories, vocabulary, ModelConfig())
    with pytest.raises(ValueError, match="expected"):
        StoryVectors.per_sentence(np.zeros((3, 2)))
