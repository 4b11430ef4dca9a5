"""The compiled story search on a scripted model whose best sentences are known by hand."""

from __future__ import annotations

import dataclasses
import itertools
import logging

import numpy as np
import pytest

from imgstory.configs import config_from_json
from imgstory.decoding import DECODING_HELP, DecodingConfig
from imgstory.errors import UserInputError

tf = pytest.importorskip("tensorflow")
from imgstory.decoding.search import StorySearch, story_keys  # noqa: E402

# ids 0-3 are <pad> <start> <end> <unk>; then five words
WORDS = {"a": 4, "b": 5, "x": 6, "y": 7, "z": 8}
NAMES = {index: word for word, index in WORDS.items()}
VOCAB = 9
WIDTH = 6

# Greedy takes "a" (0.6) then "x" (0.55): 0.33 in all; beam search finds "b z" (0.4).
GARDEN_PATH = {
    "<start>": {"a": 0.6, "b": 0.4},
    "a": {"x": 0.55, "y": 0.45},
    "x": {"<end>": 1.0},
    "y": {"<end>": 1.0},
    "b": {"z": 1.0},
    "z": {"<end>": 1.0},
}
# "a" scores log 0.55 = -0.598 (length 2 with <end>), "b x y z" log 0.45 = -0.799 (length 5).
# Penalty 0: "a". Penalty 1: -0.598 / (7/6) = -0.513 < -0.799 / (10/6) = -0.479: "b x y z".
SHORT_OR_LONG = {
    "<start>": {"a": 0.55, "b": 0.45},
    "a": {"<end>": 1.0},
    "b": {"x": 1.0},
    "x": {"y": 1.0},
    "y": {"z": 1.0},
    "z": {"<end>": 1.0},
}
# With 2 beams, both end at step 1 ("b" -0.904, "a" -1.109) ahead of "a x" (-1.514). Penalty 2:
# "b" -0.904 / (7/6)**2 = -0.664, "a" -0.815, "a x y z" -1.514 / (10/6)**2 = -0.545 is the best,
# found only if the finished sentences leave the beam to the live "a x" (standard beam search).
FINISHED_EARLY = {
    "<start>": {"a": 0.55, "b": 0.45},
    "a": {"<end>": 0.6, "x": 0.4},
    "b": {"<end>": 0.9},
    "x": {"y": 1.0},
    "y": {"z": 1.0},
    "z": {"<end>": 1.0},
}
STUTTER = {"<start>": {"a": 1.0}, "a": {"a": 0.9, "<end>": 0.1}}
UNIFORM = {"<start>": {w: 0.2 for w in WORDS}, **{w: {"<end>": 1.0} for w in WORDS}}
# top-p 0.7 keeps "a" and "b" (0.5 + 0.3 reach 0.7 only with "b"), never "x" / "y"
NUCLEUS = {
    "<start>": {"a": 0.5, "b": 0.3, "x": 0.1, "y": 0.1},
    **{w: {"<end>": 1.0} for w in WORDS},
}
# "a b x y" by far, for every photo: the "we had a great time" of this vocabulary
GREAT_TIME = {
    "<start>": {"a": 0.9, "b": 0.04, "x": 0.03, "y": 0.03},
    "a": {"b": 0.9, "x": 0.05, "y": 0.05},
    "b": {"x": 0.9, "y": 0.05, "<end>": 0.05},
    "x": {"y": 0.9, "a": 0.05, "<end>": 0.05},
    "y": {"<end>": 0.9, "a": 0.05, "b": 0.05},
}
# "a" (0.55) or "b" (0.45), then the end: the same best one-word sentence for every photo
EITHER = {"<start>": {"a": 0.55, "b": 0.45}, "a": {"<end>": 1.0}, "b": {"<end>": 1.0}}
TABLES = (
    GARDEN_PATH, SHORT_OR_LONG, FINISHED_EARLY, STUTTER, UNIFORM, NUCLEUS, GREAT_TIME, EITHER
)  # fmt: skip


def log_table(table: dict[str, dict[str, float]]) -> np.ndarray:
    """``(vocab, vocab)`` next-word log-probabilities (1e-9 where the table says nothing)."""
    probabilities = np.full((VOCAB, VOCAB), 1e-9)
    for previous, following in table.items():
        row = 1 if previous == "<start>" else WORDS[previous]
        for word, probability in following.items():
            probabilities[row, 2 if word == "<end>" else WORDS[word]] = probability
    return np.log(probabilities)


class ScriptedModel:
    """A bigram 'storyteller': the next word depends only on the previous one (a fixed table).

    Feature 0 of a photo picks its story's table from ``TABLES``, so the rows of a batch can tell
    different stories; features 1-2 only make stories differ (their sampling keys).
    """

    vocab_size = VOCAB
    sentence_width = WIDTH
    hidden_size = 2

    def __init__(self, tables=TABLES):
        self.tables = tf.constant(np.stack([log_table(t) for t in tables]), tf.float32)

    def encode_photos(self, features):
        return features

    def initial_story_state(self, batch):
        return [tf.zeros((batch, 2))]

    def story_step(self, sentence_vector, state):
        return tf.zeros_like(state[0]), state

    def start_sentence(self, photo_encoding, story_output):
        return photo_encoding, [[tf.zeros((tf.shape(photo_encoding)[0], 1))]]

    def decoder_step(self, tokens, memory, states, copy_weight=None):
        table = tf.cast(memory[:, 0], tf.int32)  # (rows,)
        return tf.gather_nd(self.tables, tf.stack([table, tokens], axis=1)), states

    def encode_sentence(self, tokens):
        return tf.zeros((tf.shape(tokens)[0], 2))


class StubbornModel(ScriptedModel):
    """Whatever it is fed, prefers the sentence "a x" by far at every step: its logits depend on
    the step alone (0 for the scripted token, -5 for every other), so it would write "a x"
    for every photo if nothing stopped it."""

    def __init__(self):
        script = np.full((4, VOCAB), -5.0)
        for step, token in enumerate([WORDS["a"], WORDS["x"], 2, 2]):
            script[step, token] = 0.0
        self.script = tf.constant(script, tf.float32)

    def decoder_step(self, tokens, memory, states, copy_weight=None):
        step = states[0][0]  # (rows, 1): steps taken, the only state
        position = tf.minimum(tf.cast(step[:, 0], tf.int32), 3)
        return tf.gather(self.script, position), [[step + 1]]


SCRIPTED, STUBBORN = ScriptedModel(), StubbornModel()
_SEARCHES: dict[tuple, StorySearch] = {}


def search_for(model, config: DecodingConfig) -> StorySearch:
    """One compiled search per (model, compiled key): tracing is the slow part."""
    key = (id(model), config.compiled_key())
    if key not in _SEARCHES:
        _SEARCHES[key] = StorySearch(model, config, feature_dim=3)
    return _SEARCHES[key]


def features_for(tables, photos: int = 1, seed: int | None = None) -> np.ndarray:
    """``(stories, photos, 3)`` features: one table per story; random story features if seeded."""
    features = np.zeros((len(tables), photos, 3), np.float32)
    if seed is not None:
        features[..., 1:] = np.random.default_rng(seed).random((len(tables), photos, 2))
    features[..., 0] = np.array([TABLES.index(t) for t in tables], np.float32)[:, None]
    return features


def words_of(ids: np.ndarray) -> list[list[str]]:
    """``(stories, photos, width)`` ids as words, checking the sentence format on the way."""
    stories = []
    for story in ids:
        sentences = []
        for row in story:
            assert 2 in row, "every sentence ends with <end>"
            end = list(row).index(2)
            assert not row[end + 1 :].any(), "only <pad> after <end>"
            assert all(int(i) in NAMES for i in row[:end]), "only words before <end>"
            sentences.append(" ".join(NAMES[int(i)] for i in row[:end]))
        stories.append(sentences)
    return stories


def tell(table, config: DecodingConfig, photos: int = 1, batch: int = 1) -> list[list[str]]:
    """Decode ``batch`` stories of ``photos`` photos told from ``table``: sentences per story."""
    ids = search_for(SCRIPTED, config)(features_for([table] * batch, photos), config)
    assert ids.shape == (batch, photos, WIDTH)
    return words_of(ids)


def test_greedy_takes_the_locally_best_word_and_beam_the_best_sentence():
    assert tell(GARDEN_PATH, DecodingConfig(method="greedy")) == [["a x"]]
    assert tell(GARDEN_PATH, DecodingConfig(method="beam", beam_size=1)) == [["a x"]]
    assert tell(GARDEN_PATH, DecodingConfig(method="beam", beam_size=2)) == [["b z"]]


def test_length_penalty_decides_between_a_short_and_a_long_sentence():
    # the scores differ by 0.035 or more either way (see SHORT_OR_LONG): no tie-breaking
    short = DecodingConfig(method="beam", beam_size=2, length_penalty=0.0)
    assert tell(SHORT_OR_LONG, short) == [["a"]]
    long = DecodingConfig(method="beam", beam_size=2, length_penalty=1.0)
    assert tell(SHORT_OR_LONG, long) == [["b x y z"]]


def test_finished_sentences_leave_the_beam_to_the_live_ones_and_come_back_best_first():
    plain = DecodingConfig(method="beam", beam_size=2, block_repeated_sentences=False)
    assert tell(FINISHED_EARLY, plain) == [["b"]]
    # both beams end at step 1; only a search that keeps 2 beams live finds "a x y z"
    penalised = DecodingConfig(method="beam", beam_size=2, length_penalty=2.0)
    assert tell(FINISHED_EARLY, penalised) == [["a x y z"]]
    # repeats blocked, the next photos take the finished pool's next best, in order
    assert tell(FINISHED_EARLY, penalised, photos=3) == [["a x y z", "b", "a"]]


def test_repeated_sentences_are_replaced_by_the_next_candidate():
    beam = DecodingConfig(method="beam", beam_size=3)
    assert tell(GARDEN_PATH, beam, photos=3) == [["b z", "a x", "a y"]]
    allowed = DecodingConfig(method="beam", beam_size=3, block_repeated_sentences=False)
    assert tell(GARDEN_PATH, allowed, photos=3) == [["b z"] * 3]
    greedy = tell(GARDEN_PATH, DecodingConfig(method="greedy"), photos=3)[0]
    assert greedy[:2] == ["a x", "b z"] and len(set(greedy)) == 3
    plain = DecodingConfig(method="greedy", block_repeated_sentences=False)
    assert tell(GARDEN_PATH, plain, photos=3) == [["a x"] * 3]


@pytest.mark.parametrize(
    "config",
    [
        DecodingConfig(method="greedy"),
        DecodingConfig(method="beam", beam_size=3),
        DecodingConfig(method="beam", beam_size=1),
        DecodingConfig(method="sample", seed=1),
        DecodingConfig(method="greedy", no_repeat_ngram_size=2),
    ],
    ids=["greedy", "beam3", "beam1", "sample", "greedy-ngram"],
)
def test_a_sentence_is_never_repeated_even_when_every_candidate_would_repeat(config):
    # 7 photos > the 3 candidates: once they are used up, only token-level blocking holds
    story = words_of(search_for(STUBBORN, config)(np.zeros((1, 7, 3), np.float32), config))[0]
    assert story[0] == "a x"
    assert len(set(story)) == 7, story
    free = DecodingConfig(method=config.method, block_repeated_sentences=False)
    free_story = search_for(STUBBORN, free)(np.zeros((1, 7, 3), np.float32), free)
    assert words_of(free_story)[0] == ["a x"] * 7  # the model really insists


def test_no_repeat_ngram_blocks_within_and_across_sentences():
    free = DecodingConfig(method="greedy", block_repeated_sentences=False, no_repeat_ngram_size=0)
    assert tell(STUTTER, free, photos=2) == [["a a a a a"] * 2]  # the last slot forces <end>
    default = dataclasses.replace(free, no_repeat_ngram_size=DecodingConfig().no_repeat_ngram_size)
    assert tell(STUTTER, default, photos=2) == [["a", "a"]]  # never a word twice in a row
    blocked = DecodingConfig(
        method="greedy", block_repeated_sentences=False, no_repeat_ngram_size=2
    )
    # "a a" would be a doubled word: with n-gram blocking on, a word never follows itself
    assert tell(STUTTER, blocked, photos=2) == [["a", "a"]]
    beam = DecodingConfig(method="beam", beam_size=2, no_repeat_ngram_size=2)
    assert tell(STUTTER, beam, photos=1) == [["a"]]  # 0.1 beats "a a" at 0.9 * 0.1


def bigrams(sentences: list[str]) -> list[tuple[str, ...]]:
    """Every word bigram of every sentence."""
    pairs = []
    for sentence in sentences:
        words = sentence.split()
        pairs += list(itertools.pairwise(words))
    return pairs


def trigrams(sentences: list[str]) -> list[tuple[str, ...]]:
    """Every word trigram of every sentence (none crosses a sentence boundary)."""
    grams = []
    for sentence in sentences:
        words = sentence.split()
        grams += list(zip(words, words[1:], words[2:], strict=False))
    return grams


@pytest.mark.parametrize(
    "config",
    [DecodingConfig(), DecodingConfig(method="greedy"), DecodingConfig(method="beam", beam_size=5)],
    ids=["default", "greedy", "beam5"],
)
def test_by_default_no_word_trigram_is_written_twice_in_a_story(config):
    """A model that would write "a b x y" for every photo: by default (trigram blocking across
    sentences, on top of repeated-sentence blocking) no trigram comes back in the story."""
    assert config.no_repeat_ngram_size == 3
    (story,) = tell(GREAT_TIME, config, photos=5)
    assert story[0] == "a b x y"
    grams = trigrams(story)
    assert grams and len(grams) == len(set(grams)), story
    assert not [pair for pair in bigrams(story) if pair[0] == pair[1]]  # no "a a"
    unblocked = dataclasses.replace(config, no_repeat_ngram_size=0)
    (free,) = tell(GREAT_TIME, unblocked, photos=5)
    assert len(trigrams(free)) > len(set(trigrams(free))), free  # the model really repeats


def test_with_sentence_ends_a_sentence_ends_with_one():
    """GARDEN_PATH's best sentence "b z" ends straight after a word; told that only "y" ends a
    sentence, beam search writes the best sentence that ends in "y": "a y"."""
    config = DecodingConfig(method="beam", no_repeat_ngram_size=0)
    assert tell(GARDEN_PATH, config) == [["b z"]]
    search = StorySearch(SCRIPTED, config, feature_dim=3, sentence_ends=[WORDS["y"]])
    (story,) = words_of(search(features_for([GARDEN_PATH], photos=1), config))
    assert story == ["a y"]


def test_a_sentence_that_runs_to_the_width_still_ends_with_its_punctuation():
    """A model that would go on "a x a x ..." for ever: cut at the width, the sentence ends with
    a bare word; told that "y" ends a sentence, the slot before the last is "y"."""
    loop = {"<start>": {"a": 1.0}, "a": {"x": 0.9, "y": 0.1}, "x": {"a": 0.9, "y": 0.1},
            "y": {"<end>": 1.0}}  # fmt: skip
    model = ScriptedModel(tables=(loop,))
    config = DecodingConfig(method="greedy", no_repeat_ngram_size=0, end_penalty=0.0)
    features = np.zeros((1, 1, 3), np.float32)
    (free,) = words_of(StorySearch(model, config, feature_dim=3)(features, config))[0]
    assert free.split() == ["a", "x"] * ((WIDTH - 1) // 2) + ["a"] * ((WIDTH - 1) % 2)
    ending = StorySearch(model, config, feature_dim=3, sentence_ends=[WORDS["y"]])
    (closed,) = words_of(ending(features, config))[0]
    assert closed.split() == [*free.split()[: WIDTH - 2], "y"]


def test_a_content_word_is_written_once_per_sentence():
    """STUTTER-like "a x a x ...": told that "a" is a content word, a sentence holds it once."""
    loop = {"<start>": {"a": 0.9, "b": 0.1}, "a": {"x": 0.9, "<end>": 0.1},
            "x": {"a": 0.8, "y": 0.15, "<end>": 0.05}, "y": {"<end>": 1.0}}  # fmt: skip
    model = ScriptedModel(tables=(loop,))
    config = DecodingConfig(method="greedy")  # n-gram blocking on, as by default
    free = StorySearch(model, config, feature_dim=3)
    once = StorySearch(model, config, feature_dim=3, once_per_sentence=[WORDS["a"]])
    features = np.zeros((1, 1, 3), np.float32)
    assert words_of(free(features, config)) == [["a x a x y"]]  # then "a" would repeat "a x a"
    assert words_of(once(features, config)) == [["a x y"]]
    off = DecodingConfig(method="greedy", no_repeat_ngram_size=0)  # the rule rides on blocking
    assert words_of(StorySearch(model, off, 3, once_per_sentence=[4])(features, off)) != [["a x y"]]


@pytest.mark.parametrize("method", ["beam", "greedy"])
def test_the_presence_penalty_makes_a_later_sentence_choose_another_word(method):
    """EITHER writes "a" for every photo. With the presence penalty (1.0 by default) on "a" and
    "b", the second sentence pays 1.0 for "a": log 0.55 - 1 = -1.60 < log 0.45 = -0.80, so it
    says "b"; the third pays 1.0 for either and goes back to "a". Without it, "a a a"."""
    config = DecodingConfig(method=method, block_repeated_sentences=False)
    assert config.repeat_penalty == 1.0
    words = [WORDS["a"], WORDS["b"]]
    features = features_for([EITHER], photos=3)
    penalised = StorySearch(SCRIPTED, config, feature_dim=3, repeat_words=words)
    assert words_of(penalised(features, config)) == [["a", "b", "a"]]
    off = dataclasses.replace(config, repeat_penalty=0.0)
    assert words_of(penalised(features, off)) == [["a", "a", "a"]]  # a graph input: no retrace
    unlisted = StorySearch(SCRIPTED, config, feature_dim=3, repeat_words=[WORDS["b"]])
    assert words_of(unlisted(features, config)) == [["a", "a", "a"]]  # "a" is not counted
    compiled = StorySearch(SCRIPTED, config, 3, jit_compile=True, repeat_words=words)
    assert words_of(compiled(features, config)) == [["a", "b", "a"]]  # XLA counts the words too


def test_the_end_penalty_lets_a_sentence_go_on_where_the_model_is_not_clearly_done():
    """After "a", "y" (the sentence end here) has 0.55 and "x" 0.45. An end penalty of 1.0 takes
    1.0 from "y": log 0.55 - 1 = -1.60 < log 0.45 = -0.80, so greedy writes "a x y"; without
    it, "a y". Only the tokens given as sentence ends pay it."""
    table = {"<start>": {"a": 1.0}, "a": {"y": 0.55, "x": 0.45}, "x": {"y": 1.0},
             "y": {"<end>": 1.0}}  # fmt: skip
    model = ScriptedModel(tables=(table,))
    config = DecodingConfig(method="greedy", block_repeated_sentences=False)
    assert (config.end_penalty, config.sentence_length) == (1.0, 0.0)  # the default decoding
    features = np.zeros((1, 1, 3), np.float32)
    ending = StorySearch(model, config, feature_dim=3, sentence_ends=[WORDS["y"]])
    assert words_of(ending(features, config)) == [["a x y"]]
    off = dataclasses.replace(config, end_penalty=0.0)
    assert words_of(ending(features, off)) == [["a y"]]  # a graph input: no retrace
    unlisted = StorySearch(model, config, feature_dim=3)  # no sentence ends given: none pays
    assert words_of(unlisted(features, config)) == [["a y"]]


# "a", then the end "y" (0.6) or on with "x" / "a" (0.4): done after one word unless told to go on
ON_AND_ON = {"<start>": {"a": 1.0}, "a": {"y": 0.6, "x": 0.4}, "x": {"y": 0.6, "a": 0.4},
             "y": {"<end>": 1.0}}  # fmt: skip
LONG = {"<start>": {"b": 1.0}, "b": {"x": 1.0}, "x": {"z": 1.0}, "z": {"a": 1.0}, "a": {"y": 1.0},
        "y": {"<end>": 1.0}}  # fmt: skip
SHORT = {"<start>": {"a": 1.0}, "a": {"y": 1.0}, "y": {"<end>": 1.0}}
FREE = {"method": "greedy", "no_repeat_ngram_size": 0, "block_repeated_sentences": False}


def test_a_sentence_aims_at_the_sentence_length():
    """ON_AND_ON ends after one word ("a y") without an aim. With one, the end "y" loses 0.6 per
    token short of it: log 0.6 - 0.6 * short < log 0.4 while short > 0.68, so a sentence of
    aim 3 has 3 tokens, of aim 4 four; an aim of 10.2 is kept to the width (5 tokens here), and
    so is 40, whose half alone would pass it. The aim is a graph input: one search serves every
    length."""
    config = DecodingConfig(**FREE, end_penalty=0.0)
    search = StorySearch(ScriptedModel(tables=(ON_AND_ON,)), config, 3, sentence_ends=[WORDS["y"]])
    features = np.zeros((1, 2, 3), np.float32)
    cases = (
        (0.0, "a y"),
        (3.0, "a x y"),
        (4.0, "a x a y"),
        (10.2, "a x a x y"),
        (40.0, "a x a x y"),
    )
    for length, sentence in cases:
        told = dataclasses.replace(config, sentence_length=length)
        assert words_of(search(features, told)) == [[sentence, sentence]], length


def test_a_sentence_aims_at_what_is_left_of_the_story():
    """Two photos at 3 tokens a sentence: a story of 6. After LONG's 5 tokens the second sentence
    aims at 1.5 (what is left, 1, kept to half the sentence length) and ends at once; after
    SHORT's 2 it aims at 4 and runs to 4 tokens. Each story of a batch keeps its own count."""
    model = ScriptedModel(tables=(LONG, SHORT, ON_AND_ON))
    config = DecodingConfig(**FREE, end_penalty=0.0, sentence_length=3.0)
    search = StorySearch(model, config, feature_dim=3, sentence_ends=[WORDS["y"]])
    features = np.zeros((2, 2, 3), np.float32)
    features[1, 0, 0] = 1  # story 1 opens with SHORT, story 0 with LONG
    features[:, 1, 0] = 2  # both go on with ON_AND_ON
    assert words_of(search(features, config)) == [["b x z a y", "a y"], ["a y", "a x a y"]]


class CopyingModel(ScriptedModel):
    """After "a", "x" (a copied term's word, 0.6) or "y" (0.4): the step takes ``copy_weight``
    as a copying model does, scaling what it gives "x" (1.0 when None, as trained)."""

    def __init__(self):
        super().__init__(tables=({"<start>": {"a": 1.0}, "a": {"x": 0.6, "y": 0.4},
                                  "x": {"<end>": 1.0}, "y": {"<end>": 1.0}},))  # fmt: skip

    def decoder_step(self, tokens, memory, states, copy_weight=None):
        logits, states = super().decoder_step(tokens, memory, states)
        weight = 1.0 if copy_weight is None else copy_weight
        copied = tf.one_hot(WORDS["x"], VOCAB) * tf.math.log(weight)  # (vocab,)
        return logits + copied, states


@pytest.mark.parametrize("method", ["beam", "greedy"])
def test_the_copy_weight_reaches_the_models_step_as_a_graph_input(method):
    """The search hands ``copy_weight`` to the model at every step: weighed at 0.6 (the
    default), the copied "x" (0.6 x 0.6 = 0.36) loses to "y" (0.4); at 1.0 it wins; changing
    the weight reuses the compiled graph."""
    config = DecodingConfig(method=method, block_repeated_sentences=False)
    assert config.copy_weight == 0.6
    search = StorySearch(CopyingModel(), config, feature_dim=3)
    features = np.zeros((1, 1, 3), np.float32)
    assert words_of(search(features, config)) == [["a y"]]
    trained = dataclasses.replace(config, copy_weight=1.0)
    assert words_of(search(features, trained)) == [["a x"]]
    assert search._compiled.experimental_get_tracing_count() == 1


@pytest.mark.parametrize("method", ["beam", "greedy"])
def test_a_word_banned_after_an_article_does_not_follow_it(method):
    """Told that "x" may not follow "a" (as "ambulance" may not), the search writes "a y"."""
    table = {"<start>": {"a": 1.0}, "a": {"x": 0.6, "y": 0.4}, "x": {"<end>": 1.0},
             "y": {"<end>": 1.0}}  # fmt: skip
    model = ScriptedModel(tables=(table,))
    config = DecodingConfig(method=method)
    features = np.zeros((1, 1, 3), np.float32)
    free = StorySearch(model, config, feature_dim=3)
    agreed = StorySearch(model, config, 3, article_bans={WORDS["a"]: [WORDS["x"]]})
    assert words_of(free(features, config)) == [["a x"]]
    assert words_of(agreed(features, config)) == [["a y"]]


def test_searches_traced_once_each_log_no_retracing_warning():
    """Six searches (as compare mode's models x decodings), each traced once: TensorFlow's
    frequent-retracing warning would call that retracing; it is not logged."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    tf.get_logger().addHandler(handler)
    try:
        for beam in range(1, 7):
            config = DecodingConfig(beam_size=beam)
            StorySearch(SCRIPTED, config, feature_dim=3)(features_for([UNIFORM]), config)
    finally:
        tf.get_logger().removeHandler(handler)
    assert not [r for r in records if "retracing" in r.getMessage()]


def test_sampling_is_reproducible_per_seed_and_top_k_1_is_greedy():
    config = DecodingConfig(method="sample", seed=7, block_repeated_sentences=False)
    first = tell(UNIFORM, config, photos=10)
    assert tell(UNIFORM, config, photos=10) == first
    other = tell(
        UNIFORM, DecodingConfig(method="sample", seed=8, block_repeated_sentences=False), 10
    )
    assert other != first and len(set(first[0])) > 1
    top1 = DecodingConfig(method="sample", top_k=1, seed=3, block_repeated_sentences=False)
    assert tell(GARDEN_PATH, top1, photos=2) == [["a x", "a x"]]


def test_a_story_samples_the_same_alone_and_in_any_batch():
    config = DecodingConfig(method="sample", seed=11)
    tables = [UNIFORM, GARDEN_PATH, UNIFORM, UNIFORM, FINISHED_EARLY]
    features = features_for(tables, photos=4, seed=0)  # five different stories
    search = search_for(SCRIPTED, config)
    batch = search(features, config)
    alone = search(features[2:3], config)[0]
    assert (batch[2] == alone).all()
    assert (search(features[[4, 3, 2]], config)[2] == alone).all()  # other rows, other place
    assert (search(features[[2, 2]], config) == alone).all()  # the same story, the same draws
    assert not (batch[0] == batch[2]).all() and not (batch[3] == batch[2]).all()  # keyed
    keys = np.array([5, 5, 6])  # explicit keys: a story's key, not its features, picks draws
    keyed = search(features[[0, 2, 2]], config, keys=keys)
    assert (keyed[0] == keyed[1]).all() and not (keyed[1] == keyed[2]).all()
    assert story_keys(features[2:3])[0] == story_keys(features)[2]


def test_top_p_keeps_only_the_likeliest_words_that_hold_that_share():
    def first_words(top_p: float) -> set[str]:
        config = DecodingConfig(
            method="sample", temperature=1.0, top_p=top_p, block_repeated_sentences=False
        )
        words: set[str] = set()
        for seed in range(4):
            story = tell(NUCLEUS, dataclasses.replace(config, seed=seed), photos=10)[0]
            words |= {sentence.split()[0] for sentence in story}
        return words

    assert first_words(0.7) == {"a", "b"}
    assert first_words(1.0) == {"a", "b", "x", "y"}


def test_a_batch_decodes_like_single_stories_and_any_photo_count_works():
    config = DecodingConfig(method="beam", beam_size=3, length_penalty=2.0)
    tables = [GARDEN_PATH, FINISHED_EARLY, SHORT_OR_LONG, GARDEN_PATH, FINISHED_EARLY]
    search = search_for(SCRIPTED, config)
    batch = words_of(search(features_for(tables, photos=3), config))
    alone = [words_of(search(features_for([t], photos=3), config))[0] for t in tables]
    assert batch == alone
    assert alone[0] != alone[1] != alone[2]  # the rows really tell different stories
    for photos in (1, 2, 10):
        assert len(tell(GARDEN_PATH, config, photos=photos)[0]) == photos


def test_runtime_options_must_match_the_compiled_search():
    search = StorySearch(ScriptedModel(), DecodingConfig(method="greedy"), 3)
    with pytest.raises(ValueError, match="compiled for another"):
        search(np.zeros((1, 2, 3), np.float32), DecodingConfig(method="beam"))
    with pytest.raises(ValueError, match="features must be"):
        search(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="keys must be one per story"):
        search(np.zeros((2, 1, 3), np.float32), keys=np.zeros(3, np.int64))


def test_decoding_config_validates_with_clear_messages_and_has_help_for_every_option():
    """As every config (``check_fields``): a ValueError naming the field and the value, in one
    line; NaN and inf are no numbers; the CLI names its option instead (test_cli_messages.py)."""
    ngram_rule = "0 (off) or at least 2"
    wrong = [
        ({"method": "top"}, "method must be one of ('greedy', 'beam', 'sample'), got 'top'"),
        ({"beam_size": 0}, "beam_size must be in [1, 16], got 0"),
        ({"beam_size": 17}, "beam_size must be in [1, 16], got 17"),
        ({"temperature": 0}, "temperature must be more than 0, got 0"),
        ({"temperature": float("nan")}, "temperature must be a finite number, got nan"),
        ({"temperature": float("inf")}, "temperature must be a finite number, got inf"),
        ({"length_penalty": float("nan")}, "length_penalty must be a finite number, got nan"),
        ({"length_penalty": float("-inf")}, "length_penalty must be a finite number, got -inf"),
        ({"seed": -1}, "seed must be in [0, 9223372036854775807], got -1"),
        ({"seed": 2**63}, f"seed must be in [0, {2**63 - 1}], got {2**63}"),
        ({"seed": 2**70}, f"seed must be in [0, {2**63 - 1}], got {2**70}"),
        ({"no_repeat_ngram_size": 1}, f"no_repeat_ngram_size must be {ngram_rule}, got 1"),
        ({"no_repeat_ngram_size": -1}, f"no_repeat_ngram_size must be {ngram_rule}, got -1"),
        ({"repeat_penalty": -0.5}, "repeat_penalty must be at least 0, got -0.5"),
        ({"repeat_penalty": float("nan")}, "repeat_penalty must be a finite number, got nan"),
        ({"repeat_penalty": float("inf")}, "repeat_penalty must be a finite number, got inf"),
        ({"top_k": -1}, "top_k must be at least 0, got -1"),
        ({"top_p": 0.0}, "top_p must be in (0, 1], got 0.0"),
        ({"top_p": 1.5}, "top_p must be in (0, 1], got 1.5"),
    ]
    for fields, message in wrong:
        with pytest.raises(ValueError) as raised:
            DecodingConfig(**fields)
        assert str(raised.value) == message and not isinstance(raised.value, UserInputError)
    edges = {"beam_size": 16, "seed": 2**63 - 1, "no_repeat_ngram_size": 0, "top_p": 1.0}
    assert DecodingConfig(**edges, repeat_penalty=0.0, top_k=0).seed == 2**63 - 1
    with pytest.raises(UserInputError, match=r"^decoding\.json: beam_size must be in"):
        config_from_json(DecodingConfig, {"beam_size": 40}, "decoding.json")
    config = DecodingConfig(method="sample", temperature=0.7, top_k=20, top_p=0.8, seed=4)
    assert DecodingConfig.from_json(config.to_json()) == config
    assert set(DECODING_HELP) == set(config.to_json())
    assert DecodingConfig(method="sample", seed=1).compiled_key() == (
        DecodingConfig(method="sample", seed=2, temperature=0.5, top_p=0.5).compiled_key()
    )
    assert DecodingConfig(method="sample").compiled_key() != (
        DecodingConfig(method="sample", top_p=1.0).compiled_key()  # no nucleus, no sort
    )
