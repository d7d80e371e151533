"""The embedding client's bad inputs, as a table: every case a typed error that names the problem, never a secret.

Three tables: configuration (``create_client``, ``RetryPolicy``, ``openai_settings``), the texts and
arguments given to ``embed``, and what a server may answer (a real HTTP server on 127.0.0.1, the
real ``openai`` SDK). Every error is checked whole: its type, words naming the problem, and that no
key appears in its message, its ``args``, or anywhere in its ``__cause__``/``__context__`` chain.
Valid edge cases are compared with a reference: the stub's own vector function, or the numbers sent.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from exception_chains import exception_chain
from openai_stub_server import StubServer, env_for, fail, malformed, stub_vector, wrong_count, wrong_dims

from vectorlab.embed import RetryPolicy, create_client, openai_settings
from vectorlab.errors import (
    AuthenticationError,
    BadResponseError,
    ConfigurationError,
    EmbeddingError,
    InputError,
    ModelNotFoundError,
    ProviderError,
    VectorlabError,
)

KEY = "sk-proj-SecretKey0123456789abcdefXYZ"
PASSWORD = "pw-Secret-7x9q"
QUERY_KEY = "QueryKey-31415926"
SECRETS = (KEY, PASSWORD, QUERY_KEY)
FAST = RetryPolicy(max_retries=2, max_retry_after=5, timeout=10)


def assert_no_secret(error: BaseException, *extra: str) -> None:
    for link in exception_chain(error):
        text = " ".join([str(link), repr(link), *(repr(arg) for arg in link.args)])
        for secret in (*SECRETS, *extra):
            assert secret not in text, f"{secret!r} in {type(link).__name__}: {text[:300]}"


def check(error: BaseException, kind: type[BaseException], words: str) -> None:
    assert isinstance(error, kind), f"{type(error).__name__}: {error}"
    assert isinstance(error, VectorlabError)
    for word in words.split("|"):
        assert word in str(error), f"{word!r} not in: {error}"
    assert_no_secret(error)


# -- 1. configuration ------------------------------------------------------------------------------

CONFIG_CASES: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    ("unknown host", {"API_HOST": "gemini"}, {}, "'gemini' is not a provider|use one of"),
    ("host argument not a str", {}, {"api_host": 123}, "api_host must be a str"),
    ("github without a token", {"API_HOST": "github"}, {}, "GITHUB_TOKEN"),
    ("github blank token", {"API_HOST": "github", "GITHUB_TOKEN": "  "}, {}, "GITHUB_TOKEN"),
    ("azure without endpoint", {"API_HOST": "azure", "AZURE_OPENAI_EMBED_DEPLOYMENT": "d",
                                "AZURE_OPENAI_API_KEY": KEY}, {}, "AZURE_OPENAI_ENDPOINT"),
    ("azure without deployment", {"API_HOST": "azure", "AZURE_OPENAI_ENDPOINT": "https://x.openai.azure.com",
                                  "AZURE_OPENAI_API_KEY": KEY}, {}, "AZURE_OPENAI_EMBED_DEPLOYMENT"),
    ("openai without a key", {"API_HOST": "openai"}, {}, "OPENAI_API_KEY"),
    ("model empty", {}, {"model": ""}, "model must be a non-empty str"),
    ("model not a str", {}, {"model": 5}, "model must be a non-empty str"),
    ("retry not a policy", {}, {"retry": "fast"}, "retry must be a RetryPolicy"),
    ("use runs one model", {}, {"model": "text-embedding-3-small"}, "runs only use-multilingual-v3"),
    ("minilm runs one model", {"API_HOST": "minilm"}, {"model": "text-embedding-3-small"},
     "runs only all-MiniLM-L6-v2"),
    ("dimensions on USE", {}, {"dimensions": 256}, "can't be shortened|dimensions=256"),
    ("dimensions zero", {"API_HOST": "openai", "OPENAI_API_KEY": KEY}, {"dimensions": 0}, "at least 1"),
    ("dimensions too big", {"API_HOST": "openai", "OPENAI_API_KEY": KEY}, {"dimensions": 4000},
     "at most 1536|4000"),
    ("dimensions bool", {"API_HOST": "openai", "OPENAI_API_KEY": KEY}, {"dimensions": True}, "whole number|True"),
    ("dimensions float", {"API_HOST": "openai", "OPENAI_API_KEY": KEY}, {"dimensions": 2.5}, "whole number|2.5"),
    ("dimensions on ada", {"API_HOST": "openai", "OPENAI_API_KEY": KEY, "OPENAI_EMBED_MODEL":
                           "text-embedding-ada-002"}, {"dimensions": 256}, "can't be shortened"),
]


@pytest.mark.parametrize(("env", "kwargs", "words"), [case[1:] for case in CONFIG_CASES],
                         ids=[case[0] for case in CONFIG_CASES])
def test_bad_configuration(tmp_path, env, kwargs, words):
    with pytest.raises(VectorlabError) as info:
        create_client(env=env, cache_dir=tmp_path, announce=False, **kwargs)
    kind = TypeError if "whole number" in words else ConfigurationError if "dimensions" not in kwargs else ValueError
    check(info.value, kind, words)


POLICY_CASES = [
    ({"max_retries": -1}, "max_retries must be at least 0"), ({"max_retries": True}, "max_retries must be a whole"),
    ({"max_retries": 1.5}, "max_retries must be a whole"),
    ({"timeout": 0}, "timeout must be"), ({"timeout": math.nan}, "timeout must be"),
    ({"timeout": math.inf}, "timeout must be"), ({"timeout": "60"}, "timeout must be"),
    ({"deadline": -1}, "deadline must be"), ({"deadline": 0.0}, "deadline must be"),
    ({"max_retry_after": "60"}, "max_retry_after must be"), ({"max_retry_after": -5}, "max_retry_after must be"),
]


@pytest.mark.parametrize(("kwargs", "words"), POLICY_CASES, ids=[str(c[0]) for c in POLICY_CASES])
def test_bad_retry_policy(kwargs, words):
    with pytest.raises(VectorlabError) as info:
        RetryPolicy(**kwargs)
    check(info.value, TypeError if "whole" in words else ValueError, f"{words}|got")


@pytest.mark.parametrize("host", ["minilm", "cache"])
def test_offline_hosts_have_no_sdk_endpoint(host):
    with pytest.raises(ConfigurationError) as info:
        openai_settings(host, env={})
    check(info.value, ConfigurationError, f"API_HOST={host} has no OpenAI-compatible endpoint")


def test_a_named_env_file_that_does_not_exist(tmp_path):
    with pytest.raises(ConfigurationError) as info:
        create_client(env_file=tmp_path / "missing.env", cache_dir=tmp_path, announce=False)
    check(info.value, ConfigurationError, "missing.env|does not exist")


# -- 2. texts and arguments -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server():
    with StubServer(api_key=KEY) as stub:
        yield stub


def github(server: StubServer, tmp_path: Path, retry: RetryPolicy = FAST, **extra: str):
    return create_client(env=env_for("github", server, KEY, **extra), cache_dir=tmp_path / "cache", retry=retry,
                         announce=False)


TEXT_CASES: list[tuple[str, Any, dict[str, Any], str]] = [
    ("one str", "hola", {}, "single str|embed_one"),
    ("bytes", b"hola", {}, "single bytes"),
    ("empty list", [], {}, "texts is empty"),
    ("not iterable", 5, {}, "list of strings, got int"),
    ("None", None, {}, "list of strings, got NoneType"),
    ("None item", [None], {}, "index 0 is a NoneType"),
    ("int item", ["ok", 3], {}, "index 1 is a int"),
    ("bytes item", ["ok", b"x"], {}, "index 1 is a bytes"),
    ("nan item", [math.nan], {}, "index 0 is a float"),
    ("nested list", [["a"]], {}, "index 0 is a list"),
    ("empty text", ["ok", ""], {}, "index 1 is empty"),
    ("blank text", ["   \n"], {}, "index 0 is only whitespace"),
    ("lone surrogate", ["ok", "a\ud800b"], {}, "index 1 has an unpaired surrogate"),
    ("too long", ["ok", "word " * 9000], {}, "index 1|more than the 8191 tokens|truncate=True"),
    ("dimensions str", ["ok"], {"dimensions": "256"}, "dimensions (or None for the model's own) must be a whole"),
    ("dimensions negative", ["ok"], {"dimensions": -3}, "at least 1"),
    ("dimensions on ada", ["ok"], {"model": "text-embedding-ada-002", "dimensions": 512}, "can't be shortened"),
]


@pytest.mark.parametrize(("texts", "kwargs", "words"), [c[1:] for c in TEXT_CASES], ids=[c[0] for c in TEXT_CASES])
def test_bad_texts_are_refused_before_any_request(server, tmp_path, texts, kwargs, words):
    before = server.request_count
    with pytest.raises(VectorlabError) as info:
        github(server, tmp_path).embed(texts, **kwargs)
    check(info.value, TypeError if "must be a whole" in words else InputError, words)
    assert server.request_count == before


def test_wrong_dims_from_a_known_model(server, tmp_path):
    server.script(wrong_dims(-1))
    with pytest.raises(BadResponseError) as info:
        github(server, tmp_path).embed(["dog"])
    check(info.value, BadResponseError, "1535 dimensions, expected 1536|not used")


def test_embed_one_wants_one_str(server, tmp_path):
    with pytest.raises(InputError) as info:
        github(server, tmp_path).embed_one(["a"])
    check(info.value, InputError, "text must be a str, got list|embed()")


# -- 3. what a server answers ------------------------------------------------------------------------

def body(*vectors: Any) -> bytes:
    return json.dumps({"data": [{"index": i, "embedding": v} for i, v in enumerate(vectors)]}).encode()


ANSWER_CASES: list[tuple[str, Any, type[BaseException], str]] = [
    ("all-zero vector", malformed(body([0.0] * 16)), BadResponseError, "vector 0 is all zeros"),
    ("boolean vector", malformed(body([True, False] * 8)), BadResponseError, "not a list of numbers"),
    ("1e39 overflows float32", malformed(body([1e39] + [0.1] * 15)), BadResponseError, "too large for float32"),
    ("NaN literal", malformed(b'{"data": [{"index": 0, "embedding": [NaN, 1.0]}]}'), BadResponseError,
     "NaN, infinity"),
    ("Infinity literal", malformed(b'{"data": [{"index": 0, "embedding": [Infinity, 1.0]}]}'), BadResponseError,
     "NaN, infinity"),
    ("numbers as strings", malformed(body(["0.1", "0.2"])), BadResponseError, "not a list of numbers"),
    ("null values", malformed(body([None, 0.2])), BadResponseError, "not a list of numbers"),
    ("nested lists", malformed(body([[0.1], [0.2]])), BadResponseError, "not a list of numbers"),
    ("empty embedding", malformed(body([])), BadResponseError, "not a list of numbers"),
    ("embedding a dict", malformed(body({"x": 1})), BadResponseError, "not a list of numbers"),
    ("index as bool", malformed(b'{"data": [{"index": true, "embedding": [0.1, 0.2]}]}'), BadResponseError,
     "index True"),
    ("index out of range", malformed(b'{"data": [{"index": 3, "embedding": [0.1, 0.2]}]}'), BadResponseError,
     "out-of-range index 3"),
    ("data not a list", malformed(b'{"data": {"0": [0.1]}}'), BadResponseError, "no 'data' list"),
    ("a JSON list", malformed(b"[0.1, 0.2]"), BadResponseError, "no 'data' list"),
    ("200 with an error object", malformed(json.dumps({"error": {"message": f"Quota exceeded for key {KEY}",
                                                                  "code": "quota"}}).encode()),
     BadResponseError, "sent an error instead of embeddings|Quota exceeded for key ***"),
    ("200 with an error string", malformed(json.dumps({"error": f"invalid api_key={KEY}"}).encode()),
     BadResponseError, "sent an error instead of embeddings|invalid api_key=***"),
    ("HTML echoing the key", malformed(f"<html>bad key {KEY}</html>".encode()), BadResponseError,
     "not valid JSON"),
    ("JSON cut short echoing the key", malformed(f'{{"data": [], "key": "{KEY}'.encode()), BadResponseError,
     "not valid JSON"),
    ("wrong count", wrong_count(+1), BadResponseError, "returned 2 embeddings for 1 texts"),
    ("10 MB of [", malformed(b"[" * 10_000_000), BadResponseError, "not valid JSON|10000000 bytes"),
    ("10 MB of [ inside data", malformed(b'{"data": ' + b"[" * 10_000_000), BadResponseError, "not valid JSON"),
    ("-1e39 overflows float32", malformed(body([0.1] * 15 + [-1e39])), BadResponseError, "too large for float32"),
    ("401 echoing the key", fail(401, message="Incorrect API key provided: {key}"), AuthenticationError,
     "refused the key in OLLAMA_API_KEY|Incorrect API key provided: ***"),
    ("403", fail(403, message="key {key} lacks permission"), AuthenticationError, "OLLAMA_API_KEY|403 Forbidden"),
    ("404", fail(404, message="model not found"), ModelNotFoundError, "no model named 'nomic-embed-text'|"
     "OLLAMA_EMBED_MODEL|ollama pull"),
    ("400 echoing the key", fail(400, message="bad input for {key}"), ProviderError, "400 Bad Request|bad input"),
    ("422", fail(422, message="unprocessable"), ProviderError, "422 Unprocessable"),
    ("429 with a day-long Retry-After", fail(429, retry_after="86400", message="daily quota {key}"), ProviderError,
     "asks to wait 86400 s|more than the 5 s we wait|daily quota"),
    ("503 on every attempt", [fail(503, retry_after_ms="5", message="down {key}")] * 3, ProviderError,
     "after 3 attempts|503 Service Unavailable|try again later"),
    ("429 on every attempt", [fail(429, retry_after_ms="5", message="slow down {key}")] * 3, ProviderError,
     "after 3 attempts|429 Too Many Requests|wait a minute"),
]


@pytest.mark.parametrize(("behaviour", "kind", "words"), [c[1:] for c in ANSWER_CASES],
                         ids=[c[0] for c in ANSWER_CASES])
def test_a_bad_answer_is_a_typed_error_and_nothing_is_cached(server, tmp_path, behaviour, kind, words):
    behaviours = behaviour if isinstance(behaviour, list) else [behaviour]
    server.script(*behaviours)
    client = create_client(env=env_for("ollama", server, KEY), cache_dir=tmp_path / "cache", retry=FAST,
                           announce=False)
    with pytest.raises(EmbeddingError) as info:
        client.embed(["hola mundo"])
    check(info.value, kind, words)
    assert info.value.provider == "ollama" and info.value.model == "nomic-embed-text"
    assert not list((tmp_path / "cache").rglob("*.json"))
    server.script()  # nothing left queued for the next case
    assert not server._queue


# -- 4. secrets in the endpoint URL ----------------------------------------------------------------

def secret_endpoint(port: int) -> str:
    return f"http://bob:{PASSWORD}@127.0.0.1:{port}/v1?api_key={QUERY_KEY}"


def test_an_endpoint_with_a_password_and_a_key_is_never_printed_or_logged(tmp_path, capsys, caplog):
    with StubServer(api_key=None) as stub, caplog.at_level(logging.DEBUG):
        client = create_client(env={"API_HOST": "ollama", "OLLAMA_ENDPOINT": secret_endpoint(stub.port)},
                               cache_dir=tmp_path, retry=FAST)
        vectors = client.embed(["hola mundo"])
        sent = stub.requests[-1]
    printed = capsys.readouterr()
    assert printed.out.strip() == f"Embedding with nomic-embed-text at http://127.0.0.1:{stub.port}/v1."
    for text in (printed.out, printed.err, caplog.text, client.describe(), repr(client), repr(client.backend)):
        assert PASSWORD not in text and QUERY_KEY not in text
    assert "HTTP Request: POST" in caplog.text  # httpx2's own log line was there, scrubbed
    assert sent.query == {"api_key": [QUERY_KEY]} and sent.path == "/v1/embeddings"  # the key still reaches it
    np.testing.assert_array_equal(vectors[0], stub_vector("nomic-embed-text", "hola mundo"))


@pytest.mark.parametrize("failure", ["refused", "echo"])
def test_errors_about_a_secret_endpoint_hide_it(tmp_path, failure):
    with StubServer(api_key=None) as stub:
        port = stub.port
        if failure == "echo":
            stub.script(fail(400, message=f"bad query api_key={QUERY_KEY}, user bob:{PASSWORD}"))
            client = create_client(env={"API_HOST": "ollama", "OLLAMA_ENDPOINT": secret_endpoint(port)},
                                   cache_dir=tmp_path, retry=FAST, announce=False)
            with pytest.raises(ProviderError) as info:
                client.embed(["x"])
    if failure == "refused":  # the server is gone
        client = create_client(env={"API_HOST": "ollama", "OLLAMA_ENDPOINT": secret_endpoint(port)},
                               cache_dir=tmp_path, retry=RetryPolicy(max_retries=0, timeout=5), announce=False)
        with pytest.raises(ProviderError) as info:
            client.embed(["x"])
        assert f"127.0.0.1:{port}/v1" in str(info.value) and "connection failed" in str(info.value)
    assert_no_secret(info.value)


# -- 5. valid edge cases, against a reference --------------------------------------------------------

VALID_CASES: list[tuple[str, Any]] = [
    ("duplicates", ["dog", "cat", "dog"]),
    ("a tuple", ("dog", "cat")),
    ("a generator", (t for t in ["dog", "cat"])),
    ("numpy strings", list(np.array(["dog", "cat"]))),
    ("emoji and accents", ["🐶 perro", "café crème"]),
    ("one character", ["x"]),
    ("surrounding spaces kept", [" dog ", "dog"]),
]


@pytest.mark.parametrize("texts", [c[1] for c in VALID_CASES], ids=[c[0] for c in VALID_CASES])
def test_valid_edge_cases_match_the_reference(server, tmp_path, texts):
    texts_list = list(texts)
    before = server.request_count
    vectors = github(server, tmp_path).embed(iter(texts_list) if not isinstance(texts, list) else texts)
    reference = np.stack([stub_vector("text-embedding-3-small", t) for t in texts_list])
    np.testing.assert_array_equal(vectors, reference)
    sent = [t for r in server.requests[before:] for t in r.inputs]
    assert sorted(sent) == sorted(set(texts_list))  # each distinct text sent once


@pytest.mark.parametrize(("vector", "expected"), [
    ([0, 1], [0.0, 1.0]),                       # JSON integers are numbers
    ([1e38, -1e38], [1e38, -1e38]),             # large but within float32
    ([1e-40, 0.0], [1e-40, 0.0]),               # subnormal, not zero
    ([0.0, 0.0, 0.5], [0.0, 0.0, 0.5]),         # zeros in a non-zero vector
])
def test_valid_unusual_numbers_are_kept_as_float32(server, tmp_path, vector, expected):
    server.script(malformed(body(vector)))
    client = create_client(env=env_for("ollama", server, KEY), cache_dir=tmp_path / "c", retry=FAST, announce=False)
    np.testing.assert_array_equal(client.embed(["edge"])[0], np.asarray(expected, dtype=np.float32))
    np.testing.assert_array_equal(client.embed(["edge"])[0], np.asarray(expected, dtype=np.float32))  # cached


# -- 5. issue 20 and issue 18: Unicode forms, a non-UTF-8 .env, damaged cache entries, malformed requests ---

SPANISH = [
    ("ñ typed with a combining tilde", "man\u0303ana", "mañana"),
    ("ü typed with a combining diaeresis", "pingu\u0308ino", "pingüino"),
    ("inverted punctuation and accents", "¿Qué pasó? ¡Olé!".replace("é", "e\u0301"), "¿Qué pasó? ¡Olé!"),
    ("Spanish and English mixed", "a cozy cafe\u0301 en Sevilla, año 2024", "a cozy café en Sevilla, año 2024"),
]


@pytest.mark.parametrize(("typed", "composed"), [c[1:] for c in SPANISH], ids=[c[0] for c in SPANISH])
def test_a_text_typed_with_combining_accents_embeds_and_caches_as_the_composed_one(server, tmp_path, typed,
                                                                                   composed):
    import unicodedata

    assert typed != composed and unicodedata.normalize("NFC", typed) == composed
    client = github(server, tmp_path)
    before = server.request_count
    vectors = client.embed([typed, composed])
    reference = stub_vector("text-embedding-3-small", composed)  # the stub's vector of the composed text
    np.testing.assert_array_equal(vectors, np.stack([reference, reference]))
    assert [t for r in server.requests[before:] for t in r.inputs] == [composed]  # sent once, composed
    assert client.cache.cached_texts(client.backend.resolve(client.model).cache_id) == [composed]
    after = server.request_count
    np.testing.assert_array_equal(client.embed_one(typed), reference)  # from the cache
    assert server.request_count == after


def test_an_empty_spanish_query_is_refused_clearly(server, tmp_path):
    with pytest.raises(InputError) as info:
        github(server, tmp_path).embed(["¿Dónde está?", " "])
    check(info.value, InputError, "index 1 is only whitespace")


def test_a_non_utf8_env_file_is_a_configuration_error_without_its_text(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_bytes(b"API_HOST=github\nGITHUB_TOKEN=" + KEY.encode() + b"\nNOTE=caf\xe9\n")  # Latin-1
    with pytest.raises(ConfigurationError) as info:
        create_client(env_file=env_file, cache_dir=tmp_path, announce=False)
    check(info.value, ConfigurationError, "is not UTF-8 text (byte|0xe9|save it as UTF-8")


def test_a_cache_entry_edited_to_zeros_is_reported_and_recomputed(server, tmp_path):
    from vectorlab.errors import CacheWarning

    client = github(server, tmp_path)
    first = client.embed(["perro"])[0]
    (entry,) = (tmp_path / "cache").rglob("*.json")
    data = json.loads(entry.read_text(encoding="utf-8"))
    data["vector"] = [0.0] * len(data["vector"])
    entry.write_text(json.dumps(data), encoding="utf-8")
    before = server.request_count
    with pytest.warns(CacheWarning, match="all zeros"):
        again = github(server, tmp_path).embed(["perro"])[0]
    np.testing.assert_array_equal(again, first)
    assert server.request_count == before + 1  # recomputed, not returned as a zero vector


def test_a_lone_surrogate_given_to_the_cache_is_an_input_error(tmp_path):
    from vectorlab.embed.cache import EmbeddingCache

    with pytest.raises(InputError) as info:
        EmbeddingCache(tmp_path).put("m", None, "a\ud800b", np.ones(3, dtype=np.float32))
    check(info.value, InputError, "unpaired surrogate at character 1")
    assert not list(tmp_path.rglob("*"))


MALFORMED_REQUESTS = {
    "negative Content-Length": (b"Content-Length: -1\r\n", b"", 400),
    "missing Content-Length": (b"", b"{}", 411),
    "huge Content-Length": (b"Content-Length: 99999999999999999999\r\n", b"", 413),
    "non-numeric Content-Length": (b"Content-Length: ten\r\n", b"", 400),
    "Content-Length with an underscore": (b"Content-Length: 1_0\r\n", b"", 400),
    "body shorter than announced": (b"Content-Length: 100\r\n", b'{"input": "dog"', 400),
}


@pytest.fixture(scope="module")
def local_endpoint():
    from vectorlab.embed.local_server import serve_embeddings

    with serve_embeddings() as running:
        yield running


@pytest.mark.parametrize("case", MALFORMED_REQUESTS)
def test_the_local_endpoint_answers_every_malformed_request_with_a_4xx_within_a_second(local_endpoint, case):
    import socket

    headers, payload, status = MALFORMED_REQUESTS[case]
    with socket.create_connection((local_endpoint.host, local_endpoint.port), timeout=1.0) as connection:
        connection.sendall(b"POST /v1/embeddings HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + b"\r\n" + payload)
        answer = b""
        while b"\r\n\r\n" not in answer:  # socket.timeout (a failure) if no answer comes within a second
            chunk = connection.recv(4096)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(f"HTTP/1.1 {status}".encode()), answer[:200]
