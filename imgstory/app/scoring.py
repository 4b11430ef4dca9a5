"""Scoring in the app: uploaded prediction/reference files, paired tests, one generated story.

Thin adapters over ``imgstory.eval`` (imported inside the functions: the scorers start Java).
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from imgstory.errors import UserInputError

PROTOCOL_NOTE = (
    "AREL protocol: one story per album scored against all of the album's references with the "
    "coco-caption scorers (BLEU 'closest', ROUGE-L beta 1.2, CIDEr, METEOR 1.5 -t hter); 0-1 scale."
)
STORY_PROTOCOL_NOTE = (
    "Per-story scores with the protocol scorers (METEOR 1.5, coco-caption ROUGE-L and BLEU) of "
    "this one story against the album's references; single-story BLEU is noisy."
)


def read_json_upload(name: str, data: bytes, what: str) -> Any:
    """Parse an uploaded JSON file.

    Raises:
        UserInputError: empty, not UTF-8 or not JSON; the message names the file and ``what``.
    """
    if not data.strip():
        raise UserInputError(f"{name}: the file is empty; upload {what}")
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise UserInputError(f"{name}: not UTF-8 text; upload {what}") from None
    except json.JSONDecodeError as error:
        raise UserInputError(
            f"{name}: not valid JSON (line {error.lineno}, column {error.colno}: {error.msg}); "
            f"upload {what}"
        ) from None


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


def story_scores(story: str, references: list[str]) -> dict[str, Any]:
    """Protocol scores (and labelled extras) of one story against its album's references."""
    from dataclasses import asdict, is_dataclass

    from imgstory.eval.story import score_story

    scores = score_story(story, references)
    return asdict(scores) if is_dataclass(scores) else dict(scores)
