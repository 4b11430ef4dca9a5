"""The Xception encoder with a local weights file (random weights: right shapes, not semantics)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imgstory.errors import UserInputError
from imgstory.features import xception
from imgstory.features.encoders import get_encoder
from imgstory.features.extract import extract_features
from imgstory.features.store import FeatureStore

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised Xception's weights saved as a local ``.weights.h5`` (80 MiB)."""
    import keras

    path = tmp_path_factory.mktemp("xception") / "random.weights.h5"
    keras.utils.set_random_seed(0)
    keras.applications.Xception(include_top=False, weights=None, pooling="avg").save_weights(path)
    return path


@pytest.fixture(scope="module")
def encoder(weights_file: Path) -> xception.XceptionEncoder:
    built = get_encoder("xception", weights=weights_file, batch_size=8)
    assert isinstance(built, xception.XceptionEncoder)
    return built


def _photos(count: int, seed: int = 0) -> list[Image.Image]:
    rng = np.random.default_rng(seed)
    return [
        Image.fromarray(rng.integers(0, 256, (180 + 20 * index, 240, 3), dtype=np.uint8))
        for index in range(count)
    ]


def test_encoder_matches_keras_own_loading_and_predict(
    encoder: xception.XceptionEncoder, weights_file: Path
) -> None:
    import keras

    photos = _photos(3)
    ours = encoder.encode(photos)
    assert ours.shape == (3, 2048) and ours.dtype == np.float32
    reference_model = keras.applications.Xception(
        include_top=False, weights=str(weights_file), pooling="avg"
    )
    resized = np.stack(
        [np.asarray(photo.resize((299, 299), Image.Resampling.BILINEAR)) for photo in photos]
    )
    scaled = keras.applications.xception.preprocess_input(resized.astype("float32"))
    expected = reference_model.predict(scaled, verbose=0)
    np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-9)
    assert np.abs(ours[0] - ours[1]).max() > 0  # different photos, different vectors


def test_fingerprint_is_the_weights_file_hash(
    encoder: xception.XceptionEncoder, weights_file: Path
) -> None:
    import hashlib

    digest = hashlib.sha256(weights_file.read_bytes()).hexdigest()[:16]
    assert encoder.fingerprint == f"sha256:{digest}"
    assert encoder.dimension == 2048 and encoder.image_size == 299


def test_weights_from_environment_variable(
    weights_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(xception.WEIGHTS_ENV, str(weights_file))
    assert xception.resolve_weights(None) == weights_file


def test_imagenet_uses_the_keras_cache_when_present(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert xception.resolve_weights("imagenet") == "imagenet"  # Keras would download it
    cached = tmp_path / "models" / xception.IMAGENET_NOTOP_FILE
    cached.parent.mkdir()
    cached.write_bytes(b"placeholder")
    assert xception.resolve_weights("imagenet") == cached


def test_weights_of_another_model_are_refused(tmp_path: Path) -> None:
    import keras

    other = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    other.save_weights(tmp_path / "tiny.weights.h5")
    with pytest.raises(UserInputError, match=r"tiny\.weights\.h5 does not load into Xception"):
        get_encoder("xception", weights=tmp_path / "tiny.weights.h5")
    (tmp_path / "weights.txt").write_text("x")
    with pytest.raises(UserInputError, match="must be a Keras weights file"):
        get_encoder("xception", weights=tmp_path / "weights.txt")


@pytest.mark.real_data
def test_real_vist_photos_give_60_vectors_of_2048_once(
    vist_dir: Path, weights_file: Path, encoder: xception.XceptionEncoder, tmp_path: Path
) -> None:
    photos = sorted((vist_dir / "photos").glob("*.jpg"))
    first = extract_features(
        photos, tmp_path / "store", "xception", encoder=encoder, progress=False
    )
    assert (first.stored, first.unreadable) == (60, [])
    again = extract_features(
        photos, tmp_path / "store", "xception", encoder=encoder, progress=False
    )
    assert (again.stored, again.skipped_existing) == (0, 60)
    store = FeatureStore.open(tmp_path / "store")
    vectors = store.get(store.ids)
    assert vectors.shape == (60, 2048) and np.isfinite(vectors).all()
    assert store.encoder == "xception" and store.weights_fingerprint == encoder.fingerprint
    direct = encoder.encode([Image.open(photos[0]).convert("RGB")])[0]
    np.testing.assert_allclose(store[photos[0].stem], direct, rtol=2e-3, atol=1e-7)  # float16


MIRRORED_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path

    import tensorflow as tf

    # Two logical CPU devices, configured before TensorFlow initialises its runtime.
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

    import numpy as np
    from PIL import Image

    from imgstory.features.extract import extract_features

    folder, weights = Path(sys.argv[1]), sys.argv[2]
    rng = np.random.default_rng(0)
    photos = {}
    for index in range(3):  # odd: the last per-device slice must be padded
        photos[str(index)] = folder / f"{index}.png"
        Image.fromarray(rng.integers(0, 256, (90, 120, 3), dtype=np.uint8)).save(photos[str(index)])
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    extract_features(
        photos, folder / "mirrored", "xception", strategy=strategy, weights=weights,
        batch_size=4, progress=False, dtype="float32",
    )
    print(json.dumps({"replicas": strategy.num_replicas_in_sync, "photos": photos}, default=str))
    """
)


def test_mirrored_strategy_on_two_logical_cpus_gives_the_same_features(
    weights_file: Path, encoder: xception.XceptionEncoder, tmp_path: Path
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", MIRRORED_SCRIPT, str(tmp_path), str(weights_file)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["replicas"] == 2
    photos = outcome["photos"]  # the single-device reference: this process's encoder
    extract_features(
        photos, tmp_path / "single", "xception", encoder=encoder, progress=False, dtype="float32"
    )
    ids = sorted(photos)
    mirrored = FeatureStore.open(tmp_path / "mirrored").get(ids)
    single = FeatureStore.open(tmp_path / "single").get(ids)
    assert mirrored.shape == (3, 2048)
    assert np.abs(mirrored - single).max() <= 1e-4 * np.abs(single).max()
