"""Homogeneous matrices: apply, invert, chain, and the shapes they accept."""

from __future__ import annotations

import numpy as np
import pytest
from _landmark_cases import apply, spread_points, transforms
from hypothesis import given, settings
from hypothesis import strategies as st

from bioimage_depositor.domain.landmarks import (
    MatrixError,
    apply_transform,
    as_homogeneous,
    compose_transforms,
    dimension_of,
    invert_transform,
)
from bioimage_depositor.domain.landmarks.errors import (
    MATRIX_DIMENSION_MISMATCH,
    MATRIX_LAST_ROW,
    MATRIX_NOT_FINITE,
    MATRIX_SHAPE,
    MATRIX_SINGULAR,
)

models = st.sampled_from(["translation", "rigid", "similarity", "affine"])
dims = st.sampled_from([2, 3])


@settings(max_examples=100, deadline=None)
@given(data=st.data(), model=models, ndim=dims)
def test_invert_then_apply_is_the_identity(data, model, ndim):
    matrix = data.draw(transforms(model, ndim))
    points = data.draw(spread_points(ndim, 10))
    mapped = apply_transform(matrix, points)
    back = apply_transform(invert_transform(matrix), mapped)
    size = max(1.0, float(np.abs(points).max()), float(np.abs(mapped).max()))
    assert np.allclose(back, points, rtol=0, atol=1e-8 * size * np.linalg.cond(matrix[:ndim, :ndim]))
    assert np.allclose(compose_transforms([matrix, invert_transform(matrix)]), np.eye(ndim + 1), atol=1e-8 * size)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), ndim=dims)
def test_compose_applies_the_transforms_in_the_given_order(data, ndim):
    first, second, third = (data.draw(transforms("affine", ndim)) for _ in range(3))
    points = data.draw(spread_points(ndim, 6))
    chained = apply_transform(compose_transforms([first, second, third]), points)
    stepwise = apply(third, apply(second, apply(first, points)))
    assert np.allclose(chained, stepwise, rtol=1e-9, atol=1e-6 * max(1.0, float(np.abs(stepwise).max())))


def test_apply_accepts_one_point_or_many_and_both_matrix_shapes():
    rows = [[0.0, -1.0, 10.0], [1.0, 0.0, -5.0]]
    assert apply_transform(rows, [1.0, 2.0]).tolist() == [8.0, -4.0]
    assert apply_transform(as_homogeneous(rows), [[1.0, 2.0], [0.0, 0.0]]).tolist() == [[8.0, -4.0], [10.0, -5.0]]
    assert dimension_of(rows) == 2 and dimension_of(np.eye(4)) == 3


def test_as_homogeneous_adds_the_last_row_and_returns_a_copy():
    rows = np.array([[2.0, 0.0, 0.0, 1.0], [0.0, 2.0, 0.0, 2.0], [0.0, 0.0, 2.0, 3.0]])
    full = as_homogeneous(rows)
    assert full.shape == (4, 4) and full[3].tolist() == [0.0, 0.0, 0.0, 1.0]
    square = np.eye(3)
    copy = as_homogeneous(square)
    copy[0, 0] = 5.0
    assert square[0, 0] == 1.0


@pytest.mark.parametrize("shape", [(2, 2), (3, 5), (4, 3), (5, 5), (3,), (1, 4)])
def test_other_shapes_are_refused(shape):
    with pytest.raises(MatrixError) as raised:
        as_homogeneous(np.ones(shape))
    assert raised.value.code == MATRIX_SHAPE
    assert "2 rows of 3" in raised.value.message


def test_a_projective_last_row_and_non_finite_values_are_refused():
    projective = np.eye(4)
    projective[3, 2] = 0.001
    with pytest.raises(MatrixError) as raised:
        as_homogeneous(projective)
    assert raised.value.code == MATRIX_LAST_ROW
    assert "0 0 0 1" in raised.value.message
    broken = np.eye(3)
    broken[0, 2] = np.nan
    with pytest.raises(MatrixError) as raised:
        as_homogeneous(broken)
    assert raised.value.code == MATRIX_NOT_FINITE
    with pytest.raises(MatrixError) as raised:
        as_homogeneous([["a", "b", "c"], ["d", "e", "f"]])
    assert raised.value.code == MATRIX_SHAPE


def test_a_singular_matrix_has_no_inverse():
    flat = np.eye(4)
    flat[2, 2] = 0.0
    with pytest.raises(MatrixError) as raised:
        invert_transform(flat)
    assert raised.value.code == MATRIX_SINGULAR


def test_mixed_dimensions_are_refused():
    with pytest.raises(MatrixError) as raised:
        compose_transforms([np.eye(3), np.eye(4)])
    assert raised.value.code == MATRIX_DIMENSION_MISMATCH
    with pytest.raises(MatrixError) as raised:
        compose_transforms([])
    assert raised.value.code == MATRIX_DIMENSION_MISMATCH
    with pytest.raises(MatrixError) as raised:
        apply_transform(np.eye(4), [[1.0, 2.0]])
    assert raised.value.code == MATRIX_DIMENSION_MISMATCH
    assert raised.value.params["ndim"] == 3
