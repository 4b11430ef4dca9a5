"""Naming rate: does a photo's own sentence name what the classifier clearly sees in it?

For each photo whose likeliest ImageNet class has probability at least ``threshold`` (the photo is
*eligible*), its sentence *names* the class when one of the sentence's content words
(:meth:`ConceptSpace.content_words`) is a word of the class name (or its plural: "koalas" for
"koala") or lies within GloVe cosine ``closeness`` of one ("cars" for "race car"). The rate is
named / eligible; the human stories of the same photos give the reference rate.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from imgstory.features.concepts import ConceptSpace

DEFAULT_THRESHOLD = 0.5
DEFAULT_CLOSENESS = 0.6
_NAME_BREAKS = re.compile(r"[,\s\-]+")


@dataclass(frozen=True)
class NamingResult:
    """How many eligible photos' sentences name their likeliest class.

    Attributes:
        named: eligible photos whose sentence names the class.
        eligible: photos whose top class probability is at least the threshold.
    """

    named: int
    eligible: int

    @property
    def rate(self) -> float | None:
        """named / eligible; None when no photo is eligible."""
        return self.named / self.eligible if self.eligible else None

    def to_json(self) -> dict:
        """``{"named", "eligible", "rate"}`` (rate rounded to 4 digits, null when undefined)."""
        rate = self.rate
        return {
            "named": self.named,
            "eligible": self.eligible,
            "rate": None if rate is None else round(rate, 4),
        }

    @classmethod
    def from_json(cls, document: dict) -> NamingResult:
        """The inverse of :meth:`to_json`."""
        return cls(int(document["named"]), int(document["eligible"]))

    def __add__(self, other: NamingResult) -> NamingResult:
        return NamingResult(self.named + other.named, self.eligible + other.eligible)


def class_words(class_name: str, space: ConceptSpace) -> list[str]:
    """Every content word of every synonym of ``class_name`` ("race car, racing car" -> race,
    car, racing), split on commas, spaces and hyphens; words GloVe lacks or stop words are left
    out."""
    return space.content_words(" ".join(_NAME_BREAKS.split(class_name.lower())))


def _same_word(word: str, class_word: str) -> bool:
    """``word`` is ``class_word`` or its regular plural (koala/koalas, bus/buses, lily/lilies)."""
    plurals = {class_word + "s", class_word + "es"}
    if class_word.endswith("y"):
        plurals.add(class_word[:-1] + "ies")
    return word == class_word or word in plurals


def _unit_rows(space: ConceptSpace, words: Sequence[str]) -> np.ndarray:
    vectors = np.stack([space.glove.get(word) for word in words]).astype(np.float64)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


def names_class(
    sentence: str,
    class_name: str,
    space: ConceptSpace,
    closeness: float = DEFAULT_CLOSENESS,
) -> bool:
    """Whether ``sentence`` names ``class_name`` or a word close to it.

    Args:
        sentence: one VIST-normalised sentence (lowercased, space-tokenised).
        class_name: an ImageNet class name, synonyms comma-separated.
        space: the concept space (its GloVe table and stop words).
        closeness: the GloVe cosine at or above which a content word counts as naming a word of
            the class name.
    """
    words = space.content_words(sentence.lower())
    targets = class_words(class_name, space)
    if not words or not targets:
        return False
    if any(_same_word(word, target) for word in words for target in targets):
        return True
    cosines = _unit_rows(space, words) @ _unit_rows(space, targets).T  # (words, targets)
    return bool((cosines >= closeness).any())


def naming_rate(
    sentences: Sequence[str],
    probabilities: np.ndarray,
    space: ConceptSpace,
    threshold: float = DEFAULT_THRESHOLD,
    closeness: float = DEFAULT_CLOSENESS,
) -> NamingResult:
    """The naming rate of photos' own sentences.

    Args:
        sentences: ``sentences[i]`` is photo ``i``'s own sentence.
        probabilities: ``(photos, 1000)`` ImageNet class probabilities of the same photos.
        space: the concept space; its ``names`` are the class names.
        threshold: a photo is eligible when its top class probability is at least this.
        closeness: see :func:`names_class`.

    Raises:
        ValueError: as many sentences as photos are needed.
    """
    probabilities = np.asarray(probabilities)
    if probabilities.ndim != 2 or len(probabilities) != len(sentences):
        raise ValueError(
            f"{len(sentences)} sentences for probabilities of shape {probabilities.shape}: "
            "give one sentence per photo"
        )
    named = eligible = 0
    for sentence, row in zip(sentences, probabilities, strict=True):
        top = int(np.argmax(row))
        if row[top] >= threshold:
            eligible += 1
            named += names_class(sentence, space.names[top], space, closeness)
    return NamingResult(named, eligible)
