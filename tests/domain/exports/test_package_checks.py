from __future__ import annotations

import json
from pathlib import Path

from bioimage_depositor.domain.draft_file import read_draft_file
from bioimage_depositor.domain.exports import validators
from bioimage_depositor.domain.exports.package import context_for_draft, export_package
from bioimage_depositor.domain.exports.package_checks import check_package

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def export(tmp_path, name):
    envelope = read_draft_file(EXAMPLES / name)
    target = tmp_path / "package"
    export_package(envelope.deposition, target, context_for_draft(envelope.modified))
    return target


def test_clem_package_passes_empiar_and_scene_checks(tmp_path):
    target = export(tmp_path, "clem-hela-mito-er.draft.json")
    checks = check_package(target, run_rocrate_validator=False)
    names = [c.name for c in checks]
    assert any(n.startswith("EMPIAR deposition") for n in names)
    assert any(n.startswith("OME-NGFF scene") for n in names)
    for check in checks:
        assert check.ok or not check.available, check
    assert all(c.summary.endswith("valid") for c in checks if c.available)


def test_a_broken_empiar_file_is_reported(tmp_path):
    target = export(tmp_path, "clem-hela-mito-er.draft.json")
    [path] = list((target / "empiar").glob("*/deposition.json"))
    doc = json.loads(path.read_text())
    doc["scale"] = 3  # EMPIAR wants the string "3"
    path.write_text(json.dumps(doc))
    [empiar] = [c for c in check_package(target, run_rocrate_validator=False) if c.name.startswith("EMPIAR")]
    if validators.empiar_schema_available():
        assert not empiar.ok and empiar.messages
    else:
        assert not empiar.available and "not checked" in empiar.summary


def test_an_unreadable_file_is_a_failed_check_not_a_crash(tmp_path):
    target = export(tmp_path, "clem-hela-mito-er.draft.json")
    [scene] = list((target / "correlation").glob("*.zarr/zarr.json"))
    scene.write_text('{"zarr_format": 3, "node_type": ')  # truncated
    [check] = [c for c in check_package(target, run_rocrate_validator=False) if c.name.startswith("OME-NGFF")]
    assert check.available and not check.ok
    assert "cannot be read as JSON" in check.messages[0] and check.issues[0].pointer == ()
