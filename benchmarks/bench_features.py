"""Feature extraction speed against this machine's roofline, measured in one run.

Prints: float32 matmul throughput (the ceiling: Xception needs 16.7 GFLOP per 299x299 photo), our
Xception extraction on real photos (decode included) as photos/s and % of that ceiling, the bare
forward pass, a plain per-photo ``model.predict`` loop (the baseline), and the handcrafted encoder.
Targets (issue 4): >= 65% of the ceiling at batch >= 8, >= 2x the predict loop, handcrafted >= 50/s.

    .venv/bin/python benchmarks/bench_features.py [--photos DIR] [--weights FILE] [--runs 3]

Every figure is the best of ``--runs`` runs, twice: by wall clock, and by this process's CPU time
scaled to all cores ("per CPU": what the run would reach with the cores to itself). On a machine
shared with other jobs the wall-clock figures swing with their load; the CPU-time ratios barely
do. Xception uses random weights (saved to a temporary file) unless --weights is given: speed does
not depend on the weight values. Skips with a message when the photo folder is absent.
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


def best_rate(work: float, run: Callable[[], None], runs: int) -> Rate:
    """``work`` units per second of ``run``, best of ``runs``, by wall clock and by CPU time."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return Rate(work / min(walls), work * CORES / min(cpus))


def matmul_gflops(size: int = 2048, repeats: int = 8, runs: int = 5) -> Rate:
    """Float32 matmul throughput of TensorFlow here, in GFLOP/s.

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
    return best_rate(2 * size**3 * repeats / 1e9, lambda: chain().numpy(), runs)


def random_xception_weights(folder: Path) -> Path:
    """Save a randomly initialised Xception's weights (speed does not depend on their values)."""
    import keras

    path = folder / "random.weights.h5"
    keras.applications.Xception(include_top=False, weights=None, pooling="avg").save_weights(path)
    return path


def extraction_rate(photos: dict[str, Path], encoder: Encoder, batch_size: int, runs: int) -> Rate:
    """Photos/s of full extraction runs (decode, resize, encode, store) into fresh stores."""
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


def forward_only_rate(encoder: Encoder, pixels: np.ndarray, batch_size: int, runs: int) -> Rate:
    """Photos/s of the compiled forward pass alone on already decoded photos."""
    encoder.batch_size = batch_size
    encoder.encode_arrays(pixels[:batch_size])  # warm up
    return best_rate(len(pixels), lambda: encoder.encode_arrays(pixels), runs)


def predict_loop_rate(paths: list[Path], model, runs: int) -> Rate:
    """Photos/s of the naive baseline: decode, then ``model.predict`` one photo at a time."""
    import keras

    def loop() -> None:
        for path in paths:
            image = load_image(path).resize((299, 299))
            batch = np.asarray(image, dtype="float32")[None]  # (1, 299, 299, 3)
            model.predict(keras.applications.xception.preprocess_input(batch), verbose=0)

    model.predict(np.zeros((1, 299, 299, 3), "float32"), verbose=0)  # build the predict function
    return best_rate(len(paths), loop, runs)


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

    with tempfile.TemporaryDirectory() as folder:
        weights = arguments.weights or random_xception_weights(Path(folder))
        encoder = get_encoder("xception", weights=weights)
        sample = sorted(photos.values())[: arguments.baseline_photos]
        pixels = np.stack(
            [encoder.preprocess(load_image(path)) for path in sorted(photos.values())]
        )
        matmuls = [matmul_gflops()]
        extraction: dict[int, Rate] = {}
        for batch_size in (int(text) for text in arguments.batch_sizes.split(",")):
            forward = forward_only_rate(encoder, pixels, batch_size, arguments.runs)
            extraction[batch_size] = extraction_rate(photos, encoder, batch_size, arguments.runs)
            matmuls.append(matmul_gflops())
            print(
                f"xception batch {batch_size:3d}: forward pass only {forward.wall:5.2f} / "
                f"{forward.cpu:5.2f} photos/s; extraction with decode "
                f"{extraction[batch_size].wall:5.2f} / {extraction[batch_size].cpu:5.2f} photos/s"
            )
        baseline = predict_loop_rate(sample, encoder.model, arguments.runs)

    roofline = Rate(max(rate.wall for rate in matmuls), max(rate.cpu for rate in matmuls))
    ceiling = Rate(
        roofline.wall / XCEPTION_GFLOP_PER_IMAGE, roofline.cpu / XCEPTION_GFLOP_PER_IMAGE
    )
    print(
        "float32 matmul (TF, 2048^2, best of 5; measured before and after each batch size): "
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
