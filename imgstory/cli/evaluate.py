"""``imgstory evaluate``: score generated stories with the AREL or the VIST challenge protocol."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from imgstory.cli.printing import number
from imgstory.errors import UserInputError
from imgstory.eval.options import (
    EVALUATE_BOOTSTRAP_HELP,
    JSON_HELP,
    PER_ALBUM_HELP,
    PER_STORY_HELP,
    PREDICTIONS_HELP,
    PROTOCOL_HELP,
    PROTOCOLS,
    REFERENCES_HELP,
    STORY_COUNTS,
    STORY_METRICS_HELP,
)
from imgstory.jsonfile import json_text
from imgstory.outputs import OVERWRITE_HELP

#: Keys of the summary that are not one metric's value (the table prints them apart).
NOT_METRICS = {"protocol", "albums_scored", "albums_missing", "warnings", "ci95", "per_story"}


def evaluate(
    references: Path = typer.Option(..., "--references", help=REFERENCES_HELP),
    predictions: Path = typer.Option(..., "--predictions", help=PREDICTIONS_HELP),
    protocol: str = typer.Option("arel", "--protocol", help=PROTOCOL_HELP),
    per_album: Path | None = typer.Option(None, "--per-album", help=PER_ALBUM_HELP),
    bootstrap: int = typer.Option(0, "--bootstrap", min=0, help=EVALUATE_BOOTSTRAP_HELP),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
    overwrite: bool = typer.Option(False, "--overwrite", help=OVERWRITE_HELP),
    with_story_metrics: bool = typer.Option(False, "--story-metrics", help=STORY_METRICS_HELP),
    per_story: bool = typer.Option(False, "--per-story", help=PER_STORY_HELP),
) -> None:
    """Score generated stories against reference stories (0-1 scale, as published papers)."""
    if protocol not in PROTOCOLS:
        raise UserInputError(f"--protocol must be one of {', '.join(PROTOCOLS)}, not {protocol!r}")
    if per_album is not None:
        from imgstory.outputs import check_output_file

        check_output_file(
            per_album,
            inputs=(references, predictions),
            overwrite=overwrite,
            what="per-album scores file",
        )
    if protocol == "arel":
        result, stories = _evaluate_arel(references, predictions)
    else:
        result, stories = _evaluate_challenge(references, predictions)

    measured = None
    if with_story_metrics or per_story:
        from imgstory.eval.story_metrics import story_metrics

        measured = story_metrics(stories)
        if measured.too_long:
            result.warnings.append(_too_long_warning(predictions, measured.too_long))
    summary = result.to_json_dict()
    if measured is not None:
        summary.update(measured.to_json_dict())
        if per_story:
            summary["per_story"] = measured.per_story_json()
        result.per_album = result.per_album.join(measured.per_story)
    if bootstrap:
        from imgstory.eval.bootstrap import bootstrap_ci

        intervals = bootstrap_ci(result, n=bootstrap)
        # the bounds of each metric's schema Interval (its value is the metric printed above)
        summary["ci95"] = {key: [i.low, i.high] for key, i in intervals.items()}
    if per_album is not None:
        from imgstory.outputs import atomic_file
        from imgstory.spreadsheet import safe_frame

        with atomic_file(per_album) as temporary:
            safe_frame(result.per_album).to_csv(temporary)  # album ids from the user's file
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if json_output:
        print(json_text(summary))
        return
    _print_table(summary, per_album)


def _too_long_warning(predictions: Path, too_long: list[str]) -> str:
    """One line naming the predictions file and the stories left out of non-redundancy."""
    from imgstory.eval.options import MAX_SENTENCES

    shown = ", ".join(repr(key) for key in too_long[:3])
    if len(too_long) > 3:
        shown += f" and {len(too_long) - 3} more"
    story = "story" if len(too_long) == 1 else "stories"
    return (
        f"{predictions}: {story} {shown} of more than {MAX_SENTENCES} sentences: "
        "no non-redundancy for them (it compares every pair of a story's sentences)"
    )


def _evaluate_arel(references: Path, predictions: Path):
    """The result, and the scored stories by album (for the story metrics)."""
    from imgstory.data.references import load_references
    from imgstory.eval.arel import evaluate_arel
    from imgstory.eval.predictions import load_predictions

    stories = load_predictions(predictions)
    result = evaluate_arel(load_references(references), stories)
    return result, {album: stories[album] for album in result.albums_scored}


def _evaluate_challenge(references: Path, predictions: Path):
    from imgstory.data.sis import load_sis
    from imgstory.eval.challenge import evaluate_challenge, references_by_sequence
    from imgstory.eval.predictions import load_challenge_submission

    submission = load_challenge_submission(predictions, "use --protocol arel")
    stories = load_sis(references).stories
    if not stories:
        raise UserInputError(f"{references}: no valid story to use as a reference")
    from imgstory.eval.released import scored_stories

    result = evaluate_challenge(references_by_sequence(stories), submission)
    return result, scored_stories(submission, result)


def _print_table(summary: dict[str, object], per_album: Path | None) -> None:
    intervals = summary.get("ci95", {})
    unit = "sequences" if summary["protocol"] == "challenge" else "albums"
    print(f"protocol {summary['protocol']}: {summary['albums_scored']} {unit} scored")
    for key, value in summary.items():
        if key in NOT_METRICS or key in STORY_COUNTS:
            continue
        shown = "not computed" if value is None else number(value)
        if key in intervals:
            low, high = intervals[key]
            shown += f"  (95% CI {number(low)}-{number(high)})"
        print(f"  {key:<8} {shown}")
    if "story_metrics_stories" in summary:
        print(
            f"  story metrics over {summary['story_metrics_stories']} stories "
            f"({summary['non_redundancy_undefined']} of one sentence or too long: "
            "no non-redundancy)"
        )
    for key, values in summary.get("per_story", {}).items():
        shown = "  ".join(f"{metric} {number(value)}" for metric, value in values.items())
        print(f"    {key}: {shown}")
    if summary["albums_missing"]:
        print(f"  {summary['albums_missing']} reference {unit} had no prediction (not scored)")
    if per_album is not None:
        print(f"per-{unit[:-1]} scores: {per_album}")


def register(app: typer.Typer) -> None:
    """Add ``evaluate`` to the main ``imgstory`` app."""
    app.command("evaluate")(evaluate)
