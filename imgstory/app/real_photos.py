"""The real-photo results of the VIST storytellers (``imgstory vist score``) as a table and chart.

Kept apart from demo-pack and published results: a dozen real test albums, their own label. The
document's texts (system names, data, protocol) are in the catalog too (``babel.cfg`` extracts
them), so they are shown in the session's language.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from imgstory.app.i18n import N_, _
from imgstory.eval.naming import NamingResult
from imgstory.eval.report import SYSTEM_KINDS, Interval, PairedTest, RealPhotoReport
from imgstory.paths import REAL_PHOTO_RESULTS_FILE as RESULTS_FILE


def load_real_photo_results(path: Path = RESULTS_FILE) -> dict[str, Any] | None:
    """The results document, or None when it has not been computed (no VIST photos there) or
    was written by an older ``imgstory vist score`` (rerun it)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or "thesis" not in document:
        return None
    return document


def _with_interval(entry: Interval | None) -> str:
    if entry is None:
        return "--"
    return f"{entry.value:.3f} [{entry.low:.3f}, {entry.high:.3f}]"


def _share(value: float, interval: tuple[float, float]) -> str:
    return f"{value:.0%} [{interval[0]:.0%}, {interval[1]:.0%}]"


def _measure(value: float | None) -> str:
    return "--" if value is None else f"{value:.3f}"


def _naming(naming: NamingResult | None) -> str:
    if naming is None or naming.rate is None:
        return "--"
    return f"{naming.named}/{naming.eligible} ({naming.rate:.0%})"


def _versus(test: PairedTest | None) -> str:
    if test is None:
        return "--"
    p_value = "p < 0.001" if test.p_value < 0.001 else f"p = {test.p_value:.3f}"
    return f"{test.difference:+.3f} [{test.low:+.3f}, {test.high:+.3f}], {p_value}"


def real_photo_table(document: dict[str, Any]) -> pd.DataFrame:
    """One row per system, grouped by kind (ours, released, humans, floors): AREL-protocol scores
    and album identification with their 95% intervals, story quality, naming rate, and the
    thesis model minus the row on CIDEr (paired bootstrap)."""
    report = RealPhotoReport.from_json(document)
    rows = []
    for kind in SYSTEM_KINDS:
        for system, result in report.systems.items():
            if result.kind != kind:
                continue
            scores, found = result.scores, result.identification
            rows.append(
                {
                    N_("group"): _(SYSTEM_KINDS[kind]),
                    N_("system"): _(system),
                    "METEOR": _with_interval(scores.get("METEOR")),
                    "ROUGE-L": _with_interval(scores.get("ROUGE_L")),
                    "CIDEr": _with_interval(scores.get("CIDEr")),
                    "BLEU-4": _with_interval(scores.get("Bleu_4")),
                    N_("own album first"): _share(found.top1, found.interval(1)),
                    N_("own album in top 3"): _share(found.top3, found.interval(3)),
                    N_("non-redundancy"): _measure(result.quality.non_redundancy),
                    N_("distinct-2 in a story"): _measure(result.quality.distinct_2),
                    N_("naming rate"): _naming(result.naming),
                    N_("thesis model minus this, CIDEr"): _versus(
                        result.versus_thesis.get("CIDEr")
                    ),
                }
            )
    return pd.DataFrame(rows)


def real_photo_caption(document: dict[str, Any]) -> str:
    """Which data, training text and protocol produced the table."""
    return _(
        "Data: {data} ({albums} albums). Training text: {text}. Protocol: {protocol}. Small "
        "sample: read the intervals, not the digits."
    ).format(
        data=_(document["data"]),
        albums=len(document["albums"]),
        text=_(document["training_text"]),
        protocol=_(document["protocol"]),
    )


def thesis_system(document: dict[str, Any]) -> str:
    """The row of the thesis model."""
    return str(document["thesis"])


def example_stories(document: dict[str, Any], album_id: str) -> dict[str, str]:
    """What each system wrote for one album."""
    return {
        name: result["stories"].get(album_id, "") for name, result in document["systems"].items()
    }
