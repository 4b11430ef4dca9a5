"""The app in Russian as well as English: every text the app shows is in the Russian catalog,
the committed ``.mo`` is its ``.po`` compiled, app code passes displayed text through ``_()``,
Russian plural forms, translated error messages, and the language choice (``IMGSTORY_LANGUAGE``,
then the browser, else English; the sidebar switch holds across pages).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from devtools import catalog
from imgstory.app import i18n
from imgstory.errors import UserInputError
from imgstory.i18n import N_, translations
from imgstory.images import ImageLoadError
from imgstory.paths import REPO_ROOT

APP = str(REPO_ROOT / "streamlit_app.py")
#: The app's own code: the page scripts, the router and imgstory/app.
APP_SOURCES = [
    *sorted((REPO_ROOT / "app_pages").glob("*.py")),
    REPO_ROOT / "streamlit_app.py",
    *sorted((REPO_ROOT / "imgstory" / "app").glob("*.py")),
]
#: ``str.format`` fields ({name}, {value:.3f}), not doubled braces ({{ }}).
FIELD = re.compile(r"(?<!\{)\{(\w*)(?:[:!][^{}]*)?\}(?!\})")


def fields(text: str) -> set[str]:
    """The ``str.format`` field names of a text."""
    return set(FIELD.findall(text))


@pytest.fixture(scope="module")
def russian_catalog():
    """The Russian ``.po``, read by Babel (a development requirement, as for `make i18n`)."""
    pytest.importorskip("babel")
    from babel.messages.pofile import read_po

    with catalog.po_file("ru").open("rb") as po:
        return read_po(po, locale="ru")


@pytest.fixture
def in_russian(monkeypatch):
    """The session's language is Russian (no Streamlit session needed)."""
    monkeypatch.setattr(i18n, "current_language", lambda: "ru")


def test_every_marked_text_has_a_russian_translation(russian_catalog):
    """Every msgid the sources hold (babel.cfg: the app, the library texts it shows, the JSON
    assets' texts) is in the catalog, translated, not fuzzy, with the same format fields; and
    the catalog holds nothing the sources dropped."""
    extracted = catalog.extracted_messages()
    app_files = {str(path.relative_to(REPO_ROOT)) for path in APP_SOURCES}
    assert any(set(files) & app_files for files in extracted.values())
    problems = []
    for msgid, files in extracted.items():
        entry = russian_catalog.get(msgid)
        where = f"{msgid!r} ({files[0]})"
        if entry is None:
            problems.append(f"not in the catalog: {where}")
            continue
        forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if entry.fuzzy or not all(forms):
            problems.append(f"not translated: {where}")
            continue
        english = msgid if isinstance(msgid, tuple) else (msgid,)
        wanted = set().union(*(fields(text) for text in english))
        problems += [
            f"format fields {sorted(fields(form))} instead of {sorted(wanted)}: {where}"
            for form in forms
            if fields(form) != wanted
        ]
    extracted_ids = {msgid[0] if isinstance(msgid, tuple) else msgid for msgid in extracted}
    problems += [
        f"in the catalog, gone from the sources: {entry.id!r}"
        for entry in russian_catalog
        if entry.id
        and (entry.id[0] if isinstance(entry.id, tuple) else entry.id) not in extracted_ids
    ]
    assert not problems, "run `make i18n`, then translate in the .po:\n" + "\n".join(problems)


def test_the_committed_mo_is_the_po_compiled():
    pytest.importorskip("babel")
    assert catalog.mo_file("ru").read_bytes() == catalog.compiled("ru"), "run `make i18n`"


@pytest.mark.parametrize("path", APP_SOURCES, ids=lambda path: path.name)
def test_app_code_shows_no_text_without_the_catalog(path: Path):
    found = catalog.untranslated_texts(path.read_text(encoding="utf-8"), str(path))
    assert not found, "wrap these in _() (N_() for UserInputError):\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("source", "unmarked"),
    [
        ('st.title("Dataset explorer")', 1),
        ('st.title(_("Dataset explorer"))', 0),
        ('column.button(f"Run {n} tests")', 1),
        ('st.markdown(f"- {split}: {counts}")', 0),
        ('st.markdown(_("{n} albums").format(n=n))', 0),
        ('settings[0].selectbox("Model", options, format_func=_)', 1),
        ('st.slider(_("Beam width"), 1, 8, help="wider is slower")', 1),
        ('st.tabs(["Story 1", "Story 2"])', 2),
        ("st.info(results.DEMO_RESULTS_NOTE)", 1),
        ("st.info(_(results.DEMO_RESULTS_NOTE))", 0),
        ('figure(points, title=f"PCA of {n} photos")', 1),
        ('raise UserInputError(f"{path}: not a JSON file")', 1),
        ('raise UserInputError(N_("{path}: not a JSON file"), path=path)', 0),
        ('st.image(path, width="stretch")', 0),
    ],
)
def test_the_check_finds_english_shown_without_the_catalog(source, unmarked):
    assert len(catalog.untranslated_texts(source)) == unmarked


@pytest.mark.parametrize(
    ("count", "russian"),
    [(1, "1 альбом"), (2, "2 альбома"), (5, "5 альбомов"), (11, "11 альбомов"),
     (21, "21 альбом"), (22, "22 альбома"), (112, "112 альбомов")],
)  # fmt: skip
def test_russian_has_three_plural_forms(count, russian):
    ngettext = translations("ru").ngettext
    assert ngettext("{n} album", "{n} albums", count).format(n=count) == russian
    assert translations("en").ngettext("{n} album", "{n} albums", 1).format(n=1) == "1 album"


def test_the_default_language_comes_from_the_server_then_the_browser(monkeypatch):
    monkeypatch.delenv(i18n.LANGUAGE_ENV, raising=False)
    monkeypatch.setattr(i18n, "_browser_locale", lambda: None)
    assert i18n.default_language() == "en"
    monkeypatch.setattr(i18n, "_browser_locale", lambda: "ru-RU")
    assert i18n.default_language() == "ru"
    monkeypatch.setenv(i18n.LANGUAGE_ENV, "en")
    assert i18n.default_language() == "en"  # the server's setting wins
    monkeypatch.setenv(i18n.LANGUAGE_ENV, "RU")
    monkeypatch.setattr(i18n, "_browser_locale", lambda: "en-US")
    assert i18n.default_language() == "ru"
    monkeypatch.setenv(i18n.LANGUAGE_ENV, "de")  # not spoken here: the browser's, then English
    assert i18n.default_language() == "en"


def test_errors_marked_for_the_catalog_are_shown_translated(in_russian):
    empty = UserInputError(N_("{name}: the file is empty; upload the photo again"), name="a.jpg")
    assert str(empty) == "a.jpg: the file is empty; upload the photo again"  # the CLI's English
    assert i18n.error_text(empty) == "a.jpg: файл пуст; загрузите фотографию ещё раз"
    unreadable = ImageLoadError("b.png", N_("file not found"))
    assert i18n.error_text(unreadable) == "не удаётся прочитать фотографию b.png: файл не найден"
    assert i18n.error_text(UserInputError("an unmarked message")) == "an unmarked message"


def test_stories_are_marked_english_and_numbers_grouped(in_russian):
    assert i18n.story_html("we had <fun> & games") == (
        '<span lang="en">we had &lt;fun&gt; &amp; games</span>'
    )
    assert i18n.number(1010) == "1\u00a0010" and i18n.number(40) == "40"


# One run per AppTest below: AppTest finds a radio's value among its shown labels by str(), so
# a second run of a page whose labels are translated (format_func=_) cannot be simulated; the
# Russian browser test switches languages and moves between pages in a real session.
def test_imgstory_language_sets_the_server_default(monkeypatch):
    monkeypatch.setenv(i18n.LANGUAGE_ENV, "ru")
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    assert not app.exception, [error.value for error in app.exception]
    assert app.title[0].value == "IMG_Story — истории по фотографиям"
    assert "Данные" in [header.value for header in app.subheader]  # the sidebar too
    assert app.selectbox(key=i18n.LANGUAGE_KEY).value == "ru"


def test_the_switch_wins_over_the_server_default(monkeypatch):
    monkeypatch.setenv(i18n.LANGUAGE_ENV, "en")
    app = AppTest.from_file(APP, default_timeout=60)
    app.session_state[i18n.LANGUAGE_KEY] = "ru"  # what choosing Русский in the sidebar leaves
    app.run()
    assert not app.exception, [error.value for error in app.exception]
    assert app.title[0].value == "IMG_Story — истории по фотографиям"
