"""The published-baselines registry (``assets/published_results.json``): cited VIST results.

Each entry carries its citation, protocol, printed scale and provenance: numbers *scored here
from released outputs* (``imgstory published add``: with intervals, story metrics and the
provenance of the file) or numbers *as reported* by a paper or repository, kept apart.
:func:`load_published_results` gives every score on the 0-1 scale too, so tables never mix
scales, and the protocol so they never mix protocols.
"""

from __future__ import annotations

import hashlib
import math
import os
import stat
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import NoReturn

import pandas as pd

from imgstory.errors import UserInputError
from imgstory.eval.results import Interval
from imgstory.jsonfile import json_text, read_json
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
    #: metric -> ``[low, high]``, the 95% interval of a scored-here score (0-1 scale; the
    #: schema's ``ci95``).
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

    @property
    def intervals(self) -> dict[str, Interval]:
        """The scores on the 0-1 scale as the results schema's intervals (NaN bounds where the
        entry has none: numbers as reported)."""
        return {
            key: Interval(value, *(self.ci95.get(key) or (math.nan, math.nan)))
            for key, value in self.scores_0_1.items()
        }

    @classmethod
    def from_json(cls, entry: object, where: str = "registry entry") -> PublishedResult:
        """The inverse of :meth:`to_json`.

        Raises:
            UserInputError: not an object, a required field missing, a score that is not a
                finite number, an unknown scale or provenance (one line naming ``where``).
        """
        if not isinstance(entry, dict):
            raise UserInputError(f"{where}: expected an object, found {type(entry).__name__}")
        missing = [name for name in REQUIRED_FIELDS if name not in entry]
        if missing:
            raise UserInputError(f"{where}: missing field {missing[0]!r}")
        scores = entry["scores"]
        if not isinstance(scores, dict) or not scores:
            raise UserInputError(f"{where}: scores must be an object of metric -> number")
        for metric, value in scores.items():
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
            ):
                raise UserInputError(
                    f"{where}: scores.{metric} must be a finite number, found {value!r}"
                )
        known = {k: v for k, v in entry.items() if k in cls.__dataclass_fields__}
        result = cls(**known)
        if result.scale not in SCALE_DIVISORS:
            raise UserInputError(f"{where}: scale must be one of {sorted(SCALE_DIVISORS)}")
        if result.provenance not in PROVENANCES:
            raise UserInputError(f"{where}: provenance must be one of {list(PROVENANCES)}")
        return result


REQUIRED_FIELDS = ("system", "paper", "source", "url", "protocol", "split", "scale", "scores")


def load_published_results(path: str | Path = PUBLISHED_RESULTS_FILE) -> list[PublishedResult]:
    """Read the registry.

    Raises:
        UserInputError: a missing file, or an entry without its citation, protocol or scale.
    """
    path = Path(path)
    return [
        PublishedResult.from_json(entry, f"{path}: results[{position}]")
        for position, entry in enumerate(_entries(read_json(path, REGISTRY_FORMAT), path))
    ]


def _entries(document: object, path: Path) -> list:
    entries = document.get("results") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise UserInputError(f"{path}: expected {REGISTRY_FORMAT}")
    return entries


def _entry_key(entry: dict) -> tuple[object, object]:
    """What makes two registry entries the same: the system and protocol; the human references
    are one system whatever their pass count."""
    if entry.get("provenance") == SCORED_HERE_HUMAN:
        return SCORED_HERE_HUMAN, entry.get("protocol")
    return entry.get("system"), entry.get("protocol")


def _same_entry(entries: list, result_key: tuple[object, object]) -> int | None:
    for position, entry in enumerate(entries):
        if isinstance(entry, dict) and _entry_key(entry) == result_key:
            return position
    return None


def _refuse_existing(path: Path, position: int, system: str, protocol: str) -> NoReturn:
    raise UserInputError(
        f"{path}: results[{position}] already holds {system!r} ({protocol}); "
        "pass --replace to score it again"
    )


def check_registration(
    path: str | Path,
    system: str,
    protocols: tuple[str, ...],
    *,
    replace: bool,
    provenance: str = SCORED_HERE,
) -> list[PublishedResult]:
    """Check, before any scoring, that ``system`` can be registered under ``protocols``.

    Args:
        path: the registry.
        system: the system's name (for the human references, any: they are found by provenance).
        protocols: the protocols the command will register.
        replace: whether an entry already there may be replaced (``--replace``).
        provenance: the new entries' provenance.

    Returns:
        The registry's entries as they are now.

    Raises:
        UserInputError: the registry is missing, malformed or cannot be written, or already holds
            the system under one of ``protocols`` and ``replace`` is not given.
    """
    from imgstory.outputs import check_output_file

    path = Path(path)
    results = load_published_results(path)
    check_output_file(path, overwrite=True, what="registry")
    if not os.access(path, os.W_OK) or not path.stat().st_mode & stat.S_IWUSR:
        raise UserInputError(f"{path}: the registry is read-only; nothing was scored")
    entries = [result.to_json() for result in results]
    for protocol in protocols:
        key = _entry_key({"system": system, "protocol": protocol, "provenance": provenance})
        position = _same_entry(entries, key)
        if position is not None and not replace:
            _refuse_existing(path, position, str(entries[position]["system"]), protocol)
    return results


def statistics_file_for(registry: str | Path, system: str, results: list[PublishedResult]) -> Path:
    """Where ``system``'s per-album statistics go: ``published/<slug>.arel.npz`` beside the
    registry, never a file another system's entry (or another program) owns.

    Names that differ only in case or punctuation share a slug; the second gets the slug plus a
    digest of its exact name.

    Raises:
        UserInputError: both names are taken, or the statistics folder cannot be written.
    """
    registry = Path(registry)
    folder = registry.parent / "published"
    if folder.exists() and not (folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)):
        raise UserInputError(f"{folder}: cannot write the statistics file there")
    slug = "-".join(
        filter(None, "".join(c if c.isalnum() else "-" for c in system.lower()).split("-"))
    )
    digest = hashlib.sha256(system.encode("utf-8")).hexdigest()[:8]
    owners = {result.statistics_file: result.system for result in results if result.statistics_file}
    for name in (slug, f"{slug}-{digest}"):
        relative = f"published/{name}.arel.npz"
        owner = owners.get(relative)
        if owner == system or (owner is None and not (registry.parent / relative).exists()):
            return registry.parent / relative
    raise UserInputError(
        f"{folder}: {slug}.arel.npz and {slug}-{digest}.arel.npz belong to other systems; "
        "choose another --system name"
    )


def append_published_results(
    results: list[PublishedResult], path: str | Path = PUBLISHED_RESULTS_FILE, replace: bool = False
) -> None:
    """Add entries to the registry in one atomic write (the file's other content is kept).

    Raises:
        UserInputError: an entry of the same system and protocol is there and not ``replace``
            (nothing is written).
    """
    from imgstory.outputs import write_text_atomic

    path = Path(path)
    document = read_json(path, REGISTRY_FORMAT)
    entries = _entries(document, path)
    for result in results:
        position = _same_entry(entries, _entry_key(result.to_json()))
        if position is not None and not replace:
            _refuse_existing(path, position, result.system, result.protocol)
        if position is not None:
            entries[position] = result.to_json()
        else:
            entries.append(result.to_json())
    write_text_atomic(path, json_text(document, indent=2, ensure_ascii=False) + "\n")


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
