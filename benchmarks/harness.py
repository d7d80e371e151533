"""Shared machinery of the benchmarks: settings, timing, thread control, result rows and files.

Every benchmark script builds rows with :func:`row` (so every row has every column of :data:`COLUMNS`)
and timings with :func:`time_call` (warm-up, then ``repeats`` timed runs with ``time.perf_counter``;
the row stores the median and the min–max). Peers are measured in the same process, one after the
other, with the same thread settings (:func:`thread_limits`), and each row names the peer its
``ratio`` is measured against.
"""

from __future__ import annotations

import csv
import json
import os
import platform
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vectorlab._files import pretty_size

RESULTS_DIR = Path(__file__).resolve().parent / "results"
RAW_TIMINGS: list[dict[str, list[float]]] = []
"""Every round of every :func:`measure` call since the last :func:`write_result` (seconds)."""

COLUMNS = (
    "question",  # which benchmark (exhaustive, talk_loop, hnsw, binary, int8, reduce)
    "method",  # what was measured, e.g. "vectorlab exhaustive_search"
    "library",  # vectorlab, numpy, faiss, usearch, hnswlib, python
    "params",  # the settings of this row (ef, M, oversampling, dims, ...)
    "recall_at_10",  # mean recall@k against the exact float top-k (None where not meaningful)
    "qps_single",  # queries per second, one query per call (median over repeats)
    "qps_single_min",
    "qps_single_max",
    "qps_batch",  # queries per second, all queries in one call (median over repeats)
    "qps_batch_min",
    "qps_batch_max",
    "build_s",  # seconds to build the index (0 for a plain matrix)
    "index_bytes",  # bytes of the index (vectors + any graph/codes)
    "bytes_per_vector",
    "peer",  # the row this row's ratios are measured against (same process)
    "ratio_single",  # qps_single / peer's qps_single (>1: faster than the peer)
    "ratio_batch",
    "notes",
)


@dataclass
class Settings:
    """What the run measures; ``--smoke`` makes a seconds-long version of the same run."""

    n: int = 100_000
    queries: int = 1_000
    k: int = 10
    repeats: int = 5
    single_queries: int = 200  # queries timed one at a time (a subset: single queries are slow)
    threads: int = field(default_factory=lambda: os.cpu_count() or 1)
    smoke: bool = False
    synthetic: bool = False  # synthetic clustered vectors instead of the embedded word list
    results_dir: Path = RESULTS_DIR
    write: bool = True  # write JSON/CSV/charts into results_dir
    quiet: bool = False

    @classmethod
    def smoke_settings(cls, **overrides: Any) -> Settings:
        base = {"n": 5_000, "queries": 100, "repeats": 2, "single_queries": 20, "smoke": True,
                "synthetic": True}
        base.update(overrides)
        return cls(**base)


def log(settings: Settings, message: str) -> None:
    if not settings.quiet:
        print(message, flush=True)


# --------------------------------------------------------------------------------------------- timing

@dataclass
class Timing:
    """Seconds of ``repeats`` timed runs (after warm-up) of one call."""

    seconds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def rate(self, count: int) -> tuple[float, float, float]:
        """(median, min, max) of ``count / seconds``: e.g. queries per second."""
        rates = [count / s for s in self.seconds]
        return statistics.median(rates), min(rates), max(rates)


def time_call(fn: Callable[[], Any], repeats: int, warmup: int = 1) -> Timing:
    """Run ``fn`` ``warmup`` times untimed, then ``repeats`` times timed with ``time.perf_counter``."""
    for _ in range(warmup):
        fn()
    seconds = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - start)
    return Timing(seconds)


def measure(candidates: dict[str, Callable[[], Any]], repeats: int, warmup: int = 1) -> dict[str, Timing]:
    """Time several calls **interleaved**: warm each up, then ``repeats`` rounds of one run of each.

    On a shared machine load comes and goes; interleaving exposes every peer to the same load, so the
    ratios between them are fairer than timing all runs of one peer, then all of the next.
    """
    for fn in candidates.values():
        for _ in range(warmup):
            fn()
    seconds: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(max(1, repeats)):
        for name, fn in candidates.items():
            start = time.perf_counter()
            fn()
            seconds[name].append(time.perf_counter() - start)
    RAW_TIMINGS.append({name: [round(s, 6) for s in values] for name, values in seconds.items()})
    return {name: Timing(values) for name, values in seconds.items()}


def single_loop(search_one: Callable[[np.ndarray], Any], queries: np.ndarray) -> Callable[[], None]:
    """A call that searches ``queries`` one at a time (one library call per query)."""
    rows = list(queries)

    def loop() -> None:
        for q in rows:
            search_one(q)

    return loop


def qps_single(search_one: Callable[[np.ndarray], Any], queries: np.ndarray, repeats: int,
               warmup: int = 1) -> tuple[float, float, float]:
    """Queries per second calling ``search_one(query)`` once per query, in a Python loop."""
    rows = list(queries)

    def loop() -> None:
        for q in rows:
            search_one(q)

    return time_call(loop, repeats, warmup).rate(len(rows))


def qps_batch(search_all: Callable[[np.ndarray], Any], queries: np.ndarray, repeats: int,
              warmup: int = 1) -> tuple[float, float, float]:
    """Queries per second of one ``search_all(queries)`` call over every query."""
    return time_call(lambda: search_all(queries), repeats, warmup).rate(len(queries))


# --------------------------------------------------------------------------------------------- threads

@contextmanager
def thread_limits(threads: int) -> Iterator[None]:
    """Give numpy's BLAS (threadpoolctl), OpenMP (faiss) and faiss itself the same thread count."""
    from threadpoolctl import threadpool_limits

    faiss = _optional("faiss")
    previous = faiss.omp_get_max_threads() if faiss else None
    if faiss:
        faiss.omp_set_num_threads(threads)
    try:
        with threadpool_limits(limits=threads):
            yield
    finally:
        if faiss and previous:
            faiss.omp_set_num_threads(previous)


def _optional(module: str) -> Any:
    try:
        return __import__(module)
    except ImportError:
        return None


# --------------------------------------------------------------------------------------------- recall

def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean fraction of the true top-k found in each row of ``found`` (order ignored; -1 never matches).

    Computed here, independently of :mod:`vectorlab.evaluate`, so the yardstick is not under test.
    """
    found = np.atleast_2d(np.asarray(found))
    truth = np.atleast_2d(np.asarray(truth))
    k = truth.shape[1]
    hits = (found[:, :, None] == truth[:, None, :]).any(axis=2).sum(axis=1)
    return float(np.mean(hits / k))


# --------------------------------------------------------------------------------------------- rows

def row(question: str, method: str, library: str, *, params: str = "", recall: float | None = None,
        single: tuple[float, float, float] | None = None, batch: tuple[float, float, float] | None = None,
        build_s: float | None = 0.0, index_bytes: int | None = None, n: int | None = None,
        notes: str = "") -> dict[str, Any]:
    """One result row with every column of :data:`COLUMNS` (ratios are filled by :func:`set_ratios`)."""
    single = single or (None, None, None)
    batch = batch or (None, None, None)
    return {
        "question": question,
        "method": method,
        "library": library,
        "params": params,
        "recall_at_10": None if recall is None else round(float(recall), 4),
        "qps_single": _r(single[0]),
        "qps_single_min": _r(single[1]),
        "qps_single_max": _r(single[2]),
        "qps_batch": _r(batch[0]),
        "qps_batch_min": _r(batch[1]),
        "qps_batch_max": _r(batch[2]),
        "build_s": None if build_s is None else round(float(build_s), 3),
        "index_bytes": None if index_bytes is None else int(index_bytes),
        "bytes_per_vector": None if index_bytes is None or not n else round(index_bytes / n, 1),
        "peer": "",
        "ratio_single": None,
        "ratio_batch": None,
        "notes": notes,
    }


def _r(value: float | None) -> float | None:
    if value is None:
        return None
    return round(float(value), 1 if value >= 10 else 3)


def set_ratios(rows: list[dict[str, Any]], peer: dict[str, Any], only: list[dict[str, Any]] | None = None) -> None:
    """Fill ``peer``/``ratio_*`` of ``rows`` (or of ``only``) against ``peer``'s QPS."""
    for r in only if only is not None else rows:
        if r is peer:
            continue
        r["peer"] = f"{peer['method']} ({peer['params']})" if peer["params"] else peer["method"]
        for kind in ("single", "batch"):
            mine, theirs = r[f"qps_{kind}"], peer[f"qps_{kind}"]
            r[f"ratio_{kind}"] = round(mine / theirs, 3) if mine and theirs else None


def format_table(rows: list[dict[str, Any]], columns: tuple[str, ...] | None = None) -> str:
    """A Markdown table of ``rows``; QPS columns show ``median (min–max)``."""
    columns = columns or ("method", "params", "recall_at_10", "qps_single", "qps_batch", "build_s",
                          "bytes_per_vector", "index_bytes", "ratio_single", "ratio_batch", "peer")
    headers = {"recall_at_10": "recall@10", "qps_single": "QPS single (min–max)",
               "qps_batch": "QPS batch (min–max)", "build_s": "build s", "bytes_per_vector": "bytes/vec",
               "index_bytes": "index bytes", "ratio_single": "× peer single", "ratio_batch": "× peer batch"}
    lines = ["| " + " | ".join(headers.get(c, c) for c in columns) + " |",
             "|" + "|".join("---" for _ in columns) + "|"]
    for r in rows:
        cells = []
        for c in columns:
            if c in ("qps_single", "qps_batch"):
                cells.append(_qps_cell(r[c], r[c + "_min"], r[c + "_max"]))
            elif c == "index_bytes":
                cells.append(_bytes(r[c]))
            else:
                value = r[c]
                cells.append("–" if value is None or value == "" else _fmt(value))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if value >= 100:
            return f"{value:,.0f}"
        return f"{value:.3g}" if value < 10 else f"{value:.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _qps_cell(median: float | None, low: float | None, high: float | None) -> str:
    if median is None:
        return "–"
    return f"{_fmt(median)} ({_fmt(low)}–{_fmt(high)})"


def _bytes(value: int | None) -> str:
    # SI units (base 1000), as the page's other sizes and its GB/s bandwidths
    return "–" if value is None else pretty_size(value, base=1000)


# --------------------------------------------------------------------------------------------- output

@dataclass
class Result:
    """What one benchmark script returns: its rows plus any extra figures for the report."""

    question: str
    title: str
    rows: list[dict[str, Any]]
    extra: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


def write_result(result: Result, settings: Settings, environment: dict[str, Any]) -> None:
    """``results/<question>.json`` (rows + extra + environment) and ``results/<question>.csv``."""
    if not settings.write:
        return
    out = settings.results_dir
    out.mkdir(parents=True, exist_ok=True)
    suffix = ""
    payload = {"question": result.question, "title": result.title, "seconds": round(result.seconds, 1),
               "settings": settings_dict(settings), "environment": environment, "rows": result.rows,
               "extra": result.extra}
    (out / f"{result.question}{suffix}.json").write_text(json.dumps(payload, indent=1, default=str) + "\n")
    with open(out / f"{result.question}{suffix}.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(result.rows)
    raw = out / "raw" if not settings.smoke else out
    raw.mkdir(parents=True, exist_ok=True)
    (raw / f"{result.question}-timings.json").write_text(json.dumps(RAW_TIMINGS, indent=1) + "\n")
    RAW_TIMINGS.clear()


def settings_dict(settings: Settings) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in settings.__dict__.items()}


# --------------------------------------------------------------------------------------------- machine

def environment(threads: int) -> dict[str, Any]:
    """The machine and library versions, BLAS kernels and thread counts, for the report."""
    from importlib.metadata import PackageNotFoundError, version

    from threadpoolctl import threadpool_info

    versions = {}
    for package in ("numpy", "faiss-cpu", "usearch", "hnswlib", "threadpoolctl", "vectorlab"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    pools = [{k: info.get(k) for k in ("internal_api", "prefix", "architecture", "num_threads", "version")}
             | {"library": Path(info.get("filepath", "")).name,
                "package": Path(info.get("filepath", "")).parent.name.removesuffix(".libs")}
             for info in threadpool_info()]
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": _cpu_name(),
        "cpu_count": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "threads": threads,
        "openblas_env": {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS")},
        "thread_pools": pools,
        "versions": versions,
    }


def machine_description(threads: int) -> dict[str, Any]:
    """What ``run.json`` records about the machine: :func:`environment` plus the physical cores, whether
    the CPU reports a hypervisor, and the load average just before the run (other jobs on the machine)."""
    flags = _cpuinfo_field("flags") or ""
    return environment(threads) | {
        "physical_cores": _physical_cores(),
        "cpu_cache": _cpuinfo_field("cache size"),
        "virtualised": None if not flags else "hypervisor" in flags.split(),
        "load_average_before": [round(load, 2) for load in os.getloadavg()] if hasattr(os, "getloadavg") else None,
    }


def _cpuinfo_field(name: str) -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.split(":", 1)[0].strip() == name:
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def _physical_cores() -> int | None:
    """Distinct (socket, core) pairs in /proc/cpuinfo: ``os.cpu_count()`` counts hardware threads."""
    try:
        cores, socket = set(), "0"
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = (part.strip() for part in line.partition(":"))
            if key == "physical id":
                socket = value
            elif key == "core id":
                cores.add((socket, value))
        return len(cores) or None
    except OSError:
        return None


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def memory_bandwidth(nbytes: int = 1 << 30, repeats: int = 5) -> dict[str, float]:
    """Measured memory bandwidth: a large numpy copy (STREAM "copy": read + write bytes counted)
    and a large read-only reduction (bytes read per second), in GB/s, as median (min, max)."""
    count = nbytes // 8
    source = np.ones(count, dtype=np.float64)
    target = np.empty_like(source)
    copy = time_call(lambda: np.copyto(target, source), repeats)
    read = time_call(lambda: np.add.reduce(source), repeats)
    result = {}
    for name, timing, moved in (("copy", copy, 2 * source.nbytes), ("read", read, source.nbytes)):
        rates = [moved / s / 1e9 for s in timing.seconds]
        result[f"{name}_gbps"] = round(statistics.median(rates), 2)
        result[f"{name}_gbps_min"] = round(min(rates), 2)
        result[f"{name}_gbps_max"] = round(max(rates), 2)
    result["bytes"] = source.nbytes
    return result
