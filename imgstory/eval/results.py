"""The results schema: the typed pieces every results file is made of, and how a file is read.

One vocabulary for every producer and reader (the demo build, ``imgstory vist score``,
``imgstory grounding``, ``imgstory evaluate``, ``imgstory published`` and the app):

- an :class:`Interval` is ``{"value": v, "ci95": [low, high]}``;
- a :class:`PairedTest` (system A minus system B on the same albums) is ``{"value_a",
  "value_b", "difference", "ci95": [low, high], "p_value", "albums", "resamples"}``;
- :class:`SystemScores` are one system's metrics: intervals and plain values side by side.

The documents: :class:`SummaryResults` (a results folder's ``summary.json``, the demo build's),
:class:`~imgstory.eval.report.RealPhotoReport` and :class:`~imgstory.eval.report.GroundingReport`
(``assets/results/``), and the published registry's entries
(:class:`~imgstory.eval.published.PublishedResult`, each entry checked as it is read). The files
the builders write name their layout in ``"schema"`` (e.g. ``"imgstory/real-photo-results/2"``);
:func:`read_results` refuses a file of another or an older layout in one line naming the file
and the command that rewrites it. :data:`DISPLAY_NAMES` is
how the app names the fields.
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
#: The columns of a table of intervals (after ``system`` and ``metric``): the fields of
#: :class:`Interval`.
INTERVAL_COLUMNS = ("value", "low", "high")
#: The columns of a table of paired tests (after ``metric``): the fields of :class:`PairedTest`.
PAIRED_COLUMNS = (
    "value_a",
    "value_b",
    "difference",
    "low",
    "high",
    "p_value",
    "albums",
    "resamples",
)
#: How the app names the schema's fields and the tables' other columns (the one table of
#: display names; the catalog translates the marked ones).
DISPLAY_NAMES = {
    "value": N_("value"),
    "low": N_("95% CI low"),
    "high": N_("95% CI high"),
    "value_a": "A",
    "value_b": "B",
    "difference": N_("difference"),
    "p_value": "p",
    "albums": N_("albums"),
    "resamples": N_("resamples"),
    "system": N_("system"),
    "metric": N_("metric"),
    "comparison": N_("comparison"),
}


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

    def row(self) -> dict[str, float]:
        """The interval as a table row's cells (:data:`INTERVAL_COLUMNS`)."""
        return {"value": self.value, "low": self.low, "high": self.high}

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

    def row(self) -> dict[str, Any]:
        """The test as a table row's cells (:data:`PAIRED_COLUMNS`)."""
        return {column: getattr(self, column) for column in PAIRED_COLUMNS}

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> PairedTest:
        """The inverse of :meth:`row` (other cells of the row are ignored; a missing value,
        a NaN ``value_a``, ``value_b`` or ``resamples`` is None)."""

        def optional(column: str) -> Any:
            value = row.get(column)
            return None if value is None or value != value else value  # NaN != NaN

        resamples = optional("resamples")
        return cls(
            float(row["difference"]),
            float(row["low"]),
            float(row["high"]),
            float(row["p_value"]),
            int(row["albums"]),
            value_a=optional("value_a"),
            value_b=optional("value_b"),
            resamples=None if resamples is None else int(resamples),
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


#: The command that writes a results folder's ``summary.json`` (named when an old one is refused).
SUMMARY_BUILDER = "imgstory demo build --out DIR"


def pair_key(first: str, second: str) -> str:
    """How a summary's ``comparisons`` name a pair: ``"a vs b"`` (a minus b)."""
    return f"{first} vs {second}"


@dataclass(frozen=True)
class SummaryResults:
    """A results folder's ``summary.json``: every system's AREL scores with intervals, and the
    paired tests of the thesis model against the others (the demo build writes it; a user's own
    runs may be summarised in the same layout).

    Attributes:
        systems: system key -> its scores (intervals; plain values such as theme accuracy).
        protocol: the scoring protocol (``arel``).
        split: the split scored.
        albums: how many albums were scored.
        data: which data, in words (None: the folder's location says).
        bootstrap: ``resamples``, ``confidence`` and ``seed`` of the intervals and tests.
        theme_keywords: the demo pack's themes and their keywords (theme accuracy).
        warnings: what the scorers warned about.
        comparisons: ``"a vs b"`` (:func:`pair_key`) -> metric -> a minus b.
    """

    SCHEMA = "imgstory/results-summary/2"
    BUILDER = SUMMARY_BUILDER

    systems: dict[str, SystemScores]
    protocol: str = "arel"
    split: str | None = None
    albums: int | None = None
    data: str | None = None
    bootstrap: dict[str, Any] = field(default_factory=dict)
    theme_keywords: dict[str, list[str]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    comparisons: dict[str, dict[str, PairedTest]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The ``summary.json`` document."""
        return {
            SCHEMA_KEY: self.SCHEMA,
            "systems": {name: scores.to_json() for name, scores in self.systems.items()},
            "protocol": self.protocol,
            "split": self.split,
            "albums": self.albums,
            "data": self.data,
            "bootstrap": dict(self.bootstrap),
            "theme_keywords": {theme: list(words) for theme, words in self.theme_keywords.items()},
            "warnings": list(self.warnings),
            "comparisons": {
                pair: {metric: test.to_json() for metric, test in tests.items()}
                for pair, tests in self.comparisons.items()
            },
        }

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> SummaryResults:
        """The inverse of :meth:`to_json` (the layout is checked by :meth:`load`)."""
        systems = document["systems"]
        if not isinstance(systems, dict) or not systems:
            raise ValueError("no system in 'systems'")
        albums = document.get("albums")
        return cls(
            systems={str(name): SystemScores.from_json(s) for name, s in systems.items()},
            protocol=str(document.get("protocol") or "arel"),
            split=document.get("split"),
            albums=None if albums is None else int(albums),
            data=document.get("data"),
            bootstrap=dict(document.get("bootstrap") or {}),
            theme_keywords={k: list(v) for k, v in (document.get("theme_keywords") or {}).items()},
            warnings=tuple(document.get("warnings") or ()),
            comparisons={
                pair: {metric: PairedTest.from_json(test) for metric, test in tests.items()}
                for pair, tests in (document.get("comparisons") or {}).items()
            },
        )

    @classmethod
    def parse(cls, document: object, where: object = "summary.json") -> SummaryResults:
        """A ``summary.json`` document checked for its layout (see :func:`parse_results`)."""
        return parse_results(document, cls.SCHEMA, cls.from_json, where, cls.BUILDER)

    @classmethod
    def load(cls, path: str | Path) -> SummaryResults:
        """Read a ``summary.json``; another or an older layout, or a malformed one, is refused
        in one line naming the file and the command that rewrites it."""
        return read_results(path, cls.SCHEMA, cls.from_json, cls.BUILDER)

    def saved_test(self, first: str, second: str, metric: str) -> PairedTest | None:
        """The saved paired test of ``first`` minus ``second`` on ``metric``, or None."""
        return self.comparisons.get(pair_key(first, second), {}).get(metric)
