"""Which sampling settings write grammatical yet varied stories? Measured on the demo models.

For each sampling setting, on the demo pack's test stories (cached features) and each demo model
(LSTM, GRU), over ``--runs`` seeds, prints the median of:

- ``logp/token``: mean log-probability per token of the sampled sentences under the model's own
  teacher-forced scoring at temperature 1 (closer to 0 = text the model finds fluent; greedy and
  beam search are the reference for grammatical text here);
- ``copied``: share of sentences that are exactly a training sentence (the demo models are
  small, so much of their fluent text is recalled);
- ``distinct-2``: distinct word bigrams / all bigrams over every sentence of the run (variety);

and each figure's ratio against the old default (temperature 1.0, no top-k, no top-p).

    .venv/bin/python -m benchmarks.bench_sampling                # ~4 minutes on 2 busy cores
    .venv/bin/python -m benchmarks.bench_sampling --runs 2 --stories 40   # a smoke run
"""

from __future__ import annotations

import argparse
import os
import statistics
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

from imgstory.data.sis import load_sis
from imgstory.decoding import DecodingConfig
from imgstory.eval.story_metrics import distinct_2
from imgstory.features.store import FeatureStore
from imgstory.generation.storyteller import Storyteller
from imgstory.text.vocabulary import END_ID, PAD_ID

DEMO = Path("assets/demo")
OLD_DEFAULT = "T=1.0 (old default)"
SETTINGS = {
    OLD_DEFAULT: dict(temperature=1.0, top_k=0, top_p=1.0),
    "T=1.0 p=0.9": dict(temperature=1.0, top_k=0, top_p=0.9),
    "T=0.8": dict(temperature=0.8, top_k=0, top_p=1.0),
    "T=0.8 p=0.9": dict(temperature=0.8, top_k=0, top_p=0.9),
    "T=0.7": dict(temperature=0.7, top_k=0, top_p=1.0),
    "T=0.7 k=40": dict(temperature=0.7, top_k=40, top_p=1.0),
    "T=0.7 p=0.9": dict(temperature=0.7, top_k=0, top_p=0.9),
    "T=0.5 p=0.9": dict(temperature=0.5, top_k=0, top_p=0.9),
}
REFERENCES = {"greedy": dict(method="greedy"), "beam 3": dict(method="beam", beam_size=3)}


def token_log_probability(teller: Storyteller, features: np.ndarray, tokens: np.ndarray) -> float:
    """Mean log-probability per token (words and ``<end>``) of ``tokens`` ``(n, 5, width)``
    under the model, teacher-forced (temperature 1, no filtering)."""
    logits = teller.directory.model(
        {"photo_features": features, "sentences": tokens}, training=False
    )  # (n, 5, width, vocab)
    log_probs = tf.nn.log_softmax(logits).numpy()
    chosen = np.take_along_axis(log_probs, tokens[..., None], axis=-1)[..., 0]
    return float(chosen[tokens != PAD_ID].mean())


def sentences_of(teller: Storyteller, tokens: np.ndarray) -> list[str]:
    """Every sentence of ``(n, photos, width)`` ids, normalised."""
    return [teller.vocabulary.decode(row) for story in tokens for row in story]


def measure(teller, features, training_sentences, config: DecodingConfig) -> dict[str, float]:
    """The three figures for one decoding of every story."""
    tokens = teller.search(config)(features, config)  # (n, 5, width)
    assert ((tokens == END_ID).sum(-1) == 1).all()
    sentences = sentences_of(teller, tokens)
    return {
        "logp/token": token_log_probability(teller, features, tokens),
        "copied": float(np.mean([s in training_sentences for s in sentences])),
        "distinct-2": distinct_2(sentences),
    }


def main() -> None:
    """Measure every setting on each demo model and print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="seeds per setting (median taken)")
    parser.add_argument("--stories", type=int, default=0, help="test stories used (0 = all)")
    parser.add_argument("--models", default="lstm,gru", help="demo models, comma-separated")
    args = parser.parse_args()

    store = FeatureStore.open(DEMO / "features")
    stories = load_sis(DEMO / "sis" / "test.story-in-sequence.json").stories
    stories = stories[: args.stories] if args.stories else stories
    features = np.stack([store.get(s.photo_ids) for s in stories]).astype(np.float32)
    training = {
        text for s in load_sis(DEMO / "sis" / "train.story-in-sequence.json").stories
        for text in s.texts
    }  # fmt: skip
    print(f"{len(stories)} demo test stories, {args.runs} seeds per setting; median of runs")
    for name in args.models.split(","):
        teller = Storyteller.load(DEMO / "models" / name)
        print(f"\n{name}: {'setting':22s} {'logp/token':>10s} {'copied':>7s} {'distinct-2':>10s}"
              "    ratios vs old default")  # fmt: skip
        for label, options in REFERENCES.items():
            figures = measure(teller, features, training, DecodingConfig(**options))
            print(f"      {label:22s} {figures['logp/token']:10.3f} {figures['copied']:7.3f} "
                  f"{figures['distinct-2']:10.3f}    (reference)")  # fmt: skip
        old = None
        for label, options in SETTINGS.items():
            runs = [
                measure(teller, features, training, DecodingConfig("sample", seed=s, **options))
                for s in range(args.runs)
            ]
            median = {k: statistics.median(run[k] for run in runs) for k in runs[0]}
            old = old or median
            ratios = "  ".join(f"{median[k] / old[k]:.2f}" for k in median)
            print(f"      {label:22s} {median['logp/token']:10.3f} {median['copied']:7.3f} "
                  f"{median['distinct-2']:10.3f}    {ratios}")  # fmt: skip
    default = DecodingConfig()
    print(f"\nDecodingConfig defaults: temperature {default.temperature}, top_k {default.top_k}, "
          f"top_p {default.top_p}")  # fmt: skip


if __name__ == "__main__":
    main()
