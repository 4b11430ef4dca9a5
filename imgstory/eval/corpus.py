"""Per-album sufficient statistics from which every AREL-protocol corpus metric is recomputed.

BLEU and METEOR are corpus metrics (functions of summed statistics, not means of album scores);
ROUGE-L and CIDEr are means of album scores (CIDEr's IDF fixed by the full reference set). Given
album weights (a bootstrap resample counts how often each album is drawn), :meth:`scores`
recomputes all of them exactly, vectorised over many resamples at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imgstory.eval.bleu import bleu_from_statistics
from imgstory.eval.meteor import aggregable_statistics, meteor_from_statistics

BLEU_KEYS = ("Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4")
METRIC_KEYS = (*BLEU_KEYS, "METEOR", "ROUGE_L", "CIDEr")


@dataclass(frozen=True)
class AlbumStatistics:
    """Sufficient statistics of one system on a set of albums (rows in ``album_ids`` order)."""

    album_ids: tuple[str, ...]
    bleu: np.ndarray  # (albums, bleu.STATISTICS_WIDTH)
    rouge_l: np.ndarray  # (albums,)
    cider: np.ndarray  # (albums,)
    meteor: np.ndarray | None = None  # (albums, meteor.STATISTICS_WIDTH); None without Java

    @property
    def metrics(self) -> tuple[str, ...]:
        """The metric keys these statistics can recompute."""
        return tuple(key for key in METRIC_KEYS if key != "METEOR" or self.meteor is not None)

    def scores(self, weights: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Corpus scores for album weights.

        Args:
            weights: ``(resamples, albums)`` counts (or ``(albums,)``); None = every album once.

        Returns:
            metric key -> ``(resamples,)`` (or a 0-d array for 1-d weights).
        """
        if weights is None:
            weights = np.ones(len(self.album_ids))
        weights = np.asarray(weights, dtype=np.float64)  # (resamples, albums)
        totals = weights.sum(axis=-1)
        bleu = bleu_from_statistics(weights @ self.bleu)  # (resamples, 4)
        result = {key: bleu[..., order] for order, key in enumerate(BLEU_KEYS)}
        if self.meteor is not None:
            result["METEOR"] = meteor_from_statistics(weights @ aggregable_statistics(self.meteor))
        result["ROUGE_L"] = (weights @ self.rouge_l) / totals
        result["CIDEr"] = (weights @ self.cider) / totals
        return result

    def subset(self, album_ids: list[str] | tuple[str, ...]) -> AlbumStatistics:
        """The statistics of some albums, in the given order (CIDEr's IDF stays as computed)."""
        row = {album_id: index for index, album_id in enumerate(self.album_ids)}
        missing = [album_id for album_id in album_ids if album_id not in row]
        if missing:
            raise ValueError(f"albums not in these statistics: {missing[:5]}")
        rows = np.array([row[album_id] for album_id in album_ids], dtype=np.int64)
        return AlbumStatistics(
            album_ids=tuple(album_ids),
            bleu=self.bleu[rows],
            rouge_l=self.rouge_l[rows],
            cider=self.cider[rows],
            meteor=None if self.meteor is None else self.meteor[rows],
        )
