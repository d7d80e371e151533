"""File helpers shared by the modules that write to disk: a safe folder/file name, an atomic write.

Private: the cache (:mod:`vectorlab.cache`) and the dataset writer (:mod:`vectorlab.data`) use them so
that both name models the same way and neither can leave half a file behind.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from pathlib import Path

__all__ = ["slug", "atomic_write_text"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def slug(name: str) -> str:
    """``name`` made safe as one file or folder name: ``/`` becomes ``__``, other unsafe runs ``_``.

    The result never contains a path separator, never starts or ends with a dot (no ``..``, no hidden
    file) and is never empty. Names made of letters, digits, ``.``, ``_`` and ``-`` are unchanged.

    >>> slug("openai/text-embedding-3-small"), slug("use-multilingual-v3"), slug("../x y")
    ('openai__text-embedding-3-small', 'use-multilingual-v3', '__x_y')
    """
    return _UNSAFE.sub("_", name.replace("/", "__")).strip(".") or "_"


def atomic_write_text(path: str | os.PathLike[str], text: str, *, fsync: bool = False) -> Path:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``path`` so that readers see the old file or the new one.

    The text goes to a uniquely named ``.*.tmp`` file in the same folder, which is then moved over
    ``path`` with ``os.replace`` (atomic on one file system). Two writers never share a temporary file,
    and on any failure (a lone surrogate that can't be encoded, a full disk) the temporary file is
    removed and ``path`` is untouched. ``fsync=True`` also flushes the data to the disk first
    (protects against power loss, not needed against a crashed process).
    """
    path = Path(path)
    data = text.encode("utf-8")  # before any file exists: an unencodable text leaves nothing behind
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:24]}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
            if fsync:
                temp.flush()
                os.fsync(temp.fileno())
        _replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    return path


def _replace(source: str, target: Path) -> None:
    # On Windows os.replace fails while another process has the target open: retry briefly.
    for attempt in range(20):
        try:
            os.replace(source, target)
            return
        except PermissionError:
            if os.name != "nt" or attempt == 19:
                raise
            time.sleep(0.01 * (attempt + 1))
