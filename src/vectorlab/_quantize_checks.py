"""Input checks of :mod:`vectorlab.quantize` (private): int8 ranges and codes, thresholds, candidates.

Each raises one typed error naming the argument, the value and the fix, so the public functions can
check their input in one line each and then read like the formula.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from vectorlab._validation import as_vector_or_matrix, describe
from vectorlab.errors import InputTypeError, InvalidInputError, OutOfRangeError

__all__ = ["check_ranges", "check_int8_codes", "threshold_for", "check_same_code_length", "check_candidates"]


def check_ranges(ranges: Any, dims: int) -> tuple[np.ndarray, np.ndarray]:
    """Validate int8 ranges of shape (2, dims); return (low, high) as float32 rows."""
    array = None if isinstance(ranges, str | bytes) else np.asarray(ranges)
    if array is None or array.dtype.kind not in "fiu":
        raise InputTypeError(f"ranges must be a numeric array of shape (2, {dims}) from int8_ranges, got "
                             f"{describe(ranges)}")
    if array.shape != (2, dims):
        raise InvalidInputError(
            f"ranges must have shape (2, {dims}) (row 0 = min, row 1 = max per dimension), got shape "
            f"{array.shape}: build them with int8_ranges(calibration) on vectors of the same dims"
        )
    with np.errstate(over="ignore", invalid="ignore"):
        low, high = array.astype(np.float32)
        span = high - low
    if not (np.isfinite(low).all() and np.isfinite(high).all()):
        raise InvalidInputError("ranges contain NaN or infinity: rebuild them with int8_ranges(calibration)")
    if (low > high).any():
        dim = int(np.argmax(low > high))
        raise InvalidInputError(
            f"ranges row 0 (min) exceeds row 1 (max) at dimension {dim} ({low[dim]} > {high[dim]}): "
            "row 0 must hold the minimums, row 1 the maximums"
        )
    if not np.isfinite(span).all():
        raise InvalidInputError("ranges span more than float32 can hold (max - min overflows): "
                                "scale the vectors down")
    return low, high


def check_int8_codes(codes: Any, name: str) -> npt.NDArray[np.int8]:
    if not isinstance(codes, np.ndarray) or codes.dtype != np.int8:
        raise InputTypeError(f"{name} must be an int8 array from quantize_int8, got {describe(codes)}")
    if codes.size == 0:
        raise InvalidInputError(f"{name} is empty: pass at least one code")
    if codes.ndim not in (1, 2):
        raise InvalidInputError(f"{name} must be one code (dims,) or a batch (n, dims), got {describe(codes)}")
    return codes


def threshold_for(threshold: Any, matrix: np.ndarray) -> Any:
    """The cut each value is compared with: a number, one value per dimension, or each row's mean."""
    dims = matrix.shape[1]
    if isinstance(threshold, str):
        if threshold != "mean":
            raise InvalidInputError(
                f"threshold={threshold!r} is not understood: use a number, an array of shape ({dims},) "
                "or the string 'mean' (each vector's own mean)"
            )
        return matrix.mean(axis=1, keepdims=True, dtype=np.float64).astype(np.float32)
    if np.ndim(threshold) == 0:
        if isinstance(threshold, bool) or not isinstance(threshold, int | float | np.integer | np.floating):
            raise InputTypeError(f"threshold must be a number, an array or 'mean', got {describe(threshold)}")
        if not math.isfinite(threshold):
            raise InvalidInputError(f"threshold must be finite, got {threshold}")
        return np.float32(threshold)
    cut, single = as_vector_or_matrix(threshold, "threshold")
    if not single or cut.shape[1] != dims:
        raise InvalidInputError(
            f"a threshold array must have one value per dimension, shape ({dims},), got shape "
            f"{np.shape(threshold)}: use binary_threshold(calibration)"
        )
    return cut


def check_same_code_length(a: np.ndarray, b: np.ndarray, a_name: str, b_name: str) -> None:
    if a.shape[-1] != b.shape[-1]:
        raise InvalidInputError(
            f"{a_name} has {a.shape[-1]} bytes per code, {b_name} has {b.shape[-1]}: both must come from "
            "quantize_binary on vectors with the same number of dims"
        )


def check_candidates(candidates: Any, single: bool, n_queries: int, n_rows: int) -> npt.NDArray[np.int64]:
    """Validate candidate row numbers for :func:`rescore`; return them as a 2-D int64 array."""
    if isinstance(candidates, str | bytes):
        raise InputTypeError(f"candidates must be integer row numbers, got a {type(candidates).__name__}")
    array = np.asarray(candidates)
    if array.size == 0:
        raise InvalidInputError("candidates is empty: pass at least one candidate index per query")
    if array.dtype.kind not in "iu":
        hint = ": pass the indices the search returned, not its scores" if array.dtype.kind == "f" else ""
        raise InputTypeError(f"candidates must be integer row numbers, got {describe(array)}{hint}")
    if array.size == 0:
        raise InvalidInputError("candidates is empty: pass at least one candidate index per query")
    expected = "(c,)" if single else f"({n_queries}, c)"
    if (single and array.ndim != 1) or (not single and (array.ndim != 2 or array.shape[0] != n_queries)):
        raise InvalidInputError(
            f"candidates must have shape {expected} for a query of this shape (one row of candidates "
            f"per query), got shape {array.shape}"
        )
    if array.dtype.kind == "u" and array.max() > np.iinfo(np.int64).max:
        raise OutOfRangeError(f"candidate {int(array.max())} is out of range for original_vectors with {n_rows} rows")
    array = array.astype(np.int64, copy=False).reshape(-1, array.shape[-1])
    bad = (array < 0) | (array >= n_rows)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise OutOfRangeError(
            f"candidate {int(array[row, col])} (row {row}, position {col}) is out of range for "
            f"original_vectors with {n_rows} rows: candidates must be row numbers 0..{n_rows - 1} "
            "(faiss pads missing results with -1: ask for fewer candidates)"
        )
    ordered = np.sort(array, axis=1)
    repeated = ordered[:, 1:] == ordered[:, :-1]
    if repeated.any():
        row, col = (int(i) for i in np.argwhere(repeated)[0])
        raise InvalidInputError(
            f"candidates repeat index {int(ordered[row, col])} in row {row}: each candidate must appear "
            "once per query"
        )
    return array
