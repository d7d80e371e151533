"""Writing files so that a crash, a full disk or a bad path never leaves half a file (private helpers).

:func:`atomic_write` writes to a temporary file in the target's folder, checks that every byte reached
the disk (``fsync``), then renames it over the target with ``os.replace``, which is atomic: a reader
sees the old file or the new one. On any error the temporary file is removed and the target untouched.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = ["atomic_write", "temporary_path", "file_sha256", "check_writable_path", "fsync_file", "slug", "pretty_size"]


def check_writable_path(path: Path, what: str) -> None:
    """Raise a clear error before writing if ``path`` is a folder (or its parent is a file)."""
    if path.is_dir():
        raise IsADirectoryError(f"cannot save {what} to {path}: it is a folder; pass a file name inside it, "
                                f"e.g. {path / 'index.bin'}")
    if path.parent.exists() and not path.parent.is_dir():
        raise NotADirectoryError(f"cannot save {what} to {path}: {path.parent} is a file, not a folder")


@contextlib.contextmanager
def temporary_path(path: Path) -> Iterator[Path]:
    """A fresh temporary file name beside ``path`` (same file system), removed afterwards unless renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Not tempfile.mkstemp: its 0600 permissions would stay on the renamed file.
    temporary = path.with_name(f".{path.name[:40]}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp")
    temporary.touch(exist_ok=False)
    try:
        yield temporary
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink()


def fsync_file(path: Path) -> None:
    """Make sure a written file's bytes are on disk (a full disk raises here, not later)."""
    with open(path, "rb+") as file:
        os.fsync(file.fileno())


def atomic_write(path: Path, content: bytes | Callable[[Path], None], what: str = "the file", *,
                 fsync: bool = True) -> None:
    """Write ``content`` (bytes, or a function that writes a given path) to ``path`` atomically.

    ``fsync=False`` skips flushing to the disk: still atomic against a crashed process, not against power
    loss (the embeddings cache, thousands of small recomputable files, uses it).

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> atomic_write(target, b"hello")
    >>> target.read_bytes(), sorted(p.name for p in target.parent.iterdir())
    (b'hello', ['x.txt'])
    """
    check_writable_path(path, what)
    with temporary_path(path) as temporary:
        if isinstance(content, bytes):
            with open(temporary, "wb") as file:
                file.write(content)
                if fsync:
                    file.flush()
                    os.fsync(file.fileno())
        else:
            content(temporary)
            if fsync:
                fsync_file(temporary)
        os.replace(temporary, path)


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks."""
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def slug(name: str) -> str:
    """``name`` made safe as one file or folder name: ``/`` becomes ``__``, other unsafe runs ``_``.

    The result never contains a path separator, never starts or ends with a dot (no ``..``, no hidden
    file) and is never empty. Names made of letters, digits, ``.``, ``_`` and ``-`` are unchanged, so
    the cache and the dataset files (``words.use-multilingual-v3.json``) name a model the same way.

    >>> slug("openai/text-embedding-3-small"), slug("use-multilingual-v3"), slug("../x y")
    ('openai__text-embedding-3-small', 'use-multilingual-v3', '__x_y')
    """
    return _UNSAFE.sub("_", name.replace("/", "__")).strip(".") or "_"


def pretty_size(n_bytes: int, base: int = 1024) -> str:
    """A size in bytes for people: in powers of 1024 like PostgreSQL's ``pg_size_pretty``, or with
    ``base=1000`` in SI units (the benchmark pages, whose bandwidths are GB/s of 10**9 bytes).

    >>> pretty_size(512), pretty_size(8192), pretty_size(1_572_864), pretty_size(3 * 2**30)
    ('512 B', '8.0 kB', '1.5 MB', '3.0 GB')
    >>> pretty_size(153_600_000, base=1000)
    '153.6 MB'
    """
    for unit, power in (("GB", 3), ("MB", 2), ("kB", 1)):
        if n_bytes >= base**power:
            return f"{n_bytes / base**power:.1f} {unit}"
    return f"{n_bytes} B"
