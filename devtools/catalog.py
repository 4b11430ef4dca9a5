"""The message catalog's tooling: an extractor for the texts of the app's JSON assets (named in
``babel.cfg``), and the extraction and compilation the catalog tests compare with the files.

``make i18n`` runs Babel's own commands (extract, update, compile) with ``babel.cfg``. Babel is a
development tool here (requirements-dev.txt): the app reads the compiled ``.mo`` files with the
standard library's ``gettext``.
"""

from __future__ import annotations

import ast
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from imgstory.i18n import DOMAIN, ENGLISH, LANGUAGES, LOCALE_DIR
from imgstory.paths import REPO_ROOT

BABEL_CONFIG = REPO_ROOT / "babel.cfg"
#: The languages with a catalog of their own (English is the source texts).
TRANSLATED = tuple(language for language in LANGUAGES if language != ENGLISH)


def po_file(language: str) -> Path:
    """The editable catalog of ``language``."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_file(language: str) -> Path:
    """The compiled catalog of ``language`` (what the app reads)."""
    return po_file(language).with_suffix(".mo")


def _listed(options: dict[str, str], name: str) -> set[str]:
    return {item.strip() for item in options.get(name, "").split(",") if item.strip()}


def json_texts(document: Any, keys: set[str], names_of: set[str]) -> Iterator[str]:
    """The texts of a JSON document: string values under ``keys`` and the names (dict keys) of
    the objects under ``names_of``, anywhere in the document, in document order."""
    if isinstance(document, dict):
        for key, value in document.items():
            if key in names_of and isinstance(value, dict):
                yield from value
            if key in keys and isinstance(value, str):
                yield value
            yield from json_texts(value, keys, names_of)
    elif isinstance(document, list):
        for item in document:
            yield from json_texts(item, keys, names_of)


def extract_json(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: dict[str, str]
) -> Iterator[tuple[int, None, str, list[str]]]:
    """Babel's extraction method for JSON assets (in ``babel.cfg``: ``keys = a, b`` and
    ``names_of = c``): each distinct text once, with the line it first appears on."""
    raw = fileobj.read().decode("utf-8")
    lines = raw.splitlines()
    texts = json_texts(json.loads(raw), _listed(options, "keys"), _listed(options, "names_of"))
    for text in dict.fromkeys(texts):
        quoted = json.dumps(text, ensure_ascii=False)
        line = next((n for n, content in enumerate(lines, start=1) if quoted in content), 1)
        yield line, None, text, []


def extracted_messages() -> dict[str | tuple[str, ...], list[str]]:
    """Every message the sources hold now (``babel.cfg``'s files, as ``make i18n`` extracts them):
    ``msgid`` (a ``(singular, plural)`` tuple for plural forms) -> the files it is in."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with BABEL_CONFIG.open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config, str(BABEL_CONFIG))
    found: dict[str | tuple[str, ...], list[str]] = {}
    for path, _line, message, _comments, _context in extract_from_dir(
        REPO_ROOT, method_map, options_map
    ):
        found.setdefault(message, []).append(path)
    return found


def compiled(language: str) -> bytes:
    """``language``'s ``.po`` compiled to ``.mo`` bytes as ``pybabel compile`` writes them (fuzzy
    entries left out)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_file(language).open("rb") as po:
        catalog = read_po(po, locale=language)
    output = io.BytesIO()
    write_mo(output, catalog, use_fuzzy=False)
    return output.getvalue()


#: Streamlit calls whose first argument is text the user reads (a label, a body, a title).
DISPLAY_CALLS = frozenset(
    (
        *("title", "header", "subheader", "markdown", "caption", "write", "text", "toast"),
        *("info", "warning", "error", "success", "metric", "spinner", "status", "progress"),
        *("button", "download_button", "link_button", "page_link", "form_submit_button"),
        *("checkbox", "toggle", "radio", "selectbox", "multiselect", "select_slider", "slider"),
        *("text_input", "text_area", "number_input", "date_input", "time_input"),
        *("file_uploader", "camera_input", "color_picker", "segmented_control", "pills"),
        *("expander", "tabs", "popover"),
    )
)
#: Keyword arguments that are text the user reads, in any call (Streamlit's, the figures').
TEXT_KEYWORDS = frozenset({"help", "placeholder", "label", "caption", "text", "title", "legend"})
#: Calls that mark or translate a text (their arguments are the catalog's msgids).
MARKERS = frozenset({"_", "N_", "ngettext", "gettext"})
_WORD = re.compile(r"[A-Za-z]{2,}")


def _call_name(call: ast.Call) -> str:
    function = call.func
    if isinstance(function, ast.Attribute):
        return function.attr
    return function.id if isinstance(function, ast.Name) else ""


def _unmarked(node: ast.expr) -> list[ast.expr]:
    """The parts of a displayed value that show untranslated English: a string with words, an
    f-string whose own text has words, or a module constant (``NOTE``, ``x.HELP``) not passed
    through ``_()``; lists and tuples (``st.tabs([...])``) are looked into."""
    if isinstance(node, ast.Constant):
        return [node] if isinstance(node.value, str) and _WORD.search(node.value) else []
    if isinstance(node, ast.JoinedStr):
        own = "".join(p.value for p in node.values if isinstance(p, ast.Constant))
        return [node] if _WORD.search(own) else []
    if isinstance(node, ast.List | ast.Tuple):
        return [part for element in node.elts for part in _unmarked(element)]
    if isinstance(node, ast.BinOp):
        return _unmarked(node.left) + _unmarked(node.right)
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    if isinstance(node, ast.Name | ast.Attribute) and len(name) > 1 and name.isupper():
        return [node]
    return []


def untranslated_texts(source: str, filename: str = "<source>") -> list[str]:
    """Texts a user would read in English whatever the language: literal or constant text
    passed to a Streamlit display call or a text keyword (``help=``, ``title=``...) without
    ``_()``, and ``UserInputError`` messages not marked with ``N_()``.

    Returns:
        ``file:line: text`` for each, in source order.
    """
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.Call) or _call_name(node) in MARKERS:
            continue
        name = _call_name(node)
        shown = list(node.args[:1]) if name in DISPLAY_CALLS | {"UserInputError"} else []
        shown += [keyword.value for keyword in node.keywords if keyword.arg in TEXT_KEYWORDS]
        for value in shown:
            found += [f"{filename}:{part.lineno}: {ast.unparse(part)}" for part in _unmarked(value)]
    return sorted(set(found), key=lambda line: int(line.split(":")[1]))
