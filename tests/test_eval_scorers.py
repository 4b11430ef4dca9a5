"""The pure-Python scorers: hand-checked values, and identity with pycocoevalcap's own code."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from pycocoevalcap.bleu.bleu import Bleu
from pycocoevalcap.cider.cider import Cider
from pycocoevalcap.rouge.rouge import Rouge, my_lcs

from imgstory.eval import bleu, meteor
from imgstory.eval.bleu import bleu_from_statistics, bleu_statistics, corpus_bleu
from imgstory.eval.cider import cider_scores
from imgstory.eval.ngrams import ngram_counts
from imgstory.eval.rouge import lcs_length, rouge_l


def grams(text: str):
    return ngram_counts(text.split())


def album_bleu(hypothesis: str, references: list[str]) -> list[float]:
    counts = [(ngram_counts(text.split()), len(text.split())) for text in references]
    row = bleu_statistics(ngram_counts(hypothesis.split()), len(hypothesis.split()), counts)
    return list(bleu_from_statistics(np.array(row)))


def random_corpus(seed: int, albums: int = 30) -> tuple[dict, dict]:
    rng = random.Random(seed)
    vocabulary = [f"w{index}" for index in range(25)] + [".", "the", "a"]

    def sentence() -> str:
        return " ".join(rng.choice(vocabulary) for _ in range(rng.randint(0, 30)))

    references = {
        str(a): [sentence() or "x" for _ in range(rng.randint(1, 5))] for a in range(albums)
    }
    predictions = {str(a): [sentence()] for a in range(albums)}
    return references, predictions


def test_bleu_hand_checked_values():
    # hyp/ref both 6 words: 1-gram 5/6, 2-gram 3/5, 3-gram 1/4, 4-gram 0/3, no brevity penalty
    scores = album_bleu("the cat sat on the mat", ["the cat is on the mat"])
    assert scores[0] == pytest.approx(5 / 6)
    assert scores[1] == pytest.approx(math.sqrt(5 / 6 * 3 / 5))
    assert scores[2] == pytest.approx(0.5)
    assert scores[3] == pytest.approx(0.0, abs=1e-3)  # coco-caption's 1e-15 guard, not exactly 0


def test_bleu_brevity_penalty_and_closest_reference_length():
    # 2 words against 6: precision 1, brevity penalty exp(1 - 6/2)
    assert album_bleu("the cat", ["the cat sat on the mat"])[0] == pytest.approx(math.exp(-2))
    # 6 words, references of 4 and 8 words: a tie, coco-caption's 'closest' takes the shorter
    row = bleu_statistics(
        grams("a b c d e f"),
        6,
        [(grams("a b c d"), 4), (grams("a b c d e f g h"), 8)],
    )
    assert row[bleu.REFERENCE_LENGTH] == 4


def test_rouge_l_hand_checked_value():
    # LCS("a b c d", "a c d e f") = 3: precision 3/4, recall 3/5, beta 1.2
    precision, recall = 3 / 4, 3 / 5
    expected = (1 + 1.44) * precision * recall / (recall + 1.44 * precision)
    assert rouge_l("a b c d", ["a c d e f"]) == pytest.approx(expected)
    assert rouge_l("x y", ["a b"]) == 0.0


def test_bit_parallel_lcs_matches_the_dynamic_programme():
    rng = random.Random(1)
    for _ in range(300):
        first = [rng.choice("abcde") for _ in range(rng.randint(0, 40))]
        second = [rng.choice("abcdef") for _ in range(rng.randint(0, 40))]
        assert lcs_length(first, second) == my_lcs(first, second)


def test_cider_hand_checked_value():
    # Album 0: the story equals its only reference and shares no n-gram with album 1, so every
    # n-gram has IDF log(2) and the cosine similarity is 1 at each order: CIDEr = 10 * 1.
    hypotheses = [grams("a b c d e"), grams("z")]
    references = [[grams("a b c d e")], [grams("v w x y")]]
    scores = cider_scores(hypotheses, references)
    assert scores[0] == pytest.approx(10.0)
    assert scores[1] == 0.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_scorers_are_bit_identical_to_pycocoevalcap(seed):
    references, predictions = random_corpus(seed)
    ids = list(references)
    hypotheses = [predictions[a][0] for a in ids]
    hypothesis_counts = [ngram_counts(h.split()) for h in hypotheses]
    reference_counts = [[ngram_counts(r.split()) for r in references[a]] for a in ids]
    rows = [
        bleu_statistics(
            counts,
            len(h.split()),
            [(c, len(r.split())) for c, r in zip(rc, references[a], strict=True)],
        )
        for counts, h, rc, a in zip(
            hypothesis_counts, hypotheses, reference_counts, ids, strict=True
        )
    ]
    expected_bleu, _ = Bleu(4).compute_score(references, predictions, verbose=0)
    assert corpus_bleu(np.array(rows)) == expected_bleu
    expected_rouge, expected_albums = Rouge().compute_score(references, predictions)
    ours = np.array([rouge_l(h, references[a]) for h, a in zip(hypotheses, ids, strict=True)])
    assert np.array_equal(ours, expected_albums)
    assert float(np.mean(ours)) == expected_rouge
    expected_cider, expected_cider_albums = Cider().compute_score(references, predictions)
    cider = cider_scores(hypothesis_counts, reference_counts)
    assert np.array_equal(cider, expected_cider_albums)
    assert float(np.mean(cider)) == expected_cider


def test_meteor_formula_hand_checked():
    # "the cat sat on the mat ." vs "a cat sat on a mat .": 7 words each, 4 function words,
    # 3 content + 2 function exact matches, 2 chunks (the jar's statistics line).
    line = "7.0 7.0 4.0 4.0 3.0 3.0 2.0 2.0 " + "0.0 " * 12 + "2.0 5.0 5.0"
    delta = 0.55
    precision = (delta * 3 + (1 - delta) * 2) / (delta * 3 + (1 - delta) * 4)
    expected = precision * (1 - 0.35 * (2 / 5) ** 1.5)  # fMean = P when P = R
    assert expected == pytest.approx(0.6736850362504283, abs=1e-15)
    assert meteor.meteor_from_statistics(meteor.parse_statistics([line]))[0] == pytest.approx(
        expected, abs=1e-15
    )


def test_meteor_fields_follow_coco_caption():
    assert meteor.hypothesis_field("a ||| b\nc  d") == "a b c d"
    assert meteor.reference_field("a|||b") == "ab"
