"""Nearest-neighbour queries in SQL: ``search``, oversampling + rescoring, the SQL text and its plan.

Search options become transaction-local settings (``set_config(name, value, true)``, i.e. ``SET LOCAL``)
inside the one transaction each call runs in, so they never outlive the call or reach another query.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from vectorlab._validation import as_vector_or_matrix, check_choice, check_int
from vectorlab.vectordb.connection import transaction
from vectorlab.vectordb.errors import (
    ArgumentTypeError,
    DimensionMismatchError,
    HalfPrecisionError,
    InvalidArgumentError,
)
from vectorlab.vectordb.identifiers import TableName, check_identifier, parse_table
from vectorlab.vectordb.tables import _column_type, check_half_precision

if TYPE_CHECKING:
    import psycopg

__all__ = ["OPERATORS", "QUANTIZATIONS", "search", "search_rescored", "search_plan", "search_sql"]

#: pgvector's distance operators: what each computes, and the operator-class suffix an index needs.
OPERATORS: dict[str, tuple[str, str]] = {
    "<=>": ("cosine distance (1 - cosine similarity)", "cosine_ops"),
    "<#>": ("negative inner product (-dot product)", "ip_ops"),
    "<->": ("Euclidean (L2) distance", "l2_ops"),
    "<+>": ("Manhattan (L1) distance", "l1_ops"),
}

QUANTIZATIONS = (None, "halfvec", "binary")
"""How a search or an index reads the stored ``vector`` column: as stored, as ``halfvec`` (16-bit
floats), or as ``binary_quantize()`` bits compared with the Hamming distance ``<~>``."""

#: pgvector's ranges for hnsw.ef_search and ivfflat.probes.
MAX_EF_SEARCH, MAX_PROBES = 1000, 32768


_OPERATOR_CHOICES = {op: what for op, (what, _) in OPERATORS.items()}


def check_operator(operator: Any) -> str:
    checked: str = check_choice(operator, _OPERATOR_CHOICES, "operator", invalid=InvalidArgumentError)
    return checked


def check_quantization(quantization: Any, allowed: tuple[str | None, ...] = QUANTIZATIONS) -> str | None:
    checked: str | None = check_choice(quantization, allowed, "quantization", invalid=InvalidArgumentError)
    return checked


def check_whole(value: Any, name: str, low: int = 1, high: int | None = None) -> int:
    """``value`` as an int in ``[low, high]``, or the database helpers' typed error naming it and the range."""
    return check_int(value, name, minimum=low, maximum=high, invalid=InvalidArgumentError,
                     wrong_type=ArgumentTypeError)


def _settings(exact: Any, ef_search: Any, probes: Any) -> list[tuple[str, str]]:
    if exact not in (None, True, False) or isinstance(exact, np.bool_):
        raise ArgumentTypeError(f"exact must be True, False or None, got {exact!r}")
    settings: list[tuple[str, str]] = []
    if exact is True:  # no index of any kind: every row is compared
        settings += [("enable_indexscan", "off"), ("enable_indexonlyscan", "off"), ("enable_bitmapscan", "off")]
    elif exact is False:
        settings.append(("enable_seqscan", "off"))  # use the index even on a small table
    if ef_search is not None:
        settings.append(("hnsw.ef_search", str(check_whole(ef_search, "ef_search", 1, MAX_EF_SEARCH))))
    if probes is not None:
        settings.append(("ivfflat.probes", str(check_whole(probes, "probes", 1, MAX_PROBES))))
    return settings


def _distance_sql(column: str, base_type: str, dims: int | None, operator: str, quantization: str | None) -> Any:
    """``embedding <=> %(q)s`` (or its halfvec/binary form) as composed SQL; the query is bound as ``q``."""
    from psycopg import sql

    col = sql.Identifier(column)
    typmod = sql.SQL("({})").format(sql.Literal(dims)) if dims else sql.SQL("")
    if quantization == "binary":
        # Same expression as the index: binary_quantize() keeps the sign bit of each dimension.
        return sql.SQL("binary_quantize({col})::bit{t} <~> binary_quantize(%(q)s::{base}{t})").format(
            col=col, t=typmod, base=sql.SQL(base_type))
    if quantization == "halfvec":
        return sql.SQL("{col}::halfvec{t} {op} %(q)s::halfvec{t}").format(col=col, t=typmod, op=sql.SQL(operator))
    return sql.SQL("{col} {op} %(q)s::{base}{t}").format(col=col, op=sql.SQL(operator), base=sql.SQL(base_type),
                                                         t=typmod)


@dataclass(frozen=True)
class _Options:
    """A search's checked arguments (everything that does not need the database)."""

    table: TableName
    column: str
    operator: str
    quantization: str | None
    k: int
    candidates: int | None
    settings: list[tuple[str, str]]


def _options(table: Any, k: Any, operator: Any, *, column: Any, quantization: Any, candidates: Any,
             exact: Any = None, ef_search: Any = None, probes: Any = None) -> _Options:
    options = _Options(parse_table(table), check_identifier(column, "column name"), check_operator(operator),
                       check_quantization(quantization), check_whole(k, "k"),
                       None if candidates is None else check_whole(candidates, "candidates"),
                       _settings(exact, ef_search, probes))
    if options.candidates is not None and options.candidates < options.k:
        raise InvalidArgumentError(f"candidates={options.candidates} is smaller than k={options.k}: oversample, "
                                   f"e.g. candidates={4 * options.k}")
    return options


def _statement(cursor: psycopg.Cursor[Any], options: _Options) -> tuple[Any, str, int | None]:
    """The SELECT that :func:`search` (or, with ``candidates``, :func:`search_rescored`) runs, and the
    column's base type and dims."""
    from psycopg import sql

    base_type, dims = _column_type(cursor, options.table, options.column)
    if base_type not in ("vector", "halfvec"):
        raise InvalidArgumentError(f"column {options.table}.{options.column} is {base_type}, not vector or halfvec: "
                                   "pass column= a vector column")
    identifier, column = options.table.identifier(), options.column
    if options.candidates is None:
        distance = _distance_sql(column, base_type, dims, options.operator, options.quantization)
        statement = sql.SQL("SELECT id, {d} AS distance FROM {t} WHERE {col} IS NOT NULL "
                            "ORDER BY distance LIMIT %(k)s").format(d=distance, t=identifier,
                                                                    col=sql.Identifier(column))
        return statement, base_type, dims
    # Oversampling + rescoring in one query: the quantized distance picks `candidates` rows (through
    # its index if there is one), then the full-precision distance orders that shortlist.
    statement = sql.SQL(
        "SELECT id, {d} AS distance\n"
        "FROM (SELECT id, {col} FROM {t} WHERE {col} IS NOT NULL\n"
        "      ORDER BY {s}\n"
        "      LIMIT %(candidates)s) AS shortlist\n"
        "ORDER BY distance LIMIT %(k)s"
    ).format(d=_distance_sql(column, base_type, dims, options.operator, None), col=sql.Identifier(column),
             t=identifier, s=_distance_sql(column, base_type, dims, options.operator, options.quantization))
    return statement, base_type, dims


def _check_queries(query: Any, options: _Options, dims: int | None, base_type: str) -> tuple[np.ndarray, bool]:
    """The queries as float32 rows, checked: dimensions, no zero vector; unit length for cosine; values half
    precision holds when they are sent as halfvec."""
    queries, single = _checked_queries(query, options, dims)
    if base_type == "halfvec" or options.quantization == "halfvec":
        # The inner product needs the query's direction; L2 and L1 only its values (a zero query is fine).
        check_half_precision(queries, "query", direction=options.operator in ("<=>", "<#>"))
    return queries, single


def _checked_queries(query: Any, options: _Options, dims: int | None) -> tuple[np.ndarray, bool]:
    queries, single = as_vector_or_matrix(query, "query")
    if dims is not None and queries.shape[1] != dims:
        raise DimensionMismatchError(
            f"query has {queries.shape[1]} dims, column {options.table}.{options.column} has {dims}: embed the "
            "query with the same model (and dimensions) as the vectors in the table")
    norms = np.linalg.norm(queries.astype(np.float64), axis=1)
    if options.operator in ("<=>", "<#>") and (norms == 0).any():  # L2 and L1 distances to zero are fine
        row = int(np.flatnonzero(norms == 0)[0])
        where = "the query" if single else f"query row {row}"
        raise InvalidArgumentError(f"{where} is a zero vector: it has no direction, so with {options.operator} "
                                   "every distance to it is undefined (cosine: NaN) or tied (inner product: 0). "
                                   "Fix: embed a real text; an empty or failed embedding often gives zeros")
    if options.operator == "<=>":
        # Cosine distance ignores the query's length; pgvector squares components in float32, where a tiny
        # (1e-23) or huge (1e20) vector underflows or overflows to NaN: send the unit vector instead.
        return (queries / norms[:, None]).astype(np.float32), single
    with np.errstate(over="ignore"):
        if not np.isfinite(np.einsum("ij,ij->i", queries, queries)).all():
            raise InvalidArgumentError("the query's components are too large to square in float32: pgvector's "
                                       "distances would be infinite. Fix: scale the query (e.g. to unit length)")
    return queries, single


def _count_for_k(cursor: psycopg.Cursor[Any], options: _Options) -> None:
    from psycopg import sql

    row = cursor.execute(sql.SQL("SELECT count(*), count({}) FROM {}").format(
        sql.Identifier(options.column), options.table.identifier())).fetchone()
    assert row is not None  # an aggregate without GROUP BY returns one row
    rows, with_vector = int(row[0]), int(row[1])
    if options.k > with_vector:
        # Rows whose vector is NULL (a table filled outside load_table) are never results: no distance.
        which = f"rows in table {options.table}" if rows == with_vector else \
            (f"rows of table {options.table} whose {options.column} is not NULL ({rows - with_vector} of its "
             f"{rows} rows have a NULL {options.column}: no distance, never a result)")
        raise InvalidArgumentError(f"k={options.k} is larger than the {with_vector} {which}: "
                                   f"use k <= {with_vector}")


def half_overflow(table: Any, column: str, error: Exception) -> HalfPrecisionError:
    """The typed error for PostgreSQL's "... is out of range for type halfvec" on a stored vector column."""
    from vectorlab.vectordb.connection import first_line

    return HalfPrecisionError(
        f"column {table}.{column} holds a value half precision (halfvec) can't hold, beyond 65,504 "
        f"({first_line(error)}), so quantization='halfvec' can't read it. Fix: use quantization=None or "
        "'binary', or reload the table with the vectors scaled (e.g. to unit length)")


def _run(conn: Any, options: _Options, query: Any) -> tuple[np.ndarray, np.ndarray]:
    from pgvector import HalfVector
    from psycopg.errors import NumericValueOutOfRange

    with transaction(conn) as cursor:
        statement, base_type, dims = _statement(cursor, options)
        queries, single = _check_queries(query, options, dims, base_type)
        _count_for_k(cursor, options)
        wrap: Callable[[np.ndarray], Any] = HalfVector if base_type == "halfvec" else (lambda v: v)
        m, k = len(queries), options.k
        ids = np.full((m, k), -1, dtype=np.int64)
        distances = np.full((m, k), np.nan, dtype=np.float64)
        params: dict[str, Any] = {"k": k, "candidates": options.candidates}
        for name, value in options.settings:
            cursor.execute("SELECT set_config(%s, %s, true)", (name, value))  # SET LOCAL, bound values
        for row, vector in enumerate(queries):
            # prepare=False: psycopg would otherwise prepare a statement run 5 times, and PostgreSQL may
            # then reuse one cached plan whatever enable_seqscan / enable_indexscan say, so exact=True
            # after exact=False (or the reverse) on the same connection would silently be ignored.
            try:
                results = cursor.execute(statement, {"q": wrap(vector), **params}, prepare=False).fetchall()
            except NumericValueOutOfRange as error:  # embedding::halfvec of a stored value beyond 65,504
                raise half_overflow(options.table, options.column, error) from None
            if results:
                found = np.asarray(results, dtype=np.float64)
                ids[row, : len(results)] = found[:, 0].astype(np.int64)
                distances[row, : len(results)] = found[:, 1]
    if single:
        return ids[0], distances[0]
    return ids, distances


def search(conn: psycopg.Connection[Any], table: str, query: Any, k: int = 10, operator: str = "<=>", *,
           column: str = "embedding", quantization: str | None = None, exact: bool | None = None,
           ef_search: int | None = None, probes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` rows nearest to each query: ``SELECT id, embedding <=> q ... ORDER BY ... LIMIT k``.

    Rows whose vector is NULL (a table filled outside :func:`load_table`) have no distance and are never
    results (``WHERE embedding IS NOT NULL``); ``k`` counts only the rows that have one.

    :param query: one vector ``(dims,)`` or a batch ``(m, dims)`` (one SQL query each); never a zero
        vector. For ``"<=>"`` the unit vector is sent (the cosine distance does not depend on length).
    :param k: at most the table's number of rows.
    :param operator: ``"<=>"`` cosine distance, ``"<#>"`` negative inner product, ``"<->"`` L2,
        ``"<+>"`` L1 (see :data:`OPERATORS`).
    :param quantization: ``"halfvec"`` compares ``embedding::halfvec`` (matches a halfvec index);
        ``"binary"`` compares ``binary_quantize(embedding)`` codes with Hamming ``<~>`` (distances are
        numbers of differing bits; ``operator`` is ignored).
    :param exact: True forbids every index scan (exact search, every row compared); False forbids
        sequential scans, so an index is used whenever one matches (approximate); None lets the
        planner choose, which on a small table often means no index.
    :param ef_search: ``hnsw.ef_search`` (1-1000) for these queries (HNSW candidate list; at most this
        many rows come back). :param probes: ``ivfflat.probes`` (IVFFlat lists visited).
    :return: ``(ids, distances)``, nearest first; ids are the ``id`` column (row numbers of the loaded
        arrays), padded with -1 (distance NaN) when an index returns fewer than ``k`` rows.
    :raises DimensionMismatchError: the query's dims differ from the column's.
    """
    options = _options(table, k, operator, column=column, quantization=quantization, candidates=None,
                       exact=exact, ef_search=ef_search, probes=probes)
    return _run(conn, options, query)


def search_rescored(conn: psycopg.Connection[Any], table: str, query: Any, k: int = 10, operator: str = "<=>", *,
                    candidates: int = 40, quantization: str = "binary", column: str = "embedding",
                    exact: bool | None = None, ef_search: int | None = None,
                    probes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Oversampling + rescoring in one SQL query: shortlist ``candidates`` rows by the quantized distance
    (``"binary"``: Hamming ``<~>`` on ``binary_quantize()``; or ``"halfvec"``), then return the ``k``
    best of them by the full-precision ``operator``. Distances returned are full-precision ones.

    ``exact=False`` makes the shortlist come from a matching index (HNSW or IVFFlat on the binary
    codes); for HNSW ``ef_search`` should then be at least ``candidates`` or the index returns fewer
    rows; for IVFFlat ``probes`` sets how many lists the shortlist is drawn from.
    """
    check_quantization(quantization, ("binary", "halfvec"))
    options = _options(table, k, operator, column=column, quantization=quantization, candidates=candidates,
                       exact=exact, ef_search=ef_search, probes=probes)
    return _run(conn, options, query)


def search_sql(conn: psycopg.Connection[Any], table: str, k: int = 10, operator: str = "<=>", *,
               column: str = "embedding", quantization: str | None = None, candidates: int | None = None) -> str:
    """The SQL text :func:`search` (or, with ``candidates``, :func:`search_rescored`) sends, with its
    placeholders: ``%(q)s`` the query vector, ``%(k)s`` and ``%(candidates)s`` bound numbers."""
    options = _options(table, k, operator, column=column, quantization=quantization, candidates=candidates)
    with transaction(conn) as cursor:
        statement, *_ = _statement(cursor, options)
        return str(statement.as_string(cursor))


def search_plan(conn: psycopg.Connection[Any], table: str, query: Any, k: int = 10, operator: str = "<=>", *,
                column: str = "embedding", quantization: str | None = None, exact: bool | None = None,
                ef_search: int | None = None, probes: int | None = None, candidates: int | None = None) -> str:
    """PostgreSQL's plan (``EXPLAIN``) for the query :func:`search` (or, with ``candidates``,
    :func:`search_rescored`) would run: shows whether an index is used, and which."""
    from pgvector import HalfVector
    from psycopg import sql

    options = _options(table, k, operator, column=column, quantization=quantization, candidates=candidates,
                       exact=exact, ef_search=ef_search, probes=probes)
    with transaction(conn) as cursor:
        statement, base_type, dims = _statement(cursor, options)
        queries, _ = _check_queries(query, options, dims, base_type)
        vector = HalfVector(queries[0]) if base_type == "halfvec" else queries[0]
        for name, value in options.settings:
            cursor.execute("SELECT set_config(%s, %s, true)", (name, value))
        rows = cursor.execute(sql.SQL("EXPLAIN (COSTS OFF) {}").format(statement),
                              {"q": vector, "k": options.k, "candidates": options.candidates}).fetchall()
    plan = "\n".join(row[0] for row in rows)
    # The query vector appears in full (384 numbers, or 384 bits): shorten it so the plan stays readable.
    plan = re.sub(r"'\[([^,\]]*),[^\]]*\]'", r"'[\1,...]'", plan)
    return re.sub(r"'([01]{8})[01]{8,}'", r"'\1...'", plan)
