"""EfficientNet-Lite0/1/2 on this machine: speed, size, and how well features group albums.

Prints per variant: photos/s of the compiled forward pass (median of ``--runs`` runs over all the
photos, batch 16, decoding excluded), the port's parameter count, and a quality proxy on the VIST
sample (60 photos, 12 albums of 5, ``photos/sequences.json``): the mean cosine similarity of the
1280-d pooled features between photos of the same album and of different albums (raw, and after
subtracting the mean feature), and the nearest-neighbour rate (how often a photo's most similar
other photo is from its own album; chance is 4/59 = 6.8%). Each figure is also given as a ratio
to Lite0. Then one variant is recommended: the best nearest-neighbour rate per unit of compute
(photos/s ratio x NN-rate ratio), provided its NN rate is no worse than Lite0's.
``--normalisation`` also compares Lite0 with ImageNet mean/std inputs against (x - 127) / 128.

    .venv/bin/python -m benchmarks.bench_efficientnet_lite [--photos DIR] [--runs 3]

Without the photo folder, generated images are timed and the quality figures are skipped.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from imgstory.images import load_image
from imgstory.paths import REPO_ROOT

DEFAULT_PHOTOS = REPO_ROOT.parent / "shared" / "vist" / "photos"
VARIANTS = (0, 1, 2)
BATCH = 16


@dataclass(frozen=True)
class Result:
    """One variant's figures (quality ones are None without album labels)."""

    variant: int
    photos_per_s: float
    parameters: int
    trainable: int
    same: float | None = None
    other: float | None = None
    centred_same: float | None = None
    centred_other: float | None = None
    nn_rate: float | None = None


def album_labels(photos_dir: Path, paths: list[Path]) -> list[str] | None:
    """The album of each photo from ``sequences.json`` (None when a photo has none)."""
    index = photos_dir / "sequences.json"
    if not index.is_file():
        return None
    album_of: dict[str, str] = {}
    for album in json.loads(index.read_text(encoding="utf-8")):
        for story in album["stories"]:
            for photo in story["photo_flickr_ids"]:
                album_of[str(photo)] = str(album["album_id"])
    labels = [album_of.get(path.stem) for path in paths]
    return None if any(label is None for label in labels) else labels  # type: ignore[return-value]


def quality(features: np.ndarray, labels: list[str]) -> dict[str, float]:
    """Same-/other-album mean cosine (raw and mean-centred) and the nearest-neighbour rate."""
    albums = np.array(labels)
    same = albums[:, None] == albums[None, :]  # (n, n)
    off_diagonal = ~np.eye(len(albums), dtype=bool)
    figures: dict[str, float] = {}
    for prefix, matrix in (("", features), ("centred_", features - features.mean(axis=0))):
        unit = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)  # (n, 1280)
        cosine = unit @ unit.T  # (n, n)
        figures[f"{prefix}same"] = float(cosine[same & off_diagonal].mean())
        figures[f"{prefix}other"] = float(cosine[~same].mean())
        if not prefix:
            np.fill_diagonal(cosine, -np.inf)
            nearest = cosine.argmax(axis=1)  # (n,)
            figures["nn_rate"] = float((albums[nearest] == albums).mean())
    return figures


def timed(net, pixels: np.ndarray, runs: int) -> float:
    """Median photos/s of ``net.predict`` over ``runs`` runs (after one warm-up batch)."""
    net.predict(pixels[:BATCH])
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        net.predict(pixels)
        seconds.append(time.perf_counter() - start)
    return len(pixels) / statistics.median(seconds)


def compare_normalisation(net, images: list, labels: list[str] | None) -> None:
    """Lite0 fed ImageNet mean/std inputs vs (x - 127) / 128: confidence and NN rate."""
    from imgstory.features.efficientnet_lite import preprocess

    pixels = net.pixels(images)  # (n, s, s, 3) uint8
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    inputs = {
        "(x - 127) / 128": preprocess(pixels),
        "ImageNet mean/std": ((pixels / 255.0 - mean) / std).astype(np.float32),
    }
    print("\nLite0 input normalisation (the weights come from TF's lite checkpoints):")
    for name, batch in inputs.items():
        outputs = net.model.predict(batch, batch_size=BATCH, verbose=0)
        logits = outputs["logits"].astype(np.float64)
        probs = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        line = f"  {name:<18} mean top-1 softmax {probs.max(axis=1).mean():.3f}"
        if labels is not None:
            line += f", NN rate {quality(outputs['features'], labels)['nn_rate']:.1%}"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--normalisation", action="store_true")
    args = parser.parse_args()

    from imgstory.features.efficientnet_lite import EfficientNetLite

    paths = sorted(args.photos.glob("*.jpg")) if args.photos.is_dir() else []
    labels = album_labels(args.photos, paths) if paths else None
    if paths:
        print(f"{len(paths)} photos from {args.photos}", end="")
        print(f", {len(set(labels))} albums" if labels else " (no album labels)")
    else:
        print(f"no photos at {args.photos}: timing 60 generated images, no quality figures")
    results: list[Result] = []
    for variant in VARIANTS:
        net = EfficientNetLite.from_file(variant=variant, batch_size=BATCH)
        side = net.image_size
        if paths:
            images = [load_image(path, max_side=2 * side) for path in paths]
            pixels = net.pixels(images)  # (n, s, s, 3) uint8
        else:
            images = []
            pixels = np.random.default_rng(0).integers(0, 256, (60, side, side, 3), np.uint8)
        rate = timed(net, pixels, args.runs)
        trainable = sum(int(np.prod(w.shape)) for w in net.model.trainable_weights)
        figures = quality(net.predict(pixels)[0], labels) if labels else {}
        results.append(Result(variant, rate, net.parameter_count, trainable, **figures))
        if args.normalisation and variant == 0 and images:
            compare_normalisation(net, images, labels)

    base = results[0]
    print(
        f"\n{'variant':<8}{'size':>5}{'photos/s':>10}{'params':>11}{'trainable':>11}"
        f"{'cos same':>10}{'cos other':>10}{'centred s/o':>14}{'NN rate':>9}"
    )
    for result in results:
        size = input_side(result.variant)
        line = (
            f"lite{result.variant:<4}{size:>5}{result.photos_per_s:>10.1f}"
            f"{result.parameters:>11,}{result.trainable:>11,}"
        )
        if result.nn_rate is not None:
            line += (
                f"{result.same:>10.3f}{result.other:>10.3f}"
                f"{result.centred_same:>8.3f}/{result.centred_other:<6.3f}{result.nn_rate:>8.1%}"
            )
        print(line)
    measured = "speed, parameters" + (", same-other cosine gap, NN rate" if labels else "")
    print(f"\nratios to lite0 ({measured}):")
    for result in results:
        line = (
            f"  lite{result.variant}: speed x{result.photos_per_s / base.photos_per_s:.2f}, "
            f"params x{result.parameters / base.parameters:.2f}"
        )
        if result.nn_rate is not None and base.nn_rate:
            gap, base_gap = result.same - result.other, base.same - base.other
            line += f", gap x{gap / base_gap:.2f}, NN rate x{result.nn_rate / base.nn_rate:.2f}"
        print(line)
    if base.nn_rate is None:
        print("\nno album labels: no recommendation (quality unknown)")
        return
    eligible = [r for r in results if r.nn_rate is not None and r.nn_rate >= base.nn_rate]

    def value(result: Result) -> float:  # quality per cost, both relative to Lite0
        return (result.nn_rate / base.nn_rate) * (result.photos_per_s / base.photos_per_s)

    chosen = max(eligible, key=value)
    print(
        f"\nrecommended: lite{chosen.variant} (NN rate {chosen.nn_rate:.1%}, "
        f"{chosen.photos_per_s:.1f} photos/s; quality x cost score {value(chosen):.2f} vs "
        + ", ".join(f"lite{r.variant} {value(r):.2f}" for r in results if r is not chosen)
        + ")"
    )


def input_side(variant: int) -> int:
    """The input side of Lite``variant``."""
    from imgstory.features.efficientnet_lite import VARIANTS as SIZES

    return SIZES[variant][2]


if __name__ == "__main__":
    sys.exit(main())
