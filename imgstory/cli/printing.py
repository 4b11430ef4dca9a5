"""How the CLI's tables show a number: a missing or undefined one as ``n/a``, never ``nan``."""

from __future__ import annotations

import math

#: A number that is not there (None) or not defined (NaN, infinite), as tables show it.
NOT_AVAILABLE = "n/a"


def number(value: float | None, spec: str = ".4f") -> str:
    """``value`` formatted with ``spec`` (e.g. ``.4f``, ``.0%``), or ``n/a`` when it is None,
    NaN or infinite."""
    if value is None or not math.isfinite(value):
        return NOT_AVAILABLE
    return format(value, spec)
