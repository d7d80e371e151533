"""Question 4: binary codes — vectorlab's packed Hamming scan vs faiss IndexBinaryFlat, and rescoring.

One bit per dimension (``value > 0``), 48 bytes for 384 dims instead of 1,536. Rows:

* the float32 exact scan (the peer: "how much faster than float32, and how much recall is lost");
* Hamming top-10 alone with ``search_binary`` (codes as given), ``BinaryIndex`` (codes laid out for
  the scan once), and faiss ``IndexBinaryFlat``;
* Hamming top-(10 x oversampling) then ``rescore`` with the float32 vectors, for 2x, 4x, 8x and 10x;
* the same with per-dimension thresholds from the index (``binary_threshold``: mean, median), and with
  a fixed random rotation (``random_rotation``) before median thresholds. Query codes are made once,
  before timing, for every row (a rotated query also needs one 384 x 384 product to encode).

Bytes are the bytes searched (the codes); rescoring also needs the float vectors (often on disk).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from benchmarks.dataset import Dataset
from benchmarks.harness import Result, Settings, log, measure, recall_at_k, row, set_ratios, single_loop

QUESTION = "binary"
TITLE = "Binary quantization: Hamming scan and rescoring"
OVERSAMPLING = (2, 4, 8, 10)
MEAN_THRESHOLD_OVERSAMPLING = (2, 4, 8)
# Variants of the codes (key prefix, label): per-dimension thresholds, and a rotation first.
THRESHOLD_VARIANTS = (("mean", "mean thresholds"), ("median", "median thresholds"),
                      ("rotmedian", "random rotation + median thresholds"))


def run(ds: Dataset, settings: Settings) -> Result:
    from benchmarks.binary_index import BinaryIndex
    from vectorlab.quantize import binary_threshold, quantize_binary, random_rotation, rescore, search_binary
    from vectorlab.search import exhaustive_search

    started = time.perf_counter()
    k, X, Q = ds.k, ds.vectors, ds.queries
    single_q = Q[: settings.single_queries]

    start = time.perf_counter()
    codes = quantize_binary(X)
    quantize_s = time.perf_counter() - start
    start = time.perf_counter()
    index = BinaryIndex(codes)
    layout_s = time.perf_counter() - start
    query_codes = quantize_binary(Q)
    single_codes = query_codes[: len(single_q)]

    methods: dict[str, dict] = {
        "float32": {"method": "vectorlab exhaustive_search (float32)", "library": "vectorlab",
                    "params": 'metric="dot"', "bytes": X.nbytes, "build": 0.0, "queries": "float",
                    "single": lambda q: exhaustive_search(q, X, k, metric="dot"),
                    "batch": lambda qs: exhaustive_search(qs, X, k, metric="dot")[0]},
        "search_binary": {"method": "vectorlab search_binary", "library": "vectorlab", "params": "codes array",
                          "bytes": codes.nbytes, "build": quantize_s, "queries": "codes",
                          "single": lambda c: search_binary(c, codes, k),
                          "batch": lambda cs: search_binary(cs, codes, k)[0]},
        "BinaryIndex": {"method": "vectorlab BinaryIndex", "library": "vectorlab", "params": "",
                        "bytes": index.nbytes, "build": quantize_s + layout_s, "queries": "codes",
                        "single": lambda c: index.search(c, k), "batch": lambda cs: index.search(cs, k)[0]},
    }
    try:
        import faiss

        start = time.perf_counter()
        fbin = faiss.IndexBinaryFlat(ds.dims)
        fbin.add(codes)
        methods["faiss"] = {"method": "faiss IndexBinaryFlat", "library": "faiss", "params": "",
                            "bytes": codes.nbytes, "build": quantize_s + time.perf_counter() - start,
                            "queries": "codes",
                            "single": lambda c: fbin.search(c[np.newaxis, :], k),
                            "batch": lambda cs: fbin.search(cs, k)[1]}
    except ImportError:  # pragma: no cover - the benchmark requirements include faiss-cpu
        log(settings, "  faiss not installed: skipping its rows")

    def pipeline(factor: int, index: Any):
        def one(i_q: tuple[np.ndarray, np.ndarray]):
            code, q = i_q
            candidates, _ = index.search(code, k * factor)
            return rescore(q, candidates, X, k)

        def many(qs: np.ndarray, cs: np.ndarray):
            candidates, _ = index.search(cs, k * factor)
            return rescore(qs, candidates, X, k)[0]

        return one, many

    for factor in OVERSAMPLING:
        one, many = pipeline(factor, index)
        methods[f"rescore{factor}"] = {
            "method": "vectorlab BinaryIndex + rescore", "library": "vectorlab",
            "params": f"{factor}x oversampling ({k * factor} candidates)", "bytes": index.nbytes,
            "build": quantize_s + layout_s, "queries": "both", "single": one, "batch": many}
    # Bits relative to each dimension's mean or median (vectorlab.binary_threshold) instead of 0:
    # MiniLM's dimensions are not centred on 0, so "> 0" sets some bits almost always or almost never.
    # The median makes every bit 1 for exactly half the vectors. A random rotation first spreads each
    # dimension over all bits; it preserves dot products, so rescoring uses the original vectors.
    variant_codes: dict[str, np.ndarray] = {}
    for prefix, label in THRESHOLD_VARIANTS:
        start = time.perf_counter()
        if prefix == "rotmedian":
            rotation = random_rotation(ds.dims, seed=0)
            encode_x, encode_q = X @ rotation, Q @ rotation
        else:
            encode_x, encode_q = X, Q
        threshold = binary_threshold(encode_x, statistic="mean" if prefix == "mean" else "median")
        variant_index = BinaryIndex(quantize_binary(encode_x, threshold))
        variant_build = time.perf_counter() - start
        variant_codes[prefix] = quantize_binary(encode_q, threshold)
        for factor in MEAN_THRESHOLD_OVERSAMPLING:
            one, many = pipeline(factor, variant_index)
            methods[f"{prefix}-rescore{factor}"] = {
                "method": "vectorlab BinaryIndex + rescore", "library": "vectorlab",
                "params": f"{label}, {factor}x oversampling", "bytes": variant_index.nbytes,
                "build": variant_build, "queries": prefix, "single": one, "batch": many}

    def single_call(m: dict):
        if m["queries"] == "float":
            return single_loop(m["single"], single_q)
        if m["queries"] == "codes":
            return single_loop(m["single"], single_codes)
        codes_q = variant_codes.get(m["queries"], query_codes)
        pairs = list(zip(codes_q[: len(single_q)], single_q, strict=True))
        return lambda: [m["single"](p) for p in pairs]

    def batch_call(m: dict):
        if m["queries"] == "float":
            return lambda: m["batch"](Q)
        if m["queries"] == "codes":
            return lambda: m["batch"](query_codes)
        return lambda: m["batch"](Q, variant_codes.get(m["queries"], query_codes))

    log(settings, f"  timing {len(methods)} methods, {len(single_q)} single queries and batches of {len(Q)} ...")
    single = measure({name: single_call(m) for name, m in methods.items()}, settings.repeats)
    batch = measure({name: batch_call(m) for name, m in methods.items()}, settings.repeats)

    rows = []
    for name, m in methods.items():
        found = batch_call(m)()
        rows.append(row(QUESTION, m["method"], m["library"], params=m["params"],
                        recall=recall_at_k(found, ds.ground_truth), single=single[name].rate(len(single_q)),
                        batch=batch[name].rate(len(Q)), build_s=m["build"], index_bytes=m["bytes"], n=ds.n,
                        notes="+ float32 vectors for rescoring" if m["queries"] not in ("float", "codes") else ""))
        rows[-1]["key"] = name
    float_row = rows[0]
    set_ratios(rows, float_row)
    faiss_row = next((r for r in rows if r["key"] == "faiss"), None)
    extra = {"bits": ds.dims, "code_bytes": int(codes.shape[1]),
             "bytes_ratio_vs_float32": round(X.nbytes / codes.nbytes, 1)}
    if faiss_row is not None:
        for r in rows:
            if r["key"] in ("search_binary", "BinaryIndex"):
                extra[f"{r['key']}_vs_faiss_single"] = round(r["qps_single"] / faiss_row["qps_single"], 3)
                extra[f"{r['key']}_vs_faiss_batch"] = round(r["qps_batch"] / faiss_row["qps_batch"], 3)
    return Result(QUESTION, TITLE, rows, extra=extra, seconds=time.perf_counter() - started)
