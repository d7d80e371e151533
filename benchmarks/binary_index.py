"""``BinaryIndex``: packed binary codes kept in the layout the Hamming scan reads, for repeated searches.

Only the benchmarks use it (it is faiss ``IndexBinaryFlat``'s counterpart), so it lives here rather than
in vectorlab's public API. :func:`vectorlab.search_binary` takes codes as ``(n, B)`` rows but scans them
one 64-bit word position at a time across all codes, i.e. transposed: it copies the index into that
layout on every batch call, or reads the rows in place for one query (about twice as slow as the scan
itself). A ``BinaryIndex`` makes that copy once and then answers exactly like ``search_binary``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vectorlab._kernels import hamming as _hamming
from vectorlab._validation import check_k, check_packed
from vectorlab.errors import InvalidInputError

__all__ = ["BinaryIndex"]


class BinaryIndex:
    """A copy of packed codes laid out for the scan; ``search`` answers like ``search_binary(q, codes, k)``.

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
        self._words_t = np.ascontiguousarray(_hamming.as_words(matrix).T)
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
        """The ``k`` nearest codes to each query code, as :func:`vectorlab.search_binary` returns them."""
        single = isinstance(query_codes, np.ndarray) and query_codes.ndim == 1
        queries = check_packed(query_codes, "query_codes")
        if queries.shape[1] != self.code_bytes:
            raise InvalidInputError(
                f"query_codes has {queries.shape[1]} bytes per code, the index has {self.code_bytes}: both "
                "must come from quantize_binary on vectors with the same number of dims"
            )
        k = check_k(k, len(self), "codes in the index")
        indices, distances = _hamming.search_words(_hamming.as_words(queries), self._words_t,
                                                   8 * self.code_bytes, k)
        return (indices[0], distances[0]) if single else (indices, distances)
