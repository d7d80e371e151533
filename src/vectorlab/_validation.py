"""Input checks shared by every module: turn bad input into one clear error, never a numpy traceback.

One check per concept, each raising one error type per kind of mistake (see :mod:`vectorlab.errors`):
a wrong type is an :class:`InputTypeError` (a ``TypeError``), a wrong value an :class:`InvalidInputError`
(a ``ValueError``). Each function returns the checked (and, where it says so, converted) value so callers
can write ``vectors = as_matrix(vectors, "vectors")`` and move on. Choices are ``Literal`` types, checked
by :func:`check_choice` from the type itself, so the accepted values are written once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, TypeVar, get_args

import numpy as np
import numpy.typing as npt

from vectorlab._kernels.linalg import row_norms, unit_rows
from vectorlab.errors import InputTypeError, InvalidInputError

__all__ = [
    "describe",
    "check_choice",
    "check_int",
    "check_positive_int",
    "check_k",
    "check_fits_in_memory",
    "as_matrix",
    "as_vector_or_matrix",
    "check_same_dims",
    "check_packed",
    "check_nonzero",
    "nonzero_norms",
    "unit_vectors",
    "ZERO_COSINE",
]

FloatArray = npt.NDArray[np.float32]
T = TypeVar("T")


def describe(value: Any) -> str:
    """A short description of a value for error messages (type and shape, never the whole array)."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    return type(value).__name__


def check_choice(value: Any, choices: Any, name: str, *,
                 invalid: type[InvalidInputError] = InvalidInputError) -> Any:
    """Check that ``value`` is one of a ``Literal`` type's values (or of a tuple) and return it.

    ``choices`` may also be a mapping ``{value: what it means}``, whose meanings the message lists.
    ``invalid`` is the error raised (a subclass, such as the database helpers' ``InvalidArgumentError``).

    >>> from typing import Literal
    >>> check_choice("dot", Literal["cosine", "dot"], "metric")
    'dot'
    >>> check_choice("cos", Literal["cosine", "dot"], "metric")
    Traceback (most recent call last):
    ...
    vectorlab.errors.InvalidInputError: metric='cos' is not supported: use one of 'cosine', 'dot'
    """
    allowed = get_args(choices) or tuple(choices)
    if not (value is None or isinstance(value, str)) or value not in allowed:
        listed = (", ".join(f"{choice!r} ({choices[choice]})" for choice in allowed) if isinstance(choices, Mapping)
                  else ", ".join(map(repr, allowed)))
        raise invalid(f"{name}={value!r} is not supported: use one of {listed}")
    return value


def check_int(value: Any, name: str, *, minimum: int | None = None, maximum: int | None = None,
              invalid: type[InvalidInputError] = InvalidInputError,
              wrong_type: type[InputTypeError] = InputTypeError) -> int:
    """Check that ``value`` is a whole number (not a bool, not a float) within the bounds; return it.

    ``invalid`` and ``wrong_type`` are the errors raised (subclasses, such as the database helpers' own).

    >>> check_int(-2, "decimals", minimum=0)
    Traceback (most recent call last):
    ...
    vectorlab.errors.InvalidInputError: decimals must be at least 0, got -2
    >>> check_int(0, "ef_search", minimum=1, maximum=1000)
    Traceback (most recent call last):
    ...
    vectorlab.errors.InvalidInputError: ef_search must be between 1 and 1000, got 0
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise wrong_type(f"{name} must be a whole number, got {value!r} ({type(value).__name__})")
    too_low = minimum is not None and value < minimum
    too_high = maximum is not None and value > maximum
    if (too_low or too_high) and minimum is not None and maximum is not None:
        raise invalid(f"{name} must be between {minimum} and {maximum}, got {value}")
    if too_low:
        raise invalid(f"{name} must be at least {minimum}, got {value}")
    if too_high:
        raise invalid(f"{name} must be at most {maximum}, got {value}")
    return int(value)


def check_positive_int(value: Any, name: str, maximum: int | None = None, *,
                       invalid: type[InvalidInputError] = InvalidInputError,
                       wrong_type: type[InputTypeError] = InputTypeError) -> int:
    """Check that ``value`` is a whole number of at least 1 (a count such as k or dims) and return it.

    >>> check_positive_int(0, "dims")
    Traceback (most recent call last):
    ...
    vectorlab.errors.InvalidInputError: dims must be at least 1, got 0
    """
    return check_int(value, name, minimum=1, maximum=maximum, invalid=invalid, wrong_type=wrong_type)


def check_k(k: Any, n: int, what: str = "vectors available") -> int:
    """Check that ``k`` is a whole number with ``1 <= k <= n`` and return it as ``int``.

    ``what`` describes the ``n`` things, as the message should say it ("vectors in the index").

    >>> check_k(3, 10)
    3
    >>> check_k(5, 4, "vectors in the index")
    Traceback (most recent call last):
    ...
    vectorlab.errors.InvalidInputError: k=5 is larger than the 4 vectors in the index: use k <= 4
    """
    checked = check_positive_int(k, "k")
    if checked > n:
        raise InvalidInputError(f"k={checked} is larger than the {n} {what}: use k <= {n}")
    return checked


def _physical_memory() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # pragma: no cover - Windows has no sysconf
        return None


def check_fits_in_memory(nbytes: int, what: str, fix: str) -> None:
    """Raise a clear error, before allocating, when ``what`` needs more bytes than the machine has.

    >>> check_fits_in_memory(10**20, "a test array", "ask for less")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    vectorlab.errors.InvalidInputError: a test array would need 100,000,000,000 GB, more than ...
    """
    memory = _physical_memory()
    if memory is not None and nbytes > memory:
        raise InvalidInputError(
            f"{what} would need {nbytes / 1e9:,.0f} GB, more than this machine's {memory / 1e9:,.0f} GB: {fix}"
        )


_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _not_numbers(value: Any, array: np.ndarray, name: str) -> str:
    """What an input that numpy could only read as objects really is, and how to pass it instead."""
    import pandas as pd

    if isinstance(value, Mapping):
        return (f"{name} is a {type(value).__name__}, not an array: pass its vectors as a list, e.g. "
                f"np.array(list({name}.values())), and keep its keys aside")
    if isinstance(value, set | frozenset):
        return f"{name} is a {type(value).__name__}, which has no order: pass a list of vectors"
    if isinstance(value, pd.DataFrame):
        text = [str(column) for column, kind in value.dtypes.items() if kind.kind not in "fiub"]
        return (f"{name} is a DataFrame with non-numeric columns {text[:5]}: pass only the vector columns, "
                f"e.g. df.drop(columns={text[:5]}).to_numpy()")
    if array.ndim == 0:  # a generator, an iterator, an object numpy can't look into
        return (f"{name} is a {type(value).__name__}, not an array of numbers: pass a list or array "
                f"(e.g. list(...) of a generator)")
    flat = array.ravel()
    for position, item in enumerate(flat):
        if isinstance(item, bool | np.bool_):
            continue
        if isinstance(item, int) and abs(item) > _FLOAT32_MAX:
            at = tuple(int(i) for i in np.unravel_index(position, array.shape))
            return (f"{name} holds the integer {item:.3g} at index {at}, beyond float32's range (about "
                    "3.4e38): scale the vectors down")
        if not isinstance(item, float | int | np.number):
            at = tuple(int(i) for i in np.unravel_index(position, array.shape))
            if isinstance(item, list | tuple | np.ndarray):
                break  # vectors of different lengths
            return (f"{name} holds {item!r:.40} ({type(item).__name__}) at index {at}: every value must be a "
                    "number; remove or fill that value")
    return (f"{name} is not a rectangular array of numbers ({describe(value)}): check that every vector has the "
            "same length")


def _to_float_array(value: Any, name: str) -> FloatArray:
    if isinstance(value, str | bytes):
        raise InputTypeError(f"{name} is a {type(value).__name__}, expected numbers: embed the text first")
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as error:  # ragged lists and the like
        raise InputTypeError(f"{name} could not be read as an array of numbers ({error})") from None
    if array.dtype == object:
        problem = _not_numbers(value, array, name)
        raise (InvalidInputError if "beyond float32's range" in problem else InputTypeError)(problem)
    if array.dtype.kind not in "fiub":
        raise InputTypeError(f"{name} must hold numbers, got {describe(array)}")
    if array.size == 0:
        raise InvalidInputError(f"{name} is empty ({describe(array)}): pass at least one vector")
    with np.errstate(over="ignore"):  # float64 beyond float32's range becomes inf, reported below
        converted = array.astype(np.float32, copy=False)
    if not np.isfinite(converted).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(converted))[0])
        if not np.isfinite(array[bad]):
            raise InvalidInputError(
                f"{name} contains NaN or infinity (first at index {bad}): remove or re-embed that vector"
            )
        raise InvalidInputError(
            f"{name} holds {array[bad]!r} at index {bad}, beyond float32's range (about 3.4e38): "
            "scale the vectors down"
        )
    if array.dtype.kind == "f" and array.dtype.itemsize > 4 and converted.ndim and not converted.all():
        # A row of values below float32's smallest (about 1.4e-45) becomes all zeros: not a zero vector.
        lost = ~converted.any(axis=-1) & array.any(axis=-1)
        if lost.any():
            where = tuple(int(i) for i in np.argwhere(lost)[0])
            row = f"row {where[0]} of {name}" if where else name
            raise InvalidInputError(
                f"{row} is not zero but its values (as large as {float(np.abs(array[where]).max()):.3g}) "
                "underflow to 0 in float32 (smallest about 1.4e-45): scale the vectors up"
            )
    return converted


def as_matrix(value: Any, name: str = "vectors", check_finite: bool = True) -> FloatArray:
    """Check that ``value`` is a non-empty, finite 2-D array of numbers and return it as float32.

    ``check_finite=False`` returns a float32 matrix as it is, without the pass over it that looks for
    NaN/inf: for callers whose result proves it (a finite score block), which then call again to report.

    >>> as_matrix([[1, 2], [3, 4]]).dtype
    dtype('float32')
    """
    if (not check_finite and isinstance(value, np.ndarray) and value.dtype == np.float32 and value.ndim == 2
            and value.size):
        return value
    array = _to_float_array(value, name)
    if array.ndim != 2:
        raise InvalidInputError(f"{name} must be 2-D (n_vectors, dims), got {describe(array)}")
    return array


def as_vector_or_matrix(value: Any, name: str = "query") -> tuple[FloatArray, bool]:
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
    raise InvalidInputError(f"{name} must be one vector (dims,) or a batch (n, dims), got {describe(array)}")


def check_same_dims(query: np.ndarray, index: np.ndarray, query_name: str = "query",
                    index_name: str = "index") -> None:
    """Raise if the last axes differ: the classic mistake of mixing two embedding models.

    >>> check_same_dims(np.zeros((1, 3)), np.zeros((5, 4)))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    vectorlab.errors.InvalidInputError: query has 3 dims, index has 4: embed the query with the same model (and ...
    """
    if query.shape[-1] != index.shape[-1]:
        fix = ("embed the query with the same model (and dimensions) as the data" if query_name == "query"
               else "embed both with the same model and dimensions")
        raise InvalidInputError(f"{query_name} has {query.shape[-1]} dims, {index_name} has {index.shape[-1]}: {fix}")


def check_packed(value: Any, name: str = "codes") -> npt.NDArray[np.uint8]:
    """Check that ``value`` holds packed binary codes (uint8 from ``np.packbits``) and return it as 2-D."""
    if not isinstance(value, np.ndarray) or value.dtype != np.uint8:
        raise InputTypeError(
            f"{name} must be packed bits as a uint8 array (from quantize_binary), got {describe(value)}"
        )
    if value.size == 0:
        raise InvalidInputError(f"{name} is empty: pass at least one code")
    if value.ndim == 1:
        return value[np.newaxis, :]
    if value.ndim != 2:
        raise InvalidInputError(f"{name} must be 1-D or 2-D packed bits, got {describe(value)}")
    return value


ZERO_COSINE = "cosine similarity is undefined for a zero vector"
"""The one message for a zero vector where a direction is needed (cosine): :func:`check_nonzero`'s default."""


def check_nonzero(norms: np.ndarray, name: str = "vectors", *, single: bool = False,
                  problem: str = ZERO_COSINE, fix: str = "remove it",
                  rows: np.ndarray | None = None) -> None:
    """Raise if any norm is zero, naming the first zero row of ``name`` (or ``name`` itself if ``single``).

    ``rows`` gives the row number of each norm when they are not simply 0, 1, 2, ... (a block, candidates).
    Compute the norms with :func:`vectorlab._kernels.linalg.row_norms`: only an all-zero vector has norm 0.

    >>> check_nonzero(np.array([1.0, 0.0]), "b", fix="remove it or use dot_product")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    vectorlab.errors.InvalidInputError: cosine similarity is undefined for a zero vector (row 1 of b): remove it or ...
    """
    norms = np.asarray(norms)
    if norms.min() > 0:  # the usual case, in one reduction (NaN compares False and is looked at below)
        return
    zero = np.flatnonzero(norms.ravel() == 0)
    if zero.size:
        row = int(zero[0]) if rows is None else int(np.asarray(rows).ravel()[zero[0]])
        where = name if single else f"row {row} of {name}"
        raise InvalidInputError(f"{problem} ({where}): {fix}")


def nonzero_norms(matrix: np.ndarray, name: str, *, single: bool = False, fix: str = "remove it",
                  problem: str = ZERO_COSINE, pairwise: bool = False) -> npt.NDArray[np.float32]:
    """The length of each row (no overflow, no underflow), refusing a zero row: it has no direction.

    ``pairwise=True`` sums as ``np.linalg.norm`` does (see :func:`vectorlab._kernels.linalg.row_norms`).
    """
    norms = row_norms(matrix, pairwise=pairwise)
    check_nonzero(norms, name, single=single, problem=problem, fix=fix)
    return norms


def unit_vectors(matrix: np.ndarray, name: str, *, single: bool = False, fix: str = "remove it",
                 problem: str = ZERO_COSINE, pairwise: bool = False) -> npt.NDArray[np.float32]:
    """The one row-normalizer at the door: each row scaled to length 1, a zero row an error naming it.

    >>> unit_vectors(np.array([[3.0, 4.0]], dtype=np.float32), "vectors").tolist()
    [[0.6000000238418579, 0.800000011920929]]
    """
    return unit_rows(matrix, nonzero_norms(matrix, name, single=single, fix=fix, problem=problem, pairwise=pairwise))
