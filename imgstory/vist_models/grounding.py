"""Grounding of stories on real VIST test photos: every system, the humans, and a chance level.

Each album's photo sequence is the first story of the album whose 5 photos are all present (as
``imgstory vist score`` picks it). The photos' ImageNet probabilities come from the concepts
encoder's EfficientNet-Lite0; grounding is :func:`imgstory.eval.grounding.story_grounding`. The
chance level scores each album's story against the *next* album's photos.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from imgstory.errors import UserInputError
from imgstory.eval.grounding import GROUNDING_NOTE, GroundingConfig, grounding_table
from imgstory.eval.report import GroundingReport, GroundingSystem, Interval, RealPhotoReport

RESAMPLES = 1000
HUMAN_SYSTEM = "human stories (mean per album)"


def _stories_by_system(path: Path) -> dict[str, dict[str, str]]:
    """``system -> album -> story`` from AREL predictions or a ``vist score`` results file (one
    of an older layout is refused, naming the command that rewrites it)."""
    from imgstory.eval.predictions import load_predictions
    from imgstory.jsonfile import read_json

    document = read_json(path, "AREL predictions or an `imgstory vist score` results file")
    if isinstance(document, dict) and isinstance(document.get("systems"), dict):
        report = RealPhotoReport.parse(document, path)
        return {name: dict(system.stories) for name, system in report.systems.items()}
    return {path.stem: load_predictions(path)}


def photo_probabilities(files: Mapping[str, Path]) -> dict[str, np.ndarray]:
    """``photo id -> (1000,)`` ImageNet probabilities (EfficientNet-Lite0 of the concepts
    encoder; TensorFlow is loaded here)."""
    from imgstory.features.concept_encoder import ConceptEncoder
    from imgstory.images import load_image

    encoder = ConceptEncoder()
    ids = sorted(files)
    pixels = np.stack([encoder.preprocess(load_image(files[photo])) for photo in ids])
    return dict(zip(ids, encoder.probabilities(pixels), strict=True))


def _summary(table: pd.DataFrame) -> Interval | None:
    """The mean grounding over albums with its 95% interval (None: nothing measured)."""
    from imgstory.eval.bootstrap import bootstrap_ci

    measured = table.dropna(subset=["grounding"])
    if measured.empty:  # no story had a content word (the constant story): nothing to measure
        return None
    return bootstrap_ci(measured[["grounding"]], n=RESAMPLES, seed=0)["grounding"]


def measure_grounding(
    photos_dir: str | Path, sis_path: str | Path, stories_path: str | Path
) -> GroundingReport:
    """Grounding of every system's stories (and the human stories) on the albums' photos.

    Returns:
        Protocol, albums, and per system the mean grounding over albums with its 95% bootstrap
        interval, with the album's own photos and with the next album's.

    Raises:
        UserInputError: a system's album has no photo sequence here.
    """
    from imgstory.data.sis import load_sis
    from imgstory.features.concepts import ConceptSpace
    from imgstory.vist_models.real_photos import photo_sequences

    all_stories = load_sis(sis_path).stories
    sequences, files = photo_sequences(all_stories, Path(photos_dir))
    albums = [story.album_id for story in sequences]
    photos_of = {story.album_id: story.photo_ids for story in sequences}
    systems = _stories_by_system(Path(stories_path))
    for name, told in systems.items():
        unknown = [album for album in told if album not in photos_of]
        if unknown:
            raise UserInputError(
                f"{stories_path}: {name} has stories for albums without their photos in "
                f"{photos_dir} (e.g. {', '.join(unknown[:5])})"
            )
    probabilities = photo_probabilities(files)
    by_album = {a: np.stack([probabilities[p] for p in photos_of[a]]) for a in albums}
    next_album = {a: by_album[albums[(i + 1) % len(albums)]] for i, a in enumerate(albums)}
    space, config = ConceptSpace.packaged(), GroundingConfig()

    humans = {}
    for story in all_stories:
        if story.album_id in photos_of and story.photo_ids == photos_of[story.album_id]:
            humans.setdefault(story.album_id, []).append(story.story_text)
    report_systems = {}
    for name, told in {**systems, HUMAN_SYSTEM: humans}.items():
        flat = (
            {f"{a}#{i}": s for a, stories in told.items() for i, s in enumerate(stories)}
            if name == HUMAN_SYSTEM
            else told
        )
        album_of = {key: key.split("#")[0] for key in flat}
        own = grounding_table(flat, {k: by_album[album_of[k]] for k in flat}, space, config)
        other = grounding_table(flat, {k: next_album[album_of[k]] for k in flat}, space, config)
        own_albums = own.groupby(own.index.map(album_of)).mean()
        other_albums = other.groupby(other.index.map(album_of)).mean()
        report_systems[name] = GroundingSystem(
            own_photos=_summary(own_albums),
            other_album_photos=_summary(other_albums),
            stories=len(flat),
            per_album={a: float(v) for a, v in own_albums["grounding"].items()},
        )
    return GroundingReport(
        protocol=(
            f"{GROUNDING_NOTE} Mean over albums, 95% bootstrap intervals over albums "
            f"({RESAMPLES} resamples); chance level: each story against the next album's photos."
        ),
        data=f"{len(albums)} VIST test albums with all 5 photos of a story in {photos_dir}",
        albums=tuple(albums),
        threshold=config.threshold,
        systems=report_systems,
    )
