"""The OME-NGFF 0.6 scene of a correlative study, its model, and the cross-archive references."""

from __future__ import annotations

import copy
import json

import pytest
from _export_drafts import CTX, CTX_ACCESSIONS, clem, light, no_blocking

from bioimage_depositor.domain.correlation_model import AffineTransform, Axis, CoordinateSystem, zyx_axes
from bioimage_depositor.domain.draft_file import DraftEnvelope, serialise_draft
from bioimage_depositor.domain.exports import crossrefs, ngff, validators
from bioimage_depositor.domain.rembi import ImageCorrelation, RelatedAccession
from bioimage_depositor.domain.rules import check_deposition

SCENE_PATH = "correlation-landmarks.zarr/zarr.json"

#: examples/ngff/clem_scene_zarr.json of the shared reference: systems defined in image subgroups.
REFERENCE_SCENE = {
    "zarr_format": 3,
    "node_type": "group",
    "attributes": {
        "ome": {
            "version": "0.6rc0",
            "scene": {
                "coordinateSystems": [
                    {
                        "name": "em_physical",
                        "axes": [{"name": n, "type": "space", "unit": "nanometer"} for n in "zyx"],
                    }
                ],
                "coordinateTransformations": [
                    {
                        "type": "affine",
                        "name": "LM to EM",
                        "input": {"path": "lm_confocal", "name": "physical"},
                        "output": {"path": "em_fibsem", "name": "physical"},
                        "affine": [[0.998, -0.052, 0.0, 1520.0], [0.052, 0.998, 0.0, -310.5], [0.0, 0.0, 1.0, 42.0]],
                    },
                    {
                        "type": "identity",
                        "input": {"path": "em_fibsem", "name": "physical"},
                        "output": {"name": "em_physical"},
                    },
                ],
            },
        }
    },
}


def scene_of(deposition):
    return json.loads(ngff.render(deposition, CTX)[SCENE_PATH])


def test_clem_scene_is_valid_and_explicit():
    assert no_blocking(clem()) == []
    doc = scene_of(clem())
    assert validators.validate_scene(doc) == []
    assert (doc["zarr_format"], doc["node_type"], doc["attributes"]["ome"]["version"]) == (3, "group", "0.6rc0")
    scene = doc["attributes"]["ome"]["scene"]
    assert [s["name"] for s in scene["coordinateSystems"]] == ["em_fibsem", "lm_airyscan"]  # reference first
    assert scene["coordinateSystems"][1]["axes"] == [
        {"name": "z", "type": "space", "unit": "micrometer"},
        {"name": "y", "type": "space", "unit": "micrometer"},
        {"name": "x", "type": "space", "unit": "micrometer"},
    ]
    (transform,) = scene["coordinateTransformations"]
    assert transform["type"] == "affine"
    assert (transform["input"], transform["output"]) == ({"name": "lm_airyscan"}, {"name": "em_fibsem"})
    assert transform["affine"][0] == [1000.0, 0.0, 0.0, 42.0]
    assert len(transform["affine"]) == 3 and {len(row) for row in transform["affine"]} == {4}


def test_scene_file_has_one_matrix_row_per_line():
    text = ngff.render(clem(), CTX)[SCENE_PATH].decode()
    assert "[0.0, 998.63, -52.34, -310.5]" in text and text.endswith("}\n")


def test_reference_example_scene_is_valid():
    assert validators.validate_scene(REFERENCE_SCENE) == []


def _mutated(change):
    doc = copy.deepcopy(scene_of(clem()))
    change(doc["attributes"]["ome"]["scene"])
    return validators.validate_scene(doc)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda s: s["coordinateTransformations"][0].update(affine=[[1, 0, 0], [0, 1, 0]]), "must be 3×4"),
        (lambda s: s["coordinateSystems"][0]["axes"][0].pop("unit"), "no spatial unit"),
        (lambda s: s["coordinateTransformations"][0]["input"].update(name="lm_other"), "not a coordinate system"),
        (lambda s: s["coordinateSystems"].append({"name": "orphan", "axes": zyx_json()}), "not connected"),
        (
            lambda s: s["coordinateTransformations"].append(
                {
                    "type": "rotation",
                    "input": {"name": "em_fibsem"},
                    "output": {"name": "lm_airyscan"},
                    "rotation": [[1, 0, 0], [0, 2, 0], [0, 0, 1]],
                }
            ),
            "not orthonormal",
        ),
        (
            lambda s: s["coordinateTransformations"].append(
                {"type": "scale", "input": {"name": "em_fibsem"}, "output": {"name": "lm_airyscan"}, "scale": [1, 2]}
            ),
            "2 values for 3 axes",
        ),
        (lambda s: s.pop("coordinateTransformations"), "required"),
    ],
)
def test_scene_checks_catch_what_the_schema_misses(change, fragment):
    errors = _mutated(change)
    assert any(fragment in error for error in errors), errors


def zyx_json():
    return [{"name": n, "type": "space", "unit": "nanometer"} for n in "zyx"]


def test_zarr_level_errors():
    assert validators.validate_scene({"zarr_format": 2, "node_type": "array", "attributes": {}})[:2] == [
        "zarr_format must be 3 (a Zarr v3 group).",
        "node_type must be 'group'.",
    ]
    assert validators.validate_scene([]) == ["The scene is not a JSON object."]


def test_no_transform_no_scene_and_a_warning():
    dep = clem()
    dep.correlations[0].transforms = []
    assert ngff.render(dep, CTX) == {}
    warning = [p for p in check_deposition(dep) if p.code == "correlative.transforms.missing"]
    assert warning and warning[0].severity == "warning"
    assert ngff.render(light(), CTX) == {}


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (
            lambda c: setattr(c.transforms[0], "matrix", [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]),
            "correlation.transform.matrix.shape",
        ),
        (
            lambda c: setattr(c.transforms[0], "matrix", [[None, 0.0, 0.0, 0.0]] * 3),
            "correlation.transform.matrix.not_finite",
        ),
        (lambda c: setattr(c.transforms[0], "matrix", []), "correlation.transform.matrix.missing"),
        (lambda c: setattr(c.transforms[0], "input", "nowhere"), "correlation.transform.input.unknown"),
        (lambda c: setattr(c.transforms[0], "output", "lm_airyscan"), "correlation.transform.same_system"),
        (lambda c: setattr(c.coordinate_systems[1], "name", "lm_airyscan"), "correlation.system.name.duplicate"),
        (lambda c: setattr(c.coordinate_systems[0].axes[0], "unit", ""), "correlation.axis.unit.space"),
        (lambda c: setattr(c.coordinate_systems[0].axes[0], "unit", "microns"), "correlation.axis.unit.space"),
        (
            lambda c: setattr(c.coordinate_systems[0], "axes", [Axis(name="x", unit="nanometer")]),
            "correlation.axes.count",
        ),
        (lambda c: c.coordinate_systems[0].axes.append(Axis(name="x", unit="nanometer")), "correlation.axes.duplicate"),
        (
            lambda c: setattr(c.coordinate_systems[0], "component_id", "component-gone"),
            "correlation.system.component.missing",
        ),
        (
            lambda c: c.coordinate_systems.append(CoordinateSystem(name="extra", axes=zyx_axes("nanometer"))),
            "correlation.transforms.disconnected",
        ),
        (lambda c: setattr(c, "coordinate_systems", []), "correlation.coordinate_systems.missing"),
    ],
)
def test_transform_rules_report_problems_before_export(change, code):
    dep = clem()
    change(dep.correlations[0])
    found = [p for p in no_blocking(dep) if p.code == code]
    assert found, [p.code for p in no_blocking(dep)]
    assert found[0].is_under("correlations", 0)


def test_old_drafts_without_transforms_load_and_nan_survives_a_round_trip():
    data = json.loads(serialise_draft(DraftEnvelope(deposition=clem())))
    for correlation in data["deposition"]["correlations"]:
        del correlation["coordinate_systems"], correlation["transforms"]
    old = DraftEnvelope.model_validate(data)
    assert old.deposition.correlations[0].transforms == []
    dep = clem()
    dep.correlations[0].transforms[0].matrix[0][0] = float("nan")
    reloaded = DraftEnvelope.model_validate_json(serialise_draft(DraftEnvelope(deposition=dep)))
    assert reloaded.deposition.correlations[0].transforms[0].matrix[0][0] is None
    assert "correlation.transform.matrix.not_finite" in {p.code for p in no_blocking(reloaded.deposition)}


def test_two_correlations_get_two_scenes():
    dep = clem()
    second = ImageCorrelation(
        id="correlation-2",
        title="Second registration",
        spatial_temporal_alignment="Manual overlay",
        coordinate_systems=[
            CoordinateSystem(name="a", axes=[Axis(name="y", unit="micrometer"), Axis(name="x", unit="micrometer")]),
            CoordinateSystem(name="b", axes=[Axis(name="y", unit="nanometer"), Axis(name="x", unit="nanometer")]),
        ],
        transforms=[AffineTransform(input="a", output="b", matrix=[[1000.0, 0.0, 5.0], [0.0, 1000.0, -5.0]])],
    )
    dep.correlations.append(second)
    dep.components[0].correlation_ids.append(second.id)
    assert no_blocking(dep) == []
    rendered = ngff.render(dep, CTX)
    assert sorted(rendered) == ["correlation-2.zarr/zarr.json", SCENE_PATH]
    assert validators.validate_scene(json.loads(rendered["correlation-2.zarr/zarr.json"])) == []


def test_render_is_deterministic():
    assert ngff.render(clem(), CTX) == ngff.render(clem(), CTX)


# ---------------------------------------------------------------- cross references


def test_cross_references_wait_for_the_other_archive():
    refs = crossrefs.cross_references(clem(), CTX)
    assert refs.bia == () and refs.empiar == ()
    assert len(refs.pending) == 2
    assert any("deposit the BIA study first" in note for note in refs.pending)


def test_cross_references_with_accessions_and_related_entries():
    dep = clem()
    dep.study.related_accessions = [
        RelatedAccession(accession="EMD-12345", description="Map"),
        RelatedAccession(accession="idr0140"),
    ]
    refs = crossrefs.cross_references(dep, CTX_ACCESSIONS)
    assert [(r.archive, r.accession) for r in refs.bia] == [
        ("EMPIAR", "EMPIAR-10999"),
        ("EMDB", "EMD-12345"),
        ("IDR", "idr0140"),
    ]
    assert [(r.archive, r.accession) for r in refs.empiar] == [
        ("BioStudies", "S-BIAD1234"),
        ("EMDB", "EMD-12345"),
        ("IDR", "idr0140"),
    ]
    assert refs.pending == ()
    assert refs.bia[0].url == "https://www.ebi.ac.uk/empiar/EMPIAR-10999/"
    assert refs.bia[0].link_type == "EMPIAR"
    assert refs.empiar[0].url == "https://www.ebi.ac.uk/biostudies/studies/S-BIAD1234"


def test_bia_only_study_has_no_pending_back_links():
    assert crossrefs.cross_references(light(), CTX).pending == ()


def test_transform_paths_in_each_upload():
    dep = clem()
    assert crossrefs.scene_paths(dep) == {"correlation-landmarks": SCENE_PATH}
    assert crossrefs.transform_upload_paths(dep, "BIA") == {"correlation-landmarks": f"correlation/{SCENE_PATH}"}
    assert crossrefs.transform_upload_paths(dep, "EMPIAR") == {
        "correlation-landmarks": f"data/correlation/{SCENE_PATH}"
    }
    text = crossrefs.transformation_text(dep, dep.correlations[0])
    assert text.startswith("BigWarp landmarks: correlation/landmarks.csv. correlation/correlation-landmarks.zarr")
    assert "(axes z, y, x; micrometer -> nanometer)" in text
    dep.correlations[0].transforms = []
    assert crossrefs.transformation_text(dep, dep.correlations[0]) == "BigWarp landmarks: correlation/landmarks.csv"
