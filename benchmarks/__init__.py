"""Benchmarks of vectorlab at scale against faiss, usearch and hnswlib: one module per question.

``python -m benchmarks`` runs them all (see ``__main__``); :func:`run_all` is the same run as a
function (the smoke test calls it). Each ``bench_*`` module has ``QUESTION``, ``TITLE`` and
``run(dataset, settings) -> Result``.
"""

from __future__ import annotations

import importlib
import json
import time
from typing import Any

from benchmarks.harness import Result, Settings, environment, log, thread_limits, write_result

QUESTIONS = ("exhaustive", "talk_loop", "hnsw", "binary", "int8", "reduce")


def load_dataset(settings: Settings):  # noqa: ANN201 - a Dataset
    from benchmarks.dataset import synthetic_dataset, word_dataset

    if settings.synthetic:
        return synthetic_dataset(n=settings.n, queries=settings.queries, k=settings.k)
    return word_dataset(n=settings.n, queries=settings.queries, k=settings.k)


def run_all(settings: Settings, only: list[str] | tuple[str, ...] | None = None,
            dataset: Any = None) -> tuple[dict[str, Result], dict[str, Any]]:
    """Run the questions (all, or ``only``) on ``dataset`` (default: from ``settings``), write results."""
    from vectorlab._kernels import hamming as _hamming

    start = time.perf_counter()
    ds = dataset if dataset is not None else load_dataset(settings)
    log(settings, f"[benchmarks] {ds.describe()} (data ready in {time.perf_counter() - start:.1f} s); "
                  f"{settings.threads} threads, {settings.repeats} rounds per timing")
    results: dict[str, Result] = {}
    previous_threads = _hamming.THREADS
    _hamming.THREADS = settings.threads  # vectorlab's own threads (large Hamming scans)
    try:
        with thread_limits(settings.threads):
            env = environment(settings.threads)
            env["dataset"] = {"name": ds.name, "n": ds.n, "queries": len(ds.queries), "dims": ds.dims, "k": ds.k,
                              **{key: value for key, value in ds.meta.items() if key != "cache"}}
            for question in only or QUESTIONS:
                module = importlib.import_module(f"benchmarks.bench_{question}")
                log(settings, f"[benchmarks] {question}: {module.TITLE}")
                result = module.run(ds, settings)
                results[question] = result
                write_result(result, settings, env)
                log(settings, f"[benchmarks] {question}: {len(result.rows)} rows in {result.seconds:.1f} s")
    finally:
        _hamming.THREADS = previous_threads
    if settings.write:
        raw = settings.results_dir / ("raw" if not settings.smoke else "")
        raw.mkdir(parents=True, exist_ok=True)
        (raw / "environment.json").write_text(json.dumps(env, indent=1, default=str) + "\n")
    return results, env
