"""``validate`` lists what only a package refuses (export_problems) next to the rules, as the Review page does."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from bioimage_depositor.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
EXAMPLE = EXAMPLES / "clem-hela-mito-er.draft.json"
SAMPLE = Path(__file__).resolve().parent / "data" / "landmarks" / "bigwarp_2d.csv"


def draft_with_imported_file(tmp_path: Path) -> tuple[Path, Path]:
    """The CLEM example whose transform records a BigWarp file copied to ``tmp_path``."""
    source = tmp_path / "bigwarp_2d.csv"
    source.write_bytes(SAMPLE.read_bytes())
    data = json.loads(EXAMPLE.read_text())
    transform = data["deposition"]["correlations"][0]["transforms"][0]
    transform["method"] = "file"
    transform["source_file"] = {
        "path": str(source),
        "name": source.name,
        "sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
        "size_bytes": source.stat().st_size,
        "format": "bigwarp-csv",
    }
    target = tmp_path / "draft.json"
    target.write_text(json.dumps(data))
    return target, source


def test_an_unchanged_imported_file_keeps_the_draft_ready(tmp_path, capsys):
    target, _ = draft_with_imported_file(tmp_path)
    assert main(["validate", str(target)]) == 0
    assert "0 error(s)" in capsys.readouterr().out


def test_a_changed_imported_file_is_an_error_at_the_transform(tmp_path, capsys):
    target, source = draft_with_imported_file(tmp_path)
    source.write_bytes(source.read_bytes() + b"\n")
    assert main(["validate", str(target)]) == 1
    out = capsys.readouterr().out
    assert "correlations[0].transforms[0].source_file  [correlation.transform.source_file.changed]" in out
    assert "import the file again" in out and "1 error(s)" in out and "not ready" in out
    source.unlink()
    assert main(["validate", str(target), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False and report["errors"] == 1
    [problem] = [p for p in report["problems"] if p["severity"] == "error"]
    assert problem == {
        "code": "correlation.transform.source_file.missing",
        "severity": "error",
        "location": "correlations[0].transforms[0].source_file",
        "message": problem["message"],
    }
    assert str(source) in problem["message"]


def test_an_empty_bia_file_list_is_reported_by_validate_as_by_export(tmp_path, capsys):
    data = json.loads((EXAMPLES / "light-microscopy-hela-spindle.draft.json").read_text())
    data["deposition"]["components"][-1]["files"] = []  # the rules only warn: files come on a later page
    target = tmp_path / "empty.json"
    target.write_text(json.dumps(data))
    assert main(["validate", str(target), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    errors = [p for p in report["problems"] if p["severity"] == "error"]
    assert [(p["code"], p["location"]) for p in errors] == [("bia.file_list.empty", "components[1].files")]
    export_out = tmp_path / "package"
    assert main(["export", str(target), "--out", str(export_out)]) == 1  # export refuses it for the same reason
    assert "bia.file_list.empty" in capsys.readouterr().out
    assert not export_out.exists()
