"""Streamlit-side state: cached loaders (data via ``st.cache_data``, models via
``st.cache_resource``) and the data source chosen in the router's sidebar.

Every loader takes the file's modification time as an argument so an edited file is re-read.
pandas and the table modules are imported inside the loaders that need them, so the Home page
starts without them.
"""

from __future__ import annotations

import gc
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from imgstory.app import sources
from imgstory.app.exposure import served_beyond_this_machine
from imgstory.app.i18n import N_, _, error_text, translated_choice
from imgstory.app.warmup import import_in_background
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
#: What the Generate page writes for (``photo_inputs.UPLOAD`` or ``DATASET``).
PHOTO_SOURCE_KEY = "photo_source"
#: The sidebar's data source choice (demo pack or VIST folder).
SOURCE_KIND_KEY = "source_kind"


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
def _stories_table(path: str, mtime: float) -> pd.DataFrame:
    from imgstory.app import explore

    return explore.stories_table(_sis(path, mtime).stories)


def stories_table(source: sources.DataSource, splits: list[str] | None = None) -> pd.DataFrame:
    """The story table of a source's splits (all splits by default)."""
    chosen = splits if splits is not None else source.splits
    with st.spinner(_("Reading stories…")):
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


@st.cache_resource(show_spinner=False, max_entries=4)
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
    with st.spinner(_("Loading the model (once per server)…")):
        return _storyteller(str(model_dir), modified(Path(model_dir) / "model.keras"))


@st.cache_resource(show_spinner=False, max_entries=4)
def _encoder(name: str):
    from imgstory.features.encoders import get_encoder

    return on_model_thread(get_encoder, name)


def encoder(name: str):
    """A photo encoder (``concepts``, ``xception``), built once per process on the model thread."""
    with st.spinner(_("Loading the photo encoder (once per server)…")):
        return _encoder(name)


#: Set to ``0`` (or ``off``, ``no``) to start no METEOR jar ahead of time, e.g. on a machine short
#: of memory (a jar holds up to 2 GB) or CPU: each job then starts the jars it needs itself.
METEOR_WARM_UP_ENV = "IMGSTORY_METEOR_WARM_UP"


def meteor_warm_up_wanted() -> bool:
    """Whether scoring pages may start METEOR ahead of time (``IMGSTORY_METEOR_WARM_UP``)."""
    return os.environ.get(METEOR_WARM_UP_ENV, "").strip().lower() not in {"0", "off", "no"}


@st.cache_resource(show_spinner=False)
def meteor_started(processes: int = 1) -> str | None:
    """Start METEOR's jars once per server, in the background (~8 s of CPU each), where scoring
    is about to follow: Generate once a dataset sequence with reference stories is chosen, Model
    comparison when it is shown. Warm by the time the user presses the button, without slowing
    the pages that never score. Nothing starts when :func:`meteor_warm_up_wanted` is False.

    Args:
        processes: jars wanted (at most one per core); a second one starts once the first has
            loaded, so the two never take both cores together.

    Returns:
        None when it is starting, running or not wanted, else why METEOR cannot run (no Java).
    """
    # not via app.scoring: Home starts without pandas
    from imgstory.eval.meteor import java_missing_message, useful_processes, warm_up

    if not meteor_warm_up_wanted():
        return java_missing_message()
    return warm_up(min(processes, useful_processes()))


@st.cache_resource(show_spinner=False)
def story_scorers_warming() -> threading.Thread:
    """Import what per-story extras need (nltk alone takes ~2 s) in the background, once per
    server, while the user chooses photos (the Generate page calls this)."""
    return import_in_background(_import_story_scorers)


def _import_story_scorers() -> None:
    import nltk.translate.bleu_score  # noqa: F401
    import rouge_score.rouge_scorer  # noqa: F401


def _predictions_stamp(results_dir: str | Path) -> tuple[tuple[str, float], ...]:
    from imgstory.app.results import prediction_files

    return tuple((name, modified(path)) for name, path in prediction_files(results_dir).items())


@st.cache_resource(show_spinner=False)
def _paired_results() -> dict:
    """Paired-test tables computed in this server, keyed by folder, predictions and data
    (shared by sessions; a changed predictions file makes a new key)."""
    return {}


def paired_tests(results_dir: str | Path, baseline: str, progress=None) -> pd.DataFrame:
    """Paired bootstrap tests of a results folder's systems against ``baseline``, scored against
    the references of the data the results came from (cached until a predictions file changes).

    Raises:
        UserInputError: the folder does not say its data, or its predictions do not match them.
    """
    from imgstory.app import results

    origin = results.results_origin(results_dir)
    split = origin.split or "test"
    if origin.source is None or split not in origin.source.sis_files:
        raise UserInputError(
            N_(
                "{data}: no {split} stories to score these predictions against (put the "
                "results folder inside the VIST folder it was computed on, as <vist>/results)"
            ),
            data=origin.data,
            split=split,
        )
    from imgstory.app import scoring

    key = (str(results_dir), _predictions_stamp(results_dir), str(origin.source.root), split)
    key += (baseline,)
    cache = _paired_results()
    if key not in cache:  # computed here, not in st.cache_data: its progress bar is the page's
        predictions = {
            name: scoring.predictions_from_file(path)
            for name, path in results.prediction_files(results_dir).items()
        }
        cache[key] = scoring.paired_tests(
            predictions,
            references(origin.source, split),
            baseline,
            progress=progress or scoring.no_progress,
        )
    return cache[key]


def paired_problem(results_dir: str | Path, baseline: str) -> str | None:
    """Why the paired tests cannot run on a results folder (None when they can): its data are
    unknown, or its predictions are not for the references of that data."""
    from imgstory.app import results, scoring

    origin = results.results_origin(results_dir)
    split = origin.split or "test"
    if origin.source is None or split not in origin.source.sis_files:
        return _(
            "{data} has no {split} stories to score against (keep a results folder inside the "
            "VIST folder it was computed on, as <vist>/results)"
        ).format(data=origin.data, split=split)
    found = results.prediction_files(results_dir)
    try:
        predictions = {name: scoring.predictions_from_file(path) for name, path in found.items()}
    except UserInputError as error:
        return error_text(error)
    return scoring.paired_problem(predictions, references(origin.source, split), baseline)


def findings_tests(results_dir: str | Path, baseline: str, metric: str = "METEOR") -> dict:
    """``other system -> paired test of baseline minus it`` on ``metric``: the tests saved in
    ``summary.json`` where present; when some are not, the others computed (and cached) from the
    predictions, unless the folder's predictions cannot be re-scored (:func:`paired_problem`)."""
    from imgstory.app import results

    saved = {
        system: results.saved_test(results_dir, baseline, system, metric)
        for system in results.prediction_files(results_dir)
        if system != baseline
    }
    tests = {system: test for system, test in saved.items() if test is not None}
    if len(tests) < len(saved) and paired_problem(results_dir, baseline) is None:
        with st.spinner(_("Testing the differences (paired bootstrap over albums)…")):
            computed = results.tests_by_system(paired_tests(results_dir, baseline), metric)
        tests = {**computed, **tests}
    return tests


def select_source() -> None:
    """Sidebar controls of the router: pick the demo pack or a VIST folder; remember the choice."""
    with st.sidebar:
        st.subheader(_("Data"))
        default_folder = sources.default_folder()
        kind = st.radio(
            _("Data source"),
            sources.SOURCE_KINDS,
            format_func=_,
            key=translated_choice(
                SOURCE_KIND_KEY, sources.VIST_FOLDER if default_folder else sources.DEMO
            ),
            help=_(sources.SOURCE_HELP),
        )
        folder = ""
        if kind == sources.VIST_FOLDER and served_beyond_this_machine():
            folder = (
                st.selectbox(
                    _("VIST folder"),
                    [default_folder] if default_folder else [],
                    format_func=lambda path: Path(path).name,
                    key="vist_folder_served",
                    placeholder=_("none given at start"),
                    help=_(
                        "served on a network, the app reads only the VIST folder given when it was "
                        "started (IMGSTORY_VIST_DIR)"
                    ),
                )
                or ""
            )
        elif kind == sources.VIST_FOLDER:
            folder = st.text_input(
                _("VIST folder"),
                value=default_folder,
                key="vist_folder",
                placeholder=_("/path/to/vist (holds sis/ and images/)"),
                help=_(sources.SOURCE_HELP),
            )
    try:
        st.session_state[SOURCE_KEY] = sources.choose_source(kind, folder)
        st.session_state[SOURCE_ERROR_KEY] = None
    except UserInputError as error:
        st.session_state[SOURCE_KEY] = None
        st.session_state[SOURCE_ERROR_KEY] = error_text(error)
    with st.sidebar:
        chosen = st.session_state[SOURCE_KEY]
        if chosen is not None:
            st.caption(
                _("Showing: {data} — splits {splits}").format(
                    data=chosen.label, splits=", ".join(chosen.splits)
                )
            )
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
            st.session_state[SOURCE_ERROR_KEY] = error_text(error)
    chosen = st.session_state[SOURCE_KEY]
    if chosen is None and required:
        st.info(
            _("No data to show: {reason}. Pick another data source in the sidebar.").format(
                reason=st.session_state.get(SOURCE_ERROR_KEY)
            )
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


@st.cache_data(show_spinner=False, max_entries=32)
def _feature_map(
    store_path: str, mtime: float, photos: pd.DataFrame, method: str, seed: int
) -> pd.DataFrame:
    from imgstory.app.feature_maps import feature_map

    return feature_map(photos, _feature_store(store_path, mtime), method, seed)


def feature_map(store_path: str | Path, photos: pd.DataFrame, method: str, seed: int = 0):
    """``photos`` with 2-D coordinates from ``method`` (cached per store, photos and method)."""
    mtime = modified(Path(store_path) / "metadata.json")
    with st.spinner(_("Projecting features…")):
        return _feature_map(str(store_path), mtime, photos, method, seed)
