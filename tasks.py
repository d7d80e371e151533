#!/usr/bin/env python3
"""One entry point for the project's jobs; needs only Python 3.11+ (it installs everything else).

    python tasks.py notebooks   # run every notebook, offline, into build/; writes an HTML site and prints its path
    python tasks.py test        # lint, then the tests (which execute every notebook) with the type check beside them
    python tasks.py test --quick   # the edit loop: ruff, then pytest without notebooks, database, browser, slow tests
    python tasks.py setup       # just create .venv and install the notebooks' needs and JupyterLab
    python tasks.py lab         # open JupyterLab on the notebooks (after installing what `setup` does)
    python tasks.py data        # rebuild data/embeddings/ from the CSVs with the offline model
    python tasks.py data --check  # rebuild without writing; compare with the shipped files (within 1e-5)
    python tasks.py benchmarks  # the full benchmark suite (minutes; writes BENCHMARKS.md)

Maintainers:
    python tasks.py notebooks --in-place   # re-run the committed notebooks and save their outputs, each
                                           # figure with a PNG beside it (needs Chrome/Chromium)
    python tasks.py notebooks --api-host minilm   # another provider for the run (default: use)

Each command creates ``.venv`` in the project folder on first use and installs the requirements file it
needs (again only when that file changes), then runs inside it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import threading
import time
import venv
from collections import deque
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
BUILD = ROOT / "build"

MINIMUM_PYTHON = (3, 11)
# Python versions for which PyPI has a prebuilt HNSW wheel (chroma-hnswlib>=0.7.6, checked with
# `pip download --only-binary=:all:`); other versions compile it and need a C++ compiler.
PREBUILT_HNSW = {"win32": {(3, 11)}, "darwin": {(3, 11), (3, 12)}}

# What each command installs. Later entries include the earlier ones (see the files).
REQUIREMENTS = {
    "notebooks": "requirements.txt",
    "setup": "requirements.txt",
    "lab": "requirements.txt",
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


def check_python() -> None:
    """Stop early, saying what to do, on a Python that is too old or can't build what it will need."""
    version = sys.version_info[:2]
    if version < MINIMUM_PYTHON:
        sys.exit(f"[tasks] this project needs Python {'.'.join(map(str, MINIMUM_PYTHON))} or newer; this is "
                 f"{sys.version.split()[0]} ({sys.executable}). Install a newer Python (python.org, or your "
                 "package manager) and run this command with it, e.g. `python3.12 tasks.py ...`.")
    try:
        import ensurepip  # noqa: F401  (Debian/Ubuntu ship venv's pip separately)
    except ImportError:
        sys.exit(f"[tasks] this Python cannot create virtual environments with pip. On Debian/Ubuntu/WSL: "
                 f"`sudo apt install python3-venv python3-dev g++` (or python{version[0]}.{version[1]}-venv).")
    if PYTHON.exists():
        return
    dotted = f"{version[0]}.{version[1]}"
    if sys.platform in PREBUILT_HNSW and version not in PREBUILT_HNSW[sys.platform]:
        fix = ("the Microsoft C++ Build Tools (https://visualstudio.microsoft.com/visual-cpp-build-tools/, "
               "workload 'Desktop development with C++')" if sys.platform == "win32"
               else "the Xcode command line tools (`xcode-select --install`)")
        _say(f"note: PyPI has no prebuilt HNSW library (chroma-hnswlib) for Python {dotted} on this system, so "
             f"pip will compile it: that needs {fix}. Or use Python "
             f"{' or '.join('.'.join(map(str, v)) for v in sorted(PREBUILT_HNSW[sys.platform]))}, which needs none.")
    elif sys.platform.startswith("linux"):
        header = Path(sysconfig.get_paths()["include"]) / "Python.h"
        missing = [name for name, ok in (("a C++ compiler (g++)", shutil.which("g++") or shutil.which("c++")),
                                         ("Python's headers (Python.h)", header.exists())) if not ok]
        if missing:
            _say(f"note: hnswlib is compiled on Linux and this machine lacks {' and '.join(missing)}. "
                 f"On Debian/Ubuntu/WSL: `sudo apt install g++ python3-dev` (or python{dotted}-dev).")


def _requirements_digest(requirements: str) -> str:
    digest = hashlib.sha256()
    for name in sorted(p.name for p in ROOT.glob("requirements*.txt")) + ["pyproject.toml"]:
        digest.update(name.encode() + (ROOT / name).read_bytes())
    digest.update(requirements.encode())
    return digest.hexdigest()


def _pip_install(*arguments: str) -> None:
    """pip install with a short progress line per step instead of pip's full log (shown only on failure)."""
    command = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "--progress-bar", "off",
               *arguments]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               bufsize=1, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    log: deque[str] = deque(maxlen=300)
    started = time.monotonic()
    last = started - 10  # the first step shows at once
    done = threading.Event()
    collected = 0

    def heartbeat() -> None:  # pip is silent while it downloads a big wheel or unpacks many packages
        nonlocal last
        while not done.wait(1):
            if time.monotonic() - last >= 15:
                _say(f"  ... still working ({time.monotonic() - started:.0f} s)")
                last = time.monotonic()

    threading.Thread(target=heartbeat, daemon=True).start()
    assert process.stdout is not None
    for line in process.stdout:
        log.append(line)
        text = line.strip()
        message = None
        if text.startswith(("Collecting ", "Processing ")):  # from an index, or a local wheel
            collected += 1
            message = f"  collecting {collected}: {Path(text.split()[1]).name}"
        elif text.startswith("Building wheels for collected packages:"):
            names = text.split(":", 1)[1].strip()
            message = f"  building {names}" + (" (compiling hnswlib's C++: a minute or two)" if "hnswlib" in names
                                                else "") + " ..."
        elif text.startswith("Installing collected packages"):
            count = text.count(",") + 1
            message = f"  installing {count} packages (unpacking: can take a minute) ..."
        elif text.startswith("Successfully installed"):
            message = f"  installed {len(text.split()) - 2} packages in {time.monotonic() - started:.0f} s"
        if message and (time.monotonic() - last >= 2 or not text.startswith(("Collecting", "Processing"))):
            _say(message)
            last = time.monotonic()
    returncode = process.wait()
    done.set()
    if returncode != 0:
        print("".join(log), end="", file=sys.stderr, flush=True)
        _say(f"pip failed (exit code {returncode}); its last lines are above.")
        sys.exit(returncode)


def ensure_environment(command: str) -> None:
    """Create .venv if needed and install what ``command`` needs, unless it is already installed."""
    requirements = REQUIREMENTS[command]
    if not PYTHON.exists():
        _say(f"creating a virtual environment in {VENV.name}/ ...")
        venv.EnvBuilder(with_pip=True).create(VENV)
        _say("upgrading pip in it ...")
        _run(PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--upgrade", "pip")
    # A stamp per requirements file: a file that installs more also satisfies the lighter ones.
    stamp = VENV / f".installed-{requirements}"
    digest = _requirements_digest(requirements)
    if stamp.exists() and stamp.read_text() == digest:
        return
    heavy = requirements != "requirements.txt"  # the others add PyTorch for the offline model
    _say(f"installing {requirements} into {VENV.name}/ (again only when it changes"
         + ("; PyTorch makes this a large download the first time" if heavy else "; a few minutes the first time")
         + ") ...")
    _pip_install("-r", requirements)
    stamp.write_text(digest)


def _option(arguments: list[str], name: str, default: str) -> tuple[str, list[str]]:
    if name not in arguments:
        return default, arguments
    at = arguments.index(name)
    if at + 1 >= len(arguments):
        sys.exit(f"[tasks] {name} needs a value, e.g. {name} {default}")
    return arguments[at + 1], arguments[:at] + arguments[at + 2:]


def run_notebooks(arguments: list[str]) -> None:
    """Run every notebook into build/ and write the HTML site; with --in-place, refresh the committed outputs."""
    from tools.notebook_runner import OFFLINE_ENV, execute_notebook, notebook_paths, static_image_env
    from tools.site import build_site

    api_host, arguments = _option(arguments, "--api-host", OFFLINE_ENV["API_HOST"])
    in_place = "--in-place" in arguments
    unknown = [argument for argument in arguments if argument != "--in-place"]
    if unknown:
        sys.exit(f"[tasks] unknown option(s) for notebooks: {' '.join(unknown)} (use --in-place, --api-host NAME)")
    env = {**OFFLINE_ENV, "API_HOST": api_host}
    folder = ROOT / "notebooks"
    if not in_place:
        index = build_site(folder, BUILD, env=env, say=_say)
        _say(f"the site is ready (offline, interactive figures): open {index.as_uri()}")
        _say(f"executed notebooks: {(BUILD / 'notebooks').relative_to(ROOT)}/ (notebooks/ is unchanged)")
        return
    try:
        env.update(static_image_env())  # each figure also saved as a PNG, for GitHub
    except RuntimeError as error:
        sys.exit(f"[tasks] {error}")
    total = 0.0
    paths = notebook_paths(folder)
    for path in paths:
        _say(f"running {path.relative_to(ROOT).as_posix()} in place ...")
        seconds = execute_notebook(path, write=True, env=env)
        total += seconds
        _say(f"  done in {seconds:.1f} s")
    _say(f"all {len(paths)} notebooks ran top to bottom in {total:.1f} s (API_HOST={api_host}) and their outputs "
         "are saved in notebooks/: review with `git diff --stat`, then commit them (and any new embeddings_cache/ "
         "files)")


QUICK = "not notebook and not db and not browser and not slow"
"""What `test --quick` deselects: the notebooks, the database, the browser and the slow tests (pytest markers)."""


PARALLEL = ("-n", "auto", "--dist", "loadgroup")
"""pytest-xdist: one worker per core; the tests sharing a notebook's run, the database or a costly fixture keep to
one worker (their xdist_group, set in tests/conftest.py). Pass ``-n 0`` to run in this process (e.g. with --pdb)."""


def _pytest(extra: list[str]) -> list[str]:
    chosen = any(argument.startswith(("-n", "--numprocesses")) for argument in extra)
    return ["-m", "pytest", *(() if chosen else PARALLEL), *extra]


def run_tests(extra: list[str]) -> None:
    """Lint with ruff, then pytest (package tests, doctests, notebooks, data checks) with the type checker (mypy,
    strict; pyproject's [tool.mypy]) running beside it. A lint failure stops the run at once; otherwise the run
    fails with the exit code of pytest or, when pytest passed, of mypy.

    ``--quick``: ruff, then pytest without the notebooks, the database, the browser and the slow tests (no mypy),
    for the edit loop."""
    if "--quick" in extra:
        extra = [argument for argument in extra if argument != "--quick"]
        _run(PYTHON, "-m", "ruff", "check", ".")
        _run(PYTHON, *_pytest(["-m", QUICK, *extra]))
        return
    _run(PYTHON, "-m", "ruff", "check", ".")
    # mypy (about a minute on a clean clone, one core) fills the time pytest's workers spend waiting on kernels,
    # browsers and subprocesses: side by side the whole command takes ~30 s less on 2 cores than one after another.
    mypy = subprocess.Popen([str(PYTHON), "-m", "mypy"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    tests = subprocess.run([str(PYTHON), *_pytest(extra)], cwd=ROOT)
    typed, _ = mypy.communicate()
    print(f"[tasks] mypy: {typed.strip()}", flush=True)
    sys.exit(tests.returncode or mypy.returncode)


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in REQUIREMENTS:
        print(__doc__)
        sys.exit(2)
    command, extra = argv[0], argv[1:]
    if Path(sys.prefix).resolve() != VENV.resolve():
        check_python()
        ensure_environment(command)
        _run(PYTHON, Path(__file__).resolve(), *argv)
        return
    if command == "notebooks":
        run_notebooks(extra)
    elif command == "test":
        run_tests(extra)
    elif command == "setup":
        _say(f"ready: {VENV.name}/ has everything, JupyterLab included. Open the notebooks with "
             "`python tasks.py lab`, or in VS Code with the .venv interpreter as the kernel")
    elif command == "lab":
        _run(PYTHON, "-m", "jupyterlab", f"--ServerApp.root_dir={ROOT}", "notebooks/01_generate.ipynb", *extra)
    elif command == "data":
        _run(PYTHON, ROOT / "scripts" / "prepare_data.py", *extra)
    elif command == "benchmarks":
        _run(PYTHON, "-m", "benchmarks", *extra)


if __name__ == "__main__":
    main(sys.argv[1:])
