"""The encoder registry: every photo encoder has a name, an output size and one batch call.

``get_encoder("xception", weights=...)`` or ``get_encoder("handcrafted")``; nothing is chosen for
you. Each concrete encoder is imported when it is built: their dependencies are heavy (TensorFlow
~5 s, scikit-image ~0.4 s), and they import only :mod:`.base`, so nothing imports back into here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from imgstory.errors import UserInputError
from imgstory.features.base import Encoder

if TYPE_CHECKING:
    import tensorflow as tf

#: Weights a builder is given: a file, ``"imagenet"`` (Xception), or None (the default ones).
Weights: TypeAlias = str | Path | None
#: How Xception spreads its work (:func:`get_encoder`'s ``strategy``); the others take none.
Strategy: TypeAlias = "str | tf.distribute.Strategy | None"

__all__ = ["ENCODERS", "Encoder", "EncoderSpec", "encoder_spec", "get_encoder"]


@dataclass(frozen=True)
class EncoderSpec:
    """What the registry knows about an encoder before building it (no heavy imports)."""

    name: str
    dimension: int
    summary: str
    uses_weights: bool
    #: ``(weights, batch size or None, strategy) -> encoder``.
    build: Callable[[Weights, int | None, Strategy], Encoder]
    #: The fingerprint ``build(weights)`` would have, found without building (no TensorFlow);
    #: None when it cannot be known in advance (ImageNet weights not downloaded yet).
    fingerprint: Callable[[Weights], str | None]
    #: Whether it can spread its work with ``tf.distribute`` (a ``strategy``).
    distributes: bool = False


def _build_xception(weights: Weights, batch_size: int | None, strategy: Strategy) -> Encoder:
    from imgstory.features.xception import XceptionEncoder

    return XceptionEncoder(weights, batch_size=batch_size or 16, strategy=strategy)


def _build_handcrafted(weights: Weights, batch_size: int | None, strategy: Strategy) -> Encoder:
    from imgstory.features.handcrafted import HandcraftedEncoder

    return HandcraftedEncoder()


def _build_concepts(weights: Weights, batch_size: int | None, strategy: Strategy) -> Encoder:
    from imgstory.features.concept_encoder import ConceptEncoder

    return ConceptEncoder(weights=weights, batch_size=batch_size or 16)


def _build_terms(weights: Weights, batch_size: int | None, strategy: Strategy) -> Encoder:
    from imgstory.features.concept_encoder import TermEncoder

    return TermEncoder(weights=weights, batch_size=batch_size or 16)


def _terms_fingerprint(weights: str | Path | None) -> str | None:
    from imgstory.features.terms import TermConfig, term_fingerprint

    return term_fingerprint(TermConfig(), None if weights is None else str(weights))


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
        distributes=True,
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
    "terms": EncoderSpec(
        name="terms",
        dimension=8 * 51,
        summary=(
            "ImageNet terms: the words of EfficientNet-Lite0's top-5 class names (up to 8), each "
            "a GloVe-50 vector and a weight: what the VIST storytellers read; offline, packaged "
            "weights"
        ),
        uses_weights=True,
        build=_build_terms,
        fingerprint=_terms_fingerprint,
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
    name: str, weights: Weights = None, *, batch_size: int | None = None, strategy: Strategy = None
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
    if strategy not in (None, "default") and not spec.distributes:
        raise UserInputError("--strategy applies to the xception encoder only (drop it)")
    encoder = spec.build(weights, batch_size, strategy)
    if encoder.dimension != spec.dimension:
        raise RuntimeError(f"encoder {name!r} built with dimension {encoder.dimension}")
    return encoder
