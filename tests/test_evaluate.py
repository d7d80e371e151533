"""Tests for vectorlab.evaluate against plain-Python references (sets, loops) and scipy."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import bootstrap, kendalltau

from vectorlab.evaluate import (
    bootstrap_ci,
    drop_self,
    first_hit_rank,
    hit_at_k,
    mean_reciprocal_rank,
    overlap,
    rank_agreement,
    recall_at_k,
    search_quality,
)

PROPERTY = settings(max_examples=60, deadline=None)

# --- plain-Python references ------------------------------------------------------------------------


def ref_recall(approx, exact, k):
    return sum(len(set(a[:k]) & set(e[:k]) - {-1}) / k for a, e in zip(approx, exact, strict=True)) / len(exact)


def ref_drop_self(ids, k):
    """Row by row: the ids other than the row's own number, first k of them."""
    return [[i for i in row if i != query][:k] for query, row in enumerate(ids)]


def ref_kendall(a, b):
    shared = [item for item in a if item in b]
    pairs = [(x, y) for i, x in enumerate(shared) for y in shared[i + 1:]]
    if not pairs:
        return math.nan
    agree = sum(1 if (a.index(x) - a.index(y)) * (b.index(x) - b.index(y)) > 0 else -1 for x, y in pairs)
    return agree / len(pairs)


def ref_first_rank(results, answers, k):
    for rank, key in enumerate(results[:k], start=1):
        if key in answers:
            return rank
    return 0


def ref_hit(ranked, expected, k):
    return sum(ref_first_rank(r, e, k) > 0 for r, e in zip(ranked, expected, strict=True)) / len(ranked)


def ref_mrr(ranked, expected, k=None):
    ranks = [ref_first_rank(r, e, k) for r, e in zip(ranked, expected, strict=True)]
    return sum(1 / rank if rank else 0.0 for rank in ranks) / len(ranks)


# --- strategies ------------------------------------------------------------------------------------


@st.composite
def result_rows(draw):
    """(approx, exact): queries x k distinct ids per row, drawn from a small pool to force overlaps."""
    n_queries, k = draw(st.integers(1, 6)), draw(st.integers(1, 8))
    pool = st.lists(st.integers(0, 12), min_size=k, max_size=k, unique=True)
    approx = [draw(pool) for _ in range(n_queries)]
    exact = [draw(pool) for _ in range(n_queries)]
    return approx, exact


distinct_words = st.lists(st.sampled_from("abcdefghij"), min_size=1, max_size=10, unique=True)


@st.composite
def labelled_queries(draw):
    n = draw(st.integers(1, 6))
    ranked = [draw(st.lists(st.integers(0, 9), max_size=8)) for _ in range(n)]
    expected = [draw(st.sets(st.integers(0, 9), min_size=1, max_size=3)) for _ in range(n)]
    return ranked, expected


# --- recall_at_k -------------------------------------------------------------------------------------


def test_recall_hand_computed():
    assert recall_at_k([[1, 2, 3], [4, 5, 6]], [[3, 2, 1], [4, 9, 8]]) == pytest.approx(4 / 6)
    assert recall_at_k([1, 2, 3, 4], [9, 1, 7, 2], k=2) == 0.5  # top 2: {1, 2} vs {9, 1} share 1
    assert recall_at_k(np.array([5, 6]), np.array([6, 5])) == 1.0


def test_recall_hand_computed_cutoff():
    assert recall_at_k([1, 9, 3, 4], [9, 1, 7, 2], k=2) == 1.0
    assert recall_at_k([1, 2, 3, 4], [9, 1, 7, 2], k=4) == 0.5


def test_recall_ignores_negative_padding_and_accepts_unsigned_ids():
    assert recall_at_k([[3, -1, -1]], [[3, 4, 5]]) == pytest.approx(1 / 3)
    assert recall_at_k(np.array([[3, 4]], dtype=np.uint64), np.array([[4, 3]])) == 1.0


def test_recall_longer_approx_lists_are_cut_at_k():
    assert recall_at_k([[1, 2, 3, 4, 5]], [[5, 4]]) == 0.0
    assert recall_at_k([[4, 5, 1, 2, 3]], [[5, 4]]) == 1.0


@PROPERTY
@given(result_rows(), st.data())
def test_recall_matches_reference(rows, data):
    approx, exact = rows
    k = data.draw(st.integers(1, len(exact[0])))
    assert recall_at_k(approx, exact, k=k) == pytest.approx(ref_recall(approx, exact, k))
    assert recall_at_k(approx, exact) == pytest.approx(ref_recall(approx, exact, len(exact[0])))


@pytest.mark.parametrize(
    ("approx", "exact", "k", "error", "message"),
    [
        ([[1, 2]], [[1, 2], [3, 4]], None, ValueError,
         "approx_indices has 1 queries, exact_indices has 2: pass results for the same queries"),
        ([[1, 2]], [[1, 2, 3]], None, ValueError,
         "approx_indices has 2 results per query, fewer than k=3: search with k=3 or pass k=2"),
        ([1, 2], [1, 2], 3, ValueError, "k=3 is larger than the 2 exact results per query available"),
        ([1, 2], [1, 2], 0, ValueError, "k must be at least 1, got 0"),
        ([1.0, 2.0], [1, 2], None, TypeError, "approx_indices must hold integer ids .* got dtype float64"),
        ([1, 2], ["a", "b"], None, TypeError, "exact_indices must hold integer ids"),
        ("12", [1, 2], None, TypeError, "approx_indices is a str"),
        ([[1, 2], [3]], [[1, 2], [3, 4]], None, TypeError, "approx_indices must hold integer ids"),
        ([], [1], None, ValueError, "approx_indices is empty"),
        (np.ones((1, 2, 2), dtype=int), [[1, 2]], None, ValueError, "approx_indices must be 1-D .* or 2-D"),
        ([[1, 1, 2]], [[1, 2, 3]], None, ValueError, "approx_indices repeats id 1 in query 0"),
        ([[1, 2], [1, 2]], [[1, 2], [7, 7]], None, ValueError, "exact_indices repeats id 7 in query 1"),
    ],
)
def test_recall_bad_input(approx, exact, k, error, message):
    with pytest.raises(error, match=message):
        recall_at_k(approx, exact, k=k)


# --- drop_self ---------------------------------------------------------------------------------------


def test_drop_self_hand_computed():
    ids = [[0, 3, 1], [2, 1, 0], [2, 0, 1]]
    np.testing.assert_array_equal(drop_self(ids, k=2), [[3, 1], [2, 0], [0, 1]])
    np.testing.assert_array_equal(drop_self(np.array([[5, 6], [7, 8]]), k=2), [[5, 6], [7, 8]])  # no self: cut
    assert drop_self(np.array([[0, 1], [0, 1]], dtype=np.uint32), k=1).dtype == np.int64


@st.composite
def self_search_rows(draw):
    """Rows of distinct ids from a small pool, as a search of the collection by itself returns them."""
    n_queries, width = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    pool = st.lists(st.integers(0, max(n_queries, width) + 2), min_size=width, max_size=width, unique=True)
    return [draw(pool) for _ in range(n_queries)]


@PROPERTY
@given(self_search_rows(), st.data())
def test_drop_self_matches_reference(ids, data):
    k = data.draw(st.integers(1, len(ids[0])))
    expected = ref_drop_self(ids, k)
    if min(len(row) for row in expected) < k:
        with pytest.raises(ValueError, match="fewer than k="):
            drop_self(ids, k)
    else:
        np.testing.assert_array_equal(drop_self(ids, k), expected)


@pytest.mark.parametrize(
    ("ids", "k", "error", "message"),
    [
        ([[0, 1], [0, 1]], 2, ValueError,
         "row 0 has 1 results left after dropping its own id 0, fewer than k=2: search with k=3"),
        ([[1, 2], [1, 0]], 2, ValueError, "row 1 has 1 results left after dropping its own id 1"),
        ([0, 1, 2], 2, ValueError, "ids must be 2-D .* got 1-D"),
        ([[0, 1]], 3, ValueError, "k=3 is larger than the 2 results per query available"),
        ([[0, 1]], 0, ValueError, "k must be at least 1, got 0"),
        ([[0.0, 1.0]], 1, TypeError, "ids must hold integer ids"),
    ],
)
def test_drop_self_bad_input(ids, k, error, message):
    with pytest.raises(error, match=message):
        drop_self(ids, k)


# --- overlap and rank_agreement ----------------------------------------------------------------------


def test_overlap_hand_computed():
    assert overlap(["cat", "dog", "fox", "owl"], ["dog", "cat", "eel", "ant"]) == 0.5
    assert overlap([1, 2, 3], [3, 2, 1]) == 1.0
    assert overlap([1, 2], [3, 4]) == 0.0
    assert overlap([1, 2], [2, 3, 4, 5]) == 0.25
    assert overlap(np.array([1, 2]), (2, 1)) == 1.0


def test_overlap_does_not_confuse_types():
    assert overlap([1, "1"], ["1", 2]) == 0.5


@PROPERTY
@given(distinct_words, distinct_words)
def test_overlap_matches_reference(a, b):
    assert overlap(a, b) == pytest.approx(len(set(a) & set(b)) / max(len(a), len(b)))


def test_rank_agreement_hand_computed():
    assert rank_agreement(["a", "b", "c"], ["a", "b", "c"]) == 1.0
    assert rank_agreement(["a", "b", "c"], ["c", "b", "a"]) == -1.0
    # shared a, b, c: pairs (a,b) agree, (a,c) agree, (b,c) disagree -> (2 - 1) / 3
    assert rank_agreement(["a", "b", "c", "x"], ["a", "y", "c", "b"]) == pytest.approx(1 / 3)


def test_rank_agreement_refuses_fewer_than_two_shared_items():
    with pytest.raises(ValueError, match="the two lists share 0 items, and an order needs at least 2"):
        rank_agreement(["a", "b"], ["c", "d"])
    with pytest.raises(ValueError, match="share 1 item, .* report overlap"):
        rank_agreement(["a", "b"], ["b", "d"])
    assert rank_agreement(["a", "b"], ["b", "a"]) == -1.0


@PROPERTY
@given(distinct_words, distinct_words)
def test_rank_agreement_matches_references(a, b):
    expected = ref_kendall(a, b)
    if math.isnan(expected):
        with pytest.raises(ValueError, match="an order needs at least 2"):
            rank_agreement(a, b)
        return
    result = rank_agreement(a, b)
    assert result == pytest.approx(expected)
    shared = [item for item in a if item in b]
    assert result == pytest.approx(kendalltau([a.index(x) for x in shared], [b.index(x) for x in shared])[0])


@pytest.mark.parametrize("function", [overlap, rank_agreement])
def test_list_comparisons_bad_input(function):
    with pytest.raises(ValueError, match="a repeats 'cat': each result must appear once"):
        function(["cat", "dog", "cat"], ["cat"])
    with pytest.raises(ValueError, match="b repeats 3"):
        function([1, 2], [3, 3])
    with pytest.raises(ValueError, match="a is empty"):
        function([], [1])
    with pytest.raises(TypeError, match="b is a single str: pass a list of keys"):
        function(["cat"], "cat")
    with pytest.raises(TypeError, match="a must be a list of keys, got int"):
        function(5, [1])


# --- hit_at_k and mean_reciprocal_rank --------------------------------------------------------------


def test_hit_and_mrr_hand_computed():
    ranked = [["cat", "dog", "fox"], ["car", "bus", "van"], ["red", "blue"]]
    expected = [{"dog"}, {"van", "train"}, {"green"}]
    assert hit_at_k(ranked, expected, k=1) == 0.0
    assert hit_at_k(ranked, expected, k=2) == pytest.approx(1 / 3)
    assert hit_at_k(ranked, expected, k=3) == pytest.approx(2 / 3)
    assert mean_reciprocal_rank(ranked, expected) == pytest.approx((1 / 2 + 1 / 3 + 0) / 3)
    assert mean_reciprocal_rank(ranked, expected, k=2) == pytest.approx((1 / 2) / 3)


def test_hit_and_mrr_accept_single_answers_arrays_and_uneven_lists():
    ranked = [np.array([4, 2, 9]), np.array([1]), []]
    assert hit_at_k(ranked, [2, [1, 5], {7}], k=2) == pytest.approx(2 / 3)
    assert mean_reciprocal_rank([["cat", "dog"]], ["dog"]) == 0.5  # a lone string is one answer
    assert mean_reciprocal_rank(np.array([[3, 1], [1, 3]]), [{1}, {1}]) == 0.75


def test_hit_counts_first_acceptable_answer_once():
    assert mean_reciprocal_rank([["a", "b", "c"]], [{"b", "c"}]) == 0.5
    assert mean_reciprocal_rank([["a", "a", "b"]], [{"a"}]) == 1.0


@PROPERTY
@given(labelled_queries(), st.integers(1, 8))
def test_hit_and_mrr_match_reference(queries, k):
    ranked, expected = queries
    longest = max(len(r) for r in ranked)
    assert mean_reciprocal_rank(ranked, expected) == pytest.approx(ref_mrr(ranked, expected))
    if longest == 0 or k > longest:
        with pytest.raises(ValueError, match="larger than the"):
            hit_at_k(ranked, expected, k=k)
    else:
        assert hit_at_k(ranked, expected, k=k) == pytest.approx(ref_hit(ranked, expected, k))
        assert mean_reciprocal_rank(ranked, expected, k=k) == pytest.approx(ref_mrr(ranked, expected, k))


@pytest.mark.parametrize("function", [hit_at_k, mean_reciprocal_rank])
@pytest.mark.parametrize(
    ("ranked", "expected", "error", "message"),
    [
        ([["a"], ["b"]], [{"a"}], ValueError, "ranked_keys has 2 queries, expected has 1"),
        ([], [], ValueError, "ranked_keys is empty"),
        ([["a"], ["b"]], [{"a"}, set()], ValueError, r"expected\[1\] is empty: every labelled query needs"),
        (["cat", "dog"], [{"cat"}, {"dog"}], TypeError, r"ranked_keys\[0\] is not a list \(got str\)"),
        ([["a"], 5], [{"a"}, {"b"}], TypeError, r"ranked_keys\[1\] is not a list \(got int\)"),
        ("cat", [{"cat"}], TypeError, "ranked_keys must be a list with one ranked list"),
        ([["a"]], "a", TypeError, "expected must be a list with one set of acceptable keys"),
    ],
)
def test_labelled_metrics_bad_input(function, ranked, expected, error, message):
    with pytest.raises(error, match=message):
        function(ranked, expected, k=1)


def test_hit_at_k_bad_k():
    ranked, expected = [["a", "b"]], [{"a"}]
    with pytest.raises(ValueError, match="k must be at least 1, got 0"):
        hit_at_k(ranked, expected, k=0)
    with pytest.raises(ValueError, match="k=3 is larger than the 2 results in the longest ranked list"):
        hit_at_k(ranked, expected, k=3)
    with pytest.raises(TypeError, match="k must be a whole number, got None"):
        hit_at_k(ranked, expected, k=None)


# --- missing keys (issue 13 item 6): an empty slot in a result list matches nothing ---------------------


def test_missing_result_keys_never_match():
    assert hit_at_k([["a"], [None]], [["z"], ["a"]], k=1) == 0.0
    assert overlap([None, "a"], [math.nan, "b"]) == 0.0
    assert overlap([None, "a"], [None, "a"]) == 0.5  # None does not match None either
    assert overlap([None, None, "a"], ["a", math.nan, "b"]) == pytest.approx(1 / 3)  # repeated blanks are fine
    np.testing.assert_array_equal(first_hit_rank([[None, math.nan, "a"], [pd.NA, "b"]], [["a"], ["b"]]), [3, 2])
    assert rank_agreement(["a", None, "b"], [None, "b", "a"]) == -1.0


def test_missing_expected_answers_are_refused():
    with pytest.raises(ValueError, match=r"expected\[1\] contains a missing value \(nan\).* a blank cell"):
        first_hit_rank([["a"], ["b"]], [["a"], ["b", math.nan]])
    with pytest.raises(ValueError, match=r"expected\[0\] contains a missing value \(None\)"):
        hit_at_k([[None]], [[None]], k=1)


# --- first_hit_rank ------------------------------------------------------------------------------------


def test_first_hit_rank_hand_computed():
    ranked = [["cat", "dog", "fox"], ["car", "bus", "van"], ["red", "blue"]]
    expected = [{"dog"}, {"van", "train"}, {"green"}]
    ranks = first_hit_rank(ranked, expected)
    np.testing.assert_array_equal(ranks, [2, 3, 0])
    assert ranks.dtype == np.int64
    np.testing.assert_array_equal(first_hit_rank(ranked, expected, k=2), [2, 0, 0])


@PROPERTY
@given(labelled_queries())
def test_first_hit_rank_matches_reference(queries):
    ranked, expected = queries
    reference = [ref_first_rank(r, e, None) for r, e in zip(ranked, expected, strict=True)]
    np.testing.assert_array_equal(first_hit_rank(ranked, expected), reference)


# --- bootstrap_ci --------------------------------------------------------------------------------------


def ref_bootstrap(values, statistic, n_resamples, confidence, seed):
    """A plain loop over the same resamples (row i of the documented index matrix), then the quantiles."""
    values = list(values)
    rows = np.random.default_rng(seed).integers(0, len(values), size=(n_resamples, len(values)))
    stats = sorted(float(statistic([values[j] for j in row])) for row in rows)
    alpha = (1 - confidence) / 2
    return float(statistic(values)), float(np.quantile(stats, alpha)), float(np.quantile(stats, 1 - alpha))


def test_bootstrap_ci_hand_computed():
    assert bootstrap_ci([1, 1, 1]) == (1.0, 1.0, 1.0)  # every resample of a constant is that constant
    assert bootstrap_ci([0.25]) == (0.25, 0.25, 0.25)  # one query: nothing to resample
    # Two values, one resample each of size 2 drawn with seed 0: the only possible means are 0, 0.5 and 1.
    point, low, high = bootstrap_ci([0, 1], n_resamples=1000)
    assert point == 0.5 and low == 0.0 and high == 1.0


@PROPERTY
@given(st.lists(st.sampled_from([0.0, 1.0, 0.5, 1 / 3, 0.25]), min_size=1, max_size=15),
       st.integers(0, 2**32 - 1), st.sampled_from([0.5, 0.9, 0.95]), st.sampled_from([np.mean, np.median]))
def test_bootstrap_ci_matches_plain_loop(values, seed, confidence, statistic):
    result = bootstrap_ci(values, statistic=statistic, n_resamples=200, confidence=confidence, seed=seed)
    assert result == pytest.approx(ref_bootstrap(values, statistic, 200, confidence, seed))


def test_bootstrap_ci_agrees_with_scipy_percentile_interval():
    values = np.random.default_rng(1).random(40) < 0.7
    _, low, high = bootstrap_ci(values, n_resamples=20_000, seed=3)
    peer = bootstrap((values.astype(float),), np.mean, n_resamples=20_000, method="percentile",
                     confidence_level=0.95, rng=np.random.default_rng(4)).confidence_interval
    # Two independent sets of 20,000 resamples: the bounds agree to within Monte Carlo noise (one query = 0.025).
    assert low == pytest.approx(peer.low, abs=0.026) and high == pytest.approx(peer.high, abs=0.026)


def test_bootstrap_ci_covers_the_true_rate_about_95_percent_of_the_time():
    rng = np.random.default_rng(7)
    true_rate, trials = 0.7, 400
    covered = 0
    for trial in range(trials):  # a test may loop over trials; the library never loops over resamples
        _, low, high = bootstrap_ci(rng.random(60) < true_rate, n_resamples=2000, seed=trial)
        covered += low <= true_rate <= high
    # The percentile bootstrap is a little optimistic at n=60 (~93%); a 95% interval covering < 88% is broken.
    assert 0.88 <= covered / trials <= 0.99


def test_bootstrap_ci_is_seeded():
    values = [1, 0, 1, 1, 0, 0, 1, 1, 1, 0]
    assert bootstrap_ci(values, seed=5) == bootstrap_ci(values, seed=5)
    assert bootstrap_ci(values, n_resamples=50, seed=5) != bootstrap_ci(values, n_resamples=50, seed=6)
    point, low, high = bootstrap_ci(values, confidence=0.5)
    _, wide_low, wide_high = bootstrap_ci(values, confidence=0.99)
    assert wide_low <= low <= point <= high <= wide_high


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"values": []}, ValueError, "values is empty"),
        ({"values": [[1, 0], [1, 1]]}, ValueError, r"values must be 1-D .* got shape \(2, 2\)"),
        ({"values": [1, math.nan]}, ValueError, r"values\[1\] is NaN or infinite"),
        ({"values": "101"}, TypeError, "values is a str: pass one number per query"),
        ({"values": ["a", "b"]}, TypeError, "values must be one number per query"),
        ({"values": [1, 0], "confidence": 95}, ValueError, "confidence must be a number between 0 and 1 .* got 95"),
        ({"values": [1, 0], "confidence": 1.0}, ValueError, "confidence must be a number between 0 and 1"),
        ({"values": [1, 0], "n_resamples": 0}, ValueError, "n_resamples must be at least 1, got 0"),
        ({"values": [1, 0], "n_resamples": 2.5}, TypeError, "n_resamples must be a whole number"),
        ({"values": [1, 0], "statistic": "mean"}, TypeError, "statistic must be a function such as np.mean"),
        ({"values": [1, 0], "statistic": lambda x: sum(x)}, TypeError, "must accept axis= and reduce along it"),
        ({"values": [1, 0], "statistic": lambda x, axis: x}, ValueError, r"statistic returned shape \(10000, 2\)"),
    ],
)
def test_bootstrap_ci_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        bootstrap_ci(**kwargs)


# --- search_quality ------------------------------------------------------------------------------------


def test_search_quality_hand_computed():
    ranked = [["a", "b", "c"], ["d", "e", "f"], ["g", "h", "i"], ["j", "k", "l"]]
    expected = [{"a"}, {"f"}, {"z"}, {"k", "j"}]
    table = search_quality(ranked, expected, ["p", "p", "v", "p"], k=2, n_resamples=500)
    assert list(table.columns) == ["category", "queries", "hit@2", "hit@2 low", "hit@2 high",
                                   "MRR", "MRR low", "MRR high"]
    assert table["category"].tolist() == ["p", "v", "all"]
    assert table["queries"].tolist() == [3, 1, 4]
    # ranks 1, 3, 0, 1: hit@2 = 1, 0, 0, 1; reciprocal ranks 1, 1/3, 0, 1
    assert table["hit@2"].tolist() == pytest.approx([2 / 3, 0.0, 0.5])
    assert table["MRR"].tolist() == pytest.approx([(1 + 1 / 3 + 1) / 3, 0.0, (1 + 1 / 3 + 1) / 4])
    assert table.loc[1, ["MRR low", "MRR high"]].tolist() == [0.0, 0.0]
    # One query, missed: Wilson's interval for 0 of 1 at 95% is [0, z^2 / (1 + z^2)], not [0, 0].
    z2 = 1.959963984540054 ** 2
    assert table.loc[1, ["hit@2 low", "hit@2 high"]].tolist() == pytest.approx([0.0, z2 / (1 + z2)])
    assert (table["hit@2 low"] <= table["hit@2"]).all() and (table["hit@2"] <= table["hit@2 high"]).all()
    assert (table["MRR low"] <= table["MRR"]).all() and (table["MRR"] <= table["MRR high"]).all()


@PROPERTY
@given(labelled_queries(), st.lists(st.sampled_from("xy"), min_size=6, max_size=6), st.integers(0, 99))
def test_search_quality_matches_reference(queries, labels, seed):
    ranked, expected = queries
    ranked = [r + ["pad"] for r in ranked]  # every list has at least one result, so k=1 is valid
    labels = labels[:len(ranked)]
    table = search_quality(ranked, expected, labels, k=1, seed=seed, n_resamples=100).set_index("category")
    for group in [*dict.fromkeys(labels), "all"]:
        members = [i for i, label in enumerate(labels) if group in (label, "all")]
        hits = [float(ref_first_rank(ranked[i], expected[i], 1) > 0) for i in members]
        reciprocal = [1 / r if (r := ref_first_rank(ranked[i], expected[i], None)) else 0.0 for i in members]
        row = table.loc[group]
        assert row["queries"] == len(members)
        assert tuple(row[["hit@1", "hit@1 low", "hit@1 high"]]) == pytest.approx(ref_wilson(hits, 0.95))
        assert tuple(row[["MRR", "MRR low", "MRR high"]]) == pytest.approx(
            ref_bootstrap(reciprocal, np.mean, 100, 0.95, seed))


def ref_wilson(hits, confidence):
    """The Wilson score interval written out (Wilson 1927): centre and half-width around the share."""
    from statistics import NormalDist

    n, share = len(hits), sum(hits) / len(hits)
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(share * (1 - share) / n + z * z / (4 * n * n))
    return share, max(0.0, centre - half), min(1.0, centre + half)


def test_search_quality_hit_interval_is_honest_at_the_edges():
    """8 of 8 right: a bootstrap says [1, 1]; eight queries can't give that certainty."""
    table = search_quality([["a"]] * 8, [["a"]] * 8, k=1)
    assert table.loc[0, "hit@1"] == 1.0 and table.loc[0, "hit@1 high"] == pytest.approx(1.0)
    assert table.loc[0, "hit@1 low"] == pytest.approx(8 / (8 + 1.959963984540054 ** 2))  # 0.676


def test_search_quality_without_categories_has_one_row():
    table = search_quality([["a", "b"], ["c", "d"]], ["b", "c"], k=1)
    assert table["category"].tolist() == ["all"]
    assert table["hit@1"].item() == 0.5 and table["MRR"].item() == 0.75


@pytest.mark.parametrize(
    ("categories", "k", "error", "message"),
    [
        (["x"], 1, ValueError, "categories has 1 labels for 2 queries"),
        (["x", None], 1, ValueError, r"categories\[1\] is None: each label must be a non-empty string"),
        (["x", "all"], 1, ValueError, "other than 'all'"),
        ("xy", 1, TypeError, "categories must be one label per query"),
        (["x", "y"], 3, ValueError, "k=3 is larger than the 2 results in the longest ranked list"),
        (["x", "y"], 0, ValueError, "k must be at least 1, got 0"),
    ],
)
def test_search_quality_bad_input(categories, k, error, message):
    with pytest.raises(error, match=message):
        search_quality([["a", "b"], ["c", "d"]], ["b", "c"], categories, k=k)
