"""Plotly charts of evaluation metrics with bootstrap confidence intervals."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go


def metric_chart(
    table: pd.DataFrame,
    metric: str,
    *,
    title: str = "",
    colour: str = "#c0392b",
    highlight: str | None = None,
    highlight_colour: str = "#7b241c",
) -> go.Figure:
    """Bars of one metric per system with its 95% interval as error bars.

    Args:
        table: long table with columns ``system``, ``metric``, ``value``, ``ci_low``, ``ci_high``
            (CI columns may be NaN when a system has no interval; with no interval at all no
            error bars are drawn).
        metric: which metric's rows to draw.
        title: figure title (say which data and protocol produced the numbers).
        colour: bar colour (published numbers are drawn in another colour than ours).
        highlight: the system (a ``system`` value) set apart in ``highlight_colour``.
    """
    rows = table[table["metric"] == metric]
    has_intervals = bool(rows["ci_low"].notna().any())
    upper = (rows["ci_high"] - rows["value"]).fillna(0)
    lower = (rows["value"] - rows["ci_low"]).fillna(0)
    colours = [highlight_colour if system == highlight else colour for system in rows["system"]]
    bar = go.Bar(x=rows["system"], y=rows["value"], marker_color=colours)
    if has_intervals:
        bar.update(
            error_y={"type": "data", "symmetric": False, "array": upper, "arrayminus": lower},
            customdata=rows[["ci_low", "ci_high"]].to_numpy(),
            hovertemplate="%{x}: %{y:.4f}<br>95% CI [%{customdata[0]:.4f}, "
            "%{customdata[1]:.4f}]<extra></extra>",
        )
    else:
        bar.update(hovertemplate="%{x}: %{y:.4f}<extra></extra>")
    figure = go.Figure(bar)
    figure.update_layout(
        title=title or metric,
        yaxis_title=metric,
        height=360,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        xaxis={"automargin": True, "tickangle": -30},
    )
    return figure
