"""Tests for vectorlab.similarity against plain-Python reference implementations."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from vectorlab.search import most_similar
from vectorlab.similarity import (
    cosine_similarity,
    dot_product,
    euclidean_distance,
    magnitude,
    manhattan_distance,
    normalize,
    pairwise_similarity_values,
)

# --- plain-Python references (lists of floats, math module only) ---------------------------------


def ref_dot(a, b):
    return sum(x * y for x, y in zip(a, b, strict=True))


def ref_norm(a):
    return math.sqrt(sum(x * x for x in a))


def ref_cosine(a, b):
    return ref_dot(a, b) / (ref_norm(a) * ref_norm(b))


def ref_euclidean(a, b):
    return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b, strict=True)))


def ref_manhattan(a, b):
    return sum(abs(x - y) for x, y in zip(a, b, strict=True))


def ref_table(function, a_rows, b_rows):
    return [[function(a, b) for b in b_rows] for a in a_rows]


# --- strategies ------------------------------------------------------------------------------------

# Either exactly 0 or at least 1/8 in size, so a vector is either exactly zero or safely non-zero.
ELEMENTS = st.one_of(st.just(0.0), st.floats(0.125, 10, width=32), st.floats(-10, -0.125, width=32))


@st.composite
def matrix_pairs(draw):
    dims = draw(st.integers(1, 64))
    a = draw(arrays(np.float32, (draw(st.integers(1, 5)), dims), elements=ELEMENTS))
    b = draw(arrays(np.float32, (draw(st.integers(1, 5)), dims), elements=ELEMENTS))
    return a, b


PROPERTY = settings(max_examples=60, deadline=None)


# --- hand-computed cases ---------------------------------------------------------------------------


def test_hand_computed_values():
    assert cosine_similarity([1, 0], [1, 1]) == pytest.approx(1 / math.sqrt(2), abs=1e-7)
    assert cosine_similarity([1, 2], [-2, 1]) == pytest.approx(0.0, abs=1e-7)
    assert cosine_similarity([1, 2], [-1, -2]) == pytest.approx(-1.0, abs=1e-7)
    assert dot_product([1, 2, 3], [4, 5, 6]) == 32.0
    assert euclidean_distance([0, 0], [3, 4]) == 5.0
    assert manhattan_distance([1, -1], [4, 3]) == 7.0
    assert magnitude([3, 4]) == 5.0
    np.testing.assert_allclose(normalize([3, 4]), [0.6, 0.8], rtol=1e-6)


def test_pair_returns_python_float():
    for function in (cosine_similarity, dot_product, euclidean_distance, manhattan_distance):
        result = function([1.0, 2.0], [3.0, 5.0])
        assert type(result) is float, function.__name__
    assert type(magnitude([1.0, 2.0])) is float


@pytest.mark.parametrize("function", [cosine_similarity, dot_product, euclidean_distance, manhattan_distance])
def test_result_shapes_follow_the_inputs(function):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((5, 4))
    full = function(a, b)
    assert full.shape == (3, 5) and full.dtype == np.float32
    one_vs_many = function(a[1], b)
    assert one_vs_many.shape == (5,) and one_vs_many.dtype == np.float32
    many_vs_one = function(a, b[2])
    assert many_vs_one.shape == (3,)
    np.testing.assert_allclose(one_vs_many, full[1], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(many_vs_one, full[:, 2], rtol=1e-6, atol=1e-6)
    assert function(a[1], b[2]) == pytest.approx(float(full[1, 2]), rel=1e-6, abs=1e-6)


def test_cosine_is_clipped_to_one_for_identical_vectors():
    # Unclipped, float32 rounding gives 1.0000001 for this vector with itself.
    vector = np.random.default_rng(7).standard_normal(384).astype(np.float32)
    assert cosine_similarity(vector, vector) == 1.0
    assert cosine_similarity(vector, -vector) == -1.0
    assert np.all(cosine_similarity([vector, -vector], [vector, vector]) == [[1.0, 1.0], [-1.0, -1.0]])


def test_cosine_ignores_length_but_dot_does_not():
    assert cosine_similarity([1, 1], [10, 10]) == pytest.approx(1.0)
    assert dot_product([1, 1], [10, 10]) == 20.0


def test_magnitude_of_matrix_and_normalize_matrix():
    matrix = np.array([[3.0, 4.0], [0.0, 2.0], [1.0, 1.0]])
    np.testing.assert_allclose(magnitude(matrix), [5.0, 2.0, math.sqrt(2)], rtol=1e-6)
    unit = normalize(matrix)
    assert unit.shape == (3, 2) and unit.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(unit, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(unit[1], [0.0, 1.0])


def test_inputs_are_not_modified():
    a = np.array([[3.0, 4.0], [1.0, 2.0]], dtype=np.float32)
    before = a.copy()
    normalize(a)
    cosine_similarity(a, a)
    pairwise_similarity_values(a)
    np.testing.assert_array_equal(a, before)


# --- property tests against the references --------------------------------------------------------


@PROPERTY
@given(matrix_pairs())
def test_dot_product_matches_reference(pair):
    a, b = pair
    result = dot_product(a, b)
    expected = np.array(ref_table(ref_dot, a.tolist(), b.tolist()))
    scale = np.abs(a.astype(np.float64)) @ np.abs(b.astype(np.float64)).T  # bound on float32 rounding
    assert np.all(np.abs(result - expected) <= 1e-5 * scale + 1e-6)


@PROPERTY
@given(matrix_pairs())
def test_euclidean_and_manhattan_match_reference(pair):
    a, b = pair
    np.testing.assert_allclose(euclidean_distance(a, b), ref_table(ref_euclidean, a.tolist(), b.tolist()),
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(manhattan_distance(a, b), ref_table(ref_manhattan, a.tolist(), b.tolist()),
                               rtol=1e-6, atol=1e-6)


@PROPERTY
@given(matrix_pairs())
def test_cosine_matches_reference_or_rejects_zero_vectors(pair):
    a, b = pair
    a_zero = [i for i, row in enumerate(a.tolist()) if ref_norm(row) == 0]
    b_zero = [i for i, row in enumerate(b.tolist()) if ref_norm(row) == 0]
    if a_zero or b_zero:
        where = f"row {a_zero[0]} of a" if a_zero else f"row {b_zero[0]} of b"
        with pytest.raises(ValueError, match=f"zero vector \\({where}\\)"):
            cosine_similarity(a, b)
    else:
        result = cosine_similarity(a, b)
        np.testing.assert_allclose(result, ref_table(ref_cosine, a.tolist(), b.tolist()), atol=1e-5)
        assert np.all(np.abs(result) <= 1.0)


@PROPERTY
@given(matrix_pairs())
def test_magnitude_and_normalize_match_reference(pair):
    a, _ = pair
    rows = a.tolist()
    norms = [ref_norm(row) for row in rows]
    np.testing.assert_allclose(magnitude(a), norms, rtol=1e-5)
    if 0.0 in norms:
        with pytest.raises(ValueError, match=f"row {norms.index(0.0)} of vectors"):
            normalize(a)
    else:
        expected = [[x / norm for x in row] for row, norm in zip(rows, norms, strict=True)]
        np.testing.assert_allclose(normalize(a), expected, rtol=1e-5, atol=1e-6)


@PROPERTY
@given(matrix_pairs())
def test_pairwise_values_are_the_upper_triangle(pair):
    a, _ = pair
    rows = a.tolist()
    n = len(rows)
    if n < 2:
        with pytest.raises(ValueError, match="at least 2 vectors"):
            pairwise_similarity_values(a)
        return
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    for metric, reference in (("euclidean", ref_euclidean), ("manhattan", ref_manhattan)):
        values = pairwise_similarity_values(a, metric=metric)
        assert values.dtype == np.float32
        np.testing.assert_allclose(values, [reference(rows[i], rows[j]) for i, j in pairs], rtol=1e-6, atol=1e-6)
    dots = pairwise_similarity_values(a, metric="dot")
    scale = np.array([ref_dot(np.abs(a[i]).tolist(), np.abs(a[j]).tolist()) for i, j in pairs])
    assert np.all(np.abs(dots - [ref_dot(rows[i], rows[j]) for i, j in pairs]) <= 1e-5 * scale + 1e-6)
    if all(ref_norm(row) > 0 for row in rows):
        cosines = pairwise_similarity_values(a)
        np.testing.assert_allclose(cosines, [ref_cosine(rows[i], rows[j]) for i, j in pairs], atol=1e-5)


# --- most_similar ----------------------------------------------------------------------------------


def test_most_similar_table_matches_a_full_sort():
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((40, 8))
    query = rng.standard_normal(8)
    keys = [f"word{i}" for i in range(40)]
    table = most_similar(query, vectors, keys, k=5)
    assert isinstance(table, pd.DataFrame)
    assert list(table.columns) == ["key", "score"]
    reference = sorted(((ref_cosine(query.tolist(), row), key) for row, key in zip(vectors.tolist(), keys,
                                                                                     strict=True)), reverse=True)
    assert table["key"].tolist() == [key for _, key in reference[:5]]
    np.testing.assert_allclose(table["score"], [score for score, _ in reference[:5]], atol=1e-5)


def test_most_similar_euclidean_lists_smallest_distance_first_and_keeps_tuple_keys():
    vectors = np.array([[0.0, 0.0], [5.0, 5.0], [1.0, 0.0]])
    keys = [("a", 1), ("b", 2), ("c", 3)]
    table = most_similar([0.9, 0.0], vectors, keys, k=2, metric="euclidean")
    assert table["key"].tolist() == [("c", 3), ("a", 1)]
    np.testing.assert_allclose(table["score"], [0.1, 0.9], rtol=1e-5)


def test_most_similar_errors():
    vectors = np.eye(3)
    with pytest.raises(ValueError, match="got 2 keys for 3 vectors"):
        most_similar([1, 0, 0], vectors, ["a", "b"])
    with pytest.raises(ValueError, match="one vector .*exhaustive_search"):
        most_similar(np.eye(3)[:2], vectors, ["a", "b", "c"], k=1)
    with pytest.raises(ValueError, match="k=10 is larger than the 3 vectors available"):
        most_similar([1, 0, 0], vectors, ["a", "b", "c"])
    with pytest.raises(TypeError, match="keys is a single string"):
        most_similar([1, 0, 0], vectors, "abc", k=1)
    with pytest.raises(ValueError, match="query has 2 dims, vectors has 3"):
        most_similar([1, 0], vectors, ["a", "b", "c"], k=1)


# --- bad input -------------------------------------------------------------------------------------

PAIR_FUNCTIONS = [cosine_similarity, dot_product, euclidean_distance, manhattan_distance]


@pytest.mark.parametrize("function", PAIR_FUNCTIONS)
def test_mismatched_dims(function):
    with pytest.raises(ValueError, match="a has 3 dims, b has 2: embed both with the same model and dimensions"):
        function([1, 2, 3], [[1, 2], [3, 4]])


@pytest.mark.parametrize("function", PAIR_FUNCTIONS)
@pytest.mark.parametrize(
    ("a", "error", "message"),
    [
        ([], ValueError, "a is empty"),
        ([1.0, float("nan")], ValueError, "a contains NaN or infinity .*index \\(1,\\)"),
        ([[1.0, 2.0], [float("inf"), 0.0]], ValueError, "a contains NaN or infinity .*index \\(1, 0\\)"),
        ("hello", TypeError, "a is a str, expected numbers: embed the text first"),
        (["x", "y"], TypeError, "a must hold numbers"),
        ([[1.0, 2.0], [3.0]], TypeError, "a could not be read as an array|a is not a rectangular array"),
        (np.zeros((2, 2, 2)), ValueError, "a must be one vector \\(dims,\\) or a batch \\(n, dims\\)"),
    ],
)
def test_bad_first_argument(function, a, error, message):
    with pytest.raises(error, match=message):
        function(a, [1.0, 2.0])


@pytest.mark.parametrize("function", PAIR_FUNCTIONS)
def test_bad_second_argument_is_named_b(function):
    with pytest.raises(ValueError, match="b contains NaN or infinity"):
        function([1.0, 2.0], [[1.0, 2.0], [np.nan, 1.0]])
    with pytest.raises(ValueError, match="b is empty"):
        function([1.0, 2.0], np.empty((0, 2)))


def test_cosine_zero_vector_names_argument_and_row():
    with pytest.raises(ValueError, match=r"undefined for a zero vector \(row 3 of b\): remove it or use dot_product"):
        cosine_similarity([1.0, 2.0], [[1, 1], [2, 2], [3, 3], [0, 0]])
    with pytest.raises(ValueError, match=r"undefined for a zero vector \(a\): remove it or use dot_product"):
        cosine_similarity([0.0, 0.0], [1.0, 2.0])
    assert dot_product([0.0, 0.0], [1.0, 2.0]) == 0.0


def test_normalize_zero_vector_names_row():
    with pytest.raises(ValueError, match=r"cannot normalize a zero vector \(row 1 of vectors\)"):
        normalize([[1.0, 0.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match=r"cannot normalize a zero vector \(vectors\)"):
        normalize([0.0, 0.0, 0.0])


@pytest.mark.parametrize("function", [magnitude, normalize])
def test_single_argument_functions_reject_bad_input(function):
    with pytest.raises(ValueError, match="vectors must be one vector"):
        function(np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="vectors is empty"):
        function([])
    with pytest.raises(ValueError, match="NaN or infinity"):
        function([1.0, np.inf])
    with pytest.raises(TypeError, match="expected numbers"):
        function("vector")


def test_pairwise_similarity_values_errors():
    with pytest.raises(ValueError, match="metric='l2' is not supported: use one of 'cosine', 'dot', 'euclidean'"):
        pairwise_similarity_values(np.eye(3), metric="l2")
    with pytest.raises(ValueError, match="vectors has 1 row: pass at least 2 vectors"):
        pairwise_similarity_values([[1.0, 2.0]])
    with pytest.raises(ValueError, match="vectors must be 2-D"):
        pairwise_similarity_values([1.0, 2.0])
    with pytest.raises(ValueError, match=r"zero vector \(row 2 of vectors\)"):
        pairwise_similarity_values([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])


def test_dot_product_overflow_is_one_typed_error_and_no_runtime_warning():
    import warnings

    from vectorlab.errors import InvalidInputError
    from vectorlab.similarity import dot_product

    huge = np.full(4, 1e30, dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's "overflow encountered in matmul" would be raised here
        with pytest.raises(InvalidInputError, match="dot product overflows float32"):
            dot_product(huge, huge)
        with pytest.raises(InvalidInputError, match="dot product overflows float32"):
            dot_product(np.vstack([huge, -huge]), np.vstack([huge, huge]))
