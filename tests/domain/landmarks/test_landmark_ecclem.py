"""ec-CLEM transformation XML: the schema with fiducials, the matrix export, the older easyCLEM file, and errors."""

from __future__ import annotations

import numpy as np
import pytest
from _landmark_cases import DATA, apply, samples

from bioimage_depositor.domain.landmarks import (
    LandmarkImportError,
    fit_landmarks,
    invert_transform,
    read_ecclem_xml,
)
from bioimage_depositor.domain.landmarks.errors import (
    IMPORT_NO_LANDMARKS,
    IMPORT_NOT_FINITE,
    IMPORT_XML_STRUCTURE,
    IMPORT_XML_SYNTAX,
)

TRUTH = samples()
SCHEMA = (DATA / "ecclem_affine_3d.xml").read_text(encoding="utf-8")
MATRIX = (DATA / "ecclem_matrix_2d.xml").read_text(encoding="utf-8")


def read(text: str):
    return read_ecclem_xml(text.encode("utf-8"), "transformation.xml")


def test_schema_file_gives_micrometre_fiducials_that_recover_the_affine():
    raw = (DATA / "ecclem_affine_3d.xml").read_bytes()
    imported = read_ecclem_xml(raw, "ecclem_affine_3d.xml")
    assert imported.format == "ecclem-xml" and imported.raw == raw
    assert imported.ndim == 3 and imported.axis_order == "xyz" and imported.n_pairs == 8
    assert (imported.moving_unit, imported.fixed_unit) == ("micrometer", "micrometer")
    assert (imported.transform_type, imported.model, imported.matrix) == ("AFFINE", "affine", None)
    assert imported.names == tuple(str(i) for i in range(8))
    assert np.array_equal(imported.moving, np.array(TRUTH.MOVING_3D))
    assert imported.details["source_file"] == "/data/clem/lm_airyscan.tif"
    assert imported.details["target_file"] == "/data/clem/em_fibsem.tif"
    assert imported.details["source_size"]["Z"] == {"size": 31.0, "pixel_size_um": 0.5}
    assert imported.details["noiseModel"] == "ISOTROPIC"
    fit = fit_landmarks(imported.moving, imported.fixed, imported.model)
    assert np.allclose(fit.matrix, TRUTH.AFFINE_3D, atol=1e-9)


def test_matrix_export_gives_the_2d_matrix_without_fiducials():
    imported = read(MATRIX)
    assert imported.ndim == 2 and imported.n_pairs == 0 and imported.moving.shape == (0, 2)
    assert (imported.transform_type, imported.model) == ("RIGID", "rigid")
    assert np.array_equal(imported.matrix, TRUTH.RIGID_2D)
    assert imported.moving_unit == "micrometer"
    assert imported.details["target_file"] == "/data/clem/em_overview.tif"


def test_older_easyclem_file_combines_its_steps_in_order_and_reads_as_2d():
    imported = read_ecclem_xml((DATA / "easyclem_legacy_2d_transfo.xml").read_bytes(), "old_transfo.xml")
    first = np.array([[1.0, 0.0, 3.0], [0.0, 1.0, 4.0], [0.0, 0.0, 1.0]])
    second = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    assert imported.ndim == 2
    assert np.allclose(imported.matrix, second @ first)  # the translation first, then the rotation
    assert imported.moving_unit == "" and any("do not state the units" in n for n in imported.notes)
    assert any("2 matrices" in n for n in imported.notes)
    assert imported.details["legacy_target_size"]["width"] == "512"


def test_a_legacy_4x4_stays_3d_when_the_images_have_slices():
    text = (DATA / "easyclem_legacy_2d_transfo.xml").read_text().replace('sz="1"', 'sz="1" nz="40"')
    assert read(text).ndim == 3


def _schema_with_matrix(matrix: np.ndarray) -> str:
    entries = " ".join(f'm{i}{j}="{float(matrix[i, j])!r}"' for i in range(4) for j in range(4))
    return SCHEMA.replace("<root>\n", f"<root>\n    <MatrixTransformation {entries}/>\n", 1)


def test_a_matrix_next_to_fiducials_is_kept_when_it_maps_source_onto_target():
    imported = read(_schema_with_matrix(TRUTH.AFFINE_3D))
    assert np.allclose(imported.matrix, TRUTH.AFFINE_3D)
    assert not any("invert" in n for n in imported.notes)


def test_an_inverse_matrix_is_turned_round_with_a_note():
    imported = read(_schema_with_matrix(invert_transform(TRUTH.AFFINE_3D)))
    assert np.allclose(imported.matrix, TRUTH.AFFINE_3D)
    assert any("inverted" in n for n in imported.notes)
    assert np.allclose(apply(imported.matrix, imported.moving), imported.fixed)


def test_a_matrix_that_fits_neither_way_is_kept_with_a_warning():
    unrelated = np.eye(4)
    unrelated[:3, 3] = [500.0, -500.0, 20.0]
    imported = read(_schema_with_matrix(unrelated))
    assert np.array_equal(imported.matrix, unrelated)
    assert any("does not map the source fiducials" in n for n in imported.notes)


def test_the_last_of_several_transformations_and_the_fiducial_dataset_are_read():
    older = SCHEMA[SCHEMA.index("    <transformation") : SCHEMA.index("</root>")].replace(
        'type="AFFINE"', 'type="RIGID"'
    )
    twice = SCHEMA.replace("<root>\n", "<root>\n" + older, 1)
    imported = read(twice)
    assert imported.transform_type == "AFFINE" and any("last one" in n for n in imported.notes)
    error_points = (
        '        <dataset dimension="3" n="1" pointType="PREDICTED_ERROR" type="source">\n'
        '            <point id="0"><coordinate dimension="0">1.0</coordinate><coordinate dimension="1">1.0</coordinate>'
        '<coordinate dimension="2">1.0</coordinate></point>\n        </dataset>\n'
    )
    with_errors = SCHEMA.replace("        <dataset", error_points + "        <dataset", 1)
    assert read(with_errors).n_pairs == 8


def test_spline_transformations_are_read_with_a_note():
    imported = read(SCHEMA.replace('type="AFFINE"', 'type="SPLINE"'))
    assert imported.model is None and any("spline" in n for n in imported.notes)


def _line_of(text: str, fragment: str) -> int:
    return text[: text.index(fragment)].count("\n") + 1


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        (lambda t: t.replace("</root>", ""), IMPORT_XML_SYNTAX, "no element found"),
        (lambda t: t.replace('<point id="3">', '<point id="3>'), IMPORT_XML_SYNTAX, "line"),
        (lambda t: "<root><something/></root>", IMPORT_XML_STRUCTURE, "not an ec-CLEM transformation file"),
        (
            lambda t: (
                t[: t.index('        <dataset dimension="3" n="8" pointType="FIDUCIAL" type="target">')]
                + "    </transformation>\n</root>\n"
            ),
            IMPORT_XML_STRUCTURE,
            "has no target <dataset>",
        ),
        (
            lambda t: t.replace('n="8" pointType="FIDUCIAL" type="target"', 'n="9" pointType="FIDUCIAL" type="target"'),
            IMPORT_XML_STRUCTURE,
            "says n=“9” but holds 8",
        ),
        (
            lambda t: t.replace('pointType="FIDUCIAL" type="target">', 'pointType="FIDUCIAL" type="reference">'),
            IMPORT_XML_STRUCTURE,
            "has type “reference”",
        ),
        (
            lambda t: t.replace(
                'dimension="3" n="8" pointType="FIDUCIAL" type="source"',
                'dimension="4" n="8" pointType="FIDUCIAL" type="source"',
            ),
            IMPORT_XML_STRUCTURE,
            "it must be 2 or 3",
        ),
    ],
)
def test_malformed_xml_gets_a_message_naming_the_element_or_line(change, code, words):
    with pytest.raises(LandmarkImportError) as raised:
        read(change(SCHEMA))
    assert raised.value.code == code
    assert words in raised.value.message
    assert "transformation.xml" in raised.value.message


def test_a_bad_coordinate_is_reported_with_its_element_and_line():
    text = SCHEMA.replace('<coordinate dimension="1">58.0</coordinate>', '<coordinate dimension="1">5 8</coordinate>')
    with pytest.raises(LandmarkImportError) as raised:
        read(text)
    assert raised.value.code == IMPORT_XML_STRUCTURE
    assert raised.value.params["line"] == _line_of(text, "5 8</coordinate>")
    assert '<coordinate dimension="1">' in raised.value.message and "“5 8”" in raised.value.message
    text = SCHEMA.replace('<coordinate dimension="2">9.5</coordinate>', '<coordinate dimension="2">NaN</coordinate>')
    with pytest.raises(LandmarkImportError) as raised:
        read(text)
    assert raised.value.code == IMPORT_NOT_FINITE
    assert '<point id="3">' in raised.value.message and "source dataset" in raised.value.message
    text = SCHEMA.replace('<coordinate dimension="2">9.5</coordinate>', '<coordinate dimension="1">9.5</coordinate>')
    with pytest.raises(LandmarkImportError) as raised:
        read(text)
    assert "repeats dimension 1" in raised.value.message
    text = SCHEMA.replace('<coordinate dimension="2">9.5</coordinate>', '<coordinate dimension="z">9.5</coordinate>')
    with pytest.raises(LandmarkImportError) as raised:
        read(text)
    assert "it must be 0 to 2" in raised.value.message


def test_unequal_point_counts_are_refused():
    start = SCHEMA.index('            <point id="7">', SCHEMA.index('pointType="FIDUCIAL" type="target"'))
    end = SCHEMA.index("</point>", start) + len("</point>\n")
    text = (SCHEMA[:start] + SCHEMA[end:]).replace(
        'n="8" pointType="FIDUCIAL" type="target"', 'n="7" pointType="FIDUCIAL" type="target"'
    )
    with pytest.raises(LandmarkImportError) as raised:
        read(text)
    assert "8 source points but 7 target points" in raised.value.message


@pytest.mark.parametrize(
    ("attributes", "words"),
    [
        ('m00="1.0" m01="0.0" m02="10.0" m10="0.0" m11="1.0" m12="5.0" m20="0.0" m21="0.0"', "lacks m22"),
        ('m00="1.0" m01="0.0" m02="x" m10="0.0" m11="1.0" m12="5.0" m20="0.0" m21="0.0" m22="1.0"', "m02=“x”"),
        ('m00="1.0" m01="0.0" m02="1" m10="0.0" m11="1.0" m12="5.0" m20="0.5" m21="0.0" m22="1.0"', "last row"),
        ('process_date="today"', "has no m00"),
    ],
)
def test_a_bad_matrix_element_is_named_with_its_line(attributes, words):
    text = f'<root>\n  <TargetSize width="1"/>\n  <MatrixTransformation {attributes}/>\n</root>\n'
    with pytest.raises(LandmarkImportError) as raised:
        read(text)
    assert raised.value.code == IMPORT_XML_STRUCTURE
    assert words in raised.value.message
    assert "<MatrixTransformation> at line 3" in raised.value.message


def test_a_file_without_fiducials_or_matrix_is_refused():
    empty = SCHEMA[: SCHEMA.index("        <dataset")] + "    </transformation>\n</root>\n"
    with pytest.raises(LandmarkImportError) as raised:
        read(empty)
    assert raised.value.code == IMPORT_NO_LANDMARKS


def test_entity_declarations_are_refused_before_expansion():
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE root [\n<!ENTITY a "aaaaaaaaaa">\n'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">\n]>\n<root>&b;</root>\n'
    )
    with pytest.raises(LandmarkImportError) as raised:
        read(bomb)
    assert raised.value.code == IMPORT_XML_SYNTAX
    assert "declares XML entities" in raised.value.message


def _schema(moving: np.ndarray, fixed: np.ndarray, matrix: np.ndarray) -> str:
    """A transformation-schema file with the given fiducials and a matrix export in front of it."""

    def dataset(side: str, points: np.ndarray) -> str:
        body = "".join(
            f'<point id="{i}">'
            + "".join(f'<coordinate dimension="{k}">{float(v)!r}</coordinate>' for k, v in enumerate(p))
            + "</point>"
            for i, p in enumerate(points)
        )
        return f'<dataset dimension="3" n="{len(points)}" pointType="FIDUCIAL" type="{side}">{body}</dataset>'

    entries = " ".join(f'm{i}{j}="{float(matrix[i, j])!r}"' for i in range(4) for j in range(4))
    return (
        f'<root><MatrixTransformation {entries}/><transformation type="RIGID" noiseModel="ISOTROPIC">'
        f"{dataset('source', moving)}{dataset('target', fixed)}</transformation></root>"
    )


def test_a_near_identity_matrix_with_noisy_fiducials_is_kept_without_a_warning():
    rng = np.random.default_rng(12)
    moving = rng.uniform(0, 50, size=(10, 3))
    shift = np.eye(4)
    shift[:3, 3] = [0.02, -0.01, 0.0]
    fixed = apply(shift, moving) + rng.normal(0, 0.05, size=moving.shape)
    imported = read(_schema(moving, fixed, shift))
    assert np.array_equal(imported.matrix, shift)
    assert imported.notes == ()
