"""A second, very different embedding model: character n-gram TF-IDF compressed with TruncatedSVD.

It knows nothing about meaning, only spelling: texts that share letter sequences get similar vectors,
so "dog" lands near "god" and "dogma". The talk compares OpenAI's ada-002 (where spelling leaks into
the space) with text-embedding-3-small; this model plays the spelling-driven "brain" offline, next to
all-MiniLM-L6-v2 which was trained on meaning.

The model is fitted on a fixed corpus (the workshop's word list and movie titles), with a fixed
algorithm and seed, so refitting it anywhere gives the same vectors: that is how the shipped vectors
are checked against the model they are labelled with.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer

from vectorlab.errors import InvalidInputError

__all__ = ["CHAR_MODEL_NAME", "CHAR_MODEL_DIMS", "CharNgramModel", "fit_workshop_char_model"]

CHAR_MODEL_DIMS = 128
CHAR_MODEL_NAME = f"char-ngram-tfidf-svd-{CHAR_MODEL_DIMS}"


@dataclass
class CharNgramModel:
    """Character 1–4-gram TF-IDF vectors reduced to ``dims`` with TruncatedSVD, unit length.

    >>> model = CharNgramModel(dims=2).fit(["dog", "god", "cat", "act", "bird"])
    >>> model.embed(["dog"]).shape
    (1, 2)
    """

    dims: int = CHAR_MODEL_DIMS
    seed: int = 0
    _tfidf: TfidfVectorizer = field(init=False, repr=False)
    _svd: TruncatedSVD = field(init=False, repr=False)

    def fit(self, corpus: list[str]) -> CharNgramModel:
        """Learn the n-gram vocabulary and the SVD basis from ``corpus``."""
        if len(corpus) <= self.dims:
            raise InvalidInputError(f"need more than dims={self.dims} texts to fit, got {len(corpus)}")
        self._tfidf = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), lowercase=True,
                                      sublinear_tf=True, dtype=np.float64)
        matrix = self._tfidf.fit_transform(corpus)
        self._svd = TruncatedSVD(n_components=self.dims, algorithm="arpack", random_state=self.seed)
        self._svd.fit(matrix)
        return self

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors ``[n, dims]`` for ``texts``."""
        if not hasattr(self, "_svd"):
            raise RuntimeError("the model is not fitted yet: call fit(corpus) first")
        reduced: npt.NDArray[np.float64] = self._svd.transform(self._tfidf.transform(list(texts)))
        norms: npt.NDArray[np.float64] = np.linalg.norm(reduced, axis=1, keepdims=True)
        if (norms == 0).any():
            row = int(np.flatnonzero(norms[:, 0] == 0)[0])
            raise InvalidInputError(f"text {texts[row]!r} (index {row}) shares no letter n-gram with the corpus")
        return (reduced / norms).astype(np.float32)


def fit_workshop_char_model() -> CharNgramModel:
    """The model behind the shipped ``char-ngram-tfidf-svd-128`` files, fitted on words + movie titles."""
    from vectorlab.data import dataset_texts

    corpus = dataset_texts("words") + dataset_texts("movie_titles")
    return CharNgramModel().fit(corpus)
