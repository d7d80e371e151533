"""Plotly figures the notebooks show, so that notebook cells stay about the idea, not the plotting.

Every function takes numpy arrays (and labels) and returns a ``plotly.graph_objects.Figure``; call
``.show()`` on it. Every figure has a title, axis titles and, when it has a legend or a colour scale,
a title for that too. :func:`use_notebook_renderer` picks how ``.show()`` saves a figure in a notebook.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.express as px
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

from vectorlab._validation import as_matrix
from vectorlab.errors import InvalidInputError

__all__ = [
    "NOTEBOOK_RENDERER",
    "use_notebook_renderer",
    "vector_bars",
    "similarity_histograms",
    "scatter_3d",
    "similarity_heatmap",
    "line_chart",
]

NOTEBOOK_RENDERER = "plotly_mimetype"
"""Only the figure's JSON: JupyterLab, VS Code and the HTML site draw it with the plotly.js they ship,
so a saved notebook carries no copy of plotly.js and loads nothing from a CDN."""

_FONT_SIZE = 13  # tick labels and legends readable in a PNG at 100 %
_MARGIN = {"l": 70, "r": 30, "t": 70, "b": 60}


def use_notebook_renderer() -> None:
    """Save figures in notebooks as plotly JSON (:data:`NOTEBOOK_RENDERER`), or as ``PLOTLY_RENDERER`` says.

    ``python tasks.py notebooks`` sets ``PLOTLY_RENDERER=plotly_mimetype+png`` in the kernel when a
    browser for plotly's static export is available: each figure's output then also holds a PNG, which
    GitHub and other viewers that run no JavaScript show instead.
    """
    pio.renderers.default = os.environ.get("PLOTLY_RENDERER") or NOTEBOOK_RENDERER


def _shared_key(names: Sequence[str]) -> str | None:
    """The keys series names like ``"M=16"`` or ``"m=16, ef_construction=64"`` share (``"M"``,
    ``"m, ef_construction"``), else None."""
    keys = {tuple(part.split("=", 1)[0].strip() for part in str(name).split(",")) for name in names}
    if len(keys) != 1 or not all(str(name).count("=") == len(next(iter(keys))) for name in names):
        return None
    key = next(iter(keys))
    return ", ".join(key) if all(key) else None


def _words(legend_title: str) -> str:
    if not isinstance(legend_title, str) or not any(character.isalpha() for character in legend_title):
        raise InvalidInputError(f"legend_title={legend_title!r} is not words: say what the series are, "
                                "e.g. legend_title='model'")
    return legend_title


def _style(figure: go.Figure, *, title: str, height: int, legend_title: str | None = None) -> go.Figure:
    figure.update_layout(title={"text": title, "x": 0.02, "xanchor": "left"}, height=height,
                         margin=_MARGIN, font_size=_FONT_SIZE)
    if legend_title is not None:
        figure.update_layout(legend_title_text=legend_title)
    return figure


def vector_bars(vectors: Mapping[str, np.ndarray], title: str = "One vector, dimension by dimension", *,
                x_title: str = "dimension", y_title: str = "value") -> go.Figure:
    """One bar chart per named vector, stacked: ``{"all-MiniLM-L6-v2: dog": vector, ...}``.

    ``x_title`` and ``y_title`` name the axes of every chart (the Spanish notebooks pass them in Spanish)."""
    if not vectors:
        raise InvalidInputError("vectors is empty: pass a mapping of name -> vector")
    rows, row_height, gap = len(vectors), 240, 120  # gap in pixels: the x title, then the next chart's title
    height = _MARGIN["t"] + _MARGIN["b"] + rows * row_height + (rows - 1) * gap
    figure = make_subplots(rows=rows, cols=1, subplot_titles=list(vectors),
                           vertical_spacing=gap / (height - _MARGIN["t"] - _MARGIN["b"]) if rows > 1 else 0.0)
    for row, vector in enumerate(vectors.values(), start=1):
        values = np.asarray(vector, dtype=np.float32).ravel()
        figure.add_trace(go.Bar(x=np.arange(len(values)), y=values, marker_line_width=0, showlegend=False),
                         row=row, col=1)
        figure.update_xaxes(title_text=x_title, title_standoff=8, row=row, col=1)
        figure.update_yaxes(title_text=y_title, row=row, col=1)
    return _style(figure.update_layout(bargap=0), title=title, height=height)


def similarity_histograms(values: Mapping[str, np.ndarray], title: str = "How similar is everything to everything?",
                          bins: int = 60, *, x_title: str = "cosine similarity", y_title: str = "% of pairs",
                          legend_title: str | None = None) -> go.Figure:
    """Overlaid histograms of similarity values, one per named series, to compare their ranges.

    ``x_title`` names the values (say ``"Hamming similarity"``), ``y_title`` the share axis (``"% of pairs"``;
    the Spanish notebooks pass it in Spanish), ``legend_title`` what the series are, in
    words (``"model"``, ``"score"``). Pass it: it will become required, as in :func:`line_chart`. Until
    then the legend is titled from the names (``"bits=1"``, ``"bits=8"`` -> ``"bits"``), else ``"model"``,
    what this chart was first made to compare.
    """
    figure = go.Figure()
    for name, sims in values.items():
        figure.add_trace(go.Histogram(x=np.asarray(sims).ravel(), name=name, nbinsx=bins, opacity=0.6,
                                      histnorm="percent"))
    figure.update_layout(barmode="overlay", xaxis_title=x_title, yaxis_title=y_title, showlegend=True)
    legend = _words(legend_title) if legend_title is not None else _shared_key(list(values)) or "model"
    return _style(figure, title=title, height=420, legend_title=legend)


SCENE_PADDING = 0.15
"""Share of each axis's span added on both sides of a 3-D scene, room for the text labels of the outer points."""


def _padded_range(values: np.ndarray, padding: float = SCENE_PADDING) -> list[float]:
    low, high = float(np.min(values)), float(np.max(values))
    pad = padding * (high - low) if high > low else 1.0  # all on one plane: a unit of room either side
    return [low - pad, high + pad]


def scatter_3d(points: np.ndarray, labels: Sequence[str], color: Sequence[str] | None = None,
               title: str = "Points in 3-D", axis_names: Sequence[str] = ("PC 1", "PC 2", "PC 3"),
               legend_title: str = "group") -> go.Figure:
    """An interactive 3-D scatter of ``points`` [n, 3] with a text label on each point.

    ``color`` (one group name per point) colours the points; ``legend_title`` names those groups.
    """
    points = as_matrix(points, "points")
    if points.shape[1] != 3:
        raise InvalidInputError(f"points must have 3 columns (x, y, z), got {points.shape[1]}: reduce to 3 dims first")
    if len(labels) != len(points):
        raise InvalidInputError(f"{len(labels)} labels for {len(points)} points: pass one label per point")
    if color is not None and len(color) != len(points):
        raise InvalidInputError(f"{len(color)} colors for {len(points)} points: pass one group name per point")
    figure = px.scatter_3d(x=points[:, 0], y=points[:, 1], z=points[:, 2], text=list(labels),
                           color=list(color) if color is not None else None,
                           labels={"x": axis_names[0], "y": axis_names[1], "z": axis_names[2],
                                   "color": legend_title})
    figure.update_traces(marker_size=4, textfont_size=10, textposition="top center")  # label above its point
    # The scene fills the figure (plotly's default margins clip a 3-D scene at the bottom), and each axis
    # reaches past the outermost points so that their labels are not cut at the scene's edge.
    ranges = {f"{axis}axis_range": _padded_range(points[:, column]) for column, axis in enumerate("xyz")}
    figure.update_layout(scene={"aspectmode": "cube", "domain": {"x": [0, 1], "y": [0, 1]}},
                         scene_camera={"eye": {"x": 1.5, "y": 1.5, "z": 1.1}})
    figure.update_scenes(**ranges)
    _style(figure, title=title, height=650, legend_title=legend_title)
    return figure.update_layout(margin={"l": 0, "r": 0, "t": 60, "b": 0})


def similarity_heatmap(matrix: np.ndarray, labels: Sequence[str], title: str = "Cosine similarity",
                       scale_title: str = "cosine similarity") -> go.Figure:
    """A labelled heatmap of a square similarity matrix, values printed in each cell (square cells)."""
    matrix = as_matrix(matrix, "matrix")
    if matrix.shape[0] != matrix.shape[1] or len(labels) != matrix.shape[0]:
        raise InvalidInputError(f"matrix is {matrix.shape[0]}x{matrix.shape[1]} with {len(labels)} labels: "
                                "pass a square matrix and one label per row")
    figure = px.imshow(np.round(matrix, 2), x=list(labels), y=list(labels), text_auto=True,
                       color_continuous_scale="Blues", aspect="equal",
                       labels={"x": "word", "y": "word", "color": scale_title})
    cell = 46  # pixels per row: values stay legible, the figure grows with the labels
    height = _MARGIN["t"] + _MARGIN["b"] + 40 + cell * len(labels)
    longest = max((len(str(label)) for label in labels), default=0)
    figure.update_xaxes(side="bottom", tickangle=-45 if longest > 5 else 0)  # long labels would collide
    figure.update_layout(coloraxis_colorbar={"title": {"text": scale_title, "side": "right"}})
    return _style(figure, title=title, height=max(420, height + (6 * longest if longest > 5 else 0)))


def _log_ticks(x: Sequence[float]) -> dict[str, object]:
    """Tick marks for a log axis: the plotted x values when there are few, else one per decade."""
    values = sorted({float(v) for v in x if v is not None and np.isfinite(v) and v > 0})
    if 0 < len(values) <= 12:
        return {"tickmode": "array", "tickvals": values, "ticktext": [f"{v:g}" for v in values]}
    low = math.floor(math.log10(values[0])) if values else 0
    return {"tickmode": "linear", "tick0": low, "dtick": 1, "tickformat": "~g"}


def line_chart(x: Sequence[float], series: Mapping[str, Sequence[float]], x_title: str, y_title: str,
               title: str = "", log_x: bool = False, *, legend_title: str | None = None) -> go.Figure:
    """Lines (with markers, up to 40 points), one per named series (recall curves and the like).

    ``legend_title`` (required) says in words what the series are (``"M"``, ``"setup"``, ``"threshold"``);
    a chart's legend titled "series" tells the reader nothing. On a log x axis (``log_x=True``) only the
    plotted x values, or the decades, are labelled.
    """
    if legend_title is None:  # a default would be a generic word; the fix, with a suggestion, instead
        key = _shared_key(list(series))
        example = f"legend_title={key!r}" if key else "legend_title='threshold'"
        raise TypeError(f"line_chart() needs legend_title, what the lines {list(series)[:4]} are, in words: "
                        f"add e.g. {example} to the call")
    x = list(x)
    lines = {name: list(ys) for name, ys in series.items()}
    for name, ys in lines.items():  # plotly silently draws the shorter of the two
        if len(ys) != len(x):
            raise InvalidInputError(f"line_chart() got {len(x)} x values but {len(ys)} y values for {name!r}: "
                                    "pass one y value per x value")
    mode = "lines+markers" if len(x) <= 40 else "lines"  # hundreds of markers would hide the line
    figure = go.Figure()
    for name, ys in lines.items():
        figure.add_trace(go.Scatter(x=x, y=ys, mode=mode, name=name))
    figure.update_layout(xaxis_title=x_title, yaxis_title=y_title, showlegend=True)
    if log_x:
        figure.update_xaxes(type="log", minor_showgrid=False, **_log_ticks(x))
    return _style(figure, title=title or f"{y_title} by {x_title}", height=440, legend_title=_words(legend_title))
