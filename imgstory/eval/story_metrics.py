"""Story-level metrics that n-grams miss: RoViST non-redundancy per story, distinct-n per system.

Non-redundancy follows RoViST-NR (Wang, Han and Poon, Findings of NAACL 2022; reference
implementation ``usydnlp/rovist`` ``scripts/non_redun_scorer.py``) on VIST-tokenised text: tokens
are split on spaces, a sentence ends at a ``.``, ``!`` or ``?`` token, and each sentence's last
token (its punctuation) is left out. Distinct-n (Li et al., NAACL 2016) is the share of unique
n-grams among all n-grams of a system's stories. All values are on the 0-1 scale (non-redundancy
can drop below 0 on extreme repetition: RoViST's overlap counts token pairs, see
:func:`overlap_score`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from imgstory.eval.options import MAX_SENTENCES, STORY_COUNTS
from imgstory.i18n import N_

SENTENCE_ENDS = frozenset({".", "!", "?"})
#: RoViST's intra-sentence window: adjacent non-overlapping windows of this many tokens.
WINDOW = 4
DISTINCT_ORDERS = (1, 2)
STORY_METRIC_KEYS = ("non_redundancy", "distinct_1", "distinct_2")
STORY_METRICS_NOTE = N_(
    "Story metrics (reference-free, 0-1): non-redundancy as RoViST-NR computes it (1 minus the "
    "mean of inter-sentence and intra-sentence 4-token-window overlap; 1 = no repetition), "
    "distinct-1/2 = unique uni/bigrams over all uni/bigrams of a system's stories (higher = more "
    "diverse wording). Tokens split on spaces (VIST-tokenised text)."
)


def story_sentences(story: str) -> list[list[str]]:
    """The story's sentences as token lists, each without its last token (RoViST's input).

    A sentence ends at a ``.``/``!``/``?`` token; words after the last one form a final sentence
    (whose last word is dropped too, as the reference implementation drops it).
    """
    return [tokens[:-1] for tokens in sentence_tokens(story)]


def sentence_tokens(story: str) -> list[list[str]]:
    """The story's sentences as token lists, each with its ending ``.``/``!``/``?`` token (words
    after the last one form a final sentence)."""
    sentences: list[list[str]] = []
    current: list[str] = []
    for token in story.split():
        current.append(token)
        if token in SENTENCE_ENDS:
            sentences.append(current)
            current = []
    if current:
        sentences.append(current)
    return sentences


def overlap_score(first: list[str], second: list[str]) -> float:
    """RoViST's "Jaccard": equal token pairs over the size of the union of the two token sets.

    Every (token of ``first``, token of ``second``) pair of equal tokens counts, so repeated
    tokens count several times and the score can exceed 1 (``a a`` vs ``a a``: 4 / 1). Two empty
    token lists (two bare punctuation marks) score 0, where the reference divides by zero.
    """
    union = len(set(first) | set(second))
    if not union:
        return 0.0
    counts = Counter(second)
    return sum(counts[token] for token in first) / union


def non_redundancy(
    story: str, window: int = WINDOW, max_sentences: int | None = MAX_SENTENCES
) -> float:
    """RoViST-NR of one story: ``1 - mean(inter, intra)``.

    ``inter`` is the mean overlap over every pair (earlier, later) of sentences; ``intra`` the
    mean overlap of adjacent non-overlapping ``window``-token windows inside each sentence, 0 when
    no sentence is long enough to hold two windows. A story of fewer than two sentences has no
    inter-sentence pair: NaN (the reference's ``np.mean([])``), left out of system means. So is a
    story of more than ``max_sentences`` sentences (``None``: no limit), whose pairs would cost
    time growing with the square of its length.
    """
    sentences = story_sentences(story)
    if len(sentences) < 2 or (max_sentences is not None and len(sentences) > max_sentences):
        return math.nan
    inter = _inter_sentence_overlaps(sentences)
    intra = [
        overlap_score(tokens[start : start + window], tokens[start + window : start + 2 * window])
        for tokens in sentences
        for start in range(0, len(tokens), window)
        if tokens[start + window : start + 2 * window]
    ]
    pairs = len(sentences) * (len(sentences) - 1) // 2
    return 1.0 - (sum(inter) / pairs + (sum(intra) / len(intra) if intra else 0.0)) / 2


def _inter_sentence_overlaps(sentences: list[list[str]]) -> list[float]:
    """:func:`overlap_score` of every pair (later, earlier) of sentences that shares a token, in
    the order of the pairs (later ascending, then earlier ascending); pairs sharing none score 0
    and are left out, which leaves the sum of the list bit for bit what the sum over all pairs is.

    Each sentence's token counts are taken once and each pair is compared on the smaller of its
    two sentences' distinct tokens, so a pair's numerator (equal token pairs) and union are the
    same integers :func:`overlap_score` computes, without a new ``Counter`` per pair.
    """
    counts = [Counter(tokens) for tokens in sentences]
    overlaps: list[float] = []
    for later in range(1, len(counts)):
        second = counts[later]
        for earlier in range(later):
            first = counts[earlier]
            small, large = (first, second) if len(first) <= len(second) else (second, first)
            equal_pairs = shared = 0
            for token, count in small.items():
                other = large.get(token)
                if other:
                    equal_pairs += count * other
                    shared += 1
            if equal_pairs:
                overlaps.append(equal_pairs / (len(first) + len(second) - shared))
    return overlaps


def _ngrams(words: list[str], order: int) -> Iterable[tuple[str, ...]]:
    return zip(*(words[start:] for start in range(order)), strict=False)


def distinct_n(stories: Iterable[str], order: int) -> float:
    """Unique ``order``-grams over all ``order``-grams of the stories (n-grams never cross two
    stories); NaN when the stories hold no n-gram of that order."""
    seen: set[tuple[str, ...]] = set()
    total = 0
    for story in stories:
        grams = list(_ngrams(story.split(), order))
        total += len(grams)
        seen.update(grams)
    return len(seen) / total if total else math.nan


def distinct_2(sentences: str | Iterable[str]) -> float:
    """Distinct word bigrams over all word bigrams of a story, bigrams never crossing a sentence.

    Args:
        sentences: a story (split into sentences at ``.``/``!``/``?`` tokens) or its sentences.

    Returns:
        The share on the 0-1 scale (1 = no bigram repeated); 0.0 when there is no bigram.
    """
    if isinstance(sentences, str):
        token_lists = sentence_tokens(sentences)
    else:
        token_lists = [sentence.split() for sentence in sentences]
    bigrams = [pair for tokens in token_lists for pair in _ngrams(tokens, 2)]
    return len(set(bigrams)) / len(bigrams) if bigrams else 0.0


def repeated_ngrams(story: str, order: int = 3) -> int:
    """How many word ``order``-grams of the story occur again later in it: n-grams are taken
    within each sentence (its end mark counts as a word) and compared across the whole story,
    as the decoder's ``no_repeat_ngram_size`` blocks them."""
    grams = [gram for tokens in sentence_tokens(story) for gram in _ngrams(tokens, order)]
    return len(grams) - len(set(grams))


@dataclass
class StoryMetricsResult:
    """Story metrics of one system.

    Attributes:
        scores: ``non_redundancy`` (mean over stories where it is defined), ``distinct_1``,
            ``distinct_2`` (over all the system's stories), on the 0-1 scale.
        per_story: one row per story (index: the story's key), the same three columns; a story's
            distinct-n is computed within that story alone.
        stories: how many stories were measured.
        undefined: stories with no non-redundancy: fewer than two sentences, or more than
            :data:`MAX_SENTENCES`.
        too_long: those of ``undefined`` with more than :data:`MAX_SENTENCES` sentences.
    """

    scores: dict[str, float]
    per_story: pd.DataFrame
    stories: int
    undefined: list[str] = field(default_factory=list)
    too_long: list[str] = field(default_factory=list)

    def to_json_dict(self) -> dict[str, object]:
        """The system-level values (null when undefined) and how many stories they cover."""
        return {
            **{key: _or_none(value) for key, value in self.scores.items()},
            STORY_COUNTS[0]: self.stories,
            STORY_COUNTS[1]: len(self.undefined),
        }

    def per_story_json(self) -> dict[str, dict[str, float | None]]:
        """``story key -> {metric: value or null}``, for ``--per-story``."""
        return {
            str(key): {column: _or_none(value) for column, value in row.items()}
            for key, row in self.per_story.to_dict(orient="index").items()
        }


def _or_none(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def story_metrics(stories: Mapping[str, str]) -> StoryMetricsResult:
    """Non-redundancy and distinct-1/2 of a system's stories (``key -> story text``)."""
    keys = [str(key) for key in stories]
    texts = list(stories.values())
    redundancy = np.array([non_redundancy(text) for text in texts], dtype=np.float64)
    per_story = pd.DataFrame(
        {
            "non_redundancy": redundancy,
            **{
                f"distinct_{order}": [distinct_n([text], order) for text in texts]
                for order in DISTINCT_ORDERS
            },
        },
        index=pd.Index(keys, name="story"),
    )
    defined = redundancy[~np.isnan(redundancy)]
    scores = {
        "non_redundancy": float(defined.mean()) if len(defined) else math.nan,
        **{f"distinct_{order}": distinct_n(texts, order) for order in DISTINCT_ORDERS},
    }
    undefined = [key for key, value in zip(keys, redundancy, strict=True) if math.isnan(value)]
    too_long = [
        key
        for key, text, value in zip(keys, texts, redundancy, strict=True)
        if math.isnan(value) and len(sentence_tokens(text)) > MAX_SENTENCES
    ]
    return StoryMetricsResult(scores, per_story, len(keys), undefined, too_long)
