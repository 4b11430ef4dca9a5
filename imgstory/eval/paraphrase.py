"""METEOR's paraphrase table cut down to the phrases of the texts being scored.

The jar spends ~8 s of CPU loading its English table (5.3 M paraphrase pairs) at every start.
A pair is only ever used when one of its phrases occurs in a story and the other in a reference,
so pairs whose phrases do not both occur among the texts cannot change any score; for a test set
about 2% of the pairs remain and the jar starts in well under a second. The real-data tests check
that the scores are identical with the full table.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TABLE_NAME = "paraphrase-en.gz"


def _cache_file() -> Path:
    base = os.environ.get("IMGSTORY_CACHE_DIR") or Path.home() / ".cache" / "imgstory"
    return Path(base) / "meteor-paraphrase.json"


def longest_phrase(table: Path) -> int:
    """Words in the table's longest phrase (computed once per table, then cached on disk)."""
    stat = table.stat()
    key = f"{table.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    cache = _cache_file()
    try:
        known = json.loads(cache.read_text())
    except (OSError, ValueError):
        known = {}
    if key not in known:
        lines = gzip.decompress(table.read_bytes()).split(b"\n")
        known[key] = 1 + max(
            max(phrase.count(b" ") for phrase in lines[1::3]),
            max(phrase.count(b" ") for phrase in lines[2::3]),
        )
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            cache.write_text(json.dumps(known))
        except OSError:
            pass  # a read-only home only costs recomputing next time
    return int(known[key])


def text_phrases(texts: Iterable[str], longest: int) -> set[bytes]:
    """Every run of 1..longest consecutive words of the texts, as the jar sees them (UTF-8)."""
    phrases: set[bytes] = set()
    for text in texts:
        words = text.encode("utf-8").split()
        for length in range(1, longest + 1):
            phrases.update(
                b" ".join(words[start : start + length]) for start in range(len(words) - length + 1)
            )
    return phrases


def cut_table(table: Path, texts: Iterable[str], output: Path) -> int:
    """Write to ``output`` (gzip) the pairs of ``table`` whose two phrases occur in ``texts``.

    Returns:
        The number of pairs kept.
    """
    with ThreadPoolExecutor(max_workers=1) as executor:
        # zlib releases the GIL: the table decompresses while the phrases are collected here
        decompressed = executor.submit(gzip.decompress, table.read_bytes())
        distinct = set(texts)
        distinct |= {text.lower() for text in distinct}  # in case the jar lower-cases: keep both
        phrases = text_phrases(distinct, longest_phrase(table))
        lines = decompressed.result().split(b"\n")
    kept = []
    for start in range(0, len(lines) - 2, 3):
        if lines[start + 1] in phrases and lines[start + 2] in phrases:
            kept.extend(lines[start : start + 3])
    pairs = len(kept) // 3
    if not kept:  # the jar cannot read an empty table; a pair absent from the texts is inert
        kept = lines[:3]
    with gzip.open(output, "wb", compresslevel=1) as handle:
        handle.write(b"\n".join(kept) + b"\n")
    return pairs
