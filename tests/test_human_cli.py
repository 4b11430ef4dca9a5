"""``imgstory human report`` and ``imgstory human export``: the numbers, the CSV, bad files."""

from __future__ import annotations

import csv
import json

import pytest
from human_fixtures import small_study

from imgstory.cli import main
from imgstory.human.store import SCHEMA_VERSION
from imgstory.human.study import load_study, next_assignment, record_judgement


@pytest.fixture
def rated_db(tmp_path):
    """A study where ann and bob judged every item (2 aspects): 12 judgements."""
    path = tmp_path / "project.sqlite"
    store = small_study(path)
    study = load_study(store, "study")
    for rater, answer in (("ann", "left"), ("bob", "tie")):
        while (assignment := next_assignment(store, study, rater)) is not None:
            for aspect in assignment.aspects_left:
                record_judgement(store, study, rater, assignment.item_id, aspect, answer)
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_report_json_gives_the_counts_and_rates(rated_db, capsys):
    code, out, _ = run(
        capsys, "human", "report", "--db", str(rated_db), "--study", "study", "--json"
    )
    assert code == 0
    report = json.loads(out)
    assert (report["judgements"], report["raters"], report["items"]) == (12, 2, 3)
    assert report["judgements_by_rater"] == {"ann": 6, "bob": 6}
    relevance = next(row for row in report["pairwise"] if row["aspect"] == "relevance")
    assert relevance["n"] == 6 and relevance["ties"]["count"] == 3  # bob's three ties
    assert relevance["wins"]["count"] + relevance["losses"]["count"] == 3  # ann's lefts
    code, out, _ = run(capsys, "human", "report", "--db", str(rated_db), "--json")
    assert [s["study"] for s in json.loads(out)["studies"]] == ["study"]
    code, out, _ = run(capsys, "human", "report", "--db", str(rated_db))
    assert "12 judgements by 2 raters on 3 items" in out and "Wilson" in out


def test_export_writes_every_judgement_and_never_overwrites_unasked(rated_db, tmp_path, capsys):
    out_csv = tmp_path / "judgements.csv"
    code, out, _ = run(capsys, "human", "export", "--db", str(rated_db), "--csv", str(out_csv))
    assert code == 0 and "wrote 12 judgements" in out
    with open(out_csv, newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == 12
    assert {row["rater"] for row in rows} == {"ann", "bob"}
    for row in rows:
        assert {row["left_system"], row["right_system"]} == {"lstm", "gru"}
        expected = row["left_system"] if row["answer"] == "left" else "tie"
        assert row["choice"] == expected
    out_csv.write_text("my notes\n")
    code, _, err = run(capsys, "human", "export", "--db", str(rated_db), "--csv", str(out_csv))
    assert code == 2 and "already exists; pass --overwrite" in err
    assert out_csv.read_text() == "my notes\n"
    argv = ["human", "export", "--db", str(rated_db), "--csv", str(out_csv), "--overwrite"]
    assert run(capsys, *argv)[0] == 0
    assert out_csv.read_text().startswith("study,kind,item_id")


def test_bad_databases_get_one_line_and_stay_untouched(rated_db, tmp_path, capsys):
    text_file = tmp_path / "notes.sqlite"
    text_file.write_text("not a database\n")
    code, _, err = run(capsys, "human", "report", "--db", str(text_file), "--json")
    assert code == 2 and "not an SQLite database" in err and "Traceback" not in err
    assert text_file.read_text() == "not a database\n"

    import sqlite3

    with sqlite3.connect(rated_db) as connection:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    connection.close()
    code, _, err = run(capsys, "human", "report", "--db", str(rated_db))
    assert code == 2 and "newer IMG_Story" in err and err.count("\n") == 1
    out_csv = tmp_path / "x.csv"
    code, _, err = run(capsys, "human", "export", "--db", str(rated_db), "--csv", str(out_csv))
    assert code == 2 and "newer IMG_Story" in err and not out_csv.exists()

    code, _, err = run(capsys, "human", "report", "--db", str(tmp_path / "none.sqlite"))
    assert code == 2 and "no such database" in err
    assert not (tmp_path / "none.sqlite").exists()


def test_an_unknown_study_lists_the_ones_there_are(rated_db, capsys):
    code, _, err = run(capsys, "human", "report", "--db", str(rated_db), "--study", "nope")
    assert code == 2 and "no study named 'nope' (studies: study)" in err


def test_export_keeps_a_formula_rater_name_as_text(tmp_path, capsys):
    """Issue 29.7: a rater named =HYPERLINK(...) was exported verbatim (a spreadsheet runs it)."""
    store = small_study(tmp_path / "p.sqlite", systems=("-lstm", "gru"))
    study = load_study(store, "study")
    rater = '=HYPERLINK("http://198.51.100.7/","click")'
    assignment = next_assignment(store, study, rater)
    record_judgement(store, study, rater, assignment.item_id, "relevance", "left")
    out_csv = tmp_path / "judgements.csv"
    assert run(capsys, "human", "export", "--db", str(store.path), "--csv", str(out_csv))[0] == 0
    with open(out_csv, newline="", encoding="utf-8") as stream:
        (row,) = list(csv.DictReader(stream))
    assert row["rater"] == "'" + rater  # a leading apostrophe: the spreadsheet shows text
    assert row["system_a"] in ("'-lstm", "gru") and "'-lstm" in (row["system_a"], row["system_b"])
    assert row["choice"] in ("'-lstm", "gru") and row["study"] == "study"
