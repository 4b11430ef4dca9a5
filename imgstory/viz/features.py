"""Plotly figures of photo features: 2-D map, similarity heatmap, strongest dimensions."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go


def feature_map_figure(
    points: pd.DataFrame,
    *,
    colour_by: str,
    highlight: Sequence[str] = (),
    title: str = "",
    legend: str | None = None,
    translate: Callable[[str], str] = str,
) -> go.Figure:
    """A scatter map of photos with the highlighted sequence drawn on top in order.

    Args:
        points: one row per photo with columns ``photo_id``, ``x``, ``y`` and ``colour_by``
            (and optionally ``hover``, an extra hover line such as the top ImageNet classes).
        colour_by: the column whose values colour the points (theme, album, split).
        highlight: photo ids of the selected sequence, in story order (joined by arrows 1..n).
        title: the figure title (say which data, encoder and projection made it).
        legend: the legend's title (default: ``colour_by``).
        translate: looks the figure's own words up in the reader's language (the app's ``_``).
    """
    _ = translate
    figure = go.Figure()
    for value, group in points.groupby(colour_by, sort=True):
        figure.add_trace(
            go.Scattergl(
                x=group["x"],
                y=group["y"],
                mode="markers",
                name=str(value),
                marker={"size": 6, "opacity": 0.6},
                text=group["photo_id"],
                customdata=group.get("hover"),
                hovertemplate=_("photo %{text}")
                + ("<br>%{customdata}" if "hover" in group else "")
                + "<extra>"
                + str(value)
                + "</extra>",
            )
        )
    known = set(points["photo_id"])
    chosen = points.set_index("photo_id").reindex([p for p in highlight if p in known])
    if len(chosen):
        figure.add_trace(
            go.Scatter(
                x=chosen["x"],
                y=chosen["y"],
                mode="lines+markers+text",
                name=_("selected sequence"),
                text=[str(position + 1) for position in range(len(chosen))],
                textposition="top center",
                line={"color": "black", "width": 2},
                marker={"size": 14, "color": "black", "symbol": "star"},
                hovertext=list(chosen.index),
                hovertemplate=_("photo %{hovertext} (position %{text})") + "<extra></extra>",
            )
        )
    figure.update_layout(
        title=title,
        xaxis_title=_("component 1"),
        yaxis_title=_("component 2"),
        legend_title=legend or colour_by,
        height=520,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )
    return figure


def similarity_heatmap_figure(
    similarity: np.ndarray,
    labels: Sequence[str],
    title: str = "",
    translate: Callable[[str], str] = str,
) -> go.Figure:
    """Heatmap of a (n, n) cosine-similarity matrix between the photos named by ``labels``;
    ``translate`` looks the hover text up in the reader's language (the app's ``_``)."""
    _ = translate
    figure = go.Figure(
        go.Heatmap(
            z=similarity,
            x=list(labels),
            y=list(labels),
            zmin=-1 if float(np.min(similarity)) < 0 else 0,
            zmax=1,
            colorscale="Viridis",
            text=np.round(similarity, 2),
            texttemplate="%{text}",
            hovertemplate=_("%{y} vs %{x}: %{z:.3f}") + "<extra></extra>",
        )
    )
    figure.update_layout(title=title, height=420, margin={"l": 10, "r": 10, "t": 50, "b": 10})
    figure.update_xaxes(type="category")
    figure.update_yaxes(type="category", autorange="reversed")
    return figure


def strongest_dimensions_figure(
    dimensions: Sequence[tuple[int, float]],
    title: str = "",
    names: Sequence[str] | None = None,
    translate: Callable[[str], str] = str,
) -> go.Figure:
    """Horizontal bars of (dimension index, value) pairs, strongest on top.

    ``names[index]``, when given, says what a dimension measures (e.g. "HOG cell (2,3),
    orientation 40°"); the bars are labelled ``index: name``. ``translate`` looks the figure's
    own words up in the reader's language (the app's ``_``).
    """
    _ = translate
    labels = [
        f"{index}: {names[index]}" if names is not None else _("dim {index}").format(index=index)
        for index, _value in dimensions
    ]
    values = [value for _index, value in dimensions]
    figure = go.Figure(
        go.Bar(
            x=values,
            y=labels,
            orientation="h",
            marker_color=["#c0392b" if value >= 0 else "#2e86c1" for value in values],
            hovertemplate="%{y}: %{x:.4f}<extra></extra>",
        )
    )
    figure.update_layout(
        title=title,
        xaxis_title=_("feature value"),
        height=max(300, 22 * len(labels) + 80),
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )
    figure.update_yaxes(autorange="reversed")
    return figure
