"""Loading/saving embeddings files, and checks that the shipped data is what it claims to be."""

from __future__ import annotations

import json
import random
import re
import unicodedata

import numpy as np
import pytest

from vectorlab.data import (
    DATASETS,
    Embeddings,
    MissingKeyError,
    dataset_path,
    dataset_texts,
    load_dataset,
    load_embeddings,
    load_movie_queries,
    load_movies,
    load_words,
    save_embeddings,
)
from vectorlab.local_model import LOCAL_MODEL_DIMS, LOCAL_MODEL_NAME
from vectorlab.use_model import USE_MODEL_DIMS, USE_MODEL_NAME, embed_use

REAL_MODELS = [USE_MODEL_NAME, LOCAL_MODEL_NAME]
ENGLISH_DATASETS = ["words", "movie_titles", "movie_plots", "movie_queries"]
SPANISH_DATASETS = ["sustantivos", "titulos_peliculas", "tramas_peliculas", "consultas_peliculas"]
ALL_DATASETS = ENGLISH_DATASETS + SPANISH_DATASETS
SHIPPED = [(name, model) for model in REAL_MODELS for name in ALL_DATASETS]


# --- the file format -------------------------------------------------------------------------------


def test_save_then_load_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(5, 7)).astype(np.float32)
    original = Embeddings(["a", "b", "ünïcode", "with \"quotes\"", "x"], vectors, model="toy")
    path = save_embeddings(tmp_path / "e.json", original, source="test")
    loaded = load_embeddings(path, model="toy")
    assert loaded.keys == original.keys
    assert loaded.model == "toy" and loaded.dimensions == 7
    np.testing.assert_allclose(loaded.vectors, vectors, atol=5e-7)
    # the file stays a plain JSON document a person can read: a mapping under "vectors"
    payload = json.loads(path.read_text(encoding="utf-8"))
    assert payload["model"] == "toy" and payload["dimensions"] == 7
    assert list(payload["vectors"]) == original.keys


def test_save_is_byte_identical_for_identical_input(tmp_path):
    emb = Embeddings(["p", "q"], np.array([[0.1, -0.2], [1e-9, 0.3]], dtype=np.float32), model="toy")
    first = save_embeddings(tmp_path / "1.json", emb).read_bytes()
    second = save_embeddings(tmp_path / "2.json", emb).read_bytes()
    assert first == second


def test_plain_seed_mapping_loads_with_a_model_name(tmp_path):
    path = tmp_path / "seed.json"
    path.write_text(json.dumps({"dog": [1.0, 0.0], "cat": [0.0, 1.0]}))
    emb = load_embeddings(path, model="text-embedding-ada-002")
    assert emb.keys == ["dog", "cat"]
    np.testing.assert_array_equal(emb.vector("cat"), [0.0, 1.0])
    with pytest.raises(ValueError, match="no model recorded: pass model="):
        load_embeddings(path)


def test_model_mismatch_is_refused(tmp_path):
    path = save_embeddings(tmp_path / "e.json", Embeddings(["a"], np.ones((1, 3)), model="model-a"))
    with pytest.raises(ValueError, match="holds 'model-a' embeddings, not 'model-b'"):
        load_embeddings(path, model="model-b")


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ([[1.0, 2.0]], "unknown JSON shape"),
        ({"a": "not a list"}, "not a list of numbers"),
        ({"a": [1.0, 2.0], "b": [1.0]}, "'b' has 1 numbers but the file's vectors have 2"),
        ({"model": "m", "dimensions": 3, "vectors": {"a": [1.0, 2.0]}}, "has 2 numbers but the file's vectors have 3"),
        ({"a": [1.0, "x"]}, "only numbers"),
        ({}, "non-empty mapping"),
    ],
)
def test_bad_files_get_a_clear_error(tmp_path, payload, message):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(payload))
    with pytest.raises(ValueError, match=message):
        load_embeddings(path, model="m")


def test_not_json_and_missing_file(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"a": [1.0,')
    with pytest.raises(ValueError, match="not valid JSON"):
        load_embeddings(broken, model="m")
    with pytest.raises(FileNotFoundError, match="prepare_data.py"):
        load_embeddings(tmp_path / "missing.json")


def test_embeddings_checks_its_own_consistency():
    with pytest.raises(ValueError, match="2 keys but 3 vectors"):
        Embeddings(["a", "b"], np.ones((3, 2)), model="m")
    with pytest.raises(ValueError, match="'a' appears more than once"):
        Embeddings(["a", "a"], np.ones((2, 2)), model="m")
    with pytest.raises(ValueError, match="NaN or infinity"):
        Embeddings(["a"], np.array([[np.nan, 1.0]]), model="m")
    with pytest.raises(ValueError, match="empty"):
        Embeddings([], np.ones((0, 2)), model="m")


def _nfd(text: str) -> str:
    """``text`` typed with combining accents (what some keyboards and macOS file names produce)."""
    decomposed = unicodedata.normalize("NFD", text)
    assert decomposed != text, f"{text!r} has nothing to decompose: pick a title with an accent, ñ or ü"
    return decomposed


def test_a_key_typed_with_combining_accents_finds_the_precomposed_one():
    """NFC at the boundary: index, vector and `in` compare keys in NFC form (hand-built, then the shipped file)."""
    emb = Embeddings(["El rey león", "Pingüinos", "¡Síganme, muchachos!"], np.eye(3), model="m")
    for row, key in enumerate(emb.keys):
        assert emb.index(_nfd(key)) == row and _nfd(key) in emb
        np.testing.assert_array_equal(emb.vector(_nfd(key)), emb.vectors[row])
    assert emb.subset([_nfd("Pingüinos")]).keys == ["Pingüinos"]  # the stored spelling, not the typed one
    assert "El rey leon" not in emb  # NFC keeps accents: a missing accent is another text
    titles = load_dataset("titulos_peliculas")
    for title in ["El rey león", "Soñando, soñando… triunfé patinando", "Pingüinos", "¡Síganme, muchachos!",
                  "¡Monos, váyanse a casa!"]:
        assert titles.index(_nfd(title)) == titles.index(title)
    plots = load_dataset("tramas_peliculas")
    key = next(k for k in plots.keys if k.startswith("Pingüinos: "))
    np.testing.assert_array_equal(plots.vector(_nfd(key)), plots.vector(key))


def test_two_keys_that_differ_only_in_unicode_form_are_one_key():
    with pytest.raises(ValueError, match="'León' and 'León' are the same text in two Unicode forms"):
        Embeddings(["León", _nfd("León")], np.eye(2), model="m")


def test_table_loaders_return_nfc_text(tmp_path, monkeypatch):
    """A table saved with combining accents loads as the precomposed text, so its keys are the same."""
    (tmp_path / "data").mkdir()
    for name in ("peliculas.csv", "consultas_peliculas.csv", "sustantivos.csv"):
        shipped = (dataset_path("words", USE_MODEL_NAME).parents[1] / name).read_text(encoding="utf-8")
        (tmp_path / "data" / name).write_text(unicodedata.normalize("NFD", shipped), encoding="utf-8")
    monkeypatch.setenv("VECTORLAB_ROOT", str(tmp_path))
    movies = load_movies("peliculas")
    assert "Pingüinos" in set(movies["title"]) and "Soñando, soñando… triunfé patinando" in set(movies["title"])
    assert all(unicodedata.is_normalized("NFC", text) for text in movies["plot_text"])
    queries = load_movie_queries("consultas_peliculas")
    assert "una película sobre leones" in set(queries["query"])
    assert all(unicodedata.is_normalized("NFC", t) for titles in queries["expected"] for t in titles)
    words = load_words("sustantivos")
    assert all(unicodedata.is_normalized("NFC", w) for w in words)
    monkeypatch.delenv("VECTORLAB_ROOT")
    assert dataset_texts("tramas_peliculas") == movies["plot_text"].drop_duplicates().tolist()


def test_missing_key_suggests_the_closest_keys():
    emb = Embeddings(["kitten", "dog", "mitten"], np.eye(3), model="m")
    for error in (ValueError, KeyError):  # a ValueError as promised; `except KeyError` code keeps working
        with pytest.raises(error, match="did you mean 'kitten', 'mitten'") as caught:
            emb.vector("kiten")
        assert caught.type is MissingKeyError
        # the plain message, not wrapped in quotes the way str(KeyError(...)) would be
        assert str(caught.value) == "'kiten' is not in the m embeddings (3 keys): did you mean 'kitten', 'mitten'?"
    with pytest.raises(ValueError, match="'zebra' is not in the m embeddings .*check the spelling"):
        emb.index("zebra")
    assert emb.subset(["dog", "kitten"]).keys == ["dog", "kitten"]
    np.testing.assert_array_equal(emb.subset(["dog"]).vectors, [[0.0, 1.0, 0.0]])


# --- the shipped datasets ----------------------------------------------------------------------------


def test_csvs_have_the_promised_shape():
    words = load_words()
    assert len(words) == 1000 and len(set(words)) == 1000
    sustantivos = load_words("sustantivos")
    assert len(sustantivos) == 1000 and len(set(sustantivos)) == 1000
    movies = load_movies()
    assert 450 <= len(movies) <= 550
    assert not movies[["title", "year", "kind", "summary"]].isna().any().any()
    assert set(movies["kind"]) == {"animated", "live-action"}
    assert not movies.duplicated(["title", "year"]).any()
    queries = load_movie_queries()
    titles = set(movies["title"])
    assert len(queries) >= 25
    for expected in queries["expected"]:
        assert set(expected) <= titles, f"{expected} not all in movies.csv"
    consultas = load_movie_queries("consultas_peliculas")
    assert len(consultas) >= 60
    titulos = set(load_movies("peliculas")["title"])
    for expected in consultas["expected"]:
        assert set(expected) <= titulos, f"{expected} not all in peliculas.csv"


def test_peliculas_are_the_films_of_movies_csv_in_spanish():
    """Same films and order as movies.csv; Latin American title, Spain title only where it differs; one
    Spanish sentence of 14-39 words per film (the English rule), all text in NFC form as stored."""
    movies, peliculas = load_movies(), load_movies("peliculas")
    assert list(peliculas.columns[:6]) == ["title_en", "year", "kind", "title", "title_spain", "summary"]
    assert peliculas["title_en"].tolist() == movies["title"].tolist()
    assert peliculas["year"].tolist() == movies["year"].tolist()
    assert peliculas["kind"].tolist() == movies["kind"].tolist()
    raw = (dataset_path("words", USE_MODEL_NAME).parents[1] / "peliculas.csv").read_text(encoding="utf-8")
    assert unicodedata.is_normalized("NFC", raw), "peliculas.csv must be stored in NFC form"
    assert (peliculas["title"].str.strip() == peliculas["title"]).all() and (peliculas["title"] != "").all()
    assert (peliculas["title_spain"] != peliculas["title"]).all(), "title_spain is only for a title that differs"
    assert not peliculas.duplicated(["title", "year"]).any()
    lengths = peliculas["summary"].str.split().str.len()
    assert lengths.between(14, 39).all(), peliculas.loc[~lengths.between(14, 39), ["title", "summary"]]
    assert peliculas["summary"].str.endswith(".").all()
    # one sentence: no sentence end inside (initials such as "P. L. Travers" or "T.J." are not one)
    inside = peliculas["summary"].str[:-1].str.contains(r"\w{2,}[.!?]\s+[¿¡]?[A-ZÁÉÍÓÚÑ]", regex=True)
    assert not inside.any(), peliculas.loc[inside, "summary"].tolist()
    # Spanish, not English left over: Spanish function words in every summary, no English ones
    spanish = peliculas["summary"].str.count(r"\b(?:de|la|el|que|en|los|las|su|con|por|una?)\b")
    assert (spanish >= 2).all(), peliculas.loc[spanish < 2, "summary"].tolist()
    assert not peliculas["summary"].str.contains(r"\b(?:the|and|with|of)\b").any()


@pytest.mark.parametrize(("name", "model"), SHIPPED)
def test_shipped_files_match_the_csvs(name, model):
    emb = load_embeddings(dataset_path(name, model), model=model)
    assert emb.keys == dataset_texts(name)
    np.testing.assert_allclose(np.linalg.norm(emb.vectors, axis=1), 1.0, atol=1e-5)


def test_all_shipped_json_stays_small():
    """English and Spanish, two models each: about 18 MB per language."""
    total = sum(dataset_path(name, model).stat().st_size for name, model in SHIPPED)
    assert total < 45e6, f"data/embeddings/ is {total / 1e6:.1f} MB, budget is 45 MB"


def test_every_file_in_data_embeddings_is_a_shipped_one():
    on_disk = sorted(path.name for path in dataset_path("words", USE_MODEL_NAME).parent.glob("*.json"))
    assert on_disk == sorted(dataset_path(name, model).name for name, model in SHIPPED)


def test_every_dataset_is_shipped_for_both_real_models_and_use_is_the_default():
    assert set(ALL_DATASETS) == set(DATASETS)
    for name in DATASETS:
        assert load_dataset(name).model == USE_MODEL_NAME and load_dataset(name).dimensions == USE_MODEL_DIMS
        assert load_dataset(name, model=LOCAL_MODEL_NAME).dimensions == LOCAL_MODEL_DIMS


@pytest.mark.parametrize(("dataset", "table"), [("movie_queries", "movie_queries"),
                                               ("consultas_peliculas", "consultas_peliculas")])
def test_query_datasets_hold_the_query_column(dataset, table):
    queries = load_movie_queries(table)["query"].tolist()
    assert dataset_texts(dataset) == list(dict.fromkeys(queries))
    assert load_dataset(dataset).keys == dataset_texts(dataset)


def test_spanish_datasets_embed_the_spanish_tables():
    peliculas = load_movies("peliculas")
    assert dataset_texts("titulos_peliculas") == peliculas["title"].drop_duplicates().tolist()
    assert dataset_texts("tramas_peliculas") == [f"{t}: {s}" for t, s in zip(peliculas["title"], peliculas["summary"],
                                                                             strict=True)]
    assert dataset_texts("sustantivos") == load_words("sustantivos")


def _fresh(model: str, texts: list[str]) -> np.ndarray:
    if model == USE_MODEL_NAME:
        return embed_use(texts)
    from vectorlab.local_model import embed_local

    return embed_local(texts)


@pytest.mark.parametrize("model", [USE_MODEL_NAME, pytest.param(LOCAL_MODEL_NAME, marks=pytest.mark.slow)])
@pytest.mark.parametrize("name", ALL_DATASETS)
def test_shipped_vectors_are_honest(name, model):
    """Re-embed a random sample with the labelled model: every shipped vector must match it."""
    emb = load_dataset(name, model=model)
    sample = random.Random(f"honesty-{name}-{model}").sample(emb.keys, min(40, len(emb)))
    fresh = _fresh(model, sample)
    shipped = emb.subset(sample).vectors
    assert fresh.shape == shipped.shape
    cosines = np.sum(fresh * shipped, axis=1) / np.linalg.norm(shipped, axis=1)
    assert cosines.min() > 0.9999, f"{sample[int(cosines.argmin())]!r} has cosine {cosines.min():.6f}"
    assert np.abs(fresh - shipped).max() < 1e-5  # rounded to 6 decimals, nothing more


def test_the_honesty_check_catches_vectors_of_the_other_model():
    """The same check fails on vectors labelled with the wrong model (a shuffled file, another model)."""
    emb = load_dataset("movie_queries")
    fresh = embed_use(emb.keys)
    shuffled = emb.vectors[np.roll(np.arange(len(emb)), 1)]
    assert (np.sum(fresh * shuffled, axis=1)).min() < 0.99


@pytest.mark.parametrize("name", ["movie_titles", "titulos_peliculas"])
def test_rebuilt_use_file_matches_the_shipped_one_within_tolerance(tmp_path, name):
    """Rebuild all the titles with USE (~5 s) as `tasks.py data` does and compare the way `--check` does."""
    from scripts.prepare_data import SOURCES, compare_files

    rebuilt = save_embeddings(tmp_path / f"{name}.json", build_use(name), source=SOURCES[USE_MODEL_NAME])
    matches, description = compare_files(rebuilt, dataset_path(name, USE_MODEL_NAME))
    assert matches, description


def build_use(name: str) -> Embeddings:
    from scripts.prepare_data import build

    return build(name, USE_MODEL_NAME)


@pytest.mark.slow
def test_rebuilt_minilm_file_matches_the_shipped_one_within_tolerance(tmp_path):
    """Rebuild all of movie_titles (~9 s) as `tasks.py data` does and compare the way `--check` does.

    Not byte for byte: PyTorch's CPU kernels differ across machines, which moves MiniLM values in the
    last of the 6 shipped decimals. Keys, model and dimensions must be exact, values within 1e-5.
    """
    from scripts.prepare_data import SOURCES, TOLERANCE, build, compare_files

    assert TOLERANCE == 1e-5
    rebuilt = save_embeddings(tmp_path / "movie_titles.json", build("movie_titles", LOCAL_MODEL_NAME),
                              source=SOURCES[LOCAL_MODEL_NAME])
    shipped = dataset_path("movie_titles", LOCAL_MODEL_NAME)
    matches, description = compare_files(rebuilt, shipped)
    assert matches, description
    # an independent look at the same numbers, straight from the JSON text (not through compare_files)
    fresh = json.loads(rebuilt.read_text(encoding="utf-8"))
    original = json.loads(shipped.read_text(encoding="utf-8"))
    assert (fresh["model"], fresh["dimensions"]) == (original["model"], original["dimensions"])
    assert list(fresh["vectors"]) == list(original["vectors"])
    diff = np.abs(np.array(list(fresh["vectors"].values())) - np.array(list(original["vectors"].values())))
    assert diff.max() <= 1e-5 + 1e-12, f"max |diff| {diff.max():.1e}"


def test_check_reports_a_difference_beyond_the_tolerance(tmp_path):
    from scripts.prepare_data import compare_files

    emb = Embeddings(["a", "b"], np.array([[0.6, 0.8], [1.0, 0.0]]), model="toy")
    shipped = save_embeddings(tmp_path / "shipped.json", emb)
    assert compare_files(save_embeddings(tmp_path / "same.json", emb), shipped) == (True, "same bytes")
    close = Embeddings(["a", "b"], emb.vectors + np.float32(2e-6), model="toy")
    matches, description = compare_files(save_embeddings(tmp_path / "close.json", close), shipped)
    assert matches and "same within 1e-05 (max |diff| 2.0e-06" in description
    far = Embeddings(["a", "b"], emb.vectors + np.float32(1e-4), model="toy")
    matches, description = compare_files(save_embeddings(tmp_path / "far.json", far), shipped)
    assert not matches and "DIFFERS: beyond 1e-05 (max |diff| 1.0e-04" in description
    other_keys = Embeddings(["a", "c"], emb.vectors, model="toy")
    matches, description = compare_files(save_embeddings(tmp_path / "keys.json", other_keys), shipped)
    assert not matches and "keys" in description
    assert compare_files(shipped, tmp_path / "missing.json")[0] is False


def test_two_models_disagree_about_what_is_similar():
    """The point of shipping two models ("two brains"): their neighbourhoods differ (measured, not assumed)."""
    minilm = load_dataset("words", model=LOCAL_MODEL_NAME)
    use = load_dataset("words", model=USE_MODEL_NAME)
    assert minilm.keys == use.keys

    def top10(vectors):
        scores = vectors @ vectors.T
        np.fill_diagonal(scores, -np.inf)
        return np.argsort(-scores, axis=1)[:, :10]

    a, b = top10(minilm.vectors), top10(use.vectors)
    shared = np.mean([len(set(x) & set(y)) / 10 for x, y in zip(a, b, strict=True)])
    assert shared < 0.5, f"the two models share {shared:.0%} of their top-10 neighbours"


def test_prepare_data_is_deterministic(tmp_path):
    """Two builds of a shipped file write the same bytes, and they match the shipped vectors."""
    from scripts.prepare_data import SOURCES, build

    first = save_embeddings(tmp_path / "1.json", build("words", USE_MODEL_NAME), source=SOURCES[USE_MODEL_NAME])
    second = save_embeddings(tmp_path / "2.json", build("words", USE_MODEL_NAME), source=SOURCES[USE_MODEL_NAME])
    assert first.read_bytes() == second.read_bytes()
    rebuilt = load_embeddings(first)
    shipped = load_dataset("words", model=USE_MODEL_NAME)
    assert rebuilt.keys == shipped.keys
    np.testing.assert_allclose(rebuilt.vectors, shipped.vectors, atol=2e-6)


def test_readme_counts_match_the_data():
    """The film, key and remake counts the README quotes are computed from the CSV, not typed."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    films = len(load_movies())
    keys = len(dataset_texts("movie_titles"))
    sentence = re.search(r"the (\d+) films give (\d+) keys, because the (\d+) remakes", readme)
    assert sentence, "README lost the sentence about movie_titles keys"
    assert tuple(int(n) for n in sentence.groups()) == (films, keys, films - keys)
    assert f"| `data/movies.csv` | {films} Disney feature films" in readme
    assert f"`movie_plots` keeps all {films}" in readme


def test_readme_spanish_counts_match_the_data():
    """The Spanish film, key and Spain-title counts the README quotes are computed from the CSV."""
    from pathlib import Path

    readme = " ".join((Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8").split())
    peliculas = load_movies("peliculas")
    films, keys = len(peliculas), len(dataset_texts("titulos_peliculas"))
    sentence = re.search(r"the (\d+) films give (\d+) keys, because (\d+) titles are shared", readme)
    assert sentence, "README lost the sentence about titulos_peliculas keys"
    assert tuple(int(n) for n in sentence.groups()) == (films, keys, films - keys)
    assert f"| `data/peliculas.csv` | the same {films} films in Spanish" in readme
    assert f"only where it differs: {(peliculas['title_spain'] != '').sum()} films" in readme
    assert f"| `data/consultas_peliculas.csv` | {len(load_movie_queries('consultas_peliculas'))} labelled" in readme
