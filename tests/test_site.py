"""The static site: built from a tiny notebook folder (a workshop notebook and a solution with plotly figures),
it links every page from the index, loads nothing from the network, and draws every figure in a real browser
(headless Chromium, offline). The static PNG fallback is checked here too, as it needs the same browser."""

from __future__ import annotations

import base64
import re
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from site_fixtures import browser_or_fail, tiny_notebooks

from vectorlab.notebook_runner import OFFLINE_ENV, execute_notebook, kernelspec_metadata, static_image_env
from vectorlab.site import PLOTLY_JS, PLOTLY_MIMETYPE, build_site

ENV = {**OFFLINE_ENV, "API_HOST": "cache"}  # the fixtures embed nothing; no model needed


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    source = tmp_path_factory.mktemp("notebooks")
    paths = tiny_notebooks(source)
    before = {path: path.read_bytes() for path in paths}
    build = tmp_path_factory.mktemp("build")
    messages: list[str] = []
    index = build_site(source, build, env=ENV, say=messages.append)
    return {"source": source, "paths": paths, "before": before, "build": build, "index": index,
            "messages": messages}


class _Links(HTMLParser):
    """Every href/src of a page, and for each plotly div whether an svg.main-svg was drawn inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.module_imports: list[str] = []
        self.figures: list[dict[str, bool]] = []
        self._open: list[tuple[int, dict[str, bool]]] = []  # (depth at which the figure div opened, figure)
        self._depth = 0

    VOID = {"meta", "link", "br", "img", "input", "hr", "col", "area", "base", "source", "wbr", "path", "rect",
            "line", "circle", "stop", "use", "image", "ellipse", "polygon", "polyline"}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for key in ("href", "src"):
            if attributes.get(key):
                self.links.append(attributes[key])
        classes = (attributes.get("class") or "").split()
        if tag == "svg" and "main-svg" in classes:
            for _, figure in self._open:
                figure["drawn"] = True
        if tag in self.VOID:
            return
        self._depth += 1
        if tag == "div" and "plotly-graph-div" in classes:
            figure = {"drawn": False}
            self.figures.append(figure)
            self._open.append((self._depth, figure))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        while self._open and self._open[-1][0] >= self._depth:
            self._open.pop()
        self._depth -= 1

    def handle_data(self, data):
        self.module_imports += re.findall(r'import\s+["\']([^"\']+)["\']', data)


def _parse(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    return parser


def test_site_has_an_index_linking_every_page_and_leaves_the_notebooks_alone(built):
    index = built["index"]
    site = index.parent
    assert index == built["build"] / "site" / "index.html"
    links = [link for link in _parse(index.read_text(encoding="utf-8")).links if link.endswith(".html")]
    assert links == ["01_tiny.html", "solutions/01_tiny.html"]  # workshop first, then solutions
    for link in links:
        assert (site / link).is_file(), f"index links to {link}, which does not exist"
    text = index.read_text(encoding="utf-8")
    assert "Tiny figures" in text and "Tiny solution" in text and "solutions" in text
    assert (site / PLOTLY_JS).stat().st_size > 1_000_000  # plotly.js itself, not a stub
    for path, content in built["before"].items():
        assert path.read_bytes() == content, f"{path.name} was modified by building the site"
    executed = built["build"] / "notebooks" / "solutions" / "01_tiny.ipynb"
    assert nbformat.read(executed, as_version=4).metadata.kernelspec == kernelspec_metadata()
    assert any("running solutions/01_tiny.ipynb" in message for message in built["messages"])


@pytest.mark.parametrize("page", ["01_tiny.html", "solutions/01_tiny.html"])
def test_pages_load_plotly_locally_and_nothing_from_the_network(built, page):
    path = built["index"].parent / page
    parsed = _parse(path.read_text(encoding="utf-8"))
    external = [link for link in parsed.links + parsed.module_imports if re.match(r"(https?:)?//", link)]
    assert not external, f"{page} loads {external}: the site must work offline"
    scripts = [link for link in parsed.links if link.endswith(PLOTLY_JS)]
    assert len(scripts) == 1 and (path.parent / scripts[0]).resolve() == (built["index"].parent / PLOTLY_JS)
    assert len(parsed.figures) == (2 if page == "01_tiny.html" else 1)


def _dump_dom(browser: str, page: Path, profile: Path) -> str:
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
               "--virtual-time-budget=15000", "--dump-dom", page.as_uri()]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, f"{browser} failed on {page}: {result.stderr[-2000:]}"
    return result.stdout


def test_every_figure_draws_in_headless_chromium(built, tmp_path):
    browser = browser_or_fail()
    site = built["index"].parent
    index_dom = _parse(_dump_dom(browser, built["index"], tmp_path / "profile"))
    pages = [link for link in index_dom.links if link.endswith(".html")]
    assert len(pages) == 2
    for link in pages:
        page = site / link
        assert page.is_file(), f"index link {link} does not resolve"
        dom = _dump_dom(browser, page, tmp_path / "profile")
        figures = _parse(dom).figures
        assert figures, f"no plotly figure in the rendered {link}"
        assert all(figure["drawn"] for figure in figures), f"{link}: {figures} (a figure without svg.main-svg)"
        assert "WebGL is not supported" not in dom


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def test_static_images_sit_beside_each_interactive_figure(tmp_path):
    """With a browser for kaleido, each figure's output bundle holds its JSON and a PNG of its size."""
    browser_or_fail()
    source = tiny_notebooks(tmp_path / "notebooks")[0]
    executed = tmp_path / "executed.ipynb"
    execute_notebook(source, env={**ENV, **static_image_env()}, output=executed)
    bundles = [output["data"] for cell in nbformat.read(executed, as_version=4).cells
               for output in cell.get("outputs", []) if PLOTLY_MIMETYPE in output.get("data", {})]
    assert len(bundles) == 2
    for bundle in bundles:
        assert set(bundle) == {PLOTLY_MIMETYPE, "image/png"}
        width, height = _png_size(base64.b64decode(bundle["image/png"]))
        assert height == bundle[PLOTLY_MIMETYPE]["layout"]["height"] and width >= 600
