"""Question 5: int8 scalar quantization — recall@10 and bytes, global vs per-dimension ranges.

Ranges are calibrated on the index vectors themselves (min and max of every value, or of each
dimension). ``search_int8`` scores float queries against the int8 codes directly. For reference, the
same 8-bit recipe in faiss (``IndexScalarQuantizer``, QT_8bit, per-dimension ranges) and vectorlab's
int8 search followed by float rescoring of 2x candidates.
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks.dataset import Dataset
from benchmarks.harness import Result, Settings, log, measure, recall_at_k, row, set_ratios, single_loop

QUESTION = "int8"
TITLE = "int8 scalar quantization: global vs per-dimension ranges"


def run(ds: Dataset, settings: Settings) -> Result:
    from vectorlab.quantize import int8_ranges, quantize_int8, rescore, search_int8
    from vectorlab.search import exhaustive_search

    started = time.perf_counter()
    k, X, Q = ds.k, ds.vectors, ds.queries
    # int8 search converts blocks of codes to float32 per call: time single queries on a smaller set.
    single_q = Q[: max(5, settings.single_queries // 8)]

    methods: dict[str, dict] = {
        "float32": {"method": "vectorlab exhaustive_search (float32)", "params": 'metric="dot"',
                    "library": "vectorlab", "bytes": X.nbytes, "build": 0.0,
                    "single": lambda q: exhaustive_search(q, X, k, metric="dot"),
                    "batch": lambda qs: exhaustive_search(qs, X, k, metric="dot")[0]},
    }
    for per_dimension in (False, True):
        start = time.perf_counter()
        ranges = int8_ranges(X, per_dimension=per_dimension)
        codes = quantize_int8(X, ranges)
        build_s = time.perf_counter() - start
        label = "per-dimension ranges" if per_dimension else "global range"
        methods[label] = {"method": "vectorlab search_int8", "params": label, "library": "vectorlab",
                          "bytes": codes.nbytes + ranges.nbytes, "build": build_s, "codes": codes,
                          "ranges": ranges,
                          "single": lambda q, c=codes, r=ranges: search_int8(q, c, r, k),
                          "batch": lambda qs, c=codes, r=ranges: search_int8(qs, c, r, k)[0]}
    per_dim = methods["per-dimension ranges"]
    codes_pd, ranges_pd = per_dim["codes"], per_dim["ranges"]
    methods["per-dimension + rescore"] = {
        "method": "vectorlab search_int8 + rescore", "params": "per-dimension ranges, 2x oversampling",
        "library": "vectorlab", "bytes": per_dim["bytes"], "build": per_dim["build"],
        "single": lambda q: rescore(q, search_int8(q, codes_pd, ranges_pd, 2 * k)[0], X, k),
        "batch": lambda qs: rescore(qs, search_int8(qs, codes_pd, ranges_pd, 2 * k)[0], X, k)[0]}
    try:
        import faiss

        start = time.perf_counter()
        sq = faiss.IndexScalarQuantizer(ds.dims, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
        sq.train(X)
        sq.add(X)
        methods["faiss"] = {"method": "faiss IndexScalarQuantizer", "params": "QT_8bit (per-dimension)",
                            "library": "faiss", "bytes": int(faiss.serialize_index(sq).nbytes),
                            "build": time.perf_counter() - start,
                            "single": lambda q: sq.search(q[np.newaxis, :], k),
                            "batch": lambda qs: sq.search(qs, k)[1]}
    except ImportError:  # pragma: no cover - the benchmark requirements include faiss-cpu
        log(settings, "  faiss not installed: skipping its rows")

    log(settings, f"  timing {len(methods)} methods ...")
    single = measure({name: single_loop(m["single"], single_q) for name, m in methods.items()}, settings.repeats)
    batch = measure({name: (lambda m=m: m["batch"](Q)) for name, m in methods.items()}, settings.repeats)
    rows = []
    for name, m in methods.items():
        rows.append(row(QUESTION, m["method"], m["library"], params=m["params"],
                        recall=recall_at_k(m["batch"](Q), ds.ground_truth), single=single[name].rate(len(single_q)),
                        batch=batch[name].rate(len(Q)), build_s=m["build"], index_bytes=m["bytes"], n=ds.n,
                        notes="+ float32 vectors for rescoring" if "rescore" in name else ""))
        rows[-1]["key"] = name
    set_ratios(rows, rows[0])
    return Result(QUESTION, TITLE, rows, extra={"bytes_ratio_vs_float32": round(X.nbytes / per_dim["bytes"], 2)},
                  seconds=time.perf_counter() - started)
