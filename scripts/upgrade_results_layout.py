"""One-off: rewrite results files of the layout before the results schema (issue 30.1) in it.

Every value is kept: the new document holds each old value at the same place (tests/
test_results_schema.py checks it on copies of the old files), plus the layout tag (``schema``)
and, where the old layout did not record them, the schema's other fields as null. A file
already in the new layout is left as it is. The builders write the new layout themselves.

    .venv/bin/python scripts/upgrade_results_layout.py            # the shipped files
    .venv/bin/python scripts/upgrade_results_layout.py FILE ...   # others (kind by file name)
"""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path
from typing import Any

from imgstory.eval.report import GroundingReport, RealPhotoReport
from imgstory.eval.results import SCHEMA_KEY, SummaryResults
from imgstory.jsonfile import json_text
from imgstory.paths import ASSETS_DIR, DEMO_DIR

REAL_PHOTO_FILE = ASSETS_DIR / "results" / "vist_real_photos.json"
GROUNDING_FILE = ASSETS_DIR / "results" / "vist_grounding.json"
SUMMARY_FILE = DEMO_DIR / "results" / "summary.json"


def _paired_test(old: dict[str, Any]) -> dict[str, Any]:
    """A paired test in the schema's fields; what the old one lacked is null, its interval
    (``low``/``high`` in a demo summary) ``ci95``."""
    return {
        "value_a": old.get("value_a"),
        "value_b": old.get("value_b"),
        "difference": old["difference"],
        "ci95": old["ci95"] if "ci95" in old else [old["low"], old["high"]],
        "p_value": old["p_value"],
        "albums": old["albums"],
        "resamples": old.get("resamples"),
    }


def upgrade_real_photo(old: dict[str, Any]) -> dict[str, Any]:
    """An ``imgstory vist score`` document of the old layout in the schema's."""
    document = {SCHEMA_KEY: RealPhotoReport.SCHEMA, **copy.deepcopy(old)}
    for system in document["systems"].values():
        system["versus_thesis"] = {
            metric: _paired_test(test) for metric, test in system["versus_thesis"].items()
        }
    return RealPhotoReport.parse(document, "upgraded real-photo results").to_json()


def upgrade_grounding(old: dict[str, Any]) -> dict[str, Any]:
    """An ``imgstory grounding`` document of the old layout in the schema's."""
    document = {SCHEMA_KEY: GroundingReport.SCHEMA, **copy.deepcopy(old)}
    return GroundingReport.from_json(document).to_json()


def _metric(old: Any) -> Any:
    """A summary's metric: an interval ``{"value", "ci"}`` as ``{"value", "ci95"}``; a plain
    number as it is."""
    if not isinstance(old, dict):
        return old
    return {"value": old["value"], "ci95": old["ci"]}


def upgrade_summary(old: dict[str, Any]) -> dict[str, Any]:
    """A results folder's ``summary.json`` (the demo build's) of the old layout in the
    schema's: intervals' ``ci`` and paired tests' ``low``/``high`` become ``ci95``."""
    document = {
        **copy.deepcopy(old),
        SCHEMA_KEY: SummaryResults.SCHEMA,
        "systems": {
            system: {key: _metric(value) for key, value in metrics.items()}
            for system, metrics in old["systems"].items()
        },
        "comparisons": {
            pair: {metric: _paired_test(test) for metric, test in tests.items()}
            for pair, tests in old.get("comparisons", {}).items()
        },
    }
    return SummaryResults.parse(document, "upgraded summary").to_json()


#: File name -> its upgrade and its JSON indent (as the builders write them).
UPGRADES = {
    REAL_PHOTO_FILE.name: (upgrade_real_photo, 1),
    GROUNDING_FILE.name: (upgrade_grounding, 2),
    SUMMARY_FILE.name: (upgrade_summary, 1),
}


def upgrade_file(path: Path) -> bool:
    """Rewrite ``path`` in the new layout; False when it already is."""
    upgrade, indent = UPGRADES[path.name]
    old = json.loads(path.read_text(encoding="utf-8"))
    if SCHEMA_KEY in old:
        return False
    text = json_text(upgrade(old), indent=indent, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")
    return True


def main() -> None:
    """Upgrade the files named (default: the shipped ones)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="results files (default: shipped)")
    files = parser.parse_args().files or [REAL_PHOTO_FILE, GROUNDING_FILE, SUMMARY_FILE]
    for path in files:
        print(f"{path}: {'rewritten' if upgrade_file(path) else 'already in the new layout'}")


if __name__ == "__main__":
    main()
