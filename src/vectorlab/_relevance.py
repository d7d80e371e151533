"""Search quality on labelled queries: where the first acceptable answer ranks, hit@k and mean reciprocal
rank read off those ranks, and seeded bootstrap confidence intervals, per query category
(:func:`search_quality`).

Public through :mod:`vectorlab.evaluate` (import them from there); this module keeps ``evaluate`` short.
A missing key (``None``, ``NaN``, ``pd.NA``) in a result list is an empty slot that matches nothing; in
a list of acceptable answers it is an error.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from itertools import chain, islice
from typing import Any

import numpy as np
import pandas as pd

from vectorlab._validation import check_k, check_positive_int
from vectorlab.errors import InputTypeError, InvalidInputError

__all__ = ["first_hit_rank", "hit_at_k", "mean_reciprocal_rank", "bootstrap_ci", "search_quality"]


#: Upper bound of ``bootstrap_ci``'s ``n_resamples``: far beyond where the interval stops moving.
MAX_RESAMPLES = 10_000_000
#: Indices drawn at once by ``bootstrap_ci`` (16 bytes each with the resampled values: 256 MB).
RESAMPLE_BLOCK = 2**24


def _listed(value: Any) -> Any:
    """A generator or other one-pass iterable as a list (it is read more than once); anything else as is."""
    if isinstance(value, (str, bytes)) or not np.iterable(value) or hasattr(value, "__len__"):
        return value
    return list(value)


def _as_answer_set(value: Any) -> Any:
    """Acceptable answers of one query: a single key (e.g. a string) stands for a set of one."""
    if isinstance(value, (str, bytes)) or not np.iterable(value):
        return (value,)
    return value


def first_hit_rank(ranked_keys: Any, expected: Any, k: int | None = None) -> np.ndarray:
    """1-based rank of each query's first acceptable result (0 when none is in its list, or its top ``k``).

    Hit rate and mean reciprocal rank are both read off these ranks: ``hit@k = mean(0 < rank <= k)`` and
    ``MRR = mean(1 / rank)`` with ``1 / 0`` counted as 0.

    :param ranked_keys: one ranked result list per query, best first (e.g. titles); lists may differ in
        length; a missing key (None, NaN) is an empty slot that matches nothing.
    :param expected: one collection of acceptable answers per query (a lone string counts as one answer).
    :param k: optional cut-off: answers ranked below ``k`` count as not found.
    :return: int64 array, one rank per query.

    >>> first_hit_rank([["cat", "dog"], ["car", "bus"], ["red"]], [{"dog"}, {"car", "bus"}, {"blue"}])
    array([2, 1, 0])
    """
    ranked, answers, k = _checked_lists(ranked_keys, expected, k)
    # The definition: the 1-based position of the first result that is an acceptable answer, 0 if none.
    try:
        return np.array([next((rank for rank, key in enumerate(islice(results, k), start=1)
                               if not _is_missing(key) and key in answer), 0)
                         for results, answer in zip(ranked, answers, strict=True)], dtype=np.int64)
    except TypeError as error:  # an unhashable result key (a list, a dict)
        raise _unhashable(ranked, error) from None


def _unhashable(lists: Any, error: TypeError) -> InputTypeError:
    """The error for a key that is not hashable, naming the first one in ``lists`` (of lists or sets)."""
    bad = next((key for keys in lists for key in keys if not isinstance(key, Hashable)), None)
    return InputTypeError(f"keys must be hashable (words, titles, ids), got {bad!r} ({type(bad).__name__}: "
                          f"{error}): pass one hashable key per result, e.g. a tuple instead of a list")


def _is_missing(key: Any) -> bool:
    """A missing key (None, NaN, pd.NA): an empty slot in a result list, matching nothing."""
    return bool(pd.api.types.is_scalar(key) and pd.isna(key))


def _checked_lists(ranked_keys: Any, expected: Any, k: int | None) -> tuple[list[Any], list[set[Any]], int | None]:
    """``first_hit_rank``'s inputs checked: the result lists, each query's answers as a set, and ``k``."""
    if isinstance(ranked_keys, (str, bytes)) or not np.iterable(ranked_keys):
        raise InputTypeError("ranked_keys must be a list with one ranked list of keys per query")
    if isinstance(expected, (str, bytes)) or not np.iterable(expected):
        raise InputTypeError("expected must be a list with one set of acceptable keys per query")
    ranked = [_listed(results) for results in ranked_keys]
    answers = [_listed(_as_answer_set(answer)) for answer in expected]
    if not ranked:
        raise InvalidInputError("ranked_keys is empty: pass the results of at least one query")
    if len(ranked) != len(answers):
        raise InvalidInputError(
            f"ranked_keys has {len(ranked)} queries, expected has {len(answers)}: "
            "pass one set of acceptable answers per query, in the same order"
        )
    bad = [i for i, results in enumerate(ranked) if isinstance(results, (str, bytes)) or not np.iterable(results)]
    if bad:
        raise InputTypeError(
            f"ranked_keys[{bad[0]}] is not a list (got {type(ranked[bad[0]]).__name__}): "
            "pass one ranked list of keys per query, e.g. [['cat', 'dog'], ['car', 'bus']]"
        )
    ranked_lengths = np.array([len(results) for results in ranked])
    answer_lengths = np.array([len(answer) for answer in answers])
    if (answer_lengths == 0).any():
        raise InvalidInputError(
            f"expected[{int(np.argmax(answer_lengths == 0))}] is empty: "
            "every labelled query needs at least one acceptable answer"
        )
    if k is not None:
        k = check_k(k, int(ranked_lengths.max()), "results in the longest ranked list")
    flat_answers = np.fromiter(chain.from_iterable(answers), dtype=object)
    missing = pd.isna(flat_answers)
    if missing.any():
        query = int(np.repeat(np.arange(len(answers)), answer_lengths)[np.argmax(missing)])
        raise InvalidInputError(
            f"expected[{query}] contains a missing value ({flat_answers[np.argmax(missing)]!r}): an acceptable "
            "answer must be a real key; drop it, or fix the label (e.g. a blank cell in a CSV)"
        )
    try:
        return ranked, [set(answer) for answer in answers], k
    except TypeError as error:
        raise _unhashable(answers, error) from None



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
        raise InputTypeError("k must be a whole number, got None")
    return float(np.mean(first_hit_rank(ranked_keys, expected, k) > 0))


def mean_reciprocal_rank(ranked_keys: Any, expected: Any, k: int | None = None) -> float:
    """Mean over labelled queries of 1 / (rank of the first acceptable answer), 0 when none is found.

    1.0 means every query's best result is acceptable; 0.5 that it comes second on average, roughly.

    :param ranked_keys: one ranked result list per query, best first.
    :param expected: one collection of acceptable answers per query (a lone string counts as one answer).
    :param k: optional cut-off (MRR@k): answers ranked below ``k`` count as not found.

    >>> mean_reciprocal_rank([["cat", "dog"], ["car", "bus"]], [{"dog"}, {"car", "bus"}])
    0.75
    """
    return float(np.mean(_reciprocal(first_hit_rank(ranked_keys, expected, k))))


def _reciprocal(ranks: np.ndarray) -> np.ndarray:
    """1 / rank, and 0 where the rank is 0 (no acceptable answer found)."""
    reciprocal: np.ndarray = np.divide(1.0, ranks, out=np.zeros(ranks.shape), where=ranks > 0)
    return reciprocal


def bootstrap_ci(values: Any, statistic: Callable[..., Any] = np.mean, n_resamples: int = 10_000,
                 confidence: float = 0.95, seed: int | None = 0) -> tuple[float, float, float]:
    """A statistic of per-query scores and its percentile bootstrap confidence interval.

    Draws ``n_resamples`` samples of the same size with replacement, computes the statistic on each and
    returns the ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles of those. Resample ``i`` is
    row ``i`` of ``np.random.default_rng(seed).integers(0, n, (n_resamples, n))``, so a seed gives the same
    interval on every machine. With few queries the interval is wide: that is the point of showing it.

    :param values: one score per query (e.g. 1/0 hits, reciprocal ranks), a 1-D array of finite numbers.
    :param statistic: a numpy reduction taking ``axis=`` (``np.mean``, ``np.median``...), applied to all
        resamples at once.
    :param n_resamples: bootstrap samples; memory grows as ``n_resamples * len(values)``.
    :param confidence: coverage of the interval, between 0 and 1.
    :param seed: seed of the resampling (``None``: fresh randomness).
    :return: ``(point, low, high)``: the statistic of ``values`` and the interval's bounds.

    >>> bootstrap_ci([1, 1, 1, 1])
    (1.0, 1.0, 1.0)
    >>> point, low, high = bootstrap_ci([1, 0, 1, 1, 0, 1, 0, 1], seed=0)
    >>> point, bool(low < point < high)
    (0.625, True)
    """
    # scipy.stats.bootstrap(method="percentile") computes this interval too, but it refuses samples of one
    # value (a category with one query) and renamed its seed argument (random_state -> rng) within scipy>=1.11.
    sample = _as_scores(values)
    if not callable(statistic):
        raise InputTypeError(f"statistic must be a function such as np.mean, got {type(statistic).__name__}")
    n_resamples = check_positive_int(n_resamples, "n_resamples")
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float, np.floating)) \
            or not 0 < confidence < 1:
        raise InvalidInputError(f"confidence must be a number between 0 and 1 (exclusive), got {confidence!r}: "
                                "e.g. 0.95")
    if n_resamples > MAX_RESAMPLES:
        raise InvalidInputError(
            f"n_resamples={n_resamples:,} would draw {n_resamples * sample.size:,} indices and keep "
            f"{8 * n_resamples / 1e9:,.1f} GB of resampled statistics: use at most {MAX_RESAMPLES:,} "
            "(the default is 10,000)"
        )
    # Drawn in blocks of at most RESAMPLE_BLOCK indices: the same stream as one draw, in bounded memory.
    rng = np.random.default_rng(seed)
    block = max(1, RESAMPLE_BLOCK // sample.size)
    parts = []
    for start in range(0, n_resamples, block):
        indices = rng.integers(0, sample.size, size=(min(block, n_resamples - start), sample.size))
        try:
            part = np.asarray(statistic(sample[indices], axis=1), dtype=float)
        except TypeError as error:
            raise InputTypeError(
                f"statistic {getattr(statistic, '__name__', statistic)!r} must accept axis= and reduce along it, "
                f"as np.mean does ({error})"
            ) from None
        if part.shape != (indices.shape[0],):
            raise InvalidInputError(
                f"statistic returned shape {part.shape} for {indices.shape[0]} resamples, expected "
                f"({indices.shape[0]},): it must reduce along axis=1 to one number per resample"
            )
        parts.append(part)
    resampled = np.concatenate(parts)
    low, high = np.quantile(resampled, [(1 - confidence) / 2, (1 + confidence) / 2])
    return float(statistic(sample, axis=0)), float(low), float(high)


def _as_scores(values: Any) -> np.ndarray:
    if isinstance(values, (str, bytes)):
        raise InputTypeError(f"values is a {type(values).__name__}: pass one number per query")
    try:
        sample = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise InputTypeError("values must be one number per query (a flat list or 1-D array)") from None
    if sample.ndim != 1:
        raise InvalidInputError(f"values must be 1-D (one number per query), got shape {sample.shape}")
    if sample.size == 0:
        raise InvalidInputError("values is empty: pass the score of at least one query")
    if not np.isfinite(sample).all():
        raise InvalidInputError(f"values[{int(np.argmax(~np.isfinite(sample)))}] is NaN or infinite: "
                                "score every query with a finite number")
    return sample


def search_quality(ranked_keys: Any, expected: Any, categories: Any = None, k: int = 5, seed: int | None = 0,
                   *, n_resamples: int = 10_000, confidence: float = 0.95) -> pd.DataFrame:
    """hit@k and MRR with 95% confidence intervals, one row per query category plus ``"all"``.

    hit@k is a share of queries, so its interval is the Wilson score interval of a binomial proportion:
    unlike a bootstrap it stays honest at the edges (8 hits out of 8 give [0.68, 1], not [1, 1]). MRR's
    interval is a percentile bootstrap over the row's queries (:func:`bootstrap_ci`, same seed); it has zero
    width when every query of a row scores the same, so read it with the ``queries`` count. MRR looks at
    the whole ranked lists, so pass lists longer than ``k`` to see answers found below the cut-off. Two
    settings differ only where their intervals say so: overlapping intervals on a few dozen queries are no
    evidence of a difference.

    :param ranked_keys: one ranked result list per query, best first.
    :param expected: one collection of acceptable answers per query.
    :param categories: one label per query (e.g. ``queries["category"]``); ``None``: only the ``"all"`` row.
    :param k: cut-off of hit@k; the column names use it (``hit@5``).
    :param seed: seed of the bootstrap.
    :return: columns ``category, queries, hit@k, hit@k low, hit@k high, MRR, MRR low, MRR high``;
        categories in order of first appearance, then ``"all"``.

    >>> table = search_quality([["a", "b"], ["c", "d"], ["e", "f"]], ["a", "d", "z"], ["x", "x", "y"], k=1)
    >>> table[["category", "queries", "hit@1", "MRR"]].round(3).values.tolist()
    [['x', 2, 0.5, 0.75], ['y', 1, 0.0, 0.0], ['all', 3, 0.333, 0.5]]
    """
    ranked_keys = [_listed(results) for results in ranked_keys] if np.iterable(ranked_keys) and not isinstance(
        ranked_keys, (str, bytes)) else ranked_keys  # a generator is read twice below
    expected, categories = _listed(expected), _listed(categories)
    ranks = first_hit_rank(ranked_keys, expected)
    k = check_k(k, max(len(results) for results in ranked_keys), "results in the longest ranked list")
    labels = np.array(["all"] * ranks.size if categories is None else _as_labels(categories, ranks.size),
                      dtype=object)
    hits, reciprocal = ((ranks > 0) & (ranks <= k)).astype(float), _reciprocal(ranks)
    groups = [*pd.unique(labels), "all"] if categories is not None else ["all"]
    rows = []
    for group in groups:  # a handful of categories; the resamples themselves are vectorized
        members = np.ones(ranks.size, bool) if group == "all" else labels == group
        hit_ci = _wilson_interval(int(hits[members].sum()), int(members.sum()), confidence)
        mrr_ci = bootstrap_ci(reciprocal[members], n_resamples=n_resamples, confidence=confidence, seed=seed)
        rows.append([group, int(members.sum()), *hit_ci, *mrr_ci])
    hit = f"hit@{k}"
    return pd.DataFrame(rows, columns=["category", "queries", hit, f"{hit} low", f"{hit} high",
                                       "MRR", "MRR low", "MRR high"])


def _wilson_interval(successes: int, n: int, confidence: float) -> tuple[float, float, float]:
    """``(share, low, high)`` of ``successes`` out of ``n`` with the Wilson score interval (scipy)."""
    from scipy.stats import binomtest

    interval = binomtest(successes, n).proportion_ci(confidence_level=confidence, method="wilson")
    return successes / n, float(interval.low), float(interval.high)


def _as_labels(categories: Any, n_queries: int) -> list[str]:
    if isinstance(categories, (str, bytes)) or not np.iterable(categories):
        raise InputTypeError("categories must be one label per query, e.g. queries['category']")
    labels = list(categories)
    if len(labels) != n_queries:
        raise InvalidInputError(f"categories has {len(labels)} labels for {n_queries} queries: "
                                "pass one label per query")
    bad = [i for i, label in enumerate(labels) if not isinstance(label, str) or not label or label == "all"]
    if bad:
        raise InvalidInputError(
            f"categories[{bad[0]}] is {labels[bad[0]]!r}: each label must be a non-empty string other than "
            "'all' (the name of the summary row)"
        )
    return labels
