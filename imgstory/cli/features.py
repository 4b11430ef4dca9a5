"""``imgstory features``: extract photo features into a store, inspect and merge stores.

TensorFlow loads only inside ``extract --encoder xception``; ``info`` and ``merge`` stay light.
"""

from __future__ import annotations

from pathlib import Path

import typer

from imgstory.errors import UserInputError
from imgstory.features.options import (
    BATCH_SIZE_HELP,
    ENCODER_HELP,
    SHARD_HELP,
    STRATEGY_HELP,
    WEIGHTS_HELP,
)
from imgstory.jsonfile import json_text

features_app = typer.Typer(
    help="Photo features: extract them once into a store, then train and generate from it.",
    no_args_is_help=True,
)


def extract(
    images: Path = typer.Option(
        ..., "--images", help="folder of photos (searched recursively; id = file name stem)"
    ),
    out: Path = typer.Option(
        ..., "--out", help="feature store folder: created, or added to (resumes a run)"
    ),
    encoder: str = typer.Option(..., "--encoder", help=ENCODER_HELP),
    weights: str = typer.Option(None, "--weights", help=WEIGHTS_HELP),
    batch_size: int = typer.Option(16, "--batch-size", help=BATCH_SIZE_HELP),
    shard: str = typer.Option(None, "--shard", help=SHARD_HELP),
    strategy: str = typer.Option(None, "--strategy", help=STRATEGY_HELP),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object to stdout"),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="progress bar on stderr"),
) -> None:
    """Encode every photo under --images not yet in --out; unreadable photos are listed."""
    from imgstory.features.extract import extract_features, list_photos
    from imgstory.images import PHOTO_SUFFIXES
    from imgstory.jsonfile import check_input_folder
    from imgstory.outputs import check_writable_folder

    check_input_folder(images, "--images: a folder of photos")
    check_writable_folder(out, "feature store")

    if out.expanduser().resolve() == images.expanduser().resolve():
        raise UserInputError(
            f"--out {out} is the photo folder itself: give the store a folder of its own"
        )
    photos = list_photos(images)
    if not photos:
        raise UserInputError(
            f"no photos under {images}: expected image files ({', '.join(PHOTO_SUFFIXES)}), "
            "searched recursively; check --images"
        )
    report = extract_features(
        photos,
        out,
        encoder,
        weights=weights,
        batch_size=batch_size,
        progress=progress and not as_json,
        shard=shard,
        strategy=strategy,
    )
    if as_json:
        print(json_text(report.to_dict()))
        return
    print(
        f"{report.stored} stored, {report.skipped_existing} already in {out}, "
        f"{len(report.unreadable)} unreadable, of {report.photos} photos "
        f"({report.images_per_second:.1f} photos/s)"
    )
    for path, reason in report.unreadable:
        print(f"  unreadable: {path}: {reason}")


def info(
    store: Path = typer.Argument(..., help="feature store folder"),
    verify: bool = typer.Option(
        False,
        "--verify",
        help="check every commit's checksums and that no id repeats (reads the whole store; "
        "opening a store checks only that ids and rows agree and the last commit)",
    ),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object to stdout"),
) -> None:
    """Show a feature store's encoder, dimension, photo count and size."""
    from imgstory.features.store import FeatureStore

    opened = FeatureStore.open(store)
    summary = opened.summary()
    if verify:
        summary.update(opened.verify())
    if as_json:
        print(json_text(summary))
        return
    for key, value in summary.items():
        print(f"{key:20} {value}")


def merge(
    out: Path = typer.Argument(
        ..., help="store to add to (created from the first shard if absent)"
    ),
    shards: list[Path] = typer.Argument(..., help="stores to copy from (same encoder and weights)"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object to stdout"),
) -> None:
    """Merge shard stores (from --shard runs) into one; photos already in OUT are kept."""
    from imgstory.features.store import FeatureStore

    target_path = out.expanduser().resolve()
    if any(path.expanduser().resolve() == target_path for path in shards):
        raise UserInputError(f"{out} is also one of the stores to merge from: list it once, as OUT")
    sources = [FeatureStore.open(path) for path in shards]
    first = sources[0]
    target = FeatureStore.open_or_create(
        out,
        encoder=first.encoder,
        dimension=first.dimension,
        weights_fingerprint=first.weights_fingerprint,
        dtype=first.metadata["dtype"],
    )
    added = sum(target.merge_from(source) for source in sources)
    if as_json:
        print(json_text({"store": str(out), "added": added, "count": len(target)}))
        return
    print(f"{added} added; {out} now holds {len(target)} photos")


def register(app: typer.Typer) -> None:
    """Add the ``features`` command group (extract, info, merge) to the main ``imgstory`` app."""
    features_app.command("extract")(extract)
    features_app.command("info")(info)
    features_app.command("merge")(merge)
    app.add_typer(features_app, name="features")
