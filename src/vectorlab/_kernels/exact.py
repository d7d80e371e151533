"""The exact top-k behind ``exhaustive_search`` (a private kernel: inputs already checked).

Scores are ranked as costs (smaller is better): the negated similarities, made by negating the few
queries rather than the large score block (exact: negation commutes with rounding), and for Euclidean
``|v|^2 - 2 q.v`` (the squared distance less the query's own ``|q|^2``). That expanded form cancels when
the vectors sit far from the origin (``|v|^2`` of 16e6 in float32 has steps of 1-2, larger than the
squared distances between neighbours 1,000 from the origin), so Euclidean search first subtracts a
reference point, the data's mean (distances do not change; the differences are exact in float32 for
values near the mean, Sterbenz), as scikit-learn's ``_euclidean_distances_upcast`` guards the same
formula by upcasting; the ``k`` best are then recomputed from differences. Speed tricks, each measured
(``benchmarks/bench_exhaustive.py``, ``bench_talk_loop.py``):

* one query over at most 2,048 vectors (the notebooks' sizes): a partition of the score row's values
  and a stable sort of the few at the cut, with the fewest numpy calls (1.25-1.6x faster);
* up to 4 queries over at most 2,048 vectors: one stable sort per row;
* otherwise the grouped selection of :mod:`vectorlab._kernels.topk`, on blocks of queries of at most 256 MB.

Every path gives the same results: best first, equal scores by lower index (also at the k-th place).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from vectorlab._kernels.linalg import in_safe_range, unit_rows
from vectorlab._kernels.topk import smallest_k

__all__ = ["top_k"]

Ids = npt.NDArray[np.int64]
Scores = npt.NDArray[np.float32]

# Upper bound for the (queries x vectors) score block built at once.
BLOCK_BYTES = 256 * 2**20
# Up to SORT_QUERIES_UP_TO score rows of at most SORT_ROWS_UP_TO entries are ordered by a full stable
# sort: cheaper than smallest_k's dozen numpy calls there (measured: 500 x 384 vectors, k=10, a float64
# query 1.25-1.6x faster; 1,000 x 1,000 scores: 55 ms sorted vs 13 ms selected, hence the limits).
SORT_ROWS_UP_TO = 2048
SORT_QUERIES_UP_TO = 4


def _one_query(scores: np.ndarray, k: int) -> tuple[Ids, Scores]:
    """Top k of one score row: the k-th largest value by a partition of the values (no indices: 2-4x
    cheaper than argpartition), then every index reaching it, stably sorted by score."""
    negated = np.negative(scores)
    cut = np.partition(negated, k - 1)[k - 1]
    top = (negated <= cut).nonzero()[0]
    top = top[negated[top].argsort(kind="stable")[:k]]
    return top.astype(np.int64, copy=False), scores[top]


def _best_first(costs: np.ndarray, queries: np.ndarray, vectors: np.ndarray, k: int,
                metric: str) -> tuple[Ids, Scores]:
    """The ``k`` best of a block of costs as ``(indices, scores)``; Euclidean distances recomputed from
    the differences, exact where the expanded form loses digits (e.g. 0 for a vector itself)."""
    if metric != "euclidean" and costs.shape[1] <= SORT_ROWS_UP_TO and costs.shape[0] <= SORT_QUERIES_UP_TO:
        top = np.argsort(costs, axis=1, kind="stable")[:, :k]
        return top, -costs[np.arange(costs.shape[0])[:, np.newaxis], top]
    top, top_costs = smallest_k(costs, k)
    if metric != "euclidean":
        return top, np.negative(top_costs, out=top_costs)
    diff = vectors[top] - queries[:, np.newaxis, :]
    distances = np.sqrt(np.einsum("mkd,mkd->mk", diff, diff))
    order = np.lexsort((top, distances), axis=1)
    return np.take_along_axis(top, order, axis=1), np.take_along_axis(distances, order, axis=1)


def _reference_point(vectors: np.ndarray, sq_norms: np.ndarray) -> np.ndarray | None:
    """The point to subtract before ranking by ``|v|^2 - 2 q.v``, or None when the data are centred enough.

    The expanded form loses about ``log2(|mean|^2 / spread)`` bits to cancellation, where the spread is the
    mean squared distance to the mean (``mean |v|^2 - |mean|^2``): past one bit the data are centred on
    their mean, rounded to 12 significant bits so that the differences of nearby values (integers, say)
    stay exact and exact ties stay ties.
    """
    mean = vectors.mean(axis=0, dtype=np.float64)
    mean_sq = float(mean @ mean)
    spread = float(sq_norms.mean(dtype=np.float64)) - mean_sq
    if not mean_sq > max(spread, 0.0):  # also a non-finite mean: no centring, the caller reports it
        return None
    mantissa, exponent = np.frexp(mean)
    reference: np.ndarray = np.ldexp(np.round(mantissa * 2.0**12), exponent - 12).astype(np.float32)
    return reference


def top_k(queries: np.ndarray, vectors: np.ndarray, k: int, metric: str,
          vector_norms: np.ndarray | None = None) -> tuple[Ids, Scores] | None:
    """``(indices, scores)`` of the ``k`` best vectors per query, or ``None`` if a score is NaN/inf.

    ``queries`` are unit length for cosine, and ``vector_norms`` (nonzero) divide the scores. ``None``
    lets the caller say why: NaN/inf in the vectors (not checked before, to spare a pass over them) or
    an overflow of huge values.
    """
    m, n = queries.shape[0], vectors.shape[0]
    if vector_norms is not None and not in_safe_range(vector_norms):
        # Tiny or huge vectors: dividing the scores by their lengths would lose digits; scale them first.
        vectors, vector_norms = unit_rows(vectors, vector_norms), np.ones_like(vector_norms)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        if m == 1 and metric != "euclidean" and n <= SORT_ROWS_UP_TO and vectors.flags.c_contiguous:
            scores = vectors @ queries[0]
            if vector_norms is not None:
                scores /= vector_norms
                np.clip(scores, -1.0, 1.0, out=scores)  # rounding can put a self-similarity above 1
            # One reduction proves every score finite; a sum that overflows although each score is
            # finite (2,048 scores of 2e38) is told apart by the slower look at each score.
            if not math.isfinite(np.add.reduce(scores)) and not np.isfinite(scores).all():
                return None
            indices, top_scores = _one_query(scores, k)
            return indices[np.newaxis], top_scores[np.newaxis]
        if metric == "euclidean":
            vector_sq_norms = np.vecdot(vectors, vectors)
            reference = _reference_point(vectors, vector_sq_norms)
            if reference is not None:  # far from the origin: the expanded form works on the centred data
                vectors, queries = vectors - reference, queries - reference
                vector_sq_norms = np.vecdot(vectors, vectors)
        dims = vectors.shape[1]
        row_bytes = 4 * (max(n, k * dims) if metric == "euclidean" else n)
        chunk = max(1, BLOCK_BYTES // row_bytes)
        indices = np.empty((m, k), dtype=np.int64)
        scores = np.empty((m, k), dtype=np.float32)
        negated_queries = queries * np.float32(-2.0) if metric == "euclidean" else np.negative(queries)
        for start in range(0, m, chunk):  # chunks of queries (bounded memory), not a loop over vectors
            rows = slice(start, start + chunk)
            block = negated_queries[rows] @ vectors.T
            if vector_norms is not None:
                block /= vector_norms
                np.clip(block, -1.0, 1.0, out=block)
            elif metric == "euclidean":
                block += vector_sq_norms
            # Every vector enters every row and NaN/inf propagate through products and sums (inf * 0 is
            # NaN): a finite block proves the vectors finite and that nothing overflowed.
            if not np.isfinite(block).all():
                return None
            indices[rows], scores[rows] = _best_first(block, queries[rows], vectors, k, metric)
    return indices, scores
