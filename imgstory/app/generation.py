"""Generating stories for the app: one run per (model, decoding) pair, timed and labelled.

The storyteller itself (``imgstory.generation.storyteller``) is passed in, so this module never
imports TensorFlow; the page loads models once per process through ``st.cache_resource``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imgstory.app.i18n import N_, _, name_in
from imgstory.decoding.config import OFF

if TYPE_CHECKING:
    from PIL import Image

    from imgstory.decoding.config import DecodingConfig
    from imgstory.generation.storyteller import Storyteller

DECODING_PRESETS = {
    N_("greedy"): {"method": "greedy"},
    N_("beam 3"): {"method": "beam", "beam_size": 3},
    N_("sample (T=0.8)"): {"method": "sample", "temperature": 0.8},
}
#: Decoding methods and options as labels name them (the CLI's names, translated on screen).
DECODING_NAMES = {
    "greedy": N_("greedy"),
    "beam": N_("beam"),
    "sample": N_("sample"),
    "beam_size": N_("beam_size"),
    "length_penalty": N_("length_penalty"),
    "temperature": N_("temperature"),
    "top_k": N_("top_k"),
    "top_p": N_("top_p"),
    "seed": N_("seed"),
    "no_repeat_ngram_size": N_("no_repeat_ngram_size"),
    "repeat_penalty": N_("repeat_penalty"),
    "end_penalty": N_("end_penalty"),
    "sentence_length": N_("sentence_length"),
    "album_share": N_("album_share"),
    "copy_weight": N_("copy_weight"),
}


def decoding_name(name: str) -> str:
    """A decoding method or option in the session's language (unknown names as they are)."""
    return name_in(DECODING_NAMES, name)


@dataclass(frozen=True)
class StoryResult:
    """A generated story with everything needed to say where it came from."""

    model_label: str
    model_dir: str
    decoding: dict[str, Any]
    photo_labels: tuple[str, ...]
    sentences: tuple[str, ...]
    display_sentences: tuple[str, ...]
    seconds: float
    album_id: str | None = None
    scores: dict[str, Any] = field(default_factory=dict)

    @property
    def story(self) -> str:
        """The normalised sentences joined (the form the scorers read)."""
        return " ".join(self.sentences)

    @property
    def name(self) -> str:
        """``model · decoding`` as tables name the story: the model's name without its
        description in brackets ("VIST LSTM · beam (...)"), so rows of several stories stay
        apart in a narrow column."""
        return f"{self.model_label.split(' (')[0]} · {self.decoding_label}"

    @property
    def decoding_label(self) -> str:
        """Short description of the decoding, e.g. ``beam (beam_size=3)`` (in the session's
        language)."""
        method = self.decoding.get("method", "?")
        details = {
            "beam": ("beam_size", "length_penalty"),
            "sample": ("temperature", "top_k", "top_p", "seed"),
        }.get(method, ())
        option = _("{name}={value}")
        shown = ", ".join(
            option.format(name=decoding_name(k), value=self.decoding[k])
            for k in details
            if k in self.decoding
        )
        repeat = self.decoding.get("no_repeat_ngram_size")
        if repeat:
            no_repeat = option.format(name=decoding_name("no_repeat_ngram_size"), value=repeat)
            shown = f"{shown}, {no_repeat}" if shown else _("no-repeat {n}").format(n=repeat)
            if "repeat_penalty" in self.decoding:  # stories stored before it existed lack it
                penalty = self.decoding["repeat_penalty"]
                shown += ", " + option.format(name=decoding_name("repeat_penalty"), value=penalty)
        for name, off in OFF.items():  # stories stored before these options lack them
            if self.decoding.get(name, off) != off:
                value = option.format(name=decoding_name(name), value=self.decoding[name])
                shown = f"{shown}, {value}" if shown else value
        method = decoding_name(method)
        return f"{method} ({shown})" if shown else method


def decoding_options(decoding: DecodingConfig) -> dict[str, Any]:
    """A decoding config as a plain dict (for labels and JSON downloads)."""
    return asdict(decoding)


def generate_story(
    storyteller: Storyteller,
    photos: Sequence[Image.Image | str | Path],
    decoding: DecodingConfig,
    *,
    model_label: str,
    model_dir: str,
    photo_labels: Sequence[str],
    album_id: str | None = None,
) -> StoryResult:
    """Run one storyteller on photos (PIL images or paths) with one decoding config, timed."""
    if not photos:
        raise ValueError("generate_story needs at least one photo")
    start = time.perf_counter()
    generated = storyteller.generate_from_images(list(photos), decoding)
    seconds = time.perf_counter() - start
    return StoryResult(
        model_label=model_label,
        model_dir=model_dir,
        decoding=decoding_options(storyteller.applied(decoding)),
        photo_labels=tuple(photo_labels),
        sentences=tuple(generated.sentences),
        display_sentences=tuple(generated.display_sentences),
        seconds=seconds,
        album_id=album_id,
    )


def with_scores(result: StoryResult, scores: dict[str, Any]) -> StoryResult:
    """The same result carrying its per-story scores against references."""
    return replace(result, scores=dict(scores))


def sentences_table(results: Sequence[StoryResult]) -> dict[str, list[str]]:
    """Compare mode: one column per (model, decoding), one row per photo, display sentences."""
    columns = {"photo": list(results[0].photo_labels)} if results else {}
    for result in results:
        name = f"{result.model_label} · {result.decoding_label}"
        columns[name] = list(result.display_sentences)
    return columns
