"""The feature store: keyed reads, appends, crash safety, refusing to mix encoders."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from imgstory.errors import UserInputError
from imgstory.features.store import FeatureStore, MissingFeaturesError


def _new_store(path: Path, *, encoder: str = "handcrafted", dtype: str = "float16") -> FeatureStore:
    return FeatureStore.create(
        path, encoder=encoder, dimension=4, weights_fingerprint="fp-1", dtype=dtype
    )


def _vectors(count: int, offset: float = 0.0) -> np.ndarray:
    rows = np.arange(count * 4, dtype=np.float32).reshape(count, 4)  # (count, 4)
    return (rows / 8 + offset).astype(np.float32)


def test_append_then_get_by_key_after_reopening(tmp_path: Path) -> None:
    store = _new_store(tmp_path / "store")
    store.append(["a", "b", "c"], _vectors(3))
    store.append(["d"], _vectors(1, offset=100.0))
    reopened = FeatureStore.open(tmp_path / "store")
    assert reopened.ids == ["a", "b", "c", "d"]
    assert len(reopened) == 4 and "c" in reopened and "z" not in reopened
    got = reopened.get(["d", "a"])
    assert got.dtype == np.float32 and got.shape == (2, 4)
    np.testing.assert_array_equal(got, np.stack([_vectors(1, 100.0)[0], _vectors(3)[0]]))
    np.testing.assert_array_equal(reopened["b"], _vectors(3)[1])
    assert reopened.encoder == "handcrafted" and reopened.dimension == 4
    assert reopened.metadata["weights_fingerprint"] == "fp-1"
    assert reopened.metadata["created"] <= reopened.metadata["updated"]


def test_vectors_are_stored_compactly_and_memory_mapped(tmp_path: Path) -> None:
    store = _new_store(tmp_path / "store")
    store.append([f"p{index}" for index in range(10)], _vectors(10))
    assert (tmp_path / "store" / "vectors.bin").stat().st_size == 10 * 4 * 2  # float16
    assert isinstance(FeatureStore.open(tmp_path / "store")._memmap(), np.memmap)
    wide = _new_store(tmp_path / "wide", dtype="float32")
    wide.append(["x"], np.array([[1e-7, 7e4, -3.0, 0.1]], dtype=np.float32))
    np.testing.assert_array_equal(wide["x"], np.array([1e-7, 7e4, -3.0, 0.1], dtype=np.float32))


def test_float16_store_refuses_values_it_cannot_hold(tmp_path: Path) -> None:
    store = _new_store(tmp_path / "store")
    with pytest.raises(ValueError, match="float32"):
        store.append(["x"], np.array([[1e6, 0, 0, 0]], dtype=np.float32))
    assert len(store) == 0


def test_missing_ids_are_listed(tmp_path: Path) -> None:
    store = _new_store(tmp_path / "store")
    store.append(["a"], _vectors(1))
    with pytest.raises(MissingFeaturesError) as caught:
        store.get(["a", "nope1", "nope2"])
    assert isinstance(caught.value, KeyError) and isinstance(caught.value, UserInputError)
    assert caught.value.missing == ["nope1", "nope2"]
    assert "2 photo(s) have no features" in str(caught.value)
    assert "nope1, nope2" in str(caught.value)
    assert store.missing(["nope1", "a"]) == ["nope1"]


def test_bad_appends_are_refused(tmp_path: Path) -> None:
    store = _new_store(tmp_path / "store")
    store.append(["a"], _vectors(1))
    with pytest.raises(ValueError, match="already stored"):
        store.append(["a"], _vectors(1))
    with pytest.raises(ValueError, match="shape"):
        store.append(["b"], np.zeros((1, 5)))
    with pytest.raises(ValueError, match="repeat"):
        store.append(["b", "b"], _vectors(2))
    with pytest.raises(ValueError, match="whitespace"):
        store.append([" b"], _vectors(1))
    assert FeatureStore.open(tmp_path / "store").ids == ["a"]


def test_open_missing_or_corrupt_store_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UserInputError, match="feature store not found"):
        FeatureStore.open(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserInputError, match="not a feature store"):
        FeatureStore.open(tmp_path / "empty")
    store = _new_store(tmp_path / "store")
    store.append(["a", "b"], _vectors(2))
    (tmp_path / "store" / "metadata.json").write_text("{oops")
    with pytest.raises(UserInputError, match="corrupt"):
        FeatureStore.open(tmp_path / "store")
    other = _new_store(tmp_path / "other")
    other.append(["a", "b"], _vectors(2))
    (tmp_path / "other" / "vectors.bin").write_bytes(b"\0" * 4)  # fewer rows than committed
    with pytest.raises(UserInputError, match="metadata says 2 vectors"):
        FeatureStore.open(tmp_path / "other")


def test_interrupted_append_leaves_committed_rows_intact(tmp_path: Path, monkeypatch) -> None:
    store = _new_store(tmp_path / "store")
    store.append(["a", "b"], _vectors(2))

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # after writing rows and ids, before the metadata commit

    with monkeypatch.context() as patched:
        patched.setattr(FeatureStore, "_commit", crash)
        with pytest.raises(KeyboardInterrupt):
            store.append(["half", "written"], _vectors(2, offset=9.0))
    with open(tmp_path / "store" / "ids.txt", "a") as stream:
        stream.write("c")  # and a line cut short
    reopened = FeatureStore.open(tmp_path / "store")
    assert reopened.ids == ["a", "b"] and "half" not in reopened
    reopened.append(["c"], _vectors(1, offset=5.0))
    final = FeatureStore.open(tmp_path / "store")
    assert final.ids == ["a", "b", "c"] and "pending" not in final.metadata
    np.testing.assert_array_equal(final.get(["a", "b", "c"])[2], _vectors(1, 5.0)[0])
    assert (tmp_path / "store" / "vectors.bin").stat().st_size == 3 * 4 * 2
    assert final.verify() == {"verified": True, "commits": 2, "vectors": 3}


def _appended_behind_its_back(store: Path, ids: str, rows: int, count_too: bool) -> None:
    with open(store / "ids.txt", "a") as stream:
        stream.write(ids)
    with open(store / "vectors.bin", "ab") as stream:
        stream.write(np.ones((rows, 4), np.float16).tobytes())
    if count_too:
        metadata = json.loads((store / "metadata.json").read_text())
        metadata["count"] += rows
        (store / "metadata.json").write_text(json.dumps(metadata))


@pytest.mark.parametrize(
    ("ids", "rows", "count_too"),
    [("x\ny\n", 2, False), ("x\n", 2, False), ("x\ny\n", 1, True), ("x\ny\n", 2, True)],
    ids=["aligned rows", "more rows than ids", "count edited, misaligned", "count edited"],
)
def test_rows_appended_behind_the_stores_back_are_refused(
    tmp_path: Path, capsys, ids: str, rows: int, count_too: bool
) -> None:
    """Finding 8: ids and vectors appended by hand were accepted by `features info` and reruns."""
    from imgstory.cli import main
    from imgstory.features.store import CorruptStoreError

    store = _new_store(tmp_path / "store")
    store.append(["a", "b"], _vectors(2))
    _appended_behind_its_back(tmp_path / "store", ids, rows, count_too)
    with pytest.raises(CorruptStoreError, match="is corrupt"):
        FeatureStore.open(tmp_path / "store")
    with pytest.raises(CorruptStoreError):  # a rerun (extract, merge) adds nothing either
        store.append(["c"], _vectors(1))
    assert main(["features", "info", str(tmp_path / "store")]) == 2
    assert "is corrupt" in capsys.readouterr().err


def test_verify_checks_every_commit(tmp_path: Path, capsys) -> None:
    from imgstory.cli import main

    store = _new_store(tmp_path / "store")
    store.append(["a", "b"], _vectors(2))
    store.append(["c"], _vectors(1, offset=3.0))
    assert main(["features", "info", str(tmp_path / "store"), "--verify", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["verified"] is True and summary["commits"] == 2
    with open(tmp_path / "store" / "vectors.bin", "r+b") as stream:
        stream.write(b"\x7f")  # a byte of the first commit changes: opening checks the last
    FeatureStore.open(tmp_path / "store")
    assert main(["features", "info", str(tmp_path / "store"), "--verify"]) == 2
    assert "rows 0-1 do not match commit 1 of 2's checksum" in capsys.readouterr().err


def test_a_store_written_before_checksums_gets_them_at_its_next_write(tmp_path: Path) -> None:
    store = _new_store(tmp_path / "store")
    store.append([f"p{n}" for n in range(5)], _vectors(5))
    metadata = json.loads((tmp_path / "store" / "metadata.json").read_text())
    del metadata["commits"]
    (tmp_path / "store" / "metadata.json").write_text(json.dumps(metadata))
    legacy = FeatureStore.open(tmp_path / "store")
    assert legacy.verify()["commits"] is None
    legacy.append(["q"], _vectors(1))
    assert FeatureStore.open(tmp_path / "store").verify()["commits"] == 2


def test_mixing_encoders_is_refused(tmp_path: Path) -> None:
    _new_store(tmp_path / "store", encoder="xception")
    with pytest.raises(UserInputError, match=r"holds 'xception' features.*use another --out"):
        FeatureStore.open_or_create(
            tmp_path / "store", encoder="handcrafted", dimension=4, weights_fingerprint="fp-1"
        )
    with pytest.raises(UserInputError, match="weights fp-1"):
        FeatureStore.open_or_create(
            tmp_path / "store", encoder="xception", dimension=4, weights_fingerprint="fp-2"
        )
    same = FeatureStore.open_or_create(
        tmp_path / "store", encoder="xception", dimension=4, weights_fingerprint="fp-1"
    )
    assert same.encoder == "xception"
    with pytest.raises(UserInputError, match="already exists"):
        _new_store(tmp_path / "store")


def test_a_second_writer_is_refused_while_the_first_holds_the_lock(tmp_path: Path) -> None:
    first = _new_store(tmp_path / "store")
    second = FeatureStore.open(tmp_path / "store")
    with first.locked():
        first.append(["a"], _vectors(1))
        with pytest.raises(UserInputError, match="another process is writing"):
            second.append(["b"], _vectors(1))
    second.append(["b"], _vectors(1))  # sees the first writer's commit
    assert FeatureStore.open(tmp_path / "store").ids == ["a", "b"]


def test_merge_keeps_existing_and_adds_the_rest(tmp_path: Path) -> None:
    left, right = _new_store(tmp_path / "left"), _new_store(tmp_path / "right")
    left.append(["a", "b"], _vectors(2))
    right.append(["b", "c"], _vectors(2, offset=50.0))
    assert left.merge_from(right) == 1
    assert left.ids == ["a", "b", "c"]
    np.testing.assert_array_equal(left["b"], _vectors(2)[1])  # not overwritten
    np.testing.assert_array_equal(left["c"], _vectors(2, 50.0)[1])
    foreign = _new_store(tmp_path / "foreign", encoder="xception")
    with pytest.raises(UserInputError, match="holds 'xception'"):
        left.merge_from(foreign)


def test_summary_and_metadata_file(tmp_path: Path) -> None:
    store = _new_store(tmp_path / "store")
    store.append(["a"], _vectors(1))
    summary = store.summary()
    assert {key: summary[key] for key in ("count", "dimension", "encoder")} == {
        "count": 1,
        "dimension": 4,
        "encoder": "handcrafted",
    }
    on_disk = json.loads((tmp_path / "store" / "metadata.json").read_text())
    assert on_disk["format"] == "imgstory-features" and on_disk["count"] == 1
