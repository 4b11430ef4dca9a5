"""Naming rate and distinct-2 within a story, against hand-worked values."""

from __future__ import annotations

import numpy as np
import pytest

from imgstory.eval.naming import NamingResult, class_words, names_class, naming_rate
from imgstory.eval.story_metrics import distinct_2, repeated_ngrams


def test_a_sentence_names_the_class_by_its_word_or_its_plural(space) -> None:
    assert names_class("the koala was sleeping in the tree .", "koala", space)
    assert names_class("we saw two koalas .", "koala", space)  # GloVe cosine only 0.562
    assert not names_class("we went home .", "koala", space)
    assert not names_class("", "koala", space)


def test_a_close_word_counts_at_the_closeness_asked(space) -> None:
    # GloVe 6B-50d cosines (checked): racing~race 0.747, racing~car 0.645; motorcycle~car 0.787
    assert class_words("race car, racing car", space) == ["race", "car", "racing", "car"]
    assert names_class("the motorcycle .", "race car", space)
    assert not names_class("the motorcycle .", "race car", space, closeness=0.8)
    assert names_class("the racing .", "race car", space, closeness=0.74)
    assert not names_class("the racing .", "race car", space, closeness=0.75)
    assert names_class("the cars lined up .", "race car", space)  # "car"'s plural


def _probabilities(space, tops: list[tuple[str, float]]) -> np.ndarray:
    rows = np.full((len(tops), len(space.names)), 1e-6)
    for row, (name, probability) in enumerate(tops):
        rows[row, space.names.index(name)] = probability
    return rows


def test_naming_rate_counts_eligible_photos_only(space) -> None:
    # park~race 0.425, park~car 0.378: "park" does not name a race car
    sentences = ["a koala in a tree .", "we walked in the park .", "the koala slept ."]
    probabilities = _probabilities(space, [("koala", 0.9), ("race car", 0.6), ("koala", 0.4)])
    # photo 3's top class is below 0.5: not eligible, although its sentence names it
    assert naming_rate(sentences, probabilities, space) == NamingResult(named=1, eligible=2)
    assert naming_rate(sentences, probabilities, space).rate == 0.5
    assert naming_rate(sentences, probabilities, space, threshold=0.4) == NamingResult(2, 3)
    nobody = naming_rate(sentences, probabilities, space, threshold=0.95)
    assert nobody == NamingResult(0, 0) and nobody.rate is None
    assert nobody.to_json() == {"named": 0, "eligible": 0, "rate": None}
    assert NamingResult(1, 3).to_json() == {"named": 1, "eligible": 3, "rate": 0.3333}
    assert NamingResult.from_json(NamingResult(1, 3).to_json()) == NamingResult(1, 3)
    with pytest.raises(ValueError, match="one sentence per photo"):
        naming_rate(sentences[:2], probabilities, space)


def test_distinct_2_counts_bigrams_within_sentences() -> None:
    # [we had fun .] twice: bigrams (we had) (had fun) (fun .) x 2 -> 3 distinct of 6
    assert distinct_2("we had fun . we had fun .") == 0.5
    assert distinct_2(["we had fun .", "we had fun ."]) == 0.5
    # no bigram crosses a sentence: (a .) (b .) -> 2 of 2
    assert distinct_2("a . b .") == 1.0
    assert distinct_2("") == 0.0 and distinct_2([]) == 0.0


def test_repeated_trigrams_are_counted_across_sentences() -> None:
    # (had a great) (a great time) (great time .) occur twice
    assert repeated_ngrams("we had a great time . they had a great time .") == 3
    assert repeated_ngrams("we drove to a beach . sun shone bright !") == 0
    # no trigram crosses a sentence: (. we took) is not one
    assert repeated_ngrams("we took a bus . we took pictures .") == 0
    assert repeated_ngrams("we took a bus . we took a cab .") == 1
