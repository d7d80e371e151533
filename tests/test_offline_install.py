"""Issue 9's "done when", as a learner meets it: requirements.txt alone (no torch), no key, no network.

A subprocess runs with torch & co. invisible to the import system and every non-loopback connection
refused (see ``offline_env``), with a ``GITHUB_TOKEN`` set as in every Codespace, in a project folder with
no ``.env`` and an empty cache.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from offline_env import offline_env

ROOT = Path(__file__).resolve().parents[1]


def run_offline(tmp_path: Path, script: str) -> dict:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("[project]\nname = 'workshop'\n")
    (project / "data").symlink_to(ROOT / "data", target_is_directory=True)
    env = offline_env(tmp_path / "shim", VECTORLAB_ROOT=str(project))
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True,
                            timeout=300, env=env, cwd=project)
    assert result.returncode == 0, result.stderr[-3000:]
    return {"stdout": result.stdout, **json.loads(result.stdout.strip().splitlines()[-1])}


def test_the_shim_really_hides_torch_and_the_network(tmp_path):
    out = run_offline(tmp_path, """
        import importlib.util, json, socket, urllib.request
        try:
            import torch  # noqa: F401
            torch_error = None
        except ModuleNotFoundError as error:
            torch_error = type(error).__name__
        from vectorlab.embed import local_model
        try:
            urllib.request.urlopen("https://models.github.ai/inference", timeout=5)
            network = "reached"
        except OSError as error:
            network = type(error).__name__
        print(json.dumps({"torch": torch_error, "spec": importlib.util.find_spec("sentence_transformers") is None,
                          "minilm": local_model.is_available(), "network": network}))
    """)
    assert out["torch"] == "ModuleNotFoundError" and out["spec"] and out["minilm"] is False
    assert out["network"] != "reached"


def test_create_client_embeds_spanish_and_finds_the_lion_king_offline(tmp_path):
    out = run_offline(tmp_path, """
        import json, sys
        import vectorlab as vl

        client = vl.create_client()
        query = client.embed_one("una película sobre leones")
        plots = vl.load_dataset("movie_plots")
        rows, scores = vl.exhaustive_search(query, plots.vectors, k=3)
        title_of = dict(zip(vl.load_movies()["plot_text"], vl.load_movies()["title"]))
        print(json.dumps({"provider": client.provider, "model": client.model, "top3": [title_of[plots.keys[i]]
                          for i in rows], "torch": "torch" in sys.modules, "dims": int(query.shape[0])}))
    """)
    assert out["provider"] == "use" and out["model"] == "use-multilingual-v3" and out["dims"] == 512
    assert "The Lion King" in out["top3"], out["top3"]
    assert out["torch"] is False
    assert out["stdout"].splitlines()[0] == ("Embedding offline with use-multilingual-v3 "
                                             "(API_HOST=github for GitHub Models).")
    cached = list((tmp_path / "project" / "embeddings_cache" / "use-multilingual-v3").rglob("*.json"))
    assert len(cached) == 1  # computed here, then cached


def test_the_offline_path_never_imports_the_sdk_or_scikit_learn(tmp_path):
    """Each notebook kernel starts by importing vectorlab: the OpenAI SDK (~0.7 s) and scikit-learn with
    scipy.stats (~1.3 s) are imported where they are first needed, so the offline default pays for neither.
    The last step is the control: fitting a PCA does import scikit-learn, so the check can see it."""
    out = run_offline(tmp_path, """
        import json, sys
        import numpy as np
        import vectorlab as vl

        heavy = ("openai", "sklearn", "scipy.stats")
        loaded = lambda: [name for name in heavy if name in sys.modules]
        after_import = loaded()
        vl.create_client().embed(["perro", "gato"])
        after_embedding = loaded()
        vl.fit_pca(np.eye(3, dtype=np.float32), 2)
        print(json.dumps({"import": after_import, "embed": after_embedding, "pca": loaded()}))
    """)
    assert out["import"] == [] and out["embed"] == []
    assert "sklearn" in out["pca"]
