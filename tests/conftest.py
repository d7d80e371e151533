"""Shared test setup: never reach a model hub, and keep runs reproducible."""

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
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


def pytest_collection_modifyitems(session, config, items):
    """Mark each test with what its module needs (MODULE_MARKS). Before any notebook runs, register the probes
    of every claims(...) call of the collected claims tests, so that each notebook is executed once per
    session with all of them (see notebook_session.py)."""
    from notebook_session import register_claims_module

    for item in items:
        module = getattr(item, "module", None)
        name = module.__name__.rsplit(".", 1)[-1] if module else ""
        for mark in MODULE_MARKS.get(name, ()):
            item.add_marker(mark)
        if item.name.startswith(SLOW_TESTS.get(name, ())):
            item.add_marker("slow")

    modules = {id(item.module): item.module for item in items  # test_notebook_claims and its Spanish files
               if getattr(item, "module", None) is not None
               and item.module.__name__.rsplit(".", 1)[-1].startswith("test_notebook_claims")}
    for module in modules.values():
        register_claims_module(module)


@pytest.fixture(scope="session")
def notebook_execution():
    """``notebook_execution("04_search.ipynb")``: that notebook's one run this session (an ``Execution``)."""
    from notebook_session import execution

    return execution
