"""Benchmark: RoViST non-redundancy, the old pairwise algorithm against today's (issue 29.10).

Non-redundancy compares every pair of a story's sentences. The old code built a ``Counter`` and
two sets for each pair; today's takes each sentence's counts once, compares a pair on the smaller
sentence's distinct tokens and leaves out a story of more than ``MAX_SENTENCES`` sentences (NaN,
named by ``imgstory evaluate``), so a story's cost is bounded. Measured in one run on:
- the VIST test references' stories (five sentences each; random text when ../shared/vist is
  absent): the two must agree to the last bit, story by story;
- one story of ``MAX_SENTENCES`` sentences (the longest still measured), drawn from the same
  sentences: the same value, the time per story;
- one story of ``--sentences`` sentences (8,000 in the issue): the old algorithm, today's without
  the limit (same value) and today's ``story_metrics`` with it (the story left out).

    .venv/bin/python -m benchmarks.bench_story_metrics [--runs 3] [--sentences 8000]
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time
from collections.abc import Callable
from typing import TypeVar

from imgstory.eval.story_metrics import (
    MAX_SENTENCES,
    WINDOW,
    non_redundancy,
    overlap_score,
    sentence_tokens,
    story_metrics,
    story_sentences,
)

from .bench_scorers import REFERENCES

T = TypeVar("T")


def pairwise_non_redundancy(story: str, window: int = WINDOW) -> float:
    """RoViST-NR as computed before issue 29.10: :func:`overlap_score` on every pair of sentences
    (a new ``Counter`` and two sets per pair), no limit on the number of sentences."""
    sentences = story_sentences(story)
    inter = [
        overlap_score(sentences[later], sentences[earlier])
        for later in range(1, len(sentences))
        for earlier in range(later)
    ]
    if not inter:
        return math.nan
    intra = [
        overlap_score(tokens[start : start + window], tokens[start + window : start + 2 * window])
        for tokens in sentences
        for start in range(0, len(tokens), window)
        if tokens[start + window : start + 2 * window]
    ]
    return 1.0 - (sum(inter) / len(inter) + (sum(intra) / len(intra) if intra else 0.0)) / 2


def load_stories() -> tuple[list[str], str]:
    """Five-sentence stories: the VIST test references when present, else random text."""
    if REFERENCES.is_file():
        from imgstory.data.references import load_references

        stories = [story for group in load_references(REFERENCES).values() for story in group]
        return stories, f"the VIST test references ({len(stories):,} stories)"
    rng = random.Random(0)
    words = [f"w{index}" for index in range(2000)] + ["the", "a", "we", "was", "and"] * 40

    def sentence() -> str:
        return " ".join(rng.choice(words) for _ in range(rng.randint(6, 14))) + " ."

    stories = [" ".join(sentence() for _ in range(5)) for _ in range(5000)]
    return stories, "5,000 random five-sentence stories (../shared/vist absent)"


def long_story(stories: list[str], sentences: int) -> str:
    """One story of ``sentences`` sentences taken in turn from ``stories``' sentences."""
    pool = [" ".join(tokens) for story in stories for tokens in sentence_tokens(story)]
    return " ".join(pool[index % len(pool)] for index in range(sentences))


def timed(function: Callable[[], T], runs: int) -> tuple[float, T]:
    """Median wall time of ``runs`` calls (at least one) and the last result."""
    times = []
    for _ in range(max(runs, 1)):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def same(first: float, second: float) -> bool:
    """Bit-for-bit equal, NaN equal to NaN."""
    return first == second or (math.isnan(first) and math.isnan(second))


def main() -> None:
    """Print each case's median times, the ratio old / today and whether the values agree."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sentences", type=int, default=8000)
    args = parser.parse_args()

    stories, what = load_stories()
    print(f"stories: {what}; median of {args.runs} runs")
    old_time, old_values = timed(lambda: [pairwise_non_redundancy(s) for s in stories], args.runs)
    new_time, new_values = timed(lambda: [non_redundancy(s) for s in stories], args.runs)
    agree = all(same(a, b) for a, b in zip(old_values, new_values, strict=True))
    print(
        f"  five-sentence stories: old {old_time:.3f} s, today {new_time:.3f} s "
        f"(old/today {old_time / new_time:.1f}x); every value bit-identical: {agree}"
    )

    capped = long_story(stories, MAX_SENTENCES)
    old_time, old_value = timed(lambda: pairwise_non_redundancy(capped), args.runs)
    new_time, new_value = timed(lambda: non_redundancy(capped), args.runs)
    print(
        f"  one story of {MAX_SENTENCES} sentences (the limit): old {old_time * 1000:.1f} ms, "
        f"today {new_time * 1000:.1f} ms (old/today {old_time / new_time:.1f}x); "
        f"bit-identical: {same(old_value, new_value)}"
    )

    story = long_story(stories, args.sentences)
    old_time, old_value = timed(lambda: pairwise_non_redundancy(story), args.runs)
    exact_time, exact_value = timed(lambda: non_redundancy(story, max_sentences=None), args.runs)
    new_time, measured = timed(lambda: story_metrics({"long": story}), args.runs)
    print(
        f"  one story of {args.sentences:,} sentences: old {old_time:.2f} s; today without the "
        f"limit {exact_time:.2f} s (old/today {old_time / exact_time:.1f}x, bit-identical: "
        f"{same(old_value, exact_value)}); today's story_metrics {new_time * 1000:.1f} ms "
        f"(old/today {old_time / new_time:,.0f}x; left out as too long: "
        f"{measured.too_long == ['long']})"
    )


if __name__ == "__main__":
    main()
