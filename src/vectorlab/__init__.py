"""vectorlab: small, tested helpers behind the vector-embeddings workshop notebooks.

Numpy arrays in, numpy arrays out. Three wings: the teaching modules at the top, one idea each (``data``,
``similarity``, ``search``, ``hnsw``, ``quantize``, ``reduce``, ``evaluate``, ``viz``); ``embed`` (the
embedding client, its providers, cache and offline models); ``_kernels`` (private fast paths). ``vectordb``
is the PostgreSQL + pgvector step. ``client`` is ``embed``'s face under its old name, for the notebooks.
"""

from vectorlab.data import (
    Embeddings,
    MissingKeyError,
    load_dataset,
    load_embeddings,
    load_movie_queries,
    load_movies,
    load_words,
    save_embeddings,
)
from vectorlab.embed import EmbeddingClient, create_client, openai_settings
from vectorlab.evaluate import (
    bootstrap_ci,
    drop_self,
    first_hit_rank,
    hit_at_k,
    mean_reciprocal_rank,
    overlap,
    rank_agreement,
    recall_at_k,
    search_quality,
)
from vectorlab.hnsw import HNSWIndex
from vectorlab.quantize import (
    binary_threshold,
    dequantize_int8,
    hamming_distance,
    int8_ranges,
    nbytes_per_vector,
    quantize_binary,
    quantize_int8,
    random_rotation,
    rescore,
    search_binary,
    search_int8,
    size_table,
    unpack_binary,
)
from vectorlab.reduce import explained_variance, fit_pca, pca_reduce, truncate
from vectorlab.search import exhaustive_search, most_similar
from vectorlab.similarity import (
    cosine_similarity,
    dot_product,
    euclidean_distance,
    magnitude,
    manhattan_distance,
    normalize,
    pairwise_similarity_values,
)

__all__ = [
    "EmbeddingClient", "create_client", "openai_settings",
    "Embeddings", "MissingKeyError", "load_dataset", "load_embeddings", "load_movie_queries", "load_movies",
    "load_words", "save_embeddings",
    "bootstrap_ci", "drop_self", "first_hit_rank", "hit_at_k", "mean_reciprocal_rank", "overlap", "rank_agreement",
    "recall_at_k", "search_quality",
    "binary_threshold", "dequantize_int8", "hamming_distance", "int8_ranges", "nbytes_per_vector",
    "quantize_binary", "quantize_int8", "random_rotation", "rescore", "search_binary", "search_int8", "size_table",
    "unpack_binary",
    "explained_variance", "fit_pca", "pca_reduce", "truncate",
    "HNSWIndex", "exhaustive_search",
    "cosine_similarity", "dot_product", "euclidean_distance", "magnitude", "manhattan_distance", "most_similar",
    "normalize", "pairwise_similarity_values",
]
__version__ = "0.1.0"

# the notebooks' vl.viz.scatter_3d(...), vl.client.openai_settings(), vl.evaluate.search_quality(...)
from vectorlab import client, embed, evaluate, viz  # noqa: E402, F401
