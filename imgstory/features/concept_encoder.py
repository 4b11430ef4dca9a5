"""The ``concepts`` photo encoder: EfficientNet-Lite ImageNet probabilities -> concept vectors.

Each photo becomes the GloVe mixture of its top ImageNet classes (see ``features.concepts``),
the space text-only VIST storytellers were trained in; the class names are kept for display.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from imgstory.features.base import Encoder
from imgstory.features.concepts import ConceptConfig, ConceptSpace, concept_fingerprint


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
