"""Remember which large float32 matrices were already proven finite (a private kernel for ``rescore``).

Rescoring 40 candidates should not read all 100,000 vectors to look for NaN on every call. A float32
matrix whose sum is finite is finite; one that passed is remembered by identity, through a weak
reference, with its data address, shape and strides, so the same live array skips even the sum next
time. Callers still check the rows they use (a value changed in place afterwards can never reach a
result unnoticed: see :func:`vectorlab.quantize.rescore`). Bounded: the oldest entry goes first.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np
import numpy.typing as npt

from vectorlab._validation import as_matrix

__all__ = ["as_checked_matrix"]

_CHECKED: dict[int, tuple[weakref.ref[np.ndarray], int, tuple[int, ...], tuple[int, ...]]] = {}
MAX_ENTRIES = 8


def as_checked_matrix(vectors: Any, name: str) -> npt.NDArray[np.float32]:
    """:func:`as_matrix`, remembering a float32 matrix that passed so the next call costs nothing."""
    if not (isinstance(vectors, np.ndarray) and vectors.dtype == np.float32 and vectors.ndim == 2
            and vectors.size):
        return as_matrix(vectors, name)
    signature = (int(vectors.__array_interface__["data"][0]), vectors.shape, vectors.strides)
    entry = _CHECKED.get(id(vectors))
    if entry is not None and entry[0]() is vectors and entry[1:] == signature:
        return vectors
    if not np.isfinite(vectors.sum()):
        return as_matrix(vectors, name)  # raises the precise error (or it was a harmless overflow)
    _CHECKED.pop(id(vectors), None)
    while len(_CHECKED) >= MAX_ENTRIES:
        _CHECKED.pop(next(iter(_CHECKED)))
    _CHECKED[id(vectors)] = (weakref.ref(vectors), *signature)
    return vectors
