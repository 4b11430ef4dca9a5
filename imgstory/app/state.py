"""Cached loaders: data via ``st.cache_data``, shared read-only objects via ``st.cache_resource``.

Every loader takes the file's modification time as an argument so an edited file is re-read.
The model loaders live in :mod:`imgstory.app.model_thread`, the sidebar's data source in
:mod:`imgstory.app.source_picker`, the paired-test cache in :mod:`imgstory.app.scoring_cache`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from imgstory.app import sources
from imgstory.app.i18n import _
from imgstory.data.photos import PhotoFinder
from imgstory.data.references import load_references, references_from_stories
from imgstory.data.sis import SisFile, load_sis
from imgstory.features.store import METADATA_FILE, FeatureStore

if TYPE_CHECKING:
    import pandas as pd


def modified(path: str | Path) -> float:
    """A file's modification time (0 when missing): the cache key that notices edits."""
    try:
        return Path(path).stat().st_mtime
    except OSError:
        return 0.0


@st.cache_data(show_spinner=False, max_entries=16)
def _sis(path: str, mtime: float) -> SisFile:
    return load_sis(path)


def sis_file(path: str | Path) -> SisFile:
    """A SIS file, loaded once per modification."""
    with st.spinner(_("Reading stories…")):
        return _sis(str(path), modified(path))


@st.cache_data(show_spinner=False, max_entries=16)
def _sis_stories_table(path: str, mtime: float) -> pd.DataFrame:
    # imported here, as are pandas and app.results below: the Home page starts without pandas
    from imgstory.app import explore

    return explore.stories_table(_sis(path, mtime).stories)


def source_stories_table(
    source: sources.DataSource, splits: list[str] | None = None
) -> pd.DataFrame:
    """The story table (:func:`imgstory.app.explore.stories_table`) of a source's splits (all
    splits by default), cached per SIS file."""
    chosen = splits if splits is not None else source.splits
    with st.spinner(_("Reading stories…")):
        tables = [
            _sis_stories_table(str(source.sis_files[s]), modified(source.sis_files[s]))
            for s in chosen
        ]
    import pandas as pd

    from imgstory.app import explore

    return pd.concat(tables, ignore_index=True) if tables else explore.stories_table([])


def split_counts(source: sources.DataSource) -> dict[str, tuple[int, int]]:
    """``split -> (albums, stories)`` of a source (no pandas: the Home page shows these)."""
    counts = {}
    for split in source.splits:
        stories = sis_file(source.sis_files[split]).stories
        counts[split] = (len({story.album_id for story in stories}), len(stories))
    return counts


@st.cache_resource(show_spinner=False, max_entries=8)
def _photo_finder(images_dir: str) -> PhotoFinder:
    return PhotoFinder(images_dir)


def photo_finder(images_dir: str) -> PhotoFinder:
    """Photo lookup for a folder (scanned once per process; read-only, shared by sessions)."""
    with st.spinner(_("Indexing photos…")):
        return _photo_finder(images_dir)


def source_photo_finder(source: sources.DataSource) -> PhotoFinder | None:
    """The source's photo finder, or None when it has no photo folder."""
    return photo_finder(str(source.images_dir)) if source.images_dir else None


@st.cache_data(show_spinner=False, max_entries=16)
def _references(path: str, mtime: float) -> dict[str, list[str]]:
    return load_references(path)


def references(source: sources.DataSource, split: str) -> dict[str, list[str]]:
    """AREL references of a split: the reference file when present, else built from the SIS."""
    path = source.reference_files.get(split)
    if path is not None:
        return _references(str(path), modified(path))
    return references_from_stories(sis_file(source.sis_files[split]).stories)


@st.cache_data(show_spinner=False, max_entries=16)
def _summary(results_dir: str, mtime: float) -> pd.DataFrame:
    from imgstory.app import results  # pandas: not on the Home page

    return results.load_summary(results_dir)


def summary(results_dir: str | Path) -> pd.DataFrame:
    """A results folder's summary table (raises UserInputError when absent or malformed)."""
    from imgstory.app.results import SUMMARY_FILE  # pandas: not on the Home page

    return _summary(str(results_dir), modified(Path(results_dir) / SUMMARY_FILE))


@st.cache_resource(show_spinner=False, max_entries=8)
def _feature_store(path: str, mtime: float) -> FeatureStore:
    return FeatureStore.open(path)


def feature_store(path: str | Path) -> FeatureStore:
    """A feature store, opened once per process (memory-mapped, read-only here)."""
    return _feature_store(str(path), modified(Path(path) / METADATA_FILE))


@st.cache_data(show_spinner=False, max_entries=32)
def _feature_map(
    store_path: str, mtime: float, photos: pd.DataFrame, method: str, seed: int
) -> pd.DataFrame:
    from imgstory.app.feature_maps import feature_map  # pandas: not on the Home page

    return feature_map(photos, _feature_store(store_path, mtime), method, seed)


def feature_map(
    store_path: str | Path, photos: pd.DataFrame, method: str, seed: int = 0
) -> pd.DataFrame:
    """``photos`` with 2-D coordinates from ``method`` (cached per store, photos and method)."""
    mtime = modified(Path(store_path) / METADATA_FILE)
    with st.spinner(_("Projecting features…")):
        return _feature_map(str(store_path), mtime, photos, method, seed)
