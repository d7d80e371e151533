"""Bad inputs to vectorlab.vectordb, table-driven: each must be a typed error whose message names the problem.

Every case runs against the embedded server (one session-wide table of 20 unit vectors, 16 dims) and
asserts both the exception type and a phrase of its message. Cases that could exhaust memory (a
huge ``k`` or ``ef_search``) run in a subprocess, so a regression fails one test instead of the run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest

from vectorlab import vectordb
from vectorlab.vectordb import (
    ArgumentTypeError,
    DatabaseConnectionError,
    DimensionMismatchError,
    HalfPrecisionError,
    IdentifierError,
    IndexLimitError,
    InvalidArgumentError,
    NotATableError,
    SchemaNotFoundError,
    TableNotFoundError,
    VectorDBError,
)

DIMS, ROWS = 16, 20


def unit(n, dims=DIMS, seed=0):
    vectors = np.random.default_rng(seed).standard_normal((n, dims)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def setup():
    """(connection, url, schema, table of ROWS vectors, a scratch table name), all dropped at the end."""
    server = vectordb.EmbeddedServer().start()
    conn = vectordb.connect(server.url)
    schema = f"vectorlab_bad_{uuid.uuid4().hex[:8]}"
    conn.execute(f'CREATE SCHEMA "{schema}"')
    table = f"{schema}.t"
    vectordb.load_table(conn, table, [f"k{i}" for i in range(ROWS)], unit(ROWS))
    try:
        yield conn, server.url, schema, table, f"{schema}.scratch"
    finally:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.close()
        server.stop()


def load(keys=("a", "b"), vectors=None, **kwargs):
    """A load_table call into the scratch table with two good keys and vectors unless told otherwise."""
    return lambda conn, table, scratch: vectordb.load_table(
        conn, scratch, list(keys) if isinstance(keys, tuple) else keys, unit(2) if vectors is None else vectors,
        **kwargs)


def load_named(name):
    return lambda conn, table, scratch: vectordb.load_table(conn, name, ["a"], unit(1))


def find(**kwargs):
    """A search of the session table with one good query unless told otherwise."""
    query = kwargs.pop("query", unit(1, seed=1)[0])
    return lambda conn, table, scratch: vectordb.search(conn, table, query, **kwargs)


def rescore(**kwargs):
    return lambda conn, table, scratch: vectordb.search_rescored(conn, table, unit(1, seed=1)[0], **kwargs)


def hnsw(**kwargs):
    return lambda conn, table, scratch: vectordb.create_hnsw_index(conn, table, **kwargs)


def wide_index(dims, vector_type="vector", method="hnsw", **kwargs):
    """An index over a two-row table of ``dims`` dimensions (a table of its own, beside the scratch one)."""
    def call(conn, table, scratch):
        wide = f"{scratch}_wide_{dims}_{vector_type}"
        vectordb.load_table(conn, wide, ["a", "b"], unit(2, dims), vector_type=vector_type)
        create = vectordb.create_hnsw_index if method == "hnsw" else vectordb.create_ivfflat_index
        return create(conn, wide, **kwargs)
    return call


def over(kind, name="other"):
    """load_table over a relation of another kind made first (a view, a sequence, ...)."""
    def call(conn, table, scratch):
        target = f"{scratch}_{name}"
        conn.execute({"view": f"CREATE OR REPLACE VIEW {target} AS SELECT 1 AS x",
                      "materialized view": f"CREATE MATERIALIZED VIEW IF NOT EXISTS {target} AS SELECT 1 AS x",
                      "sequence": f"CREATE SEQUENCE IF NOT EXISTS {target}"}[kind])
        return vectordb.load_table(conn, target, ["a"], unit(1))
    return call


def stored(vectors, search_kwargs, name="stored"):
    """A search of a vector table of ``vectors`` (made beside the scratch table) with ``search_kwargs``."""
    def call(conn, table, scratch):
        target = f"{scratch}_{name}"
        vectordb.load_table(conn, target, [f"k{i}" for i in range(len(vectors))], vectors)
        return vectordb.search(conn, target, unit(1, dims=np.shape(vectors)[1], seed=1)[0], **search_kwargs)
    return call


def with_nulls(k):
    """A search of a table made outside load_table, 3 rows of which 1 has a NULL embedding."""
    def call(conn, table, scratch):
        target = f"{scratch}_nulls"
        conn.execute(f"CREATE TABLE IF NOT EXISTS {target} (id bigint, key text, embedding vector(2))")
        conn.execute(f"TRUNCATE {target}")
        conn.execute(f"INSERT INTO {target} VALUES (0, 'a', '[1,0]'), (1, 'b', NULL), (2, 'c', '[0,1]')")
        return vectordb.search(conn, target, np.array([1.0, 0.1]), k=k)
    return call


def connect_to(url):
    return lambda conn, table, scratch: vectordb.connect(url, connect_timeout=3)


LONG = "n" * 64
CASES = [
    # load_table: keys
    ("keys a string", load(keys="abc", vectors=unit(3)), ArgumentTypeError, "keys must be a list of strings.*'abc'"),
    ("keys bytes", load(keys=b"ab"), ArgumentTypeError, "keys must be a list of strings"),
    ("keys None", load(keys=None), ArgumentTypeError, "keys must be a list of strings"),
    ("keys a mapping", load(keys={"a": 1, "b": 2}), ArgumentTypeError, "keys must be a list of strings"),
    ("keys numbers", load(keys=[1, 2]), ArgumentTypeError, r"keys\[0\] is int"),
    ("keys None inside", load(keys=["a", None]), ArgumentTypeError, r"keys\[1\] is NoneType"),
    ("key with NUL", load(keys=["a", "b\x00"]), InvalidArgumentError, r"keys\[1\].*NUL"),
    ("key lone surrogate", load(keys=["a", "\ud800"]), InvalidArgumentError, "lone surrogate"),
    ("fewer keys", load(keys=["a", "b"], vectors=unit(3)), InvalidArgumentError, "2 keys but 3 vectors"),
    ("duplicate keys", load(keys=["a", "a"]), InvalidArgumentError, "'a' appears more than once"),
    # load_table: vectors
    ("vectors NaN", load(vectors=np.array([[np.nan, 1.0], [1.0, 0.0]])), ValueError, "NaN or infinity"),
    ("vectors inf", load(vectors=np.array([[np.inf, 1.0], [1.0, 0.0]])), ValueError, "NaN or infinity"),
    ("vector zero", load(vectors=np.array([[1.0, 0.0], [0.0, 0.0]])), InvalidArgumentError, "vector 1 is all zeros"),
    ("vector tiny", load(vectors=np.array([[1.0, 0.0], [1e-30, 0.0]])), InvalidArgumentError, "vector 1 is all zeros"),
    ("vector huge", load(vectors=np.array([[1.0, 0.0], [1e30, 0.0]])), InvalidArgumentError, "too large to square"),
    ("vectors 3-D", load(vectors=np.ones((2, 2, 2))), ValueError, "must be 2-D"),
    ("vectors text", load(vectors=["a", "b"]), TypeError, "embed the text first|must hold numbers"),
    ("vectors empty", load(keys=[], vectors=np.zeros((0, 4))), ValueError, "empty"),
    ("vectors ragged", load(vectors=[[1.0, 2.0], [1.0]]), TypeError, "rectangular|could not be read"),
    ("too many dims", load(vectors=np.ones((2, 16001))), InvalidArgumentError, "at most 16000"),
    ("vector_type", load(vector_type="float"), InvalidArgumentError,
     "vector_type='float' is not supported: use one of 'vector', 'halfvec'"),
    ("batch_size 0", load(batch_size=0), InvalidArgumentError, "batch_size must be at least 1"),
    ("batch_size float", load(batch_size=2.5), ArgumentTypeError, "batch_size must be a whole number"),
    ("batch_size bool", load(batch_size=True), ArgumentTypeError, "batch_size must be a whole number"),
    ("on_batch", load(on_batch="print"), ArgumentTypeError, "on_batch must be a function"),
    # load_table: extra columns
    ("extras a list", load(extra_columns=[1, 2]), ArgumentTypeError, "extra_columns must be a mapping"),
    ("extra named id", load(extra_columns={"id": [1, 2]}), InvalidArgumentError, "'id' clashes"),
    ("extra short", load(extra_columns={"year": [1]}), InvalidArgumentError, "'year' has 1 values for 2 vectors"),
    ("extra long name", load(extra_columns={LONG: [1, 2]}), IdentifierError, "extra column name .*64 bytes"),
    ("extra empty name", load(extra_columns={"": [1, 2]}), IdentifierError, "extra column name is empty"),
    ("extra int name", load(extra_columns={5: [1, 2]}), ArgumentTypeError, "extra column name must be a string"),
    ("extra values str", load(extra_columns={"year": "ab"}), ArgumentTypeError, "'year' must be a list of values"),
    ("extra uint64", load(extra_columns={"n": np.array([1, 2**63], dtype=np.uint64)}), InvalidArgumentError,
     r"n\[1\] = 9223372036854775808 does not fit.*bigint"),
    ("extra NUL text", load(extra_columns={"title": ["ok", "b\x00d"]}), InvalidArgumentError, r"title\[1\].*NUL"),
    ("extra huge int with None", load(extra_columns={"n": [2**70, None]}), InvalidArgumentError,
     r"n\[0\] = 1180591620717411303424 does not fit.*bigint"),
    # load_table: what half precision (halfvec) can hold
    ("halfvec zero in half", load(vectors=np.array([[1e-8, 1e-8], [1.0, 0.0]]), vector_type="halfvec"),
     HalfPrecisionError, "vector 0 is all zeros in half precision .*scale the vectors to unit length"),
    ("halfvec turned", load(vectors=np.array([[1.0, 0.0], [1e-7, 2e-8]]), vector_type="halfvec"),
     HalfPrecisionError, "vector 1 turns by 11.3 degrees when rounded to half precision"),
    ("halfvec beyond 65504", load(vectors=np.array([[1.0, 0.0], [7e4, 1.0]]), vector_type="halfvec"),
     HalfPrecisionError, "vector 1 holds 70000 .*beyond 65,504"),
    ("halfvec 65520", load(vectors=np.array([[65520.0, 1.0], [1.0, 0.0]]), vector_type="halfvec"),
     HalfPrecisionError, "vector 0 holds 65520 "),
    # load_table over something that is not a table of the user's
    ("over a view", over("view"), NotATableError, "is a view, not a table.*choose another name"),
    ("over a materialized view", over("materialized view", "mv"), NotATableError, "is a materialized view"),
    ("over a sequence", over("sequence", "seq"), NotATableError, "is a sequence, not a table"),
    ("over pg_class", load_named("pg_catalog.pg_class"), NotATableError, "pg_catalog.pg_class, a system catalog"),
    ("over bare pg_class", load_named("pg_class"), NotATableError,
     "'pg_class' names pg_catalog.pg_class, a system catalog.*'public.pg_class'"),
    ("over information_schema", load_named("information_schema.tables"), NotATableError, "a system catalog"),
    ("into pg_catalog", load_named("pg_catalog.vectorlab_new"), NotATableError, "system schema"),
    # table names
    ("table None", load_named(None), ArgumentTypeError, "table must be a string"),
    ("table empty", load_named(""), IdentifierError, "table name is empty"),
    ("table 64 bytes", load_named(LONG), IdentifierError, "64 bytes long"),
    ("table 3 parts", load_named("a.b.c"), IdentifierError, "2 dots"),
    ("table empty schema", load_named(".t"), IdentifierError, "empty part"),
    ("table no schema", load_named("nosuchschema.t"), SchemaNotFoundError, "no schema 'nosuchschema'"),
    ("table NUL", load_named("a\x00b"), IdentifierError, "NUL character"),
    ("table surrogate", load_named("a\udcffb"), IdentifierError, "lone surrogate"),
    ("schema 64 bytes", load_named(LONG + ".t"), IdentifierError, "schema name .*64 bytes"),
    # search
    ("no table", lambda c, t, s: vectordb.search(c, s + "_missing", unit(1)[0]), TableNotFoundError, "load it first"),
    ("no column", find(column="vec"), TableNotFoundError, "has no column 'vec'"),
    ("text column", find(column="key"), InvalidArgumentError, "is text, not vector or halfvec"),
    ("zero query", find(query=np.zeros(DIMS)), InvalidArgumentError, "the query is a zero vector"),
    ("zero row", find(query=np.vstack([unit(1)[0], np.zeros(DIMS)])), InvalidArgumentError, "query row 1 is a zero"),
    ("dims", find(query=np.ones(1536)), DimensionMismatchError, "query has 1536 dims, column .* has 16"),
    ("query text", find(query="big dog"), TypeError, "embed the text first"),
    ("query NaN", find(query=np.full(DIMS, np.nan)), ValueError, "NaN or infinity"),
    ("query 3-D", find(query=np.ones((1, 1, DIMS))), ValueError, "one vector"),
    ("query huge <#>", find(query=np.full(DIMS, 1e30), operator="<#>"), InvalidArgumentError, "too large to square"),
    ("k 0", find(k=0), InvalidArgumentError, "k must be at least 1, got 0"),
    ("k float", find(k=2.0), ArgumentTypeError, "k must be a whole number"),
    ("k bool", find(k=True), ArgumentTypeError, "k must be a whole number"),
    ("k > rows", find(k=ROWS + 1), InvalidArgumentError, f"k={ROWS + 1} is larger than the {ROWS} rows"),
    ("operator", find(operator="<<>>"), InvalidArgumentError, "operator='<<>>' is not supported: use one of '<=>'"),
    ("operator None", find(operator=None), InvalidArgumentError, "operator=None is not supported: use one of"),
    ("quantization", find(quantization="int8"), InvalidArgumentError,
     "quantization='int8' is not supported: use one of None"),
    ("exact str", find(exact="yes"), ArgumentTypeError, "exact must be True, False or None"),
    ("ef_search 0", find(ef_search=0), InvalidArgumentError, "ef_search must be between 1 and 1000"),
    ("ef_search 1001", find(ef_search=1001), InvalidArgumentError, "ef_search must be between 1 and 1000"),
    ("probes 0", find(probes=0), InvalidArgumentError, "probes must be between 1 and"),
    ("column 64 bytes", find(column=LONG), IdentifierError, "column name .*64 bytes"),
    ("candidates < k", rescore(k=5, candidates=4), InvalidArgumentError, "candidates=4 is smaller than k=5"),
    ("rescore None", rescore(quantization=None), InvalidArgumentError, "'binary', 'halfvec'"),
    ("candidates str", rescore(candidates="40"), ArgumentTypeError, "candidates must be a whole number"),
    ("k > rows with a vector", with_nulls(k=3), InvalidArgumentError,
     "k=3 is larger than the 2 rows .* whose embedding is not NULL .*1 of its 3 rows have a NULL embedding"),
    # queries sent in half precision
    ("query beyond 65504 as halfvec", find(query=np.full(DIMS, 7e4), operator="<->", quantization="halfvec"),
     HalfPrecisionError, "query 0 holds 70000 .*beyond 65,504"),
    ("query zero in half <#>", find(query=np.full(DIMS, 1e-8), operator="<#>", quantization="halfvec"),
     HalfPrecisionError, "query 0 is all zeros in half precision"),
    ("stored beyond 65504 as halfvec", stored(np.array([[7e4, 1.0], [1.0, 0.0]]), {"quantization": "halfvec", "k": 1}),
     HalfPrecisionError, "holds a value half precision .* can't hold, beyond 65,504"),
    # indexes
    ("m 1", hnsw(m=1), InvalidArgumentError, "m must be between 2 and 100, got 1"),
    ("m 101", hnsw(m=101, ef_construction=500), InvalidArgumentError, "m must be between 2 and 100"),
    ("ef_construction < 2m", hnsw(m=16, ef_construction=8), InvalidArgumentError, r"at least 2 \* m \(32\)"),
    ("ef_construction 1001", hnsw(ef_construction=1001), InvalidArgumentError, "between 4 and 1000"),
    ("index name", hnsw(name=LONG), IdentifierError, "index name .*64 bytes"),
    ("index quantization", hnsw(quantization="pq"), InvalidArgumentError,
     "quantization='pq' is not supported: use one of None"),
    ("hnsw 2001 dims", wide_index(2001), IndexLimitError,
     "has 2,001 dimensions, but pgvector's hnsw index holds vector values of at most 2,000 dimensions.*"
     "quantization='halfvec'.*notebook 06"),
    ("hnsw 3072 dims l2", wide_index(3072, operator="<->"), IndexLimitError, "3,072 dimensions.*up to 4,000"),
    ("hnsw 4001 halfvec", wide_index(4001, "halfvec"), IndexLimitError,
     "4,001 dimensions, but pgvector's hnsw index holds halfvec values of at most 4,000.*notebook 06"),
    ("hnsw 4001 as halfvec", wide_index(4001, quantization="halfvec"), IndexLimitError, "halfvec values of at most"),
    ("ivfflat 2001 dims", wide_index(2001, method="ivfflat", lists=1), IndexLimitError,
     "pgvector's ivfflat index holds vector values of at most 2,000"),
    ("index halfvec of stored beyond 65504", lambda c, t, s: (
        stored(np.array([[7e4, 1.0], [1.0, 0.0]]), {"k": 1}, name="big_index")(c, t, s),
        vectordb.create_hnsw_index(c, f"{s}_big_index", quantization="halfvec")), HalfPrecisionError,
     "holds a value half precision .* beyond 65,504"),
    ("index on unsized column", lambda c, t, s: (
        c.execute(f"CREATE TABLE IF NOT EXISTS {s}_unsized (id bigint, key text, embedding vector)"),
        vectordb.create_hnsw_index(c, f"{s}_unsized")), InvalidArgumentError,
     "is declared without dimensions .*ALTER TABLE"),
    ("lists 0", lambda c, t, s: vectordb.create_ivfflat_index(c, t, lists=0), InvalidArgumentError,
     "lists must be between 1 and 32768"),
    ("ivfflat no table", lambda c, t, s: vectordb.create_ivfflat_index(c, s + "_missing"), TableNotFoundError,
     "load it first"),
    ("sizes no table", lambda c, t, s: vectordb.relation_sizes(c, s + "_missing"), TableNotFoundError,
     "load it first"),
    ("drop no schema", lambda c, t, s: vectordb.drop_indexes(c, "nosuchschema.t"), SchemaNotFoundError,
     "no schema 'nosuchschema'"),
    # connections and other functions
    ("conn a string", lambda c, t, s: vectordb.search("postgresql://x", t, unit(1)[0]), ArgumentTypeError,
     "conn must be a connection from vectordb.connect"),
    ("read_frame int", lambda c, t, s: vectordb.read_frame(c, 5), ArgumentTypeError, "query must be SQL text"),
    ("column_type long", lambda c, t, s: vectordb.column_type(c, t, LONG), IdentifierError, "column name"),
    ("url not str", lambda c, t, s: vectordb.connect(5), ArgumentTypeError, "database_url must be a string"),
    ("timeout 0", lambda c, t, s: vectordb.connect("postgresql://h/d", connect_timeout=0), InvalidArgumentError,
     "connect_timeout must be at least 1"),
    ("url invalid", lambda c, t, s: vectordb.connect("postgresql://u:pw@h/d?nonsense_option=1"),
     DatabaseConnectionError, "not a valid PostgreSQL connection string"),
    # passwords libpq would misread (the three): refused before anything is sent, no piece shown
    ("url unencoded @", connect_to("postgresql://admin:p@ssw0rd!@127.0.0.1:1/app"), DatabaseConnectionError,
     "not a valid PostgreSQL connection string \\(it has 2 '@' signs before the host.*%40"),
    ("url two @ long", connect_to("postgresql://admin:Sup3r@Secret-Pass-42@127.0.0.1:1/app"),
     DatabaseConnectionError, "^(?!.*(Secret|Pass-42|Sup3r)).*2 '@' signs"),
    ("url space and @", connect_to("postgresql://admin:Winter 2024@corp@127.0.0.1:1/app"), DatabaseConnectionError,
     "^(?!.*(Winter|2024|corp)).*holds a space"),
    ("url slash", connect_to("postgresql://admin:pa/ssW0RD@127.0.0.1:1/app"), DatabaseConnectionError,
     "^(?!.*(ssW0RD)).*a '/' comes before the '@'"),
]


@pytest.mark.parametrize(("call", "error", "message"), [pytest.param(*case[1:], id=case[0]) for case in CASES])
def test_bad_input_is_a_typed_error_that_names_the_problem(setup, call, error, message):
    conn, _, _, table, scratch = setup
    with pytest.raises(error, match=message):
        call(conn, table, scratch)
    assert conn.info.transaction_status.name == "IDLE"  # never left in a transaction
    assert vectordb.count_rows(conn, scratch) is None  # nothing half-loaded


def test_a_closed_connection_is_named(setup):
    closed = vectordb.connect(setup[1])
    closed.close()
    with pytest.raises(DatabaseConnectionError, match="the connection is closed: open a new one"):
        vectordb.search(closed, setup[3], unit(1)[0])


def test_every_error_is_a_vectorlab_error():
    from vectorlab.errors import VectorlabError

    for case in CASES:
        if case[2] not in (ValueError, TypeError):  # the shared validation module's plain errors
            assert issubclass(case[2], VectorlabError), case[0]


def test_database_argument_errors_are_the_package_wide_input_errors():
    # one hierarchy: `except InvalidInputError` catches a bad k for vectordb.search as for exhaustive_search
    from vectorlab.errors import InputTypeError, InvalidInputError

    assert issubclass(InvalidArgumentError, InvalidInputError) and issubclass(InvalidArgumentError, VectorDBError)
    assert issubclass(ArgumentTypeError, InputTypeError) and issubclass(ArgumentTypeError, VectorDBError)
    with pytest.raises(InvalidInputError, match="connect_timeout must be at least 1, got 0"):
        vectordb.connect("postgresql://h/d", connect_timeout=0)
    with pytest.raises(InputTypeError, match="connect_timeout must be a whole number"):
        vectordb.connect("postgresql://h/d", connect_timeout=2.5)


# Cases that would allocate (k x queries) or more: in a subprocess, so a regression is one failed test.
SUBPROCESS_CASES = [
    ("k 10**11", "vectordb.search(conn, table, query, k=10**11)", "InvalidArgumentError", "is larger than the 20 rows"),
    ("k 10**11 batch", "vectordb.search(conn, table, np.tile(query, (50, 1)), k=10**11)", "InvalidArgumentError",
     "is larger than the 20 rows"),
    ("ef_search 10**12", "vectordb.search(conn, table, query, ef_search=10**12)", "InvalidArgumentError",
     "ef_search must be between 1 and 1000"),
    ("rescored k 10**11", "vectordb.search_rescored(conn, table, query, k=10**11, candidates=10**12)",
     "InvalidArgumentError", "is larger than the 20 rows"),
]

SCRIPT = """
import json, sys
import numpy as np
from vectorlab import vectordb
conn = vectordb.connect(sys.argv[1])
table, query = sys.argv[2], np.ones(16, dtype=np.float32)
try:
    {call}
    print(json.dumps(["no error", ""]))
except Exception as error:
    print(json.dumps([type(error).__name__, str(error)]))
"""


@pytest.mark.parametrize(("call", "error", "message"), [pytest.param(*case[1:], id=case[0])
                                                         for case in SUBPROCESS_CASES])
def test_memory_hungry_inputs_fail_cleanly_in_a_subprocess(setup, call, error, message):
    import re

    _, url, _, table, _ = setup
    env_path = str(Path(vectordb.__file__).parents[2])
    done = subprocess.run([sys.executable, "-c", SCRIPT.format(call=call), url, table], capture_output=True,
                          text=True, timeout=120, env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-2000:]  # no crash, no MemoryError traceback
    name, text = json.loads(done.stdout.strip().splitlines()[-1])
    assert name == error and re.search(message, text), (name, text)


# Extra columns typed from the values that are there: None (and NaN, pd.NA) are NULL, never the text 'None',
# and never turn a column of numbers into text. Each row: values, the SQL type, the values read back.
EXTRA_COLUMN_CASES = [
    ("int with None", [1999, None], "bigint", [1999, None]),
    ("None first", [None, 2001], "bigint", [None, 2001]),
    ("numpy ints with None", [np.int64(1999), None], "bigint", [1999, None]),
    ("float with None", [1.5, None], "double precision", [1.5, None]),
    ("float with NaN", [1.5, float("nan")], "double precision", [1.5, None]),
    ("bool with None", [True, None], "boolean", [True, None]),
    ("text with None", ["Alien", None], "text", ["Alien", None]),
    ("all None", [None, None], "text", [None, None]),
    ("int with pd.NA", "pd.NA", "bigint", [1999, None]),
]


@pytest.mark.parametrize(("values", "sql_type", "read_back"), [pytest.param(*case[1:], id=case[0])
                                                               for case in EXTRA_COLUMN_CASES])
def test_extra_columns_are_typed_from_their_values_with_none_as_null(setup, values, sql_type, read_back):
    import pandas as pd

    conn, _, schema, _, _ = setup
    if values == "pd.NA":
        values = pd.array([1999, None], dtype="Int64")
    target = f"{schema}.extras"
    vectordb.load_table(conn, target, ["a", "b"], unit(2), extra_columns={"x": values})
    assert vectordb.column_type(conn, target, "x") == (sql_type, None)
    rows = conn.execute(f"SELECT x FROM {target} ORDER BY id", prepare=False).fetchall()
    assert [row[0] for row in rows] == read_back


# Rows with a NULL embedding (a table made outside load_table) are never results: every search and rescored
# search gives the float64 brute force over the rows that have a vector, for each operator.
NULL_TABLE_ROWS, NULL_DIMS = 30, 8


@pytest.fixture(scope="module")
def null_table(setup):
    conn, _, schema, _, _ = setup
    rng = np.random.default_rng(11)
    vectors = rng.standard_normal((NULL_TABLE_ROWS, NULL_DIMS)).astype(np.float32)
    present = np.arange(NULL_TABLE_ROWS) % 3 != 1  # every third row has no vector
    target = f"{schema}.made_outside"
    conn.execute(f"CREATE TABLE {target} (id bigint PRIMARY KEY, key text, embedding vector({NULL_DIMS}))")
    with conn.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {target} VALUES (%s, %s, %s)",
                           [(i, f"k{i}", vectors[i] if present[i] else None) for i in range(NULL_TABLE_ROWS)])
    return target, vectors.astype(np.float64), present


def brute_force(query, vectors, present, operator):
    """float64 distances as pgvector defines them, over the rows that have a vector."""
    q = query.astype(np.float64)
    distance = {"<=>": lambda v: 1 - v @ q / (np.linalg.norm(v, axis=1) * np.linalg.norm(q)),
                "<#>": lambda v: -(v @ q),
                "<->": lambda v: np.linalg.norm(v - q, axis=1),
                "<+>": lambda v: np.abs(v - q).sum(axis=1)}[operator](vectors)
    distance[~present] = np.inf
    order = np.argsort(distance, kind="stable")[: int(present.sum())]
    return order, distance[order]


NULL_SEARCHES = [
    (f"{function} {operator} k={k}", function, operator, k)
    for function in ("search", "search exact", "search_rescored halfvec", "search_rescored binary")
    for operator in ("<=>", "<#>", "<->", "<+>")
    for k in (5, 20, 25)  # 20: every row that has a vector; 25: more (today's main returned NULL rows, NaN)
]


@pytest.mark.parametrize(("function", "operator", "k"), [pytest.param(*case[1:], id=case[0])
                                                         for case in NULL_SEARCHES])
def test_rows_with_a_null_embedding_are_never_results(setup, null_table, function, operator, k):
    conn = setup[0]
    target, vectors, present = null_table
    query = np.random.default_rng(5).standard_normal(NULL_DIMS).astype(np.float32)
    if k > present.sum():
        with pytest.raises(InvalidArgumentError, match=f"k={k} is larger than the 20 rows .*10 of its 30 rows have "
                                                       "a NULL embedding"):
            run_search(conn, target, query, function, operator, k)
        return
    ids, distances = run_search(conn, target, query, function, operator, k)
    expected_ids, expected = brute_force(query, vectors, present, operator)
    assert present[ids].all() and np.isfinite(distances).all()
    np.testing.assert_allclose(distances, expected[:k], rtol=1e-5, atol=1e-5)
    assert list(ids) == list(expected_ids[:k])


def run_search(conn, target, query, function, operator, k):
    if function.startswith("search_rescored"):
        # every row with a vector is a candidate: the rescored top-k is the exact one
        return vectordb.search_rescored(conn, target, query, k=k, operator=operator, candidates=NULL_TABLE_ROWS,
                                        quantization=function.split()[1])
    return vectordb.search(conn, target, query, k=k, operator=operator,
                           exact=True if function == "search exact" else None)


@pytest.mark.parametrize("method", ["hnsw", "ivfflat"])
def test_an_index_over_null_embeddings_serves_only_rows_with_a_vector(setup, null_table, method):
    conn = setup[0]
    target, vectors, present = null_table
    create = vectordb.create_hnsw_index if method == "hnsw" else vectordb.create_ivfflat_index
    create(conn, target, "<->")
    try:
        query = np.random.default_rng(6).standard_normal(NULL_DIMS).astype(np.float32)
        ids, distances = vectordb.search(conn, target, query, k=10, operator="<->", exact=False,
                                         ef_search=40, probes=1)
        expected_ids, expected = brute_force(query, vectors, present, "<->")
        assert present[ids[ids >= 0]].all() and list(ids) == list(expected_ids[:10])
        np.testing.assert_allclose(distances, expected[:10], rtol=1e-5, atol=1e-5)
    finally:
        vectordb.drop_indexes(conn, target)


@pytest.mark.parametrize("dims", [2, 384, 3072, 16000])
def test_unit_vectors_always_fit_half_precision(dims):
    # the README's promise: a unit-length vector never turns by 1 degree in halfvec (at most 2**-11 radians,
    # 0.03 degrees), whatever its dimensions; also with one large value and every other one tiny
    from vectorlab.vectordb.tables import MAX_HALF_TURN_DEGREES, check_half_precision

    rng = np.random.default_rng(dims)
    spread = unit(50, dims, seed=dims)
    peaked = np.full((3, dims), 1e-7, dtype=np.float32)
    peaked[:, 0] = 1.0
    peaked /= np.linalg.norm(peaked, axis=1, keepdims=True)
    vectors = np.vstack([spread, peaked, rng.uniform(-1, 1, (5, dims)).astype(np.float32)])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    check_half_precision(vectors, "vector")  # no error
    rounded = vectors.astype(np.float16).astype(np.float64)
    cosine = np.einsum("ij,ij->i", vectors, rounded) / np.linalg.norm(rounded, axis=1)
    turn = np.degrees(np.arccos(np.clip(cosine, -1, 1)))
    assert turn.max() < 0.03 < MAX_HALF_TURN_DEGREES
