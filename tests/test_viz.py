"""The figure helpers put the given numbers on screen unchanged, refuse mismatched input, and lay the
figures out so that nothing overlaps, nothing is clipped and every axis, legend and colour scale is named."""

import numpy as np
import plotly.io as pio
import pytest

from vectorlab import viz


def _assert_labelled(figure, *, legend=True):
    """Title, axis titles, readable font and (when there is a legend) a legend title, all in words."""
    layout = figure.layout
    assert layout.title.text and layout.title.text.strip()
    assert layout.font.size >= 12
    axes = [name for name in layout if name.startswith(("xaxis", "yaxis")) and layout[name] is not None]
    for name in axes:
        assert layout[name].title.text, f"{name} has no title"
    if legend:
        assert layout.legend.title.text and layout.legend.title.text.strip().isprintable()
        assert layout.legend.title.text.lower() not in {"color", "variable", "trace", "series"}


def test_vector_bars_plots_every_value():
    a, b = np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.0, 0.0])
    figure = viz.vector_bars({"a": a, "b": b})
    assert [trace.type for trace in figure.data] == ["bar", "bar"]
    np.testing.assert_allclose(figure.data[0].y, a)
    np.testing.assert_allclose(figure.data[1].y, b)
    with pytest.raises(ValueError, match="empty"):
        viz.vector_bars({})


@pytest.mark.parametrize("rows", [2, 3])
def test_vector_bars_leave_room_between_charts(rows):
    """The x-axis title of one chart (tick labels + title, ~55 px) ends above the next chart's title."""
    figure = viz.vector_bars({f"model {i}": np.arange(5.0) for i in range(rows)})
    _assert_labelled(figure, legend=False)
    layout = figure.layout
    plot_height = layout.height - layout.margin.t - layout.margin.b
    for upper, lower in zip(range(1, rows), range(2, rows + 1), strict=True):
        upper_axis = layout[f"yaxis{upper if upper > 1 else ''}"]
        lower_axis = layout[f"yaxis{lower}"]
        gap_px = (upper_axis.domain[0] - lower_axis.domain[1]) * plot_height
        assert gap_px >= 100, f"only {gap_px:.0f} px between chart {upper} and chart {lower}"
    titles = [annotation.text for annotation in layout.annotations]
    assert titles == [f"model {i}" for i in range(rows)]
    assert {layout[f"xaxis{i if i > 1 else ''}"].title.text for i in range(1, rows + 1)} == {"dimension"}


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
    with pytest.raises(ValueError, match="2 colors for 4 points"):
        viz.scatter_3d(points, ["a"] * 4, color=["g", "h"])


def test_scatter_3d_legend_says_what_the_colours_are_and_the_scene_is_not_clipped():
    points = np.random.default_rng(0).normal(size=(6, 3))
    figure = viz.scatter_3d(points, list("abcdef"), color=["pets"] * 3 + ["food"] * 3, title="t")
    assert figure.layout.legend.title.text == "group"  # plotly express would say "color"
    assert sorted(trace.name for trace in figure.data) == ["food", "pets"]
    named = viz.scatter_3d(points, list("abcdef"), color=["x"] * 6, legend_title="topic")
    assert named.layout.legend.title.text == "topic"
    scene = figure.layout.scene
    assert [scene.xaxis.title.text, scene.yaxis.title.text, scene.zaxis.title.text] == ["PC 1", "PC 2", "PC 3"]
    assert tuple(scene.domain.x) == (0, 1) and tuple(scene.domain.y) == (0, 1)
    assert figure.layout.margin.b == 0 and figure.layout.margin.l == 0
    assert figure.layout.height >= 600
    assert figure.layout.title.text == "t"


def test_scatter_3d_leaves_room_for_the_outer_labels():
    """Each scene axis reaches 15 % of the points' span past the outermost point; labels sit above points."""
    points = np.array([[0.0, -2.0, 5.0], [1.0, 2.0, 5.0], [0.5, 0.0, 5.0]])
    figure = viz.scatter_3d(points, ["feeling", "dog", "cat"])
    scene = figure.layout.scene
    np.testing.assert_allclose(scene.xaxis.range, [-0.15, 1.15])
    np.testing.assert_allclose(scene.yaxis.range, [-2.6, 2.6])
    np.testing.assert_allclose(scene.zaxis.range, [4.0, 6.0])  # one plane: a unit either side
    assert {trace.textposition for trace in figure.data} == {"top center"}


def test_histograms_name_their_series():
    figure = viz.similarity_histograms({"m1": np.array([0.1, 0.2]), "m2": np.array([0.9])}, legend_title="model")
    assert [trace.name for trace in figure.data] == ["m1", "m2"]
    np.testing.assert_allclose(figure.data[0].x, [0.1, 0.2])
    _assert_labelled(figure)
    assert figure.layout.legend.title.text == "model"
    assert figure.layout.xaxis.title.text == "cosine similarity"


def test_histograms_title_their_values_and_legend_in_words():
    values = {"float32 cosine": np.array([0.1]), "bits": np.array([0.2])}
    hamming = viz.similarity_histograms(values, x_title="similarity estimate", legend_title="precision")
    assert hamming.layout.xaxis.title.text == "similarity estimate"
    assert hamming.layout.legend.title.text == "precision"
    # Not given (calls written before it existed): from the names when they say key=value, else "model".
    assert viz.similarity_histograms(values).layout.legend.title.text == "model"
    keyed = viz.similarity_histograms({"bits=1": np.array([0.1]), "bits=8": np.array([0.2])})
    assert keyed.layout.legend.title.text == "bits"
    for not_words in ("", "  ", "1", "="):
        with pytest.raises(ValueError, match="not words"):
            viz.similarity_histograms(values, legend_title=not_words)


def test_heatmap_keeps_values_and_has_square_readable_cells():
    matrix = np.array([[1.0, 0.25], [0.25, 1.0]])
    heat = viz.similarity_heatmap(matrix, ["a", "b"])
    np.testing.assert_allclose(np.asarray(heat.data[0].z), matrix)
    _assert_labelled(heat, legend=False)
    assert heat.layout.coloraxis.colorbar.title.text == "cosine similarity"
    assert heat.layout.xaxis.scaleanchor == "y"  # square cells, not squashed into a strip
    labels = [f"word{i}" for i in range(12)]
    big = viz.similarity_heatmap(np.eye(12), labels)
    plot_height = big.layout.height - big.layout.margin.t - big.layout.margin.b
    assert plot_height / 12 >= 40, f"{plot_height / 12:.0f} px per row"
    assert big.layout.xaxis.tickangle == -45  # long labels slanted instead of running into each other
    with pytest.raises(ValueError, match="square"):
        viz.similarity_heatmap(np.ones((2, 3)), ["a", "b"])


def test_line_chart_keeps_values_and_names_everything():
    line = viz.line_chart([1, 2], {"recall": [0.5, 0.9]}, "ef", "recall@10", legend_title="measure")
    assert list(line.data[0].y) == [0.5, 0.9] and list(line.data[0].x) == [1, 2]
    _assert_labelled(line)
    assert line.layout.title.text == "recall@10 by ef"  # no figure without a title
    assert line.layout.legend.title.text == "measure"
    assert line.data[0].mode == "lines+markers"
    assert viz.line_chart(range(100), {"a": range(100)}, "x", "y", legend_title="a").data[0].mode == "lines"
    with pytest.raises(TypeError):  # keyword only: a positional 7th argument is a mistake, not a title
        viz.line_chart([1], {"a": [1]}, "x", "y", "t", False, "index")  # type: ignore[misc]
    with pytest.raises(ValueError, match="legend_title='' is not words"):
        viz.line_chart([1], {"a": [1]}, "x", "y", legend_title="")


@pytest.mark.parametrize(("names", "suggested"), [
    (["M=4", "M=16"], "legend_title='M'"),
    (["m=4, ef_construction=32", "m=16, ef_construction=128"], "legend_title='m, ef_construction'"),
    (["M=4", "ef=16"], "legend_title='threshold'"),  # different keys: a generic example
    (["> 0", "> own mean"], "legend_title='threshold'"),
    (["a, b=1", "a, b=2"], "legend_title='threshold'"),  # not key=value throughout
    (["=4", "=8"], "legend_title='threshold'"),  # no key
])
def test_line_chart_without_a_legend_title_says_how_to_fix_the_call(names, suggested):
    """No generic "series": a missing legend_title is a TypeError naming the fix, with the shared key."""
    with pytest.raises(TypeError, match="needs legend_title") as raised:
        viz.line_chart([1, 2], {name: [0.5, 0.9] for name in names}, "ef", "recall@10")
    assert suggested in str(raised.value) and repr(names[0]) in str(raised.value)


def test_log_axis_labels_only_clean_values():
    """Not plotly's default "2 3 ... 9 100 2": the plotted values when there are few, else the decades."""
    ef = [10, 20, 40, 80, 160, 320]
    line = viz.line_chart(ef, {"M=16": [0.5, 0.7, 0.8, 0.9, 0.95, 1.0]}, "ef", "recall@10", log_x=True,
                          legend_title="M")
    axis = line.layout.xaxis
    assert axis.type == "log"
    assert list(axis.tickvals) == ef and list(axis.ticktext) == ["10", "20", "40", "80", "160", "320"]
    many = list(range(1, 1001, 50))
    wide = viz.line_chart(many, {"a": many}, "n", "y", log_x=True, legend_title="a").layout.xaxis
    assert wide.tickvals is None and wide.dtick == 1  # one tick per decade: 1, 10, 100, 1000


def test_notebook_renderer_saves_json_only_unless_asked_for_images(monkeypatch):
    saved = pio.renderers.default
    try:
        monkeypatch.delenv("PLOTLY_RENDERER", raising=False)
        viz.use_notebook_renderer()
        assert pio.renderers.default == "plotly_mimetype"
        bundle = pio.renderers._build_mime_bundle(viz.line_chart([1], {"a": [1]}, "x", "y", legend_title="a").to_dict())
        assert list(bundle) == ["application/vnd.plotly.v1+json"]  # no plotly.js copy, no CDN script
        monkeypatch.setenv("PLOTLY_RENDERER", "plotly_mimetype+png")
        viz.use_notebook_renderer()
        assert pio.renderers.default == "plotly_mimetype+png"
    finally:
        pio.renderers.default = saved


def test_axis_titles_can_be_given_in_another_language():
    """The Spanish notebooks title every axis in Spanish: the helpers take their axis titles as arguments."""
    bars = viz.vector_bars({"a": np.arange(3.0), "b": np.arange(3.0)}, x_title="dimensión", y_title="valor")
    assert {bars.layout[name].title.text for name in bars.layout.to_plotly_json() if name.startswith("xaxis")} == {
        "dimensión"}
    assert {bars.layout[name].title.text for name in bars.layout.to_plotly_json() if name.startswith("yaxis")} == {
        "valor"}
    assert viz.vector_bars({"a": np.arange(3.0)}).layout.xaxis.title.text == "dimension"  # the default
    histogram = viz.similarity_histograms({"m": np.array([0.1])}, x_title="similitud coseno",
                                          y_title="% de los pares", legend_title="modelo")
    assert (histogram.layout.xaxis.title.text, histogram.layout.yaxis.title.text) == ("similitud coseno",
                                                                                      "% de los pares")
    assert viz.similarity_histograms({"m": np.array([0.1])}).layout.yaxis.title.text == "% of pairs"
