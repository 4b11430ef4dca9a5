"""Generate: upload photos or pick a dataset sequence, choose model and decoding, get a story."""

import streamlit as st

from imgstory.app import (
    explore,
    generation,
    model_thread,
    models,
    photo_inputs,
    scorer_warmup,
    source_picker,
    state,
    story_view,
    uploads,
    widgets,
)
from imgstory.app.i18n import _, error_text, translated_choice
from imgstory.decoding import DECODING_HELP, DecodingConfig
from imgstory.errors import UserInputError

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

inputs, uploaded = photo_inputs.PhotoInputs(), []
if kind == photo_inputs.UPLOAD:
    uploaded = st.file_uploader(
        _("Your photos, in story order (1-{most}, at most {mb} MB each)").format(
            most=uploads.MAX_PHOTOS, mb=uploads.MAX_PHOTO_MB
        ),
        accept_multiple_files=True,
        help=uploads.upload_help(),
        key="photos",
    )
    inputs = photo_inputs.from_uploads([(f.name, f.getvalue()) for f in uploaded or []])
    if uploaded:  # with nothing accepted, the note on Generate says it
        st.caption(uploads.refused_note())
else:
    labels_by_id = photo_inputs.sequence_choices(table, keep=picked_id)  # the explorer's
    ids = list(labels_by_id)
    story_id = st.selectbox(
        _("Sequence from the dataset"),
        ids,
        index=ids.index(picked_id) if picked_id in ids else 0,
        format_func=labels_by_id.get,
        help=_(
            "Stories of the {split} split of the {data} whose photos are all here; the "
            "explorer's 'Write a story for these photos' button picks one."
        ).format(split=split, data=source.label),
    )
    try:
        story = photo_inputs.find_story(state.sis_file(source.sis_files[split]).stories, story_id)
        inputs = photo_inputs.from_story(story, finder, source.label)
    except UserInputError as error:
        st.error(error_text(error))
for problem in inputs.problems:
    st.error(problem)
references = (
    state.references(source, inputs.split).get(inputs.album_id, []) if inputs.album_id else []
)
if references:  # the story will be scored: warm the scorers meanwhile, in the background
    scorer_warmup.story_scorers_warming()
    scorer_warmup.meteor_started()

order_column, preview_column = st.columns([1, 3])
order_text = order_column.text_input(
    _("Photo order"),
    placeholder=" ".join(str(n) for n in range(1, len(inputs.photos) + 1)) or "1 2 3 4 5",
    help=_("The photos' numbers in story order, e.g. 2 1 3 5 4; empty keeps the order shown."),
    key="order",
)
inputs, order_error = photo_inputs.ordered(inputs, order_text)
if order_error:
    st.error(
        _("{problem}. Generate stays off until the order is fixed.").format(problem=order_error)
    )
if inputs.photos:
    with preview_column:
        st.caption(_("Photos: {origin}, in this order:").format(origin=inputs.origin))
        widgets.show_thumbnails(
            list(inputs.photos),
            [f"{n}. {x}" for n, x in enumerate(inputs.labels, start=1)],
            key="preview",
        )

choices = models.discover_models()
if not choices:
    st.info(
        _(
            "No model to run: build the demo pack (`imgstory demo build`) or set "
            "IMGSTORY_MODELS_DIR to a folder of model directories (from `imgstory train`)."
        )
    )
    st.stop()
by_label = {choice.label: choice for choice in choices}


def model_title(label: str) -> str:
    """A model's name in the pickers (the session's language)."""
    return by_label[label].title


demo_photos = kind == photo_inputs.DATASET and source.is_demo
compare = st.toggle(
    _("Compare mode"),
    key="compare",
    help=_(
        "Run several models and decodings on the same photos and show the stories side by side."
    ),
)
if compare:
    # One widget per kind of photos, so each starts on the models made for them.
    chosen_models = st.multiselect(
        _("Models"),
        list(by_label),
        format_func=model_title,
        key=translated_choice(
            "compare_models_demo" if demo_photos else "compare_models",
            models.compare_defaults(choices, demo_photos),
        ),
    )
    presets = st.multiselect(
        _("Decodings"),
        list(generation.DECODING_PRESETS),
        default=list(generation.DECODING_PRESETS)[:2],
        format_func=_,
        help=_(DECODING_HELP["method"]),
    )
    runs = [
        (by_label[m], DecodingConfig(**generation.DECODING_PRESETS[p]))
        for m in chosen_models
        for p in presets
    ]
else:
    settings = st.columns(2)
    model_label = settings[0].selectbox(
        _("Model"),
        list(by_label),
        format_func=model_title,
        key=translated_choice(
            "model_demo" if demo_photos else "model",
            choices[models.default_model(choices, demo_photos)].label,
        ),
    )
    chosen_models = [model_label]
    runs = [(by_label[model_label], widgets.decoding_controls(settings[1]))]
if inputs.photos and models.drawn_scene_models_on_real_photos(
    [by_label[label] for label in chosen_models], demo_photos
):
    st.warning(_(models.DRAWN_SCENES_WARNING_COMPARE if compare else models.DRAWN_SCENES_WARNING))

blocked = photo_inputs.not_ready(inputs, len(runs), order_error, len(uploaded or []), kind)
if blocked:
    st.info(_("Generate is off: {reason}.").format(reason=blocked))
if st.button(_("Generate story"), type="primary", disabled=blocked is not None):
    produced = []
    with st.status(_("Writing the story…"), expanded=False) as status:
        try:
            for choice, decoding in runs:
                status.update(
                    label=_("{model}: loading (once per server) and decoding…").format(
                        model=choice.title
                    )
                )
                produced.append(
                    model_thread.on_model_thread(
                        generation.generate_story,
                        model_thread.storyteller(choice.path),
                        list(inputs.photos),
                        decoding,
                        model_label=choice.title,
                        model_dir=str(choice.path),
                        photo_labels=list(inputs.labels),
                        album_id=inputs.album_id,
                    )
                )
            status.update(label=_("Story written"), state="complete")
        except (UserInputError, ValueError, OSError) as error:
            status.update(label=_("Generation failed"), state="error")
            st.error(_("Could not generate: {error}").format(error=error_text(error)))
    st.session_state[RESULTS_KEY] = photo_inputs.GeneratedStories(
        identity=inputs.identity,
        results=tuple(produced),
        photos=inputs.photos,
        references=tuple(references),
        origin=inputs.origin,
    )

shown = photo_inputs.generated_for(st.session_state.get(RESULTS_KEY), inputs)
if shown is not None:
    widgets.show_results(list(shown.results), shown.photos, shown.references, shown.origin)
    story_view.show_story_metrics(list(shown.results), list(shown.photos))
