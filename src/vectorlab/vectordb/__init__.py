"""The workshop's vectors in a real vector database: PostgreSQL with the pgvector extension.

Built on psycopg 3 and the ``pgvector`` Python package. Every name (table, schema, column, index) is
checked by one rule (:mod:`~vectorlab.vectordb.identifiers`: at most 63 bytes, no NUL) and composed
with :class:`psycopg.sql.Identifier`; every value (vectors, keys, ``k``, settings) is a bound
parameter: nothing is pasted into SQL text.

The rooms:

- :mod:`~vectorlab.vectordb.server`: the embedded PostgreSQL's lifecycle (started on first use,
  stopped by its last live user, cleaned up after a ``kill -9``);
- :mod:`~vectorlab.vectordb.connection`: :func:`connect` (``DATABASE_URL`` or the embedded server),
  messages without passwords, and the threading rule (one connection per thread, enforced);
- :mod:`~vectorlab.vectordb.identifiers`: the identifier rule and collision-free index names;
- :mod:`~vectorlab.vectordb.tables`: :func:`load_table` (atomic, idempotent), counting, reading;
- :mod:`~vectorlab.vectordb.queries`: :func:`search`, :func:`search_rescored`, their SQL and plan;
- :mod:`~vectorlab.vectordb.indexes`: HNSW and IVFFlat indexes, on-disk sizes;
- :mod:`~vectorlab.vectordb.errors`: the errors, rooted at :class:`vectorlab.errors.VectorlabError`.

Searching
    :func:`search` returns ``(ids, distances)`` shaped like :func:`vectorlab.search.exhaustive_search`
    (``(k,)`` for one query, ``(m, k)`` for a batch), but with pgvector's *distances* (smaller is
    closer): ``<=>`` cosine distance (1 - cosine similarity), ``<#>`` negative inner product,
    ``<->`` Euclidean distance, ``<~>`` Hamming distance (binary codes). Missing results (an index can
    return fewer than ``k`` rows) are padded with id -1 and distance NaN.
"""

from __future__ import annotations

from vectorlab.vectordb import errors
from vectorlab.vectordb.connection import Connection, configured_database_url, connect, server_info
from vectorlab.vectordb.errors import *  # noqa: F403  (the errors, named once: errors.__all__)
from vectorlab.vectordb.identifiers import MAX_IDENTIFIER_BYTES
from vectorlab.vectordb.indexes import create_hnsw_index, create_ivfflat_index, drop_indexes, relation_sizes
from vectorlab.vectordb.queries import OPERATORS, QUANTIZATIONS, search, search_plan, search_rescored, search_sql
from vectorlab.vectordb.server import (
    EmbeddedServer,
    default_data_dir,
    embedded_server,
    start_embedded,
    stop_embedded,
)
from vectorlab.vectordb.tables import column_type, count_rows, load_table, read_frame

__all__ = [
    "OPERATORS",
    "QUANTIZATIONS",
    "MAX_IDENTIFIER_BYTES",
    "Connection",
    "EmbeddedServer",
    "default_data_dir",
    "start_embedded",
    "stop_embedded",
    "embedded_server",
    "connect",
    "configured_database_url",
    "server_info",
    "load_table",
    "count_rows",
    "column_type",
    "search",
    "search_rescored",
    "search_plan",
    "search_sql",
    "read_frame",
    "create_hnsw_index",
    "create_ivfflat_index",
    "drop_indexes",
    "relation_sizes",
]
__all__ += errors.__all__  # the errors, listed once (vectordb/errors.py)
