"""The cloud path of every notebook: with a token, the same cells embed data and queries with
text-embedding-3-small. GitHub Models is played by the package's own endpoint on 127.0.0.1
(vectorlab.embed.local_server with tests/openai_stub_server.py's scripted handler; real sockets, the real
openai SDK), with a throwaway cache, so nothing here touches the committed one. The stub's vectors are
meaningless, so this checks that the cells run and what they send, not what the numbers say
(the offline runs in test_notebooks.py check the committed results).

Only the notebooks that embed new text (a code cell calls ``.embed(``, ``.embed_one(`` or the SDK's
``embeddings.create(``) run here: the others only load datasets through ``load_dataset(..., client=client)``,
the same client path these notebooks already take, so running them again would prove nothing new. Nor do
the Spanish path's notebooks run here: their code cells are the English ones but for string literals and
dataset names (tests/test_spanish_path.py fails on any other difference), so the English run proves their
cloud path."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from openai_stub_server import StubServer, env_for

from tools.notebook_runner import OFFLINE_ENV, execute_notebook, notebook_paths

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
PATHS = notebook_paths(NOTEBOOKS)
EMBEDS_NEW_TEXT = re.compile(r"\.embed\(|\.embed_one\(|embeddings\.create\(")


def embeds_new_text(path: Path) -> bool:
    """Whether a code cell of the notebook at ``path`` embeds text of its own."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return any(EMBEDS_NEW_TEXT.search("".join(cell["source"])) for cell in cells if cell["cell_type"] == "code")


CLOUD_PATHS = [path for path in PATHS if embeds_new_text(path) and path.relative_to(NOTEBOOKS).parts[0] != "es"]
TOKEN = "ghp_stubtokenthatmustneverbeprinted000000"


@pytest.fixture(scope="module")
def github_models():
    with StubServer(api_key=TOKEN) as server:
        yield server


def test_the_cloud_pass_runs_the_notebooks_that_embed_new_text(tmp_path):
    names = {path.relative_to(NOTEBOOKS).as_posix() for path in CLOUD_PATHS}
    assert {"01_generate.ipynb", "06_reduce_dimensions.ipynb"} <= names, names
    assert len(CLOUD_PATHS) < len(PATHS), "notebooks that only load datasets are not run again"

    def notebook(source: str) -> Path:
        path = tmp_path / f"n{len(list(tmp_path.iterdir()))}.ipynb"
        cells = [{"cell_type": "markdown", "source": ["client.embed(texts)"]},
                 {"cell_type": "code", "source": [source]}]
        path.write_text(json.dumps({"cells": cells}), encoding="utf-8")
        return path

    assert embeds_new_text(notebook("vectors = client.embed(['big dog'])"))
    assert embeds_new_text(notebook("sdk.embeddings.create(model=m, input=texts)"))
    assert not embeds_new_text(notebook("movies = vl.load_dataset('movie_plots', client=client)"))


@pytest.mark.notebook
@pytest.mark.parametrize("path", CLOUD_PATHS, ids=[path.relative_to(NOTEBOOKS).as_posix() for path in CLOUD_PATHS])
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
    if path in (NOTEBOOKS / "06_reduce_dimensions.ipynb", NOTEBOOKS / "es" / "06_reduce_dimensions.ipynb"):
        # the workshop's live MRL cell (in both languages) asks for shortened vectors
        assert any(request.body.get("dimensions") == 256 for request in requests)
