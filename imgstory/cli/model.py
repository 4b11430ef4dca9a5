"""``imgstory train``, ``generate`` and ``predict``: the storyteller from the command line.

TensorFlow is imported inside the commands, so ``imgstory --help`` stays fast.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from imgstory.cli.printing import number
from imgstory.configs import FieldError
from imgstory.decoding.config import DECODING_HELP, DecodingConfig
from imgstory.errors import UserInputError
from imgstory.generation.predict import FORMAT_HELP
from imgstory.jsonfile import json_text
from imgstory.model.config import HELP as MODEL_HELP
from imgstory.model.config import ModelConfig, TrainingConfig, load_config_file
from imgstory.outputs import OVERWRITE_HELP

if TYPE_CHECKING:
    from imgstory.model.card import TrainingReport

MODEL_DIR_HELP = "a model directory written by `imgstory train` (model.keras, vocab.json, ...)"
STORE_HELP = "feature store folder made by `imgstory features extract` (the model's encoder)"
JSON_HELP = "print one JSON object to stdout"

# Decoding options, shared by `generate` and `predict` (help text from DECODING_HELP).
_DEFAULT = DecodingConfig()
METHOD_OPTION = typer.Option(_DEFAULT.method, "--decoding", help=DECODING_HELP["method"])
BEAM_OPTION = typer.Option(_DEFAULT.beam_size, "--beam-size", help=DECODING_HELP["beam_size"])
LENGTH_OPTION = typer.Option(
    _DEFAULT.length_penalty, "--length-penalty", help=DECODING_HELP["length_penalty"]
)
TEMPERATURE_OPTION = typer.Option(
    _DEFAULT.temperature, "--temperature", help=DECODING_HELP["temperature"]
)
TOP_K_OPTION = typer.Option(_DEFAULT.top_k, "--top-k", help=DECODING_HELP["top_k"])
TOP_P_OPTION = typer.Option(_DEFAULT.top_p, "--top-p", help=DECODING_HELP["top_p"])
SEED_OPTION = typer.Option(0, "--seed", help=DECODING_HELP["seed"])
NGRAM_OPTION = typer.Option(
    _DEFAULT.no_repeat_ngram_size, "--no-repeat-ngram", help=DECODING_HELP["no_repeat_ngram_size"]
)
PENALTY_OPTION = typer.Option(
    _DEFAULT.repeat_penalty, "--repeat-penalty", help=DECODING_HELP["repeat_penalty"]
)
END_OPTION = typer.Option(_DEFAULT.end_penalty, "--end-penalty", help=DECODING_HELP["end_penalty"])
SENTENCE_LENGTH_OPTION = typer.Option(
    _DEFAULT.sentence_length, "--sentence-length", help=DECODING_HELP["sentence_length"]
)
ALBUM_OPTION = typer.Option(
    _DEFAULT.album_share, "--album-share", help=DECODING_HELP["album_share"]
)
COPY_OPTION = typer.Option(_DEFAULT.copy_weight, "--copy-weight", help=DECODING_HELP["copy_weight"])
REPEAT_OPTION = typer.Option(
    True,
    "--block-repeated-sentences/--allow-repeated-sentences",
    help=DECODING_HELP["block_repeated_sentences"],
)


def quiet_tensorflow() -> None:
    """Keep TensorFlow's C++ start-up chatter off the terminal (before its first import)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def check_before_tensorflow(
    model: Path | None = None, features: Path | None = None, glove: Path | None = None
) -> None:
    """Check a model directory (config, card, vocabulary, Keras archive), a feature store and
    a GloVe file's path before TensorFlow loads, so a bad one is one line at once, not after
    seconds of TensorFlow start-up and its lines on stderr; loading checks them again (a few
    ms). A GloVe file's lines are read in training, where the vocabulary is known."""
    from imgstory.jsonfile import check_input_file, check_input_folder

    if model is not None:
        from imgstory.model.directory import MODEL_FILE, check_keras_archive, read_model_files

        check_input_folder(model, "a model directory (written by `imgstory train`)")
        read_model_files(model)
        check_keras_archive(model / MODEL_FILE)
    if features is not None:
        from imgstory.features.store import FeatureStore

        check_input_folder(features, "a feature store (written by `imgstory features extract`)")
        FeatureStore.open(features)
    if glove is not None:
        from imgstory.text.glove import PACKAGED_GLOVE

        if str(glove) != PACKAGED_GLOVE:
            check_input_file(glove, f"a GloVe text file (glove.*.txt) or {PACKAGED_GLOVE!r}", None)


@contextlib.contextmanager
def _one_story() -> Iterator[None]:
    """Tell one story without Grappler's graph rewrites, which cost more than they save on a
    handful of photos (~0.3 s less to a cold story; benchmarks/bench_cold_start.py). The setting
    is TensorFlow-wide, so it is put back afterwards (``main()`` may run in a longer process)."""
    import tensorflow as tf

    before = tf.config.optimizer.get_experimental_options().get("disable_meta_optimizer", False)
    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
    try:
        yield
    finally:
        tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": before})


#: The decoding options of every story-writing command: (parameter, type, option,
#: DecodingConfig field).
DECODING_OPTIONS = (
    ("decoding", str, METHOD_OPTION, "method"),
    ("beam_size", int, BEAM_OPTION, "beam_size"),
    ("length_penalty", float, LENGTH_OPTION, "length_penalty"),
    ("temperature", float, TEMPERATURE_OPTION, "temperature"),
    ("top_k", int, TOP_K_OPTION, "top_k"),
    ("top_p", float, TOP_P_OPTION, "top_p"),
    ("seed", int, SEED_OPTION, "seed"),
    ("no_repeat_ngram", int, NGRAM_OPTION, "no_repeat_ngram_size"),
    ("repeat_penalty", float, PENALTY_OPTION, "repeat_penalty"),
    ("end_penalty", float, END_OPTION, "end_penalty"),
    ("sentence_length", float, SENTENCE_LENGTH_OPTION, "sentence_length"),
    ("album_share", float, ALBUM_OPTION, "album_share"),
    ("copy_weight", float, COPY_OPTION, "copy_weight"),
    ("block_repeated", bool, REPEAT_OPTION, "block_repeated_sentences"),
)


def decoding_config(fields: dict[str, object]) -> DecodingConfig:
    """The :class:`DecodingConfig` of the decoding options' values (keyed by field).

    Raises:
        UserInputError: a value the config refuses, in one line naming the option, e.g.
            ``--temperature must be a finite number, got nan``.
    """
    try:
        return DecodingConfig(**fields)
    except FieldError as error:
        flags = {field: option.param_decls[0] for _, _, option, field in DECODING_OPTIONS}
        flag = flags[error.field].split("/")[0]
        raise UserInputError(f"{flag} must be {error.what}, got {error.value!r}") from None


def with_decoding_options(command: Callable[..., None]) -> Callable[..., None]:
    """Give a Typer command the decoding options (``--decoding``, ``--beam-size``, ...); the
    command receives them as one ``options: DecodingConfig`` argument."""
    signature = inspect.signature(command)
    kept = [parameter for name, parameter in signature.parameters.items() if name != "options"]
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=kind)
        for name, kind, option, _ in DECODING_OPTIONS
    ]

    @functools.wraps(command)
    def run(**values: object) -> None:
        fields = {field: values.pop(name) for name, _, _, field in DECODING_OPTIONS}
        command(options=decoding_config(fields), **values)

    run.__signature__ = signature.replace(parameters=[*kept, *added])
    return run


# Options of `train` whose help is longer than a line.
TRAIN_STORIES_OPTION = typer.Option(
    ...,
    "--stories",
    help="training stories: a {split}.story-in-sequence.json file or an index folder "
    "(`imgstory data index`); every story in it is used, whatever its split",
)
TRAIN_OUT_OPTION = typer.Option(
    ...,
    "--out",
    help="the model directory to write: a new folder, or an existing model directory "
    "(replaced only with --overwrite)",
)
CONFIG_OPTION = typer.Option(
    None, "--config", help='JSON file {"model": {...}, "training": {...}}; flags override it'
)
GLOVE_OPTION = typer.Option(
    None,
    "--glove",
    help="initial word vectors: 'glove-6b-50d' (the packaged GloVe 6B 50-d; set "
    "embedding_dim 50) or a GloVe text file (glove.*.txt)",
)
WORK_DIR_OPTION = typer.Option(
    None,
    "--work-dir",
    help="checkpoints, backups and logs (default: runs/<model name>-<hash of its path>, "
    "one per model directory)",
)


def train_configs(
    config: Path | None,
    model_changes: dict[str, object],
    training_changes: dict[str, object],
) -> tuple[ModelConfig, TrainingConfig]:
    """The model and training configs of ``config`` (defaults without one), with every change
    that is not ``None`` applied (the command's flags override the file).

    Raises:
        UserInputError: a value the configs refuse, in one line.
    """
    model_config, training_config = (
        load_config_file(config) if config else (ModelConfig(), TrainingConfig())
    )
    try:
        model_config = dataclasses.replace(
            model_config, **{k: v for k, v in model_changes.items() if v is not None}
        )
        training_config = dataclasses.replace(
            training_config, **{k: v for k, v in training_changes.items() if v is not None}
        )
    except ValueError as error:
        raise UserInputError(f"train: {error}") from None
    return model_config, training_config


def training_summary(report: TrainingReport) -> str:
    """What ``imgstory train`` prints when it is done (without ``--json``)."""
    val = (
        f", best validation loss {number(report.best_val_loss, '.3f')}"
        if report.best_val_loss is not None
        else ""
    )
    return (
        f"trained on {report.train_stories} stories ({report.val_stories} validation, "
        f"{report.skipped_without_features} skipped: photos without features) for "
        f"{report.epochs_run} epochs in {report.seconds:.0f} s, {report.stories_per_second:.1f} "
        f"stories/s{val}\nmodel: {report.model_dir}  logs: {report.work_dir}"
    )


def train(
    features: Path = typer.Option(..., "--features", help=STORE_HELP),
    stories: Path = TRAIN_STORIES_OPTION,
    out: Path = TRAIN_OUT_OPTION,
    config: Path | None = CONFIG_OPTION,
    val_stories: Path | None = typer.Option(
        None, "--val-stories", help="validation stories (default: hold out some albums)"
    ),
    cell: str | None = typer.Option(None, "--cell", help=MODEL_HELP["cell"]),
    epochs: int | None = typer.Option(None, "--epochs", help=MODEL_HELP["epochs"]),
    batch_size: int | None = typer.Option(None, "--batch-size", help=MODEL_HELP["batch_size"]),
    hidden_size: int | None = typer.Option(None, "--hidden-size", help=MODEL_HELP["hidden_size"]),
    seed: int | None = typer.Option(None, "--seed", help=MODEL_HELP["seed"]),
    strategy: str | None = typer.Option(None, "--strategy", help=MODEL_HELP["strategy"]),
    glove: Path | None = GLOVE_OPTION,
    work_dir: Path | None = WORK_DIR_OPTION,
    resume: bool = typer.Option(
        False, "--resume", help="continue an interrupted run from the work dir's backup"
    ),
    restart: bool = typer.Option(
        False, "--restart", help="discard the work dir's backup of an interrupted run; start over"
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help=OVERWRITE_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="progress bar on stderr"),
) -> None:
    """Train the Seq2Seq storyteller on a feature store and SIS stories; write a model dir."""
    quiet_tensorflow()
    from imgstory.data.index import load_stories
    from imgstory.model.rundir import plan_run
    from imgstory.outputs import check_writable_folder

    model_config, training_config = train_configs(
        config,
        {"cell": cell, "hidden_size": hidden_size},
        {"epochs": epochs, "batch_size": batch_size, "seed": seed, "strategy": strategy},
    )
    run = {"resume": resume, "restart": restart, "overwrite": overwrite}
    # Output, work dir and backup are checked once, here, before TensorFlow loads; the trainer
    # takes the plan (run_training).
    inputs = (features, stories, val_stories, config, glove)
    plan = plan_run(out, work_dir, model_config, training_config, **run, inputs=inputs)
    check_writable_folder(plan.work_dir, "work dir")
    train_stories = load_stories(stories)  # bad input fails here, before TensorFlow loads
    validation = load_stories(val_stories) if val_stories else None
    check_before_tensorflow(features=features, glove=glove)
    from imgstory.model.sources import StoreFeatures
    from imgstory.model.training import run_training

    report = run_training(
        plan,
        StoreFeatures.open(features),
        train_stories,
        model_config,
        training_config,
        val_stories=validation,
        glove_path=glove,
        progress=progress and not as_json,
        stories_source=str(stories),
    )
    print(json_text(report.to_json()) if as_json else training_summary(report))


def generate(
    photos: list[Path] = typer.Argument(..., help="1 to 10 photos, in story order"),
    model: Path = typer.Option(..., "--model", help=MODEL_DIR_HELP),
    encoder_weights: str | None = typer.Option(
        None, "--encoder-weights", help="weights of the model's photo encoder (Xception)"
    ),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    options: DecodingConfig | None = None,
) -> None:
    """Write a story for photos: one sentence per photo, features from the model's encoder."""
    quiet_tensorflow()
    from imgstory.generation.storyteller import Storyteller, check_photo_count
    from imgstory.images import probe_image

    check_photo_count(len(photos))  # photos are checked before the model loads (~10 s)
    for photo in photos:
        probe_image(photo)
    check_before_tensorflow(model=model)

    with _one_story():
        story = Storyteller.load(model, encoder_weights).generate_from_images(photos, options)
    if as_json:
        print(json_text(story.to_json(), ensure_ascii=False))
        return
    for photo, sentence in zip(photos, story.display_sentences, strict=True):
        print(f"{photo.name}: {sentence}")


def predict(
    model: Path = typer.Option(..., "--model", help=MODEL_DIR_HELP),
    features: Path = typer.Option(..., "--features", help=STORE_HELP),
    stories: Path = typer.Option(
        ..., "--stories", help="the stories whose albums to tell: a SIS file or an index folder"
    ),
    out: Path = typer.Option(..., "--out", help="the predictions JSON file to write"),
    overwrite: bool = typer.Option(False, "--overwrite", help=OVERWRITE_HELP),
    format: str = typer.Option("arel", "--format", help=FORMAT_HELP),
    batch_size: int = typer.Option(32, "--batch-size", help="stories decoded together"),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    options: DecodingConfig | None = None,
) -> None:
    """Write a story per album (AREL format) or per photo sequence (challenge format)."""
    quiet_tensorflow()
    from imgstory.data.index import load_stories
    from imgstory.generation.predict import predict_stories
    from imgstory.outputs import check_output_file, write_text_atomic

    inputs = (model, features, stories)
    check_output_file(out, inputs=inputs, overwrite=overwrite, what="predictions file")
    told = load_stories(stories)
    check_before_tensorflow(model=model, features=features)
    predictions = predict_stories(
        model,
        features,
        told,
        options,
        format,
        batch_size=batch_size,
        progress=not as_json and sys.stderr.isatty(),
    )
    write_text_atomic(out, json_text(predictions, ensure_ascii=False) + "\n")
    count = len(predictions["output_stories"]) if format == "challenge" else len(predictions)
    if as_json:
        print(json_text({"out": str(out), "format": format, "stories": count}))
    else:
        print(f"wrote {count} stories ({format} format) to {out}")


def register(app: typer.Typer) -> None:
    """Add ``train``, ``generate`` and ``predict`` to the main ``imgstory`` app."""
    app.command("train")(train)
    app.command("generate")(with_decoding_options(generate))
    app.command("predict")(with_decoding_options(predict))
