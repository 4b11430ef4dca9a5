"""Every CLI command's file inputs, fuzzed (issue 29): truncated, wrong types, deep nesting,
huge numbers, NaN, empty, a folder for a file, a missing parent, a read-only target. Each must
exit 2 with one line on stderr and change no file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from imgstory.cli import main

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


@pytest.fixture
def inputs(tmp_path) -> dict[str, Path]:
    """Good inputs of every kind, in ``tmp_path/good``."""
    good = tmp_path / "good"
    good.mkdir()
    files = {
        "references": REFERENCES,
        "predictions": PREDICTIONS,
        "registry": {"results": []},
        "sis": SIS,
    }
    paths = {}
    for name, document in files.items():
        paths[name] = good / f"{name}.json"
        paths[name].write_text(json.dumps(document))
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
}  # fmt: skip
FUZZED = [(command, field) for command, (_, fields) in COMMANDS.items() for field in fields]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` and its bytes."""
    return {str(p): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def run_refused(capsys, arguments: list[str], folder: Path) -> str:
    """Run the CLI; assert exit 2, one line on stderr, no file under ``folder`` changed."""
    before = snapshot(folder)
    code = main(arguments)
    err = capsys.readouterr().err
    assert code == 2, (arguments, err)
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert snapshot(folder) == before
    return err


@pytest.mark.parametrize("case", [*BAD_JSON, "folder", "missing parent"])
@pytest.mark.parametrize(("command", "field"), FUZZED)
def test_a_bad_json_input_exits_2_with_one_line_and_changes_nothing(
    command, field, case, inputs, tmp_path, capsys
):
    bad = tmp_path / "bad.json"
    if case == "folder":
        bad.mkdir()
    elif case == "missing parent":
        bad = tmp_path / "nowhere" / "bad.json"
    else:
        bad.write_bytes(BAD_JSON[case])
    fields = {name: str(path) for name, path in inputs.items()}
    fields |= {field: str(bad), "out": str(tmp_path / "out.json")}
    arguments = [argument.format(**fields) for argument in COMMANDS[command][0]]
    err = run_refused(capsys, arguments, tmp_path)
    assert str(bad) in err or bad.name in err, err  # the message names the file


def test_a_read_only_output_folder_exits_2_and_writes_nothing(inputs, tmp_path, capsys):
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        out = folder / "refs.json"
        sis = tmp_path / "sis.json"
        sis.write_text(json.dumps(SIS))
        run_refused(capsys, ["data", "references", str(sis), "--out", str(out)], tmp_path)
    finally:
        folder.chmod(0o755)


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
