"""A feature store: one vector per photo id, memory-mapped, appendable, crash-safe.

A store is a folder: ``metadata.json`` (encoder, weights fingerprint, dimension, dtype, count,
dates, one checksum pair per commit), ``ids.txt`` (one photo id per line, in row order) and
``vectors.bin`` (raw row-major ``(count, dimension)`` float16 by default). An append first marks
itself pending, writes rows and ids, then commits by rewriting ``metadata.json`` atomically: an
interrupted run leaves the committed rows intact, and rows that appear without a pending append
(written behind the store's back) are refused. Opening checks that ids and rows agree and the
last commit's checksums; :meth:`FeatureStore.verify` checks every commit.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NotRequired, TypedDict, Unpack

import numpy as np

from imgstory.errors import UserInputError
from imgstory.jsonfile import json_problem

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


class CorruptStoreError(UserInputError):
    """A store whose files disagree with its metadata or checksums (``path`` names it)."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(
            f"feature store {path} is corrupt: {problem}; extract the features again into a new "
            "store (or restore the folder from a copy)"
        )
        self.path = path


#: Most rows one checksum covers (an append of more gets several), so that opening a store,
#: which checks the last one, re-reads at most this many rows.
CHECKSUM_ROWS = 4096


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _checksums(
    start: int, ids: Sequence[str], read_rows: Callable[[int, int], bytes]
) -> list[list[Any]]:
    """``[end, ids digest, vectors digest]`` per block of CHECKSUM_ROWS rows from ``start``.

    Args:
        start: the row of ``ids[0]``.
        ids: the blocks' photo ids.
        read_rows: ``(low, high) -> bytes`` of rows ``ids[low:high]`` as stored.
    """
    entries = []
    for low in range(0, len(ids), CHECKSUM_ROWS):
        high = min(low + CHECKSUM_ROWS, len(ids))
        lines = "".join(f"{photo_id}\n" for photo_id in ids[low:high]).encode("utf-8")
        entries.append([start + high, _digest(lines), _digest(read_rows(low, high))])
    return entries


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


class StoreKind(TypedDict):
    """The vectors a store holds, fixed when it is created: the encoder's name, the vector length,
    the fingerprint of the encoder's weights and the stored dtype (float16 unless given)."""

    encoder: str
    dimension: int
    weights_fingerprint: str
    dtype: NotRequired[str]


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
    def create(cls, path: str | Path, **kind: Unpack[StoreKind]) -> FeatureStore:
        """Create an empty store folder at ``path`` (which must not already hold anything) for
        the vectors ``kind`` describes."""
        path = Path(path)
        dimension, dtype = kind["dimension"], kind.get("dtype", "float16")
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
            "encoder": kind["encoder"],
            "dimension": int(dimension),
            "weights_fingerprint": kind["weights_fingerprint"],
            "dtype": dtype,
            "count": 0,
            "commits": [],
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
    def open_or_create(cls, path: str | Path, **kind: Unpack[StoreKind]) -> FeatureStore:
        """Open ``path`` to add to it (refusing another kind of vectors), or :meth:`create` it."""
        path = Path(path)
        if path.is_dir() and (path / METADATA_FILE).exists():
            store = cls.open(path)
            store.check_compatible(kind["encoder"], kind["dimension"], kind["weights_fingerprint"])
            return store
        return cls.create(path, **kind)

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
            "commits": len(self.metadata["commits"]) if "commits" in self.metadata else None,
            "bytes": sizes,
        }

    def verify(self) -> dict[str, Any]:
        """Check every commit's checksums and that no photo id repeats (reads the whole store).

        Returns:
            ``{"verified": True, "commits": n, "vectors": count}``; a store written before
            checksums existed reports ``"commits": None`` (they are added at its next write).

        Raises:
            CorruptStoreError: the first commit whose rows or ids differ from its checksums, or
                a repeated id.
        """
        self._check_files()
        repeated = [photo_id for photo_id, seen in Counter(self.ids).items() if seen > 1]
        if repeated:
            raise CorruptStoreError(
                self.path, f"photo id {repeated[0]!r} appears more than once in {IDS_FILE}"
            )
        commits = self.metadata.get("commits")
        start = 0
        for number, commit in enumerate(commits or [], start=1):
            self._check_commit(start, commit, f"commit {number} of {len(commits)}")
            start = commit[0]
        checked = None if commits is None else len(commits)
        return {"verified": True, "commits": checked, "vectors": len(self)}

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
            data = np.ascontiguousarray(stored).tobytes()
            lines = "".join(f"{photo_id}\n" for photo_id in ids).encode("utf-8")
            self.metadata["pending"] = {"count": count + len(ids)}  # rows past count are ours
            self._write_metadata()
            for name, written in ((VECTORS_FILE, data), (IDS_FILE, lines)):
                with open(self.path / name, "ab") as stream:
                    stream.write(written)
                    stream.flush()
                    os.fsync(stream.fileno())
            row_bytes = self._row_bytes()
            self._commit(
                count + len(ids),
                _checksums(count, ids, lambda low, high: data[low * row_bytes : high * row_bytes]),
            )
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
    def _commit(self, count: int, checksums: list[list[Any]]) -> None:
        """Make rows up to ``count`` part of the store, with the checksums of the new ones."""
        self.metadata.pop("pending", None)
        self.metadata.setdefault("commits", []).extend(checksums)
        self.metadata["count"] = count
        self.metadata["updated"] = _now()
        self._write_metadata()

    def _read_rows(self, low: int, high: int) -> bytes:
        """Rows ``low .. high - 1`` of ``vectors.bin`` as stored."""
        with open(self.path / VECTORS_FILE, "rb") as stream:
            stream.seek(low * self._row_bytes())
            return stream.read((high - low) * self._row_bytes())

    def _check_commit(self, start: int, commit: list[Any], what: str) -> None:
        """Rows ``start .. commit[0] - 1`` must match the commit's id and vector checksums."""
        end = commit[0]
        found = _checksums(
            start,
            self.ids[start:end],
            lambda low, high: self._read_rows(start + low, start + high),
        )
        for kind, index in (("ids", 1), ("vectors", 2)):
            if len(found) != 1 or found[0][index] != commit[index]:
                raise CorruptStoreError(
                    self.path,
                    f"the {kind} of rows {start}-{end - 1} do not match {what}'s checksum",
                )

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
        """Ids and rows agree with the count; rows past it only while an append is pending."""
        count = len(self)
        vectors_file, ids_file = self.path / VECTORS_FILE, self.path / IDS_FILE
        if not vectors_file.is_file() or not ids_file.is_file():
            raise CorruptStoreError(self.path, f"{VECTORS_FILE} or {IDS_FILE} is missing")
        row_bytes = self._row_bytes()
        extra_bytes = vectors_file.stat().st_size - count * row_bytes
        extra_ids = _line_count(ids_file) - count
        if extra_bytes < 0 or extra_ids < 0:
            raise CorruptStoreError(
                self.path, f"metadata says {count} vectors but the files hold fewer"
            )
        commits = self.metadata.get("commits")
        if commits is None:  # written before checksums: a tail is an interrupted append's
            return
        pending = self.metadata.get("pending", {}).get("count", count) - count
        if extra_bytes > pending * row_bytes or extra_ids > pending:
            raise CorruptStoreError(
                self.path,
                f"{extra_ids} id(s) and {extra_bytes / row_bytes:g} vector row(s) past the "
                f"{count} committed were written behind the store's back",
            )
        if (commits[-1][0] if commits else 0) != count:
            raise CorruptStoreError(
                self.path,
                f"{METADATA_FILE} says {count} vectors but its commits hold a different number",
            )
        if commits:
            start = commits[-2][0] if len(commits) > 1 else 0
            self._check_commit(start, commits[-1], "the last commit")

    def _drop_uncommitted(self) -> None:
        """Cut what an interrupted append wrote past the committed count (held lock only).

        A store written before checksums existed gets them here, one commit for all its rows.
        """
        count = len(self)
        vectors_file, ids_file = self.path / VECTORS_FILE, self.path / IDS_FILE
        if vectors_file.stat().st_size > count * self._row_bytes():
            with open(vectors_file, "r+b") as stream:
                stream.truncate(count * self._row_bytes())
        ids_text = "".join(f"{photo_id}\n" for photo_id in self.ids)
        if ids_file.stat().st_size != len(ids_text.encode("utf-8")):
            _atomic_write(ids_file, ids_text)
        if "commits" not in self.metadata:
            self._commit(count, _checksums(0, self.ids, self._read_rows))
        elif "pending" in self.metadata:
            del self.metadata["pending"]
            self._write_metadata()

    def _write_metadata(self) -> None:
        _atomic_write(self.path / METADATA_FILE, json.dumps(self.metadata, indent=2) + "\n")


def _line_count(path: Path) -> int:
    """Complete lines (ending in a newline) in a file, counted in 1 MB blocks."""
    lines = 0
    with open(path, "rb") as stream:
        while block := stream.read(2**20):
            lines += block.count(b"\n")
    return lines


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
    except (OSError, ValueError, RecursionError) as error:  # also deep nesting, huge numbers
        raise UserInputError(
            f"feature store {path} is corrupt: {METADATA_FILE}: {json_problem(error)}"
        ) from None
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
    commits = metadata.get("commits")
    if commits is not None and not (
        isinstance(commits, list)
        and all(isinstance(c, list) and len(c) == 3 and isinstance(c[0], int) for c in commits)
    ):
        raise UserInputError(
            f"feature store {path} is corrupt: {METADATA_FILE} has malformed 'commits'"
        )
    if metadata.get("dtype") not in DTYPES:
        raise UserInputError(
            f"feature store {path} is corrupt: unknown dtype {metadata.get('dtype')!r}"
        )
    return metadata
