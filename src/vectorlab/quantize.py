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
"""

from __future__ import annotations

import math
import os
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from vectorlab._topk import group_size, smallest_k, smallest_k_with_kth
from vectorlab._validation import (
    _describe,
    as_matrix,
    as_vector_or_matrix,
    check_k,
    check_packed,
    check_positive_int,
    check_same_dims,
)

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
    "BinaryIndex",
    "search_int8",
    "rescore",
    "nbytes_per_vector",
    "size_table",
]

#: Precision names understood by :func:`nbytes_per_vector` and listed by :func:`size_table`.
PRECISIONS = ("float64", "float32", "int8", "binary")
_METRICS = ("dot", "cosine")
# Working memory allowed for the temporary arrays of one chunk (queries or index rows) in a scan.
_CHUNK_BYTES = 32 * 2**20
# Threads for large Hamming scans (numpy releases the GIL inside ufuncs), and the least work, in
# query x code comparisons, worth starting them for: notebook-sized searches stay on one thread.
_THREADS = os.cpu_count() or 1
_MIN_THREADED_COMPARISONS = 4_000_000
# Bytes of the XOR buffer per tile of a Hamming scan (see _hamming_block), and the fewest columns a tile
# may have (narrower tiles cost more in numpy calls than they save in cache misses).
_TILE_BYTES = 2 * 2**20
_MIN_TILE_COLUMNS = 8192
# Float matrices already proven finite, by id: (weak reference, data address, shape, strides); see
# _as_float_matrix. Bounded: the oldest entry goes first.
_FINITE_CHECKED: dict[int, tuple[Any, int, tuple, tuple]] = {}
_FINITE_CHECKED_MAX = 8


# --------------------------------------------------------------------------------------------------
# Small private helpers
# --------------------------------------------------------------------------------------------------


def _rows_per_chunk(bytes_per_row: int) -> int:
    """How many rows fit in the working-memory budget (at least one)."""
    return max(1, _CHUNK_BYTES // max(1, bytes_per_row))


def _check_metric(metric: Any) -> str:
    if metric not in _METRICS:
        raise ValueError(f"metric={metric!r} is not supported: use one of {', '.join(map(repr, _METRICS))}")
    return metric


def _check_nonzero_norms(norms: np.ndarray, name: str, rows: np.ndarray | None = None) -> None:
    """Cosine needs a direction: raise (same wording as vectorlab.search) if any norm is zero."""
    zero = np.flatnonzero(norms.ravel() == 0)
    if zero.size:
        row = int(zero[0]) if rows is None else int(rows.ravel()[zero[0]])
        raise ValueError(
            f"cosine similarity is undefined for a zero vector (row {row} of {name}): "
            "remove it or use metric='dot'"
        )


def _as_float_matrix(vectors: Any, name: str) -> np.ndarray:
    """``as_matrix`` with a fast path for an already float32 matrix whose finite sum proves it finite.

    Avoids allocating a boolean copy of a large index on every call; anything else gets the full check.
    A float32 matrix that passed is remembered (by identity, through a weak reference, with its data
    address, shape and strides), so calling again with the same live array skips even the sum, a pass
    over the whole index: rescoring 40 candidates should not read 100,000 vectors. Callers still check
    the rows they actually use (see :func:`rescore`), so a value changed in place afterwards can never
    reach a result unnoticed.
    """
    if isinstance(vectors, np.ndarray) and vectors.dtype == np.float32 and vectors.ndim == 2 and vectors.size:
        signature = (vectors.__array_interface__["data"][0], vectors.shape, vectors.strides)
        entry = _FINITE_CHECKED.get(id(vectors))
        if entry is not None and entry[0]() is vectors and entry[1:] == signature:
            return vectors
        if np.isfinite(vectors.sum()):
            try:
                reference = weakref.ref(vectors)
            except TypeError:  # pragma: no cover - every ndarray supports weak references
                return vectors
            _FINITE_CHECKED.pop(id(vectors), None)
            while len(_FINITE_CHECKED) >= _FINITE_CHECKED_MAX:
                _FINITE_CHECKED.pop(next(iter(_FINITE_CHECKED)))
            _FINITE_CHECKED[id(vectors)] = (reference, *signature)
            return vectors
    return as_matrix(vectors, name)


def _kth_smallest_small_ints(values: np.ndarray, k: int, max_value: int) -> np.ndarray:
    """Each row's k-th smallest value for non-negative integers <= max_value, by a per-row histogram.

    Faster than a partition for Hamming distances, which take only ``bits + 1`` different values.
    """
    n_rows = values.shape[0]
    n_bins = max_value + 1
    binned = values.astype(np.intp) + (np.arange(n_rows, dtype=np.intp) * n_bins)[:, np.newaxis]
    counts = np.bincount(binned.ravel(), minlength=n_rows * n_bins).reshape(n_rows, n_bins)
    return (np.cumsum(counts, axis=1) < k).sum(axis=1).astype(values.dtype)


def _check_ranges(ranges: Any, dims: int) -> tuple[np.ndarray, np.ndarray]:
    """Validate int8 ranges of shape (2, dims); return (low, high) as float32 rows."""
    array = np.asarray(ranges) if not isinstance(ranges, (str, bytes)) else None
    if array is None or array.dtype.kind not in "fiu":
        raise TypeError(f"ranges must be a numeric array of shape (2, {dims}) from int8_ranges, got "
                        f"{_describe(ranges)}")
    if array.shape != (2, dims):
        raise ValueError(
            f"ranges must have shape (2, {dims}) (row 0 = min, row 1 = max per dimension), got shape "
            f"{array.shape}: build them with int8_ranges(calibration) on vectors of the same dims"
        )
    array = array.astype(np.float32, copy=False)
    if not np.isfinite(array).all():
        raise ValueError("ranges contain NaN or infinity: rebuild them with int8_ranges(calibration)")
    low, high = array
    if (low > high).any():
        dim = int(np.argmax(low > high))
        raise ValueError(
            f"ranges row 0 (min) exceeds row 1 (max) at dimension {dim} ({low[dim]} > {high[dim]}): "
            "row 0 must hold the minimums, row 1 the maximums"
        )
    return low, high


def _bucket_width(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Width of one of the 256 buckets per dimension (0 for a constant dimension)."""
    return ((high - low) / np.float32(256)).astype(np.float32)


def _check_same_code_length(a: np.ndarray, b: np.ndarray, a_name: str, b_name: str) -> None:
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(
            f"{a_name} has {a.shape[-1]} bytes per code, {b_name} has {b.shape[-1]}: both must come from "
            "quantize_binary on vectors with the same number of dims"
        )


def _as_words(codes: np.ndarray) -> np.ndarray:
    """View packed codes (n, n_bytes) as (n, n_words) machine words for a faster XOR + popcount.

    The bytes are read as uint64 words (384 bits = 6 words) for ``np.bitwise_count``, zero-padded to a
    multiple of 8 bytes (zero padding adds no differing bits).
    """
    n_bytes = codes.shape[1]
    padded_bytes = -(-n_bytes // 8) * 8
    if padded_bytes != n_bytes:
        codes = np.pad(codes, ((0, 0), (0, padded_bytes - n_bytes)))
    return np.ascontiguousarray(codes).view(np.uint64)


def _hamming_block(query_words: np.ndarray, index_words_t: np.ndarray, n_bits: int) -> np.ndarray:
    """Hamming distances (n_queries, n_index) from words: XOR, popcount, summed over the words.

    The Python loop runs over the few word positions of a code (6 for 384 bits), never over vectors:
    each step XORs one word of every query with the same word of every index code, a row of
    ``index_words_t`` (n_words, n_index), which is faster than one 3-D array summed on its last axis.
    The rows are read fastest when ``index_words_t`` is contiguous; a transposed view works too (for a
    single query that beats copying the index into that layout). The XOR and popcount go into two
    buffers reused for every word rather than into new arrays.
    """
    acc_dtype = np.uint16 if n_bits <= np.iinfo(np.uint16).max else np.uint32
    n_queries, n_index = query_words.shape[0], index_words_t.shape[1]
    acc = np.empty((n_queries, n_index), dtype=acc_dtype)
    # Tiles of index columns small enough that the XOR buffer stays in cache across the word loop: a
    # batch reads it (n_words x 3) times, which from memory made batched scans memory-bound. A single
    # query's buffer fits whole, and tiling it would only add numpy calls.
    tile = min(n_index, max(_MIN_TILE_COLUMNS, _TILE_BYTES // (8 * max(n_queries, 1))))
    xor = np.empty((n_queries, tile), dtype=index_words_t.dtype)
    counts = np.empty((n_queries, tile), dtype=np.uint8)
    for start in range(0, n_index, tile):  # tiles of the index: a few dozen at most, not a loop over vectors
        stop = min(start + tile, n_index)
        width = stop - start
        tile_xor, tile_counts, tile_acc = xor[:, :width], counts[:, :width], acc[:, start:stop]
        for word in range(index_words_t.shape[0]):
            np.bitwise_xor(query_words[:, word, np.newaxis], index_words_t[word, start:stop], out=tile_xor)
            np.bitwise_count(tile_xor, out=tile_counts)
            if word == 0:
                np.copyto(tile_acc, tile_counts)
            else:
                np.add(tile_acc, tile_counts, out=tile_acc)
    return acc


# --------------------------------------------------------------------------------------------------
# int8 scalar quantization
# --------------------------------------------------------------------------------------------------


def int8_ranges(calibration: Any, per_dimension: bool = True) -> np.ndarray:
    """Min and max of the calibration vectors, shape ``(2, dims)``: row 0 = min, row 1 = max.

    Parameters
    ----------
    calibration:
        ``(n, dims)`` vectors representative of what you will quantize (often the corpus itself).
    per_dimension:
        ``True`` (default): each dimension gets its own min/max, as sentence-transformers does.
        ``False``: the single global min and max of all values, repeated for every dimension
        (the simpler version shown in the talk; wastes buckets on narrow dimensions).

    >>> int8_ranges([[0.0, -2.0], [1.0, 3.0]])
    array([[ 0., -2.],
           [ 1.,  3.]], dtype=float32)
    >>> int8_ranges([[0.0, -2.0], [1.0, 3.0]], per_dimension=False)
    array([[-2., -2.],
           [ 3.,  3.]], dtype=float32)
    """
    calibration = as_matrix(calibration, "calibration")
    if per_dimension:
        return np.stack([calibration.min(axis=0), calibration.max(axis=0)]).astype(np.float32)
    dims = calibration.shape[1]
    return np.stack([np.full(dims, calibration.min()), np.full(dims, calibration.max())]).astype(np.float32)


def quantize_int8(vectors: Any, ranges: Any) -> np.ndarray:
    """Map each value onto one of 256 equal buckets of its dimension's ``[min, max]``: int8 codes -128..127.

    Bucket ``b`` of a dimension covers ``[min + b * w, min + (b + 1) * w)`` with ``w = (max - min) / 256``;
    the code is ``b - 128``, so ``min`` maps to -128 and ``max`` to 127. Values outside the calibration
    range are **clipped** to it first (below min -> -128, above max -> 127): pick calibration data that
    covers what you quantize. A dimension with ``max == min`` maps every value to -128.

    Parameters
    ----------
    vectors:
        One vector ``(dims,)`` or a batch ``(n, dims)``; the output has the same shape.
    ranges:
        ``(2, dims)`` min/max rows from :func:`int8_ranges`.

    >>> ranges = np.array([[-1.0, -1.0, -1.0], [1.0, 1.0, 1.0]])
    >>> quantize_int8([-1.0, 0.0, 1.0], ranges)
    array([-128,    0,  127], dtype=int8)
    >>> quantize_int8([[-5.0, 0.5, 5.0]], ranges)  # out of range: clipped
    array([[-128,   64,  127]], dtype=int8)
    """
    matrix, single = as_vector_or_matrix(vectors, "vectors")
    low, high = _check_ranges(ranges, matrix.shape[1])
    width = _bucket_width(low, high)
    safe_width = np.where(width > 0, width, np.float32(1))
    buckets = np.floor((np.clip(matrix, low, high) - low) / safe_width)
    codes = (np.clip(buckets, 0, 255) - 128).astype(np.int8)
    return codes[0] if single else codes


def dequantize_int8(codes: Any, ranges: Any) -> np.ndarray:
    """Turn int8 codes back into float32: the centre of each code's bucket (``min`` for constant dims).

    The round trip ``dequantize_int8(quantize_int8(x, r), r)`` is within half a bucket width of ``x``
    clipped to the range.

    >>> ranges = np.array([[-1.0, 0.0], [1.0, 0.0]])
    >>> dequantize_int8(np.array([-128, 5], dtype=np.int8), ranges)
    array([-0.99609375,  0.        ], dtype=float32)
    """
    if not isinstance(codes, np.ndarray) or codes.dtype != np.int8:
        raise TypeError(f"codes must be an int8 array from quantize_int8, got {_describe(codes)}")
    if codes.size == 0:
        raise ValueError("codes is empty: pass at least one code")
    if codes.ndim not in (1, 2):
        raise ValueError(f"codes must be one code (dims,) or a batch (n, dims), got {_describe(codes)}")
    low, high = _check_ranges(ranges, codes.shape[-1])
    width = _bucket_width(low, high)
    return (low + (codes.astype(np.float32) + np.float32(128.5)) * width).astype(np.float32)


# --------------------------------------------------------------------------------------------------
# Binary quantization
# --------------------------------------------------------------------------------------------------


_STATISTICS = ("mean", "median")


def binary_threshold(calibration: Any, statistic: str = "mean") -> np.ndarray:
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
    if not isinstance(statistic, str) or statistic not in _STATISTICS:
        raise ValueError(f"statistic must be 'mean' or 'median', got {statistic!r}")
    matrix = as_matrix(calibration, "calibration")
    if statistic == "median":
        return np.median(matrix, axis=0).astype(np.float32)
    return matrix.mean(axis=0, dtype=np.float64).astype(np.float32)


def random_rotation(dims: int, seed: int = 0) -> np.ndarray:
    """A fixed random orthogonal ``(dims, dims)`` float32 matrix ``R``, to rotate vectors before binarizing.

    Rotate the vectors and the queries alike (``vectors @ R``, ``query @ R``), take thresholds on the
    rotated calibration data, then quantize. A rotation spreads each original dimension over all the
    bits and preserves dot products and lengths, so it keeps all the float information: rescore with
    the original (unrotated) vectors. Drawn uniformly (QR of a Gaussian matrix, signs fixed), the same
    for the same ``dims`` and ``seed``.

    >>> R = random_rotation(4, seed=1)
    >>> bool(np.allclose(R @ R.T, np.eye(4), atol=1e-6))
    True
    """
    dims = check_positive_int(dims, "dims")
    gaussian = np.random.default_rng(seed).standard_normal((dims, dims))
    q, r = np.linalg.qr(gaussian)
    q *= np.where(np.diag(r) < 0, -1.0, 1.0)  # unique, uniformly distributed (Haar) rotation
    return q.astype(np.float32)


def quantize_binary(vectors: Any, threshold: float | str | Any = 0.0) -> np.ndarray:
    """One bit per dimension, ``1`` where the value is strictly above the threshold, packed 8 per byte.

    Parameters
    ----------
    vectors:
        One vector ``(dims,)`` -> ``(ceil(dims / 8),)`` uint8, or a batch ``(n, dims)`` ->
        ``(n, ceil(dims / 8))`` uint8. Packing is ``np.packbits(bits, axis=-1)``: dimension 0 is the
        highest bit of byte 0, and the last byte is zero-padded when dims is not a multiple of 8.
    threshold:
        - a number (default ``0.0``, as sentence-transformers): bit = ``value > threshold``;
        - an array of shape ``(dims,)``: one threshold per dimension, e.g. :func:`binary_threshold`;
        - ``"mean"``: each vector's **own** mean over its dimensions (the talk's "1 if above the
          mean"), so bit = ``value > vector.mean()`` and every vector keeps a similar share of ones.

    >>> quantize_binary([0.5, -0.2, 0.1, -0.3, 0.9, 0.0, -1.0, 0.2])  # bits 10101001
    array([169], dtype=uint8)
    >>> quantize_binary([[0.1, 0.2, 0.3, 0.4]], threshold="mean")  # mean 0.25 -> bits 0011, padded
    array([[48]], dtype=uint8)
    """
    matrix, single = as_vector_or_matrix(vectors, "vectors")
    dims = matrix.shape[1]
    if isinstance(threshold, str):
        if threshold != "mean":
            raise ValueError(
                f"threshold={threshold!r} is not understood: use a number, an array of shape ({dims},) "
                "or the string 'mean' (each vector's own mean)"
            )
        cut = matrix.mean(axis=1, keepdims=True, dtype=np.float64).astype(np.float32)
    elif np.ndim(threshold) == 0:
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.integer, np.floating)):
            raise TypeError(f"threshold must be a number, an array or 'mean', got {_describe(threshold)}")
        if not math.isfinite(threshold):
            raise ValueError(f"threshold must be finite, got {threshold}")
        cut = np.float32(threshold)
    else:
        cut, single_threshold = as_vector_or_matrix(threshold, "threshold")
        if not single_threshold or cut.shape[1] != dims:
            raise ValueError(
                f"a threshold array must have one value per dimension, shape ({dims},), got shape "
                f"{np.shape(threshold)}: use binary_threshold(calibration)"
            )
    codes = np.packbits(matrix > cut, axis=-1)
    return codes[0] if single else codes


def unpack_binary(codes: Any, dims: int) -> np.ndarray:
    """Unpack codes back to a 0/1 uint8 array with ``dims`` columns (drops the padding bits).

    Handy for bar charts of the bits.

    >>> unpack_binary(np.array([169], dtype=np.uint8), 8)
    array([1, 0, 1, 0, 1, 0, 0, 1], dtype=uint8)
    """
    single = isinstance(codes, np.ndarray) and codes.ndim == 1
    matrix = check_packed(codes, "codes")
    dims = check_positive_int(dims, "dims")
    n_bytes = matrix.shape[1]
    if not 8 * (n_bytes - 1) < dims <= 8 * n_bytes:
        raise ValueError(
            f"dims={dims} does not fit codes of {n_bytes} bytes: {n_bytes} bytes hold between "
            f"{8 * (n_bytes - 1) + 1} and {8 * n_bytes} dims; pass the vectors' original number of dims"
        )
    bits = np.unpackbits(matrix, axis=-1, count=dims)
    return bits[0] if single else bits


def hamming_distance(a: Any, b: Any) -> np.ndarray:
    """Number of differing bits between packed codes (XOR, then popcount, summed over the bytes).

    Shapes: ``a (B,)`` and ``b (B,)`` -> a scalar; one vs many ``(B,)`` and ``(n, B)`` -> ``(n,)``
    (either order); many vs many ``(m, B)`` and ``(n, B)`` -> the full ``(m, n)`` matrix, computed
    ``a``-rows in chunks so temporaries stay bounded. Result dtype int32.

    >>> hamming_distance(np.array([0b1111], dtype=np.uint8), np.array([0b0101], dtype=np.uint8))
    np.int32(2)
    """
    a_single = isinstance(a, np.ndarray) and a.ndim == 1
    b_single = isinstance(b, np.ndarray) and b.ndim == 1
    a_matrix = check_packed(a, "a")
    b_matrix = check_packed(b, "b")
    _check_same_code_length(a_matrix, b_matrix, "a", "b")
    n_bits = 8 * a_matrix.shape[1]
    a_words = _as_words(a_matrix)
    b_words_t = np.ascontiguousarray(_as_words(b_matrix).T)
    out = np.empty((a_matrix.shape[0], b_matrix.shape[0]), dtype=np.int32)
    # per a-row: the XOR words (8 bytes), popcounts (1) and accumulator (2-4) for every b-row
    chunk = _rows_per_chunk(16 * b_matrix.shape[0])
    for start in range(0, a_matrix.shape[0], chunk):
        out[start : start + chunk] = _hamming_block(a_words[start : start + chunk], b_words_t, n_bits)
    if a_single and b_single:
        return out[0, 0]
    if a_single:
        return out[0]
    if b_single:
        return out[:, 0]
    return out


def _search_words(query_words: np.ndarray, index_words_t: np.ndarray, n_bits: int,
                  k: int) -> tuple[np.ndarray, np.ndarray]:
    """The Hamming top-k of every query against codes laid out as words (see :func:`_hamming_block`).

    Chunks of queries are independent: a large batch spreads them over ``_THREADS`` threads (numpy
    releases the GIL in its loops); each chunk writes its own rows of the result, so results do not
    depend on the number of threads.
    """
    n_queries, n_index = query_words.shape[0], index_words_t.shape[1]
    indices = np.empty((n_queries, k), dtype=np.int64)
    distances = np.empty((n_queries, k), dtype=np.int32)
    grouped = group_size(n_index, k) is not None
    threads = min(_THREADS, n_queries) if n_queries * n_index >= _MIN_THREADED_COMPARISONS else 1
    # per query row: XOR words (8 bytes), popcounts (1), distances (2), selection temporaries per code
    chunk = min(_rows_per_chunk(20 * n_index), -(-n_queries // threads))

    def search_chunk(start: int) -> None:
        block = _hamming_block(query_words[start : start + chunk], index_words_t, n_bits)
        if grouped:
            positions, values = smallest_k(block, k)
        else:
            positions, values = smallest_k_with_kth(block, k, _kth_smallest_small_ints(block, k, n_bits))
        indices[start : start + chunk] = positions
        distances[start : start + chunk] = values

    starts = range(0, n_queries, chunk)
    if threads > 1:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(search_chunk, starts))  # list(): re-raises any error of a chunk
    else:
        for start in starts:
            search_chunk(start)
    return indices, distances


def search_binary(query_codes: Any, index_codes: Any, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Exhaustive Hamming search: the ``k`` nearest codes, smallest distance first, ties -> lower index.

    Parameters
    ----------
    query_codes:
        One code ``(B,)`` -> results of shape ``(k,)``; a batch ``(m, B)`` -> ``(m, k)``.
    index_codes:
        ``(n, B)`` packed codes from :func:`quantize_binary`.
    k:
        Number of neighbours, ``1 <= k <= n``. For rescoring ask for more (e.g. ``4 * k``).

    Returns ``(indices, distances)``: int64 row numbers of ``index_codes`` and int32 Hamming distances.
    Queries are processed in chunks; the codes are compared as uint64 words (XOR + ``np.bitwise_count``),
    and the top k is selected from the few groups of codes whose smallest distance can make the top k
    (or, for small indexes, with a per-row histogram of distances), never with a full sort.
    For many single-query searches of the same codes, :class:`BinaryIndex` is about twice as fast.

    >>> index = np.array([[0b1111], [0b0000], [0b0111], [0b0111]], dtype=np.uint8)
    >>> search_binary(np.array([0b0111], dtype=np.uint8), index, k=3)
    (array([2, 3, 0]), array([0, 0, 1], dtype=int32))
    """
    single = isinstance(query_codes, np.ndarray) and query_codes.ndim == 1
    queries = check_packed(query_codes, "query_codes")
    index = check_packed(index_codes, "index_codes")
    _check_same_code_length(queries, index, "query_codes", "index_codes")
    k = check_k(k, index.shape[0], "codes in the index")
    index_words = _as_words(index)
    # The scan reads word j of every code in turn. A batch amortizes copying the index into that
    # layout; a single query reads the rows in place (strided), which is cheaper than the copy.
    index_words_t = index_words.T if queries.shape[0] == 1 else np.ascontiguousarray(index_words.T)
    indices, distances = _search_words(_as_words(queries), index_words_t, 8 * index.shape[1], k)
    if single:
        return indices[0], distances[0]
    return indices, distances


class BinaryIndex:
    """Packed binary codes stored the way the Hamming scan reads them, for repeated searches.

    :func:`search_binary` takes codes as ``(n, B)`` rows but scans them one 64-bit word position at a
    time across all codes, i.e. transposed. It either copies the index into that layout on every call
    (for a batch of queries, where the copy is cheap next to the scan) or reads the rows in place (one
    query), about twice as slow as the scan itself. A ``BinaryIndex`` makes that copy once, as faiss's
    ``IndexBinaryFlat`` keeps its own copy of the codes, and then answers exactly like
    ``search_binary(query_codes, codes, k)``. It holds the same number of bytes as the codes (rounded up
    to whole 8-byte words per code) and never changes if the original array is modified later.

    >>> codes = np.array([[0b1111], [0b0000], [0b0111], [0b0111]], dtype=np.uint8)
    >>> index = BinaryIndex(codes)
    >>> index.search(np.array([0b0111], dtype=np.uint8), k=3)
    (array([2, 3, 0]), array([0, 0, 1], dtype=int32))
    >>> len(index)
    4
    """

    def __init__(self, codes: Any) -> None:
        matrix = check_packed(codes, "codes")
        self.code_bytes = int(matrix.shape[1])
        self._words_t = np.ascontiguousarray(_as_words(matrix).T)
        self._words_t.flags.writeable = False

    def __len__(self) -> int:
        return int(self._words_t.shape[1])

    def __repr__(self) -> str:
        return f"BinaryIndex(len={len(self)}, bits={8 * self.code_bytes})"

    @property
    def nbytes(self) -> int:
        """Bytes held by the index (``len * ceil(code_bytes / 8) * 8``; 48 per 384-bit code)."""
        return int(self._words_t.nbytes)

    def search(self, query_codes: Any, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest codes to each query code, as :func:`search_binary` returns them."""
        single = isinstance(query_codes, np.ndarray) and query_codes.ndim == 1
        queries = check_packed(query_codes, "query_codes")
        if queries.shape[1] != self.code_bytes:
            raise ValueError(
                f"query_codes has {queries.shape[1]} bytes per code, the index has {self.code_bytes}: both "
                "must come from quantize_binary on vectors with the same number of dims"
            )
        k = check_k(k, len(self), "codes in the index")
        indices, distances = _search_words(_as_words(queries), self._words_t, 8 * self.code_bytes, k)
        if single:
            return indices[0], distances[0]
        return indices, distances


# --------------------------------------------------------------------------------------------------
# int8 search and rescoring
# --------------------------------------------------------------------------------------------------


def search_int8(
    query: Any, index_codes: Any, ranges: Any, k: int = 10, metric: str = "dot"
) -> tuple[np.ndarray, np.ndarray]:
    """Score float queries against int8 codes as if dequantized; the ``k`` best, highest score first.

    The score is exactly ``query @ dequantize_int8(code, ranges)`` but the float index is never built:
    with ``w = (max - min) / 256`` the dequantized value is ``min + (code + 128.5) * w``, so

        ``score = code @ (query * w) + query @ (min + 128.5 * w)``

    i.e. one float32 matrix product with the codes (converted in blocks of index rows to bound memory)
    plus a per-query constant. ``metric="cosine"`` further divides by both norms (the dequantized
    vectors' norms are computed per block; a zero query is an error). Ties are broken by lower index.

    Parameters
    ----------
    query:
        One float vector ``(dims,)`` -> results ``(k,)``, or a batch ``(m, dims)`` -> ``(m, k)``.
    index_codes:
        ``(n, dims)`` int8 codes from :func:`quantize_int8` with the same ``ranges``.
    ranges:
        ``(2, dims)`` from :func:`int8_ranges`.
    k:
        Number of results, ``1 <= k <= n``.
    metric:
        ``"dot"`` (default; equals cosine for unit-length embeddings) or ``"cosine"``.

    >>> ranges = np.array([[-1.0, -1.0], [1.0, 1.0]])
    >>> codes = quantize_int8([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]], ranges)
    >>> indices, scores = search_int8([0.0, 1.0], codes, ranges, k=2)
    >>> indices
    array([1, 0])
    """
    metric = _check_metric(metric)
    queries, single = as_vector_or_matrix(query, "query")
    if not isinstance(index_codes, np.ndarray) or index_codes.dtype != np.int8:
        raise TypeError(f"index_codes must be an int8 array from quantize_int8, got {_describe(index_codes)}")
    if index_codes.ndim != 2 or index_codes.size == 0:
        raise ValueError(f"index_codes must be a non-empty (n, dims) array, got {_describe(index_codes)}")
    check_same_dims(queries, index_codes, "query", "index_codes")
    low, high = _check_ranges(ranges, index_codes.shape[1])
    k = check_k(k, index_codes.shape[0], "codes in the index")
    width = _bucket_width(low, high)
    offset = low + np.float32(128.5) * width  # dequantized value of code 0 is offset; each step adds width

    n_queries, dims = queries.shape
    query_chunk = min(n_queries, 256)
    index_chunk = _rows_per_chunk(4 * (2 * dims + query_chunk))
    best_indices = np.empty((n_queries, k), dtype=np.int64)
    best_scores = np.empty((n_queries, k), dtype=np.float32)
    for q_start in range(0, n_queries, query_chunk):
        q = queries[q_start : q_start + query_chunk]
        scaled_t = (q * width).T  # (dims, q)
        constant = q @ offset  # (q,)
        if metric == "cosine":
            q_norms = np.linalg.norm(q, axis=1)
            _check_nonzero_norms(q_norms, "query", np.arange(q_start, q_start + q.shape[0]))
        kept_ids = np.empty((q.shape[0], 0), dtype=np.int64)
        kept_scores = np.empty((q.shape[0], 0), dtype=np.float32)
        for i_start in range(0, index_codes.shape[0], index_chunk):
            block = index_codes[i_start : i_start + index_chunk].astype(np.float32)
            scores = (block @ scaled_t).T + constant[:, np.newaxis]  # (q, block)
            if metric == "cosine":
                block_norms = np.linalg.norm(block * width + offset, axis=1)
                _check_nonzero_norms(block_norms, "the dequantized index_codes",
                                     np.arange(i_start, i_start + block.shape[0]))
                scores = scores / (q_norms[:, np.newaxis] * block_norms)
            take = min(k, block.shape[0])
            positions, negated = smallest_k(-scores, take)
            # keep the running best k: merge with this block's best, sort by (score desc, index asc)
            ids = np.concatenate([kept_ids, positions + i_start], axis=1)
            values = np.concatenate([kept_scores, -negated], axis=1)
            order = np.lexsort((ids, -values), axis=1)[:, :k]
            kept_ids = np.take_along_axis(ids, order, axis=1)
            kept_scores = np.take_along_axis(values, order, axis=1)
        best_indices[q_start : q_start + query_chunk] = kept_ids
        best_scores[q_start : q_start + query_chunk] = kept_scores
    if single:
        return best_indices[0], best_scores[0]
    return best_indices, best_scores


def rescore(
    query: Any, candidates: Any, original_vectors: Any, k: int = 10, metric: str = "dot"
) -> tuple[np.ndarray, np.ndarray]:
    """Re-rank candidate rows with the original float vectors; the ``k`` best, highest score first.

    The second half of "oversample, then rescore": a compressed search (``search_binary`` or
    ``search_int8``) returns, say, ``4 * k`` candidates cheaply, and this function scores just those
    with full precision.

    Parameters
    ----------
    query:
        One float vector ``(dims,)`` with ``candidates`` of shape ``(c,)``, or a batch ``(m, dims)``
        with ``candidates`` of shape ``(m, c)`` (one row of candidates per query).
    candidates:
        Integer row numbers of ``original_vectors``, without repeats within a row.
    original_vectors:
        ``(n, dims)`` float vectors the codes were made from.
    k:
        Results to return, ``1 <= k <= c``.
    metric:
        ``"dot"`` (default) or ``"cosine"`` (a zero query or candidate vector is an error, as in
        ``vectorlab.search``).

    Returns ``(indices, scores)``: row numbers of ``original_vectors`` (int64) and float32 scores,
    shape ``(k,)`` or ``(m, k)``; ties are broken by lower index.

    >>> vectors = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    >>> rescore([0.0, 1.0], [0, 2, 1], vectors, k=2)
    (array([1, 2]), array([1. , 0.8], dtype=float32))
    """
    metric = _check_metric(metric)
    queries, single = as_vector_or_matrix(query, "query")
    originals = _as_float_matrix(original_vectors, "original_vectors")
    check_same_dims(queries, originals, "query", "original_vectors")
    candidates = _check_candidates(candidates, single, queries.shape[0], originals.shape[0])
    n_candidates = candidates.shape[1]
    k = check_k(k, n_candidates, "candidates per query available")

    n_queries, dims = queries.shape
    chunk = _rows_per_chunk(4 * n_candidates * (dims + 2))
    out_indices = np.empty((n_queries, k), dtype=np.int64)
    out_scores = np.empty((n_queries, k), dtype=np.float32)
    for start in range(0, n_queries, chunk):
        ids = candidates[start : start + chunk]
        q = queries[start : start + chunk]
        gathered = originals[ids]  # (q, c, dims)
        with np.errstate(invalid="ignore", over="ignore"):
            scores = np.einsum("qcd,qd->qc", gathered, q)
        if not np.isfinite(scores).all():
            # NaN/inf in a candidate row (perhaps written after an earlier call proved the array
            # finite, see _as_float_matrix) makes its score non-finite: report it precisely.
            as_matrix(originals, "original_vectors")
        if metric == "cosine":
            candidate_norms = np.linalg.norm(gathered, axis=2)
            query_norms = np.linalg.norm(q, axis=1)
            _check_nonzero_norms(query_norms, "query", np.arange(start, start + q.shape[0]))
            _check_nonzero_norms(candidate_norms, "original_vectors", ids)
            scores = scores / (candidate_norms * query_norms[:, np.newaxis])
        order = np.lexsort((ids, -scores), axis=1)[:, :k]
        out_indices[start : start + chunk] = np.take_along_axis(ids, order, axis=1)
        out_scores[start : start + chunk] = np.take_along_axis(scores, order, axis=1)
    if single:
        return out_indices[0], out_scores[0]
    return out_indices, out_scores


def _check_candidates(candidates: Any, single: bool, n_queries: int, n_rows: int) -> np.ndarray:
    """Validate candidate row numbers for :func:`rescore`; return them as a 2-D int64 array."""
    array = np.asarray(candidates) if not isinstance(candidates, (str, bytes)) else np.asarray([])
    if array.dtype.kind not in "iu":
        if array.dtype.kind == "f":
            hint = ": pass the indices returned by the search, not its distances or scores"
        else:
            hint = ""
        raise TypeError(f"candidates must be integer row numbers, got {_describe(array)}{hint}")
    if array.size == 0:
        raise ValueError("candidates is empty: pass at least one candidate index per query")
    expected = "(c,)" if single else f"({n_queries}, c)"
    if (single and array.ndim != 1) or (not single and (array.ndim != 2 or array.shape[0] != n_queries)):
        raise ValueError(
            f"candidates must have shape {expected} for a query of this shape (one row of candidates "
            f"per query), got shape {array.shape}"
        )
    array = array.astype(np.int64, copy=False).reshape(-1, array.shape[-1])
    bad = (array < 0) | (array >= n_rows)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise IndexError(
            f"candidate {int(array[row, col])} (row {row}, position {col}) is out of range for "
            f"original_vectors with {n_rows} rows: candidates must be row numbers 0..{n_rows - 1} "
            "(faiss pads missing results with -1: ask for fewer candidates)"
        )
    ordered = np.sort(array, axis=1)
    repeated = ordered[:, 1:] == ordered[:, :-1]
    if repeated.any():
        row, col = (int(i) for i in np.argwhere(repeated)[0])
        raise ValueError(
            f"candidates repeat index {int(ordered[row, col])} in row {row}: each candidate must appear "
            "once per query"
        )
    return array


# --------------------------------------------------------------------------------------------------
# Sizes
# --------------------------------------------------------------------------------------------------


def nbytes_per_vector(dims: int, precision: str) -> int:
    """Bytes to store one vector of ``dims`` values at ``precision`` (binary: ``ceil(dims / 8)``).

    >>> [nbytes_per_vector(384, p) for p in PRECISIONS]
    [3072, 1536, 384, 48]
    """
    dims = check_positive_int(dims, "dims")
    if precision not in PRECISIONS:
        raise ValueError(f"precision={precision!r} is not known: use one of {', '.join(PRECISIONS)}")
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
    sample = np.random.default_rng(0).standard_normal((1, dims)).astype(np.float32)
    encoded = {
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
