"""The app in Russian in a real browser: every page served with ``IMGSTORY_LANGUAGE=ru`` shows no
English beyond what stays English on purpose (metric names, model and dataset names, ids, file
names, commands, the stories themselves), and the sidebar's language switch holds across pages.

One served app for every visit. Screenshots go to ``tmp_path/screenshots-ru`` (or
``$IMGSTORY_SCREENSHOTS`` when set, to keep them).
"""

from __future__ import annotations

import re

import pytest
from human_fixtures import demo_study

from devtools.appserver import (
    BROWSER_TIMEOUT_MS,
    chromium_browser,
    open_from_sidebar,
    screenshot_folder,
    screenshot_whole_page,
    served_app,
    wait_until_idle,
)

STUDY = "demo"
#: Page path -> its Russian title (the first heading). The Human evaluation page opens a study's
#: rating view (photos, two stories, a question) for a rater named in the link.
PAGES = {
    "": "IMG_Story — истории по фотографиям",
    "explore": "Обзор набора данных",
    "generate": "Генерация истории",
    "features": "Графики признаков",
    "compare": "Сравнение моделей",
    "thesis": "Рассказывает ли последовательная модель",
    f"human?project=browser&study={STUDY}&rater=Анна": "Оценка людьми",
}
#: Latin-script words that stay as they are in Russian text: metric, model, method, dataset and
#: software names, units, the data's own ids (split names, file formats, the demo pack's system
#: keys, which name its predictions files), and the language switch's "Language · Язык".
_KEPT_WORDS = """
    METEOR ROUGE ROUGE-L BLEU BLEU-4 CIDEr CIDEr-D RoViST-NR non-redundancy distinct distinct-n IDF
    VIST VIST-Edit IMG_Story LSTM GRU Seq2Seq GloVe GloVe-50 Xception ImageNet EfficientNet-Lite0
    PCA t-SNE HOG LBP softmax GNMT AREL KAGS PR-VIST TAPM CST GAN XE-ss HSRL IRW ReCo-RL
    Flickr Java Pillow SQLite JSON CSV LaTeX JPEG PNG GIF jpg jpeg png gif webp bmp tif tiff
    coco-caption closest beta hter top-p top-k NAACL Huang et al train val test MIT
    A B p n i d t T Language Greedy
    lstm-beam lstm-greedy gru-beam gru-greedy retrieval random
"""
KEPT = frozenset(_KEPT_WORDS.split())
#: What a Latin word may also be: an id or file name (digits, dots, slashes, underscores).
TECHNICAL = re.compile(r"^[\w./<>{}-]*[\d./_<>{}][\w./<>{}-]*$")
#: The text a reader sees, minus what is English on purpose: stories (an element marked
#: ``lang="en"`` inside the page; Streamlit's own ``<html lang="en">`` does not count), code and
#: commands, and Material icon names. Tables drawn on a canvas (``st.dataframe``) are read from
#: the grid's accessible cells; a cell of VIST-tokenised text (words and " . ") is a story.
VISIBLE_TEXT = """() => {
  const cells = [...document.querySelectorAll(
    '[data-testid="stDataFrame"] th, [data-testid="stDataFrame"] td')]
    .map((cell) => cell.textContent).filter((text) => !text.includes(' . '));
  const skip = 'code, pre, script, style, noscript, [data-testid="stIconMaterial"]';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const parts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    if (!element || element.closest(skip)) continue;
    const marked = element.closest('[lang]');
    if (marked && marked !== document.documentElement && marked.lang === 'en') continue;
    // hidden, clipped to a pixel (the skip link), or drawn at size 0 (texts replaced in CSS)
    const box = element.getBoundingClientRect();
    if (!element.checkVisibility({visibilityProperty: true, opacityProperty: true})) continue;
    if (box.width <= 1 || box.height <= 1 || getComputedStyle(element).fontSize === '0px') continue;
    parts.push(node.textContent);
  }
  return parts.concat(cells).join(' ');
}"""


def english_words(text: str) -> list[str]:
    """The Latin-script words of ``text`` that are neither kept names nor ids / file names."""
    found = []
    for token in re.findall(r"[A-Za-z][A-Za-z0-9./<>{}'_-]*", text):
        word = token.strip(".,:;'-")
        if word and word not in KEPT and not TECHNICAL.match(word):
            found.append(word)
    return found


@pytest.fixture
def russian_app(tmp_path):
    """The app served with ``IMGSTORY_LANGUAGE=ru`` on the demo pack, with one human study."""
    data = tmp_path / "data"
    demo_study(data / "human" / "browser.sqlite", STUDY, 1, per_item=2, aspects=("relevance",))
    env = {
        "IMGSTORY_LANGUAGE": "ru",
        "IMGSTORY_DATA_DIR": str(data),
        "IMGSTORY_VIST_DIR": "",
        "IMGSTORY_MODELS_DIR": "",
    }
    with served_app(env, log=tmp_path / "streamlit.log") as url:
        yield url


def test_english_words_keeps_names_and_ids_and_finds_english():
    assert english_words("Модель VIST LSTM: METEOR 0.31, файл test_reference.json") == []
    assert english_words("Альбом 7000003 (test), история 70001") == []
    assert english_words("Загрузка the model (once per server)…") == [
        "the", "model", "once", "per", "server"
    ]  # fmt: skip


@pytest.mark.browser
def test_every_page_in_russian_in_a_real_browser(chromium, russian_app, tmp_path):
    shots = screenshot_folder(tmp_path / "screenshots-ru")
    left_in_english = {}
    with chromium_browser(chromium) as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-US")
        page.set_default_timeout(BROWSER_TIMEOUT_MS)
        page.goto(russian_app)
        for path, title in PAGES.items():
            if "?" in path:  # a link with its own query (the rater's name)
                page.goto(f"{russian_app}/{path}")
            else:  # from page to page by the sidebar, as a user goes
                open_from_sidebar(page, path)
            page.get_by_role("heading", name=title).first.wait_for(timeout=60_000)
            wait_until_idle(page)
            name = path.split("?")[0] or "home"
            assert page.locator('[data-testid="stException"]').count() == 0, name
            screenshot_whole_page(page, shots / f"ru-{name}.png")
            page.set_viewport_size({"width": 1280, "height": 900})
            words = english_words(page.evaluate(VISIBLE_TEXT))
            if words:
                left_in_english[name] = sorted(set(words))

        # the switch: English on this page, still English on the next one (in-app link)
        open_from_sidebar(page, "explore")
        page.get_by_role("heading", name=PAGES["explore"]).wait_for(timeout=60_000)
        wait_until_idle(page)
        page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
        page.get_by_role("option", name="English").click()
        page.get_by_role("heading", name="Dataset explorer").wait_for(timeout=60_000)
        page.locator('[data-testid="stSidebarNav"] a', has_text="Model comparison").click()
        page.get_by_role("heading", name="Model comparison").wait_for(timeout=60_000)
        wait_until_idle(page)
        screenshot_whole_page(page, shots / "ru-switched-to-english.png")
    assert not left_in_english, left_in_english
