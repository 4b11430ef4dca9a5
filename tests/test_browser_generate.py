"""Generate in a real browser (issue 28): switching inputs never leaves an earlier story on the
page, compare mode on uploaded photos starts on the models made for real photos, a story on a
phone keeps two photos to a row, and the sidebar's choices stay selected across a language
switch. Screenshots go to ``$IMGSTORY_SCREENSHOTS`` when set (else ``tmp_path``).
"""

from __future__ import annotations

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


def story_heading(page):
    """The heading over a generated story (one story) or stories (compare mode)."""
    return page.get_by_role("heading", name="The story")


def pick(page, widget_label: str, option: str | int) -> None:
    """Open the selectbox labelled ``widget_label`` and choose an option (by text or index)."""
    page.locator('[data-testid="stSelectbox"]').filter(has_text=widget_label).click()
    options = page.get_by_role("option")
    (options.nth(option) if isinstance(option, int) else options.filter(has_text=option)).click()
    wait_until_idle(page)


def generate(page) -> None:
    page.get_by_role("button", name="Generate story").click()
    wait_until_idle(page, timeout_ms=240_000)  # the first click loads TensorFlow and the model


def remove_uploads(page) -> None:
    """Remove every uploaded file with its own delete button, as a user does."""
    remove = page.get_by_test_id("stFileChipDeleteBtn").locator("button")
    while remove.count():
        remove.first.click()
        wait_until_idle(page)


@pytest.mark.browser
def test_generate_switching_inputs_compare_mode_and_phone(chromium, app_url, tmp_path):
    shots = screenshot_folder(tmp_path / "screenshots")
    photos = story_photos(tmp_path)

    with chromium_browser(chromium) as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(BROWSER_TIMEOUT_MS)
        page.goto(app_url)
        open_from_sidebar(page, "generate")
        page.get_by_role("heading", name="Generate a story").wait_for()
        wait_until_idle(page)

        # a dataset sequence, then another: the first story goes with its sequence
        page.get_by_text("A dataset sequence").click()
        wait_until_idle(page)
        pick(page, "Model", "tiny-lstm")
        generate(page)
        story_heading(page).wait_for()
        assert page.get_by_text("Reference stories of album test00").count() == 1
        pick(page, "Sequence from the dataset", 1)
        assert story_heading(page).count() == 0
        assert page.get_by_text("Reference stories of album").count() == 0

        # uploads: no story of the sequence; a story of their own; none once removed
        page.get_by_text("My photos").click()
        wait_until_idle(page)
        page.locator('input[type="file"]').set_input_files(photos)
        page.get_by_text("Photos: your 5 uploaded photos").first.wait_for()
        wait_until_idle(page)
        assert story_heading(page).count() == 0
        assert page.get_by_text("A file marked in red above was refused").count() == 1
        pick(page, "Model", "tiny-lstm")
        generate(page)
        story_heading(page).wait_for()
        page.get_by_text("photos: your 5 uploaded photos").first.wait_for()
        screenshot_whole_page(page, shots / "generate-upload-story.png")
        page.set_viewport_size({"width": 1280, "height": 900})

        # a phone: the story's photos two to a row, not one under the other
        page.set_viewport_size({"width": 390, "height": 844})
        wait_until_idle(page)
        story_heading(page).wait_for()
        tops = page.evaluate(
            "() => [...document.querySelectorAll('.st-key-photo-strip-generated "
            '[data-testid="stImage"] img\')].map((img) => img.getBoundingClientRect().top)'
        )
        assert len(tops) == 5 and len({round(top) for top in tops}) == 3, tops
        screenshot_whole_page(page, shots / "generate-phone.png")
        page.set_viewport_size({"width": 1280, "height": 900})

        # compare mode on uploaded photos: the models made for real photos, no demo pack
        page.get_by_text("Compare mode").click()
        wait_until_idle(page)
        models = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Models")
        chips = models.get_by_test_id("stMultiSelectTagsContainer").first.inner_text()
        chips = [chip for chip in chips.splitlines() if chip.strip()]
        assert any("tiny-lstm" in chip for chip in chips), chips
        assert not any("demo pack" in chip for chip in chips), chips
        assert page.get_by_text("learned from drawn scenes").count() == 0
        generate(page)
        page.get_by_role("heading", name="stories side by side").wait_for()
        assert fits_the_window(page), "compare mode scrolls sideways at 1280 px"
        screenshot_whole_page(page, shots / "generate-compare.png")
        page.set_viewport_size({"width": 1280, "height": 900})
        remove_uploads(page)
        assert story_heading(page).count() == 0
        assert page.get_by_text("Generate is off: no photo to write about").count() == 1

        # the language switch keeps the sidebar's data source selected
        sidebar = page.get_by_test_id("stSidebar")
        for language in ("Русский", "English"):
            pick(page, "Language", language)
            source = sidebar.locator('[data-testid="stRadio"]').first
            assert source.locator("input:checked").count() == 1, language
