"""The results schema (imgstory.eval.results): every type round-trips through JSON, a file of an
older layout is refused in one line naming the builder command, and the one-off upgrade of the
shipped files keeps every value."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pytest

from imgstory.errors import UserInputError
from imgstory.eval.report import GroundingReport, GroundingSystem, RealPhotoReport
from imgstory.eval.results import (
    SCHEMA_KEY,
    Interval,
    PairedTest,
    SummaryResults,
    SystemScores,
    pair_key,
    parse_results,
)

OLD_LAYOUT = Path(__file__).parent / "data" / "results_v1"
REPO = Path(__file__).parents[1]


def _upgrades():
    spec = importlib.util.spec_from_file_location(
        "upgrade_results_layout", REPO / "scripts" / "upgrade_results_layout.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _leaves(document, path=()):
    """``path -> value`` of every number, string, bool or null in a JSON document."""
    if isinstance(document, dict):
        for key, value in document.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from _leaves(value, (*path, index))
    else:
        yield path, document


def _at(document, path):
    for key in path:
        document = document[key]
    return document


def _round_trip(value):
    return type(value).from_json(json.loads(json.dumps(value.to_json())))


def test_interval_round_trips_and_keeps_undefined_as_null():
    interval = Interval(0.25, 0.2, 0.3125)
    assert interval.to_json() == {"value": 0.25, "ci95": [0.2, 0.3125]}
    assert _round_trip(interval) == interval
    undefined = Interval(math.nan, math.nan, math.nan)
    assert undefined.to_json() == {"value": None, "ci95": [None, None]}
    assert all(math.isnan(v) for v in vars(_round_trip(undefined)).values())
    assert Interval(0.123456, 0.1, 0.2).rounded().value == 0.1235


def test_paired_test_round_trips_with_and_without_its_values():
    test = PairedTest(0.05, 0.01, 0.09, 0.012, 40, value_a=0.3, value_b=0.25, resamples=1000)
    assert test.to_json() == {
        "value_a": 0.3,
        "value_b": 0.25,
        "difference": 0.05,
        "ci95": [0.01, 0.09],
        "p_value": 0.012,
        "albums": 40,
        "resamples": 1000,
    }
    assert _round_trip(test) == test and test.significant
    bare = PairedTest(-0.01, -0.03, 0.01, 0.4, 12)
    assert _round_trip(bare) == bare and not bare.significant
    assert bare.to_json()["value_a"] is None


def test_bootstrap_returns_the_schema_s_paired_test():
    from imgstory.eval.bootstrap import PairedComparison

    assert PairedComparison is PairedTest


def test_system_scores_keep_intervals_and_plain_values_apart():
    scores = SystemScores({"METEOR": Interval(0.3, 0.28, 0.32)}, {"theme_accuracy": 0.95})
    assert scores.to_json() == {
        "METEOR": {"value": 0.3, "ci95": [0.28, 0.32]},
        "theme_accuracy": 0.95,
    }
    assert _round_trip(scores) == scores


def test_grounding_report_round_trips():
    report = GroundingReport(
        "protocol",
        "data",
        ("a", "b"),
        0.64,
        {
            "model": GroundingSystem(
                Interval(0.6, 0.5, 0.7), Interval(0.2, 0.1, 0.3), 2, {"a": 0.5}
            ),
            "constant": GroundingSystem(None, None, 2, {"a": None, "b": None}),
        },
    )
    document = json.loads(json.dumps(report.to_json()))
    assert document[SCHEMA_KEY] == GroundingReport.SCHEMA
    assert document["systems"]["constant"]["own_photos"] == {"value": None, "ci95": None}
    assert GroundingReport.from_json(document) == report


@pytest.mark.parametrize(
    ("kind", "file", "builder"),
    [
        (RealPhotoReport, "vist_real_photos.json", "imgstory vist score"),
        (GroundingReport, "vist_grounding.json", "imgstory grounding"),
    ],
)
def test_a_file_of_the_old_layout_is_refused_naming_its_builder(tmp_path, kind, file, builder):
    old = tmp_path / file
    old.write_bytes((OLD_LAYOUT / file).read_bytes())
    with pytest.raises(UserInputError) as refused:
        kind.load(old)
    message = str(refused.value)
    assert "\n" not in message and str(old) in message and builder in message
    assert "older layout" in message
    other = {**json.loads(old.read_text()), SCHEMA_KEY: "imgstory/something-else/1"}
    old.write_text(json.dumps(other))
    with pytest.raises(UserInputError, match="another layout"):
        kind.load(old)


def test_a_malformed_document_of_the_layout_is_refused_in_one_line():
    document = {SCHEMA_KEY: RealPhotoReport.SCHEMA, "data": "x"}
    with pytest.raises(UserInputError) as refused:
        RealPhotoReport.parse(document, "results.json")
    assert str(refused.value) == (
        "results.json: malformed results (no 'albums'); rewrite it with "
        f"`{RealPhotoReport.BUILDER}`"
    )
    with pytest.raises(UserInputError, match="not a JSON object"):
        parse_results([], "x", dict, "f.json", "cmd")


def _renamed_in_summary(path: tuple) -> tuple:
    """Where an old ``summary.json`` value is in the new layout: an interval's ``ci`` and a
    paired test's ``low``/``high`` are ``ci95``."""
    if path[0] == "systems" and len(path) == 5 and path[3] == "ci":
        return (*path[:3], "ci95", path[4])
    if path[0] == "comparisons" and path[-1] in ("low", "high"):
        return (*path[:-1], "ci95", 0 if path[-1] == "low" else 1)
    return path


@pytest.mark.parametrize(
    ("file", "upgrade", "kind", "renamed", "added"),
    [
        (
            "vist_real_photos.json",
            "upgrade_real_photo",
            RealPhotoReport,
            lambda path: path,
            ("value_a", "value_b", "resamples"),  # not recorded by the old layout
        ),
        ("vist_grounding.json", "upgrade_grounding", GroundingReport, lambda path: path, ()),
        ("summary.json", "upgrade_summary", SummaryResults, _renamed_in_summary, ("data",)),
    ],
)
def test_the_upgrade_keeps_every_value(file, upgrade, kind, renamed, added):
    """Every value of the old file is in the upgraded one (at the same place, or where the
    schema renamed its key); what is added is the layout tag and the schema's fields the old
    layout did not record (null); the upgraded document is what the typed schema writes."""
    old = json.loads((OLD_LAYOUT / file).read_text(encoding="utf-8"))
    new = json.loads(json.dumps(getattr(_upgrades(), upgrade)(old)))
    old_leaves = dict(_leaves(old))
    for path, value in old_leaves.items():
        assert _at(new, renamed(path)) == value, path
    extra = {path for path, _ in _leaves(new)} - {renamed(path) for path in old_leaves}
    assert extra, "at least the layout tag"
    for path in extra:
        assert path == (SCHEMA_KEY,) or (path[-1] in added and _at(new, path) is None), path
    assert kind.from_json(new).to_json() == new


def test_summary_results_round_trip_and_name_their_tests():
    test = PairedTest(0.1, 0.05, 0.15, 0.001, 40, 0.3, 0.2, 1000)
    summary = SummaryResults(
        {"lstm-beam": SystemScores({"METEOR": Interval(0.3, 0.28, 0.32)}, {"theme_accuracy": 1.0})},
        split="test",
        albums=40,
        comparisons={pair_key("lstm-beam", "random"): {"METEOR": test}},
    )
    again = SummaryResults.parse(json.loads(json.dumps(summary.to_json())))
    assert again == summary
    assert again.saved_test("lstm-beam", "random", "METEOR") == test
    assert again.saved_test("random", "lstm-beam", "METEOR") is None
    assert PairedTest.from_row({"metric": "METEOR", **test.row()}) == test


def test_an_old_summary_is_refused_naming_the_demo_build(tmp_path):
    from imgstory.app import results

    (tmp_path / "summary.json").write_bytes((OLD_LAYOUT / "summary.json").read_bytes())
    with pytest.raises(UserInputError) as refused:
        results.load_summary(tmp_path)
    assert str(refused.value) == (
        f"{tmp_path / 'summary.json'}: a results file of an older layout; rewrite it with "
        "`imgstory demo build --out DIR`"
    )
    assert results.saved_comparisons(tmp_path).empty  # the tables say why; the rest is quiet


def test_the_shipped_files_are_in_the_schema():
    for kind, name in (
        (RealPhotoReport, "vist_real_photos.json"),
        (GroundingReport, "vist_grounding.json"),
    ):
        path = REPO / "assets" / "results" / name
        if path.is_file():
            assert kind.load(path).to_json() == json.loads(path.read_text(encoding="utf-8"))


def test_the_app_reads_the_real_photo_results_typed_and_refuses_an_old_file(tmp_path, monkeypatch):
    from imgstory.app import i18n
    from imgstory.app.real_photos import load_real_photo_results

    assert load_real_photo_results(tmp_path / "absent.json") is None
    old = tmp_path / "vist_real_photos.json"
    old.write_bytes((OLD_LAYOUT / old.name).read_bytes())
    with pytest.raises(UserInputError) as refused:
        load_real_photo_results(old)
    monkeypatch.setattr(i18n, "current_language", lambda: "ru")
    shown = i18n.error_text(refused.value)
    assert shown.startswith(f"{old}: файл результатов в старом формате; перезапишите файл")
    assert "`imgstory vist score" in shown
