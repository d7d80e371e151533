"""Keys (words, titles, ids: anything hashable) as integer codes, so result lists compare as numpy arrays."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["key_codes"]


def key_codes(*key_arrays: np.ndarray) -> list[np.ndarray]:
    """Replace keys by integer codes shared across the arrays (equal keys get equal codes).

    Each missing key (None, NaN, pd.NA) gets a code of its own, so it never equals any other key.
    """
    codes, _ = pd.factorize(np.concatenate(key_arrays))
    missing = codes < 0
    codes[missing] = codes.max(initial=-1) + 1 + np.arange(np.count_nonzero(missing))
    return np.split(codes, np.cumsum([len(keys) for keys in key_arrays])[:-1])
