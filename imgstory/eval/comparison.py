"""Paired comparison of any two systems, released (registered statistics) or local (a file).

A registered scored-here system brings the per-album statistics saved by ``imgstory published
add``; a local predictions file is scored here. The test runs on the albums both scored against
the same reference stories (each album's references are compared by digest; albums whose
references differ are left out and counted), with
:func:`imgstory.eval.bootstrap.paired_bootstrap_test`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from imgstory.errors import UserInputError
from imgstory.eval.corpus import AlbumStatistics
from imgstory.eval.results import PAIRED_COLUMNS, PairedTest
from imgstory.paths import PUBLISHED_RESULTS_FILE

COMPARED_METRICS = ("METEOR", "ROUGE_L", "CIDEr", "Bleu_4")
#: The comparison table's columns: the metric and the paired test's fields (less the resamples,
#: the same on every row and said beside the table).
COMPARISON_COLUMNS = ["metric", *(c for c in PAIRED_COLUMNS if c != "resamples")]


@dataclass(frozen=True)
class ComparedSystem:
    """A system ready for a paired test: its label, statistics and each album's reference
    digest (``statistics.album_ids`` order)."""

    label: str
    statistics: AlbumStatistics
    reference_digests: tuple[str, ...]


@dataclass(frozen=True)
class Comparison:
    """A paired comparison: the tests by metric, and which albums it ran on."""

    tests: dict[str, PairedTest]
    albums: int
    different_references: int

    @property
    def table(self) -> pd.DataFrame:
        """One row per metric (:data:`COMPARISON_COLUMNS`)."""
        rows = [{"metric": metric, **test.row()} for metric, test in self.tests.items()]
        return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def comparable_systems(registry: str | Path = PUBLISHED_RESULTS_FILE) -> list[str]:
    """The registered systems that carry per-album statistics (scored here)."""
    from imgstory.eval.published import load_published_results

    return [r.system for r in load_published_results(registry) if r.statistics_file]


def registered_system(system: str, registry: str | Path = PUBLISHED_RESULTS_FILE) -> ComparedSystem:
    """A scored-here registry entry with its saved per-album statistics.

    Raises:
        UserInputError: no such entry, or one without statistics (numbers as reported, or the
            human references scored leave-one-out), said by its provenance.
    """
    from imgstory.eval.published import load_published_results
    from imgstory.eval.released import load_statistics

    registry = Path(registry)
    entries = [r for r in load_published_results(registry) if r.system == system]
    with_statistics = [r for r in entries if r.statistics_file]
    if not with_statistics:
        why = (
            f"has no per-album statistics ({entries[0].provenance})" if entries else "is not there"
        )
        raise UserInputError(
            f"{registry}: system {system!r} {why}; systems that can be compared: "
            + ", ".join(comparable_systems(registry))
        )
    statistics, digests = load_statistics(registry.parent / with_statistics[0].statistics_file)
    return ComparedSystem(system, statistics, tuple(digests))


def scored_system(label: str, result, references: Mapping[str, list[str]]) -> ComparedSystem:
    """A local system from an AREL-protocol ``EvaluationResult`` and the references it was
    scored against."""
    from imgstory.eval.released import album_reference_digests

    if result.statistics is None:
        raise UserInputError(
            f"{label}: no per-album statistics (only AREL-protocol results can be compared)"
        )
    digests = album_reference_digests(references, result.statistics.album_ids)
    return ComparedSystem(label, result.statistics, tuple(digests))


def system_statistics(
    system: str, registry: str | Path, references: str | Path | None
) -> ComparedSystem:
    """``system`` as a registered name, or else a predictions file scored against
    ``references``.

    Raises:
        UserInputError: neither a registered system nor a file, or a file without references.
    """
    if not Path(system).is_file():
        return registered_system(system, registry)
    if references is None:
        raise UserInputError(f"{system}: a predictions file needs --references to be scored")
    from imgstory.data.references import load_references
    from imgstory.eval.arel import evaluate_arel
    from imgstory.eval.predictions import load_predictions

    reference_stories = load_references(references)
    result = evaluate_arel(reference_stories, load_predictions(system))
    return scored_system(Path(system).stem, result, reference_stories)


def compare_systems(
    first: ComparedSystem,
    second: ComparedSystem,
    metrics: tuple[str, ...] = COMPARED_METRICS,
    resamples: int = 1000,
) -> Comparison:
    """Paired bootstrap of ``first`` minus ``second`` on the albums both scored against the same
    references.

    Raises:
        UserInputError: no album in common with the same references.
    """
    from imgstory.eval.bootstrap import paired_bootstrap_test

    theirs = dict(zip(second.statistics.album_ids, second.reference_digests, strict=True))
    shared = [
        (album, digest == theirs[album])
        for album, digest in zip(first.statistics.album_ids, first.reference_digests, strict=True)
        if album in theirs
    ]
    common = [album for album, same in shared if same]
    if not common:
        why = " with the same reference stories" if shared else ""
        raise UserInputError(
            f"{first.label} and {second.label} share no album{why}: score both against the "
            "same reference file (e.g. VIST's test_reference.json)"
        )
    keys = [m for m in metrics if m in first.statistics.metrics and m in second.statistics.metrics]
    tests = paired_bootstrap_test(
        first.statistics.subset(common), second.statistics.subset(common), keys, n=resamples
    )
    return Comparison(tests, len(common), len(shared) - len(common))
