"""Top-k selection shared by every search: the ``k`` smallest entries of each row, ties to lower position.

Searches express their results as costs (smaller is better): Hamming distances as they are, and
similarities negated where they are computed (negating the query costs nothing and is exact). One
stable, fully vectorized selection then serves exact search and the binary and int8 scans.
"""

from __future__ import annotations

import numpy as np

__all__ = ["smallest_k", "smallest_k_with_kth", "group_size"]

GROUP = 256
"""Columns per group in :func:`smallest_k` (fewer when k is large, see :func:`group_size`)."""


def smallest_k_with_kth(values: np.ndarray, k: int, kth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the positions and values of the ``k`` smallest entries, ascending; ties -> lower position.

    ``kth`` is each row's k-th smallest value: keep every entry ``<= kth`` (usually barely more than k),
    sort only those by (row, value, position) and keep the first k of each row.
    """
    n_rows = values.shape[0]
    rows, cols = np.nonzero(values <= kth[:, np.newaxis])
    order = np.lexsort((cols, values[rows, cols], rows))
    rows, cols = rows[order], cols[order]
    rank_in_row = np.arange(rows.size) - np.searchsorted(rows, np.arange(n_rows))[rows]
    positions = cols[rank_in_row < k].reshape(n_rows, k)
    return positions, np.take_along_axis(values, positions, axis=1)


def _smallest_k_partition(values: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`smallest_k` by a partition of each row: for small rows, and rows holding NaN."""
    if values.dtype.kind == "f" and np.isnan(values).any():
        values = np.where(np.isnan(values), np.inf, values)  # NaN ranks last (never better than a number)
    return smallest_k_with_kth(values, k, np.partition(values, k - 1, axis=1)[:, k - 1])


def group_size(n: int, k: int) -> int | None:
    """Columns per group for rows of ``n`` entries (None: not worth grouping, use a partition).

    ``GROUP`` columns, or fewer when ``k`` is large (oversampled candidates, e.g. k = 100), so that a
    row still has at least ``4 * k`` groups; below 16 columns per group the plain path is as fast.
    """
    group = GROUP if n // GROUP >= 4 * k else n // (4 * k)
    return group if group >= min(GROUP, 16) else None


def smallest_k(values: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions and values of the ``k`` smallest entries of each row of ``values``, ascending.

    Equal values come in order of position (also at the k-th place, where the lower position is the
    one kept); NaN ranks after every number. A partition costs about 10 ns per entry, more than the
    matrix product that made the scores, so each row is cut into groups of ``GROUP`` columns and every
    group's minimum taken (one vectorized pass): the k-th smallest of those minima bounds the row's
    k-th smallest value from above, since the k groups below it hold k distinct entries at most that
    large. Only groups whose minimum is within the bound can hold a top-k entry, so the exact selection
    runs on a few thousand candidates instead of the whole row.

    >>> positions, values = smallest_k(np.array([[3.0, 1.0, 2.0, 1.0]]), 2)
    >>> positions.tolist(), values.tolist()
    ([[1, 3]], [[1.0, 1.0]])
    """
    m, n = values.shape
    group = group_size(n, k)
    if group is None:
        return _smallest_k_partition(values, k)
    groups = n // group
    body = values[:, : groups * group].reshape(m, groups, group)
    minima = body.min(axis=2)
    if minima.dtype.kind == "f" and np.isnan(minima).any():  # a group minimum of NaN bounds nothing
        return _smallest_k_partition(values, k)
    cut = np.partition(minima, k - 1, axis=1)[:, k - 1]
    # (row, group) pairs whose group can hold a top-k entry, then the candidate entries inside them.
    pair_rows, pair_groups = np.nonzero(minima <= cut[:, np.newaxis])
    pair, offset = np.nonzero(body[pair_rows, pair_groups] <= cut[pair_rows, np.newaxis])
    rows = pair_rows[pair]
    cols = pair_groups[pair] * group + offset
    if groups * group < n:  # the columns after the last whole group
        tail_rows, tail_cols = np.nonzero(values[:, groups * group :] <= cut[:, np.newaxis])
        rows = np.concatenate([rows, tail_rows])
        cols = np.concatenate([cols, tail_cols + groups * group])
    counts = np.bincount(rows, minlength=m)
    if counts.min() < k:  # NaN in the columns after the last group: take the careful path
        return _smallest_k_partition(values, k)
    order = np.lexsort((cols, values[rows, cols], rows))  # by row, then value, then position
    rank_in_row = np.arange(rows.size) - np.repeat(np.cumsum(counts) - counts, counts)
    positions = cols[order][rank_in_row < k].reshape(m, k)
    return positions, np.take_along_axis(values, positions, axis=1)
