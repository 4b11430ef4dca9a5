"""Album identification: can the story be told apart from other albums' stories?

For each album, every album's references are ranked by CIDEr-D against the story generated for
it; a story that is about its photos ranks its own album's references first. This separates
topical from generic stories where METEOR, on a dozen albums, does not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Identification:
    """Ranks of each album's own references, and the shares ranked first / in the top 3."""

    album_ids: tuple[str, ...]
    ranks: tuple[int, ...]  # 1 = the album's own references scored highest

    @property
    def top1(self) -> float:
        """Share of albums whose own references rank first."""
        return float(np.mean([rank == 1 for rank in self.ranks]))

    @property
    def top3(self) -> float:
        """Share of albums whose own references rank in the top 3."""
        return float(np.mean([rank <= 3 for rank in self.ranks]))

    def interval(self, within: int, confidence: float = 0.95) -> tuple[float, float]:
        """Wilson interval of the share ranked within ``within`` (scipy's binomial test)."""
        from scipy.stats import binomtest

        hits = sum(rank <= within for rank in self.ranks)
        low, high = binomtest(hits, len(self.ranks)).proportion_ci(confidence, method="wilson")
        return float(low), float(high)

    def to_json(self) -> dict[str, object]:
        """Plain dict with the shares, their 95% Wilson intervals and the ranks."""
        return {
            "albums": len(self.ranks),
            "top1": round(self.top1, 4),
            "top1_ci95": [round(v, 4) for v in self.interval(1)],
            "top3": round(self.top3, 4),
            "top3_ci95": [round(v, 4) for v in self.interval(3)],
            "ranks": dict(zip(self.album_ids, self.ranks, strict=True)),
        }


def identify_albums(
    references: Mapping[str, list[str]], stories: Mapping[str, str]
) -> Identification:
    """Rank all albums' references by CIDEr-D against each album's story (pycocoevalcap).

    Args:
        references: ``album_id -> [reference story, ...]`` for the albums to compare.
        stories: ``album_id -> generated story`` for the same albums.
    """
    from pycocoevalcap.cider.cider import Cider

    album_ids = [album for album in references if album in stories]
    pairs = {
        f"{told}|{other}": (told, other) for told in album_ids for other in album_ids
    }  # every story against every album's references; IDF is that of the albums' references
    gts = {key: references[other] for key, (_, other) in pairs.items()}
    res = {key: [stories[told]] for key, (told, _) in pairs.items()}
    _, scores = Cider().compute_score(gts, res)
    by_pair = dict(zip(gts, scores, strict=True))
    ranks = []
    for told in album_ids:
        own = by_pair[f"{told}|{told}"]
        # Ties count against the album: a story that matches nothing ranks last, not first.
        rivals = [by_pair[f"{told}|{other}"] for other in album_ids if other != told]
        ranks.append(1 + int(sum(score >= own for score in rivals)))
    return Identification(tuple(album_ids), tuple(ranks))
