"""Question 2: the talk's pure-Python cosine loop vs vectorlab on the talk-sized workload (500 x 384).

The talk keeps embeddings as ``{text: [floats]}`` (plain lists from JSON) and ranks with a
``cosine_similarity`` written with ``zip`` and ``sum``, then ``sorted`` over a dict. That is exactly
what runs here, on the first 500 vectors of the benchmark set; vectorlab gets the same 500 vectors as
one float32 array. Same queries, same answers (recall is checked against the exact top 10 of the 500).
"""

from __future__ import annotations

import math
import time

import numpy as np
from threadpoolctl import threadpool_limits

from benchmarks.dataset import exact_top_k
from benchmarks.harness import Result, Settings, measure, recall_at_k, row, set_ratios, single_loop

QUESTION = "talk_loop"
TITLE = "The talk's pure-Python loop vs vectorlab (500 x 384)"
TALK_SIZE = 500


def cosine_similarity(v1: list[float], v2: list[float]) -> float:
    """As in the talk: plain Python over lists."""
    dot_product = sum(x * y for x, y in zip(v1, v2, strict=True))
    magnitude = math.sqrt(sum(x**2 for x in v1)) * math.sqrt(sum(x**2 for x in v2))
    return dot_product / magnitude


def most_similar(query: list[float], vectors: dict[str, list[float]], k: int = 10) -> list[str]:
    similarities = {text: cosine_similarity(query, vector) for text, vector in vectors.items()}
    return [text for text, _ in sorted(similarities.items(), key=lambda item: item[1], reverse=True)[:k]]


def run(ds, settings: Settings) -> Result:  # noqa: ANN001 - a Dataset
    from vectorlab.search import exhaustive_search

    started = time.perf_counter()
    k = ds.k
    size = min(TALK_SIZE, ds.n)
    X = np.ascontiguousarray(ds.vectors[:size])
    words = [f"{i}:{w}" for i, w in enumerate((ds.words or [str(i) for i in range(ds.n)])[:size])]
    position = {w: i for i, w in enumerate(words)}
    talk_vectors = {w: [float(x) for x in X[i]] for i, w in enumerate(words)}  # as loaded from JSON
    n_queries = min(len(ds.queries), 20 if not settings.smoke else 5)
    Q = ds.queries[:n_queries]  # the loop is slow: time it (and single vectorlab calls) on 20 queries
    Q_all = ds.queries  # a vectorlab batch call takes all of them
    Q_lists = [[float(x) for x in q] for q in Q]
    truth = exact_top_k(Q, X, k)

    python_found = np.array([[position[w] for w in most_similar(q, talk_vectors, k)] for q in Q_lists])
    vectorlab_found = exhaustive_search(Q, X, k, metric="cosine")[0]
    # One core for everyone: the loop is single-threaded, and BLAS threads only add overhead here.
    with threadpool_limits(limits=1):
        timings = measure({
            "python": lambda: [most_similar(q, talk_vectors, k) for q in Q_lists],
            "vectorlab": single_loop(lambda q: exhaustive_search(q, X, k, metric="cosine"), Q),
            "vectorlab batch": lambda: exhaustive_search(Q_all, X, k, metric="cosine"),
            "vectorlab dot": single_loop(lambda q: exhaustive_search(q, X, k, metric="dot"), Q),
            "vectorlab dot batch": lambda: exhaustive_search(Q_all, X, k, metric="dot"),
        }, settings.repeats)
    python = row(QUESTION, "pure-Python cosine over lists (the talk)", "python", params="sum(zip) + sorted(dict)",
                 recall=recall_at_k(python_found, truth), single=timings["python"].rate(n_queries),
                 index_bytes=None, notes=f"{size} x {ds.dims} lists of Python floats")
    ours = row(QUESTION, "vectorlab exhaustive_search", "vectorlab", params='metric="cosine"',
               recall=recall_at_k(vectorlab_found, truth), single=timings["vectorlab"].rate(n_queries),
               batch=timings["vectorlab batch"].rate(len(Q_all)), index_bytes=X.nbytes, n=size,
               notes=f"{size} x {ds.dims} float32 array")
    dot = row(QUESTION, "vectorlab exhaustive_search", "vectorlab", params='metric="dot" (unit vectors)',
              recall=recall_at_k(exhaustive_search(Q, X, k, metric="dot")[0], truth),
              single=timings["vectorlab dot"].rate(n_queries),
              batch=timings["vectorlab dot batch"].rate(len(Q_all)),
              index_bytes=X.nbytes, n=size, notes="same ranking: the vectors are unit length")
    rows = [python, ours, dot]
    set_ratios(rows, python)
    for r in (ours, dot):  # batch QPS against the loop's (single-query) QPS: what vectorizing buys
        r["ratio_batch"] = round(r["qps_batch"] / python["qps_single"], 1)
    return Result(QUESTION, TITLE, rows,
                  extra={"size": size, "queries": n_queries, "batch_queries": len(Q_all), "threads": 1,
                         "speedup_single": ours["ratio_single"]},
                  seconds=time.perf_counter() - started)
