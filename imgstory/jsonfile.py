"""Reading JSON files and uploads with one-line errors naming the file and what it should be
(and the same check of an input folder); writing JSON with no bare ``NaN`` (:func:`json_text`).

:func:`read_json_streamed` reads big files (VIST story files) a chunk at a time, keeping only
what the caller keeps of each element of their large arrays.
"""

from __future__ import annotations

import codecs
import json
import math
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NoReturn

from imgstory.errors import UserInputError
from imgstory.i18n import N_

#: The largest JSON file read (bytes): far above VIST's biggest story file (~200 MB).
MAX_JSON_BYTES = 1 << 30
_TOO_DEEP = "nested too deeply (over ~1,000 levels of arrays or objects)"


def json_problem(error: BaseException) -> str:
    """What went wrong reading JSON, in a few words: Python's parser raises RecursionError for
    deep nesting and ValueError for an integer of over 4,300 digits, whose own messages point
    at Python settings; any other error (a syntax error, an OSError) says itself."""
    if isinstance(error, RecursionError):
        return _TOO_DEEP
    if "digits" in str(error):
        return "a number too long to read (over 4,300 digits)"
    if isinstance(error, OSError):
        return str(error.strerror or error)
    return str(error)


def _unreadable(name: str, error: BaseException, hint: str) -> UserInputError:
    """A parse failure that is not a syntax error, as one line (see :func:`json_problem`)."""
    return UserInputError(
        N_("{name}: not readable JSON ({problem}); {hint}"),
        name=name,
        problem=json_problem(error),
        hint=hint,
    )


def parse_json(data: bytes, name: str, hint: str) -> Any:
    """Parse JSON bytes; non-UTF-8 or malformed text is a :class:`UserInputError`.

    Args:
        data: the raw bytes.
        name: the file (or uploaded file) name the message starts with.
        hint: what the user should give instead, appended to the message
            (e.g. "expected an AREL reference file").
    """
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise UserInputError(
            N_("{name}: not UTF-8 text ({reason} at byte {byte}); {hint}"),
            name=name,
            reason=error.reason,
            byte=error.start,
            hint=hint,
        ) from None
    except json.JSONDecodeError as error:
        raise UserInputError(
            N_("{name}: not valid JSON (line {line}, column {column}: {problem}); {hint}"),
            name=name,
            line=error.lineno,
            column=error.colno,
            problem=error.msg,
            hint=hint,
        ) from None
    except (RecursionError, ValueError) as error:
        raise _unreadable(name, error, hint) from None


def read_json(path: str | Path, what: str) -> Any:
    """Parse a JSON file; a missing, non-UTF-8 or malformed file is a :class:`UserInputError`.

    Args:
        path: the file.
        what: what the file should be, for the message (e.g. "a VIST story-in-sequence file").
    """
    path = Path(path)
    check_input_file(path, what)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UserInputError(f"{path}: cannot read the file ({error.strerror or error})") from None
    return parse_json(data, str(path), f"expected {what}")


def check_input_file(path: Path, what: str, max_bytes: int | None = MAX_JSON_BYTES) -> None:
    """Refuse a missing path, a folder where a file is wanted, or a file over ``max_bytes``
    (None: any size, for inputs read a line at a time), saying which it is.

    Raises:
        UserInputError: names the path, what it is, and what was expected.
    """
    if path.is_dir():
        raise UserInputError(f"{path} is a folder, not a file (expected {what})")
    if not path.exists():
        raise UserInputError(f"{path}: file not found (expected {what})")
    if not path.is_file():
        raise UserInputError(f"{path} is not a regular file (expected {what})")
    if max_bytes is not None and path.stat().st_size > max_bytes:
        raise UserInputError(
            f"{path}: {path.stat().st_size:,} bytes, over the {max_bytes:,} a JSON input may "
            f"have (expected {what})"
        )


def json_text(document: Any, **options: Any) -> str:
    """``json.dumps`` of ``document`` with every NaN or infinite number written as ``null``.

    Python writes them as bare ``NaN``/``Infinity``, which is not JSON (other readers refuse it).

    Args:
        document: dicts, lists, tuples, strings, numbers (NumPy floats too), booleans, None.
        options: passed to ``json.dumps`` (``indent``, ``ensure_ascii``).
    """
    return json.dumps(_finite(document), allow_nan=False, **options)


def _finite(value: Any) -> Any:
    """``value`` with every non-finite float (NumPy's included) replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def check_input_folder(path: Path, what: str) -> None:
    """Refuse a missing path or a file where a folder is wanted, saying which it is.

    Raises:
        UserInputError: names the path, what it is, and what was expected.
    """
    if path.is_dir():
        return
    if path.exists():
        raise UserInputError(f"{path} is a file, not a folder (expected {what})")
    raise UserInputError(f"{path}: folder not found (expected {what})")


#: Characters decoded at a time by :func:`read_json_streamed` (~4 MB of an ASCII file).
CHUNK_BYTES = 1 << 22
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def read_json_streamed(
    path: str | Path,
    what: str,
    lists: Mapping[str, Callable[[int, Any], Any]],
) -> Any:
    """Parse a JSON file whose big arrays are reduced element by element while it is read.

    The file is decoded a few MB at a time, and each element of the top-level arrays named in
    ``lists`` is handed to its function as soon as it is parsed; only what the function returns
    is kept (``None``: nothing). A 200 MB story file so costs little more than what is kept of
    it, where :func:`read_json` holds its bytes, its text and every parsed object at once.

    Args:
        path: the file.
        what: what the file should be, for the messages.
        lists: top-level key -> ``(position, element) -> kept value or None``. A key whose value
            is not an array is parsed whole, as any other key.

    Returns:
        The top-level value; the keys in ``lists`` map to the lists of kept values.

    Raises:
        UserInputError: as :func:`read_json` (missing, a folder, not UTF-8, not JSON).
    """
    path = Path(path)
    check_input_file(path, what)
    try:
        stream = open(path, "rb")  # noqa: SIM115
    except OSError as error:
        raise UserInputError(f"{path}: cannot read the file ({error.strerror or error})") from None
    with stream:
        reader = _ChunkedText(stream, str(path), f"expected {what}")
        return reader.document(lists)


class _ChunkedText:
    """A UTF-8 JSON file decoded a chunk at a time; positions are absolute character offsets."""

    def __init__(self, stream: Any, name: str, hint: str) -> None:
        self.stream, self.name, self.hint = stream, name, hint
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.window = ""  # the decoded text not yet consumed
        self.base = 0  # absolute offset of window[0]
        self.lines_before = 0  # line breaks before base
        self.line_start = 0  # absolute offset where base's line starts
        self.bytes_read = 0
        self.ended = False

    def document(self, lists: Mapping[str, Callable[[int, Any], Any]]) -> Any:
        """The whole top-level value, with the named arrays reduced as they are read."""
        position = self._skip(0)
        if self._char(position) != "{":
            value, position = self._value(position)
            self._expect_end(position)
            return value
        result: dict[str, Any] = {}
        position = self._skip(position + 1)
        if self._char(position) == "}":
            self._expect_end(position + 1)
            return result
        while True:
            key, position = self._value(position)
            if not isinstance(key, str):
                self._fail("Expecting property name enclosed in double quotes", position)
            position = self._skip(position)
            if self._char(position) != ":":
                self._fail("Expecting ':' delimiter", position)
            position = self._skip(position + 1)
            if key in lists and self._char(position) == "[":
                result[key], position = self._array(position, lists[key])
            else:
                result[key], position = self._value(position)
            position = self._skip(position)
            separator = self._char(position)
            if separator == "}":
                self._expect_end(position + 1)
                return result
            if separator != ",":
                self._fail("Expecting ',' delimiter", position)
            position = self._skip(position + 1)

    def _array(self, position: int, keep: Callable[[int, Any], Any]) -> tuple[list, int]:
        kept: list[Any] = []
        position = self._skip(position + 1)
        if self._char(position) == "]":
            return kept, position + 1
        index = 0
        while True:
            element, position = self._value(position)
            self._forget(position)
            reduced = keep(index, element)
            if reduced is not None:
                kept.append(reduced)
            index += 1
            position = self._skip(position)
            separator = self._char(position)
            if separator == "]":
                return kept, position + 1
            if separator != ",":
                self._fail("Expecting ',' delimiter", position)
            position = self._skip(position + 1)

    def _value(self, position: int) -> tuple[Any, int]:
        """Parse one value at ``position``, decoding more of the file while it is cut short."""
        while True:
            relative = position - self.base
            try:
                value, end = _DECODER.raw_decode(self.window, relative)
            except json.JSONDecodeError as error:
                if self._more():
                    continue  # the value may only have been cut by the chunk's end
                self._fail(error.msg, self.base + error.pos)
            except (RecursionError, ValueError) as error:
                raise _unreadable(self.name, error, self.hint) from None
            if end == len(self.window) and self._more():
                continue  # a number at the chunk's end may go on ("12" of "123")
            return value, self.base + end

    def _skip(self, position: int) -> int:
        while True:
            relative = position - self.base
            end = _WHITESPACE.match(self.window, relative).end()
            if end < len(self.window) or not self._more():
                return self.base + end

    def _char(self, position: int) -> str:
        while position - self.base >= len(self.window):
            if not self._more():
                return ""
        return self.window[position - self.base]

    def _expect_end(self, position: int) -> None:
        position = self._skip(position)
        if self._char(position):
            self._fail("Extra data", position)

    def _more(self) -> bool:
        """Decode the next chunk into the window; False at the end of the file."""
        if self.ended:
            return False
        data = self.stream.read(CHUNK_BYTES)
        try:
            text = self.decoder.decode(data, final=not data)
        except UnicodeDecodeError as error:
            raise UserInputError(
                f"{self.name}: not UTF-8 text ({error.reason} at byte "
                f"{self.bytes_read + error.start}); {self.hint}"
            ) from None
        self.bytes_read += len(data)
        self.ended = not data
        self.window += text
        return bool(data)

    def _forget(self, position: int) -> None:
        """Drop the text before ``position`` (consumed), keeping line numbers right."""
        relative = position - self.base
        if relative < CHUNK_BYTES // 4:
            return  # not worth copying the window yet
        consumed = self.window[:relative]
        breaks = consumed.count("\n")
        if breaks:
            self.lines_before += breaks
            self.line_start = self.base + consumed.rfind("\n") + 1
        self.window = self.window[relative:]
        self.base = position

    def _fail(self, message: str, position: int) -> NoReturn:
        relative = position - self.base
        line = self.lines_before + self.window.count("\n", 0, relative) + 1
        last_break = self.window.rfind("\n", 0, relative)
        start = self.base + last_break + 1 if last_break >= 0 else self.line_start
        raise UserInputError(
            f"{self.name}: not valid JSON (line {line}, column {position - start + 1}: "
            f"{message}); {self.hint}"
        )
