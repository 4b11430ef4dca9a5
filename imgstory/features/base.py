"""The photo-encoder interface: a name, an output size, a fingerprint and one batch call.

Every concrete encoder (:mod:`.xception`, :mod:`.handcrafted`, :mod:`.concept_encoder`)
subclasses :class:`Encoder`; the registry (:mod:`.encoders`) builds them by name.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np
from PIL import Image


class Encoder(ABC):
    """Turns photos into fixed-size float32 vectors.

    Attributes:
        name: registry name (``"xception"``, ``"handcrafted"``).
        dimension: length of each output vector.
        image_size: side of the square, in pixels, each photo is resized to before encoding.
        fingerprint: identifies the exact weights/parameters; stores refuse mixing fingerprints.
    """

    name: str
    dimension: int
    image_size: int
    fingerprint: str

    def preprocess(self, image: Image.Image) -> np.ndarray:
        """One RGB photo -> ``(image_size, image_size, 3)`` uint8, ready for :meth:`encode_arrays`.

        The photo is resized to the square without cropping (as the thesis pipeline did).
        """
        side = self.image_size
        if image.mode != "RGB":
            image = image.convert("RGB")
        resized = image.resize((side, side), Image.Resampling.BILINEAR)
        return np.asarray(resized, dtype=np.uint8)  # (side, side, 3)

    @abstractmethod
    def encode_arrays(self, pixels: np.ndarray) -> np.ndarray:
        """A batch of preprocessed photos ``(n, side, side, 3)`` uint8 -> ``(n, dimension)``."""

    def encode(self, images: Sequence[Image.Image]) -> np.ndarray:
        """RGB photos (e.g. from :func:`imgstory.images.load_image`) -> ``(n, dimension)``."""
        if not images:
            return np.zeros((0, self.dimension), dtype=np.float32)
        pixels = np.stack([self.preprocess(image) for image in images])  # (n, side, side, 3)
        return self.encode_arrays(pixels)
