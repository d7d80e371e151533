"""The targets of the benchmarks and their verdicts, computed from the saved result rows.

Each :class:`Target` is (statement, measured, status, key): ``status`` is ``True`` (reached), ``False``
(not reached), ``None`` (a peer, for reference) or ``"reached <parts> only"`` when some of its parts hold.
The explanations beside a verdict live in the page template (``BENCHMARKS.md.template``), keyed by ``key``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from benchmarks.report_rows import find_row, times

EXACT_WITHIN_FAISS = 1.2  # exhaustive search: at most this many times slower than faiss IndexFlatIP
TALK_LOOP_SPEEDUP = 1000  # vectorlab vs the talk's pure-Python loop
HNSW_RECALL, HNSW_SPEEDUP = 0.98, 20  # recall@10 at this many times the exhaustive QPS
BINARY_SPEEDUP = 10  # Hamming scan vs the float32 scan
BINARY_BYTES_RATIO = 32  # float32 bytes / binary code bytes
BINARY_WITHIN_FAISS = 2  # Hamming scan: at most this many times slower than faiss IndexBinaryFlat
RESCORE_RECALL = 0.97  # binary codes, 4x oversampling + float rescoring
INT8_RECALL, INT8_BYTES_RATIO = 0.98, 4.0

Status = bool | str | None


class Target(NamedTuple):
    statement: str
    measured: str
    status: Status
    key: str

    @property
    def reached(self) -> bool:
        return self.status is True

    @property
    def verdict(self) -> str:
        if isinstance(self.status, str):
            return f"**{self.status}**"
        return {True: "**reached**", False: "**not reached**", None: "reference"}[self.status]


def partly(checks: dict[str, bool]) -> Status:
    """True if every check holds, False if none, else "reached <the names of those that hold> only"."""
    if all(checks.values()):
        return True
    held = [name for name, ok in checks.items() if ok]
    return f"reached {' and '.join(held)} only" if held else False


def targets(results: dict[str, dict[str, Any]]) -> list[Target]:
    """Every target of the benchmarks, in page order, from ``results`` (all questions present)."""
    return [*_exhaustive(results["exhaustive"]), *_talk_loop(results["talk_loop"]), *_hnsw(results["hnsw"]),
            *_binary(results["binary"]), *_int8(results["int8"])]


def _exhaustive(result: dict[str, Any]) -> list[Target]:
    rows, dataset = result["rows"], result["environment"]["dataset"]
    dot = find_row(rows, method="vectorlab exhaustive_search", params='metric="dot"')
    cosine = find_row(rows, method="vectorlab exhaustive_search", params='metric="cosine"')
    floor = 1 / EXACT_WITHIN_FAISS
    return [Target(
        f"Exhaustive top-{dataset['k']} over {dataset['n'] / 1000:g}k × {dataset['dims']} within "
        f"{EXACT_WITHIN_FAISS}× of faiss IndexFlatIP, single and batched",
        f"dot: {times(dot['ratio_single'])} faiss's QPS single, {times(dot['ratio_batch'])} batched; "
        f"cosine: {times(cosine['ratio_single'])} / {times(cosine['ratio_batch'])}",
        dot["ratio_single"] >= floor and dot["ratio_batch"] >= floor, "exhaustive")]


def _talk_loop(result: dict[str, Any]) -> list[Target]:
    rows, extra = result["rows"], result["extra"]
    cosine = find_row(rows, params='metric="cosine"')
    dot = find_row(rows, params_contains='metric="dot"')
    return [Target(
        f"≥ {TALK_LOOP_SPEEDUP}× faster than the pure-Python loop on the talk-sized workload "
        f"({extra['size']} × {result['environment']['dataset']['dims']})",
        f"one query per call: cosine {cosine['ratio_single']:,.0f}×, dot {dot['ratio_single']:,.0f}×; "
        f"{extra.get('batch_queries', extra['queries']):,} queries in one call: "
        f"cosine {cosine['ratio_batch']:,.0f}×, dot {dot['ratio_batch']:,.0f}×",
        partly({"batched": cosine["ratio_batch"] >= TALK_LOOP_SPEEDUP,
                "one query per call": cosine["ratio_single"] >= TALK_LOOP_SPEEDUP}), "talk_loop")]


def hnsw_best(rows: list[dict[str, Any]], library: str) -> tuple[dict, dict] | None:
    """``library``'s fastest rows (one query per call, batched) among those at recall ≥ HNSW_RECALL."""
    good = [r for r in rows[1:] if r["library"] == library and (r["recall_at_10"] or 0) >= HNSW_RECALL]
    if not good:
        return None
    return max(good, key=lambda r: r["ratio_single"]), max(good, key=lambda r: r["ratio_batch"])


def _hnsw(result: dict[str, Any]) -> list[Target]:
    rows, out = result["rows"], []
    for library in ("vectorlab", "faiss", "usearch"):
        if not any(r["library"] == library for r in rows[1:]):
            continue  # a peer that is not installed
        label = "vectorlab HNSWIndex" if library == "vectorlab" else f"{library} (for reference)"
        statement = (f"HNSW, {label}: recall@10 ≥ {HNSW_RECALL} at ≥ {HNSW_SPEEDUP}× the exhaustive QPS "
                     f"at {result['environment']['dataset']['n'] / 1000:g}k")
        best = hnsw_best(rows, library)
        if best is None:
            out.append(Target(statement, f"recall {HNSW_RECALL} not reached in the sweep",
                              False if library == "vectorlab" else None, f"hnsw_{library}"))
            continue
        single, batch = best
        status = partly({"one query per call": single["ratio_single"] >= HNSW_SPEEDUP,
                         "batched": batch["ratio_batch"] >= HNSW_SPEEDUP})
        out.append(Target(statement,
                          f"single: {single['ratio_single']:.1f}× at recall {single['recall_at_10']:.3f} "
                          f"({single['params']}); batched: {batch['ratio_batch']:.1f}× at recall "
                          f"{batch['recall_at_10']:.3f} ({batch['params']})",
                          status if library == "vectorlab" else None, f"hnsw_{library}"))
    return out


def _binary(result: dict[str, Any]) -> list[Target]:
    rows = result["rows"]
    float32, index = rows[0], find_row(rows, key="BinaryIndex")
    plain, faiss = find_row(rows, key="search_binary"), find_row(rows, key="faiss")
    out = [Target(
        f"Binary Hamming scan ≥ {BINARY_SPEEDUP}× faster than the float32 scan",
        f"BinaryIndex {times(index['ratio_single'], 1)} single, {times(index['ratio_batch'], 1)} batched; "
        f"search_binary on a codes array {times(plain['ratio_single'], 1)} / {times(plain['ratio_batch'], 1)}",
        partly({"one query per call": index["ratio_single"] >= BINARY_SPEEDUP,
                "batched": index["ratio_batch"] >= BINARY_SPEEDUP}), "binary_speed")]
    bytes_ratio = float32["index_bytes"] / index["index_bytes"]
    out.append(Target(f"{BINARY_BYTES_RATIO}× fewer bytes",
                      f"{float32['bytes_per_vector']:,.0f} → {index['bytes_per_vector']:,.0f} bytes per vector "
                      f"({bytes_ratio:.1f}×)", bytes_ratio >= BINARY_BYTES_RATIO - 0.1, "binary_bytes"))
    if faiss:
        single, batch = index["qps_single"] / faiss["qps_single"], index["qps_batch"] / faiss["qps_batch"]
        floor = 1 / BINARY_WITHIN_FAISS
        out.append(Target(f"Binary scan within {BINARY_WITHIN_FAISS}× of faiss IndexBinaryFlat",
                          f"BinaryIndex {times(single, 3)} faiss's QPS single, {times(batch, 3)} batched; "
                          f"search_binary {times(plain['qps_single'] / faiss['qps_single'])} / "
                          f"{times(plain['qps_batch'] / faiss['qps_batch'])}",
                          single >= floor and batch >= floor, "binary_vs_faiss"))
    rescored = find_row(rows, key="rescore4")
    variants = rescore_variants(rows)
    first = first_oversampling_reaching(rows)
    best = max([rescored["recall_at_10"]] + [r["recall_at_10"] for r, _ in variants])
    out.append(Target(f"Binary, 4× oversampling + rescoring: recall@10 ≥ {RESCORE_RECALL}",
                      f"{rescored['recall_at_10']:.3f} (binary alone {index['recall_at_10']:.3f})"
                      + "".join(f"; {r['recall_at_10']:.3f} with {label}" for r, label in variants)
                      + (f"; {first[0]['recall_at_10']:.3f} at {first[1]}×" if first else ""),
                      best >= RESCORE_RECALL, "binary_rescore"))
    return out


def rescore_variants(rows: list[dict[str, Any]]) -> list[tuple[dict, str]]:
    """The 4× oversampling rows with balanced bits, with their labels."""
    labels = (("mean-rescore4", "per-dimension mean thresholds"), ("median-rescore4", "median thresholds"),
              ("rotmedian-rescore4", "random rotation + median thresholds"))
    return [(r, label) for key, label in labels if (r := find_row(rows, key=key))]


def first_oversampling_reaching(rows: list[dict[str, Any]]) -> tuple[dict, int] | None:
    """The smallest oversampling (plain thresholds) whose rescored recall reaches RESCORE_RECALL."""
    enough = [(r, int(r["key"].removeprefix("rescore"))) for r in rows
              if r["key"].startswith("rescore") and r["recall_at_10"] >= RESCORE_RECALL]
    return min(enough, key=lambda pair: pair[1], default=None)


def int8_bytes(result: dict[str, Any]) -> dict[str, float]:
    """Bytes per vector of the float32 rows and of the int8 codes (ranges counted once for the index)."""
    rows, dataset = result["rows"], result["environment"]["dataset"]
    per_dimension, float32 = find_row(rows, key="per-dimension ranges"), rows[0]
    ranges = 2 * 4 * dataset["dims"]  # float32 minimum and maximum per dimension, once for the whole index
    codes = (per_dimension["index_bytes"] - ranges) / dataset["n"]
    return {"float32": float32["index_bytes"] / dataset["n"], "codes": codes, "ranges": ranges,
            "ratio": float32["index_bytes"] / dataset["n"] / codes,
            "ratio_with_ranges": float32["index_bytes"] / per_dimension["index_bytes"]}


def _int8(result: dict[str, Any]) -> list[Target]:
    per_dimension = find_row(result["rows"], key="per-dimension ranges")
    global_range = find_row(result["rows"], key="global range")
    size = int8_bytes(result)
    return [Target(
        f"int8 with per-dimension ranges: recall@10 ≥ {INT8_RECALL} at {INT8_BYTES_RATIO:g}× fewer bytes",
        f"recall {per_dimension['recall_at_10']:.3f} (global range {global_range['recall_at_10']:.3f}) at "
        f"{size['ratio']:.1f}× fewer bytes per vector ({size['codes']:,.0f} bytes of codes vs "
        f"{size['float32']:,.0f} of float32; the {size['ranges'] / 1024:.0f} KB of ranges is shared by the "
        f"index: {size['ratio_with_ranges']:.4f}× with it)",
        per_dimension["recall_at_10"] >= INT8_RECALL and size["ratio"] >= INT8_BYTES_RATIO, "int8")]
