"""The published-baselines registry (``assets/published_results.json``): cited VIST results.

Each entry carries its citation, protocol, printed scale and provenance: numbers *scored here
from released outputs* (``imgstory published add``: with intervals, story metrics and the
provenance of the file) or numbers *as reported* by a paper or repository, kept apart.
:func:`load_published_results` gives every score on the 0-1 scale too, so tables never mix
scales, and the protocol so they never mix protocols.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from imgstory.errors import UserInputError
from imgstory.jsonfile import read_json
from imgstory.paths import PUBLISHED_RESULTS_FILE

SCALE_DIVISORS = {"0-1": 1.0, "percent": 100.0}
REGISTRY_FORMAT = 'the published-results registry: {"results": [{"system", "protocol", ...}]}'
SCORED_HERE = "scored here from released outputs"
SCORED_HERE_HUMAN = "scored here: human references, leave-one-out"
SCORED_HERE_FLOOR = "scored here: floor, the same story for every album"
AS_REPORTED = "as reported; protocol unconfirmed"
AS_REPORTED_CONFIRMED = "as reported; reproduced here to every digit"
PROVENANCES = (
    SCORED_HERE,
    SCORED_HERE_HUMAN,
    SCORED_HERE_FLOOR,
    AS_REPORTED,
    AS_REPORTED_CONFIRMED,
)


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
    provenance: str = AS_REPORTED
    ci95: dict[str, list[float]] = field(default_factory=dict)
    story_metrics: dict[str, float] = field(default_factory=dict)
    repository: str = ""
    path: str = ""
    licence: str = ""
    sha256: str = ""
    albums_scored: int | None = None
    albums_missing: int | None = None
    scorer_version: str = ""
    date: str = ""
    references: dict[str, str] = field(default_factory=dict)
    statistics_file: str = ""
    notes: str = ""

    @property
    def scored_here(self) -> bool:
        """True for numbers this package computed (from released outputs, the references, or a
        floor's story)."""
        return self.provenance in (SCORED_HERE, SCORED_HERE_HUMAN, SCORED_HERE_FLOOR)

    def to_json(self) -> dict[str, object]:
        """The registry entry (optional fields left out when empty)."""
        entry = asdict(self)
        required = set(REQUIRED_FIELDS) | {"provenance"}
        return {k: v for k, v in entry.items() if k in required or v not in ("", {}, None)}

    @property
    def scores_0_1(self) -> dict[str, float]:
        """The scores on the 0-1 scale (what ``imgstory evaluate`` prints)."""
        divisor = SCALE_DIVISORS[self.scale]
        return {key: value / divisor for key, value in self.scores.items()}


REQUIRED_FIELDS = ("system", "paper", "source", "url", "protocol", "split", "scale", "scores")


def load_published_results(path: str | Path = PUBLISHED_RESULTS_FILE) -> list[PublishedResult]:
    """Read the registry.

    Raises:
        UserInputError: a missing file, or an entry without its citation, protocol or scale.
    """
    path = Path(path)
    return [
        _result(entry, f"{path}: results[{position}]")
        for position, entry in enumerate(_entries(read_json(path, REGISTRY_FORMAT), path))
    ]


def _entries(document: object, path: Path) -> list:
    entries = document.get("results") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise UserInputError(f"{path}: expected {REGISTRY_FORMAT}")
    return entries


def _result(entry: object, where: str) -> PublishedResult:
    if not isinstance(entry, dict):
        raise UserInputError(f"{where}: expected an object, found {type(entry).__name__}")
    missing = [name for name in REQUIRED_FIELDS if name not in entry]
    if missing:
        raise UserInputError(f"{where}: missing field {missing[0]!r}")
    known = {k: v for k, v in entry.items() if k in PublishedResult.__dataclass_fields__}
    result = PublishedResult(**known)
    if result.scale not in SCALE_DIVISORS:
        raise UserInputError(f"{where}: scale must be one of {sorted(SCALE_DIVISORS)}")
    if result.provenance not in PROVENANCES:
        raise UserInputError(f"{where}: provenance must be one of {list(PROVENANCES)}")
    return result


def append_published_result(
    result: PublishedResult, path: str | Path = PUBLISHED_RESULTS_FILE, replace: bool = False
) -> None:
    """Add an entry to the registry (written atomically; the file's other content is kept).

    Raises:
        UserInputError: an entry with the same system and protocol is there and not ``replace``.
    """
    from imgstory.outputs import write_text_atomic

    path = Path(path)
    document = read_json(path, REGISTRY_FORMAT)
    entries = _entries(document, path)
    same = [
        position
        for position, entry in enumerate(entries)
        if isinstance(entry, dict)
        and (entry.get("system"), entry.get("protocol")) == (result.system, result.protocol)
    ]
    if same and not replace:
        raise UserInputError(
            f"{path}: results[{same[0]}] already holds {result.system!r} ({result.protocol}); "
            "pass --replace to score it again"
        )
    if same:
        entries[same[0]] = result.to_json()
    else:
        entries.append(result.to_json())
    write_text_atomic(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def published_results_frame(
    path: str | Path = PUBLISHED_RESULTS_FILE, scored_here: bool = False
) -> pd.DataFrame:
    """The registry as a table: one row per result, scores on the 0-1 scale, with its source.

    Args:
        path: the registry.
        scored_here: False (default) for the numbers as reported by papers and repositories,
            True for the entries scored here (shown apart, with their intervals:
            ``imgstory.app.published_view``).
    """
    rows = [
        {
            "system": result.system,
            "protocol": result.protocol,
            "provenance": result.provenance,
            "split": result.split,
            **result.scores_0_1,
            "paper": result.paper,
            "source": result.source,
            "url": result.url,
        }
        for result in load_published_results(path)
        if result.scored_here == scored_here
    ]
    return pd.DataFrame(rows)
