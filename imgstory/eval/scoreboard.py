"""Score many systems' stories on the same albums into typed rows, the thesis model tested
against each: AREL-protocol scores with intervals, album identification, story quality, naming
rate, and paired bootstrap tests; the human references scored leave-one-out beside them.

METEOR runs in one pool of jars for every system (:func:`imgstory.eval.meteor.corpus_jars`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from imgstory.data.sis import Story
from imgstory.errors import UserInputError
from imgstory.eval.identification import Identification, identify_albums
from imgstory.eval.naming import NamingResult, naming_rate
from imgstory.eval.report import (
    PAIRED_METRICS,
    REPORTED_METRICS,
    Interval,
    PairedTest,
    StoryQuality,
    SystemReport,
)
from imgstory.eval.story_metrics import distinct_2, non_redundancy, repeated_ngrams, sentence_tokens


@dataclass(frozen=True)
class ToldStories:
    """What every system wrote, and what the table should say about it.

    Attributes:
        stories: system -> album id -> story, in display order.
        kinds: system -> a key of :data:`imgstory.eval.report.SYSTEM_KINDS`.
        notes: system -> where its stories come from.
        same_photos: system -> the albums whose story tells the scored photo sequence itself
            (the naming rate is measured on those only).
        models: system -> the model directory (its name) that told it, for model rows.
    """

    stories: dict[str, dict[str, str]]
    kinds: dict[str, str]
    notes: dict[str, str]
    same_photos: dict[str, set[str]]
    models: dict[str, str] = field(default_factory=dict)


def story_quality(stories: Sequence[str]) -> StoryQuality:
    """Non-redundancy (mean and lowest), distinct-2 within a story (mean) and the stories with a
    repeated word trigram."""
    redundancy = [value for value in map(non_redundancy, stories) if not np.isnan(value)]
    return StoryQuality(
        non_redundancy=float(np.mean(redundancy)) if redundancy else None,
        non_redundancy_min=float(min(redundancy)) if redundancy else None,
        distinct_2=float(np.mean([distinct_2(story) for story in stories])) if stories else None,
        repeated_trigram_stories=sum(repeated_ngrams(story, 3) > 0 for story in stories),
        stories=len(stories),
    )


def stories_naming(
    stories: Mapping[str, str],
    sequences: Sequence[Story],
    probabilities: Mapping[str, np.ndarray],
    space,
) -> tuple[NamingResult, int]:
    """The naming rate of ``album -> story`` on the albums' photos, sentence ``i`` for photo
    ``i``; a story that does not split into one sentence per photo is left out and counted."""
    total, left_out = NamingResult(0, 0), 0
    for sequence in sequences:
        if sequence.album_id not in stories:
            continue
        sentences = [" ".join(t) for t in sentence_tokens(stories[sequence.album_id])]
        if len(sentences) != len(sequence.photo_ids):
            left_out += 1
            continue
        rows = np.stack([probabilities[photo] for photo in sequence.photo_ids])  # (5, 1000)
        total += naming_rate(sentences, rows, space)
    return total, left_out


def human_naming(
    sequences: Sequence[Story],
    all_stories: Sequence[Story],
    probabilities: Mapping[str, np.ndarray],
    space,
) -> NamingResult:
    """The naming rate of every human story told for exactly the scored photo sequences."""
    photos = {sequence.album_id: sequence.photo_ids for sequence in sequences}
    total = NamingResult(0, 0)
    for story in all_stories:
        if photos.get(story.album_id) == story.photo_ids:
            rows = np.stack([probabilities[photo] for photo in story.photo_ids])
            total += naming_rate(list(story.texts), rows, space)
    return total


def _paired(thesis_statistics, statistics, metrics) -> dict[str, PairedTest]:
    from imgstory.eval.bootstrap import paired_bootstrap_passes

    keys = [key for key in PAIRED_METRICS if key in metrics]
    return paired_bootstrap_passes(thesis_statistics, statistics, keys)


def _row(name, result, told: ToldStories, references, naming, resamples) -> SystemReport:
    from imgstory.eval.bootstrap import bootstrap_ci

    stories = told.stories[name]
    keys = [key for key in REPORTED_METRICS if key in result.scores]
    intervals = bootstrap_ci(result, keys, n=resamples, seed=0)
    return SystemReport(
        kind=told.kinds[name],
        scores=intervals,
        identification=identify_albums(references, stories),
        quality=story_quality(list(stories.values())),
        naming=naming[0],
        stories=dict(stories),
        albums_missing=tuple(album for album in references if album not in stories),
        note=told.notes.get(name, ""),
        naming_left_out=naming[1],
        warnings=tuple(result.warnings),
        model=told.models.get(name, ""),
    )


def score_rows(
    told: ToldStories,
    thesis: str,
    references: Mapping[str, list[str]],
    sequences: Sequence[Story],
    all_stories: Sequence[Story],
    probabilities: Mapping[str, np.ndarray],
    human_system: str,
    *,
    resamples: int = 1000,
) -> dict[str, SystemReport]:
    """Every system's row, then the human references' (leave-one-out), each with the thesis
    model minus it (paired bootstrap on METEOR, ROUGE-L, CIDEr).

    Args:
        told: what every system wrote; ``thesis`` must be one of them.
        thesis: the system the others are tested against.
        references: ``album id -> reference stories`` of the scored albums.
        sequences: each album's scored photo sequence.
        all_stories: the split's stories (the human stories of the same photos, for naming).
        probabilities: ``photo id -> (1000,)`` ImageNet probabilities of the photos.
        human_system: the human references' row name.
        resamples: bootstrap resamples.
    """
    from imgstory.eval.arel import evaluate_arel
    from imgstory.eval.meteor import corpus_jars
    from imgstory.eval.released import leave_one_out_passes, leave_one_out_scores
    from imgstory.features.concepts import ConceptSpace

    space = ConceptSpace.packaged()
    passes = leave_one_out_passes(references)
    jobs = {**told.stories, **{f"human {k}": p for k, (p, _) in enumerate(passes)}}
    with corpus_jars(references, jobs) as pool:
        results = {
            name: evaluate_arel(references, stories, meteor_pool=pool)
            for name, stories in told.stories.items()
        }
        try:
            humans = leave_one_out_scores(references, resamples, meteor_pool=pool)
        except UserInputError:  # no METEOR: the human row needs every metric
            humans = None
        thesis_passes = [
            evaluate_arel(others, told.stories[thesis], meteor_pool=pool).statistics
            for _, others in passes
        ]
    thesis_statistics = results[thesis].statistics
    rows = {}
    for name, result in results.items():
        same = {a: s for a, s in told.stories[name].items() if a in told.same_photos[name]}
        naming = stories_naming(same, sequences, probabilities, space) if same else (None, 0)
        row = _row(name, result, told, references, naming, resamples)
        if name != thesis:
            versus = _paired([thesis_statistics], [result.statistics], result.statistics.metrics)
            row = dataclasses.replace(row, versus_thesis=versus)
        rows[name] = row
    if humans is not None:
        rows[human_system] = _human_row(
            humans, thesis_passes, sequences, all_stories, probabilities, space
        )
    return rows


def _human_row(humans, thesis_passes, sequences, all_stories, probabilities, space):
    ranks, keys = [], []
    for k, (predictions, others) in enumerate(humans.passes):
        found = identify_albums(others, predictions)
        ranks += found.ranks
        keys += [f"{album}#{k}" for album in found.album_ids]
    stories = [story for predictions, _ in humans.passes for story in predictions.values()]
    return SystemReport(
        kind="reference",
        scores={
            key: Interval(humans.scores[key], *humans.ci95[key])
            for key in REPORTED_METRICS
            if key in humans.scores
        },
        identification=Identification(tuple(keys), tuple(ranks)),
        quality=story_quality(stories),
        naming=human_naming(sequences, all_stories, probabilities, space),
        stories=dict(humans.passes[0][0]),
        versus_thesis=_paired(thesis_passes, humans.statistics, humans.statistics[0].metrics),
        note=(
            f"each album's reference story k against its other references, k = 1..."
            f"{len(humans.passes)} (mean over passes; the thesis model is tested against the "
            "same references in each pass); identification pools the passes; naming: every "
            "human story of the same photos; stories shown: the first reference"
        ),
        warnings=tuple(humans.warnings),
    )
