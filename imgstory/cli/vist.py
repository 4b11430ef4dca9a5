"""``imgstory vist``: build the storytellers for real photos from VIST text, and score them.

Nothing heavy is imported until a command runs.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from imgstory.cli.printing import number
from imgstory.jsonfile import json_text
from imgstory.paths import REAL_PHOTO_RESULTS_FILE as RESULTS_FILE
from imgstory.paths import SHIPPED_MODELS_DIR as MODELS_DIR

if TYPE_CHECKING:
    from imgstory.vist_models.build import BuiltModel
    from imgstory.vist_models.text_stories import TextStories

#: ``imgstory.vist_models.build.VARIANTS``' names (the shipped ones first), written out so
#: ``--help`` imports nothing heavy.
VARIANT_NAMES = ("vist-lstm", "vist-gru", "vist-lstm-plain", "vist-lstm-tied")
SHIPPED_NAMES = VARIANT_NAMES[:3]

#: What the results file says of the text (the files themselves are listed beside it).
TRAINING_TEXT = (
    "VIST train/val text only (the files under training_files); test stories, photos and "
    "references only scored"
)
FLOOR_TEXT = (
    "the models' own training text (training_files): the random story, concept retrieval and "
    "sentence retrieval draw from exactly what the models learned from"
)

vist_app = typer.Typer(
    help="Storytellers for real photos, trained on VIST val text alone (concept bridge).",
    no_args_is_help=True,
)


STORIES_OPTION = typer.Option(
    ...,
    "--stories",
    help="VIST train or val text (repeat for several files): a SIS file, an AREL-format "
    "reference file (val_reference.json) or a story-text file "
    '({"split": "train", "stories": [[5 sentences], ...]}); never test',
)
TEST_REFERENCES_OPTION = typer.Option(
    None,
    "--test-references",
    help="VIST test references (AREL format, test_reference.json): training text holding "
    "any of their stories is refused (checked by content, not by file name)",
)
MODELS_OPTION = typer.Option(
    ",".join(SHIPPED_NAMES),
    "--models",
    help=f"comma-separated, of {', '.join(VARIANT_NAMES)} (vist-lstm-tied: measured, not shipped)",
)
EVALUATE_ON_OPTION = typer.Option(
    None,
    "--evaluate-on",
    help="a VIST folder with sis/test.story-in-sequence.json, reference/test_reference.json "
    "and photos/ (or images/test/): score the models on its photos afterwards",
)


def chosen_models(models: str) -> list[str]:
    """The model names of ``--models`` (comma-separated), each one of the build's variants.

    Raises:
        UserInputError: none, or a name that is not a variant.
    """
    from imgstory.errors import UserInputError
    from imgstory.vist_models.build import VARIANTS

    chosen = [name.strip() for name in models.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in VARIANTS]
    if unknown or not chosen:
        raise UserInputError(f"--models: choose among {', '.join(VARIANTS)}, got {models!r}")
    return chosen


def check_build_outputs(
    chosen: list[str],
    out: Path,
    work_dir: Path | None,
    inputs: tuple[Path | None, ...],
    evaluate_on: Path | None,
    overwrite: bool,
) -> None:
    """Refuse, before hours of training, what the build could not write: the results file when
    it scores afterwards, every model's directory and work dir.

    Raises:
        UserInputError: no ``evaluate_on`` folder, or an output that may not be written.
    """
    from imgstory.errors import UserInputError
    from imgstory.model.rundir import plan_run
    from imgstory.outputs import check_output_file, check_writable_folder
    from imgstory.vist_models.build import VARIANTS, VIST_TRAINING

    if evaluate_on is not None:
        if not evaluate_on.is_dir():
            raise UserInputError(f"--evaluate-on {evaluate_on}: no such VIST folder")
        check_output_file(RESULTS_FILE, overwrite=overwrite, what="real-photo results file")
    for name in chosen:
        plan = plan_run(
            out / name,
            work_dir / name if work_dir else None,
            VARIANTS[name],
            VIST_TRAINING,
            restart=True,  # as the build: an interrupted one starts over
            overwrite=overwrite,
            inputs=inputs,
        )
        check_writable_folder(plan.work_dir, "work dir")


def read_training_text(stories: list[Path], test_references: Path | None) -> list[TextStories]:
    """The training text files, each checked against the test references (when given) before
    the first line of the summary; then how many stories each offers, on stderr.

    Raises:
        UserInputError: an unreadable file, or training text that holds a test story.
    """
    from imgstory.data.references import load_references
    from imgstory.vist_models.text_guard import check_no_test_text
    from imgstory.vist_models.text_stories import load_text_stories

    texts = [load_text_stories(path) for path in stories]
    test = load_references(test_references) if test_references is not None else None
    for text in texts:
        if test is not None:
            check_no_test_text(text.stories, test, text.source)
    for text in texts:
        print(
            f"{text.source}: {len(text.stories)} of {text.offered} stories have 5 sentences",
            file=sys.stderr,
        )
    if test is None:
        print("no --test-references: training text not checked against test text by content",
              file=sys.stderr)  # fmt: skip
    return texts


def print_built(built: Sequence[BuiltModel]) -> None:
    """One line per trained model on stderr: epochs, best epoch and loss, speed, time."""
    for model in built:
        report = model.report
        print(
            f"{model.path}: {report['epochs_run']} epochs, best {report['best_epoch']} "
            f"(val loss {number(report['best_val_loss'], '.3f')}), "
            f"{report['stories_per_second']} stories/s, "
            f"{report['seconds']:.0f} s",
            file=sys.stderr,
        )


def build(
    stories: list[Path] = STORIES_OPTION,
    test_references: Path | None = TEST_REFERENCES_OPTION,
    out: Path = typer.Option(MODELS_DIR, "--out", help="writes <out>/<model> for each model"),
    models: str = MODELS_OPTION,
    work_dir: Path | None = typer.Option(None, "--work-dir", help="checkpoints and logs"),
    evaluate_on: Path | None = EVALUATE_ON_OPTION,
    progress: bool = typer.Option(True, "--progress/--no-progress", help="progress bars"),
    overwrite: bool = typer.Option(
        False,
        "--overwrite",
        help="replace existing model directories and the results file",
    ),
) -> None:
    """Train the VIST LSTM (thesis model), its GRU baseline and the plain-output LSTM from text,
    then score them."""
    from imgstory.cli.model import quiet_tensorflow

    quiet_tensorflow()  # before any import of TensorFlow here or in the training processes
    from imgstory.vist_models.build import build_vist_models, side_by_side

    chosen = chosen_models(models)
    inputs = (*stories, test_references)
    check_build_outputs(chosen, out, work_dir, inputs, evaluate_on, overwrite)
    texts = read_training_text(stories, test_references)
    if len(chosen) > 1:
        how = "at once, one process each" if side_by_side(len(chosen)) else "one after another"
        print(
            f"training {', '.join(chosen)} {how} (on 2 cores: about 20 minutes for the LSTM and "
            "GRU, 38 with the plain LSTM); their summaries follow when all are done",
            file=sys.stderr,
        )
    built = build_vist_models(
        texts, out, chosen, work_dir=work_dir, progress=progress, overwrite=overwrite
    )
    print_built(built)
    if evaluate_on is not None:
        trained = {model.path.name: model.path for model in built}  # as `score` names them
        evaluate(evaluate_on, [text.source for text in texts], trained, overwrite=overwrite)


def evaluate(
    folder: Path,
    train_stories: str | Path | Sequence[str | Path],
    models: dict[str, Path],
    *,
    overwrite: bool = False,
    out: Path = RESULTS_FILE,
) -> dict:
    """Tell and score ``models``, the released systems, the humans and the floors on the photos
    of a VIST folder; write the results file (``imgstory vist score`` and the build).

    Args:
        folder: a VIST folder (sis/, reference/, photos/ or images/test/, optionally the released
            systems' outputs under published/).
        train_stories: the training text file(s) the models learned from; the floors draw from
            the same stories.
        models: label -> model directory (the demo LSTM is added).
        overwrite: replace an existing results file.
        out: the results file (default: the one the app shows, assets/results).
    """
    from imgstory.data.index import load_stories
    from imgstory.data.references import load_references
    from imgstory.eval.released import find_released_files
    from imgstory.outputs import check_output_file, write_text_atomic
    from imgstory.paths import DEMO_DIR
    from imgstory.vist_models.real_photos import evaluate_on_real_photos
    from imgstory.vist_models.text_stories import load_text_stories

    sources = [train_stories] if isinstance(train_stories, str | Path) else list(train_stories)
    sis = folder / "sis" / "test.story-in-sequence.json"
    reference_file = folder / "reference" / "test_reference.json"
    inputs = [*sources, sis, reference_file]
    out = check_output_file(out, inputs=inputs, overwrite=overwrite, what="real-photo results file")
    texts = [load_text_stories(source) for source in sources]
    photos = folder / "photos" if (folder / "photos").is_dir() else folder / "images" / "test"
    models = {**models, "demo LSTM (drawn scenes)": DEMO_DIR / "models" / "lstm"}
    released = find_released_files(folder / "published")
    report = evaluate_on_real_photos(
        load_stories(sis),
        photos,
        load_references(reference_file),
        models,
        [story for text in texts for story in text.stories],
        released=released,
        training_text=TRAINING_TEXT,
        training_files=[{**text.card(), "file": Path(text.source).name} for text in texts],
        floor_text=FLOOR_TEXT,
    )
    results = report.to_json()
    write_text_atomic(out, json_text(results, indent=1, ensure_ascii=False) + "\n")
    if not released:
        print(f"no released outputs found under {folder / 'published'}", file=sys.stderr)
    for label, system in report.systems.items():
        print(_summary_line(label, system), file=sys.stderr)
    print(f"wrote {out}", file=sys.stderr)
    return results


def _summary_line(label: str, system) -> str:
    """One row of the comparison as the build prints it."""
    scores, found, naming = system.scores, system.identification, system.naming
    parts = [
        f"{key} {number(scores[key].value, '.3f')}" for key in ("METEOR", "CIDEr") if key in scores
    ]
    parts.append(f"first {number(found.top1, '.0%')}, top-3 {number(found.top3, '.0%')}")
    if naming is not None and naming.rate is not None:
        parts.append(f"naming {naming.named}/{naming.eligible}")
    versus = system.versus_thesis.get("CIDEr")
    if versus is not None:
        parts.append(
            f"thesis minus this CIDEr {number(versus.difference, '+.3f')} "
            f"(p = {number(versus.p_value, '.3f')})"
        )
    if system.albums_missing:
        parts.append(f"no story for {len(system.albums_missing)} album(s)")
    return f"{label}: " + ", ".join(parts)


def score(
    folder: Path = typer.Argument(..., help="VIST folder (sis/, reference/, photos/)"),
    stories: list[Path] = typer.Option(
        ...,
        "--stories",
        help="the training text the models learned from (repeat for several files, e.g. "
        "--stories val_reference.json --stories train_stories.json); the floors draw from it",
    ),
    models_dir: Path = typer.Option(
        MODELS_DIR, "--models", help="folder of the VIST models (vist-lstm, vist-gru, ...)"
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace the results file"),
    out: Path = typer.Option(
        RESULTS_FILE,
        "--out",
        help="the results file to write (default: the one the app shows); another path keeps "
        "the shipped results as they are, e.g. to score rebuilt models beside them",
    ),
) -> None:
    """Score the built VIST models, the released systems, the humans and the floors on a VIST
    folder's photos."""
    found = sorted(path for path in models_dir.glob("vist-*") if (path / "config.json").is_file())
    models = {path.name: path for path in found}  # vist-lstm is the thesis model's row
    evaluate(folder, list(stories), models, overwrite=overwrite, out=out)


def register(app: typer.Typer) -> None:
    """Add ``imgstory vist build|score`` to the main app."""
    vist_app.command("build")(build)
    vist_app.command("score")(score)
    app.add_typer(vist_app, name="vist")
