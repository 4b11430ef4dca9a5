"""Running the app as a user does (``streamlit run``) on a free local port: for the browser test
and the app benchmark. Nothing here is imported by the app itself.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from imgstory.paths import REPO_ROOT

APP_SCRIPT = REPO_ROOT / "streamlit_app.py"
#: Debian's Chromium, driven by Playwright (never `playwright install`).
CHROMIUM = "/usr/bin/chromium"
#: Playwright's wait for a click, fill or locator in the browser tests: 90 s, not its default
#: 30 s, because a page can take that long to answer on 2 cores shared with other test workers.
BROWSER_TIMEOUT_MS = 90_000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_app(
    port: int,
    env: dict[str, str] | None = None,
    log: Path | None = None,
    script: Path | None = None,
):
    """Start ``streamlit run`` of the app (or ``script``) on 127.0.0.1:``port``; returns the
    process. The app speaks English unless ``env`` sets ``IMGSTORY_LANGUAGE`` (whatever this
    shell's own setting)."""
    command = [
        sys.executable, "-m", "streamlit", "run", str(script or APP_SCRIPT),
        "--server.address", "127.0.0.1", "--server.port", str(port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with contextlib.ExitStack() as files:
        output = files.enter_context(open(log, "wb")) if log else subprocess.DEVNULL
        return subprocess.Popen(  # the child keeps its own copy of the log's descriptor
            command,
            cwd=REPO_ROOT,
            env={**os.environ, "IMGSTORY_LANGUAGE": "en", **(env or {})},
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def wait_healthy(port: int, process: subprocess.Popen, timeout: float = 30.0) -> float:
    """Wait until the server answers its health check; returns the seconds waited.

    Raises:
        RuntimeError: the server exited or did not answer in time.
    """
    start = time.perf_counter()
    url = f"http://127.0.0.1:{port}/_stcore/health"
    while time.perf_counter() - start < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return time.perf_counter() - start
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"streamlit did not answer on port {port} within {timeout:.0f} s")


def stop_app(process: subprocess.Popen) -> None:
    """Stop the server started by :func:`start_app` (terminate, then kill)."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def served_app(env: dict[str, str], log: Path | None = None) -> Iterator[str]:
    """The app served by ``streamlit run`` on a free port of 127.0.0.1 while the block runs
    (:func:`start_app` with ``env`` and ``log``): yields its URL, stops it on the way out.

    Raises:
        RuntimeError: the server exited or did not answer in time (:func:`wait_healthy`).
    """
    port = free_port()
    process = start_app(port, env, log=log)
    try:
        wait_healthy(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_app(process)


@contextlib.contextmanager
def chromium_browser(executable: str = CHROMIUM) -> Iterator[Any]:
    """Chromium at ``executable`` (Debian's), launched by Playwright with :data:`CHROMIUM_ARGS`;
    yields the browser (Playwright's sync API) and closes it on the way out."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def screenshot_folder(default: Path) -> Path:
    """Where a browser test's screenshots go: ``$IMGSTORY_SCREENSHOTS`` when set (to keep them),
    else ``default``; created."""
    folder = Path(os.environ.get("IMGSTORY_SCREENSHOTS") or default)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def fits_the_window(page: Any) -> bool:
    """Whether a Streamlit page's main area needs no sideways scrolling at the window's width."""
    return page.evaluate(
        "() => { const main = document.querySelector('[data-testid=\"stMain\"]');"
        " return main.scrollWidth <= main.clientWidth + 1; }"
    )


def rss_megabytes(pid: int) -> float:
    """Resident memory of a process in MiB (Linux ``/proc``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def wait_until_idle(page, timeout_ms: float = 60_000) -> None:
    """Wait until a Streamlit page has finished its script run.

    The app root carries the run state (``data-test-script-state``); the page is idle when it
    reads ``notRunning`` (or similar) on two checks in a row and no status widget is shown.
    """
    app = page.locator('[data-testid="stApp"]')
    app.wait_for(timeout=timeout_ms)
    deadline = time.perf_counter() + timeout_ms / 1000
    quiet = 0
    while quiet < 2:
        if time.perf_counter() > deadline:
            raise TimeoutError("the Streamlit page did not finish its run")
        state = app.get_attribute("data-test-script-state") or ""
        running = (
            state in {"initial", "running", "rerunRequested"}
            or page.locator('[data-testid="stStatusWidget"]').count()
        )
        quiet = 0 if running else quiet + 1
        page.wait_for_timeout(150)


def open_from_sidebar(page, path: str) -> None:
    """Open the app page at ``/<path>`` (``""``: home) by clicking its sidebar link, as a user
    does, and wait until the browser shows that URL. The browser keeps its session and its
    loaded app, where ``page.goto`` reloads both (about a third more Chromium CPU per visit,
    measured on 2 cores)."""
    wanted = "/" + path
    wait_until_idle(page)  # a click on a link during the first script run can be lost
    if urlparse(page.url).path == wanted:
        return
    links = page.locator('[data-testid="stSidebarNav"] a')
    hrefs = links.evaluate_all("(links) => links.map((link) => new URL(link.href).pathname)")
    if wanted not in hrefs:
        raise LookupError(f"no sidebar link to {wanted!r}; the sidebar has {hrefs}")
    links.nth(hrefs.index(wanted)).click()
    page.wait_for_url(lambda url: urlparse(url).path == wanted)


def screenshot_whole_page(page, path: Path, max_height: int = 8000) -> None:
    """Screenshot a Streamlit page top to bottom (its main area scrolls inside the window, so
    the window is made as tall as the content first)."""
    width = page.viewport_size["width"]
    height = page.evaluate(
        "() => { const main = document.querySelector('[data-testid=\"stMain\"]');"
        " return main ? main.scrollHeight : document.body.scrollHeight; }"
    )
    page.set_viewport_size({"width": width, "height": max(600, min(int(height), max_height))})
    if page.locator('[data-testid="stGraphVizChart"]').count():
        page.locator('[data-testid="stGraphVizChart"] svg').first.wait_for(timeout=10_000)
    wait_until_idle(page)
    page.wait_for_timeout(400)
    page.screenshot(path=str(path))
