"""Question 1: exhaustive float32 top-10 — vectorlab vs numpy's naive full sort vs faiss IndexFlatIP.

Also: the GB/s of vectors each method scans, next to the machine's measured memory bandwidth. One
query at a time, an exhaustive search must read every vector from memory, so its speed is bounded by
bandwidth; a batch reuses each vector (from cache) for many queries and becomes a matrix product.
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks.dataset import Dataset
from benchmarks.harness import Result, Settings, log, measure, memory_bandwidth, recall_at_k, row, set_ratios
from benchmarks.harness import single_loop as loop

QUESTION = "exhaustive"
TITLE = "Exhaustive float32 search"


def naive_single(vectors: np.ndarray, query: np.ndarray, k: int) -> np.ndarray:
    """What a first numpy version looks like: score everything, sort everything."""
    return np.argsort(-(vectors @ query))[:k]


def naive_batch(vectors: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    return np.argsort(-(queries @ vectors.T), axis=1)[:, :k]


def run(ds: Dataset, settings: Settings) -> Result:
    from vectorlab.search import exhaustive_search

    started = time.perf_counter()
    k, X, Q = ds.k, ds.vectors, ds.queries
    single_q = Q[: settings.single_queries]
    nbytes = X.nbytes
    methods: dict[str, dict] = {
        "vectorlab dot": {"library": "vectorlab", "method": "vectorlab exhaustive_search",
                          "params": 'metric="dot"',
                          "single": lambda q: exhaustive_search(q, X, k, metric="dot"),
                          "batch": lambda qs: exhaustive_search(qs, X, k, metric="dot")[0]},
        "vectorlab cosine": {"library": "vectorlab", "method": "vectorlab exhaustive_search",
                             "params": 'metric="cosine"',
                             "single": lambda q: exhaustive_search(q, X, k, metric="cosine"),
                             "batch": lambda qs: exhaustive_search(qs, X, k, metric="cosine")[0]},
        "numpy naive": {"library": "numpy", "method": "numpy full sort", "params": "argsort(-(X @ q))[:k]",
                        "single": lambda q: naive_single(X, q, k),
                        "batch": lambda qs: naive_batch(X, qs, k)},
    }
    build = {name: 0.0 for name in methods}
    try:
        import faiss

        start = time.perf_counter()
        flat = faiss.IndexFlatIP(ds.dims)
        flat.add(X)
        build["faiss"] = time.perf_counter() - start
        methods["faiss"] = {"library": "faiss", "method": "faiss IndexFlatIP", "params": "",
                            "single": lambda q: flat.search(q[np.newaxis, :], k),
                            "batch": lambda qs: flat.search(qs, k)[1]}
    except ImportError:  # pragma: no cover - the benchmark requirements include faiss-cpu
        log(settings, "  faiss not installed: skipping its rows")

    log(settings, f"  timing {len(single_q)} single queries x {settings.repeats} rounds ...")
    single = measure({name: loop(m["single"], single_q) for name, m in methods.items()}, settings.repeats)
    # The naive full sort of a 1,000 x 100,000 block takes seconds: time it on fewer rounds.
    log(settings, f"  timing batches of {len(Q)} queries x {settings.repeats} rounds ...")
    batch = measure({name: (lambda m=m: m["batch"](Q)) for name, m in methods.items()}, settings.repeats)

    rows = []
    for name, m in methods.items():
        found = m["batch"](Q)
        per_query_s = single[name].median / len(single_q)
        batch_query_s = batch[name].median / len(Q)
        r = row(QUESTION, m["method"], m["library"], params=m["params"], recall=recall_at_k(found, ds.ground_truth),
                single=single[name].rate(len(single_q)), batch=batch[name].rate(len(Q)), build_s=build[name],
                index_bytes=nbytes, n=ds.n,
                notes=f"scans {nbytes / per_query_s / 1e9:.1f} GB/s single, "
                      f"{nbytes / batch_query_s / 1e9:.0f} GB/s effective batched")
        r["gbps_single"] = round(nbytes / per_query_s / 1e9, 2)
        r["gbps_batch"] = round(nbytes / batch_query_s / 1e9, 1)
        rows.append(r)
    peer = next((r for r in rows if r["library"] == "faiss"), None)
    if peer is not None:
        set_ratios(rows, peer)

    log(settings, "  measuring memory bandwidth (large numpy copy) ...")
    bandwidth = memory_bandwidth(nbytes=(1 << 30) if not settings.smoke else (64 << 20), repeats=settings.repeats)
    return Result(QUESTION, TITLE, rows, extra={"bandwidth": bandwidth, "index_mb": round(nbytes / 1e6, 1)},
                  seconds=time.perf_counter() - started)
