"""Typed config dataclasses, checked: every field's type from its annotation, ranges from a table,
and rebuilding a config from JSON with unknown fields refused.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, TypeVar

from imgstory.errors import UserInputError

T = TypeVar("T")


@dataclass(frozen=True)
class Bounds:
    """The range a number field may take: from ``low`` (excluded when ``above``) to ``high``;
    ``off``, when given, is one more value allowed outside the range (the one that turns an
    option off, e.g. 0 for an n-gram size that is otherwise at least 2)."""

    low: float
    high: float = math.inf
    above: bool = False
    high_included: bool = False
    off: float | None = None

    def holds(self, value: float) -> bool:
        """Whether ``value`` is in the range (or is ``off``)."""
        over_low = value > self.low if self.above else value >= self.low
        under_high = value <= self.high if self.high_included else value < self.high
        return (over_low and under_high) or value == self.off

    def __str__(self) -> str:
        if self.high == math.inf:
            text = f"{'more than' if self.above else 'at least'} {self.low}"
        else:
            opening = "(" if self.above else "["
            text = f"in {opening}{self.low}, {self.high}{']' if self.high_included else ')'}"
        return text if self.off is None else f"{self.off} (off) or {text}"


class FieldError(ValueError):
    """A config field with a wrong value: ``"<field> must be <what>, got <value>"``.

    The field, the requirement and the value are kept, so a caller can name the field its own
    way (the CLI names its option: ``--beam-size must be in [1, 16], got 20``).
    """

    def __init__(self, field: str, what: str, value: object) -> None:
        super().__init__(f"{field} must be {what}, got {value!r}")
        self.field = field
        self.what = what
        self.value = value


#: Annotation -> the Python types a value may have, and how a message names them.
_TYPES = {
    "int": ((int,), "a whole number"),
    "float": ((int, float), "a finite number"),
    "bool": ((bool,), "true or false"),
    "str": ((str,), "a text"),
}


def check_fields(config: object, limits: dict[str, Bounds | tuple[str, ...]]) -> None:
    """Check every field of a config dataclass for its type, then its range, naming the field.

    The type comes from the field's annotation (``int``, ``float``, ``bool`` or ``str``,
    optionally ``| None``), so a field added later is checked too; ``limits`` adds the ranges.

    Raises:
        FieldError: ``"<field> must be <what>, got <value>"`` for the first wrong field (a
            ValueError).
    """
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        names = [name.strip() for name in str(field.type).split("|")]
        if value is None and "None" in names:
            continue
        kinds = [_TYPES[name] for name in names if name in _TYPES]
        if kinds and not any(_has_type(value, types) for types, _ in kinds):
            wanted = " or ".join(what for _, what in kinds)
            raise FieldError(field.name, wanted, value)
        limit = limits.get(field.name)
        if isinstance(limit, Bounds) and not limit.holds(value):
            raise FieldError(field.name, str(limit), value)
        if isinstance(limit, tuple) and value not in limit:
            raise FieldError(field.name, f"one of {limit}", value)


def _has_type(value: Any, types: tuple[type, ...]) -> bool:
    """``isinstance``, except that a bool is no number and a number must be finite."""
    if isinstance(value, bool):
        return bool in types
    if isinstance(value, float) and not math.isfinite(value):
        return False
    return isinstance(value, types)


def config_from_json(cls: type[T], document: dict[str, Any], source: str) -> T:
    """Build a config dataclass from a dict, refusing unknown fields with a clear message."""
    if not isinstance(document, dict):
        raise UserInputError(f"{source}: expected a JSON object for {cls.__name__}")
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(document) - known)
    if unknown:
        raise UserInputError(
            f"{source}: unknown {cls.__name__} field(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}"
        )
    try:
        return cls(**document)
    except (TypeError, ValueError) as error:
        raise UserInputError(f"{source}: {error}") from None
