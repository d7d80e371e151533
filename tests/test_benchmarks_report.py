"""BENCHMARKS.md is the template filled from the saved results: it renders, leaves no placeholder,
its verdicts follow the numbers, and its machine description is what the run recorded."""

from __future__ import annotations

import copy
import json
import os
import shutil
from pathlib import Path

import jinja2
import numpy as np
import pytest

from benchmarks.harness import RESULTS_DIR, machine_description
from benchmarks.report import QUESTIONS, REPORT, load_results, load_run, render, targets, write_report
from benchmarks.report_rows import find_row


@pytest.fixture(scope="module")
def saved():
    return load_results(RESULTS_DIR), load_run(RESULTS_DIR)


def by_key(results) -> dict:
    return {target.key: target for target in targets(results)}


def test_the_committed_page_is_the_template_filled_from_the_saved_results(saved):
    results, run = saved
    assert set(results) == set(QUESTIONS)
    assert render(results, run=run) == REPORT.read_text(), "run: python -m benchmarks.report"


def test_every_placeholder_is_filled_and_an_unknown_one_fails(saved, tmp_path):
    results, run = saved
    page = render(results, run=run)
    assert not any(mark in page for mark in ("{{", "}}", "{%", "%}", "{#"))
    assert "None" not in page  # a figure that was missing would print as None
    (tmp_path / "page.md").write_text("{{ exhaustive.no_such_figure }}\n")
    with pytest.raises(jinja2.UndefinedError, match="no_such_figure"):
        render(results, run=run, template=tmp_path / "page.md")


def test_the_page_carries_the_saved_figures(saved):
    results, run = saved
    page = render(results, run=run)
    dot = find_row(results["exhaustive"]["rows"], params='metric="dot"')
    assert f"{1000 / dot['qps_single']:.1f} ms per query one at a time" in page
    assert f"**{run['seconds'] / 60:.1f} minutes**" in page
    for target in targets(results):
        assert f"| {target.statement} | {target.measured} | {target.verdict} |" in page
    assert "## What changed" not in page  # history lives in git, not in the generated page


def test_verdicts_follow_the_targets_thresholds(saved):
    results, _ = saved
    expected = by_key(results)
    exhaustive = find_row(results["exhaustive"]["rows"], params='metric="dot"')
    assert expected["exhaustive"].reached == (exhaustive["ratio_single"] >= 1 / 1.2
                                              and exhaustive["ratio_batch"] >= 1 / 1.2)
    per_dimension = find_row(results["int8"]["rows"], key="per-dimension ranges")
    assert expected["int8"].reached == (per_dimension["recall_at_10"] >= 0.98)
    index = find_row(results["binary"]["rows"], key="BinaryIndex")
    single, batch = index["ratio_single"] >= 10, index["ratio_batch"] >= 10
    assert expected["binary_speed"].status == (True if single and batch else False if not (single or batch)
                                               else f"reached {'one query per call' if single else 'batched'} only")


def test_a_verdict_flips_when_the_numbers_miss_the_target(saved):
    results, run = saved
    # From numbers that reach both targets (whatever the saved run measured) to numbers that miss them.
    met = copy.deepcopy(results)
    find_row(met["exhaustive"]["rows"], params='metric="dot"').update(ratio_single=1.0, ratio_batch=1.0)
    find_row(met["int8"]["rows"], key="per-dimension ranges")["recall_at_10"] = 0.99
    missed = copy.deepcopy(met)
    find_row(missed["exhaustive"]["rows"], params='metric="dot"')["ratio_batch"] = 0.5  # slower than 1/1.2
    find_row(missed["int8"]["rows"], key="per-dimension ranges")["recall_at_10"] = 0.95  # below 0.98
    flipped = by_key(missed)
    assert by_key(met)["exhaustive"].reached and flipped["exhaustive"].status is False
    assert by_key(met)["int8"].reached and flipped["int8"].status is False
    page = render(missed, run=run)
    assert f"| {flipped['int8'].statement} | {flipped['int8'].measured} | **not reached** |" in page


def test_an_explanation_goes_when_the_numbers_stop_supporting_it(saved):
    results, run = saved
    before = render(results, run=run)
    assert by_key(results)["binary_speed"].status == "reached one query per call only"
    assert "numpy has no fused XOR + popcount + sum" in before
    faster = copy.deepcopy(results)
    find_row(faster["binary"]["rows"], key="BinaryIndex")["ratio_batch"] = 12.0
    assert by_key(faster)["binary_speed"].status is True
    assert "numpy has no fused XOR + popcount + sum" not in render(faster, run=run)


def copy_results(tmp_path: Path, run: dict) -> Path:
    for question in QUESTIONS:
        shutil.copy(RESULTS_DIR / f"{question}.json", tmp_path / f"{question}.json")
    (tmp_path / "run.json").write_text(json.dumps(run))
    return tmp_path


def test_the_machine_description_comes_from_run_json(saved, tmp_path):
    results, run = saved
    machine = copy.deepcopy(results["exhaustive"]["environment"]) | {
        "cpu": "Test CPU 9000", "cpu_count": 64, "physical_cores": 32, "cpu_cache": "512 KB", "memory_gib": 256.0,
        "virtualised": False, "load_average_before": [0.5, 0.25, 0.125], "openblas_env": {}}
    machine.pop("dataset")
    folder = copy_results(tmp_path, run | {"machine": machine})
    page = write_report(folder, tmp_path / "BENCHMARKS.md").read_text()
    assert "- CPU: Test CPU 9000, 64 cores (physical cores: 32; cache: 512 KB); 256.0 GiB RAM" in page
    assert "(the CPU reports a hypervisor): no; load average (1 / 5 / 15 min) just before the run: " \
           "0.50 / 0.25 / 0.12" in page
    assert "predates its machine record" not in page and "not recorded" not in page
    assert "Not every question was measured on this machine" in page  # the questions' CPU is not Test CPU 9000
    assert all((folder / name).stat().st_size > 1000 for name in ("hnsw_recall_qps.png", "overview_recall_qps.png"))


def test_without_a_machine_record_the_page_says_not_recorded(saved):
    results, run = saved
    # every question measured in one environment (the committed results may come from a later --only run)
    environment = results["exhaustive"]["environment"]
    results = {name: result | {"environment": environment} for name, result in results.items()}
    page = render(results, run={key: value for key, value in run.items() if key != "machine"})
    environment = results["exhaustive"]["environment"]
    assert f"- CPU: {environment['cpu']}, {environment['cpu_count']} cores (physical cores: not recorded" in page
    assert "hypervisor): not recorded" in page and "predates its machine record" in page
    assert "Not every question was measured on this machine" not in page


def test_the_report_needs_every_question(saved):
    results, run = saved
    with pytest.raises(ValueError, match="missing results for hnsw: run python -m benchmarks --only hnsw"):
        render({question: result for question, result in results.items() if question != "hnsw"}, run=run)


def test_the_harness_measures_the_machine():
    machine = machine_description(threads=1)
    assert machine["cpu_count"] == os.cpu_count() and machine["threads"] == 1
    assert machine["versions"]["numpy"] == np.__version__
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():  # Linux: compare with the kernel's own listing
        text = cpuinfo.read_text()
        assert machine["cpu"] in text and 1 <= machine["physical_cores"] <= os.cpu_count()
        assert machine["virtualised"] == (" hypervisor" in text)
    assert len(machine["load_average_before"]) == 3


def test_a_full_run_records_the_machine_in_run_json(tmp_path):
    from benchmarks.__main__ import main

    assert main(["--smoke", "--n", "600", "--queries", "20", "--repeats", "1", "--single-queries", "3",
                 "--results", str(tmp_path), "--quiet"]) == 0
    recorded = json.loads((tmp_path / "run.json").read_text())["machine"]
    assert recorded["cpu_count"] == os.cpu_count() and recorded["versions"]["numpy"] == np.__version__
    page = render(load_results(tmp_path), run=load_run(tmp_path))
    assert f"- CPU: {recorded['cpu']}, {recorded['cpu_count']} cores" in page
