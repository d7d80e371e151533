"""The query-overlap check shared by tests/test_queries.py (English) and tests/test_consultas_peliculas.py (Spanish).

A query that describes a film must not win by repeating the words the search indexes: for each (query,
expected film) pair, the share of the query's content words that also appear in the film's title(s) and
summary is bounded. What a "content word" is depends on the language (its stop words, its Snowball stemmer,
and whether accents are dropped before stemming or from the stems): each test module builds its own
:func:`make_content_words` and documents its steps in its docstring; the report and the bounds are the same.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from functools import cache

import pandas as pd
import snowballstemmer

CATEGORIES = {"paraphrase", "keyword", "foreign", "vague", "rambling"}
# ISO 639-1 codes of the languages Universal Sentence Encoder multilingual v3 was trained on.
USE_LANGUAGES = {"ar", "zh", "nl", "en", "fr", "de", "it", "ja", "ko", "pl", "pt", "es", "th", "tr", "ru"}
MAX_TITLE_SHARE, MAX_SUMMARY_SHARE, MAX_MEAN_SUMMARY_SHARE = 0.0, 0.5, 0.25

# Short stop-word lists of the other languages in the query sets (Spanish, French, German, Italian, Portuguese).
FOREIGN_STOP_WORDS = """
a al algo como con de del el ella en es esta este esto hay la las lo los mas mi muy no para pero por que se
ser si sin sobre su sus te tiene un una uno unos va y ya
au aux avec ce ces dans des du elle en est et il ils la le les leur lui mais ne pas par pour qu qui sa se
ses son sont sur un une
als am an auf aus bei das dem den der des die ein eine einem einen einer er es fur hat im in ist mit nach
nicht nur sich sie sind um und von vor wenn wie zu zum zur
che chi con da dal del della di e gli il in la le lo nel per si su un una uno
ao aos com da das de do dos e em na no nos o os para pela pelo por que se sua seu um uma
"""

ContentWords = Callable[..., frozenset[str]]


def plain(text: str) -> str:
    """``text`` Unicode-decomposed (NFKD) with its accents dropped."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def make_content_words(
    stop_words: frozenset[str], stemmers: Mapping[str, str], default_language: str, *, drop_accents_first: bool
) -> ContentWords:
    """Return ``content_words(text, language=default_language)``: the stemmed content words of ``text``.

    The text is lowercased and cut into runs of letters; one-letter tokens and ``stop_words`` (accent-free,
    compared without accents) are removed; each word is reduced by ``language``'s Snowball stemmer
    (``stemmers`` maps a language code to its Snowball name). With ``drop_accents_first`` the accents are
    dropped from the whole text before it is cut (a stemmer that expects plain letters); otherwise the text is
    put in NFC form and the accents are dropped from the stems (a stemmer that reads accents).
    """

    @cache
    def stemmer(language: str) -> snowballstemmer.stemmer:
        if language not in stemmers:
            raise ValueError(f"no stemmer for language {language!r}: add one to STEMMERS ({', '.join(stemmers)})")
        return snowballstemmer.stemmer(stemmers[language])

    @cache
    def content_words(text: str, language: str = default_language) -> frozenset[str]:
        if drop_accents_first:
            words = [w for w in re.findall(r"[^\W\d_]+", plain(text).lower()) if len(w) > 1 and w not in stop_words]
            return frozenset(stemmer(language).stemWords(words))
        words = re.findall(r"[^\W\d_]+", unicodedata.normalize("NFC", text).lower())
        words = [w for w in words if len(w) > 1 and plain(w) not in stop_words]
        return frozenset(plain(stem) for stem in stemmer(language).stemWords(words))

    return content_words


def overlap_report(
    queries: pd.DataFrame,
    movies: pd.DataFrame,
    content_words: ContentWords,
    *,
    language_column: str | None = None,
    other_title_columns: Sequence[str] = (),
) -> pd.DataFrame:
    """One row per (query, expected film): the shares of the query's content words in its titles and summary.

    Each query is read in its ``language_column``'s language (the content words' default language when
    None), and so is the film's text it is compared with. The film's titles are ``title`` plus its
    ``other_title_columns``. A title shared by an original and its remake counts both rows' other titles and
    summaries.
    """
    films = movies.groupby("title").agg({column: " ".join for column in (*other_title_columns, "summary")})
    languages = queries[language_column] if language_column else [()] * len(queries)
    rows = []
    for query, titles, language in zip(queries["query"], queries["expected"], languages, strict=True):
        language_args = (language,) if language_column else ()
        words = content_words(query, *language_args)
        for title in titles:
            title_text = " ".join([title, *(films.loc[title, column] for column in other_title_columns)])
            in_title = content_words(title_text, *language_args)
            in_summary = content_words(films.loc[title, "summary"], *language_args)
            rows.append({
                "query": query, "title": title,
                "title share": len(words & in_title) / len(words),
                "summary share": len(words & in_summary) / len(words),
                "shared": " ".join(sorted(words & (in_title | in_summary))),
            })
    return pd.DataFrame(rows)


def overlap_violations(report: pd.DataFrame) -> list[str]:
    """Every way ``report`` breaks the documented bounds, as readable lines (empty when it keeps them)."""
    problems = [f"title share {row['title share']:.2f} > {MAX_TITLE_SHARE}: {row['query']!r} vs {row['title']!r} "
                f"(shared: {row['shared']})" for _, row in report[report["title share"] > MAX_TITLE_SHARE].iterrows()]
    problems += [f"summary share {row['summary share']:.2f} > {MAX_SUMMARY_SHARE}: {row['query']!r} vs "
                 f"{row['title']!r} (shared: {row['shared']})"
                 for _, row in report[report["summary share"] > MAX_SUMMARY_SHARE].iterrows()]
    mean = report["summary share"].mean()
    if mean > MAX_MEAN_SUMMARY_SHARE:
        problems.append(f"mean summary share {mean:.3f} > {MAX_MEAN_SUMMARY_SHARE}")
    return problems
