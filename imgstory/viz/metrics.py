"""Vega-Lite charts of evaluation metrics with bootstrap confidence intervals.

Vega-Lite rather than Plotly: Model comparison draws six of these in a fresh browser, and
Plotly's 4.7 MB script made that page ~0.8-1 s slower to draw on 2 cores (docs/app.md).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable

import pandas as pd

CHART_HEIGHT = 360  # pixels, labels included


#: Decimals of a score and its interval in the tooltips (the app's tables use the same).
DIGITS = 3
#: A system's name on the axis is wrapped into lines of at most this many characters (whole
#: words; "AREL (IRL-init-iter100 released outputs)" on three lines), never cut with "…".
LABEL_LINE_CHARACTERS = 20
#: Pixels left of the chart for the first slanted name.
LABEL_ROOM = 60
#: The axis reads each wrapped name (lines joined by a line break) as separate lines.
LINES_LABEL = "split(datum.label, '\\n')"
#: Pixels a line may take (a long word alone on its line is still drawn whole).
LABEL_LIMIT = 400


def axis_label(system: str) -> str:
    """``system`` wrapped into lines of :data:`LABEL_LINE_CHARACTERS` (joined by a line
    break), for the axis."""
    lines = textwrap.wrap(
        system, LABEL_LINE_CHARACTERS, break_long_words=False, break_on_hyphens=False
    )
    return "\n".join(lines) or system


def metric_chart(
    table: pd.DataFrame,
    metric: str,
    *,
    title: str = "",
    metric_title: str | None = None,
    colour: str = "#c0392b",
    highlight: str | None = None,
    highlight_colour: str = "#7b241c",
    translate: Callable[[str], str] = str,
) -> dict:
    """Bars of one metric per system with its 95% interval as error bars.

    Args:
        table: long table with columns ``system``, ``metric``, ``value``, ``low``, ``high``
            (the bounds may be NaN when a system has no interval; with no interval at all no
            error bars are drawn).
        metric: which metric's rows to draw.
        title: chart title (say which data and protocol produced the numbers).
        metric_title: the metric as the axis and tooltip name it (``BLEU-4``; default
            ``metric``, the key).
        colour: bar colour (published numbers are drawn in another colour than ours).
        highlight: the system (a ``system`` value) set apart in ``highlight_colour``.
        translate: looks the chart's own words up in the reader's language (the app's ``_``).

    Returns:
        A Vega-Lite spec with its data inline (``st.vega_lite_chart(spec)``); bars keep the
        table's order, ``data.values`` holds one row per system.
    """
    _ = translate
    metric_title = metric_title or metric
    values = _chart_rows(table[table["metric"] == metric], colour, highlight, highlight_colour)
    has_intervals = any(row["low"] is not None for row in values)
    x = {"field": "axis_label", "type": "nominal", "sort": None, "title": None}
    tooltip = [
        {"field": "system", "type": "nominal", "title": _("system")},
        {"field": "value", "type": "quantitative", "title": metric_title, "format": f".{DIGITS}f"},
    ]
    if has_intervals:
        tooltip.append({"field": "interval", "type": "nominal", "title": _("95% CI")})
    layers = [_bar_layer(x, metric_title, tooltip)]
    if has_intervals:
        layers.append(_error_bar_layer(x, metric_title, tooltip))
    return {
        "title": title or metric,
        "height": CHART_HEIGHT,
        # the first system's name, slanted, reaches left of the plot: room for it
        "padding": {"left": LABEL_ROOM, "top": 5, "right": 5, "bottom": 5},
        "data": {"values": values},
        "layer": layers,
    }


def _chart_rows(
    rows: pd.DataFrame, colour: str, highlight: str | None, highlight_colour: str
) -> list[dict]:
    """The chart's data: one row per system (in the table's order) with its axis label, value,
    interval (``None`` bounds and an empty text without one) and bar colour."""
    return [
        {
            "system": system,
            "axis_label": axis_label(system),
            "value": float(value),
            "low": _finite(low),
            "high": _finite(high),
            "interval": (
                f"[{low:.{DIGITS}f}, {high:.{DIGITS}f}]"
                if _finite(low) is not None and _finite(high) is not None
                else ""
            ),
            "colour": highlight_colour if system == highlight else colour,
        }
        for system, value, low, high in zip(
            rows["system"], rows["value"], rows["low"], rows["high"], strict=True
        )
    ]


def _bar_layer(x: dict, metric_title: str, tooltip: list[dict]) -> dict:
    """The bars, each in its row's colour, every system named under its bar."""
    return {
        "mark": {"type": "bar"},
        "encoding": {
            # every system named (Vega-Lite drops crowded labels), a long name on lines
            "x": {
                **x,
                "axis": {
                    "labelAngle": -45,
                    "labelOverlap": False,
                    "labelLimit": LABEL_LIMIT,
                    "labelExpr": LINES_LABEL,
                },
            },
            "y": {"field": "value", "type": "quantitative", "title": metric_title},
            "color": {"field": "colour", "type": "nominal", "scale": None, "legend": None},
            "tooltip": tooltip,
        },
    }


def _error_bar_layer(x: dict, metric_title: str, tooltip: list[dict]) -> dict:
    """The 95% intervals as error bars over the bars."""
    return {
        "mark": {"type": "errorbar", "ticks": {"size": 12}, "color": "#333333"},
        "encoding": {
            "x": x,
            "y": {"field": "low", "type": "quantitative", "title": metric_title},
            "y2": {"field": "high"},
            "tooltip": tooltip,
        },
    }


def _finite(value: float) -> float | None:
    """``value`` as a float, None when it is missing (JSON has no NaN)."""
    return None if value is None or math.isnan(value) else float(value)
