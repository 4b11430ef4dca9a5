"""Features of any photos (uploads or a sequence's photos) for the Feature plots page.

Each photo is encoded with the chosen encoder (Xception or concepts) and described by its top
ImageNet classes (EfficientNet-Lite0), which the map shows as hover text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from imgstory.app.i18n import N_
from imgstory.viz.projection import project_features

ENCODERS = {
    "concepts": N_(
        "ImageNet concepts (EfficientNet-Lite0 classes in GloVe space; the VIST models read "
        "the same classes' name words)"
    ),
    "xception": N_("Xception ImageNet features (the thesis encoder, 2048-d)"),
}
ENCODER_HELP = N_(
    "Both run offline on weights installed with the app. Concepts: each photo as a mix of the "
    "word vectors of its top-5 ImageNet classes. Xception: the thesis's 2048-d pooled features."
)


@dataclass(frozen=True)
class DescribedPhotos:
    """Vectors of some photos under one encoder, and what ImageNet sees in each."""

    labels: list[str]
    vectors: np.ndarray  # (photos, dimension)
    classes: list[list[tuple[str, float]]]  # top classes and probabilities per photo

    def hover(self) -> list[str]:
        """One hover line per photo: its top ImageNet classes with probabilities."""
        return [", ".join(f"{name} {p:.0%}" for name, p in top) for top in self.classes]

    def map_points(self) -> pd.DataFrame:
        """PCA of the vectors as the feature map's points (one colour per photo)."""
        points = project_features(self.vectors, "PCA")  # (photos, 2)
        return pd.DataFrame(
            {
                "photo_id": self.labels,
                "x": points[:, 0],
                "y": points[:, 1],
                "photo": self.labels,
                "hover": self.hover(),
            }
        )


def describe_photos(encoder, concepts, images: Sequence, labels: Sequence[str]) -> DescribedPhotos:
    """Encode ``images`` with ``encoder`` and name their top ImageNet classes with ``concepts``.

    Run it on the app's model thread (it runs TensorFlow).
    """
    vectors = encoder.encode(list(images))
    classes = concepts.describe(list(images), k=5)
    return DescribedPhotos(list(labels), vectors, classes)
