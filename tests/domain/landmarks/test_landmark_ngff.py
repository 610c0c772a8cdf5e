"""From a landmark matrix to what the OME-NGFF 0.6 scene holds: axis order, units, types, schema validity."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from _landmark_cases import apply, homogeneous, rotation, spread_points, transforms
from hypothesis import given, settings
from hypothesis import strategies as st

from bioimage_depositor.domain.correlation_model import CoordinateSystem, check_transforms
from bioimage_depositor.domain.exports import ngff
from bioimage_depositor.domain.exports.validators import validate_scene
from bioimage_depositor.domain.landmarks import (
    MatrixError,
    apply_transform,
    fit_landmarks,
    ngff_affine_rows,
    ngff_transformation,
    normalise_unit,
    prepare_for_ngff,
    rescale,
    reverse_axes,
    spatial_axes,
    to_affine_transform,
    unit_factor,
)
from bioimage_depositor.domain.landmarks.errors import MATRIX_DIMENSION_MISMATCH, MATRIX_UNIT_UNKNOWN
from bioimage_depositor.domain.rembi import ImageCorrelation


def reference_recipe(a: np.ndarray) -> np.ndarray:
    """``xyz_affine_to_ngff`` exactly as correlative.md §6 gives it."""
    a = np.asarray(a, float)
    n = a.shape[0]
    p = np.eye(n)[::-1]
    return np.hstack([p @ a[:, :n] @ p, (p @ a[:, n])[:, None]])


def evaluate(transform: dict[str, Any], points: np.ndarray) -> np.ndarray:
    """A small NGFF reader: apply an NGFF transformation object to points (column-vector convention)."""
    kind = transform["type"]
    if kind == "identity":
        return points
    if kind == "translation":
        return points + np.array(transform["translation"])
    if kind == "scale":
        return points * np.array(transform["scale"])
    if kind == "rotation":
        return points @ np.array(transform["rotation"]).T
    if kind == "affine":
        rows = np.array(transform["affine"])
        return points @ rows[:, :-1].T + rows[:, -1]
    if kind == "sequence":
        for step in transform["transformations"]:
            points = evaluate(step, points)
        return points
    raise AssertionError(kind)


def scene_with(transform: dict[str, Any], ndim: int, units: tuple[str, str] = ("micrometer", "nanometer")):
    names = ("z", "y", "x")[3 - ndim :]
    return {
        "zarr_format": 3,
        "node_type": "group",
        "attributes": {
            "ome": {
                "version": ngff.NGFF_VERSION,
                "scene": {
                    "coordinateSystems": [
                        {"name": "em", "axes": [{"name": n, "type": "space", "unit": units[1]} for n in names]},
                        {"name": "lm", "axes": [{"name": n, "type": "space", "unit": units[0]} for n in names]},
                    ],
                    "coordinateTransformations": [transform],
                },
            }
        },
    }


@settings(max_examples=60, deadline=None)
@given(data=st.data(), ndim=st.sampled_from([2, 3]))
def test_reverse_axes_matches_the_reference_recipe_and_maps_reversed_points(data, ndim):
    matrix = data.draw(transforms("affine", ndim))
    reversed_matrix = reverse_axes(matrix)
    assert np.allclose(reversed_matrix[:-1], reference_recipe(matrix[:-1]), rtol=0, atol=0)
    points = data.draw(spread_points(ndim, 5))
    assert np.allclose(apply(reversed_matrix, points[:, ::-1]), apply(matrix, points)[:, ::-1], rtol=1e-12, atol=1e-9)
    assert np.array_equal(reverse_axes(reversed_matrix), matrix)


def test_unit_factors_are_exact_for_metric_units_and_know_the_usual_spellings():
    assert unit_factor("micrometer", "nanometer") == 1000.0
    assert unit_factor("nanometer", "micrometer") == 0.001
    assert unit_factor("µm", "nm") == 1000.0
    assert unit_factor("um", "angstrom") == 10000.0
    assert unit_factor("millimeter", "micrometer") == 1000.0
    assert unit_factor("inch", "millimeter") == pytest.approx(25.4)
    assert unit_factor("nanometer", "nanometer") == 1.0
    assert [normalise_unit(u) for u in ("µm", "Micron", "nm", "Å", "furlong")] == [
        "micrometer",
        "micrometer",
        "nanometer",
        "angstrom",
        "",
    ]
    with pytest.raises(MatrixError) as raised:
        unit_factor("pixel", "nanometer")
    assert raised.value.code == MATRIX_UNIT_UNKNOWN
    assert "'pixel'" in raised.value.message


@settings(max_examples=60, deadline=None)
@given(data=st.data(), ndim=st.sampled_from([2, 3]))
def test_rescale_re_expresses_the_same_map_in_new_units(data, ndim):
    matrix = data.draw(transforms("affine", ndim))
    input_scale = np.array(data.draw(st.lists(st.floats(1e-3, 1e3), min_size=ndim, max_size=ndim)))
    output_scale = np.array(data.draw(st.lists(st.floats(1e-3, 1e3), min_size=ndim, max_size=ndim)))
    points = data.draw(spread_points(ndim, 5))
    rescaled = rescale(matrix, input_scale, output_scale)
    expected = apply(matrix, points) * output_scale
    assert np.allclose(apply(rescaled, points * input_scale), expected, rtol=1e-9, atol=1e-9 * np.abs(expected).max())


def test_rescale_refuses_wrong_scales():
    for bad in ([1.0, 2.0], [1.0, 0.0, 1.0], [np.nan, 1.0, 1.0]):
        with pytest.raises(MatrixError) as raised:
            rescale(np.eye(4), bad, 1.0)
        assert raised.value.code == MATRIX_DIMENSION_MISMATCH


def test_prepare_for_ngff_turns_an_xyz_micrometre_fit_into_a_zyx_nanometre_transform():
    moving = np.random.default_rng(1).uniform(0, 60, size=(10, 3))  # µm, x y z
    truth = homogeneous(1.2 * rotation(3, [0.2, 0.1, 0.3]), np.array([100.0, -20.0, 5.0]))
    fit = fit_landmarks(moving, apply(truth, moving), "similarity")
    zyx = prepare_for_ngff(
        fit.matrix, moving_unit="µm", fixed_unit="micrometer", input_unit="micrometer", output_unit="nanometer"
    )
    # a moving point in scene input coordinates (z, y, x µm) lands on its partner in output coordinates (z, y, x nm)
    assert np.allclose(apply_transform(zyx, moving[:, ::-1]), apply(truth, moving)[:, ::-1] * 1000.0)
    already = prepare_for_ngff(
        zyx,
        moving_unit="micrometer",
        fixed_unit="nanometer",
        input_unit="micrometer",
        output_unit="nanometer",
        axis_order="zyx",
    )
    assert np.array_equal(already, zyx)


def _rigid(ndim):
    return homogeneous(rotation(ndim, [0.3, -0.2, 0.1]), np.arange(1.0, ndim + 1.0) * 10)


@pytest.mark.parametrize("ndim", [2, 3])
@pytest.mark.parametrize(
    ("make", "kind", "steps"),
    [
        (lambda n: np.eye(n + 1), "identity", None),
        (lambda n: homogeneous(np.eye(n), np.full(n, 2.5)), "translation", None),
        (lambda n: homogeneous(np.diag(np.arange(2.0, n + 2.0)), np.zeros(n)), "scale", None),
        (
            lambda n: homogeneous(np.diag(np.arange(2.0, n + 2.0)), np.full(n, -1.0)),
            "sequence",
            ["scale", "translation"],
        ),
        (lambda n: homogeneous(rotation(n, [0.3, -0.2, 0.1]), np.zeros(n)), "rotation", None),
        (_rigid, "sequence", ["rotation", "translation"]),
        (lambda n: homogeneous(2.0 * rotation(n, [0.3, -0.2, 0.1]), np.ones(n)), "affine", None),
    ],
)
def test_the_least_expressive_ngff_type_is_chosen_and_validates(ndim, make, kind, steps):
    matrix = make(ndim)
    transform = ngff_transformation(matrix, input="lm", output="em", name="fit")
    assert transform["type"] == kind
    assert transform["input"] == {"name": "lm"} and transform["output"] == {"name": "em"} and transform["name"] == "fit"
    if steps:
        assert [step["type"] for step in transform["transformations"]] == steps
    points = np.random.default_rng(ndim).uniform(-50, 50, size=(6, ndim))
    assert np.allclose(evaluate(transform, points), apply(matrix, points))
    assert validate_scene(scene_with(transform, ndim)) == []


def test_paths_are_written_only_when_given():
    transform = ngff_transformation(np.eye(4), input="physical", output="physical", input_path="lm", output_path="em")
    assert transform["input"] == {"name": "physical", "path": "lm"}
    assert transform["output"] == {"name": "physical", "path": "em"}
    assert "name" not in transform


def test_a_matrix_with_rounding_noise_is_still_a_rotation_but_a_scaled_one_is_not():
    fitted = fit_landmarks(
        np.random.default_rng(4).uniform(0, 100, size=(20, 3)),
        apply(_rigid(3), np.random.default_rng(4).uniform(0, 100, size=(20, 3))),
        "rigid",
    )
    assert [s["type"] for s in ngff_transformation(fitted.matrix, input="a", output="b")["transformations"]] == [
        "rotation",
        "translation",
    ]
    near = _rigid(3)
    near[:3, :3] *= 1.000001
    assert ngff_transformation(near, input="a", output="b")["type"] == "affine"


@pytest.mark.parametrize("ndim", [2, 3])
def test_the_draft_transform_feeds_the_scene_export_and_passes_its_checks(ndim):
    moving = np.random.default_rng(2).uniform(0, 60, size=(12, ndim))
    truth = homogeneous(np.eye(ndim) * 1.5 + 0.05, np.full(ndim, 7.0))
    fit = fit_landmarks(moving, apply(truth, moving), "affine")
    zyx = prepare_for_ngff(
        fit.matrix,
        moving_unit="micrometer",
        fixed_unit="micrometer",
        input_unit="micrometer",
        output_unit="nanometer",
        axis_order="xyz"[:ndim],
    )
    transform = to_affine_transform(zyx, input="lm", output="em", name="affine fit")
    assert transform.matrix == ngff_affine_rows(zyx)
    assert len(transform.matrix) == ndim and {len(row) for row in transform.matrix} == {ndim + 1}
    systems = [
        CoordinateSystem(name="lm", axes=spatial_axes(ndim, "micrometer")),
        CoordinateSystem(name="em", axes=spatial_axes(ndim, "nanometer")),
    ]
    assert [axis.name for axis in systems[0].axes] == ["z", "y", "x"][3 - ndim :]
    assert check_transforms(systems, [transform], ("correlations", 0), []) == []
    correlation = ImageCorrelation(coordinate_systems=systems, transforms=[transform])
    doc = ngff.scene(correlation)
    assert validate_scene(doc) == []
    written = doc["attributes"]["ome"]["scene"]["coordinateTransformations"][0]
    assert np.allclose(evaluate(written, moving[:, ::-1]), apply(truth, moving)[:, ::-1] * 1000.0)


def test_spatial_axes_refuses_other_counts():
    with pytest.raises(MatrixError):
        spatial_axes(4, "micrometer")
