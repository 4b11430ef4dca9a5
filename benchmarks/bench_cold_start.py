"""Benchmark: a story for 5 photos from a cold process, against TensorFlow's import alone.

``imgstory generate --model assets/models/vist-lstm <5 photos> --json`` and ``python -c "import
tensorflow"`` run alternately in fresh processes; the script prints each one's best and median
wall time, the median of the pairwise differences (what IMG_Story adds to the import) and, from
one in-process run, where that time goes. The photos are the first real VIST test album in
../shared/vist/photos when present, else 5 demo-pack photos (the printout says which).

    .venv/bin/python -m benchmarks.bench_cold_start [--runs 5] [--model assets/models/vist-lstm]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_PHOTOS = REPO_ROOT.parent / "shared" / "vist" / "photos"

PHASES = r"""
import json, os, sys, time
start = time.perf_counter()
marks = []
def mark(what):
    marks.append((what, time.perf_counter() - start))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf
mark("import tensorflow")
tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
from imgstory.generation.storyteller import Storyteller
from imgstory.images import load_image
storyteller = Storyteller.load(sys.argv[1]); mark("load the model")
encoder = storyteller.encoder(); mark("build the photo encoder")
photos = [load_image(path) for path in sys.argv[2:]]; mark("decode the photos")
features = encoder.encode(photos); mark("encode the photos (first batch)")
storyteller.generate_from_features(features, None); mark("first story (search traced)")
storyteller.generate_from_features(features, None); mark("second story (warm)")
print(json.dumps(marks))
"""


def photo_paths() -> tuple[list[str], str]:
    """Five photos in story order and what they are."""
    sequences = SHARED_PHOTOS / "sequences.json"
    if sequences.is_file():
        album = json.loads(sequences.read_text())[0]
        ids = album["stories"][0]["photo_flickr_ids"]
        paths = [str(next(SHARED_PHOTOS.glob(f"{photo}.*"))) for photo in ids]
        return paths, f"real VIST test album {album['album_id']} (5 photos)"
    images = sorted((REPO_ROOT / "assets" / "demo" / "images").rglob("*.jpg"))[:5]
    return [str(path) for path in images], "5 demo-pack photos (drawn scenes; ../shared absent)"


def wall(command: list[str]) -> float:
    """Wall seconds of one fresh process (its output discarded; a failure stops the benchmark)."""
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=REPO_ROOT)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--model", default="assets/models/vist-lstm")
    args = parser.parse_args()
    photos, what = photo_paths()
    imgstory = str(Path(sys.executable).with_name("imgstory"))
    generate = [imgstory, "generate", "--model", args.model, *photos, "--json"]
    baseline = [sys.executable, "-c", "import tensorflow"]
    env_note = os.environ.get("TF_CPP_MIN_LOG_LEVEL", "unset")
    print(f"photos: {what}; model {args.model}; {args.runs} alternating runs (warm-up first)")
    wall(generate), wall(baseline)
    stories, imports = [], []
    for _ in range(args.runs):
        stories.append(wall(generate))
        imports.append(wall(baseline))
    added = [story - tf for story, tf in zip(stories, imports, strict=True)]
    for name, times in (
        ("imgstory generate --json", stories),
        ("import tensorflow alone", imports),
    ):
        print(f"{name:<26} best {min(times):.2f}s  median {statistics.median(times):.2f}s")
    print(
        f"added by IMG_Story         median {statistics.median(added):.2f}s "
        f"(ratio {statistics.median(s / t for s, t in zip(stories, imports, strict=True)):.2f}x)"
    )
    result = subprocess.run(
        [sys.executable, "-c", PHASES, args.model, *photos],
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )
    marks = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"\none in-process run (TF_CPP_MIN_LOG_LEVEL={env_note}):")
    previous = 0.0
    for name, seconds in marks:
        print(f"  {seconds:6.2f}s  (+{seconds - previous:.2f}s)  {name}")
        previous = seconds


if __name__ == "__main__":
    main()
