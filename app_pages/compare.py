"""Model comparison: our systems with bootstrap intervals, published results, score your own."""

import streamlit as st

from imgstory.app import (
    compare_view,
    published_view,
    results,
    scorer_warmup,
    source_picker,
    sources,
    state,
    widgets,
)
from imgstory.app.i18n import _, error_text
from imgstory.errors import UserInputError
from imgstory.paths import DEMO_DIR

source = source_picker.current_source(required=False)
scorer_warmup.meteor_started(2)  # in the background: warm when scoring starts (2 jars share a job)
st.title(_("Model comparison"))

default_results = source.results_dir if source and source.results_dir else DEMO_DIR / "results"
results_dir = sources.typed_folder(
    st.text_input(
        _("Results folder"),
        value=sources.folder_text(default_results),
        help=_(
            "A folder holding summary.json and predictions/<system>.json: the demo pack's "
            "(assets/demo/results) or one written by your own runs on real VIST (<vist>/results)."
        ),
    )
)
origin = results.results_origin(results_dir)

st.header(_("Our systems"))
try:
    long = state.summary(results_dir)
except UserInputError as error:
    long = None
    st.info(
        _("{problem}. Build the demo pack (`imgstory demo build`) or pick another folder.").format(
            problem=error_text(error)
        )
    )
if long is not None:
    compare_view.show_our_systems(long, results_dir, origin)

st.header(_("Real VIST photos: our VIST models against baselines"))
real = widgets.real_photo_results()
compare_view.show_real_photos(real)

published_view.show_released_systems(results_dir, source, real_report=real)

st.header(_("Published results on real VIST"))
compare_view.show_published()

st.header(_("Score your own predictions"))
compare_view.show_score_uploads(source)
