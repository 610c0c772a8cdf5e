"""The EMPIAR client against the EMPIAR stand-in (both API generations)."""

from __future__ import annotations

import importlib.resources
import json
from pathlib import Path

import pytest
from tests.standins.empiar import EmpiarStandin, orcid_checksum_ok
from tests.standins.http_base import Fault
from tests.standins.scenario import write_thumbnail

from bioimage_depositor.domain.archives.empiar_client import EmpiarClient, EntryRef, SubmitStatus
from bioimage_depositor.domain.archives.errors import ArchiveError
from bioimage_depositor.domain.archives.http import RetryPolicy

DOCUMENT = (
    importlib.resources.files("empiar_depositor") / "tests" / "deposition_json" / "working_example.json"
).read_bytes()


def make(tmp_path: Path, **options) -> tuple[EmpiarStandin, EmpiarClient]:
    standin = EmpiarStandin(tmp_path / "empiar", **options).start()
    token = standin.add_user("jsmith")
    standin.add_user("adoe")
    client = EmpiarClient(token, standin.url, retry=RetryPolicy(attempts=3, base_delay=0.01), sleep=lambda s: None)
    return standin, client


@pytest.fixture
def sync(tmp_path: Path):
    standin, client = make(tmp_path)
    yield standin, client
    client.close()
    standin.stop()


@pytest.fixture
def newer(tmp_path: Path):
    standin, client = make(tmp_path, async_create=True, async_submit=True, require_ack=True, polls=2)
    yield standin, client
    client.close()
    standin.stop()


def test_create_thumbnail_rights_submit_1_6b30(sync, tmp_path) -> None:
    standin, client = sync
    ref = client.create_entry(DOCUMENT)
    entry = standin.entries[ref.entry_id]
    assert ref == EntryRef(entry.entry_id, entry.directory)
    client.upload_thumbnail(ref.entry_id, write_thumbnail(tmp_path / "t.png"))
    assert client.grant_rights(ref.entry_id, "u", {"adoe": 4}) == {"adoe"}
    assert client.grant_rights(ref.entry_id, "o", {"0000-0002-1825-0097": 2}) == {"0000-0002-1825-0097"}
    assert client.grant_rights(ref.entry_id, "u", {"nobody": 2}) == set()
    accession = client.submit(ref.entry_id)
    assert accession == entry.accession and accession.startswith("EMPIAR-")
    assert client.submission_status(ref.entry_id) == SubmitStatus("completed", accession)
    with pytest.raises(ArchiveError) as raised:
        client.submit(ref.entry_id)
    assert raised.value.code == "empiar.submit_rejected" and "submitted already" in str(raised.value)


def test_newer_flow_polls_directory_share_acknowledge_and_accession(newer, tmp_path) -> None:
    standin, client = newer
    ref = client.create_entry(DOCUMENT)
    assert ref.directory is None
    assert client.upload_directory(ref.entry_id) is None
    assert client.upload_directory(ref.entry_id) is None
    directory = client.upload_directory(ref.entry_id)
    entry = standin.entries[ref.entry_id]
    assert directory == entry.directory
    assert client.share_globus_directory(ref.entry_id, "jane@globusid.org") == "The upload directory is shared."
    assert "already shared" in client.share_globus_directory(ref.entry_id, "jane@globusid.org")
    with pytest.raises(ArchiveError) as raised:
        client.share_globus_directory(ref.entry_id, "not-an-identity")
    assert raised.value.code == "empiar.share_failed"
    with pytest.raises(ArchiveError) as raised:
        client.acknowledge_upload(ref.entry_id)  # nothing uploaded yet
    assert raised.value.code == "empiar.acknowledge_failed"
    (standin.upload_folder(entry) / "x.mrc").write_bytes(b"data")
    client.acknowledge_upload(ref.entry_id)
    assert client.submission_status(ref.entry_id).state == "not_submitted"
    assert client.submit(ref.entry_id) is None
    states = [client.submission_status(ref.entry_id) for _ in range(3)]
    assert [s.state for s in states] == ["in_progress", "in_progress", "completed"]
    assert states[-1].accession == entry.accession


def test_metadata_rejections_carry_the_reasons(sync) -> None:
    standin, client = sync
    document = json.loads(DOCUMENT)
    document["scale"] = 3  # the schema's own default, which its pattern rejects
    document["authors"][0]["author_orcid"] = "0000-0002-1825-0098"  # bad checksum
    with pytest.raises(ArchiveError) as raised:
        client.create_entry(json.dumps(document).encode())
    error = raised.value
    assert error.code == "empiar.metadata_rejected" and error.permanent and error.status == 400
    assert any(line.startswith("scale:") for line in error.details)
    assert any("checksum" in line for line in error.details)
    assert standin.entries == {}
    assert orcid_checksum_ok("0000-0002-1825-0097") and not orcid_checksum_ok("0000-0002-1825-0098")


def test_redeposit_and_listing(sync) -> None:
    standin, client = sync
    ref = client.create_entry(DOCUMENT)
    document = json.loads(DOCUMENT)
    document["title"] = "Re-deposited title of the working example"
    assert client.redeposit(ref.entry_id, document).entry_id == ref.entry_id
    assert standin.entries[ref.entry_id].metadata["title"] == document["title"]
    listed = client.find_entries()
    assert [(e.entry_id, e.title, e.submitted) for e in listed] == [(ref.entry_id, document["title"], False)]
    standin.entry_listing = False
    assert client.find_entries() is None


def test_token_problems(tmp_path) -> None:
    standin = EmpiarStandin(tmp_path / "e").start()
    try:
        client = EmpiarClient("bad-token-123456", standin.url, retry=RetryPolicy(attempts=1))
        with pytest.raises(ArchiveError) as raised:
            client.create_entry(DOCUMENT)
        assert raised.value.code == "auth.failed" and "bad-token-123456" not in str(raised.value)
        other = standin.add_user("other")
        mine = EmpiarClient(standin.add_user("mine"), standin.url)
        ref = mine.create_entry(DOCUMENT)
        with pytest.raises(ArchiveError) as raised:
            EmpiarClient(other, standin.url).submit(ref.entry_id)
        assert raised.value.code == "auth.forbidden" and raised.value.status == 403
    finally:
        standin.stop()


def test_throttled_create_waits_for_retry_after(sync) -> None:
    standin, client = sync
    waits: list[float] = []
    client.api._sleep = waits.append
    standin.server.faults.add(Fault("POST", "/deposit_entry/", "throttle", retry_after="3"))
    ref = client.create_entry(DOCUMENT)
    assert ref.entry_id in standin.entries and len(standin.entries) == 1
    assert len(waits) == 1 and waits[0] >= 3.0


def test_json_must_be_sent_as_application_json(sync) -> None:
    _, client = sync
    response = client.api.request(
        "POST",
        "deposit_entry/",
        idempotent=False,
        what="create",
        data=DOCUMENT,
        headers={**client._headers(), "Content-Type": "text/plain"},
    )
    assert response.status_code == 415


def test_a_netrc_entry_does_not_replace_the_token(sync, tmp_path, monkeypatch) -> None:
    standin, client = sync
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password something\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    assert client.create_entry(DOCUMENT).entry_id in standin.entries
