"""notebook_session: one run per notebook, every registered probe answered by it, a failing probe failing
only its own claim."""

from __future__ import annotations

import nbformat
import notebook_session
import pytest

pytestmark = pytest.mark.notebook  # starts a kernel


def test_one_run_answers_every_registered_probe_and_a_bad_probe_fails_only_itself(tmp_path, monkeypatch):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 41 + 1\nwords = ['a', 'b']")])
    nbformat.write(notebook, tmp_path / "tiny.ipynb")
    monkeypatch.setattr(notebook_session, "NOTEBOOKS", tmp_path)
    monkeypatch.setattr(notebook_session, "PROBES", {})
    monkeypatch.setattr(notebook_session, "_runs", {})
    runs = []
    real = notebook_session.run_notebook
    monkeypatch.setattr(notebook_session, "run_notebook", lambda *a, **k: runs.append(a) or real(*a, **k))

    notebook_session.register("tiny.ipynb", {"answer": "x"})
    notebook_session.register("tiny.ipynb", {"count": "len(words)", "broken": "undefined_name"})
    assert notebook_session.probe_values("tiny.ipynb", {"answer": "x"}) == {"answer": 42}
    assert notebook_session.probe_values("tiny.ipynb", {"count": "len(words)"}) == {"count": 2}
    with pytest.raises(AssertionError, match="NameError"):
        notebook_session.probe_values("tiny.ipynb", {"broken": "undefined_name"})
    run = notebook_session.execution("tiny.ipynb")
    assert run.error is None and len(run.notebook.cells) == 1  # the probe cell is not part of the notebook
    assert len(runs) == 1, "the notebook ran once for every probe and the execution check"
    notebook_session.probe_values("tiny.ipynb", {"late": "x * 2"})  # asked for after the run: one more run
    assert len(runs) == 2


def test_a_failing_cell_is_the_error_of_every_reader(tmp_path, monkeypatch):
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 / 0")]), tmp_path / "bad.ipynb")
    monkeypatch.setattr(notebook_session, "NOTEBOOKS", tmp_path)
    monkeypatch.setattr(notebook_session, "PROBES", {})
    monkeypatch.setattr(notebook_session, "_runs", {})
    with pytest.raises(Exception, match="ZeroDivisionError"):
        notebook_session.execution("bad.ipynb").raise_error()
    with pytest.raises(Exception, match="ZeroDivisionError"):
        notebook_session.probe_values("bad.ipynb", {})
