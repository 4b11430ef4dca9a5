"""Unit tests of the app's logic (no Streamlit run): sources, explorer, uploads, downloads,
result tables, model discovery, feature projections and figures."""

from __future__ import annotations

import io
import json
import math
import re

import numpy as np
import pandas as pd
import pytest
import test_app_fixtures as fixtures
from PIL import Image

from imgstory.app import downloads, explore, feature_maps, models, results, scoring, sources
from imgstory.app.generation import StoryResult, sentences_table
from imgstory.app.uploads import MAX_PHOTOS, check_upload, check_uploads, parse_order
from imgstory.data.photos import PhotoFinder
from imgstory.data.sis import load_sis
from imgstory.errors import UserInputError
from imgstory.features.store import FeatureStore
from imgstory.viz.architecture import architecture_dot
from imgstory.viz.projection import (
    cosine_similarity_matrix,
    project_features,
    strongest_dimensions,
)

tiny_vist = fixtures.tiny_vist


def png_bytes(mode="RGB", size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, 128).save(buffer, format="PNG")
    return buffer.getvalue()


# ---------------------------------------------------------------- sources
def test_scan_source_reads_the_official_layout(tiny_vist):
    source = sources.scan_source(tiny_vist, sources.VIST_FOLDER)
    assert source.splits == ["train", "test"] and source.default_split == "test"
    assert source.images_dir == tiny_vist / "images"
    assert source.features_dir == tiny_vist / "features"
    assert source.photo_credit("123") == "Flickr photo 123"
    assert not source.is_demo and source.label == f"VIST folder {tiny_vist}"


def test_a_folder_without_sis_files_is_refused_with_a_clear_message(tmp_path):
    with pytest.raises(UserInputError, match=r"no sis/\{split\}.story-in-sequence.json file"):
        sources.choose_source(sources.VIST_FOLDER, str(tmp_path))
    with pytest.raises(UserInputError, match="folder not found"):
        sources.choose_source(sources.VIST_FOLDER, str(tmp_path / "nope"))
    with pytest.raises(UserInputError, match="no VIST folder given"):
        sources.choose_source(sources.VIST_FOLDER, "  ")


def test_missing_demo_pack_says_how_to_build_it(tmp_path):
    with pytest.raises(UserInputError, match="run `imgstory demo build`"):
        sources.demo_source(tmp_path / "demo")


@pytest.mark.real_data
def test_the_shared_vist_sample_is_a_source_with_flat_photos(vist_dir):
    source = sources.scan_source(vist_dir, sources.VIST_FOLDER)
    assert source.splits == ["test"] and source.images_dir == vist_dir / "photos"
    table = explore.stories_table(load_sis(source.sis_files["test"]).stories)
    found = explore.photos_found(table, PhotoFinder(source.images_dir))
    assert len(table) == 5005
    assert (found == 5).sum() >= 12  # the 12 sequences whose photos ship with the sample


# ---------------------------------------------------------------- explorer
def test_story_table_search_is_case_insensitive_and_needs_every_word(tiny_vist):
    stories = load_sis(tiny_vist / "sis" / "test.story-in-sequence.json").stories
    table = explore.stories_table(stories)
    assert len(explore.filter_stories(table, ["test"], "SNOWMAN deer")) == 2
    assert len(explore.filter_stories(table, ["test"], "snowman beach")) == 0
    assert len(explore.filter_stories(table, [], "test10")) == 2  # album ids are searchable
    assert len(explore.filter_stories(table, ["train"], "")) == 0
    albums = explore.albums_table(table)
    assert list(albums["album_id"]) == ["test00", "test10", "test20"]
    assert list(albums["stories"]) == [2, 2, 2]


def test_story_slots_mark_missing_photos(tiny_vist, tmp_path):
    story = load_sis(tiny_vist / "sis" / "test.story-in-sequence.json").stories[0]
    folder = tmp_path / "images"
    folder.mkdir()
    (folder / f"{story.photo_ids[2]}.jpg").write_bytes(
        (tiny_vist / "images" / "test" / f"{story.photo_ids[2]}.jpg").read_bytes()
    )
    slots = explore.story_slots(story, PhotoFinder(folder))
    assert [s.position for s in slots] == [0, 1, 2, 3, 4]
    assert slots[0].sentence == story.original_texts[0]
    missing = explore.missing_photos(slots)
    assert missing == [p for i, p in enumerate(story.photo_ids) if i != 2]


def test_split_story_cuts_at_sentence_tokens():
    assert explore.split_story("we went . was it fun ? yes ! and then") == [
        "we went .", "was it fun ?", "yes !", "and then"
    ]  # fmt: skip
    assert explore.split_story("") == []


# ---------------------------------------------------------------- uploads
@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("a.txt", b"hello", r"a.txt: .txt files are not photos this app reads"),
        ("noext", b"hello", r"noext: .\(none\) files are not photos"),
        ("a.png", b"", "a.png: the file is empty"),
        ("a.png", b"\x89PNG\r\n\x1a\n broken", "cannot read photo a.png"),
    ],
)
def test_bad_uploads_get_one_line_messages(name, data, message):
    with pytest.raises(UserInputError, match=message) as caught:
        check_upload(name, data)
    assert "\n" not in str(caught.value)


def test_oversized_upload_is_refused_before_decoding():
    with pytest.raises(UserInputError, match=r"big.png: 0.0 MB is over the 1e-05 MB limit"):
        check_upload("big.png", png_bytes(), max_megabytes=0.00001)


def test_uploads_of_every_supported_type_decode_to_rgb():
    for mode, fmt, name in [("RGBA", "PNG", "a.png"), ("P", "GIF", "b.gif"),
                            ("L", "BMP", "c.bmp"), ("RGB", "WEBP", "d.webp"),
                            ("CMYK", "JPEG", "e.jpeg")]:  # fmt: skip
        buffer = io.BytesIO()
        Image.new(mode, (20, 10)).save(buffer, format=fmt)
        photo = check_upload(name, buffer.getvalue())
        assert photo.image.mode == "RGB" and photo.image.size == (20, 10), name


def test_upload_checks_decode_each_file_once_and_refuse_a_huge_one_undecoded(monkeypatch):
    """Finding 7: every rerun decoded every upload again (~0.6-0.9 s and ~450 MB for 9000x9000)."""
    from imgstory.app import uploads

    decoded = []
    real_load = uploads.load_image

    def counted(*args, **options):
        decoded.append(1)
        return real_load(*args, **options)

    monkeypatch.setattr(uploads, "load_image", counted)
    data = png_bytes()
    first, again = check_upload("same.png", data), check_upload("same.png", bytes(data))
    assert len(decoded) == 1 and first.image.tobytes() == again.image.tobytes()
    first.image.paste((1, 2, 3), (0, 0, 5, 5))  # the kept copy is not the one handed out
    assert check_upload("same.png", data).image.tobytes() == again.image.tobytes()

    huge = io.BytesIO()
    Image.new("L", (9000, 9000), 5).save(huge, format="PNG")
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: pytest.fail("pixels decoded"))
    for _ in range(2):
        with pytest.raises(UserInputError, match="9000x9000 = 81,000,000 pixels is over the limit"):
            check_upload("huge.png", huge.getvalue())


def test_check_uploads_reports_count_and_each_bad_file_at_once():
    files = [(f"{n}.png", png_bytes()) for n in range(MAX_PHOTOS + 1)] + [("x.doc", b"x")]
    photos, problems = check_uploads(files)
    assert len(photos) == MAX_PHOTOS + 1
    assert problems[0].startswith("12 photos uploaded") and "remove 2" in problems[0]
    assert problems[1].startswith("x.doc:")


def test_parse_order():
    assert parse_order("", 3) == [0, 1, 2]
    assert parse_order("2, 1 3", 3) == [1, 0, 2]
    with pytest.raises(
        UserInputError, match=re.escape("use numbers separated by spaces, e.g. 1 2 3")
    ):
        parse_order("one two", 3)
    with pytest.raises(UserInputError, match=r"4 is not a photo number \(1 to 3\)"):
        parse_order("1 2 4", 3)
    with pytest.raises(UserInputError, match=r"\(missing 3\)"):
        parse_order("1 2 2", 3)
    with pytest.raises(UserInputError, match="one is repeated"):
        parse_order("1 2 3 3", 3)


# ---------------------------------------------------------------- generation and downloads
def result(model="LSTM", method="beam", album="42") -> StoryResult:
    return StoryResult(
        model_label=model,
        model_dir="/models/lstm",
        decoding={"method": method, "beam_size": 3, "length_penalty": 0.0,
                  "no_repeat_ngram_size": 3},
        photo_labels=("p1", "p2"),
        sentences=("we went to the beach .", "[female] swam ."),
        display_sentences=("We went to the beach.", "Mary swam."),
        seconds=0.1234,
        album_id=album,
    )  # fmt: skip


def test_decoding_label_names_the_options_that_matter():
    assert (
        result().decoding_label == "beam (beam_size=3, length_penalty=0.0, no_repeat_ngram_size=3)"
    )
    assert result(method="greedy").decoding_label == "greedy (no-repeat 3)"


def test_downloads_text_json_and_challenge_format():
    story = result()
    text = downloads.story_text(story)
    assert text.splitlines()[:2] == [
        "Photo 1 (p1): We went to the beach.",
        "Photo 2 (p2): Mary swam.",
    ]
    assert "Model: LSTM (/models/lstm)" in text
    document = json.loads(downloads.story_json(story))
    assert document["story"] == "we went to the beach . [female] swam ."
    assert document["decoding"]["method"] == "beam" and document["album_id"] == "42"
    challenge = json.loads(downloads.challenge_json([story, result(album=None)]))
    assert challenge["team_name"] == "IMG_Story"
    first, second = challenge["output_stories"]
    assert first == {"album_id": "42", "photo_sequence": ["p1", "p2"],
                     "story_text_normalized": "we went to the beach . [female] swam ."}  # fmt: skip
    assert second["album_id"] == "uploaded"


def test_compare_table_has_one_column_per_run():
    table = sentences_table([result("LSTM"), result("GRU", "greedy")])
    assert list(table) == ["photo", "LSTM · beam (beam_size=3, length_penalty=0.0, "
                           "no_repeat_ngram_size=3)", "GRU · greedy (no-repeat 3)"]  # fmt: skip


# ---------------------------------------------------------------- result tables
SUMMARY = {
    "systems": {
        "random": {"METEOR": {"value": 0.2, "ci": [0.18, 0.22]}, "theme_accuracy": 0.1},
        "lstm-beam": {"METEOR": {"value": 0.3, "ci": [0.28, 0.32]}, "theme_accuracy": 0.95},
        "my_system": {"METEOR": {"value": 0.25, "ci": [0.19, 0.31]}},
    }
}


def test_summary_table_orders_systems_and_keeps_intervals():
    long = results.summary_table(SUMMARY)
    assert list(long["system"].unique()) == ["lstm-beam", "random", "my_system"]
    row = long[(long.system == "lstm-beam") & (long.metric == "METEOR")].iloc[0]
    assert (row.value, row.ci_low, row.ci_high) == (0.3, 0.28, 0.32)
    accuracy = long[long.metric == "theme_accuracy"]
    assert accuracy["ci_low"].isna().all()


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({}, 'no "systems" object found'),
        ({"systems": {"a": []}}, "systems.a must be an object"),
        ({"systems": {"a": {"METEOR": {"value": "high"}}}}, r"systems.a.METEOR.value: expected a"),
    ],
)
def test_malformed_summaries_are_explained(document, message):
    with pytest.raises(UserInputError, match=message):
        results.summary_table(document, "s.json")


def test_wide_table_csv_and_latex():
    long = results.summary_table(SUMMARY)
    wide = results.wide_table(long)
    assert list(wide.columns) == ["system", "description", "METEOR", "theme_accuracy"]
    assert wide.loc[0, "METEOR"] == "0.3000 [0.2800, 0.3200]"
    assert wide.loc[0, "theme_accuracy"] == "0.9500"
    assert pd.isna(wide.loc[2, "theme_accuracy"])
    csv = pd.read_csv(io.StringIO(results.to_csv(long)))
    assert len(csv) == len(long) and csv["value"].max() == pytest.approx(0.95)
    latex = results.to_latex(wide.fillna("--"), "Demo pack & test_split 100%")
    assert r"\begin{tabular}{llrr}" in latex
    assert r"lstm-beam & LSTM, beam search (thesis model) & 0.3000 [0.2800, 0.3200]" in latex
    assert r"my\_system" in latex and r"\caption{Demo pack \& test\_split 100\%}" in latex


def test_saved_comparisons_are_read_from_the_summary(tmp_path):
    assert results.saved_comparisons(tmp_path).empty
    test = {"value_a": 0.3, "value_b": 0.2, "difference": 0.1, "low": 0.05, "high": 0.15,
            "p_value": 0.001, "albums": 40, "resamples": 1000}  # fmt: skip
    document = {**SUMMARY, "comparisons": {"lstm-beam vs random": {"METEOR": test}}}
    (tmp_path / "summary.json").write_text(json.dumps(document))
    table = results.saved_comparisons(tmp_path)
    assert table.loc[0, "comparison"] == "lstm-beam vs random" and table.loc[0, "p_value"] == 0.001


def test_findings_call_a_difference_clear_only_without_overlap():
    long = results.summary_table(SUMMARY)
    clear = results.finding(long, "lstm-beam", "random")
    assert clear.startswith("LSTM, beam search (thesis model) scores METEOR 0.3000, 0.1000 above")
    assert "a clear difference" in clear
    assert "within the noise" in results.finding(long, "my_system", "lstm-beam")
    assert results.finding(long, "lstm-beam", "gru-beam") is None


def test_prediction_files_and_load_summary(tiny_vist, tmp_path):
    found = results.prediction_files(tiny_vist / "results")
    assert list(found) == ["lstm-beam", "lstm-greedy", "random"]
    assert set(results.load_summary(tiny_vist / "results")["system"]) == set(found)
    (tmp_path / "summary.json").write_text("{oops")
    with pytest.raises(UserInputError, match=re.escape("summary.json: not valid JSON")):
        results.load_summary(tmp_path)


# ---------------------------------------------------------------- uploads for scoring
def test_prediction_and_reference_uploads_are_validated():
    assert scoring.predictions_from_upload("p.json", b'{"1": ["a story ."]}') == {"1": "a story ."}
    with pytest.raises(UserInputError, match=re.escape("p.json: not valid JSON")):
        scoring.predictions_from_upload("p.json", b"{")
    with pytest.raises(UserInputError, match="this is a VIST challenge submission"):
        scoring.predictions_from_upload("p.json", b'{"output_stories": []}')
    with pytest.raises(UserInputError, match=re.escape("p.json: not UTF-8")):
        scoring.predictions_from_upload("p.json", b"\xff\xfe{")
    assert scoring.references_from_upload("r.json", b'{"1": "one ."}') == {"1": ["one ."]}
    with pytest.raises(UserInputError, match=re.escape("r.json: expected an AREL reference file")):
        scoring.references_from_upload("r.json", b'{"annotations": []}')
    with pytest.raises(UserInputError, match="none of the 1 predicted albums"):
        scoring.score_predictions({"9": "x ."}, {"1": ["y ."]})


# ---------------------------------------------------------------- models
def test_discover_models_lists_vist_then_demo_then_user_models(tmp_path):
    shipped = tmp_path / "shipped"
    (shipped / "vist-lstm").mkdir(parents=True)
    for file in models.MODEL_FILES:
        (shipped / "vist-lstm" / file).write_text("{}")
    demo = tmp_path / "demo"
    for name in ("lstm", "gru"):
        (demo / "models" / name).mkdir(parents=True)
        for file in models.MODEL_FILES:
            (demo / "models" / name / file).write_text("{}")
    user = tmp_path / "mine"
    (user / "run1").mkdir(parents=True)
    for file in models.MODEL_FILES:
        (user / "run1" / file).write_text("{}")
    (user / "run1" / "model_card.json").write_text(
        json.dumps({"cell": "gru", "encoder": {"name": "xception"}, "vocabulary": {"size": 8000}})
    )
    (user / "notes").mkdir()
    found = models.discover_models(demo, user, shipped)
    assert [c.label.split(" (")[0] for c in found] == ["VIST LSTM", "LSTM", "GRU", "run1"]
    assert [c.is_demo for c in found] == [False, True, True, False]
    assert "real VIST stories" in found[0].label and "drawn scenes" in found[1].label
    assert models.card_summary(found[3].card()) == "GRU, xception features, 8000 words"
    assert found[0].card() == {}
    # Uploads and real sequences get the VIST LSTM; demo-pack sequences the demo LSTM.
    assert models.default_model(found, demo_photos=False) == 0
    assert models.default_model(found, demo_photos=True) == 1
    assert models.default_model(found[3:], demo_photos=False) == 0  # only a user model


# ---------------------------------------------------------------- features and figures
def test_projections_and_similarity():
    rng = np.random.default_rng(0)
    vectors = np.vstack([rng.normal(0, 1, (10, 8)), rng.normal(6, 1, (10, 8))])
    for method in ("PCA", "t-SNE"):
        points = project_features(vectors, method)
        assert points.shape == (20, 2)
        first, second = points[:10].mean(0), points[10:].mean(0)
        spread = points[:10].std(0).mean()
        assert np.linalg.norm(first - second) > 3 * spread, method  # the two groups separate
    with pytest.raises(ValueError, match="unknown projection"):
        project_features(vectors, "UMAP")
    similarity = cosine_similarity_matrix([[1, 0], [0, 2], [1, 1], [0, 0]])
    np.testing.assert_allclose(similarity[0], [1, 0, math.sqrt(0.5), 0])
    assert strongest_dimensions(np.array([0.1, -3, 2, 0]), 2) == [(1, -3.0), (2, 2.0)]


def test_feature_map_rows_sampling_and_themes(tiny_vist, tmp_path):
    store = FeatureStore.open(tiny_vist / "features")
    stories = explore.stories_table(
        load_sis(tiny_vist / "sis" / "train.story-in-sequence.json").stories
    )
    photos = feature_maps.photo_rows(stories, store)
    assert len(photos) == 30 and list(photos["story position"][:5]) == [1, 2, 3, 4, 5]
    keep = list(photos["photo_id"][-5:])
    sampled = feature_maps.sample_photos(photos, 12, keep)
    assert len(sampled) == 12 and set(keep) <= set(sampled["photo_id"])
    mapped = feature_maps.feature_map(sampled, store, "PCA")
    assert {"x", "y"} <= set(mapped) and mapped[["x", "y"]].notna().all().all()
    assert feature_maps.feature_stores(tiny_vist / "features") == [tiny_vist / "features"]
    assert feature_maps.feature_stores(None) == []
    themes = feature_maps.album_themes(stories)
    assert [themes[f"train{t}{a}"] for t in range(3) for a in range(2)] == [
        "beach", "beach", "birthday", "birthday", "snowy_hike", "snowy_hike"
    ]  # fmt: skip
    (tmp_path / "album_themes.json").write_text('{"train00": "wedding"}')
    recorded = feature_maps.album_themes(stories, tmp_path)
    assert recorded["train00"] == "wedding" and recorded["train10"] == "(unknown)"


def test_architecture_dot_names_the_cell():
    dot = architecture_dot("GRU")
    assert dot.startswith("digraph storyteller {") and dot.endswith("}")
    assert "Stacked GRU decoder" in dot and "LSTM" not in dot
    assert dot.count("->") == 9
