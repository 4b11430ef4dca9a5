"""The reference side of BLEU and CIDEr for a set of albums, computed once per reference content.

Scoring another system (or the same file again) against the same references reuses the
references' n-gram clipping counts and lengths (BLEU) and their IDF and tf-idf vectors (CIDEr):
about 80% of the n-gram scorers' work on the VIST test set. Entries are keyed by a digest of
the reference texts in album order, so a changed reference, another album set (CIDEr's IDF
depends on it) or another order is a miss; a hit returns the very objects computed before, so
scores are bit-identical.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from imgstory.eval.bleu import BleuReferences, bleu_references
from imgstory.eval.cider import CiderReferences, cider_references
from imgstory.eval.ngrams import ngram_counts

#: Reference sets kept per process: one VIST test set (1,010 albums) holds ~220 MB.
CACHED_SETS = 1


@dataclass(frozen=True)
class ReferenceStatistics:
    """BLEU's and CIDEr's view of albums' references, one entry per album in order."""

    bleu: list[BleuReferences]
    cider: CiderReferences


_CACHE: OrderedDict[str, ReferenceStatistics] = OrderedDict()
_LOCK = threading.Lock()


def reference_digest(references: Sequence[Sequence[str]]) -> str:
    """A digest of albums' reference texts, in order (length-prefixed: no two inputs collide
    by how their texts are split)."""
    digest = hashlib.blake2b(digest_size=20)
    for album_references in references:
        digest.update(len(album_references).to_bytes(4, "little"))
        for text in album_references:
            encoded = text.encode("utf-8", "surrogatepass")
            digest.update(len(encoded).to_bytes(8, "little"))
            digest.update(encoded)
    return digest.hexdigest()


def reference_statistics(references: Sequence[Sequence[str]]) -> ReferenceStatistics:
    """The reference statistics of albums' references (``[album][reference] -> text``), from the
    process's cache when the same texts were prepared before (the :data:`CACHED_SETS` most
    recently used sets are kept). Do not modify the returned objects."""
    key = reference_digest(references)
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    prepared = _prepare(references)
    with _LOCK:
        _CACHE[key] = prepared
        while len(_CACHE) > CACHED_SETS:
            _CACHE.popitem(last=False)
    return prepared


def clear_cache() -> None:
    """Forget every prepared reference set."""
    with _LOCK:
        _CACHE.clear()


def _prepare(references: Sequence[Sequence[str]]) -> ReferenceStatistics:
    counts, bleu = [], []
    for album_references in references:
        album_counts = []
        with_lengths = []
        for reference in album_references:
            words = reference.split()
            reference_ngrams = ngram_counts(words)
            album_counts.append(reference_ngrams)
            with_lengths.append((reference_ngrams, len(words)))
        counts.append(album_counts)
        bleu.append(bleu_references(with_lengths))
    return ReferenceStatistics(bleu, cider_references(counts))
