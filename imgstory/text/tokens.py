"""VIST's normalised sentence form (lowercase, space-separated tokens) and a display form.

Scoring always uses the normalised form; :func:`display_sentence` is only for showing a story.
"""

from __future__ import annotations

import re

PLACEHOLDERS = ("[male]", "[female]", "[location]", "[organization]")
"""Tokens VIST uses in place of names; kept whole by :func:`tokenize`."""

DISPLAY_PLACEHOLDERS = {
    "[male]": "John",
    "[female]": "Mary",
    "[location]": "the place",
    "[organization]": "the group",
}
"""Stand-ins that make a placeholder readable in the display form (the normalised form keeps it)."""

_CLITICS = ("'s", "'m", "'re", "'ve", "'ll", "'d", "n't", "'")
_ATTACH_LEFT = {".", ",", "!", "?", ";", ":", "...", "''", ")", "%"}
_ATTACH_RIGHT = {"``", "(", "$", "#"}
_SPLIT_PUNCTUATION = re.compile(r"([.,!?;:]+)(?=\s|$)")
_SENTENCE_END = {".", "!", "?", "..."}


def tokenize(sentence: str) -> list[str]:
    """Split a sentence into VIST tokens.

    VIST ``text`` is already normalised (``"we went to the park ."``), so this lowercases and
    splits on whitespace; text a person typed (``"We went."``) gets its final punctuation split
    off, so both forms give the same tokens.
    """
    spaced = _SPLIT_PUNCTUATION.sub(r" \1", sentence.strip().lower())
    return spaced.split()


def normalize_sentence(sentence: str) -> str:
    """The VIST normalised form of a sentence: its tokens joined by single spaces."""
    return " ".join(tokenize(sentence))


def display_sentence(sentence: str | list[str]) -> str:
    """A normalised sentence as a person would write it.

    Capitalised, punctuation and clitics attached (``"i 'm here ."`` -> ``"I'm here."``), ``i``
    as ``I``, and name placeholders replaced by :data:`DISPLAY_PLACEHOLDERS`.
    """
    tokens = sentence.split() if isinstance(sentence, str) else list(sentence)
    text = ""
    attach_next = False
    capitalise_next = True
    for token in tokens:
        word = DISPLAY_PLACEHOLDERS.get(token, token)
        if word == "i":
            word = "I"
        if capitalise_next and word[:1].isalpha():
            word = word[0].upper() + word[1:]
            capitalise_next = False
        glue = not text or attach_next or token in _ATTACH_LEFT or token in _CLITICS
        text += word if glue else " " + word
        attach_next = token in _ATTACH_RIGHT
        if token in _SENTENCE_END:
            capitalise_next = True
    return text.replace("``", '"').replace("''", '"')
