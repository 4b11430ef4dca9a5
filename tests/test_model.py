"""The Keras storyteller: architecture, step pieces, model directories, loading checks."""

from __future__ import annotations

import dataclasses
import json
import shutil
import zipfile

import numpy as np
import pytest
from PIL import Image

from devtools.toy_data import toy_feature_store, toy_stories
from imgstory.decoding import DecodingConfig
from imgstory.errors import UserInputError
from imgstory.model.config import ModelConfig, TrainingConfig, load_config_file
from imgstory.text.tokens import SENTENCE_ENDS
from imgstory.text.vocabulary import PAD_ID, START_ID, Vocabulary

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")
from imgstory.generation.predict import predict_stories  # noqa: E402
from imgstory.generation.storyteller import Storyteller  # noqa: E402
from imgstory.model.architecture import StoryModelParts, build_model  # noqa: E402
from imgstory.model.directory import (  # noqa: E402
    CONFIG_FILE,
    MODEL_FILE,
    VOCAB_FILE,
    load_model_directory,
    save_model_directory,
)

FEATURES = 32


def small_config(vocabulary: Vocabulary, cell: str = "lstm") -> ModelConfig:
    return ModelConfig(
        cell=cell,
        hidden_size=16,
        embedding_dim=8,
        decoder_layers=2,
        max_sentence_length=10,
        vocab_min_count=1,
        feature_dim=FEATURES,
        vocab_size=len(vocabulary),
    )


def make_model_dir(path, stories, cell="lstm", seed=0, fingerprint="toy-seed0"):
    """An untrained (random, seeded) model directory: enough to test saving and loading."""
    vocabulary = Vocabulary.build(text for story in stories for text in story.texts)
    config = small_config(vocabulary, cell)
    keras.utils.set_random_seed(seed)
    model = build_model(config)
    card = {"encoder": {"name": "toy", "fingerprint": fingerprint, "dimension": FEATURES}}
    save_model_directory(path, model, config, TrainingConfig(), vocabulary, card)
    return model, config, vocabulary


@pytest.fixture(scope="module")
def stories():
    return toy_stories(albums=2, stories_per_album=2)


@pytest.fixture(scope="module")
def store(tmp_path_factory, stories):
    return toy_feature_store(tmp_path_factory.mktemp("store") / "features", stories, FEATURES)


def test_build_model_needs_sizes_and_gives_one_logit_row_per_token():
    with pytest.raises(ValueError, match="feature_dim and vocab_size"):
        build_model(ModelConfig())
    config = ModelConfig(hidden_size=8, embedding_dim=4, feature_dim=6, vocab_size=20)
    model = build_model(config)
    logits = model(
        {"photo_features": np.zeros((3, 5, 6)), "sentences": np.zeros((3, 5, 26), "int32")}
    )
    assert tuple(logits.shape) == (3, 5, 26, 20)
    with pytest.raises(ValueError, match="embedding matrix shape"):
        build_model(config, np.zeros((5, 4)))


SLOTS = 3


def term_features(vectors: np.ndarray, rng: np.random.Generator, shape=(2, 5)) -> np.ndarray:
    """Term features ``(*shape, SLOTS * (d + 1))``: unit rows of ``vectors`` (vocabulary word
    vectors, so copying can find them) with weights summing to 1, the last slot of every other
    photo empty."""
    ids = rng.integers(4, len(vectors), (*shape, SLOTS))
    unit = vectors[ids] / np.linalg.norm(vectors[ids], axis=-1, keepdims=True)
    weights = rng.random((*shape, SLOTS))
    weights[..., ::2, -1] = 0.0
    weights /= weights.sum(-1, keepdims=True)
    unit[weights == 0] = 0.0
    return np.concatenate([unit, weights[..., None]], -1).reshape(*shape, -1).astype("float32")


@pytest.mark.parametrize(
    ("cell", "output"),
    [("lstm", "plain"), ("gru", "plain"), ("lstm", "tied"), ("lstm", "copy"), ("gru", "copy")],
)
def test_step_pieces_reproduce_the_teacher_forced_model(cell, output, stories):
    """Decoding drives the same weights one token at a time: logits must agree exactly wherever
    a word is predicted (the thesis output layer, GloVe-tied scores, and copying from the photo's
    terms; the training model leaves the term models' <pad> positions at 0)."""
    vocabulary = Vocabulary.build(text for story in stories for text in story.texts)
    config = small_config(vocabulary, cell)
    rng = np.random.default_rng(0)
    vectors = None
    if output == "plain":
        features = rng.normal(size=(2, 5, FEATURES)).astype("float32")
    else:
        vectors = rng.normal(size=(len(vocabulary), config.embedding_dim)).astype("float32")
        features = term_features(vectors, rng)
        config = dataclasses.replace(
            config,
            feature_dim=features.shape[-1],
            term_slots=SLOTS,
            tied_output=True,
            copy_terms=output == "copy",
        )
    keras.utils.set_random_seed(1)
    model = build_model(config, vectors)
    assert any(type(layer).__name__ == cell.upper() for layer in model.layers)
    texts = [text for story in stories[:2] for text in story.texts]
    sentences = vocabulary.encode_batch(texts, config.max_sentence_length).reshape(2, 5, -1)
    expected = model({"photo_features": features, "sentences": sentences}).numpy()

    parts = StoryModelParts(model, config)
    encodings = parts.encode_photos(tf.constant(features))
    story_output, story_state = parts.story_step(tf.zeros((2, 16)), parts.initial_story_state(2))
    for index in range(5):
        memory, states = parts.start_sentence(encodings[:, index], story_output)
        previous = tf.fill((2,), START_ID)
        for step in range(config.sentence_width):
            logits, states = parts.decoder_step(previous, memory, states)
            real = sentences[:, index, step] != PAD_ID  # (2,) a word is predicted here
            np.testing.assert_allclose(
                logits.numpy()[real], expected[:, index, step][real], atol=1e-5
            )
            if output != "plain":  # the training model scores only where a word is predicted
                assert np.all(expected[:, index, step][~real] == 0.0)
            previous = tf.constant(sentences[:, index, step])
        vector = parts.encode_sentence(tf.constant(sentences[:, index]))
        story_output, story_state = parts.story_step(vector, story_state)


def test_compiled_greedy_equals_a_step_by_step_python_loop(tmp_path, stories, store):
    make_model_dir(tmp_path / "model", stories, seed=3)
    teller = Storyteller.load(tmp_path / "model")
    features = store.get(stories[0].photo_ids)
    plain = DecodingConfig(
        method="greedy", block_repeated_sentences=False, no_repeat_ngram_size=0, end_penalty=0.0
    )
    compiled = teller.generate_from_features(features, plain)

    parts, vocabulary = teller.parts, teller.vocabulary
    ends = [vocabulary.id_of(token) for token in SENTENCE_ENDS]  # "." "!" "?" (or <unk>)
    encodings = parts.encode_photos(tf.constant(features[None]))
    story_output, story_state = parts.story_step(tf.zeros((1, 16)), parts.initial_story_state(1))
    sentences = []
    for index in range(5):
        memory, states = parts.start_sentence(encodings[:, index], story_output)
        previous, words = tf.constant([START_ID]), []
        for step in range(parts.sentence_width):
            logits, states = parts.decoder_step(previous, memory, states)
            logits = logits.numpy()[0]
            logits[[0, 1, 3]] = -np.inf  # <pad> <start> <unk> are never written
            if step == 0:
                logits[2] = -np.inf  # no empty sentence
            if step == parts.sentence_width - 2:  # a sentence's punctuation, at the latest here
                logits[~np.isin(np.arange(len(logits)), [2, *ends])] = -np.inf
            if step == parts.sentence_width - 1:
                logits[np.arange(len(logits)) != 2] = -np.inf
            word = int(np.argmax(logits))
            words.append(word)
            if word == 2:
                break
            previous = tf.constant([word])
        ids = np.zeros((1, parts.sentence_width), "int32")
        ids[0, : len(words)] = words
        sentences.append(vocabulary.decode(words))
        story_output, story_state = parts.story_step(parts.encode_sentence(ids), story_state)
    assert list(compiled.sentences) == sentences


def test_save_load_generate_is_identical_and_holds_no_optimizer(tmp_path, stories, store):
    vocabulary = Vocabulary.build(text for story in stories for text in story.texts)
    config = small_config(vocabulary)
    keras.utils.set_random_seed(5)
    model = build_model(config)
    model.compile(optimizer="adam", loss="mse")
    model.optimizer.build(model.trainable_variables)  # Adam's moments: state to leave behind
    assert len(model.optimizer.variables) > len(model.trainable_variables)
    card = {"encoder": {"name": "toy", "fingerprint": "toy-seed0", "dimension": FEATURES}}
    save_model_directory(tmp_path / "m", model, config, TrainingConfig(), vocabulary, card)

    with zipfile.ZipFile(tmp_path / "m" / MODEL_FILE) as archive:
        saved = json.loads(archive.read("config.json"))
        assert "compile_config" not in saved or not saved["compile_config"]
        import h5py

        archive.extract("model.weights.h5", tmp_path)
    with h5py.File(tmp_path / "model.weights.h5") as weights:
        assert "optimizer" not in weights

    in_memory = Storyteller(load_model_directory(tmp_path / "m"))
    in_memory.parts = StoryModelParts(model, config)  # the very model that was saved
    reloaded = Storyteller.load(tmp_path / "m")
    decoding = DecodingConfig(method="beam", beam_size=3)
    batch = np.stack([store.get(story.photo_ids) for story in stories])  # (4, 5, features)
    before = in_memory.generate_batch(batch, decoding)
    assert reloaded.generate_batch(batch, decoding) == before
    assert len({story.story for story in before}) > 1  # the stories depend on the photos
    assert reloaded.encoder_name == "toy" and reloaded.card["vocab_fingerprint"]


def test_another_models_vocabulary_is_refused(tmp_path, stories, capsys):
    make_model_dir(tmp_path / "a", stories[:2])
    make_model_dir(tmp_path / "b", stories[2:])
    shutil.copy(tmp_path / "b" / VOCAB_FILE, tmp_path / "a" / VOCAB_FILE)
    with pytest.raises(UserInputError, match="not the vocabulary this model was trained with"):
        Storyteller.load(tmp_path / "a")

    from imgstory.cli import main

    photo = tmp_path / "photo.png"
    Image.new("RGB", (8, 8)).save(photo)  # photos are checked first, before the model loads
    code = main(["generate", "--model", str(tmp_path / "a"), str(photo)])
    error = capsys.readouterr().err.strip()
    assert code == 2 and error.count("\n") == 0
    assert error.startswith("error: ") and "vocab.json" in error


def test_broken_model_directories_get_clear_messages(tmp_path, stories):
    with pytest.raises(UserInputError, match="model directory not found"):
        load_model_directory(tmp_path / "absent")
    make_model_dir(tmp_path / "m", stories)
    (tmp_path / "m" / MODEL_FILE).unlink()
    with pytest.raises(UserInputError, match=r"model\.keras is missing"):
        load_model_directory(tmp_path / "m")
    make_model_dir(tmp_path / "n", stories)
    (tmp_path / "n" / MODEL_FILE).write_bytes(b"not a zip")
    with pytest.raises(UserInputError, match=r"model\.keras is damaged: not a complete Keras"):
        load_model_directory(tmp_path / "n")
    make_model_dir(tmp_path / "o", stories)
    (tmp_path / "o" / CONFIG_FILE).write_text("{")
    with pytest.raises(UserInputError, match="not valid JSON"):
        load_model_directory(tmp_path / "o")


def test_a_truncated_model_file_is_damaged_not_missing(tmp_path, stories):
    """Finding 6: a model.keras cut short while copying was reported as 'file not found'."""
    make_model_dir(tmp_path / "m", stories)
    whole = (tmp_path / "m" / MODEL_FILE).read_bytes()
    (tmp_path / "m" / MODEL_FILE).write_bytes(whole[: len(whole) // 2])
    with pytest.raises(UserInputError) as refused:
        load_model_directory(tmp_path / "m")
    assert "is damaged" in str(refused.value) and "not found" not in str(refused.value)


def test_a_lambda_layer_is_refused_naming_lambda_and_safe_mode(tmp_path, stories):
    """Finding 6: the refusal of a Lambda layer named neither the Lambda nor safe mode."""
    make_model_dir(tmp_path / "m", stories)
    inputs = keras.Input((3,))
    keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs)).save(tmp_path / "l.keras")
    shutil.copy(tmp_path / "l.keras", tmp_path / "m" / MODEL_FILE)
    with pytest.raises(UserInputError, match=r"holds a Lambda layer .* Keras safe mode"):
        load_model_directory(tmp_path / "m")


def test_generation_checks_photo_count_and_feature_size(tmp_path, stories, store):
    make_model_dir(tmp_path / "m", stories)
    teller = Storyteller.load(tmp_path / "m")
    features = store.get(list(stories[0].photo_ids) * 3)  # 15 photos
    for count in (1, 7, 10):
        story = teller.generate_from_features(features[:count], DecodingConfig(method="greedy"))
        assert len(story.sentences) == count == len(story.display_sentences)
        assert story.story == " ".join(story.sentences)
    with pytest.raises(UserInputError, match="give 1 to 10 photos"):
        teller.generate_from_features(features[:11])
    with pytest.raises(UserInputError, match="do not fit this model"):
        teller.generate_from_features(np.zeros((5, FEATURES + 1)))
    batch = np.stack([store.get(s.photo_ids) for s in stories])
    together = teller.generate_batch(batch, DecodingConfig(method="beam", beam_size=2))
    beam = DecodingConfig(method="beam", beam_size=2)
    alone = [teller.generate_from_features(row, beam) for row in batch]
    assert together == alone


def test_prediction_refuses_features_of_another_encoder(tmp_path, stories, store):
    make_model_dir(tmp_path / "m", stories, fingerprint="other-weights")
    with pytest.raises(UserInputError, match="trained on 'toy' features"):
        predict_stories(tmp_path / "m", store, stories)


def test_configs_round_trip_and_refuse_unknown_fields(tmp_path):
    config = ModelConfig(cell="gru", hidden_size=64, vocab_max_size=500)
    assert ModelConfig.from_json(config.to_json()) == config
    assert config.sentence_width == 26
    with pytest.raises(ValueError, match="cell must be one of"):
        ModelConfig(cell="rnn")
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model": {"hidden_size": 8}, "training": {"epochs": 2}}))
    model, training = load_config_file(path)
    assert model.hidden_size == 8 and training.epochs == 2 and training.batch_size == 64
    path.write_text(json.dumps({"model": {"hiden_size": 8}}))
    with pytest.raises(UserInputError, match="unknown ModelConfig field"):
        load_config_file(path)


def test_a_fresh_process_loads_a_saved_model(tmp_path, stories):
    """The custom layer must be registered by loading alone (no earlier architecture import)."""
    import os
    import subprocess
    import sys

    make_model_dir(tmp_path / "m", stories)
    script = (
        "import sys; from imgstory.model.directory import load_model_directory; "
        "loaded = load_model_directory(sys.argv[1]); "
        "print(loaded.model.get_layer('photo_normalization').__class__.__name__)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "m")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "FeatureStandardization"
