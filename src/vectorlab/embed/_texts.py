"""Checking the texts given to the embedding client: one clear :class:`InputError` per bad text."""

from __future__ import annotations

import unicodedata
from typing import Any

from vectorlab.errors import InputError

__all__ = ["check_texts", "preview"]


def preview(text: str, limit: int = 60) -> str:
    """``repr`` of ``text`` cut to ``limit`` characters (an ellipsis included).

    >>> preview("x" * 100)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…'"
    """
    return repr(text if len(text) <= limit else text[:limit - 1] + "…")


def check_texts(texts: Any) -> list[str]:
    """Return ``texts`` as a list of str in Unicode NFC, or raise :class:`InputError` naming the first bad one.

    NFC (composed form) makes a text typed with a combining accent (``"n\u0303"``) the same text as the
    precomposed one (``"ñ"``): one cache entry and one embedding for what a reader sees as one text.

    >>> check_texts(["man\u0303ana"]) == ["mañana"]
    True
    """
    if isinstance(texts, (str, bytes)):
        raise InputError(f"texts must be a list of strings, got a single {type(texts).__name__} "
                         f"({preview(str(texts))}): use embed_one(text) or embed([text])")
    try:
        items = list(texts)
    except TypeError:
        raise InputError(f"texts must be a list of strings, got {type(texts).__name__}") from None
    if not items:
        raise InputError("texts is empty: pass at least one string to embed")
    checked = []
    for index, text in enumerate(items):
        if not isinstance(text, str):
            raise InputError(f"text at index {index} is a {type(text).__name__} ({text!r:.60}), not a str: "
                             "convert it with str() or remove it", index=index)
        if not text.strip():
            kind = "empty" if not text else "only whitespace"
            raise InputError(f"text at index {index} is {kind} ({text!r:.60}): embedding models reject it; "
                             "remove it or replace it with real text", index=index)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:
            raise InputError(f"text at index {index} has an unpaired surrogate at character {error.start}: "
                             "it can't be sent as UTF-8; fix how the text was decoded", index=index) from None
        # NFC: "n" + combining tilde and the precomposed "ñ" are one text, for the cache key and the model
        checked.append(unicodedata.normalize("NFC", str(text)))  # also a str subclass becomes a plain str
    return checked
