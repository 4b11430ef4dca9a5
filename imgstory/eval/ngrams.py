"""N-gram counting shared by the BLEU and CIDEr scorers (coco-caption's ``precook``, faster)."""

from __future__ import annotations

from collections import Counter

MAX_ORDER = 4

# counts[order - 1][ngram] for orders 1..MAX_ORDER; an n-gram is its words joined by one space
# (words come from str.split(), so the joined form names exactly one word tuple). Strings cache
# their hash, which makes the many dictionary look-ups of BLEU and CIDEr cheap.
NgramCounts = tuple[Counter[str], ...]


def ngram_counts(words: list[str], max_order: int = MAX_ORDER) -> NgramCounts:
    """Counts of every 1..max_order-gram of ``words``, one Counter per order.

    Within an order, n-grams keep coco-caption's ``precook`` order (first occurrence), so sums
    over them run in the same order and give bit-identical floats.
    """
    return tuple(
        Counter(" ".join(words[start : start + order]) for start in range(len(words) - order + 1))
        for order in range(1, max_order + 1)
    )
