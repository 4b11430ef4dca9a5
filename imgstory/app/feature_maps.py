"""Data behind the feature plots: which feature stores a source has, and the photos to map.

No Streamlit here; the page caches these results with ``st.cache_data``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from imgstory.features.store import METADATA_FILE, FeatureStore
from imgstory.viz.projection import project_features

#: Colour choice shown to the user -> column of the photo table.
COLOUR_COLUMNS = {
    "album": "album_id",
    "split": "split",
    "story position": "story position",
    "theme": "theme",
}
COLOUR_OPTIONS = tuple(COLOUR_COLUMNS)
COLOUR_HELP = (
    "album: photos of one album share a colour; split: train/val/test; story position: where "
    "the photo sits in its story (1-5); theme: the demo theme the album's stories name (demo pack "
    "only: real VIST has no theme labels)"
)
PROJECTION_HELP = (
    "PCA: a linear projection, instant, keeps global spread. t-SNE: keeps neighbourhoods (similar "
    "photos close together), takes a few seconds for ~1,000 photos; distances between clusters "
    "mean little."
)
MAX_PHOTOS_HELP = "Photos drawn in the map (a fixed random sample when the data has more)."


def feature_stores(features_dir: Path | None) -> list[Path]:
    """Feature store folders in a source's ``features/`` folder (itself, or its subfolders)."""
    if features_dir is None or not features_dir.is_dir():
        return []
    if (features_dir / METADATA_FILE).is_file():
        return [features_dir]
    return sorted(p for p in features_dir.iterdir() if (p / METADATA_FILE).is_file())


THEMES_FILE = "album_themes.json"


def album_themes(stories: pd.DataFrame, root: Path | None = None) -> dict[str, str]:
    """``album_id -> theme`` for demo albums.

    The demo build records each album's theme in ``<pack>/album_themes.json``; without that file
    the theme is the one whose keywords the album's stories name most.
    """
    recorded = root / THEMES_FILE if root is not None else None
    if recorded is not None and recorded.is_file():
        themes = json.loads(recorded.read_text(encoding="utf-8"))
        return {album: str(themes.get(album, "(unknown)")) for album in stories["album_id"]}
    from imgstory.demo.themes import THEMES, names_theme

    themes = {}
    for album_id, texts in stories.groupby("album_id", sort=False)["text"]:
        counts = [sum(names_theme(text, theme) for text in texts) for theme in THEMES]
        best = int(np.argmax(counts))
        themes[album_id] = THEMES[best].name if counts[best] else "(none named)"
    return themes


def photo_rows(stories: pd.DataFrame, store: FeatureStore) -> pd.DataFrame:
    """One row per distinct photo of ``stories`` that has features: photo_id, album_id, split,
    story position (1-5, from its first story)."""
    rows = {}
    for split, album_id, photo_ids in stories[["split", "album_id", "photo_ids"]].itertuples(
        index=False
    ):
        for position, photo_id in enumerate(photo_ids.split(), start=1):
            if photo_id not in rows and photo_id in store:
                rows[photo_id] = (photo_id, album_id, split, position)
    return pd.DataFrame(
        list(rows.values()), columns=["photo_id", "album_id", "split", "story position"]
    )


def sample_photos(
    photos: pd.DataFrame, max_photos: int, keep: list[str], seed: int = 0
) -> pd.DataFrame:
    """At most ``max_photos`` rows, always including the photos in ``keep`` (fixed seed)."""
    if len(photos) <= max_photos:
        return photos
    kept = photos[photos["photo_id"].isin(keep)]
    others = photos[~photos["photo_id"].isin(keep)]
    chosen = others.sample(n=max(0, max_photos - len(kept)), random_state=seed)
    return pd.concat([kept, chosen]).sort_index()


def feature_map(
    photos: pd.DataFrame, store: FeatureStore, method: str, seed: int = 0
) -> pd.DataFrame:
    """``photos`` with ``x``/``y`` columns: their features projected to 2-D by ``method``."""
    vectors = store.get(list(photos["photo_id"]))  # (n, dimension)
    points = project_features(vectors, method, seed=seed)  # (n, 2)
    return photos.assign(x=points[:, 0], y=points[:, 1])
