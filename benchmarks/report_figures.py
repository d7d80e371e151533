"""The numbers BENCHMARKS.md shows, computed from the saved results (the template holds the words).

:func:`figures` returns one dict per part of the page; every value is a number, a table or a short
label taken from the results, never a description typed here. What the results do not hold is
``"not recorded"``.
"""

from __future__ import annotations

from typing import Any

from benchmarks.harness import format_table
from benchmarks.report_rows import NOT_RECORDED, find_row
from benchmarks.report_targets import (
    BINARY_SPEEDUP,
    HNSW_RECALL,
    TALK_LOOP_SPEEDUP,
    first_oversampling_reaching,
    hnsw_best,
    int8_bytes,
    rescore_variants,
)

FLOAT32_BYTES = 4
HAMMING_STEPS = ("XOR", "popcount", "sum")  # numpy's separate passes over each 64-bit word of the codes
BALANCED_BITS_GAIN_SMALL = 0.01  # recall gained over mean thresholds that the page calls "little"
COLUMNS = ("method", "params", "recall_at_10", "qps_single", "qps_batch")
RATIOS = ("ratio_single", "ratio_batch")


def machine(run: dict[str, Any], results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The machine as the run recorded it: ``run.json``'s ``machine``, else the environment recorded
    with each question's results (runs before run.json held it); anything absent is "not recorded"."""
    recorded = run.get("machine") or next(iter(results.values()))["environment"]
    load = recorded.get("load_average_before")
    virtualised = recorded.get("virtualised")
    blas = [pool for pool in recorded.get("thread_pools", []) if pool.get("internal_api") == "openblas"]
    return {
        "from_run_json": "machine" in run,
        "cpu": recorded.get("cpu") or NOT_RECORDED,
        "logical_cores": recorded.get("cpu_count") or NOT_RECORDED,
        "physical_cores": recorded.get("physical_cores") or NOT_RECORDED,
        "cpu_cache": recorded.get("cpu_cache") or NOT_RECORDED,
        "memory_gib": recorded.get("memory_gib") or NOT_RECORDED,
        "platform": recorded.get("platform") or NOT_RECORDED,
        "python": recorded.get("python") or NOT_RECORDED,
        "versions": {name: v for name, v in recorded.get("versions", {}).items() if v} or {NOT_RECORDED: ""},
        "threads": recorded.get("threads") or NOT_RECORDED,
        "blas": [{"package": pool.get("package") or "?", **pool} for pool in blas],
        "openblas_env": recorded.get("openblas_env"),
        "virtualised": NOT_RECORDED if virtualised is None else ("yes" if virtualised else "no"),
        "load_average": NOT_RECORDED if load is None else " / ".join(f"{value:.2f}" for value in load),
        "same_everywhere": _same_machine([recorded, *(result["environment"] for result in results.values())]),
    }


def _same_machine(environments: list[dict[str, Any]]) -> bool:
    """Whether run.json and every question were measured on one machine (a later ``--only`` may differ)."""
    keys = ("cpu", "cpu_count", "memory_gib", "platform", "threads", "versions")
    return len({repr([environment.get(key) for key in keys]) for environment in environments}) == 1


def figures(results: dict[str, dict[str, Any]], run: dict[str, Any]) -> dict[str, Any]:
    """Everything the template needs, by part of the page."""
    any_result = next(iter(results.values()))
    dataset = dict(any_result["environment"]["dataset"])
    for key in ("model", "wordfreq", "embed_seconds", "count"):
        dataset.setdefault(key, NOT_RECORDED)
    return {
        "run": {"minutes": run["seconds"] / 60 if run.get("seconds") else None,
                "finished": run.get("finished", NOT_RECORDED)},
        "dataset": dataset,
        "settings": any_result["settings"],
        "machine": machine(run, results),
        "exhaustive": _exhaustive(results["exhaustive"]),
        "talk_loop": _talk_loop(results["talk_loop"]),
        "hnsw": _hnsw(results["hnsw"]),
        "binary": _binary(results["binary"]),
        "int8": _int8(results["int8"]),
        "reduce": _reduce(results["reduce"]),
    }


def _exhaustive(result: dict[str, Any]) -> dict[str, Any]:
    rows, dataset = result["rows"], result["environment"]["dataset"]
    dot = find_row(rows, method="vectorlab exhaustive_search", params='metric="dot"')
    bandwidth = result["extra"]["bandwidth"]
    return {
        "float32_mb": dataset["n"] * dataset["dims"] * FLOAT32_BYTES / 1e6,
        "million_gb": 1_000_000 * dataset["dims"] * FLOAT32_BYTES / 1e9,
        "ms_single": 1000 / dot["qps_single"], "ms_batch": 1000 / dot["qps_batch"],
        "ms_single_at_a_million": 1_000_000 / dataset["n"] * 1000 / dot["qps_single"],
        "dot": dot, "bandwidth": bandwidth, "index_mb": result["extra"]["index_mb"], "rows": rows,
        "dot_vs_one_thread_read": dot["gbps_single"] / bandwidth["read_gbps"],
        "table": format_table(rows),
    }


def _talk_loop(result: dict[str, Any]) -> dict[str, Any]:
    rows, extra = result["rows"], result["extra"]
    cosine = find_row(rows, params='metric="cosine"')
    dot = find_row(rows, params_contains='metric="dot"')
    return {
        "size": extra["size"], "queries": extra["queries"],
        "batch_queries": extra.get("batch_queries", extra["queries"]),
        "multiplications": extra["size"] * result["environment"]["dataset"]["dims"],
        "cosine_us": 1e6 / cosine["qps_single"], "dot_us": 1e6 / dot["qps_single"],
        "dot_single_reached": dot["ratio_single"] >= TALK_LOOP_SPEEDUP,
        "cosine_single_reached": cosine["ratio_single"] >= TALK_LOOP_SPEEDUP,
        "table": format_table(rows, (*COLUMNS, *RATIOS)),
    }


def _hnsw(result: dict[str, Any]) -> dict[str, Any]:
    rows = result["rows"]
    best = hnsw_best(rows, "vectorlab")
    return {
        "ef_construction": result["extra"]["ef_construction"], "M": result["extra"]["M"],
        "sweep": result["extra"]["sweep"], "recall": HNSW_RECALL,
        "best_single": best[0] if best else None, "best_batch": best[1] if best else None,
        "table": format_table(rows, (*COLUMNS, "build_s", "bytes_per_vector", *RATIOS)),
    }


def _binary(result: dict[str, Any]) -> dict[str, Any]:
    rows, dataset = result["rows"], result["environment"]["dataset"]
    mean = find_row(rows, key="mean-rescore4")
    balanced = [row for row, label in rescore_variants(rows) if row is not mean]
    words = -(-dataset["dims"] // 64)
    first = first_oversampling_reaching(rows)
    index = find_row(rows, key="BinaryIndex")
    return {
        "float32": rows[0], "index": index, "faiss": find_row(rows, key="faiss"),
        "single_fast_enough": index["ratio_single"] >= BINARY_SPEEDUP,
        "batch_fast_enough": index["ratio_batch"] >= BINARY_SPEEDUP,
        "rescored": find_row(rows, key="rescore4"), "candidates": 4 * dataset["k"],
        "code_bytes": result["extra"]["code_bytes"], "bytes_ratio": result["extra"]["bytes_ratio_vs_float32"],
        "words": words, "passes": len(HAMMING_STEPS) * words, "n": dataset["n"], "k": dataset["k"],
        "balanced_gain_is_small": bool(mean and balanced) and max(
            row["recall_at_10"] for row in balanced) - mean["recall_at_10"] < BALANCED_BITS_GAIN_SMALL,
        "oversampling_reaching": first[1] if first else None,
        "table": format_table(rows, (*COLUMNS, "build_s", "bytes_per_vector", "index_bytes", *RATIOS)),
    }


def _int8(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "per_dimension": find_row(result["rows"], key="per-dimension ranges"), "bytes": int8_bytes(result),
        "table": format_table(result["rows"], (*COLUMNS, "build_s", "bytes_per_vector", "index_bytes", *RATIOS)),
    }


def _reduce(result: dict[str, Any]) -> dict[str, Any]:
    dataset = result["environment"]["dataset"]
    return {
        "dims": dataset["dims"], "candidates": result["extra"]["oversampling"] * dataset["k"],
        "model": dataset.get("model", NOT_RECORDED),
        "table": format_table(result["rows"], (*COLUMNS, "build_s", "bytes_per_vector", *RATIOS, "notes")),
    }
