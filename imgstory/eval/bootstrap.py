"""Bootstrap confidence intervals over albums, and a paired bootstrap test between two systems.

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
from dataclasses import dataclass

import numpy as np
import pandas as pd

from imgstory.eval.corpus import AlbumStatistics

DEFAULT_RESAMPLES = 1000
DEFAULT_CONFIDENCE = 0.95

MetricFunction = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class ConfidenceInterval:
    """A metric's value on all albums and its bootstrap percentile interval."""

    value: float
    low: float
    high: float
    confidence: float
    resamples: int

    def as_list(self) -> list[float]:
        """``[low, high]``, as stored in results files."""
        return [self.low, self.high]


@dataclass(frozen=True)
class PairedComparison:
    """System A minus system B on the same albums, with its interval and p-value."""

    value_a: float
    value_b: float
    difference: float
    low: float
    high: float
    p_value: float
    albums: int
    resamples: int


def resample_weights(albums: int, resamples: int = DEFAULT_RESAMPLES, seed: int = 0) -> np.ndarray:
    """``(resamples, albums)`` counts: how often each album is drawn in each resample."""
    if albums < 1:
        raise ValueError("bootstrap needs at least one album")
    rng = np.random.default_rng(seed)
    return rng.multinomial(albums, np.full(albums, 1.0 / albums), size=resamples).astype(np.float64)


def _metric_functions(
    source: object, metrics: Sequence[str] | None
) -> tuple[dict[str, MetricFunction], int]:
    """Metric key -> function of album weights, and the number of albums, for any source."""
    statistics = getattr(source, "statistics", source)
    if statistics is None and isinstance(getattr(source, "per_album", None), pd.DataFrame):
        # a result without corpus statistics (the challenge protocol): a mean of album scores
        source = source.per_album[list(source.scores)]
    if isinstance(statistics, AlbumStatistics):
        keys = list(metrics or statistics.metrics)
        unknown = [key for key in keys if key not in statistics.metrics]
        if unknown:
            raise ValueError(f"cannot bootstrap {unknown}: not in {list(statistics.metrics)}")
        return (
            {key: _corpus_metric(statistics, key) for key in keys},
            len(statistics.album_ids),
        )
    if isinstance(source, pd.DataFrame):
        keys = list(metrics or source.select_dtypes("number").columns)
        columns = {key: source[key].to_numpy(dtype=np.float64) for key in keys}
        return (
            {key: _mean_metric(values) for key, values in columns.items()},
            len(source),
        )
    raise TypeError(
        "bootstrap source must be an EvaluationResult, AlbumStatistics or per-album DataFrame"
    )


def _corpus_metric(statistics: AlbumStatistics, key: str) -> MetricFunction:
    return lambda weights: statistics.scores(weights)[key]


def _mean_metric(values: np.ndarray) -> MetricFunction:
    return lambda weights: (weights @ values) / weights.sum(axis=-1)


def bootstrap_ci(
    source: object,
    metrics: Sequence[str] | None = None,
    n: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    confidence: float = DEFAULT_CONFIDENCE,
    metric_fn: MetricFunction | None = None,
) -> dict[str, ConfidenceInterval]:
    """Percentile bootstrap intervals of corpus metrics, resampling albums.

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
    functions, albums = _metric_functions(source, metrics)
    if metric_fn is not None:
        functions = {"custom": metric_fn}
    weights = resample_weights(albums, n, seed)
    everyone = np.ones((1, albums))
    tail = (1 - confidence) / 2 * 100
    intervals = {}
    for key, function in functions.items():
        samples = np.asarray(function(weights), dtype=np.float64)
        low, high = np.percentile(samples, [tail, 100 - tail])
        value = float(np.asarray(function(everyone)).reshape(-1)[0])
        intervals[key] = ConfidenceInterval(value, float(low), float(high), confidence, n)
    return intervals


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
    in_b = set(statistics_b.album_ids)
    common = [album_id for album_id in statistics_a.album_ids if album_id in in_b]
    if not common:
        raise ValueError("the two systems share no album: they cannot be compared")
    statistics_a, statistics_b = statistics_a.subset(common), statistics_b.subset(common)
    keys = list(metrics or [key for key in statistics_a.metrics if key in statistics_b.metrics])
    weights = resample_weights(len(common), n, seed)
    everyone = np.ones(len(common))
    resampled_a, resampled_b = statistics_a.scores(weights), statistics_b.scores(weights)
    observed_a, observed_b = statistics_a.scores(everyone), statistics_b.scores(everyone)
    tail = (1 - confidence) / 2 * 100
    results = {}
    for key in keys:
        difference = float(observed_a[key] - observed_b[key])
        samples = resampled_a[key] - resampled_b[key]  # (resamples,)
        extreme = np.abs(samples - difference) >= abs(difference)
        low, high = np.percentile(samples, [tail, 100 - tail])
        results[key] = PairedComparison(
            value_a=float(observed_a[key]),
            value_b=float(observed_b[key]),
            difference=difference,
            low=float(low),
            high=float(high),
            p_value=float((extreme.sum() + 1) / (n + 1)),
            albums=len(common),
            resamples=n,
        )
    return results
