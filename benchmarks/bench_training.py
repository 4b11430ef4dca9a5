"""Training throughput of the VIST storyteller's output layers, and of the old padded pipeline.

Same sizes (``VIST_MODEL``), same stories (VIST train + val text from ../shared/vist when
present, else random stories with VIST's sentence lengths) with their simulated terms
(``TermSpace``), batches bucketed by length. Rows: the thesis output layer (the baseline),
GloVe-tied scores, tied scores plus term copying (the shipped models, which score only the
positions where a word is predicted), the same layer scoring every position of a batch, <pad>
included (what skipping the padding saves; the layer before also copied through a dense
``(rows, slots, vocabulary)`` product), and the thesis layer with every batch padded to the
full width (the pipeline before bucketing). Prints the median stories/s of several timed runs
each and the ratio against the baseline.

    .venv/bin/python -m benchmarks.bench_training [--runs 3] [--steps 12]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from dataclasses import replace
from pathlib import Path
from unittest import mock

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np

from imgstory.features.terms import TermNoise, TermSpace
from imgstory.model import architecture
from imgstory.model.architecture import build_model
from imgstory.model.config import TrainingConfig
from imgstory.model.pipeline import StoryBatches
from imgstory.model.sources import StoryVectors
from imgstory.model.training import compile_for_training
from imgstory.model.word_output import WordOutput
from imgstory.text.glove import embedding_matrix, load_glove
from imgstory.text.vocabulary import Vocabulary
from imgstory.vist_models.build import VIST_MODEL

REPO = Path(__file__).resolve().parents[1]
VAL = REPO.parent / "shared" / "vist" / "reference" / "val_reference.json"
TRAIN = REPO.parent / "shared" / "vist" / "train_text" / "train_stories.json"


class PaddedBatches(StoryBatches):
    """The old pipeline: one bucket, every batch padded to ``max_sentence_length + 1``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lengths = np.full(len(self), self.sentences.shape[-1])


def _stories():
    """The shipped models' training text (train + val) where ../shared has it: its vocabulary
    (5,788 words) and sentence lengths are what a build's output layer works on."""
    if VAL.is_file():
        from imgstory.vist_models.text_stories import load_text_stories

        files = [path for path in (TRAIN, VAL) if path.is_file()]
        stories = [story for path in files for story in load_text_stories(path).stories]
        return stories, "VIST " + " + ".join("train" if p == TRAIN else "val" for p in files)
    from devtools.toy_data import random_stories

    return random_stories(2000, 2500, words_per_sentence=11), "random stories (no ../shared)"


class _EveryPosition(WordOutput):
    """The shipped output layer scoring every position of a batch, <pad> included."""

    def call(self, states, previous, terms, weights, tokens=None):
        return super().call(states, previous, terms, weights)


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
    terms = TermSpace.packaged()
    vocabulary = Vocabulary.build((t for s in stories for t in s.texts), 5, None, terms.words)
    base = replace(VIST_MODEL, feature_dim=terms.dimension, vocab_size=len(vocabulary))
    texts = [text for story in stories for text in story.texts]
    features = terms.sentence_terms(texts, TermNoise()).reshape(len(stories), 5, -1)
    glove, _ = load_glove("glove-6b-50d", vocabulary, base.embedding_dim)
    vectors = embedding_matrix(vocabulary, glove, base.embedding_dim, 0)
    batch, warm = 32, 3
    print(
        f"{source}: {len(stories)} stories, vocabulary {len(vocabulary)} (terms included), "
        f"hidden {base.hidden_size}, batch {batch}; {arguments.steps} timed steps after {warm}"
    )
    rows = {
        "thesis output (baseline)": (
            replace(base, tied_output=False, copy_terms=False),
            StoryBatches,
        ),
        "tied to GloVe": (replace(base, tied_output=True, copy_terms=False), StoryBatches),
        "tied + copy (shipped)": (base, StoryBatches),
        "tied + copy, every position": (base, StoryBatches),
        "thesis output, padded": (
            replace(base, tied_output=False, copy_terms=False),
            PaddedBatches,
        ),
    }
    rates: dict[str, list[float]] = {}
    for name, (config, kind) in rows.items():
        pipeline = kind(StoryVectors.per_sentence(features), stories, vocabulary, config)
        for run in range(arguments.runs):
            keras.utils.set_random_seed(run)
            layer = _EveryPosition if name.endswith("every position") else WordOutput
            with mock.patch.object(architecture, "WordOutput", layer):
                model = build_model(config, vectors)
            model = compile_for_training(model, TrainingConfig())
            pipeline.epoch = run
            dataset = pipeline.dataset(batch, shuffle=True, seed=0).take(warm + arguments.steps)
            clock = _Clock()
            model.fit(dataset, epochs=1, verbose=0, shuffle=False, callbacks=[clock])
            seconds = clock.ends[-1] - clock.ends[warm]
            rates.setdefault(name, []).append(batch * arguments.steps / seconds)
    baseline = statistics.median(rates["thesis output (baseline)"])
    for name, measured in rates.items():
        median = statistics.median(measured)
        print(
            f"  {name:<28} {median:6.1f} stories/s median of {arguments.runs} "
            f"(best {max(measured):.1f}), {median / baseline:.2f}x the baseline"
        )


if __name__ == "__main__":
    main()
