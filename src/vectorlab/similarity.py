"""Compare embeddings: magnitude, normalization, cosine similarity, dot product and distances.

Every comparison takes ``a`` and ``b`` as one vector ``(dims,)`` or a matrix of vectors ``(n, dims)``
and returns the matching shape:

=================  =================  =======================
``a``              ``b``              result
=================  =================  =======================
vector             vector             ``float``
vector             matrix ``(n, d)``  array ``(n,)``
matrix ``(m, d)``  vector             array ``(m,)``
matrix ``(m, d)``  matrix ``(n, d)``  array ``(m, n)``: ``[i, j]`` compares ``a[i]`` with ``b[j]``
=================  =================  =======================

Arrays are float32. Similarities are larger for closer vectors, distances smaller.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from scipy.spatial.distance import cdist, pdist

from vectorlab._validation import (
    as_matrix,
    as_vector_or_matrix,
    check_choice,
    check_fits_in_memory,
    check_same_dims,
    unit_vectors,
)
from vectorlab.errors import InvalidInputError

__all__ = [
    "magnitude",
    "normalize",
    "cosine_similarity",
    "dot_product",
    "euclidean_distance",
    "manhattan_distance",
    "pairwise_similarity_values",
]



def _pair(a: Any, b: Any) -> tuple[np.ndarray, bool, np.ndarray, bool]:
    """Check ``a`` and ``b`` and return them as matrices, with whether each was a single vector."""
    a_matrix, a_single = as_vector_or_matrix(a, "a")
    b_matrix, b_single = as_vector_or_matrix(b, "b")
    check_same_dims(a_matrix, b_matrix, "a", "b")
    return a_matrix, a_single, b_matrix, b_single


def _finite(values: np.ndarray, what: str) -> np.ndarray:
    """``values`` as float32, refusing a result too large for float32 (it would silently become inf)."""
    with np.errstate(over="ignore", invalid="ignore"):
        values = values.astype(np.float32, copy=False)
    if not np.isfinite(values).all():
        raise InvalidInputError(f"the {what} overflows float32 (the vectors hold huge values): scale them down")
    return values


def _shaped(scores: np.ndarray, a_single: bool, b_single: bool) -> float | np.ndarray:
    """Drop the axis of each argument that was a single vector (a pair gives a plain ``float``)."""
    if a_single and b_single:
        return float(scores[0, 0])
    shaped: np.ndarray = scores[0] if a_single else scores[:, 0] if b_single else scores
    return shaped


def _unit(matrix: np.ndarray, name: str, single: bool) -> np.ndarray:
    """Unit rows as ``np.linalg.norm`` would make them; a zero row is the cosine error naming it."""
    return unit_vectors(matrix, name, single=single, pairwise=True, fix="remove it or use dot_product")


def _distances(a: Any, b: Any, metric: Literal["euclidean", "cityblock"]) -> float | np.ndarray:
    """scipy's ``cdist(a, b, metric)`` for the shapes in the module table."""
    a_matrix, a_single, b_matrix, b_single = _pair(a, b)
    return _shaped(_finite(cdist(a_matrix, b_matrix, metric), "distance"), a_single, b_single)


def magnitude(vectors: Any) -> float | np.ndarray:
    """Length (Euclidean norm) of one vector, or of each row of a matrix.

    :param vectors: one vector ``(dims,)`` or a matrix ``(n, dims)``.
    :return: a ``float`` for one vector, a float32 array ``(n,)`` for a matrix.

    >>> magnitude([3.0, 4.0])
    5.0
    >>> magnitude([[3.0, 4.0], [1.0, 0.0]])
    array([5., 1.], dtype=float32)
    """
    matrix, single = as_vector_or_matrix(vectors, "vectors")
    norms = _finite(np.linalg.norm(matrix.astype(np.float64), axis=1), "length")
    return float(norms[0]) if single else norms


def normalize(vectors: Any) -> np.ndarray:
    """Scale vectors to unit length (same direction, magnitude 1), keeping the input's shape.

    :param vectors: one vector ``(dims,)`` or a matrix ``(n, dims)``.
    :raises ValueError: for a zero vector, which has no direction; the message names its row.

    >>> normalize([3.0, 4.0])
    array([0.6, 0.8], dtype=float32)
    """
    matrix, single = as_vector_or_matrix(vectors, "vectors")
    unit = unit_vectors(matrix, "vectors", single=single, pairwise=True, problem="cannot normalize a zero vector",
                      fix="it has no direction: remove it")
    return unit[0] if single else unit


def cosine_similarity(a: Any, b: Any) -> float | np.ndarray:
    """Cosine of the angle between vectors: 1 same direction, 0 unrelated (orthogonal), -1 opposite.

    :param a: one vector ``(dims,)`` or a matrix ``(m, dims)``.
    :param b: one vector ``(dims,)`` or a matrix ``(n, dims)``.
    :return: shaped as in the module table; values are clipped to [-1, 1] against rounding.
    :raises ValueError: for a zero vector (the message names which argument and row).

    >>> round(cosine_similarity([1.0, 0.0], [1.0, 1.0]), 4)
    0.7071
    >>> cosine_similarity([1.0, 0.0], [[2.0, 0.0], [0.0, 3.0], [-1.0, 0.0]])
    array([ 1.,  0., -1.], dtype=float32)
    """
    a_matrix, a_single, b_matrix, b_single = _pair(a, b)
    scores = _unit(a_matrix, "a", a_single) @ _unit(b_matrix, "b", b_single).T
    np.clip(scores, -1.0, 1.0, out=scores)
    return _shaped(scores, a_single, b_single)


def dot_product(a: Any, b: Any) -> float | np.ndarray:
    """Inner product: sum of element-wise products (equals cosine similarity for unit vectors).

    :param a: one vector ``(dims,)`` or a matrix ``(m, dims)``.
    :param b: one vector ``(dims,)`` or a matrix ``(n, dims)``.

    >>> dot_product([1.0, 2.0], [3.0, 4.0])
    11.0
    """
    a_matrix, a_single, b_matrix, b_single = _pair(a, b)
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported by _finite, not as a warning
        scores = a_matrix @ b_matrix.T
    return _shaped(_finite(scores, "dot product"), a_single, b_single)


def euclidean_distance(a: Any, b: Any) -> float | np.ndarray:
    """Straight-line (L2) distance between vectors: 0 for identical vectors.

    :param a: one vector ``(dims,)`` or a matrix ``(m, dims)``.
    :param b: one vector ``(dims,)`` or a matrix ``(n, dims)``.

    >>> euclidean_distance([0.0, 0.0], [3.0, 4.0])
    5.0
    """
    return _distances(a, b, "euclidean")


def manhattan_distance(a: Any, b: Any) -> float | np.ndarray:
    """City-block (L1) distance: sum of absolute element-wise differences.

    :param a: one vector ``(dims,)`` or a matrix ``(m, dims)``.
    :param b: one vector ``(dims,)`` or a matrix ``(n, dims)``.

    >>> manhattan_distance([0.0, 0.0], [3.0, -4.0])
    7.0
    """
    return _distances(a, b, "cityblock")


PairwiseMetric = Literal["cosine", "dot", "euclidean", "manhattan"]


def pairwise_similarity_values(vectors: Any, metric: PairwiseMetric = "cosine") -> np.ndarray:
    """All ``n (n - 1) / 2`` scores between distinct rows (the upper triangle), e.g. for a histogram.

    Shows the range a model actually uses: many models never produce cosine similarities near 0.

    :param vectors: ``(n, dims)`` with ``n >= 2``.
    :param metric: ``"cosine"``, ``"dot"``, ``"euclidean"`` or ``"manhattan"`` (the last two give
        distances).
    :return: float32 array ordered like ``np.triu_indices(n, k=1)``: (0, 1), (0, 2), ..., (1, 2), ...

    >>> pairwise_similarity_values([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]).round(4)
    array([0.    , 0.7071, 0.7071], dtype=float32)
    """
    metric = check_choice(metric, PairwiseMetric, "metric")
    matrix = as_matrix(vectors, "vectors")
    n = matrix.shape[0]
    if n < 2:
        raise InvalidInputError(f"vectors has {n} row: pass at least 2 vectors to get pairwise values")
    # scipy's float64 distances (8 bytes a pair) or the float32 score matrix, its mask and the triangle
    # (4 + 1 + 2 bytes a cell): refused before allocating, with the size, rather than a raw MemoryError.
    check_fits_in_memory(4 * n * (n - 1) * 3 if metric in ("euclidean", "manhattan") else 7 * n * n,
                         f"the {n * (n - 1) // 2:,} pairwise values of {n:,} vectors",
                         "pass a sample of the rows, e.g. vectors[:5000]")
    if metric in ("euclidean", "manhattan"):
        return _finite(pdist(matrix, "euclidean" if metric == "euclidean" else "cityblock"), "distance")
    if metric == "cosine":
        matrix = _unit(matrix, "vectors", single=False)
    scores = _finite(matrix @ matrix.T, "dot product") if metric == "dot" else matrix @ matrix.T
    if metric == "cosine":
        np.clip(scores, -1.0, 1.0, out=scores)
    return scores[np.triu(np.ones((n, n), dtype=bool), k=1)]
