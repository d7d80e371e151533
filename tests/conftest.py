"""Shared test setup: never reach a model hub, and keep runs reproducible."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
if os.environ.get("PYTEST_XDIST_WORKER"):  # one worker per core already: BLAS threads on top would only contend
    for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_name, "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


# What each test module needs beyond Python, as pytest markers: `python tasks.py test --quick` deselects
# them (`-m "not notebook and not db and not browser and not slow"`). A module's own marks add to these.
MODULE_MARKS = {
    "test_vectordb": ("db",),                    # the embedded PostgreSQL server
    "test_bad_inputs_vectordb": ("db",),
    "test_site": ("browser",),                   # headless Chromium
    "test_notebooks": ("notebook",),             # the committed-output checks ride along with the runs
    "test_notebooks_cloud": ("notebook",),
    "test_notebook_claims": ("notebook",),
    "test_notebook_claims_es": ("notebook",),    # the Spanish path's claims (notebooks/es/)
    "test_offline_install": ("slow",),           # a fresh interpreter per test, USE loaded in each
    "test_benchmarks_smoke": ("slow",),          # the whole benchmark harness on synthetic data
}

# Single tests marked slow (by name prefix), for the same reason: each starts a fresh interpreter (a crash must
# fail a test, not the run), loads a model in it, or embeds thousands of pieces.
SLOW_TESTS = {
    "test_bad_inputs_core": ("test_damaged_hnsw_file", "test_edited_hnsw_settings",
                             "test_settings_edited_and_re_signed", "test_loading_prints_nothing", "test_hnsw_save",
                             "test_hnsw_M_1", "test_a_save_killed_between_its_steps",
                             "test_a_settings_file_naming_a_previous_index", "test_shipped_embeddings_files_re_save"),
    # a real server is made to stall, trickle or refuse until the client's timeouts and retries run out
    "test_client": ("test_a_refused_connection_is_retried", "test_a_trickling_server", "test_a_slow_server_times_out",
                    "test_a_silent_server"),
    "test_benchmarks_report": ("test_a_full_run_records_the_machine",),
    "test_data": ("test_every_dataset_is_shipped_for_both", "test_prepare_data_is_deterministic"),
    "test_use_model": ("test_the_limit_is_8191", "test_the_client_applies_the_same_rules",
                       "test_embedding_needs_no_torch", "test_memory_grows"),
    "test_cache": ("test_a_writer_killed_mid_write", "test_two_processes_writing"),
    "test_client_config": ("test_offline_model_embeds_caches_and_then_reads_the_cache[minilm",
                           "test_a_cache_hit_never"),
}


# `python tasks.py test` spreads the tests over one worker per core (pytest-xdist, `--dist loadgroup`); the tests
# of one xdist_group run on one worker, one after another. Grouped: every test reading a notebook's run (its
# execution and its claims), so that each notebook still runs once; everything that uses PostgreSQL (one embedded
# server whose last user stops it, and table names the notebooks share); and the modules whose tests share a
# fixture that takes seconds to build.
GROUPED_MODULES = {
    "test_vectordb": "database",
    "test_bad_inputs_vectordb": "database",
    "test_site": "site",                          # builds a whole site (27 s)
    "test_benchmarks_smoke": "benchmarks_smoke",  # runs the whole harness once
}


def xdist_group(item, module_name: str) -> str | None:
    """The group ``item`` belongs to (see GROUPED_MODULES), or None: any worker may run it."""
    from notebook_session import NOTEBOOKS, claimed_notebooks, uses_database

    if module_name in GROUPED_MODULES:
        return GROUPED_MODULES[module_name]
    params = getattr(getattr(item, "callspec", None), "params", {})
    if module_name.startswith("test_notebook_claims"):
        notebooks = claimed_notebooks(item.function)
    elif "path" in params and (module_name == "test_notebooks_cloud" or (
            module_name == "test_notebooks" and "notebook_execution" in item.fixturenames)):
        notebooks = {params["path"].relative_to(NOTEBOOKS).as_posix()}
    else:
        return None  # no notebook run: only a committed file, or no notebook at all
    if any(uses_database(relative) for relative in notebooks):
        return "database"
    if module_name == "test_notebooks_cloud":
        return None  # a run of its own, shared with no other test
    return f"notebook:{min(notebooks)}" if notebooks else None


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own hook, which reads the xdist_group marks
def pytest_collection_modifyitems(session, config, items):
    """Mark each test with what its module needs (MODULE_MARKS) and its xdist group. Before any notebook runs,
    register the probes of every claims(...) call of the collected claims tests, so that each notebook is
    executed once per session with all of them (see notebook_session.py)."""
    from notebook_session import register_claims_module

    for item in items:
        module = getattr(item, "module", None)
        name = module.__name__.rsplit(".", 1)[-1] if module else ""
        for mark in MODULE_MARKS.get(name, ()):
            item.add_marker(mark)
        if item.name.startswith(SLOW_TESTS.get(name, ())):
            item.add_marker("slow")
        group = xdist_group(item, name) if module else None
        if group:
            item.add_marker(pytest.mark.xdist_group(group))

    modules = {id(item.module): item.module for item in items  # test_notebook_claims and its Spanish files
               if getattr(item, "module", None) is not None
               and item.module.__name__.rsplit(".", 1)[-1].startswith("test_notebook_claims")}
    for module in modules.values():
        register_claims_module(module)


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook, run by the controller for each worker's collection
def pytest_xdist_node_collection_finished(node, ids):
    """Stop a parallel run at once when pytest-xdist did not apply the groups: it carries each group in the test's
    node id, a rename that pytest 9.2 loses (pytest-dev/pytest-xdist#1386; requirements-dev.txt keeps pytest
    below 9.2). Ungrouped, every notebook would run on every worker, and the database tests would race."""
    if node.config.getvalue("dist") != "loadgroup":
        return
    always_grouped = (*GROUPED_MODULES, "test_notebook_claims")
    lost = [nodeid for nodeid in ids if "@" not in nodeid.rsplit("]", 1)[-1]
            and Path(nodeid.split("::")[0]).stem.startswith(always_grouped)]
    if lost:
        pytest.exit(f"pytest-xdist lost the xdist_group of {len(lost)} tests (e.g. {lost[0]}), so --dist loadgroup "
                    "cannot keep them together: install the versions of requirements-dev.txt (pytest<9.2), or run "
                    "with -n 0", returncode=pytest.ExitCode.USAGE_ERROR)


@pytest.fixture(scope="session")
def notebook_execution():
    """``notebook_execution("04_search.ipynb")``: that notebook's one run this session (an ``Execution``)."""
    from notebook_session import execution

    return execution
