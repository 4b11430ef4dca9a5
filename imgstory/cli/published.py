"""``imgstory published``: score released system outputs into the registry, list, compare.

``add`` scores a released outputs file (AREL format and/or a challenge submission) with this
package's scorers and appends entries marked "scored here from released outputs";
``add-human`` does the same for the human references, leave-one-out, and ``add-floor`` for the
constant-story floor; ``compare`` runs a paired
bootstrap between any two released (registered) or local (predictions file) systems.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from imgstory.cli.printing import NOT_AVAILABLE, number
from imgstory.errors import UserInputError
from imgstory.eval.options import BOOTSTRAP_HELP, JSON_HELP
from imgstory.jsonfile import json_text
from imgstory.paths import PUBLISHED_RESULTS_FILE

published_app = typer.Typer(
    help="Released VIST systems: score their outputs into the registry, list, compare.",
    no_args_is_help=True,
)

REGISTRY_HELP = "The published-results registry to read / append to."
SYSTEM_HELP = (
    "A system to compare: the name of a registered scored-here system (see `imgstory published "
    "list`) or an AREL-format predictions file, scored here against --references."
)


@published_app.command("add")
def add(
    system: str = typer.Option(..., "--system", help="The system's name as the table shows it."),
    paper: str = typer.Option(..., "--paper", help="The paper: authors, title, venue, year."),
    repository: str = typer.Option(
        ..., "--repository", help="Where the file was released: owner/name on GitHub."
    ),
    source_path: str = typer.Option(..., "--path", help="The file's path in that repository."),
    licence: str = typer.Option(
        "", "--licence", help="The repository's licence (empty: none stated)."
    ),
    url: str = typer.Option("", "--url", help="A link to cite (default: the repository)."),
    predictions: Path | None = typer.Option(
        None, "--predictions", help="Released AREL-format outputs {album_id: \\[story]}."
    ),
    references: Path | None = typer.Option(
        None, "--references", help="AREL reference file the predictions are scored against."
    ),
    challenge: Path | None = typer.Option(
        None, "--challenge", help="Released challenge-format outputs (output_stories)."
    ),
    sis: Path | None = typer.Option(
        None, "--sis", help="The split's story-in-sequence file (challenge references)."
    ),
    registry: Path = typer.Option(PUBLISHED_RESULTS_FILE, "--registry", help=REGISTRY_HELP),
    bootstrap: int = typer.Option(1000, "--bootstrap", min=1, help=BOOTSTRAP_HELP),
    replace: bool = typer.Option(
        False, "--replace", help="Replace an entry of the same system and protocol."
    ),
    json_output: bool = typer.Option(False, "--json", help="Print the new entries as JSON."),
) -> None:
    """Score a released outputs file under the AREL and/or challenge protocol and register it."""
    from imgstory.eval.published import check_registration, statistics_file_for
    from imgstory.eval.released import (
        ReleasedOutputs,
        score_released_arel,
        score_released_challenge,
    )

    if predictions is None and challenge is None:
        raise UserInputError("give --predictions (AREL format) and/or --challenge to score")
    if predictions is not None and references is None:
        raise UserInputError("--predictions needs --references (an AREL reference file)")
    if challenge is not None and sis is None:
        raise UserInputError("--challenge needs --sis (the split's story-in-sequence file)")
    protocols = (("arel",) if predictions else ()) + (("challenge",) if challenge else ())
    results = check_registration(registry, system, protocols, replace=replace)
    statistics_file = statistics_file_for(registry, system, results) if predictions else None
    outputs = ReleasedOutputs(system, paper, repository, source_path, licence, url)
    entries, saved = [], []
    if predictions is not None:
        entry, statistics, digests, warnings = score_released_arel(
            outputs, predictions, references, bootstrap
        )
        entries.append((_with_statistics(entry, statistics_file, registry), warnings))
        saved.append((statistics_file, statistics, digests))
    if challenge is not None:
        entries.append(score_released_challenge(outputs, challenge, sis, bootstrap))
    _register(entries, saved, registry, replace)
    if json_output:
        print(json_text([entry.to_json() for entry, _ in entries]))
        return
    for entry, _ in entries:
        _print_entry(entry)
    print(f"registry: {registry}")


@published_app.command("add-human")
def add_human(
    references: Path = typer.Option(..., "--references", help="AREL reference file."),
    registry: Path = typer.Option(PUBLISHED_RESULTS_FILE, "--registry", help=REGISTRY_HELP),
    bootstrap: int = typer.Option(1000, "--bootstrap", min=1, help=BOOTSTRAP_HELP),
    replace: bool = typer.Option(False, "--replace", help="Replace the entry if it is there."),
    json_output: bool = typer.Option(False, "--json", help="Print the new entry as JSON."),
) -> None:
    """Score the human references leave-one-out and register them as a system."""
    from imgstory.eval.published import SCORED_HERE_HUMAN, check_registration
    from imgstory.eval.released import score_human_leave_one_out

    check_registration(registry, "", ("arel",), replace=replace, provenance=SCORED_HERE_HUMAN)
    entry, warnings = score_human_leave_one_out(references, bootstrap)
    _register([(entry, warnings)], [], registry, replace)
    if json_output:
        print(json_text(entry.to_json()))
        return
    _print_entry(entry)


@published_app.command("add-floor")
def add_floor(
    references: Path = typer.Option(..., "--references", help="AREL reference file."),
    registry: Path = typer.Option(PUBLISHED_RESULTS_FILE, "--registry", help=REGISTRY_HELP),
    bootstrap: int = typer.Option(1000, "--bootstrap", min=1, help=BOOTSTRAP_HELP),
    replace: bool = typer.Option(False, "--replace", help="Replace the entry if it is there."),
    json_output: bool = typer.Option(False, "--json", help="Print the new entry as JSON."),
) -> None:
    """Score the constant-story floor (the same generic story for every album) and register it
    with its per-album statistics (for paired tests)."""
    from imgstory.eval.published import (
        SCORED_HERE_FLOOR,
        check_registration,
        statistics_file_for,
    )
    from imgstory.eval.released import CONSTANT_SYSTEM, score_constant_story

    results = check_registration(
        registry, CONSTANT_SYSTEM, ("arel",), replace=replace, provenance=SCORED_HERE_FLOOR
    )
    statistics_file = statistics_file_for(registry, CONSTANT_SYSTEM, results)
    entry, statistics, digests, warnings = score_constant_story(references, bootstrap)
    entry = _with_statistics(entry, statistics_file, registry)
    _register([(entry, warnings)], [(statistics_file, statistics, digests)], registry, replace)
    if json_output:
        print(json_text(entry.to_json()))
        return
    _print_entry(entry)


def _register(entries: list, saved: list, registry: Path, replace: bool) -> None:
    """Print the scorers' warnings, then write the statistics files and the registry, only now
    that every entry is scored; a failure removes the statistics files it created."""
    from imgstory.eval.published import append_published_results
    from imgstory.eval.released import save_statistics

    for entry, warnings in entries:
        for warning in warnings:
            print(f"warning: {entry.protocol}: {warning}", file=sys.stderr)
    created = []
    try:
        for statistics_file, statistics, digests in saved:
            if not statistics_file.exists():
                created.append(statistics_file)
            statistics_file.parent.mkdir(parents=True, exist_ok=True)
            save_statistics(statistics, statistics_file, digests)
        append_published_results([entry for entry, _ in entries], registry, replace=replace)
    except BaseException:
        for statistics_file in created:
            statistics_file.unlink(missing_ok=True)
        raise


@published_app.command("list")
def list_entries(
    registry: Path = typer.Option(PUBLISHED_RESULTS_FILE, "--registry", help=REGISTRY_HELP),
) -> None:
    """Print the registry: scored-here entries (with intervals), then as-reported numbers."""
    from imgstory.eval.published import load_published_results

    results = load_published_results(registry)
    for heading, scored in (("scored here", True), ("as reported", False)):
        print(f"{heading}:")
        for result in (r for r in results if r.scored_here == scored):
            scores = result.scores_0_1
            shown = "  ".join(
                f"{key} {number(scores[key])}"
                for key in ("METEOR", "ROUGE_L", "CIDEr", "Bleu_4")
                if key in scores
            )
            print(f"  {result.system} [{result.protocol}]  {shown}")


@published_app.command("compare")
def compare(
    system_a: str = typer.Argument(..., help=SYSTEM_HELP),
    system_b: str = typer.Argument(..., help=SYSTEM_HELP),
    references: Path | None = typer.Option(
        None, "--references", help="AREL reference file (needed for a predictions file)."
    ),
    registry: Path = typer.Option(PUBLISHED_RESULTS_FILE, "--registry", help=REGISTRY_HELP),
    bootstrap: int = typer.Option(1000, "--bootstrap", min=1, help=BOOTSTRAP_HELP),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Paired bootstrap of A minus B on the albums both scored (same references required)."""
    from imgstory.eval.comparison import compare_systems, system_statistics

    first = system_statistics(system_a, registry, references)
    second = system_statistics(system_b, registry, references)
    comparison = compare_systems(first, second, resamples=bootstrap)
    if json_output:
        print(
            json_text(
                {
                    "a": first.label,
                    "b": second.label,
                    "albums": comparison.albums,
                    "albums_with_different_references": comparison.different_references,
                    "tests": {metric: test.to_json() for metric, test in comparison.tests.items()},
                }
            )
        )
        return
    print(
        f"{first.label} minus {second.label} on {comparison.albums} albums, paired bootstrap "
        f"({bootstrap} resamples; p two-sided):"
    )
    print(comparison.table.to_string(index=False, float_format=number, na_rep=NOT_AVAILABLE))
    if comparison.different_references:
        print(f"({comparison.different_references} shared albums left out: other references)")


def _with_statistics(entry, statistics_file: Path, registry: Path):
    from dataclasses import replace

    return replace(entry, statistics_file=str(statistics_file.relative_to(registry.parent)))


def _print_entry(entry) -> None:
    print(f"{entry.system} [{entry.protocol}], {entry.provenance}:")
    for key, scored in entry.intervals.items():  # scored here: the 0-1 scale as printed
        bounds = f"  (95% CI {number(scored.low)}-{number(scored.high)})"
        print(f"  {key:<8} {number(scored.value)}{bounds if key in entry.ci95 else ''}")
    for key, value in entry.story_metrics.items():
        shown = value if isinstance(value, int) else number(value)  # a count or a metric
        print(f"  {key:<8} {shown}")
    print(f"  albums scored {entry.albums_scored}, missing {entry.albums_missing}")


def register(app: typer.Typer) -> None:
    """Add the ``published`` command group to the main ``imgstory`` app."""
    app.add_typer(published_app, name="published")
