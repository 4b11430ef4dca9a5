"""Every CLI command's file inputs, fuzzed (issue 29): truncated, wrong types, deep nesting,
huge numbers, NaN, empty, a folder for a file, a missing parent, a read-only target. Each must
exit 2 with one line on stderr and change no file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from imgstory.cli import main
from imgstory.paths import DEMO_DIR

#: name -> the bytes of a bad JSON input (a folder and a missing path are added below).
BAD_JSON = {
    "truncated": b'{"a1": ["the dog ran',
    "wrong type": b'[1, "two", null]',
    "deep": b"[" * 100_000 + b"]" * 100_000,
    "deep object": b'{"a": ' * 50_000 + b"1" + b"}" * 50_000,
    "huge number": b'{"a1": ' + b"9" * 5_000 + b"}",
    "nan": b'{"a1": NaN, "results": NaN}',
    "empty": b"",
    "not utf-8": b'{"a1": "\xff\xfe"}',
}
REFERENCES = {"a1": ["the dog ran in the park .", "a dog played ."], "a2": ["we ate cake ."]}
PREDICTIONS = {"a1": "the dog ran .", "a2": "we ate ."}
SIS = {"images": [], "albums": [], "annotations": []}
STORY_TEXT = {"split": "train", "stories": [["we went .", "it was fun .", "we ate .", "we sang .",
                                            "we left ."]]}  # fmt: skip
#: The demo pack's photos and stories: good inputs that hold real photos, a store and a model.
DEMO_SIS = DEMO_DIR / "sis" / "test.story-in-sequence.json"
DEMO_PHOTOS = DEMO_DIR / "images" / "test"


def linked_copy(source: Path, target: Path) -> Path:
    """The folder ``source`` as ``target``, each file a link to the original (a test replaces
    one file without copying megabytes, and never touches the original)."""
    target.mkdir()
    for file in source.iterdir():
        (target / file.name).symlink_to(file)
    return target


@pytest.fixture
def inputs(tmp_path) -> dict[str, Path]:
    """Good inputs of every kind, in ``tmp_path/good`` (the demo pack's photos, store and model
    linked there), and output paths that do not exist yet."""
    good = tmp_path / "good"
    good.mkdir()
    files = {
        "references": REFERENCES,
        "predictions": PREDICTIONS,
        "registry": {"results": []},
        "sis": SIS,
        "config": {"model": {}, "training": {}},
        "story_text": STORY_TEXT,
    }
    paths = {}
    for name, document in files.items():
        paths[name] = good / f"{name}.json"
        paths[name].write_text(json.dumps(document))
    paths["demo_sis"], paths["demo_photos"] = DEMO_SIS, DEMO_PHOTOS
    paths["photo"] = sorted(DEMO_PHOTOS.glob("*.jpg"))[0]
    paths["store"] = linked_copy(DEMO_DIR / "features", good / "store")
    paths["model"] = linked_copy(DEMO_DIR / "models" / "lstm", good / "model")
    paths["models"] = good / "models"  # vist build writes models/<name>
    paths["models"].mkdir()
    paths["model_out"] = tmp_path / "model-out"
    paths["work_dir"] = tmp_path / "work"
    paths["store_out"] = tmp_path / "store-out"
    paths["out"] = tmp_path / "out.json"
    return paths


#: command -> (its arguments, with {references}, {predictions}, {registry}, {sis} and {out}
#: fields; the fields fuzzed).
COMMANDS = {
    "evaluate": (
        ["evaluate", "--references", "{references}", "--predictions", "{predictions}"],
        ("references", "predictions"),
    ),
    "published list": (["published", "list", "--registry", "{registry}"], ("registry",)),
    "published compare": (
        ["published", "compare", "{predictions}", "{predictions}", "--references", "{references}"],
        ("references", "predictions"),
    ),
    "published compare (registered)": (
        ["published", "compare", "x", "{predictions}", "--references", "{references}",
         "--registry", "{registry}"],
        ("registry",),
    ),
    "published add": (
        ["published", "add", "--system", "x", "--paper", "p", "--repository", "o/r", "--path",
         "f", "--predictions", "{predictions}", "--references", "{references}", "--registry",
         "{registry}"],
        ("references", "predictions", "registry"),
    ),
    "published add-human": (
        ["published", "add-human", "--references", "{references}", "--registry", "{registry}"],
        ("references", "registry"),
    ),
    "data inspect": (["data", "inspect", "{sis}"], ("sis",)),
    "data references": (["data", "references", "{sis}", "--out", "{out}"], ("sis",)),
    "grounding": (
        ["grounding", "--photos", "{demo_photos}", "--sis", "{demo_sis}", "--stories",
         "{predictions}"],
        ("demo_sis", "predictions"),
    ),
    "train": (
        ["train", "--features", "{store}", "--stories", "{sis}", "--config", "{config}", "--out",
         "{model_out}", "--work-dir", "{work_dir}"],
        ("sis", "config"),
    ),
    "train (validation stories)": (
        ["train", "--features", "{store}", "--stories", "{demo_sis}", "--val-stories", "{sis}",
         "--out", "{model_out}", "--work-dir", "{work_dir}"],
        ("sis",),
    ),
    "predict": (
        ["predict", "--model", "{model}", "--features", "{store}", "--stories", "{sis}", "--out",
         "{out}"],
        ("sis",),
    ),
    "vist build": (
        ["vist", "build", "--stories", "{sis}", "--out", "{models}", "--work-dir", "{work_dir}",
         "--no-progress"],
        ("sis",),
    ),
    "vist build (test references)": (
        ["vist", "build", "--stories", "{story_text}", "--test-references", "{references}",
         "--out", "{models}", "--work-dir", "{work_dir}", "--no-progress"],
        ("references",),
    ),
    "vist score": (
        ["vist", "score", "{models}", "--stories", "{story_text}", "--models", "{models}",
         "--out", "{out}"],
        ("story_text",),
    ),
}  # fmt: skip
FUZZED = [(command, field) for command, (_, fields) in COMMANDS.items() for field in fields]


def snapshot(folder: Path) -> dict[str, object]:
    """Every file, folder and link under ``folder``: a file's bytes, a link's target."""
    state: dict[str, object] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            state[str(path)] = ("link", os.readlink(path))
        elif path.is_dir():
            state[str(path)] = "folder"
        else:
            state[str(path)] = path.read_bytes()
    return state


def arguments_for(command: list[str], inputs: dict[str, Path], **given: Path) -> list[str]:
    """``command`` with its ``{field}`` placeholders filled: ``given`` paths, else good inputs."""
    fields = {name: str(path) for name, path in {**inputs, **given}.items()}
    return [argument.format(**fields) for argument in command]


def run_refused(capsys, arguments: list[str], folder: Path) -> str:
    """Run the CLI; assert exit 2, one line on stderr, no file under ``folder`` changed."""
    before = snapshot(folder)
    code = main(arguments)
    err = capsys.readouterr().err
    assert code == 2, (arguments, err)
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert snapshot(folder) == before
    return err


def bad_path(path: Path, case: str, contents: dict[str, bytes] | None = None) -> Path:
    """``path`` made bad as ``case`` says: a folder in the file's place, the file in a folder
    that does not exist (the path returned), or the file holding ``contents[case]``."""
    if case == "folder":
        path.mkdir()
    elif case == "missing parent":
        path = path.parent / "nowhere" / path.name
    else:
        path.write_bytes((contents or {})[case])
    return path


@pytest.mark.parametrize("case", [*BAD_JSON, "folder", "missing parent"])
@pytest.mark.parametrize(("command", "field"), FUZZED)
def test_a_bad_json_input_exits_2_with_one_line_and_changes_nothing(
    command, field, case, inputs, tmp_path, capsys
):
    bad = bad_path(tmp_path / "bad.json", case, BAD_JSON)
    err = run_refused(capsys, arguments_for(COMMANDS[command][0], inputs, **{field: bad}), tmp_path)
    assert str(bad) in err or bad.name in err, err  # the message names the file


def damaged_database(path: Path, damage: str) -> Path:
    """A study database (tests' small study, rated once) damaged as ``damage`` says."""
    import sqlite3

    from human_fixtures import small_study

    from imgstory.human.study import load_study, next_assignment, record_judgement

    store = small_study(path)
    study = load_study(store, "study")
    assignment = next_assignment(store, study, "ann")
    record_judgement(store, study, "ann", assignment.item_id, "relevance", "left")
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        if damage == "invalid aspects":
            connection.execute("UPDATE studies SET aspects = '[not json'")
        elif damage == "old schema":
            connection.execute("ALTER TABLE judgements DROP COLUMN choice")
        connection.execute("PRAGMA journal_mode = DELETE")
    connection.close()
    if damage == "bad page":
        data = bytearray(path.read_bytes())
        data[4096:-4096] = b"\xa5" * (len(data) - 8192)  # every page but the first and last
        path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    ("command", "damage"),
    [("report", "invalid aspects"), ("report", "old schema"), ("report", "bad page"),
     ("export", "old schema"), ("export", "bad page")],
)  # fmt: skip
def test_a_damaged_study_database_exits_2_with_one_line(command, damage, tmp_path, capsys):
    """Issue 29.8: report and export gave tracebacks on a damaged database."""
    database = damaged_database(tmp_path / "db" / "p.sqlite", damage)
    arguments = ["human", command, "--db", str(database)]
    if command == "export":
        arguments += ["--csv", str(tmp_path / "out.csv")]
    err = run_refused(capsys, arguments, tmp_path)
    assert str(database) in err


def test_reporting_on_an_empty_sqlite_file_writes_nothing(tmp_path, capsys):
    """Issue 29.9: `human report` on an empty SQLite file created tables and switched it to WAL."""
    import sqlite3

    path = tmp_path / "empty.sqlite"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    with sqlite3.connect(path) as connection:
        connection.execute("DROP TABLE t")
    connection.close()
    err = run_refused(capsys, ["human", "report", "--db", str(path)], tmp_path)
    assert "an empty database, no study in it yet" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.sqlite"]  # no -wal, no -shm


@pytest.mark.parametrize("score", ['"0.3"', "true", "[0.3]", "1e999"])
def test_a_registry_score_that_is_not_a_number_is_one_line(score, tmp_path, capsys):
    """Issue 29.11: a string score in the registry gave a TypeError."""
    entry = (
        '{"system": "s", "paper": "p", "source": "x", "url": "u", "protocol": "arel", '
        f'"split": "test", "scale": "0-1", "scores": {{"METEOR": {score}}}}}'
    )
    registry = tmp_path / "registry.json"
    registry.write_text(f'{{"results": [{entry}]}}')
    err = run_refused(capsys, ["published", "list", "--registry", str(registry)], tmp_path)
    assert "results[0]: scores.METEOR must be a finite number" in err


def test_published_add_help_shows_the_predictions_format(capsys):
    """Issue 29.11: the help's `[story]` was taken for markup and dropped."""
    assert main(["published", "add", "--help"]) == 0
    assert "{album_id: [story]}" in capsys.readouterr().out


#: The commands that read a feature store or a model directory: (arguments, folder fields).
FOLDER_COMMANDS = {
    "features info": (["features", "info", "{store}"], ("store",)),
    "features merge": (["features", "merge", "{store_out}", "{store}"], ("store",)),
    "train": (
        ["train", "--features", "{store}", "--stories", "{demo_sis}", "--out", "{model_out}",
         "--work-dir", "{work_dir}"],
        ("store",),
    ),
    "predict": (
        ["predict", "--model", "{model}", "--features", "{store}", "--stories", "{demo_sis}",
         "--out", "{out}"],
        ("model", "store"),
    ),
    "generate": (["generate", "{photo}", "--model", "{model}"], ("model",)),
    "features extract": (
        ["features", "extract", "--images", "{demo_photos}", "--out", "{store_out}", "--encoder",
         "handcrafted", "--no-progress"],
        ("demo_photos",),
    ),
    "grounding": (
        ["grounding", "--photos", "{demo_photos}", "--sis", "{demo_sis}", "--stories",
         "{predictions}"],
        ("demo_photos",),
    ),
}  # fmt: skip
#: A folder input's JSON files (each read before any work): the fuzz replaces one of them.
FOLDER_FILES = {"store": ("metadata.json",), "model": ("config.json", "vocab.json")}
IN_FOLDER = [
    (command, field, name)
    for command, (_, fields) in FOLDER_COMMANDS.items()
    for field in fields
    for name in FOLDER_FILES.get(field, ())
]


@pytest.mark.parametrize("case", BAD_JSON)
@pytest.mark.parametrize(("command", "field", "name"), IN_FOLDER)
def test_a_bad_file_in_a_store_or_model_folder_exits_2_with_one_line(
    command, field, name, case, inputs, tmp_path, capsys
):
    """The store's metadata and the model's config and vocabulary are checked before
    TensorFlow loads, deep nesting and 5,000-digit numbers included (they gave tracebacks)."""
    folder = inputs[field]
    (folder / name).unlink()
    (folder / name).write_bytes(BAD_JSON[case])
    err = run_refused(capsys, arguments_for(FOLDER_COMMANDS[command][0], inputs), tmp_path)
    assert str(folder) in err, err


@pytest.mark.parametrize("case", ["a file", "missing", "empty folder"])
@pytest.mark.parametrize(
    ("command", "field"),
    [(command, field) for command, (_, fields) in FOLDER_COMMANDS.items() for field in fields],
)
def test_a_folder_input_that_is_no_such_folder_exits_2_with_one_line(
    command, field, case, inputs, tmp_path, capsys
):
    """A file, a missing path or an empty folder given for a store, a model or a photo folder
    (`grounding --photos <file>` said "folder not found")."""
    given = {
        "a file": inputs["predictions"],
        "missing": tmp_path / "nowhere" / "folder",
        "empty folder": tmp_path / "empty",
    }[case]
    if case == "empty folder":
        given.mkdir()
    arguments = arguments_for(FOLDER_COMMANDS[command][0], inputs, **{field: given})
    err = run_refused(capsys, arguments, tmp_path)
    assert str(given) in err, err
    if case == "a file":
        assert "is a file, not a folder" in err or "not a feature store" in err, err


#: name -> the bytes of a file given as a photo.
BAD_PHOTOS = {
    "truncated jpeg": (DEMO_PHOTOS / "900000030.jpg").read_bytes()[:300],
    "json": b'{"a1": "the dog ran ."}',
    "empty": b"",
    "pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
}


@pytest.mark.parametrize("case", [*BAD_PHOTOS, "folder", "missing parent"])
def test_a_bad_photo_exits_2_with_one_line_before_the_model_loads(case, inputs, tmp_path, capsys):
    photo = bad_path(tmp_path / "photo.jpg", case, BAD_PHOTOS)
    arguments = arguments_for(["generate", "{photo}", "--model", "{model}"], inputs, photo=photo)
    assert str(photo) in run_refused(capsys, arguments, tmp_path) or case == "missing parent"


@pytest.mark.parametrize("case", ["folder", "missing parent"])
def test_a_glove_path_that_is_no_file_exits_2_before_tensorflow(case, inputs, tmp_path, capsys):
    glove = bad_path(tmp_path / "glove.6B.50d.txt", case)
    command = ["train", "--features", "{store}", "--stories", "{demo_sis}", "--glove", str(glove),
               "--out", "{model_out}", "--work-dir", "{work_dir}"]  # fmt: skip
    assert str(glove) in run_refused(capsys, arguments_for(command, inputs), tmp_path)


@pytest.fixture
def read_only(tmp_path) -> Iterator[Path]:
    """A folder (holding an empty registry) this process cannot write in: mode 0o555, and
    immutable (``chattr +i``) when that does not stop it (root); skipped where nothing does."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    (folder / "registry.json").write_text(json.dumps({"results": []}))
    folder.chmod(0o555)
    immutable = False
    if os.access(folder, os.W_OK) and shutil.which("chattr"):
        done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, check=False)
        immutable = done.returncode == 0
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("no way to make a folder read-only for this user here")
        yield folder
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], capture_output=True, check=False)
        folder.chmod(0o755)


#: Commands writing into ``{ro}``, a read-only folder, every other input good.
READ_ONLY_TARGETS = {
    "evaluate --per-album": ["evaluate", "--references", "{references}", "--predictions",
                             "{predictions}", "--per-album", "{ro}/albums.csv"],
    "data references": ["data", "references", "{demo_sis}", "--out", "{ro}/refs.json"],
    "published add": ["published", "add", "--system", "x", "--paper", "p", "--repository", "o/r",
                      "--path", "f", "--predictions", "{predictions}", "--references",
                      "{references}", "--registry", "{ro}/registry.json"],
    "human export": ["human", "export", "--db", "{db}", "--csv", "{ro}/judgements.csv"],
    "predict": ["predict", "--model", "{model}", "--features", "{store}", "--stories",
                "{demo_sis}", "--out", "{ro}/predictions.json"],
    "train --out": ["train", "--features", "{store}", "--stories", "{demo_sis}", "--out",
                    "{ro}/model", "--work-dir", "{work_dir}"],
    "train --work-dir": ["train", "--features", "{store}", "--stories", "{demo_sis}", "--out",
                         "{model_out}", "--work-dir", "{ro}/work"],
    "features extract": ["features", "extract", "--images", "{demo_photos}", "--out",
                         "{ro}/store", "--encoder", "handcrafted", "--no-progress"],
    "vist build --out": ["vist", "build", "--stories", "{story_text}", "--out", "{ro}",
                         "--no-progress"],
    "vist build --work-dir": ["vist", "build", "--stories", "{story_text}", "--out", "{models}",
                              "--work-dir", "{ro}/work", "--no-progress"],
    "vist score --out": ["vist", "score", "{models}", "--stories", "{story_text}", "--models",
                         "{models}", "--out", "{ro}/results.json"],
}  # fmt: skip


@pytest.mark.parametrize("command", READ_ONLY_TARGETS)
def test_a_read_only_target_exits_2_with_one_line_and_writes_nothing(
    command, inputs, read_only, tmp_path, capsys
):
    """`train --work-dir` and `features extract --out` in a read-only folder gave a
    PermissionError traceback (train after loading TensorFlow); `vist build` said it after
    reading the text and printing its summary."""
    from human_fixtures import small_study

    database = small_study(tmp_path / "db" / "p.sqlite").path
    arguments = arguments_for(READ_ONLY_TARGETS[command], inputs, ro=read_only, db=database)
    err = run_refused(capsys, arguments, tmp_path)
    assert str(read_only) in err, err
