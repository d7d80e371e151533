"""The embeddings cache: layout, exact round trips, damaged entries, and durability across processes."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from openai_stub_server import StubServer, env_for, stub_vector

from vectorlab.embed import RetryPolicy, create_client
from vectorlab.embed.cache import EmbeddingCache, cache_key
from vectorlab.errors import CacheWarning

MODEL = "all-MiniLM-L6-v2"


def unit(dims: int, seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).standard_normal(dims)
    return (vector / np.linalg.norm(vector)).astype(np.float32)


# -- layout and format -----------------------------------------------------------------------------


def test_layout_and_file_content(tmp_path):
    cache = EmbeddingCache(tmp_path)
    vector = unit(384, 1)
    path = cache.put(MODEL, None, "hola mundo", vector)
    key = cache_key(MODEL, None, "hola mundo")
    assert path == tmp_path / MODEL / "default" / key[:2] / f"{key}.json"
    content = path.read_text(encoding="utf-8")
    assert content.endswith("}\n") and content.count("\n") == 6  # one field per line: diffs stay readable
    data = json.loads(content)
    assert list(data) == ["model", "dimensions", "text", "vector"]
    assert (data["model"], data["dimensions"], data["text"]) == (MODEL, None, "hola mundo")
    assert cache.put("openai/weird model:1", 256, "x", unit(256, 2)).relative_to(tmp_path).parts[:2] == (
        "openai__weird_model_1", "256")
    assert cache.put("bench", None, "x", unit(4, 3)).relative_to(tmp_path).parts[0] == "_bench"  # reserved


def test_vectors_read_back_bit_for_bit(tmp_path):
    cache = EmbeddingCache(tmp_path)
    tricky = np.array([0.1, -0.0, 1e-45, -1.1754944e-38, 3.4028235e38, 1 / 3, 2 ** -20, 123456.79],
                      dtype=np.float32)
    vectors = [tricky, *(unit(1536, seed) for seed in range(20))]
    for i, vector in enumerate(vectors):
        cache.put("m", None, f"t{i}", vector)
    for i, vector in enumerate(vectors):
        back = cache.get("m", None, f"t{i}")
        assert back.dtype == np.float32
        np.testing.assert_array_equal(back.view(np.uint32), vector.view(np.uint32))


def test_keys_are_exact_per_model_dimensions_and_text(tmp_path):
    cache = EmbeddingCache(tmp_path)
    cache.put(MODEL, None, "dog", unit(8, 0))
    for model, dims, text in [(MODEL, None, "dog "), (MODEL, None, "Dog"), (MODEL, 8, "dog"),
                              ("text-embedding-3-small", None, "dog")]:
        assert cache.get(model, dims, text) is None
    assert cache.get(MODEL, None, "dog") is not None
    assert len({cache_key(MODEL, None, "dog"), cache_key(MODEL, 384, "dog"), cache_key("x", None, "dog")}) == 3


def test_refuses_to_store_a_broken_vector(tmp_path):
    cache = EmbeddingCache(tmp_path)
    for bad in [np.array([1.0, np.nan], dtype=np.float32), np.zeros((2, 2), np.float32), np.array([])]:
        with pytest.raises(ValueError, match="refusing to cache"):
            cache.put(MODEL, None, "x", bad)
    assert not list(tmp_path.rglob("*.json"))


def test_cached_texts_and_entry_files_skip_the_benchmarks_folder(tmp_path):
    cache = EmbeddingCache(tmp_path)
    for i, text in enumerate(["b", "a", "c"]):
        cache.put(MODEL, None, text, unit(4, i))
    cache.put(MODEL, 2, "other dims", unit(2, 9))
    bench = tmp_path / "bench" / "default" / "00"
    bench.mkdir(parents=True)
    (bench / "junk.json").write_text("not for us")
    assert cache.cached_texts(MODEL) == ["a", "b", "c"]
    assert cache.cached_texts(MODEL, 2) == ["other dims"]
    assert len(cache.entry_files()) == 4 and cache.verify() == []


# -- damaged entries -------------------------------------------------------------------------------

def edited(raw: bytes, field: str, change) -> bytes:
    data = json.loads(raw)
    if change is None:
        del data[field]
    else:
        data[field] = change(data[field])
    return json.dumps(data).encode()


DAMAGE = {
    "cut short": lambda raw: raw[: len(raw) // 2],
    "empty": lambda raw: b"",
    "garbage": lambda raw: b"\x00\xff garbage",
    "not an object": lambda raw: b"[1, 2, 3]",
    "another text": lambda raw: edited(raw, "text", lambda _: "cat"),
    "another model": lambda raw: edited(raw, "model", lambda _: "all-mpnet-base-v2"),
    "other dimensions": lambda raw: edited(raw, "dimensions", lambda _: 128),
    "short vector": lambda raw: edited(raw, "vector", lambda v: v[:-1]),
    "not numbers": lambda raw: edited(raw, "vector", lambda v: ["x", *v[1:]]),
    "infinity": lambda raw: edited(raw, "vector", lambda v: [1e39, *v[1:]]),
    "missing field": lambda raw: edited(raw, "dimensions", None),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_entry_is_reported_and_missed(tmp_path, damage):
    cache = EmbeddingCache(tmp_path)
    path = cache.put(MODEL, None, "dog", unit(384, 0))
    cache.put(MODEL, None, "cat", unit(384, 1))
    path.write_bytes(DAMAGE[damage](path.read_bytes()))
    with pytest.warns(CacheWarning, match=r"ignoring damaged entry .*\.json") as record:
        assert cache.get(MODEL, None, "dog", expected_dims=384) is None
    assert str(path) in str(record[0].message)
    np.testing.assert_array_equal(cache.get(MODEL, None, "cat", expected_dims=384), unit(384, 1))  # untouched
    assert [p for p, _ in cache.verify()] == [path]


def test_the_client_recomputes_and_overwrites_a_damaged_entry(tmp_path):
    texts = ["dog", "cat", "hola mundo"]
    with StubServer() as server:
        client = create_client(env=env_for("github", server), cache_dir=tmp_path, announce=False,
                               retry=RetryPolicy(max_retries=0, timeout=5))
        client.embed(texts)
        path = client.cache.path_for("text-embedding-3-small", None, "cat")
        path.write_bytes(path.read_bytes()[:100])  # as if a crash had cut it short
        with pytest.warns(CacheWarning, match="it will be recomputed"):
            vectors = client.embed(texts)
        assert server.request_count == 2 and server.requests[1].inputs == ["cat"]
        np.testing.assert_array_equal(vectors[1], stub_vector("text-embedding-3-small", "cat"))
        assert client.cache.verify() == []
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            client.embed(texts)
        assert server.request_count == 2


def test_a_stray_temporary_file_is_not_an_entry(tmp_path):
    cache = EmbeddingCache(tmp_path)
    path = cache.put(MODEL, None, "dog", unit(4, 0))
    (path.parent / ".0123456789abcdef.xyz.tmp").write_text('{"model": "all-Mini')
    assert cache.get(MODEL, None, "dog") is not None and cache.entry_files() == [path] and cache.verify() == []


# -- several processes -----------------------------------------------------------------------------

WRITER = textwrap.dedent("""
    import sys, time, zlib
    import numpy as np
    from pathlib import Path
    from vectorlab.embed.cache import EmbeddingCache

    root, texts, passes, go = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3]), sys.argv[4]
    seconds = float(sys.argv[5])
    cache = EmbeddingCache(root)
    deadline = time.monotonic() + seconds

    def vector(text):
        rng = np.random.default_rng(zlib.crc32(text.encode()))
        v = rng.standard_normal(1536)
        return (v / np.linalg.norm(v)).astype(np.float32)

    vectors = {text: vector(text) for text in texts}
    while not Path(go).exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    print("writing", flush=True)
    done = 0
    while (passes == 0 or done < passes) and time.monotonic() < deadline:
        for text in texts:
            cache.put("text-embedding-3-small", None, text, vectors[text])
        done += 1
    print("done", done, flush=True)
""")


def expected_vector(text: str) -> np.ndarray:
    import zlib

    vector = np.random.default_rng(zlib.crc32(text.encode())).standard_normal(1536)
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def start_writer(root: Path, texts: list[str], passes: int, go: Path, seconds: float) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(root), ",".join(texts), str(passes), str(go),
                             str(seconds)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_processes_writing_the_same_entries_at_once_leave_every_entry_whole(tmp_path):
    shared = [f"shared {i}" for i in range(40)]
    go = tmp_path / "go"
    root = tmp_path / "cache"
    writers = [start_writer(root, shared + [f"first {i}" for i in range(20)], 3, go, 20),
               start_writer(root, shared[::-1] + [f"second {i}" for i in range(20)], 3, go, 20)]
    cache = EmbeddingCache(root)
    go.touch()
    seen = 0
    with warnings.catch_warnings():  # read while they write: an entry is either absent or whole
        warnings.simplefilter("error", CacheWarning)
        while any(w.poll() is None for w in writers):
            for text in shared[::7]:
                vector = cache.get("text-embedding-3-small", None, text, expected_dims=1536)
                if vector is not None:
                    np.testing.assert_array_equal(vector, expected_vector(text))
                    seen += 1
            time.sleep(0.002)
    for writer in writers:
        out, err = writer.communicate(timeout=30)
        assert writer.returncode == 0, err
        assert "done 3" in out
    assert seen > 0
    assert cache.verify() == []
    texts = shared + [f"first {i}" for i in range(20)] + [f"second {i}" for i in range(20)]
    assert len(cache.entry_files()) == len(texts)
    for text in texts:
        np.testing.assert_array_equal(cache.get("text-embedding-3-small", None, text), expected_vector(text))


def test_a_writer_killed_mid_write_leaves_every_entry_readable(tmp_path):
    root = tmp_path / "cache"
    texts = [f"text {i}" for i in range(40)]
    cache = EmbeddingCache(root)
    go = tmp_path / "go"
    go.touch()
    rng = np.random.default_rng(0)
    for _ in range(3):  # kill three writers at different moments
        writer = start_writer(root, texts, 0, go, 10)  # writes in a loop until killed (or 10 s pass)
        assert writer.stdout.readline().strip() == "writing"
        time.sleep(0.05 + 0.15 * rng.random())
        writer.send_signal(signal.SIGKILL)
        writer.communicate(timeout=10)
        assert writer.returncode == -signal.SIGKILL
        with warnings.catch_warnings():
            warnings.simplefilter("error", CacheWarning)
            assert cache.verify() == []
            for path in cache.entry_files():
                data = json.loads(path.read_bytes())
                assert len(data["vector"]) == 1536
                np.testing.assert_array_equal(cache.get("text-embedding-3-small", None, data["text"]),
                                              expected_vector(data["text"]))
    assert len(cache.entry_files()) > 0


def test_a_clone_has_the_cache_folder_and_its_readme_but_no_entries():
    """embeddings_cache/README.md is committed (the design's layout in every clone); every entry is ignored."""
    import shutil
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    readme = root / "embeddings_cache" / "README.md"
    assert readme.is_file()
    text = readme.read_text(encoding="utf-8")
    for promise in ("cache_key", "SHA-256", "git-ignored", "VECTORLAB_CACHE_DIR", "clear"):
        assert promise in text, promise
    if shutil.which("git") is None or not (root / ".git").exists():
        pytest.skip("not a git checkout")
    entry = "embeddings_cache/use-multilingual-v3/default/3f/3f00.json"
    for path in (entry, "embeddings_cache/bench/x.npy"):
        ignored = subprocess.run(["git", "check-ignore", "-q", path], cwd=root)
        assert ignored.returncode == 0, f"cache entries must be git-ignored: {path}"
    kept = subprocess.run(["git", "check-ignore", "-q", "--no-index", "embeddings_cache/README.md"], cwd=root)
    assert kept.returncode == 1, "embeddings_cache/README.md must not be ignored"
