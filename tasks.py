#!/usr/bin/env python3
"""One entry point for the project's jobs; needs only Python 3.11+ (it installs everything else).

    python tasks.py notebooks   # run every notebook top to bottom, offline, saving outputs in place
    python tasks.py test        # lint, then the test suite (which also executes every notebook)
    python tasks.py setup       # just create .venv and install the notebooks' needs (a Codespace runs this)
    python tasks.py data        # rebuild data/embeddings/ from the CSVs with the offline model
    python tasks.py data --check  # rebuild without writing; compare with the shipped files (within 1e-5)
    python tasks.py benchmarks  # the full benchmark suite (minutes; writes BENCHMARKS.md)

Each command creates ``.venv`` in the project folder on first use and installs the requirements file it
needs (again only when that file changes), then runs inside it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")

# What each command installs. Later entries include the earlier ones (see the files).
REQUIREMENTS = {
    "notebooks": "requirements.txt",
    "setup": "requirements.txt",
    "test": "requirements-dev.txt",
    "data": "requirements-local.txt",
    "benchmarks": "requirements-benchmarks.txt",
}


def _say(message: str) -> None:
    print(f"[tasks] {message}", flush=True)


def _run(*command: str | Path) -> None:
    result = subprocess.run([str(part) for part in command], cwd=ROOT)
    if result.returncode != 0:
        sys.exit(result.returncode)


def _requirements_digest(requirements: str) -> str:
    digest = hashlib.sha256()
    for name in sorted(p.name for p in ROOT.glob("requirements*.txt")) + ["pyproject.toml"]:
        digest.update(name.encode() + (ROOT / name).read_bytes())
    digest.update(requirements.encode())
    return digest.hexdigest()


def ensure_environment(command: str) -> None:
    """Create .venv if needed and install what ``command`` needs, unless it is already installed."""
    requirements = REQUIREMENTS[command]
    if not PYTHON.exists():
        _say(f"creating a virtual environment in {VENV.name}/ ...")
        venv.EnvBuilder(with_pip=True).create(VENV)
        _run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    # A stamp per requirements file: a file that installs more also satisfies the lighter ones.
    stamp = VENV / f".installed-{requirements}"
    digest = _requirements_digest(requirements)
    if stamp.exists() and stamp.read_text() == digest:
        return
    heavy = requirements != "requirements.txt"  # the others add PyTorch for the offline model
    _say(f"installing {requirements} into {VENV.name}/ (again only when it changes"
         + ("; PyTorch makes this a large download the first time" if heavy else "") + ") ...")
    _run(PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", requirements)
    stamp.write_text(digest)


def run_notebooks() -> None:
    """Execute every notebook in place with the offline defaults and report the time each took."""
    from vectorlab.notebook_runner import execute_notebook, notebook_paths

    total = 0.0
    paths = notebook_paths(ROOT / "notebooks")
    for path in paths:
        _say(f"running {path.relative_to(ROOT)} ...")
        seconds = execute_notebook(path, write=True)
        total += seconds
        _say(f"  done in {seconds:.1f} s")
    _say(f"all {len(paths)} notebooks ran top to bottom in {total:.1f} s; results (outputs) are saved in "
         "notebooks/*.ipynb: open them in Jupyter or VS Code, or view them on GitHub")


def run_tests(extra: list[str]) -> None:
    """Lint with ruff, then run pytest (package tests, doctests, notebooks, data checks)."""
    _run(PYTHON, "-m", "ruff", "check", ".")
    _run(PYTHON, "-m", "pytest", *extra)


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in REQUIREMENTS:
        print(__doc__)
        sys.exit(2)
    command, extra = argv[0], argv[1:]
    if Path(sys.prefix).resolve() != VENV.resolve():
        ensure_environment(command)
        _run(PYTHON, Path(__file__).resolve(), *argv)
        return
    if command == "notebooks":
        run_notebooks()
    elif command == "test":
        run_tests(extra)
    elif command == "setup":
        _say(f"ready: {VENV.name}/ has everything; select it as the Python interpreter / Jupyter kernel")
    elif command == "data":
        _run(PYTHON, ROOT / "scripts" / "prepare_data.py", *extra)
    elif command == "benchmarks":
        _run(PYTHON, "-m", "benchmarks", *extra)


if __name__ == "__main__":
    main(sys.argv[1:])
