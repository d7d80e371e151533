"""A durable on-disk cache of embeddings, one small JSON file per (model, dimensions, text).

Layout (git-ignored: every install can recompute the offline model's entries; the format still diffs
well, for a reviewer reading an entry)::

    embeddings_cache/
      use-multilingual-v3/              model id, made safe for a folder name (``/`` becomes ``__``)
        default/                        requested dimensions, or "default" for the model's own
          3f/                           first two hex digits of the key, to keep folders small
            3f9a...e1.json              sha256 of the canonical (model, dimensions, text) key

Each file holds ``{"model", "dimensions", "text", "vector"}``: the text is stored in full so a damaged
or misplaced entry is detected (and never returned for another text), and so a reviewer can read what
a committed entry is. Vectors are written with the shortest decimal form that reads back as the exact
same float32, so a cached vector equals the computed one bit for bit.

Durability: an entry is written to a temporary file in the same folder and moved into place with
``os.replace`` (:func:`vectorlab._files.atomic_write`), which is atomic, so a reader sees the old
entry or the new one, never half of one.
Two processes writing the same entry at once both write whole files and the last one wins; a process
killed mid-write leaves at most a stray ``*.tmp`` file, which is never read. A file that is damaged
anyway (edited by hand, cut short by a disk full, a bad merge) is reported with a :class:`CacheWarning`
naming it, treated as a miss, and overwritten when the embedding is computed again.

The key never contains a secret, and nothing but the four fields above is stored: no keys, headers or
provider names. ``embeddings_cache/bench/`` belongs to the benchmarks and is never used here.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vectorlab._files import atomic_write, slug
from vectorlab._json_files import format_floats
from vectorlab.embed._texts import preview
from vectorlab.errors import CacheWarning, InputError

__all__ = ["EmbeddingCache", "cache_key", "format_vector", "RESERVED_FOLDERS"]

logger = logging.getLogger(__name__)

RESERVED_FOLDERS = frozenset({"bench"})
"""Top-level folders of ``embeddings_cache/`` that belong to something else (the benchmarks)."""

_FIELDS = ("model", "dimensions", "text", "vector")


def cache_key(model: str, dimensions: int | None, text: str) -> str:
    """The sha256 hex digest of the canonical (model, dimensions, text) key.

    >>> cache_key("all-MiniLM-L6-v2", None, "hola mundo")[:12]
    'd1df76b1fd9f'
    """
    canonical = json.dumps([model, dimensions, text], ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def format_vector(vector: np.ndarray) -> str:
    """Write a float32 vector as a JSON list using the shortest decimals that read back bit-exactly.

    >>> format_vector(np.array([0.1, -2.5, 1e-8], dtype=np.float32))
    '[0.1, -2.5, 1e-08]'
    """
    return format_floats(vector)


def _folder_name(model: str) -> str:
    name = slug(model)
    return f"_{name}" if name in RESERVED_FOLDERS else name


class EmbeddingCache:
    """Embeddings on disk under ``root``, keyed by (model id, requested dimensions, exact text).

    ``fsync=True`` also flushes each entry to the disk before it is moved into place, which protects
    against power loss (not needed against crashes of the process: damaged entries are recomputed).
    """

    def __init__(self, root: str | os.PathLike[str], *, fsync: bool = False) -> None:
        self.root = Path(root)
        self.fsync = fsync

    def __repr__(self) -> str:
        return f"EmbeddingCache({str(self.root)!r})"

    def folder(self, model: str, dimensions: int | None) -> Path:
        """The folder holding every entry of one (model, dimensions) pair."""
        return self.root / _folder_name(model) / ("default" if dimensions is None else str(int(dimensions)))

    def path_for(self, model: str, dimensions: int | None, text: str) -> Path:
        """Where the entry for (model, dimensions, text) lives, whether or not it exists yet."""
        key = cache_key(model, dimensions, text)
        return self.folder(model, dimensions) / key[:2] / f"{key}.json"

    # -- reading ---------------------------------------------------------------------------------

    def get(self, model: str, dimensions: int | None, text: str,
            expected_dims: int | None = None) -> np.ndarray | None:
        """Return the cached float32 vector, or None on a miss (a damaged entry is reported and missed)."""
        path = self.path_for(model, dimensions, text)
        try:
            raw = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as error:
            self._report(path, f"could not be read ({error.strerror or error})")
            return None
        vector, problem = _parse_entry(raw, model, dimensions, text, expected_dims)
        if problem:
            self._report(path, problem)
            return None
        return vector

    def get_many(self, model: str, dimensions: int | None, texts: Sequence[str],
                 expected_dims: int | None = None) -> list[np.ndarray | None]:
        """Look up several texts at once; the result lines up with ``texts`` (None for each miss)."""
        return [self.get(model, dimensions, text, expected_dims) for text in texts]

    def _report(self, path: Path, problem: str) -> None:
        message = f"embeddings cache: ignoring damaged entry {path} ({problem}); it will be recomputed"
        logger.warning(message)
        warnings.warn(message, CacheWarning, stacklevel=4)

    # -- writing ---------------------------------------------------------------------------------

    def put(self, model: str, dimensions: int | None, text: str, vector: np.ndarray) -> Path:
        """Store one vector atomically (temp file in the same folder, then ``os.replace``)."""
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:
            raise InputError(f"cannot cache {preview(text)}: it holds an unpaired surrogate at character "
                             f"{error.start}, which is not valid text; fix how the text was decoded "
                             "(e.g. bytes.decode('utf-8', errors='replace'))") from None
        values = np.asarray(vector, dtype=np.float32)
        if values.ndim != 1 or values.size == 0 or not np.isfinite(values).all() or not values.any():
            raise InputError(f"refusing to cache a {values.shape} vector that is empty, all zero or not finite "
                             f"for {text[:40]!r}: a vector must be 1-D, non-empty, finite and not all zero")
        path = self.path_for(model, dimensions, text)
        content = (
            "{\n"
            f'  "model": {json.dumps(model, ensure_ascii=False)},\n'
            f'  "dimensions": {json.dumps(dimensions)},\n'
            f'  "text": {json.dumps(text, ensure_ascii=False)},\n'
            f'  "vector": {format_vector(values)}\n'
            "}\n"
        )
        atomic_write(path, content.encode("utf-8"), "the cache entry", fsync=self.fsync)
        return path

    def put_many(self, model: str, dimensions: int | None, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Store one vector per text (rows of ``vectors`` line up with ``texts``)."""
        if len(texts) != len(vectors):
            raise ValueError(f"got {len(texts)} texts but {len(vectors)} vectors: they must line up")
        for text, vector in zip(texts, vectors, strict=True):
            self.put(model, dimensions, text, vector)

    # -- listing and checking --------------------------------------------------------------------

    def entry_files(self, model: str | None = None, dimensions: int | None = None) -> list[Path]:
        """Every entry file, or only those of one model (and its ``dimensions``), sorted by path."""
        if model is None:
            folders = [p for p in self.root.glob("*/*") if p.parts[-2] not in RESERVED_FOLDERS]
        else:
            folders = [self.folder(model, dimensions)]
        return sorted(path for folder in folders for path in folder.glob("*/*.json"))

    def cached_texts(self, model: str, dimensions: int | None = None) -> list[str]:
        """The texts cached for (model, dimensions), sorted, skipping damaged entries."""
        texts = set()
        for path in self.entry_files(model, dimensions):
            data = _load_json(path)
            if data is not None and data.get("model") == model and isinstance(data.get("text"), str):
                texts.add(data["text"])
        return sorted(texts)

    def verify(self) -> list[tuple[Path, str]]:
        """Check every entry (outside reserved folders) and return ``(path, problem)`` for each bad one.

        Besides each file on its own, the vectors of one (model, dimensions) folder must all have the
        same length (the requested dimensions, or else the length most of them have).
        """
        problems = []
        lengths: dict[Path, dict[Path, int]] = {}
        for path in self.entry_files():
            data = _load_json(path)
            if data is None:
                problems.append((path, "not valid JSON"))
                continue
            model, dimensions, text = data.get("model"), data.get("dimensions"), data.get("text")
            if not isinstance(model, str) or not isinstance(text, str) or not (
                    dimensions is None or isinstance(dimensions, int)):
                problems.append((path, f"missing or wrong fields (expected {', '.join(_FIELDS)})"))
                continue
            if self.path_for(model, dimensions, text) != path:
                problems.append((path, "its content belongs to another file name (moved or edited)"))
                continue
            vector, problem = _parse_entry(path.read_bytes(), model, dimensions, text, dimensions)
            if problem or vector is None:
                problems.append((path, problem or "unreadable"))
                continue
            lengths.setdefault(path.parent.parent, {})[path] = vector.size
        for folder_lengths in lengths.values():
            values = list(folder_lengths.values())
            usual = max(set(values), key=values.count)
            problems.extend((path, f"the vector has {n} dims, the other entries of its folder {usual}")
                            for path, n in folder_lengths.items() if n != usual)
        return sorted(problems)


def _load_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _parse_entry(raw: bytes, model: str, dimensions: int | None, text: str,
                 expected_dims: int | None) -> tuple[np.ndarray | None, str | None]:
    """Return ``(vector, None)`` for a good entry, or ``(None, what is wrong)``."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: nested too deeply (a file of "[[[[...")
        return None, f"not valid JSON, {len(raw)} bytes: cut short or edited"
    if not isinstance(data, dict) or any(field not in data for field in _FIELDS):
        return None, f"missing fields: an entry holds {', '.join(_FIELDS)}"
    if data["model"] != model or data["dimensions"] != dimensions:
        return None, (f"it is for model {data['model']!r} with dimensions {data['dimensions']!r}, "
                      f"expected {model!r} with {dimensions!r}")
    if data["text"] != text:
        return None, "it holds another text"
    values = data["vector"]
    if not isinstance(values, list) or not values or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return None, "the vector is not a non-empty list of numbers"
    with np.errstate(over="ignore"):
        vector = np.asarray(values, dtype=np.float64).astype(np.float32)
    if not np.isfinite(vector).all():
        return None, "the vector holds NaN, infinity or a number too large for float32"
    if expected_dims is not None and vector.size != expected_dims:
        return None, f"the vector has {vector.size} dims, expected {expected_dims}"
    if not vector.any():  # put() never writes one: no model gives an all-zero embedding
        return None, "the vector is all zeros (put refuses those, so the file was edited)"
    return vector, None
