"""What the Correlation page records besides the matrix: datasets by accession, how a transform was made, provenance.

All of it is optional, so drafts written before the page existed load unchanged, and each new
field has rule checks in :func:`check_transforms`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from bioimage_depositor.domain.correlation_model import (
    AffineTransform,
    CoordinateSystem,
    Landmark,
    LandmarkImage,
    ProvenanceFile,
    check_transforms,
    zyx_axes,
)
from bioimage_depositor.domain.draft_file import parse_draft, serialise_draft
from bioimage_depositor.domain.rembi import ImageCorrelation

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "clem-hela-mito-er.draft.json"
LOCATION = ("correlations", 0)


def systems():
    return [
        CoordinateSystem(name="lm", component_id="component-lm", axes=zyx_axes("micrometer")),
        CoordinateSystem(name="em", component_id="component-em", axes=zyx_axes("nanometer")),
    ]


def transform(**changes):
    base = AffineTransform(input="lm", output="em", matrix=[[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]])
    return base.model_copy(update=changes)


def codes(found_systems, transforms):
    return [p.code for p in check_transforms(found_systems, transforms, LOCATION, ["component-lm", "component-em"])]


def test_a_draft_written_before_the_new_fields_loads_and_has_their_defaults():
    data = EXAMPLE.read_bytes()
    assert b'"accession"' not in data and b'"source_file"' not in data
    envelope = parse_draft(data, EXAMPLE.name)
    correlation = envelope.deposition.correlations[0]
    assert [s.accession for s in correlation.coordinate_systems] == ["", ""]
    first = correlation.transforms[0]
    assert (first.method, first.fit_model, first.landmarks, first.source_file) == ("", "", [], None)
    assert (first.moving_image, first.reference_image) == (None, None)
    assert codes(correlation.coordinate_systems, correlation.transforms) == []


def test_new_fields_survive_a_draft_round_trip():
    envelope = parse_draft(EXAMPLE.read_bytes(), EXAMPLE.name)
    correlation = envelope.deposition.correlations[0]
    digest = hashlib.sha256(b"landmarks").hexdigest()
    correlation.coordinate_systems.append(CoordinateSystem(name="public", accession="empiar:EMPIAR-10310",
                                                           axes=zyx_axes("nanometer")))
    correlation.transforms[0] = correlation.transforms[0].model_copy(update={
        "method": "landmarks",
        "fit_model": "similarity",
        "landmarks": [Landmark(name="1", moving=[1.5, 2.0], fixed=[30.0, 40.25])],
        "moving_image": LandmarkImage(path="lm/a.tif", pixel_size_x=0.1, pixel_size_y=0.1, unit="micrometer"),
        "reference_image": LandmarkImage(path="em/b.tif", pixel_size_x=20, pixel_size_y=20, unit="nanometer"),
        "source_file": ProvenanceFile(path="/data/l.csv", name="l.csv", sha256=digest, size_bytes=9,
                                      format="bigwarp-csv", moving_unit="micrometer", fixed_unit="micrometer"),
    })
    again = parse_draft(serialise_draft(envelope), "round trip").deposition.correlations[0]
    assert again.model_dump() == correlation.model_dump()
    assert again.coordinate_systems[-1].accession == "EMPIAR-10310"  # normalised like related accessions
    assert json.loads(serialise_draft(envelope))["deposition"]["correlations"][0]["transforms"][0]["source_file"][
        "sha256"] == digest


@pytest.mark.parametrize(
    ("system", "code"),
    [
        (CoordinateSystem(name="pub", accession="EMPIAR-12", axes=zyx_axes("nanometer")),
         "correlation.system.accession.format"),
        (CoordinateSystem(name="pub", accession="EMD-12345", component_id="component-em", axes=zyx_axes("nanometer")),
         "correlation.system.dataset.both"),
    ],
)
def test_public_datasets_need_a_readable_accession_and_no_component(system, code):
    assert code in codes([*systems(), system], [transform()])


def test_the_same_public_dataset_twice_is_reported_once():
    twice = [
        CoordinateSystem(name="a", accession="S-BIAD1234", axes=zyx_axes("micrometer")),
        CoordinateSystem(name="b", accession="s-biad1234", axes=zyx_axes("micrometer")),
    ]
    assert codes([*systems(), *twice], [transform()]).count("correlation.system.accession.duplicate") == 1
    linked = transform(input="a", output="em")
    assert codes([*systems(), twice[0]], [transform(), linked]) == []
    # public data in a correlation needs a transform like any other dataset (the scene must be connected)
    assert codes([*systems(), twice[0]], [transform()]) == ["correlation.transforms.disconnected"]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"method": "guess"}, "correlation.transform.method.unknown"),
        ({"fit_model": "thin plate spline"}, "correlation.transform.fit_model.unknown"),
        ({"landmarks": [Landmark(moving=[1.0, None], fixed=[2.0, 3.0])]}, "correlation.transform.landmarks.not_finite"),
        ({"landmarks": [Landmark(moving=[1.0, 2.0], fixed=[2.0, 3.0, 4.0])]},
         "correlation.transform.landmarks.dimension"),
        ({"moving_image": LandmarkImage(path="a.tif", pixel_size_x=0.0, unit="micrometer")},
         "correlation.transform.pixel_size"),
        ({"reference_image": LandmarkImage(path="b.tif", pixel_size_x=20.0, unit="")},
         "correlation.transform.pixel_size"),
        ({"source_file": ProvenanceFile(name="l.csv", sha256="abc")}, "correlation.transform.source_file.incomplete"),
        ({"source_file": ProvenanceFile(name="l.csv", sha256="0" * 64, moving_unit="pixel")},
         "correlation.transform.source_file.unit"),
    ],
)
def test_how_a_transform_was_made_is_checked(changes, code):
    found = check_transforms(systems(), [transform(**changes)], LOCATION, ["component-lm", "component-em"])
    assert code in [p.code for p in found]
    assert all(p.location[:4] == (*LOCATION, "transforms", 0) for p in found if p.code == code)


def test_a_complete_record_of_each_method_passes():
    digest = hashlib.sha256(b"x").hexdigest()
    made = [
        transform(method="matrix"),
        transform(method="file", fit_model="affine",
                  source_file=ProvenanceFile(path="/x/l.xml", name="l.xml", sha256=digest, format="ecclem-xml",
                                             moving_unit="micrometer", fixed_unit="micrometer")),
        transform(method="landmarks", fit_model="rigid",
                  landmarks=[Landmark(name=str(i), moving=[i, i * 2.0], fixed=[i * 3.0, i]) for i in range(3)],
                  moving_image=LandmarkImage(path="a.tif", pixel_size_x=0.1, pixel_size_y=0.1, unit="micrometer"),
                  reference_image=LandmarkImage(path="b.tif", pixel_size_x=5, pixel_size_y=5, unit="nanometer")),
    ]
    for one in made:
        assert codes(systems(), [one]) == []
    assert ImageCorrelation(coordinate_systems=systems(), transforms=made).transforms[1].source_file.sha256 == digest
