"""Connecting: ``DATABASE_URL`` or the embedded server, clear messages without the password, one thread each.

The threading rule: **a connection belongs to the thread that opened it.** psycopg serialises the
messages of a shared connection, but not the transactions: four threads on one connection nest each
other's transactions (``OutOfOrderTransactionNesting``), one thread's ``SET LOCAL enable_indexscan = off``
(``exact=True``) leaks into another's query, and the connection can be left inside a transaction. So a
connection from :func:`connect` raises :class:`WrongThreadError` when another thread uses it (its
``execute``, ``cursor``, ``transaction``, ``commit``, ``rollback``, and every function of this package);
open one connection per thread with :func:`connect` instead (cheap: a Unix socket for the embedded
server). A plain psycopg connection passed to this package is bound to the first thread that uses it, and
gets pgvector's types registered on that first use (as :func:`connect` does).

Every function of this package runs its statements inside ``conn.transaction()``: on an autocommit
connection that is one transaction, committed or rolled back before the function returns; inside a
transaction of your own it is a savepoint. Either way the connection is never left in a transaction
it was not in before.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any, TypeVar, cast

import psycopg

from vectorlab._validation import check_positive_int
from vectorlab.errors import redact
from vectorlab.vectordb.errors import (
    ArgumentTypeError,
    DatabaseConnectionError,
    ExtensionMissingError,
    InvalidArgumentError,
    WrongThreadError,
)

__all__ = ["connect", "configured_database_url", "server_info", "Connection", "checked", "transaction"]


def first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def _wrong_thread(owner: int) -> WrongThreadError:
    return WrongThreadError(
        f"this database connection was opened in thread {owner} and is used from thread "
        f"{threading.get_ident()} ({threading.current_thread().name}): a connection serves one thread (shared, "
        "transactions and settings such as exact=True mix between threads). Fix: open one connection per "
        "thread with vectordb.connect()"
    )


_Method = TypeVar("_Method", bound=Callable[..., Any])


def _owner_thread_only(method: _Method) -> _Method:
    """psycopg's ``method``, run only after ``self._check_thread()`` (psycopg's own signature and types)."""

    @functools.wraps(method)
    def checked(self: Any, *args: Any, **kwargs: Any) -> Any:
        self._check_thread()
        return method(self, *args, **kwargs)

    return cast(_Method, checked)


class _ThreadBoundCursor(psycopg.Cursor[Any]):
    """A cursor that refuses to run statements from another thread than its connection's."""

    def _check_thread(self) -> None:
        self.connection._check_thread()  # type: ignore[attr-defined]

    execute = _owner_thread_only(psycopg.Cursor.execute)
    executemany = _owner_thread_only(psycopg.Cursor.executemany)
    copy = _owner_thread_only(psycopg.Cursor.copy)
    stream = _owner_thread_only(psycopg.Cursor.stream)


class Connection(psycopg.Connection[Any]):
    """A psycopg connection bound to the thread that opened it (see the module's threading rule).

    Everything else is psycopg's :class:`psycopg.Connection`; ``close()`` works from any thread.
    """

    owner_thread: int | None = None

    def _check_thread(self) -> None:
        if self.owner_thread is not None and threading.get_ident() != self.owner_thread:
            raise _wrong_thread(self.owner_thread)

    cursor = _owner_thread_only(psycopg.Connection.cursor)
    execute = _owner_thread_only(psycopg.Connection.execute)
    transaction = _owner_thread_only(psycopg.Connection.transaction)
    pipeline = _owner_thread_only(psycopg.Connection.pipeline)
    commit = _owner_thread_only(psycopg.Connection.commit)
    rollback = _owner_thread_only(psycopg.Connection.rollback)


# Plain psycopg connections handed to this package: the thread that first used each one.
_FOREIGN_OWNERS: weakref.WeakKeyDictionary[psycopg.Connection[Any], int] = weakref.WeakKeyDictionary()
_FOREIGN_LOCK = threading.Lock()


def checked(conn: Any) -> psycopg.Connection[Any]:
    """Check that ``conn`` is an open psycopg connection, used from its own thread, not in a failed
    transaction; return it."""
    if not isinstance(conn, psycopg.Connection):
        raise ArgumentTypeError(f"conn must be a connection from vectordb.connect(), got {type(conn).__name__}")
    first_use = False
    if isinstance(conn, Connection):
        conn._check_thread()
    else:
        with _FOREIGN_LOCK:
            first_use = conn not in _FOREIGN_OWNERS
            owner = _FOREIGN_OWNERS.setdefault(conn, threading.get_ident())
        if owner != threading.get_ident():
            raise _wrong_thread(owner)
    if conn.closed:
        raise DatabaseConnectionError("the connection is closed: open a new one with vectordb.connect()")
    if conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR:
        raise DatabaseConnectionError("a statement failed inside your open transaction on this connection, so "
                                      "PostgreSQL ignores everything until it ends: call conn.rollback() first")
    if first_use:
        _register_pgvector(conn)
    return conn


def _register_pgvector(conn: psycopg.Connection[Any]) -> None:
    """Teach a plain psycopg connection pgvector's types (as :func:`connect` does), so numpy arrays bind as
    vectors instead of failing with psycopg's "cannot adapt type 'ndarray'"."""
    from pgvector.psycopg import register_vector

    try:
        with conn.transaction():  # leaves the connection in the transaction state it was found in
            register_vector(conn)
    except psycopg.ProgrammingError as error:  # pgvector's "vector type not found in the database"
        with _FOREIGN_LOCK:
            _FOREIGN_OWNERS.pop(conn, None)  # checked again, and registered, on the next call
        problem = first_line(error)
    else:
        return
    raise ExtensionMissingError(
        f"this connection's database has no vector extension ({problem}). Fix: run CREATE EXTENSION vector in "
        "it, or open the connection with vectordb.connect(), which does that and registers pgvector's types"
    )


@contextlib.contextmanager
def transaction(conn: Any) -> Iterator[psycopg.Cursor[Any]]:
    """A cursor inside ``conn.transaction()`` after :func:`checked`: committed or rolled back on exit."""
    conn = checked(conn)
    with conn.transaction(), conn.cursor() as cursor:
        yield cursor


# --------------------------------------------------------------------------------------------------
# Opening
# --------------------------------------------------------------------------------------------------


def _url_password(conninfo: str) -> str | None:
    """The password of a ``scheme://user:password@host`` URL as its author meant it: up to the *last* ``@``
    (libpq stops at the first), with any unencoded spaces, ``@``, ``:`` or ``/``, so that it can be hidden
    even when libpq misreads or refuses the URL."""
    scheme, found, rest = conninfo.strip().partition("://")
    before_query = rest.split("?", 1)[0]
    if "@" in before_query:  # a '?' after the host starts the query, whose values may hold an '@' too
        rest = before_query
    if not found or "@" not in rest:
        return None
    userinfo = rest.rsplit("@", 1)[0]
    return userinfo.split(":", 1)[1] if ":" in userinfo else None


_ENCODE_FIX = ("Fix: percent-encode the special characters of the user name and password (@ as %40, / as %2F, "
               ": as %3A, a space as %20; urllib.parse.quote(password, safe='') does it), in the form "
               "postgresql://USER:PASSWORD@HOST:PORT/DBNAME")


def _misread_userinfo(conninfo: str) -> str | None:
    """What makes libpq misread the user name and password of a ``postgresql://`` URL, or None.

    libpq ends the userinfo at the *first* ``@`` (the rest of a password holding an ``@`` becomes the host
    name), looks for it only before the first ``/`` (a password holding a ``/`` becomes host, port and
    database), and refuses spaces by quoting the value. Found before anything is sent, so neither the
    driver's messages nor its debug log ever see a piece of the password as a host name. The problem is
    described by its characters, never by the text around them.
    """
    from psycopg.conninfo import conninfo_to_dict

    scheme, found, rest = conninfo.strip().partition("://")
    if not found or scheme.lower() not in ("postgresql", "postgres"):
        return None
    region = rest.split("?", 1)[0]
    at_signs = region.count("@")
    problems = []
    if at_signs > 1:
        problems.append(f"it has {at_signs} '@' signs before the host: libpq ends the user name and password at "
                        "the first one and reads the rest of the password as the host name")
    elif at_signs == 1 and "/" in region[: region.index("@")]:
        problems.append("a '/' comes before the '@': libpq looks for the user name and password only before the "
                        "first '/', and reads them as host, port and database instead")
    if at_signs and any(char.isspace() for char in region[: region.rindex("@")]):
        problems.append("the user name or password holds a space")
    if problems:
        return "; ".join(problems)
    try:
        params = conninfo_to_dict(conninfo)
    except Exception:  # noqa: BLE001 - libpq's own complaint is reported (redacted) by the caller
        return None
    if "@" in str(params.get("host") or "") and not str(params.get("host")).startswith("/"):
        return ("the host name libpq reads holds an '@': the password (or user name) holds an unencoded '@', and "
                "libpq ends it at the first one")
    if not all(part.strip().isdigit() for part in str(params.get("port") or "0").split(",") if part.strip()):
        return ("the port libpq reads is not a number: a ':' or '/' in the password (or user name) makes libpq "
                "read part of it as host and port")
    return None


def _describe_target(conninfo: str) -> tuple[str, list[str]]:
    """A printable description of where ``conninfo`` points (never the password), and the secrets in it."""
    from urllib.parse import unquote

    from psycopg.conninfo import conninfo_to_dict

    raw = _url_password(conninfo)
    secrets = [raw, unquote(raw)] if raw else []
    try:
        params = conninfo_to_dict(conninfo)
    except Exception:  # noqa: BLE001 - unparsable: described as such
        return "an unparsable connection string", secrets
    if params.get("password"):
        secrets.append(str(params["password"]))
    host = str(params.get("host") or params.get("hostaddr") or "localhost (Unix socket)")
    if host.startswith("/"):
        host = "a Unix socket"
    port = params.get("port")
    where = f"{host}:{port}" if port else host
    database = params.get("dbname") or params.get("user")
    if database:
        where += f", database {database}"
    return redact(where, secrets), secrets


def _open_connection(conninfo: str, source: str, connect_timeout: int) -> Connection:
    from psycopg.conninfo import conninfo_to_dict

    misread = _misread_userinfo(conninfo)
    if misread is not None:
        raise DatabaseConnectionError(f"{source} is not a valid PostgreSQL connection string ({misread}). "
                                      f"{_ENCODE_FIX}")
    where, secrets = _describe_target(conninfo)
    kwargs: dict[str, Any] = {"autocommit": True, "cursor_factory": _ThreadBoundCursor}
    # Each error is raised after its ``except`` block, not inside it: ``raise ... from None`` only hides
    # psycopg's exception from tracebacks, it still keeps it in ``__context__``, where its message and its
    # connection record (``pgconn.info``) hold the password.
    problem: str | None = None
    try:
        if "connect_timeout" not in conninfo_to_dict(conninfo):
            kwargs["connect_timeout"] = connect_timeout
    except psycopg.ProgrammingError as error:
        problem = redact(first_line(error), secrets)
    if problem is not None:
        raise DatabaseConnectionError(
            f"{source} is not a valid PostgreSQL connection string ({problem}). "
            f"{_ENCODE_FIX}"
        )
    try:
        conn = Connection.connect(conninfo, **kwargs)
    except psycopg.OperationalError as error:
        problem = redact(first_line(error), secrets)
    if problem is not None:
        if source == "the embedded server":
            fix = ("Fix: call vectordb.stop_embedded() and connect() again; if that fails, delete the .pgdata "
                   "folder in the project root (it is rebuilt on the next run)")
        else:
            fix = (f"Fix: check that the server is running and reachable from here and that {source} is right "
                   "(postgresql://USER:PASSWORD@HOST:PORT/DBNAME; cloud servers usually also need "
                   "?sslmode=require and a firewall rule for your IP); or remove DATABASE_URL (from the "
                   "environment and .env) to use the embedded PostgreSQL")
        raise DatabaseConnectionError(
            f"could not connect to PostgreSQL at {where} (from {source}): {problem}. {fix}"
        )
    conn.owner_thread = threading.get_ident()
    return conn


def _ensure_vector_extension(conn: Any) -> None:
    """``CREATE EXTENSION IF NOT EXISTS vector`` with one clear message when it can't be done."""
    installed = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone()
    if installed:
        return
    try:
        with conn.transaction():
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    except psycopg.errors.InsufficientPrivilege as error:
        raise ExtensionMissingError(
            f"the vector extension is not enabled in this database and this user may not create it "
            f"({first_line(error)}). Fix: ask the database owner to run 'CREATE EXTENSION vector' in it (on "
            "Azure Database for PostgreSQL, first add VECTOR to the azure.extensions parameter); or remove "
            "DATABASE_URL (environment and .env) to use the embedded PostgreSQL"
        ) from None
    except psycopg.OperationalError:
        raise  # the connection itself failed: not about the extension
    except psycopg.DatabaseError as error:  # not available: UndefinedFile, FeatureNotSupported, ...
        raise ExtensionMissingError(
            f"the vector extension is not installed on this server ({first_line(error)}). Fix: install "
            "pgvector (https://github.com/pgvector/pgvector#installation), or on a managed service enable it "
            "(e.g. Azure Database for PostgreSQL: add VECTOR to the azure.extensions parameter), then run "
            "CREATE EXTENSION vector; or remove DATABASE_URL (environment and .env) to use the embedded "
            "PostgreSQL, which ships it"
        ) from None


def _configured_url() -> tuple[str | None, str]:
    """``DATABASE_URL`` from the environment, else from ``.env`` at the project root (read as ``API_HOST`` is,
    by :func:`vectorlab.embed.hosts.load_environment`), with where it came from."""
    from vectorlab.embed.hosts import load_environment

    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"], "DATABASE_URL"
    url = load_environment().get("DATABASE_URL") or None
    return url, "DATABASE_URL in .env" if url else ""


def configured_database_url() -> str | None:
    """The ``DATABASE_URL`` that :func:`connect` will use (environment, then ``.env``), or None for the
    embedded server. It may hold a password: don't print it."""
    return _configured_url()[0]


def connect(database_url: str | None = None, *, data_dir: str | os.PathLike[str] | None = None,
            connect_timeout: int = 10) -> Connection:
    """Open an autocommit connection with the pgvector types registered (numpy arrays bind as vectors),
    bound to the calling thread (see the threading rule above).

    :param database_url: where to connect; default ``DATABASE_URL`` (from the environment, else from
        ``.env`` at the project root), and without it the embedded server (started on first use in
        ``data_dir``, default ``<project root>/.pgdata``).
    :param connect_timeout: seconds before an unreachable server is reported (unless the URL sets it).
    :raises DatabaseConnectionError: the server is unreachable or refuses us (the message names the
        host, never the password, and says what to fix).
    :raises ExtensionMissingError: pgvector is not available in that database.
    """
    from pgvector.psycopg import register_vector

    from vectorlab.vectordb.server import start_embedded

    if database_url is not None and not isinstance(database_url, str):
        raise ArgumentTypeError(f"database_url must be a string, got {type(database_url).__name__}")
    connect_timeout = check_positive_int(connect_timeout, "connect_timeout", invalid=InvalidArgumentError,
                                         wrong_type=ArgumentTypeError)
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


def server_info(conn: Any) -> dict[str, str]:
    """PostgreSQL and pgvector versions, for a notebook to show which server it talks to."""
    with transaction(conn) as cursor:
        row = cursor.execute(
            "SELECT current_setting('server_version'), "
            "(SELECT extversion FROM pg_extension WHERE extname = 'vector'), current_database()"
        ).fetchone()
    assert row is not None  # a SELECT without FROM returns one row
    return {"postgresql": row[0], "pgvector": row[1], "database": row[2]}


