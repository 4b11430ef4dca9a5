"""Benchmark the app's waits as a user meets them, in Debian's Chromium driven by Playwright.

Each wait of issue 12's table, the median of several runs, with the ratio to the figure the
issue measured ("today": 2 cores, load ~2-3) and, with ``--before FILE``, to an earlier run of
this script saved to FILE:

- ``generate``: the first Generate with references on a fresh server (click -> story shown,
  click -> page done with its scores), and the first Generate with references once the story
  model is loaded (another session loaded it by generating for uploaded photos).
- ``scoring``: Model comparison, "Score predictions" on AREL's released 1,010-album test
  predictions with the uploaded 1,010-album references; and against the VIST folder's own
  stories (1,001 albums) without a reference upload.

"Warm server": before the timed clicks and visits the benchmark waits until the server and its
children (METEOR's jars loading their tables in the background) are idle.
- ``paired``: "Run paired bootstrap tests" on the demo pack's six systems (40 albums).
- ``compare``: the Model comparison page in a fresh browser on a warm server (goto -> run done
  and every chart drawn).
- ``features``: Feature plots on a fresh server: first load, then switching to t-SNE.
- ``startup``: ``streamlit run`` -> Home rendered, beside a one-line Streamlit app.

The VIST folder is the shared test SIS file with the 60 shared photos laid out as
``images/test/`` (symlinks in a temporary folder; nothing is copied into the repository).

Usage: ``python -m benchmarks.bench_app [--runs 3] [--only generate,scoring,...]
[--vist ../shared/vist] [--before FILE] [--app-root DIR]``; ``--app-root`` serves another
copy of the repository (today's code), so a before and an after can be measured minutes apart
on a machine whose load changes. Lines starting ``RESULT`` are what ``--before``
reads back.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from devtools.appserver import (
    CHROMIUM,
    CHROMIUM_ARGS,
    free_port,
    start_app,
    stop_app,
    wait_healthy,
    wait_until_idle,
)

HELLO_APP = 'import streamlit as st\nst.title("hello")\n'
SHARED_VIST = Path(__file__).resolve().parents[2] / "shared" / "vist"  # ../shared beside the clone
#: The waits issue 12 measured (seconds; 2 cores, load ~2-3), the "today" of each ratio.
ISSUE_FIGURES = {
    "generate_fresh_story": 13.5,
    "generate_fresh_done": 35.2,
    "generate_warm_model_done": 35.2 - 13.5,  # the ~22 s METEOR start the issue names
    "scoring_uploaded_references": 42.5,
    "paired_tests": 43.0,
    "compare_page_fresh_browser": 11.5,
    "features_first_load": 12.5,
    "features_first_tsne": 15.0,
}
TARGETS = {
    "generate_warm_model_done": 5.0,
    "scoring_uploaded_references": 8.0,
    "scoring_vist_folder": 8.0,
    "paired_tests": 10.0,
    "compare_page_fresh_browser": 3.0,
}
VIEWPORT = {"width": 1280, "height": 900}
#: True once every chart on the page has drawn (Plotly or Vega-Lite): a page counts as shown
#: when its charts are, not when its last heading is.
CHARTS_DRAWN = """() => {
  const charts = [...document.querySelectorAll(
    '[data-testid="stPlotlyChart"], [data-testid="stVegaLiteChart"]')];
  return charts.length > 0
    && charts.every(chart => chart.querySelector('.main-svg, svg.marks, canvas.marks'));
}"""
#: ``--app-root``: serve the app from another copy of the repository (None: this one).
APP_ROOT: Path | None = None


def load_average() -> list[str]:
    """The 1, 5 and 15 minute load averages (the machine is shared)."""
    return Path("/proc/loadavg").read_text().split()[:3]


def choose_dataset_sequence(page) -> None:
    """Pick "A dataset sequence" where the page asks what to write for (today's page has no
    such choice: it uses the sequence whenever nothing is uploaded)."""
    choice = page.locator('[data-testid="stRadio"]').filter(has_text="Write a story for")
    if choice.count():
        choice.get_by_text("A dataset sequence", exact=True).click()
        page.wait_for_timeout(300)
        wait_until_idle(page, timeout_ms=120_000)


def script_state(page) -> str:
    return page.locator('[data-testid="stApp"]').get_attribute("data-test-script-state") or ""


def click_and_wait(page, button, done) -> float:
    """Seconds from clicking ``button`` to the run finished and ``done`` (a locator) visible."""
    start = time.perf_counter()
    button.click()
    while script_state(page) not in {"running", "rerunRequested"}:
        if time.perf_counter() - start > 2:
            break
        time.sleep(0.01)
    wait_until_idle(page, timeout_ms=300_000)
    done.first.wait_for(timeout=300_000)
    return time.perf_counter() - start


def vist_folder(root: Path, shared: Path) -> Path:
    """The issue's VIST folder: the shared test SIS file and the 60 photos as images/test/."""
    (root / "sis").mkdir(parents=True)
    (root / "sis" / "test.story-in-sequence.json").symlink_to(
        shared / "sis" / "test.story-in-sequence.json"
    )
    (root / "images" / "test").mkdir(parents=True)
    for photo in sorted((shared / "photos").glob("*.jpg")):
        (root / "images" / "test" / photo.name).symlink_to(photo)
    return root


def process_tree_cpu(pid: int) -> float:
    """CPU seconds used so far by a process and every process below it (Linux ``/proc``)."""
    parents, used = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        child = int(stat.parent.name)
        parents[child] = int(fields[1])
        used[child] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    total = 0.0
    for child, seconds in used.items():
        ancestor = child
        while ancestor not in (0, 1, pid):
            ancestor = parents.get(ancestor, 0)
        total += seconds if ancestor == pid else 0.0
    return total


def wait_until_warm(server: Server, quiet_share: float = 0.1, timeout: float = 120) -> float:
    """Wait until the server and its children (METEOR's jars loading their tables in the
    background) use under ``quiet_share`` of a core for a second: a "warm server"; returns the
    seconds waited."""
    start = time.perf_counter()
    before = process_tree_cpu(server.process.pid)
    while time.perf_counter() - start < timeout:
        time.sleep(1.0)
        now = process_tree_cpu(server.process.pid)
        if now - before < quiet_share:
            break
        before = now
    waited = time.perf_counter() - start
    print(f"server warm after {waited:.1f} s", flush=True)
    return waited


class Server:
    """``streamlit run`` of the app on a free port, stopped on exit."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        if APP_ROOT is None:
            self.process = start_app(self.port, env)
        else:  # another copy of the app (e.g. today's code, for a before/after in one sitting)
            command = [
                sys.executable, "-m", "streamlit", "run", str(APP_ROOT / "streamlit_app.py"),
                "--server.address", "127.0.0.1", "--server.port", str(self.port),
                "--server.headless", "true", "--browser.gatherUsageStats", "false",
            ]  # fmt: skip
            self.process = subprocess.Popen(
                command,
                cwd=APP_ROOT,
                env={**os.environ, **env},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        wait_healthy(self.port, self.process, timeout=60)
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        stop_app(self.process)


def open_page(browser, url: str, heading: str):
    """A new browser context (a fresh session, empty cache) on ``url``, run finished."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(url)
    page.get_by_role("heading", name=heading).first.wait_for(timeout=120_000)
    wait_until_idle(page, timeout_ms=120_000)
    return page


def upload(page, label: str, files: list[str]) -> None:
    """Set the files of the uploader whose label contains ``label``; wait for the rerun."""
    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text=label)
    uploader.locator('input[type="file"]').set_input_files(files)
    page.wait_for_timeout(300)
    wait_until_idle(page, timeout_ms=120_000)


def generate_runs(browser, env, photos: list[str], runs: int) -> dict[str, list[float]]:
    """Fresh servers: first Generate with references, cold and with the model already loaded."""
    measured = {"generate_fresh_story": [], "generate_fresh_done": []}
    measured["generate_warm_model_done"] = []
    scores_shown = "Per-story scores with the protocol scorers"
    for _ in range(runs):
        with Server(env) as server:
            page = open_page(browser, f"{server.url}/generate", "Generate a story")
            choose_dataset_sequence(page)
            button = page.get_by_role("button", name="Generate story")
            start = time.perf_counter()
            button.click()
            page.get_by_role("heading", name="The story").wait_for(timeout=300_000)
            measured["generate_fresh_story"].append(time.perf_counter() - start)
            page.get_by_text(scores_shown).first.wait_for(timeout=300_000)
            wait_until_idle(page, timeout_ms=300_000)
            measured["generate_fresh_done"].append(time.perf_counter() - start)
            page.context.close()
        with Server(env) as server:
            loader = open_page(browser, f"{server.url}/generate", "Generate a story")
            upload(loader, "Your photos", photos)
            click_and_wait(
                loader,
                loader.get_by_role("button", name="Generate story"),
                loader.get_by_role("heading", name="The story"),
            )
            loader.context.close()
            page = open_page(browser, f"{server.url}/generate", "Generate a story")
            choose_dataset_sequence(page)
            measured["generate_warm_model_done"].append(
                click_and_wait(
                    page,
                    page.get_by_role("button", name="Generate story"),
                    page.get_by_text(scores_shown),
                )
            )
            page.context.close()
    return measured


def scoring_runs(browser, env, vist: Path, runs: int) -> dict[str, list[float]]:
    """Warm server: score AREL's released test predictions, uploaded references and the folder's."""
    predictions = str(vist / "published" / "arel-irl-init-iter100" / "prediction_test.json")
    references = str(vist / "reference" / "test_reference.json")
    measured = {"scoring_uploaded_references": [], "scoring_vist_folder": []}
    done = "albums scored"
    with Server(env) as server:
        page = open_page(browser, f"{server.url}/compare", "Model comparison")
        upload(page, "Predictions", [predictions])
        upload(page, "References", [references])
        wait_until_warm(server)
        button = page.get_by_role("button", name="Score predictions")
        for _ in range(runs):
            measured["scoring_uploaded_references"].append(
                click_and_wait(page, button, page.get_by_text(done))
            )
        page.context.close()
        page = open_page(browser, f"{server.url}/compare", "Model comparison")
        upload(page, "Predictions", [predictions])
        button = page.get_by_role("button", name="Score predictions")
        for _ in range(runs):
            seconds = click_and_wait(page, button, page.locator('[data-testid="stMain"]'))
            if page.get_by_text(done).count():
                measured["scoring_vist_folder"].append(seconds)
            else:
                refused = page.locator('[data-testid="stAlertContentError"]').all_inner_texts()
                print(f"scoring against the VIST folder refused: {' | '.join(refused)[:300]}")
                break
        page.context.close()
    return measured


def demo_runs(browser, env, runs: int) -> dict[str, list[float]]:
    """Warm demo-pack server: Model comparison in a fresh browser, and the paired tests."""
    measured = {"compare_page_fresh_browser": [], "paired_tests": []}
    with Server(env) as server:
        for visit in range(runs + 1):  # the first visit fills the server's caches: not counted
            if visit == 1:
                wait_until_warm(server)
            start = time.perf_counter()
            page = open_page(browser, f"{server.url}/compare", "Model comparison")
            page.get_by_role("heading", name="Score your own predictions").wait_for()
            page.wait_for_function(CHARTS_DRAWN, timeout=120_000)
            measured["compare_page_fresh_browser"].append(time.perf_counter() - start)
            page.context.close()
        first_visit = measured["compare_page_fresh_browser"].pop(0)
        print(f"Model comparison, first visit on the server: {first_visit:.2f} s (not counted)")
        page = open_page(browser, f"{server.url}/compare", "Model comparison")
        page.get_by_text("Paired significance").first.click()
        button = page.get_by_role("button", name="Run paired bootstrap tests")
        button.wait_for(timeout=30_000)
        for _ in range(runs):
            measured["paired_tests"].append(
                click_and_wait(page, button, page.get_by_text("minus each other system"))
            )
        page.context.close()
    return measured


def feature_runs(browser, env, runs: int) -> dict[str, list[float]]:
    """Fresh demo-pack servers: Feature plots' first load, then its first t-SNE."""
    measured = {"features_first_load": [], "features_first_tsne": []}
    for _ in range(runs):
        with Server(env) as server:
            start = time.perf_counter()
            page = open_page(browser, f"{server.url}/features", "Feature plots")
            page.locator('[data-testid="stPlotlyChart"]').first.wait_for(timeout=120_000)
            measured["features_first_load"].append(time.perf_counter() - start)
            projection = page.locator('[data-testid="stRadio"]').filter(has_text="Projection")
            measured["features_first_tsne"].append(
                click_and_wait(
                    page,
                    projection.get_by_text("t-SNE", exact=True),
                    page.get_by_text(re.compile(r"t-SNE of \d+ photos")),
                )
            )
            page.context.close()
    return measured


def cold_start(browser, script: Path | None, heading: str) -> float:
    """Seconds from launching ``streamlit run`` to ``heading`` visible in the browser."""
    port = free_port()
    page = browser.new_page(viewport=VIEWPORT)
    start = time.perf_counter()
    process = start_app(port, script=script)
    try:
        while True:
            try:
                page.goto(f"http://127.0.0.1:{port}/", timeout=2_000)
                break
            except Exception:  # connection refused until the server listens
                if process.poll() is not None:
                    raise RuntimeError("streamlit exited during start") from None
                time.sleep(0.02)
        page.get_by_role("heading", name=heading).first.wait_for(timeout=60_000)
        return time.perf_counter() - start
    finally:
        page.close()
        stop_app(process)


def startup_runs(browser, scratch: Path, runs: int) -> dict[str, list[float]]:
    """Cold starts of the app and of a one-line Streamlit app (the baseline)."""
    hello = scratch / "hello_app.py"
    hello.write_text(HELLO_APP)
    return {
        "startup_hello_app": [cold_start(browser, hello, "hello") for _ in range(runs)],
        "startup_home": [cold_start(browser, None, "IMG_Story") for _ in range(runs)],
    }


def read_before(path: Path | None) -> dict[str, float]:
    """``name -> median`` from the RESULT lines of an earlier run's saved output."""
    if path is None:
        return {}
    found = {}
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] == "RESULT":
            found[parts[1]] = float(parts[2])
    return found


def report(name: str, runs: list[float], before: dict[str, float]) -> None:
    """One line per wait: median, runs, ratio to the issue's figure, to --before, target."""
    median = statistics.median(runs)
    parts = [f"RESULT {name} {median:.2f} s (median of {len(runs)}: "]
    parts.append(", ".join(f"{r:.2f}" for r in runs) + ")")
    if name in ISSUE_FIGURES:
        parts.append(
            f"; issue {ISSUE_FIGURES[name]:.1f} s, ratio {median / ISSUE_FIGURES[name]:.2f}"
        )
    if name in before:
        parts.append(f"; before {before[name]:.2f} s, ratio {median / before[name]:.2f}")
    if name in TARGETS:
        verdict = "met" if median < TARGETS[name] else "MISSED"
        parts.append(f"; target < {TARGETS[name]:.0f} s {verdict}")
    print("".join(parts), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each wait")
    parser.add_argument(
        "--only", default="generate,scoring,paired,compare,features,startup",
        help="comma-separated waits to measure",
    )  # fmt: skip
    parser.add_argument("--vist", type=Path, default=SHARED_VIST, help="the shared VIST data")
    parser.add_argument("--before", type=Path, help="saved output of an earlier run")
    parser.add_argument(
        "--app-root", type=Path, help="serve the app from this copy of the repository instead"
    )
    args = parser.parse_args()
    global APP_ROOT
    APP_ROOT = args.app_root
    wanted = set(args.only.split(","))
    before = read_before(args.before)
    needs_vist = wanted & {"generate", "scoring"}
    if needs_vist and not (args.vist / "sis" / "test.story-in-sequence.json").is_file():
        print(f"{args.vist}: no VIST test SIS file; pass --vist or drop {needs_vist}")
        return 2

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        demo_env = {"IMGSTORY_VIST_DIR": "", "IMGSTORY_MODELS_DIR": ""}
        vist_env = demo_env
        if needs_vist:
            vist_env = {
                **demo_env,
                "IMGSTORY_VIST_DIR": str(vist_folder(scratch / "vist", args.vist)),
            }
        photos = [str(p) for p in sorted((args.vist / "photos").glob("*.jpg"))[:5]]
        steps: dict[str, Callable[[], dict[str, list[float]]]] = {
            "generate": lambda: generate_runs(browser, vist_env, photos, args.runs),
            "scoring": lambda: scoring_runs(browser, vist_env, args.vist, args.runs),
            "paired": lambda: demo_runs(browser, demo_env, args.runs),
            "features": lambda: feature_runs(browser, demo_env, args.runs),
            "startup": lambda: startup_runs(browser, scratch, args.runs),
        }
        if "compare" in wanted:
            wanted.add("paired")  # one warm demo server measures both
        print(f"load average at start: {load_average()}", flush=True)
        for step, run in steps.items():
            if step not in wanted:
                continue
            try:
                measured = run()
            except Exception as error:  # report the wait that failed, measure the others
                print(f"{step}: failed: {type(error).__name__}: {str(error)[:300]}", flush=True)
                continue
            for name, runs in measured.items():
                if runs:
                    report(name, runs, before)
        browser.close()
    print(f"load average at end: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
