"""Scoring released system outputs into registry entries (``imgstory published add``).

A released outputs file (AREL format and/or a VIST challenge submission) is scored with this
package's scorers, with bootstrap intervals and story metrics, and becomes a
:class:`~imgstory.eval.published.PublishedResult` marked "scored here from released outputs" with
its provenance (repository, path, licence, sha256, coverage, scorer version, date). The per-album
sufficient statistics of an AREL-protocol score are saved beside the registry, so any two
systems can later be compared with a paired bootstrap without scoring them again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from imgstory import __version__
from imgstory.errors import UserInputError
from imgstory.eval.corpus import METRIC_KEYS, AlbumStatistics
from imgstory.eval.published import (
    SCORED_HERE,
    SCORED_HERE_FLOOR,
    SCORED_HERE_HUMAN,
    PublishedResult,
)
from imgstory.eval.story_metrics import STORY_METRIC_KEYS, story_metrics
from imgstory.pretrained import file_sha256

RESAMPLES = 1000
AREL_SCORER = (
    "AREL protocol: coco-caption BLEU-1..4 (closest), ROUGE-L (beta 1.2), CIDEr-D arithmetic, "
    "METEOR 1.5 -t hter"
)
CHALLENGE_SCORER = "VIST challenge protocol: avg. over sequences of max METEOR 1.5 -t hter"
STATISTICS_ARRAYS = ("bleu", "rouge_l", "cider", "meteor")
#: The floor that shows METEOR's weakness: one generic story, the same for every album, written
#: without looking at a photo (the real-photo comparison's and the published table's floor).
CONSTANT_STORY = (
    "we had a great time . they had a great time . we had a great time . "
    "they had a great time . we had a great time ."
)
CONSTANT_SYSTEM = "Constant story (floor: the same story for every album)"


@dataclass(frozen=True)
class ReleasedOutputs:
    """Where a released outputs file comes from (the provenance of a scored-here entry)."""

    system: str
    paper: str
    repository: str
    path: str
    licence: str
    url: str = ""

    @property
    def source(self) -> str:
        """One line naming the repository, path and licence."""
        return f"{self.repository}, {self.path} ({self.licence or 'licence not stated'})"


def references_fingerprint(references: Mapping[str, list[str]]) -> str:
    """Identifies a reference set by content (two systems are comparable only on the same one)."""
    canonical = json.dumps({str(k): list(v) for k, v in references.items()}, sort_keys=True)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()[:16]


def album_reference_digests(
    references: Mapping[str, list[str]], album_ids: Iterable[str]
) -> list[str]:
    """A short digest of each album's reference stories: two systems are compared only on the
    albums whose references are the same."""
    return [
        hashlib.sha256(json.dumps(list(references[album])).encode()).hexdigest()[:16]
        for album in album_ids
    ]


def save_statistics(
    statistics: AlbumStatistics, path: str | Path, reference_digests: list[str]
) -> None:
    """Write per-album statistics and reference digests (:func:`album_reference_digests`) to a
    compressed ``.npz``."""
    from imgstory.outputs import atomic_file

    arrays = {
        name: getattr(statistics, name)
        for name in STATISTICS_ARRAYS
        if getattr(statistics, name) is not None
    }
    with atomic_file(path) as temporary, open(temporary, "wb") as stream:
        np.savez_compressed(
            stream,
            album_ids=np.array(statistics.album_ids, dtype=str),
            reference_digests=np.array(reference_digests, dtype=str),
            **arrays,
        )


def load_statistics(path: str | Path) -> tuple[AlbumStatistics, list[str]]:
    """Read :func:`save_statistics`' file: the statistics and each album's reference digest.

    Raises:
        UserInputError: the file is missing or not such a file.
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
    except (OSError, ValueError) as error:
        raise UserInputError(f"{path}: not a per-album statistics file ({error})") from None
    try:
        statistics = AlbumStatistics(
            album_ids=tuple(str(album) for album in arrays["album_ids"]),
            bleu=arrays["bleu"],
            rouge_l=arrays["rouge_l"],
            cider=arrays["cider"],
            meteor=arrays.get("meteor"),
        )
        return statistics, [str(digest) for digest in arrays["reference_digests"]]
    except KeyError as error:
        raise UserInputError(f"{path}: per-album statistics file lacks {error}") from None


def _rounded_intervals(intervals) -> dict[str, list[float]]:
    return {key: [interval.low, interval.high] for key, interval in intervals.items()}


def _story_metrics_json(stories: Mapping[str, str]) -> dict[str, float]:
    measured = story_metrics(stories).to_json_dict()
    return {key: value for key, value in measured.items() if value is not None}


def _provenance(outputs: ReleasedOutputs, file: Path, scorer: str) -> dict[str, object]:
    return {
        "system": outputs.system,
        "paper": outputs.paper,
        "source": outputs.source,
        "url": outputs.url or f"https://github.com/{outputs.repository}",
        "split": "test",
        "scale": "0-1",
        "repository": outputs.repository,
        "path": outputs.path,
        "licence": outputs.licence,
        "sha256": file_sha256(file),
        "scorer_version": f"imgstory {__version__} ({scorer})",
        "date": dt.date.today().isoformat(),
    }


def score_released_arel(
    outputs: ReleasedOutputs,
    predictions_file: str | Path,
    references_file: str | Path,
    resamples: int = RESAMPLES,
) -> tuple[PublishedResult, AlbumStatistics, list[str], list[str]]:
    """Score an AREL-format released outputs file under the AREL protocol.

    Returns:
        The registry entry, the per-album statistics and reference digests (for
        :func:`save_statistics`) and the scorer's warnings.
    """
    from imgstory.data.references import load_references
    from imgstory.eval.arel import evaluate_arel
    from imgstory.eval.bootstrap import bootstrap_ci
    from imgstory.eval.predictions import load_predictions

    predictions_file, references_file = Path(predictions_file), Path(references_file)
    references = load_references(references_file)
    stories = load_predictions(predictions_file)
    result = evaluate_arel(references, stories)
    if "METEOR" not in result.scores:
        raise UserInputError(
            "METEOR could not be computed (" + "; ".join(result.warnings) + "): a released "
            "system is registered only with all its metrics"
        )
    entry = PublishedResult(
        **_provenance(outputs, predictions_file, AREL_SCORER),
        protocol="arel",
        scores={key: result.scores[key] for key in METRIC_KEYS},
        provenance=SCORED_HERE,
        ci95=_rounded_intervals(bootstrap_ci(result, n=resamples, seed=0)),
        story_metrics=_story_metrics_json({a: stories[a] for a in result.albums_scored}),
        albums_scored=len(result.albums_scored),
        albums_missing=len(result.albums_missing),
        references={
            "file": references_file.name,
            "sha256": file_sha256(references_file),
            "fingerprint": references_fingerprint(references),
        },
    )
    digests = album_reference_digests(references, result.albums_scored)
    return entry, result.statistics, digests, result.warnings


def score_released_challenge(
    outputs: ReleasedOutputs,
    submission_file: str | Path,
    sis_file: str | Path,
    resamples: int = RESAMPLES,
) -> tuple[PublishedResult, list[str]]:
    """Score a released challenge submission under the VIST challenge protocol.

    Returns:
        The registry entry (intervals of the mean over sequences) and the scorer's warnings.
    """
    from imgstory.data.sis import load_sis
    from imgstory.eval.bootstrap import bootstrap_ci
    from imgstory.eval.challenge import evaluate_challenge, references_by_sequence
    from imgstory.eval.predictions import load_challenge_submission

    submission_file, sis_file = Path(submission_file), Path(sis_file)
    submission = load_challenge_submission(submission_file, "give them as --predictions")
    references = load_sis(sis_file).stories
    if not references:
        raise UserInputError(f"{sis_file}: no valid story to use as a reference")
    result = evaluate_challenge(references_by_sequence(references), submission)
    stories = scored_stories(submission, result)
    entry = PublishedResult(
        **_provenance(outputs, submission_file, CHALLENGE_SCORER),
        protocol="challenge",
        scores=dict(result.scores),
        provenance=SCORED_HERE,
        ci95=_rounded_intervals(bootstrap_ci(result, n=resamples, seed=0)),
        story_metrics=_story_metrics_json(stories),
        albums_scored=len(result.albums_scored),
        albums_missing=len(result.albums_missing),
        references={"file": sis_file.name, "sha256": file_sha256(sis_file)},
        notes="albums_scored / albums_missing count photo sequences (the challenge's unit)",
    )
    return entry, result.warnings


def scored_stories(submission, result) -> dict[str, str]:
    """``photo sequence -> story`` of the challenge stories the scorer scored (those with
    references), keyed as ``result.per_album`` is."""
    scored = set(result.albums_scored)
    stories = {" ".join(story.photo_sequence): story.story for story in submission}
    return {key: story for key, story in stories.items() if key in scored}


def leave_one_out_passes(
    references: Mapping[str, list[str]],
) -> list[tuple[dict[str, str], dict[str, list[str]]]]:
    """Human references as a system: pass ``k`` predicts each album's ``k``-th reference story and
    scores it against the album's other references.

    Only albums with at least two references take part, and every pass covers the same albums
    (``k`` runs up to the smallest reference count among them), so passes can be resampled
    together.
    """
    usable = {album: stories for album, stories in references.items() if len(stories) >= 2}
    if not usable:
        raise UserInputError("leave-one-out needs albums with at least two reference stories")
    passes = min(len(stories) for stories in usable.values())
    return [
        (
            {album: stories[k] for album, stories in usable.items()},
            {album: stories[:k] + stories[k + 1 :] for album, stories in usable.items()},
        )
        for k in range(passes)
    ]


@dataclass(frozen=True)
class LeaveOneOutScores:
    """The human references scored leave-one-out: each pass's statistics, and the means.

    Attributes:
        passes: ``(predictions, references)`` of each pass (:func:`leave_one_out_passes`).
        statistics: each pass's per-album statistics (same albums, same order).
        scores: metric key -> mean over passes.
        ci95: metric key -> ``[low, high]``, resampling albums with the same draw in every pass.
        warnings: the scorer's warnings, each once.
    """

    passes: list[tuple[dict[str, str], dict[str, list[str]]]]
    statistics: list[AlbumStatistics]
    scores: dict[str, float]
    ci95: dict[str, list[float]]
    warnings: list[str]


def leave_one_out_scores(
    references: Mapping[str, list[str]], resamples: int = RESAMPLES, meteor_pool=None
) -> LeaveOneOutScores:
    """Score the human references leave-one-out (see :func:`score_human_leave_one_out`).

    Args:
        references: ``album_id -> [reference story, ...]``.
        resamples: bootstrap resamples of the intervals.
        meteor_pool: METEOR jars to share (``evaluate_arel``'s ``meteor_pool``).

    Raises:
        UserInputError: METEOR could not be computed, or no album has two references.
    """
    from imgstory.eval.arel import evaluate_arel
    from imgstory.eval.bootstrap import resample_weights

    passes = leave_one_out_passes(references)
    warnings: list[str] = []
    statistics = []
    for predictions, others in passes:
        result = evaluate_arel(others, predictions, meteor_pool=meteor_pool)
        if "METEOR" not in result.scores:
            raise UserInputError("METEOR could not be computed: " + "; ".join(result.warnings))
        warnings += [w for w in result.warnings if w not in warnings]
        statistics.append(result.statistics)
    weights = resample_weights(len(statistics[0].album_ids), resamples, seed=0)
    scores, intervals = {}, {}
    for key in METRIC_KEYS:
        scores[key] = float(np.mean([s.scores()[key] for s in statistics]))
        samples = np.mean([s.scores(weights)[key] for s in statistics], axis=0)  # (resamples,)
        intervals[key] = [float(v) for v in np.percentile(samples, [2.5, 97.5])]
    return LeaveOneOutScores(passes, statistics, scores, intervals, warnings)


def _defined_mean(values: list[float]) -> float:
    """The mean of the values that are not NaN; NaN (written as null) when none is."""
    defined = [value for value in values if not math.isnan(value)]
    return float(np.mean(defined)) if defined else math.nan


def score_human_leave_one_out(
    references_file: str | Path, resamples: int = RESAMPLES, paper: str = ""
) -> tuple[PublishedResult, list[str]]:
    """The human references scored leave-one-out (the usual "human" row of VIST tables).

    Each metric is the mean over passes (:func:`leave_one_out_passes`); its interval resamples
    albums with the same draw in every pass. A human story is scored against one reference fewer
    than a system's (4 instead of 5 on VIST test), which lowers BLEU and METEOR a little.
    """
    from imgstory.data.references import load_references

    references_file = Path(references_file)
    references = load_references(references_file)
    scored = leave_one_out_scores(references, resamples)
    passes, scores, intervals = scored.passes, scored.scores, scored.ci95
    albums = len(scored.statistics[0].album_ids)
    measured = [story_metrics(predictions).scores for predictions, _ in passes]
    entry = PublishedResult(
        system=f"Human references (leave-one-out, {len(passes)} passes)",
        paper=paper or "Huang et al. Visual Storytelling. NAACL 2016 (the VIST references).",
        source=f"{references_file.name}: each reference story against the album's others",
        url="https://aclanthology.org/N16-1147/",
        protocol="arel",
        split="test",
        scale="0-1",
        scores=scores,
        provenance=SCORED_HERE_HUMAN,
        ci95=intervals,
        story_metrics={
            **{key: _defined_mean([m[key] for m in measured]) for key in STORY_METRIC_KEYS},
            "story_metrics_stories": albums,
        },
        albums_scored=albums,
        albums_missing=len(references) - albums,
        sha256=file_sha256(references_file),
        scorer_version=f"imgstory {__version__} ({AREL_SCORER})",
        date=dt.date.today().isoformat(),
        references={"file": references_file.name, "sha256": file_sha256(references_file)},
        notes=(
            f"mean over {len(passes)} passes; pass k scores reference k against the other "
            f"{len(passes) - 1}, so a human story has one reference fewer than a system's"
        ),
    )
    return entry, scored.warnings


def score_constant_story(
    references_file: str | Path, resamples: int = RESAMPLES
) -> tuple[PublishedResult, AlbumStatistics, list[str], list[str]]:
    """The constant-story floor on a reference file (``imgstory published add-floor``):
    :data:`CONSTANT_STORY` for every album, scored under the AREL protocol.

    Returns:
        The registry entry, the per-album statistics and reference digests (for
        :func:`save_statistics`) and the scorer's warnings.

    Raises:
        UserInputError: METEOR could not be computed (no Java): the floor is registered only
            with all its metrics.
    """
    from imgstory.data.references import load_references
    from imgstory.eval.arel import evaluate_arel
    from imgstory.eval.bootstrap import bootstrap_ci

    references_file = Path(references_file)
    references = load_references(references_file)
    stories = dict.fromkeys(references, CONSTANT_STORY)
    result = evaluate_arel(references, stories)
    if "METEOR" not in result.scores:
        raise UserInputError(
            "METEOR could not be computed (" + "; ".join(result.warnings) + "): the floor is "
            "registered only with all its metrics"
        )
    entry = PublishedResult(
        system=CONSTANT_SYSTEM,
        paper="none: a floor, no model (written without looking at a photo)",
        source=f"{references_file.name}: the same story for every album",
        url="",
        protocol="arel",
        split="test",
        scale="0-1",
        scores={key: result.scores[key] for key in METRIC_KEYS},
        provenance=SCORED_HERE_FLOOR,
        ci95=_rounded_intervals(bootstrap_ci(result, n=resamples, seed=0)),
        story_metrics=_story_metrics_json(stories),
        albums_scored=len(result.albums_scored),
        albums_missing=len(result.albums_missing),
        sha256=file_sha256(references_file),
        scorer_version=f"imgstory {__version__} ({AREL_SCORER})",
        date=dt.date.today().isoformat(),
        references={
            "file": references_file.name,
            "sha256": file_sha256(references_file),
            "fingerprint": references_fingerprint(references),
        },
        notes=(
            f"the story: '{CONSTANT_STORY}'; written by `imgstory published add-floor "
            f"--references {references_file.name}`"
        ),
    )
    digests = album_reference_digests(references, result.albums_scored)
    return entry, result.statistics, digests, result.warnings


@dataclass(frozen=True)
class ReleasedFiles:
    """A registered system's released outputs found in a VIST folder (matched by sha256).

    Attributes:
        system: the registry's name for the system.
        albums: ``album_id -> story`` from its AREL-format file (None when not found).
        sequences: ``(album_id, photo ids) -> story`` from its challenge file (None when not
            found).
    """

    system: str
    albums: dict[str, str] | None
    sequences: dict[tuple[str, tuple[str, ...]], str] | None


def find_released_files(
    folder: str | Path, registry: str | Path | None = None
) -> list[ReleasedFiles]:
    """The scored-here registry systems whose released outputs files are under ``folder``.

    Every ``*.json`` file under ``folder`` is identified by its sha256 against the registry's
    AREL-protocol and challenge entries (so a file is used only if it is the one scored into the
    registry). Systems are listed in registry order.
    """
    from imgstory.eval.predictions import load_challenge_submission, load_predictions
    from imgstory.eval.published import load_published_results
    from imgstory.paths import PUBLISHED_RESULTS_FILE

    entries = [
        entry
        for entry in load_published_results(registry or PUBLISHED_RESULTS_FILE)
        if entry.provenance == SCORED_HERE and entry.sha256
    ]
    wanted = {entry.sha256 for entry in entries}
    found = {}
    for path in sorted(Path(folder).rglob("*.json")):
        digest = file_sha256(path)
        if digest in wanted:
            found[digest] = path
    systems: dict[str, ReleasedFiles] = {}
    for entry in entries:
        path = found.get(entry.sha256)
        if path is None:
            continue
        known = systems.get(entry.system, ReleasedFiles(entry.system, None, None))
        if entry.protocol == "arel":
            stories = {album: story.strip() for album, story in load_predictions(path).items()}
            known = ReleasedFiles(entry.system, stories, known.sequences)
        elif entry.protocol == "challenge":
            sequences = {
                (story.album_id, tuple(story.photo_sequence)): story.story.strip()
                for story in load_challenge_submission(path)
            }
            known = ReleasedFiles(entry.system, known.albums, sequences)
        systems[entry.system] = known
    return list(systems.values())
