"""Terms: a photo as the words of its likeliest ImageNet class names, each a GloVe vector.

The image -> terms -> story bridge of KG-Story (Hsu et al., AAAI 2020) and PR-VIST (Hsu et al.,
2021): EfficientNet-Lite names the photo's classes; their name words ("race car" -> *race*,
*car*) become the photo's **terms**, and a storyteller trained on text alone reads them as words
it can write or copy. While training, a sentence's terms are simulated from its own content
words: each word's nearest class names (by a :class:`TermBridge`: sentence-encoder vectors, so
"snow" finds *snowplow*, *snowmobile* and *ski*, what a classifier says of a snowy street),
mixed as a photo's top classes are, with dropped classes and a distractor class so the model
learns to cope with a classifier's mistakes.

A term feature vector holds ``terms`` slots of ``[unit GloVe vector (50), weight]``, likeliest
first; the weights of a photo sum to 1 and an empty slot is all zeros.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np

from imgstory.features.concepts import (
    CLASSES,
    CLASSIFIERS,
    ConceptConfig,
    ConceptSpace,
    settings_fingerprint,
    top_k_weights,
)
from imgstory.text.tokens import tokenize


@dataclass(frozen=True)
class TermConfig:
    """How photos and sentences become terms (saved in the ``terms`` encoder's fingerprint).

    Attributes:
        classifier: the ImageNet classifier (``efficientnet-lite0``/``1``/``2``).
        top_classes: a photo's likeliest classes whose name words become its terms.
        terms: term slots per photo (the likeliest words of those classes).
        sharpness: inverse temperature turning a sentence word's cosine to its nearest class
            into that class's weight (a word that is a class name weighs most).
    """

    classifier: str = "efficientnet-lite0"
    top_classes: int = 5
    terms: int = 8
    sharpness: float = 10.0

    def __post_init__(self) -> None:
        if self.classifier not in CLASSIFIERS:
            raise ValueError(f"classifier must be efficientnet-lite0/1/2, got {self.classifier!r}")
        if not 1 <= self.top_classes <= CLASSES:
            raise ValueError(f"top_classes must be in 1..{CLASSES}, got {self.top_classes}")
        if not 1 <= self.terms <= 64:
            raise ValueError(f"terms must be in 1..64, got {self.terms}")
        if self.sharpness <= 0:
            raise ValueError(f"sharpness must be positive, got {self.sharpness}")


@dataclass(frozen=True)
class TermNoise:
    """Classifier-like mistakes added to a sentence's simulated classes while training.

    Attributes:
        drop: chance that each class is left out (one class always stays).
        distractor: chance that one random class is added.
        distractor_weight: the largest weight (before normalising) a distractor gets.
    """

    drop: float = 0.2
    distractor: float = 0.5
    distractor_weight: float = 0.5


@dataclass(frozen=True)
class TermBridge:
    """How a training sentence's words find the classes a photo of it would get (training only:
    a photo's own terms come from the classifier, so this is not in the encoder's fingerprint).

    Attributes:
        vectors: ``"minilm"``: a word and a class name are compared as all-MiniLM-L6-v2
            sentence vectors (:mod:`imgstory.text.sentence_encoder`), which knows that snow is
            what a snowplow clears; ``"glove"``: as GloVe-50 vectors (the word's nearest class
            name by co-occurrence statistics: "snow" -> *snow leopard*, "family" -> *black
            widow*).
        neighbours: classes each content word gives (a classifier spreads a photo over several
            related classes: *snowplow*, *snowmobile*, *ski*).
    """

    vectors: Literal["minilm", "glove"] = "minilm"
    neighbours: int = 3

    def __post_init__(self) -> None:
        if self.vectors not in ("minilm", "glove"):
            raise ValueError(f"vectors must be 'minilm' or 'glove', got {self.vectors!r}")
        if not 1 <= self.neighbours <= CLASSES:
            raise ValueError(f"neighbours must be in 1..{CLASSES}, got {self.neighbours}")


class TermSpace:
    """Class names as words, photos and sentences as weighted terms (NumPy only)."""

    def __init__(
        self, config: TermConfig, concepts: ConceptSpace, bridge: TermBridge | None = None
    ):
        self.config, self.concepts = config, concepts
        self.bridge = bridge or TermBridge()
        self._bridge_classes: np.ndarray | None = None  # (1000, d), built on first use
        self._bridge_words: dict[str, np.ndarray] = {}  # word -> (d,) unit vector
        glove = concepts.glove
        content_words = concepts.content_words  # a class-name word counts when it is one
        words: dict[str, int] = {}
        self.class_terms: list[list[int]] = []  # class -> its term ids
        for name in concepts.names:
            ids = []
            for word in content_words(" ".join(tokenize(name.replace("-", " ").replace(",", " ")))):
                ids.append(words.setdefault(word, len(words)))
            self.class_terms.append(list(dict.fromkeys(ids)))
        self.words = list(words)  # term id -> word
        vectors = np.stack([glove.get(word) for word in self.words]).astype(np.float64)
        self.vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(
            np.float32
        )  # (terms in all, 50)
        self.membership = np.zeros((CLASSES, len(self.words)), np.float32)  # (1000, terms)
        for index, ids in enumerate(self.class_terms):
            self.membership[index, ids] = 1.0

    @classmethod
    def packaged(
        cls, config: TermConfig | None = None, bridge: TermBridge | None = None
    ) -> TermSpace:
        """The space built from the installed GloVe and class-name packages."""
        config = config or TermConfig()
        concepts = ConceptSpace.packaged(ConceptConfig(classifier=config.classifier))
        return cls(config, concepts, bridge)

    @property
    def word_dimension(self) -> int:
        """Length of one term's word vector."""
        return self.concepts.dimension

    @property
    def dimension(self) -> int:
        """Length of a term feature vector: ``terms * (word_dimension + 1)``."""
        return self.config.terms * (self.word_dimension + 1)

    def from_classes(self, weights: np.ndarray) -> np.ndarray:
        """``(n, 1000)`` class weights -> ``(n, dimension)`` term features.

        Each class passes its weight to every word of its name; the ``terms`` heaviest words are
        kept, heaviest first, with weights summing to 1 (a row of zeros gives empty slots).
        """
        weights = np.asarray(weights, dtype=np.float32)
        word_weights = weights @ self.membership  # (n, terms in all)
        slots, size = self.config.terms, self.word_dimension
        features = np.zeros((len(weights), slots, size + 1), np.float32)
        order = np.argsort(-word_weights, axis=1, kind="stable")[:, :slots]  # (n, slots)
        kept = np.take_along_axis(word_weights, order, axis=1)  # (n, slots)
        kept = np.where(kept > 0, kept, 0.0)
        totals = kept.sum(axis=1, keepdims=True)
        kept = np.divide(kept, totals, out=np.zeros_like(kept), where=totals > 0)
        features[:, :, :size] = self.vectors[order] * (kept > 0)[:, :, None]
        features[:, :, size] = kept
        return features.reshape(len(weights), -1)

    def photo_terms(self, probabilities: np.ndarray) -> np.ndarray:
        """``(n, 1000)`` ImageNet probabilities -> ``(n, dimension)``: the top classes' words."""
        return self.from_classes(top_k_weights(probabilities, self.config.top_classes))

    def _bridge_vectors(self, words: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """``((len(words), d) unit word vectors, (1000, d) unit class-name vectors)`` of the
        bridge; MiniLM vectors are computed once per word and cached."""
        concepts = self.concepts
        if self.bridge.vectors == "glove":
            unit = np.stack([concepts.glove.get(word) for word in words]).astype(np.float64)
            unit /= np.maximum(np.linalg.norm(unit, axis=1, keepdims=True), 1e-12)
            return unit, concepts.class_vectors
        from imgstory.text.sentence_encoder import SentenceEncoder, packaged_encoder

        encoder: SentenceEncoder = packaged_encoder()
        if self._bridge_classes is None:
            self._bridge_classes = encoder.encode(concepts.names)
        missing = [word for word in dict.fromkeys(words) if word not in self._bridge_words]
        if missing:
            self._bridge_words.update(zip(missing, encoder.encode(missing), strict=True))
        return np.stack([self._bridge_words[word] for word in words]), self._bridge_classes

    def sentence_classes(
        self, sentences: Sequence[str], noise: TermNoise | None = None, seed: int = 0
    ) -> np.ndarray:
        """``(n, 1000)`` class weights a photo of each sentence might get: each content word's
        ``bridge.neighbours`` nearest classes (weight ``exp(sharpness * (cosine - 1))``), the
        ``top_classes`` best, summing to 1; with ``noise``, some dropped and a distractor added
        (seeded). A sentence without content words gets no class (a row of zeros)."""
        concepts, config = self.concepts, self.config
        weights = np.zeros((len(sentences), CLASSES), np.float64)
        generator = np.random.default_rng(seed)
        sentence_words = [concepts.content_words(sentence) for sentence in sentences]
        every_word = list(dict.fromkeys(word for words in sentence_words for word in words))
        if every_word:
            vectors, classes = self._bridge_vectors(every_word)
            position = {word: index for index, word in enumerate(every_word)}
        for row, words in enumerate(sentence_words):
            if not words:
                continue
            cosines = vectors[[position[word] for word in words]] @ classes.T  # (words, 1000)
            nearest = np.argsort(-cosines, axis=1)[:, : self.bridge.neighbours]  # (words, k)
            scores = np.exp(
                config.sharpness * (np.take_along_axis(cosines, nearest, axis=1) - 1)
            )  # (words, k)
            np.maximum.at(weights[row], nearest.ravel(), scores.ravel())
            if noise is not None:
                chosen = np.flatnonzero(weights[row])
                dropped = chosen[generator.random(len(chosen)) < noise.drop]
                if len(dropped) < len(chosen):
                    weights[row, dropped] = 0.0
                if generator.random() < noise.distractor:
                    top = weights[row].max()
                    extra = generator.uniform(0.05, noise.distractor_weight) * top
                    weights[row, generator.integers(CLASSES)] += extra
        return top_k_weights(weights, config.top_classes)

    def sentence_terms(
        self, sentences: Sequence[str], noise: TermNoise | None = None, seed: int = 0
    ) -> np.ndarray:
        """``(n, dimension)`` simulated term features of each sentence (see
        :meth:`sentence_classes`)."""
        return self.from_classes(self.sentence_classes(sentences, noise, seed))


def album_terms(features: np.ndarray, share: float, slots: int) -> np.ndarray:
    """``(photos, slots * (d + 1))`` term features of one album's photos -> the same, each
    photo's term weights ``(1 - share)`` its own plus ``share`` times the album's mean, its
    ``slots`` heaviest words kept, summing to 1.

    Words several photos agree on (*snowplow* on four photos of a snowy street) reach every
    photo, and a classifier's one-off mistake weighs less; ``share`` 0 returns the features as
    they are. A word is known by its vector (the same word has the same unit GloVe vector).
    """
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"the album share must be in 0..1, got {share}")
    features = np.asarray(features, dtype=np.float32)
    if share == 0.0 or len(features) == 0:
        return features
    photos = len(features)
    slotted = features.reshape(photos, slots, -1)  # (photos, slots, d + 1)
    size = slotted.shape[-1] - 1
    weights = slotted[:, :, size].reshape(-1)  # (photos * slots,)
    present = weights > 0
    if not present.any():
        return features
    words, which = np.unique(slotted[:, :, :size].reshape(-1, size)[present], axis=0,
                             return_inverse=True)  # fmt: skip
    own = np.zeros((photos, len(words)), np.float64)  # (photos, words of the album)
    np.add.at(own, (np.repeat(np.arange(photos), slots)[present], which.ravel()), weights[present])
    mixed = (1.0 - share) * own + share * own.mean(axis=0, keepdims=True)
    order = np.argsort(-mixed, axis=1, kind="stable")[:, :slots]  # (photos, <= slots)
    kept = np.take_along_axis(mixed, order, axis=1)
    kept /= np.maximum(kept.sum(axis=1, keepdims=True), 1e-12)
    pooled = np.zeros_like(slotted)
    pooled[:, : order.shape[1], :size] = words[order] * (kept > 0)[:, :, None]
    pooled[:, : order.shape[1], size] = kept
    return pooled.reshape(photos, -1)


def term_fingerprint(config: TermConfig, classifier_weights: str | None = None) -> str:
    """Identifies the classifier weights, GloVe table, class names and settings (no TensorFlow)."""
    return settings_fingerprint({"terms": asdict(config)}, config.classifier, classifier_weights)
