"""What the English and Spanish noun-list builders share: word blocks, CSV output, CLI, version check.

``make_word_list.py`` (``data/words.csv``) and ``make_word_list_es.py`` (``data/sustantivos.csv``)
choose their nouns differently but write, report and pin their inputs the same way, so that
running either script twice gives a byte-identical file.
"""

from __future__ import annotations

import argparse
import csv
import sys
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from importlib.metadata import version
from pathlib import Path


def words(text: str) -> frozenset[str]:
    """Split a whitespace-separated block of words into a set (NFC)."""
    return frozenset(unicodedata.normalize("NFC", word) for word in text.split())


def all_stop_words(stop_list: Mapping[str, frozenset[str]]) -> frozenset[str]:
    """The union of a stop list's groups."""
    return frozenset(w for group in stop_list.values() for w in group)


def write_ranked_csv(
    output: Path, rows: Iterable[tuple[str, float, Sequence[str]]], extra_columns: Sequence[str] = ()
) -> None:
    """Write ``word,rank,zipf[,extra...]`` rows to ``output`` (UTF-8, ``\\n`` line endings).

    ``rows`` are ``(word, zipf, extra values)`` in rank order; ``zipf`` is written with two decimals.
    """
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["word", "rank", "zipf", *extra_columns])
        for rank, (word, zipf, extra) in enumerate(rows, start=1):
            writer.writerow([word, rank, f"{zipf:.2f}", *extra])


def parse_output(description: str, default: Path, argv: list[str] | None) -> Path:
    """Parse the builders' one option, ``--output``, and return it."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--output",
        type=Path,
        default=default,
        help=f"CSV file to write (default: {default})",
    )
    return parser.parse_args(argv).output


def installed_versions(built_with: Mapping[str, str]) -> dict[str, str]:
    """Return the installed version of each package in ``built_with``, warning on stderr where it differs."""
    installed = {name: version(name) for name in built_with}
    for name, built in built_with.items():
        if installed[name] != built:
            print(
                f"warning: {name} {installed[name]} is installed but the list was "
                f"built with {built}; the output may differ",
                file=sys.stderr,
            )
    return installed


def report(
    count: int,
    output: Path,
    installed: Mapping[str, str],
    details: str,
    stop_list: Mapping[str, frozenset[str]],
    ranked: Sequence[tuple[str, float]],
) -> None:
    """Print what was written: where, from which versions, how, and the list's two ends."""
    versions = ", ".join(f"{name} {v}" for name, v in installed.items())
    print(f"wrote {count} nouns to {output} ({versions})")
    print(details)
    print(f"stop list: {len(all_stop_words(stop_list))} words in {len(stop_list)} groups")
    print(f"first: {', '.join(word for word, _ in ranked[:10])}")
    print(f"last:  {', '.join(word for word, _ in ranked[-10:])}")
    print(f"zipf:  {ranked[0][1]:.2f} .. {ranked[-1][1]:.2f}")
