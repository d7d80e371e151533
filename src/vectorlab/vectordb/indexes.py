"""Vector indexes (HNSW, IVFFlat) matching :func:`~vectorlab.vectordb.search`'s SQL, and on-disk sizes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from vectorlab._files import pretty_size
from vectorlab.vectordb.connection import transaction
from vectorlab.vectordb.errors import IndexLimitError, InvalidArgumentError, TableNotFoundError
from vectorlab.vectordb.identifiers import check_identifier, index_name, parse_table
from vectorlab.vectordb.queries import OPERATORS, check_operator, check_quantization, check_whole, half_overflow
from vectorlab.vectordb.tables import _column_type, count_of, require_table

if TYPE_CHECKING:
    import pandas as pd
    import psycopg

__all__ = ["create_hnsw_index", "create_ivfflat_index", "drop_indexes", "relation_sizes"]

#: pgvector's ranges for HNSW's m and ef_construction, and IVFFlat's lists.
M_RANGE, EF_CONSTRUCTION_MAX, MAX_LISTS = (2, 100), 1000, 32768

#: The most dimensions pgvector's HNSW and IVFFlat indexes hold, by the type they index (an index page
#: must hold a whole vector: 2,000 float32 or 4,000 float16 values, or 64,000 bits).
MAX_INDEX_DIMENSIONS = {"vector": 2_000, "halfvec": 4_000, "bit": 64_000}


def _check_index_dimensions(table: Any, column: str, method: str, indexed_type: str, dims: int | None) -> None:
    """Refuse, before sending, an index pgvector would refuse with a raw ``ProgramLimitExceeded``."""
    if dims is None and indexed_type in ("vector", "halfvec"):
        raise InvalidArgumentError(
            f"column {table}.{column} is declared without dimensions ({indexed_type}, not {indexed_type}(384)), "
            f"and pgvector's {method} index needs them. Fix: declare them (ALTER TABLE {table} ALTER COLUMN "
            f"{column} TYPE {indexed_type}(n), n the vectors' length), or load the table with "
            "vectordb.load_table(), which does")
    limit = MAX_INDEX_DIMENSIONS.get(indexed_type)
    if limit is None or dims is None or dims <= limit:
        return
    fixes = []
    if dims <= MAX_INDEX_DIMENSIONS["halfvec"]:
        fixes.append("index it in half precision, up to 4,000 dimensions (quantization='halfvec', or load the "
                     "table with vector_type='halfvec')")
    fixes.append("reduce the dimensions before loading, as notebook 06 teaches (MRL truncation with "
                 "dimensions= when embedding, or PCA)")
    fixes.append("shortlist with a binary index, up to 64,000 (quantization='binary', then "
                 "search_rescored)")
    raise IndexLimitError(
        f"column {table}.{column} has {dims:,} dimensions, but pgvector's {method} index holds {indexed_type} "
        f"values of at most {limit:,} dimensions. Fix: " + "; or ".join(fixes))


def _create_index(conn: Any, table: str, method: str, column: Any, operator: Any, quantization: Any,
                  with_options: dict[str, int], name: Any) -> str:
    from psycopg import sql
    from psycopg.errors import NumericValueOutOfRange

    parsed = parse_table(table)
    column = check_identifier(column, "column name")
    operator = check_operator(operator)
    quantization = check_quantization(quantization)
    if name is not None:
        name = check_identifier(name, "index name")
    with transaction(conn) as cursor:
        schema, relname = require_table(cursor, parsed)
        base_type, dims = _column_type(cursor, parsed, column)
        col = sql.Identifier(column)
        typmod = sql.SQL("({})").format(sql.Literal(dims)) if dims else sql.SQL("")
        suffix = OPERATORS[operator][1]
        target: Any
        if quantization == "binary":
            target = sql.SQL("(binary_quantize({})::bit{})").format(col, typmod)
            opclass = kind = "bit_hamming_ops"
        elif quantization == "halfvec":
            target = sql.SQL("({}::halfvec{})").format(col, typmod)
            opclass = kind = f"halfvec_{suffix}"
        else:
            target, opclass, kind = col, f"{base_type}_{suffix}", suffix
        indexed_type = {"binary": "bit", "halfvec": "halfvec"}.get(quantization or "", base_type)
        _check_index_dimensions(parsed, column, method, indexed_type, dims)
        # Derived names carry a hash of (schema, table, column, method, kind): never cut, never shared.
        name = name or index_name(schema, relname, column, method, kind)
        options = sql.SQL(", ").join(sql.SQL("{} = {}").format(sql.Identifier(key), sql.Literal(value))
                                     for key, value in with_options.items())
        cursor.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(schema, name)))
        try:
            cursor.execute(sql.SQL("CREATE INDEX {name} ON {table} USING {method} ({target} {opclass}) "
                                   "WITH ({options})")
                           .format(name=sql.Identifier(name), table=sql.Identifier(schema, relname),
                                   method=sql.SQL(method), target=target, opclass=sql.Identifier(opclass),
                                   options=options))
        except NumericValueOutOfRange as error:  # embedding::halfvec of a stored value beyond 65,504
            raise half_overflow(parsed, column, error) from None
    return str(name)


def create_hnsw_index(conn: psycopg.Connection[Any], table: str, operator: str = "<=>", *, m: int = 16,
                      ef_construction: int = 64, column: str = "embedding", quantization: str | None = None,
                      name: str | None = None) -> str:
    """Build an HNSW index usable by :func:`search` with the same ``operator`` and ``quantization``.

    ``m`` (links per node, 2-100) and ``ef_construction`` (candidate list while building, 2*m to 1000)
    default to pgvector's defaults; at query time ``hnsw.ef_search`` (see ``search(ef_search=...)``)
    trades speed for recall. The name is derived from the table, column, method and operator class,
    cut to fit 63 bytes and followed by a short hash, so it never collides with another's; the same
    index asked for again (other ``m``, say) replaces the previous one. Returns the index name.

    pgvector indexes at most 2,000 dimensions of ``vector``, 4,000 of ``halfvec`` and 64,000 bits
    (:data:`MAX_INDEX_DIMENSIONS`): more is an :class:`IndexLimitError` naming the fix, before anything
    is sent. Rows whose vector is NULL are left out of the index (and of every search).
    """
    options = {"m": check_whole(m, "m", *M_RANGE),
               "ef_construction": check_whole(ef_construction, "ef_construction", 4, EF_CONSTRUCTION_MAX)}
    if options["ef_construction"] < 2 * options["m"]:
        raise InvalidArgumentError(f"ef_construction must be at least 2 * m ({2 * options['m']}), got "
                                   f"{ef_construction}: raise it or lower m")
    return _create_index(conn, table, "hnsw", column, operator, quantization, options, name)


def create_ivfflat_index(conn: psycopg.Connection[Any], table: str, operator: str = "<=>", *,
                         lists: int | None = None, column: str = "embedding",
                         quantization: str | None = None, name: str | None = None) -> str:
    """Build an IVFFlat index (k-means ``lists`` clusters; at query time ``ivfflat.probes`` of them are
    searched). Build it after loading: the clusters are learned from the rows present. ``lists``
    defaults to pgvector's advice, rows / 1000 (sqrt(rows) above a million), at least 1.

    ``quantization="binary"`` clusters the ``binary_quantize()`` codes by Hamming distance
    (``bit_hamming_ops``, pgvector 0.7 or later, as for an HNSW index on them); it can serve the
    shortlist of :func:`search_rescored` (pass ``probes`` there). Names as for :func:`create_hnsw_index`."""
    from vectorlab.vectordb.tables import count_rows

    if lists is None:
        rows = count_rows(conn, table)
        if rows is None:
            raise TableNotFoundError(f"there is no table {table!r}: load it first with vectordb.load_table()")
        lists = max(1, rows // 1000 if rows <= 1_000_000 else int(np.sqrt(rows)))
    return _create_index(conn, table, "ivfflat", column, operator, quantization,
                         {"lists": check_whole(lists, "lists", 1, MAX_LISTS)}, name)


def drop_indexes(conn: psycopg.Connection[Any], table: str) -> list[str]:
    """Drop the table's vector indexes (HNSW and IVFFlat; the primary key stays). Returns their names."""
    from psycopg import sql

    parsed = parse_table(table)
    with transaction(conn) as cursor:
        schema, relname = require_table(cursor, parsed)
        rows = cursor.execute(
            "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "JOIN pg_am am ON am.oid = i.relam WHERE x.indrelid = %s::regclass "
            "AND am.amname IN ('hnsw', 'ivfflat') ORDER BY i.relname",
            (sql.Identifier(schema, relname).as_string(cursor),),
        ).fetchall()
        for (name,) in rows:
            cursor.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(schema, name)))
    return [name for (name,) in rows]


def relation_sizes(conn: psycopg.Connection[Any], table: str) -> pd.DataFrame:
    """Disk size of ``table`` and each of its indexes, from ``pg_relation_size`` (the data files).

    A table's size counts its main file and its TOAST table: PostgreSQL moves a row over ~2 kB (a 512-d
    float32 vector is 2 kB) out of line into TOAST, so the main file alone would hide most of the data.

    Columns: ``relation``, ``kind`` (``table`` or the index method: ``btree``, ``hnsw``, ``ivfflat``),
    ``bytes``, ``size`` (human-readable), ``bytes_per_row`` and, for indexes, the indexed ``definition``
    (what follows ``USING``). PostgreSQL stores data in 8 kB pages, so small tables round up.
    """
    import pandas as pd
    from psycopg import sql

    parsed = parse_table(table)
    with transaction(conn) as cursor:
        schema, relname = require_table(cursor, parsed)
        regclass = sql.Identifier(schema, relname).as_string(cursor)
        n = count_of(cursor, sql.Identifier(schema, relname))
        rows = cursor.execute(
            "SELECT c.relname, 'table', "
            "       pg_relation_size(c.oid) + COALESCE(pg_relation_size(NULLIF(c.reltoastrelid, 0)), 0), '', 0 "
            "FROM pg_class c "
            "WHERE c.oid = %(t)s::regclass "
            "UNION ALL "
            "SELECT i.relname, am.amname, pg_relation_size(i.oid), "
            "       substring(pg_get_indexdef(i.oid) from 'USING (.*)$'), 1 "
            "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_am am ON am.oid = i.relam "
            "WHERE x.indrelid = %(t)s::regclass ORDER BY 5, 1",
            {"t": regclass},
        ).fetchall()
    frame = pd.DataFrame(rows, columns=["relation", "kind", "bytes", "definition", "_order"]).drop(columns="_order")
    frame["bytes"] = frame["bytes"].astype("int64")
    frame["size"] = [pretty_size(b) for b in frame["bytes"]]
    frame["bytes_per_row"] = (frame["bytes"] / n).round(1) if n else np.nan
    return frame[["relation", "kind", "bytes", "size", "bytes_per_row", "definition"]]


