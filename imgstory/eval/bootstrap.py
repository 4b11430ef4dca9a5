"""Bootstrap confidence intervals over albums, and a paired bootstrap test between two systems.

The resampling and the percentile intervals are ``scipy.stats.bootstrap``'s; what is ours is the
statistic: every metric of a resample recomputed at once from per-album statistics.

Resampling unit: the album (the AREL protocol scores one story per album). Each resample draws
albums with replacement and recomputes every corpus metric exactly from cached per-album
statistics (:class:`~imgstory.eval.corpus.AlbumStatistics`): BLEU and METEOR from summed
sufficient statistics, ROUGE-L and CIDEr as means of album scores. CIDEr keeps the IDF of the
full reference set (recomputing IDF on a resample with duplicated albums would not estimate the
metric's sampling error any better and would need the text again).

The paired test is a paired bootstrap (Koehn 2004; Berg-Kirkpatrick et al. 2012): both systems
are resampled on the same albums, and the two-sided p-value is the share of resampled
differences, centred on the observed one, at least as large in magnitude as the observed one
(with the usual +1 in numerator and denominator, so it is never exactly 0).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from imgstory.eval.corpus import AlbumStatistics
from imgstory.eval.results import Interval, PairedTest

DEFAULT_RESAMPLES = 1000
DEFAULT_CONFIDENCE = 0.95

#: ``(resamples, albums)`` weights -> ``(resamples,)`` values of one metric.
MetricFunction = Callable[[np.ndarray], np.ndarray]
#: ``(resamples, albums)`` weights -> ``(metrics, resamples)`` values.
MetricsFunction = Callable[[np.ndarray], np.ndarray]


#: System A minus system B on the same albums, with its interval and p-value (the results
#: schema's :class:`~imgstory.eval.results.PairedTest`).
PairedComparison = PairedTest


def resample_weights(albums: int, resamples: int = DEFAULT_RESAMPLES, seed: int = 0) -> np.ndarray:
    """``(resamples, albums)`` counts: how often each album is drawn in each resample.

    The same draws as :func:`bootstrap_ci` with the same seed (``scipy.stats.bootstrap`` draws
    album indices with ``default_rng(seed).integers``).
    """
    if albums < 1:
        raise ValueError("bootstrap needs at least one album")
    indices = np.random.default_rng(seed).integers(0, albums, (resamples, albums))
    return _counts(indices, albums)


def _counts(indices: np.ndarray, albums: int) -> np.ndarray:
    """Album indices ``(resamples, albums)`` -> how often each album was drawn, same shape."""
    resamples = len(indices)
    flat = np.arange(resamples)[:, None] * albums + indices  # (resamples, albums)
    counts = np.bincount(flat.ravel(), minlength=resamples * albums)
    return counts.reshape(resamples, albums).astype(np.float64)


def _bootstrap(
    albums: int,
    statistic_of_weights: Callable[[np.ndarray], np.ndarray],
    n: int,
    seed: int,
    confidence: float,
):
    """``scipy.stats.bootstrap`` (percentile) over album indices, every metric in one call.

    ``statistic_of_weights`` maps ``(resamples, albums)`` album counts to ``(metrics,
    resamples)`` values: each resample is scored exactly from the cached per-album statistics
    (the hand-written part, kept because corpus BLEU and METEOR are not means of album scores).
    """
    from scipy import stats

    def statistic(indices: np.ndarray, axis: int = -1) -> np.ndarray:
        indices = np.moveaxis(indices, axis, -1)
        batch = indices.shape[:-1]
        values = statistic_of_weights(_counts(indices.reshape(-1, albums), albums))
        return values.reshape(len(values), *batch)  # (metrics, *batch)

    return stats.bootstrap(
        (np.arange(albums),),
        statistic,
        n_resamples=n,
        confidence_level=confidence,
        method="percentile",
        vectorized=True,
        rng=np.random.default_rng(seed),
    )


def _metric_functions(
    source: object, metrics: Sequence[str] | None
) -> tuple[list[str], MetricsFunction, int]:
    """Metric keys, one function of album weights giving all of them, and the number of albums."""
    statistics = getattr(source, "statistics", source)
    if statistics is None and isinstance(getattr(source, "per_album", None), pd.DataFrame):
        # a result without corpus statistics (the challenge protocol): a mean of album scores
        source = source.per_album[list(source.scores)]
    if isinstance(statistics, AlbumStatistics):
        keys = list(metrics or statistics.metrics)
        unknown = [key for key in keys if key not in statistics.metrics]
        if unknown:
            raise ValueError(f"cannot bootstrap {unknown}: not in {list(statistics.metrics)}")

        def corpus_metrics(weights: np.ndarray) -> np.ndarray:  # -> (keys, resamples)
            scores = statistics.scores(weights)
            return np.stack([scores[key] for key in keys])

        return keys, corpus_metrics, len(statistics.album_ids)
    if isinstance(source, pd.DataFrame):
        keys = list(metrics or source.select_dtypes("number").columns)
        columns = source[keys].to_numpy(dtype=np.float64)  # (albums, keys)

        def column_means(weights: np.ndarray) -> np.ndarray:  # -> (keys, resamples)
            return ((weights @ columns) / weights.sum(axis=-1, keepdims=True)).T

        return keys, column_means, len(source)
    raise TypeError(
        "bootstrap source must be an EvaluationResult, AlbumStatistics or per-album DataFrame"
    )


def bootstrap_ci(
    source: object,
    metrics: Sequence[str] | None = None,
    n: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    confidence: float = DEFAULT_CONFIDENCE,
    metric_fn: MetricFunction | None = None,
) -> dict[str, Interval]:
    """Percentile bootstrap intervals of corpus metrics, resampling albums (the results
    schema's :class:`~imgstory.eval.results.Interval`: the value on all albums and the bounds).

    Args:
        source: an ``EvaluationResult`` or its ``AlbumStatistics`` (exact corpus metrics), or a
            per-album DataFrame (intervals of column means: right for ROUGE-L, CIDEr and the
            challenge's avg. max METEOR; only an approximation for AREL-protocol BLEU and
            METEOR, which are not means of album scores).
        metrics: metric keys (default: all available).
        n: number of resamples.
        seed: random seed (same seed, same intervals).
        confidence: e.g. 0.95 for a 95% interval.
        metric_fn: a custom metric, a function of ``(resamples, albums)`` weights returning
            ``(resamples,)`` values; reported under the key "custom".
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    keys, all_metrics, albums = _metric_functions(source, metrics)
    if metric_fn is not None:
        keys = ["custom"]

        def all_metrics(weights: np.ndarray) -> np.ndarray:  # -> (1, resamples)
            return np.asarray(metric_fn(weights), dtype=np.float64).reshape(1, -1)

    observed = all_metrics(np.ones((1, albums)))[:, 0]  # (keys,)
    if albums < 2:  # one album: every resample is that album
        return {
            key: Interval(float(value), float(value), float(value))
            for key, value in zip(keys, observed, strict=True)
        }
    interval = _bootstrap(albums, all_metrics, n, seed, confidence).confidence_interval
    return {
        key: Interval(float(observed[row]), float(interval.low[row]), float(interval.high[row]))
        for row, key in enumerate(keys)
    }


def paired_bootstrap_test(
    system_a: object,
    system_b: object,
    metrics: Sequence[str] | None = None,
    n: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    confidence: float = DEFAULT_CONFIDENCE,
) -> dict[str, PairedComparison]:
    """Paired bootstrap test of A minus B on the albums both systems scored.

    Args:
        system_a, system_b: ``EvaluationResult`` or ``AlbumStatistics`` of two systems scored
            against the same references.
        metrics: metric keys (default: those both have).
        n, seed, confidence: as for :func:`bootstrap_ci`.

    Returns:
        metric key -> :class:`PairedComparison` (two-sided p-value).
    """
    statistics_a = getattr(system_a, "statistics", system_a)
    statistics_b = getattr(system_b, "statistics", system_b)
    if not isinstance(statistics_a, AlbumStatistics) or not isinstance(
        statistics_b, AlbumStatistics
    ):
        raise TypeError("paired_bootstrap_test needs EvaluationResult or AlbumStatistics inputs")
    return paired_bootstrap_passes([statistics_a], [statistics_b], metrics, n, seed, confidence)


def paired_bootstrap_passes(
    passes_a: Sequence[AlbumStatistics],
    passes_b: Sequence[AlbumStatistics],
    metrics: Sequence[str] | None = None,
    n: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    confidence: float = DEFAULT_CONFIDENCE,
) -> dict[str, PairedComparison]:
    """Paired bootstrap of A minus B where each system's score is a mean over passes.

    Pass ``k`` of A and pass ``k`` of B were scored against the same references (e.g. a model
    and the human story ``k``, both against an album's other references: leave-one-out). Every
    pass is resampled with the same album draw. One pass each is :func:`paired_bootstrap_test`.

    Raises:
        ValueError: no pass, unequal numbers of passes, or no album in common.
    """
    if not passes_a or len(passes_a) != len(passes_b):
        raise ValueError(f"{len(passes_a)} and {len(passes_b)} passes: give as many, at least one")
    in_b = set(passes_b[0].album_ids)
    common = [album_id for album_id in passes_a[0].album_ids if album_id in in_b]
    if not common:
        raise ValueError("the two systems share no album: they cannot be compared")
    passes_a = [statistics.subset(common) for statistics in passes_a]
    passes_b = [statistics.subset(common) for statistics in passes_b]
    keys = list(metrics or [key for key in passes_a[0].metrics if key in passes_b[0].metrics])

    def mean_scores(passes: Sequence[AlbumStatistics], weights: np.ndarray) -> dict:
        scored = [statistics.scores(weights) for statistics in passes]
        return {key: sum(scores[key] for scores in scored) / len(scored) for key in keys}

    everyone = np.ones(len(common))
    observed_a, observed_b = mean_scores(passes_a, everyone), mean_scores(passes_b, everyone)

    def differences(weights: np.ndarray) -> np.ndarray:  # -> (keys, resamples)
        resampled_a, resampled_b = mean_scores(passes_a, weights), mean_scores(passes_b, weights)
        return np.stack([resampled_a[key] - resampled_b[key] for key in keys])

    if len(common) < 2:
        samples = differences(np.ones((n, 1)))
        low = high = samples[:, 0]
    else:
        resampled = _bootstrap(len(common), differences, n, seed, confidence)
        samples = resampled.bootstrap_distribution  # (keys, resamples)
        low, high = resampled.confidence_interval.low, resampled.confidence_interval.high
    results = {}
    for row, key in enumerate(keys):
        difference = float(observed_a[key] - observed_b[key])
        extreme = np.abs(samples[row] - difference) >= abs(difference)
        results[key] = PairedComparison(
            value_a=float(observed_a[key]),
            value_b=float(observed_b[key]),
            difference=difference,
            low=float(low[row]),
            high=float(high[row]),
            p_value=float((extreme.sum() + 1) / (n + 1)),
            albums=len(common),
            resamples=n,
        )
    return results
