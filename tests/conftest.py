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
    "test_offline_install": ("slow",),           # a fresh interpreter per test, USE loaded in each
    "test_benchmarks_smoke": ("slow",),          # the whole benchmark harness on synthetic data
}


def pytest_collection_modifyitems(session, config, items):
    """Mark each test with what its module needs (MODULE_MARKS). Before any notebook runs, register the probes
    of every claims(...) call of the collected claims tests, so that each notebook is executed once per
    session with all of them (see notebook_session.py)."""
    from notebook_session import register_claims_module

    for item in items:
        module = getattr(item, "module", None)
        for mark in MODULE_MARKS.get(module.__name__.rsplit(".", 1)[-1] if module else "", ()):
            item.add_marker(mark)

    modules = {id(item.module): item.module for item in items
               if getattr(item, "module", None) is not None and item.module.__name__.endswith("test_notebook_claims")}
    for module in modules.values():
        register_claims_module(module)


@pytest.fixture(scope="session")
def notebook_execution():
    """``notebook_execution("04_search.ipynb")``: that notebook's one run this session (an ``Execution``)."""
    from notebook_session import execution

    return execution
