"""The Hamming scan behind ``search_binary`` and ``hamming_distance`` (a private kernel; inputs already checked).

Speed tricks, each measured against faiss ``IndexBinaryFlat`` in ``benchmarks/bench_binary.py``:

* codes are read as uint64 words (384 bits = 6 words) for ``np.bitwise_count``;
* the index is scanned one word position at a time across all codes (a transposed layout), XOR and
  popcount going into two buffers reused for every word;
* a batch scans the index in tiles of columns whose XOR buffer stays in cache (1.8x faster batches on a
  machine with slow memory);
* large batches spread chunks of queries over threads (numpy releases the GIL in its loops);
* the top k comes from :mod:`vectorlab._kernels.topk`, or for small indexes from a per-row histogram of
  distances (a Hamming distance takes only ``bits + 1`` values).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt

from vectorlab._kernels.topk import group_size, smallest_k, smallest_k_with_kth

__all__ = ["as_words", "hamming_block", "hamming_matrix", "search_words", "rows_per_chunk"]

# Working memory allowed for the temporary arrays of one chunk (queries or index rows) in a scan.
CHUNK_BYTES = 32 * 2**20
# Threads for large scans, and the least work, in query x code comparisons, worth starting them for:
# notebook-sized searches stay on one thread. The benchmarks set THREADS to their --threads.
THREADS = os.cpu_count() or 1
MIN_THREADED_COMPARISONS = 4_000_000
# Bytes of the XOR buffer per tile of a scan, and the fewest columns a tile may have (narrower tiles
# cost more in numpy calls than they save in cache misses).
TILE_BYTES = 2 * 2**20
MIN_TILE_COLUMNS = 8192

Words = npt.NDArray[np.uint64]


def rows_per_chunk(bytes_per_row: int) -> int:
    """How many rows fit in the working-memory budget (at least one)."""
    return max(1, CHUNK_BYTES // max(1, bytes_per_row))


def as_words(codes: npt.NDArray[np.uint8]) -> Words:
    """View packed codes ``(n, n_bytes)`` as ``(n, n_words)`` uint64, zero-padded to whole words.

    Zero padding adds no differing bits, so distances are unchanged.
    """
    n_bytes = codes.shape[1]
    padded_bytes = -(-n_bytes // 8) * 8
    if padded_bytes != n_bytes:
        codes = np.pad(codes, ((0, 0), (0, padded_bytes - n_bytes)))
    words: Words = np.ascontiguousarray(codes).view(np.uint64)
    return words


def hamming_block(query_words: Words, index_words_t: Words, n_bits: int) -> np.ndarray:
    """Hamming distances ``(n_queries, n_index)``: XOR, popcount, summed over the words of a code.

    ``index_words_t`` is ``(n_words, n_index)``, fastest when contiguous (a transposed view works too,
    which for a single query beats copying the index). The Python loops run over tiles and the few word
    positions of a code (6 for 384 bits), never over vectors.
    """
    acc_dtype = np.uint16 if n_bits <= np.iinfo(np.uint16).max else np.uint32
    n_queries, n_index = query_words.shape[0], index_words_t.shape[1]
    acc = np.empty((n_queries, n_index), dtype=acc_dtype)
    # A single query's buffer fits in cache whole; tiling it would only add numpy calls.
    tile = min(n_index, max(MIN_TILE_COLUMNS, TILE_BYTES // (8 * max(n_queries, 1))))
    xor = np.empty((n_queries, tile), dtype=index_words_t.dtype)
    counts = np.empty((n_queries, tile), dtype=np.uint8)
    for start in range(0, n_index, tile):
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


def hamming_matrix(a: npt.NDArray[np.uint8], b: npt.NDArray[np.uint8]) -> npt.NDArray[np.int32]:
    """All distances between the codes ``a (m, B)`` and ``b (n, B)`` as int32 ``(m, n)``, in bounded chunks."""
    n_bits = 8 * a.shape[1]
    a_words = as_words(a)
    b_words_t = np.ascontiguousarray(as_words(b).T)
    out = np.empty((a.shape[0], b.shape[0]), dtype=np.int32)
    chunk = rows_per_chunk(16 * b.shape[0])  # per a-row: XOR words (8 bytes), popcounts (1), sums (2-4)
    for start in range(0, a.shape[0], chunk):
        out[start : start + chunk] = hamming_block(a_words[start : start + chunk], b_words_t, n_bits)
    return out


def _kth_smallest_small_ints(values: np.ndarray, k: int, max_value: int) -> np.ndarray:
    """Each row's k-th smallest value for non-negative integers <= max_value, by a per-row histogram."""
    n_rows = values.shape[0]
    n_bins = max_value + 1
    binned = values.astype(np.intp) + (np.arange(n_rows, dtype=np.intp) * n_bins)[:, np.newaxis]
    counts = np.bincount(binned.ravel(), minlength=n_rows * n_bins).reshape(n_rows, n_bins)
    kth: np.ndarray = (np.cumsum(counts, axis=1) < k).sum(axis=1).astype(values.dtype)
    return kth


def search_words(query_words: Words, index_words_t: Words, n_bits: int,
                 k: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]]:
    """The Hamming top-k of every query: ``(indices, distances)``, ascending, ties to the lower index.

    Chunks of queries are independent; each writes its own rows of the result, so results do not depend
    on the number of threads.
    """
    n_queries, n_index = query_words.shape[0], index_words_t.shape[1]
    indices = np.empty((n_queries, k), dtype=np.int64)
    distances = np.empty((n_queries, k), dtype=np.int32)
    grouped = group_size(n_index, k) is not None
    threads = min(THREADS, n_queries) if n_queries * n_index >= MIN_THREADED_COMPARISONS else 1
    # per query row: XOR words (8 bytes), popcounts (1), distances (2), selection temporaries per code
    chunk = min(rows_per_chunk(20 * n_index), -(-n_queries // threads))

    def search_chunk(start: int) -> None:
        block = hamming_block(query_words[start : start + chunk], index_words_t, n_bits)
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


def scan_layout(index_words: Words, n_queries: int) -> Words:
    """The index as ``(n_words, n)`` for :func:`search_words`: a copy for a batch, a view for one query.

    A batch amortizes the copy; a single query reads the rows in place (strided), cheaper than copying.
    """
    return index_words.T if n_queries == 1 else np.ascontiguousarray(index_words.T)
