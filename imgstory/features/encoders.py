"""The encoder registry: every photo encoder has a name, an output size and one batch call.

``get_encoder("xception", weights=...)`` or ``get_encoder("handcrafted")``; nothing is chosen for
you, and TensorFlow is imported only when an Xception encoder is built.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from imgstory.errors import UserInputError


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


@dataclass(frozen=True)
class EncoderSpec:
    """What the registry knows about an encoder before building it (no heavy imports)."""

    name: str
    dimension: int
    summary: str
    uses_weights: bool
    build: Callable[..., Encoder]
    #: The fingerprint ``build(weights)`` would have, found without building (no TensorFlow);
    #: None when it cannot be known in advance (ImageNet weights not downloaded yet).
    fingerprint: Callable[[str | Path | None], str | None]


def _build_xception(
    weights: str | Path | None, *, batch_size: int | None = None, strategy: Any = None
) -> Encoder:
    from imgstory.features.xception import XceptionEncoder

    return XceptionEncoder(weights, batch_size=batch_size or 16, strategy=strategy)


def _build_handcrafted(
    weights: str | Path | None, *, batch_size: int | None = None, strategy: Any = None
) -> Encoder:
    from imgstory.features.handcrafted import HandcraftedEncoder

    if strategy not in (None, "default"):
        raise UserInputError("--strategy applies to the xception encoder only (drop it)")
    return HandcraftedEncoder()


def _build_concepts(
    weights: str | Path | None, *, batch_size: int | None = None, strategy: Any = None
) -> Encoder:
    from imgstory.features.concept_encoder import ConceptEncoder

    if strategy not in (None, "default"):
        raise UserInputError("--strategy applies to the xception encoder only (drop it)")
    return ConceptEncoder(weights=weights, batch_size=batch_size or 16)


def _concepts_fingerprint(weights: str | Path | None) -> str | None:
    from imgstory.features.concepts import ConceptConfig, concept_fingerprint

    return concept_fingerprint(ConceptConfig(), None if weights is None else str(weights))


def _xception_fingerprint(weights: str | Path | None) -> str | None:
    from imgstory.features.xception import resolve_weights, weights_fingerprint

    resolved = resolve_weights(weights)
    return weights_fingerprint(resolved) if isinstance(resolved, Path) else None


def _handcrafted_fingerprint(weights: str | Path | None) -> str | None:
    from imgstory.features.handcrafted import HandcraftedConfig

    return HandcraftedConfig().fingerprint()


ENCODERS: dict[str, EncoderSpec] = {
    "xception": EncoderSpec(
        name="xception",
        dimension=2048,
        summary="Xception (ImageNet) global-average-pooled features, 299x299 input",
        uses_weights=True,
        build=_build_xception,
        fingerprint=_xception_fingerprint,
    ),
    "concepts": EncoderSpec(
        name="concepts",
        dimension=50,
        summary=(
            "ImageNet concepts: EfficientNet-Lite0 top-5 classes mixed in GloVe-50 space (the "
            "space the VIST storytellers were trained in from text); offline, packaged weights"
        ),
        uses_weights=True,
        build=_build_concepts,
        fingerprint=_concepts_fingerprint,
    ),
    "handcrafted": EncoderSpec(
        name="handcrafted",
        dimension=544,
        summary="colour layout, HSV histograms, HOG and LBP texture; offline, no weights",
        uses_weights=False,
        build=_build_handcrafted,
        fingerprint=_handcrafted_fingerprint,
    ),
}


def encoder_spec(name: str) -> EncoderSpec:
    """The registry entry for ``name``; a clear error lists the choices for an unknown name."""
    try:
        return ENCODERS[name]
    except KeyError:
        choices = ", ".join(sorted(ENCODERS))
        raise UserInputError(f"unknown encoder {name!r}: choose one of {choices}") from None


def get_encoder(
    name: str,
    weights: str | Path | None = None,
    *,
    batch_size: int | None = None,
    strategy: Any = None,
) -> Encoder:
    """Build the encoder called ``name``.

    Args:
        name: a key of :data:`ENCODERS`.
        weights: for ``xception``, a weights file or ``"imagenet"`` (default: the environment
            variable ``IMGSTORY_XCEPTION_WEIGHTS``); must be None for encoders without weights.
        batch_size: photos per forward pass (Xception; None = its default of 16).
        strategy: Xception only: None/``"default"``, ``"mirrored"`` (all local GPUs through
            ``tf.distribute``) or a ``tf.distribute.Strategy``.

    Raises:
        UserInputError: unknown name, weights given to an encoder that has none, or Xception
            weights that cannot be found.
    """
    spec = encoder_spec(name)
    if weights is not None and not spec.uses_weights:
        raise UserInputError(f"the {name!r} encoder has no weights: drop --weights")
    encoder = spec.build(weights, batch_size=batch_size, strategy=strategy)
    if encoder.dimension != spec.dimension:
        raise RuntimeError(f"encoder {name!r} built with dimension {encoder.dimension}")
    return encoder
