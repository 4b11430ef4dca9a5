"""Statistics of human studies against hand-computed values: Wilson intervals, Krippendorff's
alpha, and a whole report whose every count is known."""

from __future__ import annotations

import json
import math
import random

import pytest
from human_fixtures import small_study

from imgstory.human.stats import (
    Rate,
    StudyReport,
    krippendorff_alpha,
    rate,
    study_report,
    wilson_interval,
)
from imgstory.human.study import StudyKind, load_study, next_assignment, record_judgement

Z = 1.959963984540054  # the 97.5% normal quantile


def test_wilson_interval_of_7_in_10_by_hand():
    # centre = (0.7 + z²/20) / (1 + z²/10); half = z·sqrt(0.021 + z²/400) / (1 + z²/10)
    denominator = 1 + Z * Z / 10
    centre = (0.7 + Z * Z / 20) / denominator
    half = Z * math.sqrt(0.7 * 0.3 / 10 + Z * Z / 400) / denominator
    assert wilson_interval(7, 10) == pytest.approx((centre - half, centre + half), abs=1e-12)
    assert wilson_interval(7, 10) == pytest.approx((0.3968, 0.8922), abs=5e-5)  # published tables


def test_wilson_interval_at_the_edges():
    # 0 of 10: [0, z²/(n+z²)] ; 10 of 10: [n/(n+z²), 1]
    assert wilson_interval(0, 10) == pytest.approx((0.0, Z * Z / (10 + Z * Z)), abs=1e-12)
    assert wilson_interval(10, 10) == pytest.approx((10 / (10 + Z * Z), 1.0), abs=1e-12)
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == 1.0
    low, high = wilson_interval(1, 2)
    assert (low + high) / 2 == pytest.approx(0.5) and 0 < low < 0.5 < high < 1
    with pytest.raises(ValueError):
        wilson_interval(3, 2)
    with pytest.raises(ValueError):
        wilson_interval(0, 0)


def test_krippendorff_alpha_by_hand():
    # Units (a,a) (a,b) (b,b) (b,b): coincidences o_aa=2, o_ab=o_ba=1, o_bb=4; n_a=3, n_b=5, n=8.
    # D_o = 2/8; D_e = 2·3·5/(8·7) = 30/56; alpha = 1 - (2/8)/(30/56) = 16/30.
    assert krippendorff_alpha([["a", "a"], ["a", "b"], ["b", "b"], ["b", "b"]]) == pytest.approx(
        16 / 30
    )
    # A unit judged once is not pairable and changes nothing.
    assert krippendorff_alpha(
        [["a", "a"], ["a", "b"], ["b", "b"], ["b", "b"], ["a"]]
    ) == pytest.approx(16 / 30)


def test_krippendorff_alpha_on_krippendorffs_own_example():
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability", nominal data of 4
    # observers on 12 units (missing values left out): alpha = 0.743.
    units = [
        [1, 1, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3], [2, 2, 2, 2], [1, 2, 3, 4],
        [4, 4, 4, 4], [1, 1, 2, 1], [2, 2, 2, 2], [5, 5, 5], [1, 1], [3],
    ]  # fmt: skip
    alpha = krippendorff_alpha([[str(value) for value in unit] for unit in units])
    assert alpha == pytest.approx(0.743, abs=5e-4)


def test_krippendorff_alpha_is_undefined_without_pairs_or_variation():
    assert krippendorff_alpha([["a"], ["b"]]) is None
    assert krippendorff_alpha([["a", "a"], ["a", "a"]]) is None
    assert krippendorff_alpha([]) is None
    # (a,b) (b,a): D_o = 4/4, D_e = 2·2·2/(4·3) = 2/3, alpha = 1 - 3/2
    assert krippendorff_alpha([["a", "b"], ["b", "a"]]) == pytest.approx(-0.5)


def test_a_report_counts_every_answer_in_system_terms(tmp_path):
    store = small_study(tmp_path / "p.sqlite", per_item=3, aspects=("relevance",))
    study = load_study(store, "study")
    # Each rater prefers one system whatever side it is shown on: ann and bob lstm, cem a tie.
    wanted = {"ann": "lstm", "bob": "lstm", "cem": "tie"}
    rng = random.Random(0)
    for rater, preferred in wanted.items():
        while (assignment := next_assignment(store, study, rater, rng)) is not None:
            answer = (
                "tie"
                if preferred == "tie"
                else ("left" if assignment.left_system == preferred else "right")
            )
            record_judgement(store, study, rater, assignment.item_id, "relevance", answer)
    typed = study_report(store, "study")
    assert StudyReport.from_json(json.loads(json.dumps(typed.to_json()))) == typed
    assert typed.kind is StudyKind.PAIRWISE and typed.turing is None
    report = typed.to_json()  # as imgstory human report --json prints it
    assert report["kind"] == "pairwise" and "turing" not in report
    assert (report["judgements"], report["raters"], report["items_fully_judged"]) == (9, 3, 3)
    (row,) = report["pairwise"]
    assert (row["system"], row["versus"], row["n"]) == ("lstm", "gru", 9)
    assert [row[k]["count"] for k in ("wins", "ties", "losses")] == [6, 3, 0]
    assert (row["wins"]["low"], row["wins"]["high"]) == pytest.approx(wilson_interval(6, 9))
    # Every item has answers (lstm, lstm, tie) -> in A/B terms (a, a, tie) on 3 units:
    # o_aa = 3·2·1/2 = 3, o_a,tie = o_tie,a = 3·2/2 = 3; n_a = 6, n_tie = 3, n = 9.
    # D_o = 6/9; D_e = 2·6·3/(9·8) = 0.5; alpha = 1 - (6/9)/0.5 = -1/3.
    (agreement,) = report["agreement"]
    assert agreement["krippendorff_alpha"] == pytest.approx(-1 / 3)
    assert agreement["items_with_2_or_more"] == 3


def test_a_turing_report_gives_each_systems_judged_human_rate(tmp_path):
    store = small_study(tmp_path / "p.sqlite", kind="turing", systems=("lstm",), per_item=2)
    study = load_study(store, "study")
    for rater in ("ann", "bob", "cem", "dan"):
        while (assignment := next_assignment(store, study, rater)) is not None:
            # these raters call every story human
            record_judgement(store, study, rater, assignment.item_id, "human", "human")
    typed = study_report(store, "study")
    assert StudyReport.from_json(json.loads(json.dumps(typed.to_json()))) == typed
    assert typed.kind is StudyKind.TURING and typed.pairwise is None
    rows = {row["system"]: row for row in typed.to_json()["turing"]}
    assert rows["human"]["is_human"] and not rows["lstm"]["is_human"]
    assert rows["lstm"]["judged_human"]["count"] == rows["lstm"]["n"] == 6  # 3 albums x 2
    assert rows["human"]["judged_human"]["rate"] == 1.0
    assert rows["lstm"]["judged_human"]["low"] == pytest.approx(wilson_interval(6, 6)[0])


def test_a_rate_of_no_judgement_has_no_interval_and_round_trips():
    empty = rate(0, 0)
    assert empty.to_json() == {"count": 0, "n": 0} and math.isnan(empty.value)
    assert Rate.from_json(empty.to_json()) == Rate(0, 0)
    three = rate(2, 3)
    assert Rate.from_json(json.loads(json.dumps(three.to_json()))) == three


def test_the_study_kind_is_an_enum_stored_as_its_word():
    assert [kind.value for kind in StudyKind] == ["pairwise", "turing"]
    assert StudyKind("turing") is StudyKind.TURING and StudyKind.TURING == "turing"
