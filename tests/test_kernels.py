"""Tests of vectorlab's private kernels, beside them: each fast path against a plain reference.

The kernels (``_topk``, ``_exact``, ``_hamming``, ``_scoring``, ``_finite_cache``, ``_linalg``) assume
checked inputs; the public functions in ``search`` and ``quantize`` check them. Module constants are
patched so arrays small enough to be quick still take every path (grouped selection, tiles, threads).
"""

from __future__ import annotations

import numpy as np
import pytest

from vectorlab import _finite_cache
from vectorlab._kernels import exact as _exact
from vectorlab._kernels import hamming as _hamming
from vectorlab._kernels import linalg as _linalg
from vectorlab._kernels import scoring as _scoring
from vectorlab._kernels import topk as _topk
from vectorlab.quantize import rescore, search_binary

# ------------------------------------------------------------------------------------------- _topk


@pytest.mark.parametrize("seed", range(4))
def test_grouped_top_k_matches_a_stable_full_sort(seed, monkeypatch):
    rng = np.random.default_rng(seed)
    monkeypatch.setattr(_topk, "GROUP", 8)  # small groups: the grouped path runs on small rows
    for m, n, k in ((1, 1_000, 10), (5, 1_003, 7), (3, 331, 1), (4, 2_500, 25)):
        values = rng.integers(0, 40, size=(m, n)).astype(np.float32)  # many ties
        if seed % 2:
            values = rng.standard_normal((m, n)).astype(np.float32)
        expected = np.argsort(values, axis=1, kind="stable")[:, :k]
        positions, found = _topk.smallest_k(values, k)
        np.testing.assert_array_equal(positions, expected)
        np.testing.assert_array_equal(found, np.take_along_axis(values, expected, axis=1))
        values[0, 3] = np.nan  # NaN ranks after every number, on every path
        positions, _ = _topk.smallest_k(values, k)
        np.testing.assert_array_equal(positions[0], np.argsort(values[0], kind="stable")[:k])


# ------------------------------------------------------------------------------------------ _exact


@pytest.mark.parametrize("seed", range(3))
def test_one_query_selection_matches_a_stable_sort(seed):
    rng = np.random.default_rng(seed)
    for n, k in ((1, 1), (50, 50), (500, 10), (2_048, 100)):
        scores = rng.integers(-3, 4, n).astype(np.float32)  # many ties, also at the cut
        indices, top = _exact._one_query(scores, k)
        expected = np.argsort(-scores, kind="stable")[:k]
        np.testing.assert_array_equal(indices, expected)
        np.testing.assert_array_equal(top, scores[expected])


@pytest.mark.parametrize("metric", ["cosine", "dot", "euclidean"])
def test_top_k_paths_agree_with_a_brute_force_reference(metric, monkeypatch):
    rng = np.random.default_rng(3)
    vectors = rng.integers(-2, 3, (3_000, 8)).astype(np.float32)  # exact ties for dot and euclidean
    queries = rng.integers(-2, 3, (9, 8)).astype(np.float32)
    queries[:, 0] = 3  # no zero query
    if metric == "cosine":  # cosines of equal angles may round differently: no ties here
        vectors = rng.standard_normal((3_000, 8)).astype(np.float32)
        reference = (queries / np.linalg.norm(queries, axis=1, keepdims=True)) @ (
            vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).T
        order = np.argsort(-reference, axis=1, kind="stable")[:, :20]
    elif metric == "dot":
        order = np.argsort(-(queries @ vectors.T), axis=1, kind="stable")[:, :20]
    else:
        distances = ((queries[:, None, :] - vectors[None]) ** 2).sum(axis=2)
        order = np.argsort(distances, axis=1, kind="stable")[:, :20]
    unit = queries / np.linalg.norm(queries, axis=1, keepdims=True) if metric == "cosine" else queries
    norms = _linalg.row_norms(vectors) if metric == "cosine" else None
    for block_bytes in (_exact.BLOCK_BYTES, 4 * 3_000 * 2):  # whole, then two queries per block
        monkeypatch.setattr(_exact, "BLOCK_BYTES", block_bytes)
        for sort_rows in (0, 4_000):  # grouped selection, then the stable sort of a few rows
            monkeypatch.setattr(_exact, "SORT_ROWS_UP_TO", sort_rows)
            indices, _ = _exact.top_k(unit, vectors, 20, metric, norms)
            np.testing.assert_array_equal(indices, order)
            one, _ = _exact.top_k(unit[4:5], vectors, 20, metric, norms)
            np.testing.assert_array_equal(one[0], order[4])


def test_top_k_reports_non_finite_scores_instead_of_ranking_them():
    vectors = np.ones((40, 3), dtype=np.float32)
    vectors[7, 1] = np.nan
    for m in (1, 5):
        assert _exact.top_k(np.ones((m, 3), dtype=np.float32), vectors, 3, "dot") is None
    huge = np.full((40, 3), 3e38, dtype=np.float32)  # every dot product overflows
    assert _exact.top_k(np.ones((2, 3), dtype=np.float32), huge, 3, "dot") is None


# ----------------------------------------------------------------------------------------- _hamming


def _hamming_reference(queries: np.ndarray, codes: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    bits_q = np.unpackbits(queries, axis=1)
    bits_c = np.unpackbits(codes, axis=1)
    distances = (bits_q[:, None, :] != bits_c[None, :, :]).sum(axis=2, dtype=np.int64)
    order = np.argsort(distances, axis=1, kind="stable")[:, :k]  # ties: lower index first
    return order, np.take_along_axis(distances, order, axis=1)


@pytest.mark.parametrize("tiled", [False, True])
@pytest.mark.parametrize("threaded", [False, True])
@pytest.mark.parametrize("group", [4, 256])
def test_binary_search_paths_match_the_reference(threaded, group, tiled, monkeypatch):
    rng = np.random.default_rng(7)
    monkeypatch.setattr(_topk, "GROUP", group)
    if tiled:  # tiles of 64 index columns, the last one partial, for single queries and batches alike
        monkeypatch.setattr(_hamming, "TILE_BYTES", 1)
        monkeypatch.setattr(_hamming, "MIN_TILE_COLUMNS", 64)
    if threaded:
        monkeypatch.setattr(_hamming, "THREADS", 2)
        monkeypatch.setattr(_hamming, "MIN_THREADED_COMPARISONS", 1)
    # (8000, 100): a large k (oversampled candidates) takes smaller groups; (257, 5): too small to group
    for n, n_bytes, k in ((700, 48, 10), (8_000, 48, 100), (257, 3, 5), (90, 16, 1)):
        codes = rng.integers(0, 256, size=(n, n_bytes), dtype=np.uint8) & 0x55  # many tied distances
        queries = rng.integers(0, 256, size=(6, n_bytes), dtype=np.uint8)
        expected = _hamming_reference(queries, codes, k)
        words_t = np.ascontiguousarray(_hamming.as_words(codes).T)
        for got in (search_binary(queries, codes, k),
                    _hamming.search_words(_hamming.as_words(queries), words_t, 8 * n_bytes, k)):
            np.testing.assert_array_equal(got[0], expected[0])
            np.testing.assert_array_equal(got[1], expected[1])
        got = search_binary(queries[2], codes, k)  # one query reads the rows in place (strided)
        np.testing.assert_array_equal(got[0], expected[0][2])
        np.testing.assert_array_equal(got[1], expected[1][2])


def test_hamming_matrix_in_chunks_matches_the_reference(monkeypatch):
    rng = np.random.default_rng(2)
    a = rng.integers(0, 256, size=(11, 5), dtype=np.uint8)  # 5 bytes: padded to one 8-byte word
    b = rng.integers(0, 256, size=(13, 5), dtype=np.uint8)
    expected = (np.unpackbits(a, axis=1)[:, None] != np.unpackbits(b, axis=1)[None]).sum(axis=2)
    monkeypatch.setattr(_hamming, "CHUNK_BYTES", 16 * 13 * 3)  # three rows of a per chunk
    np.testing.assert_array_equal(_hamming.hamming_matrix(a, b), expected)


# ------------------------------------------------------------------------------ _scoring, _finite_cache


def test_int8_blocks_merge_like_one_product(monkeypatch):
    rng = np.random.default_rng(4)
    codes = rng.integers(-128, 128, (300, 6)).astype(np.int8)
    width = rng.uniform(0.001, 0.01, 6).astype(np.float32)
    offset = rng.uniform(-1, 1, 6).astype(np.float32)
    queries = rng.standard_normal((5, 6)).astype(np.float32)
    dense = offset + codes.astype(np.float32) * width  # the dequantized vectors
    for cosine in (False, True):
        scores = queries @ dense.T
        if cosine:
            scores /= np.linalg.norm(queries, axis=1)[:, None] * np.linalg.norm(dense, axis=1)
        expected = np.argsort(-scores, axis=1, kind="stable")[:, :7]
        monkeypatch.setattr(_hamming, "CHUNK_BYTES", 1)  # one index row per block: exercises the merge
        ids, _ = _scoring.int8_top_k(queries, codes, width, offset, 7, cosine)
        np.testing.assert_array_equal(ids, expected)
        monkeypatch.undo()


def test_rescore_still_catches_nan_written_after_a_first_call():
    vectors = np.random.default_rng(0).standard_normal((50, 8)).astype(np.float32)
    assert rescore(np.ones(8), [0, 1, 2], vectors, k=2)[0].shape == (2,)  # proves (and remembers) finite
    assert id(vectors) in _finite_cache._CHECKED
    vectors[1, 3] = np.nan  # in place, on the same array object
    with pytest.raises(ValueError, match=r"original_vectors contains NaN or infinity \(first at index \(1, 3\)\)"):
        rescore(np.ones(8), [0, 1, 2], vectors, k=2)
    fresh = vectors.copy()  # a new array is checked in full again, whichever rows are candidates
    with pytest.raises(ValueError, match="original_vectors contains NaN or infinity"):
        rescore(np.ones(8), [0, 2], fresh, k=1)


def test_finite_cache_is_bounded_and_forgets_dead_arrays():
    arrays = [np.ones((3, 2), dtype=np.float32) for _ in range(_finite_cache.MAX_ENTRIES + 3)]
    for array in arrays:
        assert _finite_cache.as_checked_matrix(array, "x") is array
    assert len(_finite_cache._CHECKED) <= _finite_cache.MAX_ENTRIES
    reshaped = arrays[-1].reshape(2, 3)  # a view with another shape is checked again, not trusted
    assert _finite_cache.as_checked_matrix(reshaped, "x") is reshaped


# ------------------------------------------------------------------------------------------ _linalg


@pytest.mark.parametrize("scale", [1e-40, 1e-30, 1e-20, 1.0, 1e19, 1e20, 1e37])
def test_row_norms_neither_overflow_nor_underflow(scale):
    rng = np.random.default_rng(1)
    base = rng.standard_normal((4, 16))
    matrix = (base * scale).astype(np.float32)
    expected = np.linalg.norm(matrix.astype(np.float64), axis=1)
    rtol = 1e-4 if scale < 1e-38 else 1e-6  # a length below 1.2e-38 is itself subnormal in float32
    np.testing.assert_allclose(_linalg.row_norms(matrix), expected, rtol=rtol)
    np.testing.assert_allclose(_linalg.row_norms(matrix, pairwise=True), expected, rtol=rtol)
    unit = _linalg.unit_rows(matrix, _linalg.row_norms(matrix))
    np.testing.assert_allclose(np.linalg.norm(unit.astype(np.float64), axis=1), 1.0, rtol=1e-6)


def test_only_an_all_zero_row_has_norm_zero():
    matrix = np.array([[0.0, 0.0], [1e-45, 0.0], [0.0, -1e-40]], dtype=np.float32)
    assert _linalg.row_norms(matrix).tolist()[0] == 0.0
    assert (_linalg.row_norms(matrix)[1:] > 0).all()
