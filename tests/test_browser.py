"""One real-browser test: ``streamlit run`` on a free port, driven by Playwright on Debian's
Chromium; visits every page, uploads 5 photos, generates a story and reads it back.

Screenshots go to ``tmp_path/screenshots`` (or ``$IMGSTORY_SCREENSHOTS`` when set, to keep them).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import test_app_fixtures as fixtures
from test_app_fixtures import THEMES, scene

from devtools.appserver import (
    CHROMIUM_ARGS,
    free_port,
    screenshot_whole_page,
    start_app,
    stop_app,
    wait_healthy,
    wait_until_idle,
)

tiny_vist = fixtures.tiny_vist
tiny_models = fixtures.tiny_models

PAGES = {
    "": "IMG_Story",
    "explore": "Dataset explorer",
    "generate": "Generate a story",
    "features": "Feature plots",
    "compare": "Model comparison",
    "thesis": "Does a sequence model",
}


@pytest.fixture
def app_url(tmp_path, tiny_vist, tiny_models):
    """The app served by ``streamlit run`` on a free port of 127.0.0.1."""
    port = free_port()
    env = {"IMGSTORY_VIST_DIR": str(tiny_vist), "IMGSTORY_MODELS_DIR": str(tiny_models)}
    process = start_app(port, env, log=tmp_path / "streamlit.log")
    try:
        wait_healthy(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_app(process)


@pytest.mark.browser
def test_every_page_in_a_real_browser(chromium, app_url, tmp_path):
    from playwright.sync_api import sync_playwright

    shots = Path(os.environ.get("IMGSTORY_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    photos = []
    for position in range(5):
        path = tmp_path / f"photo{position + 1}.jpg"
        scene(THEMES["beach"][0], position, 0).save(path)
        photos.append(str(path))

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            for path, title in PAGES.items():
                page.goto(f"{app_url}/{path}")
                page.get_by_role("heading", name=title).first.wait_for(timeout=60_000)
                wait_until_idle(page)
                assert page.locator('[data-testid="stException"]').count() == 0, path
                screenshot_whole_page(page, shots / f"{path or 'home'}.png")
                page.set_viewport_size({"width": 1280, "height": 900})

            page.goto(f"{app_url}/generate")
            page.get_by_role("heading", name="Generate a story").wait_for(timeout=60_000)
            wait_until_idle(page)
            page.locator('input[type="file"]').set_input_files(photos)
            page.get_by_text("Photos: your 5 uploaded photos").wait_for(timeout=30_000)
            wait_until_idle(page)
            page.locator('[data-testid="stSelectbox"]').filter(has_text="Model").click()
            page.get_by_role("option", name="tiny-lstm").click()  # demo models come first
            wait_until_idle(page)
            page.get_by_role("button", name="Generate story").click()
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
            phone.goto(app_url)
            phone.get_by_role("heading", name="IMG_Story").first.wait_for(timeout=60_000)
            wait_until_idle(phone)
            screenshot_whole_page(phone, shots / "home-phone.png")
        finally:
            browser.close()
    assert sorted(p.name for p in shots.glob("*.png")) == sorted(
        [f"{p or 'home'}.png" for p in PAGES]
        + ["generate-after-click.png", "generate-story.png", "home-phone.png"]
    )
