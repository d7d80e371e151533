"""Tests for vectorlab.search: exhaustive search against a full-sort reference, HNSW against exhaustive."""

import json
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from vectorlab._kernels import exact as _exact
from vectorlab.hnsw import HNSWIndex
from vectorlab.search import exhaustive_search

# --- reference: score every vector in float64 with plain Python, then sort everything ---------------


def ref_score(query, vector, metric):
    if metric == "euclidean":
        return math.sqrt(sum((q - v) ** 2 for q, v in zip(query, vector, strict=True)))
    dot = sum(q * v for q, v in zip(query, vector, strict=True))
    if metric == "dot":
        return dot
    return dot / (math.sqrt(sum(q * q for q in query)) * math.sqrt(sum(v * v for v in vector)))


def ref_search(query, vectors, k, metric):
    """Full sort: best score first, ties by lower index. Returns (indices, scores) as lists."""
    scored = [(ref_score(query, vector, metric), i) for i, vector in enumerate(vectors)]
    sign = 1 if metric == "euclidean" else -1
    scored.sort(key=lambda pair: (sign * pair[0], pair[1]))
    return [i for _, i in scored[:k]], [score for score, _ in scored[:k]]


def random_unit(n, dims, seed):
    vectors = np.random.default_rng(seed).standard_normal((n, dims)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


METRICS = ["cosine", "dot", "euclidean"]


# --- exhaustive search ------------------------------------------------------------------------------


@pytest.mark.parametrize("metric", METRICS)
def test_exhaustive_matches_full_sort_reference(metric):
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((300, 16)).astype(np.float32)
    queries = rng.standard_normal((7, 16)).astype(np.float32)
    indices, scores = exhaustive_search(queries, vectors, k=10, metric=metric)
    assert indices.shape == scores.shape == (7, 10)
    assert indices.dtype == np.int64 and scores.dtype == np.float32
    for row, query in enumerate(queries.tolist()):
        expected_indices, expected_scores = ref_search(query, vectors.tolist(), 10, metric)
        assert indices[row].tolist() == expected_indices
        np.testing.assert_allclose(scores[row], expected_scores, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("metric", METRICS)
def test_single_query_gives_1d_results_equal_to_batch_row(metric):
    vectors = random_unit(100, 8, seed=4)
    queries = random_unit(3, 8, seed=5)
    batch_indices, batch_scores = exhaustive_search(queries, vectors, k=5, metric=metric)
    indices, scores = exhaustive_search(queries[1], vectors, k=5, metric=metric)
    assert indices.shape == scores.shape == (5,)
    np.testing.assert_array_equal(indices, batch_indices[1])
    np.testing.assert_allclose(scores, batch_scores[1], rtol=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    data=st.data(),
    dims=st.integers(1, 64),
    n=st.integers(1, 40),
    metric=st.sampled_from(METRICS),
)
def test_exhaustive_property_scores_match_reference(data, dims, n, metric):
    elements = st.floats(-10, 10, width=32, allow_subnormal=False)
    vectors = data.draw(arrays(np.float32, (n, dims), elements=elements))
    query = data.draw(arrays(np.float32, (dims,), elements=elements))
    k = data.draw(st.integers(1, n))
    if metric == "cosine" and (not query.any() or not vectors.any(axis=1).all()):
        with pytest.raises(ValueError, match="zero vector"):
            exhaustive_search(query, vectors, k=k, metric=metric)
        return
    if metric == "cosine":  # keep the reference well-conditioned: no vectors of tiny length
        vectors = vectors[np.linalg.norm(vectors, axis=1) > 1e-3]
        if np.linalg.norm(query) < 1e-3 or len(vectors) < k:
            return
    indices, scores = exhaustive_search(query, vectors, k=k, metric=metric)
    rows, q = vectors.tolist(), query.tolist()
    _, expected_scores = ref_search(q, rows, k, metric)
    scale = max(1.0, max(abs(s) for s in expected_scores))
    # Scores in order match the reference (robust to float32 near-ties), and each returned index really
    # has the score reported for it; indices are distinct.
    np.testing.assert_allclose(scores, expected_scores, atol=1e-4 * scale)
    np.testing.assert_allclose(scores, [ref_score(q, rows[i], metric) for i in indices], atol=1e-4 * scale)
    assert len(set(indices.tolist())) == k


def test_ties_go_to_the_lower_index_also_at_the_cut():
    # Integer vectors: every score is exact, so the ties are real ties.
    vectors = np.array([[1, 0], [0, 1], [1, 0], [1, 0], [0, 1], [2, 0]], dtype=np.float32)
    for metric in ("dot", "cosine"):
        indices, _ = exhaustive_search([1.0, 0.0], vectors, k=3, metric=metric)
        expected = [5, 0, 2] if metric == "dot" else [0, 2, 3]
        assert indices.tolist() == expected, metric
    indices, scores = exhaustive_search([1.0, 0.0], vectors, k=4, metric="euclidean")
    assert indices.tolist() == [0, 2, 3, 5]
    np.testing.assert_array_equal(scores, [0, 0, 0, 1])
    indices, _ = exhaustive_search([0.0, 1.0], vectors, k=3, metric="dot")
    assert indices.tolist() == [1, 4, 0]


def test_ties_in_a_batch_with_untied_rows():
    vectors = np.array([[1, 0], [0, 1], [1, 0], [0, 1], [1, 1]], dtype=np.float32)
    queries = np.array([[1, 0], [0, 3], [2, 1]], dtype=np.float32)
    indices, scores = exhaustive_search(queries, vectors, k=2, metric="dot")
    assert indices.tolist() == [[0, 2], [1, 3], [4, 0]]
    np.testing.assert_array_equal(scores, [[1, 1], [3, 3], [3, 2]])


@pytest.mark.parametrize("metric", ["dot", "euclidean"])
def test_large_groups_of_ties_are_ordered_by_index(metric):
    # Scores cycle 0, 1, 2: the top 50 are the thirty 2s then twenty 1s, each group in index order.
    vectors = np.zeros((90, 2), dtype=np.float32)
    vectors[:, 0] = np.arange(90) % 3
    query = [1.0, 0.0] if metric == "dot" else [2.0, 0.0]
    indices, _ = exhaustive_search(query, vectors, k=50, metric=metric)
    assert indices.tolist() == list(range(2, 90, 3)) + list(range(1, 60, 3))


@pytest.mark.parametrize("metric", ["cosine", "dot"])
def test_sorted_few_queries_match_the_partition_selection(metric, monkeypatch):
    """Up to 4 short score rows take a full stable sort; the partition path must give the same results."""
    rng = np.random.default_rng(5)
    for trial in range(30):
        n, dims, m = int(rng.integers(1, 600)), int(rng.integers(1, 40)), int(rng.integers(1, 5))
        k = int(rng.integers(1, n + 1))
        vectors = rng.integers(1, 4, (n, dims)).astype(np.float64)  # small integers: many exact ties
        queries = rng.integers(1, 4, (m, dims)).astype(np.float64)
        query = queries[0] if trial % 2 else queries  # a float64 single query or a small batch
        sorted_result = exhaustive_search(query, vectors, k=k, metric=metric)
        monkeypatch.setattr(_exact, "SORT_QUERIES_UP_TO", 0)
        selected_result = exhaustive_search(query, vectors, k=k, metric=metric)
        monkeypatch.undo()
        np.testing.assert_array_equal(sorted_result[0], selected_result[0])
        np.testing.assert_array_equal(sorted_result[1], selected_result[1])


def test_k_equal_to_n_sorts_everything():
    vectors = np.array([[3, 0], [1, 0], [2, 0], [1, 0]], dtype=np.float32)
    indices, scores = exhaustive_search([1.0, 0.0], vectors, k=4, metric="dot")
    assert indices.tolist() == [0, 2, 1, 3]
    np.testing.assert_array_equal(scores, [3, 2, 1, 1])


@pytest.mark.parametrize("metric", METRICS)
def test_chunked_batches_give_the_same_results(metric, monkeypatch):
    vectors = random_unit(200, 12, seed=6)
    queries = random_unit(25, 12, seed=7)
    whole = exhaustive_search(queries, vectors, k=7, metric=metric)
    # A budget of three score rows (k * dims > n for euclidean, hence the max) forces 9 chunks.
    monkeypatch.setattr(_exact, "BLOCK_BYTES", 4 * 3 * max(200, 7 * 12))
    chunked = exhaustive_search(queries, vectors, k=7, metric=metric)
    np.testing.assert_array_equal(chunked[0], whole[0])
    np.testing.assert_allclose(chunked[1], whole[1], rtol=1e-6, atol=1e-6)


def test_euclidean_distance_to_itself_is_exactly_zero():
    vectors = random_unit(50, 384, seed=8) * 10
    indices, scores = exhaustive_search(vectors[:5], vectors, k=1, metric="euclidean")
    assert indices[:, 0].tolist() == [0, 1, 2, 3, 4]
    np.testing.assert_array_equal(scores[:, 0], 0.0)


def test_cosine_does_not_modify_or_require_normalized_input():
    vectors = np.array([[3.0, 0.0], [0.0, 0.5], [2.0, 2.0]], dtype=np.float32)
    before = vectors.copy()
    indices, scores = exhaustive_search([5.0, 5.0], vectors, k=3)
    np.testing.assert_array_equal(vectors, before)
    assert indices.tolist() == [2, 0, 1]
    np.testing.assert_allclose(scores, [1.0, 1 / math.sqrt(2), 1 / math.sqrt(2)], rtol=1e-6)


def test_cosine_scores_never_exceed_one():
    # Unclipped, float32 rounding puts many self-similarities of these vectors above 1.
    vectors = np.random.default_rng(7).standard_normal((200, 384)).astype(np.float32)
    indices, scores = exhaustive_search(vectors, vectors, k=1)
    np.testing.assert_array_equal(indices[:, 0], np.arange(200))
    assert scores.max() == 1.0
    np.testing.assert_allclose(scores, 1.0, atol=1e-5)


def test_accepts_lists_and_float64():
    indices, scores = exhaustive_search([1, 0], [[0, 1], [1, 0]], k=1, metric="dot")
    assert indices.tolist() == [1] and scores.dtype == np.float32
    indices, _ = exhaustive_search(np.array([0.0, 1.0]), np.eye(2), k=1)
    assert indices.tolist() == [1]


# --- exhaustive search: bad input ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "vectors", "k", "metric", "error", "message"),
    [
        ([1, 2, 3], np.eye(4), 1, "cosine", ValueError,
         "query has 3 dims, vectors has 4: embed the query with the same model"),
        ([1, 0], np.eye(2), 0, "cosine", ValueError, "k must be at least 1, got 0"),
        ([1, 0], np.eye(2), -3, "cosine", ValueError, "k must be at least 1, got -3"),
        ([1, 0], np.eye(2), 3, "cosine", ValueError, "k=3 is larger than the 2 vectors available: use k <= 2"),
        ([1, 0], np.eye(2), 1.5, "cosine", TypeError, "k must be a whole number, got 1.5"),
        ([1, 0], np.eye(2), True, "cosine", TypeError, "k must be a whole number, got True"),
        ([1, 0], np.eye(2), 1, "l2", ValueError, "metric='l2' is not supported: use one of 'cosine'"),
        ([], np.eye(2), 1, "cosine", ValueError, "query is empty"),
        ([1, 0], np.empty((0, 2)), 1, "cosine", ValueError, "vectors is empty"),
        ([np.nan, 0], np.eye(2), 1, "dot", ValueError, "query contains NaN or infinity"),
        ([1, 0], [[1, 0], [np.inf, 0]], 1, "dot", ValueError, r"vectors contains NaN or infinity .*\(1, 0\)"),
        ([1, 0], np.array([[1, 0], [np.nan, 0]], dtype=np.float32), 1, "dot", ValueError,
         r"vectors contains NaN or infinity .*\(1, 0\)"),
        ("a query", np.eye(2), 1, "cosine", TypeError, "query is a str, expected numbers: embed the text first"),
        ([1, 0], [["a", "b"]], 1, "cosine", TypeError, "vectors must hold numbers"),
        (np.ones((2, 2, 2)), np.eye(2), 1, "cosine", ValueError, "query must be one vector .* or a batch"),
        ([1, 0], np.ones((2, 2, 2)), 1, "cosine", ValueError, "vectors must be 2-D"),
        ([1, 0], [1, 0], 1, "cosine", ValueError, "vectors must be 2-D"),
        ([0, 0], np.eye(2), 1, "cosine", ValueError,
         r"cosine similarity is undefined for a zero vector \(query\): remove it or use metric='dot'"),
        ([[1, 0], [0, 0]], np.eye(2), 1, "cosine", ValueError, r"zero vector \(row 1 of query\)"),
        ([1, 0], [[1, 0], [1, 1], [0, 0]], 1, "cosine", ValueError, r"zero vector \(row 2 of vectors\)"),
    ],
)
def test_exhaustive_bad_input(query, vectors, k, metric, error, message):
    with pytest.raises(error, match=message):
        exhaustive_search(query, vectors, k=k, metric=metric)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("query", [[1.0, 2.0, 3.0], [0.0, 0.0, 1.0], [[1.0, 1.0, 1.0], [0.0, 0.0, 1.0]]])
def test_non_finite_float32_vectors_are_caught_for_every_metric(metric, bad, query):
    # float32 input takes the fast path, whose finiteness check reads the score block instead.
    vectors = np.ones((50, 3), dtype=np.float32)
    vectors[37, 1] = bad
    with pytest.raises(ValueError, match=r"vectors contains NaN or infinity \(first at index \(37, 1\)\)"):
        exhaustive_search(query, vectors, k=3, metric=metric)


def test_huge_finite_values_are_not_mistaken_for_infinity():
    vectors = np.array([[3e38, 3e38], [1.0, 0.0]], dtype=np.float32)  # dot products overflow to inf
    indices, _ = exhaustive_search([1.0, 0.0], vectors, k=2, metric="dot")
    assert indices.tolist() == [0, 1]


def test_zero_vectors_are_fine_for_dot_and_euclidean():
    indices, scores = exhaustive_search([0.0, 0.0], [[1.0, 0.0], [0.0, 0.0]], k=2, metric="euclidean")
    assert indices.tolist() == [1, 0]
    np.testing.assert_array_equal(scores, [0.0, 1.0])
    indices, _ = exhaustive_search([1.0, 0.0], [[0.0, 0.0], [1.0, 0.0]], k=1, metric="dot")
    assert indices.tolist() == [1]


# --- exhaustive search: the lean path for one float32 query -----------------------------------------
# One query over a C-contiguous float32 matrix of at most a few thousand rows takes the kernel's
# _exact._one_query; with SORT_ROWS_UP_TO = 0 it takes the general path, so the two can be compared.


def general_path(query, vectors, k, metric):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_exact, "SORT_ROWS_UP_TO", 0)
        indices, scores = exhaustive_search(query[np.newaxis, :], vectors, k=k, metric=metric)
    return indices[0], scores[0]


@pytest.mark.parametrize("metric", ["cosine", "dot"])
@pytest.mark.parametrize("kind", ["normal", "small integers (ties)", "0/1 (ties, zero rows)", "self queries"])
def test_single_float32_query_is_identical_to_the_general_path(metric, kind):
    rng = np.random.default_rng(11)
    for trial in range(60):
        n, dims = int(rng.integers(1, 600)), int(rng.integers(1, 80))
        k = int(rng.integers(1, n + 1))
        if kind == "normal":
            vectors = rng.standard_normal((n, dims)).astype(np.float32)
            query = rng.standard_normal(dims).astype(np.float32)
        elif kind == "small integers (ties)":
            vectors = rng.integers(-2, 3, (n, dims)).astype(np.float32)
            query = rng.integers(-2, 3, dims).astype(np.float32)
        elif kind == "0/1 (ties, zero rows)":
            vectors = rng.integers(0, 2, (n, dims)).astype(np.float32)
            query = rng.integers(0, 2, dims).astype(np.float32)
        else:  # cosine self-similarities round above 1 and must be clipped before ranking
            vectors = random_unit(n, dims, seed=trial) * 3
            query = vectors[int(rng.integers(n))].copy()
        try:
            expected = general_path(query, vectors, k, metric)
        except ValueError as error:  # zero vectors and cosine: the same error, same message
            message = str(error).replace("(row 0 of query)", "(query)")  # the batch had one row
            with pytest.raises(ValueError, match=re.escape(message)):
                exhaustive_search(query, vectors, k=k, metric=metric)
            continue
        indices, scores = exhaustive_search(query, vectors, k=k, metric=metric)
        assert indices.shape == scores.shape == (k,)
        assert indices.dtype == np.int64 and scores.dtype == np.float32
        np.testing.assert_array_equal(indices, expected[0])
        np.testing.assert_array_equal(scores, expected[1])  # the same arithmetic: bit for bit


def test_single_float32_query_takes_the_lean_path(monkeypatch):
    calls = []
    lean = _exact._one_query
    monkeypatch.setattr(_exact, "_one_query", lambda *args: calls.append(args) or lean(*args))
    vectors = random_unit(500, 384, seed=12)
    exhaustive_search(vectors[3], vectors, k=10)
    exhaustive_search(vectors[3], vectors, k=10, metric="dot")
    assert len(calls) == 2
    exhaustive_search(vectors[3].astype(np.float64), vectors, k=10)  # a float64 query is converted: lean too
    assert len(calls) == 3
    exhaustive_search(vectors[3], np.asfortranarray(vectors), k=10)  # not C-contiguous
    exhaustive_search(vectors[3], vectors, k=10, metric="euclidean")
    exhaustive_search(vectors[:2], vectors, k=10)  # a batch
    assert len(calls) == 3


def test_single_float32_query_cosine_self_similarity_is_clipped_and_ties_by_index():
    vectors = np.random.default_rng(7).standard_normal((200, 384)).astype(np.float32)
    vectors = np.concatenate([vectors, vectors])  # every vector twice: an exact tie at the top
    unclipped = np.vecdot(vectors[:200], vectors[:200]) / np.linalg.norm(vectors[:200], axis=1) ** 2
    assert (unclipped > 1).any()  # float32 rounding: some self-similarities exceed 1 before clipping
    for i in range(200):
        indices, scores = exhaustive_search(vectors[i], vectors, k=3)
        assert indices[:2].tolist() == [i, i + 200]
        assert scores[0] == scores[1] and scores.max() <= 1.0


@pytest.mark.parametrize("metric", ["cosine", "dot"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("query", [[1.0, 2.0, 3.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
def test_single_float32_query_non_finite_vectors_and_query(metric, bad, query):
    query = np.array(query, dtype=np.float32)
    vectors = np.ones((50, 3), dtype=np.float32)
    vectors[37, 1] = bad  # with query [1, 0, 0] its score is inf * 0 = NaN or 1 + NaN
    with pytest.raises(ValueError, match=r"vectors contains NaN or infinity \(first at index \(37, 1\)\)"):
        exhaustive_search(query, vectors, k=3, metric=metric)
    query[1] = bad
    with pytest.raises(ValueError, match=r"query contains NaN or infinity \(first at index \(1,\)\)"):
        exhaustive_search(query, np.ones((50, 3), dtype=np.float32), k=3, metric=metric)


def test_single_float32_query_zero_vectors_and_overflow():
    vectors = np.array([[1, 0], [1, 1], [0, 0]], dtype=np.float32)
    with pytest.raises(ValueError, match=r"zero vector \(row 2 of vectors\): remove it or use metric='dot'"):
        exhaustive_search(np.array([1, 0], dtype=np.float32), vectors, k=1)
    with pytest.raises(ValueError, match=r"zero vector \(query\): remove it or use metric='dot'"):
        exhaustive_search(np.zeros(2, dtype=np.float32), vectors[:2], k=1)
    assert exhaustive_search(np.array([1, 0], dtype=np.float32), vectors, k=3, metric="dot")[0].tolist() == [0, 1, 2]
    huge = np.array([[3e38, 3e38], [1.0, 0.0]], dtype=np.float32)  # dot products overflow to inf
    assert exhaustive_search(np.array([1, 0], dtype=np.float32), huge, k=2, metric="dot")[0].tolist() == [0, 1]
    tiny = np.array([[1e-30, 0.0], [0.0, 1.0]], dtype=np.float32)  # its squared norm underflows float32
    indices, scores = exhaustive_search(np.array([1, 0], dtype=np.float32), tiny, k=2)  # a direction all the same
    assert indices.tolist() == [0, 1] and scores.tolist() == [1.0, 0.0]


# --- HNSW -------------------------------------------------------------------------------------------


def recall(approx, exact):
    return sum(len(set(a) & set(e)) for a, e in zip(approx.tolist(), exact.tolist(), strict=True)) / exact.size


def test_hnsw_recall_against_exhaustive_on_2000_unit_vectors():
    vectors = random_unit(2000, 32, seed=10)
    queries = random_unit(100, 32, seed=11)
    index = HNSWIndex(dims=32, ef=100)
    index.add(vectors)
    approx, approx_scores = index.query(queries, k=10)
    exact, _ = exhaustive_search(queries, vectors, k=10)
    assert recall(approx, exact) >= 0.95
    # Scores use the exhaustive convention: each reported score is the true cosine of that id.
    true_scores = np.einsum("md,mkd->mk", queries, vectors[approx])
    np.testing.assert_allclose(approx_scores, true_scores, atol=1e-5)


@pytest.mark.parametrize(("space", "metric"), [("cosine", "cosine"), ("ip", "dot"), ("l2", "euclidean")])
def test_hnsw_tiny_index_agrees_exactly_with_exhaustive(space, metric):
    rng = np.random.default_rng(12)
    vectors = rng.standard_normal((60, 6)).astype(np.float32)
    queries = rng.standard_normal((5, 6)).astype(np.float32)
    index = HNSWIndex(dims=6, space=space, ef=200)
    index.add(vectors)
    assert index.metric == metric
    ids, scores = index.query(queries, k=8)
    exact_ids, exact_scores = exhaustive_search(queries, vectors, k=8, metric=metric)
    assert ids.shape == scores.shape == (5, 8) and ids.dtype == np.int64 and scores.dtype == np.float32
    np.testing.assert_array_equal(ids, exact_ids)
    np.testing.assert_allclose(scores, exact_scores, rtol=1e-4, atol=1e-4)
    single_ids, single_scores = index.query(queries[0], k=8)
    assert single_ids.shape == single_scores.shape == (8,)
    np.testing.assert_array_equal(single_ids, exact_ids[0])


def test_hnsw_aliases_and_ties_by_lower_id():
    index = HNSWIndex(dims=2, space="dot")
    assert index.space == "ip"
    index.add(np.array([[1, 0], [0, 1], [1, 0], [1, 0]], dtype=np.float32), ids=[7, 3, 5, 1])
    ids, scores = index.query([1.0, 0.0], k=3)
    assert ids.tolist() == [1, 5, 7]
    np.testing.assert_array_equal(scores, [1.0, 1.0, 1.0])
    assert HNSWIndex(dims=2, space="euclidean").space == "l2"


def test_hnsw_grows_and_continues_default_ids():
    index = HNSWIndex(dims=4, max_elements=5)
    vectors = random_unit(23, 4, seed=13)
    assert index.add(vectors[:10]).tolist() == list(range(10))
    assert index.add(vectors[10:22]).tolist() == list(range(10, 22))
    assert index.add(vectors[22]).tolist() == [22]
    assert len(index) == 23
    ids, scores = index.query(vectors, k=1)
    assert ids[:, 0].tolist() == list(range(23))
    np.testing.assert_allclose(scores[:, 0], 1.0, atol=1e-5)
    np.testing.assert_array_equal(index.ids, np.arange(23))


def test_hnsw_custom_ids_then_default_ids_continue_after_the_largest():
    index = HNSWIndex(dims=2, space="l2")
    index.add([[0.0, 0.0], [5.0, 5.0]], ids=[100, 40])
    assert index.add([[1.0, 1.0]]).tolist() == [101]
    ids, scores = index.query([0.9, 0.9], k=3)
    assert ids.tolist() == [101, 100, 40]
    np.testing.assert_allclose(scores, [math.sqrt(0.02), math.sqrt(1.62), math.sqrt(2 * 4.1**2)], rtol=1e-5)


def test_hnsw_ef_property_and_k_larger_than_ef():
    vectors = random_unit(300, 8, seed=14)
    index = HNSWIndex(dims=8, ef=5)
    assert index.ef == 5
    index.add(vectors)
    ids, _ = index.query(vectors[0], k=50)  # explores max(ef, k) candidates: no error
    assert ids.shape == (50,) and len(set(ids.tolist())) == 50
    assert index.ef == 5
    index.ef = 300
    assert index.ef == 300
    np.testing.assert_array_equal(index.query(vectors[:4], k=20)[0], exhaustive_search(vectors[:4], vectors, k=20)[0])
    for bad in (0, -1):
        with pytest.raises(ValueError, match=f"ef must be at least 1, got {bad}"):
            index.ef = bad
    for bad in (2.5, None):
        with pytest.raises(TypeError, match=f"ef must be a whole number, got {bad}"):
            index.ef = bad


def test_hnsw_save_load_round_trip(tmp_path):
    vectors = random_unit(500, 16, seed=15)
    queries = random_unit(20, 16, seed=16)
    index = HNSWIndex(dims=16, space="ip", M=8, ef_construction=80, ef=37)
    index.add(vectors, ids=np.arange(500) * 3)
    path = tmp_path / "index.bin"
    index.save(path)
    assert path.is_file() and (tmp_path / "index.bin.json").is_file()
    assert json.loads((tmp_path / "index.bin.json").read_text())["space"] == "ip"

    loaded = HNSWIndex.load(path)
    assert (loaded.dims, loaded.space, loaded.M, loaded.ef_construction, loaded.ef) == (16, "ip", 8, 80, 37)
    assert len(loaded) == 500
    np.testing.assert_array_equal(loaded.ids, np.arange(500) * 3)
    before, after = index.query(queries, k=10), loaded.query(queries, k=10)
    np.testing.assert_array_equal(after[0], before[0])
    np.testing.assert_array_equal(after[1], before[1])
    assert loaded.add(vectors[0]).tolist() == [1498]  # the loaded index can still grow
    assert loaded.nbytes > 0


def test_hnsw_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.bin does not exist: save the index"):
        HNSWIndex.load(tmp_path / "missing.bin")
    index = HNSWIndex(dims=2)
    index.add([[1.0, 0.0]])
    index.save(tmp_path / "index.bin")
    (tmp_path / "index.bin.json").unlink()
    with pytest.raises(FileNotFoundError, match=r"index\.bin\.json does not exist"):
        HNSWIndex.load(tmp_path / "index.bin")
    (tmp_path / "index.bin.json").write_text('{"format": "something else"}')
    with pytest.raises(ValueError, match="is not an HNSWIndex settings file"):
        HNSWIndex.load(tmp_path / "index.bin")


def test_hnsw_nbytes_grows_with_content():
    index = HNSWIndex(dims=16)
    index.add(random_unit(10, 16, seed=17))
    small = index.nbytes
    index.add(random_unit(100, 16, seed=18))
    assert index.nbytes > small + 100 * 16 * 4
    assert "HNSWIndex(dims=16, space='cosine'" in repr(index)


# --- HNSW: bad input --------------------------------------------------------------------------------


def test_hnsw_bad_construction():
    with pytest.raises(ValueError, match="space='L1' is not supported: use one of 'cosine', 'ip', 'dot', 'l2'"):
        HNSWIndex(dims=4, space="L1")
    with pytest.raises(ValueError, match="dims must be at least 1, got 0"):
        HNSWIndex(dims=0)
    with pytest.raises(TypeError, match="M must be a whole number, got 2.5"):
        HNSWIndex(dims=4, M=2.5)
    with pytest.raises(ValueError, match="M must be at least 2, got 1"):
        HNSWIndex(dims=4, M=1)


def test_hnsw_empty_index_and_k_errors():
    index = HNSWIndex(dims=3)
    with pytest.raises(ValueError, match="the index is empty: add vectors before querying it"):
        index.query([1.0, 0.0, 0.0], k=1)
    index.add(np.eye(3))
    with pytest.raises(ValueError, match="k=4 is larger than the 3 vectors in the index: use k <= 3"):
        index.query([1.0, 0.0, 0.0], k=4)
    with pytest.raises(ValueError, match="k must be at least 1, got 0"):
        index.query([1.0, 0.0, 0.0], k=0)


def test_hnsw_dimension_errors():
    index = HNSWIndex(dims=3)
    with pytest.raises(ValueError, match="vectors has 2 dims, index has 3"):
        index.add([[1.0, 0.0]])
    index.add(np.eye(3))
    with pytest.raises(ValueError, match="query has 4 dims, index has 3: embed the query with the same model"):
        index.query([1.0, 0.0, 0.0, 0.0], k=1)
    with pytest.raises(ValueError, match="query must be one vector"):
        index.query(np.ones((1, 1, 3)), k=1)


def test_hnsw_bad_vectors_and_ids():
    index = HNSWIndex(dims=2)
    index.add([[1.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match=r"zero vector \(row 1 of vectors\): remove it or use space='ip'"):
        index.add([[1.0, 1.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match=r"zero vector \(query\)"):
        index.query([0.0, 0.0], k=1)
    with pytest.raises(ValueError, match="vectors contains NaN or infinity"):
        index.add([[np.nan, 1.0]])
    with pytest.raises(ValueError, match="vectors is empty"):
        index.add(np.empty((0, 2)))
    with pytest.raises(TypeError, match="vectors is a str"):
        index.add("cat")
    with pytest.raises(ValueError, match="id 1 is already in the index: ids must be unique"):
        index.add([[1.0, 1.0]], ids=[1])
    with pytest.raises(ValueError, match="id 5 appears more than once in ids"):
        index.add([[1.0, 1.0], [1.0, 2.0]], ids=[5, 5])
    with pytest.raises(ValueError, match="got 1 ids for 2 vectors"):
        index.add([[1.0, 1.0], [1.0, 2.0]], ids=[5])
    with pytest.raises(ValueError, match="ids must be >= 0, got -2"):
        index.add([[1.0, 1.0]], ids=[-2])
    with pytest.raises(TypeError, match="ids must be whole numbers"):
        index.add([[1.0, 1.0]], ids=[1.5])
    assert len(index) == 2  # nothing was added by the failed calls
    np.testing.assert_array_equal(index.query([1.0, 0.0], k=2)[0], [0, 1])


def test_hnsw_nbytes_without_index_file_size_matches_hnswlib():
    """chroma-hnswlib (the prebuilt fork used on Windows/macOS) has no index_file_size: the layout
    formula used instead must agree with hnswlib's own figure."""

    class WithoutFileSize:
        def __init__(self, index):
            self._wrapped = index

        def __getattr__(self, name):
            if name == "index_file_size":
                raise AttributeError(name)
            return getattr(self._wrapped, name)

    rng = np.random.default_rng(7)
    for m in (4, 16):
        index = HNSWIndex(32, M=m)
        index.add(rng.standard_normal((3000, 32)).astype(np.float32))
        exact = index.nbytes
        index._index = WithoutFileSize(index._index)
        assert abs(index.nbytes - exact) / exact < 0.01, (m, index.nbytes, exact)
