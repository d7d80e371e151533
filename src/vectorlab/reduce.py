"""Fewer dimensions: truncate (Matryoshka embeddings) or project with PCA.

**Truncation** keeps the first ``dims`` values of each vector and re-normalizes them to unit length.
That only works for models trained with Matryoshka Representation Learning (MRL), such as OpenAI's
``text-embedding-3-*``: their training loss is applied to several prefixes (e.g. 64, 128, 256, ...
dims), so the most important information is packed into the first values and a prefix is itself a
usable embedding. For other models (e.g. all-MiniLM-L6-v2) every dimension matters about as much
and a prefix loses meaning quickly: use PCA instead, or measure recall before trusting a prefix.

**PCA** finds the directions of largest variance of a set of vectors and projects onto the first
``dims`` of them. Fit it on the corpus and project the queries with the *same* fitted basis
(``pca_reduce(queries, dims, fit_on=corpus)``), otherwise the two live in different coordinates.
:func:`explained_variance` tells how much of the spread a few components keep, e.g. what a 3-D
picture of 384-dim embeddings leaves out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from vectorlab._kernels.linalg import row_norms, unit_rows
from vectorlab._validation import as_matrix, as_vector_or_matrix, check_int, check_positive_int, check_same_dims
from vectorlab.errors import InputTypeError, InvalidInputError

if TYPE_CHECKING:  # imported where a PCA is fitted: scikit-learn takes over a second to import
    from sklearn.decomposition import PCA

__all__ = ["truncate", "fit_pca", "pca_reduce", "explained_variance"]


def _check_dims(dims: Any, limit: int, why: str) -> int:
    """Return ``dims`` as ``int`` if it is a whole number in ``1..limit``; ``why`` explains the limit."""
    checked = check_positive_int(dims, "dims")
    if checked > limit:
        raise InvalidInputError(f"dims={checked} is too large: {why}, so use dims <= {limit}")
    return checked


def _check_flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise InputTypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _normalize_rows(matrix: np.ndarray) -> np.ndarray:
    """Scale each row to unit length (tiny rows too); an all-zero row stays zero (it has no direction)."""
    norms = row_norms(matrix, pairwise=True)
    return unit_rows(matrix, np.where(norms > 0, norms, np.float32(1)))


def _check_pca_dims(dims: Any, matrix: np.ndarray, name: str) -> int:
    n_samples, n_features = matrix.shape
    return _check_dims(
        dims,
        min(n_samples, n_features),
        f"PCA on {name} ({n_samples} vectors x {n_features} dims) has at most "
        f"min(n_samples, n_features) = {min(n_samples, n_features)} components",
    )


def _fitted_pca(basis: np.ndarray, dims: int, name: str, seed: int) -> PCA:
    """scikit-learn's PCA fitted on ``basis``, refusing what has no principal directions.

    One vector, or vectors that are all identical, have no spread: PCA would return zeros and a NaN
    explained variance. Values so large that their variance overflows float32 (about 1e19 and up) are
    fitted again in float64, where the squares fit.
    """
    if basis.shape[0] < 2:
        raise InvalidInputError(f"cannot fit a PCA on 1 vector ({name} has one row): principal components are "
                                f"directions of spread between vectors; pass at least 2 different vectors")
    if not np.ptp(basis, axis=0).any():
        raise InvalidInputError(f"cannot fit a PCA on {name}: all {basis.shape[0]} vectors are identical, so "
                                "there is no direction of spread; pass different vectors")
    from sklearn.decomposition import PCA

    with np.errstate(over="ignore", invalid="ignore"):
        pca = PCA(n_components=dims, random_state=seed).fit(basis)
    if not np.isfinite(pca.explained_variance_ratio_).all() or not np.isfinite(pca.components_).all():
        pca = PCA(n_components=dims, random_state=seed).fit(basis.astype(np.float64))
    return pca


def truncate(vectors: Any, dims: int, normalize: bool = True) -> np.ndarray:
    """Keep the first ``dims`` values of each vector (float32), re-normalized to unit length by default.

    Parameters
    ----------
    vectors:
        One vector ``(d,)`` or a batch ``(n, d)``; the output keeps that shape with ``dims`` columns.
    dims:
        How many leading dimensions to keep, ``1 <= dims <= d``. Meaningful for Matryoshka models only.
    normalize:
        Divide each truncated vector by its length so dot product = cosine again (a zero prefix stays 0).

    >>> truncate([3.0, 4.0, 12.0], 2)
    array([0.6, 0.8], dtype=float32)
    """
    matrix, single = as_vector_or_matrix(vectors, "vectors")
    normalize = _check_flag(normalize, "normalize")
    available = matrix.shape[1]
    dims = _check_dims(dims, available, f"the vectors have only {available} dims")
    kept = np.ascontiguousarray(matrix[:, :dims])
    if normalize:
        kept = _normalize_rows(kept)
    return kept[0] if single else kept


def fit_pca(vectors: Any, dims: int, seed: int = 0) -> PCA:
    """Fit a scikit-learn ``PCA`` with ``dims`` components on ``(n, d)`` vectors.

    ``seed`` is passed as ``random_state``, so the randomized solver scikit-learn picks for large
    inputs gives the same basis every run. Needs ``dims <= min(n, d)``.

    >>> fit_pca([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]], 1).explained_variance_ratio_.round(3)
    array([1.], dtype=float32)
    """
    matrix = as_matrix(vectors, "vectors")
    dims = _check_pca_dims(dims, matrix, "vectors")
    return _fitted_pca(matrix, dims, "vectors", check_int(seed, "seed", minimum=0))


def pca_reduce(
    vectors: Any, dims: int, fit_on: Any = None, normalize: bool = True, seed: int = 0
) -> tuple[np.ndarray, PCA]:
    """Project vectors onto the first ``dims`` principal components; return ``(reduced, pca)``.

    Parameters
    ----------
    vectors:
        ``(n, d)`` vectors to project (or one vector ``(d,)`` -> ``(dims,)``).
    dims:
        Number of components to keep.
    fit_on:
        ``(N, d)`` vectors to fit the PCA on, typically the corpus, so queries are projected with the
        same basis as the data. ``None``: fit on ``vectors`` themselves (then it must be 2-D).
    normalize:
        Re-normalize the projected vectors to unit length (for cosine/dot search). Turn it off for
        plots, where the spread along each component is the point.
    seed:
        ``random_state`` of the PCA.

    >>> reduced, pca = pca_reduce([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]], 1, normalize=False)
    >>> reduced.shape, np.abs(reduced.ravel()).round(3)  # the sign of a component is arbitrary
    ((3, 1), array([1.414, 0.   , 1.414], dtype=float32))
    """
    matrix, single = as_vector_or_matrix(vectors, "vectors")
    normalize = _check_flag(normalize, "normalize")
    seed = check_int(seed, "seed", minimum=0)
    if fit_on is None:
        if single:
            raise InvalidInputError("cannot fit a PCA on a single vector: pass fit_on=<the corpus vectors>")
        basis = matrix
        name = "vectors"
    else:
        basis = as_matrix(fit_on, "fit_on")
        check_same_dims(matrix, basis, "vectors", "fit_on")
        name = "fit_on"
    dims = _check_pca_dims(dims, basis, name)
    pca = _fitted_pca(basis, dims, name, seed)
    reduced = pca.transform(matrix).astype(np.float32)
    if normalize:
        reduced = _normalize_rows(reduced)
    return (reduced[0] if single else reduced), pca


def explained_variance(vectors: Any, dims: int) -> float:
    """Share of the total variance (0..1) kept by the first ``dims`` principal components.

    scikit-learn's ``PCA`` with every component (an exact SVD, in float64), summed over the first
    ``dims``: it grows with ``dims`` and is 1.0 at full rank, ``dims = min(n, d)``.

    >>> explained_variance([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]], 1)
    1.0
    """
    matrix = as_matrix(vectors, "vectors")
    dims = _check_pca_dims(dims, matrix, "vectors")
    if not np.ptp(matrix, axis=0).any():
        raise InvalidInputError("vectors have no variance (all vectors are identical): nothing to explain")
    from sklearn.decomposition import PCA

    pca = PCA(svd_solver="full").fit(matrix.astype(np.float64))
    return float(min(1.0, pca.explained_variance_ratio_[:dims].sum()))
