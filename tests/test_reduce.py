"""Tests for vectorlab.reduce against manual slicing, scikit-learn and numpy's SVD."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.decomposition import PCA

from vectorlab.reduce import explained_variance, fit_pca, pca_reduce, truncate


def data(n=60, dims=10, seed=0):
    """Correlated data: a few strong directions plus noise, so PCA has something to find."""
    rng = np.random.default_rng(seed)
    mixing = rng.standard_normal((dims, dims)) * np.linspace(3, 0.1, dims)[:, np.newaxis]
    return (rng.standard_normal((n, dims)) @ mixing + 2.0).astype(np.float32)


def svd_projection(fit_on, vectors, dims):
    """PCA by hand: centre with the fit data's mean, project on its top right singular vectors."""
    fit_on = fit_on.astype(np.float64)
    mean = fit_on.mean(axis=0)
    _, _, vt = np.linalg.svd(fit_on - mean, full_matrices=False)
    return (vectors.astype(np.float64) - mean) @ vt[:dims].T


def assert_equal_up_to_sign(actual, expected, atol):
    """Principal components are defined up to sign: align each column's sign, then compare."""
    signs = np.sign((actual * expected).sum(axis=0))
    np.testing.assert_allclose(actual * signs, expected, atol=atol)


# --------------------------------------------------------------------------------------------------
# truncate
# --------------------------------------------------------------------------------------------------


def test_truncate_matches_manual_slicing_and_norm():
    vectors = data(seed=1)
    result = truncate(vectors, 4)
    manual = vectors[:, :4] / np.linalg.norm(vectors[:, :4], axis=1, keepdims=True)
    np.testing.assert_allclose(result, manual, rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(result, axis=1), 1.0, rtol=1e-6)
    assert result.dtype == np.float32 and result.shape == (60, 4)


def test_truncate_hand_computed_single_vector():
    result = truncate([3.0, 4.0, 12.0], 2)
    assert result.shape == (2,)
    np.testing.assert_allclose(result, [0.6, 0.8], rtol=1e-6)


def test_truncate_without_normalize_is_a_plain_prefix():
    vectors = data(seed=2).astype(np.float64)
    result = truncate(vectors, 3, normalize=False)
    np.testing.assert_array_equal(result, vectors[:, :3].astype(np.float32))
    assert result.dtype == np.float32


def test_truncate_keeps_all_dims_and_zero_prefix_stays_zero():
    vectors = np.array([[0.0, 0.0, 5.0], [1.0, 1.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = truncate(vectors, 2)
    np.testing.assert_allclose(result, [[0.0, 0.0], [2**-0.5, 2**-0.5]], rtol=1e-6)
    assert truncate(vectors, 3).shape == (2, 3)


@settings(max_examples=40, deadline=None)
@given(
    hnp.arrays(np.float32, st.tuples(st.integers(1, 8), st.integers(1, 12)),
               elements=st.floats(0.5, 10, width=32)),
    st.data(),
)
def test_truncate_property_unit_length_and_direction(vectors, draw):
    dims = draw.draw(st.integers(1, vectors.shape[1]))
    result = truncate(vectors, dims)
    np.testing.assert_allclose(np.linalg.norm(result, axis=1), 1.0, rtol=1e-5)
    # same direction as the prefix: the cosine with the raw prefix is 1
    prefix = vectors[:, :dims].astype(np.float64)
    cosine = (result * prefix).sum(axis=1) / np.linalg.norm(prefix, axis=1)
    np.testing.assert_allclose(cosine, 1.0, rtol=1e-5)


# --------------------------------------------------------------------------------------------------
# PCA
# --------------------------------------------------------------------------------------------------


def test_fit_pca_is_sklearn_pca_with_the_seed():
    vectors = data(seed=3)
    pca = fit_pca(vectors, 3, seed=7)
    reference = PCA(n_components=3, random_state=7).fit(vectors)
    assert isinstance(pca, PCA) and pca.n_components == 3 and pca.random_state == 7
    np.testing.assert_allclose(pca.components_, reference.components_, atol=1e-6)


def test_pca_reduce_matches_sklearn_directly():
    vectors = data(seed=4)
    reduced, pca = pca_reduce(vectors, 3, normalize=False)
    reference = PCA(n_components=3, random_state=0).fit(vectors)
    np.testing.assert_allclose(reduced, reference.transform(vectors), rtol=1e-5, atol=1e-5)
    assert reduced.dtype == np.float32 and reduced.shape == (60, 3)
    assert pca.n_components_ == 3


def test_pca_reduce_matches_numpy_svd():
    vectors = data(seed=5)
    reduced, _ = pca_reduce(vectors, 4, normalize=False)
    assert_equal_up_to_sign(reduced, svd_projection(vectors, vectors, 4), atol=1e-3)


def test_pca_reduce_normalizes_by_default():
    vectors = data(seed=6)
    reduced, _ = pca_reduce(vectors, 3)
    raw, _ = pca_reduce(vectors, 3, normalize=False)
    np.testing.assert_allclose(np.linalg.norm(reduced, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(reduced, raw / np.linalg.norm(raw, axis=1, keepdims=True), rtol=1e-5)


def test_pca_reduce_projects_queries_with_the_corpus_basis():
    corpus, queries = data(n=80, seed=7), data(n=5, seed=8)
    reduced, pca = pca_reduce(queries, 3, fit_on=corpus, normalize=False)
    assert_equal_up_to_sign(reduced, svd_projection(corpus, queries, 3), atol=1e-3)
    np.testing.assert_allclose(pca.mean_, corpus.mean(axis=0), rtol=1e-5)
    # fitting on the queries themselves gives other coordinates: the reason fit_on exists
    own, _ = pca_reduce(queries, 3, normalize=False)
    assert not np.allclose(np.abs(own), np.abs(reduced), atol=1e-2)
    single, _ = pca_reduce(queries[0], 3, fit_on=corpus, normalize=False)
    assert single.shape == (3,)
    np.testing.assert_allclose(single, reduced[0], rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------------------------------
# explained variance
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "dims"), [(60, 10), (6, 10)])
def test_explained_variance_monotone_and_one_at_full_rank(n, dims):
    vectors = data(n=n, dims=dims, seed=9)
    full_rank = min(n, dims)
    shares = [explained_variance(vectors, d) for d in range(1, full_rank + 1)]
    assert all(b >= a for a, b in zip(shares, shares[1:], strict=False))
    assert shares[-1] == pytest.approx(1.0, abs=1e-9)
    assert 0.0 < shares[0] < 1.0
    assert all(isinstance(share, float) for share in shares)


def test_explained_variance_matches_sklearn_and_svd():
    vectors = data(seed=10)
    for dims in (1, 3, 7):
        reference = PCA(n_components=dims, svd_solver="full").fit(vectors).explained_variance_ratio_.sum()
        assert explained_variance(vectors, dims) == pytest.approx(reference, abs=1e-5)
    singular = np.linalg.svd(vectors - vectors.mean(axis=0), compute_uv=False).astype(np.float64)
    assert explained_variance(vectors, 2) == pytest.approx((singular[:2] ** 2).sum() / (singular**2).sum(),
                                                           abs=1e-5)


def test_explained_variance_hand_computed():
    # points on the line y = x: one component explains everything
    assert explained_variance([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]], 1) == pytest.approx(1.0)
    # variances 4 and 1 along the axes (uncorrelated): the first component keeps 4 / 5
    square = [[2.0, 1.0], [2.0, -1.0], [-2.0, 1.0], [-2.0, -1.0]]
    assert explained_variance(square, 1) == pytest.approx(0.8)


# --------------------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dims", "error", "message"),
    [
        (11, ValueError, r"dims=11 is too large: the vectors have only 10 dims, so use dims <= 10"),
        (0, ValueError, r"dims must be at least 1, got 0"),
        (-2, ValueError, r"dims must be at least 1, got -2"),
        (2.5, TypeError, r"dims must be a whole number, got 2.5"),
        (True, TypeError, r"dims must be a whole number, got True"),
    ],
)
def test_truncate_bad_dims(dims, error, message):
    with pytest.raises(error, match=message):
        truncate(data(n=3), dims)


@pytest.mark.parametrize(
    "call",
    [
        lambda: fit_pca(data(n=5), 6),
        lambda: pca_reduce(data(n=5), 6),
        lambda: explained_variance(data(n=5), 6),
    ],
)
def test_pca_dims_larger_than_min_samples_features(call):
    with pytest.raises(ValueError, match=r"dims=6 is too large: PCA on .* \(5 vectors x 10 dims\) has at most "
                                         r"min\(n_samples, n_features\) = 5 components, so use dims <= 5"):
        call()


def test_pca_reduce_limit_comes_from_fit_on():
    with pytest.raises(ValueError, match=r"PCA on fit_on \(4 vectors x 10 dims\).*use dims <= 4"):
        pca_reduce(data(n=50), 5, fit_on=data(n=4))


def test_pca_reduce_dims_mismatch_with_fit_on():
    with pytest.raises(ValueError, match=r"vectors has 10 dims, fit_on has 8"):
        pca_reduce(data(dims=10), 2, fit_on=data(dims=8))


def test_pca_reduce_single_vector_needs_fit_on():
    with pytest.raises(ValueError, match=r"cannot fit a PCA on a single vector: pass fit_on="):
        pca_reduce(np.ones(5), 1)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_reduce_rejects_non_finite(bad):
    vectors = data(n=6)
    vectors[2, 3] = bad
    for call in (lambda: truncate(vectors, 2), lambda: fit_pca(vectors, 2), lambda: explained_variance(vectors, 2)):
        with pytest.raises(ValueError, match=r"vectors contains NaN or infinity \(first at index \(2, 3\)\)"):
            call()
    with pytest.raises(ValueError, match=r"fit_on contains NaN or infinity"):
        pca_reduce(data(n=3), 2, fit_on=vectors)


def test_reduce_rejects_empty_input():
    with pytest.raises(ValueError, match=r"vectors is empty"):
        truncate(np.zeros((0, 4)), 2)
    with pytest.raises(ValueError, match=r"vectors is empty"):
        explained_variance(np.zeros((0, 4)), 1)


def test_explained_variance_without_variance():
    with pytest.raises(ValueError, match=r"vectors have no variance \(all vectors are identical\)"):
        explained_variance(np.ones((4, 3)), 1)


def test_a_zero_prefix_stays_zero_beside_tiny_and_huge_rows():
    """A zero row next to rows that need unit_rows' float64 path (lengths below 1e-18 or above 1e18) stays zero,
    and every other row matches a float64 normalization."""
    vectors = np.array([[0, 0, 5], [1e-30, 1e-30, 1], [3e30, 4e30, 1], [3, 4, 0]], dtype=np.float32)
    kept = truncate(vectors, 2)
    wide = vectors[:, :2].astype(np.float64)
    norms = np.linalg.norm(wide, axis=1, keepdims=True)
    expected = np.divide(wide, norms, out=np.zeros_like(wide), where=norms > 0)
    np.testing.assert_allclose(kept, expected, rtol=1e-6, atol=0)
