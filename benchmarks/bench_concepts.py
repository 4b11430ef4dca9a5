"""Concept encoder: photos/s, and how well photo and sentence concept vectors align on real albums.

On the 12 real VIST test albums of ../shared/vist/photos (5 photos each, 3-5 human stories), each
album's photos are compared position by position with every human story of every album: the rank
of the photos' own story (1 = best, median over albums) against chance, for each sentence-side
mapping. Prints the nearest VIST val story of a few albums (on topic?). Needs ../shared/vist.

    .venv/bin/python -m benchmarks.bench_concepts
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
VIST = Path(os.environ.get("IMGSTORY_SHARED_VIST", REPO.parent / "shared" / "vist"))


def _stories(space, sentences_of):
    """Per story (5, 50) sentence vectors for each sentence-side mapping."""
    return {
        "meaning (mean of content words)": np.stack(
            [space.sentence_meanings(s) for s in sentences_of]
        ),
        "class mixture (nearest classes)": np.stack(
            [space.sentence_vectors(s) for s in sentences_of]
        ),
    }


def main() -> int:
    if not (VIST / "photos" / "sequences.json").is_file():
        print(f"skipped: no real VIST photos at {VIST / 'photos'}")
        return 0
    from imgstory.data.references import load_references
    from imgstory.features.concept_encoder import ConceptEncoder

    albums = json.loads((VIST / "photos" / "sequences.json").read_text())
    started = time.perf_counter()
    encoder = ConceptEncoder()
    print(f"encoder built in {time.perf_counter() - started:.1f} s ({encoder.config.classifier})")
    photo_ids = [pid for album in albums for pid in album["stories"][0]["photo_flickr_ids"]]
    images = [Image.open(VIST / "photos" / f"{pid}.jpg").convert("RGB") for pid in photo_ids]
    pixels = np.stack([encoder.preprocess(image) for image in images])
    encoder.encode_arrays(pixels[:16])  # trace once
    times = []
    for _ in range(3):
        started = time.perf_counter()
        vectors = encoder.encode_arrays(pixels)
        times.append(time.perf_counter() - started)
    best = min(times)
    print(
        f"concept encoding: {len(pixels) / statistics.median(times):.1f} photos/s median, "
        f"{len(pixels) / best:.1f} best of 3 (60 photos, batch 16, preprocessed)"
    )
    photos = vectors.reshape(len(albums), 5, -1)  # (albums, 5, 50)

    texts, owner = [], []  # the human stories' per-photo sentences, and their album
    for index, album in enumerate(albums):
        for story in album["stories"]:
            texts.append([sentence.lower() for sentence in story["sentences"]])
            owner.append(index)
    owner = np.array(owner)
    chance = statistics.median([(len(texts) + 1) / 2] * len(albums))
    print(
        f"{len(albums)} albums, {len(texts)} candidate human stories "
        f"(chance median rank ~{chance:.0f})"
    )
    for name, story_vectors in _stories(encoder.space, texts).items():
        similarity = np.einsum("apd,spd->as", photos, story_vectors)  # (albums, stories)
        ranks = []
        for album in range(len(albums)):
            order = np.argsort(-similarity[album])
            own = np.flatnonzero(owner[order] == album)
            ranks.append(int(own[0]) + 1)
        top1 = np.mean([r == 1 for r in ranks])
        print(
            f"  {name}: median rank of own story {statistics.median(ranks):.1f}, "
            f"own story first {top1:.0%}"
        )

    val = load_references(VIST / "reference" / "val_reference.json")
    val_stories = [s for stories in val.values() for s in stories]
    split = [s.split(" . ") for s in val_stories]
    five = [[p.strip(" .") for p in parts] for parts in split if len(parts) == 5]
    val_vectors = np.stack([encoder.space.sentence_vectors(s) for s in five])  # (n, 5, 50)
    best = np.einsum("apd,spd->as", photos, val_vectors).argmax(axis=1)
    for album in range(4):
        top = encoder.space.top_classes(encoder.probabilities(pixels[album * 5 : album * 5 + 1]), 3)
        print(f"  album {albums[album]['album_id']}: photo 1 {top[0]}")
        print(f"    nearest val story: {' . '.join(five[best[album]])[:160]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
