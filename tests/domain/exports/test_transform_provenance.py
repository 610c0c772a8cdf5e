"""The landmark and tool files a transform was made from go into the package beside the scene (issue 7)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from _bia_crate_checks import read_tsv
from _export_drafts import CTX, clem, no_blocking

from bioimage_depositor.domain.correlation_model import Landmark, LandmarkImage, ProvenanceFile
from bioimage_depositor.domain.deposition import Deposition, FileEntry
from bioimage_depositor.domain.exports import pagetab, rocrate, validators
from bioimage_depositor.domain.exports.package import (
    ExportBlockedError,
    export_package,
    export_problems,
    render_package,
)
from bioimage_depositor.domain.exports.package_checks import check_package
from bioimage_depositor.domain.exports.transform_files import ROLE_FIDUCIALS, ROLE_SOURCE, transform_files
from bioimage_depositor.domain.imports.pagetab_import import canonical_ids, import_pagetab
from bioimage_depositor.domain.landmarks import fit_landmarks, unit_factor

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "landmarks"
FOLDER = "correlation/correlation-landmarks_files"
LIST = "bia/pagetab/file_lists/airyscan-volumes-of-hela-cells.tsv"
TRANSFORM = ("correlations", 0, "transforms", 0)


def imported(dep: Deposition, source: Path, name: str | None = None, index: int = 0) -> None:
    """Record ``source`` on transform ``index`` as the Image correlation page does after an import."""
    data = source.read_bytes()
    transform = dep.correlations[0].transforms[index]
    transform.method = "file"
    transform.source_file = ProvenanceFile(
        path=str(source),
        name=name or source.name,
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        format="bigwarp-csv",
        moving_unit="micrometer",
        fixed_unit="micrometer",
    )


def with_bigwarp(tmp_path: Path) -> tuple[Deposition, Path]:
    source = tmp_path / "lab" / "bigwarp_3d.csv"
    source.parent.mkdir()
    shutil.copyfile(SAMPLES / "bigwarp_3d.csv", source)
    dep = clem()
    imported(dep, source)
    return dep, source


# Pixel sizes of the two clicked images, and the map between their lengths the clicks follow.
MOVING = LandmarkImage(path="lm/cell1.ome.tif", pixel_size_x=0.0425, pixel_size_y=0.05, unit="micrometer")
REFERENCE = LandmarkImage(path="em/slice_0100.tif", pixel_size_x=5.0, pixel_size_y=5.0, unit="nanometer")
TRUTH = np.array([[0.998, -0.052, 1520.0], [0.052, 0.998, -310.5]])


def with_clicks(model: str = "affine") -> tuple[Deposition, np.ndarray, np.ndarray]:
    """The example with its transform fitted to landmarks clicked in the program (pixel positions)."""
    moving_px = np.array([[120.0, 88.0], [640.5, 102.0], [598.0, 720.25], [140.0, 690.0], [377.0, 401.0]])
    to_nm = unit_factor("micrometer", "nanometer")
    moving_nm = moving_px * [MOVING.pixel_size_x * to_nm, MOVING.pixel_size_y * to_nm]
    fixed_nm = moving_nm @ TRUTH[:, :2].T + TRUTH[:, 2]
    fixed_px = fixed_nm / [REFERENCE.pixel_size_x, REFERENCE.pixel_size_y]
    dep = clem()
    transform = dep.correlations[0].transforms[0]
    transform.method, transform.fit_model = "landmarks", model
    transform.moving_image, transform.reference_image = MOVING.model_copy(), REFERENCE.model_copy()
    transform.landmarks = [
        Landmark(name=f"L{i + 1}", moving=[float(v) for v in m], fixed=[float(v) for v in f])
        for i, (m, f) in enumerate(zip(moving_px, fixed_px, strict=True))
    ]
    return dep, moving_nm, fixed_nm


def manifest_rows(files, path: str) -> list[dict[str, str]]:
    rows = csv.DictReader(io.StringIO(files["MANIFEST.tsv"].decode()), delimiter="\t")
    return [row for row in rows if row["deposited_path"] == path]


def package_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root).as_posix()): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_an_imported_bigwarp_file_is_copied_unchanged_and_listed_everywhere(tmp_path):
    dep, source = with_bigwarp(tmp_path)
    assert no_blocking(dep) == [] and export_problems(dep) == []
    original = source.read_bytes()
    package = export_package(dep, tmp_path / "package", CTX).path
    written = package / FOLDER / source.name
    assert written.read_bytes() == original
    kept = f"{FOLDER}/{source.name}"
    files = package_files(package)
    rows = manifest_rows(files, kept)
    assert [(row["archive"], row["component"]) for row in rows] == [
        ("BIA", dep.components[0].name),
        ("EMPIAR", dep.components[1].name),
    ]
    for row in rows:
        assert (row["size_bytes"], row["md5"]) == (str(len(original)), hashlib.md5(original).hexdigest())
        assert row["source"] == "" and row["original_path"] == kept  # uploaded from the package
    listed = files[LIST].decode().splitlines()
    assert any(line.split("\t")[0] == kept for line in listed)
    _, crate_rows = read_tsv(files[f"bia/ro-crate/{rocrate.FILE_LIST}"].decode())
    assert kept in [row["file_path"] for row in crate_rows]
    details = json.loads(next(v for k, v in files.items() if k.startswith("empiar/")))["imagesets"][0]["details"]
    assert f"data/{kept}" in details
    assert f"Landmark and tool files: {kept}" in files["bia/pagetab/submission.tsv"].decode()
    summary = files["SUMMARY.md"].decode()
    assert f"`{kept}` (the file transform 0 was imported from" in summary
    [item] = [i for i in transform_files(dep) if i.role == ROLE_SOURCE]
    assert item.entry.md5 == hashlib.md5(original).hexdigest() and item.transform_index == 0
    assert source.read_bytes() == original  # the program never changes the user's file


def test_two_imported_files_with_one_name_are_both_kept(tmp_path):
    dep, first = with_bigwarp(tmp_path)
    second = tmp_path / "other" / first.name
    second.parent.mkdir()
    second.write_bytes(first.read_bytes().replace(b'"Pt-0"', b'"Pt-A"'))
    dep.correlations[0].transforms.append(dep.correlations[0].transforms[0].model_copy(deep=True))
    imported(dep, second, index=1)
    files, _, _ = render_package(dep, CTX)
    assert files[f"{FOLDER}/transform0_{first.name}"] == first.read_bytes()
    assert files[f"{FOLDER}/transform1_{first.name}"] == second.read_bytes()


def test_clicked_landmarks_give_a_fiducial_table_that_is_the_same_in_every_export(tmp_path):
    dep, moving_nm, fixed_nm = with_clicks()
    assert no_blocking(dep) == [] and export_problems(dep) == []
    first = package_files(export_package(dep, tmp_path / "one", CTX).path)
    second = package_files(export_package(dep.model_copy(deep=True), tmp_path / "two", CTX).path)
    assert first == second  # the whole package, the table included, byte for byte
    table = f"{FOLDER}/transform0_fiducials.csv"
    rows = list(csv.DictReader(io.StringIO(first[table].decode())))
    assert [row["id"] for row in rows] == ["L1", "L2", "L3", "L4", "L5"]
    assert list(rows[0]) == [
        "id",
        "moving_y_nanometer",
        "moving_x_nanometer",
        "fixed_y_nanometer",
        "fixed_x_nanometer",
        "residual_nanometer",
    ]
    got = np.array([[float(row[key]) for key in list(row)[1:]] for row in rows])
    np.testing.assert_allclose(got[:, [1, 0]], moving_nm, rtol=1e-12)  # pixels × pixel size, in the reference unit
    np.testing.assert_allclose(got[:, [3, 2]], fixed_nm, rtol=1e-12)
    expected = fit_landmarks(moving_nm, fixed_nm, "affine").residuals
    np.testing.assert_allclose(got[:, 4], expected, atol=1e-6)
    [row] = manifest_rows(first, table)[:1]
    assert row["md5"] == hashlib.md5(first[table]).hexdigest() and row["size_bytes"] == str(len(first[table]))
    assert [i.role for i in transform_files(dep)][:2] == ["scene", ROLE_FIDUCIALS]
    assert f"`{table}` (fiducial table of the landmarks of transform 0" in first["SUMMARY.md"].decode()


def test_the_fit_model_recorded_is_the_one_the_table_is_fitted_with():
    affine, moving_nm, fixed_nm = with_clicks("affine")
    rigid, _, _ = with_clicks("rigid")
    table = f"{FOLDER}/transform0_fiducials.csv"
    residual = [
        [float(row["residual_nanometer"]) for row in csv.DictReader(io.StringIO(f[table].decode()))]
        for f in (render_package(affine, CTX)[0], render_package(rigid, CTX)[0])
    ]
    np.testing.assert_allclose(residual[1], fit_landmarks(moving_nm, fixed_nm, "rigid").residuals, atol=1e-6)
    assert max(residual[1]) > max(residual[0])  # the truth has a small scale a rigid fit cannot follow


@pytest.mark.parametrize("change", ["edited", "deleted", "folder"])
def test_a_changed_or_missing_tool_file_blocks_the_export(tmp_path, change):
    dep, source = with_bigwarp(tmp_path)
    if change == "edited":
        source.write_bytes(source.read_bytes().replace(b"10.5", b"10.6"))  # same size, other bytes
    elif change == "deleted":
        source.unlink()
    else:
        source.unlink()
        source.mkdir()
    code = {
        "edited": "correlation.transform.source_file.changed",
        "deleted": "correlation.transform.source_file.missing",
        "folder": "correlation.transform.source_file.unreadable",
    }[change]
    [problem] = export_problems(dep)
    assert (problem.code, problem.location, problem.blocking) == (code, (*TRANSFORM, "source_file"), True)
    assert "import the file again" in problem.message and source.name in problem.message
    with pytest.raises(ExportBlockedError) as raised:
        export_package(dep, tmp_path / "package", CTX)
    assert [p.code for p in raised.value.problems] == [code]
    assert not (tmp_path / "package").exists()
    with pytest.raises(ExportBlockedError):
        render_package(dep, CTX)  # never a package without the file, or with stale bytes
    assert not any(i.role == ROLE_SOURCE for i in transform_files(dep))


def test_a_tool_file_of_another_size_is_changed_without_being_read(tmp_path):
    dep, source = with_bigwarp(tmp_path)
    with source.open("ab") as stream:
        stream.write(b'"Pt-9","true","1","2","3","4","5","6"\n')
    assert [p.code for p in export_problems(dep)] == ["correlation.transform.source_file.changed"]


def test_clicked_landmarks_without_a_pixel_size_block_the_export(tmp_path):
    dep, _, _ = with_clicks()
    dep.correlations[0].transforms[0].moving_image.pixel_size_y = None
    [problem] = export_problems(dep)
    assert (problem.code, problem.location) == (
        "correlation.transform.fiducials.pixel_size",
        (*TRANSFORM, "moving_image"),
    )
    dep.correlations[0].transforms[0].moving_image.pixel_size_y = 0.05
    dep.correlations[0].transforms[0].landmarks = dep.correlations[0].transforms[0].landmarks[:2]
    [problem] = export_problems(dep)
    assert (problem.code, problem.location) == ("correlation.transform.fiducials.fit", (*TRANSFORM, "landmarks"))


def test_a_depositor_file_where_a_kept_file_goes_blocks_the_export(tmp_path):
    dep, source = with_bigwarp(tmp_path)
    dep.components[0].files.append(FileEntry(path=f"{FOLDER}/{source.name}", size_bytes=3))
    [problem] = [p for p in export_problems(dep) if p.code == "correlation.scene_path.taken"]
    assert problem.location == ("components", 0, "files", len(dep.components[0].files) - 1, "path")


def test_round_trip_through_the_pagetab_keeps_the_kept_files(tmp_path):
    dep, source = with_bigwarp(tmp_path)
    result = export_package(dep, tmp_path / "package", CTX)
    back = import_pagetab(result.path)
    assert back.deposition == canonical_ids(pagetab.bia_part(dep))
    listed = [entry.path for entry in back.deposition.components[0].files]
    assert f"{FOLDER}/{source.name}" in listed


@pytest.mark.skipif(validators.validator_version() is None, reason="bia-ro-crate-validator is not installed")
def test_a_package_with_kept_files_passes_the_archives_validators(tmp_path):
    dep, _ = with_bigwarp(tmp_path)
    clicked, _, _ = with_clicks()
    dep.correlations[0].transforms.append(clicked.correlations[0].transforms[0])
    package = export_package(dep, tmp_path / "package", CTX).path
    assert {p.name for p in (package / FOLDER).iterdir()} == {"bigwarp_3d.csv", "transform1_fiducials.csv"}
    checks = check_package(package)
    assert {check.kind for check in checks} == {"bia_ro_crate", "empiar", "ngff_scene"}
    for check in checks:
        assert check.ok or (not check.available and check.kind == "empiar"), check
