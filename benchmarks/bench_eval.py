"""Benchmark: `imgstory evaluate` against the plain pycocoevalcap pipeline, as users run them.

Both run in a fresh process on the same files, alternately, several times; the script prints the
best and median wall times, their ratio, and the largest difference between the two sets of
scores. It then times scoring one story against its references in a warm process (the app's
case), and the story metrics (non-redundancy, distinct-1/2: what ``--story-metrics`` adds to an
evaluation) against the in-process BLEU/ROUGE-L/CIDEr scorers on the same stories. Defaults use
the real VIST sample at ../shared/vist (AREL's released test outputs).

    .venv/bin/python -m benchmarks.bench_eval [--runs 3] [--references R --predictions P]
    .venv/bin/python -m benchmarks.bench_eval --story-metrics-only   # the story metrics alone
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_VIST = REPO_ROOT.parent / "shared" / "vist"
DEFAULT_REFERENCES = SHARED_VIST / "reference" / "test_reference.json"
DEFAULT_PREDICTIONS = SHARED_VIST / "published" / "arel-irl-init-iter100" / "prediction_test.json"

# The reference pipeline: pycocoevalcap's scorers one after another, METEOR 1.5 run with the
# VIST settings (-t hter) through coco-caption's own wrapper code.
REFERENCE_PIPELINE = r"""
import json, os, subprocess, sys, threading
from pycocoevalcap.bleu.bleu import Bleu
from pycocoevalcap.cider.cider import Cider
from pycocoevalcap.meteor import meteor
from pycocoevalcap.rouge.rouge import Rouge

references = json.load(open(sys.argv[1]))
predictions = json.load(open(sys.argv[2]))
gts = {album: references[album] for album in predictions}
res = {album: story if isinstance(story, list) else [story] for album, story in predictions.items()}
scores = {}
bleu, _ = Bleu(4).compute_score(gts, res, verbose=0)
scores.update({f"Bleu_{order + 1}": value for order, value in enumerate(bleu)})
scores["ROUGE_L"] = float(Rouge().compute_score(gts, res)[0])
scores["CIDEr"] = float(Cider().compute_score(gts, res)[0])
scorer = meteor.Meteor.__new__(meteor.Meteor)
scorer.meteor_p = subprocess.Popen(
    ["java", "-jar", "-Xmx2G", meteor.METEOR_JAR, "-", "-", "-stdio", "-t", "hter"],
    cwd=os.path.dirname(os.path.abspath(meteor.__file__)),
    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
)
scorer.lock = threading.Lock()
scores["METEOR"] = scorer.compute_score(gts, res)[0]
print(json.dumps(scores))
"""

METRICS = ("Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "METEOR", "ROUGE_L", "CIDEr")


def imgstory_command() -> list[str]:
    """The installed console script next to this Python, else ``python -m imgstory``."""
    script = Path(sys.executable).parent / "imgstory"
    return [str(script)] if script.exists() else [sys.executable, "-m", "imgstory"]


def cpu_seconds() -> float:
    """User + system CPU time of this process's finished children (jars included)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_run(command: list[str]) -> tuple[float, float, dict[str, float]]:
    """Wall time and CPU time of a fresh process, and the scores it printed as JSON."""
    cpu_before = cpu_seconds()
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT)
    elapsed = time.perf_counter() - start
    cpu = cpu_seconds() - cpu_before
    if done.returncode != 0:
        sys.exit(f"command failed ({done.returncode}): {' '.join(command)}\n{done.stderr[-2000:]}")
    return elapsed, cpu, json.loads(done.stdout.strip().splitlines()[-1])


def warm_story_timing(references: Path, predictions: Path, calls: int) -> list[float]:
    """Seconds per ``score_story`` call in a warm process (first call excluded)."""
    from imgstory.eval.story import score_story

    reference_file = json.loads(references.read_text())
    prediction_file = json.loads(predictions.read_text())
    albums = [album for album in prediction_file if album in reference_file][: calls + 1]
    stories = [
        (story[0] if isinstance(story, list) else story, reference_file[album])
        for album, story in ((album, prediction_file[album]) for album in albums)
    ]
    score_story(*stories[0])  # starts the jar, imports nltk and rouge-score
    timings = []
    for story, album_references in stories[1:]:
        start = time.perf_counter()
        score_story(story, album_references)
        timings.append(time.perf_counter() - start)
    return timings


def story_metrics_timing(references: Path, predictions: Path, runs: int) -> None:
    """Print best/median seconds of the story metrics and of the n-gram scorers, same stories."""
    from imgstory.eval.arel import _ngram_scores
    from imgstory.eval.predictions import load_predictions
    from imgstory.eval.reference_statistics import clear_cache
    from imgstory.eval.story_metrics import story_metrics

    reference_file = json.loads(references.read_text())
    stories = {a: s for a, s in load_predictions(predictions).items() if a in reference_file}
    albums = list(stories)
    texts = [stories[a] for a in albums]
    album_references = [reference_file[a] for a in albums]
    timings: dict[str, list[float]] = {"story metrics": [], "BLEU+ROUGE-L+CIDEr": []}
    for _ in range(runs):
        start = time.perf_counter()
        measured = story_metrics(stories)
        timings["story metrics"].append(time.perf_counter() - start)
        clear_cache()  # the whole of the scorers' work, references included, every run
        start = time.perf_counter()
        _ngram_scores(albums, texts, album_references)
        timings["BLEU+ROUGE-L+CIDEr"].append(time.perf_counter() - start)
    print(f"\nstory metrics of {len(albums)} stories, {runs} runs in this process:")
    for name, values in timings.items():
        print(f"  {name:<20} best {min(values):.3f} s  median {statistics.median(values):.3f} s")
    ratio = statistics.median(timings["story metrics"]) / statistics.median(
        timings["BLEU+ROUGE-L+CIDEr"]
    )
    print(f"  story metrics / n-gram scorers (median): {ratio:.2f}; values {measured.scores}")


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--references", type=Path, default=DEFAULT_REFERENCES)
    parser.add_argument("--predictions", type=Path, default=DEFAULT_PREDICTIONS)
    parser.add_argument("--runs", type=int, default=3, help="runs of each pipeline (default 3)")
    parser.add_argument("--story-calls", type=int, default=20)
    parser.add_argument(
        "--story-metrics-only", action="store_true", help="time only the story metrics"
    )
    arguments = parser.parse_args()
    for path in (arguments.references, arguments.predictions):
        if not path.is_file():
            sys.exit(f"{path} not found: pass --references and --predictions (AREL format)")
    if arguments.story_metrics_only:
        story_metrics_timing(arguments.references, arguments.predictions, max(arguments.runs, 5))
        return

    reference_command = [
        sys.executable, "-c", REFERENCE_PIPELINE,
        str(arguments.references), str(arguments.predictions),
    ]  # fmt: skip
    ours_command = [
        *imgstory_command(), "evaluate", "--protocol", "arel", "--json",
        "--references", str(arguments.references), "--predictions", str(arguments.predictions),
    ]  # fmt: skip
    names = ("reference", "imgstory")
    times: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    scores: dict[str, dict[str, float]] = {}
    print(f"{os.cpu_count()} cores; load average before: {os.getloadavg()[0]:.1f}")
    for run in range(arguments.runs):
        for name, command in zip(names, (reference_command, ours_command), strict=True):
            elapsed, used, scores[name] = timed_run(command)
            times[name].append(elapsed)
            cpu[name].append(used)
            print(
                f"run {run + 1}/{arguments.runs} {name:<9} wall {elapsed:6.2f} s  cpu {used:6.2f} s"
                f"  (load {os.getloadavg()[0]:.1f})",
                flush=True,
            )

    print(f"\nfiles: {arguments.references} vs {arguments.predictions}")
    print(f"{'pipeline':<44} {'wall best':>9} {'median':>7} {'cpu best':>9} {'median':>7}")
    labels = {
        "reference": "pycocoevalcap one after another (fresh proc)",
        "imgstory": "imgstory evaluate --json (fresh process)",
    }
    for name, label in labels.items():
        print(
            f"{label:<44} {min(times[name]):8.2f}s {statistics.median(times[name]):6.2f}s"
            f" {min(cpu[name]):8.2f}s {statistics.median(cpu[name]):6.2f}s"
        )
    for what, figures in (("wall time", times), ("CPU time", cpu)):
        best = min(figures["reference"]) / min(figures["imgstory"])
        median = statistics.median(figures["reference"]) / statistics.median(figures["imgstory"])
        print(f"speed-up in {what} (reference / imgstory): best {best:.2f}x, median {median:.2f}x")
    differences = {key: abs(scores["reference"][key] - scores["imgstory"][key]) for key in METRICS}
    print(f"largest score difference: {max(differences.values()):.3g} ({differences})")
    for key in METRICS:
        reference, ours = scores["reference"][key], scores["imgstory"][key]
        print(f"  {key:<8} reference {reference!r:<22} ours {ours!r}")

    timings = warm_story_timing(arguments.references, arguments.predictions, arguments.story_calls)
    print(
        f"\nscore_story (one story vs its references, warm process, {len(timings)} calls): "
        f"median {statistics.median(timings) * 1000:.1f} ms, max {max(timings) * 1000:.1f} ms"
    )
    story_metrics_timing(arguments.references, arguments.predictions, max(arguments.runs, 5))


if __name__ == "__main__":
    main()
