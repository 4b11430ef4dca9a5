"""Scores of one story against its references, for the app: protocol scorers and labelled extras.

``protocol`` holds what the AREL protocol computes for one album (coco-caption BLEU-1..4 and
ROUGE-L, METEOR 1.5 ``-t hter`` from the process's warm jar). ``extras`` holds other popular
implementations (rouge-score, nltk) whose numbers differ from the protocol's: they are labelled
and never mixed with protocol numbers.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

from imgstory.errors import UserInputError
from imgstory.eval.bleu import bleu_from_statistics, bleu_statistics
from imgstory.eval.corpus import BLEU_KEYS
from imgstory.eval.meteor import MeteorUnavailable, java_missing_message, shared_meteor
from imgstory.eval.ngrams import ngram_counts
from imgstory.eval.rouge import rouge_l
from imgstory.i18n import N_

EXTRA_LABELS = {
    "rouge1": "ROUGE-1 F1 (rouge-score package, its own tokenizer)",
    "rouge2": "ROUGE-2 F1 (rouge-score package)",
    "rougeL": "ROUGE-L F1 (rouge-score package; differs from coco-caption's beta=1.2)",
    "nltk_bleu": "sentence BLEU-4 (nltk, smoothing method 1)",
    "nltk_meteor": "METEOR (nltk's reimplementation with WordNet; not METEOR 1.5)",
}
CIDER_NOTE = N_(
    "CIDEr is not given for one story: its IDF weights need a whole test set "
    "(see `imgstory evaluate`)"
)
WORDNET_NOTE = N_(
    "nltk METEOR skipped: nltk's WordNet data is not installed "
    "(python -m nltk.downloader wordnet, where the network allows)"
)


@dataclass(frozen=True)
class StoryScores:
    """Scores of one story.

    Attributes:
        protocol: Bleu_1..Bleu_4, METEOR (when Java is present), ROUGE_L; the AREL protocol's
            scorers on this one album, 0-1 scale.
        extras: other implementations, keyed as in :data:`EXTRA_LABELS`; not protocol numbers.
        notes: what was not computed and why.
    """

    protocol: dict[str, float]
    extras: dict[str, float]
    notes: list[str] = field(default_factory=list)


def score_story(story: str, references: Sequence[str], extras: bool = True) -> StoryScores:
    """Score one generated story against its album's reference stories.

    The first call in a process starts the METEOR jar (~7 s) and imports nltk (~2 s); later
    calls take a few tens of milliseconds.

    Raises:
        UserInputError: no references, or non-text input.
    """
    if not isinstance(story, str):
        raise UserInputError(f"the story must be text, got {type(story).__name__}")
    references = [reference for reference in references if reference.strip()]
    if not references:
        raise UserInputError("no reference story to score against: choose an album with stories")
    notes: list[str] = []
    if not story.strip():
        notes.append("the story is empty: every score is 0")
    words = story.split()
    reference_rows = [
        (ngram_counts(reference.split()), len(reference.split())) for reference in references
    ]
    bleu = bleu_from_statistics(bleu_statistics(ngram_counts(words), len(words), reference_rows))
    protocol = {key: float(bleu[order]) for order, key in enumerate(BLEU_KEYS)}
    missing_java = java_missing_message()
    if missing_java:
        notes.append(missing_java)
    else:
        try:
            protocol["METEOR"] = shared_meteor().score([story], [references]).score
        except MeteorUnavailable as error:
            notes.append(f"METEOR not computed: {error}")
    protocol["ROUGE_L"] = rouge_l(story, references)
    notes.append(CIDER_NOTE)
    extra_scores = _extra_scores(story, references, notes) if extras else {}
    return StoryScores(protocol, extra_scores, notes)


def _extra_scores(story: str, references: list[str], notes: list[str]) -> dict[str, float]:
    scores = {}
    best = _rouge_scorer().score_multi(references, story)
    for key in ("rouge1", "rouge2", "rougeL"):
        scores[key] = float(best[key].fmeasure)
    sentence_bleu, smoothing = _nltk_bleu()
    hypothesis_tokens = story.split()
    reference_tokens = [reference.split() for reference in references]
    scores["nltk_bleu"] = (
        float(sentence_bleu(reference_tokens, hypothesis_tokens, smoothing_function=smoothing))
        if hypothesis_tokens
        else 0.0
    )
    nltk_meteor = _nltk_meteor()
    if nltk_meteor is None:
        notes.append(WORDNET_NOTE)
    else:
        scores["nltk_meteor"] = float(nltk_meteor(reference_tokens, hypothesis_tokens))
    return scores


@functools.cache
def _rouge_scorer():
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=False)


@functools.cache
def _nltk_bleu():
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

    return sentence_bleu, SmoothingFunction().method1


@functools.cache
def _nltk_meteor():
    """nltk's ``meteor_score`` when WordNet data is installed, else None."""
    import nltk
    from nltk.translate.meteor_score import meteor_score

    try:
        nltk.data.find("corpora/wordnet")
        nltk.corpus.wordnet.ensure_loaded()
    except LookupError:
        return None
    return meteor_score
