"""Generate's story metrics: non-redundancy, distinct-1/2 and grounding of each generated story.

Non-redundancy and distinct-n need only the text; grounding needs the photos' ImageNet classes,
so it runs the concepts encoder's classifier (loaded once per server) when asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from imgstory.app import model_thread
from imgstory.app.i18n import N_, _
from imgstory.app.naming import shown_table
from imgstory.eval.grounding import GROUNDING_NOTE
from imgstory.eval.story_metrics import STORY_METRICS_NOTE, story_metrics

GROUNDING_KEY = "story_grounding"
PER_STORY_NOTE = N_(
    "Per story: distinct-1/2 count unique uni/bigrams within this one story (a system's "
    "distinct-n on Model comparison counts over all its stories)."
)


def story_metrics_rows(results: Sequence[Any]) -> pd.DataFrame:
    """One row per generated story (``StoryResult``): non-redundancy, distinct-1, distinct-2."""
    measured = story_metrics({result.name: result.story for result in results})
    return measured.per_story.reset_index().rename(columns={"story": N_("story by")})


def photo_probabilities(encoder: Any, photos: Sequence[Any]) -> np.ndarray:
    """``(photos, 1000)`` ImageNet probabilities of PIL photos from a concepts encoder."""
    pixels = np.stack([encoder.preprocess(photo) for photo in photos])
    return encoder.probabilities(pixels)


def grounding_rows(results: Sequence[Any], probabilities: np.ndarray, space: Any) -> pd.DataFrame:
    """One row per story: grounding and the content words its photos support."""
    from imgstory.eval.grounding import story_grounding

    rows = []
    for result in results:
        measured = story_grounding(result.story, probabilities, space)
        rows.append(
            {
                N_("story by"): result.name,
                N_("grounding"): float(measured.grounding),  # NaN: no content word, shown "—"
                N_("by chance"): float(measured.chance),
                N_("supported words"): supported_text(measured),
            }
        )
    return pd.DataFrame(rows, columns=["story by", "grounding", "by chance", "supported words"])


def supported_text(measured: Any) -> str:
    """Which content words the photos support, out of how many: "beach, sea (2 of 3)"; or that
    the story has no content word to check (its grounding is then not defined)."""
    total = len(measured.content_words)
    if not total:
        return _("no content word to check")
    words = ", ".join(measured.grounded_words) or _("none")
    return _("{words} ({supported} of {total})").format(
        words=words, supported=len(measured.grounded_words), total=total
    )


GROUNDING_READING = N_(
    "How to read it: — means the story has no content word to check (only words such as 'we' "
    "or 'day'), so grounding is not defined. 'By chance' is what the same words would score "
    "against as many ImageNet classes drawn at random: words near many class names (train, "
    "car) score high whatever the photos show, so a grounding close to it says little, and in a "
    "short story one match weighs a lot (2 of 3 words is 0.667). Read the number with the words "
    "listed."
)


def show_story_metrics(results: Sequence[Any], photos: Sequence[Any]) -> None:
    """Render the story metrics of the generated stories, and grounding on request."""
    st.markdown(_("**Story metrics** (no references needed)"))
    st.dataframe(
        shown_table(story_metrics_rows(results), metric_column=None),
        hide_index=True,
        width="stretch",
    )
    st.caption(f"{_(STORY_METRICS_NOTE)} {_(PER_STORY_NOTE)}")
    key = (tuple(result.story for result in results), len(photos))
    cache = st.session_state.setdefault(GROUNDING_KEY, {})
    if (
        key not in cache
        and photos
        and st.button(
            _("Measure grounding in these photos"),
            help=_(
                "Runs the ImageNet classifier of the concepts encoder on the photos (loaded once "
                "per server)."
            )
            + " "
            + _(GROUNDING_NOTE),
        )
    ):
        with st.spinner(_("Classifying the photos…")):
            encoder = model_thread.encoder("concepts")
            probabilities = model_thread.on_model_thread(photo_probabilities, encoder, photos)
            cache[key] = grounding_rows(results, probabilities, encoder.space)
    if key in cache:
        st.dataframe(shown_table(cache[key], metric_column=None), hide_index=True, width="stretch")
        st.caption(f"{_(GROUNDING_NOTE)} {_(GROUNDING_READING)}")
