"""Benchmark: peak memory of a huge photo and of a huge story file, before and after issue 16.

Each measurement runs in a fresh Python process: its resident memory after the imports, then
its peak (``VmHWM``) after the work; the difference is what the work cost. The cases:

* ``photo``: a 9000 x 9000 PNG (~100 KB) through ``load_image(max_side=598)`` (as
  ``features extract`` reads it), and through the app's ``check_upload``.
* ``stories``: a ~200 MB story-in-sequence file through ``load_stories`` (target: peak at most
  3x the file's size).

The baseline is the code of a git revision (default ``HEAD``, exported with ``git archive`` into
a temporary folder); the current code is the working tree. Prints the median of the runs and the
ratio baseline / current. Usage:
    python -m benchmarks.bench_memory [--runs 3] [--baseline HEAD] [--story-mb 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: Runs in the child: ``sys.argv`` = [case, path]; prints {"work_mb", "peak_mb", "result"}.
MEASURE = r"""
import sys, time

def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) / 1024  # kB -> MB
case, path = sys.argv[1], sys.argv[2]
if case == "stories":
    from imgstory.data.index import load_stories
    work = lambda: f"{len(load_stories(path)):,} stories"
else:
    from imgstory.errors import UserInputError
    if case == "photo-extract":
        from imgstory.images import load_image
        work = lambda: "decoded to %dx%d" % load_image(path, max_side=598).size
    else:
        from imgstory.app.uploads import check_upload
        data = open(path, "rb").read()
        work = lambda: "accepted %dx%d" % check_upload("huge.png", data).image.size
    def refused(work=work):
        try:
            return work()
        except UserInputError as error:
            return "refused: " + str(error).split("huge.png: ", 1)[-1][:60] + "..."
    work = refused
before = status("VmRSS:")
start = time.perf_counter()
result = work()
seconds = time.perf_counter() - start
import json
print(json.dumps({"work_mb": status("VmHWM:") - before, "seconds": seconds, "result": result}))
"""


def make_photo(path: Path) -> Path:
    """A flat 9000 x 9000 RGB PNG: ~100 KB on disk, 243 MB of pixels."""
    from PIL import Image

    Image.new("RGB", (9000, 9000), (40, 90, 160)).save(path, optimize=True)
    return path


def make_story_file(path: Path, megabytes: float) -> Path:
    """A story-in-sequence file in VIST's layout (albums, images, annotations) of ~``megabytes``.

    Written a story at a time, so the parent process stays small.
    """
    words = ("we", "went", "to", "the", "beach", "and", "park", "with", "my", "family", "day")
    story_count = int(megabytes * 1e6 / 2600)  # ~2.6 KB per story: 5 annotations and images
    with open(path, "w", encoding="utf-8") as out:
        out.write('{"type": "story-in-sequence", "albums": [')
        albums = (json.dumps({"id": str(7_000_000 + album)}) for album in range(story_count // 5))
        out.write(", ".join(albums))
        out.write('], "images": [')
        for number in range(story_count):
            album = str(7_000_000 + number // 5)
            for photo in range(5):
                photo_id = str(900_000_000 + number * 5 + photo)
                image = {
                    "datetaken": "2008-08-26 15:33:10", "license": "5", "title": "day",
                    "album_id": album, "secret": "a1b2c3d4e5", "media": "photo", "id": photo_id,
                    "url_o": f"https://farm4.staticflickr.com/{photo_id}_a1b2c3_o.jpg",
                }  # fmt: skip
                out.write(("" if number == photo == 0 else ", ") + json.dumps(image))
        out.write('], "annotations": [')
        for number in range(story_count):
            album = str(7_000_000 + number // 5)
            for order in range(5):
                text = " ".join(words[(number + order + k) % len(words)] for k in range(11)) + " ."
                annotation = {
                    "original_text": text.capitalize(), "album_id": album,
                    "photo_flickr_id": str(900_000_000 + number * 5 + order),
                    "setting": "last-story-in-album", "worker_id": "ABCDEF1234",
                    "story_id": str(number), "tier": "story-in-sequence",
                    "worker_arranged_photo_order": order, "text": text,
                    "storylet_id": str(number * 5 + order),
                }  # fmt: skip
                out.write(("" if number == order == 0 else ", ") + json.dumps([annotation]))
        out.write("]}\n")
    return path


def measure(tree: Path, case: str, path: Path, runs: int) -> dict:
    """Median work memory (MB) and seconds of ``runs`` fresh processes on ``tree``'s code."""
    results = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", MEASURE, case, str(path)],
            cwd=tree,
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        )
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return {
        "work_mb": statistics.median(r["work_mb"] for r in results),
        "seconds": statistics.median(r["seconds"] for r in results),
        "result": results[-1]["result"],
    }


def export(revision: str, folder: Path) -> Path:
    """The package at ``revision`` (``git archive``: reads the repository, changes nothing)."""
    archive = subprocess.run(
        ["git", "archive", revision, "imgstory"], cwd=REPO, capture_output=True, check=True
    ).stdout
    folder.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", default="HEAD", help="git revision to compare with")
    parser.add_argument("--story-mb", type=float, default=200.0)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="imgstory-bench-memory-") as scratch:
        scratch = Path(scratch)
        baseline = export(arguments.baseline, scratch / "baseline")
        photo = make_photo(scratch / "huge.png")
        stories = make_story_file(scratch / "big.story-in-sequence.json", arguments.story_mb)
        story_mb = stories.stat().st_size / 1e6
        print(f"photo: 9000x9000 PNG, {photo.stat().st_size / 1e3:.0f} KB")
        print(f"story file: {story_mb:.0f} MB; median of {arguments.runs} fresh processes each")
        for case, path in (("photo-extract", photo), ("photo-upload", photo), ("stories", stories)):
            before = measure(baseline, case, path, arguments.runs)
            after = measure(REPO, case, path, arguments.runs)
            print(f"\n{case}:")
            for label, row in ((arguments.baseline, before), ("working tree", after)):
                extra = f", {row['work_mb'] / story_mb:.2f}x the file" if case == "stories" else ""
                print(
                    f"  {label:12} peak +{row['work_mb']:7.1f} MB{extra}, {row['seconds']:.2f} s"
                    f"  ({row['result']})"
                )
            ratio = before["work_mb"] / max(after["work_mb"], 0.1)
            print(f"  ratio {arguments.baseline} / working tree: {ratio:.1f}x less memory")


if __name__ == "__main__":
    main()
