"""The app's language: English or Russian, chosen in the sidebar and kept across pages.

Pages and app modules wrap every text they show in :func:`_` (or :func:`ngettext` where a number
decides the form: 1 альбом, 2 альбома, 5 альбомов). The default language comes from
``IMGSTORY_LANGUAGE``, then the browser's locale, else English.
"""

from __future__ import annotations

import os

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from imgstory.app.markup import literal
from imgstory.i18n import ENGLISH, LANGUAGES, N_, translations

__all__ = [
    "ENGLISH",
    "N_",
    "_",
    "current_language",
    "default_language",
    "error_text",
    "language_switch",
    "name_in",
    "ngettext",
    "number",
    "stories_language_note",
    "story_html",
    "streamlit_texts",
    "translate_columns",
    "translated_choice",
]

LANGUAGE_KEY = "language"
#: How each language groups thousands: 1,010 in English, 1 010 in Russian (a no-break space).
THOUSANDS = {"en": ",", "ru": "\u00a0"}
#: The switch's label says "language" in every language the app speaks (whoever opens it finds it).
LANGUAGE_WORDS = {"en": "Language", "ru": "Язык"}
LANGUAGE_ENV = "IMGSTORY_LANGUAGE"


def _supported(code: str | None) -> str | None:
    """The supported language of a code such as ``ru``, ``ru-RU`` or ``EN_us`` (None if none)."""
    language = (code or "").strip().replace("_", "-").split("-")[0].lower()
    return language if language in LANGUAGES else None


def _in_session() -> bool:
    """True on a thread running a page for a browser session (not the model thread, a test)."""
    return get_script_run_ctx(suppress_warning=True) is not None


def _browser_locale() -> str | None:
    """The browser's locale as Streamlit reports it (None outside a session)."""
    return st.context.locale if _in_session() else None


def default_language() -> str:
    """``IMGSTORY_LANGUAGE`` if it names a supported language, else the browser's, else English."""
    return _supported(os.environ.get(LANGUAGE_ENV)) or _supported(_browser_locale()) or ENGLISH


def current_language() -> str:
    """The session's language: the sidebar switch's value, else :func:`default_language`."""
    chosen = st.session_state.get(LANGUAGE_KEY) if _in_session() else None
    return chosen if chosen in LANGUAGES else default_language()


def _(message: str) -> str:
    """``message`` (English, as written in the code) in the session's language."""
    return translations(current_language()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form of ``singular``/``plural`` for ``count`` in the session's language (Russian has
    three forms); format the count in yourself: ``ngettext("{n} album", "{n} albums", n)``."""
    return translations(current_language()).ngettext(singular, plural, count)


def name_in(names: dict[str, str], key: str) -> str:
    """``names[key]`` (a text marked with ``N_``) in the session's language; a key the table
    does not hold (a metric or model id, say) is shown as it is."""
    return _(names[key]) if key in names else key


def number(value: int) -> str:
    """A whole number with its thousands grouped as the session's language writes them."""
    return f"{value:,}".replace(",", THOUSANDS.get(current_language(), ","))


#: Keys of choice widgets whose options are shown translated (:func:`translated_choice`).
_TRANSLATED_CHOICES: set[str] = set()


def translated_choice(key: str, default: object = None) -> str:
    """``key``, registered as the key of a choice widget (radio, selectbox, multiselect) whose
    options are shown translated; returns it for the widget's ``key=``.

    Streamlit's browser side holds a choice as its shown text: after a language switch that
    text is gone from the options, and the widget would show no option selected although the
    app still has its value. The switch sends each registered choice's value again. The
    widget's first value is ``default`` (given here, not as the widget's ``index=`` or
    ``default=``, which Streamlit would report as set twice), when not None.
    """
    _TRANSLATED_CHOICES.add(key)
    if default is not None:
        st.session_state.setdefault(key, default)
    return key


def _resend_translated_choices() -> None:
    """On a language switch: set each translated choice to its own value, so that the browser
    gets it in the new language."""
    for key in _TRANSLATED_CHOICES:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def language_switch() -> str:
    """The sidebar's language switch (drawn on every page by the router); returns the language."""
    if st.session_state.get(LANGUAGE_KEY) not in LANGUAGES:
        st.session_state[LANGUAGE_KEY] = default_language()
    with st.sidebar:
        return st.selectbox(
            " · ".join(LANGUAGE_WORDS[language] for language in LANGUAGES),
            list(LANGUAGES),
            format_func=LANGUAGES.get,
            key=LANGUAGE_KEY,
            on_change=_resend_translated_choices,
            help=_("The language of the app's texts. The stories stay English, as VIST's are."),
        )


STORIES_IN_ENGLISH = N_(
    "The stories are shown as written: VIST's stories, and the models' stories learned from "
    "them, are in English."
)


def stories_language_note() -> None:
    """Under stories, in any language but English: say that the stories themselves are English
    (no translation model runs here: nothing leaves the machine)."""
    if current_language() != ENGLISH:
        st.caption(_(STORIES_IN_ENGLISH))


#: Streamlit's own words on the file uploader (its button and size note), replaced in CSS since
#: Streamlit has no setting for them: the English text is set to size 0 and the translation is
#: drawn after it.
_UPLOADER_CSS = """<style>
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p,
[data-testid="stFileUploaderDropzoneInstructions"] span {{ font-size: 0; }}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {{
  content: "{button}"; font-size: 0.875rem; }}
[data-testid="stFileUploaderDropzoneInstructions"] span::after {{
  content: "{limit}"; font-size: 0.875rem; }}
</style>"""


def streamlit_texts(upload_limit_mb: int) -> None:
    """In any language but English, show Streamlit's own widget texts (the file uploader's
    "Upload" and "20MB per file") in that language; the router calls this on every page."""
    if current_language() == ENGLISH:
        return
    limit = _("at most {mb} MB per file").format(mb=upload_limit_mb)
    st.html(_UPLOADER_CSS.format(button=_("Upload"), limit=limit))


def story_html(text: str) -> str:
    """A story (or a sentence of one) for ``st.markdown(..., unsafe_allow_html=True)``: escaped
    (HTML and Markdown: :func:`imgstory.app.markup.literal`),
    and in a page in another language marked as English (``lang="en"``), so screen readers and
    hyphenation read it as English and the Russian browser test leaves it out of its check."""
    escaped = literal(text)
    return escaped if current_language() == ENGLISH else f'<span lang="en">{escaped}</span>'


def error_text(error: BaseException) -> str:
    """An error's message in the session's language: a :class:`~imgstory.errors.UserInputError`
    raised with a marked template is translated and filled in (a field that is itself a marked
    text, such as a format description, is translated too); any other message is shown as
    raised (the library's English)."""
    template, fields = getattr(error, "template", None), getattr(error, "fields", None) or {}
    if not isinstance(template, str):
        return str(error)
    translated = _(template)
    if not fields:
        return translated
    fields = {name: _(value) if isinstance(value, str) else value for name, value in fields.items()}
    return translated.format(**fields)


def translate_columns(table):
    """A table (``pandas.DataFrame``) with its column names in the session's language; the
    names a catalog does not hold (metric names, system keys) stay as they are."""
    return table.rename(columns=lambda name: _(name) if isinstance(name, str) else name)
