"""vectorlab's errors, in one hierarchy, and :func:`redact`, the one function that keeps secrets out of text.

::

    VectorlabError                             every error vectorlab raises on purpose
    ├── EmbeddingError                         the embedding client
    │   ├── ConfigurationError (also ValueError)   API_HOST or a provider variable is missing or wrong
    │   ├── InputError (also ValueError)           a text can't be embedded; ``index`` says which one
    │   ├── CacheMissError (also LookupError)      nothing can compute a text that is not in the cache
    │   └── ProviderError                          the provider failed; ``status``, ``provider``, ``model``
    │       ├── AuthenticationError                401/403: ``key_variable`` names the variable the key is
    │       │                                      read from (also when it is not set)
    │       ├── ModelNotFoundError                 404: the model or deployment name is wrong
    │       └── BadResponseError                   the answer was unreadable or had the wrong count/dims
    └── VectorDBError (vectorlab.vectordb)     the database helpers; see :mod:`vectorlab.vectordb.errors`

Typed errors also subclass the builtin they refine (``ValueError``, ``TypeError``, ``LookupError``), so
``except ValueError`` keeps working.

Messages never contain a password, key or token: every message, log line and banner that may hold text
from a URL, a server or the environment goes through :func:`redact` first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = [
    "VectorlabError",
    "EmbeddingError",
    "ConfigurationError",
    "InputError",
    "CacheMissError",
    "ProviderError",
    "AuthenticationError",
    "ModelNotFoundError",
    "BadResponseError",
    "CacheWarning",
    "redact",
]


class VectorlabError(Exception):
    """Root of every error vectorlab raises on purpose: ``except VectorlabError`` catches them all."""


class EmbeddingError(VectorlabError):
    """Base class of every error raised by the embedding client."""


class ConfigurationError(EmbeddingError, ValueError):
    """The environment (``API_HOST``, keys, endpoints) does not describe a usable provider."""


class InputError(EmbeddingError, ValueError):
    """A text can't be embedded as given; ``index`` is its position in the input (None if not one text)."""

    def __init__(self, message: str, index: int | None = None) -> None:
        super().__init__(message)
        self.index = index


class CacheMissError(EmbeddingError, LookupError):
    """Texts are missing from the cache and no provider is available to compute them."""

    def __init__(self, message: str, missing: list[str] | None = None) -> None:
        super().__init__(message)
        self.missing = list(missing or [])


class ProviderError(EmbeddingError):
    """The provider did not give usable embeddings (after any retries)."""

    def __init__(self, message: str, *, provider: str, model: str, status: int | None = None,
                 attempts: int = 1) -> None:
        super().__init__(message)
        self.provider = provider
        self.model = model
        self.status = status
        self.attempts = attempts


class AuthenticationError(ProviderError):
    """The provider refused the credentials (401) or their permissions (403).

    ``key_variable`` is the variable the provider reads its key from, set or not (e.g. ``OLLAMA_API_KEY``
    for an endpoint that turned out to need a key); None only for providers that take no key.
    """

    def __init__(self, message: str, *, key_variable: str | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.key_variable = key_variable


class ModelNotFoundError(ProviderError):
    """The provider does not know the model (or Azure deployment) name (404)."""


class BadResponseError(ProviderError):
    """The provider answered, but with something that is not the embeddings that were asked for."""


class CacheWarning(UserWarning):
    """A cache entry was damaged (cut short, edited, or for another text) and will be recomputed."""


# Token shapes worth hiding even when we were not told the exact secret (e.g. a key echoed back partly).
_TOKEN_PATTERNS = [
    re.compile(r"(?i)\b(?:bearer|api-key:)\s*[A-Za-z0-9._\-+/=*]{8,}"),  # header values
    re.compile(r"\b(?:sk|rk)-[A-Za-z0-9_\-*]{8,}"),          # OpenAI keys (also partly masked ones)
    re.compile(r"\bgh[opsur]_[A-Za-z0-9]{16,}"),             # GitHub tokens
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{16,}"),           # fine-grained GitHub tokens
    re.compile(r"\beyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]*"),  # JWTs (Entra tokens)
]

#: Secrets at least this long are hidden wherever they appear; shorter ones only where they stand as a
#: whole token (a one-letter password must not turn every "p" of a message into ``***``).
MIN_ANYWHERE_SECRET = 8

# What may stand next to a whole token: text edges, whitespace, quotes, brackets and URL punctuation.
_EDGE = r"""\s"'`()\[\]{}<>,;:/@?&=#"""

# scheme://user:password@  (the password up to the @ that ends the userinfo; no spaces, no '/').
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^\s/@:?#]*:)[^\s/@?#]+@")

# ?api_key=...  &token=...  ;sig=...  (URL query parameters and libpq-style keyword settings).
_SECRET_NAMES = (r"api[_\-]?key|apikey|key|token|access[_\-]?token|refresh[_\-]?token|id[_\-]?token|"
                 r"client[_\-]?secret|secret|password|passwd|pwd|sig|signature|auth|authorization|"
                 r"code|session|x-api-key|subscription[_\-]?key")
_SECRET_PARAMETER = re.compile(rf"(?i)([?&;]\s*(?:{_SECRET_NAMES})=)[^&#\s\"'<>]*")
# password=... as a keyword setting (libpq conninfo "host=db password='a b'"), quoted or not.
_PASSWORD_KEYWORD = re.compile(r"(?i)(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s'\"&;]+)")


_ONLY_EDGES = re.compile(rf"[{_EDGE}]+")


def _whole_token(secret: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![^{_EDGE}]){re.escape(secret)}(?![^{_EDGE}])")


#: Where a driver may cut a secret and quote one piece of it: libpq splits a URL's userinfo at the first
#: ``@`` (so the rest of the password is read as the host), stops at a ``/`` and at a ``:`` (the port), and
#: names the spaced value it refuses.
_SECRET_CUTS = re.compile(r"[@:/,\s]+")


def _hiding_forms(secret: str) -> list[str]:
    """``secret``, its URL-encoded forms and every piece of it between :data:`_SECRET_CUTS`."""
    from urllib.parse import quote, quote_plus

    forms = [secret, quote(secret, safe=""), quote_plus(secret)]
    forms += [piece for piece in _SECRET_CUTS.split(secret) if piece]
    return list(dict.fromkeys(forms))


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with every password, key and token replaced by ``***``; the rest left exactly as it was.

    What is hidden, in this order:

    1. each of ``secrets`` (None and blank ones are skipped), its URL-encoded form, and **every piece of
       it between** ``@``, ``:``, ``/``, ``,`` and whitespace (a driver that misreads a password with an
       unencoded ``@`` quotes the part after it as a host name; one that refuses a space quotes the
       spaced value): everywhere when it has at least :data:`MIN_ANYWHERE_SECRET` characters (and, from
       12 characters, its first 8 and last 6 characters too, as servers echo keys partly masked); a
       shorter one only where it stands as a whole token, between text edges, whitespace, quotes,
       brackets or URL punctuation (``:/@?&=#,;``). Longer forms go first, so no piece is left over
       from a partly hidden one. So a one-character password ``p`` hides ``postgresql://bob:p@db`` but
       leaves "port 5432 failed" alone;
    2. the password in any URL's userinfo (``scheme://user:PASSWORD@host``), whatever the scheme;
    3. secret-looking URL query parameters and keyword settings (``api_key``, ``key``, ``token``,
       ``access_token``, ``password``, ``sig``, ``secret``, ``client_secret``, ``code``, ...) and a
       libpq ``password=...`` setting;
    4. anything shaped like a bearer token, an OpenAI key, a GitHub token or a JWT.

    >>> redact("postgresql://bob:hunter22@db:5432/x failed")
    'postgresql://bob:***@db:5432/x failed'
    >>> redact("GET https://api.example.com/v1?api_key=abc123&model=m")
    'GET https://api.example.com/v1?api_key=***&model=m'
    >>> redact("connection to server at port 5432 failed for postgresql://u:p@h/d", ["p"])
    'connection to server at port 5432 failed for postgresql://u:***@h/d'
    >>> redact("Incorrect API key provided: abc123secret", ["abc123secret"])
    'Incorrect API key provided: ***'
    >>> redact("failed to resolve host 'Secret-Pass-42@127.0.0.1'", ["Sup3r@Secret-Pass-42"])
    "failed to resolve host '***@127.0.0.1'"
    >>> redact('unexpected spaces found in "Winter 2024"', ["Winter 2024@corp"])
    'unexpected spaces found in "*** ***"'
    """
    text = str(text)
    told = [str(secret) for secret in secrets
            if secret and str(secret).strip() and str(secret).strip("*")]
    forms = {form for secret in told for form in _hiding_forms(secret) if form.strip("*")}
    for form in sorted(forms, key=lambda form: (-len(form), form)):  # longest first: no leftover pieces
        if len(form) >= MIN_ANYWHERE_SECRET:
            text = text.replace(form, "***")
        elif not _ONLY_EDGES.fullmatch(form):  # a "/" or ":" password is punctuation, not a token;
            text = _whole_token(form).sub("***", text)  # inside a URL step 2 still hides it
    # Servers often echo a key partly masked: hide the first and last characters of long ones too.
    for form in sorted(forms, key=lambda form: (-len(form), form)):
        if len(form) >= 12:
            text = text.replace(form[:8], "***").replace(form[-6:], "***")
    text = _URL_USERINFO.sub(r"\1***@", text)
    text = _SECRET_PARAMETER.sub(r"\1***", text)
    text = _PASSWORD_KEYWORD.sub(r"\1***", text)
    for pattern in _TOKEN_PATTERNS:
        text = pattern.sub("***", text)
    return text


# --- errors of the numeric core: search, quantize, similarity, reduce, embeddings and index files --------
#
# One type per kind of mistake, each also the builtin it refines, so ``except ValueError`` keeps working:
#
#     VectorlabError
#     ├── InvalidInputError (also ValueError)   a value out of range, of the wrong shape, not finite, ...
#     │   └── OutOfRangeError (also IndexError) a row number that is not in the array it indexes
#     ├── InputTypeError (also TypeError)       an argument of the wrong type (a string for a vector, ...)
#     ├── DataFileError (also ValueError)       a file on disk is damaged or not what it claims; ``path``
#     └── IndexStateError (also RuntimeError)   an index left unusable by a failed operation: rebuild it


class InvalidInputError(VectorlabError, ValueError):
    """An argument has the right type but a wrong value: out of range, wrong shape, NaN, a zero vector..."""


class OutOfRangeError(InvalidInputError, IndexError):
    """A row number (e.g. a rescoring candidate) outside the array it indexes."""


class InputTypeError(VectorlabError, TypeError):
    """An argument of the wrong type: a string where numbers are expected, floats where codes are..."""


class DataFileError(VectorlabError, ValueError):
    """A file (embeddings JSON, HNSW index, its settings) is damaged or inconsistent; ``path`` names it."""

    def __init__(self, message: str, path: object = None) -> None:
        super().__init__(message)
        self.path = path


class IndexStateError(VectorlabError, RuntimeError):
    """An index was left unusable by a failed operation (e.g. hnswlib ran out of memory while adding)."""


__all__ += ["InvalidInputError", "OutOfRangeError", "InputTypeError", "DataFileError",
            "IndexStateError"]
