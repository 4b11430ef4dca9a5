"""The published-baselines registry (``assets/published_results.json``): cited VIST results.

Each entry carries its citation, protocol and printed scale; :func:`load_published_results`
also gives every score on the 0-1 scale so tables never mix scales, and the protocol so they
never mix protocols.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from imgstory.errors import UserInputError
from imgstory.jsonfile import read_json
from imgstory.paths import PUBLISHED_RESULTS_FILE

SCALE_DIVISORS = {"0-1": 1.0, "percent": 100.0}
REGISTRY_FORMAT = 'the published-results registry: {"results": [{"system", "protocol", ...}]}'


@dataclass(frozen=True)
class PublishedResult:
    """One published result as printed, with its source."""

    system: str
    paper: str
    source: str
    url: str
    protocol: str
    split: str
    scale: str
    scores: dict[str, float]

    @property
    def scores_0_1(self) -> dict[str, float]:
        """The scores on the 0-1 scale (what ``imgstory evaluate`` prints)."""
        divisor = SCALE_DIVISORS[self.scale]
        return {key: value / divisor for key, value in self.scores.items()}


def load_published_results(path: str | Path = PUBLISHED_RESULTS_FILE) -> list[PublishedResult]:
    """Read the registry.

    Raises:
        UserInputError: a missing file, or an entry without its citation, protocol or scale.
    """
    path = Path(path)
    document = read_json(path, REGISTRY_FORMAT)
    entries = document.get("results") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise UserInputError(f"{path}: expected {REGISTRY_FORMAT}")
    results = []
    for position, entry in enumerate(entries):
        where = f"{path}: results[{position}]"
        try:
            result = PublishedResult(
                **{name: entry[name] for name in PublishedResult.__dataclass_fields__}
            )
        except (KeyError, TypeError) as error:
            raise UserInputError(f"{where}: missing field {error}") from None
        if result.scale not in SCALE_DIVISORS:
            raise UserInputError(f"{where}: scale must be one of {sorted(SCALE_DIVISORS)}")
        results.append(result)
    return results


def published_results_frame(path: str | Path = PUBLISHED_RESULTS_FILE) -> pd.DataFrame:
    """The registry as a table: one row per result, scores on the 0-1 scale, with its source."""
    rows = [
        {
            "system": result.system,
            "protocol": result.protocol,
            "split": result.split,
            **result.scores_0_1,
            "paper": result.paper,
            "source": result.source,
            "url": result.url,
        }
        for result in load_published_results(path)
    ]
    return pd.DataFrame(rows)
