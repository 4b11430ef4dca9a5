"""Scoring in the app: uploaded prediction/reference files, paired tests, one generated story.

Thin adapters over ``imgstory.eval`` (imported inside the functions: the scorers start Java).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from imgstory.errors import UserInputError
from imgstory.jsonfile import parse_json

PROTOCOL_NOTE = (
    "AREL protocol: one story per album scored against all of the album's references with the "
    "coco-caption scorers (BLEU 'closest', ROUGE-L beta 1.2, CIDEr, METEOR 1.5 -t hter); 0-1 scale."
)
STORY_PROTOCOL_NOTE = (
    "Per-story scores with the protocol scorers (METEOR 1.5, coco-caption ROUGE-L and BLEU) of "
    "this one story against the album's references; single-story BLEU is noisy."
)
PAIRED_HELP = (
    "paired bootstrap: albums are resampled 1,000 times and each corpus metric is recomputed "
    "for both systems on the same resample; p is two-sided."
)


def read_json_upload(name: str, data: bytes, what: str) -> Any:
    """Parse an uploaded JSON file.

    Raises:
        UserInputError: empty, not UTF-8 or not JSON; the message names the file and ``what``.
    """
    if not data.strip():
        raise UserInputError(f"{name}: the file is empty; upload {what}")
    return parse_json(data, name, f"upload {what}")


def predictions_from_upload(name: str, data: bytes) -> dict[str, str]:
    """AREL-format predictions from an uploaded file (``album_id -> story``)."""
    from imgstory.eval.predictions import PREDICTIONS_FORMAT, normalise_predictions

    document = read_json_upload(name, data, PREDICTIONS_FORMAT)
    if isinstance(document, dict) and "output_stories" in document:
        raise UserInputError(
            f"{name}: this is a VIST challenge submission; upload AREL-format predictions "
            "(score challenge files with `imgstory evaluate --protocol challenge`)"
        )
    return normalise_predictions(document, source=name)


def predictions_from_file(path) -> dict[str, str]:
    """AREL-format predictions from a results folder's ``predictions/<system>.json``."""
    from imgstory.eval.predictions import load_predictions

    return load_predictions(path)


def references_from_upload(name: str, data: bytes) -> dict[str, list[str]]:
    """AREL-format references from an uploaded file (``album_id -> [story, ...]``)."""
    from imgstory.data.references import REFERENCE_FORMAT

    document = read_json_upload(name, data, REFERENCE_FORMAT)
    if not isinstance(document, dict) or "annotations" in document or not document:
        raise UserInputError(f"{name}: expected {REFERENCE_FORMAT}")
    references = {}
    for album_id, stories in document.items():
        stories = [stories] if isinstance(stories, str) else stories
        if not isinstance(stories, list) or not all(isinstance(s, str) for s in stories):
            raise UserInputError(f"{name}: album {album_id!r} must map to a list of story strings")
        references[str(album_id)] = [s.strip() for s in stories if s.strip()]
    return references


def score_predictions(
    predictions: dict[str, str], references: dict[str, list[str]]
) -> tuple[pd.DataFrame, Any]:
    """Score predictions with the AREL protocol: a one-row-per-metric table and the full result.

    Raises:
        UserInputError: no album of the predictions has references.
    """
    from imgstory.eval.arel import evaluate_arel

    shared = set(predictions) & set(references)
    if not shared:
        raise UserInputError(
            f"none of the {len(predictions)} predicted albums is in the references "
            f"({len(references)} albums): upload the references of the same split"
        )
    result = evaluate_arel(references, predictions)
    table = pd.DataFrame(
        {"metric": list(result.scores), "value": [float(v) for v in result.scores.values()]}
    )
    return table, result


def story_scores(story: str, references: list[str]) -> Any:
    """Protocol scores and labelled extras of one story against its album's references
    (``imgstory.eval.story.StoryScores``: ``protocol``, ``extras``, ``notes``)."""
    from imgstory.eval.story import score_story

    return score_story(story, references)


def paired_tests(
    predictions: dict[str, dict[str, str]],
    references: dict[str, list[str]],
    baseline: str,
    metrics: tuple[str, ...] = ("METEOR", "ROUGE_L", "Bleu_4", "CIDEr"),
) -> pd.DataFrame:
    """Paired bootstrap tests of ``baseline`` against every other system, on shared albums.

    Args:
        predictions: system -> AREL predictions (``album_id -> story``).
        references: the AREL references all systems are scored against.
        baseline: the system the others are compared with (e.g. ``lstm-beam``).

    Returns:
        One row per (system, metric): baseline value, other value, difference (baseline minus
        other) with its 95% interval and the two-sided p-value.
    """
    from imgstory.eval.arel import evaluate_arel
    from imgstory.eval.bootstrap import paired_bootstrap_test

    if baseline not in predictions:
        raise UserInputError(f"no predictions of {baseline!r} to compare the others with")
    scored = {name: evaluate_arel(references, stories) for name, stories in predictions.items()}
    rows = []
    for name, result in scored.items():
        if name == baseline:
            continue
        shared = [m for m in metrics if m in result.scores and m in scored[baseline].scores]
        tests = paired_bootstrap_test(scored[baseline], result, shared)
        for metric, test in tests.items():
            rows.append(
                {
                    "system": name,
                    "metric": metric,
                    baseline: test.value_a,
                    "other": test.value_b,
                    "difference": test.difference,
                    "ci_low": test.low,
                    "ci_high": test.high,
                    "p_value": test.p_value,
                    "albums": test.albums,
                }
            )
    return pd.DataFrame(rows)
