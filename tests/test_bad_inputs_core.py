"""The adversarial pass over the numeric core (issue 13), as a table: bad input -> one typed error.

Each bad case asserts the error type (vectorlab's own, which is also the builtin it refines) and that
the message names the problem or the value. Each valid edge case is compared with a brute-force
reference. Cases that once killed the interpreter (damaged HNSW files, ``M=1``, a failed ``add``) run
in a subprocess, so a regression is a failed test, not a dead test run.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import vectorlab as vl
from vectorlab import errors
from vectorlab.data import Embeddings, load_embeddings, save_embeddings

E = errors.InvalidInputError
T = errors.InputTypeError
F = errors.DataFileError
V2 = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=np.float32)
CODES = np.array([[0b1111], [0b0000], [0b0111]], dtype=np.uint8)
RANGES = np.array([[-1.0, -1.0], [1.0, 1.0]])
I8 = np.array([[1, 2], [3, 4], [-5, 6]], dtype=np.int8)
NAN_ROW = np.array([[1.0, np.nan], [0.0, 1.0]])
INF_ROW = np.array([[1.0, 0.0], [np.inf, 1.0]])

# (id, call, error type, regex the message must match)
BAD = [
    # --- shared array checks, through every public entry point ------------------------------------
    *[(f"{name}-string", call, T, "expected numbers: embed the text first") for name, call in [
        ("exhaustive", lambda: vl.exhaustive_search("dog", V2, k=1)),
        ("cosine", lambda: vl.cosine_similarity("dog", [1, 0])),
        ("dot", lambda: vl.dot_product([1, 0], b"x")),
        ("normalize", lambda: vl.normalize("abc")),
        ("magnitude", lambda: vl.magnitude("abc")),
        ("quantize_int8", lambda: vl.quantize_int8("x", RANGES)),
        ("quantize_binary", lambda: vl.quantize_binary("x")),
        ("truncate", lambda: vl.truncate("x", 1)),
        ("pca_reduce", lambda: vl.pca_reduce("x", 1)),
        ("rescore", lambda: vl.rescore("x", [0], V2, k=1)),
        ("search_int8", lambda: vl.search_int8("x", I8, RANGES, k=1)),
        ("hnsw-add", lambda: vl.HNSWIndex(2).add("xy")),
    ]],
    *[(f"{name}-ragged", call, T, "rectangular|could not be read") for name, call in [
        ("exhaustive", lambda: vl.exhaustive_search([1, 0], [[1, 0], [1]], k=1)),
        ("cosine", lambda: vl.cosine_similarity([[1, 0], [1]], [1, 0])),
        ("int8_ranges", lambda: vl.int8_ranges([[1, 0], [1]])),
        ("binary_threshold", lambda: vl.binary_threshold([[1, 0], [1]])),
        ("explained_variance", lambda: vl.explained_variance([[1, 0], [1]], 1)),
    ]],
    *[(f"{name}-nan", call, E, r"contains NaN or infinity \(first at index") for name, call in [
        ("exhaustive-query", lambda: vl.exhaustive_search([np.nan, 0], V2, k=1)),
        ("exhaustive-vectors", lambda: vl.exhaustive_search([1, 0], NAN_ROW, k=1)),
        ("exhaustive-vectors-f32", lambda: vl.exhaustive_search([1, 0], NAN_ROW.astype(np.float32), k=1)),
        ("exhaustive-inf-f32-dot", lambda: vl.exhaustive_search([1, 0], INF_ROW.astype(np.float32), k=1,
                                                                 metric="dot")),
        ("exhaustive-inf-f32-euclidean", lambda: vl.exhaustive_search([1, 0], INF_ROW.astype(np.float32), k=1,
                                                                       metric="euclidean")),
        ("cosine", lambda: vl.cosine_similarity(NAN_ROW, [1, 0])),
        ("euclidean", lambda: vl.euclidean_distance([1, 0], INF_ROW)),
        ("manhattan", lambda: vl.manhattan_distance([1, np.inf], [1, 0])),
        ("normalize", lambda: vl.normalize(NAN_ROW)),
        ("quantize_int8", lambda: vl.quantize_int8(NAN_ROW, RANGES)),
        ("quantize_binary", lambda: vl.quantize_binary(NAN_ROW)),
        ("int8_ranges", lambda: vl.int8_ranges(NAN_ROW)),
        ("binary_threshold", lambda: vl.binary_threshold(INF_ROW)),
        ("truncate", lambda: vl.truncate(NAN_ROW, 1)),
        ("pca_reduce", lambda: vl.pca_reduce(NAN_ROW, 1)),
        ("fit_pca", lambda: vl.fit_pca(INF_ROW, 1)),
        ("rescore-originals", lambda: vl.rescore([1, 0], [0, 1], NAN_ROW, k=1)),
        ("search_int8-query", lambda: vl.search_int8([np.nan, 0], I8, RANGES, k=1)),
        ("hnsw-add", lambda: vl.HNSWIndex(2).add(NAN_ROW)),
        ("hnsw-query", lambda: _filled_hnsw().query([np.inf, 0], k=1)),
        ("pairwise", lambda: vl.pairwise_similarity_values(NAN_ROW)),
    ]],
    *[(f"{name}-empty", call, E, "is empty") for name, call in [
        ("exhaustive-query", lambda: vl.exhaustive_search([], V2, k=1)),
        ("exhaustive-vectors", lambda: vl.exhaustive_search([1, 0], np.empty((0, 2)), k=1)),
        ("cosine", lambda: vl.cosine_similarity([], [1, 0])),
        ("quantize_binary", lambda: vl.quantize_binary([])),
        ("hamming", lambda: vl.hamming_distance(np.empty(0, dtype=np.uint8), CODES[0])),
        ("search_binary", lambda: vl.search_binary(CODES[0], np.empty((0, 1), dtype=np.uint8), k=1)),
        ("rescore-candidates", lambda: vl.rescore([1, 0], [], V2, k=1)),
        ("dequantize", lambda: vl.dequantize_int8(np.empty(0, dtype=np.int8), RANGES)),
    ]],
    *[(f"{name}-3d", call, E, "must be|got array of shape") for name, call in [
        ("exhaustive", lambda: vl.exhaustive_search(np.ones((1, 1, 2)), V2, k=1)),
        ("matrix", lambda: vl.int8_ranges(np.ones((2, 2, 2)))),
        ("packed", lambda: vl.search_binary(np.ones((1, 1, 1), dtype=np.uint8), CODES, k=1)),
        ("int8-codes", lambda: vl.dequantize_int8(np.ones((1, 1, 2), dtype=np.int8), RANGES)),
    ]],
    ("exhaustive-object-dtype", lambda: vl.exhaustive_search([1, 0], np.array([[1, None]], dtype=object), k=1),
     T, r"vectors holds None \(NoneType\) at index \(0, 1\)"),  # issue 20: says what it is
    ("exhaustive-complex", lambda: vl.exhaustive_search([1j, 0], V2, k=1), T, "must hold numbers"),
    ("exhaustive-dims-mismatch", lambda: vl.exhaustive_search([1, 0, 0], V2, k=1), E,
     "query has 3 dims, vectors has 2: embed the query with the same model"),
    ("cosine-dims-mismatch", lambda: vl.cosine_similarity([1, 0, 0], [1, 0]), E, "a has 3 dims, b has 2"),
    ("float64-beyond-float32", lambda: vl.exhaustive_search([1e300, 0], V2, k=1), E, "beyond float32's range"),
    # --- k, dims and other counts -------------------------------------------------------------------
    *[(f"k={k!r}-{name}", call_k(k), err, msg) for k, err, msg in [
        (0, E, "k must be at least 1, got 0"), (-3, E, "k must be at least 1, got -3"),
        (10**11, E, "k=100000000000 is larger than the 3"), (2.5, T, "k must be a whole number, got 2.5"),
        (True, T, "k must be a whole number, got True"), ("3", T, "k must be a whole number, got '3'"),
        (None, T, "k must be a whole number, got None"),
    ] for name, call_k in [
        ("exhaustive", lambda k: lambda: vl.exhaustive_search([1, 0], V2, k=k)),
        ("search_binary", lambda k: lambda: vl.search_binary(CODES[0], CODES, k=k)),
        ("search_int8", lambda k: lambda: vl.search_int8([1, 0], I8, RANGES, k=k)),
        ("rescore", lambda k: lambda: vl.rescore([1, 0], [0, 1, 2], V2, k=k)),
        ("hnsw", lambda k: lambda: _filled_hnsw().query([1, 0], k=k)),
    ]],
    ("most_similar-k-too-large", lambda: vl.most_similar([1, 0], V2, ["a", "b", "c"], k=4), E,
     "k=4 is larger than the 3 vectors"),
    *[(f"truncate-dims={d!r}", lambda d=d: vl.truncate(V2, d), err, msg) for d, err, msg in [
        (0, E, "dims must be at least 1"), (3, E, "dims=3 is too large: the vectors have only 2 dims"),
        (10**11, E, "dims=100000000000 is too large"), (1.0, T, "dims must be a whole number"),
        (np.float64(1), T, "dims must be a whole number"),
    ]],
    *[(f"pca-dims={d!r}", lambda d=d: vl.pca_reduce(V2, d), err, msg) for d, err, msg in [
        (0, E, "dims must be at least 1"), (3, E, r"min\(n_samples, n_features\) = 2"), ("2", T, "whole number"),
    ]],
    ("pca-single-vector-no-fit_on", lambda: vl.pca_reduce([1.0, 2.0], 1), E, "cannot fit a PCA on a single vector"),
    ("pca-fit_on-dims", lambda: vl.pca_reduce(V2, 1, fit_on=np.ones((4, 3))), E, "vectors has 2 dims, fit_on has 3"),
    ("pca-seed-negative", lambda: vl.pca_reduce(V2, 1, seed=-1), E, "seed must be at least 0"),
    ("pca-normalize-string", lambda: vl.pca_reduce(V2, 1, normalize="yes"), T, "normalize must be True or False"),
    ("truncate-normalize-none", lambda: vl.truncate(V2, 1, normalize=None), T, "normalize must be True or False"),
    ("explained-variance-identical", lambda: vl.explained_variance(np.ones((4, 3)), 1), E, "no variance"),
    ("explained-variance-dims", lambda: vl.explained_variance(V2, 5), E, "dims=5 is too large"),
    ("fit_pca-seed-float", lambda: vl.fit_pca(V2, 1, seed=0.5), T, "seed must be a whole number"),
    ("nbytes-dims-0", lambda: vl.nbytes_per_vector(0, "int8"), E, "dims must be at least 1"),
    ("size_table-n-0", lambda: vl.size_table(0, 8), E, "n_vectors must be at least 1"),
    ("size_table-dims-huge", lambda: vl.size_table(1, 10**15), E, "would need .* GB, more than this machine"),
    ("random_rotation-huge", lambda: vl.random_rotation(10**11), E, "would need .* GB, more than this machine"),
    ("random_rotation-float", lambda: vl.random_rotation(4.0), T, "dims must be a whole number"),
    ("unpack-dims-too-large", lambda: vl.unpack_binary(CODES, 9), E, "dims=9 does not fit codes of 1 bytes"),
    # --- Literal choices, checked one way ----------------------------------------------------------------
    *[(f"{name}-choice-{bad!r}", call(bad), E, f"{argument}={bad!r} is not supported: use one of")
      for name, argument, call in [
        ("exhaustive", "metric", lambda m: lambda: vl.exhaustive_search([1, 0], V2, k=1, metric=m)),
        ("most_similar", "metric", lambda m: lambda: vl.most_similar([1, 0], V2, ["a", "b", "c"], k=1, metric=m)),
        ("pairwise", "metric", lambda m: lambda: vl.pairwise_similarity_values(V2, metric=m)),
        ("search_int8", "metric", lambda m: lambda: vl.search_int8([1, 0], I8, RANGES, metric=m)),
        ("rescore", "metric", lambda m: lambda: vl.rescore([1, 0], [0], V2, k=1, metric=m)),
        ("binary_threshold", "statistic", lambda m: lambda: vl.binary_threshold(V2, statistic=m)),
        ("nbytes", "precision", lambda m: lambda: vl.nbytes_per_vector(8, m)),
        ("hnsw", "space", lambda m: lambda: vl.HNSWIndex(2, space=m)),
    ] for bad in ("Cosine", None, 3)],
    # --- zero vectors have no direction -----------------------------------------------------------------
    ("cosine-zero-a", lambda: vl.cosine_similarity([0, 0], [1, 0]), E, r"zero vector \(a\): remove it or use dot"),
    ("cosine-zero-row", lambda: vl.cosine_similarity([1, 0], [[1, 0], [0, 0]]), E, r"zero vector \(row 1 of b\)"),
    ("normalize-zero", lambda: vl.normalize([[1, 0], [0, 0]]), E, r"cannot normalize a zero vector \(row 1"),
    ("exhaustive-zero-query", lambda: vl.exhaustive_search([0, 0], V2, k=1), E, r"zero vector \(query\)"),
    ("exhaustive-zero-vector", lambda: vl.exhaustive_search([1, 0], [[1, 0], [0, 0]], k=1), E,
     r"zero vector \(row 1 of vectors\)"),
    ("search_int8-cosine-zero-query", lambda: vl.search_int8([0, 0], I8, RANGES, k=1, metric="cosine"), E,
     r"zero vector \(row 0 of query\)"),
    ("rescore-cosine-zero-candidate", lambda: vl.rescore([1, 0], [0, 1], [[0, 0], [1, 0]], k=1, metric="cosine"),
     E, r"zero vector \(row 0 of original_vectors\)"),
    ("hnsw-cosine-zero", lambda: vl.HNSWIndex(2).add([[1, 0], [0, 0]]), E, r"zero vector \(row 1 of vectors\)"),
    ("pairwise-cosine-zero", lambda: vl.pairwise_similarity_values([[1, 0], [0, 0]]), E, "zero vector"),
    # --- overflow: a clear error, never inf or a wrong order ------------------------------------------
    ("exhaustive-dot-overflow", lambda: vl.exhaustive_search([3e38, 3e38], [[3e38, 3e38], [1, 0]], k=1,
                                                             metric="dot"), E, "dot scores overflow float32"),
    ("exhaustive-euclidean-overflow", lambda: vl.exhaustive_search([-3e38, 0], [[3e38, 0], [1, 0]], k=1,
                                                                   metric="euclidean"), E, "euclidean scores overflow"),
    ("dot_product-overflow", lambda: vl.dot_product([1e20, 1e20], [1e20, 1e20]), E, "dot product overflows float32"),
    ("euclidean-overflow", lambda: vl.euclidean_distance([3e38, 0], [-3e38, 0]), E, "distance overflows float32"),
    ("magnitude-overflow", lambda: vl.magnitude([3e38, 3e38]), E, "length overflows float32"),
    ("rescore-dot-overflow", lambda: vl.rescore([1e20, 1e20], [0], [[1e20, 1e20]], k=1), E, "dot products overflow"),
    ("hnsw-l2-huge", lambda: vl.HNSWIndex(2, space="l2").add([[1e20, 0]]), E, "1e\\+20.*overflow float32"),
    ("int8-ranges-span-overflow", lambda: vl.quantize_int8([0, 0], [[-3e38, -1], [3e38, 1]]), E,
     "ranges span more than float32"),
    # --- quantize specifics -------------------------------------------------------------------------------
    ("ranges-shape", lambda: vl.quantize_int8([1, 2, 3], RANGES), E, r"ranges must have shape \(2, 3\)"),
    ("ranges-string", lambda: vl.quantize_int8([1, 2], "ranges"), T, "ranges must be a numeric array"),
    ("ranges-min-above-max", lambda: vl.quantize_int8([1, 2], [[0, 2], [1, 1]]), E,
     r"row 0 \(min\) exceeds row 1 \(max\) at dimension 1"),
    ("ranges-nan", lambda: vl.dequantize_int8(I8, [[0, np.nan], [1, 1]]), E, "ranges contain NaN"),
    ("dequantize-float-codes", lambda: vl.dequantize_int8(np.ones((2, 2)), RANGES), T, "codes must be an int8 array"),
    ("search_int8-uint8-codes", lambda: vl.search_int8([1, 0], I8.view(np.uint8), RANGES), T,
     "index_codes must be an int8 array"),
    ("search_int8-1d-codes", lambda: vl.search_int8([1, 0], I8[0], RANGES), E, r"index_codes must be a \(n, dims\)"),
    ("threshold-string", lambda: vl.quantize_binary(V2, threshold="median"), E, "threshold='median' is not understood"),
    ("threshold-bool", lambda: vl.quantize_binary(V2, threshold=True), T, "threshold must be a number"),
    ("threshold-nan", lambda: vl.quantize_binary(V2, threshold=float("nan")), E, "threshold must be finite"),
    ("threshold-shape", lambda: vl.quantize_binary(V2, threshold=[0, 0, 0]), E, r"one value per dimension"),
    ("per_dimension-string", lambda: vl.int8_ranges(V2, per_dimension="no"), T, "per_dimension must be True or False"),
    *[(f"packed-{np.dtype(d).name}", lambda d=d: vl.search_binary(np.zeros(1, dtype=d), CODES, k=1), T,
       f"query_codes must be packed bits as a uint8 array .* dtype {np.dtype(d).name}")
      for d in (np.int8, np.bool_, np.float32, np.uint16, np.int64)],
    ("packed-list", lambda: vl.hamming_distance([1, 2], CODES), T, "a must be packed bits as a uint8 array"),
    ("code-length-mismatch", lambda: vl.hamming_distance(CODES, np.zeros((1, 2), dtype=np.uint8)), E,
     "a has 1 bytes per code, b has 2"),
    ("search_binary-length-mismatch", lambda: vl.search_binary(np.zeros(2, dtype=np.uint8), CODES, k=1), E,
     "query_codes has 2 bytes per code, index_codes has 1"),
    ("rescore-float-candidates", lambda: vl.rescore([1, 0], [0.0, 1.0], V2, k=1), T, "not its scores"),
    ("rescore-string-candidates", lambda: vl.rescore([1, 0], "01", V2, k=1), T, "candidates must be integer"),
    ("rescore-candidate-minus-one", lambda: vl.rescore([1, 0], [0, -1], V2, k=1), errors.OutOfRangeError,
     "candidate -1 .*faiss pads missing results with -1"),
    ("rescore-candidate-too-large", lambda: vl.rescore([1, 0], [0, 3], V2, k=1), IndexError,
     r"candidate 3 .* 0\.\.2"),
    ("rescore-candidate-uint64-huge", lambda: vl.rescore([1, 0], np.array([2**63], dtype=np.uint64), V2, k=1),
     IndexError, "out of range"),
    ("rescore-repeated", lambda: vl.rescore([1, 0], [1, 1], V2, k=1), E, "candidates repeat index 1 in row 0"),
    ("rescore-shape", lambda: vl.rescore([[1, 0], [0, 1]], [0, 1], V2, k=1), E, r"candidates must have shape \(2, c\)"),
    ("rescore-k-above-candidates", lambda: vl.rescore([1, 0], [0, 1], V2, k=3), E,
     "k=3 is larger than the 2 candidates per query"),
    # --- similarity tables -----------------------------------------------------------------------------
    ("most_similar-batch", lambda: vl.most_similar(V2, V2, "abc"), E, "query_vector must be one vector"),
    ("most_similar-keys-string", lambda: vl.most_similar([1, 0], V2, "abc"), T, "keys is a single string"),
    ("most_similar-keys-count", lambda: vl.most_similar([1, 0], V2, ["a"]), E, "got 1 keys for 3 vectors"),
    ("most_similar-keys-int", lambda: vl.most_similar([1, 0], V2, 5), T, "keys must be a list"),
    ("pairwise-one-row", lambda: vl.pairwise_similarity_values([[1, 0]]), E, "pass at least 2 vectors"),
    # --- HNSWIndex settings and ids -------------------------------------------------------------------------
    ("hnsw-M-1", lambda: vl.HNSWIndex(4, M=1), E, "M must be at least 2, got 1"),
    ("hnsw-M-0", lambda: vl.HNSWIndex(4, M=0), E, "M must be at least 2, got 0"),
    ("hnsw-M-float", lambda: vl.HNSWIndex(4, M=2.5), T, "M must be a whole number"),
    ("hnsw-dims-0", lambda: vl.HNSWIndex(0), E, "dims must be at least 1"),
    ("hnsw-dims-huge", lambda: vl.HNSWIndex(10**11), E, "would need .* GB"),
    ("hnsw-max_elements-huge", lambda: vl.HNSWIndex(4, max_elements=10**11), E, "lower max_elements"),
    ("hnsw-ef_construction-0", lambda: vl.HNSWIndex(4, ef_construction=0), E, "ef_construction must be at least 1"),
    ("hnsw-ef-0", lambda: vl.HNSWIndex(4, ef=0), E, "ef must be at least 1"),
    ("hnsw-seed-negative", lambda: vl.HNSWIndex(4, seed=-1), E, "seed must be at least 0"),
    ("hnsw-threads-0", lambda: vl.HNSWIndex(4, num_threads=0), E, "num_threads must be -1"),
    ("hnsw-threads-string", lambda: vl.HNSWIndex(4, num_threads="all"), T, "num_threads must be a whole number"),
    ("hnsw-dims-mismatch", lambda: vl.HNSWIndex(3).add(V2), E, "vectors has 2 dims, index has 3"),
    ("hnsw-query-dims", lambda: _filled_hnsw().query([1, 0, 0], k=1), E, "query has 3 dims, index has 2"),
    ("hnsw-empty-query", lambda: vl.HNSWIndex(2).query([1, 0], k=1), E, "the index is empty"),
    ("hnsw-ids-float", lambda: vl.HNSWIndex(2).add(V2, ids=[0.0, 1.0, 2.0]), T, "ids must be whole numbers"),
    ("hnsw-ids-count", lambda: vl.HNSWIndex(2).add(V2, ids=[0, 1]), E, "got 2 ids for 3 vectors"),
    ("hnsw-ids-negative", lambda: vl.HNSWIndex(2).add(V2, ids=[0, -1, 2]), E, "ids must be >= 0, got -1"),
    ("hnsw-ids-repeated", lambda: vl.HNSWIndex(2).add(V2, ids=[5, 5, 6]), E, "id 5 appears more than once"),
    ("hnsw-ids-2**63", lambda: vl.HNSWIndex(2).add(V2, ids=np.array([0, 1, 2**63], dtype=np.uint64)), E,
     "id 9223372036854775808 is too large: ids must be below 2\\*\\*63"),
    ("hnsw-ids-2**63-list", lambda: vl.HNSWIndex(2).add(V2[:1], ids=[2**63]), E, "too large"),
    ("hnsw-ids-existing", lambda: _filled_hnsw().add(V2[:1], ids=[0]), E, "id 0 is already in the index"),
    ("hnsw-ids-string", lambda: vl.HNSWIndex(2).add(V2, ids="abc"), T, "ids must be whole numbers"),
    ("hnsw-load-missing", lambda: vl.HNSWIndex.load("/nonexistent/ix.bin"), FileNotFoundError, "does not exist"),
    # --- Embeddings in memory ------------------------------------------------------------------------------
    ("embeddings-keys-count", lambda: Embeddings(["a"], V2, "m"), E, "1 keys but 3 vectors"),
    ("embeddings-duplicate-key", lambda: Embeddings(["a", "b", "a"], V2, "m"), E, "key 'a' appears more than once"),
    ("embeddings-non-str-key", lambda: Embeddings(["a", 2, "c"], V2, "m"), T, "every key must be a str .*got 2"),
    ("embeddings-keys-string", lambda: Embeddings("abc", V2, "m"), T, "keys is a single string"),
    ("embeddings-model-empty", lambda: Embeddings(["a", "b", "c"], V2, ""), T, "model must be the name"),
    ("embeddings-dimensions-wrong", lambda: Embeddings(["a", "b", "c"], V2, "m", 3), E, "recorded with 3 dimensions"),
    ("embeddings-dimensions-float", lambda: Embeddings(["a", "b", "c"], V2, "m", 2.7), T, "dimensions must be a whole"),
    ("embeddings-missing-key", lambda: Embeddings(["dog", "cat", "cow"], V2, "m").index("dgo"), KeyError,
     "did you mean 'dog'"),
    ("save-decimals-negative", lambda: save_embeddings("/tmp/never.json", _emb(), decimals=-2), E,
     "decimals must be between 1 and 9, got -2"),
    ("save-decimals-float", lambda: save_embeddings("/tmp/never.json", _emb(), decimals=2.5), T,
     "decimals must be a whole number"),
    ("save-not-embeddings", lambda: save_embeddings("/tmp/never.json", {"a": [1.0]}), T,
     "embeddings must be an Embeddings"),
]


def _filled_hnsw() -> vl.HNSWIndex:
    index = vl.HNSWIndex(2, num_threads=1)
    index.add(V2)
    return index


def _emb() -> Embeddings:
    return Embeddings(["a", "b", "c"], V2, "toy")


@pytest.mark.parametrize(("call", "error", "message"), [pytest.param(*case[1:], id=case[0]) for case in BAD])
def test_bad_input_is_a_typed_error_naming_the_problem(call, error, message):
    with pytest.raises(error, match=message) as caught:
        call()
    assert isinstance(caught.value, errors.VectorlabError | FileNotFoundError | KeyError), type(caught.value)


# ----------------------------------------------------------------------------- embeddings files on disk

HEADER = {"model": "toy", "dimensions": 2, "count": 2}
GOOD_VECTORS = '{"a": [1.0, 0.0], "b": [0.0, 1.0]}'
BAD_FILES = [
    ("duplicate-key", '{"model": "toy", "vectors": {"a": [1.0, 0.0], "a": [0.0, 1.0]}}', "has the key 'a' twice"),
    ("duplicate-header-key", '{"model": "toy", "model": "x", "vectors": {"a": [1.0]}}', "has the key 'model' twice"),
    ("string-value", '{"model": "toy", "vectors": {"a": ["1", 0.0]}}', "must hold only numbers, found '1'"),
    ("boolean-value", '{"model": "toy", "vectors": {"a": [true, 0.0]}}', "must hold only numbers, found True"),
    ("null-value", '{"model": "toy", "vectors": {"a": [null, 0.0]}}', "must hold only numbers, found None"),
    ("nested-list", '{"model": "toy", "vectors": {"a": [[1.0], 0.0]}}', "must hold only numbers"),
    ("not-a-list", '{"model": "toy", "vectors": {"a": 1.0}}', "not a list of numbers"),
    ("dimensions-float", '{"model": "toy", "dimensions": 2.7, "vectors": ' + GOOD_VECTORS + "}",
     "'dimensions' must be a whole number of at least 1, got 2.7"),
    ("dimensions-string", '{"model": "toy", "dimensions": "abc", "vectors": ' + GOOD_VECTORS + "}",
     "'dimensions' must be a whole number of at least 1, got 'abc'"),
    ("dimensions-bool", '{"model": "toy", "dimensions": true, "vectors": ' + GOOD_VECTORS + "}", "got True"),
    ("dimensions-wrong", '{"model": "toy", "dimensions": 3, "vectors": ' + GOOD_VECTORS + "}", "has 2 numbers"),
    ("count-wrong", '{"model": "toy", "count": 5, "vectors": ' + GOOD_VECTORS + "}", "'count': 5 but it holds 2"),
    ("count-string", '{"model": "toy", "count": "2", "vectors": ' + GOOD_VECTORS + "}", "'count' must be a whole"),
    ("ragged", '{"model": "toy", "vectors": {"a": [1.0, 0.0], "b": [1.0]}}', "'b' has 1 numbers"),
    ("nan-constant", '{"model": "toy", "vectors": {"a": [NaN, 0.0]}}', "contains NaN"),
    ("infinity-constant", '{"model": "toy", "vectors": {"a": [Infinity, 0.0]}}', "contains Infinity"),
    ("beyond-float32", '{"model": "toy", "vectors": {"a": [1e39, 0.0]}}', "beyond float32's range"),
    ("no-model", '{"vectors": ' + GOOD_VECTORS + "}", "no 'model' name"),
    ("empty-vectors", '{"model": "toy", "vectors": {}}', "non-empty mapping"),
    ("top-level-list", "[1, 2]", "unknown JSON shape"),
    ("truncated", '{"model": "toy", "vectors": {"a": [1.0', "is not valid JSON"),
]


@pytest.mark.parametrize(("text", "message"), [pytest.param(*case[1:], id=case[0]) for case in BAD_FILES])
def test_bad_embeddings_file_is_an_error_naming_the_file(tmp_path, text, message):
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(F, match=message) as caught:
        load_embeddings(path)
    assert str(path) in str(caught.value) and caught.value.path == path


def test_non_utf8_file_names_the_file(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes('{"model": "toy", "vectors": {"caf\u00e9": [1.0]}}'.encode("latin-1"))
    with pytest.raises(F, match=f"{path} is not UTF-8 text"):
        load_embeddings(path)


def test_plain_mapping_without_model_and_wrong_model(tmp_path):
    path = tmp_path / "plain.json"
    path.write_text(GOOD_VECTORS, encoding="utf-8")
    with pytest.raises(F, match="pass model="):
        load_embeddings(path)
    assert load_embeddings(path, model="toy").keys == ["a", "b"]
    save_embeddings(path, _emb())
    with pytest.raises(F, match="holds 'toy' embeddings, not 'other'"):
        load_embeddings(path, model="other")


def test_lone_surrogate_key_fails_cleanly_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "out.json"
    save_embeddings(path, _emb())
    before = path.read_bytes()
    bad = Embeddings(["a", "b\ud800", "c"], V2, "toy")
    with pytest.raises(E, match="lone surrogate"):
        save_embeddings(path, bad)
    assert path.read_bytes() == before  # the old file is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_save_to_a_folder_is_an_error_and_round_trip_is_exact(tmp_path):
    with pytest.raises(IsADirectoryError, match="it is a folder"):
        save_embeddings(tmp_path, _emb())
    path = save_embeddings(tmp_path / "e.json", _emb(), decimals=3)
    loaded = load_embeddings(path)
    assert loaded.keys == ["a", "b", "c"] and json.loads(path.read_text())["count"] == 3
    np.testing.assert_array_equal(loaded.vectors, V2)


# ------------------------------------------------------------------ valid edge cases vs brute force


def ref_cosine(a, b) -> float:
    a, b = [float(x) for x in a], [float(x) for x in b]
    scale_a, scale_b = max(map(abs, a)), max(map(abs, b))
    a, b = [x / scale_a for x in a], [x / scale_b for x in b]
    return sum(x * y for x, y in zip(a, b, strict=True)) / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


@pytest.mark.parametrize(("a", "b"), [
    ([1e20, 2e20], [1, 2]), ([1e-23, 2e-23], [1, 2]), ([1e-30, 0], [1, 1]), ([3e38, 3e38], [1, 1]),
    ([1e-45, 0], [1, 0]), ([1e19, -1e19, 1e19], [1, -1, 2]), ([5, 1e-30], [1, 0]), ([2e-38, 3e-38], [-2, 3]),
])
def test_cosine_of_huge_and_tiny_vectors_matches_the_reference(a, b):
    assert vl.cosine_similarity(a, b) == pytest.approx(ref_cosine(a, b), abs=1e-6)
    indices, scores = vl.exhaustive_search(b, np.array([a, [0.0] * len(a)], dtype=np.float32) + np.array(
        [[0.0] * len(a), [1.0] + [0.0] * (len(a) - 1)], dtype=np.float32), k=2)
    assert scores[list(indices).index(0)] == pytest.approx(ref_cosine(a, b), abs=1e-6)
    assert np.linalg.norm(vl.normalize(a).astype(np.float64)) == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("metric", ["cosine", "dot", "euclidean"])
@pytest.mark.parametrize("case", ["k=n", "one vector", "all ties", "duplicates", "one dim", "float64 and ints"])
def test_exhaustive_edge_cases_match_brute_force(metric, case):
    rng = np.random.default_rng(0)
    vectors, query, k = rng.standard_normal((20, 5)), rng.standard_normal(5), 5
    if case == "k=n":
        k = 20
    elif case == "one vector":
        vectors, k = vectors[:1], 1
    elif case == "all ties":
        vectors = np.ones((20, 5))
    elif case == "duplicates":
        vectors = np.concatenate([vectors[:10], vectors[:10]])
    elif case == "one dim":
        vectors, query = np.arange(1, 21, dtype=float)[:, None], np.array([3.0])
    else:
        vectors, query = rng.integers(-3, 4, (20, 5)), rng.integers(1, 4, 5)
    v64, q64 = np.asarray(vectors, dtype=np.float64), np.asarray(query, dtype=np.float64)
    if metric == "cosine":
        scores = (v64 @ q64) / (np.linalg.norm(v64, axis=1) * np.linalg.norm(q64))
        order = sorted(range(len(v64)), key=lambda i: (-round(scores[i], 5), i))[:k]
    elif metric == "dot":
        scores = v64 @ q64
        order = sorted(range(len(v64)), key=lambda i: (-round(scores[i], 5), i))[:k]
    else:
        scores = np.linalg.norm(v64 - q64, axis=1)
        order = sorted(range(len(v64)), key=lambda i: (round(scores[i], 5), i))[:k]
    indices, found = vl.exhaustive_search(query, vectors, k=k, metric=metric)
    assert indices.tolist() == order
    np.testing.assert_allclose(found, scores[order], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("space", ["cosine", "ip", "l2"])
def test_hnsw_tiny_vectors_and_large_ids_match_exhaustive(space):
    vectors = np.random.default_rng(1).standard_normal((30, 4)).astype(np.float32)
    if space == "cosine":
        vectors *= 1e-25  # hnswlib's own float32 normalization would underflow these
    ids = np.arange(30, dtype=np.uint64) + np.uint64(2**63 - 100)
    index = vl.HNSWIndex(4, space=space, num_threads=1)
    assert index.add(vectors, ids=ids).tolist() == [2**63 - 100 + i for i in range(30)]
    found, _ = index.query(vectors[:5], k=3)
    exact, _ = vl.exhaustive_search(vectors[:5], vectors, k=3, metric=index.metric)
    np.testing.assert_array_equal(found - (2**63 - 100), exact)


def test_k_10_to_the_11_is_a_value_error_everywhere_not_a_memory_error():
    for call in (lambda: vl.exhaustive_search([1, 0], V2, k=10**11), lambda: vl.HNSWIndex(2, max_elements=10**11),
                 lambda: vl.search_binary(CODES, CODES, k=10**11), lambda: vl.random_rotation(10**11)):
        with pytest.raises(ValueError):
            call()


# ------------------------------------------------------------------ crashing cases, in a subprocess


def _run(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter with this checkout's vectorlab first on the path."""
    src = str(Path(vl.__file__).resolve().parents[1])
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, env={"PYTHONPATH": src, "PATH": "/usr/bin:/bin"})


SAVE = """
    import numpy as np, vectorlab as vl
    index = vl.HNSWIndex(8, num_threads=1)
    index.add(np.random.default_rng(0).standard_normal((300, 8)))
    index.save("ix.bin")
"""
DAMAGE = {
    "truncated to 100 bytes": "os.truncate('ix.bin', 100)",
    "truncated by one byte": "os.truncate('ix.bin', os.path.getsize('ix.bin') - 1)",
    "one byte flipped in the header": "b = bytearray(open('ix.bin','rb').read()); b[20] ^= 0xFF; "
                                      "open('ix.bin','wb').write(b)",
    "one byte flipped in the links": "b = bytearray(open('ix.bin','rb').read()); b[-40] ^= 0x7F; "
                                     "open('ix.bin','wb').write(b)",
    "bytes appended": "open('ix.bin','ab').write(b'x' * 64)",
    "emptied": "open('ix.bin','wb').close()",
    "replaced by random bytes": "open('ix.bin','wb').write(os.urandom(os.path.getsize('ix.bin')))",
}
EDITS = {
    "dims": ("dims", 4), "space": ("space", "l2"), "M": ("M", 2), "count": ("count", 10), "ef": ("ef", 10),
    "index_bytes": ("index_bytes", 100), "checksum removed": ("index_sha256", None),
    "version 1": ("version", 1), "dims as text": ("dims", "8"),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_damaged_hnsw_file_is_a_clear_error_not_a_crash(tmp_path, damage):
    result = _run(SAVE + f"""
    import os
    {DAMAGE[damage]}
    try:
        vl.HNSWIndex.load("ix.bin")
    except vl.errors.DataFileError as error:
        print("ERROR", error)
    """, tmp_path)
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    assert "ERROR" in result.stdout and "ix.bin is damaged or was replaced" in result.stdout, result.stdout


def _load_with_edited_settings(tmp_path: Path, key: str, value: object,
                               re_sign: bool = False) -> subprocess.CompletedProcess[str]:
    """Save an index, set ``key`` to ``value`` in its settings ``.json`` (``re_sign``: and recompute the
    settings' own digest, as a deliberate edit would), then load it in a subprocess; a DataFileError prints
    ``ERROR <message>``."""
    sign = 'settings["settings_sha256"] = _settings_digest(settings)' if re_sign else ""
    return _run(SAVE + f"""
    import json
    from vectorlab.hnsw import _settings_digest
    settings = json.load(open("ix.bin.json"))
    settings[{key!r}] = {value!r}
    {sign}
    open("ix.bin.json", "w").write(json.dumps(settings))
    try:
        vl.HNSWIndex.load("ix.bin")
    except vl.errors.DataFileError as error:
        print("ERROR", error)
    """, tmp_path)


@pytest.mark.parametrize("edit", EDITS)
def test_edited_hnsw_settings_are_detected(tmp_path, edit):
    key, value = EDITS[edit]
    result = _load_with_edited_settings(tmp_path, key, value)
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    assert "ERROR" in result.stdout and "ix.bin.json" in result.stdout, result.stdout


@pytest.mark.parametrize(("key", "value"), [("dims", 4), ("dims", 16), ("count", 10), ("count", 299), ("M", 8),
                                          ("ef_construction", 100)])
def test_settings_edited_and_re_signed_by_hand_are_checked_against_the_file_header(tmp_path, key, value):
    # the digest only proves the settings were not edited by accident: hnswlib's own header is the reference
    result = _load_with_edited_settings(tmp_path, key, value, re_sign=True)
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    assert "ERROR" in result.stdout and "does not match its settings ix.bin.json" in result.stdout, result.stdout
    assert f"(settings: {value!r})" in result.stdout, result.stdout


def test_loading_prints_nothing(tmp_path):
    result = _run(SAVE + """
    vl.HNSWIndex.load("ix.bin")
    """, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout == result.stderr == ""  # hnswlib's "already inited index" warning went to stdout/stderr


def test_hnsw_save_and_load_round_trip_in_a_subprocess(tmp_path):
    result = _run(SAVE + """
    loaded = vl.HNSWIndex.load("ix.bin", num_threads=1)
    query = np.random.default_rng(1).standard_normal(8)
    assert loaded.query(query, k=5)[0].tolist() == index.query(query, k=5)[0].tolist()
    import os
    print(sorted(os.listdir(".")))
    """, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "['ix.bin', 'ix.bin.json']"  # no temporary file left


def test_hnsw_save_to_a_folder_is_an_error_and_writes_nothing(tmp_path):
    result = _run(SAVE.replace('index.save("ix.bin")', "") + """
    import os
    os.mkdir("folder")
    try:
        index.save("folder")
    except IsADirectoryError as error:
        print("ERROR", error)
    print(sorted(os.listdir(".")), os.listdir("folder"))
    """, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "ERROR cannot save the HNSW index to folder: it is a folder" in result.stdout
    assert "['folder'] []" in result.stdout


def test_hnsw_save_on_a_full_disk_is_an_error_and_keeps_the_old_file(tmp_path):
    # A file system of 64 KiB is not available without root; the same failure is forced by making
    # hnswlib write a short file, as it does silently when the disk fills up.
    result = _run(SAVE + """
    import os
    before = open("ix.bin", "rb").read()
    class ShortWrites:
        def __init__(self, inner):
            self.inner = inner
        def __getattr__(self, name):
            return getattr(self.inner, name)
        def save_index(self, path):
            self.inner.save_index(path)
            os.truncate(path, 500)  # what a full disk does to hnswlib's unchecked writes
    index._index = ShortWrites(index._index)
    try:
        index.save("ix.bin")
    except OSError as error:
        print("ERROR", error)
    assert open("ix.bin", "rb").read() == before
    print(sorted(os.listdir(".")))
    """, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "ERROR could not write the whole HNSW index" in result.stdout and "is the disk full?" in result.stdout
    assert "['ix.bin', 'ix.bin.json']" in result.stdout


def test_hnsw_M_1_and_failed_add_never_crash(tmp_path):
    result = _run("""
    import numpy as np, vectorlab as vl
    try:
        vl.HNSWIndex(4, M=1)
    except ValueError as error:
        print("M:", error)
    index = vl.HNSWIndex(4, num_threads=1)
    index.add(np.eye(4))
    def fail(*args, **kwargs):
        raise RuntimeError("Not enough memory")
    class Failing:
        def __init__(self, inner):
            self.inner = inner
        def __getattr__(self, name):
            return getattr(self.inner, name)
        add_items = staticmethod(fail)
    index._index = Failing(index._index)
    try:
        index.add(np.ones((2, 4)))
    except vl.errors.IndexStateError as error:
        print("ADD:", error)
    try:
        index.query(np.ones(4), k=1)
    except vl.errors.IndexStateError as error:
        print("QUERY:", error)
    """, tmp_path)
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    assert "M: M must be at least 2, got 1" in result.stdout
    assert "ADD: hnswlib failed while adding 2 vectors (Not enough memory)" in result.stdout
    assert "QUERY: this HNSWIndex is unusable since a failed add" in result.stdout


# ------------------------------------------------------------------ issue 20: the third pass, one row each
#
# Silently wrong results and unclear errors found by the third adversarial pass. Searches and distances
# are compared with a float64 brute force over the same (float32) values the library searches.


def _far_from_origin(offset: float, n: int = 2000, dims: int = 16, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    vectors = (offset + rng.normal(0, 0.1, (n, dims))).astype(np.float32)
    queries = (offset + rng.normal(0, 0.1, (5, dims))).astype(np.float32)
    return vectors, queries


def _brute_force_euclidean(queries: np.ndarray, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    distances = np.linalg.norm(vectors.astype(np.float64)[np.newaxis] - queries.astype(np.float64)[:, np.newaxis],
                               axis=2)
    order = np.argsort(distances, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(distances, order, axis=1)


@pytest.mark.parametrize("offset", [1000.0, 100.0, -5000.0])
@pytest.mark.parametrize("batch", [False, True])
def test_euclidean_search_far_from_the_origin_matches_float64_brute_force(offset, batch):
    vectors, queries = _far_from_origin(offset)
    queries = queries if batch else queries[:1]
    expected, distances = _brute_force_euclidean(queries, vectors, k=10)
    found, scores = vl.exhaustive_search(queries if batch else queries[0], vectors, k=10, metric="euclidean")
    np.testing.assert_array_equal(np.atleast_2d(found), expected)
    np.testing.assert_allclose(np.atleast_2d(scores), distances, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("offset", [1000.0, 100.0])
def test_euclidean_distances_far_from_the_origin_match_float64(offset):
    vectors, queries = _far_from_origin(offset, n=50)
    _, expected = _brute_force_euclidean(queries, vectors, k=50)
    order, _ = _brute_force_euclidean(queries, vectors, k=50)
    distances = vl.euclidean_distance(queries, vectors)
    np.testing.assert_allclose(np.take_along_axis(distances, order, axis=1), expected, rtol=1e-5, atol=1e-6)
    pairs = vl.pairwise_similarity_values(vectors, metric="euclidean")
    full = np.linalg.norm(vectors.astype(np.float64)[:, np.newaxis] - vectors.astype(np.float64), axis=2)
    np.testing.assert_allclose(pairs, full[np.triu_indices(50, k=1)], rtol=1e-5, atol=1e-6)


def test_dot_of_2e38_scores_answers_the_same_on_2048_and_2049_rows():
    for n in (2048, 2049):
        vectors = np.full((n, 2), 1e19, dtype=np.float32)
        vectors[n // 2] = 1.0
        indices, scores = vl.exhaustive_search([1e19, 1e19], vectors, k=2, metric="dot")
        reference = vectors.astype(np.float64) @ np.array([1e19, 1e19])
        assert indices.tolist() == [0, 1], n
        np.testing.assert_allclose(scores, reference[:2], rtol=1e-6)


I8_EXTREMES = vl.quantize_int8([[1.0, 1.0], [-1.0, -1.0], [-0.9, -0.9]], RANGES)
BAD_20 = [
    ("search_int8-overflow-dot", lambda: vl.search_int8([3e38, 3e38], I8_EXTREMES, RANGES, k=3), E,
     r"int8 dot scores overflow float32 \(the query holds values as large as 3e\+38 over 2 dims\)"),
    ("search_int8-overflow-batch", lambda: vl.search_int8([[1, 1], [3e38, 3e38]], I8_EXTREMES, RANGES, k=1), E,
     "overflow float32"),
    ("hnsw-l2-10000-dims", lambda: vl.HNSWIndex(10_000, space="l2", num_threads=1).add(
        np.stack([np.zeros(10_000), np.full(10_000, 1e17)])), E, r"over 10000 dims, l2 distances of values above"),
    ("hnsw-ip-100000-dims", lambda: vl.HNSWIndex(100_000, space="ip", num_threads=1).add(
        np.full((1, 100_000), 4e16)), E, r"over 100000 dims, ip distances of values above 2.89e\+16"),
    ("underflow-not-zero-cosine", lambda: vl.cosine_similarity([1e-50, 2e-50], [1, 0]), E,
     r"a is not zero but its values \(as large as 2e-50\) underflow to 0 in float32"),
    ("underflow-not-zero-search", lambda: vl.exhaustive_search([1, 0], np.array([[1, 0], [1e-60, 0]]), k=1), E,
     r"row 1 of vectors is not zero but .* underflow"),
]


def test_hnsw_value_limit_follows_the_dimensions_and_distances_stay_finite():
    # the largest value accepted over 10,000 dims gives finite distances that match a float64 reference
    dims = 10_000
    limit = 0.999 * 0.99 * math.sqrt(float(np.finfo(np.float32).max) / dims) / 2  # just below the bound
    vectors = np.stack([np.zeros(dims), np.full(dims, limit), np.full(dims, -limit)])
    index = vl.HNSWIndex(dims, space="l2", num_threads=1)
    index.add(vectors)
    ids, distances = index.query(np.full(dims, limit), k=3)
    reference = np.linalg.norm(vectors - np.full(dims, limit), axis=1)
    assert ids.tolist() == [1, 0, 2] and np.isfinite(distances).all()
    np.testing.assert_allclose(distances, reference[[1, 0, 2]], rtol=1e-5)
    small = vl.HNSWIndex(16, space="ip", num_threads=1)  # 16 dims accept more than the old fixed 1e17
    small.add(np.full((2, 16), 1e18))


def _generator_of_lists():
    return (results for results in [["a", "b"], ["c", "d"]])


BAD_20_EVALUATE = [
    ("overlap-tables-without-key", lambda: vl.overlap(_table(["a", "b"]).rename(columns={"key": "title"}),
                                                      _table(["a", "b"])), T, r"no 'key' column"),
    ("overlap-unhashable", lambda: vl.overlap([[1], [2]], [1, 2]), T, r"must be hashable .*got \[1\] \(list"),
    ("rank_agreement-unhashable", lambda: vl.rank_agreement([{"a": 1}, "b"], ["a", "b"]), T, "hashable"),
    ("first_hit_rank-unhashable-result", lambda: vl.first_hit_rank([["a", ["x"]]], [["x"]]), T,
     r"hashable .*got \['x'\]"),
    ("first_hit_rank-unhashable-answer", lambda: vl.first_hit_rank([["a"]], [[["a"]]]), T, "hashable"),
    ("pairwise-100000-rows", lambda: vl.pairwise_similarity_values(np.ones((100_000, 2), np.float32)), E,
     r"4,999,950,000 pairwise values of 100,000 vectors would need \d+ GB"),
    ("pairwise-100000-rows-euclidean", lambda: vl.pairwise_similarity_values(np.ones((100_000, 2), np.float32),
                                                                             metric="euclidean"), E, "would need"),
    ("bootstrap-10**9", lambda: vl.bootstrap_ci([1.0, 2.0, 3.0], n_resamples=10**9), E,
     r"n_resamples=1,000,000,000 would draw 3,000,000,000 indices .* use at most 10,000,000"),
]


def _table(keys: list[str]) -> Any:
    vectors = np.eye(len(keys), dtype=np.float32)
    return vl.most_similar(vectors[0], vectors, keys, k=len(keys))


def test_uint64_ids_from_2_63_do_not_wrap():
    a = np.array([[2**63 + 5, 2**63 + 1, 7], [1, 2, 2**64 - 1]], dtype=np.uint64)
    assert vl.recall_at_k(a, a[:, ::-1]) == 1.0
    # reference by hand: row 0 shares {7} of 3, row 1 shares {1, 2} of 3 (the -1 is a missing result)
    assert vl.recall_at_k(a, np.array([[7, -1, 3], [1, 2, 4]])) == pytest.approx((1 / 3 + 2 / 3) / 2)
    ids = np.array([[0, 2**63 + 3, 1], [1, 2**63, 0]], dtype=np.uint64)
    kept = vl.drop_self(ids, 2)
    assert [[int(i) for i in row] for row in kept] == [[2**63 + 3, 1], [2**63, 0]]


def test_overlap_and_rank_agreement_of_two_tables_compare_their_keys():
    cats, cars = _table(["cat", "dog", "fox"]), _table(["car", "bus", "van"])
    assert vl.overlap(cats, cars) == 0.0  # no key in common (the column names were compared before)
    assert vl.overlap(cats, _table(["cat", "dog", "owl"])) == pytest.approx(2 / 3)
    assert vl.overlap(cats, cats) == 1.0 and vl.rank_agreement(cats, cats) == 1.0
    with pytest.raises(E, match="share 0 items"):
        vl.rank_agreement(cats, cars)


def test_search_quality_reads_a_generator_like_a_list():
    expected = ["a", "d"]
    from_list = vl.search_quality([["a", "b"], ["c", "d"]], expected, k=2, n_resamples=200)
    from_generator = vl.search_quality(_generator_of_lists(), iter(expected), k=2, n_resamples=200)
    assert from_generator.equals(from_list)
    assert from_list["hit@2"].tolist() == [1.0]  # by hand: both answers are in the top 2


def test_bootstrap_in_blocks_draws_the_same_resamples_as_one_draw(monkeypatch):
    from vectorlab import _relevance

    values = np.random.default_rng(4).random(7)
    whole = vl.bootstrap_ci(values, n_resamples=1000, seed=3)
    monkeypatch.setattr(_relevance, "RESAMPLE_BLOCK", 7 * 64)  # 64 resamples a block
    assert vl.bootstrap_ci(values, n_resamples=1000, seed=3) == whole
    means = values[np.random.default_rng(3).integers(0, 7, (1000, 7))].mean(axis=1)  # the reference
    assert whole[1:] == pytest.approx(tuple(np.quantile(means, [0.025, 0.975])))


PCA_X = np.random.default_rng(5).normal(size=(10, 3))
BAD_20_PCA_VIZ = [
    ("pca_reduce-identical-rows", lambda: vl.pca_reduce(np.ones((4, 3)), 1), E,
     "all 4 vectors are identical, so there is no direction of spread"),
    ("pca_reduce-fit_on-one-row", lambda: vl.pca_reduce(PCA_X, 1, fit_on=PCA_X[:1]), E,
     r"cannot fit a PCA on 1 vector \(fit_on has one row\)"),
    ("fit_pca-one-row", lambda: vl.fit_pca(PCA_X[:1], 1), E, r"cannot fit a PCA on 1 vector \(vectors has one row\)"),
    ("fit_pca-identical-rows", lambda: vl.fit_pca(np.full((5, 2), 7.0), 1), E, "identical"),
    ("line_chart-3-x-2-y", lambda: vl.viz.line_chart([1, 2, 3], {"recall": [0.5, 0.9]}, "k", "recall",
                                                     legend_title="metric"), E,
     r"got 3 x values but 2 y values for 'recall'"),
]


# BAD_20 with the evaluation cases and the degenerate PCA / mismatched chart cases: one test for the three tables
@pytest.mark.parametrize(("call", "error", "message"),
                         [pytest.param(*case[1:], id=case[0]) for case in BAD_20 + BAD_20_EVALUATE + BAD_20_PCA_VIZ])
def test_issue20_bad_input_is_a_typed_error_naming_the_value(call, error, message):
    with pytest.raises(error, match=message) as caught:
        call()
    assert isinstance(caught.value, errors.VectorlabError)


def test_pca_at_1e20_scale_matches_a_float64_reference():
    from sklearn.decomposition import PCA

    reference = PCA(n_components=2).fit(PCA_X.astype(np.float32).astype(np.float64))  # float64, unscaled
    pca = vl.fit_pca(PCA_X * 1e20, 2)
    np.testing.assert_allclose(pca.explained_variance_ratio_, reference.explained_variance_ratio_, rtol=1e-5)
    reduced, _ = vl.pca_reduce(PCA_X * 1e20, 2, normalize=False)
    expected = reference.transform(PCA_X.astype(np.float32).astype(np.float64))
    np.testing.assert_allclose(np.abs(reduced / 1e20), np.abs(expected), rtol=1e-4, atol=1e-5)  # signs may flip


# ------------------------------------------------------------ issue 20: index files a crash cannot break

SAVE_TWO = """
    import os, numpy as np, vectorlab as vl
    import vectorlab.hnsw as hnsw
    rng = np.random.default_rng(0)
    old, new = vl.HNSWIndex(8, num_threads=1), vl.HNSWIndex(8, num_threads=1)
    old.add(rng.standard_normal((300, 8)))
    new.add(rng.standard_normal((500 if {grow} else 300, 8)))
    old.save("ix.bin")
    query = rng.standard_normal(8)
    np.save("expected.npy", np.stack([old.query(query, k=5)[0], new.query(query, k=5)[0]]))
    np.save("query.npy", query)
"""
CRASHES = {
    # os._exit is a kill -9 for the files: no cleanup, no finally, no flush of Python objects
    "before the settings switch": "hnsw.atomic_write = lambda *a, **k: os._exit(9)",
    "between the two renames": "real = hnsw.atomic_write\n"
                               "    def crash(*a, **k):\n"
                               "        real(*a, **k)\n"
                               "        os._exit(9)\n"
                               "    hnsw.atomic_write = crash",
    "after both renames": "",
}


@pytest.mark.parametrize("grow", [True, False])
@pytest.mark.parametrize("crash", CRASHES)
def test_a_save_killed_between_its_steps_leaves_the_old_pair_or_the_new_pair(tmp_path, crash, grow):
    result = _run(SAVE_TWO.format(grow=grow) + f"""
    {CRASHES[crash]}
    new.save("ix.bin")
    """, tmp_path)
    assert result.returncode == (0 if crash == "after both renames" else 9), result.stderr[-2000:]
    check = _run("""
    import numpy as np, vectorlab as vl
    loaded = vl.HNSWIndex.load("ix.bin", num_threads=1)
    expected = np.load("expected.npy")
    found = loaded.query(np.load("query.npy"), k=5)[0]
    print("OLD" if (found == expected[0]).all() else "NEW" if (found == expected[1]).all() else "MIX", len(loaded))
    """, tmp_path)
    assert check.returncode == 0, check.stderr[-2000:]
    which = "NEW" if crash == "after both renames" else "OLD"
    assert check.stdout.split() == [which, str(300 if which == "OLD" or not grow else 500)], check.stdout


def test_a_settings_file_naming_a_previous_index_still_refuses_a_damaged_file(tmp_path):
    result = _run(SAVE_TWO.format(grow=True) + """
    new.save("ix.bin")
    open("ix.bin", "wb").write(os.urandom(os.path.getsize("ix.bin")))
    try:
        vl.HNSWIndex.load("ix.bin")
    except vl.errors.DataFileError as error:
        print("ERROR", error)
    """, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "ERROR" in result.stdout and "is damaged or was replaced" in result.stdout


def test_two_threads_adding_with_default_ids_keep_every_vector():
    import threading

    index = vl.HNSWIndex(8, num_threads=1)
    batches = [np.random.default_rng(seed).standard_normal((3000, 8)).astype(np.float32) for seed in (1, 2)]
    returned: list[tuple[np.ndarray, np.ndarray]] = []
    threads = [threading.Thread(target=lambda b=b: returned.append((b, index.add(b)))) for b in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(index) == 6000 and np.unique(index.ids).size == 6000
    assert sorted(np.concatenate([ids for _, ids in returned]).tolist()) == list(range(6000))
    for batch, ids in returned:  # each vector is found under the id add returned for it (itself: distance 0)
        found, _ = index.query(batch[:20], k=1)
        np.testing.assert_array_equal(found[:, 0], ids[:20])


@pytest.mark.parametrize("threads", [10**6, 2**31 - 1])
def test_num_threads_above_what_the_machine_runs_is_refused(threads):
    with pytest.raises(E, match=rf"num_threads={threads} is more than this machine can run usefully .* use "
                                rf"num_threads <= {vl.hnsw.MAX_THREADS}"):
        vl.HNSWIndex(4, num_threads=threads)
    index = vl.HNSWIndex(4, num_threads=1)
    with pytest.raises(E, match="more than this machine"):
        index.num_threads = threads
    vl.HNSWIndex(4, num_threads=vl.hnsw.MAX_THREADS)  # the bound itself is accepted


@pytest.mark.parametrize("vectors", [
    pytest.param([[3e-7, 4e-7], [1.4e-6, -2.6e-6]], id="tiny (the issue's pair)"),
    pytest.param([[1e-7, -2e-7, 3e-7], [5e-8, 5e-8, -1e-7]], id="1e-7"),
    pytest.param([[1e30, -3e29, 2e28], [3.4e38, -1e38, 1.0]], id="huge"),
    pytest.param([[0.6, 0.8, 0.0], [1e-7, 2e-7, -3e-7], [1e30, 1e29, -1e30], [0.123456789, -0.5, 1e-3]],
                 id="mixed scales"),
])
def test_save_embeddings_keeps_every_vectors_direction(tmp_path, vectors):
    original = np.array(vectors, dtype=np.float32)
    path = save_embeddings(tmp_path / "e.json", Embeddings([f"k{i}" for i in range(len(original))], original, "m"))
    back = load_embeddings(path, "m").vectors
    # reference: float64 cosine of each vector with itself as read back, and no vector turned to zero
    o64, b64 = original.astype(np.float64), back.astype(np.float64)
    cosines = np.sum(o64 * b64, axis=1) / (np.linalg.norm(o64, axis=1) * np.linalg.norm(b64, axis=1))
    assert np.all(cosines > 1 - 1e-8), cosines
    damaged = np.linalg.norm(np.round(o64, 6) - o64, axis=1) > 1e-4 * np.linalg.norm(o64, axis=1)
    np.testing.assert_array_equal(back[damaged].view(np.uint32), original[damaged].view(np.uint32))  # exact


def test_shipped_embeddings_files_re_save_byte_identical(tmp_path):
    for shipped in sorted((Path(vl.__file__).resolve().parents[2] / "data" / "embeddings").rglob("*.json")):
        text = shipped.read_bytes()
        header = json.loads(text)
        loaded = load_embeddings(shipped, header["model"])
        again = save_embeddings(tmp_path / shipped.name, loaded, source=header.get("source", ""))
        assert again.read_bytes() == text, shipped.name


BAD_20_ARRAYS = [
    ("None-in-a-vector", lambda: vl.normalize([1, None]), T, r"vectors holds None \(NoneType\) at index \(1,\): every "
     "value must be a number"),
    ("text-in-a-vector", lambda: vl.exhaustive_search([1, 0], [[1, 0], [0, "x"]], k=1), T,
     r"vectors must hold numbers, got array of shape \(2, 2\) and dtype <U"),
    ("generator", lambda: vl.exhaustive_search((x for x in [1.0, 0.0]), V2, k=1), T,
     "query is a generator, not an array of numbers: pass a list or array"),
    ("dict", lambda: vl.cosine_similarity({"a": [1, 0]}, [1, 0]), T,
     r"a is a dict, not an array: pass its vectors as a list, e\.g\. np\.array\(list\(a\.values\(\)\)\)"),
    ("set", lambda: vl.magnitude({1.0, 2.0}), T, "vectors is a set, which has no order: pass a list"),
    ("text-DataFrame", lambda: vl.pca_reduce(__import__("pandas").DataFrame({"title": ["a", "b"], "x": [1, 2]}), 1),
     T, r"vectors is a DataFrame with non-numeric columns \['title'\]: pass only the vector columns"),
    ("10**40", lambda: vl.normalize([10**40, 1]), E,
     r"vectors holds the integer 1e\+40 at index \(0,\), beyond float32's range"),
]


@pytest.mark.parametrize(("call", "error", "message"), [pytest.param(*case[1:], id=case[0]) for case in BAD_20_ARRAYS])
def test_issue20_what_an_unreadable_array_really_is(call, error, message):
    with pytest.raises(error, match=message) as caught:
        call()
    assert "same length" not in str(caught.value)
