"""Run the benchmarks: ``python -m benchmarks`` (full run, minutes) or ``python -m benchmarks --smoke``.

The full run embeds (once, cached) 101,000 English words, times every question in
``benchmarks/results/`` (JSON + CSV, raw timings under ``results/raw/``), draws the charts and rewrites
``BENCHMARKS.md``. ``--smoke`` runs the same code on 5,000 synthetic vectors in seconds, writing only
under ``results/raw/smoke/``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from benchmarks import QUESTIONS, run_all
from benchmarks.harness import RESULTS_DIR, Settings, machine_description, settings_dict, thread_limits


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true",
                        help="a seconds-long run on 5,000 synthetic vectors (what the tests run)")
    parser.add_argument("--n", type=int, help="index vectors (default 100,000; smoke 5,000)")
    parser.add_argument("--queries", type=int, help="held-out queries (default 1,000; smoke 100)")
    parser.add_argument("--repeats", type=int, help="timed rounds per measurement (default 5; smoke 2)")
    parser.add_argument("--single-queries", type=int,
                        help="queries timed one call at a time (default 200; smoke 20)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                        help="threads for BLAS, faiss, hnswlib, usearch and vectorlab (default: all cores)")
    parser.add_argument("--only", nargs="+", choices=QUESTIONS, metavar="QUESTION",
                        help=f"run only these questions ({', '.join(QUESTIONS)})")
    parser.add_argument("--synthetic", action="store_true",
                        help="synthetic clustered vectors instead of the embedded words (no model needed)")
    parser.add_argument("--results", type=Path, help="where to write results (default benchmarks/results/)")
    parser.add_argument("--no-report", action="store_true", help="do not rewrite BENCHMARKS.md")
    parser.add_argument("--quiet", action="store_true")
    return parser.parse_args(argv)


def settings_from(args: argparse.Namespace) -> Settings:
    overrides = {name: value for name, value in (
        ("n", args.n), ("queries", args.queries), ("repeats", args.repeats),
        ("single_queries", args.single_queries), ("threads", args.threads)) if value is not None}
    if args.smoke:
        settings = Settings.smoke_settings(results_dir=args.results or RESULTS_DIR / "raw" / "smoke", **overrides)
    else:
        settings = Settings(results_dir=args.results or RESULTS_DIR, **overrides)
    settings.synthetic = settings.synthetic or args.synthetic
    settings.quiet = args.quiet
    return settings


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    settings = settings_from(args)
    with thread_limits(settings.threads):  # so the BLAS pools recorded show the run's thread count
        machine = machine_description(settings.threads)
    started = time.perf_counter()
    run_all(settings, only=args.only)
    total = time.perf_counter() - started
    if args.only is None:
        (settings.results_dir / "run.json").write_text(json.dumps(
            {"seconds": round(total, 1), "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
             "settings": settings_dict(settings), "machine": machine}, indent=1) + "\n")
    if not args.smoke and not args.no_report and settings.results_dir == RESULTS_DIR:
        from benchmarks.report import write_report

        print(f"[benchmarks] wrote {write_report(settings.results_dir)}")
    print(f"[benchmarks] done in {total:.0f} s; results in {settings.results_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
