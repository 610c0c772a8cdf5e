"""The package writer: layout, manifest, summary, refusal on problems, determinism, atomicity."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from pathlib import Path

import pytest

from bioimage_depositor.domain.deposition import Deposition
from bioimage_depositor.domain.draft_file import read_draft_file
from bioimage_depositor.domain.exports import package, pagetab
from bioimage_depositor.domain.exports.base import ACCESSION_PLACEHOLDER, ExportContext
from bioimage_depositor.domain.exports.package import (
    MANIFEST_COLUMNS,
    ExportBlockedError,
    ExportError,
    ExportTargetError,
    context_for_draft,
    export_package,
)

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = sorted((ROOT / "examples").glob("*.draft.json"))
CTX = ExportContext(export_date=dt.date(2026, 11, 25), app_version="test")


def example(stem: str) -> Deposition:
    return read_draft_file(ROOT / "examples" / f"{stem}.draft.json").deposition


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def siblings(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir() if p.name != folder.name)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_export_to_a_complete_package(path, tmp_path):
    envelope = read_draft_file(path)
    result = export_package(envelope.deposition, tmp_path / "pkg", context_for_draft(envelope.modified))
    files = tree(result.path)
    assert sorted(files) == result.files
    assert {"SUMMARY.md", "MANIFEST.tsv", "bia/pagetab/submission.json", "bia/pagetab/submission.tsv"} <= set(files)
    assert result.missing_renderers == []
    assert any(name.startswith("bia/ro-crate/") for name in files)
    has_empiar = any(c.archive == "EMPIAR" for c in envelope.deposition.components)
    assert has_empiar == any(name.startswith("empiar/") for name in files)
    rendered_pagetab = {k.removeprefix("bia/pagetab/"): v for k, v in files.items() if k.startswith("bia/pagetab/")}
    assert pagetab.check_pagetab(rendered_pagetab) == []
    for name, data in files.items():
        assert b"\r\n" not in data, name
        data.decode("utf-8")
    assert siblings(result.path) == []  # no staging folder left behind


def test_manifest_lists_every_data_file():
    deposition = example("clem-hela-mito-er")
    deposition.components[0].files[0].deposit_path = "lm/cell1-airyscan.czi"
    deposition.components[0].files[0].md5 = "0" * 32
    deposition.components[0].files[0].source = "/data/lab/lm/cell1 airyscan.czi"
    files, _, _ = package.render_package(deposition, CTX)
    rows = list(csv.DictReader(io.StringIO(files["MANIFEST.tsv"].decode()), delimiter="\t"))
    assert tuple(rows[0]) == MANIFEST_COLUMNS
    # every data file, plus the OME-NGFF scene once per archive (it is uploaded to both)
    assert len(rows) == sum(len(c.files) for c in deposition.components) + 2
    assert rows[0] == {
        "archive": "BIA",
        "component": "Airyscan volumes of HeLa cells",
        "deposited_path": "lm/cell1-airyscan.czi",
        "original_path": "lm/cell1_airyscan.czi",
        "source": "/data/lab/lm/cell1 airyscan.czi",
        "size_bytes": "1284000000",
        "md5": "0" * 32,
    }
    assert rows[1]["md5"] == ""  # not computed yet
    assert {row["archive"] for row in rows} == {"BIA", "EMPIAR"}
    file_list = files["bia/pagetab/file_lists/airyscan-volumes-of-hela-cells.tsv"].decode()
    assert "lm/cell1-airyscan.czi" in file_list and "lm/cell1_airyscan.czi" not in file_list


def test_summary_says_what_goes_where():
    files, _, _ = package.render_package(example("clem-hela-mito-er"), CTX)
    summary = files["SUMMARY.md"].decode()
    assert f"{ACCESSION_PLACEHOLDER} — a placeholder, not a real accession" in summary
    for text in (
        "`bia/pagetab/`",
        "`empiar/`",
        "`MANIFEST.tsv`",
        "Airyscan volumes of HeLa cells → BIA",
        "FIB-SEM volumes of the same cells → EMPIAR",
        "3 file(s), 3.85 GB (3,852,000,000 bytes)",
        "## Remaining warnings",
        "cannot link to the EMPIAR entry",
    ):
        assert text in summary, text
    resubmit = ExportContext(CTX.export_date, "test", bia_accession="S-BIAD1234")
    summary = package.render_package(example("clem-hela-mito-er"), resubmit)[0]["SUMMARY.md"].decode()
    assert "S-BIAD1234" in summary and "placeholder" not in summary.split("## What goes where")[0]


def test_same_draft_gives_byte_identical_packages(tmp_path):
    for path in EXAMPLES:
        envelope = read_draft_file(path)
        ctx = context_for_draft(envelope.modified)
        first = export_package(envelope.deposition, tmp_path / f"{path.stem}-1", ctx)
        second = export_package(read_draft_file(path).deposition, tmp_path / f"{path.stem}-2", ctx)
        assert tree(first.path) == tree(second.path)


def test_blocking_problems_refuse_the_export(tmp_path):
    deposition = example("light-microscopy-hela-spindle")
    deposition.study.title = ""
    deposition.biosamples[0].organisms = []
    with pytest.raises(ExportBlockedError) as info:
        export_package(deposition, tmp_path / "pkg", CTX)
    codes = {p.code for p in info.value.problems}
    assert {"study.title.missing", "biosample.organism.missing"} <= codes
    assert all(p.blocking for p in info.value.problems)
    assert "study.title" in info.value.message
    assert not (tmp_path / "pkg").exists() and list(tmp_path.iterdir()) == []


def test_existing_target_is_refused_without_overwrite(tmp_path):
    deposition = example("light-microscopy-hela-spindle")
    first = export_package(deposition, tmp_path / "pkg", CTX)
    before = tree(first.path)
    with pytest.raises(ExportTargetError) as info:
        export_package(deposition, tmp_path / "pkg", CTX)
    assert info.value.code == "export.target_exists"
    assert tree(first.path) == before


def test_overwrite_replaces_a_package(tmp_path):
    deposition = example("light-microscopy-hela-spindle")
    export_package(deposition, tmp_path / "pkg", CTX)
    (tmp_path / "pkg" / "stale.txt").write_text("from before")
    deposition.study.acknowledgements = "Thanks to the imaging facility."
    result = export_package(deposition, tmp_path / "pkg", CTX, overwrite=True)
    files = tree(result.path)
    assert "stale.txt" not in files
    assert b"imaging facility" in files["bia/pagetab/submission.json"]
    assert siblings(result.path) == []


def test_overwrite_never_replaces_a_folder_that_is_not_a_package(tmp_path):
    data = tmp_path / "my-data"
    data.mkdir()
    (data / "precious.tif").write_bytes(b"\x00" * 10)
    with pytest.raises(ExportTargetError) as info:
        export_package(example("light-microscopy-hela-spindle"), data, CTX, overwrite=True)
    assert info.value.code == "export.target_not_package"
    assert (data / "precious.tif").read_bytes() == b"\x00" * 10
    empty = tmp_path / "empty"
    empty.mkdir()
    assert export_package(example("light-microscopy-hela-spindle"), empty, CTX, overwrite=True).path == empty
    (tmp_path / "file").write_text("x")
    with pytest.raises(ExportTargetError):
        export_package(example("light-microscopy-hela-spindle"), tmp_path / "file", CTX, overwrite=True)


def _failing_writer(after: int):
    calls = {"n": 0}
    original = package._write_file

    def write(path, data):
        calls["n"] += 1
        if calls["n"] > after:
            raise OSError(28, "No space left on device", str(path))
        original(path, data)

    return write


def test_failure_mid_write_leaves_no_target(tmp_path, monkeypatch):
    monkeypatch.setattr(package, "_write_file", _failing_writer(after=3))
    with pytest.raises(OSError):
        export_package(example("clem-hela-mito-er"), tmp_path / "pkg", CTX)
    assert list(tmp_path.iterdir()) == []


def test_failure_mid_write_keeps_the_previous_export(tmp_path, monkeypatch):
    deposition = example("light-microscopy-hela-spindle")
    previous = export_package(deposition, tmp_path / "pkg", CTX)
    before = tree(previous.path)
    deposition.study.acknowledgements = "changed"
    monkeypatch.setattr(package, "_write_file", _failing_writer(after=2))
    with pytest.raises(OSError):
        export_package(deposition, tmp_path / "pkg", CTX, overwrite=True)
    assert tree(tmp_path / "pkg") == before
    assert siblings(tmp_path / "pkg") == []


def test_failure_while_swapping_restores_the_previous_export(tmp_path, monkeypatch):
    deposition = example("light-microscopy-hela-spindle")
    export_package(deposition, tmp_path / "pkg", CTX)
    before = tree(tmp_path / "pkg")
    real_rename = os.rename
    calls = {"n": 0}

    def rename(src, dst):
        calls["n"] += 1
        if calls["n"] == 2:  # the new package into place
            raise OSError(13, "Permission denied", str(dst))
        real_rename(src, dst)

    monkeypatch.setattr(package.os, "rename", rename)
    deposition.study.acknowledgements = "changed"
    with pytest.raises(OSError):
        export_package(deposition, tmp_path / "pkg", CTX, overwrite=True)
    assert tree(tmp_path / "pkg") == before
    assert siblings(tmp_path / "pkg") == []


def test_a_failing_renderer_writes_nothing(tmp_path):
    def broken(deposition, ctx):
        raise RuntimeError("renderer bug")

    with pytest.raises(RuntimeError):
        export_package(
            example("light-microscopy-hela-spindle"),
            tmp_path / "pkg",
            CTX,
            renderers={"bia/pagetab": pagetab.render, "bia/ro-crate": broken},
        )
    assert list(tmp_path.iterdir()) == []


def test_renderer_output_must_stay_in_its_folder(tmp_path):
    with pytest.raises(ExportError) as info:
        export_package(
            example("light-microscopy-hela-spindle"),
            tmp_path / "pkg",
            CTX,
            renderers={"bia/ro-crate": lambda d, c: {"../escape.txt": b"x"}},
        )
    assert info.value.code == "export.renderer_output"
    assert list(tmp_path.iterdir()) == []


def test_an_unavailable_renderer_is_named_in_the_summary(tmp_path):
    result = export_package(
        example("light-microscopy-hela-spindle"),
        tmp_path / "pkg",
        CTX,
        renderers={"bia/pagetab": pagetab.render, "bia/ro-crate": None},
    )
    assert result.missing_renderers == ["bia/ro-crate"]
    assert "renderer not available yet" in (result.path / "SUMMARY.md").read_text()


def test_default_renderers_are_the_real_ones():
    renderers = package.default_renderers(example("clem-hela-mito-er"))
    assert set(renderers) == {"bia/pagetab", "bia/ro-crate", "empiar", "correlation"}
    assert all(callable(r) for r in renderers.values())
