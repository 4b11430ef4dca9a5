"""Streamlit pieces shared by several pages: a story shown as photos with sentences underneath."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import streamlit as st

from imgstory.app import downloads, real_photos, scoring
from imgstory.app.explore import PhotoSlot
from imgstory.app.generation import StoryResult, decoding_name
from imgstory.app.i18n import (
    N_,
    _,
    error_text,
    ngettext,
    stories_language_note,
    story_html,
    translate_columns,
    translated_choice,
)
from imgstory.app.naming import shown_table
from imgstory.app.sources import display_path
from imgstory.app.story_scores import story_score_tables
from imgstory.decoding import DECODING_HELP, METHODS, DecodingConfig
from imgstory.errors import UserInputError
from imgstory.eval.report import RealPhotoReport


def show_photo_strip(
    photos: Sequence[Any],
    sentences: Sequence[str],
    captions: Sequence[str],
    key: str,
) -> None:
    """Photos side by side (two to a row on a phone, not one above the other), each with its
    caption and sentence under it.

    ``photos`` holds paths, PIL images or bytes; None marks a missing photo, shown as such.
    ``key`` names the strip, unique on the page (e.g. its story id).
    """
    st.html(PHONE_STRIP_CSS)
    columns = st.container(key=f"{STRIP_KEY_PREFIX}{key}").columns(max(1, len(photos)))
    for column, photo, caption, sentence in zip(columns, photos, captions, sentences, strict=True):
        with column:
            if photo is None:
                with st.container(border=True):
                    st.markdown(_("🖼️ **photo missing**"))
                    st.caption(caption)
            else:
                st.image(str(photo) if isinstance(photo, Path) else photo, caption=caption)
            if sentence:
                st.markdown(story_html(sentence), unsafe_allow_html=True)


#: Streamlit stacks columns one above the other below 640 px: a photo then fills a phone's
#: width and a 5-photo story is a long scroll. Photo strips (containers keyed
#: :data:`STRIP_KEY_PREFIX`…) keep two photos to a row there instead.
STRIP_KEY_PREFIX = "photo-strip-"
PHONE_STRIP_CSS = """<style>
@media (max-width: 640px) {
  [class*="st-key-photo-strip"] [data-testid="stHorizontalBlock"] {
    flex-direction: row; flex-wrap: wrap; gap: 0.5rem;
  }
  [class*="st-key-photo-strip"] [data-testid="stColumn"] {
    flex: 1 1 calc(50% - 0.5rem) !important; min-width: calc(50% - 0.5rem) !important;
    width: calc(50% - 0.5rem) !important;
  }
}
</style>"""


THUMBNAILS_PER_ROW = 5


def show_thumbnails(photos: Sequence[Any], captions: Sequence[str], key: str) -> None:
    """Small photos with their captions, :data:`THUMBNAILS_PER_ROW` to a row (two on a phone),
    each in a column of its own (spaced, captions apart), :data:`THUMBNAIL_WIDTH` pixels wide;
    ``key`` names them on the page."""
    st.html(PHONE_STRIP_CSS)
    place = st.container(key=f"{STRIP_KEY_PREFIX}{key}")
    for start in range(0, len(photos), THUMBNAILS_PER_ROW):
        columns = place.columns(THUMBNAILS_PER_ROW)
        row = zip(photos[start : start + THUMBNAILS_PER_ROW], captions[start:], strict=False)
        for column, (photo, caption) in zip(columns, row, strict=False):
            column.image(photo, caption=caption, width=THUMBNAIL_WIDTH)


def show_summary_table(long: Any, origin: Any) -> None:
    """A results folder's table (one row per system, the thesis model starred), the demo-pack
    note above it when the numbers are the demo pack's, and what theme accuracy means."""
    from imgstory.app import results

    if origin.is_demo:
        st.info(_(results.DEMO_RESULTS_NOTE))
    st.table(translate_columns(results.wide_table(long)).set_index(_("system")))
    if "theme_accuracy" in set(long["metric"]):
        st.caption(_(results.THEME_ACCURACY_NOTE))


def real_photo_results() -> RealPhotoReport | None:
    """The real-photo results (:func:`real_photos.load_real_photo_results`), or None: none
    computed, or a file that cannot be read, whose reason is shown as an error on the page."""
    try:
        return real_photos.load_real_photo_results()
    except UserInputError as error:
        st.error(error_text(error))
        return None


def show_slots(slots: Sequence[PhotoSlot], credit, key: str) -> None:
    """A dataset story: each photo (or a 'missing' note) with its Flickr credit and sentence;
    ``key`` names it on the page (:func:`show_photo_strip`)."""
    show_photo_strip(
        [slot.path for slot in slots],
        [slot.sentence for slot in slots],
        [f"{slot.position + 1}. {credit(slot.photo_id)}" for slot in slots],
        key,
    )


def _scores_of(result: StoryResult, references: Sequence[str]) -> Any:
    """Per-story scores, computed once per story and kept in the session."""
    cache = st.session_state.setdefault("story_scores", {})
    key = (result.story, tuple(references))
    if key not in cache:
        cache[key] = scoring.story_scores(result.story, list(references))
    return cache[key]


STORIES_PER_ROW = 3
#: Photos shown small (compare mode's photos above the cards, Generate's preview), in pixels.
THUMBNAIL_WIDTH = 110


def show_stories_side_by_side(results: Sequence[StoryResult]) -> None:
    """Compare mode: each story as a card, at most three to a row (no sideways scrolling)."""
    for start in range(0, len(results), STORIES_PER_ROW):
        row = results[start : start + STORIES_PER_ROW]
        for column, result in zip(st.columns(STORIES_PER_ROW), row, strict=False):
            with column.container(border=True):
                st.markdown(f"**{result.model_label}** · {result.decoding_label}")
                st.markdown(
                    "\n".join(
                        f"{number}. {story_html(sentence)}"
                        for number, sentence in enumerate(result.display_sentences, start=1)
                    ),
                    unsafe_allow_html=True,
                )


def _score_table(table: Any) -> None:
    """Per-story scores (:mod:`imgstory.app.story_scores`) as every table shows numbers; the
    story column (model · decoding, long) kept narrow so the scores fit beside it."""
    st.dataframe(
        shown_table(table),
        hide_index=True,
        width="stretch",
        column_config={_("story"): st.column_config.TextColumn(width="medium")},
    )


def _show_stories(
    results: Sequence[StoryResult], photos: Sequence[Any], numbered: Sequence[str]
) -> None:
    """One story under its photos, or several as cards under small photos."""
    if len(results) == 1:
        st.subheader(_("The story"))
        show_photo_strip(photos, results[0].display_sentences, numbered, key="generated")
    else:
        st.subheader(
            ngettext("{n} story side by side", "{n} stories side by side", len(results)).format(
                n=len(results)
            )
        )
        show_thumbnails(list(photos), numbered, key="compared")
        show_stories_side_by_side(results)


def _show_captions(results: Sequence[StoryResult], origin: str) -> None:
    """A caption per story: model, decoding, time, where the photos and the model came from."""
    for result in results:
        st.caption(
            _("{model} · {decoding} · {seconds} s · photos: {origin} · model: {folder}").format(
                model=result.model_label,
                decoding=result.decoding_label,
                seconds=f"{result.seconds:.2f}",
                origin=origin,
                folder=display_path(result.model_dir),
            )
        )


def _show_references_and_scores(results: Sequence[StoryResult], references: Sequence[str]) -> None:
    """The album's reference stories and the stories' scores against them: side by side for one
    story, the scores across the page (references in an expander) for several."""
    heading = _("Reference stories of album {album} ({n})").format(
        album=results[0].album_id, n=len(references)
    )
    if len(results) == 1:  # one column of scores: it fits beside the references
        story_column, reference_column = st.columns([3, 2])
        reference_column.markdown(f"**{heading}**")
    else:  # a row per story: the table takes the page's width
        story_column, reference_column = st.container(), st.expander(heading)
    with reference_column:
        for number, reference in enumerate(references, start=1):
            st.markdown(f"{number}. {story_html(reference)}", unsafe_allow_html=True)
    with story_column:
        st.markdown(_("**Scores against these references**"))
        scores_place = st.empty()
        with scores_place, st.spinner(_("Scoring against the references…")):
            tables = story_score_tables(results, lambda result: _scores_of(result, references))
        with scores_place.container():
            for warning in tables.warnings:
                st.warning(warning)
            if tables.protocol is not None:
                _score_table(tables.protocol)
                st.caption(_(scoring.STORY_PROTOCOL_NOTE))
            if tables.extras is not None:
                st.markdown(_("Other implementations (not protocol numbers):"))
                _score_table(tables.extras)
            for note in tables.notes:
                st.caption(_(note))


def _download_buttons(results: Sequence[StoryResult]) -> None:
    """The stories as text, as JSON and in the VIST challenge format."""
    columns = st.columns(3)
    columns[0].download_button(
        _("Download story (text)"),
        "\n".join(downloads.story_text(result) for result in results),
        "story.txt",
        "text/plain",
    )
    columns[1].download_button(
        _("Download story (JSON)"),
        "[\n" + ",\n".join(downloads.story_json(r).rstrip() for r in results) + "\n]\n"
        if len(results) > 1
        else downloads.story_json(results[0]),
        "story.json",
        "application/json",
    )
    columns[2].download_button(
        _("Download (VIST challenge format)"),
        downloads.challenge_json(list(results)),
        "story_challenge.json",
        "application/json",
    )


def show_results(
    results: Sequence[StoryResult], photos: Sequence[Any], references: Sequence[str], origin: str
) -> None:
    """Generated stories under their photos, then references and scores, then downloads.

    The stories are drawn before any score is computed, so they show as soon as they exist;
    the scores fill in below them (the first ones wait for METEOR's jar if it is still starting).
    """
    numbered = [f"{n}. {label}" for n, label in enumerate(results[0].photo_labels, start=1)]
    _show_stories(results, photos, numbered)
    stories_language_note()
    _show_captions(results, origin)
    if references:
        _show_references_and_scores(results, references)
    _download_buttons(results)


FIX_SEED_HELP = N_(
    "off: every press draws a new seed (shown under the story), so each press tells another "
    "story; on: the seed below is used, so the same photos give the same story again"
)
MAX_SEED = 10_000


def _option_slider(
    place: Any,
    label: str,
    bounds: tuple[float, float],
    field: str,
    disabled: bool,
    step: float | None = None,
) -> Any:
    """A slider in ``place`` for the :class:`DecodingConfig` field ``field``: its default, the
    CLI's help text, the field's name as the widget key."""
    return place.slider(
        label,
        *bounds,
        getattr(DecodingConfig(), field),
        step=step,
        help=_(DECODING_HELP[field]),
        disabled=disabled,
        key=field,
    )


def _search_controls(
    place: Any, method: str, defaults: DecodingConfig
) -> tuple[int, int, float, float, float]:
    """Beam width, no-repeat n-gram size, repeat penalty, sentence-end penalty and the sentence
    length aimed at, in ``place`` (a column)."""
    beam_size = _option_slider(place, _("Beam width"), (1, 8), "beam_size", method != "beam")
    no_repeat = place.selectbox(
        _("No-repeat n-gram size"),
        [0, 2, 3, 4],
        index=[0, 2, 3, 4].index(defaults.no_repeat_ngram_size),
        help=_(DECODING_HELP["no_repeat_ngram_size"]),
        key="no_repeat",
    )
    repeat_penalty = _option_slider(
        place, _("Repeat penalty"), (0.0, 2.0), "repeat_penalty", no_repeat == 0, step=0.1
    )
    end_penalty = _option_slider(
        place, _("Sentence-end penalty"), (0.0, 3.0), "end_penalty", False, step=0.1
    )
    sentence_length = _option_slider(
        place,
        _("Sentence length aimed at (0 = off)"),
        (0.0, 20.0),
        "sentence_length",
        False,
        step=0.2,
    )
    return beam_size, no_repeat, repeat_penalty, end_penalty, sentence_length


def _sampling_controls(
    place: Any, method: str, defaults: DecodingConfig
) -> tuple[float, float, int]:
    """Temperature, top-p and the seed (drawn afresh unless "Fix the seed" is on), in ``place``."""
    sampling = method == "sample"
    temperature = _option_slider(
        place, _("Sampling temperature"), (0.1, 2.0), "temperature", not sampling, step=0.1
    )
    top_p = _option_slider(
        place, _("Sampling top-p (nucleus)"), (0.1, 1.0), "top_p", not sampling, step=0.05
    )
    fix_seed = place.toggle(
        _("Fix the seed"), value=False, help=_(FIX_SEED_HELP), disabled=not sampling, key="fix_seed"
    )
    seed = place.number_input(
        _("Sampling seed"),
        0,
        MAX_SEED,
        defaults.seed,
        help=_(DECODING_HELP["seed"]),
        disabled=not sampling or not fix_seed,
        key="seed",
    )
    if not fix_seed:
        seed = secrets.randbelow(MAX_SEED + 1)  # small enough to type back in to fix it
    return temperature, top_p, int(seed)


def decoding_controls(
    method_place: Any, reads_terms: bool = True, copies_terms: bool = True
) -> DecodingConfig:
    """The decoding method (a radio in ``method_place``, e.g. a column) and, in an expander
    below, its options; defaults are :class:`DecodingConfig`'s, help texts the CLI's. The album
    share is greyed out for a model that does not read terms (``reads_terms`` False), the copy
    weight for one that does not copy them (``copies_terms`` False): they would change nothing
    (:meth:`DecodingConfig.for_model`).

    Unless "Fix the seed" is on, the sampling seed is drawn afresh on every run of the page, so
    each Generate press samples another story (the page decodes only on a press).
    """
    defaults = DecodingConfig()
    method = method_place.radio(
        _("Decoding"),
        METHODS,
        format_func=decoding_name,
        horizontal=True,
        help=_(DECODING_HELP["method"]),
        key=translated_choice("method", defaults.method),
    )
    options = st.expander(_("Decoding options (the defaults work: press Generate)"))
    left, middle, right = options.columns(3)
    beam_size, no_repeat, repeat_penalty, end_penalty, sentence_length = _search_controls(
        left, method, defaults
    )
    temperature, top_p, seed = _sampling_controls(middle, method, defaults)
    block = right.checkbox(
        _("Never repeat a sentence"),
        value=defaults.block_repeated_sentences,
        help=_(DECODING_HELP["block_repeated_sentences"]),
        key="block",
    )
    album_share = _option_slider(
        right, _("Album share of terms"), (0.0, 1.0), "album_share", not reads_terms, step=0.1
    )
    copy_weight = _option_slider(
        right, _("Copy weight of terms"), (0.0, 1.0), "copy_weight", not copies_terms, step=0.1
    )
    return DecodingConfig(
        method=method, beam_size=beam_size, temperature=temperature, top_p=top_p, seed=seed,
        no_repeat_ngram_size=no_repeat, repeat_penalty=repeat_penalty, end_penalty=end_penalty,
        sentence_length=sentence_length, album_share=album_share, copy_weight=copy_weight,
        block_repeated_sentences=block,
    )  # fmt: skip
