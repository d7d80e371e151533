"""Smoke run of the benchmark harness (benchmarks/) on a few thousand synthetic vectors.

It runs every question end to end so the benchmark code cannot rot, and checks what the numbers must
satisfy whatever the machine: complete rows, recalls in [0, 1], exact methods at recall 1, rescoring
never worse than the codes alone. It never asserts a timing. The peers (faiss, usearch) and the chart
library come with requirements-dev.txt, so their rows and the charts are checked too.

The real-data path (wordfreq word list, embedding cache, held-out split) runs on 300 words with a
stand-in for the model, in a temporary cache directory.

vectorlab's fast kernels are tested beside them, in tests/test_kernels.py; here only the benchmarks'
own ``BinaryIndex``.
"""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

# benchmarks/ is a top-level package of the repository (importable via pytest's pythonpath setting).
from benchmarks import QUESTIONS, run_all
from benchmarks.dataset import exact_top_k, synthetic_dataset
from benchmarks.harness import COLUMNS, Settings, format_table, recall_at_k


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    settings = Settings.smoke_settings(n=2_000, queries=50, repeats=1, single_queries=5, results_dir=out,
                                       quiet=True)
    results, env = run_all(settings)
    return results, env, out


def test_every_question_ran_and_wrote_its_files(smoke):
    results, env, out = smoke
    assert set(results) == set(QUESTIONS)
    assert env["threads"] >= 1 and env["dataset"]["n"] == 2_000
    for question in QUESTIONS:
        payload = json.loads((out / f"{question}.json").read_text())
        assert payload["rows"] == results[question].rows
        with open(out / f"{question}.csv", newline="") as handle:
            reader = csv.DictReader(handle)
            assert tuple(reader.fieldnames) == COLUMNS
            assert len(list(reader)) == len(payload["rows"])


def test_rows_are_complete_and_recalls_are_fractions(smoke):
    results, _, _ = smoke
    for result in results.values():
        assert result.rows, result.question
        for r in result.rows:
            assert set(COLUMNS) <= set(r), (result.question, set(COLUMNS) - set(r))
            assert r["question"] == result.question
            if r["recall_at_10"] is not None:
                assert 0.0 <= r["recall_at_10"] <= 1.0
            for kind in ("single", "batch"):
                if r[f"qps_{kind}"] is not None:
                    assert r[f"qps_{kind}_min"] <= r[f"qps_{kind}"] <= r[f"qps_{kind}_max"]
        assert "| method |" in format_table(result.rows)


def test_peers_ran_in_the_same_process(smoke):
    results, _, _ = smoke
    methods = {r["method"] for result in results.values() for r in result.rows}
    assert any("faiss" in m for m in methods), methods
    assert any("usearch" in m for m in methods), methods


def test_exact_methods_have_recall_one(smoke):
    results, _, _ = smoke
    for r in results["exhaustive"].rows:  # vectorlab dot and cosine, numpy full sort, faiss IndexFlatIP
        assert r["recall_at_10"] == 1.0, r["method"]
    assert results["hnsw"].rows[0]["recall_at_10"] == 1.0  # the exact reference of the HNSW sweep
    for r in results["talk_loop"].rows:  # the talk's loop and vectorlab agree with the float64 truth
        assert r["recall_at_10"] == 1.0, r["method"]
    assert results["binary"].rows[0]["recall_at_10"] == 1.0
    assert results["reduce"].rows[0]["recall_at_10"] == 1.0


def test_rescoring_never_loses_recall(smoke):
    results, _, _ = smoke
    rows = {r["key"]: r for r in results["binary"].rows}
    alone = rows["BinaryIndex"]["recall_at_10"]
    assert rows["search_binary"]["recall_at_10"] == alone  # same codes, same search
    previous = alone
    for factor in (2, 4, 8, 10):  # more candidates: a superset, so the rescored top 10 can only improve
        recall = rows[f"rescore{factor}"]["recall_at_10"]
        assert recall >= previous
        previous = recall
    assert rows["mean-rescore8"]["recall_at_10"] >= rows["mean-rescore4"]["recall_at_10"]
    assert results["binary"].extra["bytes_ratio_vs_float32"] == 32.0
    int8 = {r["key"]: r for r in results["int8"].rows}
    assert int8["per-dimension + rescore"]["recall_at_10"] >= int8["per-dimension ranges"]["recall_at_10"] - 1e-9


def test_the_report_renders_from_the_results(smoke, tmp_path):
    from benchmarks.report import load_results, render, targets

    _, _, out = smoke
    loaded = load_results(out)
    assert set(loaded) == set(QUESTIONS)
    text = render(loaded, total_s=1.0)
    assert "## Targets" in text and "## 1. Exhaustive float32 search" in text
    statuses = [status for _, _, status, _ in targets(loaded)]
    assert statuses and all(status in (True, False, None) or status.startswith("reached ") for status in statuses)
    from benchmarks.report import draw_charts

    charts = draw_charts(loaded, tmp_path)
    assert charts and all(path.stat().st_size > 1000 for path in charts)


def test_command_line_smoke_run(tmp_path, capsys):
    from benchmarks.__main__ import main

    assert main(["--smoke", "--n", "600", "--queries", "20", "--repeats", "1", "--single-queries", "3",
                 "--only", "exhaustive", "talk_loop", "--results", str(tmp_path), "--quiet"]) == 0
    assert (tmp_path / "exhaustive.json").exists() and (tmp_path / "talk_loop.csv").exists()
    assert "done in" in capsys.readouterr().out


def test_dataset_split_and_ground_truth():
    ds = synthetic_dataset(n=500, queries=20, k=10)
    assert ds.vectors.shape == (500, 384) and ds.queries.shape == (20, 384)
    assert ds.vectors.dtype == np.float32 and ds.vectors.flags.c_contiguous
    np.testing.assert_allclose(np.linalg.norm(ds.vectors, axis=1), 1.0, rtol=1e-5)
    assert not set(ds.words) & set(ds.query_words)  # held out: queries are not in the index
    brute = np.argsort(-(ds.queries.astype(np.float64) @ ds.vectors.T.astype(np.float64)), axis=1,
                       kind="stable")[:, :10]
    np.testing.assert_array_equal(ds.ground_truth, brute)
    assert recall_at_k(ds.ground_truth, ds.ground_truth) == 1.0
    assert recall_at_k(np.full_like(ds.ground_truth, -1), ds.ground_truth) == 0.0
    np.testing.assert_array_equal(exact_top_k(ds.queries, ds.vectors, 10, chunk=7), ds.ground_truth)



def _stand_in_embed(texts, batch_size=64, show_progress=None):  # noqa: ANN001, ANN202 - embed_local's signature
    """Unit vectors that depend only on each word (like a model), without loading one."""
    import zlib

    rows = [np.random.default_rng(zlib.crc32(t.encode())).standard_normal(384) for t in texts]
    vectors = np.array(rows, dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_word_dataset_embeds_once_caches_and_reuses_a_larger_cache(tmp_path):
    from benchmarks import dataset
    from vectorlab.embed.local_model import LOCAL_MODEL_NAME

    words = dataset.word_list(300)  # wordfreq's list ships in the package: offline
    assert len(words) == len(set(words)) == 300 and words[0] == "the"
    assert all(len(w) >= 2 and dataset._WORD.match(w) for w in words)
    calls = []

    def embed(texts, **kwargs):  # noqa: ANN001, ANN003, ANN202
        calls.append(list(texts))
        return _stand_in_embed(texts, **kwargs)

    ds = dataset.word_dataset(n=250, queries=50, k=10, cache_dir=tmp_path, embed=embed)
    assert calls == [words]  # embedded once, every word, in frequency order
    stem = dataset.cache_stem(300, LOCAL_MODEL_NAME)
    assert sorted(p.name for p in tmp_path.iterdir()) == [stem + ".json", stem + ".npy", stem + ".txt"]
    np.testing.assert_array_equal(np.load(tmp_path / f"{stem}.npy"), _stand_in_embed(words))
    assert (tmp_path / f"{stem}.txt").read_text(encoding="utf-8").split("\n") == words
    assert ds.meta["count"] == 300 and ds.meta["model"] == LOCAL_MODEL_NAME

    # the held-out split: 50 queries that are not in the 250 index words, together all 300
    assert ds.vectors.shape == (250, 384) and ds.queries.shape == (50, 384)
    assert not set(ds.words) & set(ds.query_words)
    assert sorted(ds.words + ds.query_words) == sorted(words)
    np.testing.assert_array_equal(ds.vectors, _stand_in_embed(ds.words))  # rows still match their words
    np.testing.assert_array_equal(ds.queries, _stand_in_embed(ds.query_words))
    brute = np.argsort(-(ds.queries.astype(np.float64) @ ds.vectors.T.astype(np.float64)), axis=1,
                       kind="stable")[:, :10]
    np.testing.assert_array_equal(ds.ground_truth, brute)

    def refuse(texts, **kwargs):  # noqa: ANN001, ANN003, ANN202
        raise AssertionError(f"embedded {len(texts)} words although a larger cache exists")

    # a smaller request is served by the cache of 300 (a prefix in frequency order), nothing embedded
    small = dataset.word_dataset(n=150, queries=30, k=5, cache_dir=tmp_path, embed=refuse)
    assert small.n == 150 and len(small.queries) == 30 and small.k == 5
    assert sorted(small.words + small.query_words) == sorted(words[:180])
    np.testing.assert_array_equal(small.vectors, _stand_in_embed(small.words))
    assert small.meta["cache"].endswith(stem + ".npy")

    # a larger request embeds anew; afterwards the smallest sufficient cache is the one reused
    dataset.load_word_vectors(320, cache_dir=tmp_path, embed=embed)
    assert len(calls) == 2 and len(calls[1]) == 320 and calls[1][:300] == words
    stem320 = dataset.cache_stem(320, LOCAL_MODEL_NAME)
    assert dataset._find_cache(300, LOCAL_MODEL_NAME, tmp_path).name == stem + ".npy"
    assert dataset._find_cache(301, LOCAL_MODEL_NAME, tmp_path).name == stem320 + ".npy"
    assert dataset._find_cache(321, LOCAL_MODEL_NAME, tmp_path) is None
    # vectors without their word list (a half-written cache) are never picked up
    (tmp_path / f"{stem}.txt").unlink()
    assert dataset._find_cache(200, LOCAL_MODEL_NAME, tmp_path).name == stem320 + ".npy"


# ------------------------------------------------------------------------------ benchmarks.binary_index


def test_binary_index_answers_like_search_binary_and_is_a_copy():
    from benchmarks.binary_index import BinaryIndex
    from vectorlab import search_binary

    rng = np.random.default_rng(7)
    codes = rng.integers(0, 256, size=(700, 48), dtype=np.uint8) & 0x55  # many tied distances
    queries = rng.integers(0, 256, size=(6, 48), dtype=np.uint8)
    index = BinaryIndex(codes)
    for query in (queries, queries[2]):
        for got, expected in zip(index.search(query, 10), search_binary(query, codes, 10), strict=True):
            np.testing.assert_array_equal(got, expected)
    assert len(index) == 700 and index.nbytes == 700 * 48
    small = np.array([[0b1111], [0b0000], [0b0111]], dtype=np.uint8)
    index = BinaryIndex(small)
    small[:] = 0  # changing the original afterwards does not change the index
    assert index.search(np.array([0b0111], dtype=np.uint8), k=1)[0].tolist() == [2]
    with pytest.raises(ValueError, match="query_codes has 2 bytes per code, the index has 1"):
        index.search(np.zeros(2, dtype=np.uint8), k=1)
    with pytest.raises(TypeError, match="codes must be packed bits as a uint8 array"):
        BinaryIndex(np.zeros((2, 2)))
