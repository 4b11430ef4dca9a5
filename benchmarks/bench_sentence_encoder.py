"""Benchmark: the NumPy all-MiniLM-L6-v2 encoder on words, as a VIST build uses it.

A build encodes every distinct content word of its training text and the 1,000 ImageNet class
names (``TermSpace`` bridge: about 13,000 strings, 3-6 tokens each). Rows: the shipped encoder
(each dense layer one 2-D matrix product over all tokens of a batch) and the baseline it replaced
(the same layers as a 3-D ``x @ kernel``, which NumPy runs as one small product per string).
Both give the same vectors (checked). Prints the median and best of ``--runs`` timed runs and the
ratio against the baseline measured in the same run.

    .venv/bin/python -m benchmarks.bench_sentence_encoder [--runs 3] [--words 3000]
"""

from __future__ import annotations

import argparse
import statistics
import time
from unittest import mock

import numpy as np

from imgstory.features.concepts import ConceptSpace
from imgstory.text import sentence_encoder
from imgstory.text.glove import packaged_glove


def _per_string_dense(x: np.ndarray, kernel_bias: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """The replaced dense layer: a 3-D product, one ``(t, in) @ (in, out)`` per string."""
    return x @ kernel_bias[0] + kernel_bias[1]


def _words(count: int) -> list[str]:
    """``count`` common English words (the GloVe table's first words, letters only) and the
    1,000 ImageNet class names: the strings a build encodes."""
    words = [word for word in packaged_glove().words if word.isalpha()][:count]
    return words + list(ConceptSpace.packaged().names)


def _time(encoder, strings: list[str], runs: int) -> tuple[list[float], np.ndarray]:
    times, vectors = [], None
    for _ in range(runs):
        start = time.perf_counter()
        vectors = encoder.encode(strings)
        times.append(time.perf_counter() - start)
    return times, vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--words", type=int, default=3000, help="words besides the class names")
    arguments = parser.parse_args()
    strings = _words(arguments.words)
    encoder = sentence_encoder.packaged_encoder()
    encoder.encode(strings[:256])  # warm-up
    shipped, vectors = _time(encoder, strings, arguments.runs)
    with mock.patch.object(sentence_encoder, "_dense", _per_string_dense):
        baseline, expected = _time(encoder, strings, arguments.runs)
    difference = float(np.abs(vectors - expected).max())
    print(f"{len(strings)} strings (words and ImageNet class names), {arguments.runs} runs; "
          f"largest difference between the two: {difference:.1e}")  # fmt: skip
    for name, times in (("3-D product (baseline)", baseline), ("2-D product (shipped)", shipped)):
        median = statistics.median(times)
        print(
            f"  {name:<24} median {median:6.2f} s (best {min(times):.2f} s), "
            f"{len(strings) / median:7.0f} strings/s, "
            f"{statistics.median(baseline) / median:.2f}x the baseline's speed"
        )


if __name__ == "__main__":
    main()
