"""Benchmark: our scorers and bootstrap against the libraries that could replace them.

Why the hand-written pieces stay (or go), measured in one run on the same stories:
- BLEU, ROUGE-L, CIDEr: ``imgstory.eval`` against pycocoevalcap's ``Bleu(4)``, ``Rouge()`` and
  ``Cider()`` (the scores must agree to the last bit; the time is what differs);
- the bootstrap: ``imgstory.eval.bootstrap.bootstrap_ci``, which now resamples with
  ``scipy.stats.bootstrap`` (percentile, vectorised), against the hand-written resampling it
  replaced (multinomial album counts and ``np.percentile``), both scoring every metric of a
  resample at once from the same per-album statistics.
Defaults use AREL's released test outputs and the VIST test references in ../shared/vist; without
them, a random corpus of the same size stands in (and the printout says so).

    .venv/bin/python -m benchmarks.bench_scorers [--runs 5] [--resamples 1000]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_VIST = REPO_ROOT.parent / "shared" / "vist"
REFERENCES = SHARED_VIST / "reference" / "test_reference.json"
PREDICTIONS = SHARED_VIST / "published" / "arel-irl-init-iter100" / "prediction_test.json"


def load_corpus() -> tuple[dict[str, list[str]], dict[str, str], str]:
    """``(references, predictions, what)``: the real test set when present, else random text."""
    if REFERENCES.is_file() and PREDICTIONS.is_file():
        from imgstory.data.references import load_references
        from imgstory.eval.predictions import load_predictions

        references = load_references(REFERENCES)
        predictions = load_predictions(PREDICTIONS)
        common = sorted(set(references) & set(predictions))
        what = f"AREL IRL-init-iter100 test outputs, {len(common)} albums (VIST test references)"
        return {a: references[a] for a in common}, {a: predictions[a] for a in common}, what
    rng = random.Random(0)
    words = [f"w{index}" for index in range(3000)] + [".", "the", "a", "we"]

    def story() -> str:
        return " ".join(rng.choice(words) for _ in range(rng.randint(30, 60)))

    references = {str(a): [story() for _ in range(5)] for a in range(1010)}
    predictions = {album: story() for album in references}
    return references, predictions, "a random corpus of 1,010 albums (../shared/vist absent)"


def alternate(
    first: Callable[[], object], second: Callable[[], object], runs: int
) -> list[tuple[float, float, object]]:
    """Best and median wall time of each function and its last result, run alternately (so a
    change in the machine's load hits both alike)."""
    times: tuple[list[float], list[float]] = ([], [])
    results: list[object] = [None, None]
    for _ in range(runs):
        for slot, function in enumerate((first, second)):
            start = time.perf_counter()
            results[slot] = function()
            times[slot].append(time.perf_counter() - start)
    return [(min(t), statistics.median(t), r) for t, r in zip(times, results, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args()

    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.rouge.rouge import Rouge

    from imgstory.eval.arel import _ngram_scores
    from imgstory.eval.bleu import bleu_statistics, corpus_bleu
    from imgstory.eval.bootstrap import bootstrap_ci
    from imgstory.eval.cider import cider_scores, corpus_cider
    from imgstory.eval.ngrams import ngram_counts
    from imgstory.eval.rouge import rouge_l

    references, predictions, what = load_corpus()
    albums = list(references)
    hypotheses = [predictions[a] for a in albums]
    album_references = [references[a] for a in albums]
    gts = {a: references[a] for a in albums}
    res = {a: [predictions[a]] for a in albums}
    print(f"data: {what}; best / median of {args.runs} runs each\n")

    def ours_bleu():
        rows = []
        for hypothesis, refs in zip(hypotheses, album_references, strict=True):
            with_lengths = [(ngram_counts(r.split()), len(r.split())) for r in refs]
            rows.append(
                bleu_statistics(
                    ngram_counts(hypothesis.split()), len(hypothesis.split()), with_lengths
                )
            )
        return corpus_bleu(np.array(rows, dtype=np.float64))

    def ours_rouge():
        return float(
            np.mean([rouge_l(h, r) for h, r in zip(hypotheses, album_references, strict=True)])
        )

    def ours_cider():
        counts = [ngram_counts(h.split()) for h in hypotheses]
        refs = [[ngram_counts(r.split()) for r in rs] for rs in album_references]
        return corpus_cider(cider_scores(counts, refs))

    pairs = [
        ("BLEU-1..4", ours_bleu, lambda: Bleu(4).compute_score(gts, res, verbose=0)[0]),
        ("ROUGE-L", ours_rouge, lambda: Rouge().compute_score(gts, res)[0]),
        ("CIDEr", ours_cider, lambda: Cider().compute_score(gts, res)[0]),
    ]
    print(
        f"{'scorer':<10} {'ours best':>10} {'median':>8} {'pycoco best':>12} {'median':>8} "
        f"{'speed-up':>9}  same score"
    )
    for name, ours, library in pairs:
        (ours_best, ours_median, ours_value), (lib_best, lib_median, lib_value) = alternate(
            ours, library, args.runs
        )
        same = np.array_equal(
            np.asarray(ours_value, dtype=float), np.asarray(lib_value, dtype=float)
        )
        print(
            f"{name:<10} {ours_best:>9.3f}s {ours_median:>7.3f}s {lib_best:>11.3f}s "
            f"{lib_median:>7.3f}s {lib_median / ours_median:>8.1f}x  {same}"
        )

    statistics_, _ = _ngram_scores(albums, hypotheses, album_references)
    keys = list(statistics_.metrics)
    count = len(albums)

    def scipy_bootstrap():
        return bootstrap_ci(statistics_, n=args.resamples, seed=0)

    def hand_written_bootstrap():
        rng = np.random.default_rng(0)
        weights = rng.multinomial(count, np.full(count, 1.0 / count), size=args.resamples)
        scores = statistics_.scores(weights.astype(np.float64))
        return {key: np.percentile(scores[key], [2.5, 97.5]) for key in keys}

    (lib_best, lib_median, lib_value), (old_best, old_median, old_value) = alternate(
        scipy_bootstrap, hand_written_bootstrap, args.runs
    )
    print(f"\nbootstrap of {len(keys)} metrics, {args.resamples} resamples of {count} albums:")
    print(f"  bootstrap_ci (scipy.stats.bootstrap)   best {lib_best:.3f}s median {lib_median:.3f}s")
    print(
        f"  hand-written multinomial (replaced)    best {old_best:.3f}s median {old_median:.3f}s "
        f"(scipy {old_median / lib_median:.1f}x faster)"
    )
    for key in keys:
        new, old = lib_value[key], old_value[key]
        print(
            f"  {key:<8} scipy [{new.low:.4f}, {new.high:.4f}]  "
            f"hand-written [{old[0]:.4f}, {old[1]:.4f}]"
        )
    print(json.dumps({"albums": count, "data": what}))


if __name__ == "__main__":
    main()
