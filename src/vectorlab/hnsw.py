"""Approximate nearest-neighbour search: an HNSW graph (via hnswlib) with the conventions of this package.

hnswlib is fast but trusts its caller: a damaged index file, ``M=1`` or a failed ``add`` can kill the
Python process. :class:`HNSWIndex` checks everything hnswlib would crash on before calling it: its
settings, its vectors and ids, and a saved file's size and SHA-256 (recorded in the settings ``.json``,
itself checksummed) before hnswlib reads a byte, and the dims, count, M and ef_construction in hnswlib's
own header against those settings (a settings file edited and re-signed by hand). Saving is atomic: a
full disk or a bad path is an error and never leaves half a file.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import struct
import threading
from pathlib import Path
from typing import Any, Literal

import hnswlib
import numpy as np
import numpy.typing as npt

from vectorlab._files import atomic_write, check_writable_path, file_sha256, fsync_file, temporary_path
from vectorlab._json_files import _SETTINGS_TYPES, read_settings
from vectorlab._validation import (
    as_vector_or_matrix,
    check_choice,
    check_fits_in_memory,
    check_int,
    check_k,
    check_positive_int,
    describe,
    unit_vectors,
)
from vectorlab.errors import DataFileError, IndexStateError, InputTypeError, InvalidInputError

__all__ = ["HNSWIndex"]

Space = Literal["cosine", "ip", "dot", "l2", "euclidean"]
# hnswlib space name for each accepted name; the metric names of exhaustive_search are aliases.
_SPACES = {"cosine": "cosine", "ip": "ip", "dot": "ip", "l2": "l2", "euclidean": "l2"}
_METRIC_OF_SPACE = {"cosine": "cosine", "ip": "dot", "l2": "euclidean"}
_INITIAL_CAPACITY = 1024
_FORMAT, _VERSION = "vectorlab.HNSWIndex", 2
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _max_abs_value(dims: int) -> float:
    """The largest value whose ip and l2 distances stay finite over ``dims`` dims in float32.

    A distance sums ``dims`` products (ip) or squared differences (l2, up to ``(2 * value) ** 2`` each), so
    the bound shrinks with the dimensions: ``sqrt(max_float32 / dims) / 2``, less 1% for rounding.
    """
    return 0.99 * math.sqrt(_FLOAT32_MAX / dims) / 2
_MAX_ID = 2**63 - 1  # ids come back as int64
#: Most threads an index may use. hnswlib starts ``num_threads`` OS threads for every add and query:
#: beyond a few per core they only add switching, and thousands can exceed the process's thread limit,
#: where std::thread aborts the interpreter. 4 per core, and at least 64 so code written on a large
#: machine still runs on a laptop.
MAX_THREADS = max(64, 4 * (os.cpu_count() or 1))
# The settings of one index file, kept in the settings of the next save as "previous" (see save).
_PAIR_KEYS = tuple(key for key in _SETTINGS_TYPES if key != "settings_sha256")


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".json")


# hnswlib's file header (HierarchicalNSW::saveIndex): offsetLevel0, max_elements, cur_element_count,
# size_data_per_element, label_offset, offsetData (size_t), maxlevel (int), enterpoint (uint32), maxM, maxM0,
# M (size_t), mult (double), ef_construction (size_t).
_HEADER = struct.Struct("<6QiI3QdQ")


def _check_header(path: Path, settings: dict[str, Any]) -> None:
    """Compare what hnswlib will read (dims, count, M, ef_construction) with the settings, so an edited
    settings file is an error, not a crash or garbage. (The space is not in hnswlib's file.)"""
    with open(path, "rb") as file:
        raw = file.read(_HEADER.size)
    if len(raw) < _HEADER.size:
        raise DataFileError(f"{path} is too short ({len(raw)} bytes) to be an HNSW index: save the index again",
                            path)
    (_, _, count, per_element, label_offset, data_offset, _, _, _, _, m, _, ef_construction) = _HEADER.unpack(raw)
    found = {"dims": (label_offset - data_offset) // 4, "count": count, "M": m, "ef_construction": ef_construction}
    wrong = [f"{key} {value} (settings: {settings.get(key)!r})" for key, value in found.items()
             if value != settings.get(key)]
    if per_element != label_offset + 8:
        wrong.append(f"a record size of {per_element} bytes where the layout gives {label_offset + 8}")
    if wrong:
        raise DataFileError(f"{path} does not match its settings {_sidecar(path).name}: the file has "
                            f"{', '.join(wrong)}; were they edited? Save the index again", path)


def _describes(previous: Any, size: int) -> bool:
    """Whether ``previous`` (a settings file's record of the index file it replaced) is well formed and
    names a file of ``size`` bytes."""
    return (isinstance(previous, dict) and previous.get("index_bytes") == size
            and all(isinstance(previous.get(key), kind) and not isinstance(previous.get(key), bool)
                    for key, kind in _SETTINGS_TYPES.items() if key in _PAIR_KEYS))


def _settings_on_disk(path: Path) -> dict[str, Any] | None:
    """The settings of the index saved at ``path`` (without their own "previous"), or None if none is."""
    try:
        settings = read_settings(_sidecar(path), _FORMAT, _VERSION, _settings_digest)
    except (OSError, DataFileError):
        return None
    return {key: settings[key] for key in _PAIR_KEYS}


def _settings_digest(settings: dict[str, Any]) -> str:
    """Checksum of every setting but itself, so an edited settings file is detected."""
    body = {key: value for key, value in settings.items() if key != "settings_sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _estimated_bytes(capacity: int, dims: int, M: int) -> int:
    """hnswlib's allocation for ``capacity`` elements: vector, label and level-0 links (2M + count)."""
    return capacity * (4 * dims + 8 + 4 * (2 * M + 1) + 16)


class HNSWIndex:
    """Approximate nearest-neighbour index (HNSW graph, via hnswlib) with the conventions of this package.

    Results have the same shapes and scores as :func:`vectorlab.exhaustive_search` with
    ``metric=index.metric``: similarities (largest first) for ``"cosine"`` and ``"ip"``, distances
    (smallest first) for ``"l2"``; equal scores are ordered by lower id first.

    :param dims: dimensions of the vectors.
    :param space: ``"cosine"``, ``"ip"`` (inner product) or ``"l2"`` (Euclidean); ``"dot"`` and
        ``"euclidean"`` are accepted as aliases.
    :param M: graph links per node (at least 2): more links, better recall, more memory.
    :param ef_construction: candidate list size while building: larger is slower but better.
    :param max_elements: initial capacity; it grows automatically, so this is only a hint.
    :param seed: random seed of the graph construction.
    :param ef: candidate list size while searching (recall/speed trade-off), see :attr:`ef`.
    :param num_threads: threads for adding and querying; -1 (hnswlib's default) uses every core.
        The graph built by several threads depends on scheduling: use 1 for reproducible indexes.

    >>> index = HNSWIndex(dims=2)
    >>> index.add(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])).tolist()
    [0, 1, 2]
    >>> ids, scores = index.query([1.0, 0.2], k=2)
    >>> print(ids, scores.round(3))
    [0 2] [0.981 0.832]
    """

    def __init__(self, dims: int, space: Space = "cosine", M: int = 16, ef_construction: int = 200,
                 max_elements: int | None = None, seed: int = 100, ef: int = 50,
                 num_threads: int = -1) -> None:
        self._set_options(dims, space, M, ef_construction, seed)
        capacity = _INITIAL_CAPACITY if max_elements is None else check_positive_int(max_elements, "max_elements")
        self._check_memory(capacity)
        self._index = hnswlib.Index(space=self.space, dim=self.dims)
        self._index.init_index(max_elements=capacity, M=self.M, ef_construction=self.ef_construction,
                               random_seed=self.seed)
        self.num_threads = num_threads
        self._ids = np.empty(0, dtype=np.int64)
        self._lock = threading.Lock()  # add and save from several threads: one at a time
        self.ef = ef

    def _set_options(self, dims: Any, space: Any, M: Any, ef_construction: Any, seed: Any) -> None:
        """Check and set the build options."""
        self.space = _SPACES[check_choice(space, Space, "space")]
        self.dims = check_positive_int(dims, "dims")
        self.M = check_int(M, "M", minimum=2)  # hnswlib divides by log(M): M=1 crashes it
        self.ef_construction = check_positive_int(ef_construction, "ef_construction")
        self.seed = check_int(seed, "seed", minimum=0)
        self._broken: str | None = None

    def _check_memory(self, capacity: int) -> None:
        check_fits_in_memory(_estimated_bytes(capacity, self.dims, self.M),
                             f"an HNSW index of {capacity:,} vectors x {self.dims} dims (M={self.M})",
                             "lower max_elements, dims or M")

    @property
    def metric(self) -> str:
        """The exhaustive_search metric giving the same scores: "cosine", "dot" or "euclidean"."""
        return _METRIC_OF_SPACE[self.space]

    @property
    def ef(self) -> int:
        """Candidate list size while searching: larger means better recall and slower queries.

        A query for ``k > ef`` neighbours is not an error: it explores ``max(ef, k)`` candidates
        (hnswlib does so internally) and leaves ``ef`` unchanged.
        """
        return int(self._index.ef)

    @ef.setter
    def ef(self, value: int) -> None:
        self._index.set_ef(check_positive_int(value, "ef"))

    @property
    def num_threads(self) -> int:
        """Threads hnswlib uses to add and query (-1: every core)."""
        return int(self._index.num_threads)

    @num_threads.setter
    def num_threads(self, value: int) -> None:
        threads = check_int(value, "num_threads", minimum=-1)
        if threads > MAX_THREADS:
            raise InvalidInputError(
                f"num_threads={threads} is more than this machine can run usefully ({os.cpu_count()} cores; "
                f"hnswlib starts that many threads per call, and too many abort the interpreter): use "
                f"num_threads <= {MAX_THREADS}, or -1 for one per core"
            )
        if threads == 0:
            raise InvalidInputError("num_threads must be -1 (every core) or at least 1, got 0")
        self._index.set_num_threads(threads)

    @property
    def ids(self) -> np.ndarray:
        """The ids stored in the index, sorted."""
        return np.sort(self._ids)

    @property
    def nbytes(self) -> int:
        """Approximate memory use in bytes (the size of the saved index: vectors plus graph links)."""
        file_size = getattr(self._index, "index_file_size", None)
        if file_size is not None:
            return int(file_size())
        # chroma-hnswlib (the prebuilt hnswlib fork installed on Windows and macOS) cannot report it:
        # hnswlib's layout is, per element, its vector, label and level-0 links (2M neighbours + a
        # count), plus M links + a count on each upper level (M ** -level of the elements reach a level).
        n, m = len(self), self.M
        level0 = n * (self.dims * 4 + 8 + 2 * m * 4 + 4)
        return level0 + n * 4 + round(n / (m - 1)) * (m * 4 + 4)

    def __len__(self) -> int:
        return int(self._index.element_count)

    def __repr__(self) -> str:
        return (f"HNSWIndex(dims={self.dims}, space={self.space!r}, M={self.M}, "
                f"ef_construction={self.ef_construction}, ef={self.ef}, len={len(self)})")

    def _usable(self) -> None:
        if self._broken is not None:
            raise IndexStateError(f"this HNSWIndex is unusable since a failed add ({self._broken}): "
                                  "build a new index")

    def _prepared(self, vectors: Any, name: str) -> tuple[npt.NDArray[np.float32], bool]:
        """Check vectors for hnswlib; cosine vectors are scaled to unit length here, exactly, so that
        hnswlib's own float32 normalization cannot overflow (huge values) or underflow (tiny ones)."""
        matrix, single = as_vector_or_matrix(vectors, name)
        if matrix.shape[1] != self.dims:
            fix = ("embed the query with the same model (and dimensions) as the data" if name == "query"
                   else "embed them with the model (and dimensions) the index was built for")
            raise InvalidInputError(f"{name} has {matrix.shape[1]} dims, index has {self.dims}: {fix}")
        if self.space == "cosine":
            return unit_vectors(matrix, name, single=single, fix="remove it or use space='ip'"), single
        largest, limit = float(np.abs(matrix).max()), _max_abs_value(self.dims)
        if largest > limit:
            raise InvalidInputError(f"{name} holds a value of {largest:.3g}: over {self.dims} dims, {self.space} "
                                    f"distances of values above {limit:.3g} overflow float32; scale the vectors down")
        return matrix, single

    def _check_ids(self, ids: Any, n: int) -> npt.NDArray[np.int64]:
        if ids is None:
            start = int(self._ids.max()) + 1 if self._ids.size else 0
            return np.arange(start, start + n, dtype=np.int64)
        array = np.asarray([]) if isinstance(ids, str | bytes) else np.asarray(ids)
        if array.ndim == 0:
            array = array.reshape(1)
        if array.dtype.kind not in "iu":
            raise InputTypeError(f"ids must be whole numbers, got {describe(array)}")
        if array.shape != (n,):
            raise InvalidInputError(f"got {array.size} ids for {n} vectors: pass one id per vector")
        if array.dtype.kind == "i" and (array < 0).any():
            raise InvalidInputError(f"ids must be >= 0, got {int(array[array < 0][0])}")
        if array.dtype.kind == "u" and (array > _MAX_ID).any():
            raise InvalidInputError(f"id {int(array[array > _MAX_ID][0])} is too large: ids must be below 2**63")
        checked = array.astype(np.int64)
        unique, counts = np.unique(checked, return_counts=True)
        if (counts > 1).any():
            raise InvalidInputError(f"id {int(unique[counts > 1][0])} appears more than once in ids: "
                                    "ids must be unique")
        existing = np.isin(checked, self._ids)
        if existing.any():
            raise InvalidInputError(f"id {int(checked[existing][0])} is already in the index: ids must be unique "
                                    "(hnswlib would silently replace the stored vector)")
        return checked

    def add(self, vectors: Any, ids: Any = None) -> np.ndarray:
        """Add vectors to the index, growing its capacity as needed, and return their ids.

        :param vectors: one vector ``(dims,)`` or a batch ``(n, dims)``.
        :param ids: one unused integer id per vector, ``0 <= id < 2**63``. By default ids continue after
            the largest id in the index (0, 1, 2, ... for an index filled with default ids).
        :return: the int64 ids of the added vectors.
        """
        self._usable()
        matrix, _ = self._prepared(vectors, "vectors")
        with self._lock:  # default ids are the next free ones: taken and used by one thread at a time
            return self._add_locked(matrix, ids)

    def _add_locked(self, matrix: npt.NDArray[np.float32], ids: Any) -> np.ndarray:
        self._usable()
        new_ids = self._check_ids(ids, matrix.shape[0])
        needed = len(self) + matrix.shape[0]
        if needed > self._index.max_elements:
            capacity = max(needed, 2 * self._index.max_elements)
            self._check_memory(capacity)
            self._index.resize_index(capacity)
        try:
            self._index.add_items(matrix, new_ids)
        except (RuntimeError, MemoryError) as error:  # hnswlib may have added some of the vectors
            self._broken = str(error)
            raise IndexStateError(f"hnswlib failed while adding {matrix.shape[0]} vectors ({error}): the index "
                                  "may hold some of them and can no longer be used; build a new one") from None
        self._ids = np.concatenate([self._ids, new_ids])
        return new_ids

    def query(self, query: Any, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Find approximately the ``k`` nearest stored vectors to each query.

        :param query: one query vector ``(dims,)`` or a batch ``(m, dims)``.
        :param k: how many neighbours, ``1 <= k <= len(index)``.
        :return: ``(ids, scores)`` best first, shaped like :func:`vectorlab.exhaustive_search`'s result.
        """
        self._usable()
        queries, single = self._prepared(query, "query")
        if len(self) == 0:
            raise InvalidInputError("the index is empty: add vectors before querying it")
        k = check_k(k, len(self), "vectors in the index")
        try:
            labels, distances = self._index.knn_query(queries, k=k)
        except RuntimeError as error:  # hnswlib: "Cannot return the results in a contiguous 2D array"
            raise IndexStateError(
                f"HNSW search found fewer than k={k} neighbours ({error}): raise ef (now {self.ef}) or M"
            ) from None
        ids = labels.astype(np.int64)
        if self.space == "l2":
            scores = np.sqrt(np.maximum(distances, 0.0))
            order = np.lexsort((ids, scores), axis=1)
        else:  # hnswlib's cosine and ip distances are 1 - similarity
            scores = 1.0 - distances
            if self.space == "cosine":
                np.clip(scores, -1.0, 1.0, out=scores)
            order = np.lexsort((ids, -scores), axis=1)
        ids = np.take_along_axis(ids, order, axis=1)
        scores = np.take_along_axis(scores, order, axis=1).astype(np.float32, copy=False)
        return (ids[0], scores[0]) if single else (ids, scores)

    def save(self, path: str | Path) -> None:
        """Save the index to ``path`` (hnswlib's binary) plus ``path + ".json"`` (settings and checksums).

        Both are written to temporary files, checked and renamed into place: a folder as ``path``, a
        full disk or a crash raises an error and never leaves half a file. Over an existing index the
        settings are switched first, in one rename, and they also describe the index file they replace
        (``"previous"``): a crash before the index file's own rename leaves the old pair, which
        :meth:`load` recognizes by its checksum; after it, the new pair. Never a mix.
        """
        self._usable()
        with self._lock:
            self._save_locked(Path(path))

    def _save_locked(self, path: Path) -> None:
        check_writable_path(path, "the HNSW index")
        check_writable_path(_sidecar(path), "the HNSW index settings")
        with temporary_path(path) as temporary:
            self._index.save_index(str(temporary))
            size = temporary.stat().st_size
            expected = getattr(self._index, "index_file_size", lambda: size)()
            if size != expected:  # hnswlib does not check its writes: a full disk cuts the file short
                raise OSError(f"could not write the whole HNSW index to {path} ({size:,} of {expected:,} bytes): "
                              "is the disk full?")
            settings: dict[str, Any] = {
                "format": _FORMAT, "version": _VERSION, "dims": self.dims, "space": self.space, "M": self.M,
                "ef_construction": self.ef_construction, "ef": self.ef, "seed": self.seed, "count": len(self),
                "index_bytes": size, "index_sha256": file_sha256(temporary)}
            previous = _settings_on_disk(path)
            if previous is not None:
                settings["previous"] = previous
            settings["settings_sha256"] = _settings_digest(settings)
            fsync_file(temporary)  # on disk before it replaces the old index
            atomic_write(_sidecar(path), (json.dumps(settings, indent=2) + "\n").encode(), "the settings")
            temporary.replace(path)  # a crash just before this leaves the old file, named in "previous"

    @classmethod
    def load(cls, path: str | Path, num_threads: int = -1) -> HNSWIndex:
        """Load an index written by :meth:`save` (it needs both ``path`` and ``path + ".json"``).

        The file's size and SHA-256 are checked against its settings before hnswlib reads it, so a
        damaged, cut or swapped file is a :class:`~vectorlab.errors.DataFileError`, never a crash.
        """
        path = Path(path)
        for needed in (path, _sidecar(path)):
            if not needed.is_file():
                raise FileNotFoundError(
                    f"{needed} does not exist: save the index with HNSWIndex.save({str(path)!r}) first"
                )
        settings = read_settings(_sidecar(path), _FORMAT, _VERSION, _settings_digest)
        size = path.stat().st_size
        digest = file_sha256(path) if size == settings["index_bytes"] else None
        previous: Any = settings.get("previous")
        if digest != settings["index_sha256"] and _describes(previous, size) \
                and (digest or file_sha256(path)) == previous["index_sha256"]:
            settings = previous  # a save interrupted between its two renames: the old pair, whole
            digest = previous["index_sha256"]
        if size != settings["index_bytes"] or digest != settings["index_sha256"]:
            what = f"has {size:,} bytes, not {settings['index_bytes']:,}" if size != settings["index_bytes"] \
                else "does not match the checksum in its settings"
            raise DataFileError(f"{path} is damaged or was replaced: it {what}; save the index again", path)
        _check_header(path, settings)
        index = cls.__new__(cls)  # not cls(): hnswlib warns when load_index replaces an initialised index
        index._set_options(settings["dims"], settings["space"], settings["M"], settings["ef_construction"],
                           settings["seed"])
        index._check_memory(max(1, settings["count"]))
        index._index = hnswlib.Index(space=index.space, dim=index.dims)  # bare: load_index initialises it
        index._index.load_index(str(path), max_elements=max(1, settings["count"]))
        index.num_threads = num_threads
        index.ef = settings["ef"]
        index._ids = np.asarray(index._index.get_ids_list(), dtype=np.int64)
        index._lock = threading.Lock()
        if len(index) != settings["count"]:
            raise DataFileError(f"{path} holds {len(index)} vectors, its settings say {settings['count']}", path)
        return index
