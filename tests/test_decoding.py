"""The compiled story search on a scripted model whose best sentences are known by hand."""

from __future__ import annotations

import numpy as np
import pytest

from imgstory.decoding import DECODING_HELP, DecodingConfig
from imgstory.errors import UserInputError

tf = pytest.importorskip("tensorflow")
from imgstory.decoding.search import StorySearch  # noqa: E402

# ids 0-3 are <pad> <start> <end> <unk>; then five words
WORDS = {"a": 4, "b": 5, "x": 6, "y": 7, "z": 8}
NAMES = {index: word for word, index in WORDS.items()}
VOCAB = 9
WIDTH = 6


class ScriptedModel:
    """A bigram 'storyteller': the next word depends only on the previous one (a fixed table)."""

    vocab_size = VOCAB
    sentence_width = WIDTH
    hidden_size = 2

    def __init__(self, table: dict[str, dict[str, float]]):
        probabilities = np.full((VOCAB, VOCAB), 1e-9)
        for previous, following in table.items():
            row = 1 if previous == "<start>" else WORDS[previous]
            for word, probability in following.items():
                probabilities[row, 2 if word == "<end>" else WORDS[word]] = probability
        self.table = tf.constant(np.log(probabilities), tf.float32)

    def encode_photos(self, features):
        return features

    def initial_story_state(self, batch):
        return [tf.zeros((batch, 2))]

    def story_step(self, sentence_vector, state):
        return tf.zeros_like(state[0]), state

    def start_sentence(self, photo_encoding, story_output):
        return photo_encoding, [[tf.zeros((tf.shape(photo_encoding)[0], 1))]]

    def decoder_step(self, tokens, memory, states):
        return tf.gather(self.table, tokens), states

    def encode_sentence(self, tokens):
        return tf.zeros((tf.shape(tokens)[0], 2))


# Greedy takes "a" (0.6) then "x" (0.55): 0.33 in all; beam search finds "b z" (0.4).
GARDEN_PATH = {
    "<start>": {"a": 0.6, "b": 0.4},
    "a": {"x": 0.55, "y": 0.45},
    "x": {"<end>": 1.0},
    "y": {"<end>": 1.0},
    "b": {"z": 1.0},
    "z": {"<end>": 1.0},
}


_SEARCHES: dict[tuple, StorySearch] = {}


def tell(table, config: DecodingConfig, photos: int = 1, batch: int = 1) -> list[list[str]]:
    """Decode and turn ids into words: one list of sentences per story."""
    key = (repr(table), config.compiled_key())  # tracing is the slow part: reuse searches
    if key not in _SEARCHES:
        _SEARCHES[key] = StorySearch(ScriptedModel(table), config, feature_dim=3)
    ids = _SEARCHES[key](np.zeros((batch, photos, 3), np.float32), config)
    assert ids.shape == (batch, photos, WIDTH)
    stories = []
    for story in ids:
        sentences = []
        for row in story:
            assert 2 in row, "every sentence ends with <end>"
            end = list(row).index(2)
            assert not row[end + 1 :].any(), "only <pad> after <end>"
            sentences.append(" ".join(NAMES[int(i)] for i in row[:end]))
        stories.append(sentences)
    return stories


def test_greedy_takes_the_locally_best_word_and_beam_the_best_sentence():
    assert tell(GARDEN_PATH, DecodingConfig(method="greedy")) == [["a x"]]
    assert tell(GARDEN_PATH, DecodingConfig(method="beam", beam_size=1)) == [["a x"]]
    assert tell(GARDEN_PATH, DecodingConfig(method="beam", beam_size=2)) == [["b z"]]


def test_length_penalty_can_prefer_the_longer_sentence():
    table = {
        "<start>": {"a": 0.5, "b": 0.5},
        "a": {"<end>": 1.0},
        "b": {"x": 0.8},
        "x": {"<end>": 1.0},
    }
    short = DecodingConfig(method="beam", beam_size=2, length_penalty=0.0)
    assert tell(table, short) == [["a"]]
    long = DecodingConfig(method="beam", beam_size=2, length_penalty=2.0)
    assert tell(table, long) == [["b x"]]


def test_repeated_sentences_are_replaced_by_the_next_candidate():
    beam = DecodingConfig(method="beam", beam_size=3)
    assert tell(GARDEN_PATH, beam, photos=3) == [["b z", "a x", "a y"]]
    allowed = DecodingConfig(method="beam", beam_size=3, block_repeated_sentences=False)
    assert tell(GARDEN_PATH, allowed, photos=3) == [["b z"] * 3]
    greedy = tell(GARDEN_PATH, DecodingConfig(method="greedy"), photos=3)[0]
    assert greedy[:2] == ["a x", "b z"] and len(set(greedy)) == 3
    plain = DecodingConfig(method="greedy", block_repeated_sentences=False)
    assert tell(GARDEN_PATH, plain, photos=3) == [["a x"] * 3]


def test_no_repeat_ngram_blocks_within_and_across_sentences():
    stutter = {"<start>": {"a": 1.0}, "a": {"a": 0.9, "<end>": 0.1}}
    free = DecodingConfig(method="greedy", block_repeated_sentences=False)
    assert tell(stutter, free, photos=2) == [["a a a a a"] * 2]  # the last slot forces <end>
    blocked = DecodingConfig(
        method="greedy", block_repeated_sentences=False, no_repeat_ngram_size=2
    )
    assert tell(stutter, blocked, photos=2) == [["a a", "a"]]  # "a a" is used up in sentence 1
    beam = DecodingConfig(method="beam", beam_size=2, no_repeat_ngram_size=2)
    assert tell(stutter, beam, photos=1) == [["a"]]  # 0.1 beats "a a" at 0.9 * 0.1


def test_sampling_is_reproducible_per_seed_and_top_k_1_is_greedy():
    uniform = {"<start>": {w: 0.2 for w in WORDS}, **{w: {"<end>": 1.0} for w in WORDS}}
    config = DecodingConfig(method="sample", seed=7, block_repeated_sentences=False)
    first = tell(uniform, config, photos=10)
    assert tell(uniform, config, photos=10) == first
    other = tell(
        uniform, DecodingConfig(method="sample", seed=8, block_repeated_sentences=False), 10
    )
    assert other != first and len(set(first[0])) > 1
    top1 = DecodingConfig(method="sample", top_k=1, seed=3, block_repeated_sentences=False)
    assert tell(GARDEN_PATH, top1, photos=2) == [["a x", "a x"]]


def test_a_batch_decodes_like_single_stories_and_any_photo_count_works():
    config = DecodingConfig(method="beam", beam_size=3)
    assert tell(GARDEN_PATH, config, photos=3, batch=4) == [["b z", "a x", "a y"]] * 4
    for photos in (1, 2, 10):
        assert len(tell(GARDEN_PATH, config, photos=photos)[0]) == photos


def test_runtime_options_must_match_the_compiled_search():
    search = StorySearch(ScriptedModel(GARDEN_PATH), DecodingConfig(method="greedy"), 3)
    with pytest.raises(ValueError, match="compiled for another"):
        search(np.zeros((1, 2, 3), np.float32), DecodingConfig(method="beam"))
    with pytest.raises(ValueError, match="features must be"):
        search(np.zeros((2, 3), np.float32))


def test_decoding_config_validates_with_clear_messages_and_has_help_for_every_option():
    with pytest.raises(UserInputError, match="unknown decoding method 'top'"):
        DecodingConfig(method="top")
    with pytest.raises(UserInputError, match="beam size"):
        DecodingConfig(beam_size=0)
    with pytest.raises(UserInputError, match="temperature"):
        DecodingConfig(temperature=0)
    with pytest.raises(UserInputError, match="n-gram"):
        DecodingConfig(no_repeat_ngram_size=1)
    config = DecodingConfig(method="sample", temperature=0.7, top_k=20, seed=4)
    assert DecodingConfig.from_json(config.to_json()) == config
    assert set(DECODING_HELP) == set(config.to_json())
    assert DecodingConfig(method="sample", seed=1).compiled_key() == (
        DecodingConfig(method="sample", seed=2, temperature=0.5).compiled_key()
    )
