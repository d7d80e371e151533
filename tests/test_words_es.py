"""data/sustantivos.csv: 1,000 common Spanish nouns, checked against its rules and rebuilt from its script."""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path

import pytest
import wordfreq

from scripts.make_word_list_es import (
    FILL_NOUNS,
    STOP_WORDS,
    TRANSLATIONS,
    TranslationTableError,
    build_word_list,
    read_english,
    read_translations,
    write_csv,
)

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "data" / "sustantivos.csv"
MIN_ALIGNED = 700


def _rows() -> list[dict[str, str]]:
    with SHIPPED.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["word", "rank", "zipf", "english"]
        return list(reader)


def _table() -> dict[str, str]:
    with TRANSLATIONS.open(encoding="utf-8", newline="") as handle:
        return {row["english"]: row["spanish"] for row in csv.DictReader(handle)}


def test_one_thousand_unique_lowercase_nfc_words():
    words = [row["word"] for row in _rows()]
    assert len(words) == 1000 and len(set(words)) == 1000
    for word in words:
        assert unicodedata.normalize("NFC", word) == word, word
        assert word == word.lower() and word.isalpha() and " " not in word, word


def test_ranks_follow_spanish_frequency_recomputed_from_wordfreq():
    rows = _rows()
    assert [int(row["rank"]) for row in rows] == list(range(1, 1001))
    zipfs = [float(row["zipf"]) for row in rows]
    assert zipfs == sorted(zipfs, reverse=True)
    for row in rows:  # the independent reference: wordfreq itself, not the build script
        assert row["zipf"] == f"{wordfreq.zipf_frequency(row['word'], 'es'):.2f}", row


def test_english_partners_are_english_nouns_with_this_translation():
    english_rank = {word: rank for rank, word in enumerate(read_english())}
    table = _table()
    partners = [row["english"] for row in _rows() if row["english"]]
    assert len(partners) == len(set(partners))
    assert len(partners) >= MIN_ALIGNED
    for row in _rows():
        if not row["english"]:
            continue
        assert row["english"] in english_rank, row
        assert table[row["english"]] == row["word"], row
        # of the English nouns translated by this word, the partner is the most frequent one
        sources = [en for en, es in table.items() if es == row["word"]]
        assert row["english"] == min(sources, key=english_rank.__getitem__), (row, sources)


def test_every_translation_is_in_the_list_and_aligned():
    aligned = {row["word"]: row["english"] for row in _rows() if row["english"]}
    translated = {es for es in _table().values() if es}
    assert translated == set(aligned)


def test_the_rest_comes_from_the_reviewed_keep_list_and_nothing_is_stop_listed():
    for row in _rows():
        assert row["word"] not in STOP_WORDS, row
        if not row["english"]:
            assert row["word"] in FILL_NOUNS, row


@pytest.mark.parametrize(
    ("spanish", "english"),
    [("perro", "dog"), ("tiempo", "time"), ("gente", "people"), ("casa", "house"), ("agua", "water")],
)
def test_natural_pairs_land_together(spanish, english):
    assert {row["word"]: row["english"] for row in _rows()}[spanish] == english


def test_script_rebuilds_the_shipped_file_byte_for_byte(tmp_path):
    output = tmp_path / "sustantivos.csv"
    write_csv(build_word_list().nouns, output)
    assert output.read_bytes() == SHIPPED.read_bytes()


# --- the translation table is checked at the boundary ------------------------------------------------


def _write_table(path: Path, pairs: list[tuple[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["english", "spanish"])
        writer.writerows(pairs)
    return path


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (unicodedata.normalize("NFD", "canción"), "not NFC"),
        ("Perro", "lowercase"),
        ("fin de semana", "lowercase Spanish word"),
        ("mierda", "STOP_LIST"),
    ],
)
def test_malformed_translation_is_refused(tmp_path, bad, message):
    english = ["dog", "song"]
    path = _write_table(tmp_path / "t.csv", [("dog", "perro"), ("song", bad)])
    with pytest.raises(TranslationTableError, match=message):
        read_translations(path, english=english)


def test_table_must_cover_the_english_list_in_order(tmp_path):
    path = _write_table(tmp_path / "t.csv", [("song", "canción"), ("dog", "perro")])
    with pytest.raises(TranslationTableError, match="in their order"):
        read_translations(path, english=["dog", "song"])
    assert read_translations(path, english=["song", "dog"]) == [("song", "canción"), ("dog", "perro")]


def test_merged_translations_keep_the_most_frequent_english_partner(tmp_path):
    english = read_english()
    table = dict(read_translations())
    table["movie"] = "película"  # already the case: "film" ranks above "movie"
    table["dog"], table["cat"] = "mascota", "mascota"  # "dog" ranks above "cat"
    path = _write_table(tmp_path / "t.csv", [(en, table[en]) for en in english])
    nouns = {noun.word: noun.english for noun in build_word_list(translations=path).nouns}
    assert nouns["película"] == "film"
    assert nouns["mascota"] == "dog"
    assert "perro" not in nouns
    assert len(nouns) == 1000


def test_readme_counts_match_the_shipped_file():
    aligned = sum(1 for row in _rows() if row["english"])
    row = next(
        line
        for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
        if "`data/sustantivos.csv`" in line
    )
    assert f"({aligned} aligned pairs; empty for the {1000 - aligned} nouns with no partner)" in row
