"""Helpers shared by the site and runner tests: a tiny notebook folder with plotly figures, and the browser."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from tools.notebook_runner import find_browser

# The kernelspec an old Jupyter wrote; the runner must replace it with the one of the kernel that ran.
STALE_KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def write_notebook(path: Path, title: str, *code: str) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = dict(STALE_KERNELSPEC)
    notebook.cells = [nbformat.v4.new_markdown_cell(f"# {title}\n\nA fixture for the site tests.")]
    notebook.cells += [nbformat.v4.new_code_cell(source) for source in code]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def tiny_notebooks(folder: Path) -> list[Path]:
    """A workshop notebook with a 2-D and a 3-D figure, and a solution (in a sub-folder) with one figure."""
    setup = "import numpy as np\nfrom vectorlab import viz\n\nviz.use_notebook_renderer()"
    workshop = write_notebook(
        folder / "01_tiny.ipynb", "Tiny figures", setup,
        "viz.line_chart([10, 20, 40], {'M=16': [0.5, 0.8, 0.9]}, 'ef', 'recall@10', log_x=True,\n"
        "               legend_title='M').show()",
        "viz.scatter_3d(np.eye(3), ['a', 'b', 'c'], color=['x', 'y', 'x'], title='Three points').show()\n"
        "print('done')")
    solution = write_notebook(
        folder / "solutions" / "01_tiny.ipynb", "Tiny solution", setup,
        "viz.similarity_heatmap(np.eye(2), ['a', 'b']).show()")
    return [workshop, solution]


def tiny_spanish_notebooks(folder: Path) -> list[Path]:
    """The Spanish path's counterparts of :func:`tiny_notebooks` (``es/01_tiny.ipynb`` and its solution, one
    figure each), and a Spanish notebook with no English one (``es/02_solo.ipynb``), whose bar links to the
    English table instead."""
    setup = "import numpy as np\nfrom vectorlab import viz\n\nviz.use_notebook_renderer()"
    workshop = write_notebook(
        folder / "es" / "01_tiny.ipynb", "Figuras diminutas", setup,
        "viz.scatter_3d(np.eye(3), ['a', 'b', 'c'], color=['x', 'y', 'x'], title='Tres puntos').show()")
    solution = write_notebook(
        folder / "es" / "solutions" / "01_tiny.ipynb", "Solución diminuta", setup,
        "viz.similarity_heatmap(np.eye(2), ['a', 'b']).show()")
    alone = write_notebook(
        folder / "es" / "02_solo.ipynb", "Solo en español", setup,
        "viz.similarity_heatmap(np.eye(2), ['uno', 'dos']).show()")
    return [workshop, solution, alone]


def browser_or_fail() -> str:
    """Chrome/Chromium for the tests that need one. Missing in CI is a failure, elsewhere a visible skip."""
    browser = find_browser()
    if browser is None:
        message = ("no Chrome/Chromium found (BROWSER_PATH, chromium, google-chrome ...): "
                   "install it with `apt-get install -y chromium` (.ci/run does this when apt works)")
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"CI=true but {message}")
        pytest.skip(message)
    return browser
