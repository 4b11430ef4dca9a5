"""Benchmark the Streamlit app as a user meets it, in Debian's Chromium driven by Playwright.

Prints, each the median of several runs with the baseline measured in the same run:
1. cold start: ``streamlit run`` launched -> Home page rendered in the browser (target < 3 s on
   2 cores); baseline: the same for a one-line Streamlit app.
2. Generate: click "Generate story" -> story shown, greedy decoding, model warm, 5 photos uploaded
   (target < 1.5 s); baseline: ``Storyteller.generate_from_images`` called directly in Python.
3. server memory (RSS) with the model loaded (target < 1.5 GB), beside the RSS before loading.

Usage: ``python -m benchmarks.bench_app [--runs 3] [--clicks 5] [--photos DIR]``. The app uses
the demo pack and its LSTM model unless IMGSTORY_VIST_DIR / IMGSTORY_MODELS_DIR say otherwise
(``--model DIR`` picks the model for the direct baseline and selects it in the app).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from devtools.appserver import (
    CHROMIUM,
    CHROMIUM_ARGS,
    free_port,
    rss_megabytes,
    start_app,
    stop_app,
    wait_healthy,
    wait_until_idle,
)
from imgstory.app.models import discover_models
from imgstory.paths import DEMO_DIR

HELLO_APP = 'import streamlit as st\nst.title("hello")\n'


def script_state(page) -> str:
    return page.locator('[data-testid="stApp"]').get_attribute("data-test-script-state") or ""


def cold_start(browser, script: Path | None, heading: str) -> float:
    """Seconds from launching ``streamlit run`` to ``heading`` visible in the browser."""
    port = free_port()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
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


def click_to_story(page) -> float:
    """Seconds from clicking Generate to the finished story on screen."""
    button = page.get_by_role("button", name="Generate story")
    start = time.perf_counter()
    button.click()
    while script_state(page) not in {"running", "rerunRequested"}:
        if time.perf_counter() - start > 2:
            break
        time.sleep(0.01)
    while script_state(page) in {"running", "rerunRequested"}:
        time.sleep(0.01)
    page.get_by_role("heading", name="The story").wait_for(timeout=60_000)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="cold starts of each app")
    parser.add_argument("--clicks", type=int, default=5, help="timed Generate clicks")
    parser.add_argument("--photos", type=Path, help="folder of photos (first 5 used)")
    parser.add_argument("--model", type=Path, help="model directory (default: first found)")
    args = parser.parse_args()

    choices = discover_models()
    chosen = next((c for c in choices if args.model and c.path == args.model), None) or (
        choices[0] if choices else None
    )
    if chosen is None:
        print("no model: build the demo pack or set IMGSTORY_MODELS_DIR", file=sys.stderr)
        return 2
    photo_dir = args.photos or DEMO_DIR / "images" / "test"
    photos = sorted(p for p in photo_dir.rglob("*") if p.suffix.lower() in {".jpg", ".png"})[:5]
    if len(photos) < 5:
        print(f"need 5 photos in {photo_dir}: pass --photos DIR", file=sys.stderr)
        return 2

    from playwright.sync_api import sync_playwright

    print(f"model: {chosen.label} ({chosen.path}); photos: {photo_dir}")
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as scratch:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        hello = Path(scratch) / "hello_app.py"
        hello.write_text(HELLO_APP)
        baseline_starts = [cold_start(browser, hello, "hello") for _ in range(args.runs)]
        app_starts = [cold_start(browser, None, "IMG_Story") for _ in range(args.runs)]
        baseline, app = statistics.median(baseline_starts), statistics.median(app_starts)
        print(
            f"cold start to Home rendered: median {app:.2f} s over {args.runs} "
            f"(runs {', '.join(f'{s:.2f}' for s in app_starts)}); one-line app baseline "
            f"{baseline:.2f} s; ratio {app / baseline:.2f}x; target < 3 s"
        )

        port = free_port()
        process = start_app(port)
        try:
            wait_healthy(port, process)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"http://127.0.0.1:{port}/generate")
            page.get_by_role("heading", name="Generate a story").wait_for(timeout=60_000)
            wait_until_idle(page)
            rss_before = rss_megabytes(process.pid)
            page.locator('input[type="file"]').set_input_files([str(p) for p in photos])
            page.get_by_text("Photos: your 5 uploaded photos").wait_for(timeout=30_000)
            wait_until_idle(page)
            if len(choices) > 1:
                page.locator('[data-testid="stSelectbox"]').filter(has_text="Model").click()
                page.get_by_role("option", name=chosen.label).click()
                wait_until_idle(page)
            decoding = page.locator('[data-testid="stRadio"]').filter(has_text="Decoding")
            decoding.get_by_text("greedy", exact=True).click()
            wait_until_idle(page)
            first = click_to_story(page)  # loads TensorFlow and the model once
            wait_until_idle(page)
            clicks = []
            for _ in range(args.clicks):
                clicks.append(click_to_story(page))
                wait_until_idle(page)
            rss_after = rss_megabytes(process.pid)
        finally:
            stop_app(process)
        browser.close()

    from imgstory.decoding import DecodingConfig
    from imgstory.generation.storyteller import Storyteller
    from imgstory.images import load_image

    storyteller = Storyteller.load(chosen.path)
    images = [load_image(p, max_side=768) for p in photos]
    greedy = DecodingConfig(method="greedy")
    storyteller.generate_from_images(images, greedy)
    direct = []
    for _ in range(args.clicks):
        start = time.perf_counter()
        storyteller.generate_from_images(images, greedy)
        direct.append(time.perf_counter() - start)
    click, call = statistics.median(clicks), statistics.median(direct)
    print(
        f"Generate click -> story shown (greedy, warm model, 5 uploaded photos): median "
        f"{click:.3f} s over {args.clicks} (first click, loading TensorFlow and the model: "
        f"{first:.2f} s); direct generate_from_images baseline {call:.3f} s; ratio "
        f"{click / call:.1f}x; target < 1.5 s"
    )
    print(
        f"server memory (RSS): {rss_after:.0f} MiB with the model loaded, {rss_before:.0f} MiB "
        f"before; ratio {rss_after / rss_before:.2f}x; target < 1536 MiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
