"""Streamlit pieces shared by several pages: a story shown as photos with sentences underneath."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from imgstory.app import downloads, generation, scoring
from imgstory.app.explore import PhotoSlot
from imgstory.app.generation import StoryResult
from imgstory.decoding import DECODING_HELP, METHODS, DecodingConfig
from imgstory.errors import UserInputError


def show_photo_strip(
    photos: Sequence[Any],
    sentences: Sequence[str],
    captions: Sequence[str],
) -> None:
    """Photos side by side (stacked on a phone), each with its caption and sentence under it.

    ``photos`` holds paths, PIL images or bytes; None marks a missing photo, shown as such.
    """
    columns = st.columns(max(1, len(photos)))
    for column, photo, caption, sentence in zip(columns, photos, captions, sentences, strict=True):
        with column:
            if photo is None:
                with st.container(border=True):
                    st.markdown("🖼️ **photo missing**")
                    st.caption(caption)
            else:
                st.image(str(photo) if isinstance(photo, Path) else photo, caption=caption)
            if sentence:
                st.markdown(sentence)


def show_slots(slots: Sequence[PhotoSlot], credit) -> None:
    """A dataset story: each photo (or a 'missing' note) with its Flickr credit and sentence."""
    show_photo_strip(
        [slot.path for slot in slots],
        [slot.sentence for slot in slots],
        [f"{slot.position + 1}. {credit(slot.photo_id)}" for slot in slots],
    )


def _scores_of(result: StoryResult, references: Sequence[str]) -> dict:
    """Per-story scores, computed once per story and kept in the session."""
    cache = st.session_state.setdefault("story_scores", {})
    key = (result.story, tuple(references))
    if key not in cache:
        with st.spinner("Scoring against the references (METEOR starts Java once)…"):
            cache[key] = scoring.story_scores(result.story, list(references))
    return cache[key]


def show_results(
    results: Sequence[StoryResult], photos: Sequence[Any], references: Sequence[str], origin: str
) -> None:
    """Generated stories under their photos, references beside them, scores and downloads."""
    first = results[0]
    numbered = [f"{n}. {label}" for n, label in enumerate(first.photo_labels, start=1)]
    if len(results) == 1:
        st.subheader("The story")
        show_photo_strip(photos, first.display_sentences, numbered)
    else:
        st.subheader(f"{len(results)} stories side by side")
        st.dataframe(generation.sentences_table(results), hide_index=True, width="stretch")
    for result in results:
        st.caption(
            f"{result.model_label} · {result.decoding_label} · {result.seconds:.2f} s · "
            f"photos: {origin} · model: {result.model_dir}"
        )
    if references:
        story_column, reference_column = st.columns(2)
        with reference_column:
            st.markdown(f"**Reference stories of album {first.album_id}** ({len(references)})")
            for number, reference in enumerate(references, start=1):
                st.markdown(f"{number}. {reference}")
        with story_column:
            st.markdown("**Scores against these references**")
            protocol, extras, notes = [], [], []
            for result in results:
                name = f"{result.model_label} · {result.decoding_label}"
                try:
                    scores = _scores_of(result, references)
                except UserInputError as error:
                    st.warning(str(error))
                    continue
                protocol.append({"story": name, **scores.protocol})
                if scores.extras:
                    extras.append({"story": name, **scores.extras})
                notes += [note for note in scores.notes if note not in notes]
            if protocol:  # one row per metric, one column per story
                st.dataframe(pd.DataFrame(protocol).set_index("story").T, width="stretch")
                st.caption(scoring.STORY_PROTOCOL_NOTE)
            if extras:
                st.markdown("Other implementations (not protocol numbers):")
                st.dataframe(pd.DataFrame(extras).set_index("story").T, width="stretch")
            for note in notes:
                st.caption(note)
    columns = st.columns(3)
    columns[0].download_button(
        "Download story (text)",
        "\n".join(downloads.story_text(result) for result in results),
        "story.txt",
        "text/plain",
    )
    columns[1].download_button(
        "Download story (JSON)",
        "[\n" + ",\n".join(downloads.story_json(r).rstrip() for r in results) + "\n]\n"
        if len(results) > 1
        else downloads.story_json(first),
        "story.json",
        "application/json",
    )
    columns[2].download_button(
        "Download (VIST challenge format)",
        downloads.challenge_json(list(results)),
        "story_challenge.json",
        "application/json",
    )


FIX_SEED_HELP = (
    "off: every press draws a new seed (shown under the story), so each press tells another "
    "story; on: the seed below is used, so the same photos give the same story again"
)
MAX_SEED = 10_000


def decoding_controls(method_place: Any) -> DecodingConfig:
    """The decoding method (a radio in ``method_place``, e.g. a column) and, in an expander
    below, its options; defaults are :class:`DecodingConfig`'s, help texts the CLI's.

    Unless "Fix the seed" is on, the sampling seed is drawn afresh on every run of the page, so
    each Generate press samples another story (the page decodes only on a press).
    """
    defaults = DecodingConfig()
    method = method_place.radio(
        "Decoding",
        METHODS,
        index=METHODS.index(defaults.method),
        horizontal=True,
        help=DECODING_HELP["method"],
        key="method",
    )
    options = st.expander("Decoding options (the defaults work: press Generate)")
    left, middle, right = options.columns(3)
    beam_size = left.slider(
        "Beam width",
        1,
        8,
        defaults.beam_size,
        help=DECODING_HELP["beam_size"],
        disabled=method != "beam",
        key="beam_size",
    )
    no_repeat = left.selectbox(
        "No-repeat n-gram size",
        [0, 2, 3, 4],
        index=0,
        help=DECODING_HELP["no_repeat_ngram_size"],
        key="no_repeat",
    )
    temperature = middle.slider(
        "Sampling temperature",
        0.1,
        2.0,
        defaults.temperature,
        step=0.1,
        help=DECODING_HELP["temperature"],
        disabled=method != "sample",
        key="temperature",
    )
    top_p = middle.slider(
        "Sampling top-p (nucleus)",
        0.1,
        1.0,
        defaults.top_p,
        step=0.05,
        help=DECODING_HELP["top_p"],
        disabled=method != "sample",
        key="top_p",
    )
    fix_seed = middle.toggle(
        "Fix the seed", value=False, help=FIX_SEED_HELP, disabled=method != "sample", key="fix_seed"
    )
    seed = middle.number_input(
        "Sampling seed",
        0,
        MAX_SEED,
        defaults.seed,
        help=DECODING_HELP["seed"],
        disabled=method != "sample" or not fix_seed,
        key="seed",
    )
    if not fix_seed:
        seed = secrets.randbelow(MAX_SEED + 1)  # small enough to type back in to fix it
    block = right.checkbox(
        "Never repeat a sentence",
        value=defaults.block_repeated_sentences,
        help=DECODING_HELP["block_repeated_sentences"],
        key="block",
    )
    return DecodingConfig(
        method=method, beam_size=beam_size, temperature=temperature, top_p=top_p, seed=int(seed),
        no_repeat_ngram_size=no_repeat, block_repeated_sentences=block,
    )  # fmt: skip
