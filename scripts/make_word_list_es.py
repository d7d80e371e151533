"""Build ``data/sustantivos.csv``: 1,000 common Spanish nouns, aligned with ``data/words.csv``.

The Spanish list exists so that a notebook can embed Spanish nouns and show "perro" landing
beside "dog".  It is therefore built from the English list first, and only then from Spanish
frequency alone.

Sources
-------
* **Alignment** comes from ``scripts/nouns_en_es.csv`` (``english,spanish``), a translation
  table written and reviewed for this project: for each of the 1,000 English nouns of
  ``data/words.csv`` (see ``scripts/make_word_list.py``), the most common Spanish noun for the
  most common sense of the English noun ("dog" -> "perro", "time" -> "tiempo", "people" ->
  "gente", "way" -> "manera", "party" -> "fiesta", "match" -> "partido"), in the form a
  dictionary lists it: singular, lowercase, with its accents, in Unicode NFC ("data" -> "dato",
  "news" -> "noticia").  Where the varieties of Spanish differ, the table uses the form that is
  more frequent in wordfreq's Spanish counts, which merge Spain and the Americas ("computer" ->
  "computadora", "cost" -> "costo", "ticket" -> "billete", "van" -> "camioneta"), except "car" ->
  "coche" (understood everywhere; "auto" is counted high because it is also a legal term and a
  prefix).  A translation is left empty where Spanish has no natural single noun ("weekend":
  *fin de semana*; "lot", "bit", "stuff"; "media", "holiday", "finance": plural only in Spanish).
* **Frequency** comes from `wordfreq <https://github.com/rspeer/wordfreq>`_ (Robyn Speer, built
  from the Exquisite Corpus project), whose Spanish list merges Wikipedia, film and TV subtitles
  (OPUS OpenSubtitles 2018), news (NewsCrawl, GlobalVoices), web text (OSCAR), Twitter and
  Reddit.  We read ``wordfreq.zipf_frequency(word, "es")`` and ``wordfreq.top_n_list("es",
  ...)``; the data ships inside the package, so this script runs offline.  wordfreq's code is
  Apache-2.0 and its data CC BY-SA 4.0; cite it as Robyn Speer (2022), rspeer/wordfreq v3.0,
  https://doi.org/10.5281/zenodo.7199437.  wordfreq counts word *forms*: "tipo" counts every
  "tipo", whatever English word it translates, and a noun that is also a verb form or an
  adjective ranks by all its uses ("estado" is also "been", "hecho" "done", "poder" "can",
  "vino" "came", "seguro" "sure", "público" "public").  Where the noun is only a small share of
  a form's uses, the table gives another natural translation instead ("era" -> "época", as
  "era" is mostly "was").
* **Judgement**: Spanish has no part-of-speech lexicon in our dependencies, so the nouns that
  fill the list beyond the aligned ones are a reviewed keep list (``FILL_NOUNS`` below), written
  by reading wordfreq's most frequent Spanish words in order and keeping the singular common
  nouns.  Everything else was passed over: function words, verb forms, adjectives and adverbs,
  plurals, numerals.  The noun-like words passed over on purpose are listed in ``STOP_LIST``,
  one group per reason (names, months and weekdays, fixed phrases, gender-pair feminines,
  spelling variants, offensive or sexual terms); the build refuses a translation or a keep-list
  word that is also stop-listed.

Rules, in order
---------------
1. Read the translation table; check it covers exactly the English nouns of ``data/words.csv``,
   in their order, and that every Spanish entry is a lowercase NFC word.
2. The aligned nouns are the non-empty Spanish entries.  Several English nouns may map to one
   Spanish noun ("film" and "movie" -> "película"): the Spanish noun keeps the most frequent
   English one (the lowest rank in ``data/words.csv``) as its ``english`` partner.
3. Fill up to ``LIST_SIZE`` with the words of ``wordfreq.top_n_list("es", CANDIDATE_POOL)``, in
   wordfreq order, that are in ``FILL_NOUNS`` and not already in the list; their ``english`` is
   empty.
4. Rank all ``LIST_SIZE`` nouns by Spanish Zipf frequency, highest first (ties: the higher
   unrounded ``wordfreq.word_frequency`` first, then alphabetical order).

Output: a CSV with header ``word,rank,zipf,english``: ``word`` the Spanish noun, ``rank`` 1..1000
by Spanish frequency, ``zipf`` ``wordfreq.zipf_frequency(word, "es")`` with two decimals,
``english`` the aligned English noun or empty.  The result depends only on the committed table,
``data/words.csv`` and the installed wordfreq version (see ``BUILT_WITH``), so running the
script twice gives a byte-identical file.

Usage::

    python scripts/make_word_list_es.py [--output data/sustantivos.csv]
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import wordfreq

if __package__:  # imported as scripts.make_word_list_es (the tests)
    from ._word_lists import all_stop_words, installed_versions, parse_output, report, words, write_ranked_csv
else:  # run as python scripts/make_word_list_es.py
    from _word_lists import all_stop_words, installed_versions, parse_output, report, words, write_ranked_csv

LANGUAGE = "es"
WORDLIST = "best"
CANDIDATE_POOL = 5_000
LIST_SIZE = 1_000
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "data" / "sustantivos.csv"
ENGLISH_LIST = ROOT / "data" / "words.csv"
TRANSLATIONS = Path(__file__).resolve().parent / "nouns_en_es.csv"

# The package version the committed data/sustantivos.csv was built with.
BUILT_WITH = {"wordfreq": "3.1.1"}

SPANISH_WORD = re.compile(r"[a-záéíóúüñ]{2,}")


# Reviewed keep list: singular common nouns among wordfreq's most frequent Spanish words that the
# translation table does not already give, in the order they were met reading the list from the
# top.  Only as many as LIST_SIZE needs are used (rule 3); the rest are a margin, so that a change
# to the table does not leave the list short.
FILL_NOUNS: frozenset[str] = words(
    """
    vez derecho pena causa provincia compañía época corte necesidad ropa cine formación
    marcha conjunto régimen lengua doctor acto destino hambre propuesta motivo silencio
    salida plazo corrupción cruz rato barrio copa golpe materia inicio carácter papa crítica
    clave consumo facultad conciencia intención sede técnica basura pobreza municipio
    terreno voluntad promedio consecuencia aspecto permiso presentación reconocimiento
    decreto pensamiento patria periodista actualidad delito disco iniciativa ocasión
    celular audiencia comienzo presidencia compromiso cuento foro frecuencia humanidad
    humor institución llegada palacio firma metro tradición escenario exposición igualdad
    vía vuelta colegio participación ciudadano onda sentencia dominio espalda intervención
    sensación ayuntamiento examen masa mentira resumen turismo alcance dictadura lectura
    tiro cola disposición labor letra suma amistad evolución moneda punta traducción
    cariño coronel diputado ámbito alianza castillo filosofía fotografía poesía raza salón
    denuncia jornada patrimonio rostro apertura cierre desastre felicidad agricultura
    arena consulta dignidad gol orgullo pasión promoción ritmo robo tono ausencia cabello
    diálogo locura risa triunfo ánimo bar caballero explicación mina poeta procedimiento
    cuadro federación gloria torre aviso ejecución extensión homenaje meta petróleo renta
    taller abrazo ciudadanía enseñanza entidad fenómeno funcionamiento huevo paro
    residencia vecino abuelo colonia cooperación elemento infraestructura interpretación
    lógica manejo partida rol sujeto celebración
    """
)

# Noun-like words met while reading the list that are left out on purpose, by reason.
STOP_LIST: dict[str, frozenset[str]] = {
    # Place and personal names (lowercased by wordfreq) and names that are also common nouns.
    "proper noun or name": words(
        """
        méxico españa argentina madrid juan chile venezuela colombia europa carlos américa
        luis maría brasil china francia francisco pedro perú barcelona antonio pablo cuba
        santiago manuel jesús josé john miguel david garcía lópez google japón rusia alemania
        ecuador londres parís fernando jorge león uruguay sánchez valencia india italia bolivia
        lima sevilla rodríguez gonzález diego villa cristo salvador rosa
        """
    ),
    # Months and weekdays: common nouns in Spanish, but proper names in the English list and
    # first names in Spanish ("julio", "mayo"); left out to keep the two lists parallel.
    "month or weekday": words(
        """
        enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre
        diciembre lunes martes miércoles jueves viernes sábado domingo navidad
        """
    ),
    # Nouns used almost only inside one fixed phrase ("sin embargo", "a través de",
    # "llevar a cabo", "en torno a", "a menudo", "no obstante", "con respecto a").
    "fixed phrase only": words(
        """
        embargo través cabo torno menudo obstante respecto acerca
        """
    ),
    # Mainly a verb form ("encuentro", "recuerdo", "gusto", "odio": I find, remember, like,
    # hate), an adjective or an adverb, although also a noun.
    "mainly a verb, adjective or adverb": words(
        """
        encuentro recuerdo gusto odio ser bien mal frío corriente extranjero móvil militar
        fiscal santo humano izquierda derecha puesto penal titular editorial mundial norte
        sur este oeste
        """
    ),
    # The feminine of a gender pair whose masculine is the dictionary form ("amigo" is in the
    # list; "chica", the natural translation of "girl", is the exception).
    "feminine of a gender pair": words(
        """
        amiga niña abuela
        """
    ),
    # Plural-only nouns and spelling variants of a word already in the list.
    "plural-only or variant spelling": words(
        """
        gracias ganas vacaciones finanzas vídeo periodo dia
        """
    ),
    # Numerals, anglicisms and clippings, titles.
    "numeral, loanword or title": words(
        """
        mil millón cero ciento post show online auto pro sub don
        """
    ),
    # Profanity, slurs and sexual terms are left out of a workshop dataset.
    "offensive or sexual term": words(
        """
        mierda puta culo carajo joder sexo
        """
    ),
}

STOP_WORDS: frozenset[str] = all_stop_words(STOP_LIST)


class TranslationTableError(ValueError):
    """The translation table does not match ``data/words.csv`` or holds a malformed word."""


@dataclass
class Noun:
    """One row of the output."""

    word: str
    zipf: float
    english: str = ""


@dataclass
class BuildResult:
    """The ranked nouns plus counts of how the list was made."""

    nouns: list[Noun] = field(default_factory=list)
    translated: int = 0  # English nouns with a non-empty translation
    merged: int = 0  # translations dropped because an earlier English noun has the same one
    filled: int = 0  # nouns from FILL_NOUNS


def read_english(path: Path = ENGLISH_LIST) -> list[str]:
    """Return the English nouns of ``data/words.csv`` in rank order."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [row["word"] for row in csv.DictReader(handle)]


def read_translations(path: Path = TRANSLATIONS, english: list[str] | None = None) -> list[tuple[str, str]]:
    """Return ``(english, spanish)`` pairs, checked against the English list (rule 1)."""
    english = read_english() if english is None else english
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != ["english", "spanish"]:
            raise TranslationTableError(f"{path}: header is {reader.fieldnames}, expected ['english', 'spanish']")
        pairs = [(row["english"], row["spanish"]) for row in reader]
    listed = [en for en, _ in pairs]
    if listed != english:
        missing = sorted(set(english) - set(listed))[:5]
        extra = sorted(set(listed) - set(english))[:5]
        raise TranslationTableError(
            f"{path} must list the {len(english)} nouns of {ENGLISH_LIST.name} in their order "
            f"(missing: {missing}, not in the English list: {extra})"
        )
    for en, es in pairs:
        if not es:
            continue
        if unicodedata.normalize("NFC", es) != es:
            raise TranslationTableError(f"{path}: {es!r} (for {en!r}) is not NFC: normalize it")
        if not SPANISH_WORD.fullmatch(es):
            raise TranslationTableError(f"{path}: {es!r} (for {en!r}) is not one lowercase Spanish word")
        if es in STOP_WORDS:
            raise TranslationTableError(f"{path}: {es!r} (for {en!r}) is in STOP_LIST")
    return pairs


def spanish_zipf(word: str) -> float:
    """wordfreq's Spanish Zipf frequency of ``word`` (log10 of frequency per billion words)."""
    return float(wordfreq.zipf_frequency(word, LANGUAGE, wordlist=WORDLIST))


def _sort_key(noun: Noun) -> tuple[float, float, str]:
    return (-noun.zipf, -wordfreq.word_frequency(noun.word, LANGUAGE, wordlist=WORDLIST), noun.word)


def build_word_list(size: int = LIST_SIZE, translations: Path = TRANSLATIONS) -> BuildResult:
    """Return ``size`` Spanish nouns ranked by frequency, aligned with English where possible."""
    overlap = FILL_NOUNS & STOP_WORDS
    if overlap:
        raise ValueError(f"words both kept and stop-listed: {sorted(overlap)}")
    result = BuildResult()
    chosen: dict[str, Noun] = {}
    for en, es in read_translations(translations):  # in English rank order: the first partner wins
        if not es:
            continue
        result.translated += 1
        if es in chosen:
            result.merged += 1
            continue
        zipf = spanish_zipf(es)
        if zipf <= 0:
            raise TranslationTableError(f"{es!r} (for {en!r}) is not in wordfreq's Spanish list: check its spelling")
        chosen[es] = Noun(es, zipf, en)
    if len(chosen) > size:
        raise ValueError(f"{len(chosen)} aligned nouns already exceed the list size {size}")
    for word in wordfreq.top_n_list(LANGUAGE, CANDIDATE_POOL, wordlist=WORDLIST):
        if len(chosen) == size:
            break
        if word in FILL_NOUNS and word not in chosen:
            chosen[word] = Noun(word, spanish_zipf(word))
            result.filled += 1
    if len(chosen) < size:
        raise RuntimeError(
            f"only {len(chosen)} nouns: FILL_NOUNS has too few words in the top {CANDIDATE_POOL} Spanish words"
        )
    result.nouns = sorted(chosen.values(), key=_sort_key)
    return result


def write_csv(nouns: list[Noun], output: Path) -> None:
    """Write ``word,rank,zipf,english`` rows to ``output`` (UTF-8, ``\\n`` line endings)."""
    write_ranked_csv(output, ((noun.word, noun.zipf, (noun.english,)) for noun in nouns), ["english"])


def main(argv: list[str] | None = None) -> int:
    output = parse_output("Build 1,000 common Spanish nouns aligned with data/words.csv.", DEFAULT_OUTPUT, argv)
    installed = installed_versions(BUILT_WITH)

    result = build_word_list()
    nouns = result.nouns
    write_csv(nouns, output)

    aligned = sum(1 for noun in nouns if noun.english)
    details = (
        f"{result.translated} English nouns translated, {result.merged} merged into an earlier "
        f"translation: {aligned} aligned pairs; {result.filled} nouns from the keep list"
    )
    report(len(nouns), output, installed, details, STOP_LIST, [(noun.word, noun.zipf) for noun in nouns])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
