"""How long ``imgstory demo build`` takes and how big the pack is, against the issue's limits.

Prints, for each run: every step's seconds (generate, features, train_lstm, train_gru, predict,
evaluate) and the total; then the median total as a share of the 20-minute limit, the pack's
size against its 50 MB limit, and the machine's float32 matmul throughput measured in the same
run before and after the build (the baseline: on a shared machine a low figure means the build
time is inflated by other work, not by the build).

    .venv/bin/python -m benchmarks.bench_demo_build [--config small] [--runs 1] [--seed 0]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from imgstory.demo.builder import build_demo_pack

TIME_LIMIT_S = 20 * 60
SIZE_LIMIT_MB = 50.0


def matmul_gflops(size: int = 1024, runs: int = 5) -> float:
    """Best float32 matmul throughput of NumPy here, in GFLOP/s."""
    rng = np.random.default_rng(0)
    left, right = (rng.standard_normal((size, size), dtype=np.float32) for _ in range(2))
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        left @ right
        best = min(best, time.perf_counter() - started)
    return 2 * size**3 / best / 1e9


def pack_megabytes(folder: Path) -> float:
    """Bytes of every file under ``folder``, in MB (10^6)."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def main() -> None:
    """Build the pack ``--runs`` times in temporary folders and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="small", help="build config (small, tiny)")
    parser.add_argument("--runs", type=int, default=1, help="builds to take the median of")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    before = matmul_gflops()
    print(f"baseline: numpy float32 matmul {before:.0f} GFLOP/s before the build")
    totals, size = [], 0.0
    for run in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="imgstory-bench-demo-") as scratch:
            report = build_demo_pack(Path(scratch) / "demo", seed=args.seed, config=args.config)
            size = pack_megabytes(Path(scratch) / "demo")
        steps = "  ".join(f"{k} {v:.1f}s" for k, v in report.timings.items() if k != "total")
        print(f"run {run + 1}: {steps}  total {report.timings['total']:.1f}s")
        photos = report.manifest["photos"]
        print(
            f"       generate {photos / report.timings['generate']:.0f} photos/s, "
            f"features {photos / report.timings['features']:.0f} photos/s"
        )
        totals.append(report.timings["total"])
    after = matmul_gflops()
    median = statistics.median(totals)
    print(f"baseline: numpy float32 matmul {after:.0f} GFLOP/s after the build")
    print(
        f"median build ({args.config}, {args.runs} run(s)): {median:.0f} s = "
        f"{median / TIME_LIMIT_S:.2f} x the {TIME_LIMIT_S // 60}-minute limit"
    )
    print(
        f"pack size: {size:.1f} MB = {size / SIZE_LIMIT_MB:.2f} x the {SIZE_LIMIT_MB:.0f} MB limit"
    )


if __name__ == "__main__":
    main()
