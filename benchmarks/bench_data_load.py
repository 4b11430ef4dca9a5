"""Benchmark: loading an official SIS file (target: the 10.7 MB VIST test file in under 2 s).

Prints the median of 5 runs of ``load_sis`` beside the bare ``json.load`` of the same file (the
floor any loader pays), and the ratio. Usage:
    python -m benchmarks.bench_data_load [SIS_JSON]   (default: ../shared/vist/sis/test...)
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

from imgstory.data.sis import load_sis

DEFAULT = Path(__file__).resolve().parents[2] / "shared/vist/sis/test.story-in-sequence.json"
RUNS = 5


def median_seconds(function) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    if not path.is_file():
        sys.exit(f"{path} not found: pass a story-in-sequence.json file")
    size_mb = path.stat().st_size / 1e6
    bare = median_seconds(lambda: json.loads(path.read_bytes()))
    ours = median_seconds(lambda: load_sis(path))
    sis = load_sis(path)
    print(f"file: {path} ({size_mb:.1f} MB, {len(sis.stories):,} stories)")
    print(f"json.loads only (floor):  median {bare:.3f} s over {RUNS} runs")
    print(f"load_sis (typed stories): median {ours:.3f} s over {RUNS} runs (target < 2 s)")
    print(f"ratio load_sis / json floor: {ours / bare:.2f}x")


if __name__ == "__main__":
    main()
