"""The package's own endpoint (vectorlab.embed.local_server) playing a cloud provider, for testing the client.

``StubServer`` is ``serve_embeddings(handler=ScriptedHandler)``: the same HTTP server, request parsing,
answer and error JSON as the offline endpoint, with a subclass of its :class:`EmbeddingHandler` that adds
what a cloud provider does and the local endpoint doesn't:

- the paths of every provider the client speaks to: ``/v1/embeddings`` (OpenAI, Ollama),
  ``/inference/embeddings`` (GitHub Models) and ``/openai/deployments/{deployment}/embeddings?api-version=...``
  (Azure OpenAI, each deployment serving a model);
- a key check (``Authorization: Bearer`` or Azure's ``api-key`` header): a wrong key gets 401 with a
  message that echoes the key, as real servers partly do;
- any model name, with test vectors (its embedding source, below);
- scripted failures: ``server.script(fail(429, retry_after="1"), fail(500), ...)`` queues one behaviour per
  request, in order; once the queue is empty, requests succeed. Every request is logged (path, query,
  headers, parsed body) so tests can count requests and check what was sent.

Vectors are deterministic functions of (model, text): a unit vector drawn from a generator seeded with
a hash of both, so the same text always gets the same vector and different texts get different ones.
They mean nothing; they exist only inside tests (caches in temporary folders) and must never be written to
``data/`` or to the project's ``embeddings_cache/``.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

import numpy as np

from vectorlab.embed.local_server import ApiError, EmbeddingHandler, serve_embeddings

__all__ = ["StubServer", "Behaviour", "fail", "slow", "malformed", "wrong_count", "wrong_dims", "ok", "env_for",
           "stub_vector", "NATIVE_DIMS", "trickle"]

NATIVE_DIMS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536}
"""Dimensions the stub returns per model when ``dimensions`` is not sent; other models get 16."""

OTHER_DIMS = 16
SHORTENABLE = {"text-embedding-3-small", "text-embedding-3-large"}


def _bare(model: str) -> str:
    return model.split("/", 1)[1] if model.startswith("openai/") else model


def stub_vector(model: str, text: str, dimensions: int | None = None) -> np.ndarray:
    """The float32 unit vector the stub returns for ``text`` (shortened like text-embedding-3 models)."""
    model = _bare(model)
    native = NATIVE_DIMS.get(model, OTHER_DIMS)
    seed = int.from_bytes(hashlib.sha256(f"{model}\x00{text}".encode()).digest()[:8], "little")
    vector = np.random.default_rng(seed).standard_normal(native)
    if dimensions is not None:
        vector = vector[:dimensions]
    return (vector / np.linalg.norm(vector)).astype(np.float32)


@dataclass
class Behaviour:
    """What the server does with one request: a status, extra headers, a delay, or a broken answer."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    body: bytes | None = None      # sent verbatim instead of the normal answer
    count_delta: int = 0           # return this many more (or fewer) vectors than asked for
    dims_delta: int = 0            # make every vector this much longer (or shorter)
    message: str | None = None     # error message (``{key}`` is replaced by the key that was sent)
    trickle: float = 0.0           # send the answer one byte every ``trickle`` seconds


def ok() -> Behaviour:
    """Answer normally (useful to put a success between failures)."""
    return Behaviour()


def fail(status: int, retry_after: str | None = None, retry_after_ms: str | None = None,
         message: str | None = None) -> Behaviour:
    """Answer with an HTTP error (optionally with ``Retry-After`` / ``retry-after-ms``)."""
    headers = {}
    if retry_after is not None:
        headers["Retry-After"] = retry_after
    if retry_after_ms is not None:
        headers["retry-after-ms"] = retry_after_ms
    return Behaviour(status=status, headers=headers, message=message)


def slow(seconds: float) -> Behaviour:
    """Wait ``seconds`` before answering normally (to trigger the client's timeout)."""
    return Behaviour(delay=seconds)


def trickle(interval: float = 0.5, size: int = 100) -> Behaviour:
    """Answer 200 at once, then send a ``size``-byte body one byte every ``interval`` seconds.

    Every read gets a byte well within any per-read timeout, so only an overall deadline stops it
    (100 bytes at 0.5 s hold a client 50 s). The body, leading spaces then ``{"data": []}``, is valid
    JSON with no embeddings.
    """
    return Behaviour(trickle=interval, body=b'{"data": []}'.rjust(size))


def malformed(body: bytes = b'{"object": "list", "data": [{"embedding": [0.1, 0.2') -> Behaviour:
    """Answer 200 with a body that is not valid JSON (cut short)."""
    return Behaviour(body=body)


def wrong_count(delta: int = -1) -> Behaviour:
    """Answer with ``delta`` more (or fewer) vectors than texts."""
    return Behaviour(count_delta=delta)


def wrong_dims(delta: int = -1) -> Behaviour:
    """Answer with vectors ``delta`` longer (or shorter) than they should be."""
    return Behaviour(dims_delta=delta)


@dataclass
class RecordedRequest:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any

    @property
    def inputs(self) -> list[str]:
        """The texts the request asked to embed."""
        value = self.body.get("input") if isinstance(self.body, dict) else None
        return [value] if isinstance(value, str) else list(value or [])


class ScriptedHandler(EmbeddingHandler):
    """local_server's request handler, answering as a cloud provider and in the failures ``stub`` scripts."""

    stub: StubServer                 # set on the subclass each StubServer makes
    behaviour: Behaviour

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet: a provider's access log is on its machine, not in the client's log the tests read."""

    def respond(self, method: str, path: str) -> None:
        if method != "POST":
            super().respond(method, path)
            return
        stub = self.stub
        url = urlparse(self.path)
        body = self._read_json()
        record = RecordedRequest(method, url.path, parse_qs(url.query), dict(self.headers.items()), body)
        self.behaviour = behaviour = stub._record(record)
        try:
            if behaviour.delay and stub._stopping.wait(behaviour.delay):
                self.close_connection = True  # the server is stopping: no answer
                return
            if not path.endswith("/embeddings"):
                raise ApiError(404, f"no route for {url.path}", code="not_found")
            sent_key = _sent_key(record.headers)
            if stub.api_key is not None and sent_key != stub.api_key:
                raise ApiError(401, f"Incorrect API key provided: {sent_key}.", code="invalid_api_key")
            if behaviour.status != 200:
                message = (behaviour.message or f"stub error {behaviour.status}").replace("{key}", sent_key or "")
                self._send(behaviour.status, json.dumps({"error": {"message": message, "code": str(behaviour.status)}})
                           .encode(), behaviour.headers)
            elif behaviour.trickle and behaviour.body is not None:
                self._trickle(behaviour.body, behaviour.trickle)
            elif behaviour.body is not None:
                self._send(200, behaviour.body)
            else:
                self._send_json(200, self._embeddings({**body, "model": self._model_for(url.path, body)}))
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout): that is the point
            self.close_connection = True

    def _model_for(self, path: str, body: dict[str, Any]) -> Any:
        """The model asked for: the body's, or on Azure the model of the deployment named in the path."""
        if "/deployments/" not in path:
            return body.get("model")
        deployment = path.split("/deployments/", 1)[1].split("/", 1)[0]
        if deployment not in self.stub.deployments:
            raise ApiError(404, "The API deployment for this resource does not exist.", code="DeploymentNotFound")
        return self.stub.deployments[deployment]

    # -- the embedding source: test vectors, bent as the request's behaviour says --------------------

    def embed(self, model: str, texts: list[str], dimensions: Any) -> np.ndarray:
        if dimensions is not None and _bare(model) not in SHORTENABLE:
            raise ApiError(400, "This model does not support specifying dimensions.", param="dimensions")
        if not all(texts):
            raise ApiError(400, "'$.input' is invalid: an empty text", param="input")
        count = max(0, len(texts) + self.behaviour.count_delta)
        rows = [stub_vector(model, texts[i % len(texts)], dimensions) for i in range(count)]
        vectors = np.stack(rows) if rows else np.empty((0, 0), np.float32)
        delta = self.behaviour.dims_delta
        if delta > 0:
            return np.pad(vectors, ((0, 0), (0, delta)))
        return vectors[:, :delta] if delta < 0 else vectors

    def count_tokens(self, texts: list[str]) -> int:
        return sum(len(text.split()) for text in texts)

    # -- answers the local endpoint never sends --------------------------------------------------------

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _trickle(self, body: bytes, interval: float) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.flush()
        for i in range(len(body)):
            if self.stub._stopping.wait(interval):
                self.close_connection = True
                return
            self.wfile.write(body[i:i + 1])
            self.wfile.flush()


class StubServer:
    """local_server, serving as a cloud provider in a background thread; use as a context manager.

    ``api_key``: the key the server accepts (``Authorization: Bearer`` or Azure's ``api-key`` header);
    a wrong key gets 401 with a message that echoes the key, as real servers partly do.
    ``deployments``: Azure deployment names and the model each one serves.
    """

    def __init__(self, api_key: str | None = "test-key", deployments: dict[str, str] | None = None) -> None:
        self.api_key = api_key
        self.deployments = {"my-embeddings": "text-embedding-3-small"} if deployments is None else deployments
        self.requests: list[RecordedRequest] = []
        self._queue: deque[Behaviour] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = serve_embeddings(handler=type("Handler", (ScriptedHandler,), {"stub": self}))

    @property
    def port(self) -> int:
        """The port the OS picked."""
        return self._server.port

    @property
    def root(self) -> str:
        """``http://127.0.0.1:PORT`` without a path."""
        return f"http://127.0.0.1:{self.port}"

    def script(self, *behaviours: Behaviour) -> None:
        """Queue behaviours for the next requests, one each, in order."""
        with self._lock:
            self._queue.extend(behaviours)

    @property
    def request_count(self) -> int:
        """How many requests reached the server."""
        return len(self.requests)

    def _record(self, request: RecordedRequest) -> Behaviour:
        """Log ``request`` and take the behaviour scripted for it."""
        with self._lock:
            self.requests.append(request)
            return self._queue.popleft() if self._queue else Behaviour()

    def stop(self) -> None:
        """Stop serving and cut short any slow answer still waiting."""
        self._stopping.set()
        self._server.close()

    def __enter__(self) -> StubServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _sent_key(headers: dict[str, str]) -> str | None:
    lowered = {name.lower(): value for name, value in headers.items()}
    if "api-key" in lowered:
        return lowered["api-key"]
    auth = lowered.get("authorization", "")
    return auth[len("Bearer "):] if auth.startswith("Bearer ") else None


def env_for(host: str, server: StubServer, key: str | None = "test-key", **extra: str) -> dict[str, str]:
    """An environment (for ``create_client(env=...)``) pointing provider ``host`` at ``server``."""
    env: dict[str, str] = {"API_HOST": host}
    if host == "github":
        env.update(GITHUB_TOKEN=key or "", GITHUB_MODELS_ENDPOINT=f"{server.root}/inference")
    elif host == "openai":
        env.update(OPENAI_API_KEY=key or "", OPENAI_BASE_URL=f"{server.root}/v1")
    elif host == "azure":
        env.update(AZURE_OPENAI_ENDPOINT=server.root, AZURE_OPENAI_EMBED_DEPLOYMENT="my-embeddings",
                   AZURE_OPENAI_EMBED_MODEL="text-embedding-3-small", AZURE_OPENAI_VERSION="2024-10-21")
        if key:
            env["AZURE_OPENAI_API_KEY"] = key
    elif host == "ollama":
        env.update(OLLAMA_ENDPOINT=f"{server.root}/v1", OLLAMA_EMBED_MODEL="nomic-embed-text")
        if key:
            env["OLLAMA_API_KEY"] = key
    env.update(extra)
    return env
