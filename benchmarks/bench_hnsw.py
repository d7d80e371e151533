"""Question 3: HNSW — vectorlab.HNSWIndex (hnswlib) vs faiss IndexHNSWFlat vs usearch, recall vs QPS.

Every library builds the same graph recipe (M links per node, ef_construction = 200, inner product on
unit vectors) with the same threads, then sweeps the search-time candidate list ``ef``. The peer of
every row is vectorlab's exhaustive search measured in the same process: the ratio says how many times
faster than the exact scan each setting is, and the recall what that speed costs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.dataset import Dataset
from benchmarks.harness import Result, Settings, Timing, log, measure, recall_at_k, row, set_ratios, single_loop

QUESTION = "hnsw"
TITLE = "HNSW: recall vs queries per second"
EF_CONSTRUCTION = 200
EF_SWEEP = (10, 16, 24, 32, 48, 64, 96, 128, 256, 512)
EF_SWEEP_SMOKE = (10, 64)
M_VALUES = (16, 32)


def _build_vectorlab(X: np.ndarray, M: int, threads: int) -> tuple[Any, Callable, Callable, Callable, int]:
    from vectorlab.hnsw import HNSWIndex

    index = HNSWIndex(X.shape[1], space="ip", M=M, ef_construction=EF_CONSTRUCTION, max_elements=len(X),
                      num_threads=threads)
    index.add(X)

    def set_ef(ef: int) -> None:
        index.ef = ef

    return index, set_ef, (lambda q, k: index.query(q, k)), (lambda qs, k: index.query(qs, k)[0]), index.nbytes


def _build_faiss(X: np.ndarray, M: int, threads: int) -> tuple[Any, Callable, Callable, Callable, int]:
    import faiss

    index = faiss.IndexHNSWFlat(X.shape[1], M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = EF_CONSTRUCTION
    index.add(X)

    def set_ef(ef: int) -> None:
        index.hnsw.efSearch = ef

    nbytes = int(faiss.serialize_index(index).nbytes)
    return (index, set_ef, (lambda q, k: index.search(q[np.newaxis, :], k)),
            (lambda qs, k: index.search(qs, k)[1]), nbytes)


def _build_usearch(X: np.ndarray, M: int, threads: int) -> tuple[Any, Callable, Callable, Callable, int]:
    from usearch.index import Index

    index = Index(ndim=X.shape[1], metric="ip", dtype="f32", connectivity=M, expansion_add=EF_CONSTRUCTION)
    index.add(np.arange(len(X), dtype=np.uint64), X, threads=threads)

    def set_ef(ef: int) -> None:
        index.expansion_search = ef

    return (index, set_ef, (lambda q, k: index.search(q, k, threads=1)),
            (lambda qs, k: index.search(qs, k, threads=threads).keys.astype(np.int64)),
            int(index.serialized_length))


BUILDERS = {
    "vectorlab": ("vectorlab HNSWIndex (hnswlib)", _build_vectorlab),
    "faiss": ("faiss IndexHNSWFlat", _build_faiss),
    "usearch": ("usearch Index", _build_usearch),
}


def run(ds: Dataset, settings: Settings) -> Result:
    from vectorlab.search import exhaustive_search

    started = time.perf_counter()
    k, X, Q = ds.k, ds.vectors, ds.queries
    single_q = Q[: settings.single_queries]
    threads = settings.threads

    # The exact scan, measured here before and after the sweep (load on a shared machine drifts over
    # minutes), is the peer of every row.
    exact_calls = {
        "single": single_loop(lambda q: exhaustive_search(q, X, k, metric="dot"), single_q),
        "batch": lambda: exhaustive_search(Q, X, k, metric="dot"),
    }
    before = measure(exact_calls, settings.repeats)
    rows: list[dict] = []
    sweep = EF_SWEEP_SMOKE if settings.smoke else EF_SWEEP
    for M in M_VALUES[:1] if settings.smoke else M_VALUES:
        for library, (method, build) in BUILDERS.items():
            try:
                start = time.perf_counter()
                _index, set_ef, search_one, search_all, nbytes = build(X, M, threads)
                build_s = time.perf_counter() - start
            except ImportError:  # pragma: no cover - the benchmark requirements include faiss and usearch
                log(settings, f"  {library} not installed: skipping")
                continue
            log(settings, f"  {method} M={M}: built in {build_s:.1f} s; sweeping ef {list(sweep)} ...")
            for ef in sweep:
                set_ef(ef)
                t = measure({"single": single_loop(lambda q, f=search_one: f(q, k), single_q),
                             "batch": lambda f=search_all: f(Q, k)}, settings.repeats)
                rows.append(row(QUESTION, method, library, params=f"M={M} ef={ef}",
                                recall=recall_at_k(search_all(Q, k), ds.ground_truth),
                                single=t["single"].rate(len(single_q)), batch=t["batch"].rate(len(Q)),
                                build_s=build_s, index_bytes=nbytes, n=ds.n))
                rows[-1]["M"], rows[-1]["ef"] = M, ef
            del _index
    after = measure(exact_calls, settings.repeats)
    exact = row(QUESTION, "vectorlab exhaustive_search (exact)", "vectorlab", params='metric="dot"',
                recall=recall_at_k(exhaustive_search(Q, X, k, metric="dot")[0], ds.ground_truth),
                single=Timing(before["single"].seconds + after["single"].seconds).rate(len(single_q)),
                batch=Timing(before["batch"].seconds + after["batch"].seconds).rate(len(Q)),
                index_bytes=X.nbytes, n=ds.n, notes="timed before and after the sweep")
    rows.insert(0, exact)
    set_ratios(rows, exact)
    return Result(QUESTION, TITLE, rows, extra={"ef_construction": EF_CONSTRUCTION, "sweep": list(sweep),
                                                "M": list(M_VALUES)},
                  seconds=time.perf_counter() - started)
