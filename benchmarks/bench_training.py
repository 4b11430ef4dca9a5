"""Training throughput: batches padded to the full width (before) vs bucketed by length (after).

Same model (the VIST storyteller's sizes), same stories (VIST val text from ../shared/vist when
present, else random stories with VIST's sentence lengths); prints the median stories/s of
several timed runs for each pipeline and the ratio against the padded baseline.

    .venv/bin/python -m benchmarks.bench_training [--runs 3] [--steps 12]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np

from imgstory.model.architecture import build_model
from imgstory.model.config import TrainingConfig
from imgstory.model.pipeline import StoryBatches
from imgstory.model.training import compile_for_training
from imgstory.text.vocabulary import PAD_ID, Vocabulary
from imgstory.vist_models.build import VIST_MODEL

REPO = Path(__file__).resolve().parents[1]
VAL = REPO.parent / "shared" / "vist" / "reference" / "val_reference.json"


class PaddedBatches(StoryBatches):
    """The old pipeline: one bucket, every batch padded to ``max_sentence_length + 1``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lengths = np.full(len(self), self.sentences.shape[-1])


def _stories():
    if VAL.is_file():
        from imgstory.vist_models.text_stories import load_text_stories

        return load_text_stories(VAL).stories, "VIST val text"
    from devtools.toy_data import random_stories

    return random_stories(2000, 2500, words_per_sentence=11), "random stories (no ../shared)"


class _Clock(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.ends = [time.perf_counter()]

    def on_train_batch_end(self, batch, logs=None):
        self.ends.append(time.perf_counter())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--steps", type=int, default=12, help="timed steps per run")
    arguments = parser.parse_args()
    stories, source = _stories()
    vocabulary = Vocabulary.build((t for s in stories for t in s.texts), 5, None)
    config = replace(VIST_MODEL, feature_dim=50, vocab_size=len(vocabulary), feature_noise=0.5)
    features = np.random.default_rng(0).normal(size=(len(stories), 5, 50)).astype(np.float32)
    batch, warm = 32, 3
    print(
        f"{source}: {len(stories)} stories, vocabulary {len(vocabulary)}, hidden "
        f"{config.hidden_size}, batch {batch}; {arguments.steps} timed steps after {warm}"
    )
    rates: dict[str, list[float]] = {}
    for name, kind in (("padded (before)", PaddedBatches), ("bucketed (after)", StoryBatches)):
        pipeline = kind(None, stories, vocabulary, config, features)
        tokens = (pipeline.sentences != PAD_ID).sum()
        for run in range(arguments.runs):
            keras.utils.set_random_seed(run)
            model = compile_for_training(build_model(config), TrainingConfig())
            pipeline.epoch = run
            dataset = pipeline.dataset(batch, shuffle=True, seed=0).take(warm + arguments.steps)
            clock = _Clock()
            model.fit(dataset, epochs=1, verbose=0, shuffle=False, callbacks=[clock])
            seconds = clock.ends[-1] - clock.ends[warm]
            rates.setdefault(name, []).append(batch * arguments.steps / seconds)
        padded_share = 1 - tokens / pipeline.sentences.size
        print(
            f"  {name:<18} {statistics.median(rates[name]):6.1f} stories/s median of "
            f"{arguments.runs} (best {max(rates[name]):.1f}); padding in the data: "
            f"{padded_share:.0%}"
        )
    before, after = (statistics.median(v) for v in rates.values())
    print(f"  ratio after/before: {after / before:.2f}x")


if __name__ == "__main__":
    main()
