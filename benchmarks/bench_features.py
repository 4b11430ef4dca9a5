"""Feature extraction speed against this machine's roofline, measured in one run.

Prints: float32 matmul throughput (the ceiling: Xception needs 16.7 GFLOP per 299x299 photo), our
Xception extraction on real photos (decode included) as photos/s and % of that ceiling, the bare
forward pass, a plain per-photo ``model.predict`` loop (the baseline), and the handcrafted encoder.
Targets (issue 4): >= 65% of the ceiling at batch >= 8, >= 2x the predict loop, handcrafted >= 50/s.

    .venv/bin/python -m benchmarks.bench_features [--photos DIR] [--weights FILE] [--runs 3]

Every figure is the best of ``--runs`` interleaved runs, twice: by wall clock, and by this
process's CPU time scaled to all cores ("per CPU": what the run would reach with the cores to
itself). On a machine shared with other jobs the wall-clock figures swing with their load; the
CPU-time ratios barely do, but they flatter the per-photo baseline (its single-threaded Python
overhead counts once, not once per core). Xception uses random weights (saved to a temporary file)
unless --weights is given: speed does not depend on the weight values. Skips with a message when
the photo folder is absent.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from imgstory.features.encoders import Encoder, get_encoder
from imgstory.features.extract import extract_features, list_photos
from imgstory.images import load_image
from imgstory.paths import REPO_ROOT

XCEPTION_GFLOP_PER_IMAGE = 16.7
DEFAULT_PHOTOS = REPO_ROOT.parent / "shared" / "vist" / "photos"
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass(frozen=True)
class Rate:
    """Best throughput over several runs: by wall clock and per CPU time (x cores)."""

    wall: float
    cpu: float

    def __truediv__(self, other: Rate) -> Rate:
        return Rate(self.wall / other.wall, self.cpu / other.cpu)


def measure(work: float, run: Callable[[], None]) -> Rate:
    """``work`` units per second of one call of ``run``, by wall clock and by CPU time."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return Rate(work / (time.perf_counter() - wall), work * CORES / (time.process_time() - cpu))


def best(rates: list[Rate]) -> Rate:
    """The best wall-clock and the best CPU-time rate of several runs."""
    return Rate(max(rate.wall for rate in rates), max(rate.cpu for rate in rates))


def best_rate(work: float, run: Callable[[], None], runs: int) -> Rate:
    """Best of ``runs`` calls of ``run`` (see :func:`measure`)."""
    return best([measure(work, run) for _ in range(runs)])


def matmul_benchmark(size: int = 2048, repeats: int = 8) -> Callable[[], Rate]:
    """A function measuring TensorFlow's float32 matmul throughput once (best of 3), in GFLOP/s.

    Each product has its own right-hand matrix: with one shared operand, Grappler's common
    subexpression elimination computes the product once and the figure comes out ``repeats`` x
    too high (an impossible ~700 GFLOP/s on 2 cores).
    """
    import tensorflow as tf

    left = tf.random.normal((size, size), seed=1)
    rights = [tf.random.normal((size, size), seed=2 + index) for index in range(repeats)]

    @tf.function
    def chain() -> tf.Tensor:
        total = tf.zeros((size, size))
        for right in rights:
            total += tf.matmul(left, right)  # (size, size)
        return total

    chain().numpy()  # trace and warm up
    return lambda: best_rate(2 * size**3 * repeats / 1e9, lambda: chain().numpy(), 3)


def random_xception_weights(folder: Path) -> Path:
    """Save a randomly initialised Xception's weights (speed does not depend on their values)."""
    import keras

    path = folder / "random.weights.h5"
    keras.applications.Xception(include_top=False, weights=None, pooling="avg").save_weights(path)
    return path


def extraction_rate(photos: dict[str, Path], encoder: Encoder, batch_size: int, runs: int) -> Rate:
    """Photos/s of full extraction runs (decode, resize, encode, store) into fresh stores, best of
    ``runs``."""
    if hasattr(encoder, "batch_size"):
        encoder.batch_size = batch_size

    def run() -> None:
        with tempfile.TemporaryDirectory() as folder:
            report = extract_features(
                photos,
                Path(folder) / "store",
                encoder.name,
                encoder=encoder,
                batch_size=batch_size,
                progress=False,
            )
        if report.stored != len(photos):
            raise RuntimeError(f"stored {report.stored} of {len(photos)} photos")

    return best_rate(len(photos), run, runs)


def forward_only_run(encoder: Encoder, pixels: np.ndarray, batch_size: int) -> Callable[[], None]:
    """One compiled forward pass over already decoded photos, ``batch_size`` at a time."""

    def run() -> None:
        encoder.batch_size = batch_size
        encoder.encode_arrays(pixels)

    return run


def predict_loop_run(paths: list[Path], model) -> Callable[[], None]:
    """The naive baseline: decode, then ``model.predict`` one photo at a time."""
    import keras

    def loop() -> None:
        for path in paths:
            image = load_image(path).resize((299, 299))
            batch = np.asarray(image, dtype="float32")[None]  # (1, 299, 299, 3)
            model.predict(keras.applications.xception.preprocess_input(batch), verbose=0)

    model.predict(np.zeros((1, 299, 299, 3), "float32"), verbose=0)  # build the predict function
    return loop


def verdict(value: float, target: float) -> str:
    """``ok`` or ``MISSED`` against a target."""
    return "ok" if value >= target else "MISSED"


def main() -> int:
    """Run every measurement and print the figures (a benchmark reports; it does not assert)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS, help="folder of real photos")
    parser.add_argument("--weights", type=Path, help="Xception weights file (default: random)")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (best is kept)")
    parser.add_argument("--batch-sizes", default="8,16", help="Xception batch sizes to measure")
    parser.add_argument("--baseline-photos", type=int, default=12, help="photos in predict loop")
    arguments = parser.parse_args()

    if not arguments.photos.is_dir():
        print(f"skipped: no photo folder at {arguments.photos} (pass --photos DIR)")
        return 0
    photos = list_photos(arguments.photos)
    print(
        f"photos: {len(photos)} from {arguments.photos}; {CORES} CPU cores; load average "
        f"before: {os.getloadavg()[0]:.1f}. Figures: best of {arguments.runs} runs, "
        "wall clock / per CPU time (x cores)"
    )

    handcrafted = extraction_rate(photos, get_encoder("handcrafted"), 64, max(arguments.runs, 5))
    print(
        f"handcrafted extraction (decode included): {handcrafted.wall:6.1f} / "
        f"{handcrafted.cpu:6.1f} photos/s (target >= 50: {verdict(handcrafted.wall, 50)} / "
        f"{verdict(handcrafted.cpu, 50)})"
    )

    batch_sizes = [int(text) for text in arguments.batch_sizes.split(",")]
    with tempfile.TemporaryDirectory() as folder:
        weights = arguments.weights or random_xception_weights(Path(folder))
        encoder = get_encoder("xception", weights=weights)
        sample = sorted(photos.values())[: arguments.baseline_photos]
        pixels = np.stack(
            [encoder.preprocess(load_image(path)) for path in sorted(photos.values())]
        )
        matmul = matmul_benchmark()
        baseline_run = predict_loop_run(sample, encoder.model)
        for batch_size in batch_sizes:
            forward_only_run(encoder, pixels[:batch_size], batch_size)()  # warm up
        # Interleave the runs so that every figure samples the same stretch of the machine's load.
        samples: dict[str, list[Rate]] = {}
        for _ in range(arguments.runs):
            samples.setdefault("matmul", []).append(matmul())
            for batch_size in batch_sizes:
                forward = measure(len(pixels), forward_only_run(encoder, pixels, batch_size))
                full = extraction_rate(photos, encoder, batch_size, 1)
                samples.setdefault(f"forward {batch_size}", []).append(forward)
                samples.setdefault(f"extraction {batch_size}", []).append(full)
            samples.setdefault("baseline", []).append(measure(len(sample), baseline_run))
        samples.setdefault("matmul", []).append(matmul())
    matmuls, baseline = samples["matmul"], best(samples["baseline"])
    extraction = {size: best(samples[f"extraction {size}"]) for size in batch_sizes}
    for batch_size in batch_sizes:
        forward = best(samples[f"forward {batch_size}"])
        print(
            f"xception batch {batch_size:3d}: forward pass only {forward.wall:5.2f} / "
            f"{forward.cpu:5.2f} photos/s; extraction with decode "
            f"{extraction[batch_size].wall:5.2f} / {extraction[batch_size].cpu:5.2f} photos/s"
        )

    roofline = Rate(max(rate.wall for rate in matmuls), max(rate.cpu for rate in matmuls))
    ceiling = Rate(
        roofline.wall / XCEPTION_GFLOP_PER_IMAGE, roofline.cpu / XCEPTION_GFLOP_PER_IMAGE
    )
    print(
        "float32 matmul (TF, 2048^2, best of 3; measured before each round and at the end): "
        + ", ".join(f"{rate.wall:.0f} / {rate.cpu:.0f}" for rate in matmuls)
        + f" GFLOP/s; roofline = the highest: {roofline.wall:.0f} / {roofline.cpu:.0f} GFLOP/s"
        f" -> Xception ceiling {ceiling.wall:.2f} / {ceiling.cpu:.2f} photos/s"
    )
    print(
        f"baseline: per-photo model.predict loop (decode included, {len(sample)} photos): "
        f"{baseline.wall:.2f} / {baseline.cpu:.2f} photos/s"
    )
    for batch_size, rate in extraction.items():
        share, speedup = rate / ceiling, rate / baseline
        print(
            f"RESULT xception batch {batch_size:3d}: {share.wall:.1%} / {share.cpu:.1%} of the "
            f"ceiling (target >= 65%: {verdict(share.wall, 0.65)} / {verdict(share.cpu, 0.65)}); "
            f"{speedup.wall:.2f}x / {speedup.cpu:.2f}x the predict loop (target >= 2x: "
            f"{verdict(speedup.wall, 2)} / {verdict(speedup.cpu, 2)})"
        )
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"load average after: {os.getloadavg()[0]:.1f} on {CORES} cores; "
        f"peak RSS of this process: {peak_mib:.0f} MiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
