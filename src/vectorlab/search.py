"""Nearest-neighbour search: exact (brute force with numpy) and approximate (HNSW, see :mod:`vectorlab.hnsw`).

Both return ``(indices, scores)`` with the same shapes and score convention, so their results can be
compared directly (see :func:`vectorlab.evaluate.recall_at_k`):

* a single query ``(dims,)`` gives arrays of shape ``(k,)``; a batch ``(m, dims)`` gives ``(m, k)``;
* ``"cosine"`` and ``"dot"`` scores are similarities, largest first;
* ``"euclidean"`` scores are distances, smallest first.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from vectorlab._kernels import exact as _exact
from vectorlab._kernels.linalg import row_norms, unit_rows
from vectorlab._validation import as_matrix, as_vector_or_matrix, check_choice, check_k, check_nonzero, check_same_dims
from vectorlab.errors import InvalidInputError
from vectorlab.hnsw import HNSWIndex

__all__ = ["METRICS", "exhaustive_search", "HNSWIndex"]

Metric = Literal["cosine", "dot", "euclidean"]
#: Metrics understood by :func:`exhaustive_search` (and, as aliases, by :class:`HNSWIndex`).
METRICS: tuple[str, ...] = Metric.__args__  # type: ignore[attr-defined]

_ZERO_COSINE = "cosine similarity is undefined for a zero vector"


def _nonzero_norms(matrix: np.ndarray, name: str, single: bool = False) -> np.ndarray:
    """Lengths of the rows (without overflow or underflow), refusing a zero vector: it has no direction."""
    norms = row_norms(matrix)
    check_nonzero(norms, name, single=single, problem=_ZERO_COSINE, fix="remove it or use metric='dot'")
    return norms


def exhaustive_search(query: Any, vectors: Any, k: int = 10,
                      metric: Metric = "cosine") -> tuple[np.ndarray, np.ndarray]:
    """Find the ``k`` nearest vectors to each query by comparing against every vector (exact search).

    The idea in three lines: score every vector (``vectors @ query`` for ``"dot"``, the same divided by
    both lengths for ``"cosine"``, ``|vector - query|`` for ``"euclidean"``), then keep the ``k`` best.
    The fast selection of those ``k`` lives in ``vectorlab._kernels.exact``.

    :param query: one query vector ``(dims,)`` or a batch ``(m, dims)``.
    :param vectors: the vectors searched, ``(n, dims)``. Passing float32 avoids a conversion copy.
    :param k: how many neighbours to return, ``1 <= k <= n``.
    :param metric: ``"cosine"`` (similarity, both sides normalized), ``"dot"`` (raw inner product,
        the fastest choice for vectors that are already unit length) or ``"euclidean"`` (distance).
    :return: ``(indices, scores)``, best first: int64 row numbers into ``vectors`` and float32 scores,
        shaped ``(k,)`` for one query and ``(m, k)`` for a batch. Equal scores are ordered by lower
        index (also at the k-th place, where the lower index is the one kept).

    >>> vectors = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> indices, scores = exhaustive_search([1.0, 0.2], vectors, k=2)
    >>> print(indices, scores.round(3))
    [0 2] [0.981 0.832]
    >>> exhaustive_search([1.0, 0.2], vectors, k=2, metric="euclidean")[0].tolist()
    [0, 2]
    """
    queries, single = as_vector_or_matrix(query, "query")
    # A float32 matrix is not scanned for NaN/inf here: they show up in the scores, checked below.
    vectors = as_matrix(vectors, "vectors", check_finite=False)
    check_same_dims(queries, vectors, "query", "vectors")
    metric = check_choice(metric, Metric, "metric")
    k = check_k(k, vectors.shape[0])

    vector_norms = None
    if metric == "cosine":  # cosine = the dot product of unit vectors
        queries = unit_rows(queries, _nonzero_norms(queries, "query", single))
        vector_norms = _nonzero_norms(vectors, "vectors")
    found = _exact.top_k(queries, vectors, k, metric, vector_norms)
    if found is None:  # a NaN/inf score: NaN/inf in the vectors, or an overflow of huge values
        as_matrix(vectors, "vectors")  # raises the precise error if a value is NaN/inf
        fix = "or use metric='cosine'" if metric != "cosine" else ""
        raise InvalidInputError(f"{metric} scores overflow float32 (the vectors hold values as large as "
                                f"{float(np.abs(vectors).max()):.3g}): scale the vectors down {fix}".rstrip())
    indices, scores = found
    return (indices[0], scores[0]) if single else (indices, scores)
