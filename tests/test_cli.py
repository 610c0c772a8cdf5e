from __future__ import annotations

import json
from pathlib import Path

import pytest

from bioimage_depositor import __version__
from bioimage_depositor.cli import main

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.draft.json"))


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"bioimage-depositor {__version__}"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_examples_validate(example, capsys):
    assert main(["validate", str(example)]) == 0
    assert "0 error(s)" in capsys.readouterr().out


def test_two_examples_exist():
    assert len(EXAMPLES) == 2


@pytest.mark.parametrize(
    "content, fragment",
    [
        (None, "no such file"),
        (b'{"hello": "world"}', "not a BioImage Depositor draft"),
        (b'{"format": "bioimage-depositor-draft", "schema_version": 1, "deposi', "damaged"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not a BioImage Depositor draft"),
    ],
)
def test_validate_unusable_input_is_one_line_exit_2(tmp_path, capsys, content, fragment):
    target = tmp_path / "input.json"
    if content is not None:
        target.write_bytes(content)
    assert main(["validate", str(target)]) == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_validate_newer_schema(tmp_path, capsys):
    data = json.loads(EXAMPLES[0].read_text())
    data["schema_version"] = 99
    target = tmp_path / "future.json"
    target.write_text(json.dumps(data))
    assert main(["validate", str(target)]) == 2
    assert "newer version" in capsys.readouterr().err


def test_validate_problems_exit_1_and_json(tmp_path, capsys):
    data = json.loads(EXAMPLES[0].read_text())
    data["deposition"]["study"]["contributors"][0]["orcid"] = "0000-0002-1825-0098"
    data["deposition"]["study"]["title"] = ""
    target = tmp_path / "bad.json"
    target.write_text(json.dumps(data))
    assert main(["validate", str(target)]) == 1
    out = capsys.readouterr().out
    assert "orcid.checksum" in out and "study.title.missing" in out
    assert main(["validate", str(target), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False and report["errors"] == 2
    assert {p["location"] for p in report["problems"]} >= {"study.title", "study.contributors[0].orcid"}


def test_validate_json_on_unusable_input(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.json"), "--json"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False and "no such file" in report["error"]["message"]


def test_drafts_commands_round_trip(tmp_path, capsys):
    store = ["--drafts-dir", str(tmp_path / "store")]
    assert main([*store, "drafts", "list"]) == 0
    assert "No drafts yet" in capsys.readouterr().out
    assert main([*store, "drafts", "import", str(EXAMPLES[0])]) == 0
    draft_id = capsys.readouterr().out.split()[-1]
    assert main([*store, "drafts", "list", "--json"]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert listed["id"] == draft_id
    assert main([*store, "drafts", "show", draft_id]) == 0
    shown = capsys.readouterr().out
    assert "0 error(s)" in shown and draft_id in shown
    out_file = tmp_path / "moved.biodraft"
    assert main([*store, "drafts", "export", listed["name"], str(out_file)]) == 0
    capsys.readouterr()
    assert main(["validate", str(out_file)]) == 0
    capsys.readouterr()
    assert main([*store, "drafts", "delete", draft_id]) == 2  # no terminal, no --yes
    assert "--yes" in capsys.readouterr().err
    assert main([*store, "drafts", "delete", draft_id, "--yes"]) == 0
    capsys.readouterr()
    assert main([*store, "drafts", "show", draft_id]) == 2
    assert "No draft" in capsys.readouterr().err
    assert main([*store, "validate", listed["name"]]) == 2


def test_drafts_import_missing_file(tmp_path, capsys):
    assert main(["--drafts-dir", str(tmp_path), "drafts", "import", str(tmp_path / "x.biodraft")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_damaged_draft_offers_restore_and_restore_works(tmp_path, capsys):
    from bioimage_depositor.domain.drafts import DraftStore

    store = DraftStore(tmp_path / "store")
    envelope = store.import_file(EXAMPLES[0])
    envelope.deposition.study.title = "A second, later title for the same spindle study"
    store.save(envelope)
    (store.folder(envelope.draft_id) / "draft.json").write_bytes(b'{"format": "bioimage-depositor-dra')
    args = ["--drafts-dir", str(store.root)]
    assert main([*args, "validate", envelope.draft_id]) == 2
    err = capsys.readouterr().err
    assert "damaged" in err and f"drafts restore {envelope.draft_id}" in err
    assert main([*args, "drafts", "history", envelope.draft_id]) == 0
    assert "ok" in capsys.readouterr().out
    assert main([*args, "drafts", "restore", envelope.draft_id]) == 0
    assert "Restored revision" in capsys.readouterr().out
    assert main([*args, "validate", envelope.draft_id]) == 0
