"""Compress embeddings to int8 or binary codes, search the codes, and rescore with the originals.

The recipe from the talk (and sentence-transformers' ``quantize_embeddings``):

1. **int8 (scalar) quantization**: per dimension, cut the calibration range ``[min, max]`` into 256
   equal buckets and store the bucket number (-128..127): 4x smaller than float32.
2. **binary quantization**: keep one bit per dimension, ``1`` if the value is above a threshold
   (0 by default), packed 8 to a byte: 32x smaller than float32.
3. **search the codes** (Hamming distance for bits, dot products for int8), ask for more candidates
   than you need (oversampling), then **rescore** those candidates with the original float vectors.

Shapes: a single vector ``(dims,)`` gives a single code, a batch ``(n, dims)`` gives ``(n, ...)``.
Binary codes use ``np.packbits(..., axis=-1)`` bit order: dimension 0 is the highest bit of byte 0.

Each function checks its input, then does the formula; the speed work of the scans (word-wise XOR and
popcount, tiles, threads, blocked int8 products) lives in the private kernels ``_hamming`` and
``_scoring``.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from vectorlab._finite_cache import as_checked_matrix
from vectorlab._kernels import hamming as _hamming
from vectorlab._kernels import scoring as _scoring
from vectorlab._kernels.linalg import row_norms
from vectorlab._quantize_checks import (
    check_candidates,
    check_int8_codes,
    check_ranges,
    check_same_code_length,
    threshold_for,
)
from vectorlab._validation import (
    as_matrix,
    as_vector_or_matrix,
    check_choice,
    check_fits_in_memory,
    check_k,
    check_nonzero,
    check_packed,
    check_positive_int,
    check_same_dims,
    describe,
    nonzero_norms,
)
from vectorlab.errors import InputTypeError, InvalidInputError

__all__ = [
    "PRECISIONS",
    "int8_ranges",
    "quantize_int8",
    "dequantize_int8",
    "binary_threshold",
    "random_rotation",
    "quantize_binary",
    "unpack_binary",
    "hamming_distance",
    "search_binary",
    "search_int8",
    "rescore",
    "nbytes_per_vector",
    "size_table",
]

Precision = Literal["float64", "float32", "int8", "binary"]
ScoreMetric = Literal["dot", "cosine"]
"""How :func:`search_int8` and :func:`rescore` score (search's ``Metric`` has ``euclidean`` too)."""
_FIX_ZERO = "remove it or use metric='dot'"
Statistic = Literal["mean", "median"]
#: Precision names understood by :func:`nbytes_per_vector` and listed by :func:`size_table`.
PRECISIONS: tuple[str, ...] = Precision.__args__  # type: ignore[attr-defined]
Codes = npt.NDArray[np.uint8]
Int8Codes = npt.NDArray[np.int8]
Results = tuple[np.ndarray, np.ndarray]


# --------------------------------------------------------------------------------------------------
# int8 scalar quantization
# --------------------------------------------------------------------------------------------------


def _bucket_width(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Width of one of the 256 buckets per dimension (0 for a constant dimension)."""
    width: np.ndarray = ((high - low) / np.float32(256)).astype(np.float32)
    return width


def int8_ranges(calibration: Any, per_dimension: bool = True) -> np.ndarray:
    """Min and max of the calibration vectors, shape ``(2, dims)``: row 0 = min, row 1 = max.

    :param calibration: ``(n, dims)`` vectors representative of what you will quantize (often the corpus).
    :param per_dimension: ``True`` (default): each dimension gets its own min/max, as sentence-transformers
        does. ``False``: the single global min and max, repeated for every dimension (the talk's version).

    >>> int8_ranges([[0.0, -2.0], [1.0, 3.0]])
    array([[ 0., -2.],
           [ 1.,  3.]], dtype=float32)
    >>> int8_ranges([[0.0, -2.0], [1.0, 3.0]], per_dimension=False)
    array([[-2., -2.],
           [ 3.,  3.]], dtype=float32)
    """
    calibration = as_matrix(calibration, "calibration")
    if not isinstance(per_dimension, bool | np.bool_):
        raise InputTypeError(f"per_dimension must be True or False, got {per_dimension!r}")
    if per_dimension:
        return np.stack([calibration.min(axis=0), calibration.max(axis=0)])
    dims = calibration.shape[1]
    return np.stack([np.full(dims, calibration.min()), np.full(dims, calibration.max())])


def quantize_int8(vectors: Any, ranges: Any) -> Int8Codes:
    """Map each value onto one of 256 equal buckets of its dimension's ``[min, max]``: int8 codes -128..127.

    Bucket ``b`` of a dimension covers ``[min + b * w, min + (b + 1) * w)`` with ``w = (max - min) / 256``;
    the code is ``b - 128``, so ``min`` maps to -128 and ``max`` to 127. Values outside the calibration
    range are **clipped** to it first: pick calibration data that covers what you quantize. A dimension
    with ``max == min`` maps every value to -128.

    :param vectors: one vector ``(dims,)`` or a batch ``(n, dims)``; the output has the same shape.
    :param ranges: ``(2, dims)`` min/max rows from :func:`int8_ranges`.

    >>> ranges = np.array([[-1.0, -1.0, -1.0], [1.0, 1.0, 1.0]])
    >>> quantize_int8([-1.0, 0.0, 1.0], ranges)
    array([-128,    0,  127], dtype=int8)
    >>> quantize_int8([[-5.0, 0.5, 5.0]], ranges)  # out of range: clipped
    array([[-128,   64,  127]], dtype=int8)
    """
    matrix, single = as_vector_or_matrix(vectors, "vectors")
    low, high = check_ranges(ranges, matrix.shape[1])
    width = _bucket_width(low, high)
    buckets = np.floor((np.clip(matrix, low, high) - low) / np.where(width > 0, width, np.float32(1)))
    codes: Int8Codes = (np.clip(buckets, 0, 255) - 128).astype(np.int8)
    return codes[0] if single else codes


def dequantize_int8(codes: Any, ranges: Any) -> np.ndarray:
    """Turn int8 codes back into float32: the centre of each code's bucket (``min`` for constant dims).

    The round trip ``dequantize_int8(quantize_int8(x, r), r)`` is within half a bucket width of ``x``
    clipped to the range.

    >>> ranges = np.array([[-1.0, 0.0], [1.0, 0.0]])
    >>> dequantize_int8(np.array([-128, 5], dtype=np.int8), ranges)
    array([-0.99609375,  0.        ], dtype=float32)
    """
    codes = check_int8_codes(codes, "codes")
    low, high = check_ranges(ranges, codes.shape[-1])
    values: np.ndarray = low + (codes.astype(np.float32) + np.float32(128.5)) * _bucket_width(low, high)
    return values.astype(np.float32)


# --------------------------------------------------------------------------------------------------
# Binary quantization
# --------------------------------------------------------------------------------------------------


def binary_threshold(calibration: Any, statistic: Statistic = "mean") -> np.ndarray:
    """Per-dimension mean or median of the calibration vectors, shape ``(dims,)``: a threshold for quantize_binary.

    Useful when dimensions are not centred on 0 (then ``> 0`` would set almost all bits alike).

    :param statistic: ``"mean"`` (default) or ``"median"``. With the median each bit is 1 for half of
        the calibration vectors (exactly half when the values are distinct and their number even):
        the most a single bit can say about a vector, whatever the shape of the distribution.

    >>> binary_threshold([[0.0, 1.0], [2.0, 3.0]])
    array([1., 2.], dtype=float32)
    >>> binary_threshold([[0.0, 1.0], [1.0, 2.0], [5.0, 30.0]], statistic="median")
    array([1., 2.], dtype=float32)
    """
    statistic = check_choice(statistic, Statistic, "statistic")
    matrix = as_matrix(calibration, "calibration")
    middle: np.ndarray = np.median(matrix, axis=0) if statistic == "median" else matrix.mean(axis=0, dtype=np.float64)
    return middle.astype(np.float32)


def random_rotation(dims: int, seed: int = 0) -> np.ndarray:
    """A fixed random orthogonal ``(dims, dims)`` float32 matrix ``R``, to rotate vectors before binarizing.

    Rotate the vectors and the queries alike (``vectors @ R``, ``query @ R``), take thresholds on the
    rotated calibration data, then quantize. A rotation spreads each original dimension over all the
    bits and preserves dot products and lengths: rescore with the original (unrotated) vectors. Drawn
    uniformly (QR of a Gaussian matrix, signs fixed), the same for the same ``dims`` and ``seed``.

    >>> R = random_rotation(4, seed=1)
    >>> bool(np.allclose(R @ R.T, np.eye(4), atol=1e-6))
    True
    """
    dims = check_positive_int(dims, "dims")
    check_fits_in_memory(3 * 8 * dims * dims, f"random_rotation({dims})", "pass the vectors' number of dims")
    gaussian = np.random.default_rng(seed).standard_normal((dims, dims))
    q, r = np.linalg.qr(gaussian)
    q *= np.where(np.diag(r) < 0, -1.0, 1.0)  # unique, uniformly distributed (Haar) rotation
    return q.astype(np.float32)


def quantize_binary(vectors: Any, threshold: Any = 0.0) -> Codes:
    """One bit per dimension, ``1`` where the value is strictly above the threshold, packed 8 per byte.

    :param vectors: one vector ``(dims,)`` -> ``(ceil(dims / 8),)`` uint8, or a batch ``(n, dims)`` ->
        ``(n, ceil(dims / 8))`` uint8. Packing is ``np.packbits(bits, axis=-1)``: dimension 0 is the
        highest bit of byte 0, and the last byte is zero-padded when dims is not a multiple of 8.
    :param threshold: a number (default ``0.0``, as sentence-transformers): bit = ``value > threshold``;
        an array of shape ``(dims,)``: one threshold per dimension, e.g. :func:`binary_threshold`;
        ``"mean"``: each vector's **own** mean (the talk's "1 if above the mean").

    >>> quantize_binary([0.5, -0.2, 0.1, -0.3, 0.9, 0.0, -1.0, 0.2])  # bits 10101001
    array([169], dtype=uint8)
    >>> quantize_binary([[0.1, 0.2, 0.3, 0.4]], threshold="mean")  # mean 0.25 -> bits 0011, padded
    array([[48]], dtype=uint8)
    """
    matrix, single = as_vector_or_matrix(vectors, "vectors")
    codes = np.packbits(matrix > threshold_for(threshold, matrix), axis=-1)
    return codes[0] if single else codes


def unpack_binary(codes: Any, dims: int) -> np.ndarray:
    """Unpack codes back to a 0/1 uint8 array with ``dims`` columns (drops the padding bits).

    >>> unpack_binary(np.array([169], dtype=np.uint8), 8)
    array([1, 0, 1, 0, 1, 0, 0, 1], dtype=uint8)
    """
    single = isinstance(codes, np.ndarray) and codes.ndim == 1
    matrix = check_packed(codes, "codes")
    dims = check_positive_int(dims, "dims")
    n_bytes = matrix.shape[1]
    if not 8 * (n_bytes - 1) < dims <= 8 * n_bytes:
        raise InvalidInputError(
            f"dims={dims} does not fit codes of {n_bytes} bytes: {n_bytes} bytes hold between "
            f"{8 * (n_bytes - 1) + 1} and {8 * n_bytes} dims; pass the vectors' original number of dims"
        )
    bits = np.unpackbits(matrix, axis=-1, count=dims)
    return bits[0] if single else bits


def hamming_distance(a: Any, b: Any) -> Any:
    """Number of differing bits between packed codes: ``popcount(a XOR b)``, summed over the bytes.

    Shapes: ``a (B,)`` and ``b (B,)`` -> a scalar; one vs many ``(B,)`` and ``(n, B)`` -> ``(n,)``
    (either order); many vs many ``(m, B)`` and ``(n, B)`` -> the full ``(m, n)`` matrix. Result dtype int32.

    >>> hamming_distance(np.array([0b1111], dtype=np.uint8), np.array([0b0101], dtype=np.uint8))
    np.int32(2)
    """
    a_single = isinstance(a, np.ndarray) and a.ndim == 1
    b_single = isinstance(b, np.ndarray) and b.ndim == 1
    a_matrix, b_matrix = check_packed(a, "a"), check_packed(b, "b")
    check_same_code_length(a_matrix, b_matrix, "a", "b")
    distances = _hamming.hamming_matrix(a_matrix, b_matrix)  # the XOR + popcount, word-wise and chunked
    if a_single:
        return distances[0, 0] if b_single else distances[0]
    return distances[:, 0] if b_single else distances


def search_binary(query_codes: Any, index_codes: Any, k: int = 10) -> Results:
    """Exhaustive Hamming search: the ``k`` nearest codes, smallest distance first, ties -> lower index.

    :param query_codes: one code ``(B,)`` -> results of shape ``(k,)``; a batch ``(m, B)`` -> ``(m, k)``.
    :param index_codes: ``(n, B)`` packed codes from :func:`quantize_binary`.
    :param k: number of neighbours, ``1 <= k <= n``. For rescoring ask for more (e.g. ``4 * k``).
    :return: ``(indices, distances)``: int64 row numbers of ``index_codes`` and int32 Hamming distances,
        the same as sorting ``hamming_distance(query_codes, index_codes)`` (stable) and keeping ``k``.

    >>> index = np.array([[0b1111], [0b0000], [0b0111], [0b0111]], dtype=np.uint8)
    >>> search_binary(np.array([0b0111], dtype=np.uint8), index, k=3)
    (array([2, 3, 0]), array([0, 0, 1], dtype=int32))
    """
    single = isinstance(query_codes, np.ndarray) and query_codes.ndim == 1
    queries = check_packed(query_codes, "query_codes")
    index = check_packed(index_codes, "index_codes")
    check_same_code_length(queries, index, "query_codes", "index_codes")
    k = check_k(k, index.shape[0], "codes in the index")
    index_words = _hamming.scan_layout(_hamming.as_words(index), queries.shape[0])
    indices, distances = _hamming.search_words(_hamming.as_words(queries), index_words, 8 * index.shape[1], k)
    return (indices[0], distances[0]) if single else (indices, distances)


# --------------------------------------------------------------------------------------------------
# int8 search and rescoring
# --------------------------------------------------------------------------------------------------


def search_int8(query: Any, index_codes: Any, ranges: Any, k: int = 10, metric: ScoreMetric = "dot") -> Results:
    """Score float queries against int8 codes as if dequantized; the ``k`` best, highest score first.

    The score is exactly ``query @ dequantize_int8(code, ranges)`` but the float index is never built:
    with ``w = (max - min) / 256`` the dequantized value is ``min + (code + 128.5) * w``, so

        ``score = code @ (query * w) + query @ (min + 128.5 * w)``

    one matrix product with the codes plus a per-query constant. ``metric="cosine"`` further divides by
    both norms (a zero query is an error). Ties are broken by lower index.

    :param query: one float vector ``(dims,)`` -> results ``(k,)``, or a batch ``(m, dims)`` -> ``(m, k)``.
    :param index_codes: ``(n, dims)`` int8 codes from :func:`quantize_int8` with the same ``ranges``.
    :param ranges: ``(2, dims)`` from :func:`int8_ranges`.
    :param k: number of results, ``1 <= k <= n``.
    :param metric: ``"dot"`` (default; equals cosine for unit-length embeddings) or ``"cosine"``.

    >>> ranges = np.array([[-1.0, -1.0], [1.0, 1.0]])
    >>> codes = quantize_int8([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]], ranges)
    >>> indices, scores = search_int8([0.0, 1.0], codes, ranges, k=2)
    >>> indices
    array([1, 0])
    """
    metric = check_choice(metric, ScoreMetric, "metric")
    queries, single = as_vector_or_matrix(query, "query")
    codes = check_int8_codes(index_codes, "index_codes")
    if codes.ndim != 2:
        raise InvalidInputError(f"index_codes must be a (n, dims) array, got {describe(codes)}")
    check_same_dims(queries, codes, "query", "index_codes")
    low, high = check_ranges(ranges, codes.shape[1])
    k = check_k(k, codes.shape[0], "codes in the index")
    width = _bucket_width(low, high)
    offset = low + np.float32(128.5) * width  # the dequantized value of code 0; each step up adds width
    if metric == "cosine":
        nonzero_norms(queries, "query", fix=_FIX_ZERO)  # "row i of query", as before
    found = _scoring.int8_top_k(queries, codes, width, offset, k, cosine=metric == "cosine")
    if found is None:  # a dequantized row of length zero (cosine only) or an overflow: say which
        if metric == "cosine":
            dequantized = codes.astype(np.float32) * width + offset
            check_nonzero(row_norms(dequantized), "the dequantized index_codes", fix=_FIX_ZERO)
        largest = float(np.abs(queries).max())
        fix = " or use metric='cosine'" if metric == "dot" else ""
        raise InvalidInputError(
            f"int8 {metric} scores overflow float32 (the query holds values as large as {largest:.3g} over "
            f"{codes.shape[1]} dims): scale the query down{fix}"
        )
    indices, scores = found
    return (indices[0], scores[0]) if single else (indices, scores)


def rescore(query: Any, candidates: Any, original_vectors: Any, k: int = 10, metric: ScoreMetric = "dot") -> Results:
    """Re-rank candidate rows with the original float vectors; the ``k`` best, highest score first.

    The second half of "oversample, then rescore": a compressed search (``search_binary`` or
    ``search_int8``) returns, say, ``4 * k`` candidates cheaply, and this scores just those exactly:
    ``score[i, j] = query[i] @ original_vectors[candidates[i, j]]`` (divided by both norms for cosine).

    :param query: one float vector ``(dims,)`` with ``candidates`` of shape ``(c,)``, or a batch
        ``(m, dims)`` with ``candidates`` of shape ``(m, c)`` (one row of candidates per query).
    :param candidates: integer row numbers of ``original_vectors``, without repeats within a row.
    :param original_vectors: ``(n, dims)`` float vectors the codes were made from.
    :param k: results to return, ``1 <= k <= c``.
    :param metric: ``"dot"`` (default) or ``"cosine"`` (a zero query or candidate vector is an error).
    :return: ``(indices, scores)``: row numbers (int64) and float32 scores, shape ``(k,)`` or ``(m, k)``;
        ties are broken by lower index.

    >>> vectors = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    >>> rescore([0.0, 1.0], [0, 2, 1], vectors, k=2)
    (array([1, 2]), array([1. , 0.8], dtype=float32))
    """
    metric = check_choice(metric, ScoreMetric, "metric")
    queries, single = as_vector_or_matrix(query, "query")
    originals = as_checked_matrix(original_vectors, "original_vectors")
    check_same_dims(queries, originals, "query", "original_vectors")
    candidates = check_candidates(candidates, single, queries.shape[0], originals.shape[0])
    k = check_k(k, candidates.shape[1], "candidates per query available")
    if metric == "cosine":
        nonzero_norms(queries, "query", fix=_FIX_ZERO)  # "row i of query", as before
    found = _scoring.rescore_top_k(queries, candidates, originals, k, metric == "cosine")
    if found is None:
        as_matrix(originals, "original_vectors")  # NaN/inf written into a candidate row: name it
        if metric == "cosine":  # a zero candidate row: name the first, in the order the candidates list it
            rows = candidates.ravel()
            check_nonzero(row_norms(originals[rows]), "original_vectors", fix=_FIX_ZERO, rows=rows)
        raise InvalidInputError("dot products overflow float32 (the vectors hold huge values): "
                                "scale the vectors down or use metric='cosine'")
    indices, scores = found
    return (indices[0], scores[0]) if single else (indices, scores)


# --------------------------------------------------------------------------------------------------
# Sizes
# --------------------------------------------------------------------------------------------------


def nbytes_per_vector(dims: int, precision: Precision) -> int:
    """Bytes to store one vector of ``dims`` values at ``precision`` (binary: ``ceil(dims / 8)``).

    >>> [nbytes_per_vector(384, p) for p in PRECISIONS]
    [3072, 1536, 384, 48]
    """
    dims = check_positive_int(dims, "dims")
    precision = check_choice(precision, Precision, "precision")
    if precision == "binary":
        return -(-dims // 8)
    return dims * np.dtype(precision).itemsize


def size_table(n_vectors: int, dims: int) -> pd.DataFrame:
    """Storage of ``n_vectors`` vectors of ``dims`` values at each precision, from real encoded arrays.

    One vector is actually encoded at each precision (``astype``, :func:`quantize_int8`,
    :func:`quantize_binary`) and its ``.nbytes`` multiplied by ``n_vectors`` (a flat array has no
    per-row overhead, so this equals the full index's ``.nbytes`` without allocating it).
    Columns: ``precision``, ``bytes_per_vector``, ``index_bytes`` and ``ratio_vs_float32``, how many
    times smaller than float32 (float64 0.5, int8 4.0, binary 32.0 when dims is a multiple of 8).

    >>> size_table(1_000, 384)
      precision  bytes_per_vector  index_bytes  ratio_vs_float32
    0   float64              3072      3072000               0.5
    1   float32              1536      1536000               1.0
    2      int8               384       384000               4.0
    3    binary                48        48000              32.0
    """
    n_vectors = check_positive_int(n_vectors, "n_vectors")
    dims = check_positive_int(dims, "dims")
    check_fits_in_memory(8 * dims, f"one vector of dims={dims}", "pass the vectors' number of dims")
    sample = np.random.default_rng(0).standard_normal((1, dims)).astype(np.float32)
    encoded: dict[str, np.ndarray] = {
        "float64": sample.astype(np.float64),
        "float32": sample,
        "int8": quantize_int8(sample, int8_ranges(np.concatenate([sample, -sample]))),
        "binary": quantize_binary(sample),
    }
    float32_bytes = encoded["float32"].nbytes
    return pd.DataFrame(
        {
            "precision": list(encoded),
            "bytes_per_vector": [array.nbytes for array in encoded.values()],
            "index_bytes": [array.nbytes * n_vectors for array in encoded.values()],
            "ratio_vs_float32": [float32_bytes / array.nbytes for array in encoded.values()],
        }
    )
