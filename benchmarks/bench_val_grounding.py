"""Do the VIST storytellers tell albums apart? A proxy on held-out VIST *val* albums (no test data).

The VIST models were trained on val stories with 5% of the albums held out (``split_by_album``,
the trainer's own fraction and seed). For each held-out album with at least two stories, its
first story stands in for the photos: each sentence becomes the ImageNet-class mixture nearest
its meaning (:meth:`ConceptSpace.sentence_vectors`, the kind of vector a photo gets: a mix of
class names, not the sentence's own words); the album's *other* stories are the references.
Systems: each model under several decoding settings, concept retrieval (the training story
best matching the inputs, as ``imgstory vist score`` does for photos) and a random training
story. Prints CIDEr (AREL protocol), album identification (top-1 / top-3 / mean rank among the
held-out albums), the mean log-probability per token of the written stories under the model
(fluency) and distinct-2 (variety), with one story per setting to read.

This is where decoding ideas for real photos can be measured without touching test photos; it
is small (about 50 albums), so differences of one or two albums are noise.

    .venv/bin/python -m benchmarks.bench_val_grounding [--stories VAL_REFERENCES] [--models-dir DIR]
"""

from __future__ import annotations

import argparse
import os
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from benchmarks.bench_sampling import distinct_2, sentences_of, token_log_probability
from imgstory.decoding import DecodingConfig
from imgstory.eval.arel import evaluate_arel
from imgstory.eval.identification import identify_albums
from imgstory.features.concepts import ConceptSpace
from imgstory.generation.storyteller import Storyteller
from imgstory.model.pipeline import split_by_album
from imgstory.vist_models.build import VIST_TRAINING
from imgstory.vist_models.real_photos import random_stories, retrieval_stories
from imgstory.vist_models.text_stories import load_text_stories

VAL_STORIES = Path("/work/shared/vist/reference/val_reference.json")
MODELS = Path("assets/models")
SETTINGS = {
    "beam 3 (default)": {},
    "beam 3, no-repeat 3": {"no_repeat_ngram_size": 3},
    "beam 3, length penalty 1": {"length_penalty": 1.0},
    "beam 5": {"beam_size": 5},
    "greedy": {"method": "greedy"},
}


def held_out(path: Path):
    """``(train stories, inputs, references)``: the trainer's split; per held-out album with 2+
    stories, its first story (the stand-in for photos) and its other stories."""
    stories = load_text_stories(path).stories
    train, held = split_by_album(stories, VIST_TRAINING.validation_fraction, VIST_TRAINING.seed)
    by_album = defaultdict(list)
    for story in held:
        by_album[story.album_id].append(story)
    inputs, references = {}, {}
    for album, told in sorted(by_album.items()):
        if len(told) >= 2:
            inputs[album] = told[0]
            references[album] = [story.story_text for story in told[1:]]
    return train, inputs, references


def report(label: str, references, stories, extra: str = "") -> None:
    """One line of figures for ``album -> story``."""
    cider = evaluate_arel(references, stories, meteor=False).scores["CIDEr"]
    found = identify_albums(references, stories)
    print(f"  {label:36s} {cider:6.3f} {found.top1:5.2f} {found.top3:5.2f} "
          f"{np.mean(found.ranks):5.1f} {extra}")  # fmt: skip


def main() -> None:
    """Score every system on the held-out val albums."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=Path, default=VAL_STORIES)
    parser.add_argument("--models", default="vist-lstm,vist-gru")
    parser.add_argument("--models-dir", type=Path, default=MODELS, help="folder of the models")
    args = parser.parse_args()
    if not args.stories.exists():
        raise SystemExit(f"{args.stories} is absent: point --stories at VIST val references")
    train, inputs, references = held_out(args.stories)
    albums = list(inputs)
    space = ConceptSpace.packaged()
    sequences = [inputs[album] for album in albums]
    sentences = [sentence for story in sequences for sentence in story.texts]
    features = space.sentence_vectors(sentences).reshape(len(albums), 5, -1)  # (albums, 5, 50)
    photo_vectors = dict(
        zip(
            [photo for story in sequences for photo in story.photo_ids],
            features.reshape(-1, 50),
            strict=True,
        )
    )
    print(f"{len(albums)} held-out val albums; chance: top-1 {1 / len(albums):.2f}, "
          f"top-3 {3 / len(albums):.2f}, mean rank {(len(albums) + 1) / 2:.1f}")  # fmt: skip
    print(f"  {'system':36s} {'CIDEr':>6s} {'top1':>5s} {'top3':>5s} {'rank':>5s} "
          "logp/token distinct-2")  # fmt: skip
    report("concept retrieval", references, retrieval_stories(photo_vectors, sequences, train))
    report("random val story", references, random_stories(sequences, train, seed=0))
    for name in args.models.split(","):
        teller = Storyteller.load(args.models_dir / name)
        for label, options in SETTINGS.items():
            config = DecodingConfig(**options)
            tokens = teller.search(config)(features, config)  # (albums, 5, width)
            told = [" ".join(teller.vocabulary.decode(row) for row in story) for story in tokens]
            stories = dict(zip(albums, told, strict=True))
            fluency = token_log_probability(teller, features, tokens)
            variety = distinct_2(sentences_of(teller, tokens))
            report(f"{name}, {label}", references, stories, f"{fluency:10.3f} {variety:10.3f}")
            print(f"      {albums[1]}: {stories[albums[1]]}")
    print(f"\ninput of {albums[1]}: {inputs[albums[1]].story_text}")


if __name__ == "__main__":
    main()
