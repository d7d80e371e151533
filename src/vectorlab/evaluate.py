"""Score search results: recall of approximate search, agreement between two result lists, and
hit rate / mean reciprocal rank for labelled queries with bootstrap confidence intervals
(:func:`search_quality`); :func:`drop_self` for leave-one-out evaluation.

Result lists hold integer row ids (:func:`recall_at_k`) or any hashable keys such as words
(the other functions). A missing key (``None``, ``NaN``, ``pd.NA``) in a result list is an empty slot:
it never matches anything, not even another missing key. In a list of acceptable answers it is an error.

The labelled-query metrics (:func:`first_hit_rank`, :func:`hit_at_k`, :func:`mean_reciprocal_rank`,
:func:`bootstrap_ci`, :func:`search_quality`) live in :mod:`vectorlab._relevance` and are imported from here.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from vectorlab._key_codes import key_codes
from vectorlab._relevance import bootstrap_ci, first_hit_rank, hit_at_k, mean_reciprocal_rank, search_quality
from vectorlab._validation import check_k
from vectorlab.errors import InputTypeError, InvalidInputError

__all__ = [
    "recall_at_k", "drop_self", "overlap", "rank_agreement",
    "first_hit_rank", "hit_at_k", "mean_reciprocal_rank", "bootstrap_ci", "search_quality",
]


def _as_id_rows(value: Any, name: str) -> np.ndarray:
    """Integer ids as an int64 matrix, one row per query (a 1-D list is one query)."""
    if isinstance(value, (str, bytes)):
        raise InputTypeError(f"{name} is a {type(value).__name__}: pass integer ids, e.g. from exhaustive_search")
    try:
        ids = np.asarray(value)
    except ValueError:  # ragged nested lists
        ids = np.asarray(value, dtype=object)
    if ids.size == 0:
        raise InvalidInputError(f"{name} is empty: pass the results of at least one query")
    if ids.dtype.kind not in "iu":
        raise InputTypeError(
            f"{name} must hold integer ids (row numbers) in a rectangular array, got dtype {ids.dtype}: "
            "pass the indices returned by a search"
        )
    if ids.ndim == 1:
        ids = ids[np.newaxis, :]
    if ids.ndim != 2:
        raise InvalidInputError(f"{name} must be 1-D (one query) or 2-D (queries, k), got shape {ids.shape}")
    if ids.dtype == np.uint64 and int(ids.max()) > _INT64_MAX:
        return ids  # uint64 ids from 2**63 up would wrap to negative (missing) int64 ids: kept as they are
    return ids.astype(np.int64, copy=False)


_INT64_MAX = 2**63 - 1


def _same_id_type(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``a`` and ``b`` in one integer type that holds every id of both, exactly.

    Both int64 or both uint64: as they are. A uint64 array with ids from 2**63 up beside an int64 one (which
    may mark missing results with negative ids): both become codes of one shared vocabulary (the same id
    gets the same code), negative ids staying negative, so that nothing wraps around.
    """
    if a.dtype == b.dtype:
        return a, b
    codes = key_codes(a.ravel().astype(object), b.ravel().astype(object))
    joined = np.concatenate([a.ravel().astype(object), b.ravel().astype(object)])
    coded = np.concatenate(codes).astype(np.int64)
    coded[joined < 0] = -1
    return coded[: a.size].reshape(a.shape), coded[a.size :].reshape(b.shape)


def _check_unique_rows(sorted_ids: np.ndarray, name: str) -> None:
    repeated = (sorted_ids[:, 1:] == sorted_ids[:, :-1]) & (sorted_ids[:, 1:] >= 0)
    if repeated.any():
        row, col = np.argwhere(repeated)[0]
        raise InvalidInputError(
            f"{name} repeats id {int(sorted_ids[row, col + 1])} in query {int(row)}: "
            "each query's results must be distinct"
        )


def recall_at_k(approx_indices: Any, exact_indices: Any, k: int | None = None) -> float:
    """Fraction of the true ``k`` nearest neighbours that an approximate search found, averaged over queries.

    For each query: ``|approx[:k] ∩ exact[:k]| / k``; order within the top ``k`` does not matter.

    :param approx_indices: ids returned by the approximate search, ``(k,)`` or ``(queries, k)``.
    :param exact_indices: ids from an exact search (e.g. :func:`vectorlab.search.exhaustive_search`) for the
        same queries in the same order.
    :param k: cut-off; defaults to the number of exact results per query. Negative ids mark missing
        results (faiss pads with -1) and never count as found.
    :return: recall in [0, 1].

    >>> recall_at_k([[1, 2, 3], [4, 5, 6]], [[3, 2, 1], [4, 9, 8]])
    0.6666666666666666
    """
    approx = _as_id_rows(approx_indices, "approx_indices")
    exact = _as_id_rows(exact_indices, "exact_indices")
    if approx.shape[0] != exact.shape[0]:
        raise InvalidInputError(
            f"approx_indices has {approx.shape[0]} queries, exact_indices has {exact.shape[0]}: "
            "pass results for the same queries in the same order"
        )
    k = exact.shape[1] if k is None else check_k(k, exact.shape[1], "exact results per query available")
    if approx.shape[1] < k:
        raise InvalidInputError(
            f"approx_indices has {approx.shape[1]} results per query, fewer than k={k}: "
            f"search with k={k} or pass k={approx.shape[1]}"
        )
    approx, exact = _same_id_type(approx[:, :k], exact[:, :k])
    approx, exact = np.sort(approx, axis=1), np.sort(exact, axis=1)
    _check_unique_rows(approx, "approx_indices")
    _check_unique_rows(exact, "exact_indices")
    # With distinct ids per row, each id found by both searches appears twice in a row of the merge.
    merged = np.sort(np.concatenate([approx, exact], axis=1), axis=1)
    found = np.count_nonzero((merged[:, 1:] == merged[:, :-1]) & (merged[:, 1:] >= 0), axis=1)
    return float(np.mean(found / k))


def drop_self(ids: Any, k: int) -> np.ndarray:
    """Leave-one-out results: remove query ``i``'s own id ``i`` from row ``i`` and keep the first ``k`` ids.

    Use it when the collection is searched with its own vectors as queries: ask for ``k + 1`` results,
    because each row usually contains the query itself, which would be found trivially.

    :param ids: ``(queries, results)`` integer ids, best first; row ``i`` holds the results of item ``i``
        of the collection (e.g. ``exhaustive_search(vectors, vectors, k=k + 1)[0]``).
    :param k: results to keep per row.
    :return: ``(queries, k)`` int64 ids, in their original order (uint64 when ids reach 2**63).

    >>> drop_self([[0, 2, 1], [0, 1, 2], [1, 0, 2]], k=2)
    array([[2, 1],
           [0, 2],
           [1, 0]])
    """
    if np.ndim(ids) != 2:
        raise InvalidInputError(
            f"ids must be 2-D (queries, results), got {np.ndim(ids)}-D: pass one row of results per item of "
            "the collection, e.g. exhaustive_search(vectors, vectors, k=k + 1)[0]"
        )
    rows = _as_id_rows(ids, "ids")
    k = check_k(k, rows.shape[1], "results per query available")
    others = rows != np.arange(rows.shape[0])[:, np.newaxis]
    left = np.count_nonzero(others, axis=1)
    if (left < k).any():
        row = int(np.argmax(left < k))
        raise InvalidInputError(
            f"row {row} has {int(left[row])} results left after dropping its own id {row}, fewer than k={k}: "
            f"search with k={k + 1} (one more than you keep) or pass k={int(left[row])}"
        )
    # A stable sort on "is the query itself" moves the other ids to the front, in their original order.
    order = np.argsort(~others, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(rows, order, axis=1)


def _as_keys(value: Any, name: str) -> np.ndarray:
    """A result list (any hashable keys) as a 1-D object array; a table (``most_similar()``) by its keys."""
    if isinstance(value, (str, bytes)):
        raise InputTypeError(f"{name} is a single {type(value).__name__}: pass a list of keys")
    if isinstance(value, pd.DataFrame):  # iterating a table gives its column names, never its rows
        if "key" not in value.columns:
            raise InputTypeError(
                f"{name} is a table with columns {list(value.columns)!r} and no 'key' column: pass the column "
                f"that holds the results, e.g. {name}['title']"
            )
        value = value["key"]
    try:
        keys = np.fromiter(value, dtype=object)
    except TypeError:
        raise InputTypeError(f"{name} must be a list of keys, got {type(value).__name__}") from None
    return keys


def _distinct_codes(keys: np.ndarray, codes: np.ndarray, name: str) -> None:
    if keys.size == 0:
        raise InvalidInputError(f"{name} is empty: pass at least one result")
    unique, first, counts = np.unique(codes, return_index=True, return_counts=True)
    if (counts > 1).any():
        raise InvalidInputError(f"{name} repeats {keys[first[counts > 1][0]]!r}: each result must appear once")


def _two_result_lists(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Checked keys of two result lists and their integer codes in one shared vocabulary."""
    a_keys, b_keys = _as_keys(a, "a"), _as_keys(b, "b")
    try:
        a_codes, b_codes = key_codes(a_keys, b_keys)
    except TypeError as error:  # a list, dict or set as a key
        unhashable = next(key for key in (*a_keys, *b_keys) if not isinstance(key, Hashable))
        raise InputTypeError(
            f"a result key must be hashable (a word, title or id), got {unhashable!r} "
            f"({type(unhashable).__name__}, {error}): pass one key per result, e.g. tuple(key) for a list"
        ) from None
    _distinct_codes(a_keys, a_codes, "a")
    _distinct_codes(b_keys, b_codes, "b")
    return a_keys, b_keys, a_codes, b_codes


def overlap(a: Any, b: Any) -> float:
    """Fraction of results two lists share: ``|a ∩ b| / max(len(a), len(b))`` (order ignored).

    1.0 means the same results (for lists of equal length), 0.0 nothing in common; for two top-k
    lists it is the share of the top k they agree on.

    :param a: first result list (ids, words, ... each at most once).
    :param b: second result list.

    >>> overlap(["cat", "dog", "fox", "owl"], ["dog", "cat", "eel", "ant"])
    0.5
    """
    a_keys, b_keys, a_codes, b_codes = _two_result_lists(a, b)
    shared = np.intersect1d(a_codes, b_codes, assume_unique=True).size
    return shared / max(a_keys.size, b_keys.size)


def rank_agreement(a: Any, b: Any) -> float:
    """Kendall's tau between the orders two ranked lists give to the items they share.

    Counts pairs of shared items ranked in the same order by both lists (concordant) or in opposite
    orders (discordant): ``tau = (concordant - discordant) / pairs``. 1.0 is the same order, -1.0 the
    reverse, about 0 unrelated. Items in only one list are ignored (see :func:`overlap` for them).

    :param a: first ranked list, best first (each item at most once).
    :param b: second ranked list.
    :return: tau in [-1, 1].
    :raises ValueError: when the lists share fewer than 2 items: there is no pair whose order could agree.

    >>> round(rank_agreement(["cat", "dog", "fox", "owl"], ["cat", "fox", "dog", "eel"]), 4)
    0.3333
    """
    _, _, a_codes, b_codes = _two_result_lists(a, b)
    _, a_rank, b_rank = np.intersect1d(a_codes, b_codes, assume_unique=True, return_indices=True)
    n = a_rank.size
    if n < 2:
        raise InvalidInputError(
            f"the two lists share {n} item{'' if n == 1 else 's'}, and an order needs at least 2: compare longer "
            "lists, or report overlap(a, b) alone when they share fewer than 2 items"
        )
    from scipy.stats import kendalltau  # here, not at the top: scipy.stats alone takes ~0.7 s to import

    return float(kendalltau(a_rank, b_rank).statistic)  # ranks are distinct: tau-b is the tau above
