"""Build the demo pack end to end: dataset -> features -> LSTM and GRU -> stories -> AREL scores.

Each step uses the project's real pipeline (the same loaders, feature extraction, trainer,
decoding and evaluation as for real VIST). The pack's layout is fixed (the app reads it):
``sis/``, ``images/``, ``reference/``, ``features/``, ``models/{lstm,gru}/``,
``results/predictions/<system>.json``, ``results/summary.json``, ``album_themes.json`` and
``MANIFEST`` (JSON: commit, seed, encoder, config, timings).

A build writes into a staging folder inside the pack's folder and replaces the pack's entries
only once every step has succeeded, so a failed or interrupted build leaves the previous pack as
it was.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from imgstory.data.references import load_references
from imgstory.data.sis import SIS_SUFFIX, Story, load_sis
from imgstory.demo.generator import ALBUM_THEMES_FILE, DatasetConfig, write_dataset
from imgstory.demo.themes import THEMES, theme_accuracy
from imgstory.errors import UserInputError
from imgstory.eval.floors import first_stories, nearest_stories, random_stories
from imgstory.eval.results import SummaryResults, SystemScores, pair_key
from imgstory.paths import REPO_ROOT

MANIFEST_FILE = "MANIFEST"
SUMMARY_METRICS = ("METEOR", "ROUGE_L", "Bleu_4", "CIDEr")
PACK_ENTRIES = (
    "sis",
    "images",
    "reference",
    "features",
    "models",
    "results",
    ALBUM_THEMES_FILE,
    MANIFEST_FILE,
)
"""What a build writes; a rebuild replaces exactly these (and nothing else)."""


@dataclass(frozen=True)
class BuildConfig:
    """Sizes of one demo build: dataset, models, decoding and bootstrap."""

    name: str
    dataset: DatasetConfig
    hidden_size: int
    embedding_dim: int
    epochs: int
    batch_size: int
    patience: int
    max_sentence_length: int = 16
    beam_size: int = 3
    resamples: int = 1000
    learning_rate: float = 4e-3


BUILD_CONFIGS = {
    "small": BuildConfig(
        name="small",
        dataset=DatasetConfig(num_albums=320),
        hidden_size=256,
        embedding_dim=128,
        epochs=10,
        batch_size=32,
        patience=3,
    ),
    "tiny": BuildConfig(
        name="tiny",
        dataset=DatasetConfig(num_albums=24, fewest_stories=3, most_stories=3),
        hidden_size=16,
        embedding_dim=16,
        epochs=2,
        batch_size=16,
        patience=1,
        beam_size=2,
        resamples=200,
    ),
}

#: The demo pack's stories are decoded without trigram blocking, the presence penalty, the
#: sentence-end penalty or a sentence length aimed at, as the shipped pack was built before they
#: became the default (``imgstory generate --no-repeat-ngram 0 --repeat-penalty 0 --end-penalty 0
#: --sentence-length 0`` writes them).
DEMO_NO_REPEAT = 0
DEMO_REPEAT_PENALTY = 0.0
DEMO_END_PENALTY = 0.0
DEMO_SENTENCE_LENGTH = 0.0
#: The random floor draws with the seed ``(build seed, this)``, apart from the build's other draws.
RANDOM_FLOOR_STREAM = 0xF100
SYSTEMS = ("lstm-beam", "lstm-greedy", "gru-beam", "gru-greedy", "retrieval", "random")
THESIS_SYSTEM = SYSTEMS[0]  # the others are tested against it (SummaryResults.comparisons)
CELLS = ("lstm", "gru")


@dataclass
class BuildReport:
    """What a build wrote: the pack folder, its summary and its manifest."""

    out_dir: Path
    summary: SummaryResults
    manifest: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)


def build_config(name: str) -> BuildConfig:
    """The named build config (``small`` or ``tiny``)."""
    try:
        return BUILD_CONFIGS[name]
    except KeyError:
        raise UserInputError(
            f"unknown demo config {name!r}: choose one of {', '.join(BUILD_CONFIGS)}"
        ) from None


def _git(*arguments: str) -> str | None:
    """Output of a git command in the repository, or None outside a git checkout."""
    try:
        return subprocess.run(
            ["git", *arguments], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def floor_predictions(
    store: Any, train_stories: Sequence[Story], first: Mapping[str, Story], seed: int
) -> dict[str, dict[str, str]]:
    """The floors' predictions for the test albums (``album_id -> first story``): ``retrieval``,
    the training story whose photos' features are nearest, and ``random``, a training story
    drawn with the seed ``(seed, RANDOM_FLOOR_STREAM)``."""
    train_features = np.stack([store.get(list(story.photo_ids)) for story in train_stories])
    test_features = np.stack(  # (albums, 5, dim)
        [store.get(list(story.photo_ids)) for story in first.values()]
    ).astype(np.float32)
    queries = dict(zip(first, test_features, strict=True))
    return {
        "retrieval": nearest_stories(queries, train_features, train_stories),
        "random": random_stories(list(first.values()), train_stories, [seed, RANDOM_FLOOR_STREAM]),
    }


def score_systems(
    references: dict[str, list[str]],
    predictions: dict[str, dict[str, str]],
    album_themes: dict[str, str],
    resamples: int,
    seed: int,
) -> SummaryResults:
    """The results summary: per system, AREL scores with bootstrap 95% intervals and theme accuracy.

    Each interval's ``value`` is the metric on the whole split exactly as ``imgstory evaluate``
    prints it, ``low``/``high`` the percentile interval over album resamples; a paired test
    compares the thesis model (``lstm-beam``) with every other system.
    """
    from imgstory.eval.arel import evaluate_arel
    from imgstory.eval.bootstrap import bootstrap_ci, paired_bootstrap_test
    from imgstory.eval.meteor import corpus_jars

    systems: dict[str, SystemScores] = {}
    results = {}
    warnings: list[str] = []
    with corpus_jars(references, predictions) as jars:  # one start-up for all systems
        for system, stories in predictions.items():
            results[system] = evaluate_arel(
                references, {a: [s] for a, s in stories.items()}, meteor_processes=1,
                meteor_pool=jars,
            )  # fmt: skip
    for system, stories in predictions.items():
        result = results[system]
        warnings.extend(w for w in result.warnings if w not in warnings)
        systems[system] = SystemScores(
            bootstrap_ci(result, n=resamples, seed=seed),
            {"theme_accuracy": theme_accuracy(stories, album_themes)},
        )
    comparisons = {}
    if THESIS_SYSTEM in results:  # saved, so the Thesis page need not re-score to test
        comparisons = {
            pair_key(THESIS_SYSTEM, other): paired_bootstrap_test(
                results[THESIS_SYSTEM], results[other], n=resamples
            )
            for other in results
            if other != THESIS_SYSTEM
        }
    return SummaryResults(
        systems=systems,
        protocol="arel",
        split="test",
        albums=len(references),
        bootstrap={"resamples": resamples, "confidence": 0.95, "seed": seed},
        theme_keywords={theme.name: list(theme.keywords) for theme in THEMES},
        warnings=tuple(warnings),
        comparisons=comparisons,
    )


def _write_json(path: Path, document: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


class _StepClock:
    """Times a build's steps: each finished step's seconds in :attr:`timings`, and one log line."""

    def __init__(self, log: Callable[[str], None]) -> None:
        self.log = log
        self.timings: dict[str, float] = {}
        self.started = self.last = time.perf_counter()

    def step(self, name: str) -> None:
        """Record the seconds since the previous step (or the start) as step ``name``."""
        now = time.perf_counter()
        self.timings[name] = round(now - self.last, 2)
        self.log(f"{name}: {self.timings[name]:.1f} s")
        self.last = now

    def total(self) -> dict[str, float]:
        """The timings with ``total`` (seconds since the start) added."""
        self.timings["total"] = round(time.perf_counter() - self.started, 2)
        return self.timings


def _extract_pack_features(out_dir: Path, encoder: str, progress: bool) -> None:
    """Write the feature store ``features/`` of every generated photo under ``images/``.

    Raises:
        UserInputError: a generated photo could not be read.
    """
    from imgstory.features.extract import extract_features

    photos = {
        path.stem: path for path in sorted((out_dir / "images").rglob("*.jpg")) if path.is_file()
    }
    extraction = extract_features(photos, out_dir / "features", encoder, progress=progress)
    if extraction.unreadable:
        raise UserInputError(f"{len(extraction.unreadable)} generated photos could not be read")


def _train_cells(
    out_dir: Path,
    build: BuildConfig,
    splits: Mapping[str, list[Story]],
    seed: int,
    progress: bool,
    clock: _StepClock,
) -> None:
    """Train one model per cell of :data:`CELLS` into ``models/<cell>`` (a step each)."""
    from imgstory.model.config import ModelConfig, TrainingConfig
    from imgstory.model.training import train_model

    (out_dir / "models").mkdir()  # the pack's own folder (cleared first); one model per cell
    with tempfile.TemporaryDirectory(prefix="imgstory-demo-runs-") as runs:
        for cell in CELLS:
            train_model(
                out_dir / "features",
                splits["train"],
                out_dir / "models" / cell,
                ModelConfig(
                    cell=cell,
                    hidden_size=build.hidden_size,
                    embedding_dim=build.embedding_dim,
                    max_sentence_length=build.max_sentence_length,
                    vocab_min_count=1,
                ),
                TrainingConfig(
                    epochs=build.epochs,
                    batch_size=build.batch_size,
                    learning_rate=build.learning_rate,
                    seed=seed,
                    patience=build.patience,
                    backup_every_epochs=0,  # the work dir is temporary: nothing could resume
                ),
                val_stories=splits["val"],
                progress=progress,
                work_dir=Path(runs) / cell,
                stories_source=f"imgstory demo build (seed {seed}, config {build.name})",
            )
            clock.step(f"train_{cell}")


def _predict_systems(
    out_dir: Path, build: BuildConfig, splits: Mapping[str, list[Story]], seed: int
) -> dict[str, dict[str, str]]:
    """Every system's story per test album (``system -> album -> story``), each system's also
    written to ``results/predictions/<system>.json`` (AREL format)."""
    from imgstory.decoding.config import DecodingConfig
    from imgstory.features.store import FeatureStore
    from imgstory.generation.predict import predict_stories
    from imgstory.generation.storyteller import Storyteller

    store = FeatureStore.open(out_dir / "features")
    first = first_stories(splits["test"])  # album -> the photo sequence its systems describe
    album_ids = list(first)
    predictions: dict[str, dict[str, str]] = {}
    for cell in CELLS:
        teller = Storyteller.load(out_dir / "models" / cell)
        for method in ("beam", "greedy"):
            decoding = DecodingConfig(
                method=method,
                beam_size=build.beam_size,
                no_repeat_ngram_size=DEMO_NO_REPEAT,
                repeat_penalty=DEMO_REPEAT_PENALTY,
                end_penalty=DEMO_END_PENALTY,
                sentence_length=DEMO_SENTENCE_LENGTH,
            )
            told = predict_stories(
                teller, store, splits["test"], decoding, batch_size=len(album_ids)
            )  # AREL format: each album's first photo sequence, {album_id: [story]}
            predictions[f"{cell}-{method}"] = {album: told[album][0] for album in album_ids}
    predictions.update(floor_predictions(store, splits["train"], first, seed))
    for system in SYSTEMS:
        _write_json(
            out_dir / "results" / "predictions" / f"{system}.json",
            {album: [story] for album, story in predictions[system].items()},
        )
    return predictions


def build_demo_pack(
    out_dir: str | Path,
    *,
    seed: int = 0,
    encoder: str = "handcrafted",
    config: str | BuildConfig = "small",
    progress: bool = False,
    log: Callable[[str], None] = lambda message: None,
) -> BuildReport:
    """Generate, featurise, train, predict and score: write the whole demo pack to ``out_dir``.

    Args:
        out_dir: the pack folder (its previous pack entries are replaced once every step has
            succeeded; a failed build leaves them as they were; nothing else is touched).
        seed: seeds the dataset, the training, the random floor and the bootstrap.
        encoder: the photo encoder for the feature store and the models.
        config: a :data:`BUILD_CONFIGS` name or a :class:`BuildConfig`.
        progress: show progress bars of feature extraction and training.
        log: called with one line per finished step.

    Raises:
        UserInputError: unknown config or encoder, or missing encoder weights.
    """
    from imgstory.features.encoders import encoder_spec

    build = config if isinstance(config, BuildConfig) else build_config(config)
    encoder_spec(encoder)  # unknown names fail before anything is removed or imported

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=out_dir))  # same file system
    try:
        clock = _StepClock(log)
        albums = write_dataset(staging, build.dataset, seed)
        clock.step("generate")
        _extract_pack_features(staging, encoder, progress)
        clock.step("features")

        splits = {
            split: load_sis(staging / "sis" / f"{split}{SIS_SUFFIX}").stories
            for split in ("train", "val", "test")
        }
        _train_cells(staging, build, splits, seed, progress, clock)
        _record_store(staging, out_dir)
        predictions = _predict_systems(staging, build, splits, seed)
        clock.step("predict")

        references = load_references(staging / "reference" / "test_reference.json")
        album_themes = {album.album_id: album.theme for album in albums}
        summary = score_systems(references, predictions, album_themes, build.resamples, seed)
        _write_json(staging / "results" / "summary.json", summary.to_json())
        clock.step("evaluate")
        timings = clock.total()

        manifest = _manifest(out_dir, staging, build, seed, encoder, albums, splits, timings)
        _write_json(staging / MANIFEST_FILE, manifest)
        _replace_pack(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return BuildReport(out_dir, summary, manifest, timings)


def _record_store(staging: Path, out_dir: Path) -> None:
    """Name the pack's own feature store (``out_dir/features``), not the staging folder's, in
    each model's config and card: where the store will be once the pack is in place."""
    built, final = str(staging / "features"), str(out_dir / "features")
    for path in sorted((staging / "models").glob("*/*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        encoder = document.get("encoder")
        if isinstance(encoder, dict) and encoder.get("store") == built:
            encoder["store"] = final
            text = json.dumps(document, indent=2, ensure_ascii=False)
            path.write_text(text + "\n", encoding="utf-8")


def _replace_pack(staging: Path, out_dir: Path) -> None:
    """Put the staged pack's entries in place of ``out_dir``'s: the old entries are moved aside
    first, and if a new one cannot be moved in, the new ones are taken out and the old ones
    moved back; nothing else in ``out_dir`` is touched."""
    aside = staging / ".previous"
    aside.mkdir(exist_ok=True)
    moved, placed = [], []
    try:
        for entry in PACK_ENTRIES:
            if (out_dir / entry).exists():
                os.replace(out_dir / entry, aside / entry)
                moved.append(entry)
        for entry in PACK_ENTRIES:
            os.replace(staging / entry, out_dir / entry)
            placed.append(entry)
    except OSError:
        for entry in placed:
            os.replace(out_dir / entry, staging / entry)
        for entry in moved:
            os.replace(aside / entry, out_dir / entry)
        raise


def _manifest(
    out_dir: Path,
    staging: Path,
    build: BuildConfig,
    seed: int,
    encoder: str,
    albums: list[Any],
    splits: dict[str, list[Any]],
    timings: dict[str, float],
) -> dict[str, Any]:
    """How the pack was made: code commit, seed, encoder, sizes, library versions, timings."""
    import keras
    import PIL
    import tensorflow as tf

    return {
        "what": "IMG_Story demo pack: generated scenes in VIST format (not real VIST photos)",
        "commit": _git("rev-parse", "HEAD") or None,
        "uncommitted_code_changes": bool(_git("status", "--porcelain", "--", "imgstory")),
        "command": (
            f"imgstory demo build --out {out_dir} --seed {seed} --encoder {encoder} "
            f"--config {build.name}"
        ),
        "seed": seed,
        "encoder": encoder,
        "config": asdict(build),
        "albums": {s: sum(a.split == s for a in albums) for s in ("train", "val", "test")},
        "stories": {split: len(stories) for split, stories in splits.items()},
        "photos": sum(len(album.photos) for album in albums),
        "timings_seconds": timings,
        "bytes": {
            entry: _folder_bytes(staging / entry)
            for entry in ("images", "sis", "reference", "features", "models", "results")
        },
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "numpy": np.__version__,
            "pillow": PIL.__version__,
        },
    }
