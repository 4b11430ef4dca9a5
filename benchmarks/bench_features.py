"""Feature extraction speed against this machine's roofline, measured in one run.

Prints: float32 matmul throughput (the ceiling: Xception needs 16.7 GFLOP per 299x299 photo), our
Xception extraction on real photos (decode included) as photos/s and % of that ceiling, the bare
forward pass, a plain per-photo ``model.predict`` loop (the baseline), and the handcrafted encoder.
Targets (issue 4): >= 65% of the ceiling at batch >= 8, >= 2x the predict loop, handcrafted >= 50/s.

    .venv/bin/python benchmarks/bench_features.py [--photos DIR] [--weights FILE] [--runs 3]

Xception uses random weights (saved to a temporary file) unless --weights is given: speed does not
depend on the weight values. Skips with a message when the photo folder is absent.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from imgstory.features.encoders import Encoder, get_encoder
from imgstory.features.extract import extract_features, list_photos
from imgstory.images import load_image
from imgstory.paths import REPO_ROOT

XCEPTION_GFLOP_PER_IMAGE = 16.7
DEFAULT_PHOTOS = REPO_ROOT.parent / "shared" / "vist" / "photos"


def timed_runs(run: Callable[[], None], runs: int) -> list[float]:
    """Wall-clock seconds of ``runs`` calls of ``run``."""
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - started)
    return seconds


def matmul_gflops(size: int = 2048, repeats: int = 8, runs: int = 5) -> float:
    """Best float32 matmul throughput of TensorFlow here, in GFLOP/s.

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
    best = min(timed_runs(lambda: chain().numpy(), runs))
    return 2 * size**3 * repeats / best / 1e9


def random_xception_weights(folder: Path) -> Path:
    """Save a randomly initialised Xception's weights (speed does not depend on their values)."""
    import keras

    path = folder / "random.weights.h5"
    keras.applications.Xception(include_top=False, weights=None, pooling="avg").save_weights(path)
    return path


def extraction_rates(
    photos: dict[str, Path], encoder: Encoder, batch_size: int, runs: int
) -> tuple[float, float]:
    """Best and median photos/s of full extraction runs (decode, resize, encode, store)."""
    if hasattr(encoder, "batch_size"):
        encoder.batch_size = batch_size
    rates = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as folder:
            report = extract_features(
                photos,
                Path(folder) / "store",
                encoder.name,
                encoder=encoder,
                batch_size=batch_size,
                progress=False,
            )
        rates.append(report.images_per_second)
    return max(rates), statistics.median(rates)


def forward_only_rates(
    encoder: Encoder, pixels: np.ndarray, batch_size: int, runs: int
) -> tuple[float, float]:
    """Best and median photos/s of the compiled forward pass alone on decoded photos."""
    encoder.batch_size = batch_size
    encoder.encode_arrays(pixels[:batch_size])  # warm up
    seconds = timed_runs(lambda: encoder.encode_arrays(pixels), runs)
    return len(pixels) / min(seconds), len(pixels) / statistics.median(seconds)


def predict_loop_rate(paths: list[Path], model, runs: int) -> float:
    """Best photos/s of the naive baseline: decode, then ``model.predict`` one photo at a time."""
    import keras

    def loop() -> None:
        for path in paths:
            image = load_image(path).resize((299, 299))
            batch = np.asarray(image, dtype="float32")[None]  # (1, 299, 299, 3)
            model.predict(keras.applications.xception.preprocess_input(batch), verbose=0)

    model.predict(np.zeros((1, 299, 299, 3), "float32"), verbose=0)  # build the predict function
    return len(paths) / min(timed_runs(loop, runs))


def main() -> int:
    """Run every measurement and print the figures (a benchmark reports; it does not assert)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS, help="folder of real photos")
    parser.add_argument("--weights", type=Path, help="Xception weights file (default: random)")
    parser.add_argument(
        "--runs", type=int, default=3, help="runs per measurement (best and median)"
    )
    parser.add_argument("--batch-sizes", default="8,16", help="Xception batch sizes to measure")
    parser.add_argument("--baseline-photos", type=int, default=12, help="photos in predict loop")
    arguments = parser.parse_args()

    if not arguments.photos.is_dir():
        print(f"skipped: no photo folder at {arguments.photos} (pass --photos DIR)")
        return 0
    photos = list_photos(arguments.photos)
    print(
        f"photos: {len(photos)} from {arguments.photos}; {os.cpu_count()} CPU cores; "
        f"load average before: {os.getloadavg()[0]:.1f}"
    )

    handcrafted = get_encoder("handcrafted")
    best, median = extraction_rates(photos, handcrafted, 64, max(arguments.runs, 5))
    print(
        f"handcrafted extraction (decode included): best {best:6.1f} photos/s, median "
        f"{median:6.1f} (target >= 50: {'ok' if best >= 50 else 'MISSED'})"
    )

    with tempfile.TemporaryDirectory() as folder:
        weights = arguments.weights or random_xception_weights(Path(folder))
        encoder = get_encoder("xception", weights=weights)
        sample = sorted(photos.values())[: arguments.baseline_photos]
        pixels = np.stack(
            [encoder.preprocess(load_image(path)) for path in sorted(photos.values())]
        )

        gflops = [matmul_gflops()]
        results = {}
        for batch_size in (int(text) for text in arguments.batch_sizes.split(",")):
            forward, _ = forward_only_rates(encoder, pixels, batch_size, arguments.runs)
            results[batch_size] = extraction_rates(photos, encoder, batch_size, arguments.runs)
            gflops.append(matmul_gflops())
            print(
                f"xception batch {batch_size:3d}: forward only best {forward:6.2f} photos/s; "
                f"extraction with decode best {results[batch_size][0]:6.2f}, median "
                f"{results[batch_size][1]:6.2f} photos/s"
            )
        baseline = predict_loop_rate(sample, encoder.model, arguments.runs)

    roofline = max(gflops)
    ceiling = roofline / XCEPTION_GFLOP_PER_IMAGE
    print(
        f"float32 matmul (TF, 2048^2, best of 5, measured {len(gflops)} times between the runs): "
        f"{', '.join(f'{value:.0f}' for value in gflops)} GFLOP/s; roofline = the highest, "
        f"{roofline:.0f} GFLOP/s -> Xception ceiling {ceiling:.2f} photos/s "
        f"({XCEPTION_GFLOP_PER_IMAGE} GFLOP each)"
    )
    print(
        f"baseline: per-photo model.predict loop (decode included, {len(sample)} photos): "
        f"best {baseline:.2f} photos/s"
    )
    for batch_size, (best, median) in results.items():
        print(
            f"xception batch {batch_size:3d}: {best / ceiling:.1%} of the ceiling (median run "
            f"{median / ceiling:.1%}), {best / baseline:.2f}x the predict loop"
        )
    best_batch = max(results, key=lambda size: results[size][0])
    best = results[best_batch][0]
    print(
        f"RESULT best xception extraction: batch {best_batch}, {best:.2f} photos/s = "
        f"{best / ceiling:.1%} of the ceiling (target >= 65%: "
        f"{'ok' if best / ceiling >= 0.65 else 'MISSED'}), {best / baseline:.2f}x the predict "
        f"loop (target >= 2x: {'ok' if best / baseline >= 2 else 'MISSED'}); load average now "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (a shared machine slows every figure)"
    )
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak_mib:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
