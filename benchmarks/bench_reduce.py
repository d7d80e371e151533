"""Question 6: fewer dimensions — truncation vs PCA at 256/128/64 dims, alone and with binary + rescoring.

Recall is always against the exact top-10 of the full 384-dim vectors. "Alone" searches the reduced
float32 vectors exactly. "+ binary" keeps one bit per reduced dimension (``dims / 8`` bytes), takes
the Hamming top-40 (4x oversampling) and rescores those with the full float32 vectors.

all-MiniLM-L6-v2 was not trained for truncation (it is not a Matryoshka model), so its leading
dimensions carry no more information than any others: truncation should lose much more than PCA,
which keeps the directions of largest variance.
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks.dataset import Dataset
from benchmarks.harness import Result, Settings, log, measure, recall_at_k, row, set_ratios, single_loop

QUESTION = "reduce"
TITLE = "Dimension reduction: truncation and PCA, alone and with binary + rescoring"
DIMS = (256, 128, 64)
OVERSAMPLING = 4


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.ascontiguousarray(matrix / np.where(norms > 0, norms, 1), dtype=np.float32)


def run(ds: Dataset, settings: Settings) -> Result:
    from benchmarks.binary_index import BinaryIndex
    from vectorlab.quantize import quantize_binary, rescore
    from vectorlab.reduce import fit_pca, truncate
    from vectorlab.search import exhaustive_search

    started = time.perf_counter()
    k, X, Q = ds.k, ds.vectors, ds.queries
    single_q = Q[: max(5, settings.single_queries // 2)]
    variants: list[dict] = [{"method": "float32, all dims", "reduction": "none", "dims": ds.dims, "build": 0.0,
                             "X": X, "Q": Q}]
    for dims in DIMS:
        if dims >= ds.dims:
            continue
        start = time.perf_counter()
        Xt = truncate(X, dims)
        variants.append({"method": "truncation", "reduction": "truncate", "dims": dims,
                         "build": time.perf_counter() - start, "X": Xt, "Q": truncate(Q, dims)})
        start = time.perf_counter()
        pca = fit_pca(X, dims)
        Xp = _unit_rows(pca.transform(X))
        variants.append({"method": "PCA", "reduction": "pca", "dims": dims, "build": time.perf_counter() - start,
                         "X": Xp, "Q": _unit_rows(pca.transform(Q)),
                         "explained": float(pca.explained_variance_ratio_.sum())})
        log(settings, f"  reduced to {dims} dims (PCA keeps {variants[-1]['explained']:.0%} of the variance)")

    methods: dict[str, dict] = {}
    for v in variants:
        Xv, Qv, dims = v["X"], v["Q"], v["dims"]
        key = f"{v['reduction']}{dims}"
        methods[key] = {"method": v["method"], "params": f"{dims} dims, float32, exact",
                        "bytes": Xv.nbytes, "build": v["build"],
                        "single": single_loop(lambda q, Xv=Xv: exhaustive_search(q, Xv, k, metric="dot"),
                                              Qv[: len(single_q)]),
                        "batch": lambda Xv=Xv, Qv=Qv: exhaustive_search(Qv, Xv, k, metric="dot")[0],
                        "explained": v.get("explained")}
        start = time.perf_counter()
        index = BinaryIndex(quantize_binary(Xv))
        build = v["build"] + time.perf_counter() - start
        codes_q = quantize_binary(Qv)
        pairs = list(zip(codes_q[: len(single_q)], single_q, strict=True))

        def one_query(pairs=pairs, index=index) -> None:
            for code, q in pairs:
                rescore(q, index.search(code, k * OVERSAMPLING)[0], X, k)

        methods[key + "-binary"] = {
            "method": f"{v['method']} + binary + rescore", "params": f"{dims} bits, {OVERSAMPLING}x oversampling",
            "bytes": index.nbytes, "build": build, "single": one_query,
            "batch": lambda index=index, codes_q=codes_q: rescore(
                Q, index.search(codes_q, k * OVERSAMPLING)[0], X, k)[0],
            "explained": v.get("explained"), "notes": "+ float32 vectors for rescoring"}

    log(settings, f"  timing {len(methods)} variants ...")
    single = measure({name: m["single"] for name, m in methods.items()}, settings.repeats)
    batch = measure({name: m["batch"] for name, m in methods.items()}, settings.repeats)
    rows = []
    for name, m in methods.items():
        notes = m.get("notes", "")
        if m["explained"] is not None:
            notes = (f"PCA keeps {m['explained']:.0%} of the variance; " + notes).strip("; ")
        rows.append(row(QUESTION, m["method"], "vectorlab", params=m["params"],
                        recall=recall_at_k(m["batch"](), ds.ground_truth), single=single[name].rate(len(single_q)),
                        batch=batch[name].rate(len(Q)), build_s=m["build"], index_bytes=m["bytes"], n=ds.n,
                        notes=notes))
        rows[-1]["key"] = name
    set_ratios(rows, rows[0])
    return Result(QUESTION, TITLE, rows, extra={"dims": list(DIMS), "oversampling": OVERSAMPLING},
                  seconds=time.perf_counter() - started)
