"""The ``export`` and ``import`` commands through ``cli.main``: exit codes, output, never a traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bioimage_depositor.cli import main
from bioimage_depositor.domain.draft_file import read_draft_file
from bioimage_depositor.domain.imports.pagetab_import import canonical_ids

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.draft.json"))
REFERENCE = ROOT / "tests" / "data" / "pagetab"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_export_writes_a_package(example, tmp_path, capsys):
    out = tmp_path / "pkg"
    assert main(["export", str(example), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert f"to {out}" in captured.out and "SUMMARY.md" in captured.out
    assert (out / "bia" / "pagetab" / "submission.json").is_file()
    assert (out / "MANIFEST.tsv").is_file()


def test_export_refuses_an_existing_folder_then_overwrites(tmp_path, capsys):
    out = tmp_path / "pkg"
    assert main(["export", str(EXAMPLES[0]), "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["export", str(EXAMPLES[0]), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "already exists" in err and "--overwrite" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert main(["export", str(EXAMPLES[0]), "--out", str(out), "--overwrite"]) == 0


def test_export_with_blocking_problems_exits_1_and_lists_them(tmp_path, capsys):
    data = json.loads(EXAMPLES[0].read_text())
    data["deposition"]["study"]["title"] = ""
    data["deposition"]["study"]["licence"] = "Creative Commons"
    draft = tmp_path / "bad.json"
    draft.write_text(json.dumps(data))
    assert main(["export", str(draft), "--out", str(tmp_path / "pkg")]) == 1
    out = capsys.readouterr().out
    assert "study.title.missing" in out and "study.licence.unknown" in out and "nothing was written" in out
    assert not (tmp_path / "pkg").exists()
    assert main(["export", str(draft), "--out", str(tmp_path / "pkg"), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["exported"] is False
    assert {p["code"] for p in report["problems"]} >= {"study.title.missing", "study.licence.unknown"}


def test_export_json_output(tmp_path, capsys):
    assert main(["export", str(EXAMPLES[0]), "--out", str(tmp_path / "pkg"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["exported"] is True and report["template"] == "BioImages.v5"
    assert "bia/pagetab/submission.json" in report["files"]


def test_export_unusable_input_exits_2(tmp_path, capsys):
    assert main(["export", str(tmp_path / "missing.json"), "--out", str(tmp_path / "pkg")]) == 2
    assert "no such file" in capsys.readouterr().err
    not_a_draft = tmp_path / "x.json"
    not_a_draft.write_text("{}")
    assert main(["export", str(not_a_draft), "--out", str(tmp_path / "pkg")]) == 2
    assert "not a BioImage Depositor draft" in capsys.readouterr().err
    assert main(["export", str(EXAMPLES[0]), "--out", str(tmp_path / "pkg"), "--bia-accession", "BIAD12"]) == 2
    assert "accession" in capsys.readouterr().err


def test_export_with_accessions_links_the_archives(tmp_path, capsys):
    clem = next(p for p in EXAMPLES if "clem" in p.name)
    out = tmp_path / "pkg"
    args = ["export", str(clem), "--out", str(out), "--bia-accession", "S-BIAD1234"]
    assert main([*args, "--empiar-accession", "FIB-SEM volumes of the same cells=EMPIAR-10310"]) == 0
    submission = json.loads((out / "bia" / "pagetab" / "submission.json").read_text())
    assert submission["accno"] == "S-BIAD1234"
    assert submission["section"]["links"][0]["url"] == "EMPIAR-10310"
    capsys.readouterr()
    assert main([*args, "--empiar-accession", "nope=EMPIAR-10310", "--overwrite"]) == 2
    assert "no EMPIAR component 'nope'" in capsys.readouterr().err


def test_export_a_draft_of_the_store_by_name(tmp_path, capsys):
    store = tmp_path / "store"
    assert main(["--drafts-dir", str(store), "drafts", "import", str(EXAMPLES[0])]) == 0
    name = read_draft_file(EXAMPLES[0]).name
    capsys.readouterr()
    assert main(["--drafts-dir", str(store), "export", name, "--out", str(tmp_path / "pkg")]) == 0


def test_import_reference_submission_to_a_draft_file(tmp_path, capsys):
    draft = tmp_path / "imported.draft.json"
    assert main(["import", str(REFERENCE / "minimal.json"), "--out", str(draft)]) == 0
    out = capsys.readouterr().out
    assert "BioImages.v4" in out and "file_list.tsv" in out and "No problems found." in out
    envelope = read_draft_file(draft)
    assert envelope.deposition.components[0].files[0].path == "images/cell_01.tif"
    assert main(["validate", str(draft)]) == 0


def test_import_reports_messy_values_and_unrepresented_items(tmp_path, capsys):
    data = json.loads((REFERENCE / "minimal.json").read_text())
    data["section"]["attributes"].append({"name": "Funding statement", "value": "Lab money"})
    author = data["section"]["subsections"][0]
    author["attributes"][1]["value"] = "jane..doe@example.org"
    (tmp_path / "submission.json").write_text(json.dumps(data))
    shutil.copy(REFERENCE / "file_list.tsv", tmp_path)
    assert main(["import", str(tmp_path / "submission.json"), "--out", str(tmp_path / "d.json")]) == 0
    out = capsys.readouterr().out
    assert "Not represented in the draft (1)" in out and "Funding statement" in out
    assert "email.format" in out
    assert main(["import", str(tmp_path / "submission.json"), "--out", str(tmp_path / "d2.json"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["unrepresented"][0]["attribute"] == "Funding statement"
    assert "email.format" in {p["code"] for p in report["problems"]}


def test_import_into_the_store(tmp_path, capsys):
    store = tmp_path / "store"
    assert main(["--drafts-dir", str(store), "import", str(REFERENCE / "minimal.json"), "--into-store", "Mine"]) == 0
    assert "'Mine'" in capsys.readouterr().out
    assert main(["--drafts-dir", str(store), "drafts", "list", "--json"]) == 0
    assert [d["name"] for d in json.loads(capsys.readouterr().out)] == ["Mine"]
    assert main(["--drafts-dir", str(store), "import", str(REFERENCE / "minimal.json"), "--into-store"]) == 0
    assert "(imported)" in capsys.readouterr().out


def test_export_then_import_round_trips(tmp_path, capsys):
    light = next(p for p in EXAMPLES if "light" in p.name)
    assert main(["export", str(light), "--out", str(tmp_path / "pkg")]) == 0
    assert main(["import", str(tmp_path / "pkg"), "--out", str(tmp_path / "back.json")]) == 0
    capsys.readouterr()
    back = read_draft_file(tmp_path / "back.json").deposition
    assert back == canonical_ids(read_draft_file(light).deposition)  # a BIA-only draft comes back whole


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["import", "{tmp}/missing.json", "--out", "{tmp}/d.json"], "no such file"),
        (["import", "{ref}/minimal.json"], "--out FILE and/or --into-store"),
        (["import", "{ref}/file_list.tsv", "--out", "{tmp}/d.json"], "not a PageTab submission"),
        (["import", "{ref}/minimal.json", "--out", "{tmp}"], "is a folder"),
        (["import", "{ref}/minimal.json", "--out", "{tmp}/no/such/dir/d.json"], "no such folder"),
    ],
)
def test_import_unusable_input_exits_2_in_one_line(tmp_path, capsys, args, fragment):
    argv = [a.format(tmp=tmp_path, ref=REFERENCE) for a in args]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_import_refuses_to_overwrite_a_draft_file(tmp_path, capsys):
    draft = tmp_path / "d.json"
    draft.write_text("keep me")
    assert main(["import", str(REFERENCE / "minimal.json"), "--out", str(draft)]) == 2
    assert draft.read_text() == "keep me"
    assert main(["import", str(REFERENCE / "minimal.json"), "--out", str(draft), "--overwrite"]) == 0


def test_export_check_runs_the_archives_validators(tmp_path, capsys):
    from pathlib import Path

    from bioimage_depositor.cli import main

    example = Path(__file__).resolve().parents[1] / "examples" / "clem-hela-mito-er.draft.json"
    assert main(["export", str(example), "--out", str(tmp_path / "pkg"), "--check"]) == 0
    out = capsys.readouterr().out
    assert "check   EMPIAR deposition" in out and "check   OME-NGFF scene" in out and "check   BIA RO-Crate" in out


def test_export_check_json_gives_each_validator_and_where_its_messages_point(tmp_path, capsys):
    example = ROOT / "examples" / "clem-hela-mito-er.draft.json"
    assert main(["export", str(example), "--out", str(tmp_path / "pkg"), "--check", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    kinds = {check["name"].split(" (")[0]: check for check in report["checks"]}
    assert set(kinds) == {"BIA RO-Crate", "EMPIAR deposition", "OME-NGFF scene"}
    for check in report["checks"]:
        assert check["issues"] == [] and (check["ok"] or not check["available"])
    manifest = (tmp_path / "pkg" / "MANIFEST.tsv").read_text()
    assert manifest.count("correlation/correlation-landmarks.zarr/zarr.json") == 4  # both archives, two columns


def test_export_refuses_an_empty_bia_file_list(tmp_path, capsys):
    data = json.loads(EXAMPLES[-1].read_text())
    data["deposition"]["components"][-1]["files"] = []
    draft = tmp_path / "empty.json"
    draft.write_text(json.dumps(data))
    assert main(["export", str(draft), "--out", str(tmp_path / "pkg")]) == 1
    out = capsys.readouterr().out
    assert "bia.file_list.empty" in out and "nothing was written" in out and "Traceback" not in out
    assert not (tmp_path / "pkg").exists()
