"""The Qt-free parts of the Correlation page: building the draft's transform and the landmark pair list."""

from __future__ import annotations

import numpy as np
import pytest

from bioimage_depositor.domain.correlation_model import CoordinateSystem, check_transforms, zyx_axes
from bioimage_depositor.domain.landmarks import apply_transform, fit_landmarks
from bioimage_depositor.domain.landmarks.ngff_convert import spatial_axes
from bioimage_depositor.ui.correlation.pairs import PairList
from bioimage_depositor.ui.correlation.transform_build import (
    PixelScale,
    TransformBuildError,
    build_transform,
    default_unit,
    describe_landmarks,
    embed_in_3d,
    picture_matrix,
    slug,
    target_of,
    unique_name,
)


def systems(ndim=3):
    return [
        CoordinateSystem(name="lm", axes=spatial_axes(ndim, "micrometer")),
        CoordinateSystem(name="em", axes=spatial_axes(ndim, "nanometer")),
    ]


def test_default_units_follow_pixel_size_then_archive():
    assert default_unit("BIA", 0.043) == "micrometer"
    assert default_unit("BIA", 0.004) == "nanometer"  # EM-sized pixels in a BIA component
    assert default_unit("EMPIAR") == "nanometer" and default_unit("EMDB") == "nanometer"
    assert default_unit("BioStudies") == "micrometer"


def test_system_names_are_short_and_unique():
    assert slug("Airyscan volumes of HeLa cells") == "airyscan_volumes_of"
    assert slug("  ", fallback="bia") == "bia"
    assert unique_name("lm", ["lm", "lm_2"]) == "lm_3"


def test_targets_refuse_what_a_matrix_cannot_map():
    assert target_of(systems(), "lm", "em").ndim == 3
    with pytest.raises(TransformBuildError, match="different"):
        target_of(systems(), "lm", "lm")
    with pytest.raises(TransformBuildError, match="no longer exists"):
        target_of(systems(), "lm", "gone")
    mixed = [systems()[0], CoordinateSystem(name="em", axes=spatial_axes(2, "nanometer"))]
    with pytest.raises(TransformBuildError, match="same axes"):
        target_of(mixed, "lm", "em")
    unitless = [systems()[0], CoordinateSystem(name="em", axes=zyx_axes(""))]
    with pytest.raises(TransformBuildError, match="unit"):
        target_of(unitless, "lm", "em")


@pytest.mark.parametrize("order", ["xy", "yx"])
def test_a_2d_transform_is_lifted_with_z_unchanged(order):
    m = np.array([[0.0, -2.0, 5.0], [2.0, 0.0, 7.0], [0, 0, 1]])
    lifted, lifted_order = embed_in_3d(m, order)
    points = np.array([[1.0, 2.0], [3.0, -4.0]])
    z = np.array([[9.0], [-1.0]])
    if order == "xy":
        assert lifted_order == "xyz"
        three = apply_transform(lifted, np.hstack([points, z]))
        assert np.allclose(three[:, :2], apply_transform(m, points)) and np.allclose(three[:, 2:], z)
    else:
        assert lifted_order == "zyx"
        three = apply_transform(lifted, np.hstack([z, points]))
        assert np.allclose(three[:, 1:], apply_transform(m, points)) and np.allclose(three[:, :1], z)


def test_build_transform_converts_order_units_and_dimension():
    target = target_of(systems(), "lm", "em")
    m = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 3.0], [0, 0, 1]])  # x, y in µm -> µm
    transform, lifted = build_transform(m, axis_order="xy", moving_unit="micrometer", fixed_unit="micrometer",
                                        target=target, name="test")
    assert lifted and transform.input == "lm" and transform.output == "em" and transform.name == "test"
    # z, y, x rows; µm -> nm scales the linear part and the translation by 1000
    assert transform.matrix == [[1000, 0, 0, 0], [0, 1000, 0, 3000], [0, 0, 1000, 2000]]
    assert check_transforms(systems(), [transform], ("correlations", 0), []) == []
    with pytest.raises(TransformBuildError, match="3-D"):
        build_transform(np.eye(4), axis_order="xyz", moving_unit="micrometer", fixed_unit="nanometer",
                        target=target_of(systems(2), "lm", "em"))


def test_overlay_matrix_maps_preview_pixels_through_the_fit():
    moving_scale = PixelScale(0.1, 0.1, "micrometer")
    reference_scale = PixelScale(20.0, 20.0, "nanometer")
    fit_matrix = np.array([[0.0, -1.0, 500.0], [1.0, 0.0, 100.0], [0, 0, 1]])  # nm -> nm
    m = picture_matrix(fit_matrix, moving_scale=moving_scale, reference_scale=reference_scale, unit="nanometer",
                       moving_pixels_per_picture=(2.0, 2.0), reference_pixels_per_picture=(4.0, 4.0))
    moving_picture = np.array([[10.0, 20.0]])
    physical = moving_picture * 2.0 * 100.0  # preview px -> full px -> nm
    expected = apply_transform(fit_matrix, physical) / 20.0 / 4.0  # nm -> full px -> preview px
    assert np.allclose(apply_transform(m, moving_picture), expected)


def test_pairs_are_made_in_two_clicks_and_fitted_in_the_reference_unit():
    pairs = PairList()
    assert pairs.place("moving", 10, 10) == 0 and pairs.pending() == 0
    assert pairs.place("moving", 11, 12) == 0  # the pending pair's own side again: it moves
    assert pairs.place("fixed", 100, 100) == 0 and pairs.pending() is None
    assert pairs.place("fixed", 300, 100) == 1 and pairs.pending() == 1  # a pair may start on either side
    pairs.place("moving", 30, 12)
    pairs.place("moving", 11, 40)
    pairs.place("fixed", 100, 380)
    moving_scale, reference_scale = PixelScale(0.1, 0.1, "micrometer"), PixelScale(10, 10, "nanometer")
    fit = pairs.refit("similarity", moving_scale, reference_scale)
    assert fit is not None and pairs.fit_error == ""
    physical_moving = pairs.moving * 100.0  # 0.1 µm pixels in nm
    physical_fixed = pairs.fixed * 10.0
    expected = fit_landmarks(physical_moving, physical_fixed, "similarity")
    assert np.allclose(fit.matrix, expected.matrix) and np.allclose(pairs.residuals(), expected.residuals)
    pairs.remove(1)
    assert pairs.fit is None and np.isnan(pairs.residuals()).all()  # stale rows are never shown
    assert pairs.refit("affine", moving_scale, reference_scale) is None
    assert "1 more landmark pair" in pairs.fit_error
    pairs.place("moving", 5, 5)
    assert pairs.names[-1] == "4"  # names are not reused after a removal
    assert pairs.complete().tolist() == [0, 1]


def test_landmark_descriptions_name_files_model_and_rms():
    moving = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])
    fit = fit_landmarks(moving, moving * 1000 + 5, "similarity")
    words = describe_landmarks(fit, unit="nanometer", moving_file="a.tif", reference_file="b.tif",
                               target=target_of(systems(), "lm", "em"), lifted=True)
    assert "a.tif (moving)" in words.alignment and "similarity" in words.alignment and "nm" in words.alignment
    assert "z unchanged" in words.alignment
    assert words.fiducials.startswith("4 landmark pairs")
    assert "from lm (µm) to em (nm)" in words.transformation
