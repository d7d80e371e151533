"""A static HTML site of the executed notebooks: an index page and one page per notebook, offline.

``python tasks.py notebooks`` calls :func:`build_site`: every notebook runs (``notebook_runner``) into
``build/notebooks/`` and nbconvert turns each into a page in ``build/site/``. Plotly figures stay
interactive: the pages load one local copy of plotly.js (``build/site/plotly.min.js``, from the plotly
package) and formulas (``$...$`` in Markdown) are typeset by a local MathJax 2 (``build/site/mathjax/``, from
the ``jupyter-server-mathjax`` package); nothing comes from the network, so the site works with no
connection, from ``file://``.

The site is bilingual like the workshop path: the Spanish notebooks (``notebooks/es/``) get their own pages and
their own table on the index ("El taller en español"), and every page starts with a small bar linking to the
same notebook in the other language (or, for a deep dive, which has no Spanish version, to the Spanish table).
"""

from __future__ import annotations

import html
import json
import os
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.notebook_runner import (
    MINUTES_PER_CODE_CELL,
    OFFLINE_ENV,
    WORDS_PER_MINUTE,
    counterpart,
    estimate_minutes,
    execute_notebook,
    notebook_language,
    notebook_paths,
    notebook_section,
)

__all__ = ["PLOTLY_MIMETYPE", "MATHJAX_DIR", "LANGUAGE_NAMES", "SitePage", "notebook_title", "language_bar",
           "export_page", "write_index", "build_site"]

PLOTLY_MIMETYPE = "application/vnd.plotly.v1+json"
_WIDGET_MIMETYPE = "application/vnd.jupyter.widget-view+json"  # needs a widget manager: show the text instead
PLOTLY_JS = "plotly.min.js"

# nbconvert's JupyterLab look, minus everything it would load from a CDN (require.js, MathJax, mermaid,
# widgets): plotly.js and MathJax from the site folder instead. MathJax 2's HTML-CSS output with the STIX-Web
# fonts the package ships (it has no TeX fonts); the Safe extension keeps \href and styles harmless.
_TEMPLATE_NAME = "vectorlab_site.html.j2"
_TEMPLATE = r"""{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}<script src="{{ resources.plotly_js_url }}"></script>{%- endblock -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{%- block html_head_js_mathjax -%}
<script type="text/x-mathjax-config">
MathJax.Hub.Config({
  tex2jax: {inlineMath: [["$", "$"], ["\\(", "\\)"]], displayMath: [["$$", "$$"], ["\\[", "\\]"]],
            processEscapes: true, processEnvironments: true},
  "HTML-CSS": {availableFonts: [], preferredFont: null, webFont: "STIX-Web", imageFont: null,
               linebreaks: {automatic: true}},
  TeX: {equationNumbers: {autoNumber: "AMS", useLabelIds: true}},
  displayAlign: "center", messageStyle: "none"
});
</script>
<script src="{{ resources.site_mathjax_url }}?config=TeX-AMS-MML_HTMLorMML-full,Safe"></script>
{%- endblock -%}
{%- block html_head_js_mermaidjs -%}{%- endblock -%}
{%- block body_header -%}{{ super() }}{{ resources.language_bar }}{%- endblock body_header -%}
"""
MATHJAX_DIR = "mathjax"

LANGUAGE_NAMES = {"en": "English", "es": "Español"}
"""Each language's name in itself, as the link bar shows it."""
INDEX_ANCHORS = {"en": "workshop", "es": "taller"}
"""The id of each language's table on the index."""
_BAR_STYLE = ("font: 14px system-ui, sans-serif; text-align: right; padding: .4rem 1rem; "
              "border-bottom: 1px solid #d0d7de; margin-bottom: 1rem")
_LINK_STYLE = "color: #0969da; text-decoration: underline"  # the notebook theme leaves links unmarked


@dataclass(frozen=True)
class SitePage:
    """One notebook of the site: where its page is, what it is called, how long it ran, its figures."""

    source: Path
    page: Path
    title: str
    section: str
    seconds: float
    figures: int
    minutes: float
    """The learner's time by :func:`~tools.notebook_runner.estimate_minutes` (prose and code cells)."""
    language: str = "en"
    """``"en"``, or ``"es"`` for the Spanish path (``notebooks/es/``)."""


def notebook_title(notebook: Mapping[str, Any], default: str) -> str:
    """The text of the notebook's first Markdown heading, else ``default``."""
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        for line in "".join(cell.get("source", "")).splitlines():
            if line.startswith("#"):
                return line.lstrip("#").strip() or default
    return default


def _interactive_figures(notebook: Any) -> int:
    """Give each plotly output an HTML rendering (a div + ``Plotly.newPlot``) for the page; count them."""
    import plotly.io as pio

    count = 0
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            data.pop(_WIDGET_MIMETYPE, None)
            if PLOTLY_MIMETYPE not in data:
                continue
            count += 1
            figure = data[PLOTLY_MIMETYPE]
            data["text/html"] = pio.to_html(figure, include_plotlyjs=False, full_html=False, validate=False,
                                            div_id=f"figure-{count}", config=figure.get("config") or {})
    return count


def _exporter(language: str = "en") -> Any:
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="lab", template_file=_TEMPLATE_NAME, language_code=language,
                        extra_loaders=[DictLoader({_TEMPLATE_NAME: _TEMPLATE})])


def language_bar(language: str, links: Mapping[str, str], index: str | None = None) -> str:
    """The bar at the top of a page: each language's name, the page's own as plain text, the others linked to
    ``links[language]`` (a relative URL), and a link to the ``index`` when given."""
    items = []
    for code, name in LANGUAGE_NAMES.items():
        if code == language:
            items.append(f'<strong lang="{code}" aria-current="page">{html.escape(name)}</strong>')
        elif code in links:
            href = html.escape(links[code])
            items.append(f'<a href="{href}" hreflang="{code}" lang="{code}" style="{_LINK_STYLE}">'
                         f'{html.escape(name)}</a>')
    if index is not None:
        label = "Índice" if language == "es" else "Index"
        items.append(f'<a href="{html.escape(index)}" class="vl-index" style="{_LINK_STYLE}">{label}</a>')
    label = "Idiomas" if language == "es" else "Languages"
    return f'<nav class="vl-languages" aria-label="{label}" style="{_BAR_STYLE}">{" · ".join(items)}</nav>'


def export_page(notebook_path: str | os.PathLike[str], page: str | os.PathLike[str], plotly_js: str | os.PathLike[str],
                title: str | None = None, mathjax: str | os.PathLike[str] | None = None, *, language: str = "en",
                bar: str = "") -> int:
    """Write the HTML page of an executed notebook; ``plotly_js`` is the plotly.js file the page loads,
    ``mathjax`` the folder of the MathJax it loads (default: ``mathjax/`` beside ``plotly_js``), ``language``
    the page's ``lang`` and ``bar`` the HTML put at the top of its body (:func:`language_bar`).

    Returns the number of plotly figures on the page.
    """
    import nbformat

    notebook_path, page = Path(notebook_path), Path(page)
    notebook = nbformat.read(notebook_path, as_version=4)
    figures = _interactive_figures(notebook)
    page.parent.mkdir(parents=True, exist_ok=True)
    mathjax = Path(plotly_js).parent / MATHJAX_DIR if mathjax is None else Path(mathjax)
    resources = {
        "plotly_js_url": Path(os.path.relpath(plotly_js, page.parent)).as_posix(),
        "site_mathjax_url": Path(os.path.relpath(mathjax / "MathJax.js", page.parent)).as_posix(),
        "metadata": {"name": title or notebook_title(notebook, notebook_path.stem)},
        "language_bar": bar,
    }
    body, _ = _exporter(language).from_notebook_node(notebook, resources=resources)
    page.write_text(body, encoding="utf-8")
    return figures


def _copy_plotly_js(folder: Path) -> Path:
    import plotly

    source = Path(plotly.__file__).parent / "package_data" / PLOTLY_JS
    target = folder / PLOTLY_JS
    if source.is_file():
        shutil.copyfile(source, target)
    else:  # another plotly layout: the same text, from its API
        from plotly.offline import get_plotlyjs

        target.write_text(get_plotlyjs(), encoding="utf-8")
    return target


def _copy_mathjax(folder: Path) -> Path:
    """MathJax 2 from the ``jupyter-server-mathjax`` package into ``folder/mathjax`` (less its SVG-output
    fonts and translations, which the pages never load)."""
    from importlib.util import find_spec

    spec = find_spec("jupyter_server_mathjax")  # only its files are needed
    source = Path(spec.origin).parent / "static" if spec is not None and spec.origin else None
    if source is None or not (source / "MathJax.js").is_file():
        raise RuntimeError("the site typesets formulas with a local MathJax from the jupyter-server-mathjax "
                           "package, which is not installed. Fix: pip install -r requirements.txt")
    target = folder / MATHJAX_DIR

    def unused(directory: str, names: list[str]) -> list[str]:
        where = Path(directory).relative_to(source).as_posix()
        if where == "localization":
            return [name for name in names if name != "en"]
        return ["SVG"] if where == "jax/output" else []

    shutil.copytree(source, target, ignore=unused)
    return target


_TABLE_WORDS: dict[str, dict[str, Any]] = {
    "en": {"columns": ("#", "section", "notebook", "file", "minutes", "runtime", "figures"),
           "one": "notebook", "many": "notebooks", "ran": "s to run in all",
           "minutes": "Minutes: a learner's time by the estimate, {wpm} words of prose a minute and {cell} per "
                      "code cell."},
    "es": {"columns": ("#", "sección", "cuaderno", "archivo", "minutos", "ejecución", "figuras"),
           "one": "cuaderno", "many": "cuadernos", "ran": "s de ejecución en total",
           "minutes": "Minutos: el tiempo de quien aprende según la estimación, {wpm} palabras de texto por minuto "
                      "y {cell} por celda de código."},
}


def _table(pages: Sequence[SitePage], site: Path, language: str, note: str = "") -> str:
    """One language's table of notebooks, and the sentence under it."""
    words = _TABLE_WORDS[language]
    rows = []
    for number, page in enumerate(pages, start=1):
        href = Path(os.path.relpath(page.page, site)).as_posix()
        rows.append(
            f'<tr><td>{number}</td><td>{html.escape(page.section)}</td>'
            f'<td><a href="{html.escape(href)}">{html.escape(page.title)}</a></td>'
            f'<td><code>{html.escape(page.source.name)}</code></td>'
            f'<td class="num">{page.minutes:.0f}</td>'
            f'<td class="num">{page.seconds:.1f} s</td><td class="num">{page.figures}</td></tr>')
    total = sum(page.seconds for page in pages)
    heads = words["columns"]
    estimate = f"words of prose / {WORDS_PER_MINUTE} + {MINUTES_PER_CODE_CELL} per code cell"
    count = words["one"] if len(pages) == 1 else words["many"]
    explained = words["minutes"].format(wpm=WORDS_PER_MINUTE, cell=MINUTES_PER_CODE_CELL)
    return f"""<table>
<thead><tr><th>{heads[0]}</th><th>{heads[1]}</th><th>{heads[2]}</th><th>{heads[3]}</th>
<th class="num" title="{estimate}">{heads[4]}</th>
<th class="num">{heads[5]}</th>
<th class="num">{heads[6]}</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
<p class="note">{len(pages)} {count}, {total:.1f} {words["ran"]}.
{explained} {html.escape(note)}</p>"""


def write_index(pages: Sequence[SitePage], site: str | os.PathLike[str], *,
                heading: str = "Vector embeddings, hands on", note: str = "") -> Path:
    """The site's ``index.html``: one table row per notebook, in run order, linking to its page; the English
    notebooks first, then, when there are any, the Spanish ones in a table of their own ("El taller en
    español", ``#taller``), with a bar at the top linking to it."""
    site = Path(site)
    english = [page for page in pages if page.language != "es"]
    spanish = [page for page in pages if page.language == "es"]
    bar = language_bar("en", {"es": f"#{INDEX_ANCHORS['es']}"}) if spanish else ""
    sections = [f"""<section id="{INDEX_ANCHORS['en']}">
<p>Every notebook, run top to bottom; the figures are interactive (drag, zoom, hover) and need no network.</p>
{_table(english, site, "en", note)}
</section>"""]
    if spanish:
        sections.append(f"""<section id="{INDEX_ANCHORS['es']}" lang="es">
<h2>El taller en español</h2>
<p>El mismo taller sobre datos en español (<code>notebooks/es/</code>): el mismo código, su propio texto. Cada
cuaderno se ejecutó de principio a fin; las figuras son interactivas (arrastra, acerca, pasa el cursor) y no
necesitan red.</p>
{_table(spanish, site, "es", note)}
</section>""")
    index = site / "index.html"
    index.write_text(f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(heading)}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 60rem; margin: 2rem auto;
       padding: 0 1rem; color: #1f2328; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #d0d7de; }}
td.num, th.num {{ text-align: right; }}
p.note {{ color: #59636e; }}
</style>
</head>
<body>
{bar}
<h1>{html.escape(heading)}</h1>
{(chr(10) * 2).join(sections)}
</body>
</html>
""", encoding="utf-8")
    return index


def build_site(source: str | os.PathLike[str], build: str | os.PathLike[str], *,
               env: Mapping[str, str] | None = None, paths: Sequence[Path] | None = None,
               say: Callable[[str], None] = print) -> Path:
    """Execute every notebook under ``source`` into ``build/notebooks`` and write the site into ``build/site``.

    ``env`` is the kernels' extra environment (default :data:`OFFLINE_ENV`), ``paths`` a subset of the
    notebooks (default: all of :func:`notebook_paths`). The notebooks in ``source`` are not modified.
    Returns the path of ``index.html``.
    """
    source, build = Path(source).resolve(), Path(build).resolve()
    paths = notebook_paths(source) if paths is None else [Path(path).resolve() for path in paths]
    site = build / "site"
    if site.exists():
        shutil.rmtree(site)  # no page left over from a notebook that was renamed or removed
    site.mkdir(parents=True)
    plotly_js = _copy_plotly_js(site)
    mathjax = _copy_mathjax(site)
    env = dict(OFFLINE_ENV if env is None else env)
    built = {path.relative_to(source).as_posix() for path in paths}
    pages = []
    for path in paths:
        relative = path.relative_to(source)
        say(f"running {relative.as_posix()} ...")
        executed = build / "notebooks" / relative
        started = time.perf_counter()
        seconds = execute_notebook(path, env=env, output=executed)
        page = (site / relative).with_suffix(".html")
        with executed.open(encoding="utf-8") as file:
            title = notebook_title(json.load(file), path.stem)
        language = notebook_language(path, source)
        figures = export_page(executed, page, plotly_js, title=title, mathjax=mathjax, language=language,
                              bar=_page_bar(relative, language, built, site, page))
        pages.append(SitePage(source=relative, page=page, title=title, section=notebook_section(path, source),
                              seconds=seconds, figures=figures, minutes=estimate_minutes(path), language=language))
        say(f"  done in {seconds:.1f} s ({time.perf_counter() - started - seconds:.1f} s for the page)")
    provider = env.get("API_HOST", "")
    return write_index(pages, site, note=f"Embeddings from API_HOST={provider}." if provider else "")


def _page_bar(relative: Path, language: str, built: set[str], site: Path, page: Path) -> str:
    """The link bar of one page: the same notebook in the other language when the site has it, else that
    language's table on the index (none when the site has no page in that language); and the index."""
    index = Path(os.path.relpath(site / "index.html", page.parent)).as_posix()
    other = "en" if language == "es" else "es"
    twin = counterpart(relative)
    links = {}
    if twin.as_posix() in built:
        links[other] = Path(os.path.relpath(site / twin.with_suffix(".html"), page.parent)).as_posix()
    elif any(notebook_language(name) == other for name in built):
        links[other] = f"{index}#{INDEX_ANCHORS[other]}"
    return language_bar(language, links, index=index)
