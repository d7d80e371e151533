"""The static site: built from a tiny notebook folder (a workshop notebook and a solution with plotly figures, and
their Spanish counterparts in es/), it links every page from the index, loads nothing from the network, and draws
every figure in a real browser (headless Chromium, offline). The site is bilingual: the index has the English table
and "El taller en español", and each page's bar links to the same notebook in the other language. The static PNG
fallback is checked here too, as it needs the same browser."""

from __future__ import annotations

import base64
import re
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from site_fixtures import browser_or_fail, tiny_notebooks, tiny_spanish_notebooks

from tools.notebook_runner import OFFLINE_ENV, execute_notebook, kernelspec_metadata, static_image_env
from tools.site import MATHJAX_DIR, PLOTLY_JS, PLOTLY_MIMETYPE, SitePage, build_site, write_index

ENV = {**OFFLINE_ENV, "API_HOST": "cache"}  # the fixtures embed nothing; no model needed
FORMULA = r"$\cos(a, b) = \frac{a \cdot b}{\|a\| \|b\|}$"  # notebook 02's, inline


def _add_formula(path: Path) -> None:
    """A Markdown cell with notebook 02's formula, inline and displayed, at the end of the notebook."""
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_markdown_cell(f"Cosine: {FORMULA}, or displayed:\n\n$${FORMULA[1:-1]}$$"))
    nbformat.write(notebook, path)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    source = tmp_path_factory.mktemp("notebooks")
    paths = tiny_notebooks(source) + tiny_spanish_notebooks(source)
    _add_formula(paths[0])
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
    # workshop first, then solutions; then the Spanish table: taller, soluciones
    assert links == ["01_tiny.html", "solutions/01_tiny.html", *SPANISH_PAGES]
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


SPANISH_PAGES = ["es/01_tiny.html", "es/02_solo.html", "es/solutions/01_tiny.html"]
FIGURES = {"01_tiny.html": 2, "solutions/01_tiny.html": 1, "es/01_tiny.html": 1, "es/02_solo.html": 1,
           "es/solutions/01_tiny.html": 1}


@pytest.mark.parametrize("page", list(FIGURES))
def test_pages_load_plotly_locally_and_nothing_from_the_network(built, page):
    path = built["index"].parent / page
    parsed = _parse(path.read_text(encoding="utf-8"))
    external = [link for link in parsed.links + parsed.module_imports if re.match(r"(https?:)?//", link)]
    assert not external, f"{page} loads {external}: the site must work offline"
    scripts = [link for link in parsed.links if link.endswith(PLOTLY_JS)]
    assert len(scripts) == 1 and (path.parent / scripts[0]).resolve() == (built["index"].parent / PLOTLY_JS)
    assert len(parsed.figures) == FIGURES[page]


def _dump_dom(browser: str, page: Path, profile: Path) -> str:
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
               "--host-resolver-rules=MAP * ~NOTFOUND",  # no host resolves: anything not in the site fails
               "--virtual-time-budget=15000", "--dump-dom", page.as_uri()]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, f"{browser} failed on {page}: {result.stderr[-2000:]}"
    return result.stdout


def test_every_figure_draws_in_headless_chromium(built, tmp_path):
    browser = browser_or_fail()
    site = built["index"].parent
    index_dom = _parse(_dump_dom(browser, built["index"], tmp_path / "profile"))
    pages = [link for link in index_dom.links if link.endswith(".html")]
    assert pages == list(FIGURES)
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


class _Text(HTMLParser):
    """The text a reader sees (outside script and style), and the classes of every element."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.classes: set[str] = set()
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        self.classes.update((dict(attrs).get("class") or "").split())
        self._hidden += tag in {"script", "style"}

    def handle_endtag(self, tag):
        self._hidden -= tag in {"script", "style"} and self._hidden > 0

    def handle_data(self, data):
        if not self._hidden:
            self.text.append(data)


def test_formulas_are_typeset_by_the_local_mathjax_in_headless_chromium(built, tmp_path):
    """Notebook 02's $\\cos(a, b) = \\frac{...}$ renders as MathJax output, not LaTeX source, with every
    host unresolvable (so MathJax can only come from build/site/mathjax/)."""
    browser = browser_or_fail()
    site = built["index"].parent
    page = site / "01_tiny.html"
    source = page.read_text(encoding="utf-8")
    assert "\\frac" in source  # the formula reaches the page as TeX, for MathJax to typeset
    scripts = [link for link in _parse(source).links if "MathJax.js" in link]
    assert len(scripts) == 1 and (page.parent / scripts[0].split("?")[0]).resolve() == (
        site / MATHJAX_DIR / "MathJax.js")
    dom = _Text()
    dom.feed(_dump_dom(browser, page, tmp_path / "profile"))
    seen = "".join(dom.text)
    assert {"MathJax", "MathJax_Display"} <= dom.classes, "MathJax did not typeset the formulas"
    assert "\\frac" not in seen and "$$" not in seen, "a formula is shown as its LaTeX source"
    assert "Math Processing Error" not in seen and "MathJax_Error" not in dom.classes


def _page(tmp_path: Path, name: str, minutes: float) -> SitePage:
    return SitePage(source=Path(name), page=tmp_path / name.replace(".ipynb", ".html"), title=name,
                    section="workshop", seconds=1.0, figures=0, minutes=minutes)


def test_index_counts_in_words_and_shows_each_notebooks_minutes(tmp_path, built):
    one = write_index([_page(tmp_path, "01_a.ipynb", 7.4)], tmp_path).read_text(encoding="utf-8")
    assert "1 notebook," in one and "1 notebooks" not in one
    two = write_index([_page(tmp_path, "01_a.ipynb", 7.4), _page(tmp_path, "02_b.ipynb", 10.6)],
                      tmp_path).read_text(encoding="utf-8")
    assert "2 notebooks," in two
    assert re.search(r"<th[^>]*>minutes</th>", two)
    assert re.findall(r'<td class="num">(\d+)</td><td class="num">[\d.]+ s</td>', two) == ["7", "11"]
    # The built site: the fixture workshop notebook has 3 code cells and, by hand, 9 + 17 words of prose.
    index = built["index"].read_text(encoding="utf-8")
    row = re.search(r'01_tiny\.ipynb</code></td><td class="num">(\d+)</td>', index)
    assert row and int(row.group(1)) == round(3 + (9 + 17) / 150)


# -- both languages ---------------------------------------------------------------------------------------------

class _Bar(HTMLParser):
    """The language bar of a page (nav.vl-languages): its links (text, href, hreflang), the language shown as
    the current one, and the page's <html lang>."""

    def __init__(self) -> None:
        super().__init__()
        self.lang = ""
        self.links: list[tuple[str, str, str]] = []
        self.current: list[str] = []
        self.bars = 0
        self._in_bar = False
        self._tag: tuple[str, dict] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "html":
            self.lang = attributes.get("lang") or ""
        if tag == "nav" and "vl-languages" in (attributes.get("class") or "").split():
            self._in_bar = True
            self.bars += 1
        elif self._in_bar and tag in {"a", "strong"}:
            self._tag = (tag, attributes)

    def handle_endtag(self, tag):
        if tag == "nav":
            self._in_bar = False
        if tag in {"a", "strong"}:
            self._tag = None

    def handle_data(self, data):
        if self._tag is None or not data.strip():
            return
        tag, attributes = self._tag
        if tag == "a":
            self.links.append((data.strip(), attributes.get("href") or "", attributes.get("hreflang") or ""))
        elif attributes.get("aria-current") == "page":
            self.current.append(data.strip())


def _bar(html: str) -> _Bar:
    parser = _Bar()
    parser.feed(html)
    return parser


# page -> (its language, its name in the bar, the other language's link text and target: the counterpart page,
# or the other language's table on the index when there is no counterpart)
BARS = {
    "01_tiny.html": ("en", "English", "Español", "es/01_tiny.html"),
    "solutions/01_tiny.html": ("en", "English", "Español", "es/solutions/01_tiny.html"),
    "es/01_tiny.html": ("es", "Español", "English", "01_tiny.html"),
    "es/solutions/01_tiny.html": ("es", "Español", "English", "solutions/01_tiny.html"),
    "es/02_solo.html": ("es", "Español", "English", "index.html#workshop"),
}


def _check_bar(site: Path, page: str, html: str) -> None:
    language, own, other, target = BARS[page]
    bar = _bar(html)
    assert bar.bars == 1, f"{page}: {bar.bars} language bars"
    assert bar.lang == language, f"{page}: <html lang={bar.lang!r}>"
    assert bar.current == [own], f"{page}: the bar shows {bar.current} as the current language"
    links = {text: (href, hreflang) for text, href, hreflang in bar.links}
    assert other in links, f"{page}: no {other!r} link in the bar {bar.links}"
    href, hreflang = links[other]
    resolved = ((site / page).parent / href.split("#")[0]).resolve()
    assert resolved == (site / target.split("#")[0]).resolve() and resolved.is_file(), (page, href)
    assert ("#" in href) == ("#" in target) and href.endswith(target.split(".html")[-1]), (page, href, target)
    assert hreflang == ("es" if other == "Español" else "en"), (page, hreflang)
    index = links.get("Índice" if language == "es" else "Index")
    assert index and ((site / page).parent / index[0]).resolve() == site / "index.html", (page, bar.links)


@pytest.mark.parametrize("page", list(BARS))
def test_each_page_links_its_counterpart_in_the_other_language(built, page):
    """The bar at the top: the page's language as plain text, the other language linked to the same notebook
    (or, without one, to that language's table on the index), and the index; <html lang> says the language."""
    site = built["index"].parent
    _check_bar(site, page, (site / page).read_text(encoding="utf-8"))


def _rows(html: str, anchor: str) -> list[list[str]]:
    """The cells' text of each row of the table in <section id=anchor> of the index."""
    match = re.search(rf'<section id="{anchor}"[^>]*>(.*?)</section>', html, flags=re.S)
    assert match, f"the index has no section #{anchor}"
    return [[re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", match.group(1), flags=re.S)]


def test_the_index_has_the_english_table_and_el_taller_en_espanol(built):
    index = built["index"].read_text(encoding="utf-8")
    english, spanish = _rows(index, "workshop"), _rows(index, "taller")
    assert english[0][:3] == ["#", "section", "notebook"] and spanish[0][:3] == ["#", "sección", "cuaderno"]
    assert [row[1:4] for row in english[1:]] == [["workshop", "Tiny figures", "01_tiny.ipynb"],
                                                 ["solutions", "Tiny solution", "01_tiny.ipynb"]]
    assert [row[1:4] for row in spanish[1:]] == [["taller", "Figuras diminutas", "01_tiny.ipynb"],
                                                 ["taller", "Solo en español", "02_solo.ipynb"],
                                                 ["soluciones", "Solución diminuta", "01_tiny.ipynb"]]
    # The Spanish fixture notebooks: 2 code cells and, by hand, 9 words of prose -> 2 minutes.
    assert spanish[1][4] == str(round(2 + 9 / 150))
    assert "<h2>El taller en español</h2>" in index and '<section id="taller" lang="es">' in index
    assert "3 cuadernos," in index and "2 notebooks," in index
    bar = _bar(index)
    assert bar.current == ["English"] and [(text, href) for text, href, _ in bar.links] == [("Español", "#taller")]


def test_the_language_bars_work_in_headless_chromium(built, tmp_path):
    """The rendered pages (what a reader's browser shows) carry the same bar, and every link of it resolves."""
    browser = browser_or_fail()
    site = built["index"].parent
    for page in BARS:
        _check_bar(site, page, _dump_dom(browser, site / page, tmp_path / "profile"))
    index = _dump_dom(browser, built["index"], tmp_path / "profile")
    assert [row[2] for row in _rows(index, "taller")[1:]] == ["Figuras diminutas", "Solo en español",
                                                              "Solución diminuta"]


def test_without_spanish_pages_the_index_has_one_table_and_no_bar(tmp_path):
    index = write_index([_page(tmp_path, "01_a.ipynb", 7.4)], tmp_path).read_text(encoding="utf-8")
    assert 'id="taller"' not in index and "vl-languages" not in index and 'id="workshop"' in index
