"""Strict JSON reading for vectorlab's own files (private): every problem is an error naming the file;
and the one writer of float vectors as JSON lists (:func:`format_floats`), for the cache and the datasets.

``json.load`` keeps the last of two equal keys, accepts ``NaN`` and reports bad UTF-8 or syntax without
saying which file. These readers refuse all of that with a :class:`~vectorlab.errors.DataFileError`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from vectorlab.errors import DataFileError

__all__ = ["read_json", "read_settings", "format_floats"]


def format_floats(vector: np.ndarray, decimals: int | None = None, separator: str = ", ") -> str:
    """A float vector as a JSON list: by default the shortest decimals that read back to the same float32
    bits; with ``decimals``, each value rounded to that many places (``-0.0`` written as ``0.0``).

    >>> format_floats(np.array([0.1, -2.5, 1e-8], dtype=np.float32))
    '[0.1, -2.5, 1e-08]'
    >>> format_floats(np.array([0.123456789, -1e-9], dtype=np.float32), decimals=3, separator=",")
    '[0.123,0.0]'
    """
    if decimals is not None:
        return "[" + separator.join(repr(round(float(x), decimals) + 0.0) for x in np.ravel(vector)) + "]"
    values = np.asarray(vector, dtype=np.float32).ravel()
    texts = [str(value) for value in values]  # numpy prints the shortest float32 round-trip form
    back = np.array([float(text) for text in texts], dtype=np.float64).astype(np.float32)
    for i in np.flatnonzero(back.view(np.uint32) != values.view(np.uint32)):
        texts[i] = repr(float(values[i]))  # double rounding corner case: the exact float64 value
    return "[" + separator.join(texts) + "]"


def _no_duplicates(path: Path) -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    def build(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise DataFileError(f"{path} has the key {key!r} twice: each key must appear once "
                                    "(fix or regenerate the file)", path)
            result[key] = value
        return result

    return build


def _no_constants(path: Path) -> Callable[[str], Any]:
    def refuse(name: str) -> Any:
        raise DataFileError(f"{path} contains {name}, which is not a number JSON allows: regenerate the file",
                            path)

    return refuse


def read_json(path: Path) -> Any:
    """Parse ``path`` as UTF-8 JSON, refusing duplicate keys, NaN/Infinity, bad UTF-8 and bad syntax."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise DataFileError(f"{path} is not UTF-8 text (byte {error.start}): save it as UTF-8 or regenerate it",
                            path) from None
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates(path), parse_constant=_no_constants(path))
    except json.JSONDecodeError as error:
        raise DataFileError(f"{path} is not valid JSON ({error}): regenerate it", path) from None
    except RecursionError:
        raise DataFileError(f"{path} is nested too deeply to be a vectorlab file", path) from None


_SETTINGS_TYPES: dict[str, type] = {
    "dims": int, "space": str, "M": int, "ef_construction": int, "ef": int, "seed": int, "count": int,
    "index_bytes": int, "index_sha256": str, "settings_sha256": str,
}


def read_settings(path: Path, file_format: str, version: int,
                  digest: Callable[[dict[str, Any]], str]) -> dict[str, Any]:
    """Read an index's settings file and check its format, field types and its own checksum."""
    settings = read_json(path)
    if not isinstance(settings, dict) or settings.get("format") != file_format:
        raise DataFileError(f"{path} is not an HNSWIndex settings file: save the index with HNSWIndex.save", path)
    if settings.get("version") != version:
        raise DataFileError(f"{path} was written by another vectorlab version (format version "
                            f"{settings.get('version')!r}, this one reads {version}) and has no checksum: "
                            "build the index again and save it", path)
    for key, kind in _SETTINGS_TYPES.items():
        value = settings.get(key)
        if isinstance(value, bool) or not isinstance(value, kind):
            raise DataFileError(f"{path}: {key!r} must be a {kind.__name__}, got {value!r}: the file was "
                                "edited or damaged; save the index again", path)
    if digest(settings) != settings["settings_sha256"]:
        raise DataFileError(f"{path} was edited or damaged (its checksum does not match): save the index again "
                            "(to change ef, set index.ef after loading)", path)
    return settings
