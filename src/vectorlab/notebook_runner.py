"""Execute the workshop notebooks headless, the same way for ``python tasks.py notebooks`` and the tests."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

__all__ = ["OFFLINE_ENV", "notebook_paths", "execute_notebook"]

OFFLINE_ENV: dict[str, str] = {
    "API_HOST": "local",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
}
"""The offline defaults: the local model (or, without it, the committed cache) and no hub look-ups."""


def notebook_paths(folder: str | os.PathLike[str]) -> list[Path]:
    """The numbered notebooks in ``folder`` (``01_generate.ipynb`` ...), in order."""
    paths = sorted(Path(folder).glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        raise FileNotFoundError(f"no notebooks named like 01_*.ipynb in {folder}")
    return paths


@contextmanager
def _environment(overrides: Mapping[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in overrides}
    os.environ.update(overrides)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def execute_notebook(path: str | os.PathLike[str], *, write: bool = False, timeout: int = 600,
                     env: Mapping[str, str] | None = None, output: str | os.PathLike[str] | None = None) -> float:
    """Run every cell of the notebook at ``path`` top to bottom and return the seconds it took.

    Cells run with the notebook's folder as working directory, in a fresh kernel whose environment is
    this process's plus ``env`` (default :data:`OFFLINE_ENV`). A failing cell raises
    ``nbclient.exceptions.CellExecutionError`` naming the cell. With ``write=True`` the outputs are
    saved back into the file; otherwise the file is left untouched. ``output`` saves the executed
    notebook to another path instead (to inspect its outputs without touching the original).
    """
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
        coalesce_streams=True,  # one progress bar per cell, not one output per refresh
    )
    start = time.perf_counter()
    with _environment(OFFLINE_ENV if env is None else env):
        client.execute()
    elapsed = time.perf_counter() - start
    if write:
        nbformat.write(notebook, path)
    if output is not None:
        nbformat.write(notebook, output)
    return elapsed
