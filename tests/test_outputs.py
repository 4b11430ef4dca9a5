"""Never lose a user's file (issue 16): outputs, early checks and messages of the light commands.

Each test names the finding of the issue it covers. None of them loads TensorFlow: every check
here happens before any model is loaded or any work is done.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_data_sis import official_sis, write_json

from imgstory import outputs
from imgstory.cli import main
from imgstory.errors import UserInputError
from imgstory.eval import meteor


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = main([str(arg) for arg in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def sis(tmp_path) -> Path:
    return write_json(tmp_path / "test.story-in-sequence.json", official_sis(4, albums=2))


# ------------------------------------------------------ finding 1: inputs destroyed, overwrites
def test_data_references_never_writes_over_the_story_file_it_reads(sis, capsys):
    """Finding 1: `data references X --out X` replaced the story file with references (exit 0)."""
    before = sis.read_bytes()
    for extra in ([], ["--overwrite"]):
        code, _, err = run_cli(capsys, "data", "references", sis, "--out", sis, *extra)
        assert code == 2 and "one of this command's inputs" in err
    same_file = sis.parent / "link.json"
    same_file.hardlink_to(sis)  # another name, the same file
    code, _, err = run_cli(capsys, "data", "references", sis, "--out", same_file, "--overwrite")
    assert code == 2 and "one of this command's inputs" in err
    assert sis.read_bytes() == before


def test_predict_never_writes_over_the_story_file_it_reads(sis, tmp_path, capsys):
    """Finding 1: `predict --stories X --out X` replaced the stories with predictions (exit 0).

    Refused before the model is even looked at (the model path here does not exist).
    """
    before = sis.read_bytes()
    arguments = ["predict", "--model", tmp_path / "no-model", "--features", tmp_path / "f"]
    code, _, err = run_cli(capsys, *arguments, "--stories", sis, "--out", sis, "--overwrite")
    assert code == 2 and "one of this command's inputs" in err and "model" not in err.split(":")[0]
    assert sis.read_bytes() == before


def test_existing_outputs_are_replaced_only_with_overwrite(sis, tmp_path, capsys, monkeypatch):
    """Finding 1: `predict --out`, `data references --out` and `evaluate --per-album` replaced
    any existing file without asking."""
    mine = tmp_path / "mine.json"
    mine.write_text("my notes")
    code, _, err = run_cli(capsys, "data", "references", sis, "--out", mine)
    assert code == 2 and "already exists; pass --overwrite" in err
    assert mine.read_text() == "my notes"
    arguments = ["predict", "--model", tmp_path / "m", "--features", tmp_path / "f"]
    code, _, err = run_cli(capsys, *arguments, "--stories", sis, "--out", mine)
    assert code == 2 and "already exists; pass --overwrite" in err
    assert mine.read_text() == "my notes"
    code, _, _ = run_cli(capsys, "data", "references", sis, "--out", mine, "--overwrite")
    assert code == 0 and set(json.loads(mine.read_text())) == {"100", "101"}

    monkeypatch.setattr(meteor, "find_java", lambda: None)  # no METEOR: fast
    predictions = write_json(tmp_path / "pred.json", {"100": ["a story ."]})
    scores = tmp_path / "scores.csv"
    scores.write_text("my spreadsheet")
    evaluate = ["evaluate", "--references", mine, "--predictions", predictions]
    code, _, err = run_cli(capsys, *evaluate, "--per-album", scores)
    assert code == 2 and "already exists; pass --overwrite" in err
    assert scores.read_text() == "my spreadsheet"
    code, _, err = run_cli(capsys, *evaluate, "--per-album", predictions, "--overwrite")
    assert code == 2 and "one of this command's inputs" in err
    code, _, _ = run_cli(capsys, *evaluate, "--per-album", scores, "--overwrite")
    assert code == 0 and scores.read_text().startswith("album_id,")


def test_an_index_folder_is_replaced_only_with_overwrite_and_a_foreign_one_never(
    sis, tmp_path, capsys
):
    index = tmp_path / "index"
    assert run_cli(capsys, "data", "index", sis, "--out", index)[0] == 0
    code, _, err = run_cli(capsys, "data", "index", sis, "--out", index)
    assert code == 2 and "already holds a story index; pass --overwrite" in err
    assert run_cli(capsys, "data", "index", sis, "--out", index, "--overwrite")[0] == 0
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "holiday.jpg").write_bytes(b"jpeg")
    photos = tmp_path / "photos"
    code, _, err = run_cli(capsys, "data", "index", sis, "--out", photos, "--overwrite")
    assert code == 2 and "holds files that are not a story index" in err
    assert [p.name for p in (tmp_path / "photos").iterdir()] == ["holiday.jpg"]


def test_a_crash_while_writing_leaves_the_old_file_whole(tmp_path):
    """Outputs are written to a temporary file renamed into place: never half a file."""
    target = outputs.write_text_atomic(tmp_path / "out.json", "old\n")
    with pytest.raises(KeyboardInterrupt), outputs.atomic_file(target) as temporary:
        temporary.write_text("half of the new")
        raise KeyboardInterrupt
    assert target.read_text() == "old\n" and sorted(tmp_path.iterdir()) == [target]
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text("old")
    with pytest.raises(KeyboardInterrupt), outputs.atomic_dir(folder) as staging:
        (staging / "config.json").write_text("new")
        raise KeyboardInterrupt
    assert (folder / "config.json").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model", "out.json"]
    with outputs.atomic_dir(folder) as staging:
        (staging / "config.json").write_text("new")
    assert (folder / "config.json").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model", "out.json"]


# ---------------------------------------------------- finding 5: checked before any work
def test_output_paths_are_checked_before_any_work(sis, tmp_path, capsys):
    """Finding 5: `predict --out <a folder>` failed with a traceback after all the decoding."""
    arguments = ["predict", "--model", tmp_path / "m", "--features", tmp_path / "f"]
    arguments += ["--stories", sis, "--out"]
    (tmp_path / "results").mkdir()
    code, _, err = run_cli(capsys, *arguments, tmp_path / "results")
    assert code == 2 and "is a folder; the predictions file needs a file name" in err
    code, _, err = run_cli(capsys, *arguments, tmp_path / "typo" / "pred.json")
    assert code == 2 and "does not exist (create it first)" in err
    with pytest.raises(UserInputError, match="is a file, not a folder"):
        outputs.check_output_file(sis / "pred.json")
    if os.geteuid() != 0:  # root may write anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o555)
        with pytest.raises(UserInputError, match="no permission to write in folder"):
            outputs.check_output_file(locked / "pred.json")


BAD_CONFIGS = {
    "model": [
        ({"hidden_size": 1.5}, "hidden_size must be a whole number, got 1.5"),
        ({"hidden_size": "big"}, "hidden_size must be a whole number, got 'big'"),
        ({"dropout": 1}, "dropout must be in [0.0, 1.0), got 1"),
        ({"train_embeddings": "no"}, "train_embeddings must be true or false, got 'no'"),
    ],
    "training": [
        ({"patience": -1}, "patience must be at least 0, got -1"),
        ({"clip_norm": -1.0}, "clip_norm must be more than 0, got -1.0"),
        ({"backup_every_epochs": -2}, "backup_every_epochs must be at least 0, got -2"),
        ({"epochs": 2.0}, "epochs must be a whole number, got 2.0"),
    ],
}


def test_every_config_field_is_checked_when_read_before_tensorflow_loads(sis, tmp_path):
    """Finding 5: `hidden_size: 1.5` was a Keras traceback after ~10 s, `"big"` "'<' not
    supported between instances of 'str' and 'int'"; negative patience, clip_norm and
    backup_every_epochs were accepted."""
    cases = []
    for part, bad in BAD_CONFIGS.items():
        for number, (fields, message) in enumerate(bad):
            config = write_json(tmp_path / f"{part}{number}.json", {part: fields})
            cases.append((str(config), f"{config} '{part}': {message}"))
    script = (
        "import json, sys, contextlib, io; from imgstory.cli import main\n"
        "results = []\n"
        "for config, _ in json.loads(sys.argv[1]):\n"
        "    err = io.StringIO()\n"
        "    with contextlib.redirect_stderr(err):\n"
        f"        code = main(['train', '--features', {str(tmp_path / 'f')!r}, '--stories', "
        f"{str(sis)!r}, '--out', {str(tmp_path / 'm')!r}, '--config', config])\n"
        "    results.append([code, err.getvalue()])\n"
        "print(json.dumps([results, 'tensorflow' in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, json.dumps(cases)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    results, tensorflow_loaded = json.loads(done.stdout)
    for (_, message), (code, err) in zip(cases, results, strict=True):
        assert code == 2 and err == f"error: {message}\n"
    assert not tensorflow_loaded


def test_generate_checks_photo_count_and_files_before_loading_the_model(tmp_path, capsys):
    """Finding 5: `generate` with 11 photos was refused only after ~10 s of model loading."""
    from PIL import Image

    photo = tmp_path / "p.png"
    Image.new("RGB", (8, 8)).save(photo)
    absent_model = ["generate", "--model", tmp_path / "no-model"]
    code, _, err = run_cli(capsys, *absent_model, *[photo] * 11)
    assert code == 2 and "11 photos given: give 1 to 10 photos" in err
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "notes.jpg").write_text("not a photo")
    for bad, reason in (("empty.jpg", "the file is empty"), ("notes.jpg", "not an image")):
        code, _, err = run_cli(capsys, *absent_model, photo, tmp_path / bad)
        assert code == 2 and bad in err and reason in err
    code, _, err = run_cli(capsys, *absent_model, photo)  # the photos were fine
    assert code == 2 and "no-model: folder not found (expected a model directory" in err


# ----------------------------------------------------------------- finding 6: messages
def test_a_folder_given_as_a_story_file_is_called_a_folder(tmp_path, capsys):
    """Finding 6: a folder passed as the story file was reported as 'file not found'."""
    folder = tmp_path / "stories"
    folder.mkdir()
    code, _, err = run_cli(capsys, "data", "references", folder, "--out", tmp_path / "r.json")
    assert code == 2 and "is a folder, not a story file" in err and "not found" not in err
    predictions = write_json(tmp_path / "pred.json", {"1": ["a ."]})
    code, _, err = run_cli(capsys, "evaluate", "--references", folder, "--predictions", predictions)
    assert code == 2 and f"{folder} is a folder, not a file" in err
