"""Small human studies for the human-evaluation tests: made-up systems, or the demo pack's."""

from __future__ import annotations

from pathlib import Path

from imgstory.data.sis import load_sis
from imgstory.eval.floors import first_stories
from imgstory.eval.predictions import load_predictions
from imgstory.human.store import HumanStore
from imgstory.human.study import (
    AlbumPhotos,
    StudySpec,
    SystemStories,
    create_study,
    human_reference_system,
)
from imgstory.paths import DEMO_DIR

ALBUMS = tuple(AlbumPhotos(f"album{n}", (f"{n}1", f"{n}2", f"{n}3")) for n in range(1, 4))


def system(name: str) -> SystemStories:
    """A made-up system with one story per album of :data:`ALBUMS`."""
    return SystemStories(
        name, f"made-up {name}", {a.album_id: f"{name} story of {a.album_id} ." for a in ALBUMS}
    )


def small_study(
    path: Path,
    name: str = "study",
    kind: str = "pairwise",
    systems: tuple[str, ...] = ("lstm", "gru"),
    aspects: tuple[str, ...] = ("relevance", "coherent"),
    per_item: int = 2,
) -> HumanStore:
    """A database at ``path`` holding one study of made-up systems on 3 albums."""
    store = HumanStore.open(path, create=True)
    chosen = [system(s) for s in systems]
    if kind == "turing":
        human = SystemStories(
            "human", "made-up people", {a.album_id: f"people wrote {a.album_id} ." for a in ALBUMS},
            is_human=True,
        )  # fmt: skip
        chosen.append(human)
    spec = StudySpec(name, kind, tuple(chosen), ALBUMS, aspects, per_item, "made-up albums")
    create_study(store, spec)
    return store


def demo_study(path: Path, name: str, albums: int, per_item: int, aspects: tuple[str, ...]):
    """A pairwise study on the demo pack's test albums: human references vs lstm-beam."""
    first = first_stories(load_sis(DEMO_DIR / "sis" / "test.story-in-sequence.json").stories)
    chosen = list(first)[:albums]
    lstm = load_predictions(DEMO_DIR / "results" / "predictions" / "lstm-beam.json")
    spec = StudySpec(
        name=name,
        kind="pairwise",
        systems=(
            human_reference_system(first),
            SystemStories("lstm-beam", "demo pack lstm-beam predictions", lstm),
        ),
        albums=tuple(AlbumPhotos(a, first[a].photo_ids) for a in chosen),
        aspects=aspects,
        judgements_per_item=per_item,
        data_label="demo pack test split (generated scenes, not real VIST)",
        images_dir=str(DEMO_DIR / "images"),
    )
    store = HumanStore.open(path, create=True)
    create_study(store, spec)
    return store
