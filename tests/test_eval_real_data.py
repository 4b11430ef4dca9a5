"""Real VIST data: AREL's released test outputs reproduce AREL's published score file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.real_data

AREL_RUN = "published/arel-irl-init-iter100"


def test_cli_reproduces_arel_published_test_scores(vist_dir, java):
    # a fresh process, as a user runs it: METEOR runs on a paraphrase table cut to these texts
    imgstory = Path(sys.executable).parent / "imgstory"
    done = subprocess.run(
        [
            str(imgstory), "evaluate", "--protocol", "arel",
            "--references", str(vist_dir / "reference" / "test_reference.json"),
            "--predictions", str(vist_dir / AREL_RUN / "prediction_test.json"),
            "--json",
        ],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    ours = json.loads(done.stdout)
    published = json.loads((vist_dir / AREL_RUN / "test_scores.json").read_text())
    assert set(published) == {"Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "METEOR", "ROUGE_L", "CIDEr"}
    for key, value in published.items():
        assert ours[key] == pytest.approx(value, abs=0.0005), key
        assert ours[key] == pytest.approx(value, abs=1e-12), f"{key} is not digit-exact"
    assert ours["albums_scored"] == 1010 and ours["warnings"] == []


def test_registry_entry_is_the_released_score_file(vist_dir):
    from imgstory.eval.published import load_published_results

    released = next(r for r in load_published_results() if "released" in r.system)
    published = json.loads((vist_dir / AREL_RUN / "test_scores.json").read_text())
    assert released.scores == published
