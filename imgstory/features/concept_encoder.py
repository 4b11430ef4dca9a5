"""The ``concepts`` and ``terms`` photo encoders: EfficientNet-Lite ImageNet probabilities ->
concept vectors or term features.

``concepts``: each photo becomes the GloVe mixture of its top ImageNet classes (see
``features.concepts``). ``terms``: the words of those classes' names, one GloVe vector and weight
each (see ``features.terms``), what the VIST storytellers read. Class names are kept for display.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from imgstory.features.base import Encoder
from imgstory.features.concepts import ConceptConfig, ConceptSpace, concept_fingerprint
from imgstory.features.terms import TermConfig, TermSpace, term_fingerprint


class ConceptEncoder(Encoder):
    """Photos -> 50-d concept vectors (and their likeliest ImageNet classes)."""

    name = "concepts"

    def __init__(
        self,
        config: ConceptConfig | None = None,
        weights: str | Path | None = None,
        *,
        batch_size: int = 16,
    ) -> None:
        """Load the classifier and the concept space.

        Args:
            config: concept settings (classifier variant, top-k).
            weights: the classifier's state-dict file (default: the installed package's).
            batch_size: photos per forward pass.
        """
        from imgstory.features.efficientnet_lite import EfficientNetLite

        self.config = config or ConceptConfig()
        variant = int(self.config.classifier.removeprefix("efficientnet-lite"))
        # Not frozen: freezing costs ~2 s at start-up and pays off only after ~100 photos, while
        # this encoder mostly tells a handful of photos from a cold process or the app.
        self.classifier = EfficientNetLite.from_file(
            weights, variant, batch_size=batch_size, freeze=False
        )
        self.space = ConceptSpace.packaged(self.config)
        self.dimension = self.space.dimension
        self.image_size = self.classifier.image_size
        self.fingerprint = concept_fingerprint(self.config, weights)

    def probabilities(self, pixels: np.ndarray) -> np.ndarray:
        """``(n, side, side, 3)`` uint8 -> ``(n, 1000)`` ImageNet class probabilities."""
        _, logits = self.classifier.predict(pixels)  # (n, 1000)
        shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
        return shifted / shifted.sum(axis=-1, keepdims=True)

    def encode_arrays(self, pixels: np.ndarray) -> np.ndarray:
        """``(n, side, side, 3)`` uint8 -> ``(n, 50)`` unit concept vectors."""
        return self.space.photo_vectors(self.probabilities(pixels))

    def describe(self, images: Sequence[Image.Image], k: int = 5) -> list[list[tuple[str, float]]]:
        """The ``k`` likeliest ImageNet classes of each photo, with probabilities (hover text)."""
        if not images:
            return []
        pixels = np.stack([self.preprocess(image) for image in images])
        return self.space.top_classes(self.probabilities(pixels), k)


class TermEncoder(ConceptEncoder):
    """Photos -> term features: the words of their likeliest ImageNet class names
    (:mod:`imgstory.features.terms`), what the VIST storytellers read."""

    name = "terms"

    def __init__(
        self,
        config: TermConfig | None = None,
        weights: str | Path | None = None,
        *,
        batch_size: int = 16,
    ) -> None:
        """Load the classifier and the term space (``config``: classifier variant, slots)."""
        self.term_config = config or TermConfig()
        super().__init__(
            ConceptConfig(classifier=self.term_config.classifier), weights, batch_size=batch_size
        )
        self.terms = TermSpace(self.term_config, self.space)
        self.dimension = self.terms.dimension
        self.fingerprint = term_fingerprint(self.term_config, weights)

    def encode_arrays(self, pixels: np.ndarray) -> np.ndarray:
        """``(n, side, side, 3)`` uint8 -> ``(n, terms * 51)`` term features."""
        return self.terms.photo_terms(self.probabilities(pixels))
