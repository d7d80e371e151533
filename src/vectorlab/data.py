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
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from vectorlab._files import atomic_write, slug
from vectorlab._json_files import format_floats, read_json
from vectorlab._validation import as_matrix, check_int
from vectorlab.errors import DataFileError, InputTypeError, InvalidInputError, VectorlabError

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
    "Dataset",
    "dataset_path",
    "load_dataset",
    "load_words",
    "load_movies",
    "load_movie_queries",
    "movie_text",
    "dataset_texts",
    "WORD_TABLES",
    "MOVIE_TABLES",
    "QUERY_TABLES",
]


class MissingKeyError(VectorlabError, KeyError, ValueError):
    """A key that is not in an :class:`Embeddings`; both a ``KeyError`` and a ``ValueError``.

    ``str()`` is the plain message (a bare ``KeyError`` would show it in quotes).

    >>> str(MissingKeyError("'x' is missing: check the spelling"))
    "'x' is missing: check the spelling"
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def _nfc(text: str) -> str:
    """``text`` in Unicode NFC form: "león" typed as ``e`` + a combining accent is the same key as ``ó``."""
    return unicodedata.normalize("NFC", text)


def _raise_duplicate(keys: list[str], normalized: list[str]) -> None:
    first_seen: dict[str, str] = {}
    for key, form in zip(keys, normalized, strict=True):
        if form in first_seen:
            first = first_seen[form]
            if first == key:
                raise InvalidInputError(f"key {key!r} appears more than once: keys must be unique")
            raise InvalidInputError(f"keys {first!r} and {key!r} are the same text in two Unicode forms (one with "
                                    "combining accents): keys must be unique, normalize them to NFC")
        first_seen[form] = key


@dataclass(frozen=True, eq=False)
class Embeddings:
    """Texts and their vectors from one model: ``keys[i]`` is the text whose vector is ``vectors[i]``.

    Keys are looked up in Unicode NFC form, so a title typed with a combining accent finds the
    precomposed key (and two keys that differ only in that way are the same key).

    >>> emb = Embeddings(["a", "b"], np.eye(2, dtype=np.float32), model="toy")
    >>> emb.dimensions, emb.index("b"), emb.vector("a").tolist()
    (2, 1, [1.0, 0.0])
    """

    keys: list[str]
    vectors: np.ndarray
    model: str
    dimensions: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.model, str) or not self.model:
            raise InputTypeError(f"model must be the name of the model that made the vectors, got {self.model!r}")
        vectors = as_matrix(self.vectors, f"vectors of {self.model!r}")
        if isinstance(self.keys, str | bytes):
            raise InputTypeError("keys is a single string: pass one key per vector, e.g. a list of texts")
        keys = list(self.keys)
        not_text = next((key for key in keys if not isinstance(key, str)), None)
        if not_text is not None:
            raise InputTypeError(f"every key must be a str (the text embedded), got {not_text!r}")
        if len(keys) != len(vectors):
            raise InvalidInputError(f"{len(keys)} keys but {len(vectors)} vectors: they must pair up one to one")
        normalized = [_nfc(key) for key in keys]
        if len(set(normalized)) != len(keys):
            _raise_duplicate(keys, normalized)
        dimensions = check_int(self.dimensions, "dimensions", minimum=0)
        if dimensions and dimensions != vectors.shape[1]:
            raise InvalidInputError(
                f"model {self.model!r} is recorded with {self.dimensions} dimensions but the vectors have "
                f"{vectors.shape[1]}: the file is inconsistent, regenerate it"
            )
        object.__setattr__(self, "keys", keys)
        object.__setattr__(self, "vectors", vectors)
        object.__setattr__(self, "dimensions", int(vectors.shape[1]))
        object.__setattr__(self, "_positions", {key: i for i, key in enumerate(normalized)})

    def __len__(self) -> int:
        return len(self.keys)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and _nfc(key) in self._positions  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        return f"Embeddings(model={self.model!r}, n={len(self)}, dimensions={self.dimensions})"

    def index(self, key: str) -> int:
        """Row of ``key`` (compared in NFC form); a missing key raises :class:`MissingKeyError` suggesting the
        closest keys."""
        try:
            return int(self._positions[_nfc(key) if isinstance(key, str) else key])  # type: ignore[attr-defined]
        except KeyError:
            close = difflib.get_close_matches(str(key), self.keys, n=3, cutoff=0.6)
            hint = f"did you mean {', '.join(repr(c) for c in close)}?" if close else "check the spelling"
            raise MissingKeyError(
                f"{key!r} is not in the {self.model} embeddings ({len(self)} keys): {hint}"
            ) from None

    def vector(self, key: str) -> np.ndarray:
        """The vector of ``key`` (a view into :attr:`vectors`)."""
        vector: np.ndarray = self.vectors[self.index(key)]
        return vector

    def subset(self, keys: Iterable[str]) -> Embeddings:
        """A new :class:`Embeddings` with only ``keys``, in that order (each under its stored spelling)."""
        rows = [self.index(key) for key in keys]
        return Embeddings([self.keys[row] for row in rows], self.vectors[rows], self.model, self.dimensions)


def _file_error(path: Path, problem: str) -> DataFileError:
    return DataFileError(f"{path}: {problem}", path)


def _header_int(payload: Mapping[str, Any], key: str, path: Path) -> int | None:
    """An optional whole-number header field (``dimensions``, ``count``), refusing 2.7, "abc" or true."""
    value = payload.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _file_error(path, f"{key!r} must be a whole number of at least 1, got {value!r}: fix or regenerate it")
    return value


def _vector_rows(mapping: Mapping[str, Any], path: Path, dims: int | None) -> np.ndarray:
    """The vectors as float32 ``[n, d]``: each a list of ``d`` finite numbers (no strings, no booleans)."""
    expected = dims
    for key, value in mapping.items():
        if not isinstance(value, list):
            raise _file_error(path, f"the value for {key!r} is not a list of numbers (it is a "
                                    f"{type(value).__name__}): fix or regenerate the file")
        odd = [x for x in value if isinstance(x, bool) or not isinstance(x, int | float)]
        if odd:
            raise _file_error(path, f"the vector for {key!r} must hold only numbers, found {odd[0]!r}: "
                                    "fix or regenerate the file")
        expected = len(value) if expected is None else expected
        if len(value) != expected:
            raise _file_error(path, f"{key!r} has {len(value)} numbers but the file's vectors have {expected}: "
                                    "the file mixes models or is damaged, regenerate it")
    with np.errstate(over="ignore"):
        vectors = np.array(list(mapping.values()), dtype=np.float32).reshape(len(mapping), expected or 0)
    if not np.isfinite(vectors).all():
        row = int(np.argwhere(~np.isfinite(vectors))[0][0])
        raise _file_error(path, f"the vector for {list(mapping)[row]!r} holds a value beyond float32's range: "
                                "regenerate the file")
    return vectors


def _embeddings_from_json(payload: Any, path: Path, model: str | None) -> Embeddings:
    if isinstance(payload, Mapping) and "vectors" in payload:
        recorded = payload.get("model")
        if not isinstance(recorded, str) or not recorded:
            raise _file_error(path, "it has 'vectors' but no 'model' name: add one, or load the mapping alone")
        if model is not None and model != recorded:
            raise _file_error(path, f"it holds {recorded!r} embeddings, not {model!r}: load the file made with "
                                    f"{model!r} or embed the data again with that model")
        mapping, model = payload["vectors"], recorded
        dims, count = _header_int(payload, "dimensions", path), _header_int(payload, "count", path)
    elif isinstance(payload, Mapping):
        if model is None:
            raise _file_error(path, "it is a plain {text: vector} mapping with no model recorded: "
                                    "pass model='...' naming the model that made it")
        mapping, dims, count = payload, None, None
    else:
        raise _file_error(path, f"unknown JSON shape (top level is {type(payload).__name__}): expected "
                                '{"model": ..., "dimensions": ..., "vectors": {text: [floats]}} or a plain '
                                "{text: [floats]} mapping")
    if not isinstance(mapping, Mapping) or not mapping:
        raise _file_error(path, "'vectors' must be a non-empty mapping of text to a list of numbers")
    if count is not None and count != len(mapping):
        raise _file_error(path, f"its header says 'count': {count} but it holds {len(mapping)} vectors: "
                                "the file was cut or edited, regenerate it")
    vectors = _vector_rows(mapping, path, dims)
    return Embeddings(list(mapping), vectors, model, vectors.shape[1])


def load_embeddings(path: str | os.PathLike[str], model: str | None = None) -> Embeddings:
    """Read an embeddings JSON file; ``model`` (if given) must match the one recorded in the file.

    The file is read strictly: a repeated key, a string or boolean among the numbers, a header that
    disagrees with the vectors, or bytes that are not UTF-8 raise :class:`~vectorlab.errors.DataFileError`
    naming the file.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no embeddings file at {path}: run `python scripts/prepare_data.py` to build it")
    return _embeddings_from_json(read_json(path), path, model)


#: A vector whose rounded form is farther than this share of its length from it is written exactly.
ROUNDING_TOLERANCE = 1e-4


def _damaged_by_rounding(vectors: np.ndarray, decimals: int) -> np.ndarray:
    """Per row, whether rounding to ``decimals`` places moves it by more than ``ROUNDING_TOLERANCE`` of
    its length (a row of zeros is never damaged)."""
    wide = vectors.astype(np.float64)
    error = np.linalg.norm(np.round(wide, decimals) - wide, axis=1)
    damaged: np.ndarray = error > ROUNDING_TOLERANCE * np.linalg.norm(wide, axis=1)
    return damaged


def save_embeddings(path: str | os.PathLike[str], embeddings: Embeddings, source: str = "",
                    decimals: int = 6) -> Path:
    """Write ``embeddings`` as readable JSON (one text per line), byte-identical for identical input.

    Values are rounded to ``decimals`` places (6 keeps cosine similarities exact to ~1e-6 and halves the
    file size; 1 to 9), except in a vector that rounding would damage: one whose rounded form is more than
    ``1e-4`` of its length away from it (tiny vectors, which would turn to zero or change direction) is
    written with the shortest digits that read back to the same float32 bits, so every vector keeps its
    direction. The file is written to a temporary name and renamed, so a crash, a full disk or a text that
    cannot be written never leaves half a file or a stray temporary one.
    """
    path = Path(path)
    if not isinstance(embeddings, Embeddings):
        raise InputTypeError(f"embeddings must be an Embeddings, got {type(embeddings).__name__}: "
                             "wrap keys and vectors with Embeddings(keys, vectors, model)")
    decimals = check_int(decimals, "decimals", minimum=1, maximum=9)
    if not isinstance(source, str):
        raise InputTypeError(f"source must be a string, got {type(source).__name__}")
    header = {"model": embeddings.model, "dimensions": embeddings.dimensions, "count": len(embeddings)}
    if source:
        header["source"] = source
    lines = ["{"]
    lines += [f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}," for k, v in header.items()]
    lines.append('  "vectors": {')
    exact = _damaged_by_rounding(embeddings.vectors, decimals)
    rows = [
        f"    {json.dumps(key, ensure_ascii=False)}: "
        f"{format_floats(vector, None if keep else decimals, separator=',')}"
        for key, vector, keep in zip(embeddings.keys, embeddings.vectors, exact, strict=True)
    ]
    lines.append(",\n".join(rows))
    lines += ["  }", "}", ""]
    try:
        content = "\n".join(lines).encode("utf-8")
    except UnicodeEncodeError as error:
        bad = error.object[max(0, error.start - 20): error.end + 20]
        raise InvalidInputError(f"cannot write {path}: a key or the source holds a lone surrogate "
                                f"({bad!r}), which is not valid text: fix that key") from None
    atomic_write(path, content, "the embeddings")
    return path


# --- the workshop's datasets -------------------------------------------------------------------------


def project_root(fallback: Path | None = None) -> Path:
    """The repository root (the folder holding pyproject.toml), wherever the notebook or test runs from.

    Outside a checkout (an installed package run elsewhere): ``fallback`` if given, else FileNotFoundError.
    """
    override = os.environ.get("VECTORLAB_ROOT")
    if override:
        return Path(override)
    for folder in (Path.cwd(), *Path.cwd().parents, Path(__file__).resolve().parents[2]):
        if (folder / "pyproject.toml").exists() and (folder / "data").is_dir():
            return folder
    if fallback is not None:
        return fallback
    raise FileNotFoundError("could not find the project root (a folder with pyproject.toml and data/): "
                            "run from inside the repository or set VECTORLAB_ROOT")


def data_dir() -> Path:
    """The ``data/`` folder of the repository."""
    return project_root() / "data"


@dataclass(frozen=True)
class Dataset:
    """One embeddings dataset: the table (a CSV in ``data/``) it comes from and which texts it embeds."""

    description: str
    table: str
    """``words``-like tables (a ``word`` column), ``movies``-like tables or ``movie_queries``-like tables."""
    texts: str
    """``word``, ``title``, ``plot_text`` or ``query``: the column whose texts are embedded."""


DATASETS: dict[str, Dataset] = {
    "words": Dataset("1,000 common English nouns (data/words.csv)", "words", "word"),
    "movie_titles": Dataset("Disney feature film titles alone, as in the talk (data/movies.csv)", "movies", "title"),
    "movie_plots": Dataset("Disney films as 'title: one-sentence summary' (data/movies.csv)", "movies",
                           "plot_text"),
    "movie_queries": Dataset("the free-text search queries of data/movie_queries.csv (column 'query')",
                             "movie_queries", "query"),
    "sustantivos": Dataset("1,000 common Spanish nouns (data/sustantivos.csv)", "sustantivos", "word"),
    "titulos_peliculas": Dataset("the same films' Latin American Spanish titles alone (data/peliculas.csv)",
                                 "peliculas", "title"),
    "tramas_peliculas": Dataset("the same films as 'título: resumen' in Spanish (data/peliculas.csv)", "peliculas",
                                "plot_text"),
    "consultas_peliculas": Dataset("the Spanish search queries of data/consultas_peliculas.csv (column 'query')",
                                   "consultas_peliculas", "query"),
}
"""Names accepted by :func:`load_dataset`, with the table and column each embeds."""

WORD_TABLES = ("words", "sustantivos")
MOVIE_TABLES = ("movies", "peliculas")
QUERY_TABLES = ("movie_queries", "consultas_peliculas")
"""The tables (``data/<name>.csv``) of each kind: one per language (English, Spanish), with the same columns
(``peliculas`` adds ``title_en``, the English title it joins on, and ``title_spain``, the Spain release title
where it differs from the Latin American ``title``)."""


def _check_name(name: str, choices: Iterable[str], what: str) -> str:
    choices = tuple(choices)
    if not isinstance(name, str) or name not in choices:
        raise InvalidInputError(f"unknown {what} {name!r}: choose one of {', '.join(map(repr, choices))}")
    return name


def dataset_path(name: str, model: str) -> Path:
    """Where the precomputed embeddings of dataset ``name`` by ``model`` live."""
    _check_name(name, DATASETS, "dataset")
    return data_dir() / "embeddings" / f"{name}.{slug(model)}.json"


def _read_csv(name: str) -> list[dict[str, str]]:
    with (data_dir() / name).open(encoding="utf-8", newline="") as file:
        return [{key: _nfc(value) if isinstance(value, str) else value for key, value in row.items()}
                for row in csv.DictReader(file)]


def _read_table(name: str, **options: Any) -> pd.DataFrame:
    """``data/<name>.csv`` as a DataFrame, every text cell in NFC form (a file saved with combining accents
    gives the same titles, and so the same keys, as one saved precomposed)."""
    import pandas as pd

    table: pd.DataFrame = pd.read_csv(data_dir() / f"{name}.csv", **options)
    for column in table.columns:
        if not pd.api.types.is_numeric_dtype(table[column]):
            table[column] = [_nfc(value) if isinstance(value, str) else value for value in table[column]]
    return table


def load_words(name: str = "words") -> list[str]:
    """The 1,000 nouns of ``data/<name>.csv`` (``words``: English; ``sustantivos``: Spanish), most frequent
    first."""
    _check_name(name, WORD_TABLES, "word list")
    return [row["word"] for row in _read_csv(f"{name}.csv")]


def movie_text(title: str, summary: str) -> str:
    """The text embedded for a movie in the ``movie_plots`` dataset.

    >>> movie_text("Finding Nemo", "A clownfish crosses the ocean.")
    'Finding Nemo: A clownfish crosses the ocean.'
    """
    return f"{title}: {summary}"


def load_movies(name: str = "movies") -> pd.DataFrame:
    """``data/<name>.csv`` (``movies``: English; ``peliculas``: Spanish) as a DataFrame, with a ``plot_text``
    column (the ``movie_plots`` / ``tramas_peliculas`` key)."""
    _check_name(name, MOVIE_TABLES, "film table")
    movies = _read_table(name, dtype={"title": str, "summary": str, "kind": str, "title_en": str,
                                      "title_spain": str}, keep_default_na=False)
    movies["plot_text"] = [movie_text(t, s) for t, s in zip(movies["title"], movies["summary"], strict=True)]
    return movies


def load_movie_queries(name: str = "movie_queries") -> pd.DataFrame:
    """``data/<name>.csv`` (``movie_queries``: English; ``consultas_peliculas``: Spanish), with ``expected`` as
    a list of acceptable titles per query."""
    _check_name(name, QUERY_TABLES, "query table")
    queries = _read_table(name, dtype=str, keep_default_na=False)
    queries["expected"] = [value.split("|") for value in queries["expected_titles"]]
    return queries


def dataset_texts(name: str) -> list[str]:
    """The exact texts that dataset ``name`` embeds, in file order (duplicates removed)."""
    dataset = DATASETS[_check_name(name, DATASETS, "dataset")]
    if dataset.texts == "word":
        return load_words(dataset.table)
    if dataset.texts == "query":
        return list(dict.fromkeys(load_movie_queries(dataset.table)["query"]))
    return list(dict.fromkeys(load_movies(dataset.table)[dataset.texts]))


def load_dataset(name: str, model: str | None = None, client: Any = None) -> Embeddings:
    """Embeddings of a workshop dataset: from ``data/embeddings/`` or, for another model, via ``client``.

    With no ``client``, ``model`` defaults to use-multilingual-v3 (the default offline model) and the
    shipped file is read; ``model="all-MiniLM-L6-v2"`` reads the other shipped model, no torch needed.
    With a ``client`` whose model has no shipped file (say text-embedding-3-small on GitHub Models), the
    dataset's texts are embedded through it; its cache makes the second run free.
    """
    from vectorlab.embed.use_model import USE_MODEL_NAME

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
