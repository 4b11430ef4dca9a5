"""CSV cells a spreadsheet shows as text: a cell of user text starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return would run as a formula (``=HYPERLINK("http://…")``) when the
file is opened; such a cell gets a leading apostrophe, which spreadsheets read as "text"."""

from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """``value`` as a CSV cell: a string that a spreadsheet would read as a formula gets a
    leading ``'``; other values (numbers, None) are returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell, column name and index label made safe."""
    safe = frame.map(safe_cell)
    safe.columns = [safe_cell(column) for column in frame.columns]
    safe.index = frame.index.map(safe_cell)
    return safe
