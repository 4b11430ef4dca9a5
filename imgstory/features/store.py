"""A feature store: one vector per photo id, memory-mapped, appendable, crash-safe.

A store is a folder: ``metadata.json`` (encoder, weights fingerprint, dimension, dtype, count,
dates), ``ids.txt`` (one photo id per line, in row order) and ``vectors.bin`` (raw row-major
``(count, dimension)`` float16 by default). Appends write rows and ids first, then commit by
rewriting ``metadata.json`` atomically, so an interrupted run leaves the committed rows intact.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from imgstory.errors import UserInputError

try:
    import fcntl
except ImportError:  # not POSIX: no cross-process lock, appends are still crash-safe
    fcntl = None

STORE_FORMAT = "imgstory-features"
FORMAT_VERSION = 1
METADATA_FILE = "metadata.json"
IDS_FILE = "ids.txt"
VECTORS_FILE = "vectors.bin"
LOCK_FILE = ".lock"
DTYPES = ("float16", "float32")


class MissingFeaturesError(UserInputError, KeyError):
    """Some requested photo ids are not in the store (``missing`` lists them)."""

    def __init__(self, store_path: Path, missing: Sequence[str]) -> None:
        shown = ", ".join(missing[:10]) + (
            f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        )
        super().__init__(
            f"{len(missing)} photo(s) have no features in {store_path}: {shown}; run "
            f"`imgstory features extract` on their images with --out {store_path}"
        )
        self.missing = list(missing)

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class FeatureStore:
    """Photo id -> feature vector, read by key without loading the whole file.

    Use :meth:`create`, :meth:`open` or :meth:`open_or_create`; not the constructor.
    """

    def __init__(self, path: Path, metadata: dict[str, Any]) -> None:
        self.path = path
        self.metadata = metadata
        self._ids: list[str] | None = None
        self._rows: dict[str, int] | None = None
        self._vectors: np.ndarray | None = None
        self._lock_depth = 0
        self._lock_stream: Any = None

    # ----------------------------------------------------------------- creating and opening
    @classmethod
    def create(
        cls,
        path: str | Path,
        *,
        encoder: str,
        dimension: int,
        weights_fingerprint: str,
        dtype: str = "float16",
    ) -> FeatureStore:
        """Create an empty store folder at ``path`` (which must not already hold anything)."""
        path = Path(path)
        if dimension < 1:
            raise ValueError(f"dimension must be positive, got {dimension}")
        if dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {DTYPES}, got {dtype!r}")
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise UserInputError(f"cannot create a feature store at {path}: it already exists")
        path.mkdir(parents=True, exist_ok=True)
        (path / IDS_FILE).touch()
        (path / VECTORS_FILE).touch()
        created = _now()
        metadata = {
            "format": STORE_FORMAT,
            "version": FORMAT_VERSION,
            "encoder": encoder,
            "dimension": int(dimension),
            "weights_fingerprint": weights_fingerprint,
            "dtype": dtype,
            "count": 0,
            "created": created,
            "updated": created,
        }
        store = cls(path, metadata)
        store._write_metadata()
        return store

    @classmethod
    def open(cls, path: str | Path) -> FeatureStore:
        """Open an existing store; a clear :class:`UserInputError` if missing or corrupt."""
        path = Path(path)
        if not path.exists():
            raise UserInputError(
                f"feature store not found: {path} (create it with `imgstory features extract "
                f"--images DIR --out {path} --encoder NAME`)"
            )
        metadata = _read_metadata(path)
        store = cls(path, metadata)
        store._check_files()
        return store

    @classmethod
    def open_or_create(
        cls,
        path: str | Path,
        *,
        encoder: str,
        dimension: int,
        weights_fingerprint: str,
        dtype: str = "float16",
    ) -> FeatureStore:
        """Open ``path`` to add to it (refusing another encoder's store), or create it."""
        path = Path(path)
        if path.is_dir() and (path / METADATA_FILE).exists():
            store = cls.open(path)
            store.check_compatible(encoder, dimension, weights_fingerprint)
            return store
        return cls.create(
            path,
            encoder=encoder,
            dimension=dimension,
            weights_fingerprint=weights_fingerprint,
            dtype=dtype,
        )

    def check_compatible(self, encoder: str, dimension: int, weights_fingerprint: str) -> None:
        """Refuse to mix features of another encoder, dimension or weights in this store."""
        mine = (self.encoder, self.dimension, self.weights_fingerprint)
        theirs = (encoder, int(dimension), weights_fingerprint)
        if mine != theirs:
            raise UserInputError(
                f"feature store {self.path} holds {self.encoder!r} features (dimension "
                f"{self.dimension}, weights {self.weights_fingerprint}); these are {encoder!r} "
                f"(dimension {dimension}, weights {weights_fingerprint}): use another --out path"
            )

    # ------------------------------------------------------------------------- properties
    @property
    def encoder(self) -> str:
        """Name of the encoder that produced these features."""
        return str(self.metadata["encoder"])

    @property
    def dimension(self) -> int:
        """Length of each vector."""
        return int(self.metadata["dimension"])

    @property
    def weights_fingerprint(self) -> str:
        """Fingerprint of the encoder's weights/parameters."""
        return str(self.metadata["weights_fingerprint"])

    @property
    def dtype(self) -> np.dtype:
        """On-disk element type (vectors are returned as float32)."""
        return np.dtype(self.metadata["dtype"])

    @property
    def ids(self) -> list[str]:
        """Photo ids in row order (the store's own list: read it, do not modify it)."""
        if self._ids is None:
            count = len(self)
            with open(self.path / IDS_FILE, encoding="utf-8") as stream:
                lines = stream.read().split("\n")
            self._ids = lines[:count]
        return self._ids

    def __len__(self) -> int:
        return int(self.metadata["count"])

    def __contains__(self, photo_id: object) -> bool:
        return photo_id in self._row_index()

    def __repr__(self) -> str:
        return f"FeatureStore({str(self.path)!r}, encoder={self.encoder!r}, count={len(self)})"

    def summary(self) -> dict[str, Any]:
        """What ``imgstory features info`` prints: count, dimension, encoder and the rest."""
        sizes = sum(file.stat().st_size for file in self.path.iterdir() if file.is_file())
        return {
            "path": str(self.path),
            "count": len(self),
            "dimension": self.dimension,
            "encoder": self.encoder,
            "weights_fingerprint": self.weights_fingerprint,
            "dtype": self.metadata["dtype"],
            "created": self.metadata.get("created"),
            "updated": self.metadata.get("updated"),
            "bytes": sizes,
        }

    # ---------------------------------------------------------------------------- reading
    def missing(self, ids: Sequence[str]) -> list[str]:
        """The ids among ``ids`` that have no vector here, in the order given."""
        rows = self._row_index()
        return [photo_id for photo_id in ids if photo_id not in rows]

    def get(self, ids: Sequence[str]) -> np.ndarray:
        """Vectors of ``ids`` as float32 ``(len(ids), dimension)``, reading only those rows.

        Raises:
            MissingFeaturesError: (a ``KeyError`` and a ``UserInputError``) listing missing ids.
        """
        rows = self._row_index()
        missing = [photo_id for photo_id in ids if photo_id not in rows]
        if missing:
            raise MissingFeaturesError(self.path, missing)
        if not ids:
            return np.zeros((0, self.dimension), dtype=np.float32)
        positions = np.fromiter((rows[photo_id] for photo_id in ids), dtype=np.int64)
        return np.asarray(self._memmap()[positions], dtype=np.float32)  # (n, dimension)

    def __getitem__(self, photo_id: str) -> np.ndarray:
        """One photo's vector, float32 ``(dimension,)``."""
        return self.get([photo_id])[0]

    def iter_batches(self, batch_size: int = 4096) -> Iterator[tuple[list[str], np.ndarray]]:
        """All ``(ids, float32 vectors)`` in row order, ``batch_size`` rows at a time."""
        ids, vectors = self.ids, self._memmap()
        for start in range(0, len(ids), batch_size):
            chunk = vectors[start : start + batch_size]
            yield ids[start : start + batch_size], np.asarray(chunk, dtype=np.float32)

    # ---------------------------------------------------------------------------- writing
    @contextlib.contextmanager
    def locked(self) -> Iterator[FeatureStore]:
        """Hold the store's writer lock (refused at once if another process holds it)."""
        if self._lock_depth == 0:
            self._acquire_lock()
        self._lock_depth += 1
        try:
            yield self
        finally:
            self._lock_depth -= 1
            if self._lock_depth == 0:
                self._release_lock()

    def _acquire_lock(self) -> None:
        if fcntl is not None:
            stream = open(self.path / LOCK_FILE, "a")  # noqa: SIM115
            try:
                fcntl.flock(stream, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                stream.close()
                raise UserInputError(
                    f"another process is writing to feature store {self.path}: wait for it to "
                    "finish, or give each shard its own --out and merge them afterwards"
                ) from None
            self._lock_stream = stream
        try:
            self._reload()  # another process may have committed since we last looked
            self._drop_uncommitted()
        except BaseException:
            self._release_lock()
            raise

    def _release_lock(self) -> None:
        if self._lock_stream is not None:
            self._lock_stream.close()
            self._lock_stream = None

    def append(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        """Add new photos' vectors, ``(len(ids), dimension)``; committed when this returns.

        Raises:
            ValueError: wrong shape, non-finite values, bad or duplicate ids (already stored ids
                are refused, never overwritten).
        """
        ids = list(ids)
        vectors = np.asarray(vectors)
        if vectors.shape != (len(ids), self.dimension):
            raise ValueError(
                f"expected vectors of shape ({len(ids)}, {self.dimension}), got {vectors.shape}"
            )
        if not ids:
            return
        for photo_id in ids:
            if not photo_id or photo_id != photo_id.strip() or "\n" in photo_id:
                raise ValueError(f"photo id {photo_id!r} is empty or has whitespace at its ends")
        if len(set(ids)) != len(ids):
            raise ValueError("photo ids repeat within one append")
        with np.errstate(over="ignore"):  # overflow is reported just below
            stored = np.asarray(vectors, dtype=self.dtype)
        if not np.isfinite(stored).all():
            raise ValueError(
                f"vectors are not finite once stored as {self.dtype} (too large for float16? "
                "create the store with dtype='float32')"
            )
        with self.locked():
            rows = self._row_index()
            already = [photo_id for photo_id in ids if photo_id in rows]
            if already:
                raise ValueError(f"{len(already)} photo id(s) already stored, e.g. {already[0]}")
            count = len(self)
            with open(self.path / VECTORS_FILE, "ab") as stream:
                stream.write(np.ascontiguousarray(stored).tobytes())
                stream.flush()
                os.fsync(stream.fileno())
            with open(self.path / IDS_FILE, "a", encoding="utf-8") as stream:
                stream.write("".join(f"{photo_id}\n" for photo_id in ids))
                stream.flush()
                os.fsync(stream.fileno())
            self.metadata["count"] = count + len(ids)
            self.metadata["updated"] = _now()
            self._write_metadata()
            # Extend the caches rather than re-reading: appends stay O(batch), not O(store).
            self.ids.extend(ids)
            rows.update((photo_id, count + offset) for offset, photo_id in enumerate(ids))
            self._vectors = None

    def merge_from(self, other: FeatureStore) -> int:
        """Append ``other``'s photos not yet here (same encoder and weights); return how many."""
        other.check_compatible(self.encoder, self.dimension, self.weights_fingerprint)
        added = 0
        with self.locked():
            for ids, vectors in other.iter_batches():
                keep = [index for index, photo_id in enumerate(ids) if photo_id not in self]
                if keep:
                    self.append([ids[index] for index in keep], vectors[keep])
                    added += len(keep)
        return added

    # ---------------------------------------------------------------------------- internals
    def _row_index(self) -> dict[str, int]:
        if self._rows is None:
            self._rows = {photo_id: row for row, photo_id in enumerate(self.ids)}
        return self._rows

    def _memmap(self) -> np.ndarray:
        if self._vectors is None:
            if len(self) == 0:
                self._vectors = np.zeros((0, self.dimension), dtype=self.dtype)
            else:
                self._vectors = np.memmap(
                    self.path / VECTORS_FILE,
                    dtype=self.dtype,
                    mode="r",
                    shape=(len(self), self.dimension),
                )
        return self._vectors

    def _forget_cache(self) -> None:
        self._ids = self._rows = self._vectors = None

    def _reload(self) -> None:
        self.metadata = _read_metadata(self.path)
        self._forget_cache()
        self._check_files()

    def _row_bytes(self) -> int:
        return self.dimension * self.dtype.itemsize

    def _check_files(self) -> None:
        count = len(self)
        vectors_file, ids_file = self.path / VECTORS_FILE, self.path / IDS_FILE
        if not vectors_file.is_file() or not ids_file.is_file():
            raise UserInputError(
                f"feature store {self.path} is corrupt: {VECTORS_FILE} or {IDS_FILE} is missing"
            )
        if vectors_file.stat().st_size < count * self._row_bytes() or len(self.ids) < count:
            raise UserInputError(
                f"feature store {self.path} is corrupt: metadata says {count} vectors but the "
                "files hold fewer; delete the folder and extract again"
            )

    def _drop_uncommitted(self) -> None:
        """Cut what an interrupted append wrote past the committed count (held lock only)."""
        count = len(self)
        vectors_file, ids_file = self.path / VECTORS_FILE, self.path / IDS_FILE
        if vectors_file.stat().st_size > count * self._row_bytes():
            with open(vectors_file, "r+b") as stream:
                stream.truncate(count * self._row_bytes())
        ids_text = "".join(f"{photo_id}\n" for photo_id in self.ids)
        if ids_file.stat().st_size != len(ids_text.encode("utf-8")):
            _atomic_write(ids_file, ids_text)

    def _write_metadata(self) -> None:
        _atomic_write(self.path / METADATA_FILE, json.dumps(self.metadata, indent=2) + "\n")


def _atomic_write(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "w", encoding="utf-8") as stream:
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, path)


def _read_metadata(path: Path) -> dict[str, Any]:
    metadata_file = path / METADATA_FILE
    if not metadata_file.is_file():
        raise UserInputError(f"{path} is not a feature store: it has no {METADATA_FILE}")
    try:
        metadata = json.loads(metadata_file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UserInputError(f"feature store {path} is corrupt: {METADATA_FILE}: {error}") from None
    if not isinstance(metadata, dict) or metadata.get("format") != STORE_FORMAT:
        raise UserInputError(f"{path} is not a feature store ({METADATA_FILE} has another format)")
    if metadata.get("version") != FORMAT_VERSION:
        raise UserInputError(
            f"feature store {path} has format version {metadata.get('version')}; this imgstory "
            f"reads version {FORMAT_VERSION}: extract the features again"
        )
    required = {"encoder": str, "dimension": int, "weights_fingerprint": str, "count": int}
    for field, kind in required.items():
        if not isinstance(metadata.get(field), kind):
            raise UserInputError(
                f"feature store {path} is corrupt: {METADATA_FILE} lacks {field!r}"
            )
    if metadata.get("dtype") not in DTYPES:
        raise UserInputError(
            f"feature store {path} is corrupt: unknown dtype {metadata.get('dtype')!r}"
        )
    return metadata
