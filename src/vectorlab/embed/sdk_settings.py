"""The configured provider through the ``openai`` SDK itself: :func:`openai_settings`.

Notebook 01 shows the real SDK call the talk uses; these settings point it at the provider
``API_HOST`` names (offline: a local OpenAI-compatible endpoint serving USE multilingual v3)::

    from openai import OpenAI
    settings = openai_settings()
    sdk = OpenAI(base_url=settings.base_url, api_key=settings.api_key)
    response = sdk.embeddings.create(model=settings.model, input=["big dog", "perro", "xqzvbnm"])
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any

from vectorlab.embed.hosts import resolve_host
from vectorlab.embed.use_model import USE_MODEL_NAME
from vectorlab.errors import ConfigurationError

__all__ = ["OpenAISettings", "openai_settings", "LOCAL_API_KEY", "AZURE_SCOPE", "default_azure_token_provider"]

AZURE_SCOPE = "https://cognitiveservices.azure.com/.default"


def default_azure_token_provider() -> Callable[[], str]:
    """A bearer-token function for keyless Azure sign-in; the credential is made on the first request."""
    state: dict[str, Callable[[], str]] = {}

    def get_token() -> str:
        if "provider" not in state:
            import azure.identity

            credential = azure.identity.DefaultAzureCredential(exclude_interactive_browser_credential=True)
            state["provider"] = azure.identity.get_bearer_token_provider(credential, AZURE_SCOPE)
        return state["provider"]()

    return get_token


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

            from vectorlab.embed.local_server import serve_embeddings

            _local_server = serve_embeddings()
            atexit.register(_local_server.close)
        return _local_server


def openai_settings(api_host: str | None = None, *, env: Mapping[str, str] | None = None,
                    env_file: str | os.PathLike[str] | None = None,
                    azure_token_provider: Callable[[], str] | None = None) -> OpenAISettings:
    """``base_url``, ``api_key``, ``model`` and ``provider`` to call the configured provider with the SDK.

    The provider is picked as :func:`create_client` picks it (``api_host``, else ``API_HOST``, else
    ``use``). Offline (``use``) it starts the OpenAI-compatible endpoint of
    :mod:`vectorlab.embed.local_server` once per process, on 127.0.0.1, serving USE multilingual v3; for a cloud
    provider it returns the real endpoint and key (Azure: its ``/openai/v1/`` endpoint, where the
    deployment name is the model). ``minilm`` and ``cache`` have no endpoint: a :class:`ConfigurationError`
    says so.
    """
    choice = resolve_host(api_host, env=env, env_file=env_file)
    host, settings = choice.host, choice.settings
    if host.serves_locally:
        server = _shared_local_server()
        return OpenAISettings(server.base_url, LOCAL_API_KEY, server.model, host.name)
    if host.offline:
        raise ConfigurationError(
            f"API_HOST={host.name} has no OpenAI-compatible endpoint (the local one serves {USE_MODEL_NAME}): "
            "unset API_HOST for the offline endpoint, or set API_HOST=github (or azure, openai, ollama)")
    endpoint = settings.endpoint or ""
    if host.openai_v1_path:  # e.g. Azure's OpenAI-compatible /openai/v1/ endpoint, the deployment as model
        endpoint = f"{endpoint.rstrip('/')}{host.openai_v1_path}"
    key: str | Callable[[], str] = settings.api_key or host.name
    if host.keyless_sign_in and not settings.api_key:
        key = azure_token_provider or default_azure_token_provider()
    return OpenAISettings(endpoint, key, settings.model, host.name)
