"""Every notebook (workshop, solutions, deep dives, and the Spanish path in notebooks/es/) runs top to bottom
with no key, no network and no torch: the default offline model (API_HOST=use) and an empty embeddings cache.
A failing cell fails the test and names the cell. The committed outputs are checked too: clean, with a static
image beside every figure."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tools.notebook_runner import OFFLINE_ENV, kernelspec_metadata, notebook_paths

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
PATHS = notebook_paths(NOTEBOOKS)  # the English path, solutions, deep dives, then the Spanish path (notebooks/es/)
IDS = [path.relative_to(NOTEBOOKS).as_posix() for path in PATHS]


def test_all_six_workshop_notebooks_exist():
    names = [path.stem for path in PATHS]
    assert names[:6] == ["01_generate", "02_similarity", "03_visualize", "04_search", "05_quantize",
                         "06_reduce_dimensions"]


@pytest.mark.notebook
@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_notebook_runs_offline_with_the_default_model(path, notebook_execution):
    """The session's one run of the notebook (shared with the claims test) finished with no failing cell."""
    assert OFFLINE_ENV["API_HOST"] == "use"
    run = notebook_execution(path.relative_to(NOTEBOOKS).as_posix())
    run.raise_error()
    code = [cell for cell in run.notebook.cells if cell.cell_type == "code"]
    assert code and all(cell.get("execution_count") for cell in code), "every code cell ran"


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_committed_notebook_is_clean(path):
    """Committed outputs: present, small, and free of secrets and local paths."""
    text = path.read_text(encoding="utf-8")
    assert len(text) < 2_000_000, f"{path.name} is {len(text) / 1e6:.1f} MB"
    notebook = json.loads(text)
    code_cells = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert code_cells and all(cell.get("execution_count") for cell in code_cells), (
        f"{path.name} has unexecuted cells: run `python tasks.py notebooks --in-place`")
    outputs = json.dumps([cell.get("outputs", []) for cell in code_cells])
    for pattern in (r"/work/", r"/home/\w+", r"/Users/\w+", r"C:\\\\Users", r"ghp_[A-Za-z0-9]{20,}",
                    r"github_pat_\w{20,}", r"sk-[A-Za-z0-9]{20,}", r"Bearer [A-Za-z0-9]"):
        assert not re.search(pattern, outputs), f"{path.name} output matches {pattern!r}"
    errors = [o for cell in code_cells for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"{path.name} was committed with an error output"


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_committed_figures_have_a_static_image(path):
    """GitHub runs no JavaScript: each plotly figure's output bundle must also hold a PNG or SVG of it,
    and no output may load plotly.js from a CDN. Regenerate with `python tasks.py notebooks --in-place`."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    outputs = [(index, output) for index, cell in enumerate(notebook["cells"]) if cell["cell_type"] == "code"
               for output in cell.get("outputs", [])]
    figures = [(index, output["data"]) for index, output in outputs
               if "application/vnd.plotly.v1+json" in output.get("data", {})]
    missing = [index for index, data in figures if not {"image/png", "image/svg+xml"} & set(data)]
    assert not missing, (f"{path.name}: the figures in cells {missing} have no static image; "
                         "run `python tasks.py notebooks --in-place` on a machine with Chromium")
    cdn = [index for index, output in outputs if "cdn.plot.ly" in json.dumps(output.get("data", {}))]
    assert not cdn, f"{path.name}: cells {cdn} load plotly.js from a CDN (blank offline and on GitHub)"


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_committed_kernelspec_is_the_one_the_venv_provides(path):
    """JupyterLab and VS Code rewrite a kernelspec that differs from the kernel's, marking the notebook modified."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert notebook["metadata"].get("kernelspec") == kernelspec_metadata(), (
        f"{path.name}: run `python tasks.py notebooks --in-place` to save the kernel's own kernelspec")
