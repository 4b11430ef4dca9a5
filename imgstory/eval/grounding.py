"""Visual grounding of a story in its photos, through ImageNet concepts in GloVe space.

A story's *grounding* is the share of its content words (``ConceptSpace.content_words``: known to
GloVe, not stop words or story words) whose GloVe vector lies within cosine ``threshold`` of the
class-name vector (``ConceptSpace.class_vectors``) of one of the top ``classes_per_photo``
ImageNet classes (EfficientNet-Lite0) of the story's photos. In the spirit of GROOViST (Surikuchi
et al., EMNLP 2023), which matches noun phrases to image regions with CLIP; see
docs/evaluation.md for how the two differ. The threshold was fixed on VIST val text only
(:func:`calibrate_threshold`), never on test data.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from imgstory.i18n import N_

#: ``calibrate_threshold`` on ../shared/vist/reference/val_reference.json (VIST val stories,
#: 91,818 content-word tokens x 1,000 class names; percentile 99: 0.6378), rounded to 0.64.
#: So a word unrelated to every class passes against one given class 1% of the time.
VAL_THRESHOLD = 0.64
CALIBRATION_PERCENTILE = 99.0
GROUNDING_NOTE = N_(
    "Grounding: share of a story's content words whose GloVe-50 vector is within cosine 0.64 "
    "(fixed on VIST val text) of the name of one of its photos' top-5 ImageNet classes "
    "(EfficientNet-Lite0); 0-1, higher = more of the story is about what the classifier sees."
)


@dataclass(frozen=True)
class GroundingConfig:
    """How grounding is measured.

    Attributes:
        threshold: cosine from which a content word counts as supported by a class name.
        classes_per_photo: the likeliest ImageNet classes of each photo a word may match.
    """

    threshold: float = VAL_THRESHOLD
    classes_per_photo: int = 5

    def __post_init__(self) -> None:
        if not -1.0 <= self.threshold <= 1.0:
            raise ValueError(f"threshold is a cosine in [-1, 1], got {self.threshold}")
        if self.classes_per_photo < 1:
            raise ValueError(f"classes_per_photo must be at least 1, got {self.classes_per_photo}")


@dataclass(frozen=True)
class StoryGrounding:
    """One story's grounding: the share, which content words were (not) supported, and the
    share expected by chance (:func:`chance_grounding`; NaN when not computed)."""

    grounding: float
    content_words: tuple[str, ...]
    grounded_words: tuple[str, ...]
    chance: float = math.nan


def chance_grounding(similarities: np.ndarray, classes: int, threshold: float) -> float:
    """The grounding a story's words would get from ``classes`` ImageNet classes drawn at
    random instead of its photos' own: the mean, over its content words, of the chance that one
    of the drawn classes is within ``threshold`` of the word (hypergeometric: a word near ``m``
    of the ``N`` class names misses all ``k`` drawn ones with probability
    ``C(N - m, k) / C(N, k)``). A story whose words sit near many class names ("train",
    "car") scores high whatever the photos show; its grounding then says little.

    Args:
        similarities: ``(words, N)`` cosines of each content word to every class name.
        classes: ``k``, the photos' distinct classes the words were matched against.
    """
    total = similarities.shape[-1]
    near = (similarities >= threshold).sum(axis=-1)  # (words,) m
    drawn = np.arange(min(classes, total))
    # P(no drawn class is near) = prod_i (N - m - i) / (N - i), i < k
    missing = np.clip((total - near[:, None] - drawn) / (total - drawn), 0.0, 1.0).prod(axis=-1)
    return float((1.0 - missing).mean())


def _word_vectors(space, words: Sequence[str]) -> np.ndarray:
    vectors = np.asarray([space.glove.get(word) for word in words], dtype=np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


def photo_classes(probabilities: np.ndarray, classes_per_photo: int) -> np.ndarray:
    """``(photos, 1000)`` probabilities -> the indices of every photo's likeliest classes."""
    probabilities = np.atleast_2d(np.asarray(probabilities))
    return np.unique(np.argsort(-probabilities, axis=-1)[:, :classes_per_photo])


def story_grounding(
    story: str,
    probabilities: np.ndarray,
    space,
    config: GroundingConfig | None = None,
) -> StoryGrounding:
    """Grounding of one story in its photos.

    Args:
        story: the story text (VIST-tokenised).
        probabilities: ``(photos, 1000)`` ImageNet class probabilities of the story's photos.
        space: a ``ConceptSpace`` (its GloVe table and class-name vectors).
        config: threshold and classes per photo.

    Returns:
        NaN grounding when the story has no content word.
    """
    config = config or GroundingConfig()
    words = tuple(space.content_words(story))
    if not words:
        return StoryGrounding(math.nan, (), ())
    shown = photo_classes(probabilities, config.classes_per_photo)
    similarities = _word_vectors(space, words) @ np.asarray(space.class_vectors).T  # (words, N)
    best = similarities[:, shown].max(axis=-1)  # (words,)
    supported = best >= config.threshold
    grounded = tuple(word for word, keep in zip(words, supported, strict=True) if keep)
    chance = chance_grounding(similarities, len(shown), config.threshold)
    return StoryGrounding(float(supported.mean()), words, grounded, chance)


def grounding_table(
    stories: Mapping[str, str],
    probabilities: Mapping[str, np.ndarray],
    space,
    config: GroundingConfig | None = None,
) -> pd.DataFrame:
    """One row per story key (e.g. album id): ``grounding``, ``content_words``, ``grounded``.

    Args:
        stories: key -> story text.
        probabilities: the same keys -> ``(photos, 1000)`` probabilities of that story's photos.

    Raises:
        KeyError: a story without photo probabilities.
    """
    rows = {}
    for key, story in stories.items():
        measured = story_grounding(story, probabilities[key], space, config)
        rows[key] = {
            "grounding": measured.grounding,
            "content_words": len(measured.content_words),
            "grounded": len(measured.grounded_words),
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "story"
    return frame


def calibrate_threshold(
    stories: Iterable[str], space, percentile: float = CALIBRATION_PERCENTILE
) -> float:
    """The ``percentile`` of cosines between every content-word token of ``stories`` and every
    ImageNet class name: a word passes against one given class that often by chance. Use val
    text only (``VAL_THRESHOLD`` is this on VIST val, rounded).

    Each distinct word's cosines are weighted by its count (numpy's ``inverted_cdf`` weighted
    percentile), so memory grows with the vocabulary, not the text.
    """
    counts = Counter(word for story in stories for word in space.content_words(story))
    if not counts:
        raise ValueError("no content word in the calibration stories")
    words = list(counts)
    cosines = _word_vectors(space, words) @ space.class_vectors.T  # (words, 1000)
    weights = np.repeat(np.array([counts[w] for w in words], dtype=np.float64), cosines.shape[1])
    return float(np.percentile(cosines.ravel(), percentile, weights=weights, method="inverted_cdf"))
