"""The VIST challenge protocol (NAACL 2018 Storytelling workshop): avg. max METEOR.

Each submitted story belongs to one photo sequence; it is scored with METEOR 1.5 (``-t hter``)
against every reference story written for exactly that sequence of 5 photos, the best score is
kept, and the mean over sequences is reported. Numbers are not comparable with the AREL protocol.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from imgstory.errors import UserInputError
from imgstory.eval.arel import EXAMPLES_SHOWN, EvaluationResult
from imgstory.eval.meteor import (
    MeteorUnavailable,
    capped_segments,
    capped_warning,
    corpus_pool,
    java_missing_message,
    useful_processes,
)
from imgstory.eval.predictions import ChallengeStory

Sequence = tuple[str, ...]


def references_by_sequence(stories: Iterable[object]) -> dict[Sequence, list[str]]:
    """Group reference stories (``imgstory.data.sis.Story``) by their ordered photo ids."""
    grouped: dict[Sequence, list[str]] = {}
    for story in stories:
        grouped.setdefault(tuple(story.photo_ids), []).append(story.story_text)
    return grouped


def evaluate_challenge(
    references: dict[Sequence, list[str]],
    submission: list[ChallengeStory],
    meteor_processes: int | None = None,
) -> EvaluationResult:
    """Avg. max METEOR of a challenge submission.

    Args:
        references: photo sequence -> reference stories (:func:`references_by_sequence`).
        submission: one story per photo sequence (``load_challenge_submission``).
        meteor_processes: METEOR jars to split the work across (default: as for the AREL
            protocol, one per CPU core, at most two).

    Returns:
        An :class:`EvaluationResult` with ``scores["METEOR"]`` and one row per sequence.

    Raises:
        UserInputError: no submitted sequence has references, or no Java. Submitted
            sequences without references are skipped with a warning, as the challenge did.
    """
    unknown = [story for story in submission if story.photo_sequence not in references]
    submission = [story for story in submission if story.photo_sequence in references]
    if not submission:
        raise UserInputError(
            "no submitted photo sequence has a reference story: is the story-in-sequence file "
            "for the same split?"
        )
    missing_java = java_missing_message()
    if missing_java:
        raise UserInputError(missing_java.replace("METEOR not computed", "cannot score"))
    submitted = {story.photo_sequence for story in submission}
    missing = [sequence for sequence in references if sequence not in submitted]
    best, cut_sequences = _best_meteor(references, submission, meteor_processes)
    per_sequence = pd.DataFrame(
        {
            "album_id": [story.album_id for story in submission],
            "references": [len(references[story.photo_sequence]) for story in submission],
            "METEOR": best,
        },
        index=pd.Index(
            [" ".join(story.photo_sequence) for story in submission], name="photo_sequence"
        ),
    )
    warnings = [capped_warning(cut_sequences, "photo sequence")] if cut_sequences else []
    warnings += _coverage_warnings(unknown, missing, len(submission), len(references))
    return EvaluationResult(
        scores={"METEOR": float(per_sequence["METEOR"].mean())},
        per_album=per_sequence,
        albums_scored=list(per_sequence.index),
        albums_missing=[" ".join(sequence) for sequence in missing],
        warnings=warnings,
        protocol="challenge",
    )


def _best_meteor(
    references: dict[Sequence, list[str]],
    submission: list[ChallengeStory],
    meteor_processes: int | None,
) -> tuple[list[float], list[str]]:
    """Each submitted story's best METEOR over its sequence's references (one pair a
    reference, scored in one corpus run), and the sequences whose segments were cut.

    Raises:
        UserInputError: METEOR could not run.
    """
    hypotheses, pair_references, owners = [], [], []
    for index, story in enumerate(submission):
        for reference in references[story.photo_sequence]:
            hypotheses.append(story.story)
            pair_references.append([reference])
            owners.append(index)
    processes = meteor_processes or useful_processes()
    hypotheses, pair_references, cut = capped_segments(hypotheses, pair_references)
    cut_sequences = list(dict.fromkeys(" ".join(submission[owners[i]].photo_sequence) for i in cut))
    try:
        with corpus_pool(hypotheses, pair_references, processes) as pool:
            scores = pool.score(hypotheses, pair_references, processes)
    except MeteorUnavailable as error:
        raise UserInputError(f"cannot score: {error}") from None
    best = [-1.0] * len(submission)
    for owner, score in zip(owners, scores.segments, strict=True):
        best[owner] = max(best[owner], score)
    return best, cut_sequences


def _coverage_warnings(
    unknown: list[ChallengeStory], missing: list[Sequence], scored: int, sequences: int
) -> list[str]:
    """What the submission and the references do not share: submitted sequences without a
    reference (not scored, as the challenge's own scorer does) and reference sequences without a
    submitted story."""
    warnings = []
    if unknown:
        warnings.append(
            f"{len(unknown)} submitted photo sequence(s) have no reference story and were not "
            "scored (e.g. "
            + "; ".join(" ".join(story.photo_sequence) for story in unknown[:3])
            + ")"
        )
    if missing:
        warnings.append(
            f"scored {scored} of {sequences} reference photo sequences: "
            f"{len(missing)} have no submitted story (e.g. "
            + "; ".join(" ".join(sequence) for sequence in missing[:EXAMPLES_SHOWN])
            + ")"
        )
    return warnings
