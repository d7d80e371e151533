"""Execute the notebooks headless, the same way for ``python tasks.py notebooks``, the site and the tests.

The kernel is the one this environment provides (``python3`` from ipykernel); the saved notebook's
``kernelspec`` is set from that kernel's own spec, so JupyterLab and VS Code find nothing to change when
they open it. The kernel talks to this process over CurveZMQ-encrypted sockets (or a Unix socket when
pyzmq has no Curve support), so ipykernel has no reason to warn about plain-text TCP.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = [
    "OFFLINE_ENV",
    "STATIC_RENDERER",
    "KERNEL_NAME",
    "notebook_paths",
    "notebook_section",
    "notebook_language",
    "counterpart",
    "SPANISH",
    "find_browser",
    "static_image_env",
    "kernelspec_metadata",
    "execute_notebook",
    "run_notebook",
    "WORDS_PER_MINUTE",
    "MINUTES_PER_CODE_CELL",
    "estimate_minutes",
]

OFFLINE_ENV: dict[str, str] = {
    "API_HOST": "use",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
}
"""The offline defaults: the offline model (texts it has seen come from the cache) and no hub look-ups."""

STATIC_RENDERER = "plotly_mimetype+png"
"""Plotly renderers whose outputs share one bundle: the interactive figure (JSON, drawn by JupyterLab,
VS Code and the site) and a PNG of it (shown by GitHub and any viewer that runs no JavaScript)."""

KERNEL_NAME = "python3"

SECTIONS: tuple[tuple[str, str], ...] = (
    ("", "workshop"), ("solutions", "solutions"), ("deep-dives", "deep dives"),
    ("es", "taller"), ("es/solutions", "soluciones"),
)
"""(sub-folder of ``notebooks/``, section name) in the order the notebooks are run and listed: the English
path, its solutions and the deep dives, then the Spanish path (``notebooks/es/``) and its solutions."""

SPANISH = "es"
"""The sub-folder of ``notebooks/`` that holds the Spanish workshop path (same file names as the English one)."""

WORDS_PER_MINUTE = 150
MINUTES_PER_CODE_CELL = 1
"""The workshop's time estimate: prose read at 150 words a minute, one minute per code cell (read, run, look)."""

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


def notebook_paths(folder: str | os.PathLike[str]) -> list[Path]:
    """Every notebook under ``folder``, in :data:`SECTIONS` order: the numbered workshop path
    (``01_generate.ipynb`` ...), ``solutions/*.ipynb``, ``deep-dives/*.ipynb``, then the Spanish path
    ``es/[0-9][0-9]_*.ipynb`` and ``es/solutions/*.ipynb``, each group sorted by name."""
    folder = Path(folder)
    workshop = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    if not workshop:
        raise FileNotFoundError(f"no notebooks named like 01_*.ipynb in {folder}")
    others = []
    for sub, _ in SECTIONS[1:]:
        pattern = "[0-9][0-9]_*.ipynb" if sub == SPANISH else "*.ipynb"
        others += sorted((folder / sub).glob(pattern))
    return workshop + others


def _sub_folder(path: Path, root: Path | None) -> str:
    """The sub-folder of ``notebooks/`` holding ``path`` (``""``, ``"solutions"``, ``"es/solutions"`` ...)."""
    if root is not None:
        return path.parent.relative_to(root).as_posix().strip(".")
    parent = path.parent
    if parent.name == "solutions" and parent.parent.name == SPANISH:
        return f"{SPANISH}/solutions"
    known = {sub for sub, _ in SECTIONS}
    return parent.name if parent.name in known else ""


def notebook_section(path: str | os.PathLike[str], root: str | os.PathLike[str] | None = None) -> str:
    """``"workshop"``, ``"solutions"``, ``"deep dives"``, ``"taller"`` or ``"soluciones"``, from the folder the
    notebook is in (relative to ``root``, the ``notebooks/`` folder, when given)."""
    sub = _sub_folder(Path(path), None if root is None else Path(root))
    return next((name for folder, name in SECTIONS if folder == sub), "workshop")


def notebook_language(path: str | os.PathLike[str], root: str | os.PathLike[str] | None = None) -> str:
    """``"es"`` for a notebook of the Spanish path (under ``notebooks/es/``), else ``"en"``."""
    sub = _sub_folder(Path(path), None if root is None else Path(root))
    return "es" if sub.split("/")[0] == SPANISH else "en"


def counterpart(relative: str | os.PathLike[str]) -> Path:
    """The same notebook in the other language, as a path under ``notebooks/``: ``01_generate.ipynb`` <->
    ``es/01_generate.ipynb``, ``solutions/01_generate.ipynb`` <-> ``es/solutions/01_generate.ipynb``.
    (Deep dives have none in Spanish; whether the file exists is for the caller to check.)"""
    parts = Path(relative).parts
    if parts and parts[0] == SPANISH:
        return Path(*parts[1:])
    return Path(SPANISH, *parts)


def _source(cell: Mapping[str, Any]) -> str:
    source = cell.get("source", "")
    return source if isinstance(source, str) else "".join(source)


def estimate_minutes(notebook: str | os.PathLike[str] | Mapping[str, Any]) -> float:
    """Minutes a learner spends on a notebook: words of Markdown / :data:`WORDS_PER_MINUTE` plus
    :data:`MINUTES_PER_CODE_CELL` per code cell. ``notebook`` is a path to an ``.ipynb`` or its JSON."""
    if isinstance(notebook, Mapping):
        content: Mapping[str, Any] = notebook
    else:
        with Path(notebook).open(encoding="utf-8") as file:
            content = json.load(file)
    cells = content.get("cells")
    if not isinstance(cells, list):
        from vectorlab.errors import InvalidInputError

        raise InvalidInputError(f"not a notebook (no list of cells): {str(notebook)[:80]!r}; "
                                "pass an .ipynb path or its JSON")
    words = sum(len(_source(cell).split()) for cell in cells if cell.get("cell_type") == "markdown")
    code = sum(cell.get("cell_type") == "code" for cell in cells)
    return float(words / WORDS_PER_MINUTE + MINUTES_PER_CODE_CELL * code)


def find_browser() -> str | None:
    """The Chrome/Chromium that plotly's static export (kaleido 1.x) will drive, or None.

    ``BROWSER_PATH`` wins when it names an existing file (kaleido reads the same variable); else the
    first of chromium, chromium-browser, google-chrome ... on the ``PATH``.
    """
    configured = os.environ.get("BROWSER_PATH")
    if configured and Path(configured).is_file():
        return configured
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def static_image_env() -> dict[str, str]:
    """Environment for a kernel whose plotly figures also carry a PNG (needs kaleido and a browser)."""
    browser = find_browser()
    if browser is None:
        raise RuntimeError(
            "static images of the figures need Chrome or Chromium for plotly's export (kaleido), and none was "
            f"found (looked for BROWSER_PATH, then {', '.join(BROWSERS)} on the PATH). Fix: install one "
            "(Debian/Ubuntu: sudo apt-get install chromium) or set BROWSER_PATH to its executable.")
    return {"PLOTLY_RENDERER": STATIC_RENDERER, "BROWSER_PATH": browser}


def kernelspec_metadata(kernel_name: str = KERNEL_NAME) -> dict[str, str]:
    """The ``kernelspec`` notebook metadata of the kernel this environment provides, as Jupyter writes it."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec(kernel_name)
    return {"display_name": spec.display_name, "language": spec.language, "name": kernel_name}


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


def _quiet_transport() -> tuple[Any, str | None]:
    """Kernel manager settings under which ipykernel does not warn about unencrypted TCP.

    Returns the traitlets config and, for a Unix-socket transport, the temporary folder holding the sockets.
    """
    import tempfile

    import zmq
    from jupyter_client.manager import KernelManager
    from traitlets.config import Config

    config = Config()
    if zmq.has("curve") and KernelManager.class_traits().get("transport_encryption") is not None:
        config.KernelManager.transport_encryption = "auto"  # Curve keys, when the kernelspec supports them
        return config, None
    if os.name != "nt":  # older jupyter_client, or pyzmq without Curve: Unix sockets, outside the project
        folder = tempfile.mkdtemp(prefix="vectorlab-kernel-")
        config.KernelManager.transport = "ipc"
        config.KernelManager.ip = os.path.join(folder, "kernel")
        return config, folder
    return config, None  # Windows without Curve: TCP on 127.0.0.1 (ipykernel may warn)


def run_notebook(path: str | os.PathLike[str], *, timeout: int = 600, env: Mapping[str, str] | None = None,
                 extra_cells: Sequence[str] = ()) -> Any:
    """Execute the notebook at ``path`` top to bottom, plus ``extra_cells`` appended (never saved), and
    return the executed notebook (an ``nbformat`` node; the file is not touched).

    Cells run with the notebook's folder as working directory, in a fresh kernel whose environment is
    this process's plus ``env`` (default :data:`OFFLINE_ENV`). A failing cell raises
    ``nbclient.exceptions.CellExecutionError`` naming the cell.
    """
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.extend(nbformat.v4.new_code_cell(source) for source in extra_cells)
    config, socket_folder = _quiet_transport()
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name=KERNEL_NAME,
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
        coalesce_streams=True,  # one progress bar per cell, not one output per refresh
        config=config,
    )
    try:
        with _environment(OFFLINE_ENV if env is None else env):
            client.execute()
    finally:
        if socket_folder is not None:
            shutil.rmtree(socket_folder, ignore_errors=True)
    return notebook


def execute_notebook(path: str | os.PathLike[str], *, write: bool = False, timeout: int = 600,
                     env: Mapping[str, str] | None = None, output: str | os.PathLike[str] | None = None) -> float:
    """Run every cell of the notebook at ``path`` top to bottom and return the seconds it took.

    As :func:`run_notebook` (add :func:`static_image_env` to ``env`` for figures with PNGs). With
    ``write=True`` the outputs are saved back into the file; otherwise the file is left untouched.
    ``output`` saves the executed notebook to another path instead (its folder is created).
    The saved notebook's ``kernelspec`` is that of the kernel that ran it (:func:`kernelspec_metadata`),
    and its ``language_info`` has no ``version`` (a patch release apart would mark it modified in Lab).
    """
    import nbformat

    start = time.perf_counter()
    notebook = run_notebook(path, timeout=timeout, env=env)
    elapsed = time.perf_counter() - start
    notebook.metadata["kernelspec"] = kernelspec_metadata(KERNEL_NAME)
    # The exact Python version (3.11.7) differs between machines, and JupyterLab then marks the notebook
    # modified as soon as it opens; the language's name, mimetype etc. stay.
    notebook.metadata.get("language_info", {}).pop("version", None)
    if write:
        nbformat.write(notebook, path)
    if output is not None:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, output)
    return elapsed
