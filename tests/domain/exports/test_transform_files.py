"""A correlative study's scene and landmark files are listed for both archives: file lists, manifest, details."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil

import pytest
from _bia_crate_checks import read_tsv, structural_problems
from _export_drafts import CTX, clem, light, no_blocking

from bioimage_depositor.domain.deposition import FileEntry
from bioimage_depositor.domain.exports import empiar, pagetab, rocrate, validators
from bioimage_depositor.domain.exports.package import ExportBlockedError, export_package, render_package
from bioimage_depositor.domain.exports.package_checks import check_package
from bioimage_depositor.domain.exports.transform_files import transform_files, with_transform_files
from bioimage_depositor.domain.imports.pagetab_import import canonical_ids, import_pagetab

SCENE = "correlation/correlation-landmarks.zarr/zarr.json"
LIST = "bia/pagetab/file_lists/airyscan-volumes-of-hela-cells.tsv"
LANDMARKS = FileEntry(
    path="correlation/landmarks.csv",
    source="/lab/bigwarp/landmarks.csv",
    size_bytes=412,
    md5="5d41402abc4b2a76b9719d911017c592",
)


def manifest(files) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(files["MANIFEST.tsv"].decode()), delimiter="\t"))


def crate_paths(files) -> list[str]:
    _, rows = read_tsv(files[f"bia/ro-crate/{rocrate.FILE_LIST}"].decode())
    return [row["file_path"] for row in rows]


def test_the_scene_goes_into_both_uploads_with_its_size_and_md5():
    dep = clem()
    files, _, _ = render_package(dep, CTX)
    scene = files[SCENE]
    rows = [row for row in manifest(files) if row["deposited_path"] == SCENE]
    assert [(row["archive"], row["component"]) for row in rows] == [
        ("BIA", dep.components[0].name),
        ("EMPIAR", dep.components[1].name),
    ]
    for row in rows:
        assert row["size_bytes"] == str(len(scene))
        assert row["md5"] == hashlib.md5(scene).hexdigest()
        assert row["source"] == "" and row["original_path"] == SCENE  # it lives in the package
    assert files[LIST].decode().splitlines()[-1] == SCENE
    assert crate_paths(files)[-1] == SCENE
    assert structural_problems({k.split("/")[-1]: v for k, v in files.items() if k.startswith("bia/ro-crate/")}) == []
    summary = files["SUMMARY.md"].decode()
    assert "## Correlation" in summary and f"`{SCENE}` (OME-NGFF 0.6 scene, written by this package" in summary
    details = json.loads(next(v for k, v in files.items() if k.startswith("empiar/")))["imagesets"][0]["details"]
    assert f"data/{SCENE}" in details


def test_a_study_that_is_not_correlative_gets_nothing_added():
    dep = light()
    assert transform_files(dep) == [] and with_transform_files(dep) is dep
    files, _, _ = render_package(dep, CTX)
    assert not any(name.startswith("correlation/") for name in files)
    assert len(manifest(files)) == sum(len(c.files) for c in dep.components)


def test_landmarks_held_by_the_bia_component_are_uploaded_to_empiar_too():
    dep = clem()
    dep.components[0].files.append(LANDMARKS.model_copy())
    assert no_blocking(dep) == []
    files, _, _ = render_package(dep, CTX)
    rows = [(row["archive"], row["source"]) for row in manifest(files) if row["deposited_path"] == LANDMARKS.path]
    assert rows == [("BIA", LANDMARKS.source), ("EMPIAR", LANDMARKS.source)]
    assert crate_paths(files).count(LANDMARKS.path) == 1
    doc = json.loads(next(v for k, v in files.items() if k.startswith("empiar/")))
    assert "Landmark and tool files: data/correlation/landmarks.csv." in doc["imagesets"][0]["details"]
    assert validators.validate_empiar_json(doc) == [] or not validators.empiar_schema_available()
    submission = files["bia/pagetab/submission.tsv"].decode()
    assert "Landmark and tool files: correlation/landmarks.csv" in submission


def test_landmarks_held_by_the_empiar_component_go_into_the_bia_file_list():
    dep = clem()
    dep.components[1].files.append(LANDMARKS.model_copy())
    assert no_blocking(dep) == []
    files, _, _ = render_package(dep, CTX)
    listed = files[LIST].decode().splitlines()
    assert listed[-2:] == [SCENE, LANDMARKS.path]
    assert crate_paths(files)[-2:] == [SCENE, LANDMARKS.path]
    rows = [(row["archive"], row["component"]) for row in manifest(files) if row["deposited_path"] == LANDMARKS.path]
    assert rows == [("BIA", dep.components[0].name), ("EMPIAR", dep.components[1].name)]


def test_every_empiar_entry_of_the_correlation_uploads_the_files():
    dep = clem()
    second = dep.components[1].model_copy(deep=True)
    second.id, second.name = "component-em-2", "A second FIB-SEM run"
    for entry in second.files:
        entry.path = entry.path.replace("fibsem_cell1", "fibsem_run2")
    second.empiar.image_sets[0].directory = "data/fibsem_run2"
    dep.components.append(second)
    dep.components[1].files.append(LANDMARKS.model_copy())
    assert no_blocking(dep) == []
    rows = manifest(render_package(dep, CTX)[0])
    for path in (SCENE, LANDMARKS.path):
        assert sorted(
            row["component"] for row in rows if row["deposited_path"] == path and row["archive"] == "EMPIAR"
        ) == sorted([dep.components[1].name, second.name]), path


def test_a_file_where_the_scene_goes_blocks_the_export(tmp_path):
    dep = clem()
    dep.components[0].files.append(FileEntry(path=SCENE, size_bytes=10))
    with pytest.raises(ExportBlockedError) as raised:
        export_package(dep, tmp_path / "package", CTX)
    [problem] = [p for p in raised.value.problems if p.code == "correlation.scene_path.taken"]
    assert problem.location == ("components", 0, "files", 3, "path")
    assert not (tmp_path / "package").exists()


def test_an_empty_bia_file_list_blocks_the_export(tmp_path):
    dep = light()
    dep.components[1].files = []
    assert no_blocking(dep) == []  # the rules only warn: files come on a later page
    with pytest.raises(ExportBlockedError) as raised:
        export_package(dep, tmp_path / "package", CTX)
    assert [p.location for p in raised.value.problems] == [("components", 1, "files")]
    assert raised.value.problems[0].code == "bia.file_list.empty"


def test_round_trip_keeps_the_registration_files(tmp_path):
    dep = clem()
    dep.components[1].files.append(LANDMARKS.model_copy())
    result = export_package(dep, tmp_path / "package", CTX)
    imported = import_pagetab(result.path)
    assert imported.deposition == canonical_ids(pagetab.bia_part(dep))
    listed = [entry.path for entry in imported.deposition.components[0].files]
    assert listed[-2:] == [SCENE, LANDMARKS.path]
    assert imported.deposition.components[0].files[-1].source == LANDMARKS.source


@pytest.mark.skipif(validators.validator_version() is None, reason="bia-ro-crate-validator is not installed")
def test_the_package_with_registration_files_passes_all_three_validators(tmp_path):
    dep = clem()
    dep.components[1].files.append(LANDMARKS.model_copy())
    package = export_package(dep, tmp_path / "package", CTX).path
    checks = check_package(package)
    assert {check.kind for check in checks} == {"bia_ro_crate", "empiar", "ngff_scene"}
    for check in checks:
        assert check.ok or (not check.available and check.kind == "empiar"), check
    shutil.rmtree(package)


def test_the_empiar_source_of_a_landmark_file_is_the_file_itself():
    dep = clem()
    dep.components[0].files.append(LANDMARKS.model_copy())
    [item] = [i for i in transform_files(dep) if not i.generated]
    assert item.entry.source == LANDMARKS.source and item.owner == dep.components[0].id
    assert empiar.correlative_details(dep, dep.components[1], CTX).endswith(
        "Landmark and tool files: data/correlation/landmarks.csv."
    )


def test_answers_shared_during_one_export_are_not_kept_for_the_next():
    dep = clem()
    first, _, _ = render_package(dep, CTX)
    assert LANDMARKS.path not in first[LIST].decode()
    dep.components[1].files.append(LANDMARKS.model_copy())  # an edit between two exports of the same object
    second, _, _ = render_package(dep, CTX)
    assert second[LIST].decode().splitlines()[-1] == LANDMARKS.path
    assert [i.path for i in transform_files(dep)] == [SCENE, LANDMARKS.path]
