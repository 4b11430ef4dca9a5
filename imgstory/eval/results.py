"""The results schema: the typed pieces every results file is made of, and how a file is read.

One vocabulary for every producer and reader (the demo build, ``imgstory vist score``,
``imgstory grounding``, ``imgstory evaluate``, ``imgstory published`` and the app):

- an :class:`Interval` is ``{"value": v, "ci95": [low, high]}``;
- a :class:`PairedTest` (system A minus system B on the same albums) is ``{"value_a",
  "value_b", "difference", "ci95": [low, high], "p_value", "albums", "resamples"}``;
- :class:`SystemScores` are one system's metrics: intervals and plain values side by side.

Each results document names its layout in ``"schema"`` (e.g. ``"imgstory/real-photo-results/2"``);
:func:`read_results` refuses a file of another or an older layout in one line naming the file
and the command that rewrites it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from imgstory.errors import UserInputError
from imgstory.i18n import N_

#: The key naming a results document's layout.
SCHEMA_KEY = "schema"
#: Significance level of the paired tests (two-sided).
SIGNIFICANCE = 0.05


def finite(value: float | None) -> float | None:
    """``value`` as a float, None when undefined (None or NaN): JSON has no NaN."""
    return None if value is None or math.isnan(value) else float(value)


def _number(value: object) -> float:
    """A stored number (null: NaN); anything else is a malformed file."""
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, found {value!r}")
    return float(value)


def _rounded(value: float | None, digits: int) -> float | None:
    """``value`` rounded (None stays None; NaN stays NaN)."""
    return None if value is None else round(float(value), digits)


def _pair(document: Mapping[str, Any]) -> tuple[float, float]:
    """``ci95``'s ``[low, high]`` (null: NaN, NaN)."""
    bounds = document["ci95"]
    if bounds is None:
        return math.nan, math.nan
    low, high = bounds
    return _number(low), _number(high)


@dataclass(frozen=True)
class Interval:
    """A value and its 95% bootstrap interval (NaN where undefined, null in JSON)."""

    value: float
    low: float
    high: float

    def rounded(self, digits: int = 4) -> Interval:
        """The interval with every number rounded (as results files store them)."""
        return Interval(
            round(self.value, digits), round(self.low, digits), round(self.high, digits)
        )

    def to_json(self) -> dict[str, Any]:
        """``{"value": v, "ci95": [low, high]}``."""
        return {"value": finite(self.value), "ci95": [finite(self.low), finite(self.high)]}

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> Interval:
        """The inverse of :meth:`to_json`."""
        return cls(_number(document["value"]), *_pair(document))


@dataclass(frozen=True)
class PairedTest:
    """System A minus system B on one metric, on the albums both scored (paired bootstrap).

    Attributes:
        difference: A minus B on all shared albums.
        low, high: the difference's 95% interval.
        p_value: two-sided.
        albums: albums both scored.
        value_a, value_b: each system's value on those albums (None where not recorded).
        resamples: bootstrap resamples (None where not recorded).
    """

    difference: float
    low: float
    high: float
    p_value: float
    albums: int
    value_a: float | None = None
    value_b: float | None = None
    resamples: int | None = None

    @property
    def significant(self) -> bool:
        """p below :data:`SIGNIFICANCE` (two-sided)."""
        return self.p_value < SIGNIFICANCE

    def rounded(self, digits: int = 4) -> PairedTest:
        """The test with every real number rounded (as results files store them)."""
        return replace(
            self,
            difference=round(self.difference, digits),
            low=round(self.low, digits),
            high=round(self.high, digits),
            p_value=round(self.p_value, digits),
            value_a=_rounded(self.value_a, digits),
            value_b=_rounded(self.value_b, digits),
        )

    def to_json(self) -> dict[str, Any]:
        """``{"value_a", "value_b", "difference", "ci95", "p_value", "albums", "resamples"}``."""
        return {
            "value_a": None if self.value_a is None else finite(self.value_a),
            "value_b": None if self.value_b is None else finite(self.value_b),
            "difference": finite(self.difference),
            "ci95": [finite(self.low), finite(self.high)],
            "p_value": finite(self.p_value),
            "albums": self.albums,
            "resamples": self.resamples,
        }

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> PairedTest:
        """The inverse of :meth:`to_json`."""
        value_a, value_b, resamples = (document[key] for key in ("value_a", "value_b", "resamples"))
        return cls(
            _number(document["difference"]),
            *_pair(document),
            p_value=_number(document["p_value"]),
            albums=int(document["albums"]),
            value_a=None if value_a is None else _number(value_a),
            value_b=None if value_b is None else _number(value_b),
            resamples=None if resamples is None else int(resamples),
        )


@dataclass(frozen=True)
class SystemScores:
    """One system's metrics: those with an interval, and plain values (e.g. theme accuracy).

    JSON: ``{metric: {"value", "ci95"}, ..., name: number, ...}`` (one object, metric keys as
    the scorers name them).
    """

    intervals: dict[str, Interval]
    values: dict[str, float | None] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The metrics, intervals first."""
        plain = {key: None if v is None else finite(v) for key, v in self.values.items()}
        return {**{key: i.to_json() for key, i in self.intervals.items()}, **plain}

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> SystemScores:
        """The inverse of :meth:`to_json`."""
        intervals, values = {}, {}
        for key, entry in document.items():
            if isinstance(entry, Mapping):
                intervals[key] = Interval.from_json(entry)
            else:
                values[key] = None if entry is None else _number(entry)
        return cls(intervals, values)


Document = TypeVar("Document")


#: Why a document is refused (fields of :data:`REFUSED`, translated in the app).
NOT_AN_OBJECT = N_("not a JSON object")
OLDER_LAYOUT = N_("a results file of an older layout")
OTHER_LAYOUT = N_("a results file of another layout")
REFUSED = N_("{where}: {problem}; rewrite it with `{builder}`")
MALFORMED = N_("{where}: malformed results ({detail}); rewrite it with `{builder}`")


def layout_problem(document: object, schema: str) -> str | None:
    """Why ``document`` is not of layout ``schema`` (None when it is)."""
    if not isinstance(document, dict):
        return NOT_AN_OBJECT
    found = document.get(SCHEMA_KEY)
    if found == schema:
        return None
    return OTHER_LAYOUT if found else OLDER_LAYOUT


def parse_results(
    document: object,
    schema: str,
    from_json: Callable[[dict[str, Any]], Document],
    where: object,
    builder: str,
) -> Document:
    """A document of layout ``schema`` read with ``from_json``.

    Raises:
        UserInputError: another or an older layout, or a malformed document (one line naming
            ``where`` and ``builder``).
    """
    problem = layout_problem(document, schema)
    if problem is not None:
        raise UserInputError(REFUSED, where=str(where), problem=problem, builder=builder)
    try:
        return from_json(document)  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        detail = f"no {error}" if isinstance(error, KeyError) else str(error).splitlines()[0]
        raise UserInputError(MALFORMED, where=str(where), detail=detail, builder=builder) from None


def read_results(
    path: str | Path,
    schema: str,
    from_json: Callable[[dict[str, Any]], Document],
    builder: str,
) -> Document:
    """Read a results file of layout ``schema`` (see :func:`parse_results`).

    Raises:
        UserInputError: the file is missing or not JSON, or of another layout.
    """
    from imgstory.jsonfile import read_json

    document = read_json(Path(path), f"a results file written by `{builder}`")
    return parse_results(document, schema, from_json, path, builder)
