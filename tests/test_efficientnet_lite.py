"""EfficientNet-Lite: the Keras port against PyTorch's logits, and the restricted state-dict reader.

The reference logits (``tests/data/efficientnet_lite_reference.json``) were computed once with real
PyTorch by ``scripts/efficientnet_reference.py`` on the committed drawn images; the reader tests
build their torch files by hand (no torch here), malicious ones included.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imgstory.errors import UserInputError
from imgstory.features.torch_state import load_state_dict
from imgstory.pretrained import installed_path, pretrained_file

DATA = Path(__file__).resolve().parent / "data"
REFERENCE = DATA / "efficientnet_lite_reference.json"
INPUTS = DATA / "efficientnet_inputs"
VARIANTS = (0, 1, 2)


def _weights_or_skip(variant: int) -> Path:
    spec = pretrained_file(f"efficientnet-lite{variant}")
    path = installed_path(spec)
    if path is None:
        pytest.skip(f"{spec.name} weights not installed: {spec.install_command}")
    return path


@pytest.fixture(scope="module")
def reference() -> dict:
    return json.loads(REFERENCE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def nets() -> dict:
    """Loaded ports, built once per variant on first use."""
    return {}


def _net(nets: dict, variant: int):
    from imgstory.features.efficientnet_lite import EfficientNetLite

    path = _weights_or_skip(variant)
    if variant not in nets:  # Lite1 runs the plain tf.function, the others the frozen graph
        nets[variant] = EfficientNetLite.from_file(path, variant, batch_size=8, freeze=variant != 1)
    return nets[variant]


# -- the port against PyTorch ----------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_logits_match_pytorch_reference(variant: int, reference: dict, nets: dict) -> None:
    from imgstory.features.efficientnet_lite import resize_photo

    net = _net(nets, variant)
    expected = reference["variants"][f"lite{variant}"]
    assert net.image_size == expected["image_size"]
    assert net.fingerprint == f"sha256:{expected['weights_sha256']}"
    names = sorted(expected["images"])
    for name in names:  # the committed inputs are the ones the reference saw
        digest = hashlib.sha256((INPUTS / name).read_bytes()).hexdigest()
        assert digest == expected["images"][name]["file_sha256"], name
    pixels = np.stack(
        [resize_photo(Image.open(INPUTS / name), net.image_size) for name in names]
    )  # (3, s, s, 3) uint8
    features, logits = net.predict(pixels)
    assert features.shape == (3, 1280) and logits.shape == (3, 1000)
    assert features.dtype == np.float32 and logits.dtype == np.float32
    for row, name in enumerate(names):
        entry = expected["images"][name]
        np.testing.assert_allclose(logits[row], entry["logits"], rtol=0, atol=1e-3, err_msg=name)
        assert [int(i) for i in np.argsort(-logits[row])[:5]] == entry["top5"], name
        np.testing.assert_allclose(features[row][:16], entry["features_first16"], atol=1e-3)


def test_parameter_count_and_batching(nets: dict) -> None:
    from imgstory.features.efficientnet_lite import resize_photo

    net = _net(nets, 0)
    # read from the file: 4,652,008 trainable (the published 4.65M) + 42,016 BN running statistics
    assert net.parameter_count == 4_652_008 + 42_016
    # each BatchNorm folded into its convolution's bias: 100 variables instead of 247
    assert net.model.count_params() == 4_631_000 and len(net.model.weights) == 100
    pixels = np.stack([resize_photo(Image.open(path), 224) for path in sorted(INPUTS.glob("*"))])
    pixels = np.concatenate([pixels] * 4)  # (12, 224, 224, 3): batches of 8 and 4
    features, logits = net.predict(pixels)
    single_features, single_logits = net.predict(pixels[:1])
    np.testing.assert_allclose(logits[9], single_logits[0], atol=1e-4)
    np.testing.assert_allclose(features[0], single_features[0], atol=1e-4)
    assert net.predict(pixels[:0])[1].shape == (0, 1000)
    with pytest.raises(ValueError, match="224"):
        net.predict(np.zeros((1, 240, 240, 3), np.uint8))


def test_preprocess_is_the_tf_lite_normalisation() -> None:
    from imgstory.features.efficientnet_lite import preprocess

    out = preprocess(np.array([[0, 127, 255]], np.uint8).repeat(3, 0).T)  # (3, 3)
    np.testing.assert_allclose(out[:, 0], [-127 / 128, 0.0, 1.0], atol=1e-7)
    assert out.dtype == np.float32


def test_config_follows_the_lite_scaling() -> None:
    from imgstory.features.efficientnet_lite import EfficientNetLiteConfig

    lite2 = EfficientNetLiteConfig.for_variant(2)
    assert (lite2.image_size, lite2.width_coefficient, lite2.depth_coefficient) == (260, 1.1, 1.2)
    blocks = lite2.blocks()
    assert len(blocks) == 21  # 1 + 3 + 3 + 4 + 4 + 5 + 1: first and last stages not repeated
    assert blocks[0].input_filters == 32 and blocks[-1].output_filters == 352
    assert [b.stride for b in blocks].count(2) == 4
    with pytest.raises(ValueError, match=r"^variant must be in \[0, 4\], got 7$"):
        EfficientNetLiteConfig.for_variant(7)


def test_config_is_checked_as_every_config_is_with_one_line_messages() -> None:
    """As ``ModelConfig``: ``check_fields`` and a ValueError naming the field and the value;
    read from a file (``config_from_json``, as the CLI reads configs) it becomes the one-line
    UserInputError that ``imgstory`` prints as ``error: ...`` with exit code 2."""
    from imgstory.configs import config_from_json
    from imgstory.features.efficientnet_lite import EfficientNetLiteConfig

    wrong = {
        "variant": (-1, "variant must be in [0, 4], got -1"),
        "image_size": (16, "image_size must be in [32, 1024], got 16"),
        "width_coefficient": (0.0, "width_coefficient must be more than 0, got 0.0"),
        "depth_coefficient": (float("nan"), "depth_coefficient must be a finite number, got nan"),
    }
    for field, (value, message) in wrong.items():
        with pytest.raises(ValueError) as raised:
            EfficientNetLiteConfig(**{field: value})
        assert str(raised.value) == message and not isinstance(raised.value, UserInputError)
    with pytest.raises(UserInputError) as raised:
        config_from_json(EfficientNetLiteConfig, {"variant": 2, "image_size": 4000}, "lite.json")
    assert str(raised.value) == "lite.json: image_size must be in [32, 1024], got 4000"
    assert EfficientNetLiteConfig.for_variant(4, image_size=320).image_size == 320


# -- the loader ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lite0_state() -> dict[str, np.ndarray]:
    return load_state_dict(_weights_or_skip(0))


@pytest.fixture(scope="module")
def lite0_model():
    from imgstory.features.efficientnet_lite import EfficientNetLiteConfig, build_efficientnet_lite

    return build_efficientnet_lite(EfficientNetLiteConfig.for_variant(0))


def test_loader_refuses_a_missing_key(lite0_state: dict, lite0_model) -> None:
    from imgstory.features.efficientnet_lite import load_state_dict_into

    broken = dict(lite0_state)
    del broken["_blocks.7._bn1.running_var"]
    with pytest.raises(UserInputError, match=r"_blocks\.7\._bn1\.running_var"):
        load_state_dict_into(lite0_model, broken)


def test_loader_refuses_a_wrong_shape_and_changes_nothing(lite0_state: dict, lite0_model) -> None:
    from imgstory.features.efficientnet_lite import load_state_dict_into

    before = lite0_model.get_layer("_fc").kernel.numpy().copy()
    broken = dict(lite0_state)
    broken["_fc.weight"] = np.zeros((10, 1280), np.float32)
    with pytest.raises(UserInputError, match=r"'_fc\.weight' has shape \(10, 1280\)"):
        load_state_dict_into(lite0_model, broken)
    np.testing.assert_array_equal(lite0_model.get_layer("_fc").kernel.numpy(), before)


def test_loader_refuses_an_unused_key(lite0_state: dict, lite0_model) -> None:
    from imgstory.features.efficientnet_lite import load_state_dict_into

    broken = dict(lite0_state, **{"_blocks.16._depthwise_conv.weight": np.zeros((1, 1, 3, 3))})
    with pytest.raises(UserInputError, match=r"_blocks\.16\._depthwise_conv\.weight"):
        load_state_dict_into(lite0_model, broken)


def test_from_file_refuses_another_variants_weights() -> None:
    from imgstory.features.efficientnet_lite import EfficientNetLite

    path = _weights_or_skip(1)
    with pytest.raises(UserInputError, match="lite1") as caught:
        EfficientNetLite.from_file(path, variant=0)
    assert "_blocks.16" in str(caught.value)  # Lite1 has 21 blocks, Lite0 16


# -- the restricted reader: hand-written torch files -----------------------------------------------


def _global(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"  # GLOBAL


def _text(value: str) -> bytes:
    raw = value.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw  # BINUNICODE


def _int(value: int) -> bytes:
    return b"J" + struct.pack("<i", value)  # BININT


def _tuple(*items: bytes) -> bytes:
    return b"(" + b"".join(items) + b"t"  # MARK ... TUPLE


def _tensor(key: str, storage: str, numel: int, offset: int, size, stride, kind="Float") -> bytes:
    """``torch._utils._rebuild_tensor_v2(<storage pid>, offset, size, stride, False, {})``."""
    pid = (
        _tuple(
            _text("storage"),
            _global("torch", f"{kind}Storage"),
            _text(storage),
            _text("cpu"),
            _int(numel),
            b"N",
        )
        + b"Q"
    )  # BINPERSID
    empty_hooks = _global("collections", "OrderedDict") + b")R"
    arguments = _tuple(
        pid,
        _int(offset),
        _tuple(*map(_int, size)),
        _tuple(*map(_int, stride)),
        b"\x89",
        empty_hooks,
    )
    return _text(key) + _global("torch._utils", "_rebuild_tensor_v2") + arguments + b"R"


def _state_pickle(entries: list[bytes]) -> bytes:
    """``OrderedDict([(key, tensor), ...])`` as protocol-2 opcodes."""
    return b"\x80\x02" + _global("collections", "OrderedDict") + b")R(" + b"".join(entries) + b"u."


def _legacy_file(state: bytes, storages: dict[str, np.ndarray]) -> bytes:
    header = b"".join(
        pickle.dumps(value, protocol=2)
        for value in (
            0x1950A86A20F9469CFC6C,
            1001,
            {"protocol_version": 1001, "little_endian": True, "type_sizes": {"int": 4}},
        )
    )
    body = pickle.dumps(list(storages), protocol=2)
    for array in storages.values():
        body += struct.pack("<q", array.size) + array.tobytes()
    return header + state + body


STORAGE = np.arange(12, dtype="<f4")
COUNTER = np.array([7], dtype="<i8")


def _good_legacy_bytes() -> bytes:
    state = _state_pickle(
        [
            _tensor("all", "0", 12, 0, (12,), (1,)),
            _tensor("view", "0", 12, 2, (2, 3), (1, 2)),  # transposed, offset view of "all"
            _tensor("bn.num_batches_tracked", "1", 1, 0, (), (), kind="Long"),
        ]
    )
    return _legacy_file(state, {"0": STORAGE, "1": COUNTER})


def test_reader_rebuilds_offsets_sizes_and_strides(tmp_path: Path) -> None:
    path = tmp_path / "good.pth"
    path.write_bytes(_good_legacy_bytes())
    state = load_state_dict(path)
    assert list(state) == ["all", "view", "bn.num_batches_tracked"]
    np.testing.assert_array_equal(state["all"], STORAGE)
    expected = np.lib.stride_tricks.as_strided(STORAGE[2:], (2, 3), (4, 8))
    np.testing.assert_array_equal(state["view"], expected)  # [[2, 4, 6], [3, 5, 7]]
    assert state["view"].flags.c_contiguous and state["view"].flags.owndata
    assert state["bn.num_batches_tracked"].shape == () and state["bn.num_batches_tracked"] == 7
    assert state["bn.num_batches_tracked"].dtype == np.int64
    assert "torch" not in sys.modules  # read without it


def test_reader_reads_the_zip_format(tmp_path: Path) -> None:
    path = tmp_path / "zipped.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", _state_pickle([_tensor("w", "0", 12, 3, (3,), (3,))]))
        archive.writestr("archive/byteorder", "little")
        archive.writestr("archive/data/0", STORAGE.tobytes())
    np.testing.assert_array_equal(load_state_dict(path)["w"], [3.0, 6.0, 9.0])


class _Evil:
    """Pickles as ``os.system("touch <marker>")``: what a hostile weights file does."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("where", ["state dict", "header", "zip"])
def test_reader_refuses_code_execution(tmp_path: Path, where: str) -> None:
    marker = tmp_path / "pwned"
    evil = pickle.dumps(_Evil(marker), protocol=2)
    assert pickle.loads(evil) == 0 and marker.exists()  # the payload does work when unpickled...
    marker.unlink()
    path = tmp_path / "evil.pth"
    if where == "state dict":
        path.write_bytes(_legacy_file(evil, {}))
    elif where == "header":
        path.write_bytes(evil + _good_legacy_bytes())
    else:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("archive/data.pkl", evil)
    with pytest.raises(UserInputError) as caught:
        load_state_dict(path)
    message = str(caught.value)
    assert str(path) in message and "refused" in message
    assert f"{os.system.__module__}.system" in message
    assert not marker.exists()  # ...but not here


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("builtins", "eval"),
        ("builtins", "getattr"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("torch", "load"),
        ("torch.nn.modules.conv", "Conv2d"),
        ("collections", "defaultdict"),
    ],
)
def test_reader_refuses_any_other_global(tmp_path: Path, module: str, name: str) -> None:
    state = b"\x80\x02" + _global(module, name) + b")R."
    path = tmp_path / "other.pth"
    path.write_bytes(_legacy_file(state, {}))
    with pytest.raises(
        UserInputError, match=rf"refused.*{module}\.{name}|{module}\.{name}.*refused"
    ):
        load_state_dict(path)


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.97])
def test_reader_refuses_a_truncated_file(tmp_path: Path, keep: float) -> None:
    good = _good_legacy_bytes()
    path = tmp_path / "cut.pth"
    path.write_bytes(good[: int(len(good) * keep)])
    with pytest.raises(UserInputError, match=r"cut\.pth: (truncated|corrupt|not a readable)"):
        load_state_dict(path)


def test_reader_refuses_the_real_file_cut_in_half(tmp_path: Path) -> None:
    source = _weights_or_skip(0)
    path = tmp_path / "half.pth"
    with open(source, "rb") as stream:
        path.write_bytes(stream.read(source.stat().st_size // 2))
    with pytest.raises(UserInputError, match=r"half\.pth: truncated torch state dict: the file "):
        load_state_dict(path)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "truncated"),
        (b"hello, not a pickle at all", "not a readable|corrupt"),
        (pickle.dumps(42, protocol=2), "wrong magic number"),
        (_legacy_file(pickle.dumps([1, 2], protocol=2), {}), "not a dict of tensors"),
        (_good_legacy_bytes() + b"junk", "unexpected bytes"),
        (
            _legacy_file(_state_pickle([_tensor("big", "0", 12, 10, (3,), (1,))]), {"0": STORAGE}),
            "reaches element 12",
        ),
    ],
)
def test_reader_explains_a_corrupt_file(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad.pth"
    path.write_bytes(content)
    with pytest.raises(UserInputError, match=reason) as caught:
        load_state_dict(path)
    assert str(path) in str(caught.value) and "Traceback" not in str(caught.value)


def test_reader_names_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UserInputError, match="not found"):
        load_state_dict(tmp_path / "nope.pth")


# -- real photos -----------------------------------------------------------------------------------


@pytest.mark.real_data
def test_real_photos_get_sensible_labels(vist_dir: Path, nets: dict) -> None:
    from imgstory.features.efficientnet_lite import imagenet_class_names
    from imgstory.images import load_image

    net = _net(nets, 0)
    names = imagenet_class_names()
    expected = {
        "249826473": "race car",
        "4390743335": "snowplow",
        "53696512": "semi-trailer truck",
        "4482338138": "military uniform",
        "4947080653": "basketball",
    }
    images = [
        load_image(vist_dir / "photos" / f"{photo}.jpg", max_side=2 * net.image_size)
        for photo in expected
    ]
    _, logits = net.predict(net.pixels(images))
    top1 = [names[int(i)] for i in logits.argmax(axis=1)]
    assert top1 == list(expected.values())
