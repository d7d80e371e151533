"""The figure helpers put the given numbers on screen unchanged, and refuse mismatched input."""

import numpy as np
import plotly.io as pio
import pytest

from vectorlab import viz


def test_vector_bars_plots_every_value():
    a, b = np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.0, 0.0])
    figure = viz.vector_bars({"a": a, "b": b})
    assert [trace.type for trace in figure.data] == ["bar", "bar"]
    np.testing.assert_allclose(figure.data[0].y, a)
    np.testing.assert_allclose(figure.data[1].y, b)
    with pytest.raises(ValueError, match="empty"):
        viz.vector_bars({})


def test_scatter_3d_keeps_points_and_labels():
    points = np.arange(12, dtype=np.float32).reshape(4, 3)
    figure = viz.scatter_3d(points, ["w", "x", "y", "z"])
    np.testing.assert_allclose(figure.data[0].x, points[:, 0])
    np.testing.assert_allclose(figure.data[0].z, points[:, 2])
    assert list(figure.data[0].text) == ["w", "x", "y", "z"]
    with pytest.raises(ValueError, match="3 columns"):
        viz.scatter_3d(np.zeros((4, 2)), ["a"] * 4)
    with pytest.raises(ValueError, match="3 labels for 4 points"):
        viz.scatter_3d(points, ["a"] * 3)


def test_histograms_heatmap_and_lines():
    figure = viz.similarity_histograms({"m1": np.array([0.1, 0.2]), "m2": np.array([0.9])})
    assert [trace.name for trace in figure.data] == ["m1", "m2"]
    heat = viz.similarity_heatmap(np.eye(2), ["a", "b"])
    np.testing.assert_allclose(np.asarray(heat.data[0].z), np.eye(2))
    line = viz.line_chart([1, 2], {"recall": [0.5, 0.9]}, "ef", "recall@10", log_x=True)
    assert list(line.data[0].y) == [0.5, 0.9] and line.layout.xaxis.type == "log"


def test_notebook_renderer_does_not_embed_plotly_js():
    saved = pio.renderers.default
    try:
        viz.use_notebook_renderer()
        assert "notebook_connected" in pio.renderers.default
    finally:
        pio.renderers.default = saved
