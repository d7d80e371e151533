"""Write BENCHMARKS.md and the charts from the saved results: ``python -m benchmarks.report``.

The page's words are the template ``benchmarks/BENCHMARKS.md.template`` (Jinja); its numbers come from
``benchmarks/results/*.json`` and ``run.json`` through :mod:`benchmarks.report_figures` (the figures and
the machine as the run recorded it) and :mod:`benchmarks.report_targets` (every target and its verdict).
Rerunning ``python -m benchmarks`` therefore keeps text, tables and charts consistent.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import jinja2

from benchmarks.harness import RESULTS_DIR
from benchmarks.report_charts import draw_charts
from benchmarks.report_figures import figures
from benchmarks.report_targets import Target, targets

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "BENCHMARKS.md"
TEMPLATE = Path(__file__).resolve().parent / "BENCHMARKS.md.template"
QUESTIONS = ("exhaustive", "talk_loop", "hnsw", "binary", "int8", "reduce")

__all__ = ["Target", "draw_charts", "load_results", "load_run", "render", "targets", "write_report"]


def load_results(results_dir: Path = RESULTS_DIR) -> dict[str, dict[str, Any]]:
    """``{question: saved result}`` for every question whose ``<question>.json`` is in ``results_dir``."""
    return {question: json.loads(path.read_text()) for question in QUESTIONS
            if (path := results_dir / f"{question}.json").exists()}


def load_run(results_dir: Path = RESULTS_DIR) -> dict[str, Any]:
    """``run.json`` of a full run (duration, settings, machine), or ``{}`` if there is none."""
    path = results_dir / "run.json"
    return json.loads(path.read_text()) if path.exists() else {}


def render(results: dict[str, dict[str, Any]], total_s: float | None = None, run: dict[str, Any] | None = None,
           template: Path = TEMPLATE) -> str:
    """The Markdown page for ``results`` (every question) and ``run`` (``run.json``; ``total_s``
    overrides its duration). Raises if a question is missing or the template names an unknown figure."""
    missing = [question for question in QUESTIONS if question not in results]
    if missing:
        raise ValueError(f"the report needs every question; missing results for {', '.join(missing)}: "
                         f"run python -m benchmarks --only {' '.join(missing)}")
    run = dict(run or {})
    if total_s is not None:
        run["seconds"] = total_s
    page = figures(results, run) | {"targets": {target.key: target for target in targets(results)}}
    return _environment(template.parent).get_template(template.name).render(page)


def _environment(folder: Path) -> jinja2.Environment:
    """Jinja that fails on any placeholder it cannot fill, with the page's number formats as filters."""
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(folder), undefined=jinja2.StrictUndefined,
                                     trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                                     autoescape=False)  # noqa: S701 - Markdown, not HTML
    environment.filters.update(
        num=lambda value, digits=0: f"{value:,.{digits}f}",
        fixed=lambda value, digits=2: f"{value:.{digits}f}",
        times=lambda value, digits=2: "–" if value is None else f"{value:.{digits}f}×",
        pct=lambda value, digits=0: f"{value:.{digits}%}",
    )
    return environment


def write_report(results_dir: Path = RESULTS_DIR, path: Path = REPORT) -> Path:
    """Charts into ``results_dir`` and the Markdown page into ``path``, from the saved results."""
    results = load_results(results_dir)
    if not results:
        raise FileNotFoundError(f"no results in {results_dir}: run python -m benchmarks first")
    text = render(results, run=load_run(results_dir))
    draw_charts(results, results_dir)
    path.write_text(text)
    return path


if __name__ == "__main__":
    print(write_report(Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS_DIR))
