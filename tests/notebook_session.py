"""Each notebook executed once per test session, shared by every test that needs it executed.

The execution test (test_notebooks.py) and the claims test (test_notebook_claims.py) read the same run:
offline, with the default model (API_HOST=use), no key, no torch, and a throwaway embeddings cache that
starts empty (one per session, so nothing touches the committed folder). The claims' probes are
registered before anything runs (conftest.py collects every ``claims(relative, probes)`` call of the
claims test) and appended to that single run as one last cell, which evaluates each probe on its own:
a probe that fails fails its claim, not the notebook.
"""

from __future__ import annotations

import ast
import atexit
import functools
import inspect
import json
import shutil
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.notebook_runner import OFFLINE_ENV, run_notebook

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
MARK = "CLAIMS-JSON:"
TIMEOUT = 900

PROBES: dict[str, dict[str, str]] = {}
"""Per notebook (path under notebooks/), every probe expression to evaluate after it ran, by name."""


@dataclass
class Execution:
    """One notebook's run: the executed notebook, or the error of the cell that failed, and the probes."""

    relative: str
    notebook: Any = None
    error: BaseException | None = None
    probes: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)    # probe name -> value
    failed: dict[str, str] = field(default_factory=dict)    # probe name -> its error

    def raise_error(self) -> None:
        """Re-raise the error of the notebook's own failing cell, if one failed."""
        if self.error is not None:
            raise self.error


_runs: dict[str, Execution] = {}
_cache_dir: str | None = None


def _probe_key(expression: str) -> str:
    return f"p{abs(hash(expression))}"


def register(relative: str, probes: dict[str, str]) -> None:
    """Ask for ``probes`` (name -> expression) to be evaluated after notebook ``relative`` runs."""
    PROBES.setdefault(relative, {}).update({_probe_key(expression): expression for expression in probes.values()})


def _probe_cell(probes: dict[str, str]) -> str:
    lines = ["import json as _json", "_claims, _failed = {}, {}"]
    for key, expression in probes.items():
        lines += ["try:", f"    _claims[{key!r}] = {expression}",
                  "except Exception as _error:", f"    _failed[{key!r}] = f'{{type(_error).__name__}}: {{_error}}'"]
    lines.append(f"print({MARK!r} + _json.dumps({{'values': _claims, 'failed': _failed}}, "
                 "default=lambda v: v.item() if hasattr(v, 'item') else str(v)))")
    return "\n".join(lines)


def _cache() -> str:
    global _cache_dir
    if _cache_dir is None:
        _cache_dir = tempfile.mkdtemp(prefix="vectorlab-notebook-cache-")
        atexit.register(shutil.rmtree, _cache_dir, True)
    return _cache_dir


def execution(relative: str) -> Execution:
    """Notebook ``relative`` executed, once per session (again only if probes it lacks were asked for later)."""
    wanted = PROBES.get(relative, {})
    run = _runs.get(relative)
    if run is not None and wanted.keys() <= run.probes.keys():
        return run
    run = Execution(relative, probes=dict(wanted))
    extra = [_probe_cell(run.probes)] if run.probes else []
    env = {**OFFLINE_ENV, "VECTORLAB_CACHE_DIR": _cache()}
    try:
        run.notebook = run_notebook(NOTEBOOKS / relative, timeout=TIMEOUT, env=env, extra_cells=extra)
    except Exception as error:  # the failing cell's error, for every test that reads this run
        run.error = error
    else:
        if extra:
            cell = run.notebook.cells[-1]
            text = "".join(output.get("text", "") for output in cell.outputs if output.output_type == "stream")
            line = next(line for line in text.splitlines() if line.startswith(MARK))
            answer = json.loads(line[len(MARK):])
            run.values, run.failed = answer["values"], answer["failed"]
            run.notebook.cells.pop()  # the probe cell is never part of the notebook
    _runs[relative] = run
    return run


def probe_values(relative: str, probes: dict[str, str]) -> dict[str, Any]:
    """The values of ``probes`` (name -> expression) in notebook ``relative``'s one run."""
    register(relative, probes)
    run = execution(relative)
    run.raise_error()
    failed = {name: run.failed[_probe_key(expression)] for name, expression in probes.items()
              if _probe_key(expression) in run.failed}
    if failed:
        raise AssertionError(f"{relative}: probes failed after the notebook ran: {failed}")
    return {name: run.values[_probe_key(expression)] for name, expression in probes.items()}


def _claims_calls(source_of: Any) -> list[ast.Call]:
    """Every ``claims("notebook.ipynb", PROBES)`` call written in the source of a module or function."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(source_of)))
    return [node for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "claims"
            and len(node.args) == 2 and isinstance(node.args[0], ast.Constant)]


def register_claims_module(module: Any) -> None:
    """Register every ``claims("notebook.ipynb", PROBES)`` call written in ``module``'s source."""
    for node in _claims_calls(module):
        probes = eval(compile(ast.Expression(node.args[1]), "<claims>", "eval"), vars(module))  # noqa: S307
        register(node.args[0].value, probes)


def claimed_notebooks(function: Any) -> set[str]:
    """The notebooks (paths under notebooks/) whose run a claims test function reads."""
    return {node.args[0].value for node in _claims_calls(function)}


@functools.cache  # asked once per test that reads the notebook's run, at every worker's collection
def uses_database(relative: str) -> bool:
    """Whether notebook ``relative`` connects to PostgreSQL (the embedded server, or DATABASE_URL)."""
    cells = json.loads((NOTEBOOKS / relative).read_text(encoding="utf-8"))["cells"]
    return any("vectordb.connect(" in "".join(cell["source"]) for cell in cells if cell["cell_type"] == "code")
