"""Input checks shared by every module: turn bad input into one clear error, never a numpy traceback.

Each function returns the checked (and, where it says so, converted) value so callers can write
``vectors = as_matrix(vectors, "vectors")`` and move on.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "as_matrix",
    "as_vector_or_matrix",
    "check_k",
    "check_positive_int",
    "check_same_dims",
    "check_packed",
    "check_nonzero",
]


def _describe(value: Any) -> str:
    """A short description of a value for error messages (type and shape, never the whole array)."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    return type(value).__name__


def _to_float_array(value: Any, name: str) -> np.ndarray:
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} is a {type(value).__name__}, expected numbers: embed the text first")
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as error:  # ragged lists and the like
        raise TypeError(f"{name} could not be read as an array of numbers ({error})") from None
    if array.dtype == object:
        raise TypeError(
            f"{name} is not a rectangular array of numbers ({_describe(value)}): "
            "check that every vector has the same length"
        )
    if array.dtype.kind not in "fiub":
        raise TypeError(f"{name} must hold numbers, got {_describe(array)}")
    array = array.astype(np.float32, copy=False)
    if array.size == 0:
        raise ValueError(f"{name} is empty ({_describe(array)}): pass at least one vector")
    if not np.isfinite(array).all():
        bad = np.argwhere(~np.isfinite(array))[0]
        raise ValueError(
            f"{name} contains NaN or infinity (first at index {tuple(int(i) for i in bad)}): "
            "remove or re-embed that vector"
        )
    return array


def as_matrix(value: Any, name: str = "vectors") -> np.ndarray:
    """Check that ``value`` is a non-empty, finite 2-D array of numbers and return it as float32.

    >>> as_matrix([[1, 2], [3, 4]]).dtype
    dtype('float32')
    """
    array = _to_float_array(value, name)
    if array.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_vectors, dims), got {_describe(array)}")
    return array


def as_vector_or_matrix(value: Any, name: str = "query") -> tuple[np.ndarray, bool]:
    """Return ``(matrix, was_single)``: a 1-D vector becomes a one-row matrix so code can be written once.

    >>> matrix, single = as_vector_or_matrix([1.0, 0.0])
    >>> matrix.shape, single
    ((1, 2), True)
    """
    array = _to_float_array(value, name)
    if array.ndim == 1:
        return array[np.newaxis, :], True
    if array.ndim == 2:
        return array, False
    raise ValueError(f"{name} must be one vector (dims,) or a batch (n, dims), got {_describe(array)}")


def check_same_dims(query: np.ndarray, index: np.ndarray, query_name: str = "query",
                    index_name: str = "index") -> None:
    """Raise if the last axes differ: the classic mistake of mixing two embedding models.

    The fix names the query when the first argument is one, else both sides (e.g. ``a`` and ``b``).

    >>> check_same_dims(np.zeros((1, 3)), np.zeros((5, 4)))
    Traceback (most recent call last):
    ...
    ValueError: query has 3 dims, index has 4: embed the query with the same model (and dimensions) as the data
    >>> check_same_dims(np.zeros(3), np.zeros(4), "a", "b")
    Traceback (most recent call last):
    ...
    ValueError: a has 3 dims, b has 4: embed both with the same model and dimensions
    """
    if query.shape[-1] != index.shape[-1]:
        fix = ("embed the query with the same model (and dimensions) as the data" if query_name == "query"
               else "embed both with the same model and dimensions")
        raise ValueError(f"{query_name} has {query.shape[-1]} dims, {index_name} has {index.shape[-1]}: {fix}")


def check_positive_int(value: Any, name: str) -> int:
    """Check that ``value`` is a whole number of at least 1 (a count such as k or dims) and return it.

    >>> check_positive_int(0, "dims")
    Traceback (most recent call last):
    ...
    ValueError: dims must be at least 1, got 0
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be a whole number, got {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return int(value)


def check_k(k: Any, n: int, what: str = "vectors available") -> int:
    """Check that ``k`` is a whole number with ``1 <= k <= n`` and return it as ``int``.

    ``what`` describes the ``n`` things, as the message should say it ("vectors in the index").

    >>> check_k(3, 10)
    3
    >>> check_k(5, 4, "vectors in the index")
    Traceback (most recent call last):
    ...
    ValueError: k=5 is larger than the 4 vectors in the index: use k <= 4
    >>> check_k(5, 4, "candidates per query available")
    Traceback (most recent call last):
    ...
    ValueError: k=5 is larger than the 4 candidates per query available: use k <= 4
    """
    k = check_positive_int(k, "k")
    if k > n:
        raise ValueError(f"k={k} is larger than the {n} {what}: use k <= {n}")
    return int(k)


def check_packed(value: Any, name: str = "codes") -> np.ndarray:
    """Check that ``value`` holds packed binary codes (uint8 from ``np.packbits``) and return it as 2-D."""
    if not isinstance(value, np.ndarray) or value.dtype != np.uint8:
        raise TypeError(
            f"{name} must be packed bits as a uint8 array (from quantize_binary), got {_describe(value)}"
        )
    if value.size == 0:
        raise ValueError(f"{name} is empty: pass at least one code")
    if value.ndim == 1:
        return value[np.newaxis, :]
    if value.ndim != 2:
        raise ValueError(f"{name} must be 1-D or 2-D packed bits, got {_describe(value)}")
    return value


def check_nonzero(norms: np.ndarray, name: str = "vectors", *, single: bool = False,
                  problem: str = "got a zero vector", fix: str = "remove it") -> None:
    """Raise if any row norm is zero, naming the first zero row of ``name`` (or ``name`` itself if ``single``).

    >>> check_nonzero(np.array([1.0, 0.0]), "b", problem="cosine similarity is undefined for a zero vector",
    ...               fix="remove it or use dot_product")
    Traceback (most recent call last):
    ...
    ValueError: cosine similarity is undefined for a zero vector (row 1 of b): remove it or use dot_product
    """
    zero_rows = np.flatnonzero(np.asarray(norms) == 0)
    if zero_rows.size:
        where = name if single else f"row {int(zero_rows[0])} of {name}"
        raise ValueError(f"{problem} ({where}): {fix}")
