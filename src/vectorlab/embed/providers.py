"""What each model is, and the providers that run on this machine or only read the cache.

Every provider turns one batch of texts into a float32 matrix; the client around them (``client.py``)
does the caching, input checks, batching and progress bar. Two run on this machine:
:class:`UseProvider` (USE multilingual v3, numpy only, the default) and :class:`MiniLMProvider`
(all-MiniLM-L6-v2, needs the torch extra); :class:`CacheOnlyProvider` only reads the cache. The
OpenAI-compatible hosts share :class:`vectorlab.embed.openai_provider.OpenAIProvider`. Which host is which
is data: :mod:`vectorlab.embed.hosts`. :func:`check_vectors` is the one gate every provider's answer passes
before it is used or cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from vectorlab._validation import check_int
from vectorlab.embed import use_model
from vectorlab.embed.hosts import HOSTS, LOCAL_INSTALL, Host
from vectorlab.embed.tokens import ByteCounter, TiktokenCounter, TokenCounter, token_counter
from vectorlab.errors import BadResponseError, ConfigurationError, InputError

__all__ = [
    "ModelInfo",
    "ModelChoice",
    "KNOWN_MODELS",
    "OPENAI_MAX_INPUT_TOKENS",
    "model_info",
    "canonical_model",
    "check_dimensions",
    "check_vectors",
    "Provider",
    "UseProvider",
    "MiniLMProvider",
    "LocalProvider",
    "CacheOnlyProvider",
    "TokenCounter",
    "TiktokenCounter",
    "ByteCounter",
    "token_counter",
]

OPENAI_MAX_INPUT_TOKENS = 8191
"""Tokens (cl100k_base) one input may have for every OpenAI embedding model."""

OPENAI_MAX_INPUTS = 2048
"""Inputs one request may hold (OpenAI and Azure OpenAI)."""

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


def check_vectors(matrix: Any, count: int, expected_dims: int | None, *, provider: str, model: str,
                  requested_dims: int | None = None) -> np.ndarray:
    """``matrix`` as float32 ``[count, d]``, or :class:`BadResponseError` if it is not embeddings.

    Refused, so that nothing wrong is ever cached: anything but floating-point numbers (booleans,
    integers, strings), the wrong shape or length, NaN or infinity (also a value like ``1e39`` that
    overflows float32), and an all-zero vector (no direction: cosine similarity is undefined).
    """
    def bad(problem: str) -> BadResponseError:
        return BadResponseError(
            f"{provider} answered for model {model}, but {problem}: the answer was not used or cached. "
            "Fix: check the endpoint and model name, or try again",
            provider=provider, model=model, status=200)

    array = matrix if isinstance(matrix, np.ndarray) else None
    if array is None or array.dtype.kind != "f":
        what = f"dtype {array.dtype}" if array is not None else type(matrix).__name__
        raise bad(f"the vectors are not floating-point numbers ({what})")
    if array.ndim != 2 or array.shape[0] != count or array.shape[1] == 0:
        raise bad(f"it returned an array of shape {array.shape} for {count} texts")
    if expected_dims is not None and array.shape[1] != expected_dims:
        hint = (f" (dimensions={requested_dims} was asked for: does this model support it?)"
                if requested_dims is not None else "")
        raise bad(f"the vectors have {array.shape[1]} dimensions, expected {expected_dims}{hint}")
    with np.errstate(over="ignore"):
        vectors = array.astype(np.float32)
    finite = np.isfinite(vectors).all(axis=1)
    if not finite.all():
        row = int(np.flatnonzero(~finite)[0])
        raise bad(f"vector {row} holds NaN, infinity or a number too large for float32 (max ~3.4e38)")
    zero = ~vectors.any(axis=1)
    if zero.any():
        raise bad(f"vector {int(np.flatnonzero(zero)[0])} is all zeros (it has no direction)")
    return vectors


class Provider:
    """Base class: one source of embeddings, described by its :class:`~vectorlab.embed.hosts.Host` record.

    ``can_compute`` is False when it only reads the cache.
    """

    host: Host = HOSTS["cache"]
    can_compute: bool = True
    max_batch_inputs: int = OTHER_MAX_INPUTS

    @property
    def name(self) -> str:
        """The ``API_HOST`` value."""
        return self.host.name

    @property
    def label(self) -> str:
        """What the host is, for people."""
        return self.host.label

    def resolve(self, model: str) -> ModelChoice:
        """The request name, cache id and facts of ``model`` for this provider."""
        canonical = canonical_model(model)
        return ModelChoice(model, canonical, model_info(canonical))

    def batch_limits(self, choice: ModelChoice) -> tuple[int, int | None]:
        """``(max inputs, max summed tokens or None)`` for one request with this model."""
        return self.max_batch_inputs, None

    def check_texts(self, texts: list[str]) -> None:
        """Raise :class:`InputError` (``index`` into ``texts``) for a text this model can't embed; default: none."""

    def embed_batch(self, texts: list[str], choice: ModelChoice, dimensions: int | None) -> np.ndarray:
        """Embed one batch and return ``[len(texts), d]`` (checked by :func:`check_vectors`)."""
        raise NotImplementedError

    def banner(self, model: str) -> str:
        """One short sentence saying which model embeds where (may hold an endpoint: redact it)."""
        return self.host.banner.format(model=model, endpoint="")

    def details(self) -> str:
        """Where the embeddings come from (endpoint, sign-in method), never a secret."""
        return self.label

    def why_cache_only(self) -> tuple[str, str]:
        """``(why nothing can be computed, the fix)`` for a provider that only reads the cache."""
        return ("API_HOST=cache runs no model",
                f"unset API_HOST to embed offline with {use_model.USE_MODEL_NAME}")

    def secrets(self) -> list[str]:
        """Every secret this provider holds, so that messages can be scrubbed of them."""
        return []


class CacheOnlyProvider(Provider):
    """No model: only texts already in ``embeddings_cache/`` can be embedded."""

    host = HOSTS["cache"]
    can_compute = False


class UseProvider(Provider):
    """USE multilingual v3 on this machine: numpy only, installed with every install (the default)."""

    host = HOSTS["use"]
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

    host = HOSTS["minilm"]
    max_batch_inputs = 256

    def __init__(self) -> None:
        from vectorlab.embed import local_model  # imports numpy only: torch is imported on the first miss

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

    def banner(self, model: str) -> str:
        """Offline, or from the cache only when the torch extra is missing."""
        if self.can_compute:
            return super().banner(model)
        return f"Embedding {model} from the cache only: the model is not installed ({LOCAL_INSTALL})."

    def details(self) -> str:
        """Local model, and whether it is installed."""
        if self.can_compute:
            return self.label
        return f"{self.label}, NOT installed: cached texts only"

    def why_cache_only(self) -> tuple[str, str]:
        """The torch extra is missing."""
        return (f"{self._local.LOCAL_MODEL_NAME} is not installed",
                f"`{LOCAL_INSTALL}`, or unset API_HOST to use {use_model.USE_MODEL_NAME}")


LocalProvider = MiniLMProvider
"""The old name of :class:`MiniLMProvider` (``API_HOST=local`` is still accepted as ``minilm``)."""


def check_dimensions(dimensions: Any, choice: ModelChoice) -> int | None:
    """Check a ``dimensions=`` request against the model and return it as int (or None)."""
    if dimensions is None:
        return None
    dimensions = check_int(dimensions, "dimensions (or None for the model's own)")
    info = choice.info
    if info.shortenable is False and dimensions == info.dims:
        return None  # asking for the only size there is: nothing to send
    if info.shortenable is False:
        # Refused on purpose, though the offline endpoint (vectorlab.embed.local_server) answers dimensions= for USE
        # as the API does: the endpoint imitates OpenAI's API so the talk's SDK code runs; this client states
        # what the model was trained for, and a model not trained for MRL loses meaning when cut.
        raise InputError(
            f"{info.name} always returns {info.dims} dimensions and can't be shortened, so "
            f"dimensions={dimensions} is not allowed: it was not trained for shortening (MRL). Drop "
            "dimensions=, use text-embedding-3-small or text-embedding-3-large, which support it, or cut on "
            f"purpose and measure what it costs: vectorlab.reduce.truncate(vectors, {dimensions})")
    if dimensions < 1 or (info.dims is not None and dimensions > info.dims):
        upper = f" and at most {info.dims} for {info.name}" if info.dims else ""
        raise InputError(f"dimensions must be at least 1{upper}, got {dimensions}")
    return int(dimensions)
