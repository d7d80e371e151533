"""Nearest-neighbour search: exact (brute force with numpy) and approximate (HNSW via hnswlib).

Both return ``(indices, scores)`` with the same shapes and score convention, so their results can be
compared directly (see :func:`vectorlab.evaluate.recall_at_k`):

* a single query ``(dims,)`` gives arrays of shape ``(k,)``; a batch ``(m, dims)`` gives ``(m, k)``;
* ``"cosine"`` and ``"dot"`` scores are similarities, largest first;
* ``"euclidean"`` scores are distances, smallest first.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import hnswlib
import numpy as np

from vectorlab._topk import smallest_k
from vectorlab._validation import (
    as_matrix,
    as_vector_or_matrix,
    check_k,
    check_nonzero,
    check_same_dims,
)

__all__ = ["METRICS", "exhaustive_search", "HNSWIndex"]

#: Metrics understood by :func:`exhaustive_search` (and, as aliases, by :class:`HNSWIndex`).
METRICS = ("cosine", "dot", "euclidean")

# Upper bound for the (queries x vectors) score block built at once: a large batch of queries is
# processed in chunks of rows so memory stays bounded whatever the batch size.
_BLOCK_BYTES = 256 * 2**20
# Up to 4 score rows of at most 2,048 entries are ordered by a full stable sort instead of the partition-
# based smallest_k: sorting 500 numbers is cheaper than smallest_k's dozen numpy calls. Measured (500 x 384
# vectors, k=10, medians of interleaved timeit runs, 2 cores): the whole exhaustive_search for one float64
# or list query is 1.25-1.6x slower without this branch (the selection step alone 27 vs 76 us); a batch
# of 3 only 1.05-1.15x. For more queries the selection wins (1,000 x 1,000 scores: 55 ms sorted vs 13 ms).
# A float32 single query takes _search_one (a partition) before it gets here.
_SORT_ROWS_UP_TO = 2048
_SORT_QUERIES_UP_TO = 4

_ZERO_COSINE = "cosine similarity is undefined for a zero vector"
_FLOAT32 = np.dtype(np.float32)
_LEAN_METRICS = ("cosine", "dot")


def _check_metric(metric: Any) -> str:
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(map(repr, METRICS))}, got {metric!r}")
    return metric


def _as_index(vectors: Any) -> tuple[np.ndarray, bool]:
    """Return ``(matrix, checked)``: ``as_matrix`` except for an already-float32 matrix, checked later.

    ``as_matrix`` reads and allocates a boolean copy of the whole matrix to look for NaN/inf. For the
    usual float32 input that check is deferred to the first score block, which is just as conclusive
    (see :func:`exhaustive_search`) but costs one row per query instead of a pass over the vectors.
    """
    if isinstance(vectors, np.ndarray) and vectors.dtype == np.float32 and vectors.ndim == 2 and vectors.size:
        return vectors, False
    return as_matrix(vectors, "vectors"), True


def _best_first(costs: np.ndarray, queries: np.ndarray, vectors: np.ndarray, k: int,
                metric: str) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best of a block of costs (the negated scores: smaller is better) as ``(indices, scores)``.

    Best first, equal scores by lower index. A few short rows get a full stable sort (measured faster
    there, see ``_SORT_ROWS_UP_TO``); otherwise the partition-based :func:`smallest_k`, same results.
    Euclidean scores are recomputed from the differences, which is exact where the expanded form used
    for ranking loses digits (e.g. 0 for a vector itself).
    """
    if metric != "euclidean" and costs.shape[1] <= _SORT_ROWS_UP_TO and costs.shape[0] <= _SORT_QUERIES_UP_TO:
        # One query over the notebooks' hundreds of vectors: one stable sort orders the row outright,
        # ties by lower index, faster than selecting then ordering.
        top = np.argsort(costs, axis=1, kind="stable")[:, :k]
        return top, -costs[np.arange(costs.shape[0])[:, np.newaxis], top]
    top, top_costs = smallest_k(costs, k)
    if metric != "euclidean":
        return top, np.negative(top_costs, out=top_costs)
    diff = vectors[top] - queries[:, np.newaxis, :]
    distances = np.sqrt(np.einsum("mkd,mkd->mk", diff, diff))
    order = np.lexsort((top, distances), axis=1)
    return np.take_along_axis(top, order, axis=1), np.take_along_axis(distances, order, axis=1)


def _search_one(query: np.ndarray, vectors: np.ndarray, k: int,
                metric: str) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`exhaustive_search` for one float32 query over a few float32 vectors, or ``None`` to say
    "use the general path".

    The general path spends tens of microseconds on checks and a dozen numpy calls around ~10 µs of
    arithmetic when one query meets the notebooks' hundreds of vectors. This does the same arithmetic
    (so the scores are the same) with the fewest calls, and checks only its result: a finite score
    row proves the query and the vectors finite and, for cosine, every norm nonzero (a zero norm gives
    0/0 or x/0). Anything else (NaN/inf, a zero vector, an overflow) returns ``None``, and the general
    path then raises its precise error or handles the overflow exactly as before.
    """
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        if metric == "cosine":
            query_norm = np.sqrt(np.vecdot(query, query))
            if not 0.0 < query_norm < math.inf:
                return None
            scores = vectors @ (query / query_norm)
            norms = np.vecdot(vectors, vectors)  # one pass; 3x faster than einsum("ij,ij->i")
            scores /= np.sqrt(norms, out=norms)
        else:
            scores = vectors @ query
        if not math.isfinite(np.add.reduce(scores)):  # NaN/inf anywhere (or a harmless overflow)
            return None
    for _ in range(2):
        # The k-th largest score by a partition of the values (no indices: 2-4x cheaper than
        # argpartition or a full argsort), then every index scoring at least that, in index order.
        # A stable sort of those few by score keeps equal scores in index order, also at the cut.
        negated = np.negative(scores)
        cut = np.partition(negated, k - 1)[k - 1]
        top = (negated <= cut).nonzero()[0]
        top = top[negated[top].argsort(kind="stable")[:k]]
        top_scores = scores[top]
        if metric == "dot" or (top_scores[0] <= 1.0 and top_scores[-1] > -1.0):
            return top, top_scores
        # Rounding put a cosine above 1 (e.g. a vector found as its own neighbour) or the cut at -1:
        # clip, as the general path does before ranking (clipped scores can tie), and select again.
        np.clip(scores, -1.0, 1.0, out=scores)
    return top, top_scores


def exhaustive_search(query: Any, vectors: Any, k: int = 10,
                      metric: str = "cosine") -> tuple[np.ndarray, np.ndarray]:
    """Find the ``k`` nearest vectors to each query by comparing against every vector (exact search).

    :param query: one query vector ``(dims,)`` or a batch ``(m, dims)``.
    :param vectors: the vectors searched, ``(n, dims)``. Passing float32 avoids a conversion copy.
    :param k: how many neighbours to return, ``1 <= k <= n``.
    :param metric: ``"cosine"`` (similarity, both sides normalized), ``"dot"`` (raw inner product,
        the fastest choice for vectors that are already unit length) or ``"euclidean"`` (distance).
    :return: ``(indices, scores)``, best first: int64 row numbers into ``vectors`` and float32 scores,
        shaped ``(k,)`` for one query and ``(m, k)`` for a batch. For ``"euclidean"`` the scores are
        distances (smallest first), recomputed directly from the differences for accuracy.

    Ties are broken deterministically: equal scores are ordered by lower index first (also at the
    k-th place, where the lower index is the one kept). The top ``k`` are selected by a partition, not
    a full sort, except for cosine/dot with up to 4 queries over at most 2,048 vectors (float32 single
    queries excepted: they have their own partition path), where one stable sort per row was measured
    faster. Batches are processed in chunks of queries so the score block stays under about 256 MB.

    >>> vectors = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> indices, scores = exhaustive_search([1.0, 0.2], vectors, k=2)
    >>> print(indices, scores.round(3))
    [0 2] [0.981 0.832]
    >>> exhaustive_search([1.0, 0.2], vectors, k=2, metric="euclidean")[0].tolist()
    [0, 2]
    """
    if (type(query) is np.ndarray and type(vectors) is np.ndarray and query.dtype is _FLOAT32
            and vectors.dtype is _FLOAT32 and query.ndim == 1 and vectors.ndim == 2
            and vectors.flags.c_contiguous and 0 < vectors.shape[0] <= _SORT_ROWS_UP_TO
            and 0 < query.shape[0] == vectors.shape[1] and type(metric) is str and metric in _LEAN_METRICS
            and type(k) is int and 0 < k <= vectors.shape[0]):
        # One query over the notebooks' hundreds of float32 vectors: a lean path, same results.
        found = _search_one(query, vectors, k, metric)
        if found is not None:
            return found
    queries, single = as_vector_or_matrix(query, "query")
    vectors, checked = _as_index(vectors)
    check_same_dims(queries, vectors, "query", "vectors")
    metric = _check_metric(metric)
    n, dims = vectors.shape
    k = check_k(k, n)

    # NaN/inf in float32 input surface as NaN scores and are reported below; no RuntimeWarnings first.
    with np.errstate(invalid="ignore", over="ignore"):
        if metric == "cosine":
            query_norms = np.sqrt(np.vecdot(queries, queries))
            check_nonzero(query_norms, "query", single=single, problem=_ZERO_COSINE,
                          fix="remove it or use metric='dot'")
            # Divide the score block by the vector norms rather than normalizing (copying) the vectors.
            vector_norms = np.sqrt(np.vecdot(vectors, vectors))  # 3x faster than einsum("ij,ij->i")
            check_nonzero(vector_norms, "vectors", problem=_ZERO_COSINE, fix="remove it or use metric='dot'")
            queries = queries / query_norms[:, np.newaxis]
        elif metric == "euclidean":
            # |q - v|^2 = |q|^2 - 2 q.v + |v|^2: ranking by |v|^2 - 2 q.v (smallest first) needs no |q|^2.
            vector_sq_norms = np.vecdot(vectors, vectors)

        m = queries.shape[0]
        row_bytes = 4 * (max(n, k * dims) if metric == "euclidean" else n)
        chunk = max(1, _BLOCK_BYTES // row_bytes)
        indices = np.empty((m, k), dtype=np.int64)
        scores = np.empty((m, k), dtype=np.float32)
        # Costs (smaller is better) for the shared top-k selection: the negated scores, made by negating
        # the few queries rather than the large score block (exact: negation commutes with rounding).
        negated_queries = np.negative(queries) if metric != "euclidean" else queries * np.float32(-2.0)
        for start in range(0, m, chunk):  # chunks of queries (bounded memory), not a loop over vectors
            rows = slice(start, start + chunk)
            block = negated_queries[rows] @ vectors.T
            if metric == "cosine":
                block /= vector_norms
                np.clip(block, -1.0, 1.0, out=block)
            elif metric == "euclidean":
                block += vector_sq_norms  # |v|^2 - 2 q.v: the squared distance less |q|^2
            if not checked:
                # Every vector enters every row of the block and NaN/inf propagate through products and
                # sums (inf * 0 is NaN), so a finite block proves the vectors finite. Otherwise as_matrix
                # raises its precise error (or finds only a harmless overflow of huge values).
                if not np.isfinite(block).all():
                    as_matrix(vectors, "vectors")
                checked = True
            indices[rows], scores[rows] = _best_first(block, queries[rows], vectors, k, metric)
    if single:
        return indices[0], scores[0]
    return indices, scores


# hnswlib space name for each accepted name; the metric names of exhaustive_search are aliases.
_SPACES = {"cosine": "cosine", "ip": "ip", "dot": "ip", "l2": "l2", "euclidean": "l2"}
_METRIC_OF_SPACE = {"cosine": "cosine", "ip": "dot", "l2": "euclidean"}
_INITIAL_CAPACITY = 1024


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
    return int(value)


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".json")


class HNSWIndex:
    """Approximate nearest-neighbour index (HNSW graph, via hnswlib) with the conventions of this package.

    Results have the same shapes and scores as :func:`exhaustive_search` with ``metric=index.metric``:
    similarities (largest first) for ``"cosine"`` and ``"ip"``, distances (smallest first) for ``"l2"``;
    equal scores are ordered by lower id first.

    :param dims: dimensions of the vectors.
    :param space: ``"cosine"``, ``"ip"`` (inner product) or ``"l2"`` (Euclidean); ``"dot"`` and
        ``"euclidean"`` are accepted as aliases.
    :param M: graph links per node: more links, better recall, more memory.
    :param ef_construction: candidate list size while building: larger is slower but better.
    :param max_elements: initial capacity; it grows automatically, so this is only a hint.
    :param seed: random seed of the graph construction.
    :param ef: candidate list size while searching (recall/speed trade-off), see :attr:`ef`.
    :param num_threads: threads for adding and querying; -1 (hnswlib's default) uses every core.
        The graph built by several threads depends on scheduling: use 1 for reproducible indexes.

    >>> index = HNSWIndex(dims=2)
    >>> index.add(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])).tolist()
    [0, 1, 2]
    >>> ids, scores = index.query([1.0, 0.2], k=2)
    >>> print(ids, scores.round(3))
    [0 2] [0.981 0.832]
    """

    def __init__(self, dims: int, space: str = "cosine", M: int = 16, ef_construction: int = 200,
                 max_elements: int | None = None, seed: int = 100, ef: int = 50,
                 num_threads: int = -1) -> None:
        if space not in _SPACES:
            raise ValueError(f"space must be one of {', '.join(map(repr, _SPACES))}, got {space!r}")
        self.dims = _positive_int(dims, "dims")
        self.space = _SPACES[space]
        self.M = _positive_int(M, "M")
        self.ef_construction = _positive_int(ef_construction, "ef_construction")
        self.seed = int(seed)
        capacity = _INITIAL_CAPACITY if max_elements is None else _positive_int(max_elements, "max_elements")
        self._index = hnswlib.Index(space=self.space, dim=self.dims)
        self._index.init_index(max_elements=capacity, M=self.M, ef_construction=self.ef_construction,
                               random_seed=self.seed)
        self._index.set_num_threads(int(num_threads))
        self._ids = np.empty(0, dtype=np.int64)
        self.ef = ef

    @property
    def metric(self) -> str:
        """The exhaustive_search metric giving the same scores: "cosine", "dot" or "euclidean"."""
        return _METRIC_OF_SPACE[self.space]

    @property
    def ef(self) -> int:
        """Candidate list size while searching: larger means better recall and slower queries.

        A query for ``k > ef`` neighbours is not an error: it explores ``max(ef, k)`` candidates
        (hnswlib does so internally) and leaves ``ef`` unchanged.
        """
        return int(self._index.ef)

    @ef.setter
    def ef(self, value: int) -> None:
        self._index.set_ef(_positive_int(value, "ef"))

    @property
    def ids(self) -> np.ndarray:
        """The ids stored in the index, sorted."""
        return np.sort(self._ids)

    @property
    def nbytes(self) -> int:
        """Approximate memory use in bytes (the size of the saved index: vectors plus graph links)."""
        file_size = getattr(self._index, "index_file_size", None)
        if file_size is not None:
            return int(file_size())
        # chroma-hnswlib (the prebuilt hnswlib fork installed on Windows and macOS) cannot report it:
        # hnswlib's layout is, per element, its vector, label and level-0 links (2M neighbours + a
        # count), plus M links + a count on each upper level (M ** -level of the elements reach a level).
        n, m = len(self), self.M
        level0 = n * (self.dims * 4 + 8 + 2 * m * 4 + 4)
        upper = n * 4 + round(n / (m - 1)) * (m * 4 + 4) if m > 1 else n * 4
        return level0 + upper

    def __len__(self) -> int:
        return int(self._index.element_count)

    def __repr__(self) -> str:
        return (f"HNSWIndex(dims={self.dims}, space={self.space!r}, M={self.M}, "
                f"ef_construction={self.ef_construction}, ef={self.ef}, len={len(self)})")

    def _check_cosine(self, matrix: np.ndarray, name: str, single: bool) -> None:
        if self.space == "cosine":
            check_nonzero(np.linalg.norm(matrix, axis=1), name, single=single, problem=_ZERO_COSINE,
                          fix="remove it or use space='ip'")

    def _check_ids(self, ids: Any, n: int) -> np.ndarray:
        if ids is None:
            start = int(self._ids.max()) + 1 if self._ids.size else 0
            return np.arange(start, start + n, dtype=np.int64)
        ids = np.asarray(ids)
        if ids.ndim == 0:
            ids = ids.reshape(1)
        if ids.dtype.kind not in "iu":
            raise TypeError(f"ids must be whole numbers, got an array of dtype {ids.dtype}")
        if ids.shape != (n,):
            raise ValueError(f"got {ids.size} ids for {n} vectors: pass one id per vector")
        if (ids < 0).any():
            raise ValueError(f"ids must be >= 0, got {int(ids[ids < 0][0])}")
        ids = ids.astype(np.int64)
        unique, counts = np.unique(ids, return_counts=True)
        if (counts > 1).any():
            repeated = int(unique[counts > 1][0])
            raise ValueError(f"id {repeated} appears more than once in ids: ids must be unique")
        existing = np.isin(ids, self._ids)
        if existing.any():
            raise ValueError(f"id {int(ids[existing][0])} is already in the index: ids must be unique "
                             "(hnswlib would silently replace the stored vector)")
        return ids

    def add(self, vectors: Any, ids: Any = None) -> np.ndarray:
        """Add vectors to the index, growing its capacity as needed, and return their ids.

        :param vectors: one vector ``(dims,)`` or a batch ``(n, dims)``.
        :param ids: one non-negative, unused integer id per vector. By default ids continue after the
            largest id in the index (0, 1, 2, ... for an index filled with default ids, i.e. row numbers).
        :return: the int64 ids of the added vectors.
        """
        matrix, single = as_vector_or_matrix(vectors, "vectors")
        check_same_dims(matrix, np.empty((0, self.dims)), "vectors", "index")
        self._check_cosine(matrix, "vectors", single)
        ids = self._check_ids(ids, matrix.shape[0])
        needed = len(self) + matrix.shape[0]
        if needed > self._index.max_elements:
            self._index.resize_index(max(needed, 2 * self._index.max_elements))
        self._index.add_items(matrix, ids)
        self._ids = np.concatenate([self._ids, ids])
        return ids

    def query(self, query: Any, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Find approximately the ``k`` nearest stored vectors to each query.

        :param query: one query vector ``(dims,)`` or a batch ``(m, dims)``.
        :param k: how many neighbours, ``1 <= k <= len(index)``.
        :return: ``(ids, scores)`` best first, shaped like :func:`exhaustive_search`'s result.
        """
        queries, single = as_vector_or_matrix(query, "query")
        check_same_dims(queries, np.empty((0, self.dims)), "query", "index")
        if len(self) == 0:
            raise ValueError("the index is empty: add vectors before querying it")
        k = check_k(k, len(self), "vectors in the index")
        self._check_cosine(queries, "query", single)
        try:
            labels, distances = self._index.knn_query(queries, k=k)
        except RuntimeError as error:  # hnswlib: "Cannot return the results in a contiguous 2D array"
            raise RuntimeError(
                f"HNSW search found fewer than k={k} neighbours ({error}): raise ef (now {self.ef}) or M"
            ) from None
        ids = labels.astype(np.int64)
        if self.space == "l2":
            scores = np.sqrt(np.maximum(distances, 0.0))
            order = np.lexsort((ids, scores), axis=1)
        else:  # hnswlib's cosine and ip distances are 1 - similarity
            scores = 1.0 - distances
            if self.space == "cosine":
                np.clip(scores, -1.0, 1.0, out=scores)
            order = np.lexsort((ids, -scores), axis=1)
        ids = np.take_along_axis(ids, order, axis=1)
        scores = np.take_along_axis(scores, order, axis=1).astype(np.float32, copy=False)
        if single:
            return ids[0], scores[0]
        return ids, scores

    def save(self, path: str | Path) -> None:
        """Save the index to ``path`` (hnswlib's binary) plus ``path + ".json"`` (its settings)."""
        path = Path(path)
        self._index.save_index(str(path))
        settings = {"format": "vectorlab.HNSWIndex", "version": 1, "dims": self.dims, "space": self.space,
                    "M": self.M, "ef_construction": self.ef_construction, "ef": self.ef, "seed": self.seed}
        _sidecar(path).write_text(json.dumps(settings, indent=2) + "\n")

    @classmethod
    def load(cls, path: str | Path, num_threads: int = -1) -> HNSWIndex:
        """Load an index written by :meth:`save` (it needs both ``path`` and ``path + ".json"``)."""
        path = Path(path)
        for needed in (path, _sidecar(path)):
            if not needed.is_file():
                raise FileNotFoundError(
                    f"{needed} does not exist: save the index with HNSWIndex.save({str(path)!r}) first"
                )
        settings = json.loads(_sidecar(path).read_text())
        if settings.get("format") != "vectorlab.HNSWIndex":
            raise ValueError(f"{_sidecar(path)} is not an HNSWIndex settings file: save with HNSWIndex.save")
        index = cls(settings["dims"], space=settings["space"], M=settings["M"],
                    ef_construction=settings["ef_construction"], max_elements=1, seed=settings.get("seed", 100),
                    num_threads=num_threads)
        index._index.load_index(str(path))
        index._index.set_num_threads(int(num_threads))
        index.ef = settings["ef"]
        index._ids = np.asarray(index._index.get_ids_list(), dtype=np.int64)
        return index

