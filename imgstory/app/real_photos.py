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
from imgstory.paths import REAL_PHOTO_RESULTS_FILE as RESULTS_FILE

#: The results document's name for the thesis model (shown first in examples).
THESIS_SYSTEMS = ("VIST LSTM (ours)",)


def load_real_photo_results(path: Path = RESULTS_FILE) -> dict[str, Any] | None:
    """The results document, or None when it has not been computed (no VIST photos there)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) and "systems" in document else None


def _with_interval(entry: dict[str, Any] | None) -> str:
    if not entry:
        return "--"
    low, high = entry["ci95"]
    return f"{entry['value']:.3f} [{low:.3f}, {high:.3f}]"


def _share(value: float, interval: list[float]) -> str:
    return f"{value:.0%} [{interval[0]:.0%}, {interval[1]:.0%}]"


def real_photo_table(document: dict[str, Any]) -> pd.DataFrame:
    """One row per system: AREL-protocol scores and album identification, each with its 95% CI."""
    rows = []
    for system, result in document["systems"].items():
        scores, found = result["scores"], result["identification"]
        rows.append(
            {
                N_("system"): _(system),
                "CIDEr": _with_interval(scores.get("CIDEr")),
                "METEOR": _with_interval(scores.get("METEOR")),
                "ROUGE-L": _with_interval(scores.get("ROUGE_L")),
                "BLEU-4": _with_interval(scores.get("Bleu_4")),
                N_("own album first"): _share(found["top1"], found["top1_ci95"]),
                N_("own album in top 3"): _share(found["top3"], found["top3_ci95"]),
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


def example_stories(document: dict[str, Any], album_id: str) -> dict[str, str]:
    """What each system wrote for one album."""
    return {
        name: result["stories"].get(album_id, "") for name, result in document["systems"].items()
    }
