"""The labelled search queries (data/movie_queries.csv): written blind to our summaries, and the file is sound.

A ``paraphrase``, ``foreign`` or ``rambling`` query describes a film as a person remembers it (a rambling
one in a tired parent's stream of consciousness, asides and wrong details included), so it must not win by
repeating the words the search indexes. For each such query and each film it expects, we take the share of
the query's content words that also appear in the film's title, and in its summary:

- content words: the text is Unicode-decomposed with accents dropped, lowercased and cut into runs of
  letters (so ``Día`` -> ``dia``, ``family's`` -> ``family`` + ``s``); one-letter tokens and the stop words
  of every language in the set (scikit-learn's English list plus short Spanish, French, German, Italian and
  Portuguese lists in tests/query_overlap.py) are removed; each word is reduced by the Snowball English stemmer
  (``dalmatians`` -> ``dalmatian``, ``running`` -> ``run``).
- foreign queries go through exactly the same steps, so what is counted is literal leakage into the
  English text (a shared name such as ``Alaska``, a borrowed word such as ``chef``), not translation.
  Japanese and Chinese have no spaces: a run of kana/kanji is one token and can only match itself.
  So for foreign queries this check is weak by design: a query that translates the summary word for word
  (``leon`` for ``lion``) passes it. What guards them is how they were written (README, "How the search
  queries were written"), not this test.

Bounds (checked over all ``paraphrase``, ``foreign`` and ``rambling`` (query, expected film) pairs): title share 0 for
every pair, summary share at most 0.5 for every pair and at most 0.25 on average. The first version of the
file (tests/fixtures/movie_queries_v1.csv, written with the summaries at hand) fails all three, which
:func:`test_overlap_check_fails_on_the_first_query_set` asserts, so the check can fail.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import query_overlap
from query_overlap import CATEGORIES, FOREIGN_STOP_WORDS, USE_LANGUAGES, make_content_words, overlap_violations
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from vectorlab.data import load_movie_queries, load_movies

FIXTURES = Path(__file__).parent / "fixtures"
CHECKED = {"paraphrase", "foreign", "rambling"}

STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | frozenset(FOREIGN_STOP_WORDS.split())
# Every query, whatever its language, through the English steps (see the module docstring).
content_words = make_content_words(STOP_WORDS, {"en": "english"}, "en", drop_accents_first=True)


def overlap_report(queries: pd.DataFrame, movies: pd.DataFrame) -> pd.DataFrame:
    """One row per (query, expected film): the shares of the query's content words in its title and summary.

    A title shared by an original and its remake counts both summaries.
    """
    return query_overlap.overlap_report(queries, movies, content_words)


@pytest.fixture(scope="module")
def queries() -> pd.DataFrame:
    return load_movie_queries()


@pytest.fixture(scope="module")
def movies() -> pd.DataFrame:
    return load_movies()


def test_content_words_hand_computed():
    assert content_words("The Dalmatians' puppies are running!") == {"dalmatian", "puppi", "run"}
    assert content_words("una película sobre un león") == {"pelicula", "leon"}
    assert content_words("Día de Muertos, l'armée") == {"dia", "muerto", "arme"}
    assert content_words("雪と氷") == {"雪と氷"}


def test_overlap_report_hand_computed():
    movies = pd.DataFrame({"title": ["Cat Tale", "Dog Days", "Dog Days"],
                           "summary": ["A cat sails.", "A dog runs home.", "A puppy swims."]})
    queries = pd.DataFrame({"query": ["a dog that swims far", "cats sailing"],
                            "expected": [["Dog Days"], ["Cat Tale"]]})
    report = overlap_report(queries, movies)
    # query 1: {dog, swim, far}: title {dog, day} shares 1, the two summaries together share {dog, swim}
    assert report["title share"].tolist() == pytest.approx([1 / 3, 1 / 2])
    assert report["summary share"].tolist() == pytest.approx([2 / 3, 1.0])
    assert len(overlap_violations(report)) == 5  # 2 titles, 2 summaries, the mean


def test_paraphrase_foreign_and_rambling_queries_keep_the_overlap_bounds(queries, movies):
    report = overlap_report(queries[queries["category"].isin(CHECKED)], movies)
    assert overlap_violations(report) == []


def test_overlap_check_fails_on_the_first_query_set(movies):
    """The first set was written beside the summaries: every bound fails on it (v1 had no category column)."""
    first = pd.read_csv(FIXTURES / "movie_queries_v1.csv", dtype=str, keep_default_na=False)
    first["expected"] = first["expected_titles"].str.split("|")
    report = overlap_report(first, movies)
    problems = overlap_violations(report)
    assert any(p.startswith("title share") and "'talking race cars' vs 'Cars'" in p for p in problems)
    assert any(p.startswith("summary share") for p in problems)
    assert problems[-1].startswith("mean summary share")


def test_query_file_is_sound(queries, movies):
    assert list(queries.columns[:5]) == ["query", "expected_titles", "category", "language", "note"]
    assert len(queries) >= 60
    assert set(queries["category"]) <= CATEGORIES, set(queries["category"]) - CATEGORIES
    assert set(queries["language"]) <= USE_LANGUAGES, set(queries["language"]) - USE_LANGUAGES
    assert not queries["query"].str.strip().str.lower().duplicated().any()
    assert (queries["query"] == queries["query"].str.strip()).all()
    known = set(movies["title"])
    unknown = [(q, t) for q, titles in zip(queries["query"], queries["expected"], strict=True)
               for t in titles if t not in known]
    assert unknown == []
    assert all(len(set(titles)) == len(titles) for titles in queries["expected"])
    foreign = queries[queries["category"] == "foreign"]
    assert len(foreign) >= 12 and foreign["language"].nunique() >= 3
    assert (foreign["language"] != "en").all()
    assert (queries.loc[queries["category"] != "foreign", "language"] == "en").all()
    assert (queries["category"] == "paraphrase").sum() > len(queries) / 2  # the main set


def test_the_talks_four_queries_are_kept(queries):
    talk = queries[queries["note"].str.contains("from the talk")]
    assert set(talk["query"]) >= {"a toddler-friendly movie about cats", "a toddler-friendly movie about dogs"}
    assert len(talk) == 4
    assert {"The Aristocats", "Oliver & Company", "That Darn Cat!"} <= set(
        queries.set_index("query").loc["a toddler-friendly movie about cats", "expected"])


def test_readme_states_the_query_counts(queries):
    """README's dataset row and category table give the counts of the file (they must move together)."""
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    assert f"| `data/movie_queries.csv` | {len(queries)} labelled search queries" in readme
    for category, count in queries["category"].value_counts().items():
        assert re.search(rf"^\| `{category}` \|.*\| {count} \|$", readme, flags=re.MULTILINE), category
