"""Generate the demo dataset: albums of rendered photos with 3-5 stories each, in VIST's layout.

Deterministic from a seed: each album draws from its own generator (``seed``, album index), each
photo from its own (``seed``, album index, photo index), so the same seed gives the same bytes.
Writes ``sis/{split}.story-in-sequence.json``, ``images/{split}/{photo_id}.jpg``,
``reference/{val,test}_reference.json`` (AREL format) and ``album_themes.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from imgstory.data.references import references_from_stories, write_references
from imgstory.data.sis import SIS_SUFFIX, Story, write_sis
from imgstory.demo.scenes import CLOTHES, SceneStyle, jpeg_bytes, render_scene, scene_weather
from imgstory.demo.stories import write_story
from imgstory.demo.themes import STAGES_PER_STORY, THEMES, THEMES_BY_NAME, Theme
from imgstory.jsonfile import read_json

SPLITS = ("train", "val", "test")
ALBUM_THEMES_FILE = "album_themes.json"
_ALBUM_ID_BASE = 7_000_000
_PHOTO_ID_BASE = 900_000_000
_STORY_ID_BASE = 80_000_000


@dataclass(frozen=True)
class DatasetConfig:
    """How big the generated dataset is and how it is split (by album, balanced by theme)."""

    num_albums: int = 320
    test_fraction: float = 0.125
    val_fraction: float = 0.075
    fewest_stories: int = 3
    most_stories: int = 5
    most_extra_photos: int = 3

    def __post_init__(self) -> None:
        if self.num_albums < 3 * len(THEMES):
            raise ValueError(
                f"num_albums must be at least {3 * len(THEMES)} (3 per theme, one per split), "
                f"got {self.num_albums}"
            )
        if not 1 <= self.fewest_stories <= self.most_stories:
            raise ValueError("need 1 <= fewest_stories <= most_stories")


@dataclass(frozen=True)
class DemoPhoto:
    """A photo of an album: its id, which stage it shows, and the weather it shows."""

    photo_id: str
    stage: int
    weather: str


@dataclass(frozen=True)
class DemoAlbum:
    """One generated album: its theme, split, photos in album order and its stories."""

    index: int
    album_id: str
    theme: str
    split: str
    style: SceneStyle
    photos: tuple[DemoPhoto, ...]
    stories: tuple[Story, ...]


def assign_splits(num_albums: int, config: DatasetConfig, seed: int) -> list[tuple[str, str]]:
    """``(theme, split)`` of every album index: themes in turn, split by album within each theme."""
    rng = np.random.default_rng([seed, 0xD1CE])
    assignment: list[tuple[str, str]] = [("", "")] * num_albums
    for theme_index, theme in enumerate(THEMES):
        members = list(range(theme_index, num_albums, len(THEMES)))
        order = rng.permutation(len(members))
        n_test = max(1, round(len(members) * config.test_fraction))
        n_val = max(1, round(len(members) * config.val_fraction))
        for rank, position in enumerate(order):
            split = "test" if rank < n_test else "val" if rank < n_test + n_val else "train"
            assignment[members[position]] = (theme.name, split)
    return assignment


def plan_album(index: int, theme: Theme, split: str, config: DatasetConfig, seed: int) -> DemoAlbum:
    """An album's photos (one per stage plus a few extra) and its stories, without pixels."""
    rng = np.random.default_rng([seed, index])
    accents = tuple(str(c) for c in rng.choice(CLOTHES, size=3, replace=False))
    weather = str(rng.choice(theme.stages[0].scene.weathers))
    style = SceneStyle(accents, weather)
    extra = rng.integers(
        0, STAGES_PER_STORY, size=int(rng.integers(1, config.most_extra_photos + 1))
    )
    stages = sorted([*range(STAGES_PER_STORY), *(int(s) for s in extra)])
    album_id = str(_ALBUM_ID_BASE + index)
    photos = tuple(
        DemoPhoto(
            photo_id=str(_PHOTO_ID_BASE + index * 10 + k),
            stage=stage,
            weather=scene_weather(theme.stages[stage].scene, weather),
        )
        for k, stage in enumerate(stages)
    )
    by_stage = [[p for p in photos if p.stage == stage] for stage in range(STAGES_PER_STORY)]
    count = int(rng.integers(config.fewest_stories, config.most_stories + 1))
    # Each stage deals its templates out in a shuffled order, so an album's stories differ.
    wording = [rng.permutation(len(stage.sentences)) for stage in theme.stages]
    stories = []
    for s in range(count):
        chosen = tuple(options[int(rng.integers(len(options)))] for options in by_stage)
        choices = tuple(int(order[s % len(order)]) for order in wording)
        sentences = write_story(theme, choices, tuple(p.weather for p in chosen), rng)
        stories.append(
            Story(
                story_id=str(_STORY_ID_BASE + index * 10 + s),
                album_id=album_id,
                split=split,
                photo_ids=tuple(p.photo_id for p in chosen),
                texts=sentences.texts,
                original_texts=sentences.original_texts,
            )
        )
    return DemoAlbum(index, album_id, theme.name, split, style, photos, tuple(stories))


def plan_dataset(config: DatasetConfig, seed: int) -> list[DemoAlbum]:
    """Every album of the dataset, in index order."""
    return [
        plan_album(index, THEMES_BY_NAME[theme], split, config, seed)
        for index, (theme, split) in enumerate(assign_splits(config.num_albums, config, seed))
    ]


def render_photo(album: DemoAlbum, position: int, seed: int) -> bytes:
    """The JPEG of the album's ``position``-th photo."""
    photo = album.photos[position]
    scene = THEMES_BY_NAME[album.theme].stages[photo.stage].scene
    rng = np.random.default_rng([seed, album.index, position + 1])
    return jpeg_bytes(render_scene(scene, album.style, rng))


def write_dataset(out_dir: str | Path, config: DatasetConfig, seed: int) -> list[DemoAlbum]:
    """Generate the dataset under ``out_dir`` (VIST layout) and return its albums.

    Writes ``images/{split}/{id}.jpg``, ``sis/{split}.story-in-sequence.json``,
    ``reference/{val,test}_reference.json`` and ``album_themes.json`` (album id -> theme name).
    """
    out_dir = Path(out_dir)
    albums = plan_dataset(config, seed)
    for split in SPLITS:
        (out_dir / "images" / split).mkdir(parents=True, exist_ok=True)
    for album in albums:
        for position, photo in enumerate(album.photos):
            path = out_dir / "images" / album.split / f"{photo.photo_id}.jpg"
            path.write_bytes(render_photo(album, position, seed))
    for split in SPLITS:
        members = [album for album in albums if album.split == split]
        stories = [story for album in members for story in album.stories]
        write_sis(
            out_dir / "sis" / f"{split}{SIS_SUFFIX}",
            stories,
            split,
            album_photo_ids={a.album_id: [p.photo_id for p in a.photos] for a in members},
        )
        if split != "train":
            write_references(
                references_from_stories(stories), out_dir / "reference" / f"{split}_reference.json"
            )
    themes = {album.album_id: album.theme for album in albums}
    (out_dir / ALBUM_THEMES_FILE).write_text(json.dumps(themes, indent=1) + "\n", encoding="utf-8")
    return albums


def load_album_themes(pack_dir: str | Path) -> dict[str, str]:
    """``album_id -> theme name`` of a generated pack."""
    return read_json(Path(pack_dir) / ALBUM_THEMES_FILE, "the demo pack's album -> theme file")
