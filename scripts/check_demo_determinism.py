"""Check that rebuilding the demo pack with the same seed gives the same pack.

Builds the pack (twice in temporary folders, or once when ``--against`` names an existing pack
whose MANIFEST gives the seed, encoder and config), then compares: the annotations (SIS,
references, album themes) and photos byte for byte, the feature vectors, each system's
predictions and every metric of ``results/summary.json``. Prints one line per check; exits 1 when
anything differs.

    .venv/bin/python scripts/check_demo_determinism.py --config tiny
    .venv/bin/python scripts/check_demo_determinism.py --against assets/demo
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path

from imgstory.demo.builder import MANIFEST_FILE, build_demo_pack

BYTE_IDENTICAL = ("sis", "reference", "images", "album_themes.json", "features/vectors.bin")


def _digests(root: Path, entry: str) -> dict[str, str]:
    """``relative path -> sha256`` of a file, or of every file under a folder."""
    path = root / entry
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return {str(f.relative_to(root)): hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


def _metrics(root: Path) -> dict[str, object]:
    summary = json.loads((root / "results" / "summary.json").read_text(encoding="utf-8"))
    return summary["systems"]


def _predictions(root: Path) -> dict[str, object]:
    folder = root / "results" / "predictions"
    return {
        p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))
    }


def compare(first: Path, second: Path) -> list[tuple[str, bool, str]]:
    """``(check, same, detail)`` for every compared part of two packs."""
    checks = []
    for entry in BYTE_IDENTICAL:
        a, b = _digests(first, entry), _digests(second, entry)
        differing = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
        checks.append((f"bytes of {entry}", not differing and bool(a), f"{len(a)} files"))
    ids = (first / "features" / "ids.txt").read_text() == (
        second / "features" / "ids.txt"
    ).read_text()
    checks.append(("feature store photo order", ids, "features/ids.txt"))
    predictions_a, predictions_b = _predictions(first), _predictions(second)
    for name in sorted(predictions_a.keys() | predictions_b.keys()):
        same = predictions_a.get(name) == predictions_b.get(name)
        checks.append((f"predictions {name}", same, "identical stories" if same else "differ"))
    metrics_a, metrics_b = _metrics(first), _metrics(second)
    for system in sorted(metrics_a.keys() | metrics_b.keys()):
        same = metrics_a.get(system) == metrics_b.get(system)
        meteor = (metrics_a.get(system) or {}).get("METEOR", {}).get("value")
        checks.append((f"metrics {system}", same, f"METEOR {meteor}"))
    return checks


def main() -> int:
    """Build, compare, print; 0 when the packs agree, 1 otherwise."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="tiny", help="build config when building twice")
    parser.add_argument("--seed", type=int, default=0, help="seed when building twice")
    parser.add_argument("--encoder", default="handcrafted", help="encoder when building twice")
    parser.add_argument("--against", type=Path, help="an existing pack to rebuild and compare")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="imgstory-determinism-") as scratch:
        if args.against:
            manifest = json.loads((args.against / MANIFEST_FILE).read_text(encoding="utf-8"))
            seed, encoder, config = (
                manifest["seed"],
                manifest["encoder"],
                manifest["config"]["name"],
            )
            first = args.against
        else:
            seed, encoder, config = args.seed, args.encoder, args.config
            first = Path(scratch) / "first"
            build_demo_pack(first, seed=seed, encoder=encoder, config=config)
        second = Path(scratch) / "second"
        report = build_demo_pack(second, seed=seed, encoder=encoder, config=config)
        print(
            f"rebuilt with seed {seed}, encoder {encoder}, config {config} "
            f"in {report.timings['total']:.0f} s"
        )
        checks = compare(first, second)
    for name, same, detail in checks:
        print(f"{'same' if same else 'DIFFERENT':9}  {name:32} {detail}")
    differing = [name for name, same, _ in checks if not same]
    print(f"{len(checks) - len(differing)}/{len(checks)} checks identical")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
