"""What a submission sends, read from a draft and its exported package."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from tests.standins.scenario import clem_deposition

from bioimage_depositor.domain.archives.errors import ArchiveError
from bioimage_depositor.domain.archives.inputs import read_inputs
from bioimage_depositor.domain.archives.uploads import (
    UploadItem,
    bia_target,
    check_local_files,
    empiar_target,
    join_url,
)
from bioimage_depositor.domain.exports.package import context_for_draft, export_package


@pytest.fixture
def clem(tmp_path: Path):
    deposition = clem_deposition(tmp_path / "data")
    package = export_package(deposition, tmp_path / "package", context_for_draft(dt.date(2026, 11, 25)))
    return deposition, package.path


def test_bia_inputs(clem) -> None:
    deposition, package = clem
    inputs = read_inputs(deposition, package)
    assert inputs.correlative and inputs.bia is not None
    remote = {item.remote_path: item for item in inputs.bia.uploads}
    lm = deposition.components[0]
    for entry in lm.files:
        assert remote[entry.deposited_path].local_path == Path(entry.source)
        assert remote[entry.deposited_path].size == entry.size_bytes and remote[entry.deposited_path].md5 == entry.md5
    assert inputs.bia.file_lists == ("file_lists/airyscan-volumes-of-hela-cells.tsv",)
    assert remote["file_lists/airyscan-volumes-of-hela-cells.tsv"].local_path.is_file()
    assert "correlation/correlation-landmarks.zarr/zarr.json" in remote
    assert inputs.bia.title == deposition.study.title
    assert inputs.bia.pagetab == json.loads((package / "bia/pagetab/submission.json").read_text())
    assert not any(path.startswith("fibsem") for path in remote)


def test_empiar_inputs(clem) -> None:
    deposition, package = clem
    (part,) = read_inputs(deposition, package).empiar
    em = deposition.components[1]
    assert part.component_id == em.id and part.title == deposition.study.title
    assert part.document == (package / "empiar/component-em/deposition.json").read_bytes()
    assert sorted(item.remote_path for item in part.uploads) == sorted(
        [entry.deposited_path for entry in em.files] + ["correlation/correlation-landmarks.zarr/zarr.json"]
    )


def test_files_without_a_local_copy_or_sharing_a_name_are_refused(clem) -> None:
    deposition, package = clem
    first, second = deposition.components[0].files[:2]
    source = first.source
    first.source = ""
    with pytest.raises(ArchiveError) as raised:
        read_inputs(deposition, package)
    assert raised.value.code == "local.no_source" and deposition.components[0].name in str(raised.value)
    first.source = source
    second.deposit_path = first.deposited_path  # two different files, one upload name
    with pytest.raises(ArchiveError) as raised:
        read_inputs(deposition, package)
    assert raised.value.code == "local.name_clash" and first.deposited_path in str(raised.value)


def test_targets_and_local_checks(tmp_path: Path) -> None:
    target = bia_target("ftp://ftp-private.ebi.ac.uk/", "ab/cdef-a12", "nfs", "Jane@Example.org")
    assert target.url == "ftp://ftp-private.ebi.ac.uk/ab/cdef-a12/"
    assert (target.username, target.password) == ("bsftp", "bsftp1")
    assert "ab/cdef" not in repr(target) and "bsftp1" not in repr(target) and "ab/cdef" not in target.label
    assert target.key == "bia:jane@example.org"
    assert bia_target("file:///x", "s", "ftp", "a@b").username == "bs-upload"
    entry = empiar_target("globus://138b5c78-adef-4c12-89e6-2cd170bf63ed/", 7, "EMP_DIR")
    assert entry.url == "globus://138b5c78-adef-4c12-89e6-2cd170bf63ed/EMP_DIR/data/" and entry.key == "empiar:7"
    assert join_url("file:///root/", "/a/", "b") == "file:///root/a/b/"
    present = tmp_path / "f.bin"
    present.write_bytes(b"12345")
    problems = check_local_files(
        [UploadItem(present, "f.bin", 5), UploadItem(present, "g.bin", 4), UploadItem(tmp_path / "no", "no", 1)]
    )
    assert len(problems) == 2 and "changed size" in problems[0] and "missing" in problems[1]
