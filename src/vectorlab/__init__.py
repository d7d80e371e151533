"""vectorlab: small, tested helpers behind the vector-embeddings workshop notebooks."""

from vectorlab.data import Embeddings, load_dataset, load_embeddings, save_embeddings

__all__ = ["Embeddings", "load_dataset", "load_embeddings", "save_embeddings"]
__version__ = "0.1.0"
