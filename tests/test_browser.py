"""One real-browser test: ``streamlit run`` on a free port, driven by Playwright on Debian's
Chromium; visits every page, uploads 5 photos, generates a story and reads it back; checks the
Thesis page of a VIST folder without results of its own, a 30 MB upload, an invalid photo order,
selecting an album by its table row, and that no request leaves the machine.

Screenshots go to ``tmp_path/screenshots`` (or ``$IMGSTORY_SCREENSHOTS`` when set, to keep them).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from test_app_fixtures import story_photos

from devtools.appserver import (
    BROWSER_TIMEOUT_MS,
    chromium_browser,
    fits_the_window,
    open_from_sidebar,
    screenshot_folder,
    screenshot_whole_page,
    wait_until_idle,
)

PAGES = {
    "": "IMG_Story",
    "explore": "Dataset explorer",
    "generate": "Generate a story",
    "features": "Feature plots",
    "compare": "Model comparison",
    "thesis": "Does a sequence model",
}


LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


@pytest.fixture
def no_results_vist(tmp_path, tiny_vist) -> Path:
    """The tiny VIST folder without a results/ folder of its own (links, no copies)."""
    folder = tmp_path / "vist"
    folder.mkdir()
    for part in ("sis", "images", "reference", "features"):
        (folder / part).symlink_to(tiny_vist / part, target_is_directory=True)
    return folder


@pytest.fixture
def served_vist(no_results_vist) -> Path:
    """The app (conftest's ``app_url``) is served on the folder without results."""
    return no_results_vist


def generate_button(page):
    return page.get_by_role("button", name="Generate story")


@pytest.mark.browser
def test_every_page_in_a_real_browser(chromium, app_url, no_results_vist, tmp_path):
    shots = screenshot_folder(tmp_path / "screenshots")
    photos = story_photos(tmp_path)
    too_big = tmp_path / "huge.jpg"  # over the 20 MB limit: refused by the uploader itself
    too_big.write_bytes(b"\xff\xd8\xff\xe0" + bytes(30 * 1024 * 1024))
    requested = []

    with chromium_browser(chromium) as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(BROWSER_TIMEOUT_MS)
        context.on("request", lambda request: requested.append(request.url))
        page = context.new_page()
        page.goto(app_url)  # then from page to page by the sidebar, as a user goes
        for path, title in PAGES.items():
            open_from_sidebar(page, path)
            page.get_by_role("heading", name=title).first.wait_for(timeout=60_000)
            wait_until_idle(page)
            errors = page.locator('[data-testid="stException"]')
            assert errors.count() == 0, (path, errors.all_inner_texts())
            assert fits_the_window(page), f"{path or 'home'} scrolls sideways at 1280 px"
            screenshot_whole_page(page, shots / f"{path or 'home'}.png")
            page.set_viewport_size({"width": 1280, "height": 900})

        # Thesis (the last page above) on a VIST folder without results: demo numbers under
        # the demo pack's name
        assert urlparse(page.url).path == "/thesis"
        # the folder's table: the headline, or under the real-photo headline when
        # assets/results/vist_real_photos.json exists, headed as the demo pack's
        heading = re.compile("^(Headline results|Drawn scenes: the demo pack)")
        page.get_by_role("heading", name=heading).first.wait_for(timeout=60_000)
        wait_until_idle(page)
        shown = page.locator('[data-testid="stMain"]').inner_text()
        assert f"The VIST folder '{no_results_vist.name}' has no results/ folder" in shown
        assert "Data: demo pack (generated scenes in VIST format, not real VIST)" in shown
        assert "These numbers come from the demo pack" in shown
        assert f"Data: VIST folder '{no_results_vist.name}'" not in shown
        assert "No example to show" in shown or "Stories written by" in shown

        # the explorer: clicking a table row selects that album
        open_from_sidebar(page, "explore")
        page.get_by_role("heading", name="Dataset explorer").wait_for(timeout=60_000)
        wait_until_idle(page)
        grid = page.locator('[data-testid="stDataFrame"]').first.bounding_box()
        page.mouse.click(grid["x"] + 12, grid["y"] + 35 * 2 + 17)  # row 2's selector
        wait_until_idle(page)
        page.get_by_role("heading", name="Album test10 (test): 2 stories").wait_for(timeout=30_000)
        screenshot_whole_page(page, shots / "explore-row-selected.png")
        page.set_viewport_size({"width": 1280, "height": 900})

        open_from_sidebar(page, "generate")
        page.get_by_role("heading", name="Generate a story").wait_for(timeout=60_000)
        wait_until_idle(page)
        uploader = page.locator('input[type="file"]')
        # a 30 MB photo never reaches the app: no fallback to a dataset sequence
        uploader.set_input_files([str(too_big)])
        page.wait_for_timeout(500)
        wait_until_idle(page)
        assert generate_button(page).is_disabled()
        page.get_by_text("Generate is off: no photo to write about").first.wait_for(timeout=10_000)
        page.get_by_text("refused by the uploader itself and marked in red").first.wait_for(
            timeout=10_000
        )
        assert page.get_by_text("Photos: story").count() == 0
        page.screenshot(path=shots / "generate-30mb-upload.png")
        uploader.set_input_files(photos)
        page.get_by_text("Photos: your 5 uploaded photos").first.wait_for(timeout=30_000)
        wait_until_idle(page)
        order = page.get_by_role("textbox", name="Photo order")
        order.fill("1 2 2 4 5")
        order.press("Enter")
        # the error names what is wrong; the Generate note repeats it (two matches, by design)
        error = page.get_by_test_id("stAlertContentError")
        error.get_by_text("list each of the 5 photos once (missing 3)").wait_for(timeout=30_000)
        page.get_by_text("Generate is off: the photo order is invalid").wait_for(timeout=30_000)
        wait_until_idle(page)
        assert generate_button(page).is_disabled()
        page.screenshot(path=shots / "generate-invalid-order.png")
        order.fill("")
        order.press("Enter")
        wait_until_idle(page)
        assert generate_button(page).is_enabled()
        page.locator('[data-testid="stSelectbox"]').filter(has_text="Model").click()
        page.get_by_role("option", name="tiny-lstm").click()  # demo models come first
        wait_until_idle(page)
        generate_button(page).click()
        try:  # the first click imports TensorFlow and loads the model
            page.get_by_role("heading", name="The story").wait_for(timeout=240_000)
        finally:
            page.screenshot(path=shots / "generate-after-click.png")
        wait_until_idle(page)
        story = page.locator('[data-testid="stMarkdownContainer"]').all_inner_texts()
        for sentence in ("We went to the beach.", "We swam in the sea.", "The sun went down."):
            assert sentence in story
        assert page.locator('[data-testid="stException"]').count() == 0
        screenshot_whole_page(page, shots / "generate-story.png")

        phone = browser.new_page(viewport={"width": 390, "height": 844})
        phone.set_default_timeout(BROWSER_TIMEOUT_MS)
        phone.on("request", lambda request: requested.append(request.url))
        phone.goto(app_url)
        phone.get_by_role("heading", name="IMG_Story").first.wait_for(timeout=60_000)
        wait_until_idle(phone)
        screenshot_whole_page(phone, shots / "home-phone.png")
    assert requested, "no request recorded"
    outside = [
        url for url in requested
        if urlparse(url).scheme not in {"data", "blob"} and urlparse(url).hostname not in LOOPBACK
    ]  # fmt: skip
    assert not outside, f"requests left the machine: {sorted(set(outside))[:5]}"
    assert sorted(p.name for p in shots.glob("*.png")) == sorted(
        [f"{p or 'home'}.png" for p in PAGES]
        + ["generate-after-click.png", "generate-story.png", "home-phone.png"]
        + ["explore-row-selected.png", "generate-30mb-upload.png", "generate-invalid-order.png"]
    )
