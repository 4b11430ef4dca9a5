"""Write a demo story: one sentence per stage from the theme's templates, in two forms.

``original_text`` is what a worker would type (cased, names); ``text`` is VIST's normalised form:
lowercase, punctuation and clitics split off (``"it 's"``, ``" ."``), names as ``[male]`` /
``[female]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from imgstory.demo.themes import WEATHER_WORDS, Theme

MALE_NAMES = ("Mike", "John", "Tom", "David", "Chris", "James", "Ben", "Daniel")
FEMALE_NAMES = ("Sarah", "Emily", "Anna", "Kate", "Laura", "Jessica", "Lisa", "Mary")
PLACEHOLDERS = {"m": "[male]", "f": "[female]"}

_PUNCTUATION = re.compile(r"([.,!?;:\"])")
_CLITIC = re.compile(r"'(s|m|re|ve|ll|d)\b", re.IGNORECASE)
_NEGATION = re.compile(r"n't\b", re.IGNORECASE)


def normalise_sentence(sentence: str) -> str:
    """VIST's normalised form of a sentence: lowercase, tokens separated by single spaces.

    >>> normalise_sentence("We decorated the house for [female]'s birthday!")
    "we decorated the house for [female] 's birthday !"
    """
    text = _NEGATION.sub(" n't", sentence)
    text = _CLITIC.sub(r" '\1", text)
    text = _PUNCTUATION.sub(r" \1 ", text)
    return " ".join(text.lower().split())


@dataclass(frozen=True)
class StorySentences:
    """One story's sentences in both forms (5 each, in stage order)."""

    texts: tuple[str, ...]
    original_texts: tuple[str, ...]


def write_story(
    theme: Theme,
    template_choices: tuple[int, ...],
    weathers: tuple[str, ...],
    rng: np.random.Generator,
) -> StorySentences:
    """Fill one template per stage.

    Args:
        theme: the album's theme.
        template_choices: per stage, which of its sentence templates to use.
        weathers: per stage, the weather shown in the chosen photo (fills ``{weather}``).
        rng: picks the story's two names.
    """
    names = {
        "m": MALE_NAMES[int(rng.integers(len(MALE_NAMES)))],
        "f": FEMALE_NAMES[int(rng.integers(len(FEMALE_NAMES)))],
    }
    texts, originals = [], []
    for stage, choice, weather in zip(theme.stages, template_choices, weathers, strict=True):
        template = stage.sentences[choice]
        weather_word = WEATHER_WORDS.get(weather, "")
        originals.append(template.format(weather=weather_word, **names))
        texts.append(normalise_sentence(template.format(weather=weather_word, **PLACEHOLDERS)))
    return StorySentences(tuple(texts), tuple(originals))
