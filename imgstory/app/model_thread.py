"""The one thread that loads and runs every model, and the models loaded on it.

Every model call goes through :func:`on_model_thread`; a loaded model is followed by
``gc.freeze()`` (:func:`storyteller`). TensorFlow is imported inside the loaders, so only the
pages that run a model load it.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import streamlit as st

from imgstory.app.i18n import _
from imgstory.app.state import modified

if TYPE_CHECKING:
    from imgstory.features.base import Encoder
    from imgstory.generation.storyteller import Storyteller


@st.cache_resource(show_spinner=False)
def model_thread() -> ThreadPoolExecutor:
    """The one thread that loads and runs every model.

    Streamlit runs each rerun in a new thread, and TensorFlow re-traces a compiled function the
    first time a new thread calls it (~0.5 s a click); one long-lived thread keeps the compiled
    search warm and also serialises model calls from several sessions.
    """
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="imgstory-model")


def on_model_thread(function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Run ``function(*args, **kwargs)`` on :func:`model_thread` and return its result."""
    return model_thread().submit(function, *args, **kwargs).result()


@st.cache_resource(show_spinner=False, max_entries=4)
def _storyteller(model_dir: str, mtime: float) -> Storyteller:
    from imgstory.generation.storyteller import Storyteller  # TensorFlow: only where a model runs

    loaded = on_model_thread(Storyteller.load, model_dir)
    # TensorFlow and Keras leave ~10^6 long-lived Python objects; a full garbage collection
    # walking them takes 0.5-1 s and lands inside a click now and then. Freezing them moves
    # them out of the collector's sight (they live as long as the server anyway).
    gc.collect()
    gc.freeze()
    return loaded


def storyteller(model_dir: str | Path) -> Storyteller:
    """A storyteller, loaded once per process and shared (TensorFlow is imported here).

    Call its methods through :func:`on_model_thread`.
    """
    with st.spinner(_("Loading the model (once per server)…")):
        return _storyteller(str(model_dir), modified(Path(model_dir) / "model.keras"))


@st.cache_resource(show_spinner=False, max_entries=4)
def _encoder(name: str) -> Encoder:
    from imgstory.features.encoders import get_encoder  # TensorFlow: only where a model runs

    return on_model_thread(get_encoder, name)


def encoder(name: str) -> Encoder:
    """A photo encoder (``concepts``, ``xception``), built once per process on the model thread."""
    with st.spinner(_("Loading the photo encoder (once per server)…")):
        return _encoder(name)
