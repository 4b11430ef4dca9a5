"""``imgstory grounding``: how much of each story is supported by its photos' ImageNet concepts.

Reads the stories of one system (AREL predictions) or of every system in an ``imgstory vist
score`` results file, finds each album's photo sequence in a story-in-sequence file and a photo
folder, and measures grounding (:mod:`imgstory.eval.grounding`) with the album's own photos and,
as a chance level, with the next album's photos. The human stories of the same sequences are
measured too.
"""

from __future__ import annotations

from pathlib import Path

import typer

from imgstory.cli.printing import number
from imgstory.eval.options import JSON_HELP
from imgstory.jsonfile import check_input_file, check_input_folder, json_text


def grounding(
    photos: Path = typer.Option(..., "--photos", help="Folder of <photo_flickr_id>.jpg photos."),
    sis: Path = typer.Option(
        ..., "--sis", help="Story-in-sequence file giving each album's photo sequence."
    ),
    stories: Path = typer.Option(
        ...,
        "--stories",
        help="AREL predictions {album_id: story}, or a results file of `imgstory vist score` "
        "(every system in it is measured).",
    ),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Grounding of stories in their photos (share of content words near a photo concept)."""
    from imgstory.data.photos import PHOTO_FOLDER
    from imgstory.vist_models.grounding import measure_grounding

    check_input_folder(photos, PHOTO_FOLDER)  # every input before the story file is read
    check_input_file(sis, "a story-in-sequence file")
    check_input_file(stories, "AREL predictions or a results file of `imgstory vist score`")
    report = measure_grounding(photos, sis, stories)
    if json_output:
        print(json_text(report.to_json()))
        return
    print(report.protocol)
    for system, measured in report.systems.items():
        own, other = measured.own_photos, measured.other_album_photos
        shown = "n/a" if own is None else f"{number(own.value, '.3f')} "
        if own is not None:
            shown += f"[{number(own.low, '.3f')}, {number(own.high, '.3f')}]"
        chance = number(None if other is None else other.value, ".3f")
        print(
            f"  {system:<34} {shown}   other album's photos {chance}   ({measured.stories} stories)"
        )


def register(app: typer.Typer) -> None:
    """Add ``grounding`` to the main ``imgstory`` app."""
    app.command("grounding")(grounding)
