"""Benchmark: peak memory of decoding a 16-bit grey and an RGBA photo of 6300 x 6300 (issue 29.4).

Both files are small on disk (flat colours compress) and just under the 40-megapixel limit; the
16-bit one cost 1,349 MB to decode before. Each photo goes through the app's upload check
(``check_upload``: ``load_image(max_side=768)``), the feature extractor's read
(``load_image(max_side=598)``), in fresh processes; the baseline is a git revision's code
(``git archive``), the current code is the working tree. Prints medians, the ratio, and whether
the current peak is under :data:`imgstory.images.DECODE_BOUND_BYTES_PER_PIXEL` per pixel.
Usage:
    python -m benchmarks.bench_photo_memory [--runs 3] [--baseline HEAD]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.bench_memory import REPO, export, measure
from imgstory.images import DECODE_BOUND_BYTES_PER_PIXEL

SIDE = 6300


def make_photos(folder: Path) -> dict[str, Path]:
    """The two photos: 16-bit grey (mode I;16) and RGBA, flat, 6300 x 6300 PNGs."""
    grey = folder / "grey16.png"
    Image.fromarray(np.full((SIDE, SIDE), 40_000, dtype=np.uint16)).save(grey, optimize=True)
    rgba = folder / "rgba.png"
    Image.new("RGBA", (SIDE, SIDE), (40, 90, 160, 128)).save(rgba, optimize=True)
    return {"16-bit grey": grey, "RGBA": rgba}


def main() -> None:
    """Measure each photo and case on the baseline and the working tree; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", default="HEAD", help="git revision to compare with")
    arguments = parser.parse_args()
    bound_mb = DECODE_BOUND_BYTES_PER_PIXEL * SIDE * SIDE / 2**20
    with tempfile.TemporaryDirectory(prefix="imgstory-bench-photo-") as scratch:
        scratch = Path(scratch)
        baseline = export(arguments.baseline, scratch / "baseline")
        photos = make_photos(scratch)
        print(f"{SIDE}x{SIDE} = {SIDE * SIDE:,} pixels; median of {arguments.runs} processes")
        print(f"bound: {DECODE_BOUND_BYTES_PER_PIXEL} bytes per pixel = {bound_mb:.0f} MB")
        for name, photo in photos.items():
            print(f"\n{name} ({photo.stat().st_size / 1e3:.0f} KB on disk):")
            for case in ("photo-upload", "photo-extract"):
                before = measure(baseline, case, photo, arguments.runs)
                after = measure(REPO, case, photo, arguments.runs)
                ratio = before["work_mb"] / max(after["work_mb"], 0.1)
                verdict = "under" if after["work_mb"] <= bound_mb else "OVER"
                print(
                    f"  {case:13} {arguments.baseline} +{before['work_mb']:7.1f} MB "
                    f"{before['seconds']:.2f} s | working tree +{after['work_mb']:7.1f} MB "
                    f"{after['seconds']:.2f} s | {ratio:.1f}x less; {verdict} the bound "
                    f"({after['result']})"
                )


if __name__ == "__main__":
    main()
