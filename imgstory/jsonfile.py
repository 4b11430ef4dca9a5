"""Reading JSON files and uploads with one-line errors naming the file and what it should be."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from imgstory.errors import UserInputError


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
            f"{name}: not UTF-8 text ({error.reason} at byte {error.start}); {hint}"
        ) from None
    except json.JSONDecodeError as error:
        raise UserInputError(
            f"{name}: not valid JSON (line {error.lineno}, column {error.colno}: {error.msg}); "
            f"{hint}"
        ) from None


def read_json(path: str | Path, what: str) -> Any:
    """Parse a JSON file; a missing, non-UTF-8 or malformed file is a :class:`UserInputError`.

    Args:
        path: the file.
        what: what the file should be, for the message (e.g. "a VIST story-in-sequence file").
    """
    path = Path(path)
    if not path.is_file():
        raise UserInputError(f"{path}: file not found (expected {what})")
    return parse_json(path.read_bytes(), str(path), f"expected {what}")
