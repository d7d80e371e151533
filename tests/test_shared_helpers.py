"""One implementation per concept (issue 14): the dataset files, the cache, the database helpers and the
benchmark pages name models, write floats and print sizes through the same private helpers."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from vectorlab import data
from vectorlab._files import pretty_size, slug
from vectorlab._json_files import format_floats
from vectorlab.embed import cache


@pytest.mark.parametrize("model", ["openai/text-embedding-3-small", "use-multilingual-v3", "../x y", "a:b\\c",
                                   "my model (v2)"])
def test_dataset_files_name_a_model_as_the_cache_does(model):
    path = data.dataset_path("words", model)
    assert path.name == f"words.{slug(model)}.json"
    assert re.fullmatch(r"words\.[A-Za-z0-9._-]+\.json", path.name), path.name  # one safe file name
    assert path.parent == data.data_dir() / "embeddings"


def test_saved_embeddings_and_the_cache_write_floats_with_one_writer(tmp_path):
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((3, 5)).astype(np.float32)
    vectors[0, 0] = -1e-12  # rounds to -0.0: written as 0.0
    path = data.save_embeddings(tmp_path / "e.json", data.Embeddings(["a", "b", "c"], vectors, "m"), decimals=4)
    text = path.read_text(encoding="utf-8")
    for key, vector in zip("abc", vectors, strict=True):
        assert f'"{key}": ' + format_floats(vector, 4, separator=",") in text
    assert "-0.0" not in text
    np.testing.assert_allclose(np.array(list(json.loads(text)["vectors"].values())), vectors, atol=5e-5)
    assert cache.format_vector(vectors[1]) == format_floats(vectors[1])
    back = np.array(json.loads(cache.format_vector(vectors[1])), dtype=np.float32)
    assert back.tobytes() == vectors[1].tobytes()  # bit-exact without decimals
    assert not hasattr(data, "_format_vector") and not hasattr(data, "_slug")


def test_one_byte_formatter_for_the_database_and_the_benchmark_pages():
    from benchmarks import harness
    from vectorlab.vectordb import indexes

    assert not hasattr(indexes, "_pretty") and indexes.pretty_size is pretty_size
    assert pretty_size(1_572_864) == "1.5 MB"  # 1.5 * 2**20, as pg_size_pretty
    assert harness._bytes(153_600_000) == pretty_size(153_600_000, base=1000) == "153.6 MB"
    assert harness._bytes(None) == "–"
