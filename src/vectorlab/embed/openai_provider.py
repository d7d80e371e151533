"""The OpenAI-compatible hosts (GitHub Models, Azure OpenAI, OpenAI.com, Ollama) through the ``openai`` SDK.

One class, configured by a :class:`~vectorlab.embed.hosts.HostSettings` record. The SDK does the retries
(``max_retries``: 408/409/429/5xx, timeouts and lost connections, with exponential backoff and
jitter, honouring ``Retry-After``); this module adds only what the SDK lacks: an overall deadline
per request (:mod:`vectorlab.embed._deadline`), giving up at once on a ``Retry-After`` longer than we wait,
messages that say what to fix, and a strict reading of the answer. No message, log line or chained
exception holds a key: errors are raised outside the SDK's ``except`` block, so ``__context__`` holds
nothing from the SDK, and their text, like :meth:`OpenAIProvider.banner` and :meth:`OpenAIProvider.details`,
is redacted once, at the client's edge (:class:`vectorlab.embed.client.EmbeddingClient`), with
:meth:`OpenAIProvider.secrets`. The one exception: a server's own message is cut to 300 characters, and a
cut must not leave half a key for the edge to miss, so it is redacted before the cut.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import numpy as np

from vectorlab._validation import check_int
from vectorlab.embed.hosts import OFFLINE_FIX, HostSettings
from vectorlab.embed.providers import (
    KNOWN_MODELS,
    OPENAI_MAX_INPUT_TOKENS,
    OPENAI_MAX_INPUTS,
    OTHER_MAX_INPUTS,
    ModelChoice,
    ModelInfo,
    Provider,
    canonical_model,
    model_info,
)
from vectorlab.errors import (
    AuthenticationError,
    BadResponseError,
    ConfigurationError,
    ModelNotFoundError,
    ProviderError,
    redact,
)

__all__ = ["OpenAIProvider", "RetryPolicy"]

logger = logging.getLogger("vectorlab.embed.client")


@dataclass(frozen=True)
class RetryPolicy:
    """How often the SDK retries a request and how long it may take.

    ``timeout``: seconds one attempt may take from sending to the last byte of the answer (not per
    socket read, so a server trickling bytes can't stretch it); a timed-out attempt is retried.
    ``deadline``: seconds for the whole request, every attempt and wait included: a silent or
    trickling server can't hold a call longer. ``max_retry_after``: a ``Retry-After`` longer than
    this (like a daily quota), or than the time left, fails at once and says so. ``clock`` is
    injectable for tests.
    """

    max_retries: int = 4
    timeout: float = 60.0
    deadline: float = 120.0
    max_retry_after: float = 60.0
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_int(self.max_retries, "max_retries", minimum=0)
        for name in ("timeout", "deadline", "max_retry_after"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                    math.isfinite(value) and value > 0):
                raise ConfigurationError(f"{name} must be a finite number of seconds > 0, got {value!r}")


class _Redacting(logging.Filter):
    """Scrubs URLs (``user:pw@``, ``?api_key=``) from the SDK's and httpx2's own log lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), None
        return True


for _name in ("httpx2", "httpx", "openai", "openai._base_client"):  # filters are not inherited
    if not any(isinstance(f, _Redacting) for f in logging.getLogger(_name).filters):
        logging.getLogger(_name).addFilter(_Redacting())


def _split_query(url: str) -> tuple[str, dict[str, str]]:
    """``url`` without its query, and the query's parameters (the SDK loses a query left in base_url)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query="", fragment="")), dict(parse_qsl(parts.query))


def _shown(url: str) -> str:
    """``url`` as messages show it: no user name or password, no query (it may hold a key)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _url_secrets(url: str | None) -> list[str]:
    """The password and query values of ``url``: a server may echo them back."""
    if not url:
        return []
    parts = urlsplit(url)
    return [value for value in [parts.password, *(v for _, v in parse_qsl(parts.query))] if value]


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "error"


def _attempts(request: Any) -> int:
    try:
        return int(request.headers.get("x-stainless-retry-count", 0)) + 1
    except (AttributeError, ValueError, RuntimeError):
        return 1


_NOT_JSON = object()


class _SignInFailed(Exception):
    """The keyless sign-in function raised ``error`` before a request was sent."""

    def __init__(self, error: Exception) -> None:
        super().__init__(type(error).__name__)
        self.error = error


class OpenAIProvider(Provider):
    """An OpenAI-compatible ``/embeddings`` endpoint, described by ``settings`` (see :mod:`vectorlab.embed.hosts`)."""

    def __init__(self, settings: HostSettings, *, retry: RetryPolicy | None = None,
                 azure_token_provider: Callable[[], str] | None = None,
                 azure_sign_in: str = "DefaultAzureCredential") -> None:
        # The SDK, and the transport built on it, are imported on first use, here and below: importing openai
        # takes ~0.7 s, which the offline default (and every notebook kernel that uses it) never needs.
        import openai

        from vectorlab.embed._deadline import DeadlineTransport

        self.host = settings.host
        self.settings = settings
        self.retry = retry or RetryPolicy()
        self.key_variable = settings.key_variable
        self._api_key = settings.api_key
        self._keyless = self.host.keyless_sign_in and settings.api_key is None
        self._token_provider = azure_token_provider
        self._token: str | None = None  # the last bearer token, only so that messages can be scrubbed of it
        self._sign_in = azure_sign_in
        self.endpoint = _shown(settings.endpoint or "")  # for messages: no password, no query
        base_url, query = _split_query(settings.endpoint or "")
        self.transport = DeadlineTransport(max_retry_after=self.retry.max_retry_after, clock=self.retry.clock,
                                           max_retries=self.retry.max_retries, label=self.name)
        common: dict[str, Any] = {"max_retries": self.retry.max_retries, "timeout": self.retry.timeout,
                                  "http_client": openai.DefaultHttpxClient(transport=self.transport),
                                  "default_query": query or None}
        self._sdk: Any
        if self.host.sdk_client == "AzureOpenAI":
            auth: dict[str, Any] = ({"api_key": settings.api_key} if settings.api_key is not None
                                    else {"azure_ad_token_provider": self._get_token})
            self._sdk = openai.AzureOpenAI(azure_endpoint=base_url, api_version=settings.api_version,
                                           **auth, **common)
        else:
            self._sdk = openai.OpenAI(base_url=base_url, api_key=settings.api_key or "no-key-needed",
                                      **common)

    def __repr__(self) -> str:
        return f"OpenAIProvider({self.name!r}, endpoint={self.endpoint!r})"

    def banner(self, model: str) -> str:
        """The host's sentence, with the endpoint (no password, no query)."""
        return self.host.banner.format(model=model, endpoint=self.endpoint)

    def details(self) -> str:
        """Endpoint and sign-in method."""
        if self._keyless:
            auth = f"keyless sign-in ({self._sign_in})"
        elif self._api_key:
            auth = f"key from {self.key_variable}"
        else:
            auth = f"no key ({self.key_variable} is not set)" if self.key_variable else "no key"
        return f"{self.label} at {self.endpoint}, {auth}"

    def secrets(self) -> list[str]:
        """The key, the last keyless sign-in token, and any password or query value in the endpoint."""
        return [s for s in (self._api_key, self._token, *_url_secrets(self.settings.endpoint)) if s]

    def _get_token(self) -> str:
        """A bearer token from the sign-in function; its failures become :class:`_SignInFailed`."""
        if self._token_provider is None:
            raise _SignInFailed(ValueError("no token function was given for keyless sign-in"))
        try:
            token = self._token_provider()
        except Exception as error:
            raise _SignInFailed(error) from None
        if not isinstance(token, str) or not token.strip():
            raise _SignInFailed(ValueError(f"the token function returned {type(token).__name__}, not a token"))
        self._token = token
        return token

    def resolve(self, model: str) -> ModelChoice:
        """The name sent, the cache id and the facts of ``model``, by the host record's naming rules."""
        host = self.host
        canonical = canonical_model(model)
        if model == self.settings.model and self.settings.served_model:  # an Azure deployment's model
            canonical = canonical_model(self.settings.served_model)
        known = canonical in KNOWN_MODELS
        request = f"{host.request_prefix}{canonical}" if known and host.request_prefix and "/" not in model else model
        cache_id = f"{host.cache_prefix}{model}" if host.own_cache or not known and host.cache_prefix else canonical
        info = model_info(canonical)
        if host.openai_models_only and not known:  # their token limit holds even if we don't know which one
            info = ModelInfo(model, None, None, OPENAI_MAX_INPUT_TOKENS, "cl100k_base")
        return ModelChoice(request, cache_id, info)

    def batch_limits(self, choice: ModelChoice) -> tuple[int, int | None]:
        """OpenAI models: 2048 inputs and the host's token budget per request; others: 96 inputs, no budget."""
        if choice.info.tokenizer == "cl100k_base":
            return OPENAI_MAX_INPUTS, self.host.max_request_tokens
        return OTHER_MAX_INPUTS, None

    # -- one request ---------------------------------------------------------------------------

    def embed_batch(self, texts: list[str], choice: ModelChoice, dimensions: int | None) -> np.ndarray:
        """Send one request (the SDK retrying within the deadline) and read the answer strictly."""
        import openai

        from vectorlab.embed._deadline import DeadlineExceeded

        extra: dict[str, Any] = {} if dimensions is None else {"dimensions": dimensions}
        self.transport.start(self.retry.timeout, self.retry.deadline)
        failure: ProviderError
        try:
            raw = self._sdk.embeddings.with_raw_response.create(
                input=texts, model=choice.request_name, encoding_format="float", **extra)
            content = raw.content
        except openai.APIStatusError as error:
            failure = self._status_error(error, choice)
        except DeadlineExceeded as error:
            failure = self._unreachable(f"no complete answer within {error.seconds:g} s (the deadline for one "
                                        "request, retries included)", choice, error.request, deadline=True)
        except openai.APITimeoutError as error:
            failure = self._unreachable(f"no answer within {self.retry.timeout:g} s (timeout)", choice, error.request)
        except openai.APIConnectionError as error:
            cause = error.__cause__ or error.__context__
            failure = self._unreachable(f"connection failed ({type(cause or error).__name__})", choice,
                                        error.request)
        except _SignInFailed as error:
            failure = self._credential_error(error.error, choice)
        else:
            return self._parse(content, len(texts), choice)
        raise failure  # outside the except blocks: __context__ holds nothing of the SDK's

    def _fail(self, kind: type[ProviderError], message: str, choice: ModelChoice, **extra: Any) -> ProviderError:
        return kind(message, provider=self.name, model=choice.request_name, **extra)

    def _server_message(self, body: Any, text: str = "") -> str:
        error = body.get("error", body) if isinstance(body, dict) else body
        if isinstance(error, dict):
            message = error.get("message") or json.dumps(error)[:300]
        else:
            message = str(error or text or "no details")
        return redact(str(message), self.secrets())[:300].rstrip(".")  # before the cut: no half key

    def _unreachable(self, failure: str, choice: ModelChoice, request: Any, deadline: bool = False) -> ProviderError:
        attempts = _attempts(request)
        more = "deadline" if deadline else "timeout"
        fix = (self.host.unreachable_fix.format(endpoint=self.endpoint) if self.host.unreachable_fix else
               f"check the network and that {self.endpoint} is right, or allow more time with "
               f"create_client(retry=RetryPolicy({more}=...)), {OFFLINE_FIX}")
        return self._fail(ProviderError, f"{self.name} failed for model {choice.request_name} after {attempts} "
                          f"attempt{'s' * (attempts > 1)}: {failure}. Fix: {fix}", choice, attempts=attempts)

    def _status_error(self, error: Any, choice: ModelChoice) -> ProviderError:
        from vectorlab.embed._deadline import RETRYABLE, retry_after_seconds

        status = error.status_code
        said = self._server_message(getattr(error, "body", None))
        attempts = _attempts(error.response.request)
        common = {"status": status, "attempts": attempts}
        if status in RETRYABLE:
            wait = retry_after_seconds(error.response.headers)
            left = max(0.0, self.transport.remaining())
            if wait is not None and wait > min(self.retry.max_retry_after, left):
                limit = (f"the {self.retry.max_retry_after:.0f} s we wait" if wait > self.retry.max_retry_after
                         else f"the {left:.1f} s left before the request's {self.retry.deadline:g} s deadline")
                return self._fail(ProviderError, f"{self.name} answered {status} {_reason(status)} for model "
                                  f"{choice.request_name} and asks to wait {wait:.0f} s before trying again "
                                  f"(Retry-After), more than {limit}: {said}. Fix: try again later, {OFFLINE_FIX}",
                                  choice, **common)
            if status == 429:
                fix = (f"wait a minute and run again: cached texts are not sent again{self.host.rate_limit_hint}, "
                       f"{OFFLINE_FIX}")
            else:
                fix = f"the service is having trouble: try again later, {OFFLINE_FIX}"
            return self._fail(ProviderError, f"{self.name} failed for model {choice.request_name} after {attempts} "
                              f"attempt{'s' * (attempts > 1)}: {status} {_reason(status)} ({said}). "
                              f"Fix: {fix}", choice, **common)
        if status in (401, 403):
            return self._auth_error(status, said, choice, common)
        if status == 404:
            origin = choice.origin or self.host.model_variable
            fix = (f"check the {self.host.model_word} name {choice.request_name!r}" + (f" ({origin})" if origin else "")
                   + self.host.model_hint.format(model=choice.request_name))
            return self._fail(ModelNotFoundError, f"{self.name} has no {self.host.model_word} named "
                              f"{choice.request_name!r} (404 Not Found): {said}. Fix: {fix}", choice, **common)
        return self._fail(ProviderError, f"{self.name} rejected the request for model {choice.request_name} "
                          f"({status} {_reason(status)}): {said}", choice, **common)

    def _auth_error(self, status: int, said: str, choice: ModelChoice, common: dict[str, Any]) -> ProviderError:
        if self._keyless:
            where, fix = (f"the keyless sign-in ({self._sign_in})",
                          "run `azd auth login` or `az login`, check that your account has the "
                          "'Cognitive Services OpenAI User' role, or set AZURE_OPENAI_API_KEY")
        elif self._api_key:
            where = f"the key in {self.key_variable}"
            fix = (f"set {self.key_variable} to a valid key (in the environment or .env)"
                   + (" with the models:read permission" if self.host.request_prefix == "openai/" else ""))
        elif self.key_variable:
            where = "the request sent without a key"
            fix = (f"{self.key_variable} is not set, and this endpoint wants a key: set {self.key_variable} "
                   "to it (in the environment or .env)")
        else:
            where, fix = "the request sent without a key", "check whether the endpoint needs a key"
        what = "refused" if status == 401 else f"accepted but does not allow model {choice.request_name} for"
        return self._fail(AuthenticationError, f"{self.name} {what} {where} ({status} {_reason(status)}): {said}. "
                          f"Fix: {fix}", choice, key_variable=self.key_variable, **common)

    def _credential_error(self, error: Exception, choice: ModelChoice) -> ProviderError:
        lines = str(error).strip().splitlines()
        said = (f"{type(error).__name__}: {lines[0][:200]}" if lines else type(error).__name__).rstrip(". ")
        return self._fail(AuthenticationError, f"azure: the keyless sign-in ({self._sign_in}) could not get a "
                          f"token, so no request was sent: {said}. Fix: run `azd auth login` or `az login`, or "
                          "set AZURE_OPENAI_API_KEY", choice, key_variable=self.key_variable, status=None)

    def _parse(self, content: bytes, count: int, choice: ModelChoice) -> np.ndarray:
        """The answer's vectors in input order, as float64 (:func:`check_vectors` checks the rest)."""
        def bad(problem: str) -> ProviderError:
            return self._fail(BadResponseError, f"{self.name} answered for model {choice.request_name}, but "
                              f"{problem}: the answer was not used. Fix: check the endpoint and model name, or "
                              "try again", choice, status=200)

        try:
            payload = json.loads(content)
        except (ValueError, RecursionError):  # also nested too deeply ("[[[[..."); raised below, outside this
            # block: the JSON error quotes the whole answer
            payload = _NOT_JSON
        if payload is _NOT_JSON:
            snippet = content[:80].decode("utf-8", "replace")
            raise bad(f"the answer is not valid JSON ({len(content)} bytes starting {snippet!r})")
        data = payload.get("data") if isinstance(payload, dict) else None
        if isinstance(payload, dict) and "error" in payload and not isinstance(data, list):
            raise bad(f"it sent an error instead of embeddings: {self._server_message(payload)}")
        if not isinstance(data, list):
            raise bad("the answer has no 'data' list")
        if len(data) != count:
            raise bad(f"it returned {len(data)} embeddings for {count} texts")
        rows: list[Any] = [None] * count
        for position, item in enumerate(data):
            index = item.get("index", position) if isinstance(item, dict) else None
            vector = item.get("embedding") if isinstance(item, dict) else None
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count or (
                    rows[index] is not None):
                raise bad(f"embedding {position} has a missing, repeated or out-of-range index {index!r}")
            if not isinstance(vector, list) or not vector or not all(
                    type(value) in (float, int) for value in vector):  # bool and str are not numbers here
                raise bad(f"embedding {position} is not a list of numbers")
            rows[index] = vector
        lengths = sorted({len(row) for row in rows})
        if len(lengths) != 1:
            raise bad(f"the vectors have {', '.join(map(str, lengths))} dimensions, expected one length for all")
        return np.asarray(rows, dtype=np.float64)
