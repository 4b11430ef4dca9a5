"""Unit tests of the app's logic (no Streamlit run): sources, explorer, uploads, downloads,
result tables, model discovery, feature projections and figures."""

from __future__ import annotations

import io
import json
import math
import re
from dataclasses import replace

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
from imgstory.eval.results import PairedTest, SummaryResults
from imgstory.features.store import FeatureStore
from imgstory.viz.architecture import architecture_dot
from imgstory.viz.projection import (
    cosine_similarity_matrix,
    project_features,
    strongest_dimensions,
)


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
    assert not source.is_demo and source.label == f"VIST folder '{tiny_vist.name}'"


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
    assert list(albums["stories shown"]) == [2, 2, 2]


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
    penalised = replace(result(), decoding={**result().decoding, "repeat_penalty": 0.5})
    assert penalised.decoding_label == (
        "beam (beam_size=3, length_penalty=0.0, no_repeat_ngram_size=3, repeat_penalty=0.5)"
    )
    stem = "beam (beam_size=3, length_penalty=0.0, no_repeat_ngram_size=3, repeat_penalty=0.5"
    options = (
        ("end_penalty", "1.5", 0.0),
        ("copy_weight", "0.6", 1.0),
        ("sentence_length", "10.2", 0.0),
    )
    for name, on, off in options:
        shown = replace(penalised, decoding={**penalised.decoding, name: float(on)})
        assert shown.decoding_label == f"{stem}, {name}={on})"
        # off (end penalty 0, copy weight 1, no sentence length) is not shown, as in stories
        # stored before the option existed
        hidden = replace(penalised, decoding={**penalised.decoding, name: off})
        assert hidden.decoding_label == penalised.decoding_label


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
    "schema": SummaryResults.SCHEMA,
    "systems": {
        "random": {"METEOR": {"value": 0.2, "ci95": [0.18, 0.22]}, "theme_accuracy": 0.1},
        "lstm-beam": {"METEOR": {"value": 0.3, "ci95": [0.28, 0.32]}, "theme_accuracy": 0.95},
        "my_system": {"METEOR": {"value": 0.25, "ci95": [0.19, 0.31]}},
    },
}


def _long(document: dict = SUMMARY) -> pd.DataFrame:
    return results.summary_table(SummaryResults.parse(document))


def test_summary_table_orders_systems_and_keeps_intervals():
    long = _long()
    assert list(long["system"].unique()) == ["lstm-beam", "random", "my_system"]
    row = long[(long.system == "lstm-beam") & (long.metric == "METEOR")].iloc[0]
    assert (row.value, row.low, row.high) == (0.3, 0.28, 0.32)
    accuracy = long[long.metric == "theme_accuracy"]
    assert accuracy["low"].isna().all()


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"schema": SummaryResults.SCHEMA}, r"s.json: malformed results \(no 'systems'\)"),
        ({**SUMMARY, "systems": {}}, r"malformed results \(no system in 'systems'\)"),
        (
            {**SUMMARY, "systems": {"a": {"METEOR": {"value": "high", "ci95": None}}}},
            r"malformed results \(expected a number, found 'high'\)",
        ),
        ({"systems": SUMMARY["systems"]}, r"s.json: a results file of an older layout; rewrite"),
    ],
)
def test_malformed_summaries_are_explained(document, message):
    with pytest.raises(UserInputError, match=message) as refused:
        SummaryResults.parse(document, "s.json")
    assert str(refused.value).endswith("rewrite it with `imgstory demo build --out DIR`")


def test_wide_table_csv_and_latex():
    long = _long()
    wide = results.wide_table(long)
    assert list(wide.columns) == ["system", "METEOR", "theme accuracy"]
    assert wide.loc[0, "system"] == "★ LSTM, beam (thesis)"  # the thesis model set apart
    assert wide.loc[0, "METEOR"] == "0.300 [0.280, 0.320]"
    assert wide.loc[0, "theme accuracy"] == "0.950"
    assert pd.isna(wide.loc[2, "theme accuracy"])
    csv = pd.read_csv(io.StringIO(results.to_csv(long)))
    assert len(csv) == len(long) and csv["value"].max() == pytest.approx(0.95)
    latex = results.to_latex(wide.fillna("--"), "Demo pack & test_split 100%")
    assert r"\begin{tabular}{llr}" in latex
    assert r"$\star$ LSTM, beam (thesis) & 0.300 [0.280, 0.320] & 0.950" in latex
    assert r"my\_system" in latex and r"\caption{Demo pack \& test\_split 100\%}" in latex


def test_saved_comparisons_are_read_from_the_summary(tmp_path):
    assert results.saved_comparisons(tmp_path).empty
    test = {"value_a": 0.3, "value_b": 0.2, "difference": 0.1, "ci95": [0.05, 0.15],
            "p_value": 0.001, "albums": 40, "resamples": 1000}  # fmt: skip
    document = {**SUMMARY, "comparisons": {"lstm-beam vs random": {"METEOR": test}}}
    (tmp_path / "summary.json").write_text(json.dumps(document))
    table = results.saved_comparisons(tmp_path)
    assert table.loc[0, "comparison"] == "lstm-beam vs random" and table.loc[0, "p_value"] == 0.001
    assert (table.loc[0, "low"], table.loc[0, "high"]) == (0.05, 0.15)


def test_the_app_and_the_demo_build_name_the_same_thesis_system():
    from imgstory.demo import builder

    assert results.THESIS_SYSTEM == builder.THESIS_SYSTEM
    assert set(results.SYSTEM_LABELS) == set(builder.SYSTEMS)


def test_findings_use_saved_tests_and_score_only_what_is_missing(tmp_path, monkeypatch):
    from imgstory.app import scoring_cache

    test = PairedTest(0.1, 0.05, 0.15, 0.001, 40, resamples=1000).to_json()
    (tmp_path / "predictions").mkdir()
    for system in ("lstm-beam", "gru-beam", "random"):
        (tmp_path / "predictions" / f"{system}.json").write_text("{}")
    comparisons = {"lstm-beam vs gru-beam": {"METEOR": test}}
    (tmp_path / "summary.json").write_text(json.dumps({**SUMMARY, "comparisons": comparisons}))
    scored = []

    def paired_tests(results_dir, baseline):  # the re-scoring the page would run
        scored.append(baseline)
        tested = PairedTest(0.1, -0.1, 0.3, 0.5, 40, 0.3, 0.2, 1000)
        return pd.DataFrame([{"key": "random", "metric": "METEOR", **tested.row()}])

    monkeypatch.setattr(scoring_cache, "cached_paired_tests", paired_tests)
    monkeypatch.setattr(scoring_cache, "paired_problem", lambda results_dir, baseline: None)
    tests = scoring_cache.findings_tests(tmp_path, "lstm-beam")
    assert scored == ["lstm-beam"]  # random had no saved test
    assert tests["gru-beam"].p_value == 0.001 and tests["random"].p_value == 0.5

    comparisons["lstm-beam vs random"] = {"METEOR": {**test, "p_value": 0.02}}
    (tmp_path / "summary.json").write_text(json.dumps({**SUMMARY, "comparisons": comparisons}))
    scored.clear()
    tests = scoring_cache.findings_tests(tmp_path, "lstm-beam")
    assert scored == [] and tests["random"].p_value == 0.02  # every test saved: no scoring


def test_findings_take_their_verdict_from_the_paired_test_p_value():
    long = _long()
    untested = results.finding(long, "lstm-beam", "random")
    assert untested.startswith("LSTM, beam (thesis) scores METEOR 0.300, 0.100 above")
    assert "not tested here (overlapping intervals are not a test" in untested
    significant = PairedTest(0.1, 0.05, 0.15, 0.001, 40, resamples=1000)
    assert "paired bootstrap, p = 0.001, over 40 albums (1,000 resamples): a significant" in (
        results.finding(long, "lstm-beam", "random", significant)
    )
    noise = results.finding(long, "my_system", "lstm-beam", replace(significant, p_value=0.31))
    assert "p = 0.310" in noise and "not significant (p >= 0.05)" in noise
    assert results.finding(long, "lstm-beam", "gru-beam") is None


def test_results_are_labelled_by_their_own_data(tiny_vist, tmp_path):
    from imgstory.paths import DEMO_DIR

    demo = results.results_origin(DEMO_DIR / "results")
    assert demo.is_demo and demo.data.startswith("demo pack")
    own = results.results_origin(tiny_vist / "results")  # <vist>/results: that folder's
    assert not own.is_demo and own.data == f"VIST folder '{tiny_vist.name}'"
    assert own.source.root == tiny_vist
    (tmp_path / "summary.json").write_text(json.dumps({**SUMMARY, "split": "val", "albums": 7}))
    loose = results.results_origin(tmp_path)
    assert loose.source is None and "its data are not recorded" in loose.label
    assert loose.label.endswith("val split, 7 albums") and str(tmp_path) not in loose.label
    named = {**SUMMARY, "data": "VIST test split, my run"}
    (tmp_path / "summary.json").write_text(json.dumps(named))
    assert results.results_origin(tmp_path).data == "VIST test split, my run"


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
    with pytest.raises(UserInputError, match="only 0 of the 1 predicted albums are in refs"):
        scoring.score_predictions({"9": "x ."}, {"1": ["y ."]}, "refs")


def test_predictions_for_albums_absent_from_the_story_file_are_left_out_and_counted():
    predictions = {str(n): f"story {n} ." for n in range(10)}
    references = {str(n): [f"story {n} ."] for n in range(9)}  # album 9 left Flickr
    kept, note = scoring.predictions_coverage(predictions, references, "test.sis.json")
    assert set(kept) == set(references)
    assert note.startswith("1 of the 10 predicted albums are not in test.sis.json and were left")
    assert "(9)" in note and "over the 9 albums present" in note
    assert scoring.predictions_coverage(kept, references, "r")[1] is None
    with pytest.raises(UserInputError, match="different splits or datasets"):
        scoring.predictions_coverage(predictions, {"0": ["x ."]}, "r")


def test_scoring_progress_names_each_scorer_and_its_albums():
    from imgstory.eval.arel import ScoringProgress

    label = scoring.scoring_label(ScoringProgress(1010, 1010, 400))
    assert label == "METEOR: 400 of 1,010 albums scored; BLEU, ROUGE-L and CIDEr: 1,010"
    without_java = scoring.scoring_label(ScoringProgress(1, 0, None))
    assert without_java == "BLEU, ROUGE-L and CIDEr: 0 of 1 album (METEOR is not computed)"
    seen = []
    scoring.score_predictions(
        {"a1": "we ate cake ."}, {"a1": ["we ate cake ."]}, progress=lambda *step: seen.append(step)
    )
    fractions = [fraction for fraction, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert seen[-1][1] == "scored 1 album"


def test_paired_tests_say_why_they_cannot_run():
    references = {"1": ["a ."], "2": ["b ."]}
    ours = {"1": "a .", "2": "b ."}
    assert (
        scoring.paired_problem({"lstm-beam": ours, "random": ours}, references, "lstm-beam") is None
    )
    assert "no predictions of LSTM, beam (thesis)" in scoring.paired_problem(
        {"random": ours}, references, "lstm-beam"
    )
    other = {"lstm-beam": ours, "random": {"7": "c ."}}
    assert "1 of the 1 albums predicted by random are not in the references" in (
        scoring.paired_problem(other, references, "lstm-beam")
    )


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


# ---------------------------------------------------------------- issue 12: inputs, labels, fit
def test_the_upload_limit_is_stated_once_in_the_streamlit_config(tmp_path):
    from imgstory.app import uploads
    from imgstory.paths import REPO_ROOT

    assert uploads.server_upload_limit_mb() == uploads.MAX_PHOTO_MB == 20
    assert "maxUploadSize = 20" in (REPO_ROOT / ".streamlit" / "config.toml").read_text()
    (tmp_path / "config.toml").write_text("[server]\nmaxUploadSize = 7\n")
    assert uploads.server_upload_limit_mb(tmp_path / "config.toml") == 7
    assert uploads.server_upload_limit_mb(tmp_path / "absent.toml") == 200  # Streamlit's default


def test_generate_inputs_from_a_story_in_order_and_when_ready(tiny_vist):
    from imgstory.app import photo_inputs

    stories = load_sis(tiny_vist / "sis" / "test.story-in-sequence.json").stories
    story = photo_inputs.find_story(stories, "test10-1")
    finder = PhotoFinder(tiny_vist / "images")
    inputs = photo_inputs.from_story(story, finder, "VIST folder 'x'")
    assert inputs.album_id == "test10" and inputs.split == "test" and len(inputs.photos) == 5
    assert inputs.origin == "story test10-1 (album test10) of the VIST folder 'x'"
    reordered, error = photo_inputs.ordered(inputs, "5 4 3 2 1")
    assert error is None and reordered.labels == inputs.labels[::-1]
    same, error = photo_inputs.ordered(inputs, "1 2 2 4 5")
    assert same == inputs and "missing 3" in error
    ready = photo_inputs.not_ready
    assert ready(inputs, 1, None, 0, photo_inputs.DATASET) is None
    assert "photo order is invalid" in ready(inputs, 1, error, 0, photo_inputs.DATASET)
    assert "at least one model" in ready(inputs, 0, None, 0, photo_inputs.DATASET)
    nothing = photo_inputs.PhotoInputs()
    assert "refused by the uploader itself" in ready(nothing, 1, None, 0, photo_inputs.UPLOAD)
    assert "remove 1" in ready(inputs, 1, None, 11, photo_inputs.UPLOAD)
    with pytest.raises(UserInputError, match="story nope is not in the story file"):
        photo_inputs.find_story(stories, "nope")
    table = explore.stories_table(stories)
    labels = photo_inputs.sequence_choices(table, width=10)  # one per distinct photo sequence
    assert list(labels) == ["test00-0", "test10-0", "test20-0"]
    assert labels["test10-0"] == "story test10-0: the party … (and 1 more story of these photos)"
    kept = photo_inputs.sequence_choices(table, width=10, keep="test10-1")  # handed over
    assert list(kept) == ["test00-0", "test10-1", "test20-0"]


def test_uploaded_inputs_keep_the_good_photos_and_name_the_bad_ones():
    from imgstory.app import photo_inputs

    good = fixtures.jpeg_bytes(fixtures.scene((10, 20, 30), 0, 0))
    inputs = photo_inputs.from_uploads([("a.jpg", good), ("b.txt", b"hi")])
    assert inputs.labels == ("a.jpg",) and inputs.origin == "your 1 uploaded photo"
    assert len(inputs.problems) == 1 and inputs.problems[0].startswith("b.txt:")


def test_explorer_row_selection_album_labels_and_heading(tiny_vist):
    stories = explore.stories_table(
        load_sis(tiny_vist / "sis" / "test.story-in-sequence.json").stories
    )
    albums = explore.albums_table(stories)
    assert explore.album_choices(albums)["test10"] == "test10 (test)"
    assert explore.selected_album(albums, {"selection": {"rows": [2]}}) == "test20"
    assert explore.selected_album(albums, {"selection": {"rows": []}}) is None
    assert explore.selected_album(albums, None) is None
    assert explore.album_heading("a", "test", 5, 5) == "Album a (test): 5 stories"
    assert explore.album_heading("a", "test", 5, 3).startswith("Album a (test): 5 stories, 3 shown")


def test_story_score_tables_name_each_story_and_keep_notes_quiet():
    from imgstory.app import story_scores
    from imgstory.eval.story import WORDNET_NOTE, StoryScores

    story = StoryResult(
        "m (what it learned from)", "/x", {"method": "greedy"}, ("a",), ("s .",), ("S.",), 0.1
    )
    results = [story, replace(story, decoding={"method": "beam", "beam_size": 2})]
    scored = StoryScores({"Bleu_1": 0.51234, "METEOR": 0.3, "ROUGE_L": 0.4}, {"rouge1": 0.2},
                         [WORDNET_NOTE, "CIDEr is not given"])  # fmt: skip
    tables = story_scores.story_score_tables(results, lambda result: scored)
    # several stories (compare mode): a row each, named by model and decoding, no legend
    assert list(tables.protocol.columns) == ["story", "METEOR", "ROUGE-L", "BLEU-1"]
    assert list(tables.protocol["story"]) == ["m · greedy", f"m · {results[1].decoding_label}"]
    assert tables.protocol.set_index("story").loc["m · greedy", "BLEU-1"] == 0.512
    single = story_scores.story_score_tables(results[:1], lambda result: scored)
    assert list(single.protocol.columns) == ["metric", "score"]  # one story: beside references
    assert list(single.protocol["metric"]) == ["METEOR", "ROUGE-L", "BLEU-1"]
    assert tables.notes == ["CIDEr is not given"]  # the absent nltk extra is not repeated

    def refuse(result):
        raise UserInputError("no reference story")

    refused = story_scores.story_score_tables(results[:1], refuse)
    assert refused.protocol is None and refused.warnings == ["m · greedy: no reference story"]


def test_examples_show_albums_whose_photos_are_all_present(tiny_vist, tmp_path):
    from imgstory.app import examples

    by_album = load_sis(tiny_vist / "sis" / "test.story-in-sequence.json").stories_by_album()
    finder = PhotoFinder(tiny_vist / "images")
    generated = {"nowhere": ["x ."], "test00": ["we went ."], "test10": "a party ."}
    shown = examples.examples(generated, by_album, finder)
    assert [e.album_id for e in shown] == ["test00", "test10"]
    assert shown[0].generated == "we went ." and all(s.path for s in shown[0].slots)
    assert examples.examples(generated, by_album, None) == []
    assert examples.examples(generated, by_album, PhotoFinder(tmp_path)) == []  # no photos here
    assert examples.preferred_system(["a", "b"], ["b"]) == "b"
    assert examples.preferred_system(["a"], ["z"]) == "a"


def test_feature_dimensions_have_names_where_they_mean_something():
    from imgstory.features.handcrafted import HandcraftedConfig

    names = feature_maps.dimension_names("handcrafted", HandcraftedConfig().dimension)
    assert len(names) == HandcraftedConfig().dimension
    assert names[0] == "colour layout: cell (0,0) mean brightness"
    assert names[3] == "colour layout: cell (0,0) std brightness"
    assert names[-1] == "coarse texture: LBP-16 pattern 17"
    assert "edges: cell (3,3), 160° gradient (HOG)" in names
    assert feature_maps.dimension_names("xception", 2048) is None
    assert "no human names" in feature_maps.dimension_note("xception", 2048)


def test_display_paths_are_never_absolute(tmp_path):
    from imgstory.paths import DEMO_DIR

    assert sources.display_path(DEMO_DIR / "results") == "assets/demo/results"
    assert sources.display_path(tmp_path / "a" / "b") == "a/b"
    assert sources.typed_folder("assets/demo") == DEMO_DIR
    assert sources.folder_text(DEMO_DIR) == "assets/demo"
    assert sources.folder_text(tmp_path) == str(tmp_path)  # a user's folder, readable back


@pytest.mark.real_data
def test_arel_test_predictions_against_the_shared_story_file_leave_9_albums_out(vist_dir):
    from imgstory.data.references import references_from_stories

    stories = load_sis(vist_dir / "sis" / "test.story-in-sequence.json").stories
    references = references_from_stories(stories)
    released = vist_dir / "published" / "arel-irl-init-iter100" / "prediction_test.json"
    predictions = scoring.predictions_from_upload("arel.json", released.read_bytes())
    kept, note = scoring.predictions_coverage(predictions, references, "test.sis")
    assert (len(predictions), len(kept)) == (1010, 1001)  # the right split, 9 albums absent
    assert note.startswith("9 of the 1,010 predicted albums are not in test.sis and were left")


def test_every_page_waits_for_the_background_imports(monkeypatch):
    """A page must never import while a warm-up thread imports the same package (nltk imports
    scikit-learn; Feature plots, opened meanwhile, got a partially initialised sklearn): the
    router waits for the warm-up threads before it runs the page."""
    from pathlib import Path

    from streamlit.navigation.page import StreamlitPage
    from streamlit.testing.v1 import AppTest

    from imgstory.app import warmup

    order = []
    monkeypatch.setattr(warmup, "background_imports_finished", lambda: order.append("wait"))
    run_page = StreamlitPage.run

    def recorded_run(page):
        order.append("page")
        return run_page(page)

    monkeypatch.setattr(StreamlitPage, "run", recorded_run)
    app = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "streamlit_app.py"))
    app.run(timeout=60)
    assert order == ["wait", "page"]
    assert not app.exception


def test_the_wait_joins_every_warm_up_thread_and_story_scores_wait(monkeypatch):
    """`background_imports_finished` returns only once every warm-up thread has ended, and the
    per-story extras (nltk, warmed by Generate) wait for it before they import."""
    import threading

    from imgstory.app import scoring, warmup

    monkeypatch.setattr(warmup, "_BACKGROUND_IMPORTS", [])
    release = threading.Event()
    ended = []

    def imports() -> None:
        release.wait(timeout=30)
        ended.append("warm-up")

    warm = warmup.import_in_background(imports)
    threading.Timer(0.2, release.set).start()
    warmup.background_imports_finished()
    assert ended == ["warm-up"] and not warm.is_alive()

    from imgstory.eval import story

    order = []
    monkeypatch.setattr(scoring, "background_imports_finished", lambda: order.append("wait"))
    monkeypatch.setattr(story, "score_story", lambda *texts: order.append(("score", *texts)))
    scoring.story_scores("we went to the beach .", ["a day at the beach ."])
    assert order == ["wait", ("score", "we went to the beach .", ["a day at the beach ."])]


def test_results_csv_keeps_formula_system_names_as_text():
    """Issue 29.7: a system named after an uploaded file such as '=cmd.json' stays text."""
    import pandas as pd

    from imgstory.app.results import to_csv

    long = pd.DataFrame(
        {"system": ["=cmd", "lstm"], "metric": ["METEOR"] * 2, "value": [-0.5, 0.3]}
    )
    assert to_csv(long).splitlines() == [
        "system,metric,value",
        "'=cmd,METEOR,-0.5",
        "lstm,METEOR,0.3",
    ]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"a": ' + b"9" * 5000 + b"}", "over 4,300 digits"),
    ],
)
def test_an_uploaded_predictions_file_nested_deep_or_with_huge_numbers_is_one_line(data, problem):
    """Issue 29.8: the Compare page's upload raised RecursionError / ValueError."""
    from imgstory.app.scoring import predictions_from_upload
    from imgstory.errors import UserInputError

    with pytest.raises(UserInputError, match=f"mine.json: not readable JSON .*{problem}"):
        predictions_from_upload("mine.json", data)


def test_one_naming_order_and_number_format_for_every_table():
    from imgstory.app import naming

    assert naming.p_text(0.0123) == "p = 0.012" and naming.p_text(0.0004) == "p < 0.001"
    assert naming.interval_text(0.36239, 0.3591, 0.3658) == "0.362 [0.359, 0.366]"
    assert naming.ordered_columns(["system", "Bleu_4", "CIDEr", "METEOR", "ROUGE_L", "albums"]) == [
        "system", "METEOR", "ROUGE_L", "CIDEr", "Bleu_4", "albums",
    ]  # fmt: skip
    tests = pd.DataFrame({"metric": ["Bleu_4", "ROUGE_L"], "value_a": [0.1234, 0.5],
                          "p_value": [0.0004, 0.25], "low": [math.nan, 0.1]})  # fmt: skip
    styled = naming.shown_table(tests)
    assert list(styled.data.columns) == ["metric", "A", "p", "95% CI low"]
    gaps = pd.DataFrame({"METEOR": ["0.349 [0.345, 0.353]", None], "albums scored": [1010, None]})
    assert naming.shown_table(gaps, metric_column=None).data.to_dict("list") == {
        "METEOR": ["0.349 [0.345, 0.353]", "—"], "albums scored": ["1010", "—"]
    }  # fmt: skip
    pairs = pd.DataFrame({"pair": ["x", "x", "y", "y"], "metric": ["CIDEr", "METEOR"] * 2})
    assert list(naming.shown_table(pairs).data["metric"]) == ["METEOR", "CIDEr"] * 2
    assert list(styled.data["metric"]) == ["ROUGE-L", "BLEU-4"]  # rows in the same order
    shown = styled.to_html()
    for text in ("0.123", "p < 0.001", "p = 0.250", "—"):
        assert text in shown
    assert "0.1234" not in shown and ">nan<" not in shown


def test_grounding_rows_say_when_a_story_has_no_content_word(monkeypatch):
    from imgstory.app import story_view
    from imgstory.eval import grounding

    measured = {
        "we went there .": grounding.StoryGrounding(math.nan, (), ()),
        "a train ride .": grounding.StoryGrounding(
            2 / 3, ("train", "ride", "car"), ("train", "car"), chance=0.61
        ),
    }
    monkeypatch.setattr(grounding, "story_grounding", lambda story, *_: measured[story])
    results = [
        StoryResult("m", "/x", {"method": "greedy"}, ("a",), (story,), (story,), 0.1)
        for story in measured
    ]
    rows = story_view.grounding_rows(results, np.zeros((1, 1000)), space=None)
    assert math.isnan(rows.loc[0, "grounding"])  # shown as "—", explained under the table
    assert rows.loc[0, "supported words"] == "no content word to check"
    assert rows.loc[1, "supported words"] == "train, car (2 of 3)"
    assert rows.loc[1, "by chance"] == 0.61  # beside 0.667: the photos add little
    assert "—" in naming_html(rows) and "None" not in naming_html(rows)


def naming_html(table: pd.DataFrame) -> str:
    from imgstory.app.naming import shown_table

    return shown_table(table, metric_column=None).to_html()


def test_real_photo_results_shows_a_file_it_cannot_read_as_an_error(monkeypatch):
    """The Thesis and Model comparison pages read the real-photo results through one helper: a
    file it refuses is one error on the page and no results, never a traceback."""
    from imgstory.app import real_photos, widgets

    def refuse():
        raise UserInputError("vist_real_photos.json: an older layout")

    shown = []
    monkeypatch.setattr(widgets.st, "error", shown.append)
    monkeypatch.setattr(real_photos, "load_real_photo_results", refuse)
    assert widgets.real_photo_results() is None
    assert shown == ["vist_real_photos.json: an older layout"]
    monkeypatch.setattr(real_photos, "load_real_photo_results", lambda: None)
    assert widgets.real_photo_results() is None and len(shown) == 1  # none computed: no error
