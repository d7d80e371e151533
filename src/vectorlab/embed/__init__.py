"""The embedding wing: texts in, vectors out, from whichever provider ``API_HOST`` names.

The public face is three names (and :class:`RetryPolicy`, ``create_client(retry=...)``)::

    from vectorlab.embed import create_client, openai_settings
    client = create_client()                  # EmbeddingClient: embed(texts), embed_one(text)
    settings = openai_settings()              # base_url, api_key, model for the openai SDK itself

Behind it, one module per job: ``hosts`` (one record per ``API_HOST``, and :func:`~vectorlab.embed.hosts.
resolve_host`, the one road from argument, environment and ``.env`` to a host's settings), ``client``
(the cache-first client), ``providers`` and ``openai_provider`` (who computes the vectors),
``sdk_settings`` (:func:`openai_settings`), ``cache``, ``tokens``, the offline models ``use_model`` and
``local_model``, and ``local_server`` (an OpenAI-compatible endpoint on 127.0.0.1).
"""

from vectorlab.embed.client import EmbeddingClient, create_client
from vectorlab.embed.openai_provider import RetryPolicy
from vectorlab.embed.sdk_settings import openai_settings

__all__ = ["EmbeddingClient", "create_client", "openai_settings", "RetryPolicy"]
