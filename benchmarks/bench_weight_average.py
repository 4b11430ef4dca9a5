"""Benchmark: the weight average's per-step update (``WeightAverage``) on the VIST LSTM's weights.

A run with ``training.weight_average`` updates the average of every trainable weight after each
step. Rows: the shipped update (one traced ``tf.function`` call over all weights) and the
baseline, the same ``average += (1 - m) * (weights - average)`` run eagerly, one op at a time.
Both give the same averages (checked). One TensorFlow thread by default, as each model of a
side-by-side build trains (``--threads``). Prints the median and best of ``--runs`` timed runs of
``--steps`` updates and the ratio against the baseline measured in the same run.

    .venv/bin/python -m benchmarks.bench_weight_average [--runs 5] [--steps 20] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> None:
    """Time both updates and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--model", default="assets/models/vist-lstm")
    args = parser.parse_args()
    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras

    from imgstory.generation.storyteller import Storyteller
    from imgstory.model.callbacks import WeightAverage

    model = Storyteller.load(args.model).directory.model
    weights = model.trainable_variables
    size = sum(int(np.prod(v.shape)) for v in weights)
    traced = WeightAverage(0.995)
    traced.set_model(model)
    traced.on_train_begin()
    eager = [keras.Variable(v.numpy(), trainable=False) for v in weights]

    def eager_update() -> None:
        for variable, average in zip(weights, eager, strict=True):
            average.assign_add(0.005 * (variable - average))

    def traced_update() -> None:
        traced.on_train_batch_end(0)  # what the trainer calls after each step

    rows = {"eager ops (baseline)": eager_update, "one traced call (shipped)": traced_update}
    for update in rows.values():
        update()  # trace / warm up
    times: dict[str, list[float]] = {name: [] for name in rows}
    for _ in range(args.runs):
        for name, update in rows.items():
            start = time.perf_counter()
            for _ in range(args.steps):
                update()
            times[name].append((time.perf_counter() - start) / args.steps)
    for ours, theirs in zip(traced.other, eager, strict=True):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-7)
    print(f"{len(weights)} trainable weights, {size:,} values, {args.threads} thread(s); "
          f"ms per step update, {args.runs} runs of {args.steps}")  # fmt: skip
    baseline = statistics.median(times["eager ops (baseline)"])
    for name, measured in times.items():
        median = statistics.median(measured)
        print(f"  {name:28s} median {median * 1e3:6.2f}  best {min(measured) * 1e3:6.2f}  "
              f"{baseline / median:5.2f}x the baseline")  # fmt: skip


if __name__ == "__main__":
    main()
