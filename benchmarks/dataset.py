"""The benchmark data: real all-MiniLM-L6-v2 vectors of the most frequent English words.

The word list comes from ``wordfreq`` (its ``large`` English list ships inside the package, so this
runs offline): lowercase ASCII words of two letters or more, hyphenated words allowed, possessives and
anything with digits or other characters dropped, in frequency order. The first ``n + queries`` words
are embedded once with :func:`vectorlab.embed.local_model.embed_local` (progress bar on) and cached under
``embeddings_cache/bench/`` as ``.npy`` + the word list + a JSON sidecar. The cache key names the
model, the wordfreq version, the filtering rules' version and the word count, so changing any of them
builds a new cache instead of reusing a stale one; a cache of more words serves a smaller request (the
list is a prefix in frequency order).

Queries are ``queries`` words drawn at random (fixed seed) from those ``n + queries`` words and held
out: they are *not* in the index. Ground truth is the exact top-k by inner product, computed here in
float64 so it does not depend on any of the code under test.

The smoke run (tests, ``--smoke``) never needs the model: :func:`synthetic_dataset` makes clustered unit
vectors with the same shape of problem (a few thousand 384-d vectors with neighbours that matter).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = ROOT / "embeddings_cache" / "bench"

WORDLIST_RULES_VERSION = 1
"""Bump when the filtering below changes: the cache key includes it."""
_WORD = re.compile(r"^[a-z]+(?:-[a-z]+)*$")
_QUERY_SEED = 20240601


@dataclass
class Dataset:
    """Index vectors, held-out queries and the exact top-k neighbours of every query."""

    name: str
    vectors: np.ndarray  # [n, d] float32, unit length, C-contiguous
    queries: np.ndarray  # [q, d] float32, unit length
    ground_truth: np.ndarray  # [q, k] int64 indices into vectors, best first
    words: list[str] | None = None
    query_words: list[str] | None = None
    meta: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return int(self.vectors.shape[0])

    @property
    def dims(self) -> int:
        return int(self.vectors.shape[1])

    @property
    def k(self) -> int:
        return int(self.ground_truth.shape[1])

    def describe(self) -> str:
        return f"{self.name}: {self.n:,} x {self.dims} index vectors, {len(self.queries):,} held-out queries"


def _wordfreq_version() -> str:
    try:
        return version("wordfreq")
    except PackageNotFoundError:  # pragma: no cover - only without the benchmark requirements
        raise ModuleNotFoundError(
            "the benchmark word list needs wordfreq: pip install -r requirements-benchmarks.txt") from None


def word_list(count: int) -> list[str]:
    """The ``count`` most frequent English words that pass the filter, most frequent first."""
    import wordfreq

    words: list[str] = []
    for word in wordfreq.top_n_list("en", 10**6, wordlist="large"):
        if len(word) >= 2 and _WORD.match(word):
            words.append(word)
            if len(words) == count:
                return words
    raise ValueError(f"wordfreq's English list has only {len(words):,} words that pass the filter; "
                     f"asked for {count:,}")


def cache_stem(count: int, model_name: str) -> str:
    return f"words-{model_name}-wordfreq{_wordfreq_version()}-rules{WORDLIST_RULES_VERSION}-{count}"


def _sibling(path: Path, suffix: str) -> Path:
    """``path`` with its ``.npy`` replaced by ``suffix`` (the stem has dots: no ``with_suffix``)."""
    name = path.name[:-4] if path.name.endswith(".npy") else path.name
    return path.with_name(name + suffix)


def _find_cache(count: int, model_name: str, cache_dir: Path) -> Path | None:
    """The smallest cached embedding of at least ``count`` words with the current key, if any."""
    prefix = cache_stem(0, model_name).rsplit("-", 1)[0] + "-"
    best: tuple[int, Path] | None = None
    for path in cache_dir.glob(prefix + "*.npy"):
        try:
            size = int(path.name[:-4].rsplit("-", 1)[1])
        except ValueError:
            continue
        if size >= count and _sibling(path, ".txt").exists() and (best is None or size < best[0]):
            best = (size, path)
    return best[1] if best else None


def load_word_vectors(count: int, cache_dir: Path = CACHE_DIR, batch_size: int = 256,
                      embed: Callable[..., np.ndarray] | None = None) -> tuple[list[str], np.ndarray, dict]:
    """Words and their unit vectors ``[count, 384]``, from the cache or embedded now (and cached).

    ``embed`` replaces :func:`vectorlab.embed.local_model.embed_local` (same signature); the tests pass a
    stand-in so the cache logic runs without the model. The cache key still names the real model, so
    give a stand-in its own ``cache_dir``.
    """
    from vectorlab.embed.local_model import LOCAL_MODEL_NAME

    if embed is None:
        from vectorlab.embed.local_model import embed_local as embed

    cache_dir.mkdir(parents=True, exist_ok=True)
    cached = _find_cache(count, LOCAL_MODEL_NAME, cache_dir)
    if cached is not None:
        words = _sibling(cached, ".txt").read_text(encoding="utf-8").split("\n")[:count]
        vectors = np.load(cached, mmap_mode="r")[:count]
        sidecar = _sibling(cached, ".json")
        meta = json.loads(sidecar.read_text()) if sidecar.exists() else {}
        meta["cache"] = str(cached.relative_to(ROOT)) if cached.is_relative_to(ROOT) else str(cached)
        return words, np.ascontiguousarray(vectors, dtype=np.float32), meta

    words = word_list(count)
    print(f"[dataset] embedding {count:,} words with {LOCAL_MODEL_NAME} (once; cached in "
          f"{cache_dir.relative_to(ROOT) if cache_dir.is_relative_to(ROOT) else cache_dir}/) ...", flush=True)
    start = time.perf_counter()
    vectors = np.ascontiguousarray(embed(words, batch_size=batch_size, show_progress=True),
                                   dtype=np.float32)
    seconds = time.perf_counter() - start
    target = cache_dir / (cache_stem(count, LOCAL_MODEL_NAME) + ".npy")
    meta = {
        "model": LOCAL_MODEL_NAME,
        "wordfreq": _wordfreq_version(),
        "rules_version": WORDLIST_RULES_VERSION,
        "count": count,
        "embed_seconds": round(seconds, 1),
    }
    # Write the vectors last, through a temporary name: a half-written cache is never picked up.
    _sibling(target, ".txt").write_text("\n".join(words), encoding="utf-8")
    _sibling(target, ".json").write_text(json.dumps(meta, indent=2))
    tmp = _sibling(target, ".npy.partial")
    with open(tmp, "wb") as handle:
        np.save(handle, vectors)
    tmp.replace(target)
    meta["cache"] = str(target.relative_to(ROOT)) if target.is_relative_to(ROOT) else str(target)
    print(f"[dataset] embedded {count:,} words in {seconds:.0f} s", flush=True)
    return words, vectors, meta


def exact_top_k(queries: np.ndarray, vectors: np.ndarray, k: int, chunk: int = 256) -> np.ndarray:
    """Exact top-``k`` by inner product in float64, ties broken by lower index: the ground truth."""
    vectors64 = np.asarray(vectors, dtype=np.float64)
    out = np.empty((len(queries), k), dtype=np.int64)
    for start in range(0, len(queries), chunk):
        scores = np.asarray(queries[start:start + chunk], dtype=np.float64) @ vectors64.T
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        top_scores = np.take_along_axis(scores, top, axis=1)
        order = np.lexsort((top, -top_scores), axis=1)
        out[start:start + chunk] = np.take_along_axis(top, order, axis=1)
    return out


def _split(words: list[str], vectors: np.ndarray, n: int, queries: int, k: int, name: str,
           meta: dict) -> Dataset:
    rng = np.random.default_rng(_QUERY_SEED)
    held_out = np.zeros(len(words), dtype=bool)
    held_out[rng.choice(len(words), size=queries, replace=False)] = True
    index_ids = np.flatnonzero(~held_out)[:n]
    query_ids = np.flatnonzero(held_out)
    base = np.ascontiguousarray(vectors[index_ids], dtype=np.float32)
    qvecs = np.ascontiguousarray(vectors[query_ids], dtype=np.float32)
    return Dataset(
        name=name,
        vectors=base,
        queries=qvecs,
        ground_truth=exact_top_k(qvecs, base, k),
        words=[words[i] for i in index_ids],
        query_words=[words[i] for i in query_ids],
        meta=meta,
    )


def word_dataset(n: int = 100_000, queries: int = 1_000, k: int = 10, cache_dir: Path = CACHE_DIR,
                 embed: Callable[..., np.ndarray] | None = None) -> Dataset:
    """``n`` index words + ``queries`` held-out words, all embedded with all-MiniLM-L6-v2.

    ``embed``: a stand-in for the model, see :func:`load_word_vectors`.
    """
    words, vectors, meta = load_word_vectors(n + queries, cache_dir=cache_dir, embed=embed)
    return _split(words, vectors, n, queries, k, f"wordfreq English words ({meta.get('model', '?')})", meta)


def synthetic_dataset(n: int = 5_000, queries: int = 200, k: int = 10, dims: int = 384,
                      seed: int = 0) -> Dataset:
    """Clustered unit vectors: a stand-in for real embeddings when the model is not wanted (tests).

    Points are drawn around a few hundred random centres with a spread that leaves neighbours close
    but distinct, and anisotropic per-dimension scales (as real embeddings have), so quantization and
    PCA behave more like they do on real data than on isotropic noise.
    """
    rng = np.random.default_rng(seed)
    total = n + queries
    centres = rng.standard_normal((max(8, total // 25), dims))
    scales = np.geomspace(2.0, 0.2, dims)[rng.permutation(dims)]
    labels = rng.integers(0, len(centres), size=total)
    points = (centres[labels] + 0.6 * rng.standard_normal((total, dims))) * scales
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    points = points.astype(np.float32)
    words = [f"item{i}" for i in range(total)]
    return _split(words, points, n, queries, k, f"synthetic clustered vectors (seed {seed})",
                  {"model": "synthetic", "count": total})
