"""Benchmark: stories per second of the shipped VIST storytellers, default decoding vs beam search.

Each shipped VIST model (``assets/models/vist-lstm``, ``vist-gru``) tells stories from term
features (the 5 sentences of a few short built-in stories, as their simulated terms: no photo or
../shared file is needed), once one story at a time (what Generate does) and once 32 stories in
one batch (what ``imgstory predict`` and ``vist score`` do), with the default decoding (greedy,
presence penalty, sentence-end penalty, album share), the same without the sentence-end penalty
(its longer sentences take more steps) and with beam search (beam 3, the thesis's decoding).
Prints the median and best of ``--runs`` timed runs after a warm-up (which traces the search) and
each decoding's ratio against beam search measured in the same run.

    .venv/bin/python -m benchmarks.bench_vist_stories [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from imgstory.decoding import DecodingConfig
from imgstory.features.terms import TermSpace
from imgstory.generation.storyteller import Storyteller
from imgstory.paths import SHIPPED_MODELS_DIR

SENTENCES = (
    "we went to the beach for the day .",
    "the snow covered the street and the cars .",
    "the kids played basketball in the gym .",
    "we ate dinner at a small restaurant .",
    "the race cars were fast and loud .",
    "the soldiers marched in the parade .",
    "my dog ran across the park .",
    "the band played music on the stage .",
)
BATCH = 32


def story_features(stories: int) -> np.ndarray:
    """``(stories, 5, 408)``: each story 5 of :data:`SENTENCES` (rotated) as their terms."""
    terms = TermSpace.packaged()
    vectors = terms.sentence_terms(list(SENTENCES))  # (8, 408)
    rows = [[(story + photo) % len(SENTENCES) for photo in range(5)] for story in range(stories)]
    return vectors[np.array(rows)]


def timed(teller: Storyteller, features: np.ndarray, decoding: DecodingConfig, runs: int):
    """``(median, best)`` seconds of telling every story of ``features`` with ``decoding``,
    one batch of ``len(features)`` (after one untimed warm-up run that traces the search)."""
    teller.generate_batch(features, decoding)
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        teller.generate_batch(features, decoding)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), min(seconds)


def main() -> None:
    """Time each shipped VIST model, one story and a batch, default decoding and beam search."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    decodings = {
        "default (greedy)": DecodingConfig(),
        "greedy, end 0": DecodingConfig(end_penalty=0.0),  # what the sentence-end penalty costs
        "greedy, copy 1.0": DecodingConfig(copy_weight=1.0),  # and the copy weight
        # the sentence length aimed at, as measured on the proxy (an option, off by default)
        "greedy, len 10.2": DecodingConfig(sentence_length=10.2, end_penalty=0.0),
        "beam 3": DecodingConfig(method="beam"),
    }
    features = story_features(BATCH)
    print(f"{'model':<10}{'stories':>8}  {'decoding':<18}{'median s':>9}{'best s':>8}"
          f"{'stories/s':>10}{'vs beam':>8}")  # fmt: skip
    for name in ("vist-lstm", "vist-gru"):
        teller = Storyteller.load(SHIPPED_MODELS_DIR / name)
        for batch in (1, BATCH):
            results = {
                label: timed(teller, features[:batch], decoding, args.runs)
                for label, decoding in decodings.items()
            }
            beam = results["beam 3"][0]
            for label, (median, best) in results.items():
                print(f"{name:<10}{batch:>8}  {label:<18}{median:9.3f}{best:8.3f}"
                      f"{batch / median:10.1f}{beam / median:7.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
