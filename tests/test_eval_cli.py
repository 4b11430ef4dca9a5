"""``imgstory evaluate`` as a user runs it: JSON output, per-album CSV and one-line errors."""

from __future__ import annotations

import json
import os
import time

import pandas as pd
import pytest

from imgstory.cli import main
from imgstory.eval import meteor

REFERENCES = {"a1": ["the dog ran in the park .", "a dog played ."], "a2": ["we ate cake ."]}


@pytest.fixture
def files(tmp_path):
    references = tmp_path / "ref.json"
    references.write_text(json.dumps(REFERENCES))
    predictions = tmp_path / "pred.json"
    predictions.write_text(json.dumps({"a1": ["the dog ran in the park ."]}))
    return references, predictions


def run(capsys, *arguments: str) -> tuple[int, str, str]:
    code = main(["evaluate", *map(str, arguments)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_output_and_per_album_csv(java, files, capsys, tmp_path):
    references, predictions = files
    csv = tmp_path / "albums.csv"
    code, out, err = run(
        capsys, "--references", references, "--predictions", predictions, "--per-album", csv,
        "--json", "--bootstrap", "50",
    )  # fmt: skip
    assert code == 0
    summary = json.loads(out)
    assert summary["protocol"] == "arel" and summary["METEOR"] == 1.0
    assert summary["albums_scored"] == 1 and summary["albums_missing"] == 1
    assert set(summary["ci95"]) == {
        "Bleu_1",
        "Bleu_2",
        "Bleu_3",
        "Bleu_4",
        "METEOR",
        "ROUGE_L",
        "CIDEr",
    }
    assert "scored 1 of 2 reference albums" in err
    table = pd.read_csv(csv, index_col="album_id", dtype={"album_id": str})
    assert list(table.index) == ["a1"] and table.loc["a1", "ROUGE_L"] == pytest.approx(1.0)


def test_missing_java_prints_install_command_and_other_metrics(files, capsys, monkeypatch):
    monkeypatch.setattr(meteor, "find_java", lambda: None)
    references, predictions = files
    code, out, err = run(capsys, "--references", references, "--predictions", predictions, "--json")
    assert code == 0
    summary = json.loads(out)
    assert summary["METEOR"] is None and summary["Bleu_1"] == pytest.approx(1.0)
    assert "apt-get install default-jre-headless" in err


def write_bytes(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"a1": ["caf\xe9"]}', "not UTF-8"),
        (b"{not json", "not valid JSON"),
        (b'{"zz": ["a story"]}', "not in the references, e.g. zz"),
        (b'{"output_stories": []}', "--protocol challenge"),
    ],
)
def test_bad_prediction_files_give_one_line_errors(
    files, capsys, tmp_path, monkeypatch, content, message
):
    monkeypatch.setattr(meteor, "find_java", lambda: None)  # fail before any jar starts
    references, _ = files
    predictions = write_bytes(tmp_path, "bad.json", content)
    code, out, err = run(capsys, "--references", references, "--predictions", predictions)
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_wrong_reference_format_and_protocol_are_clear(files, capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(meteor, "find_java", lambda: None)
    _, predictions = files
    sis_like = write_bytes(tmp_path, "sis.json", b'{"annotations": [], "albums": []}')
    code, _, err = run(capsys, "--references", sis_like, "--predictions", predictions)
    assert code == 2 and "story-in-sequence" in err
    code, _, err = run(
        capsys, "--references", sis_like, "--predictions", predictions, "--protocol", "x"
    )
    assert code == 2 and "--protocol must be one of arel, challenge" in err


def test_challenge_protocol_from_a_sis_file(java, tmp_path, capsys):
    from imgstory.data.sis import Story, write_sis

    texts = ("we went out .", "it was sunny .", "we ate .", "we swam .", "we went home .")
    photos = ("11", "12", "13", "14", "15")
    stories = [
        Story("s1", "alb", "test", photos, texts, texts),
        Story("s2", "alb", "test", photos, ("a", "b", "c", "d", "e"), ("a", "b", "c", "d", "e")),
    ]
    sis = write_sis(tmp_path / "test.story-in-sequence.json", stories, "test")
    submission = tmp_path / "submission.json"
    story = {
        "album_id": "alb",
        "photo_sequence": list(photos),
        "story_text_normalized": " ".join(texts),
    }
    submission.write_text(json.dumps({"output_stories": [story]}))
    code, out, err = run(
        capsys,
        "--protocol",
        "challenge",
        "--references",
        sis,
        "--predictions",
        submission,
        "--json",
    )
    assert code == 0, err
    summary = json.loads(out)
    assert summary["protocol"] == "challenge" and summary["METEOR"] == 1.0  # max over the 2 refs
    assert summary["albums_scored"] == 1


def test_a_10000_word_story_is_cut_for_meteor_and_the_album_named(java, tmp_path, capsys):
    """Finding 4: a 10,000-word story made the jar run out of memory (METEOR null, or exit 1)."""
    long_story = " ".join(["the family went to the beach and we had a great time ."] * 770)
    assert len(long_story.split()) > 10_000
    references = tmp_path / "ref.json"
    references.write_text(json.dumps({"long1": [long_story[:40_000]], "a2": ["we ate cake ."]}))
    predictions = tmp_path / "pred.json"
    predictions.write_text(json.dumps({"long1": [long_story], "a2": ["we ate cake ."]}))
    code, out, err = run(capsys, "--references", references, "--predictions", predictions, "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["METEOR"] is not None and 0 < summary["METEOR"] <= 1
    cut = [w for w in summary["warnings"] if f"first {meteor.METEOR_MAX_WORDS} words" in w]
    assert len(cut) == 1 and "long1" in cut[0] and "a2" not in cut[0]


FAKE_JARS = {
    "out of memory": (
        "echo 'Exception in thread \"main\" java.lang.OutOfMemoryError: Java heap space' >&2\n"
        "echo '\tat Meteor.main(Unknown Source)' >&2\nexit 1",
        "ran out of memory",
    ),
    "crashed": (
        "echo 'Exception in thread \"main\" java.lang.IllegalStateException: bad table' >&2\n"
        "echo '\tat Meteor.main(Unknown Source)' >&2\nexit 1",
        'crashed (exit status 1): Exception in thread "main" java.lang.IllegalStateException',
    ),
    "killed": ("kill -9 $$", "killed by signal SIGKILL"),
    "silent": ("exit 3", "exited with status 3 without a message"),
}


@pytest.mark.parametrize("death", sorted(FAKE_JARS))
def test_a_dying_jar_says_why_and_never_exits_silently(death, files, tmp_path, capsys, monkeypatch):
    """Finding 4: when the jar died, `evaluate` exited 1 with no message, or said nothing useful.

    The fake jar closes its input at once: closing the pipe to it afterwards raised the
    BrokenPipeError that Click turned into a silent exit 1.
    """
    script, reason = FAKE_JARS[death]
    fake = tmp_path / "bin" / "java"
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\nexec 0<&-\n{script}\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:{os.environ['PATH']}")
    monkeypatch.setattr(meteor, "_SHARED_POOL", None)
    references, predictions = files
    code, out, err = run(capsys, "--references", references, "--predictions", predictions, "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["METEOR"] is None and summary["Bleu_1"] == pytest.approx(1.0)
    assert "METEOR not computed: the METEOR jar" in err and reason in err, err


def test_closing_a_jar_that_died_unread_raises_nothing(tmp_path):
    """Finding 4: the silent exit 1. A dying jar closes its pipes before its exit status is
    known; closing our end then flushed what it never read: BrokenPipeError, which Click turns
    into ``exit 1`` without a word."""
    fake = tmp_path / "java"
    fake.write_text("#!/bin/sh\nexec 0<&- 1>&-\nsleep 1\nexit 1\n")
    fake.chmod(0o755)
    jar = meteor.MeteorJar(java=str(fake))
    time.sleep(0.3)  # its pipes are closed, it is still running
    with pytest.raises(meteor.MeteorUnavailable, match="exited with status 1 without a message"):
        jar.statistics(["we ate cake ."], [["we ate cake ."]])
    jar.close()
    assert not jar.alive
