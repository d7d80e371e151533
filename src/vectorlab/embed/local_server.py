"""An OpenAI-compatible embeddings endpoint on this machine, serving USE multilingual v3 offline.

So the real ``openai`` SDK code of the talk runs with no key and no network::

    from openai import OpenAI
    from vectorlab.embed.local_server import serve_embeddings

    with serve_embeddings() as server:                     # http://127.0.0.1:<free port>/v1
        sdk = OpenAI(base_url=server.base_url, api_key="not-needed")
        response = sdk.embeddings.create(model=server.model, input=["big dog", "perro"])

(``vectorlab.embed.client.openai_settings()`` starts one for the process and hands back these settings.)

What it answers, in OpenAI's shapes: ``POST /v1/embeddings`` (``input`` a string or a list of up to
2,048 strings; ``encoding_format`` ``float`` or ``base64``, the latter being the SDK's default;
``dimensions``, see below) and ``GET /v1/models`` and ``GET /v1/models/{id}``. Errors come back as
OpenAI's ``{"error": {"message", "type", "param", "code"}}`` with the same status codes (400 bad request,
404 unknown model or path, 405, 411, 413), so the SDK raises its usual ``BadRequestError``/``NotFoundError``.
Input is checked by :func:`vectorlab.embed.use_model.embed_use`: empty or emoji-only texts and texts over
8,191 pieces are 400s.

``dimensions=d`` is answered as OpenAI's API answers it for its Matryoshka (MRL) models
text-embedding-3-small/-large: the model's full vector cut to its first ``d`` numbers and renormalized to
length 1, so ``sdk.embeddings.create(..., dimensions=256)`` runs offline and equals
``vectorlab.reduce.truncate(full, 256)``. USE was not trained for this (it is not MRL), so the short
vector keeps less of the meaning than an MRL model's would: notebook 06 measures how much. ``d`` must be a
whole number from 1 to 512 (the model's dimensions); anything else is a 400 with ``param: "dimensions"``,
as the API answers.

Tests drive this same server in the failure modes of a cloud provider (keys, Azure deployments, 429s,
slow answers, wrong vectors) by passing a subclass of :class:`EmbeddingHandler` to
``serve_embeddings(handler=...)``: its ``embed``/``count_tokens`` hooks are the embedding source, its
``respond`` hook the answer to one request.

It binds loopback addresses only (127.0.0.1, ::1, localhost) and checks no key: anything on this
machine may use it, nothing else can reach it. It is the standard library's threaded HTTP server,
enough for one notebook; the model runs one request at a time.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

from vectorlab.embed import use_model
from vectorlab.errors import InputError, redact

__all__ = ["EmbeddingServer", "serve_embeddings", "EmbeddingHandler", "ApiError", "MAX_INPUTS", "MAX_BODY_BYTES"]

logger = logging.getLogger(__name__)

MAX_INPUTS = 2048
"""Texts per request, as OpenAI allows."""

MAX_BODY_BYTES = 32 * 1024 * 1024
#: Seconds the server waits for the rest of a request body before answering 400 (a body shorter than its
#: Content-Length would otherwise hold the handler's thread until the client gives up).
BODY_TIMEOUT = 0.5
"""Largest request body read (2,048 texts of 8,191 pieces fit well below)."""


class ApiError(Exception):
    """An error answered in OpenAI's shape: ``status`` and ``{"error": {"message", "type", "param", "code"}}``."""

    def __init__(self, status: int, message: str, *, param: str | None = None, code: str | None = None,
                 kind: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.code, self.kind = status, message, param, code, kind


class EmbeddingHandler(BaseHTTPRequestHandler):
    """One request to the endpoint, answered as OpenAI's embeddings API answers it.

    A subclass, passed as ``serve_embeddings(handler=...)``, changes what is served through three hooks:
    :meth:`embed` and :meth:`count_tokens` (the embedding source: which models, their vectors, their token
    counts) and :meth:`respond` (the answer to one request, routing included). Inside them, ``_read_json()``
    reads the request's body, ``_embeddings(body)`` is the answer to an embeddings request, ``_send_json(status,
    payload)`` sends an answer, and raising :class:`ApiError` answers with OpenAI's error JSON.
    """

    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's httpx client expects
    server_version = "vectorlab-local-embeddings"

    # -- plumbing ---------------------------------------------------------------------------------

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (the stdlib's signature)
        # the request line may carry a key as a query parameter (?api_key=...): the log never shows it
        logger.debug("%s - %s", self.address_string(), redact(format % args))

    def _send_json(self, status: int, payload: Any) -> None:
        body = json.dumps(payload, separators=(",", ":")).encode()
        self.send_response(status)
        if status >= 400:  # the request body may be unread: don't reuse the connection
            self.close_connection = True
            self.send_header("Connection", "close")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send_error(self, error: ApiError) -> None:
        self._send_json(error.status, {"error": {"message": error.message, "type": error.kind,
                                                 "param": error.param, "code": error.code}})

    def _handle(self, method: str) -> None:
        try:
            self.respond(method, self.path.split("?", 1)[0].rstrip("/"))
        except ApiError as error:
            self._send_error(error)
        except Exception:  # never a traceback to the client; the log has it
            logger.exception("local embeddings server: request failed")
            self._send_error(ApiError(500, "the local embeddings server failed; see its log",
                                      kind="server_error", code="internal_error"))

    def respond(self, method: str, path: str) -> None:
        """Answer one request for ``path`` (without its query and trailing slash); raise ApiError to refuse it."""
        if method == "POST" and path == "/v1/embeddings":
            self._send_json(200, self._embeddings(self._read_json()))
        elif method == "GET" and path == "/v1/models":
            self._send_json(200, {"object": "list", "data": [self._model_card()]})
        elif method == "GET" and path.startswith("/v1/models/"):
            self._send_json(200, self._model(path[len("/v1/models/"):]))
        elif path in ("/v1/embeddings", "/v1/models") or path.startswith("/v1/models/"):
            raise ApiError(405, f"{method} is not allowed on {path}: use "
                                f"{'POST' if path.endswith('embeddings') else 'GET'}", code="method_not_allowed")
        else:
            raise ApiError(404, f"no route {method} {path}: this server answers POST /v1/embeddings, "
                                "GET /v1/models and GET /v1/models/{id}", code="not_found")

    def do_GET(self) -> None:  # noqa: N802
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._handle("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._handle("DELETE")

    def do_PATCH(self) -> None:  # noqa: N802
        self._handle("PATCH")

    def _read_json(self) -> dict[str, Any]:
        length = self.headers.get("Content-Length")
        if length is None:
            raise ApiError(411, "the request needs a Content-Length header", code="length_required")
        # Whatever follows a refused body would be read as the next request: each refusal closes the connection.
        closing, self.close_connection = self.close_connection, True
        if not length.strip().isascii() or not length.strip().isdigit():  # int() takes "-1", "+5", "1_0"
            raise ApiError(400, f"Content-Length {length[:40]!r} is not a whole number of bytes: send the body's "
                                 "length in bytes")
        size = int(length)
        if size > MAX_BODY_BYTES:
            self.close_connection = True
            raise ApiError(413, f"the request body is {size:,} bytes, more than the {MAX_BODY_BYTES:,} this "
                                 "server reads: send fewer texts per request", code="request_too_large")
        self.connection.settimeout(BODY_TIMEOUT)
        try:
            raw = self.rfile.read(size)
        except TimeoutError:
            raw = b""
        finally:
            self.connection.settimeout(None)
        if len(raw) < size:
            raise ApiError(400, f"the request body ended after {len(raw):,} of the {size:,} bytes its "
                                 "Content-Length announced: send the whole body, or its true length")
        self.close_connection = closing  # a whole body: the connection stays as the client asked
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):  # RecursionError: nested too deeply ("[[[[...")
            raise ApiError(400, "the request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise ApiError(400, f"the request body must be a JSON object, got {type(body).__name__}")
        return body

    # -- the API ------------------------------------------------------------------------------------

    def _model_card(self) -> dict[str, Any]:
        return {"id": self.server.model, "object": "model", "created": 0, "owned_by": "vectorlab"}

    def _model(self, name: str) -> dict[str, Any]:
        if name != self.server.model:
            raise ApiError(404, f"The model '{name}' does not exist: this server has only "
                                f"'{self.server.model}'", param="model", code="model_not_found")
        return self._model_card()

    def _embeddings(self, body: dict[str, Any]) -> dict[str, Any]:
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise ApiError(400, f"'model' is required: use '{self.server.model}'", param="model")
        texts = _read_input(body.get("input"))
        encoding = body.get("encoding_format") or "float"
        if encoding not in ("float", "base64"):
            raise ApiError(400, f"encoding_format {encoding!r} is not supported: use 'float' or 'base64'",
                           param="encoding_format")
        vectors = self.embed(model, texts, body.get("dimensions"))
        tokens = self.count_tokens(texts)
        data = [{"object": "embedding", "index": index, "embedding": _encode(vector, encoding)}
                for index, vector in enumerate(vectors)]
        return {"object": "list", "data": data, "model": model,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}

    # -- the embedding source -----------------------------------------------------------------------

    def embed(self, model: str, texts: list[str], dimensions: Any) -> np.ndarray:
        """``texts`` as ``model``'s vectors, cut to ``dimensions`` (the request's value, unchecked) if given.

        Raises ApiError for a model this server does not serve, dimensions it can't give, or a text the
        model can't embed.
        """
        self._model(model)
        size = _read_dimensions(dimensions, use_model.USE_MODEL_DIMS)
        try:
            vectors = use_model.embed_use(texts, show_progress=False)
        except InputError as error:
            raise ApiError(400, str(error), param="input") from None
        return vectors if size is None else _shorten(vectors, size)

    def count_tokens(self, texts: list[str]) -> int:
        """The tokens ``texts`` cost, for the answer's ``usage``."""
        return sum(use_model.count_tokens(texts))


def _read_input(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not value:
        raise ApiError(400, "'input' must be a string or a non-empty list of strings", param="input")
    if len(value) > MAX_INPUTS:
        raise ApiError(400, f"'input' has {len(value)} texts, more than the {MAX_INPUTS} allowed per request: "
                            "send them in batches", param="input")
    for index, text in enumerate(value):
        if not isinstance(text, str):
            tokens = isinstance(text, int) or (isinstance(text, list) and all(isinstance(t, int) for t in text))
            why = ("token ids are not supported here (they are another model's tokens): send the text"
                   if tokens else f"it is a {type(text).__name__}, not a string")
            raise ApiError(400, f"'input' item {index} can't be embedded: {why}", param="input")
    return value


def _read_dimensions(value: Any, native: int) -> int | None:
    """``dimensions`` as the API checks it: absent, or a whole number from 1 to the model's dimensions."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(400, f"Invalid type for 'dimensions': expected an integer, got {value!r}",
                       param="dimensions", code="invalid_type")
    if not 1 <= value <= native:
        raise ApiError(400, f"Invalid value for 'dimensions' = {value}: it must be from 1 to {native}, "
                            f"the dimensions of {use_model.USE_MODEL_NAME}", param="dimensions", code="invalid_value")
    return value


def _shorten(vectors: np.ndarray, dimensions: int) -> np.ndarray:
    """The first ``dimensions`` numbers of each vector, renormalized to length 1 (what the API returns)."""
    kept = vectors[:, :dimensions].astype(np.float32)
    norms = np.linalg.norm(kept, axis=1, keepdims=True)
    return kept / np.where(norms > 0, norms, np.float32(1))  # an all-zero prefix has no direction: kept as 0


def _encode(vector: np.ndarray, encoding: str) -> list[float] | str:
    """A vector as OpenAI sends it: a list of floats, or base64 of little-endian float32 bytes."""
    if encoding == "base64":
        return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")
    return [float(value) for value in vector]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    model: str = use_model.USE_MODEL_NAME


class _Server6(_Server):
    address_family = socket.AF_INET6


class EmbeddingServer:
    """A running endpoint: ``base_url`` (``http://127.0.0.1:PORT/v1``), ``model``; ``close()`` stops it."""

    def __init__(self, httpd: _Server) -> None:
        self._httpd = httpd
        host, port = httpd.server_address[:2]
        self.host = str(host)
        self.port = int(port)
        self.model = httpd.model
        shown = f"[{self.host}]" if ":" in self.host else self.host
        self.base_url = f"http://{shown}:{self.port}/v1"
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"vectorlab-embeddings-{self.port}", daemon=True)
        self._thread.start()
        self.closed = False

    def __repr__(self) -> str:
        state = "closed" if self.closed else "running"
        return f"EmbeddingServer({self.base_url!r}, model={self.model!r}, {state})"

    def close(self) -> None:
        """Stop serving and free the port (safe to call twice)."""
        if self.closed:
            return
        self.closed = True
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> EmbeddingServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _check_loopback(host: str) -> str:
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        raise ValueError(f"host must be a loopback address (127.0.0.1, ::1 or localhost), got {host!r}") from None
    if not address.is_loopback:
        raise ValueError(f"host {host!r} is not a loopback address: this server has no authentication, so it "
                         "binds only 127.0.0.1, ::1 or localhost, where nothing outside this machine can reach it")
    return str(address)


def serve_embeddings(host: str = "127.0.0.1", port: int = 0, *,
                     handler: type[EmbeddingHandler] = EmbeddingHandler) -> EmbeddingServer:
    """Start an OpenAI-compatible embeddings endpoint for USE multilingual v3 in a background thread.

    ``port=0`` picks a free port (read it from ``.base_url``). Use it as a context manager, or call
    ``.close()``. The model loads on the first request (about a second). ``handler``, a subclass of
    :class:`EmbeddingHandler`, serves another embedding source or answers differently.
    """
    address = _check_loopback(host)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"port must be a whole number from 0 (any free port) to 65535, got {port!r}")
    if not (isinstance(handler, type) and issubclass(handler, EmbeddingHandler)):
        raise TypeError(f"handler must be a subclass of EmbeddingHandler, got {handler!r}")
    server_class = _Server6 if ":" in address else _Server
    httpd = server_class((address, port), handler)
    return EmbeddingServer(httpd)

