"""The cloud path of every notebook: with a token, the same cells embed data and queries with
text-embedding-3-small. GitHub Models is played by the OpenAI-compatible stub server on 127.0.0.1
(real sockets, the real openai SDK), with a throwaway cache, so nothing here touches the committed one.
The stub's vectors are meaningless, so this checks that the cells run and what they send, not what the
numbers say (the offline runs in test_notebooks.py check the committed results)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openai_stub_server import StubServer, env_for

from tools.notebook_runner import OFFLINE_ENV, execute_notebook, notebook_paths

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
PATHS = notebook_paths(NOTEBOOKS)
TOKEN = "ghp_stubtokenthatmustneverbeprinted000000"


@pytest.fixture(scope="module")
def github_models():
    with StubServer(api_key=TOKEN) as server:
        yield server


@pytest.mark.notebook
@pytest.mark.parametrize("path", PATHS, ids=[path.relative_to(NOTEBOOKS).as_posix() for path in PATHS])
def test_notebook_runs_with_github_models(path, github_models, tmp_path):
    env = {**OFFLINE_ENV, **env_for("github", github_models, key=TOKEN), "VECTORLAB_CACHE_DIR": str(tmp_path)}
    before = github_models.request_count
    executed = tmp_path / path.name
    execute_notebook(path, write=False, env=env, output=executed)

    requests = github_models.requests[before:]
    models = {request.body.get("model") for request in requests}
    assert models <= {"openai/text-embedding-3-small"}, models
    outputs = json.dumps([cell.get("outputs", []) for cell in json.loads(executed.read_text())["cells"]])
    assert TOKEN not in outputs
    assert "GitHub Models" in outputs  # the provider line says which provider it used
    if path == NOTEBOOKS / "06_reduce_dimensions.ipynb":  # the workshop's live MRL cell asks for shortened vectors
        assert any(request.body.get("dimensions") == 256 for request in requests)
