"""The workshop is one hour: a time estimate per notebook, computed from the notebooks themselves.

Estimate (issue 11): words of prose read at 150 words a minute, plus one minute per code cell (reading it,
running it, looking at its output). The workshop path 01-06 must fit in 60 minutes, and no notebook of the
path (07, the "next step", included) may take more than 12. The README's table shows these estimates; a
test keeps it in step. The rest checks the shape every workshop notebook promises: at most four "what you
will learn" bullets, code cells of at most ~15 lines, "Try this" with 3-5 exercises, "Further reading",
and a solutions notebook beside it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tools.notebook_runner import estimate_minutes

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
WORKSHOP = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
PATH_01_06 = [path for path in WORKSHOP if path.name[:2] <= "06"]
BUDGET_PATH = 60
BUDGET_NOTEBOOK = 12
MAX_CODE_LINES = 15


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def prose_words(path: Path) -> int:
    return sum(len(source(cell).split()) for cell in cells(path) if cell["cell_type"] == "markdown")


def code_cells(path: Path) -> int:
    return sum(cell["cell_type"] == "code" for cell in cells(path))


def section(path: Path, heading: str) -> str:
    """The markdown under ``## heading`` (or ``**heading**``) up to the next heading."""
    text = "\n".join(source(cell) for cell in cells(path) if cell["cell_type"] == "markdown")
    match = re.search(rf"(?:^## {re.escape(heading)}|^\*\*{re.escape(heading)}\*\*)\s*\n(.*?)(?=^#|^\*\*\w|\Z)",
                      text, flags=re.M | re.S)
    assert match, f"{path.name} has no '{heading}' section"
    return match.group(1)


def test_the_estimate_counts_words_and_code_cells(tmp_path):
    """The estimate (tools.notebook_runner.estimate_minutes, which the site index shows too), on a
    notebook made up for the test: 300 words and 2 code cells = 300 / 150 + 2 = 4 minutes."""
    notebook = {"cells": [{"cell_type": "markdown", "source": ["word " * 150]},
                          {"cell_type": "code", "source": "x = 1"},
                          {"cell_type": "markdown", "source": "word " * 150},
                          {"cell_type": "code", "source": ["y = 2\n", "z = 3"]}]}
    path = tmp_path / "01_made_up.ipynb"
    path.write_text(json.dumps(notebook))
    assert prose_words(path) == 300 and code_cells(path) == 2
    assert estimate_minutes(path) == pytest.approx(4.0)


def test_the_workshop_path_is_there():
    assert [path.stem for path in WORKSHOP] == ["01_generate", "02_similarity", "03_visualize", "04_search",
                                                "05_quantize", "06_reduce_dimensions", "07_vector_database"]


def test_workshop_path_fits_in_one_hour():
    minutes = {path.stem: round(estimate_minutes(path), 1) for path in PATH_01_06}
    total = sum(estimate_minutes(path) for path in PATH_01_06)
    assert total <= BUDGET_PATH, f"01-06 take {total:.1f} min by the estimate (budget {BUDGET_PATH}): {minutes}"


@pytest.mark.parametrize("path", WORKSHOP, ids=[path.stem for path in WORKSHOP])
def test_each_workshop_notebook_fits_its_budget(path):
    minutes = estimate_minutes(path)
    assert minutes <= BUDGET_NOTEBOOK, (
        f"{path.name}: {prose_words(path)} words and {code_cells(path)} code cells = {minutes:.1f} min "
        f"(budget {BUDGET_NOTEBOOK}): cut prose or merge cells, or move material to notebooks/deep-dives/")


@pytest.mark.parametrize("path", WORKSHOP, ids=[path.stem for path in WORKSHOP])
def test_each_workshop_notebook_has_the_promised_shape(path):
    learn = re.findall(r"^- ", section(path, "What you will learn"), flags=re.M)
    assert 1 <= len(learn) <= 4, f"{path.name}: {len(learn)} 'what you will learn' bullets (at most 4)"
    exercises = re.findall(r"^\d+\. ", section(path, "Try this"), flags=re.M)
    assert 3 <= len(exercises) <= 5, f"{path.name}: {len(exercises)} exercises in 'Try this' (3 to 5)"
    assert re.findall(r"^- ", section(path, "Further reading"), flags=re.M), f"{path.name}: no further reading"
    long_cells = [(i, len(source(cell).splitlines())) for i, cell in enumerate(cells(path))
                  if cell["cell_type"] == "code" and len(source(cell).splitlines()) > MAX_CODE_LINES]
    assert not long_cells, f"{path.name}: code cells longer than {MAX_CODE_LINES} lines (cell, lines): {long_cells}"


@pytest.mark.parametrize("path", WORKSHOP, ids=[path.stem for path in WORKSHOP])
def test_each_workshop_notebook_has_a_solutions_notebook(path):
    solution = NOTEBOOKS / "solutions" / path.name
    assert solution.exists(), f"missing {solution.relative_to(ROOT)}"
    assert f"solutions/{path.name}" in "".join(source(cell) for cell in cells(path)), (
        f"{path.name} does not link to its solutions notebook")


def readme_minutes() -> dict[str, float]:
    """The README notebook table's estimate column: {notebook stem: minutes}."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\|\s*\[[^\]]*\]\(notebooks/([0-9]{2}_\w+)\.ipynb\)\s*\|[^|]*\|\s*([\d.]+)\s*\|", readme,
                      flags=re.M)
    return {stem: float(minutes) for stem, minutes in rows}


def test_readme_table_shows_the_computed_estimates():
    shown = readme_minutes()
    assert set(shown) == {path.stem for path in WORKSHOP}, f"README notebook table rows: {sorted(shown)}"
    for path in WORKSHOP:
        assert shown[path.stem] == pytest.approx(round(estimate_minutes(path)), abs=0.5), (
            f"README says {shown[path.stem]} min for {path.name}, the estimate is {estimate_minutes(path):.1f}")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    total = round(sum(estimate_minutes(path) for path in PATH_01_06))
    assert re.search(rf"\b{total} minutes\b", readme), f"README should give the path's total, {total} minutes"


def test_readme_agenda_follows_the_estimates():
    """The agenda's start times are the cumulative (rounded) estimates of 01-06, and it ends within the hour."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    agenda = re.search(r"### Suggested agenda for an instructor\n(.*?)\n\n", readme, flags=re.S)
    assert agenda, "README has no 'Suggested agenda for an instructor' table"
    rows = re.findall(r"^\|\s*0:(\d\d)\s*\|[^|]*\|\s*(\d+)\s*\|", agenda.group(1), flags=re.M)
    starts = [int(start) for start, _ in rows]
    expected, clock = [], 0
    for path in PATH_01_06:
        expected.append(clock)
        clock += round(estimate_minutes(path))
    assert starts[: len(PATH_01_06)] == expected, f"agenda starts {starts}, estimates give {expected}"
    last_start, last_minutes = int(rows[-1][0]), int(rows[-1][1])
    assert last_start == clock and last_start + last_minutes <= 60, rows
