"""``imgstory data``: inspect VIST files, build the Parquet index, convert SIS to references."""

from __future__ import annotations

from pathlib import Path

import typer

from imgstory.jsonfile import json_text
from imgstory.outputs import OVERWRITE_HELP

data_app = typer.Typer(
    help="Inspect VIST files and build the story/photo index.", no_args_is_help=True
)

IMAGES_HELP = (
    "Photo folder: the VIST images/ root (train/ val/ test/ inside) or a flat folder of "
    "<photo_id>.jpg|png|gif files. Without it, photos are not checked."
)


@data_app.command("inspect")
def inspect_command(
    sis_json: Path = typer.Argument(..., help="An official {split}.story-in-sequence.json file."),
    images: Path | None = typer.Option(None, "--images", help=IMAGES_HELP),
    no_decode: bool = typer.Option(
        False, "--no-decode", help="Only check that photo files exist; do not decode them."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table."),
) -> None:
    """Count stories, albums, photos and sentences; report skipped stories and broken photos."""
    from imgstory.data.inspect import inspect_sis

    report = inspect_sis(sis_json, images, check_readable=not no_decode, progress=not as_json)
    if as_json:
        print(json_text(report.to_dict(), ensure_ascii=False))
        return
    _print_report(report)


def _print_report(report) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"{report.file} (split: {report.split})", markup=False)
    table = Table(show_header=False)
    rows = [
        ("stories", report.stories),
        ("albums", report.albums),
        ("photos", report.photos),
        ("sentences", report.sentences),
        ("skipped stories", report.skipped_stories),
    ]
    if report.images_dir is not None:
        rows += [
            ("photos found", report.found_photos),
            ("missing photos", report.missing_photos),
            ("unreadable photos", report.unreadable_photos),
            ("usable stories", report.usable_stories),
            ("usable albums", report.usable_albums),
        ]
    for name, value in rows:
        table.add_row(name, f"{value:,}")
    console.print(table)
    for reason, count in report.skipped_reasons.items():
        console.print(f"skipped for {reason}: {count:,}")
    for example in report.skipped_examples:
        console.print(f"  - {example}", markup=False)
    if report.missing_examples:
        console.print(f"missing photos, e.g.: {', '.join(report.missing_examples)}", markup=False)
    for example in report.unreadable_examples:
        console.print(f"  unreadable: {example['path']}: {example['reason']}", markup=False)
    if report.images_dir is None:
        console.print("photos not checked: pass --images DIR to check them")


@data_app.command("index")
def index_command(
    sis_files: list[Path] = typer.Argument(
        ..., help="One or more SIS files (e.g. train/val/test)."
    ),
    out: Path = typer.Option(..., "--out", help="Folder for stories.parquet and photos.parquet."),
    images: Path | None = typer.Option(None, "--images", help=IMAGES_HELP),
    no_decode: bool = typer.Option(
        False, "--no-decode", help="Only check that photo files exist; do not decode them."
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help=OVERWRITE_HELP),
) -> None:
    """Write the Parquet index of stories and photos that later stages and the app read."""
    from imgstory.data.index import build_index, is_index_dir
    from imgstory.outputs import check_output_dir

    check_output_dir(
        out,
        inputs=[*sis_files, images],
        overwrite=overwrite,
        is_replaceable=is_index_dir,
        what="story index",
    )
    index = build_index(sis_files, images, check_readable=not no_decode)
    index.write(out)
    usable = int(index.stories["photos_ok"].sum())
    print(
        f"wrote {out}: {len(index.stories):,} stories ({usable:,} with all photos usable), "
        f"{len(index.photos):,} photos"
    )


@data_app.command("references")
def references_command(
    sis_json: Path = typer.Argument(..., help="An official {split}.story-in-sequence.json file."),
    out: Path = typer.Option(..., "--out", help="The AREL-format reference file to write."),
    overwrite: bool = typer.Option(False, "--overwrite", help=OVERWRITE_HELP),
) -> None:
    """Convert a SIS file into an AREL-format reference file (album_id -> [story, ...])."""
    from imgstory.data.index import load_stories
    from imgstory.data.references import references_from_stories, write_references
    from imgstory.outputs import check_output_file

    check_output_file(out, inputs=[sis_json], overwrite=overwrite, what="reference file")
    references = references_from_stories(load_stories(sis_json))
    write_references(references, out)
    print(f"wrote {out}: {len(references):,} albums")


def register(app: typer.Typer) -> None:
    """Add the ``data`` command group to the main ``imgstory`` app."""
    app.add_typer(data_app, name="data")
