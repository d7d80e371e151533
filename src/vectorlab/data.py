"""Load and save precomputed embeddings, and the workshop's datasets.

An embeddings file is human-readable JSON. The shipped files look like::

    {"model": "use-multilingual-v3", "dimensions": 512, "source": "...",
     "vectors": {"dog": [0.0123, -0.0456, ...], "cat": [...]}}

``vectors`` is the plain ``{text: [floats]}`` mapping of the original talk's files, and such a plain
mapping loads too (pass ``model=`` since it records none). In memory a file becomes an
:class:`Embeddings`: ``keys`` (list of str) and ``vectors`` (float32 ``[n, d]``), plus the model name
and dimensions, which are checked on load so that vectors from two models are never mixed by accident.
"""

from __future__ import annotations

import csv
import difflib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from vectorlab._validation import as_matrix

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Embeddings",
    "MissingKeyError",
    "load_embeddings",
    "save_embeddings",
    "project_root",
    "data_dir",
    "DATASETS",
    "dataset_path",
    "load_dataset",
    "load_words",
    "load_movies",
    "load_movie_queries",
    "movie_text",
    "dataset_texts",
]


class MissingKeyError(KeyError, ValueError):
    """A key that is not in an :class:`Embeddings`; both a ``KeyError`` and a ``ValueError``.

    ``str()`` is the plain message (a bare ``KeyError`` would show it in quotes).

    >>> str(MissingKeyError("'x' is missing: check the spelling"))
    "'x' is missing: check the spelling"
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True, eq=False)
class Embeddings:
    """Texts and their vectors from one model: ``keys[i]`` is the text whose vector is ``vectors[i]``.

    >>> emb = Embeddings(["a", "b"], np.eye(2, dtype=np.float32), model="toy")
    >>> emb.dimensions, emb.index("b"), emb.vector("a").tolist()
    (2, 1, [1.0, 0.0])
    """

    keys: list[str]
    vectors: np.ndarray
    model: str
    dimensions: int = 0

    def __post_init__(self) -> None:
        vectors = as_matrix(self.vectors, f"vectors of {self.model!r}")
        keys = list(self.keys)
        if len(keys) != len(vectors):
            raise ValueError(f"{len(keys)} keys but {len(vectors)} vectors: they must pair up one to one")
        if len(set(keys)) != len(keys):
            seen: set[str] = set()
            duplicate = next(key for key in keys if key in seen or seen.add(key))
            raise ValueError(f"key {duplicate!r} appears more than once: keys must be unique")
        if self.dimensions and self.dimensions != vectors.shape[1]:
            raise ValueError(
                f"model {self.model!r} is recorded with {self.dimensions} dimensions but the vectors have "
                f"{vectors.shape[1]}: the file is inconsistent, regenerate it"
            )
        object.__setattr__(self, "keys", keys)
        object.__setattr__(self, "vectors", vectors)
        object.__setattr__(self, "dimensions", int(vectors.shape[1]))
        object.__setattr__(self, "_positions", {key: i for i, key in enumerate(keys)})

    def __len__(self) -> int:
        return len(self.keys)

    def __contains__(self, key: object) -> bool:
        return key in self._positions  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        return f"Embeddings(model={self.model!r}, n={len(self)}, dimensions={self.dimensions})"

    def index(self, key: str) -> int:
        """Row of ``key``; a missing key raises :class:`MissingKeyError` suggesting the closest keys."""
        try:
            return self._positions[key]  # type: ignore[attr-defined]
        except KeyError:
            close = difflib.get_close_matches(str(key), self.keys, n=3, cutoff=0.6)
            hint = f"did you mean {', '.join(repr(c) for c in close)}?" if close else "check the spelling"
            raise MissingKeyError(
                f"{key!r} is not in the {self.model} embeddings ({len(self)} keys): {hint}"
            ) from None

    def vector(self, key: str) -> np.ndarray:
        """The vector of ``key`` (a view into :attr:`vectors`)."""
        return self.vectors[self.index(key)]

    def subset(self, keys: Iterable[str]) -> Embeddings:
        """A new :class:`Embeddings` with only ``keys``, in that order."""
        keys = list(keys)
        rows = [self.index(key) for key in keys]
        return Embeddings(keys, self.vectors[rows], self.model, self.dimensions)


def _embeddings_from_json(payload: Any, path: Path, model: str | None) -> Embeddings:
    if isinstance(payload, Mapping) and "vectors" in payload:
        recorded = payload.get("model")
        if not isinstance(recorded, str) or not recorded:
            raise ValueError(f"{path} has 'vectors' but no 'model' name: add one, or load the mapping alone")
        if model is not None and model != recorded:
            raise ValueError(
                f"{path} holds {recorded!r} embeddings, not {model!r}: load the file made with {model!r} "
                "or embed the data again with that model"
            )
        mapping, model, dims = payload["vectors"], recorded, payload.get("dimensions", 0)
    elif isinstance(payload, Mapping):
        if model is None:
            raise ValueError(
                f"{path} is a plain {{text: vector}} mapping with no model recorded: "
                "pass model='...' naming the model that made it"
            )
        mapping, dims = payload, 0
    else:
        raise ValueError(
            f"{path} has an unknown JSON shape (top level is {type(payload).__name__}): expected "
            '{"model": ..., "dimensions": ..., "vectors": {text: [floats]}} or a plain {text: [floats]} mapping'
        )
    if not isinstance(mapping, Mapping) or not mapping:
        raise ValueError(f"{path}: 'vectors' must be a non-empty mapping of text to a list of numbers")
    keys = list(mapping)
    lengths = {len(v) if isinstance(v, list) else -1 for v in mapping.values()}
    if -1 in lengths:
        bad = next(k for k, v in mapping.items() if not isinstance(v, list))
        raise ValueError(f"{path}: the value for {bad!r} is not a list of numbers (unknown JSON shape)")
    expected = int(dims) if dims else len(mapping[keys[0]])
    if lengths != {expected}:
        bad = next(k for k, v in mapping.items() if len(v) != expected)
        raise ValueError(
            f"{path}: {bad!r} has {len(mapping[bad])} numbers but the file's vectors have {expected}: "
            "the file mixes models or is damaged, regenerate it"
        )
    try:
        vectors = np.array([mapping[k] for k in keys], dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path}: vectors must hold only numbers ({error})") from None
    return Embeddings(keys, vectors, model, expected)


def load_embeddings(path: str | os.PathLike[str], model: str | None = None) -> Embeddings:
    """Read an embeddings JSON file; ``model`` (if given) must match the one recorded in the file."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no embeddings file at {path}: run `python scripts/prepare_data.py` to build it")
    with path.open(encoding="utf-8") as file:
        try:
            payload = json.load(file)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path} is not valid JSON ({error}): regenerate it") from None
    return _embeddings_from_json(payload, path, model)


def _format_vector(vector: np.ndarray, decimals: int) -> str:
    return "[" + ",".join(repr(round(float(x), decimals) + 0.0) for x in vector) + "]"


def save_embeddings(path: str | os.PathLike[str], embeddings: Embeddings, source: str = "",
                    decimals: int = 6) -> Path:
    """Write ``embeddings`` as readable JSON (one text per line), byte-identical for identical input.

    Values are rounded to ``decimals`` places (6 keeps cosine similarities exact to ~1e-6 and halves the
    file size). The file is written to a temporary name and renamed, so a crash never leaves half a file.
    """
    path = Path(path)
    header = {"model": embeddings.model, "dimensions": embeddings.dimensions, "count": len(embeddings)}
    if source:
        header["source"] = source
    lines = ["{"]
    lines += [f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}," for k, v in header.items()]
    lines.append('  "vectors": {')
    rows = [
        f"    {json.dumps(key, ensure_ascii=False)}: {_format_vector(vector, decimals)}"
        for key, vector in zip(embeddings.keys, embeddings.vectors, strict=True)
    ]
    lines.append(",\n".join(rows))
    lines += ["  }", "}", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text("\n".join(lines), encoding="utf-8", newline="\n")
    os.replace(temporary, path)
    return path


# --- the workshop's datasets -------------------------------------------------------------------------


def project_root() -> Path:
    """The repository root (the folder holding pyproject.toml), wherever the notebook or test runs from."""
    override = os.environ.get("VECTORLAB_ROOT")
    if override:
        return Path(override)
    for folder in (Path.cwd(), *Path.cwd().parents, Path(__file__).resolve().parents[2]):
        if (folder / "pyproject.toml").exists() and (folder / "data").is_dir():
            return folder
    raise FileNotFoundError("could not find the project root (a folder with pyproject.toml and data/): "
                            "run from inside the repository or set VECTORLAB_ROOT")


def data_dir() -> Path:
    """The ``data/`` folder of the repository."""
    return project_root() / "data"


DATASETS: dict[str, str] = {
    "words": "1,000 common English nouns (data/words.csv)",
    "movie_titles": "Disney feature film titles alone, as in the talk (data/movies.csv)",
    "movie_plots": "Disney films as 'title: one-sentence summary' (data/movies.csv)",
    "movie_queries": "the free-text search queries of data/movie_queries.csv (column 'query')",
}
"""Names accepted by :func:`load_dataset`, with what each holds."""


def _slug(model: str) -> str:
    return model.replace("/", "__")


def dataset_path(name: str, model: str) -> Path:
    """Where the precomputed embeddings of dataset ``name`` by ``model`` live."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}: choose one of {', '.join(DATASETS)}")
    return data_dir() / "embeddings" / f"{name}.{_slug(model)}.json"


def _read_csv(name: str) -> list[dict[str, str]]:
    with (data_dir() / name).open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def load_words() -> list[str]:
    """The 1,000 nouns of ``data/words.csv``, most frequent first."""
    return [row["word"] for row in _read_csv("words.csv")]


def movie_text(title: str, summary: str) -> str:
    """The text embedded for a movie in the ``movie_plots`` dataset.

    >>> movie_text("Finding Nemo", "A clownfish crosses the ocean.")
    'Finding Nemo: A clownfish crosses the ocean.'
    """
    return f"{title}: {summary}"


def load_movies() -> pd.DataFrame:
    """``data/movies.csv`` as a DataFrame, with a ``plot_text`` column (the ``movie_plots`` key)."""
    import pandas as pd

    movies = pd.read_csv(data_dir() / "movies.csv", dtype={"title": str, "summary": str, "kind": str})
    movies["plot_text"] = [movie_text(t, s) for t, s in zip(movies["title"], movies["summary"], strict=True)]
    return movies


def load_movie_queries() -> pd.DataFrame:
    """``data/movie_queries.csv``, with ``expected`` as a list of acceptable titles per query."""
    import pandas as pd

    queries = pd.read_csv(data_dir() / "movie_queries.csv", dtype=str, keep_default_na=False)
    queries["expected"] = [value.split("|") for value in queries["expected_titles"]]
    return queries


def dataset_texts(name: str) -> list[str]:
    """The exact texts that dataset ``name`` embeds, in file order (duplicates removed)."""
    if name == "words":
        return load_words()
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}: choose one of {', '.join(DATASETS)}")
    if name == "movie_queries":
        return list(dict.fromkeys(load_movie_queries()["query"]))
    column = "title" if name == "movie_titles" else "plot_text"
    return list(dict.fromkeys(load_movies()[column]))


def load_dataset(name: str, model: str | None = None, client: Any = None) -> Embeddings:
    """Embeddings of a workshop dataset: from ``data/embeddings/`` or, for another model, via ``client``.

    With no ``client``, ``model`` defaults to use-multilingual-v3 (the default offline model) and the
    shipped file is read; ``model="all-MiniLM-L6-v2"`` reads the other shipped model, no torch needed.
    With a ``client`` whose model has no shipped file (say text-embedding-3-small on GitHub Models), the
    dataset's texts are embedded through it; its cache makes the second run free.
    """
    from vectorlab.use_model import USE_MODEL_NAME

    if client is not None:
        model = client.model
    model = model or USE_MODEL_NAME
    path = dataset_path(name, model)
    dims = getattr(client, "dimensions", None)
    if path.exists() and not dims:
        return load_embeddings(path, model=model)
    if client is None:
        shipped = sorted(p.name for p in (data_dir() / "embeddings").glob(f"{name}.*.json"))
        raise FileNotFoundError(
            f"no precomputed {name!r} embeddings for model {model!r} (shipped: {', '.join(shipped)}): "
            "pass client=create_client() to embed them, or use a shipped model"
        )
    texts = dataset_texts(name)
    vectors = client.embed(texts, show_progress=True)
    return Embeddings(texts, vectors, model)
