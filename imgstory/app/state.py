"""Streamlit-side state: cached loaders (data via ``st.cache_data``, models via
``st.cache_resource``) and the data source chosen in the router's sidebar.

Every loader takes the file's modification time as an argument so an edited file is re-read.
pandas and the table modules are imported inside the loaders that need them, so the Home page
starts without them.
"""

from __future__ import annotations

import gc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from imgstory.app import sources
from imgstory.data.photos import PhotoFinder
from imgstory.data.references import load_references
from imgstory.data.sis import SisFile, load_sis
from imgstory.errors import UserInputError

if TYPE_CHECKING:
    import pandas as pd

SOURCE_KEY = "data_source"
SOURCE_ERROR_KEY = "data_source_error"
#: (split, story_id) the explorer hands to the Generate page.
PICKED_STORY_KEY = "picked_story"


def modified(path: str | Path) -> float:
    """A file's modification time (0 when missing): the cache key that notices edits."""
    try:
        return Path(path).stat().st_mtime
    except OSError:
        return 0.0


@st.cache_data(show_spinner="Reading stories…", max_entries=16)
def _sis(path: str, mtime: float) -> SisFile:
    return load_sis(path)


def sis_file(path: str | Path) -> SisFile:
    """A SIS file, loaded once per modification."""
    return _sis(str(path), modified(path))


@st.cache_data(show_spinner=False, max_entries=16)
def _stories_table(path: str, mtime: float) -> pd.DataFrame:
    from imgstory.app import explore

    return explore.stories_table(_sis(path, mtime).stories)


def stories_table(source: sources.DataSource, splits: list[str] | None = None) -> pd.DataFrame:
    """The story table of a source's splits (all splits by default)."""
    chosen = splits if splits is not None else source.splits
    tables = [
        _stories_table(str(source.sis_files[s]), modified(source.sis_files[s])) for s in chosen
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


@st.cache_resource(show_spinner="Indexing photos…", max_entries=8)
def photo_finder(images_dir: str) -> PhotoFinder:
    """Photo lookup for a folder (scanned once per process; read-only, shared by sessions)."""
    return PhotoFinder(images_dir)


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
    from imgstory.data.references import references_from_stories

    return references_from_stories(sis_file(source.sis_files[split]).stories)


@st.cache_data(show_spinner=False, max_entries=16)
def _summary(results_dir: str, mtime: float) -> pd.DataFrame:
    from imgstory.app import results

    return results.load_summary(results_dir)


def summary(results_dir: str | Path) -> pd.DataFrame:
    """A results folder's summary table (raises UserInputError when absent or malformed)."""
    from imgstory.app.results import SUMMARY_FILE

    return _summary(str(results_dir), modified(Path(results_dir) / SUMMARY_FILE))


@st.cache_resource(show_spinner=False)
def model_thread() -> ThreadPoolExecutor:
    """The one thread that loads and runs every model.

    Streamlit runs each rerun in a new thread, and TensorFlow re-traces a compiled function the
    first time a new thread calls it (~0.5 s a click); one long-lived thread keeps the compiled
    search warm and also serialises model calls from several sessions.
    """
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="imgstory-model")


def on_model_thread(function, /, *args, **kwargs):
    """Run ``function(*args, **kwargs)`` on :func:`model_thread` and return its result."""
    return model_thread().submit(function, *args, **kwargs).result()


@st.cache_resource(show_spinner="Loading the model (once per server)…", max_entries=4)
def _storyteller(model_dir: str, mtime: float):
    from imgstory.generation.storyteller import Storyteller

    loaded = on_model_thread(Storyteller.load, model_dir)
    # TensorFlow and Keras leave ~10^6 long-lived Python objects; a full garbage collection
    # walking them takes 0.5-1 s and lands inside a click now and then. Freezing them moves
    # them out of the collector's sight (they live as long as the server anyway).
    gc.collect()
    gc.freeze()
    return loaded


def storyteller(model_dir: str | Path):
    """A storyteller, loaded once per process and shared (TensorFlow is imported here).

    Call its methods through :func:`on_model_thread`.
    """
    return _storyteller(str(model_dir), modified(Path(model_dir) / "model.keras"))


@st.cache_resource(show_spinner="Loading the photo encoder (once per server)…", max_entries=4)
def encoder(name: str):
    """A photo encoder (``concepts``, ``xception``), built once per process on the model thread."""
    from imgstory.features.encoders import get_encoder

    return on_model_thread(get_encoder, name)


def select_source() -> None:
    """Sidebar controls of the router: pick the demo pack or a VIST folder; remember the choice."""
    with st.sidebar:
        st.subheader("Data")
        default_folder = sources.default_folder()
        kind = st.radio(
            "Data source",
            sources.SOURCE_KINDS,
            index=1 if default_folder else 0,
            key="source_kind",
            help=sources.SOURCE_HELP,
        )
        folder = ""
        if kind == sources.VIST_FOLDER:
            folder = st.text_input(
                "VIST folder",
                value=default_folder,
                key="vist_folder",
                placeholder="/path/to/vist (holds sis/ and images/)",
                help=sources.SOURCE_HELP,
            )
    try:
        st.session_state[SOURCE_KEY] = sources.choose_source(kind, folder)
        st.session_state[SOURCE_ERROR_KEY] = None
    except UserInputError as error:
        st.session_state[SOURCE_KEY] = None
        st.session_state[SOURCE_ERROR_KEY] = str(error)
    with st.sidebar:
        chosen = st.session_state[SOURCE_KEY]
        if chosen is not None:
            st.caption(f"Showing: {chosen.label} — splits {', '.join(chosen.splits)}")
        else:
            st.warning(st.session_state[SOURCE_ERROR_KEY])


def current_source(required: bool = True) -> sources.DataSource | None:
    """The chosen data source; when there is none and ``required``, say why and stop the page."""
    if SOURCE_KEY not in st.session_state:
        try:
            st.session_state[SOURCE_KEY] = sources.choose_source(
                sources.VIST_FOLDER if sources.default_folder() else sources.DEMO,
                sources.default_folder(),
            )
        except UserInputError as error:
            st.session_state[SOURCE_KEY] = None
            st.session_state[SOURCE_ERROR_KEY] = str(error)
    chosen = st.session_state[SOURCE_KEY]
    if chosen is None and required:
        st.info(
            f"No data to show: {st.session_state.get(SOURCE_ERROR_KEY)}. "
            "Pick another data source in the sidebar."
        )
        st.stop()
    return chosen


@st.cache_resource(show_spinner=False, max_entries=8)
def _feature_store(path: str, mtime: float):
    from imgstory.features.store import FeatureStore

    return FeatureStore.open(path)


def feature_store(path: str | Path):
    """A feature store, opened once per process (memory-mapped, read-only here)."""
    return _feature_store(str(path), modified(Path(path) / "metadata.json"))


@st.cache_data(show_spinner="Projecting features…", max_entries=32)
def _feature_map(
    store_path: str, mtime: float, photos: pd.DataFrame, method: str, seed: int
) -> pd.DataFrame:
    from imgstory.app.feature_maps import feature_map

    return feature_map(photos, _feature_store(store_path, mtime), method, seed)


def feature_map(store_path: str | Path, photos: pd.DataFrame, method: str, seed: int = 0):
    """``photos`` with 2-D coordinates from ``method`` (cached per store, photos and method)."""
    mtime = modified(Path(store_path) / "metadata.json")
    return _feature_map(str(store_path), mtime, photos, method, seed)
