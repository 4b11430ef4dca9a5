"""The Generate page's controls and run: the photos (uploads or a dataset sequence), their order
and preview, the models and decodings to run, and the run itself on the model thread."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from imgstory.app import generation, model_thread, models, photo_inputs, state, uploads, widgets
from imgstory.app.generation import StoryResult
from imgstory.app.i18n import _, error_text, translated_choice
from imgstory.app.models import ModelChoice
from imgstory.app.photo_inputs import PhotoInputs
from imgstory.app.sources import DataSource
from imgstory.data.photos import PhotoFinder
from imgstory.decoding import DECODING_HELP, DecodingConfig
from imgstory.errors import UserInputError

#: A model and the decoding to run it with.
Run = tuple[ModelChoice, DecodingConfig]


def chosen_photos(
    kind: str,
    source: DataSource | None,
    finder: PhotoFinder | None,
    split: str | None,
    table: pd.DataFrame | None,
    picked_id: str | None,
) -> tuple[PhotoInputs, int]:
    """The photos of ``kind``: uploads, or a sequence of ``table`` (``picked_id``, the explorer's
    choice, first); and how many files were uploaded."""
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
        return inputs, len(uploaded or [])
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
        return photo_inputs.from_story(story, finder, source.label), 0
    except UserInputError as error:
        st.error(error_text(error))
        return PhotoInputs(), 0


def ordered_photos(inputs: PhotoInputs) -> tuple[PhotoInputs, str | None]:
    """The photo order field and a preview of the photos in that order: the photos reordered,
    or unchanged with why the typed order is invalid."""
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
    return inputs, order_error


def chosen_runs(
    choices: list[ModelChoice], demo_photos: bool
) -> tuple[bool, list[ModelChoice], list[Run]]:
    """The compare-mode switch, then one model and its decoding, or (compare mode) several
    models and decoding presets: whether compare mode is on, the models and every run."""
    by_label = {choice.label: choice for choice in choices}

    def model_title(label: str) -> str:
        """A model's name in the pickers (the session's language)."""
        return by_label[label].title

    compare = st.toggle(
        _("Compare mode"),
        key="compare",
        help=_(
            "Run several models and decodings on the same photos and show the stories side by side."
        ),
    )
    if compare:
        # One widget per kind of photos, so each starts on the models made for them.
        chosen = st.multiselect(
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
            for m in chosen
            for p in presets
        ]
        return compare, [by_label[label] for label in chosen], runs
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
    chosen = by_label[model_label]
    controls = widgets.decoding_controls(settings[1], chosen.reads_terms(), chosen.copies_terms())
    runs = [(chosen, controls)]
    return compare, [by_label[model_label]], runs


def write_stories(runs: Sequence[Run], inputs: PhotoInputs) -> list[StoryResult]:
    """Run every model and decoding on the photos (on the model thread), its progress in a status
    box; the stories written (those before a failure, which is shown)."""
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
    return produced
