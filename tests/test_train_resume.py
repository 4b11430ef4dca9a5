"""Interrupted training resumes exactly, and training never loses a user's file or backup."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from train_fixtures import TINY, model_weights

from devtools.toy_data import random_stories, toy_feature_store, toy_stories
from imgstory.data.sis import write_sis
from imgstory.model.config import ModelConfig, TrainingConfig

pytest.importorskip("tensorflow")
import keras

from imgstory.model.training import train_model


class Interrupt(keras.callbacks.Callback):
    """Stops a run as Ctrl-C would: a KeyboardInterrupt at the end of epoch ``after``."""

    def __init__(self, after: int) -> None:
        super().__init__()
        self.after = after

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.after:
            raise KeyboardInterrupt


@pytest.mark.parametrize("weight_average", [0.0, 0.9])
def test_an_interrupted_run_resumes_exactly_where_it_stopped(tmp_path, weight_average):
    """Killed after the best epoch, resumed: the same weights, best epoch, history and card;
    with a weight average too (the backup is written with the average in the model, and the
    resumed run must train on from the raw weights with the average it had)."""
    stories = toy_stories(albums=2, stories_per_album=2)
    # Validation stories in words training never sees: their loss is best early, then worsens.
    unseen = random_stories(4, vocabulary_words=30, words_per_sentence=4)
    store = toy_feature_store(tmp_path / "features", [*stories, *unseen])
    # Dropout and feature noise on: the resumed run must also continue their random streams.
    model = ModelConfig(
        hidden_size=32, embedding_dim=8, decoder_layers=1, vocab_min_count=1, dropout=0.3,
        feature_noise=0.1,
    )  # fmt: skip
    training = TrainingConfig(
        epochs=12, batch_size=2, learning_rate=0.02, validation_fraction=0.0, patience=3,
        weight_average=weight_average,
    )  # fmt: skip
    run = {"progress": False, "val_stories": unseen}
    whole = train_model(
        store.path, stories, tmp_path / "whole", model, training, **run, work_dir=tmp_path / "w1"
    )
    # Interrupted one epoch after the best, before early stopping ends the run.
    assert whole.best_epoch + 1 < whole.epochs_run, whole.history
    resumed_run = {**run, "work_dir": tmp_path / "w2"}
    with pytest.raises(KeyboardInterrupt):
        train_model(
            store.path, stories, tmp_path / "m", model, training, **resumed_run,
            callbacks=[Interrupt(after=whole.best_epoch)],
        )  # fmt: skip
    assert (tmp_path / "w2" / "backup" / "state.json").is_file()
    assert (tmp_path / "w2" / "backup" / "average.npz").is_file() == bool(weight_average)
    assert not (tmp_path / "m").exists()
    resumed = train_model(
        store.path, stories, tmp_path / "m", model, training, **resumed_run, resume=True
    )
    assert resumed.history == whole.history and resumed.epochs_run == whole.epochs_run
    assert resumed.best_epoch == whole.best_epoch and resumed.best_val_loss == whole.best_val_loss
    for ours, theirs in zip(
        model_weights(tmp_path / "m"), model_weights(tmp_path / "whole"), strict=True
    ):
        np.testing.assert_array_equal(ours, theirs)
    timing = {"created", "name", "commit"}
    cards = [json.loads((tmp_path / d / "model_card.json").read_text()) for d in ("m", "whole")]
    for card in cards:
        for key in ("seconds", "stories_per_second"):
            card["training"].pop(key)
    assert {k: v for k, v in cards[0].items() if k not in timing} == {
        k: v for k, v in cards[1].items() if k not in timing
    }
    log = (tmp_path / "w2" / "training_log.csv").read_text().splitlines()
    assert [row.split(",")[0] for row in log[1:]] == [str(e) for e in range(whole.epochs_run)]
    assert not (tmp_path / "w2" / "backup").exists()  # removed once the model was saved


# ------------------------------------------------- never lose a user's file (issue 16)
QUICK = TrainingConfig(epochs=2, batch_size=2, validation_fraction=0.0, backup_every_epochs=1)


def _tiny_run(tmp_path: Path):
    stories = toy_stories(albums=2, stories_per_album=2)
    store = toy_feature_store(tmp_path / "features", stories)
    return stories, store, ModelConfig(**TINY)


def _interrupted_tiny_run(tmp_path: Path, out: str):
    """A :func:`_tiny_run` into ``tmp_path/out`` stopped after its first epoch: its backup is
    in ``tmp_path/work``."""
    stories, store, model = _tiny_run(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        train_model(store.path, stories, tmp_path / out, model, QUICK, progress=False,
                    work_dir=tmp_path / "work", callbacks=[Interrupt(after=0)])  # fmt: skip
    return stories, store, model


def test_train_never_writes_into_a_users_folder_and_replaces_a_model_only_when_asked(tmp_path):
    """Finding 2: `train --out` wrote into any folder, over the user's config.json or model."""
    from imgstory.errors import UserInputError

    stories, store, model = _tiny_run(tmp_path)
    users = tmp_path / "mine"
    users.mkdir()
    (users / "config.json").write_text('{"my": "settings"}')
    run = {"progress": False, "work_dir": tmp_path / "work"}
    for overwrite in (False, True):
        with pytest.raises(UserInputError, match="already holds files that are not a model"):
            train_model(store.path, stories, users, model, QUICK, **run, overwrite=overwrite)
    assert [p.name for p in users.iterdir()] == ["config.json"]
    assert (users / "config.json").read_text() == '{"my": "settings"}'

    first = train_model(store.path, stories, tmp_path / "m", model, QUICK, **run)
    card = (tmp_path / "m" / "model_card.json").read_text()
    with pytest.raises(UserInputError, match="already holds a model directory; pass --overwrite"):
        train_model(store.path, stories, tmp_path / "m", model, QUICK, **run)
    assert (tmp_path / "m" / "model_card.json").read_text() == card
    again = train_model(store.path, stories, tmp_path / "m", model, QUICK, **run, overwrite=True)
    assert again.history == first.history
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".m.")) == []


def test_runs_never_share_a_work_dir_and_a_backup_is_never_silently_dropped(tmp_path):
    """Finding 3: `a/mdl` and `b/mdl` shared runs/mdl: B deleted A's backup and log, resuming
    crashed in Keras or restarted at epoch 0, and a rerun without --resume dropped a backup."""
    from imgstory.errors import UserInputError
    from imgstory.model.training import default_work_dir

    assert default_work_dir(tmp_path / "a" / "mdl") != default_work_dir(tmp_path / "b" / "mdl")
    assert default_work_dir(tmp_path / "a" / "mdl").name.startswith("mdl-")

    stories, store, model = _interrupted_tiny_run(tmp_path, "a")
    shared = {"progress": False, "work_dir": tmp_path / "work"}
    backup = tmp_path / "work" / "backup" / "state.json"
    saved = backup.read_text()
    with pytest.raises(UserInputError, match=r"belongs to the run that writes .*a; give this run"):
        train_model(store.path, stories, tmp_path / "b", model, QUICK, **shared)
    with pytest.raises(UserInputError, match=r"backup of an interrupted run \(1 of 2 epochs done"):
        train_model(store.path, stories, tmp_path / "a", model, QUICK, **shared)
    bigger = ModelConfig(**{**TINY, "hidden_size": 32})
    with pytest.raises(UserInputError, match=r"another config .*hidden_size 64 -> 32"):
        train_model(store.path, stories, tmp_path / "a", bigger, QUICK, **shared, resume=True)
    assert backup.read_text() == saved  # nothing above touched it
    other = toy_stories(albums=2, stories_per_album=2, seed=7)  # another vocabulary
    other_store = toy_feature_store(tmp_path / "other-features", other)
    with pytest.raises(UserInputError, match="does not fit this run"):
        train_model(other_store.path, other, tmp_path / "a", model, QUICK, **shared, resume=True)
    with pytest.raises(UserInputError, match="nothing to resume"):
        train_model(store.path, stories, tmp_path / "c", model, QUICK, progress=False,
                    work_dir=tmp_path / "fresh", resume=True)  # fmt: skip
    restarted = train_model(store.path, stories, tmp_path / "a", model, QUICK, **shared,
                            restart=True)  # fmt: skip
    assert restarted.epochs_run == 2 and not backup.exists()
    log = (tmp_path / "work" / "training_log.csv").read_text().splitlines()
    assert [row.split(",")[0] for row in log[1:]] == ["0", "1"]  # from the first epoch again


def test_a_train_process_killed_with_sigkill_resumes_to_the_same_model(tmp_path, capsys):
    """kill -9 in the middle of a run, then `imgstory train` again (refused) and with `--resume`:
    the weights and best epoch of a run that was never interrupted."""
    import os
    import signal
    import subprocess
    import sys
    import time

    stories = toy_stories(albums=4, stories_per_album=2)
    unseen = random_stories(4, vocabulary_words=30, words_per_sentence=4)
    store = toy_feature_store(tmp_path / "features", [*stories, *unseen])
    train_file = write_sis(tmp_path / "train.story-in-sequence.json", stories)
    val_file = write_sis(tmp_path / "val.story-in-sequence.json", unseen)
    model = {**TINY, "hidden_size": 32, "embedding_dim": 8, "dropout": 0.2}
    training = {"epochs": 8, "batch_size": 4, "learning_rate": 0.02, "patience": 8}
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"model": model, "training": training}))
    command = [sys.executable, "-m", "imgstory", "train", "--features", str(store.path)]
    command += ["--stories", str(train_file), "--val-stories", str(val_file), "--config"]
    command += [str(config), "--out", str(tmp_path / "m"), "--work-dir", str(tmp_path / "w2")]
    command += ["--no-progress", "--json"]
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    backup = tmp_path / "w2" / "backup" / "state.json"
    training_run = subprocess.Popen(command, env=environment, stderr=subprocess.PIPE)
    killed_after = []
    # Watched from this thread alone (no training here meanwhile, so nothing competes with the
    # watch for the interpreter), and with a deadline far beyond a loaded machine's pace.
    deadline = time.monotonic() + 600
    while training_run.poll() is None and time.monotonic() < deadline:
        try:  # the backup folder is swapped atomically, so it may be absent for an instant
            epoch = json.loads(backup.read_text())["epoch"]
        except FileNotFoundError:
            epoch = 0
        if epoch >= 2:
            training_run.send_signal(signal.SIGKILL)  # in epoch 3 (or a little later)
            killed_after.append(epoch)
            break
        time.sleep(0.002)
    assert killed_after, f"not killed: {training_run.wait()=}, {training_run.stderr.read()[-2000:]}"
    assert training_run.wait(timeout=60) == -signal.SIGKILL
    whole = train_model(
        store.path, stories, tmp_path / "whole", ModelConfig(**model), TrainingConfig(**training),
        val_stories=unseen, progress=False, work_dir=tmp_path / "w1",
    )  # fmt: skip
    assert 2 <= killed_after[0] < whole.epochs_run and not (tmp_path / "m").exists()

    # The refusal and the resume run here, through the same CLI: a fresh process would only add
    # TensorFlow's import to what this test shows (a killed process leaves a backup to resume).
    from imgstory.cli import main

    arguments = command[3:]  # after `python -m imgstory`
    assert main(arguments) == 2
    assert "pass --resume" in capsys.readouterr().err  # never silently restarted
    assert main([*arguments, "--resume"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["best_epoch"] == whole.best_epoch and report["history"] == whole.history
    for ours, theirs in zip(
        model_weights(tmp_path / "m"), model_weights(tmp_path / "whole"), strict=True
    ):
        np.testing.assert_array_equal(ours, theirs)


def test_a_backup_whose_seed_states_are_in_the_old_order_is_refused(tmp_path):
    """Backups written before the seed states were read from ``model.variables`` hold them in
    another order: resuming one would silently change the dropout masks, so it is refused."""
    from imgstory.errors import UserInputError

    stories, store, model = _interrupted_tiny_run(tmp_path, "m")
    run = {"progress": False, "work_dir": tmp_path / "work"}
    seeds = tmp_path / "work" / "backup" / "seeds.npz"
    with np.load(seeds) as saved:
        states = {name.replace("state_", "seed_"): saved[name] for name in saved.files}
    assert states
    np.savez(seeds, **states)
    with pytest.raises(UserInputError, match=r"written by an earlier imgstory.*--restart"):
        train_model(store.path, stories, tmp_path / "m", model, QUICK, **run, resume=True)


def test_weights_that_leave_a_layer_unloaded_are_refused_not_trained_on(tmp_path):
    """Keras only warns when a weights file lacks a nested layer ("Affected layers will retain
    their freshly-initialized weights"); a backup like that is refused. Other warnings pass."""
    import warnings

    from imgstory.model.callbacks import load_all_weights

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    path = tmp_path / "good.weights.h5"
    model.save_weights(str(path))
    load_all_weights(model, path)  # a complete file loads quietly

    class Partial(keras.Sequential):
        def load_weights(self, filepath, **kwargs):
            super().load_weights(filepath, **kwargs)
            warnings.warn("Skipping nested container at 'dense': no group found", stacklevel=2)
            warnings.warn("something else", DeprecationWarning, stacklevel=2)

    partial = Partial([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match=r"good\.weights\.h5 leaves part of the model unloaded"):
        load_all_weights(partial, path)

    class Chatty(keras.Sequential):
        def load_weights(self, filepath, **kwargs):
            super().load_weights(filepath, **kwargs)
            warnings.warn("something else", DeprecationWarning, stacklevel=2)

    with pytest.warns(DeprecationWarning, match="something else"):
        load_all_weights(Chatty([keras.Input((3,)), keras.layers.Dense(2)]), path)
