"""Plotly charts of evaluation metrics with bootstrap confidence intervals."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go


def metric_chart(
    table: pd.DataFrame, metric: str, *, title: str = "", colour: str = "#c0392b"
) -> go.Figure:
    """Bars of one metric per system with its 95% interval as error bars.

    Args:
        table: long table with columns ``system``, ``metric``, ``value``, ``ci_low``, ``ci_high``
            (CI columns may be NaN when a system has no interval).
        metric: which metric's rows to draw.
        title: figure title (say which data and protocol produced the numbers).
        colour: bar colour (published numbers are drawn in another colour than ours).
    """
    rows = table[table["metric"] == metric]
    upper = (rows["ci_high"] - rows["value"]).fillna(0)
    lower = (rows["value"] - rows["ci_low"]).fillna(0)
    figure = go.Figure(
        go.Bar(
            x=rows["system"],
            y=rows["value"],
            error_y={"type": "data", "symmetric": False, "array": upper, "arrayminus": lower},
            marker_color=colour,
            customdata=rows[["ci_low", "ci_high"]].to_numpy(),
            hovertemplate="%{x}: %{y:.4f}<br>95% CI [%{customdata[0]:.4f}, %{customdata[1]:.4f}]"
            "<extra></extra>",
        )
    )
    figure.update_layout(
        title=title or metric,
        yaxis_title=metric,
        height=360,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )
    return figure
