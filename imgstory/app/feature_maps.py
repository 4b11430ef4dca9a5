"""Data behind the feature plots: which feature stores a source has, and the photos to map.

No Streamlit widgets here (texts are in the session's language); the page caches these results
with ``st.cache_data``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from imgstory.app.i18n import N_, _, name_in
from imgstory.features.store import METADATA_FILE, FeatureStore
from imgstory.viz.projection import project_features

#: Colour choice shown to the user -> column of the photo table.
COLOUR_COLUMNS = {
    N_("album"): "album_id",
    N_("split"): "split",
    N_("story position"): "story position",
    N_("theme"): "theme",
}
COLOUR_OPTIONS = tuple(COLOUR_COLUMNS)
#: The demo pack's themes (``imgstory.demo.themes``) and the placeholders of
#: :func:`album_themes`, as the map's legend names them.
THEME_NAMES = {
    "beach": N_("beach"),
    "birthday": N_("birthday"),
    "wedding": N_("wedding"),
    "snowy_hike": N_("snowy hike"),
    "snowy_city": N_("snowy city"),
    "concert": N_("concert"),
    "graduation": N_("graduation"),
    "football": N_("football"),
    "(unknown)": N_("(unknown)"),
    "(none named)": N_("(none named)"),
}
COLOUR_HELP = N_(
    "album: photos of one album share a colour; split: train/val/test; story position: where "
    "the photo sits in its story (1-5); theme: the demo theme the album's stories name (demo pack "
    "only: real VIST has no theme labels)"
)
PROJECTION_HELP = N_(
    "PCA: a linear projection, instant, keeps global spread. t-SNE: keeps neighbourhoods (similar "
    "photos close together), takes a few seconds for ~1,000 photos; distances between clusters "
    "mean little."
)
MAX_PHOTOS_HELP = N_("Photos drawn in the map (a fixed random sample when the data has more).")


def theme_name(theme: str) -> str:
    """A demo theme as the map's legend shows it (in the session's language)."""
    return name_in(THEME_NAMES, theme)


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


def handcrafted_names(config=None) -> list[str]:
    """What each dimension of the hand-crafted features measures, in output order."""
    from imgstory.features.handcrafted import HandcraftedConfig

    config = config or HandcraftedConfig()
    statistics = (_("mean"), _("std"))
    channels = (_("brightness"), _("blueness"), _("redness"))
    quadrants = [_(quadrant) for quadrant in QUADRANTS]
    layout = _("colour layout: cell ({row},{column}) {statistic} {channel}")
    histogram = _("colour: hue {hue}°, sat {saturation}, value {value}")
    cell_colour = _("colour ({quadrant}): hue {hue}°, saturation/value bin {shade}")
    edges = _("edges: cell ({row},{column}), {angle}° gradient (HOG)")
    texture = _("texture: LBP-8 pattern {code} ({where})")
    names = []
    for row in range(config.layout_grid):  # per cell: the means of Y, Cb, Cr, then their stds
        for column in range(config.layout_grid):
            for statistic in statistics:
                for channel in channels:
                    names.append(
                        layout.format(row=row, column=column, statistic=statistic, channel=channel)
                    )
    for hue in range(config.hue_bins):
        for saturation in range(config.saturation_bins):
            for value in range(config.value_bins):
                names.append(histogram.format(hue=hue * 360 // config.hue_bins,
                                              saturation=saturation, value=value))  # fmt: skip
    for quadrant in quadrants:
        for code in range(config.cell_hue_bins * 4):
            hue, shade = divmod(code, 4)
            names.append(
                cell_colour.format(
                    quadrant=quadrant, hue=hue * 360 // config.cell_hue_bins, shade=shade
                )
            )
    cell_side = config.hog_grid
    for row in range(cell_side):
        for column in range(cell_side):
            for orientation in range(config.hog_orientations):
                angle = orientation * 180 // config.hog_orientations
                names.append(edges.format(row=row, column=column, angle=angle))
    names += [texture.format(code=code, where=_("whole photo")) for code in range(10)]
    for quadrant in quadrants:
        names += [texture.format(code=code, where=quadrant) for code in range(10)]
    coarse = _("coarse texture: LBP-16 pattern {code}")
    names += [coarse.format(code=code) for code in range(18)]
    return names


QUADRANTS = (N_("top left"), N_("top right"), N_("bottom left"), N_("bottom right"))


def dimension_names(encoder: str, dimension: int) -> list[str] | None:
    """Names of a feature store's dimensions (None when they have none: learned features)."""
    if encoder == "handcrafted":
        names = handcrafted_names()
        return names if len(names) == dimension else None
    return None


def dimension_note(encoder: str, dimension: int) -> str:
    """What a dimension of ``encoder``'s features is, for the caption under the bars."""
    if dimension_names(encoder, dimension) is not None:
        return _(
            "Hand-crafted features: each dimension is one measured quantity (a colour-layout "
            "statistic, a colour-histogram bin, an edge orientation in a cell, a texture "
            "pattern); histogram blocks are square-rooted, so values are between 0 and 1."
        )
    if encoder == "xception":
        return _(
            "Xception features: each of the {dimension} dimensions is one channel of the "
            "network's last layer averaged over the photo, learned on ImageNet; channels have no "
            "human names (a strong one means the photo has much of what that filter responds to)."
        ).format(dimension=dimension)
    return _(
        "{encoder} features: {dimension} learned dimensions without human names; the bars show "
        "which ones this photo fills most."
    ).format(encoder=encoder, dimension=dimension)
