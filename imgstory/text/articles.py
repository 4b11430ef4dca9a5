"""Which words may follow "a" and "an": the article agreement a decoder can enforce.

A storyteller that copies class names writes what its classifier says, and a copied noun does
not know its article: "a ambulance", "a sunglasses". English spelling gives a rule that is right
for nearly every word such a model writes:

- after **a**, no word that starts with a vowel letter (a, e, i, o) and no plural (a word ending
  in "s" whose singular -- less the "s" or the "es" -- is a word of the vocabulary too, or one
  ending in "sses");
- after **an**, no word that starts with a consonant letter other than "h" (an hour) and no
  plural.

Words starting with "u" (a university, an umbrella) and "h" after "a" (a house, a hour) are left
to the model; so is anything that is not a plain lower-case word (punctuation, "'s", "[male]").
"""

from __future__ import annotations

from collections.abc import Sequence

VOWELS = frozenset("aeio")
#: Letters whose article depends on the sound, not the spelling: left to the model.
EITHER = frozenset("uh")


def plural_nouns(tokens: Sequence[str]) -> set[str]:
    """The tokens that read as plurals: ending in "s" (not "ss"), 4+ letters, with a singular
    (the token less "s", or less "es") among ``tokens``."""
    known = set(tokens)
    return {
        token
        for token in known
        if token.isalpha()
        and len(token) >= 4
        and token.endswith("s")
        and not token.endswith("ss")
        and (
            token[:-1] in known
            or (token.endswith("es") and token[:-2] in known)
            or token.endswith("sses")  # (sun)glasses, dresses
        )
    }


def article_bans(tokens: Sequence[str]) -> dict[int, list[int]]:
    """``article id -> ids of the words that may not follow it`` for the vocabulary ``tokens``
    (an article missing from ``tokens`` has no entry)."""
    plurals = plural_nouns(tokens)
    after_a, after_an = [], []
    for index, token in enumerate(tokens):
        if not (token.isalpha() and token.islower()):
            continue
        first = token[0]
        if token in plurals or (first in VOWELS):
            after_a.append(index)
        if token in plurals or (first not in VOWELS and first not in EITHER):
            after_an.append(index)
    bans = {}
    ids = {token: index for index, token in enumerate(tokens)}
    if "a" in ids:
        bans[ids["a"]] = after_a
    if "an" in ids:
        bans[ids["an"]] = after_an
    return bans
