"""Score search results: recall of approximate search, agreement between two result lists, and
hit rate / mean reciprocal rank for labelled queries; :func:`drop_self` for leave-one-out evaluation.

Result lists hold integer row ids (:func:`recall_at_k`) or any hashable keys such as words
(the other functions).
"""

from __future__ import annotations

from itertools import chain
from typing import Any

import numpy as np
import pandas as pd

from vectorlab._validation import check_k

__all__ = ["recall_at_k", "drop_self", "overlap", "rank_agreement", "hit_at_k", "mean_reciprocal_rank"]


def _as_id_rows(value: Any, name: str) -> np.ndarray:
    """Integer ids as an int64 matrix, one row per query (a 1-D list is one query)."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} is a {type(value).__name__}: pass integer ids, e.g. from exhaustive_search")
    try:
        ids = np.asarray(value)
    except ValueError:  # ragged nested lists
        ids = np.asarray(value, dtype=object)
    if ids.size == 0:
        raise ValueError(f"{name} is empty: pass the results of at least one query")
    if ids.dtype.kind not in "iu":
        raise TypeError(
            f"{name} must hold integer ids (row numbers) in a rectangular array, got dtype {ids.dtype}: "
            "pass the indices returned by a search"
        )
    if ids.ndim == 1:
        ids = ids[np.newaxis, :]
    if ids.ndim != 2:
        raise ValueError(f"{name} must be 1-D (one query) or 2-D (queries, k), got shape {ids.shape}")
    return ids.astype(np.int64, copy=False)


def _check_unique_rows(sorted_ids: np.ndarray, name: str) -> None:
    repeated = (sorted_ids[:, 1:] == sorted_ids[:, :-1]) & (sorted_ids[:, 1:] >= 0)
    if repeated.any():
        row, col = np.argwhere(repeated)[0]
        raise ValueError(
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
        raise ValueError(
            f"approx_indices has {approx.shape[0]} queries, exact_indices has {exact.shape[0]}: "
            "pass results for the same queries in the same order"
        )
    k = exact.shape[1] if k is None else check_k(k, exact.shape[1], "exact results per query available")
    if approx.shape[1] < k:
        raise ValueError(
            f"approx_indices has {approx.shape[1]} results per query, fewer than k={k}: "
            f"search with k={k} or pass k={approx.shape[1]}"
        )
    approx, exact = np.sort(approx[:, :k], axis=1), np.sort(exact[:, :k], axis=1)
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
    :return: ``(queries, k)`` int64 ids, in their original order.

    >>> drop_self([[0, 2, 1], [0, 1, 2], [1, 0, 2]], k=2)
    array([[2, 1],
           [0, 2],
           [1, 0]])
    """
    if np.ndim(ids) != 2:
        raise ValueError(
            f"ids must be 2-D (queries, results), got {np.ndim(ids)}-D: pass one row of results per item of "
            "the collection, e.g. exhaustive_search(vectors, vectors, k=k + 1)[0]"
        )
    rows = _as_id_rows(ids, "ids")
    k = check_k(k, rows.shape[1], "results per query available")
    others = rows != np.arange(rows.shape[0])[:, np.newaxis]
    left = np.count_nonzero(others, axis=1)
    if (left < k).any():
        row = int(np.argmax(left < k))
        raise ValueError(
            f"row {row} has {int(left[row])} results left after dropping its own id {row}, fewer than k={k}: "
            f"search with k={k + 1} (one more than you keep) or pass k={int(left[row])}"
        )
    # A stable sort on "is the query itself" moves the other ids to the front, in their original order.
    order = np.argsort(~others, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(rows, order, axis=1)


def _as_keys(value: Any, name: str) -> np.ndarray:
    """A result list (any hashable keys) as a 1-D object array."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} is a single {type(value).__name__}: pass a list of keys")
    try:
        keys = np.fromiter(value, dtype=object)
    except TypeError:
        raise TypeError(f"{name} must be a list of keys, got {type(value).__name__}") from None
    return keys


def _codes(*key_arrays: np.ndarray) -> list[np.ndarray]:
    """Replace keys by integer codes shared across the arrays (equal keys get equal codes)."""
    codes, _ = pd.factorize(np.concatenate(key_arrays))
    return np.split(codes, np.cumsum([len(keys) for keys in key_arrays])[:-1])


def _distinct_codes(keys: np.ndarray, codes: np.ndarray, name: str) -> None:
    if keys.size == 0:
        raise ValueError(f"{name} is empty: pass at least one result")
    unique, first, counts = np.unique(codes, return_index=True, return_counts=True)
    if (counts > 1).any():
        raise ValueError(f"{name} repeats {keys[first[counts > 1][0]]!r}: each result must appear once")


def _two_result_lists(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Checked keys of two result lists and their integer codes in one shared vocabulary."""
    a_keys, b_keys = _as_keys(a, "a"), _as_keys(b, "b")
    a_codes, b_codes = _codes(a_keys, b_keys)
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

    >>> rank_agreement(["cat", "dog", "fox", "owl"], ["cat", "fox", "dog", "eel"])
    0.3333333333333333
    """
    _, _, a_codes, b_codes = _two_result_lists(a, b)
    _, a_rank, b_rank = np.intersect1d(a_codes, b_codes, assume_unique=True, return_indices=True)
    n = a_rank.size
    if n < 2:
        raise ValueError(
            f"the two lists share {n} item{'' if n == 1 else 's'}, and an order needs at least 2: compare longer "
            "lists, or report overlap(a, b) alone when they share fewer than 2 items"
        )
    same_order = np.sign(a_rank[:, None] - a_rank[None, :]) * np.sign(b_rank[:, None] - b_rank[None, :])
    return float(same_order.sum() / (n * (n - 1)))  # each pair is counted twice in the full matrix


def _as_answer_set(value: Any) -> Any:
    """Acceptable answers of one query: a single key (e.g. a string) stands for a set of one."""
    if isinstance(value, (str, bytes)) or not np.iterable(value):
        return (value,)
    return value


def _first_hit_ranks(ranked_keys: Any, expected: Any, k: int | None) -> np.ndarray:
    """1-based rank of each query's first acceptable result within its top ``k`` (0 when none)."""
    if isinstance(ranked_keys, (str, bytes)) or not np.iterable(ranked_keys):
        raise TypeError("ranked_keys must be a list with one ranked list of keys per query")
    if isinstance(expected, (str, bytes)) or not np.iterable(expected):
        raise TypeError("expected must be a list with one set of acceptable keys per query")
    ranked, answers = list(ranked_keys), [_as_answer_set(answer) for answer in expected]
    if not ranked:
        raise ValueError("ranked_keys is empty: pass the results of at least one query")
    if len(ranked) != len(answers):
        raise ValueError(
            f"ranked_keys has {len(ranked)} queries, expected has {len(answers)}: "
            "pass one set of acceptable answers per query, in the same order"
        )
    bad = [i for i, results in enumerate(ranked) if isinstance(results, (str, bytes)) or not np.iterable(results)]
    if bad:
        raise TypeError(
            f"ranked_keys[{bad[0]}] is not a list (got {type(ranked[bad[0]]).__name__}): "
            "pass one ranked list of keys per query, e.g. [['cat', 'dog'], ['car', 'bus']]"
        )
    ranked_lengths = np.array([len(results) for results in ranked])
    answer_lengths = np.array([len(answer) for answer in answers])
    if (answer_lengths == 0).any():
        raise ValueError(
            f"expected[{int(np.argmax(answer_lengths == 0))}] is empty: "
            "every labelled query needs at least one acceptable answer"
        )
    if k is not None:
        k = check_k(k, int(ranked_lengths.max()), "results in the longest ranked list")

    # Flatten the ragged lists, encode (query, key) pairs as integers and match them in one pass.
    n_queries = len(ranked)
    ranked_codes, answer_codes = _codes(np.fromiter(chain.from_iterable(ranked), dtype=object),
                                        np.fromiter(chain.from_iterable(answers), dtype=object))
    n_codes = max(int(ranked_codes.max(initial=0)), int(answer_codes.max(initial=0))) + 1
    ranked_query = np.repeat(np.arange(n_queries), ranked_lengths)
    position = np.arange(ranked_query.size) - np.repeat(np.cumsum(ranked_lengths) - ranked_lengths,
                                                        ranked_lengths)
    answer_query = np.repeat(np.arange(n_queries), answer_lengths)
    hit = np.isin(ranked_query * n_codes + ranked_codes, answer_query * n_codes + answer_codes)
    if k is not None:
        hit &= position < k
    # Results are in (query, position) order, so a query's first hit is its first entry among the hits.
    hit_queries, first = np.unique(ranked_query[hit], return_index=True)
    ranks = np.zeros(n_queries, dtype=np.int64)
    ranks[hit_queries] = position[hit][first] + 1
    return ranks


def hit_at_k(ranked_keys: Any, expected: Any, k: int) -> float:
    """Fraction of labelled queries with at least one acceptable answer among their top ``k`` results.

    :param ranked_keys: one ranked result list per query, best first (e.g. words or document ids).
    :param expected: one collection of acceptable answers per query (a lone string counts as one answer).
    :param k: cut-off, at most the length of the longest result list.

    >>> hit_at_k([["cat", "dog"], ["car", "bus"]], [{"dog"}, {"train"}], k=2)
    0.5
    >>> hit_at_k([["cat", "dog"], ["car", "bus"]], [{"dog"}, {"train"}], k=1)
    0.0
    """
    if k is None:
        raise TypeError("k must be a whole number, got None")
    return float(np.mean(_first_hit_ranks(ranked_keys, expected, k) > 0))


def mean_reciprocal_rank(ranked_keys: Any, expected: Any, k: int | None = None) -> float:
    """Mean over labelled queries of 1 / (rank of the first acceptable answer), 0 when none is found.

    1.0 means every query's best result is acceptable; 0.5 that it comes second on average, roughly.

    :param ranked_keys: one ranked result list per query, best first.
    :param expected: one collection of acceptable answers per query (a lone string counts as one answer).
    :param k: optional cut-off (MRR@k): answers ranked below ``k`` count as not found.

    >>> mean_reciprocal_rank([["cat", "dog"], ["car", "bus"]], [{"dog"}, {"car", "bus"}])
    0.75
    """
    ranks = _first_hit_ranks(ranked_keys, expected, k)
    return float(np.mean(np.divide(1.0, ranks, out=np.zeros(ranks.size), where=ranks > 0)))
