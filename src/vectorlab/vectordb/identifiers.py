"""SQL names: one rule for every table, schema, column and index name, and index names that never collide.

PostgreSQL silently cuts identifiers to 63 bytes (``NAMEDATALEN - 1``), so two long names sharing their
first 63 bytes would be one table, and it can't store a NUL. Every name vectorlab sends is checked here
and then quoted with :class:`psycopg.sql.Identifier`: never pasted into SQL text.
"""

from __future__ import annotations

import hashlib
from typing import Any, NamedTuple

from vectorlab.vectordb.errors import ArgumentTypeError, IdentifierError

__all__ = ["MAX_IDENTIFIER_BYTES", "TableName", "check_identifier", "parse_table", "index_name"]

#: PostgreSQL's limit (NAMEDATALEN - 1): longer names are cut without an error.
MAX_IDENTIFIER_BYTES = 63


def _shown(name: str) -> str:
    """``name`` for a message: whole if short, else its start and its length."""
    return repr(name) if len(name) <= 40 else f"{name[:30]!r}... ({len(name)} characters)"


def check_identifier(name: Any, what: str = "table name") -> str:
    """Return ``name`` if PostgreSQL stores it exactly: a non-empty string of at most 63 UTF-8 bytes
    without NUL; otherwise raise :class:`IdentifierError` naming the value and the fix.

    >>> check_identifier("movies")
    'movies'
    >>> check_identifier("x" * 64)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    vectorlab.vectordb.errors.IdentifierError: table name 'xxx...(64 characters) is 64 bytes long: ...
    """
    if not isinstance(name, str):
        raise ArgumentTypeError(f"{what} must be a string, got {type(name).__name__} {name!r}")
    if not name:
        raise IdentifierError(f"{what} is empty: give a name such as 'movies'")
    if "\x00" in name:
        raise IdentifierError(f"{what} {_shown(name)} contains a NUL character (\\x00), which PostgreSQL can't "
                              "store in a name: remove it")
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        raise IdentifierError(f"{what} {_shown(name)} is not valid Unicode text (a lone surrogate): "
                              "use a name of ordinary characters") from None
    if size > MAX_IDENTIFIER_BYTES:
        raise IdentifierError(f"{what} {_shown(name)} is {size} bytes long: PostgreSQL keeps only the first "
                              f"{MAX_IDENTIFIER_BYTES}, so names sharing those would be one; use a shorter name")
    return name


class TableName(NamedTuple):
    """A table name checked by :func:`parse_table`: ``schema`` is None for the search path's schema."""

    schema: str | None
    name: str

    def identifier(self) -> Any:
        """The quoted SQL identifier, ``"name"`` or ``"schema"."name"``."""
        from psycopg import sql

        return sql.Identifier(self.name) if self.schema is None else sql.Identifier(self.schema, self.name)

    def __str__(self) -> str:
        return self.name if self.schema is None else f"{self.schema}.{self.name}"


def parse_table(table: Any) -> TableName:
    """``"movies"`` or ``"myschema.movies"`` (the one dot separates the schema) as a checked :class:`TableName`.

    Each part follows :func:`check_identifier`; a name with two or more dots is refused, as it could be read
    several ways.
    """
    if not isinstance(table, str):
        raise ArgumentTypeError(f"table must be a string like 'movies' or 'myschema.movies', "
                                f"got {type(table).__name__} {table!r}")
    parts = table.split(".")
    if len(parts) > 2:
        raise IdentifierError(f"table name {_shown(table)} has {len(parts) - 1} dots: use 'table' or "
                              "'schema.table' (one dot, separating the schema)")
    if len(parts) == 2:
        if not parts[0] or not parts[1]:
            raise IdentifierError(f"table name {_shown(table)} has an empty part around its dot: use 'table' or "
                                  "'schema.table'")
        return TableName(check_identifier(parts[0], "schema name"), check_identifier(parts[1], "table name"))
    return TableName(None, check_identifier(table, "table name"))


def _cut(text: str, max_bytes: int) -> str:
    """The longest start of ``text`` that fits ``max_bytes`` UTF-8 bytes (never half a character)."""
    return text.encode("utf-8")[:max_bytes].decode("utf-8", errors="ignore")


def index_name(schema: str, table: str, column: str, method: str, kind: str) -> str:
    """A readable index name that fits 63 bytes and differs for every (schema, table, column, method, kind).

    The readable part may be cut; a hash of the full description follows it, so two long table names
    (or a table and column sharing a prefix) never give the same index name, while the same index
    asked for twice gets the same name (and replaces the previous one).

    >>> index_name("public", "movies", "embedding", "hnsw", "cosine_ops")
    'movies_embedding_hnsw_cosine_ops_4a81efd6d9'
    """
    digest = hashlib.sha256("\x00".join((schema, table, column, method, kind)).encode("utf-8")).hexdigest()[:10]
    readable = _cut(f"{table}_{column}_{method}_{kind}", MAX_IDENTIFIER_BYTES - len(digest) - 1)
    return f"{readable}_{digest}"
