"""The OpenAI-compatible local endpoint (vectorlab.embed.local_server), called with the real ``openai`` SDK.

Nothing in the SDK is patched: it talks HTTP to the server on 127.0.0.1, and its answers are compared
with :func:`vectorlab.embed.use_model.embed_use` called directly.
"""

from __future__ import annotations

import base64
import http.client
import json
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler

import numpy as np
import openai
import pytest
from openai import OpenAI

from vectorlab.embed import openai_settings
from vectorlab.embed import sdk_settings as client_module
from vectorlab.embed.local_server import MAX_INPUTS, serve_embeddings
from vectorlab.embed.sdk_settings import LOCAL_API_KEY
from vectorlab.embed.use_model import USE_MODEL_NAME, embed_use
from vectorlab.errors import ConfigurationError
from vectorlab.reduce import truncate

TEXTS = ["big dog", "perro", "xqzvbnm"]
KEY = "ghp_SettingsTestToken0123456789abcdefABCDEF"


@pytest.fixture(scope="module")
def server():
    with serve_embeddings() as running:
        yield running


@pytest.fixture(scope="module")
def sdk(server):
    return OpenAI(base_url=server.base_url, api_key="anything", max_retries=0, timeout=60)


def raw_request(server, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict]:
    connection = http.client.HTTPConnection(server.host, server.port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


# -- answers ----------------------------------------------------------------------------------------


def test_float_answers_equal_the_model_called_directly(server, sdk):
    assert server.base_url == f"http://127.0.0.1:{server.port}/v1" and server.model == USE_MODEL_NAME
    response = sdk.embeddings.create(model=server.model, input=TEXTS, encoding_format="float")
    assert [item.index for item in response.data] == [0, 1, 2] and response.model == USE_MODEL_NAME
    vectors = np.array([item.embedding for item in response.data], dtype=np.float32)
    np.testing.assert_array_equal(vectors, embed_use(TEXTS))  # bit for bit through JSON floats
    assert response.usage.prompt_tokens == response.usage.total_tokens > len(TEXTS)


def test_base64_the_sdks_default_decodes_to_the_same_vectors(server, sdk):
    response = sdk.embeddings.create(model=server.model, input=TEXTS)  # the SDK asks for base64 and decodes it
    vectors = np.array([item.embedding for item in response.data], dtype=np.float32)
    np.testing.assert_array_equal(vectors, embed_use(TEXTS))
    # and on the wire it is base64 of little-endian float32, as OpenAI sends it
    status, payload = raw_request(server, "POST", "/v1/embeddings", json.dumps(
        {"model": server.model, "input": "perro", "encoding_format": "base64"}).encode(),
        {"Content-Type": "application/json"})
    assert status == 200
    decoded = np.frombuffer(base64.b64decode(payload["data"][0]["embedding"]), dtype="<f4")
    np.testing.assert_array_equal(decoded, embed_use(["perro"])[0])


def test_a_single_string_input_and_the_models_list(server, sdk):
    response = sdk.embeddings.create(model=server.model, input="hola mundo", encoding_format="float")
    assert len(response.data) == 1 and len(response.data[0].embedding) == 512
    assert [model.id for model in sdk.models.list()] == [USE_MODEL_NAME]
    assert sdk.models.retrieve(USE_MODEL_NAME).owned_by == "vectorlab"
    # dimensions equal to the model's own size is accepted (nothing to shorten)
    assert len(sdk.embeddings.create(model=server.model, input="x y", dimensions=512).data[0].embedding) == 512


def test_concurrent_requests_get_their_own_answers(server, sdk):
    texts = [f"movie number {i} about lions" for i in range(8)]

    def one(text):
        return sdk.embeddings.create(model=server.model, input=[text]).data[0].embedding

    with ThreadPoolExecutor(4) as pool:
        vectors = np.array(list(pool.map(one, texts)), dtype=np.float32)
    np.testing.assert_allclose(vectors, embed_use(texts), atol=1e-6)


# -- errors, in OpenAI's shape ----------------------------------------------------------------------


@pytest.mark.parametrize("dims", [1, 64, 256, 511])
def test_dimensions_is_the_first_d_numbers_renormalized(server, sdk, dims):
    """As OpenAI's API answers for its MRL models: cut to the first d numbers, then length 1 again."""
    response = sdk.embeddings.create(model=server.model, input=TEXTS, dimensions=dims)  # base64, the default
    short = np.array([item.embedding for item in response.data], dtype=np.float32)
    full = embed_use(TEXTS)
    expected = full[:, :dims] / np.linalg.norm(full[:, :dims].astype(np.float64), axis=1, keepdims=True)
    assert short.shape == (len(TEXTS), dims)
    np.testing.assert_allclose(short, expected, rtol=0, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(short, axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(short, truncate(full, dims), rtol=0, atol=1e-6)  # the library's own helper agrees
    if dims > 1:  # and it is a real cut, not the full vector: the renormalization changed the values
        assert not np.allclose(short, full[:, :dims])


@pytest.mark.parametrize(("dims", "words", "code"), [
    (0, "'dimensions' = 0: it must be from 1 to 512", "invalid_value"),
    (513, "'dimensions' = 513: it must be from 1 to 512", "invalid_value"),
    (-5, "'dimensions' = -5", "invalid_value"),
    (256.5, "expected an integer, got 256.5", "invalid_type"),
    ("256", "expected an integer, got '256'", "invalid_type"),
    (True, "expected an integer, got True", "invalid_type"),
])
def test_dimensions_outside_1_to_512_is_a_400(server, sdk, dims, words, code):
    with pytest.raises(openai.BadRequestError, match=words) as info:
        sdk.embeddings.create(model=server.model, input=TEXTS, dimensions=dims)
    assert info.value.status_code == 400
    assert info.value.body["param"] == "dimensions" and info.value.body["code"] == code
    assert info.value.body["type"] == "invalid_request_error"


def test_unknown_model_is_a_404_naming_the_served_one(server, sdk):
    with pytest.raises(openai.NotFoundError, match="'text-embedding-3-small' does not exist") as info:
        sdk.embeddings.create(model="text-embedding-3-small", input=TEXTS)
    assert info.value.body["code"] == "model_not_found"
    with pytest.raises(openai.NotFoundError):
        sdk.models.retrieve("nope")


@pytest.mark.parametrize(("value", "words"), [
    (["dog", ""], "text at index 1 is empty"),
    (["🐶"], "text at index 0 .* has no character use-multilingual-v3 knows"),
    ([[101, 202]], "token ids are not supported"),
    ([], "non-empty list of strings"),
    (["dog"] * (MAX_INPUTS + 1), "more than the 2048 allowed"),
])
def test_input_the_model_cant_answer_is_a_400(server, sdk, value, words):
    with pytest.raises(openai.BadRequestError, match=words) as info:
        sdk.embeddings.create(model=server.model, input=value)
    assert info.value.body["param"] == "input"


@pytest.mark.parametrize(("method", "path", "body", "status", "words"), [
    ("POST", "/v1/embeddings", b"{not json", 400, "not valid JSON"),
    ("POST", "/v1/embeddings", b"[1, 2]", 400, "must be a JSON object"),
    ("POST", "/v1/embeddings", b'{"input": "dog"}', 400, "'model' is required"),
    ("POST", "/v1/embeddings", b'{"model": "use-multilingual-v3", "input": "dog", "encoding_format": "int8"}',
     400, "encoding_format 'int8' is not supported"),
    ("GET", "/v1/embeddings", None, 405, "GET is not allowed"),
    ("GET", "/v1/chat/completions", None, 404, "no route"),
    ("DELETE", "/v1/models", None, 405, "DELETE is not allowed"),
])
def test_http_errors_use_openais_error_json(server, method, path, body, status, words):
    got, payload = raw_request(server, method, path, body, {"Content-Type": "application/json"})
    assert got == status
    assert set(payload) == {"error"} and set(payload["error"]) == {"message", "type", "param", "code"}
    assert words in payload["error"]["message"]


def test_the_access_log_never_shows_a_key_sent_as_a_query_parameter(server, caplog):
    """A client may put its key in the URL (``?api_key=...``, as some OpenAI-compatible clients do): the
    server's DEBUG access log shows the request with the key hidden."""
    secret = "sk-QueryParamKey0123456789abcdefXYZ"
    with caplog.at_level("DEBUG", logger="vectorlab.embed.local_server"):
        got, _ = raw_request(server, "GET", f"/v1/models?api_key={secret}")
    assert got == 200
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "/v1/models?api_key=***" in logged, logged
    assert secret not in logged and secret[:8] not in logged


def test_it_binds_loopback_only():
    for host in ("0.0.0.0", "192.168.1.10", "example.com", "::"):
        with pytest.raises(ValueError, match="loopback"):
            serve_embeddings(host=host)
    with serve_embeddings(host="localhost") as local:
        assert local.host == "127.0.0.1"
    with pytest.raises(ValueError, match="port must be"):
        serve_embeddings(port=70000)


def test_the_handler_must_be_an_embedding_handler():
    # Subclasses of EmbeddingHandler change what is served (tests/openai_stub_server.py plays a cloud provider).
    for handler in (BaseHTTPRequestHandler, "EmbeddingHandler", None):
        with pytest.raises(TypeError, match="handler must be a subclass of EmbeddingHandler"):
            serve_embeddings(handler=handler)  # type: ignore[arg-type]


def test_close_frees_the_port():
    running = serve_embeddings()
    port = running.port
    running.close()
    running.close()  # twice is fine
    assert "closed" in repr(running)
    with serve_embeddings(port=port) as again:  # the same port can be bound again
        assert again.port == port


# -- openai_settings() ------------------------------------------------------------------------------


def test_offline_settings_start_one_endpoint_per_process_and_work_with_the_sdk():
    settings = openai_settings(env={})
    assert settings.provider == "use" and settings.model == USE_MODEL_NAME and settings.api_key == LOCAL_API_KEY
    assert settings.base_url.startswith("http://127.0.0.1:") and settings.base_url.endswith("/v1")
    assert openai_settings(env={"GITHUB_TOKEN": KEY}) == settings  # the token alone does not switch
    sdk = OpenAI(base_url=settings.base_url, api_key=settings.api_key, max_retries=0)
    response = sdk.embeddings.create(model=settings.model, input=TEXTS)
    np.testing.assert_array_equal(np.array([d.embedding for d in response.data], dtype=np.float32), embed_use(TEXTS))
    client_module._shared_local_server().close()  # a closed endpoint is started again on the next call
    again = openai_settings(env={})
    assert not client_module._local_server.closed
    sdk = OpenAI(base_url=again.base_url, api_key=again.api_key, max_retries=0)
    assert len(sdk.embeddings.create(model=again.model, input="perro").data) == 1


def test_cloud_settings_are_the_real_endpoint_and_key_never_printed():
    github = openai_settings(env={"API_HOST": "github", "GITHUB_TOKEN": KEY})
    assert (github.base_url, github.api_key, github.model) == (
        "https://models.github.ai/inference", KEY, "openai/text-embedding-3-small")
    assert KEY not in repr(github) and KEY not in str(github)
    openai_com = openai_settings(env={"API_HOST": "openai", "OPENAI_KEY": KEY,
                                      "OPENAI_EMBED_MODEL": "text-embedding-3-large"})
    assert (openai_com.base_url, openai_com.api_key, openai_com.model) == (
        "https://api.openai.com/v1", KEY, "text-embedding-3-large")
    azure = openai_settings(env={"API_HOST": "azure", "AZURE_OPENAI_ENDPOINT": "https://x.openai.azure.com/",
                                 "AZURE_OPENAI_EMBED_DEPLOYMENT": "emb", "AZURE_OPENAI_API_KEY": KEY})
    assert (azure.base_url, azure.api_key, azure.model) == ("https://x.openai.azure.com/openai/v1/", KEY, "emb")
    keyless = openai_settings(env={"API_HOST": "azure", "AZURE_OPENAI_ENDPOINT": "https://x.openai.azure.com",
                                   "AZURE_OPENAI_EMBED_DEPLOYMENT": "emb"}, azure_token_provider=lambda: "token")
    assert callable(keyless.api_key) and keyless.api_key() == "token"
    ollama = openai_settings(env={"API_HOST": "ollama"})
    assert (ollama.base_url, ollama.model) == ("http://localhost:11434/v1", "nomic-embed-text")


def test_providers_without_an_endpoint_say_so():
    for host in ("cache", "minilm", "local"):
        with pytest.raises(ConfigurationError, match="has no OpenAI-compatible endpoint"):
            openai_settings(host, env={})
    with pytest.raises(ConfigurationError, match="needs GITHUB_TOKEN"):
        openai_settings(env={"API_HOST": "github"})
