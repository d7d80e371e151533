"""Plotly figures the notebooks show, so that notebook cells stay about the idea, not the plotting.

Every function takes numpy arrays (and labels) and returns a ``plotly.graph_objects.Figure``; call
``.show()`` on it. :func:`use_notebook_renderer` picks a renderer that keeps saved notebooks small.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.express as px
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

from vectorlab._validation import as_matrix

__all__ = [
    "use_notebook_renderer",
    "vector_bars",
    "similarity_histograms",
    "scatter_3d",
    "similarity_heatmap",
    "line_chart",
]


def use_notebook_renderer() -> None:
    """Render figures for JupyterLab/VS Code and load plotly.js from its CDN instead of embedding it.

    Embedding plotly.js would add ~4 MB to every saved notebook.
    """
    pio.renderers.default = "plotly_mimetype+notebook_connected"


def vector_bars(vectors: Mapping[str, np.ndarray], title: str = "One vector, dimension by dimension") -> go.Figure:
    """One bar chart per named vector, stacked: ``{"all-MiniLM-L6-v2: dog": vector, ...}``."""
    if not vectors:
        raise ValueError("vectors is empty: pass a mapping of name -> vector")
    figure = make_subplots(rows=len(vectors), cols=1, subplot_titles=list(vectors), vertical_spacing=0.12)
    for row, vector in enumerate(vectors.values(), start=1):
        values = np.asarray(vector, dtype=np.float32).ravel()
        figure.add_trace(go.Bar(x=np.arange(len(values)), y=values, marker_line_width=0, showlegend=False),
                         row=row, col=1)
        figure.update_xaxes(title_text="dimension", row=row, col=1)
        figure.update_yaxes(title_text="value", row=row, col=1)
    figure.update_layout(title=title, height=260 * len(vectors), bargap=0)
    return figure


def similarity_histograms(values: Mapping[str, np.ndarray], title: str = "How similar is everything to everything?",
                          bins: int = 60) -> go.Figure:
    """Overlaid histograms of similarity values, one per model, to compare their ranges."""
    figure = go.Figure()
    for name, sims in values.items():
        figure.add_trace(go.Histogram(x=np.asarray(sims).ravel(), name=name, nbinsx=bins, opacity=0.6,
                                      histnorm="percent"))
    figure.update_layout(barmode="overlay", title=title, xaxis_title="cosine similarity",
                         yaxis_title="% of pairs", height=400)
    return figure


def scatter_3d(points: np.ndarray, labels: Sequence[str], color: Sequence[str] | None = None,
               title: str = "", axis_names: Sequence[str] = ("PC 1", "PC 2", "PC 3")) -> go.Figure:
    """An interactive 3-D scatter of ``points`` [n, 3] with a text label on each point."""
    points = as_matrix(points, "points")
    if points.shape[1] != 3:
        raise ValueError(f"points must have 3 columns (x, y, z), got {points.shape[1]}: reduce to 3 dims first")
    if len(labels) != len(points):
        raise ValueError(f"{len(labels)} labels for {len(points)} points: pass one label per point")
    figure = px.scatter_3d(x=points[:, 0], y=points[:, 1], z=points[:, 2], text=list(labels),
                           color=list(color) if color is not None else None, title=title,
                           labels={"x": axis_names[0], "y": axis_names[1], "z": axis_names[2]})
    figure.update_traces(marker_size=4, textfont_size=10)
    figure.update_layout(height=600)
    return figure


def similarity_heatmap(matrix: np.ndarray, labels: Sequence[str], title: str = "Cosine similarity") -> go.Figure:
    """A labelled heatmap of a square similarity matrix, values printed in each cell."""
    matrix = as_matrix(matrix, "matrix")
    figure = px.imshow(np.round(matrix, 2), x=list(labels), y=list(labels), text_auto=True,
                       color_continuous_scale="Blues", title=title, aspect="auto")
    figure.update_layout(height=max(400, 32 * len(labels)))
    return figure


def line_chart(x: Sequence[float], series: Mapping[str, Sequence[float]], x_title: str, y_title: str,
               title: str = "", log_x: bool = False) -> go.Figure:
    """Lines with markers, one per named series (recall curves and the like)."""
    figure = go.Figure()
    for name, ys in series.items():
        figure.add_trace(go.Scatter(x=list(x), y=list(ys), mode="lines+markers", name=name))
    figure.update_layout(title=title, xaxis_title=x_title, yaxis_title=y_title, height=420)
    if log_x:
        figure.update_xaxes(type="log")
    return figure
