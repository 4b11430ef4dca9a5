"""Generate: upload photos or pick a dataset sequence, choose model and decoding, get a story."""

import streamlit as st

from imgstory.app import (
    explore,
    generate_view,
    models,
    photo_inputs,
    scorer_warmup,
    source_picker,
    state,
    story_view,
    widgets,
)
from imgstory.app.i18n import _, translated_choice

RESULTS_KEY = "generated_results"

st.title(_("Generate a story"))
source = source_picker.current_source(required=False)

finder = state.source_photo_finder(source) if source else None
picked_split, picked_id = st.session_state.get(photo_inputs.PICKED_STORY_KEY, (None, None))
split = picked_split if source and picked_split in source.sis_files else None
split = split or (source.default_split if source else None)
table = None
if source is not None and finder is not None and split:
    table = state.source_stories_table(source, [split])
    table = table[explore.photos_found(table, finder) == 5]
has_sequences = table is not None and len(table) > 0
if picked_id is not None and has_sequences:  # the explorer handed a sequence over
    st.session_state.setdefault(photo_inputs.PHOTO_SOURCE_KEY, photo_inputs.DATASET)
kind = st.radio(
    _("Write a story for"),
    photo_inputs.PHOTO_SOURCES if has_sequences else photo_inputs.PHOTO_SOURCES[:1],
    format_func=_,
    horizontal=True,
    help=_(photo_inputs.PHOTO_SOURCE_HELP),
    key=translated_choice(photo_inputs.PHOTO_SOURCE_KEY),
)

inputs, uploaded = generate_view.chosen_photos(kind, source, finder, split, table, picked_id)
for problem in inputs.problems:
    st.error(problem)
references = (
    state.references(source, inputs.split).get(inputs.album_id, []) if inputs.album_id else []
)
if references:  # the story will be scored: warm the scorers meanwhile, in the background
    scorer_warmup.story_scorers_warming()
    scorer_warmup.meteor_started()
inputs, order_error = generate_view.ordered_photos(inputs)

choices = models.discover_models()
if not choices:
    st.info(
        _(
            "No model to run: build the demo pack (`imgstory demo build`) or set "
            "IMGSTORY_MODELS_DIR to a folder of model directories (from `imgstory train`)."
        )
    )
    st.stop()
demo_photos = kind == photo_inputs.DATASET and source.is_demo
compare, chosen_models, runs = generate_view.chosen_runs(choices, demo_photos)
if inputs.photos and models.drawn_scene_models_on_real_photos(chosen_models, demo_photos):
    st.warning(_(models.DRAWN_SCENES_WARNING_COMPARE if compare else models.DRAWN_SCENES_WARNING))

blocked = photo_inputs.not_ready(inputs, len(runs), order_error, uploaded, kind)
if blocked:
    st.info(_("Generate is off: {reason}.").format(reason=blocked))
if st.button(_("Generate story"), type="primary", disabled=blocked is not None):
    st.session_state[RESULTS_KEY] = photo_inputs.GeneratedStories(
        identity=inputs.identity,
        results=tuple(generate_view.write_stories(runs, inputs)),
        photos=inputs.photos,
        references=tuple(references),
        origin=inputs.origin,
    )

shown = photo_inputs.generated_for(st.session_state.get(RESULTS_KEY), inputs)
if shown is not None:
    widgets.show_results(list(shown.results), shown.photos, shown.references, shown.origin)
    story_view.show_story_metrics(list(shown.results), list(shown.photos))
