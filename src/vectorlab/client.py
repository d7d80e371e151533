"""(alias) The embedding wing's face under its old name, so notebooks' ``vl.client.openai_settings()`` and
``from vectorlab.client import create_client`` keep working. New code: :mod:`vectorlab.embed`."""

from vectorlab.embed import EmbeddingClient, create_client, openai_settings

__all__ = ["EmbeddingClient", "create_client", "openai_settings"]
