"""Matrices typed or pasted by a depositor: what is read, what is refused and how it is said."""

from __future__ import annotations

import numpy as np
import pytest
from _landmark_cases import transforms
from hypothesis import given, settings
from hypothesis import strategies as st

from bioimage_depositor.domain.landmarks import MatrixError, format_matrix, parse_matrix
from bioimage_depositor.domain.landmarks.errors import (
    MATRIX_EMPTY,
    MATRIX_LAST_ROW,
    MATRIX_NOT_A_NUMBER,
    MATRIX_NOT_FINITE,
    MATRIX_RAGGED,
    MATRIX_SHAPE,
    MATRIX_SINGULAR,
)

ROWS_3D = [[0.998, -0.052, 0.0, 1520.0], [0.052, 0.998, 0.0, -310.5], [0.0, 0.0, 1.0, 42.0]]


def expected_3d() -> list[list[float]]:
    return [*ROWS_3D, [0.0, 0.0, 0.0, 1.0]]


@pytest.mark.parametrize(
    "text",
    [
        "0.998 -0.052 0 1520\n0.052 0.998 0 -310.5\n0 0 1 42",
        "0.998, -0.052, 0, 1520\r\n0.052, 0.998, 0, -310.5\r\n0, 0, 1, 42\r\n",
        "0.998\t-0.052\t0\t1520\n0.052\t0.998\t0\t-310.5\n0\t0\t1\t42",
        "0.998 -0.052 0 1520; 0.052 0.998 0 -310.5; 0 0 1 42",
        "[[0.998, -0.052, 0, 1520], [0.052, 0.998, 0, -310.5], [0, 0, 1, 42]]",
        "[0.998 -0.052 0 1520; 0.052 0.998 0 -310.5; 0 0 1 42]",
        "  0.998 −0.052 0 1520\n\n0.052 0.998 0 −310.5\n0 0 1 42\n0 0 0 1\n",
        "9.98e-1 -5.2E-2 0.0 1.52e3\n5.2e-2 .998 -0 -310.50\n+0 0 1 42.",
    ],
)
def test_the_usual_ways_of_writing_a_3d_matrix_are_read(text):
    parsed = parse_matrix(text)
    assert parsed.matrix.tolist() == expected_3d()
    assert parsed.ndim == 3
    assert parsed.notes == ()


def test_2d_matrices_with_and_without_the_last_row():
    assert parse_matrix("1 0 5\n0 1 3").matrix.tolist() == [[1, 0, 5], [0, 1, 3], [0, 0, 1]]
    parsed = parse_matrix("1 0 5\n0 1 3\n0 0 1")
    assert parsed.matrix.tolist() == [[1, 0, 5], [0, 1, 3], [0, 0, 1]]
    assert (parsed.rows, parsed.columns, parsed.ndim) == (3, 3, 2)


@pytest.mark.parametrize(("count", "shape"), [(6, (2, 3)), (9, (3, 3)), (12, (3, 4)), (16, (4, 4))])
def test_a_single_row_of_numbers_is_read_row_by_row_and_says_so(count, shape):
    full = np.eye(shape[1])
    full[: shape[1] - 1, -1] = np.arange(1.0, shape[1])
    values = full[: shape[0]].ravel()
    parsed = parse_matrix(",".join(str(v) for v in values))
    assert parsed.matrix.tolist() == full.tolist()
    assert (parsed.rows, parsed.columns) == shape
    assert len(parsed.notes) == 1 and f"{shape[0]} rows of {shape[1]}" in parsed.notes[0]


@pytest.mark.parametrize(
    ("text", "code", "words"),
    [
        ("", MATRIX_EMPTY, "Type or paste"),
        ("  \n ; \n", MATRIX_EMPTY, "Type or paste"),
        ("[]", MATRIX_EMPTY, "Type or paste"),
        ("1 0 5\n0 1 x3", MATRIX_NOT_A_NUMBER, "Row 2, value 3 (“x3”)"),
        ("1 0 5\n0 1 1,5", MATRIX_RAGGED, "Row 2 has 4 numbers but row 1 has 3"),  # a decimal comma
        ("1 0 5\n0 1 3_0", MATRIX_NOT_A_NUMBER, "Row 2, value 3"),
        ("1 0 nan\n0 1 3", MATRIX_NOT_FINITE, "Row 1, value 3 (“nan”)"),
        ("1 0 -Infinity\n0 1 3", MATRIX_NOT_FINITE, "Row 1, value 3"),
        ("1 0 5\n0 1", MATRIX_RAGGED, "Row 2 has 2 numbers but row 1 has 3"),
        ("1 0 0 5 1\n0 1 0 3 1", MATRIX_SHAPE, "2 rows of 5"),
        ("1 2 3 4 5", MATRIX_SHAPE, "1 row of 5"),
        ("1 0\n0 1", MATRIX_SHAPE, "2 rows of 2"),
        ("1 0 5\n0 1 3\n0.1 0 1", MATRIX_LAST_ROW, "must be 0 0 1"),
        ("1 0 0 5\n0 1 0 3\n0 0 1 2\n0 0 2 1", MATRIX_LAST_ROW, "must be 0 0 0 1"),
        ("1 0 5\n2 0 3", MATRIX_SINGULAR, "determinant is zero"),
    ],
)
def test_bad_text_gets_a_clear_message(text, code, words):
    with pytest.raises(MatrixError) as raised:
        parse_matrix(text)
    assert raised.value.code == code
    assert words in raised.value.message


def test_a_3x3_rotation_typed_for_3d_gets_a_hint_about_the_translation_column():
    with pytest.raises(MatrixError) as raised:
        parse_matrix("0 -1 0\n1 0 0\n0 0 1.0000001")
    assert raised.value.code == MATRIX_LAST_ROW
    assert "fourth column" in raised.value.message


def test_a_very_long_bad_value_is_shortened_in_the_message():
    with pytest.raises(MatrixError) as raised:
        parse_matrix("1 0 " + "y" * 200 + "\n0 1 0")
    assert len(raised.value.message) < 200
    assert raised.value.params["row"] == 1 and raised.value.params["column"] == 3


def test_format_is_deterministic_aligned_and_leaves_out_the_last_row_unless_asked():
    text = format_matrix(expected_3d())
    assert text == format_matrix(np.array(ROWS_3D))
    lines = text.split("\n")
    assert len(lines) == 3 and len({len(line) for line in lines}) == 1
    assert lines[0].split() == ["0.998", "-0.052", "0", "1520"]
    assert format_matrix(expected_3d(), homogeneous=True).split("\n")[-1].split() == ["0", "0", "0", "1"]
    negative_zero = np.eye(3)
    negative_zero[0, 2] = -0.0
    assert "-0" not in format_matrix(negative_zero)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), ndim=st.sampled_from([2, 3]), homogeneous=st.booleans())
def test_format_then_parse_gives_back_exactly_the_same_matrix(data, ndim, homogeneous):
    matrix = data.draw(transforms(data.draw(st.sampled_from(["rigid", "similarity", "affine"])), ndim))
    assert np.array_equal(parse_matrix(format_matrix(matrix, homogeneous=homogeneous)).matrix, matrix)


def test_the_parsed_matrix_is_read_only():
    parsed = parse_matrix("1 0 5\n0 1 3")
    with pytest.raises(ValueError):
        parsed.matrix[0, 0] = 2.0
