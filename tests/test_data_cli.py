"""``imgstory data inspect / index / references`` from the command line, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
from PIL import Image
from test_data_sis import official_sis, write_json

from imgstory.cli import main
from imgstory.data.index import load_stories, read_index
from imgstory.data.photos import PhotoFinder


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(arg) for arg in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def make_vist_folder(root: Path) -> Path:
    """sis/test.story-in-sequence.json with 3 stories in 2 albums and images/test/ holding
    all photos of story 5000, a broken photo of story 5001 and none of story 5002's."""
    (root / "sis").mkdir(parents=True, exist_ok=True)
    write_json(root / "sis" / "test.story-in-sequence.json", official_sis(stories=3, albums=2))
    folder = root / "images" / "test"
    folder.mkdir(parents=True)
    for order in range(5):
        Image.new("RGB", (8, 6), (order * 40, 10, 10)).save(folder / f"1000{order}.jpg")
    for order in range(4):
        Image.new("RGB", (8, 6), "white").save(folder / f"1011{order}.png")
    (folder / "10114.jpg").write_text("this is not a photo")
    return root


def on_vist_folder(capsys, root: Path, command: str, *options) -> tuple[int, str, str]:
    """``imgstory data <command>`` on :func:`make_vist_folder`'s test stories and photos."""
    stories = root / "sis" / "test.story-in-sequence.json"
    return run_cli(capsys, "data", command, stories, "--images", root / "images", *options)


def test_inspect_json_counts_and_problem_photos(tmp_path, capsys):
    root = make_vist_folder(tmp_path)
    code, out, _ = on_vist_folder(capsys, root, "inspect", "--json")
    assert code == 0
    report = json.loads(out)
    assert {key: report[key] for key in _COUNT_KEYS} == {
        "stories": 3,
        "albums": 2,
        "photos": 15,
        "skipped_stories": 2,
        "missing_photos": 5,
        "unreadable_photos": 1,
    }
    assert report["usable_stories"] == 1 and report["usable_albums"] == 1
    assert report["skipped_reasons"] == {"unreadable photo": 1, "missing photo": 1}
    assert report["unreadable_examples"][0]["photo_id"] == "10114"
    assert "not an image" in report["unreadable_examples"][0]["reason"]
    assert all(isinstance(report[key], int) for key in _COUNT_KEYS)


_COUNT_KEYS = (
    "stories",
    "albums",
    "photos",
    "skipped_stories",
    "missing_photos",
    "unreadable_photos",
)


def test_inspect_table_without_images(tmp_path, capsys):
    path = write_json(tmp_path / "val.story-in-sequence.json", official_sis(stories=2))
    code, out, _ = run_cli(capsys, "data", "inspect", path)
    assert code == 0
    assert "stories" in out and "photos not checked" in out


def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    path = tmp_path / "broken.json"
    path.write_text("{oops")
    code, out, err = run_cli(capsys, "data", "inspect", path, "--json")
    assert code == 2 and out == ""
    assert err.strip().count("\n") == 0
    assert err.startswith(f"error: {path}: not valid JSON")
    code, _, err = run_cli(capsys, "data", "inspect", tmp_path / "absent.json")
    assert code == 2 and "file not found" in err
    good = write_json(tmp_path / "t.story-in-sequence.json", official_sis(1))
    code, _, err = run_cli(capsys, "data", "inspect", good, "--images", tmp_path / "nowhere")
    assert code == 2 and "folder not found (expected a photo folder" in err


def test_index_writes_parquet_the_app_can_query(tmp_path, capsys):
    root = make_vist_folder(tmp_path)
    code, out, _ = on_vist_folder(capsys, root, "index", "--out", tmp_path / "index")
    assert code == 0 and "3 stories (1 with all photos usable)" in out
    index = read_index(tmp_path / "index")
    stories = pd.read_parquet(tmp_path / "index" / "stories.parquet")
    assert stories.loc[stories.story_id == "5000", "photos_ok"].item()
    assert stories.loc[stories.story_id == "5002", "photo_ids"].item()[0] == "10020"
    assert index.photos.groupby("status").size().to_dict() == {
        "missing": 5,
        "ok": 9,
        "unreadable": 1,
    }
    assert [story.story_id for story in load_stories(tmp_path / "index")] == ["5000"]


def test_references_command(tmp_path, capsys):
    path = write_json(tmp_path / "test.story-in-sequence.json", official_sis(4, albums=2))
    code, out, _ = run_cli(capsys, "data", "references", path, "--out", tmp_path / "r.json")
    assert code == 0 and "2 albums" in out
    assert len(json.loads((tmp_path / "r.json").read_text())["100"]) == 2


def test_photo_finder_layouts(tmp_path):
    (tmp_path / "images" / "train").mkdir(parents=True)
    (tmp_path / "images" / "test").mkdir(parents=True)
    (tmp_path / "images" / "train" / "42.jpg").write_bytes(b"x")
    (tmp_path / "images" / "test" / "42.png").write_bytes(b"x")
    (tmp_path / "images" / "test" / "77").write_bytes(b"x")  # no extension, as in the archives
    (tmp_path / "images" / "test" / "notes.txt").write_bytes(b"x")
    finder = PhotoFinder(tmp_path / "images")
    assert finder.find("42", split="test").name == "42.png"
    assert finder.find("42", split="train").name == "42.jpg"
    assert finder.find("77").name == "77"
    assert finder.find("notes") is None and finder.find("99") is None


def test_light_commands_do_not_import_tensorflow(tmp_path):
    path = write_json(tmp_path / "test.story-in-sequence.json", official_sis(1))
    code = (
        "import sys; from imgstory.cli import main; "
        f"rc = main(['data', 'inspect', {str(path)!r}, '--json']); "
        "assert rc == 0, rc; "
        "heavy = [m for m in ('tensorflow', 'keras') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
