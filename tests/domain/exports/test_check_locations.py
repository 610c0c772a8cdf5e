"""Validator messages mapped back to the draft: crate objects, EMPIAR JSON paths and scene paths to fields."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _export_drafts import CTX, CTX_ACCESSIONS, awkward, clem, light, no_blocking, with_annotations
from hypothesis import HealthCheck, given, settings
from test_export_variants import variants

from bioimage_depositor.domain.deposition import Deposition
from bioimage_depositor.domain.exports import empiar, ngff, rocrate, validators
from bioimage_depositor.domain.exports.check_locations import UNAVAILABLE, locate_checks
from bioimage_depositor.domain.exports.crossrefs import scene_paths
from bioimage_depositor.domain.exports.package import export_package
from bioimage_depositor.domain.exports.package_checks import (
    BIA_RO_CRATE,
    CheckIssue,
    PackageCheck,
    check_package,
)
from bioimage_depositor.domain.exports.provenance import PACKAGE
from bioimage_depositor.domain.problems import format_location

needs_validator = pytest.mark.skipif(validators.validator_version() is None, reason="bia-ro-crate-validator missing")
needs_empiar_schema = pytest.mark.skipif(not validators.empiar_schema_available(), reason="empiar-depositor missing")


def resolve(dep: Deposition, location: tuple[str | int, ...]) -> Any:
    """The object or value at a draft location; fails the test when the location does not exist."""
    target: Any = dep
    for part in location:
        if isinstance(part, int):
            assert isinstance(target, list) and part < len(target), location
            target = target[part]
        else:
            assert hasattr(target, part), (location, part)
            target = getattr(target, part)
    return target


def located(checks, dep, ctx=CTX):
    return {(format_location(p.location), p.code) for found in locate_checks(dep, ctx, checks) for p in found.problems}


def exported(tmp_path: Path, dep: Deposition, ctx=CTX) -> Path:
    return export_package(dep, tmp_path / "package", ctx).path


def edit_json(path: Path, change) -> None:
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


# ---------------------------------------------------------------- EMPIAR and NGFF (no slow validator)


def test_empiar_messages_point_at_the_fields_that_wrote_them(tmp_path):
    dep = clem()
    package = exported(tmp_path, dep)
    [path] = (package / "empiar").glob("*/deposition.json")

    def breakage(doc):
        doc["scale"] = 3
        doc["imagesets"][0]["directory"] = "fib"
        doc["imagesets"][0]["voxel_type"] = "('OT', 'lower case')"
        doc["authors"][0]["name"] = "Carberry"
        doc["corresponding_author"]["country"] = "UK"
        doc["citation"][0]["published"] = "yes"

    edit_json(path, breakage)
    [check] = [c for c in check_package(package, run_rocrate_validator=False) if c.name.startswith("EMPIAR")]
    assert not check.ok and len(check.issues) == len(check.messages)
    where = {location for location, _ in located([check], dep)}
    expected = {
        "components[1].empiar.scale",
        "components[1].empiar.image_sets[0].directory",
        "components[1].empiar.image_sets[0].voxel_type",  # the code is not OT in the draft
        "study.contributors[0].name",
        "study.affiliations[0].country",  # the corresponding author's organisation
    }
    assert expected <= where, where
    citation = dep.study.publications
    assert ("study.publications[0].preprint" if citation else "study.publications") in where


def test_scene_messages_point_at_systems_and_transforms(tmp_path):
    dep = clem()
    package = exported(tmp_path, dep)
    [path] = (package / "correlation").glob("*.zarr/zarr.json")

    def breakage(doc):
        scene = doc["attributes"]["ome"]["scene"]
        scene["coordinateTransformations"][0]["affine"] = [[1.0, 0.0], [0.0, 1.0]]
        scene["coordinateSystems"][0]["axes"][0]["unit"] = "parsec-ish"
        doc["zarr_format"] = 2

    edit_json(path, breakage)
    [check] = [c for c in check_package(package, run_rocrate_validator=False) if c.name.startswith("OME-NGFF")]
    problems = {format_location(p.location): p for found in locate_checks(dep, CTX, [check]) for p in found.problems}
    # The scene lists the reference (EM) system first; the draft lists it second.
    first = ngff.ordered_systems(dep.correlations[0])[0]
    model_index = dep.correlations[0].coordinate_systems.index(first)
    assert f"correlations[0].coordinate_systems[{model_index}]" in problems
    assert "correlations[0].transforms[0]" in problems
    assert "the affine is 2×2" in problems["correlations[0].transforms[0]"].message
    package_wide = problems["package"]
    assert "about the package as a whole" in package_wide.message and "zarr_format" in package_wide.message


def test_json_pointers_of_every_message_kind():
    pointer = validators.json_issue_pointer
    assert pointer("at imagesets/0/directory: 'x' is not a folder") == ("imagesets", 0, "directory")
    assert pointer("at (top level): 'title' is a required property") == ()
    assert pointer("at attributes/ome/scene/coordinateSystems/1/axes/0/unit: bad") == (
        "attributes",
        "ome",
        "scene",
        "coordinateSystems",
        1,
        "axes",
        0,
        "unit",
    )
    assert pointer("coordinateTransformations/2: the affine is 2×2") == (
        "attributes",
        "ome",
        "scene",
        "coordinateTransformations",
        2,
    )
    assert pointer("the transformation graph is not connected: nothing links a") == (
        "attributes",
        "ome",
        "scene",
        "coordinateTransformations",
    )
    assert pointer("zarr_format must be 3 (a Zarr v3 group).") == ()


# ---------------------------------------------------------------- the BIA validator's output


# Records as bia-ro-crate validate 0.3.1 logs them (captured from runs on broken crates of the CLEM example).
RECORDS = [
    ("ERROR", "At ro-crate object with @id: #biosample-hela: \n   Missing required field: description"),
    (
        "ERROR",
        "At ro-crate object with @id: https://orcid.org/0000-0002-1825-0097: \n   Missing required field: name\n"
        "At license: Input should be a valid URL",
    ),
    (
        "ERROR",
        "At ro-crate object with @id: ./: \n   At license: Input should be a valid URL, relative URL without a base",
    ),
    ("ERROR", "At ro-crate object with @id: ./: \n   The Root Data Entity MUST have a `description` property (as"),
    ("ERROR", "In file list, at row: lm/cell2_airyscan.czi.: \n   #nope does not exist in ro-crate-metadata.json"),
    ("ERROR", "File list contains multiple references to the same file path."),
    (
        "WARNING",
        "Found RO-Crate objects with no inbound references across ro-crate-metadata.json and file list references: "
        "#acquisition-airyscan",
    ),
    (
        "INFO",
        "Found objects in ro-crate-metadata.json with no inbound references: file:///tmp/x/ro-crate-metadata.json#a",
    ),
]


def _stdout(records) -> str:
    from bioimage_depositor.domain.exports.bia_offline import ISSUE_PREFIX

    lines = ["some log line that is not a record"]
    lines += [ISSUE_PREFIX + json.dumps({"level": level, "message": message}) for level, message in records]
    return "\n".join(lines) + "\n"


def test_validator_records_become_issues_with_their_object_property_or_row():
    issues, infos = validators._parse_output(_stdout(RECORDS), "")
    about = [(issue.severity, issue.entity, issue.property, issue.row) for issue in issues]
    assert about == [
        ("error", "#biosample-hela", "description", ""),
        ("error", "https://orcid.org/0000-0002-1825-0097", "name", ""),  # two pydantic errors: two issues
        ("error", "https://orcid.org/0000-0002-1825-0097", "license", ""),
        ("error", "./", "license", ""),
        ("error", "./", "description", ""),
        ("error", "", "", "lm/cell2_airyscan.czi."),
        ("error", "", "", ""),
        ("warning", "#acquisition-airyscan", "", ""),
    ]
    assert issues[0].message == "At ro-crate object with @id: #biosample-hela: Missing required field: description"
    assert issues[-1].message.startswith("Warning: ")
    assert len(infos) == 1


def test_crate_issues_land_on_the_fields_that_wrote_them():
    dep = clem()
    issues, _ = validators._parse_output(_stdout(RECORDS), "")
    from bioimage_depositor.domain.exports.package_checks import _crate_issue

    check = PackageCheck(
        "BIA RO-Crate", "bia/ro-crate", True, False, tuple(i.message for i in issues), BIA_RO_CRATE,
        tuple(_crate_issue(issue) for issue in issues),
    )  # fmt: skip
    [found] = locate_checks(dep, CTX, [check])
    where = [format_location(location) if location else None for location in found.locations]
    assert where == [
        "biosamples[0].biological_entity",  # the crate's BioSample description is written from it
        "study.contributors[0].name",
        "study.contributors[0]",  # a property the contributor entity does not map: the contributor
        "study.licence",
        "study.description",
        "components[0].files[1].path",
        None,  # a file-list format problem: the package as a whole
        "acquisitions[0]",
    ]
    assert found.located == 7
    package_wide = [p for p in found.problems if p.location == PACKAGE]
    assert len(package_wide) == 1 and "about the package as a whole" in package_wide[0].message


def test_unavailable_validator_is_one_plain_warning():
    check = PackageCheck(
        "BIA RO-Crate", "bia/ro-crate", False, False, ("The BIA RO-Crate validator is not installed.",), BIA_RO_CRATE
    )
    [found] = locate_checks(clem(), CTX, [check])
    [problem] = found.problems
    assert problem.code == UNAVAILABLE and problem.severity == "warning" and problem.location == PACKAGE
    assert "not installed" in problem.message


def test_the_scene_row_points_at_the_correlation():
    dep = clem()
    path = f"correlation/{scene_paths(dep)['correlation-landmarks']}"
    check = PackageCheck(
        "BIA RO-Crate", "bia/ro-crate", True, False, ("x",), BIA_RO_CRATE, (CheckIssue("x", "error", ("row", path)),)
    )
    [found] = locate_checks(dep, CTX, [check])
    assert found.locations == (("correlations", 0, "transforms"),)


@needs_validator
def test_real_validator_messages_are_placed_at_fields(tmp_path):
    dep = clem()
    package = exported(tmp_path, dep)
    crate = package / "bia" / "ro-crate" / rocrate.METADATA_FILE

    def breakage(doc):
        for entity in doc["@graph"]:
            if "bia:BioSample" in entity["@type"]:
                del entity["description"]
            if "bia:ImageAcquisitionProtocol" in entity["@type"]:
                del entity["imagingInstrumentDescription"]
            if entity["@id"] == "./":
                entity["license"] = "CC BY 4.0"

    edit_json(crate, breakage)
    [check] = [c for c in check_package(package) if c.kind == BIA_RO_CRATE]
    assert check.available and not check.ok
    where = {location for location, code in located([check], dep) if code == "validator.bia_ro_crate"}
    assert {"biosamples[0].biological_entity", "acquisitions[0].imaging_instrument", "study.licence"} <= where


# ---------------------------------------------------------------- every origin is a real place in the draft


def _json_paths(value: Any, prefix: tuple[str | int, ...] = ()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _json_paths(item, (*prefix, key))
    elif isinstance(value, list) and value and not all(isinstance(v, int | float) for v in value):
        for index, item in enumerate(value):
            yield from _json_paths(item, (*prefix, index))
    else:
        yield prefix


def assert_every_origin_resolves(dep: Deposition, ctx) -> None:
    origins = rocrate.origins(dep, ctx)
    graph = json.loads(rocrate.render(dep, ctx)[rocrate.METADATA_FILE])["@graph"]
    assert {entity["@id"] for entity in graph} == set(origins)
    for entity in graph:
        origin = origins[entity["@id"]]
        for prop in ["", *entity]:
            location = origin.locate(prop)
            if location is not None:
                resolve(dep, location)
    for component in empiar.empiar_components(dep):
        doc = empiar.entry(dep, component, ctx)
        for path in _json_paths(doc):
            location = empiar.source_location(dep, component, path)
            if location is not None:
                resolve(dep, location)
        assert empiar.source_location(dep, component, ("imagesets", 0, "directory"))[-1] == "directory"
    for correlation in dep.correlations:
        if correlation.transforms:
            for path in _json_paths(ngff.scene(correlation)):
                location = ngff.source_location(dep, correlation, path)
                if location is not None:
                    resolve(dep, location)


@pytest.mark.parametrize(
    "build",
    [light, clem, lambda: awkward(with_annotations(clem())), lambda: awkward(with_annotations(light()))],
    ids=["light", "clem", "clem-awkward-annotated", "light-awkward-annotated"],
)
@pytest.mark.parametrize("ctx", [CTX, CTX_ACCESSIONS], ids=["placeholder", "accessions"])
def test_every_exported_value_maps_to_a_real_place_in_the_draft(build, ctx):
    assert_every_origin_resolves(build(), ctx)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(variants())
def test_generated_drafts_map_every_value_to_a_real_place(variant):
    dep, ctx = variant
    if no_blocking(dep):
        return
    assert_every_origin_resolves(dep, ctx)
