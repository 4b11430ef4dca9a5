"""Scorers started ahead of time where scoring is about to follow: METEOR's jars (Generate, Model
comparison) and the imports of the per-story extras (Generate), once per server each."""

from __future__ import annotations

import os
import threading

import streamlit as st

from imgstory.app.warmup import import_in_background
from imgstory.eval import meteor

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
    if not meteor_warm_up_wanted():
        return meteor.java_missing_message()
    return meteor.warm_up(min(processes, meteor.useful_processes()))


@st.cache_resource(show_spinner=False)
def story_scorers_warming() -> threading.Thread:
    """Import what per-story extras need (nltk alone takes ~2 s) in the background, once per
    server, while the user chooses photos (the Generate page calls this)."""
    return import_in_background(_import_story_scorers)


def _import_story_scorers() -> None:
    # imported on the warm-up thread, not here: that is the point of warming them
    import nltk.translate.bleu_score  # noqa: F401
    import rouge_score.rouge_scorer  # noqa: F401
