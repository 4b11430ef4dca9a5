"""ROUGE-L as coco-caption computes it (beta 1.2, best precision and recall over references).

The longest common subsequence uses a bit-parallel algorithm (Allison-Dix / Hyyroe): one big-int
step per token instead of a table cell per token pair, with the same result.
"""

from __future__ import annotations

# Kept beside pycocoevalcap's Rouge (bit-identical, tests/test_eval_scorers.py) because it is
# measured 23x faster on the 1,010 VIST test albums: 0.19 s vs 4.4 s (benchmarks/bench_scorers.py).

BETA = 1.2  # coco-caption's recall weight


def lcs_length(first: list[str], second: list[str]) -> int:
    """Length of the longest common subsequence of two token lists."""
    positions: dict[str, int] = {}
    for index, token in enumerate(first):
        positions[token] = positions.get(token, 0) | (1 << index)
    all_ones = (1 << len(first)) - 1
    row = all_ones
    for token in second:
        matches = row & positions.get(token, 0)
        row = ((row + matches) | (row - matches)) & all_ones
    return len(first) - row.bit_count()


def rouge_l(hypothesis: str, references: list[str]) -> float:
    """coco-caption ROUGE-L of one hypothesis against its references (tokens split on " ")."""
    hypothesis_tokens = hypothesis.split(" ")
    best_precision = best_recall = 0.0
    for reference in references:
        reference_tokens = reference.split(" ")
        common = lcs_length(reference_tokens, hypothesis_tokens)
        best_precision = max(best_precision, common / float(len(hypothesis_tokens)))
        best_recall = max(best_recall, common / float(len(reference_tokens)))
    if best_precision == 0 or best_recall == 0:
        return 0.0
    return ((1 + BETA**2) * best_precision * best_recall) / float(
        best_recall + BETA**2 * best_precision
    )
