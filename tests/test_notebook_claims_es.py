"""Prose that cannot go stale, Spanish path (notebooks/es/ 01-03 and 07, and their solutions).

The same machinery as tests/test_notebook_claims.py (reused, not copied): each notebook runs once per session,
offline with the default model, with a probe cell appended that prints the kernel's own values as JSON. Each
test quotes, in its docstring, the Spanish sentence it checks; a failing test means the sentence no longer
holds: fix the sentence, not the test. The 04-06 sections live in a file of their own.
"""

from __future__ import annotations

import pytest
from test_notebook_claims import _best, claims

pytestmark = pytest.mark.notebook

# -- 01 generar -------------------------------------------------------------------------------------------

GENERATE = {
    "dims": "int(vectors.shape[1])",
    "lengths": "np.linalg.norm(vectors, axis=1).tolist()",
    "texts": "texts",
    "first_word": "nearest[nearest['rank'] == '1.ª'].set_index('text')['key'].to_dict()",
    "best": "nearest[nearest['rank'] == '1.ª'].set_index('text')['score'].astype(float).to_dict()",
    "model": "model",
    "words": "len(words)",
}


def test_es_01_every_text_gets_a_unit_vector_of_the_same_length():
    """"Tres textos, tres vectores del mismo tamaño, cada uno de longitud 1; hasta el texto sin sentido recibió
    el suyo." The models table gives the default model 512 dims; "entre 1,000 sustantivos en español"."""
    c = claims("es/01_generate.ipynb", GENERATE)
    assert c["model"] == "use-multilingual-v3" and c["dims"] == 512 and c["words"] == 1000
    assert len(c["lengths"]) == len(c["texts"]) == 3
    assert all(abs(length - 1) < 1e-3 for length in c["lengths"]), c["lengths"]


def test_es_01_dog_lands_on_perro_and_gibberish_matches_weakest():
    """"Con el modelo por defecto, 'dog' cae en 'perro' ..., y el texto sin sentido también cae en algún lado,
    con un mejor puntaje más bajo que el de los textos reales.\""""
    c = claims("es/01_generate.ipynb", GENERATE)
    assert c["first_word"]["dog"] == "perro", c["first_word"]
    gibberish = c["texts"][-1]
    real = [c["best"][text] for text in c["texts"][:-1]]
    assert c["best"][gibberish] < min(real), c["best"]


def test_es_01_solutions_answers():
    """1: "las tres caen primero en 'perro', con un puntaje mayor que 0.85." 2: "las dos reciben un vector y
    vecinos, pero con mejores puntajes más bajos que 'perro grande', y el error 'preo' no encuentra 'perro'".
    3: "más de 0.8". 4: "decodificarlos da exactamente los mismos números.\""""
    c = claims("es/solutions/01_generate.ipynb", {
        "translations": "translations.to_dict('index')", "garbage": "garbage.to_dict('index')",
        "translation_cosine": "float(english @ spanish)", "difference": "float(difference)"})
    assert set(c["translations"]) == {"chien", "Hund", "cane"}
    for word, row in c["translations"].items():
        assert _best(row["1"])[0] == "perro" and _best(row["1"])[1] > 0.85, (word, row)
    real = _best(c["garbage"]["perro grande"]["1"])[1]
    assert all(_best(c["garbage"][w]["1"])[1] < real for w in ("preo", "florbish")), c["garbage"]
    assert "perro" not in {_best(cell)[0] for cell in c["garbage"]["preo"].values()}, c["garbage"]["preo"]
    assert c["translation_cosine"] > 0.8 and c["difference"] == 0, c
