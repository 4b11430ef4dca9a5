"""Batch prediction over the real VIST test file with features for its 60 sample photos only."""

from __future__ import annotations

import json

import pytest

from imgstory.data.sis import load_sis
from imgstory.model.config import ModelConfig, TrainingConfig
from imgstory.text.vocabulary import Vocabulary

keras = pytest.importorskip("keras")
from imgstory.decoding import DecodingConfig  # noqa: E402
from imgstory.generation.predict import predict_stories  # noqa: E402
from imgstory.model.architecture import build_model  # noqa: E402
from imgstory.model.directory import save_model_directory  # noqa: E402


@pytest.mark.real_data
def test_prediction_tells_exactly_the_sequences_whose_photos_have_features(vist_dir, tmp_path):
    from imgstory.features.extract import extract_features

    photos = {path.stem: path for path in sorted((vist_dir / "photos").glob("*.jpg"))}
    extract_features(photos, tmp_path / "features", "handcrafted", progress=False)
    from imgstory.features.store import FeatureStore

    store = FeatureStore.open(tmp_path / "features")
    stories = load_sis(vist_dir / "sis" / "test.story-in-sequence.json").stories
    vocabulary = Vocabulary.build(text for story in stories[:200] for text in story.texts)
    config = ModelConfig(
        hidden_size=16,
        embedding_dim=8,
        decoder_layers=1,
        feature_dim=store.dimension,
        vocab_size=len(vocabulary),
    )
    card = {"encoder": {"name": store.encoder, "fingerprint": store.weights_fingerprint}}
    model_dir = tmp_path / "model"
    save_model_directory(model_dir, build_model(config), config, TrainingConfig(), vocabulary, card)

    sample = json.loads((vist_dir / "photos" / "sequences.json").read_text())
    sample_sequences = {tuple(entry["stories"][0]["photo_flickr_ids"]) for entry in sample}
    greedy = DecodingConfig(method="greedy")
    challenge = predict_stories(model_dir, store, stories, greedy, format="challenge")
    told = {tuple(entry["photo_sequence"]) for entry in challenge["output_stories"]}
    assert sample_sequences <= told
    assert all(set(sequence) <= set(photos) for sequence in told)
    arel = predict_stories(model_dir, store, stories, greedy, format="arel")
    assert set(arel) == {entry["album_id"] for entry in sample}
    assert all(len(story) == 1 and len(story[0].split()) >= 5 for story in arel.values())
