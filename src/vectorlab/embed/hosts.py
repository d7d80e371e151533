"""Where embeddings come from, as data: one :class:`Host` record per ``API_HOST`` value.

A record says what a host is (label, the kind of provider that talks to it), where it lives (default
endpoint and the variable that moves it), how it signs in (key variables), which model it uses by
default and which variable changes it, its request limits, and how it names models (GitHub's
``openai/`` prefix, a cache folder of its own for models we know nothing about). Code reads the
record; nothing branches on a host's name.

:func:`resolve_host` is the one road from ``API_HOST`` to a provider: it turns (the argument, the
environment, ``.env``) into a :class:`HostChoice`, the host's :class:`HostSettings` (endpoint, key, model)
and the reason it was chosen. :func:`~vectorlab.embed.create_client` and
:func:`~vectorlab.embed.openai_settings` both start from it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from vectorlab.embed.local_model import LOCAL_MODEL_NAME
from vectorlab.embed.use_model import USE_MODEL_NAME
from vectorlab.errors import ConfigurationError

__all__ = [
    "Host", "HostSettings", "HOSTS", "API_HOSTS", "API_HOST_ALIASES", "DEFAULT_API_HOST", "ENV_VARIABLES",
    "GITHUB_MODELS_ENDPOINT", "OFFLINE_FIX", "HostChoice", "load_environment", "resolve_host", "host_settings",
]

Kind = Literal["use", "minilm", "cache", "openai", "azure"]

OPENAI_MAX_REQUEST_TOKENS = 300_000
"""Tokens summed over one request's inputs (OpenAI and Azure OpenAI)."""

GITHUB_MAX_REQUEST_TOKENS = 64_000
"""Tokens per request on GitHub Models' free tier for embedding models (lower than OpenAI's)."""

GITHUB_MODELS_ENDPOINT = "https://models.github.ai/inference"
LOCAL_INSTALL = 'pip install -e ".[local]"'
OFFLINE_FIX = "or use the offline model: unset API_HOST (or API_HOST=use)"


@dataclass(frozen=True)
class Host:
    """One ``API_HOST`` value: everything the client needs to know about it, and nothing it computes."""

    name: str                              # the API_HOST value
    label: str                             # for people: "GitHub Models"
    kind: Kind                             # which provider class talks to it
    default_model: str
    banner: str                            # what create_client() prints; {model} and {endpoint} filled in
    model_variable: str | None = None      # the variable naming the model (Azure: the deployment)
    model_word: str = "model"              # what the host calls a model name ("deployment" on Azure)
    key_variables: tuple[str, ...] = ()    # read in order; the first is the one named in messages
    key_required: bool = False
    key_help: str = ""                     # how to get a key, for "not set" errors
    endpoint: str | None = None            # default base URL
    endpoint_variable: str | None = None   # the variable that moves it (required if endpoint is None)
    endpoint_help: str = ""
    max_request_tokens: int = OPENAI_MAX_REQUEST_TOKENS  # summed per request, for OpenAI models
    request_prefix: str = ""               # prefix sent before a known OpenAI model name
    cache_prefix: str = ""                 # cache id prefix for models we know nothing about
    own_cache: bool = False                # prefix every model's cache id (a server's models may differ)
    openai_models_only: bool = False       # only hosts OpenAI models (their token limit always holds)
    api_version: str | None = None         # Azure's api-version default, and its variable
    api_version_variable: str | None = None
    served_model_variable: str | None = None  # the variable saying which model a deployment serves
    model_hint: str = ""                   # added to a 404's fix; {model} filled in
    rate_limit_hint: str = ""              # added to a 429's fix
    unreachable_fix: str = ""              # fix for a refused connection or a timeout; {endpoint}
    offline: bool = False                  # runs on this machine (no network)
    serves_locally: bool = False           # get_openai_settings starts vectorlab.embed.local_server for it
    sdk_client: Literal["OpenAI", "AzureOpenAI"] = "OpenAI"  # the openai SDK class that talks to it
    keyless_sign_in: bool = False          # with no key, sign in with Microsoft Entra ID (a bearer token)
    openai_v1_path: str = ""               # added to the endpoint for its plain OpenAI API (Azure: /openai/v1/)


HOSTS: dict[str, Host] = {host.name: host for host in (
    Host("use", f"{USE_MODEL_NAME} on this machine, numpy only", "use", USE_MODEL_NAME,
         "Embedding offline with {model} (API_HOST=github for GitHub Models).", offline=True,
         serves_locally=True),
    Host("minilm", f"{LOCAL_MODEL_NAME} on this machine via sentence-transformers", "minilm", LOCAL_MODEL_NAME,
         "Embedding offline with {model}.", offline=True),
    Host("cache", "the embeddings cache only", "cache", USE_MODEL_NAME,
         "Embedding {model} from the cache only (no model runs).", offline=True),
    Host("github", "GitHub Models", "openai", "openai/text-embedding-3-small",
         "Embedding with {model} on GitHub Models.", model_variable="GITHUB_EMBED_MODEL",
         key_variables=("GITHUB_TOKEN",), key_required=True,
         key_help="it is set in every Codespace; elsewhere create a token with the models:read permission at "
                  "https://github.com/settings/tokens and put GITHUB_TOKEN=... in .env",
         endpoint=GITHUB_MODELS_ENDPOINT, endpoint_variable="GITHUB_MODELS_ENDPOINT",
         max_request_tokens=GITHUB_MAX_REQUEST_TOKENS, request_prefix="openai/", cache_prefix="github/",
         model_hint=", e.g. openai/text-embedding-3-small",
         rate_limit_hint=" (GitHub Models' free tier allows only a few requests a minute)"),
    Host("azure", "Azure OpenAI", "azure", "",
         "Embedding with deployment {model} on Azure OpenAI.", model_variable="AZURE_OPENAI_EMBED_DEPLOYMENT",
         model_word="deployment", key_variables=("AZURE_OPENAI_API_KEY", "AZURE_OPENAI_KEY"),
         endpoint_variable="AZURE_OPENAI_ENDPOINT",
         endpoint_help="set it to your resource's endpoint, e.g. https://NAME.openai.azure.com",
         cache_prefix="azure/", openai_models_only=True, api_version="2024-10-21",
         api_version_variable="AZURE_OPENAI_VERSION", served_model_variable="AZURE_OPENAI_EMBED_MODEL",
         model_hint=", the endpoint and AZURE_OPENAI_VERSION", sdk_client="AzureOpenAI", keyless_sign_in=True,
         openai_v1_path="/openai/v1/"),
    Host("openai", "OpenAI", "openai", "text-embedding-3-small", "Embedding with {model} on OpenAI.",
         model_variable="OPENAI_EMBED_MODEL", key_variables=("OPENAI_API_KEY", "OPENAI_KEY"), key_required=True,
         key_help="create a key at https://platform.openai.com/api-keys and put OPENAI_API_KEY=... in .env",
         endpoint="https://api.openai.com/v1", endpoint_variable="OPENAI_BASE_URL"),
    Host("ollama", "OpenAI-compatible endpoint", "openai", "nomic-embed-text", "Embedding with {model} at {endpoint}.",
         model_variable="OLLAMA_EMBED_MODEL", key_variables=("OLLAMA_API_KEY",),
         endpoint="http://localhost:11434/v1", endpoint_variable="OLLAMA_ENDPOINT", cache_prefix="ollama/",
         own_cache=True, model_hint="; pull it first with `ollama pull {model}`",
         unreachable_fix="check that the server is running at {endpoint} (`ollama serve`) and OLLAMA_ENDPOINT "
                         "is right"),
)}
"""Every ``API_HOST`` value and what it means."""

API_HOSTS = tuple(HOSTS)
"""Values ``API_HOST`` may take (besides the aliases in :data:`API_HOST_ALIASES`)."""

API_HOST_ALIASES = {"local": "minilm"}
"""Old names still accepted: ``local`` meant all-MiniLM-L6-v2 before USE became the default."""

DEFAULT_API_HOST = "use"
"""The provider when ``API_HOST`` is not set: offline, installed everywhere, same outputs in every room."""

ENV_VARIABLES = tuple(dict.fromkeys([
    "API_HOST",
    *(name for host in HOSTS.values() for name in (
        host.endpoint_variable, host.model_variable, host.served_model_variable, host.api_version_variable,
        *host.key_variables) if name),
    "VECTORLAB_CACHE_DIR",
    "VECTORLAB_ROOT",  # read through vectorlab.data.project_root, to find .env and the cache
]))
"""Every variable (environment or ``.env``) that :func:`create_client` reads; a test keeps this complete."""


@dataclass(frozen=True)
class HostSettings:
    """A host as this environment configures it: endpoint, key and model, ready to build a provider."""

    host: Host
    endpoint: str | None
    api_key: str | None
    key_variable: str | None   # where the key was read from, or the variable it would be read from
    model: str
    api_version: str | None = None
    served_model: str | None = None


def load_environment(env_file: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """The process environment over the values of ``.env`` (real variables win; nothing is changed).

    ``env_file=None`` looks for ``.env`` at the project root (the folder with pyproject.toml), so a
    notebook running in ``notebooks/`` finds it; a missing default ``.env`` is fine, a missing
    ``env_file`` that was named is an error.
    """
    from dotenv import dotenv_values

    from vectorlab.data import project_root

    if env_file is None:
        path = project_root(fallback=Path.cwd()) / ".env"
    else:
        path = Path(env_file)
        if not path.is_file():
            raise ConfigurationError(f"env_file {str(path)!r} does not exist: create it from .env.sample "
                                     "or pass env_file=None to use the project's .env")
    not_utf8 = None
    try:
        values = {k: v for k, v in dotenv_values(path).items() if v is not None} if path.is_file() else {}
    except UnicodeDecodeError as error:  # the decode error holds the whole file, keys included
        not_utf8 = f"byte {error.start} is {error.object[error.start]:#04x}"
    if not_utf8 is not None:  # raised out here, so that no exception chain leads back to the file's bytes
        raise ConfigurationError(f"{path} is not UTF-8 text ({not_utf8}): save it as UTF-8 (most editors: "
                                 "'Save with encoding')")
    values.update(os.environ)
    return values


def _pick_host(api_host: str | None, env: Mapping[str, str]) -> tuple[Host, str]:
    """``(host, why)`` from the argument, else ``API_HOST``, else the offline default.

    A ``GITHUB_TOKEN`` alone never picks GitHub Models: a Codespace always has one, and a workshop room
    must reproduce the committed outputs without the network.
    """
    if api_host is not None and not isinstance(api_host, str):
        raise ConfigurationError(f"api_host must be a str such as 'github', got {type(api_host).__name__}")
    given = (api_host if api_host is not None else env.get("API_HOST", "")).strip().lower()
    if not given:
        return HOSTS[DEFAULT_API_HOST], "API_HOST is not set (the offline default)"
    name = API_HOST_ALIASES.get(given, given)
    if name not in HOSTS:
        aliases = ", ".join(f"{old} (= {new})" for old, new in API_HOST_ALIASES.items())
        raise ConfigurationError(f"API_HOST={given[:40]!r} is not a provider: use one of {', '.join(API_HOSTS)} "
                                 f"or {aliases}, or leave it unset for {DEFAULT_API_HOST}")
    alias = f" ({given!r} is the old name of {name!r})" if given != name else ""
    if api_host is not None:
        return HOSTS[name], f"api_host={given!r} was passed{alias}"
    return HOSTS[name], f"API_HOST={given} is set{alias}"


def _need(env: Mapping[str, str], name: str, host: Host, fix: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigurationError(f"API_HOST={host.name} needs {name}, which is not set: {fix}")
    return value


def host_settings(host: Host, env: Mapping[str, str]) -> HostSettings:
    """Endpoint, key and model of ``host`` from ``env``; a missing required variable is named with its fix."""
    endpoint = host.endpoint
    if host.endpoint_variable:
        if host.endpoint is None:
            endpoint = _need(env, host.endpoint_variable, host, host.endpoint_help)
        else:
            endpoint = env.get(host.endpoint_variable, "").strip() or host.endpoint
    model = host.default_model
    if host.model_variable:
        if not host.default_model:
            model = _need(env, host.model_variable, host, f"set it to the name of your embedding model's "
                          f"{host.model_word}")
        else:
            model = env.get(host.model_variable, "").strip() or host.default_model
    key_variable = next((name for name in host.key_variables if env.get(name, "").strip()), None)
    if key_variable is None and host.key_required:
        _need(env, host.key_variables[0], host, host.key_help)
    api_key = env[key_variable].strip() if key_variable else None
    version = (env.get(host.api_version_variable, "").strip() or host.api_version
               if host.api_version_variable else host.api_version)
    served = env.get(host.served_model_variable, "").strip() or None if host.served_model_variable else None
    return HostSettings(host, endpoint, api_key, key_variable or (host.key_variables or (None,))[0], model,
                        version, served)


@dataclass(frozen=True)
class HostChoice:
    """The provider ``API_HOST`` names, as this environment configures it, and why it was chosen."""

    settings: HostSettings
    reason: str                 # e.g. "API_HOST=github is set", "API_HOST is not set (the offline default)"
    env: dict[str, str]         # the variables it was read from (environment over .env)

    @property
    def host(self) -> Host:
        return self.settings.host


def resolve_host(api_host: str | None = None, *, env: Mapping[str, str] | None = None,
                 env_file: str | os.PathLike[str] | None = None) -> HostChoice:
    """The one road from ``API_HOST`` to a host's settings: argument, else environment, else ``.env``.

    ``env`` replaces the environment and ``.env`` entirely (for tests). A missing required variable
    (a key, an endpoint, an Azure deployment) is a :class:`ConfigurationError` naming it and its fix.

    >>> choice = resolve_host(env={})
    >>> choice.host.name, choice.settings.model, choice.reason
    ('use', 'use-multilingual-v3', 'API_HOST is not set (the offline default)')
    """
    variables = load_environment(env_file) if env is None else dict(env)
    host, reason = _pick_host(api_host, variables)
    return HostChoice(host_settings(host, variables), reason, variables)
