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

BARE_PLACEHOLDERS = {"location": "[location]", "organization": "[organization]"}
"""VIST's normalised text also writes the place and group placeholders bare ("we took a trip to
location ."); shown like the bracketed forms."""

_CLITICS = ("'s", "'m", "'re", "'ve", "'ll", "'d", "n't", "'")
_ATTACH_LEFT = {".", ",", "!", "?", ";", ":", "...", "''", ")", "%"}
_ATTACH_RIGHT = {"``", "(", "$", "#"}
#: Words the Penn tokenizer splits in two ("gonna" -> "gon na"): shown joined again.
_SPLIT_WORDS = {("gon", "na"), ("wan", "na"), ("got", "ta")}
_TRAILING_PUNCTUATION = re.compile(r"^(.*?[^.,!?;:])([.,!?;:]+)$")
_ABBREVIATION = re.compile(r"^(?:[a-z]\.)+$|^(?:st|mr|mrs|ms|dr|jr|sr|vs|mt|ft|no|etc)\.$")
SENTENCE_ENDS = (".", "!", "?", "...")
"""Tokens that end a sentence (a generated sentence ends with one of them)."""
_SENTENCE_END = set(SENTENCE_ENDS)


def tokenize(sentence: str) -> list[str]:
    """The tokens of a VIST-normalised sentence: split on whitespace, nothing else changed.

    VIST ``text`` is already lowercased and tokenised (``"we went to the park ."``), and the
    references are scored in exactly that form, so it is never altered here.
    """
    return sentence.split()


def normalize_sentence(sentence: str) -> str:
    """Bring a sentence a person typed (``"We went."``) to VIST's form (``"we went ."``).

    Lowercased, with trailing punctuation split off each word; abbreviations such as ``st.``
    and initials stay whole.
    """
    tokens = []
    for token in sentence.lower().split():
        match = _TRAILING_PUNCTUATION.match(token)
        if match and not _ABBREVIATION.match(token):
            tokens += [match.group(1), match.group(2)]
        else:
            tokens.append(token)
    return " ".join(tokens)


def display_sentence(sentence: str | list[str]) -> str:
    """A normalised sentence as a person would write it.

    Capitalised, punctuation and clitics attached (``"i 'm here ."`` -> ``"I'm here."``), ``i``
    as ``I``, and name placeholders (bracketed or, for places and groups, bare) replaced by
    :data:`DISPLAY_PLACEHOLDERS`.
    """
    tokens = sentence.split() if isinstance(sentence, str) else list(sentence)
    text = ""
    attach_next = False
    capitalise_next = True
    previous = None
    for token in tokens:
        token = BARE_PLACEHOLDERS.get(token, token)
        if token in PLACEHOLDERS and token == previous:
            continue  # "[female] [female]" reads as one name
        word = DISPLAY_PLACEHOLDERS.get(token, token)
        if token in PLACEHOLDERS and previous in ("the", "a", "an") and word.startswith("the "):
            word = word.removeprefix("the ")  # "the [organization]": "the group", not "the the"
        rejoined = (previous, token) in _SPLIT_WORDS  # "gon na" reads "gonna"
        previous = token
        if word == "i":
            word = "I"
        if capitalise_next and word[:1].isalpha():
            word = word[0].upper() + word[1:]
            capitalise_next = False
        glue = not text or attach_next or rejoined or token in _ATTACH_LEFT or token in _CLITICS
        text += word if glue else " " + word
        attach_next = token in _ATTACH_RIGHT
        if token in _SENTENCE_END:
            capitalise_next = True
    return text.replace("``", '"').replace("''", '"')
