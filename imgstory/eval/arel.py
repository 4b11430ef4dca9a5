"""The AREL protocol: one generated story per album, scored against all that album's references.

This is the evaluation behind AREL's published table (Wang et al., ACL 2018) and most later VIST
papers: coco-caption BLEU-1..4 (``option='closest'``), METEOR 1.5 with ``-t hter``, ROUGE-L and
CIDEr, on the 0-1 scale. METEOR runs in Java processes (how: :mod:`imgstory.eval.meteor`) while
the other scorers run in Python beside them (:func:`_score_albums`).
"""

from __future__ import annotations

import math
import multiprocessing
import os
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from imgstory.errors import UserInputError
from imgstory.eval.bleu import bleu_from_statistics, corpus_bleu, statistics_row
from imgstory.eval.cider import album_cider, corpus_cider
from imgstory.eval.corpus import BLEU_KEYS, METRIC_KEYS, AlbumStatistics
from imgstory.eval.meteor import (
    FIELD_SEPARATOR,
    MeteorPool,
    MeteorScores,
    corpus_meteor,
    shared_meteor,
    useful_processes,
)
from imgstory.eval.ngrams import ngram_counts
from imgstory.eval.predictions import normalise_predictions
from imgstory.eval.reference_statistics import reference_statistics
from imgstory.eval.rouge import rouge_l

EXAMPLES_SHOWN = 5


@dataclass
class EvaluationResult:
    """Scores of one system under one protocol.

    Attributes:
        scores: metric key -> corpus score on the 0-1 scale (METEOR absent without Java).
        per_album: one row per scored album (index ``album_id``), a column per metric.
        albums_scored: album ids scored, in reference order.
        albums_missing: reference albums with no prediction (not scored).
        warnings: what the user should know (missing Java, partial coverage, odd text).
        statistics: per-album sufficient statistics, for :mod:`imgstory.eval.bootstrap`.
        protocol: "arel" or "challenge".
    """

    scores: dict[str, float]
    per_album: pd.DataFrame
    albums_scored: list[str]
    albums_missing: list[str]
    warnings: list[str] = field(default_factory=list)
    statistics: AlbumStatistics | None = None
    protocol: str = "arel"

    def to_json_dict(self) -> dict[str, object]:
        """The CLI's ``--json`` object: every metric key (null when not computed) and coverage."""
        metric_keys = METRIC_KEYS if self.protocol == "arel" else tuple(self.scores)
        return {
            "protocol": self.protocol,
            **{key: self.scores.get(key) for key in metric_keys},
            "albums_scored": len(self.albums_scored),
            "albums_missing": len(self.albums_missing),
            "warnings": self.warnings,
        }


def check_references(references: object, source: str = "references") -> dict[str, list[str]]:
    """Validate ``album_id -> [reference story, ...]`` given in memory.

    Raises:
        UserInputError: not a mapping of non-empty lists of strings.
    """
    if not isinstance(references, Mapping) or not references:
        raise UserInputError(
            f'{source}: expected a non-empty {{"album_id": ["story", ...]}} mapping'
        )
    checked: dict[str, list[str]] = {}
    for album_id, stories in references.items():
        if isinstance(stories, str):
            stories = [stories]
        if (
            not isinstance(stories, list)
            or not stories
            or not all(isinstance(story, str) for story in stories)
        ):
            raise UserInputError(
                f"{source}: album {album_id!r} must map to a non-empty list of reference stories"
            )
        checked[str(album_id)] = stories
    return checked


@dataclass(frozen=True)
class ScoringProgress:
    """How far :func:`evaluate_arel` has got, in albums.

    Attributes:
        albums: albums being scored.
        ngram_scored: albums BLEU, ROUGE-L and CIDEr have scored (0 until the end when they
            run in a second process).
        meteor_scored: albums the METEOR jars have scored; None when METEOR is not computed.
    """

    albums: int
    ngram_scored: int = 0
    meteor_scored: int | None = None

    @property
    def fraction(self) -> float:
        """The share of the work done: that of the scorer furthest behind."""
        done = [self.ngram_scored] + (
            [self.meteor_scored] if self.meteor_scored is not None else []
        )
        return min(done) / self.albums if self.albums else 1.0


#: How often :func:`evaluate_arel` reports progress (seconds).
PROGRESS_INTERVAL = 0.5


def evaluate_arel(
    references: Mapping[str, list[str]],
    predictions: Mapping[str, str | list[str]],
    meteor: bool = True,
    meteor_processes: int | None = None,
    progress: Callable[[ScoringProgress], None] | None = None,
    meteor_pool: MeteorPool | None = None,
) -> EvaluationResult:
    """Score predictions with the AREL protocol.

    Args:
        references: ``album_id -> [reference story, ...]`` (``load_references``).
        predictions: ``album_id -> story`` or ``album_id -> [story]`` (AREL's output format).
            Albums without a prediction are left out and listed in ``albums_missing``.
        meteor: compute METEOR (needs Java; without it a warning says how to install it).
        meteor_processes: METEOR jars to split a large job across (started once per process);
            default: one per CPU core, at most two.
        progress: called on this thread about every :data:`PROGRESS_INTERVAL` seconds while
            scoring, when the albums scored have changed, and once at the end.
        meteor_pool: jars to score METEOR with, left running (e.g. one
            :func:`~imgstory.eval.meteor.corpus_jars` pool cut to several systems' texts, so
            each system pays no start-up); default: the process's warm jars, else jars started
            for this job alone (:func:`~imgstory.eval.meteor.corpus_pool`).

    Raises:
        UserInputError: bad input, or predicted album ids that are not in the references.
    """
    album_ids, missing, hypotheses, album_references = _albums_to_score(references, predictions)
    warnings = _coverage_warnings(album_ids, missing) + _text_warnings(
        album_ids, hypotheses, album_references
    )
    statistics, scores, meteor_scores, meteor_warnings = _score_albums(
        album_ids,
        hypotheses,
        album_references,
        meteor_pool,
        meteor_processes or useful_processes(),
        progress,
        meteor=meteor,
    )
    warnings += meteor_warnings
    if meteor_scores is not None:
        scores["METEOR"] = meteor_scores.score
        statistics = replace(statistics, meteor=meteor_scores.statistics)
    if progress is not None:
        albums = len(album_ids)
        progress(ScoringProgress(albums, albums, albums if "METEOR" in scores else None))
    per_album_bleu = bleu_from_statistics(statistics.bleu)  # (albums, 4)
    per_album = pd.DataFrame(
        {
            **{key: per_album_bleu[:, order] for order, key in enumerate(BLEU_KEYS)},
            "METEOR": meteor_scores.segments if meteor_scores is not None else math.nan,
            "ROUGE_L": statistics.rouge_l,
            "CIDEr": statistics.cider,
        },
        index=pd.Index(album_ids, name="album_id"),
    )
    ordered = {key: scores[key] for key in METRIC_KEYS if key in scores}
    return EvaluationResult(ordered, per_album, album_ids, missing, warnings, statistics)


def _albums_to_score(
    references: Mapping[str, list[str]], predictions: Mapping[str, str | list[str]]
) -> tuple[list[str], list[str], list[str], list[list[str]]]:
    """Album ids scored (in reference order), those without a prediction, and the scored
    albums' stories and references.

    Raises:
        UserInputError: bad input, or predicted album ids that are not in the references.
    """
    references = check_references(references)
    stories = normalise_predictions(predictions)
    unknown = [album_id for album_id in stories if album_id not in references]
    if unknown:
        raise UserInputError(
            f"{len(unknown)} predicted album id(s) are not in the references, e.g. "
            f"{', '.join(unknown[:EXAMPLES_SHOWN])}: are the predictions for another split?"
        )
    album_ids = [album_id for album_id in references if album_id in stories]
    missing = [album_id for album_id in references if album_id not in stories]
    hypotheses = [stories[album_id] for album_id in album_ids]
    return album_ids, missing, hypotheses, [references[album_id] for album_id in album_ids]


def _score_albums(
    album_ids: list[str],
    hypotheses: list[str],
    references: list[list[str]],
    meteor_pool: MeteorPool | None,
    processes: int,
    progress: Callable[[ScoringProgress], None] | None,
    meteor: bool,
) -> tuple[AlbumStatistics, dict[str, float], MeteorScores | None, list[str]]:
    """BLEU, ROUGE-L and CIDEr beside METEOR (:func:`~imgstory.eval.meteor.corpus_meteor`).

    Warm jars leave this process idle while they score: the n-gram scorers then run on a thread
    here (reusing cached reference statistics); otherwise this process cuts the paraphrase
    table meanwhile and a large job's n-gram scores go to a spawned process (computed here
    instead if that process dies).

    Returns:
        The n-gram statistics and scores, METEOR's scores (None when not computed) and
        METEOR's warnings.
    """
    warm = meteor and (meteor_pool is not None or shared_meteor().warm > 0)
    ngram_process = None if warm else _start_ngram_process(album_ids, hypotheses, references)
    with corpus_meteor(
        hypotheses, references, album_ids, processes, meteor_pool, enabled=meteor
    ) as job:  # jars started for this job stop on leaving
        done = _Counts(len(album_ids), meteor_scored=0 if job.pool is not None else None)
        with ThreadPoolExecutor(max_workers=2) as executor:
            meteor_job = (
                executor.submit(job.score, done.add_meteor) if job.pool is not None else None
            )
            ngram_job = ngram_process or executor.submit(
                _ngram_scores, album_ids, hypotheses, references, done.set_ngram
            )
            running = [future for future in (meteor_job, ngram_job) if future is not None]
            _report_until_done(running, done, progress)
            statistics, scores = _ngram_result(ngram_job, album_ids, hypotheses, references)
            meteor_scores = meteor_job.result() if meteor_job is not None else None
    return statistics, scores, meteor_scores, job.warnings


class _Counts:
    """Albums scored so far, updated by the scorers' threads and read by the reporting one."""

    def __init__(self, albums: int, meteor_scored: int | None) -> None:
        self.albums = albums
        self.ngram_scored = 0
        self.meteor_scored = meteor_scored
        self._lock = threading.Lock()

    def set_ngram(self, scored: int) -> None:
        self.ngram_scored = scored

    def add_meteor(self, scored: int) -> None:
        with self._lock:
            self.meteor_scored += scored

    def snapshot(self) -> ScoringProgress:
        return ScoringProgress(self.albums, self.ngram_scored, self.meteor_scored)


def _report_until_done(
    jobs: list[Future], counts: _Counts, progress: Callable[[ScoringProgress], None] | None
) -> None:
    """Wait for the jobs, calling ``progress`` (on this thread) as the albums scored change."""
    if progress is None:
        wait(jobs)
        return
    shown = None
    while len(wait(jobs, timeout=PROGRESS_INTERVAL).done) < len(jobs):
        now = counts.snapshot()
        if now != shown:
            progress(now)
            shown = now


#: From this many albums on, BLEU/ROUGE-L/CIDEr run in a second process (spawned: safe beside
#: threads) while this one cuts METEOR's paraphrase table and feeds the jars.
ALBUMS_WORTH_A_PROCESS = 200


def _start_ngram_process(
    album_ids: list[str], hypotheses: list[str], references: list[list[str]]
) -> Future | None:
    """Start :func:`_ngram_scores` in a spawned process for a large job on a multi-core machine."""
    if len(album_ids) < ALBUMS_WORTH_A_PROCESS or (os.cpu_count() or 1) < 2:
        return None
    executor = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    job = executor.submit(_ngram_scores, album_ids, hypotheses, references)
    executor.shutdown(wait=False)
    return job


def _ngram_result(
    job: Future, album_ids: list[str], hypotheses: list[str], references: list[list[str]]
) -> tuple[AlbumStatistics, dict[str, float]]:
    """The job's result (thread or spawned process), or the scores computed here when the
    spawned process died."""
    try:
        return job.result()
    except BrokenProcessPool:
        return _ngram_scores(album_ids, hypotheses, references)


def _ngram_scores(
    album_ids: list[str],
    hypotheses: list[str],
    references: list[list[str]],
    on_album: Callable[[int], None] | None = None,
) -> tuple[AlbumStatistics, dict[str, float]]:
    """BLEU, ROUGE-L and CIDEr (coco-caption arithmetic) with their per-album statistics.

    Args:
        on_album: called with the number of albums scored so far, after each album.
    """
    prepared = reference_statistics(references)
    bleu_rows, rouge, cider = [], [], []
    for album, (hypothesis, album_references) in enumerate(
        zip(hypotheses, references, strict=True)
    ):
        words = hypothesis.split()
        counts = ngram_counts(words)
        bleu_rows.append(statistics_row(counts, len(words), prepared.bleu[album]))
        rouge.append(rouge_l(hypothesis, album_references))
        cider.append(album_cider(counts, album, prepared.cider))
        if on_album is not None:
            on_album(album + 1)
    bleu = np.array(bleu_rows, dtype=np.float64)
    rouge = np.array(rouge)
    cider = np.array(cider, dtype=np.float64)
    scores = dict(zip(BLEU_KEYS, corpus_bleu(bleu), strict=True))
    scores["ROUGE_L"] = float(np.mean(rouge))
    scores["CIDEr"] = corpus_cider(cider)
    return AlbumStatistics(tuple(album_ids), bleu, rouge, cider), scores


def _coverage_warnings(album_ids: list[str], missing: list[str]) -> list[str]:
    if not missing:
        return []
    return [
        f"scored {len(album_ids)} of {len(album_ids) + len(missing)} reference albums: "
        f"{len(missing)} have no prediction (e.g. {', '.join(missing[:EXAMPLES_SHOWN])})"
    ]


def _text_warnings(
    album_ids: list[str], hypotheses: list[str], references: list[list[str]]
) -> list[str]:
    warnings = []
    empty = [album for album, story in zip(album_ids, hypotheses, strict=True) if not story.strip()]
    if empty:
        warnings.append(
            f"{len(empty)} predicted stories are empty and score 0 "
            f"(e.g. album {', '.join(empty[:EXAMPLES_SHOWN])})"
        )
    separator = [
        album
        for album, story, refs in zip(album_ids, hypotheses, references, strict=True)
        if FIELD_SEPARATOR in story or any(FIELD_SEPARATOR in text for text in refs)
    ]
    if separator:
        warnings.append(
            f"'{FIELD_SEPARATOR}' (METEOR's field separator) was removed before METEOR in "
            f"{len(separator)} album(s) (e.g. {', '.join(separator[:EXAMPLES_SHOWN])}), "
            "as coco-caption does; the other metrics saw the text unchanged"
        )
    return warnings
