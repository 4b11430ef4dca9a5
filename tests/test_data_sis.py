"""The SIS / DII / reference loaders on small hand-made files in the official format."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from imgstory.data.dii import load_dii
from imgstory.data.references import load_references, references_from_stories, write_references
from imgstory.data.sis import Story, load_sis, write_sis
from imgstory.errors import UserInputError


def official_sis(stories: int = 2, albums: int = 1) -> dict:
    """A small SIS document in the official layout (every official annotation field)."""
    annotations, images = [], []
    for number in range(stories):
        album = f"{100 + number % albums}"
        for order in range(5):
            photo = f"{album}{number}{order}"
            images.append({"id": photo, "album_id": album, "url_o": f"https://x/{photo}.jpg"})
            annotations.append(
                [
                    {
                        "original_text": f"[Story {number}] Sentence {order}, with Anna.",
                        "album_id": album,
                        "photo_flickr_id": photo,
                        "setting": "first-2-pick-and-tell",
                        "worker_id": "W1",
                        "story_id": str(5000 + number),
                        "tier": "story-in-sequence",
                        "worker_arranged_photo_order": order,
                        "text": f"story {number} sentence {order} , with [female] .",
                        "storylet_id": str(number * 5 + order),
                    }
                ]
            )
    return {
        "type": "story-in-sequence",
        "albums": [{"id": f"{100 + a}"} for a in range(albums)],
        "images": images,
        "annotations": annotations,
    }


def write_json(path: Path, document) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_loads_typed_stories_in_worker_order(tmp_path):
    document = official_sis(stories=3, albums=2)
    document["annotations"].reverse()  # order in the file must not matter
    sis = load_sis(write_json(tmp_path / "val.story-in-sequence.json", document))
    assert sis.split == "val"
    assert len(sis.stories) == 3 and not sis.skipped
    story = next(s for s in sis.stories if s.story_id == "5000")
    assert story.album_id == "100"
    assert story.photo_ids == ("10000", "10001", "10002", "10003", "10004")
    assert story.texts[0] == "story 0 sentence 0 , with [female] ."
    assert story.original_texts[4] == "[Story 0] Sentence 4, with Anna."
    assert story.story_text.startswith("story 0 sentence 0 , with [female] . story 0 sentence 1")
    albums = sis.albums()
    assert sorted(albums) == ["100", "101"]
    assert sorted(albums["100"].story_ids) == ["5000", "5002"]
    assert len(albums["100"].photo_ids) == 10  # from the images list
    assert len(sis.photo_ids()) == 15


def test_integer_ids_are_read_as_strings(tmp_path):
    document = official_sis(stories=1)
    for (annotation,) in document["annotations"]:
        annotation["story_id"] = int(annotation["story_id"])
        annotation["photo_flickr_id"] = int(annotation["photo_flickr_id"])
    sis = load_sis(write_json(tmp_path / "test.story-in-sequence.json", document))
    assert sis.stories[0].story_id == "5000"
    assert sis.stories[0].photo_ids[0] == "10000"


def test_write_then_load_round_trips(tmp_path):
    stories = [
        Story("7", "a1", "train", ("1", "2", "3", "4", "5"), tuple("abcde"), tuple("ABCDE")),
        Story("8", "a1", "train", ("5", "4", "3", "2", "1"), tuple("vwxyz"), tuple("VWXYZ")),
    ]
    path = write_sis(tmp_path / "train.story-in-sequence.json", stories)
    document = json.loads(path.read_text())
    assert set(document) == {"type", "albums", "images", "annotations"}
    assert all(isinstance(entry, list) and len(entry) == 1 for entry in document["annotations"])
    assert document["albums"] == [{"id": "a1"}]
    assert load_sis(path).stories == stories


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "not valid JSON (line 1"),
        ("[1, 2]", "expected a JSON object with 'albums', 'images' and 'annotations'"),
        ('{"albums": []}', "field 'annotations' is missing"),
        ('{"annotations": {"a": 1}}', "field 'annotations' must be a list"),
    ],
)
def test_unusable_files_raise_one_clear_message(tmp_path, content, expected):
    path = tmp_path / "test.story-in-sequence.json"
    path.write_text(content)
    with pytest.raises(UserInputError) as error:
        load_sis(path)
    assert str(path) in str(error.value) and expected in str(error.value)


def test_missing_and_non_utf8_files(tmp_path):
    with pytest.raises(UserInputError, match="file not found"):
        load_sis(tmp_path / "nope.json")
    path = tmp_path / "latin1.json"
    path.write_bytes('{"annotations": ["caf\xe9"]}'.encode("latin-1"))
    with pytest.raises(UserInputError, match="not UTF-8"):
        load_sis(path)


def _break(document: dict, story: int, order: int, change) -> dict:
    broken = copy.deepcopy(document)
    change(broken["annotations"][story * 5 + order][0])
    return broken


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda a: a.pop("text"), "story 5001: field 'text' is missing or not a string"),
        (lambda a: a.update(text=["x"]), "story 5001: field 'text' is missing or not a string"),
        (
            lambda a: a.pop("original_text"),
            "story 5001: field 'original_text' is missing or not a string",
        ),
        (
            lambda a: a.update(worker_arranged_photo_order="2"),
            "story 5001: field 'worker_arranged_photo_order' is missing or not an integer"
            ' (found "2")',
        ),
        (
            lambda a: a.pop("photo_flickr_id"),
            "story 5001: field 'photo_flickr_id' is missing or not a string",
        ),
        (
            lambda a: a.update(worker_arranged_photo_order=1),
            "story 5001: two photos at worker_arranged_photo_order 1",
        ),
        (
            lambda a: a.update(worker_arranged_photo_order=7),
            "story 5001: worker_arranged_photo_order is [0, 1, 3, 4, 7], expected 0..4",
        ),
        (
            lambda a: a.update(album_id="999"),
            "story 5001: field 'album_id' differs between its sentences (100, 999)",
        ),
    ],
)
def test_a_bad_story_is_skipped_with_its_id_and_field(tmp_path, change, reason):
    document = _break(official_sis(stories=3), story=1, order=2, change=change)
    sis = load_sis(write_json(tmp_path / "test.story-in-sequence.json", document))
    assert [s.story_id for s in sis.stories] == ["5000", "5002"]
    assert [skip.reason for skip in sis.skipped] == [reason]
    assert sis.skipped[0].story_id == "5001"
    assert sis.skipped_reasons() == {"bad annotation": 1}


def test_story_with_four_photos_is_skipped(tmp_path):
    document = official_sis(stories=2)
    del document["annotations"][7]
    sis = load_sis(write_json(tmp_path / "test.story-in-sequence.json", document))
    assert [s.story_id for s in sis.stories] == ["5000"]
    assert sis.skipped[0].reason == "story 5001: has 4 photos, a VIST story has 5"


def test_annotation_without_story_id_is_counted(tmp_path):
    document = official_sis(stories=1)
    document["annotations"].append([{"album_id": "100", "text": "orphan ."}])
    document["annotations"].append("garbage")
    sis = load_sis(write_json(tmp_path / "test.story-in-sequence.json", document))
    assert len(sis.stories) == 1
    assert [skip.reason for skip in sis.skipped] == [
        "annotation #5: field 'story_id' is missing or not a string",
        "annotation #6 is not an object",
    ]


def test_dii_loader(tmp_path):
    document = {
        "type": "description-in-isolation",
        "albums": [{"id": "1"}],
        "images": [{"id": "11", "album_id": "1"}],
        "annotations": [
            [
                {
                    "photo_flickr_id": "11",
                    "album_id": "1",
                    "photo_order_in_story": 0,
                    "text": "a dog on a beach .",
                    "original_text": "A dog on a beach.",
                    "tier": "descriptions-in-isolation",
                }
            ],
            [{"photo_flickr_id": "12", "album_id": "1", "photo_order_in_story": "x", "text": "t"}],
        ],
    }
    dii = load_dii(write_json(tmp_path / "val.description-in-isolation.json", document))
    assert dii.split == "val"
    assert [d.text for d in dii.descriptions] == ["a dog on a beach ."]
    assert dii.by_photo()["11"][0].original_text == "A dog on a beach."
    assert dii.skipped == ["annotation #1: field 'photo_order_in_story' is not an integer"]


def test_references_round_trip_and_bad_shapes(tmp_path):
    sis = load_sis(write_json(tmp_path / "t.story-in-sequence.json", official_sis(4, albums=2)))
    references = references_from_stories(sis.stories)
    assert list(references) == ["100", "101"] and len(references["100"]) == 2
    path = write_references(references, tmp_path / "ref.json")
    assert load_references(path) == references
    write_json(tmp_path / "single.json", {"9": "  one story .  "})
    assert load_references(tmp_path / "single.json") == {"9": ["one story ."]}
    write_json(tmp_path / "bad.json", {"9": [1, 2]})
    with pytest.raises(UserInputError, match="album '9' must map to a list of story strings"):
        load_references(tmp_path / "bad.json")
    write_json(tmp_path / "sis.json", official_sis(1))
    with pytest.raises(UserInputError, match="story-in-sequence file, not an AREL reference"):
        load_references(tmp_path / "sis.json")
    write_json(tmp_path / "list.json", ["a"])
    with pytest.raises(UserInputError, match="found a list"):
        load_references(tmp_path / "list.json")


def test_loading_a_story_file_costs_at_most_three_times_its_size(tmp_path):
    """Finding 7: a 216 MB story file needed 1.06 GB (5x); here a ~25 MB one, in a fresh
    process: read a chunk at a time, each annotation reduced to what a story keeps."""
    import subprocess
    import sys

    from devtools.toy_data import random_stories

    stories = random_stories(12000, vocabulary_words=500, words_per_sentence=11)
    path = write_sis(tmp_path / "big.story-in-sequence.json", stories)
    size_mb = path.stat().st_size / 2**20
    assert size_mb > 20
    script = (
        "import sys\n"
        "def status(field):\n"
        "    lines = open('/proc/self/status').read().splitlines()\n"
        "    return next(int(line.split()[1]) for line in lines if line.startswith(field))\n"
        "from imgstory.data.sis import load_sis\n"
        "before = status('VmRSS:')\n"
        "count = len(load_sis(sys.argv[1]).stories)\n"
        "print(count, (status('VmHWM:') - before) / 1024)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True
    )
    count, peak_mb = done.stdout.split()
    assert int(count) == 12000
    assert float(peak_mb) <= 3 * size_mb, f"{peak_mb} MB to load {size_mb:.1f} MB"


def test_a_streamed_file_reports_json_errors_where_they_are(tmp_path, monkeypatch):
    """The chunked reader gives the line and column json itself gives, across chunk ends."""
    from imgstory import jsonfile

    monkeypatch.setattr(jsonfile, "CHUNK_BYTES", 7)
    document = official_sis(stories=3)
    path = write_json(tmp_path / "a.story-in-sequence.json", document)
    assert load_sis(path).stories == load_sis(path).stories and len(load_sis(path).stories) == 3
    text = json.dumps(document, indent=1)
    cut = text.index("\n", len(text) // 2)  # between two tokens, past the first chunks
    broken = text[:cut] + " @" + text[cut:]
    (tmp_path / "b.json").write_text(broken)
    try:
        json.loads(broken)
    except json.JSONDecodeError as error:
        expected = f"line {error.lineno}, column {error.colno}: {error.msg}"
    with pytest.raises(UserInputError, match=re.escape(expected)):
        load_sis(tmp_path / "b.json")
