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
import pandas as pd

from vectorlab._kernels import exact as _exact
from vectorlab._validation import (
    as_matrix,
    as_vector_or_matrix,
    check_choice,
    check_k,
    check_same_dims,
    nonzero_norms,
    unit_vectors,
)
from vectorlab.errors import InputTypeError, InvalidInputError

__all__ = ["METRICS", "exhaustive_search", "most_similar"]

Metric = Literal["cosine", "dot", "euclidean"]
#: Metrics understood by :func:`exhaustive_search` (and, as aliases, by :class:`HNSWIndex`).
METRICS: tuple[str, ...] = Metric.__args__  # type: ignore[attr-defined]

_FIX_ZERO = "remove it or use metric='dot'"


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
        queries = unit_vectors(queries, "query", single=single, fix=_FIX_ZERO)
        vector_norms = nonzero_norms(vectors, "vectors", fix=_FIX_ZERO)
    found = _exact.top_k(queries, vectors, k, metric, vector_norms)
    if found is None:  # a NaN/inf score: NaN/inf in the vectors, or an overflow of huge values
        as_matrix(vectors, "vectors")  # raises the precise error if a value is NaN/inf
        fix = "or use metric='cosine'" if metric != "cosine" else ""
        raise InvalidInputError(f"{metric} scores overflow float32 (the vectors hold values as large as "
                                f"{float(np.abs(vectors).max()):.3g}): scale the vectors down {fix}".rstrip())
    indices, scores = found
    return (indices[0], scores[0]) if single else (indices, scores)


def most_similar(query_vector: Any, vectors: Any, keys: Any, k: int = 10,
                 metric: Metric = "cosine") -> pd.DataFrame:
    """Table of the ``k`` vectors most similar to a query: columns ``key`` and ``score``, best first.

    :param query_vector: one query vector ``(dims,)``.
    :param vectors: the candidates ``(n, dims)``.
    :param keys: one label per row of ``vectors`` (words, sentences, ids...).
    :param k: how many rows, ``1 <= k <= n``.
    :param metric: ``"cosine"``, ``"dot"`` or ``"euclidean"`` (then ``score`` is a distance, smallest
        first). Ties are listed lower row first, as in :func:`exhaustive_search`.

    >>> vectors = np.array([[1.0, 0.0], [0.0, 1.0], [0.7, 0.7]])
    >>> most_similar([1.0, 0.1], vectors, ["cat", "car", "dog"], k=2).round(3)
       key  score
    0  cat  0.995
    1  dog  0.774
    """
    query, single = as_vector_or_matrix(query_vector, "query_vector")
    if not single:
        raise InvalidInputError(
            f"query_vector must be one vector (dims,), got shape {query.shape}: "
            "for a batch of queries use exhaustive_search"
        )
    vectors = as_matrix(vectors, "vectors")
    if isinstance(keys, str | bytes):
        raise InputTypeError("keys is a single string: pass one key per vector, e.g. a list of words")
    try:
        keys = np.fromiter(keys, dtype=object)
    except TypeError:
        raise InputTypeError(f"keys must be a list with one key per vector, got {type(keys).__name__}") from None
    if keys.shape[0] != vectors.shape[0]:
        raise InvalidInputError(f"got {keys.shape[0]} keys for {vectors.shape[0]} vectors: pass one key per vector")
    indices, scores = exhaustive_search(query[0], vectors, k=k, metric=metric)
    return pd.DataFrame({"key": keys[indices], "score": scores})
