"""The Spanish query set (data/consultas_peliculas.csv): written blind to the Spanish summaries, and sound.

The same check as tests/test_queries.py, in Spanish. For each ``paraphrase`` or ``foreign`` query and each
film it expects, we take the share of the query's content words that also appear in the film's titles
(the Latin American ``title`` and, where it differs, the Spain ``title_spain``: a query that repeats either
would win by repeating indexed words) and in its Spanish summary:

- Spanish queries (``language == "es"``): the text is put in NFC form, lowercased and cut into runs of
  letters; one-letter tokens and Spanish stop words (compared without accents) are removed; each word is
  reduced by the Snowball Spanish stemmer, then its accents are dropped (``leones`` and ``León`` -> ``leon``,
  ``niñas`` -> ``nin``). The film's title and summary go through the same steps.
- Queries in another language (the ``foreign`` category: English, French, German, Italian, Portuguese)
  go through the steps of *their* language (its Snowball stemmer; stop words of every language in the
  set), and so does the Spanish text they are compared with. Running Spanish text through an English
  stemmer is not linguistics; it is the same function on both sides, so what is counted is literal
  leakage (a shared name such as ``Kampala``, a borrowed word such as ``jazz`` or ``hockey``), not
  translation. As in English, the check is weak for these by design: a query that translates the
  summary word for word passes it; what guards them is how they were written (README, "How the Spanish
  data was made").

Bounds, as in English (over all ``paraphrase`` and ``foreign`` (query, expected film) pairs): title share 0
for every pair, summary share at most 0.5 for every pair and at most 0.25 on average.
tests/fixtures/consultas_peliculas_leaky.csv holds queries copied from the Spanish summaries and titles;
:func:`test_overlap_check_fails_on_a_leaky_query_set` asserts that it breaks all three bounds, so the check
can fail.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
import query_overlap
from query_overlap import CATEGORIES, FOREIGN_STOP_WORDS, USE_LANGUAGES, make_content_words, overlap_violations, plain
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from vectorlab.data import load_movie_queries, load_movies

FIXTURES = Path(__file__).parent / "fixtures"
CHECKED = {"paraphrase", "foreign"}

SPANISH_STOP_WORDS = """
a al algo algún alguna algunas alguno algunos ante antes aquel aquella aquellas aquellos aquí así cada como
con contra cual cuales cuando cuyo de del desde donde dos durante e el él ella ellas ellos en entre era eran
es esa esas ese eso esos esta está están estas este esto estos fue fueron ha había han hasta hay la las le
les lo los más me mi mí mis mucho muchos muy nada ni no nos o os otra otras otro otros para pero poco por
porque que qué quien quienes se sea ser si sí sin sobre son su sus también tan tanto te ti tiene tienen todo
todos tu tú tus un una uno unos unas y ya yo
"""

STOP_WORDS = frozenset(plain(w) for w in (*SPANISH_STOP_WORDS.split(), *FOREIGN_STOP_WORDS.split(),
                                           *ENGLISH_STOP_WORDS))
STEMMERS = {"es": "spanish", "en": "english", "fr": "french", "de": "german", "it": "italian", "pt": "portuguese"}
# Each query through its own language's steps, Spanish by default (see the module docstring).
content_words = make_content_words(STOP_WORDS, STEMMERS, "es", drop_accents_first=False)


def overlap_report(queries: pd.DataFrame, movies: pd.DataFrame) -> pd.DataFrame:
    """One row per (query, expected film): the shares of the query's content words in its titles and summary.

    A title shared by an original and its remake counts both rows' Spain titles and summaries.
    """
    return query_overlap.overlap_report(queries, movies, content_words, language_column="language",
                                        other_title_columns=["title_spain"])


@pytest.fixture(scope="module")
def consultas() -> pd.DataFrame:
    return load_movie_queries("consultas_peliculas")


@pytest.fixture(scope="module")
def peliculas() -> pd.DataFrame:
    return load_movies("peliculas")


def test_content_words_hand_computed():
    assert content_words("Una película sobre leones") == {"pelicul", "leon"}
    assert content_words("El rey león y las niñas") == {"rey", "leon", "nin"}
    # accents typed or not, precomposed or combining: the same words
    assert content_words("¿Dónde está el LEÓN?") == content_words("donde esta el leon") == {"leon"}
    assert content_words(unicodedata.normalize("NFD", "pingüinos y señoras")) == {"pinguin", "senor"}
    # English: English stop words and stemmer on both sides, so only literal leakage is found
    assert content_words("the lions are running to Paris", "en") == {"lion", "run", "pari"}
    assert content_words("leones en París", "en") == {"leon", "pari"}
    with pytest.raises(ValueError, match="no stemmer for language 'xx'"):
        content_words("hola", "xx")


def test_overlap_report_hand_computed():
    movies = pd.DataFrame({"title": ["Gato", "Días de perro", "Días de perro"],
                           "title_spain": ["Un gato", "", "Perrerías"],
                           "summary": ["Un gato navega.", "Un perro corre a casa.", "Un cachorro nadaba."]})
    queries = pd.DataFrame({"query": ["un perro que nadaba lejos", "gatos navegando", "cats sailing"],
                            "expected": [["Días de perro"], ["Gato"], ["Gato"]], "language": ["es", "es", "en"]})
    report = overlap_report(queries, movies)
    # query 1: {perr, nad, lej}: the title shares perr, the two summaries together share {perr, nad}
    # query 2: {gat, naveg}: title {gat}, summary {gat, naveg}; query 3 in English shares nothing literally
    assert report["title share"].tolist() == pytest.approx([1 / 3, 1 / 2, 0])
    assert report["summary share"].tolist() == pytest.approx([2 / 3, 1.0, 0])
    assert len(overlap_violations(report)) == 5  # 2 titles, 2 summaries, the mean (5/9 > 0.25)


def test_paraphrase_and_foreign_queries_keep_the_overlap_bounds(consultas, peliculas):
    report = overlap_report(consultas[consultas["category"].isin(CHECKED)], peliculas)
    assert overlap_violations(report) == []


def test_overlap_check_fails_on_a_leaky_query_set(peliculas):
    """Queries copied from the summaries (and one naming its film) break every bound."""
    leaky = pd.read_csv(FIXTURES / "consultas_peliculas_leaky.csv", dtype=str, keep_default_na=False)
    leaky["expected"] = leaky["expected_titles"].str.split("|")
    problems = overlap_violations(overlap_report(leaky, peliculas))
    assert any(p.startswith("title share") and "'El rey león'" in p for p in problems)
    assert sum(p.startswith("summary share") for p in problems) >= len(leaky) // 2
    assert problems[-1].startswith("mean summary share")


def test_query_file_is_sound(consultas, peliculas):
    assert list(consultas.columns[:5]) == ["query", "expected_titles", "category", "language", "note"]
    assert len(consultas) >= 60
    assert set(consultas["category"]) <= CATEGORIES, set(consultas["category"]) - CATEGORIES
    assert set(consultas["language"]) <= USE_LANGUAGES & set(STEMMERS), set(consultas["language"])
    assert not consultas["query"].str.strip().str.lower().duplicated().any()
    assert (consultas["query"] == consultas["query"].str.strip()).all()
    assert all(unicodedata.is_normalized("NFC", text) for text in consultas["query"])
    known = set(peliculas["title"])
    unknown = [(q, t) for q, titles in zip(consultas["query"], consultas["expected"], strict=True)
               for t in titles if t not in known]
    assert unknown == []
    assert all(len(set(titles)) == len(titles) for titles in consultas["expected"])
    foreign = consultas[consultas["category"] == "foreign"]
    assert len(foreign) >= 12 and foreign["language"].nunique() >= 3
    assert (foreign["language"] != "es").all()
    assert (foreign["language"] == "en").sum() >= len(foreign) / 2  # mostly English searching Spanish data
    assert (consultas.loc[consultas["category"] != "foreign", "language"] == "es").all()
    assert (consultas["category"] == "paraphrase").sum() > len(consultas) / 2  # the main set
    assert 2 <= (consultas["category"] == "rambling").sum() <= 3


def test_the_talks_lion_query_expects_every_lion_king(consultas, peliculas):
    """'una película sobre leones' (the talk's query) accepts the original, its remake and the lion films."""
    expected = consultas.set_index("query").loc["una película sobre leones", "expected"]
    lion_kings = set(peliculas.loc[peliculas["title_en"].str.contains("The Lion King"), "title"])
    assert lion_kings <= set(expected)
    assert (peliculas["title"] == "El rey león").sum() == 2  # 1994 and its 2019 remake share the title


def test_expected_titles_are_the_english_answers_mapped(consultas, peliculas):
    """Every expected Spanish title is a film of data/movies.csv under its Spanish name: joining back on
    ``title_en`` gives whole groups (a remake with the same English title is never left out)."""
    by_english = peliculas.groupby("title_en")["title"].agg(set)
    english_of = peliculas.groupby("title")["title_en"].agg(set)
    for titles in consultas["expected"]:
        english = set().union(*(english_of[t] for t in titles))
        assert set().union(*(by_english[e] for e in english)) == set(titles), titles


def _readme() -> str:
    return " ".join((Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8").split())


def test_readme_states_the_spanish_query_counts(consultas):
    """README's "How the Spanish data was made" gives the category and language counts of the file."""
    readme = _readme()
    counts = consultas["category"].value_counts()
    quoted = {category: int(n) for n, category in re.findall(r"(\d+) `(\w+)`", readme.split(
        "**Queries, written blind.**")[1].split("**Overlap bound")[0])}
    assert quoted == counts.to_dict()
    foreign = consultas[consultas["category"] == "foreign"]
    assert f"({(foreign['language'] == 'en').sum()} in English, one each in" in readme
    assert (foreign["language"] != "en").sum() == 4 and foreign["language"].value_counts().drop("en").eq(1).all()
    assert f"| `data/consultas_peliculas.csv` | {len(consultas)} labelled Spanish search queries" in readme


def test_readme_states_how_many_queries_were_rewritten(consultas):
    rewritten = consultas["note"].str.contains("reescrita tras la prueba de solapamiento")
    assert f"it found {rewritten.sum()} pairs above 0.5; those {['', 'one', 'two', 'three', 'four'][rewritten.sum()]}" \
           " queries were rewritten" in _readme()
