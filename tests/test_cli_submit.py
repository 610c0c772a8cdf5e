"""``bioimage-depositor submit``: the headless submission against the archive stand-ins."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bioimage_depositor.commands import submit
from bioimage_depositor.domain.archives.empiar_submission import Grant
from bioimage_depositor.domain.archives.state import SubmissionStore
from bioimage_depositor.domain.drafts import DraftStore
from tests.standins.fake_transfer import CopyTransfer
from tests.standins.http_base import Fault
from tests.standins.scenario import BIA_PASSWORD, Scenario, make_scenario


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bioimage-depositor")
    parser.add_argument("--drafts-dir")
    commands = parser.add_subparsers(dest="command", required=True)
    submit.register(commands)
    return parser.parse_args(argv)


@pytest.fixture
def scenario(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    made = make_scenario(tmp_path / "s")
    for name, value in made.env().items():
        if name.startswith("BIOIMAGE_DEPOSITOR_") and name != "BIOIMAGE_DEPOSITOR_HOME":
            monkeypatch.setenv(name, value)
    yield made
    made.stop()


def run(scenario: Scenario, *extra: str, archive: str = "all", transfer=None) -> int:
    chosen = transfer if transfer is not None else CopyTransfer(scenario.upload_log)
    return submit.run_submit(parse(scenario.argv(*extra, archive=archive)), transfer=chosen, sleep=lambda s: None)


def test_submit_prints_the_accessions_and_a_second_run_changes_nothing(scenario, capsys) -> None:
    assert run(scenario) == 0
    out = capsys.readouterr().out
    (study,) = scenario.bia.studies_of(scenario.bia_user.email)
    (entry,) = scenario.empiar.entries_of(scenario.empiar_user)
    assert f"BIA study: {study.acc_no}" in out
    assert f"EMPIAR entry {entry.entry_id} (component-em): {entry.accession}" in out
    assert f"The BIA study {study.acc_no} links the EMPIAR entries." in out
    assert "BIA transfer done: 5 file(s) in the upload folder" in out
    secrets = (BIA_PASSWORD, scenario.empiar_token, scenario.bia_user.secret)
    saved = [p for p in SubmissionStore(scenario.draft_id).folder.rglob("*") if p.is_file()]
    assert saved and not [p for p in saved for s in secrets if s.encode() in p.read_bytes()]
    assert not any(s in out for s in secrets)
    requests_before = len(scenario.bia.server.log) + len(scenario.empiar.server.log)
    assert run(scenario) == 0
    again = capsys.readouterr().out
    assert "already stored as" in again and "already submitted as" in again
    assert len(scenario.bia.server.log) + len(scenario.empiar.server.log) == requests_before


def test_json_output(scenario, capsys) -> None:
    assert run(scenario, "--json") == 0
    report = json.loads(capsys.readouterr().out)
    (study,) = scenario.bia.studies_of(scenario.bia_user.email)
    (entry,) = scenario.empiar.entries_of(scenario.empiar_user)
    assert report["submitted"] is True and report["draft_id"] == scenario.draft_id
    assert report["bia"]["accession"] == study.acc_no
    assert report["empiar"]["component-em"] == {
        "entry_id": entry.entry_id,
        "accession": entry.accession,
        "submitted": True,
    }
    assert report["backlink"]["done"] is True


def test_bia_only_then_empiar_only(scenario, capsys) -> None:
    assert run(scenario, archive="bia") == 0
    assert scenario.empiar.entries == {} and len(scenario.bia.submit_requests) == 1
    assert run(scenario, archive="empiar") == 0
    (entry,) = scenario.empiar.entries_of(scenario.empiar_user)
    (study,) = scenario.bia.studies_of(scenario.bia_user.email)
    assert entry.metadata["biostudies_references"] == [{"name": study.acc_no}]
    assert len(scenario.bia.submit_requests) == 1  # no back-link unless both are submitted together
    assert run(scenario, archive="all") == 0
    assert [v.version for v in study.versions] == [1, 2]


def test_missing_password_is_unusable_input_and_nothing_is_sent(scenario, monkeypatch, capsys) -> None:
    monkeypatch.delenv("BIOIMAGE_DEPOSITOR_BIA_PASSWORD")
    assert run(scenario) == 2
    err = capsys.readouterr().err
    assert "No password for the BioImage Archive account" in err and "BIOIMAGE_DEPOSITOR_BIA_PASSWORD" in err
    assert scenario.bia.server.log == [] and scenario.empiar.server.log == []


def test_wrong_password_is_reported_without_the_password(scenario, monkeypatch, capsys) -> None:
    monkeypatch.setenv("BIOIMAGE_DEPOSITOR_BIA_PASSWORD", "not-my-password-77")
    assert run(scenario) == 2
    captured = capsys.readouterr()
    assert "did not accept this e-mail address and password" in captured.err
    assert "not-my-password-77" not in captured.err + captured.out
    record = json.loads(SubmissionStore(scenario.draft_id).path.read_text())
    assert record["last_error"]["code"] == "auth.failed" and "not-my-password-77" not in json.dumps(record)


def test_blocked_draft_lists_its_problems(scenario, capsys) -> None:
    store = DraftStore()
    envelope = store.load(scenario.draft_id)
    envelope.deposition.study.title = ""
    store.save(envelope)
    assert run(scenario) == 1
    out = capsys.readouterr().out
    assert "problem(s) to fix before it can be submitted; nothing was sent" in out and "study.title" in out
    assert scenario.bia.server.log == []


def test_unknown_draft_and_bad_options(scenario, capsys) -> None:
    assert submit.run_submit(parse(["submit", "no-such-draft"]), transfer=CopyTransfer(scenario.upload_log)) == 2
    assert "no-such-draft" in capsys.readouterr().err
    assert run(scenario, "--empiar-grant", "alan=9") == 2
    assert "the right must be 1 (owner)" in capsys.readouterr().err
    assert run(scenario, "--empiar-entry", "nothing=3") == 2
    assert "no EMPIAR component of that name" in capsys.readouterr().err


def test_the_real_transfer_engine_uploads_and_a_rerun_sends_nothing_twice(scenario, capsys) -> None:
    args = parse(scenario.argv())
    assert submit.run_submit(args, sleep=lambda s: None) == 0, capsys.readouterr().err
    (study,) = scenario.bia.studies_of(scenario.bia_user.email)
    (entry,) = scenario.empiar.entries_of(scenario.empiar_user)
    assert study.acc_no and entry.accession
    assert submit.run_submit(parse(scenario.argv()), sleep=lambda s: None) == 0
    assert len(scenario.bia.studies_of(scenario.bia_user.email)) == 1
    assert len(scenario.empiar.entries_of(scenario.empiar_user)) == 1


def test_busy_archive_asks_to_run_again_later(scenario, capsys) -> None:
    scenario.empiar.server.faults.add(Fault("POST", "/deposit_entry/", "throttle", retry_after="7200"))
    assert run(scenario) == 3
    err = capsys.readouterr().err
    assert "asks to wait 120 minutes" in err and "run the same command again to continue" in err
    assert run(scenario) == 0
    assert len(scenario.empiar.entries_of(scenario.empiar_user)) == 1


def test_a_second_process_cannot_run_the_same_submission(scenario, capsys) -> None:
    store = SubmissionStore(scenario.draft_id)
    store.folder.mkdir(parents=True, exist_ok=True)
    code = (
        "import sys, time; from pathlib import Path; "
        "from bioimage_depositor.domain.archives.state import SubmissionStore; "
        f"s = SubmissionStore({scenario.draft_id!r}, Path({str(store.folder)!r})); s.acquire(); "
        "print('held', flush=True); time.sleep(30)"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert run(scenario) == 2
        assert "already being submitted by another BioImage Depositor process" in capsys.readouterr().err
    finally:
        holder.kill()
        holder.wait()


def test_parse_grant() -> None:
    assert submit.parse_grant("alan.doe@example.org=3") == Grant("e", "alan.doe@example.org", 3)
    assert submit.parse_grant("https://orcid.org/0000-0002-1825-0097=view") == Grant("o", "0000-0002-1825-0097", 2)
    assert submit.parse_grant("adoe=submit") == Grant("u", "adoe", 4)
    with pytest.raises(submit.UsageError):
        submit.parse_grant("=3")


def test_a_damaged_record_is_reported_and_kept(scenario, capsys) -> None:
    store = SubmissionStore(scenario.draft_id)
    store.folder.mkdir(parents=True, exist_ok=True)
    store.path.write_text("{half a record")
    assert run(scenario) == 2
    assert "is damaged" in capsys.readouterr().err
    assert store.path.read_text() == "{half a record" and scenario.bia.server.log == []
