"""Tables of vectors: loading (atomic and idempotent), counting, reading, and finding a table by name."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from vectorlab._validation import as_matrix, check_choice, check_positive_int
from vectorlab.vectordb.connection import checked, transaction
from vectorlab.vectordb.errors import (
    ArgumentTypeError,
    HalfPrecisionError,
    InvalidArgumentError,
    NotATableError,
    SchemaNotFoundError,
    TableNotFoundError,
)
from vectorlab.vectordb.identifiers import TableName, check_identifier, parse_table

if TYPE_CHECKING:
    import pandas as pd
    import psycopg

__all__ = ["load_table", "count_rows", "count_of", "column_type", "read_frame", "find_table", "require_table",
           "MAX_DIMENSIONS", "RESERVED_COLUMNS", "MAX_HALF", "MAX_HALF_TURN_DEGREES", "check_half_precision"]

RESERVED_COLUMNS = ("id", "key", "embedding")
#: pgvector's limit for a stored vector or halfvec.
MAX_DIMENSIONS = 16_000


# --------------------------------------------------------------------------------------------------
# Finding a table
# --------------------------------------------------------------------------------------------------


def find_table(cursor: psycopg.Cursor[Any], table: TableName) -> tuple[str, str] | None:
    """``(schema, table)`` as PostgreSQL resolves the name (the search path for a bare name), or None."""
    row = cursor.execute(
        "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.oid = to_regclass(%s) AND c.relkind IN ('r', 'p')",
        (table.identifier().as_string(cursor),),
    ).fetchone()
    return (row[0], row[1]) if row else None


def _check_schema(cursor: psycopg.Cursor[Any], table: TableName) -> None:
    if table.schema is not None and cursor.execute(
            "SELECT 1 FROM pg_namespace WHERE nspname = %s", (table.schema,)).fetchone() is None:
        raise SchemaNotFoundError(
            f"there is no schema {table.schema!r} for table {str(table)!r} (the part before the dot names the "
            f"schema): create it with CREATE SCHEMA, or use a table name without a dot")


_RELATION_KINDS = {"v": "a view", "m": "a materialized view", "S": "a sequence", "f": "a foreign table",
                   "i": "an index", "I": "a partitioned index", "c": "a composite type", "t": "a TOAST table"}
_SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")


def _check_replaceable(cursor: psycopg.Cursor[Any], table: TableName) -> None:
    """Refuse a name that PostgreSQL resolves to something :func:`load_table` must not drop: a view, a
    sequence, ... (``DROP TABLE`` would fail with a raw ``WrongObjectType``) or a system catalog (a bare
    ``pg_class`` resolves to ``pg_catalog.pg_class`` before any schema of yours)."""
    row = cursor.execute(
        "SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.oid = to_regclass(%s)",
        (table.identifier().as_string(cursor),),
    ).fetchone()
    if row is None:
        if table.schema in _SYSTEM_SCHEMAS or (table.schema or "").startswith("pg_toast"):
            raise NotATableError(
                f"table name {str(table)!r} is in {table.schema}, PostgreSQL's own system schema, where load_table "
                "must not create tables. Fix: use a schema of yours (e.g. 'public."
                f"{table.name}')")
        return
    schema, relname, kind = row
    if schema in _SYSTEM_SCHEMAS or schema.startswith("pg_toast"):
        raise NotATableError(
            f"table name {str(table)!r} names {schema}.{relname}, a system catalog of PostgreSQL, which "
            "load_table must not replace. Fix: choose another name, or qualify it with your schema "
            f"(e.g. 'public.{relname}')")
    if kind not in ("r", "p"):
        what = _RELATION_KINDS.get(kind, f"a relation of kind {kind!r}")
        raise NotATableError(
            f"table name {str(table)!r} names {schema}.{relname}, which is {what}, not a table: load_table "
            "replaces only tables it can drop. Fix: choose another name (or drop it yourself if it is no "
            "longer needed)")


def require_table(cursor: psycopg.Cursor[Any], table: TableName) -> tuple[str, str]:
    """Like :func:`find_table`, but a missing schema or table is a clear error."""
    found = find_table(cursor, table)
    if found is None:
        _check_schema(cursor, table)
        raise TableNotFoundError(f"there is no table {str(table)!r}: load it first with vectordb.load_table()")
    return found


def count_of(cursor: psycopg.Cursor[Any], identifier: Any) -> int:
    """``SELECT count(*)`` of a table given as a composed SQL identifier."""
    from psycopg import sql

    row = cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(identifier)).fetchone()
    assert row is not None  # count(*) always returns one row
    return int(row[0])


def count_rows(conn: psycopg.Connection[Any], table: str) -> int | None:
    """Rows in ``table``, or None if there is no such table."""

    name = parse_table(table)
    with transaction(conn) as cursor:
        if find_table(cursor, name) is None:
            return None
        return count_of(cursor, name.identifier())


def column_type(conn: psycopg.Connection[Any], table: str, column: str = "embedding") -> tuple[str, int | None]:
    """The column's type name and dimensions as declared, e.g. ``("vector", 384)`` or ``("halfvec", 384)``."""
    name = parse_table(table)
    column = check_identifier(column, "column name")
    with transaction(conn) as cursor:
        return _column_type(cursor, name, column)


def _column_type(cursor: psycopg.Cursor[Any], table: TableName, column: str) -> tuple[str, int | None]:
    schema, relname = require_table(cursor, table)
    row = cursor.execute(
        "SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = %s "
        "AND a.attname = %s AND a.attnum > 0 AND NOT a.attisdropped",
        (schema, relname, column),
    ).fetchone()
    if row is None:
        raise TableNotFoundError(f"table {str(table)!r} has no column {column!r}: pass column= the name of its "
                                 "vector column (load_table names it 'embedding')")
    match = re.fullmatch(r"([\w ]+?)(?:\((\d+)\))?", row[0])
    if match is None:
        return row[0], None
    return match.group(1), int(match.group(2)) if match.group(2) else None


def read_frame(conn: psycopg.Connection[Any], query: Any,
               params: Mapping[str, Any] | Sequence[Any] | None = None) -> pd.DataFrame:
    """Run a SELECT with bound ``params`` and return its rows as a DataFrame (for notebooks)."""
    import pandas as pd
    from psycopg import sql

    if not isinstance(query, (str, sql.Composable)):
        raise ArgumentTypeError(f"query must be SQL text (a str), got {type(query).__name__}")
    with transaction(conn) as cursor:
        cursor.execute(query, params)  # type: ignore[arg-type]  # a str or a psycopg.sql composition
        columns = [column.name for column in cursor.description or []]
        return pd.DataFrame(cursor.fetchall(), columns=columns)


# --------------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------------


def _check_text(value: str, what: str) -> str:
    if "\x00" in value:
        raise InvalidArgumentError(f"{what} contains a NUL character (\\x00), which PostgreSQL text can't hold: "
                                   "remove it")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidArgumentError(f"{what} is not valid Unicode (a lone surrogate such as '\\ud800'): "
                                   "fix the text, e.g. decode its bytes with errors='replace'") from None
    return value


def _check_keys(keys: Any, n: int) -> list[str]:
    if isinstance(keys, (str, bytes)) or not isinstance(keys, Iterable) or isinstance(keys, Mapping):
        raise ArgumentTypeError(f"keys must be a list of strings, one per vector, got {type(keys).__name__} "
                                f"{keys!r:.60}: for one vector, pass a list of one key")
    texts: list[str] = list(keys)  # checked to be strings just below
    for i, key in enumerate(texts):
        if not isinstance(key, str):
            raise ArgumentTypeError(f"keys[{i}] is {type(key).__name__} {key!r:.60}, not a string: keys are the "
                                    "texts of the vectors (convert them with str() first if that is meant)")
        _check_text(key, f"keys[{i}] {key!r:.60}")
    if len(texts) != n:
        raise InvalidArgumentError(f"{len(texts)} keys but {n} vectors: they must pair up one to one")
    if len(set(texts)) != n:
        seen: set[str] = set()
        duplicate = next(key for key in texts if key in seen or seen.add(key))  # type: ignore[func-returns-value]
        raise InvalidArgumentError(f"keys must be unique (the key column is UNIQUE), but {duplicate!r:.60} "
                                   "appears more than once: remove the duplicates")
    return texts


def _check_vectors(values: Any) -> np.ndarray:
    vectors = as_matrix(values, "vectors")
    if vectors.shape[1] > MAX_DIMENSIONS:
        raise InvalidArgumentError(f"vectors have {vectors.shape[1]} dimensions; pgvector stores at most "
                                   f"{MAX_DIMENSIONS}: reduce them (e.g. dimensions= when embedding)")
    with np.errstate(over="ignore", under="ignore"):
        squared = np.einsum("ij,ij->i", vectors, vectors)  # float32, as pgvector computes norms
    bad = np.flatnonzero(~np.isfinite(squared) | (squared == 0))
    if bad.size:
        i = int(bad[0])
        problem = "is all zeros (or too small to square in float32)" if squared[i] == 0 else \
            "is too large to square in float32"
        raise InvalidArgumentError(f"vector {i} {problem}: pgvector's cosine distance to it would be NaN, ranking "
                                   "it arbitrarily. Fix: remove it, or scale the vectors (e.g. to unit length)")
    return vectors


def _missing(value: Any) -> bool:
    """None, NaN, ``pd.NA`` or ``pd.NaT``: stored as SQL NULL."""
    if value is None:
        return True
    try:
        import pandas as pd

        missing = pd.isna(value)
    except (ImportError, TypeError, ValueError):
        return False
    return isinstance(missing, (bool, np.bool_)) and bool(missing)


#: The largest value half precision (``halfvec``, IEEE float16) holds; from 65,520 a value rounds to infinity.
MAX_HALF = 65_504.0
#: How far (degrees) a vector may turn when rounded to half precision: a unit vector turns by less than
#: 0.03 degrees; a vector of tiny values turns far more (values below 6.1e-5 lose digits, below 3e-8 become 0).
MAX_HALF_TURN_DEGREES = 1.0


def check_half_precision(vectors: np.ndarray, what: str, *, direction: bool = True) -> None:
    """Refuse vectors that half precision can't hold: a value beyond :data:`MAX_HALF` (it would be infinite:
    pgvector refuses it with a raw ``DataException``), or, with ``direction``, a vector that turns by more
    than :data:`MAX_HALF_TURN_DEGREES` when rounded (all zeros for ``[1e-8, 1e-8]``: cosine distance NaN,
    ranked last). ``what`` names a row in the message (``"vector"`` gives "vector 3")."""
    with np.errstate(over="ignore"):
        half = vectors.astype(np.float16)
    too_large = np.isinf(half)
    if too_large.any():
        row, col = (int(i) for i in np.argwhere(too_large)[0])
        raise HalfPrecisionError(
            f"{what} {row} holds {float(vectors[row, col]):.6g} (position {col}), beyond {MAX_HALF:,.0f}, the "
            "largest value half precision (halfvec) holds: it would be infinite. Fix: scale the vectors (e.g. to "
            "unit length, as embedding models return them), or keep them in full precision (vector)")
    if not direction:
        return
    original, rounded = vectors.astype(np.float64), half.astype(np.float64)
    norms = np.linalg.norm(original, axis=1) * np.linalg.norm(rounded, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cosine = np.einsum("ij,ij->i", original, rounded) / norms
    turn = np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0)))
    lost = ~(turn <= MAX_HALF_TURN_DEGREES) & (np.linalg.norm(original, axis=1) > 0)  # NaN: rounded to zero
    if lost.any():
        row = int(np.flatnonzero(lost)[0])
        biggest = float(np.abs(original[row]).max())
        problem = (f"is all zeros in half precision (its largest value, {biggest:.3g}, is below 3e-8): it has no "
                   "direction there, so its cosine distance is NaN and it ranks last"
                   if not np.isfinite(turn[row]) else
                   f"turns by {turn[row]:.3g} degrees when rounded to half precision (its largest value is "
                   f"{biggest:.3g}; values below 6.1e-5 lose digits, below 3e-8 become 0)")
        raise HalfPrecisionError(f"{what} {row} {problem}. Fix: scale the vectors to unit length before storing "
                                 "or searching them as halfvec, or keep them in full precision (vector)")


def _column_type_for(values: Sequence[Any] | np.ndarray) -> str:
    """The SQL type of a column of ``values``, read from the values that are there: None (and NaN) are NULL,
    so ``[1999, None]`` is a ``bigint`` column, not ``text``; a column of nothing but NULLs is ``text``."""
    array = np.asarray(values)
    if array.dtype == object:
        present = [value for value in array.tolist() if not _missing(value)]
        array = np.asarray(present) if present else np.array([], dtype=object)
    if array.dtype.kind == "b":
        return "boolean"
    if array.dtype.kind in "iu":
        return "bigint"
    if array.dtype.kind == "f":
        return "double precision"
    if array.dtype == object and array.size and all(type(value) is int for value in array):
        return "bigint"  # ints beyond 64 bits: refused by _python_value with the fix
    return "text"


def _python_value(value: Any, sql_type: str, what: str) -> Any:
    if _missing(value):
        return None
    if sql_type == "bigint":
        if not -(2**63) <= int(value) < 2**63:
            raise InvalidArgumentError(f"{what} = {value} does not fit PostgreSQL's bigint (64-bit signed): "
                                       "store it as text or as a float")
        return int(value)
    if sql_type == "double precision":
        return float(value)
    if sql_type == "boolean":
        return bool(value)
    return _check_text(str(value), what)


def _check_extra_columns(extra_columns: Any, n: int) -> dict[str, tuple[str, list[Any]]]:
    if extra_columns is None:
        return {}
    if not hasattr(extra_columns, "items"):
        raise ArgumentTypeError("extra_columns must be a mapping {column name: values} or a pandas DataFrame, "
                                f"got {type(extra_columns).__name__}")
    checked_columns: dict[str, tuple[str, list[Any]]] = {}
    for name, values in extra_columns.items():
        check_identifier(name, "extra column name")
        if name in RESERVED_COLUMNS:
            raise InvalidArgumentError(f"extra column {name!r} clashes with a built-in column "
                                       f"({', '.join(RESERVED_COLUMNS)}): rename it")
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            raise ArgumentTypeError(f"extra column {name!r} must be a list of values, one per vector, got "
                                    f"{type(values).__name__}")
        values = list(values)
        if len(values) != n:
            raise InvalidArgumentError(f"extra column {name!r} has {len(values)} values for {n} vectors: they "
                                       "must pair up")
        sql_type = _column_type_for(np.asarray(values) if values else np.array([], dtype=object))
        checked_columns[name] = (sql_type, [_python_value(value, sql_type, f"{name}[{i}]")
                                            for i, value in enumerate(values)])
    return checked_columns


def load_table(conn: psycopg.Connection[Any], table: str, keys: Sequence[str], vectors: Any, *,
               extra_columns: Mapping[str, Sequence[Any]] | pd.DataFrame | None = None,
               vector_type: str = "vector", batch_size: int = 500,
               on_batch: Callable[[int, int], None] | None = None) -> int:
    """(Re)create ``table`` holding ``keys`` and ``vectors`` (and ``extra_columns``), atomically.

    ``table`` is ``"name"`` or ``"schema.name"`` (the schema must exist); every name follows the
    identifier rule (at most 63 bytes, no NUL). Columns: ``id bigint`` (the row number in ``keys``),
    ``key text`` (unique), ``embedding vector(dims)`` (or ``halfvec(dims)`` with
    ``vector_type="halfvec"``: half the storage, for vectors half precision can hold, else
    :class:`HalfPrecisionError`), then the extra columns (``bigint``, ``double precision``, ``boolean``
    or ``text`` from the values that are there: ``None``, NaN and ``pd.NA`` are NULL). A name that
    resolves to a view, a sequence or a system catalog is refused (:class:`NotATableError`), never dropped.

    Everything happens in **one transaction**: drop the old table, create the new one, ``COPY`` the
    rows in binary batches of ``batch_size``, ``ANALYZE``. Running it twice gives the same table (no
    duplicates); an error midway (or one raised by ``on_batch(rows_done, total)``, called after each
    batch) rolls everything back, leaving the previous table as it was, or no table. Indexes on the
    old table go with it: create them after loading. On an autocommit connection (as :func:`connect`
    opens) a ``VACUUM`` follows the commit, releasing pages that ``COPY`` reserved but did not fill.

    :return: the number of rows loaded.
    """
    from pgvector import HalfVector
    from psycopg import sql

    conn = checked(conn)
    name = parse_table(table)
    vectors = _check_vectors(vectors)
    n: int = len(vectors)
    dims: int = vectors.shape[1]
    keys = _check_keys(keys, n)
    vector_type = check_choice(vector_type, ("vector", "halfvec"), "vector_type", invalid=InvalidArgumentError)
    batch_size = check_positive_int(batch_size, "batch_size", invalid=InvalidArgumentError,
                                    wrong_type=ArgumentTypeError)
    if on_batch is not None and not callable(on_batch):
        raise ArgumentTypeError(f"on_batch must be a function (rows_done, total) or None, got "
                                f"{type(on_batch).__name__}")
    if vector_type == "halfvec":
        check_half_precision(vectors, "vector")
    extras = _check_extra_columns(extra_columns, n)

    identifier = name.identifier()
    column_defs = [
        sql.SQL("id bigint PRIMARY KEY"),
        sql.SQL("key text NOT NULL UNIQUE"),
        sql.SQL("embedding {}({}) NOT NULL").format(sql.SQL(vector_type), sql.Literal(dims)),
    ] + [sql.SQL("{} {}").format(sql.Identifier(column), sql.SQL(sql_type))
         for column, (sql_type, _) in extras.items()]
    columns = [sql.Identifier(column) for column in (*RESERVED_COLUMNS, *extras)]
    copy_types = ["int8", "text", vector_type] + [sql_type for sql_type, _ in extras.values()]
    wrap = HalfVector if vector_type == "halfvec" else (lambda v: v)

    with transaction(conn) as cursor:
        _check_schema(cursor, name)
        _check_replaceable(cursor, name)
        cursor.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(identifier))
        cursor.execute(sql.SQL("CREATE TABLE {} ({})").format(identifier, sql.SQL(", ").join(column_defs)))
        copy_statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
            identifier, sql.SQL(", ").join(columns))
        for start in range(0, n, batch_size):
            stop = min(start + batch_size, n)
            with cursor.copy(copy_statement) as copy:
                copy.set_types(copy_types)
                for i in range(start, stop):
                    copy.write_row([i, keys[i], wrap(vectors[i]), *(values[i] for _, values in extras.values())])
            if on_batch is not None:
                on_batch(stop, n)
        cursor.execute(sql.SQL("ANALYZE {}").format(identifier))
    if conn.autocommit:
        # COPY extends a table by many pages at a time (PostgreSQL 16+); VACUUM, which can't run inside
        # a transaction, gives back the unused pages at the end, so pg_relation_size shows the real size.
        conn.execute(sql.SQL("VACUUM {}").format(identifier))
    return n
