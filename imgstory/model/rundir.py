"""The work dir of a training run: tied to one model directory, never shared, resumed on purpose.

A work dir (checkpoints, the resumable backup, logs) records in ``run.json`` which model
directory it trains and with which configs; another run is refused it, a backup is resumed only
when asked (``--resume``) and with the same configs, and discarded only when asked
(``--restart``). Nothing here imports TensorFlow, so the CLI checks all this before loading it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imgstory.errors import UserInputError
from imgstory.model.config import ModelConfig, TrainingConfig
from imgstory.model.directory import is_model_directory
from imgstory.outputs import check_output_dir, write_text_atomic

RUNS_ROOT = Path("runs")
# Every name in a work dir is here, and only here.
RUN_FILE = "run.json"  # the model directory and configs the work dir serves
CHECKPOINTS_FOLDER = "checkpoints"
BEST_WEIGHTS = "best.weights.h5"  # in checkpoints/: the best weights so far
TRAINING_LOG = "training_log.csv"  # one row per epoch (appended to on resume)
TENSORBOARD_FOLDER = "tensorboard"  # when the tensorboard package is installed
REPORT_FILE = "report.json"  # the finished run's report
# The resumable backup (:class:`~imgstory.model.callbacks.RunBackup`): a folder of four files
# (five with a weight average), written as BACKUP_FOLDER + PARTIAL_SUFFIX and renamed into place
# (the one it replaces is BACKUP_FOLDER + PREVIOUS_SUFFIX for an instant); its state file is
# written last.
BACKUP_FOLDER = "backup"
BACKUP_STATE = "state.json"  # epoch to resume at, the callbacks' state, the history so far
BACKUP_WEIGHTS = "model.weights.h5"  # weights and optimizer state
BACKUP_SEEDS = "seeds.npz"  # the random-seed generators' states (dropout, feature noise)
BACKUP_BEST = "best.weights.h5"  # the best weights so far
BACKUP_AVERAGE = "average.npz"  # the weight average's state (training.weight_average > 0)
PARTIAL_SUFFIX = ".partial"
PREVIOUS_SUFFIX = ".previous"


def default_work_dir(out_dir: str | Path) -> Path:
    """``runs/<model dir name>-<hash of its absolute path>``: two model dirs never share one."""
    absolute = Path(out_dir).expanduser().resolve()
    digest = hashlib.sha256(str(absolute).encode("utf-8")).hexdigest()[:10]
    return RUNS_ROOT / f"{absolute.name}-{digest}"


@dataclass(frozen=True)
class RunPlan:
    """What a checked training run will do: its work dir and whether it restores a backup."""

    out_dir: Path
    work_dir: Path
    resume: bool

    @property
    def backup_dir(self) -> Path:
        """The resumable backup's folder."""
        return self.work_dir / BACKUP_FOLDER

    @property
    def best_weights(self) -> Path:
        """Where the best weights so far are written during the run."""
        return self.work_dir / CHECKPOINTS_FOLDER / BEST_WEIGHTS

    @property
    def training_log(self) -> Path:
        """The CSV log of the epochs."""
        return self.work_dir / TRAINING_LOG

    @property
    def tensorboard_dir(self) -> Path:
        """TensorBoard's logs."""
        return self.work_dir / TENSORBOARD_FOLDER

    @property
    def report_file(self) -> Path:
        """The report of the finished run."""
        return self.work_dir / REPORT_FILE


def plan_run(
    out_dir: str | Path,
    work_dir: str | Path | None,
    model_config: ModelConfig,
    training_config: TrainingConfig,
    *,
    resume: bool = False,
    restart: bool = False,
    overwrite: bool = False,
    inputs: tuple[str | Path | None, ...] = (),
) -> RunPlan:
    """Check a run's model directory and work dir before any work is done.

    Args:
        out_dir: the model directory to write: a new folder, or an existing model directory
            (replaced only with ``overwrite``).
        work_dir: checkpoints, backup and logs (default :func:`default_work_dir`).
        model_config, training_config: the configs as given (compared with a backup's).
        resume: continue from the work dir's backup (refused when there is none).
        restart: discard the work dir's backup and start at epoch 0.
        overwrite: whether an existing model directory at ``out_dir`` may be replaced.
        inputs: the run's input paths (features, stories): never written to.

    Raises:
        UserInputError: the output or work dir belongs to someone else, a backup is there and
            neither ``resume`` nor ``restart`` says what to do with it, or it cannot be resumed.
    """
    if resume and restart:
        raise UserInputError("--resume and --restart exclude each other: choose one")
    out_dir = check_output_dir(
        out_dir,
        inputs=inputs,
        overwrite=overwrite,
        is_replaceable=is_model_directory,
        what="model directory",
    )
    work_dir = Path(work_dir).expanduser() if work_dir else default_work_dir(out_dir)
    _check_apart(out_dir, work_dir, inputs)
    recorded = _read_run_file(work_dir)
    if recorded is not None and recorded.get("out_dir") != str(out_dir.resolve()):
        raise UserInputError(
            f"work dir {work_dir} belongs to the run that writes {recorded.get('out_dir')}; "
            "give this run its own --work-dir (nothing was changed)"
        )
    backup = work_dir / BACKUP_FOLDER / BACKUP_STATE
    if not backup.is_file():
        if resume:
            raise UserInputError(
                f"nothing to resume: {work_dir} holds no backup of an interrupted run; "
                "train without --resume to start from the first epoch"
            )
        return RunPlan(out_dir, work_dir, resume=False)
    if restart:
        return RunPlan(out_dir, work_dir, resume=False)
    where = _backup_epoch(backup, training_config)
    if not resume:
        raise UserInputError(
            f"{work_dir} holds the backup of an interrupted run ({where}): pass --resume to "
            "continue it, or --restart to discard it and start again"
        )
    _check_same_configs(recorded or {}, model_config, training_config, work_dir)
    return RunPlan(out_dir, work_dir, resume=True)


def claim_work_dir(
    plan: RunPlan, model_config: ModelConfig, training_config: TrainingConfig
) -> None:
    """Create the work dir and record (``run.json``) the model directory and configs it serves."""
    plan.work_dir.mkdir(parents=True, exist_ok=True)
    document = {
        "out_dir": str(plan.out_dir.resolve()),
        "model": model_config.to_json(),
        "training": training_config.to_json(),
    }
    write_text_atomic(plan.work_dir / RUN_FILE, json.dumps(document, indent=2) + "\n")


def restore_backup(backup: Any, work_dir: Path) -> int:
    """Restore the trainer's :class:`~imgstory.model.callbacks.RunBackup`; the epoch to start at.

    Raises:
        UserInputError: the backup does not fit the model being built (other stories, features
            or vocabulary than the run that wrote it), instead of Keras' traceback.
    """
    try:
        return backup.restore()
    except UserInputError:
        raise
    except (ValueError, OSError, KeyError, TypeError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise UserInputError(
            f"the backup in {work_dir} does not fit this run ({reason[:200]}): resume with the "
            "same stories, features and config as the interrupted run, or pass --restart"
        ) from None


def _check_apart(out_dir: Path, work_dir: Path, inputs: tuple[str | Path | None, ...]) -> None:
    """The work dir is neither the model directory, inside it, around it, nor an input."""
    out, work = out_dir.resolve(), work_dir.resolve()
    if work == out or work.is_relative_to(out) or out.is_relative_to(work):
        raise UserInputError(
            f"--work-dir {work_dir} and --out {out_dir} overlap: the model directory is "
            "replaced as a whole when the run ends, so keep the work dir outside it"
        )
    for given in inputs:
        if given is not None and Path(given).expanduser().resolve() == work:
            raise UserInputError(f"--work-dir {work_dir} is one of the run's inputs ({given})")
    if work_dir.exists() and not work_dir.is_dir():
        raise UserInputError(f"--work-dir {work_dir} is a file; it must be a folder")
    if work_dir.is_dir() and any(work_dir.iterdir()) and not (work_dir / RUN_FILE).is_file():
        raise UserInputError(
            f"--work-dir {work_dir} already holds files that are not an imgstory training run "
            f"(no {RUN_FILE}); choose another folder"
        )


def _read_run_file(work_dir: Path) -> dict[str, Any] | None:
    path = work_dir / RUN_FILE
    if not path.is_file():
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as error:
        raise UserInputError(f"{path}: unreadable ({error}); move the work dir away") from None
    if not isinstance(document, dict):
        raise UserInputError(f"{path}: not a training run record; move the work dir away")
    return document


def _backup_epoch(backup: Path, training_config: TrainingConfig) -> str:
    try:
        epoch = int(json.loads(backup.read_text(encoding="utf-8"))["epoch"])
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return "its state is unreadable"
    return f"{epoch} of {training_config.epochs} epochs done"


def _check_same_configs(
    recorded: dict[str, Any],
    model_config: ModelConfig,
    training_config: TrainingConfig,
    work_dir: Path,
) -> None:
    """A backup resumes only the run it was made by: the same model and training configs."""
    changed = []
    for part, config in (("model", model_config), ("training", training_config)):
        before = recorded.get(part, {})
        for name, value in config.to_json().items():
            if before.get(name, value) != value:
                changed.append(f"{name} {before.get(name)!r} -> {value!r}")
    if changed:
        raise UserInputError(
            f"the backup in {work_dir} was made with another config ({'; '.join(changed)}): "
            "resume with the same config, or pass --restart to discard the backup"
        )
