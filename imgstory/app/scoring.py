"""Scoring in the app: uploaded prediction/reference files, paired tests, one generated story.

Thin adapters over ``imgstory.eval`` (imported inside the functions: the scorers start Java).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pandas as pd

from imgstory.app.i18n import N_, _, ngettext, number
from imgstory.app.naming import ordered_metrics
from imgstory.app.warmup import background_imports_finished
from imgstory.errors import UserInputError
from imgstory.eval.results import INTERVAL_COLUMNS
from imgstory.jsonfile import parse_json

PROTOCOL_NOTE = N_(
    "AREL protocol: one story per album scored against all of the album's references with the "
    "coco-caption scorers (BLEU 'closest', ROUGE-L beta 1.2, CIDEr, METEOR 1.5 -t hter); 0-1 scale."
)
STORY_PROTOCOL_NOTE = N_(
    "Per-story scores with the protocol scorers (METEOR 1.5, coco-caption ROUGE-L and BLEU) of "
    "this one story against the album's references; single-story BLEU is noisy."
)
PAIRED_HELP = N_(
    "Paired bootstrap: albums are resampled 1,000 times and each corpus metric is recomputed "
    "for both systems on the same resample; p is two-sided."
)


def read_json_upload(name: str, data: bytes, what: str) -> Any:
    """Parse an uploaded JSON file.

    Raises:
        UserInputError: empty, not UTF-8 or not JSON; the message names the file and ``what``.
    """
    if not data.strip():
        raise UserInputError(N_("{name}: the file is empty; upload {what}"), name=name, what=what)
    return parse_json(data, name, _("upload {what}").format(what=_(what)))


def predictions_from_upload(name: str, data: bytes) -> dict[str, str]:
    """AREL-format predictions from an uploaded file (``album_id -> story``)."""
    from imgstory.eval.predictions import PREDICTIONS_FORMAT, normalise_predictions

    document = read_json_upload(name, data, PREDICTIONS_FORMAT)
    if isinstance(document, dict) and "output_stories" in document:
        raise UserInputError(
            N_(
                "{name}: this is a VIST challenge submission; upload AREL-format predictions "
                "(score challenge files with `imgstory evaluate --protocol challenge`)"
            ),
            name=name,
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
        raise UserInputError(N_("{name}: expected {format}"), name=name, format=REFERENCE_FORMAT)
    references = {}
    for album_id, stories in document.items():
        stories = [stories] if isinstance(stories, str) else stories
        if not isinstance(stories, list) or not all(isinstance(s, str) for s in stories):
            raise UserInputError(
                N_("{name}: album {album} must map to a list of story strings"),
                name=name,
                album=repr(album_id),
            )
        references[str(album_id)] = [s.strip() for s in stories if s.strip()]
    return references


#: Below this share of predicted albums found in the references, the files do not belong
#: together (another split, another dataset); above it, the absent albums are left out.
MIN_SHARED_SHARE = 0.5
Progress = Callable[[float, str], None]


def no_progress(fraction: float, label: str) -> None:
    """A progress callback that shows nothing."""


def predictions_coverage(
    predictions: dict[str, str], references: dict[str, list[str]], references_name: str
) -> tuple[dict[str, str], str | None]:
    """The predictions of albums the references hold, and a note on those left out.

    Raises:
        UserInputError: fewer than half of the predicted albums are in the references: the
            files are for different splits or datasets.
    """
    kept = {album: story for album, story in predictions.items() if album in references}
    left_out = [album for album in predictions if album not in references]
    if len(kept) < MIN_SHARED_SHARE * len(predictions):
        raise UserInputError(
            N_(
                "only {kept} of the {predicted} predicted albums are in {references} ({albums} "
                "albums): the predictions and references are for different splits or datasets; "
                "upload the references of the predictions' split"
            ),
            kept=number(len(kept)),
            predicted=number(len(predictions)),
            references=references_name,
            albums=number(len(references)),
        )
    if not left_out:
        return kept, None
    shown = ", ".join(left_out[:5]) + (" ..." if len(left_out) > 5 else "")
    return kept, _(
        "{left_out} of the {predicted} predicted albums are not in {references} and were left "
        "out ({shown}): that story file lacks them (VIST's copies leave out stories whose photos "
        "left Flickr); the scores are over the {kept} albums present"
    ).format(
        left_out=number(len(left_out)),
        predicted=number(len(predictions)),
        references=references_name,
        shown=shown,
        kept=number(len(kept)),
    )


def score_predictions(
    predictions: dict[str, str],
    references: dict[str, list[str]],
    references_name: str = "the references",
    progress: Progress = no_progress,
) -> tuple[pd.DataFrame, Any, str | None]:
    """Score predictions with the AREL protocol on the albums the references hold.

    Returns:
        A one-row-per-metric table (value and 95% bootstrap interval over albums), the full
        ``EvaluationResult``, and a note naming the predicted albums left out (None when every
        album was scored).

    Raises:
        UserInputError: the predictions and references do not belong together.
    """
    from imgstory.eval.arel import evaluate_arel
    from imgstory.eval.bootstrap import bootstrap_ci

    kept, note = predictions_coverage(predictions, references, references_name)
    result = evaluate_arel(
        references,
        kept,
        meteor_processes=meteor_jars(),
        progress=lambda step: progress(step.fraction, scoring_label(step)),
    )
    scored = len(result.albums_scored)
    progress(
        1.0, ngettext("scored {n} album", "scored {n} albums", scored).format(n=number(scored))
    )
    intervals = bootstrap_ci(result) if scored else {}
    rows = [
        {
            "metric": metric,
            "value": float(result.scores[metric]),
            "low": intervals[metric].low if metric in intervals else math.nan,
            "high": intervals[metric].high if metric in intervals else math.nan,
        }
        for metric in ordered_metrics(result.scores)
    ]
    return pd.DataFrame(rows, columns=["metric", *INTERVAL_COLUMNS]), result, note


def scoring_label(step: Any) -> str:
    """What the progress bar says while predictions are scored: each scorer's albums done
    (``step``: an ``imgstory.eval.arel.ScoringProgress``)."""
    if step.meteor_scored is None:
        return ngettext(
            "BLEU, ROUGE-L and CIDEr: {ngram} of {n} album (METEOR is not computed)",
            "BLEU, ROUGE-L and CIDEr: {ngram} of {n} albums (METEOR is not computed)",
            step.albums,
        ).format(ngram=number(step.ngram_scored), n=number(step.albums))
    return ngettext(
        "METEOR: {meteor} of {n} album scored; BLEU, ROUGE-L and CIDEr: {ngram}",
        "METEOR: {meteor} of {n} albums scored; BLEU, ROUGE-L and CIDEr: {ngram}",
        step.albums,
    ).format(
        meteor=number(step.meteor_scored), ngram=number(step.ngram_scored), n=number(step.albums)
    )


def meteor_jars() -> int:
    """How many METEOR jars a job here uses: the warm ones, at least one
    (``scorer_warmup.meteor_started`` starts them in the background: one for Generate and Thesis
    results, a second one after it for Model comparison, whose whole-test-set jobs it halves). A
    jar still loading joins a job when it is ready (``MeteorPool.score``); starting one for a job
    costs ~7 s of CPU, more than it saves.
    """
    from imgstory.eval.meteor import shared_meteor

    return max(1, shared_meteor().warm)


def story_scores(story: str, references: list[str]) -> Any:
    """Protocol scores and labelled extras of one story against its album's references
    (``imgstory.eval.story.StoryScores``: ``protocol``, ``extras``, ``notes``)."""
    from imgstory.eval.story import score_story

    background_imports_finished()  # the extras import nltk, which Generate warms meanwhile
    return score_story(story, references)


def paired_problem(
    predictions: dict[str, dict[str, str]], references: dict[str, list[str]], baseline: str
) -> str | None:
    """Why the paired tests cannot run on these files (None when they can).

    Every system's predicted albums must be in the references: a paired test compares two
    systems on the same albums against the references they were scored on.
    """
    if baseline not in predictions:
        return _("no predictions of {system} ({file}.json) to compare with").format(
            system=system_name(baseline), file=baseline
        )
    if len(predictions) < 2:
        return _("only one system's predictions: nothing to compare it with")
    for name, stories in predictions.items():
        absent = [album for album in stories if album not in references]
        if absent:
            return _(
                "{absent} of the {predicted} albums predicted by {system} are not in the "
                "references: these predictions were made for another data set"
            ).format(absent=len(absent), predicted=len(stories), system=name)
    return None


def system_name(system: str) -> str:
    """A readable system name (as the result tables show it)."""
    from imgstory.app.results import system_label

    return system_label(system)


def paired_tests(
    predictions: dict[str, dict[str, str]],
    references: dict[str, list[str]],
    baseline: str,
    metrics: tuple[str, ...] = ("METEOR", "ROUGE_L", "Bleu_4", "CIDEr"),
    progress: Progress = no_progress,
) -> pd.DataFrame:
    """Paired bootstrap tests of ``baseline`` against every other system, on shared albums.

    Args:
        predictions: system -> AREL predictions (``album_id -> story``).
        references: the AREL references all systems are scored against.
        baseline: the system the others are compared with (e.g. ``lstm-beam``).
        progress: called with (fraction done, what is happening) after each system scored
            and each pair tested.

    Returns:
        One row per (system, metric): ``system`` (its readable name), ``key``, ``metric`` and
        the test's :data:`~imgstory.eval.results.PAIRED_COLUMNS` (A the baseline, B the other
        system; the difference A minus B with its 95% interval and the two-sided p-value).

    Raises:
        UserInputError: the predictions do not match the references (:func:`paired_problem`).
    """
    from imgstory.eval.arel import evaluate_arel
    from imgstory.eval.bootstrap import paired_bootstrap_test
    from imgstory.eval.meteor import corpus_jars

    problem = paired_problem(predictions, references, baseline)
    if problem:
        raise UserInputError(problem)
    steps = 2 * len(predictions) - 1
    scored = {}
    processes = meteor_jars()
    with corpus_jars(references, predictions, processes) as jars:  # one start-up for all
        for name, stories in predictions.items():
            progress(
                len(scored) / steps,
                ngettext(
                    "scoring {system} ({n} album)", "scoring {system} ({n} albums)", len(stories)
                ).format(system=system_name(name), n=len(stories)),
            )
            scored[name] = evaluate_arel(
                references, stories, meteor_processes=processes, meteor_pool=jars
            )
    rows = []
    for done, (name, result) in enumerate(scored.items()):
        if name == baseline:
            continue
        progress(
            (len(scored) + done) / steps,
            _("paired bootstrap: {first} vs {second}").format(
                first=system_name(baseline), second=system_name(name)
            ),
        )
        shared = [m for m in metrics if m in result.scores and m in scored[baseline].scores]
        tests = paired_bootstrap_test(scored[baseline], result, shared)
        rows += [
            {"system": system_name(name), "key": name, "metric": metric, **test.row()}
            for metric, test in tests.items()
        ]
    progress(
        1.0,
        ngettext(
            "{n} system tested against {system}",
            "{n} systems tested against {system}",
            len(scored) - 1,
        ).format(n=len(scored) - 1, system=system_name(baseline)),
    )
    return pd.DataFrame(rows)
