"""Paired bootstrap tests of a results folder, computed once per server and shared by sessions
(:func:`imgstory.app.scoring.paired_tests` on the folder's predictions and references)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from imgstory.app import results, scoring
from imgstory.app.i18n import N_, _, error_text
from imgstory.app.state import modified, references
from imgstory.errors import UserInputError
from imgstory.eval.results import PairedTest


def _predictions_stamp(results_dir: str | Path) -> tuple[tuple[str, float], ...]:
    return tuple(
        (name, modified(path)) for name, path in results.prediction_files(results_dir).items()
    )


@st.cache_resource(show_spinner=False)
def _paired_results() -> dict[tuple, pd.DataFrame]:
    """Paired-test tables computed in this server, keyed by folder, predictions and data
    (shared by sessions; a changed predictions file makes a new key)."""
    return {}


def cached_paired_tests(
    results_dir: str | Path, baseline: str, progress: scoring.Progress | None = None
) -> pd.DataFrame:
    """Paired bootstrap tests of a results folder's systems against ``baseline``, scored against
    the references of the data the results came from (cached until a predictions file changes).

    Raises:
        UserInputError: the folder does not say its data, or its predictions do not match them.
    """
    origin = results.results_origin(results_dir)
    split = origin.split or "test"
    if origin.source is None or split not in origin.source.sis_files:
        raise UserInputError(
            N_(
                "{data}: no {split} stories to score these predictions against (put the "
                "results folder inside the VIST folder it was computed on, as <vist>/results)"
            ),
            data=origin.data,
            split=split,
        )
    key = (str(results_dir), _predictions_stamp(results_dir), str(origin.source.root), split)
    key += (baseline,)
    cache = _paired_results()
    if key not in cache:  # computed here, not in st.cache_data: its progress bar is the page's
        predictions = {
            name: scoring.predictions_from_file(path)
            for name, path in results.prediction_files(results_dir).items()
        }
        cache[key] = scoring.paired_tests(
            predictions,
            references(origin.source, split),
            baseline,
            progress=progress or scoring.no_progress,
        )
    return cache[key]


def paired_problem(results_dir: str | Path, baseline: str) -> str | None:
    """Why the paired tests cannot run on a results folder (None when they can): its data are
    unknown, or its predictions are not for the references of that data."""
    origin = results.results_origin(results_dir)
    split = origin.split or "test"
    if origin.source is None or split not in origin.source.sis_files:
        return _(
            "{data} has no {split} stories to score against (keep a results folder inside the "
            "VIST folder it was computed on, as <vist>/results)"
        ).format(data=origin.data, split=split)
    found = results.prediction_files(results_dir)
    try:
        predictions = {name: scoring.predictions_from_file(path) for name, path in found.items()}
    except UserInputError as error:
        return error_text(error)
    return scoring.paired_problem(predictions, references(origin.source, split), baseline)


def findings_tests(
    results_dir: str | Path, baseline: str, metric: str = "METEOR"
) -> dict[str, PairedTest]:
    """``other system -> paired test of baseline minus it`` on ``metric``: the tests saved in
    ``summary.json`` where present; when some are not, the others computed (and cached) from the
    predictions, unless the folder's predictions cannot be re-scored (:func:`paired_problem`)."""
    saved = {
        system: results.saved_test(results_dir, baseline, system, metric)
        for system in results.prediction_files(results_dir)
        if system != baseline
    }
    tests = {system: test for system, test in saved.items() if test is not None}
    if len(tests) < len(saved) and paired_problem(results_dir, baseline) is None:
        with st.spinner(_("Testing the differences (paired bootstrap over albums)…")):
            computed = results.tests_by_system(cached_paired_tests(results_dir, baseline), metric)
        tests = {**computed, **tests}
    return tests
