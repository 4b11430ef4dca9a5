"""Batch feature extraction: decode photos in parallel with the encoder, append to a store, resume.

Photos already in the store are skipped; encoded rows are committed every few hundred photos or
seconds and whenever the run stops (an interrupted run keeps what it did); unreadable photos are
reported with their reason and skipped; ``shard=(i, n)`` splits the photo list between machines.
"""

from __future__ import annotations

import time
import zlib
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from imgstory.errors import UserInputError
from imgstory.features.encoders import Encoder, EncoderSpec, encoder_spec, get_encoder
from imgstory.features.store import METADATA_FILE, FeatureStore
from imgstory.images import PHOTO_SUFFIXES, ImageLoadError, load_image
from imgstory.progress import ProgressBar

if TYPE_CHECKING:
    import tensorflow as tf

DEFAULT_BATCH_SIZE = 16
COMMIT_PHOTOS = 256
COMMIT_SECONDS = 10.0


@dataclass
class ExtractionReport:
    """What one extraction run did."""

    store_path: Path
    encoder: str
    photos: int
    stored: int = 0
    skipped_existing: int = 0
    unreadable: list[tuple[Path, str]] = field(default_factory=list)
    seconds: float = 0.0
    shard: tuple[int, int] | None = None

    @property
    def images_per_second(self) -> float:
        """Photos decoded and encoded per second (unreadable ones included)."""
        processed = self.stored + len(self.unreadable)
        return processed / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (what ``features extract --json`` prints)."""
        return {
            "store": str(self.store_path),
            "encoder": self.encoder,
            "photos": self.photos,
            "stored": self.stored,
            "skipped_existing": self.skipped_existing,
            "unreadable": [
                {"path": str(path), "reason": reason} for path, reason in self.unreadable
            ],
            "seconds": round(self.seconds, 3),
            "images_per_second": round(self.images_per_second, 2),
            "shard": f"{self.shard[0]}/{self.shard[1]}" if self.shard else None,
        }


def list_photos(images_dir: str | Path) -> dict[str, Path]:
    """Image files under ``images_dir`` (recursively), keyed by file stem (VIST: the photo id).

    Files are recognised by suffix (``.jpg``, ``.png``, ...); whether they really are images is
    found out when they are read.

    Raises:
        UserInputError: the folder is missing, or two files share a stem.
    """
    images_dir = Path(images_dir)
    if not images_dir.is_dir():
        raise UserInputError(f"images folder not found: {images_dir} (check --images)")
    photos: dict[str, Path] = {}
    for path in sorted(images_dir.rglob("*")):
        if path.suffix.lower() not in PHOTO_SUFFIXES or not path.is_file():
            continue
        if path.stem in photos:
            raise UserInputError(
                f"two photos share the id {path.stem!r}: {photos[path.stem]} and {path}; "
                "photos are keyed by file name, so rename or remove one"
            )
        photos[path.stem] = path
    return photos


def parse_shard(text: str | tuple[int, int] | None) -> tuple[int, int] | None:
    """``"i/N"`` -> ``(i, N)`` with ``0 <= i < N``; None stays None."""
    if text is None or isinstance(text, tuple):
        shard = text
    else:
        try:
            index_text, count_text = text.split("/")
            shard = (int(index_text), int(count_text))
        except ValueError:
            raise UserInputError(f"--shard must look like i/N (e.g. 0/4), got {text!r}") from None
    if shard is not None and not 0 <= shard[0] < shard[1]:
        raise UserInputError(f"--shard i/N needs 0 <= i < N, got {shard[0]}/{shard[1]}")
    return shard


def in_shard(photo_id: str, shard: tuple[int, int]) -> bool:
    """Whether ``photo_id`` belongs to ``shard``: a stable hash, so shards never overlap."""
    return zlib.crc32(photo_id.encode("utf-8")) % shard[1] == shard[0]


def extract_features(
    photos: Mapping[str, Path] | Sequence[Path],
    store_path: str | Path,
    encoder_name: str,
    *,
    weights: str | Path | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = True,
    shard: str | tuple[int, int] | None = None,
    strategy: str | tf.distribute.Strategy | None = None,
    encoder: Encoder | None = None,
    dtype: str = "float16",
    decode_threads: int = 2,
) -> ExtractionReport:
    """Encode every photo not yet in the store at ``store_path`` and append its vector.

    Args:
        photos: photo id -> file, or files (keyed by stem).
        store_path: the feature store folder (created if absent; must hold this encoder's features).
        encoder_name: a registry name (``"xception"``, ``"handcrafted"``); never guessed.
        weights: Xception weights (see :func:`imgstory.features.encoders.get_encoder`).
        batch_size: photos decoded and encoded per step.
        progress: show a progress bar with photos/s and ETA on stderr.
        shard: ``"i/N"`` or ``(i, N)``: only this part of the photo list.
        strategy: Xception only: ``"mirrored"`` or a ``tf.distribute.Strategy``.
        encoder: an already built encoder of ``encoder_name`` (reuse across calls).
        dtype: element type of a new store (``"float16"`` halves the size).
        decode_threads: threads reading and resizing photos while the encoder runs.

    Returns:
        The :class:`ExtractionReport`; unreadable photos are listed there, not raised.
    """
    if batch_size < 1:
        raise UserInputError(f"--batch-size must be at least 1, got {batch_size}")
    spec = encoder_spec(encoder_name)
    by_id = _photos_by_id(photos)
    shard = parse_shard(shard)
    if shard is not None:
        by_id = {photo_id: path for photo_id, path in by_id.items() if in_shard(photo_id, shard)}
    if encoder is None and _already_complete(store_path, spec, weights, by_id):
        # Nothing to do: answer without building the encoder (no TensorFlow, no weights loaded).
        report = ExtractionReport(Path(store_path), spec.name, photos=len(by_id), shard=shard)
        report.skipped_existing = len(by_id)
        return report
    if encoder is None:
        encoder = get_encoder(encoder_name, weights, batch_size=batch_size, strategy=strategy)
    elif encoder.name != spec.name:
        raise ValueError(f"encoder {encoder.name!r} given for encoder_name {encoder_name!r}")
    store = FeatureStore.open_or_create(
        store_path,
        encoder=encoder.name,
        dimension=encoder.dimension,
        weights_fingerprint=encoder.fingerprint,
        dtype=dtype,
    )
    report = ExtractionReport(Path(store_path), encoder.name, photos=len(by_id), shard=shard)
    with store.locked():
        todo = [(photo_id, path) for photo_id, path in by_id.items() if photo_id not in store]
        report.skipped_existing = len(by_id) - len(todo)
        pending = _PendingRows(store, report)
        started = time.perf_counter()
        _encode_photos(todo, encoder, pending, batch_size, decode_threads, progress)
        report.seconds = time.perf_counter() - started
    return report


def _encode_photos(
    todo: list[tuple[str, Path]],
    encoder: Encoder,
    pending: _PendingRows,
    batch_size: int,
    decode_threads: int,
    progress: bool,
) -> None:
    """Decode ``todo`` on ``decode_threads`` threads and encode it a batch at a time into
    ``pending``; unreadable photos go to its report. What is encoded is committed to the store
    also when interrupted."""
    report = pending.report
    try:
        with ProgressBar(
            len(todo), f"{encoder.name} features", unit="photo", enabled=progress
        ) as bar:
            for batch in _decoded_batches(todo, encoder, batch_size, decode_threads):
                decoded = [
                    (photo_id, out) for photo_id, _, out in batch if not isinstance(out, str)
                ]
                report.unreadable.extend(
                    (path, out) for _, path, out in batch if isinstance(out, str)
                )
                if decoded:
                    pixels = np.stack([out for _, out in decoded])  # (batch, side, side, 3)
                    pending.add(
                        [photo_id for photo_id, _ in decoded], encoder.encode_arrays(pixels)
                    )
                bar.update(len(batch))
                if report.unreadable:
                    bar.show(unreadable=len(report.unreadable))
    finally:
        pending.commit()  # also when interrupted: keep every photo already encoded


def _already_complete(
    store_path: str | Path, spec: EncoderSpec, weights: str | Path | None, by_id: Mapping[str, Path]
) -> bool:
    """Whether the store holds this encoder's features (same fingerprint) for every photo."""
    if weights is not None and not spec.uses_weights:
        return False  # let get_encoder explain the mistake
    if not (Path(store_path) / METADATA_FILE).is_file():
        return False
    store = FeatureStore.open(store_path)
    if store.missing(list(by_id)):
        return False
    fingerprint = spec.fingerprint(weights)
    if fingerprint is None:
        return False
    store.check_compatible(spec.name, spec.dimension, fingerprint)
    return True


class _PendingRows:
    """Encoded rows waiting to be appended: committed every ``COMMIT_PHOTOS`` photos or
    ``COMMIT_SECONDS`` seconds (each commit syncs three files, too slow to do per small batch)."""

    def __init__(self, store: FeatureStore, report: ExtractionReport) -> None:
        self.store, self.report = store, report
        self.ids: list[str] = []
        self.vectors: list[np.ndarray] = []
        self.last_commit = time.perf_counter()

    def add(self, ids: list[str], vectors: np.ndarray) -> None:
        self.ids += ids
        self.vectors.append(vectors)
        waited = time.perf_counter() - self.last_commit
        if len(self.ids) >= COMMIT_PHOTOS or waited >= COMMIT_SECONDS:
            self.commit()

    def commit(self) -> None:
        if self.ids:
            self.store.append(self.ids, np.concatenate(self.vectors))  # (pending, dimension)
            self.report.stored += len(self.ids)
            self.ids, self.vectors = [], []
        self.last_commit = time.perf_counter()


def _photos_by_id(photos: Mapping[str, Path] | Sequence[Path]) -> dict[str, Path]:
    if isinstance(photos, Mapping):
        return {str(photo_id): Path(path) for photo_id, path in photos.items()}
    by_id: dict[str, Path] = {}
    for path in map(Path, photos):
        if path.stem in by_id and by_id[path.stem] != path:
            raise UserInputError(
                f"two photos share the id {path.stem!r}: {by_id[path.stem]} and {path}"
            )
        by_id[path.stem] = path
    return by_id


def _load_pixels(encoder: Encoder, path: Path) -> np.ndarray | str:
    """Decode and preprocess one photo; the reason string when it cannot be read."""
    try:
        # Reduce huge JPEGs while decoding, but keep enough pixels for the encoder's square.
        image = load_image(path, max_side=2 * encoder.image_size)
    except ImageLoadError as error:
        return error.reason
    return encoder.preprocess(image)  # (side, side, 3) uint8


def _decoded_batches(
    todo: Sequence[tuple[str, Path]],
    encoder: Encoder,
    batch_size: int,
    decode_threads: int,
    batches_ahead: int = 2,
) -> Iterator[list[tuple[str, Path, Any]]]:
    """Batches of ``(photo id, path, pixels or reason)``, decoded by threads ahead of the encoder.

    At most ``batches_ahead`` batches are decoding or waiting at any time, so memory stays bounded
    however many photos there are.
    """
    chunks: Iterable[Sequence[tuple[str, Path]]] = (
        todo[start : start + batch_size] for start in range(0, len(todo), batch_size)
    )
    pending: deque[list[tuple[str, Path, Future]]] = deque()
    with ThreadPoolExecutor(max(1, decode_threads), thread_name_prefix="decode") as pool:
        for chunk in chunks:
            pending.append(
                [
                    (photo_id, path, pool.submit(_load_pixels, encoder, path))
                    for photo_id, path in chunk
                ]
            )
            if len(pending) > batches_ahead:
                yield _resolve(pending.popleft())
        while pending:
            yield _resolve(pending.popleft())


def _resolve(batch: list[tuple[str, Path, Future]]) -> list[tuple[str, Path, Any]]:
    return [(photo_id, path, future.result()) for photo_id, path, future in batch]
