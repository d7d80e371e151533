"""Build ``data/words.csv``: the 1,000 most common English nouns.

Sources
-------
* **Frequency** comes from `wordfreq <https://github.com/rspeer/wordfreq>`_
  (Robyn Speer, built from the Exquisite Corpus project), whose English list
  merges seven kinds of text: Wikipedia, film and TV subtitles (OPUS
  OpenSubtitles 2018, SUBTLEX), news (NewsCrawl 2014, GlobalVoices), books
  (Google Books Ngrams 2012), web text (OSCAR), Twitter and Reddit.  We read
  ``wordfreq.top_n_list("en", ...)`` and ``wordfreq.zipf_frequency``; the
  data ships inside the package, so this script runs offline.  wordfreq's code
  is Apache-2.0 and its data CC BY-SA 4.0; cite it as Robyn Speer (2022),
  rspeer/wordfreq v3.0, https://doi.org/10.5281/zenodo.7199437.  wordfreq
  counts word *forms* regardless of part of speech: "back" is counted whether
  it is a noun or an adverb.
* **Part of speech** comes from the lexicon bundled with
  `lemminflect <https://github.com/bjascob/LemmInflect>`_ (derived from the
  NIH SPECIALIST Lexicon).  Only its dictionary lookup
  (``lemminflect.getAllLemmas``) is used, never its out-of-vocabulary rules.
* **Judgement**: the lexicon says whether a word *can* be a noun, not how
  often it is one, so a reviewed stop list (``STOP_LIST`` below, one group per
  reason) removes words that are mainly used as something else (verbs,
  adjectives, function words), proper nouns and names, numerals, prefixes and
  abbreviations, plural-only forms, and offensive or sexual terms.

Rules, in order
---------------
1. Take the ``CANDIDATE_POOL`` most frequent English words from wordfreq, in
   frequency order.
2. Keep lowercase ASCII words of at least three letters.
3. Keep a word only if lemminflect lists it as the lemma of a noun
   (``word in getAllLemmas(word)["NOUN"]``), or if it is one of the few common
   nouns the lexicon lacks altogether (``MISSING_FROM_LEXICON``: "website",
   "app", "blog", ...).
4. Drop the words in ``STOP_LIST``.
5. Drop a word that lemminflect also lists as an inflected form of some
   *other* lemma (a plural such as "things", a past tense such as "thought",
   an -ing form such as "running", a comparative such as "better"), unless it
   is in ``NOUN_DESPITE_INFLECTION`` (e.g. "building", "evening", "data").
6. The first ``LIST_SIZE`` survivors, in wordfreq order, are the list.

Frequencies are those of the exact word form: "parent" ranks by the count of
"parent", not of "parent" plus "parents".

Output: a CSV with header ``word,rank,zipf`` where ``rank`` is 1..1000 among
the kept nouns and ``zipf`` is ``wordfreq.zipf_frequency(word, "en")`` (log10
of frequency per billion words) with two decimals.  The result depends only on
the installed wordfreq and lemminflect versions (see ``BUILT_WITH``), so
running the script twice gives a byte-identical file.

Usage::

    python scripts/make_word_list.py [--output data/words.csv]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import lemminflect
import wordfreq

if __package__:  # imported as scripts.make_word_list (the tests)
    from ._word_lists import all_stop_words, installed_versions, parse_output, report, words, write_ranked_csv
else:  # run as python scripts/make_word_list.py
    from _word_lists import all_stop_words, installed_versions, parse_output, report, words, write_ranked_csv

LANGUAGE = "en"
WORDLIST = "best"  # wordfreq's largest English list
CANDIDATE_POOL = 30_000
LIST_SIZE = 1_000
MIN_LENGTH = 3
DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "data" / "words.csv"

# The package versions the committed data/words.csv was built with.
BUILT_WITH = {"wordfreq": "3.1.1", "lemminflect": "0.2.3"}

WORD_PATTERN = re.compile(rf"[a-z]{{{MIN_LENGTH},}}")


# Words that lemminflect also lists as an inflected form of another lemma but
# whose most common use is as a noun in their own right; rule 5 would
# otherwise drop them ("evening" is also a form of "even", "crew" a past tense
# of "crow", "number" a comparative of "numb", "data" a plural of "datum").
NOUN_DESPITE_INFLECTION: frozenset[str] = words(
    """
    advertising beginning bit building clothing crew data ending engineering
    evening feeling funding ground housing marketing meaning media meeting
    number painting physics rent ruling setting training understanding warning
    wedding
    """
)

# Common nouns that lemminflect's lexicon lacks altogether (getAllLemmas
# returns nothing for them).  Found by listing the words above the cut-off
# that the lexicon does not know at all; names, abbreviations, clippings such
# as "tech" and "info", plurals and profanity among those were not added.
MISSING_FROM_LEXICON: frozenset[str] = words(
    """
    app blog empire website
    """
)

# Reviewed stop list: every word here is a noun in lemminflect's lexicon but
# is left out of the list, for the reason given by its group.
STOP_LIST: dict[str, frozenset[str]] = {
    # Function words: pronouns, determiners, quantifiers, prepositions,
    # conjunctions, wh-words, indefinite pronouns ("something", "nobody"),
    # and "cant" (mostly "can't" written without its apostrophe).
    "function word": words(
        """
        above all another any anybody anyone anything aside behind both cant
        each everybody everyone everything her herself him himself his how
        inside its itself latter many mine myself neither nobody none nothing
        other our ourselves outside plenty plus she some somebody someone
        something such that their them themselves these they this those till
        via what whatever where whether which while who whoever whom whose why
        you your yours yourself
        """
    ),
    # Numerals and ordinals ("one", "million", "fourth", "half", "percent").
    "number word": words(
        """
        billion dozen fifth first fourth half hundred million one percent
        second thousand two zero
        """
    ),
    # Mainly a verb; the noun sense exists but is a small share of uses.
    "mainly a verb": words(
        """
        affect associate beat bet blame blow bother broadcast build burn buy
        can cast catch cause check click collect conduct cook count cover cross
        cry cut die download draw drive drop express fail fill find finish fit
        fix fly gain give grab guess handle hate hide hire hit hold hunt hurt
        join jump keep kick kill knock laugh lead leave lie lift look make mean
        meet mention miss mount move must need notice pass pay pick pop produce
        pull push quit raise reach read recall refuse register regret repeat
        ride rise roll run save say sell serve set shake share shoot spell spin
        split spread stand start stay steal stick stop stretch strip take talk
        tear think throw touch treat try turn wait wake walk want wash watch
        wear will win wish wonder worry
        """
    ),
    # Mainly an adjective (colours included: "red", "blue"), or an adjective
    # or adverb that lemminflect also lists as a noun.
    "mainly an adjective": words(
        """
        absolute academic active aggressive alert alternative ancient annual
        automatic average black blind blue brave brief brilliant broad brown
        calm central chemical chief classic clean clear clinical close cold
        commercial common communist complex concrete conservative constant
        constitutional cool creative criminal current custom daily dark dear
        domestic double due elite epic equal equivalent essential ethnic evil
        exclusive executive expert external extra extreme fair fake familiar
        fancy fast fat favorite favourite federal fellow female final fine flat
        former free full fundamental gay general giant good grand gray great
        green grey gross heavy high human ideal ill illegal independent
        individual industrial initial innocent insane instant interior internal
        international joint junior last liberal little local long lovely low
        main major male marine mass maximum medical military minimum minor
        mobile modern monthly moral multiple musical national native natural
        necessary negative net normal offensive official old opposite organic
        original particular past perfect permanent personal physical pink plain
        poor positive possible potential practical pregnant premier present
        primary prime prior private professional progressive prominent public
        purple quick quiet racist radical rapid rear red regional regular
        relative religious responsible reverse romantic round royal rural safe
        secondary senior sensitive sexual sharp short sick silly simple single
        small smart social solid solo special specific spiritual stable
        standard straight super superior sweet temporary thick total tough
        underground universal unknown upper upset valuable virgin visible
        visual warm weekly western wet white whole wide wild worth wrong yellow
        young
        """
    ),
    # Mainly an adverb, interjection or discourse word.
    "mainly an adverb or interjection": words(
        """
        back bang congratulations down downtown east forward hello north now
        once out right south still today tomorrow tonight welcome well west wow
        yes yesterday
        """
    ),
    # Mostly a prefix or part of a hyphenated compound in the counts
    # (wordfreq splits "self-esteem" into "self" + "esteem"), or an
    # abbreviation or clipping.
    "prefix, abbreviation or clipping": words(
        """
        anti auto counter hip hop mini pro self semi sub vice
        """
    ),
    # Proper nouns and personal names that the lexicon also lists as common
    # nouns (their frequency is mostly the name: "China", "Tom", "Trump").
    "proper noun or name": words(
        """
        android billy bob bush china christ dean don ford frank jack jay jersey
        jimmy lee march martin mike miller morgan nick oxford republican rick
        robin smith tom trump turkey twitter walker
        """
    ),
    # Plural-only or plural forms that rule 5 does not catch.
    "plural-only form": words(
        """
        earnings odds savings
        """
    ),
    # Nouns used almost only inside one fixed phrase ("on behalf of",
    # "for the sake of", "per cent").
    "fixed phrase only": words(
        """
        behalf cent sake
        """
    ),
    # Profanity, slurs and sexual terms are left out of a workshop dataset.
    "offensive or sexual term": words(
        """
        ass bitch crap damn hell porn rape sex shit
        """
    ),
}

STOP_WORDS: frozenset[str] = all_stop_words(STOP_LIST)


def is_noun_lemma(word: str) -> bool:
    """Return True if lemminflect's dictionary lists ``word`` as a noun lemma."""
    lemmas = lemminflect.getAllLemmas(word)
    return word in lemmas.get("NOUN", ())


def is_inflection_of_other_lemma(word: str) -> bool:
    """Return True if ``word`` is also an inflected form of a different lemma.

    Examples: "things" (plural of "thing"), "thought" (past tense of "think"),
    "running" (-ing form of "run"), "better" (comparative of "good").
    """
    lemmas = lemminflect.getAllLemmas(word)
    return any(lemma != word for forms in lemmas.values() for lemma in forms)


@dataclass
class BuildResult:
    """The kept nouns plus how many candidates each rule removed."""

    rows: list[tuple[str, float]] = field(default_factory=list)
    scanned: int = 0
    not_a_noun: int = 0
    stop_listed: int = 0
    inflected: int = 0


def is_candidate(word: str) -> bool:
    """Rules 2 and 3: a lowercase word of 3+ letters known as a noun lemma."""
    if not WORD_PATTERN.fullmatch(word):
        return False
    return word in MISSING_FROM_LEXICON or is_noun_lemma(word)


def build_word_list(size: int = LIST_SIZE) -> BuildResult:
    """Return the ``size`` most frequent nouns with their Zipf frequency."""
    result = BuildResult()
    for word in wordfreq.top_n_list(LANGUAGE, CANDIDATE_POOL, wordlist=WORDLIST):
        result.scanned += 1
        if not is_candidate(word):
            result.not_a_noun += 1
        elif word in STOP_WORDS:
            result.stop_listed += 1
        elif is_inflection_of_other_lemma(word) and word not in NOUN_DESPITE_INFLECTION:
            result.inflected += 1
        else:
            zipf = wordfreq.zipf_frequency(word, LANGUAGE, wordlist=WORDLIST)
            result.rows.append((word, zipf))
            if len(result.rows) == size:
                return result
    found = len(result.rows)
    raise RuntimeError(f"only {found} nouns in the top {CANDIDATE_POOL} words")


def write_csv(rows: list[tuple[str, float]], output: Path) -> None:
    """Write ``word,rank,zipf`` rows to ``output`` (UTF-8, ``\\n`` line endings)."""
    write_ranked_csv(output, ((word, zipf, ()) for word, zipf in rows))


def main(argv: list[str] | None = None) -> int:
    output = parse_output("Build the 1,000 most common English nouns.", DEFAULT_OUTPUT, argv)
    installed = installed_versions(BUILT_WITH)

    result = build_word_list()
    rows = result.rows
    write_csv(rows, output)

    details = (
        f"scanned the top {result.scanned} words: "
        f"{result.not_a_noun} not 3+ letter noun lemmas, "
        f"{result.stop_listed} stop-listed, {result.inflected} inflected forms"
    )
    report(len(rows), output, installed, details, STOP_LIST, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
