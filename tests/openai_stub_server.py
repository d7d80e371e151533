"""A real OpenAI-compatible ``/embeddings`` HTTP server on 127.0.0.1, for testing the embedding client.

It listens on a real socket (port 0: the OS picks a free one) and answers the paths of every provider
the client speaks to: ``/v1/embeddings`` (OpenAI, Ollama), ``/inference/embeddings`` (GitHub Models)
and ``/openai/deployments/{deployment}/embeddings?api-version=...`` (Azure OpenAI).

Vectors are deterministic functions of (model, text): a unit vector drawn from a generator seeded with
a hash of both, so the same text always gets the same vector and different texts get different ones.
They mean nothing; they exist only inside tests and must never be written to ``data/`` or to the
project's ``embeddings_cache/``.

Failures are scripted: ``server.script(fail(429, retry_after="1"), fail(500), ...)`` queues one
behaviour per request, in order; once the queue is empty, requests succeed. Every request is logged
(path, query, headers, parsed body) so tests can count requests and check what was sent.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import numpy as np

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


class StubServer:
    """An OpenAI-compatible embeddings server in a background thread; use as a context manager.

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
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    # -- control -------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port the OS picked."""
        return self._server.server_address[1]

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

    def start(self) -> StubServer:
        """Start serving in a daemon thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and cut short any slow answer still waiting."""
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> StubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- serving -------------------------------------------------------------------------------

    def _next_behaviour(self) -> Behaviour:
        with self._lock:
            return self._queue.popleft() if self._queue else Behaviour()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                stub._handle(self)

            def do_GET(self) -> None:
                self._send(404, {"error": {"message": "only POST .../embeddings is served"}})

            def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None,
                      raw: bytes | None = None) -> None:
                data = raw if raw is not None else json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                    pass

        return Handler

    def _trickle(self, handler: Any, body: bytes, interval: float) -> None:
        _trickle_to(handler, body, interval, self._stopping)

    def _handle(self, handler: Any) -> None:
        url = urlparse(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length)
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace")
        record = RecordedRequest("POST", url.path, parse_qs(url.query), dict(handler.headers.items()), body)
        with self._lock:
            self.requests.append(record)
        behaviour = self._next_behaviour()

        if behaviour.delay and self._stopping.wait(behaviour.delay):
            return
        if not url.path.endswith("/embeddings"):
            handler._send(404, {"error": {"message": f"no route for {url.path}"}})
            return

        sent_key = _sent_key(record.headers)
        if self.api_key is not None and sent_key != self.api_key:
            handler._send(401, {"error": {"message": f"Incorrect API key provided: {sent_key}.",
                                          "type": "invalid_request_error", "code": "invalid_api_key"}})
            return
        if behaviour.status != 200:
            message = (behaviour.message or f"stub error {behaviour.status}").replace("{key}", sent_key or "")
            handler._send(behaviour.status, {"error": {"message": message, "code": str(behaviour.status)}},
                          behaviour.headers)
            return
        if behaviour.trickle and behaviour.body is not None:
            self._trickle(handler, behaviour.body, behaviour.trickle)
            return
        if behaviour.body is not None:
            handler._send(200, None, raw=behaviour.body)
            return

        if not isinstance(body, dict) or "input" not in body or "model" not in body:
            handler._send(400, {"error": {"message": "body must be JSON with 'input' and 'model'"}})
            return
        model = body["model"]
        if "/deployments/" in url.path:  # Azure: the deployment in the path stands for a model
            deployment = url.path.split("/deployments/", 1)[1].split("/", 1)[0]
            if deployment not in self.deployments:
                handler._send(404, {"error": {"code": "DeploymentNotFound", "message":
                                              "The API deployment for this resource does not exist."}})
                return
            model = self.deployments[deployment]
        dimensions = body.get("dimensions")
        if dimensions is not None and _bare(model) not in SHORTENABLE:
            handler._send(400, {"error": {"message": "This model does not support specifying dimensions."}})
            return
        texts = record.inputs
        if any(not isinstance(t, str) or not t for t in texts):
            handler._send(400, {"error": {"message": "'$.input' is invalid: empty or not a string"}})
            return
        count = max(0, len(texts) + behaviour.count_delta)
        data = []
        for i in range(count):
            vector = stub_vector(model, texts[i % len(texts)], dimensions)
            if behaviour.dims_delta > 0:
                vector = np.concatenate([vector, np.zeros(behaviour.dims_delta, np.float32)])
            elif behaviour.dims_delta < 0:
                vector = vector[:behaviour.dims_delta]
            data.append({"object": "embedding", "index": i, "embedding": [float(v) for v in vector]})
        tokens = sum(len(t.split()) for t in texts)
        handler._send(200, {"object": "list", "data": data, "model": model,
                            "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})


def _trickle_to(handler: Any, body: bytes, interval: float, stopping: threading.Event) -> None:
    try:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.flush()
        for i in range(len(body)):
            if stopping.wait(interval):
                return
            handler.wfile.write(body[i:i + 1])
            handler.wfile.flush()
    except (BrokenPipeError, ConnectionResetError):  # the client gave up: that is the point
        pass


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
