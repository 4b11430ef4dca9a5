"""``imgstory vist``: build the storytellers for real photos from VIST text, and score them.

Nothing heavy is imported until a command runs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from imgstory.paths import REAL_PHOTO_RESULTS_FILE as RESULTS_FILE
from imgstory.paths import SHIPPED_MODELS_DIR as MODELS_DIR

vist_app = typer.Typer(
    help="Storytellers for real photos, trained on VIST val text alone (concept bridge).",
    no_args_is_help=True,
)


def build(
    stories: Path = typer.Option(
        ...,
        "--stories",
        help="VIST val text: a SIS file (val.story-in-sequence.json) or an AREL-format "
        "reference file (val_reference.json); never test",
    ),
    out: Path = typer.Option(MODELS_DIR, "--out", help="writes <out>/vist-lstm and vist-gru"),
    cells: str = typer.Option("lstm,gru", "--cells", help="comma-separated: lstm, gru"),
    work_dir: Path | None = typer.Option(None, "--work-dir", help="checkpoints and logs"),
    evaluate_on: Path | None = typer.Option(
        None,
        "--evaluate-on",
        help="a VIST folder with sis/test.story-in-sequence.json, reference/test_reference.json "
        "and photos/ (or images/test/): score the models on its photos afterwards",
    ),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="progress bars"),
    overwrite: bool = typer.Option(
        False,
        "--overwrite",
        help="replace existing vist-lstm / vist-gru model directories and results file",
    ),
) -> None:
    """Train the VIST LSTM (thesis model) and GRU (baseline) from text, then score them."""
    from imgstory.cli.model import quiet_tensorflow
    from imgstory.outputs import check_output_file
    from imgstory.vist_models.build import build_vist_models

    quiet_tensorflow()  # before any import of TensorFlow here or in the training processes
    from imgstory.vist_models.text_stories import load_text_stories

    if evaluate_on is not None:  # refused before hours of training, not after
        check_output_file(RESULTS_FILE, overwrite=overwrite, what="real-photo results file")
    text = load_text_stories(stories)
    print(f"{len(text.stories)} of {text.offered} stories have 5 sentences", file=sys.stderr)
    chosen = [cell.strip() for cell in cells.split(",") if cell.strip()]
    if len(chosen) > 1:
        print(
            f"training {', '.join(chosen)} at once, one process each (about 15 minutes on 2 "
            "cores); their summaries follow when both are done",
            file=sys.stderr,
        )
    built = build_vist_models(
        text, out, chosen, work_dir=work_dir, progress=progress, overwrite=overwrite
    )
    for model in built:
        report = model.report
        print(
            f"{model.path}: {report['epochs_run']} epochs, best {report['best_epoch']} "
            f"(val loss {report['best_val_loss']:.3f}), {report['stories_per_second']} stories/s, "
            f"{report['seconds']:.0f} s",
            file=sys.stderr,
        )
    if evaluate_on is not None:
        models = {f"VIST {m.cell.upper()} (ours)": m.path for m in built}
        evaluate(evaluate_on, text.source, models, overwrite=overwrite)


def evaluate(
    folder: Path, train_stories: str, models: dict[str, Path], *, overwrite: bool = False
) -> dict:
    """Score ``models`` and the baselines on the photos of a VIST folder; write the results."""
    from imgstory.data.index import load_stories
    from imgstory.data.references import load_references
    from imgstory.outputs import check_output_file, write_text_atomic
    from imgstory.paths import DEMO_DIR
    from imgstory.vist_models.real_photos import evaluate_on_real_photos
    from imgstory.vist_models.text_stories import load_text_stories

    check_output_file(RESULTS_FILE, overwrite=overwrite, what="real-photo results file")
    photos = folder / "photos" if (folder / "photos").is_dir() else folder / "images" / "test"
    models = {**models, "demo LSTM (drawn scenes)": DEMO_DIR / "models" / "lstm"}
    results = evaluate_on_real_photos(
        load_stories(folder / "sis" / "test.story-in-sequence.json"),
        photos,
        load_references(folder / "reference" / "test_reference.json"),
        models,
        load_text_stories(train_stories).stories,
    )
    write_text_atomic(RESULTS_FILE, json.dumps(results, indent=1) + "\n")
    for label, system in results["systems"].items():
        scores = system["scores"]
        found = system["identification"]
        print(
            f"{label}: CIDEr {scores['CIDEr']['value']:.3f} {scores['CIDEr']['ci95']}, "
            f"METEOR {scores.get('METEOR', {}).get('value')}, identified first "
            f"{found['top1']:.0%} {found['top1_ci95']}, top-3 {found['top3']:.0%}",
            file=sys.stderr,
        )
    print(f"wrote {RESULTS_FILE}", file=sys.stderr)
    return results


def score(
    folder: Path = typer.Argument(..., help="VIST folder (sis/, reference/, photos/)"),
    stories: Path = typer.Option(..., "--stories", help="the val text the models learned from"),
    models_dir: Path = typer.Option(MODELS_DIR, "--models", help="folder of vist-lstm/gru"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace the results file"),
) -> None:
    """Score the built VIST models and the baselines on a VIST folder's photos."""
    models = {
        f"VIST {cell.upper()} (ours)": models_dir / f"vist-{cell}"
        for cell in ("lstm", "gru")
        if (models_dir / f"vist-{cell}").is_dir()
    }
    evaluate(folder, str(stories), models, overwrite=overwrite)


def register(app: typer.Typer) -> None:
    """Add ``imgstory vist build|score`` to the main app."""
    vist_app.command("build")(build)
    vist_app.command("score")(score)
    app.add_typer(vist_app, name="vist")
