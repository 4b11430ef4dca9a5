"""How should ``imgstory vist build`` use the cores: two models side by side, or one after another?

``build_vist_models`` can train the LSTM and the GRU in two processes of ``cores // 2`` TensorFlow
threads each, or one model at a time with every thread. This times both on the same slice of
VIST text (the shipped sizes, ``VIST_MODEL``; 1 epoch), alternating the two so that other load on
the machine falls on both alike, and prints the best and median wall time of each and their
ratio. Each run is a whole build: start-up, term simulation, training, validation and saving.

    .venv/bin/python -m benchmarks.bench_build_parallelism [--stories 2000] [--runs 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from imgstory.vist_models.build import VIST_TRAINING, build_vist_models
from imgstory.vist_models.text_stories import TextStories, load_text_stories

REPO = Path(__file__).resolve().parents[1]
TRAIN = REPO.parent / "shared" / "vist" / "train_text" / "train_stories.json"
VAL = REPO.parent / "shared" / "vist" / "reference" / "val_reference.json"
MODELS = ("vist-lstm", "vist-gru")


def text_slice(count: int) -> list[TextStories]:
    """The first ``count`` train stories and the first ``count // 4`` val stories."""
    texts = []
    for path, share in ((TRAIN, count), (VAL, count // 4)):
        text = load_text_stories(path)
        texts.append(replace(text, stories=tuple(text.stories[:share])))
    return texts


def timed_build(texts: list[TextStories], parallel: bool) -> float:
    """Wall seconds of one build of the LSTM and the GRU (1 epoch) into a scratch folder."""
    config = replace(VIST_TRAINING, epochs=1)
    with tempfile.TemporaryDirectory() as scratch:
        start = time.perf_counter()
        build_vist_models(
            texts, scratch, MODELS, config, progress=False, overwrite=True, parallel=parallel
        )
        return time.perf_counter() - start


def main() -> None:
    """Alternate side-by-side and one-after-another builds; print best, median and ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=int, default=2000, help="train stories used")
    parser.add_argument("--runs", type=int, default=2, help="builds of each kind")
    args = parser.parse_args()
    if not TRAIN.exists() or not VAL.exists():
        raise SystemExit(f"needs VIST text: {TRAIN} and {VAL}")
    texts = text_slice(args.stories)
    print(f"{os.cpu_count()} cores; LSTM + GRU, {sum(len(t.stories) for t in texts)} stories, "
          f"1 epoch, {args.runs} builds each")  # fmt: skip
    times: dict[str, list[float]] = {"side by side": [], "one after another": []}
    for _ in range(args.runs):
        times["side by side"].append(timed_build(texts, parallel=True))
        times["one after another"].append(timed_build(texts, parallel=False))
    baseline = min(times["side by side"])
    for label, seconds in times.items():
        print(f"  {label:18s} best {min(seconds):6.1f} s  median {statistics.median(seconds):6.1f}"
              f" s  {baseline / min(seconds):.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
