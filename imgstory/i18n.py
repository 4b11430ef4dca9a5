"""The message catalogs (gettext, ``imgstory/locale/<language>/LC_MESSAGES/imgstory.mo``) and the
marker :func:`N_` for English texts below the app layer that the app shows translated.

The CLI stays English: only ``imgstory.app`` picks a language and looks texts up here.
"""

from __future__ import annotations

import functools
import gettext
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "imgstory"
#: Language code -> its name, written in that language (the switch shows these).
LANGUAGES = {"en": "English", "ru": "Русский"}
ENGLISH = "en"


@functools.cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalog of ``language``; English (the source texts themselves) when it has none."""
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


def N_(message: str) -> str:
    """Mark ``message`` for extraction into the catalog and return it unchanged.

    Library modules (help texts, error templates) use it: the CLI prints the English text, and
    the app translates the same text where it shows it (``imgstory.app.i18n``).
    """
    return message
