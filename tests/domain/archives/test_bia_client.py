"""The BioStudies client against the BioStudies stand-in."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
from tests.standins.biostudies import BioStudiesStandin
from tests.standins.http_base import Fault
from tests.standins.scenario import STANDIN_DATA

from bioimage_depositor.domain.archives.bia_client import BiaClient, SubmissionId, log_messages
from bioimage_depositor.domain.archives.errors import ArchiveError
from bioimage_depositor.domain.archives.http import RetryPolicy

REFERENCE = STANDIN_DATA
PASSWORD = "a-long-password-9"


@pytest.fixture
def standin(tmp_path: Path):
    running = BioStudiesStandin(tmp_path / "bs", steps_per_poll=5).start()
    running.add_user("jane@example.org", PASSWORD, upload_type="nfs")
    yield running
    running.stop()


@pytest.fixture
def client(standin: BioStudiesStandin):
    made = BiaClient(standin.url, retry=RetryPolicy(attempts=3, base_delay=0.01), sleep=lambda s: None)
    yield made
    made.close()


def put_reference_files(standin: BioStudiesStandin) -> Path:
    folder = standin.user_folder(standin.users["jane@example.org"])
    shutil.copyfile(REFERENCE / "file_list.tsv", folder / "file_list.tsv")
    (folder / "images").mkdir()
    for name in ("cell_01.tif", "cell_02.tif"):
        (folder / "images" / name).write_bytes(b"pixels")
    return folder


def test_sign_in_returns_the_upload_folder_and_type(client, standin) -> None:
    profile = client.sign_in("jane@example.org", PASSWORD)
    user = standin.users["jane@example.org"]
    assert profile.secret == user.secret and profile.upload_type == "nfs" and profile.email == "jane@example.org"
    assert user.secret not in repr(profile)
    assert client.list_user_files() == []


def test_wrong_password_is_a_permanent_auth_error(client, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ArchiveError) as raised:
        client.sign_in("jane@example.org", "wrong-password-1")
    assert raised.value.code == "auth.failed" and raised.value.permanent
    assert "wrong-password-1" not in str(raised.value) and "wrong-password-1" not in caplog.text
    assert raised.value.details == ("Invalid email address or password.",)


def test_calls_need_a_session(client, standin) -> None:
    client.sign_in("jane@example.org", PASSWORD)
    standin.sessions.clear()  # the server forgot the session (expired)
    with pytest.raises(ArchiveError) as raised:
        client.list_submissions()
    assert raised.value.code == "auth.expired" and raised.value.status == 401


def test_file_list_validation_failures_are_final_with_the_servers_reasons(client, standin) -> None:
    client.sign_in("jane@example.org", PASSWORD)
    folder = standin.user_folder(standin.users["jane@example.org"])
    shutil.copyfile(REFERENCE / "file_list.tsv", folder / "file_list.tsv")
    with pytest.raises(ArchiveError) as raised:
        client.validate_file_list("file_list.tsv")
    error = raised.value
    assert error.code == "bia.file_list_invalid" and error.permanent and error.status == 500
    assert "File not found: images/cell_01.tif" in error.details
    # A validation 500 is the answer, not server trouble: sent once.
    assert len(standin.server.requests("POST", "/fileLists/validate")) == 1
    put_reference_files(standin)
    client.validate_file_list("file_list.tsv")


def test_file_list_rules_of_the_server(client, standin) -> None:
    client.sign_in("jane@example.org", PASSWORD)
    folder = put_reference_files(standin)
    (folder / "bad.tsv").write_text("Path\tx\nimages/cell_01.tif\t1\n")
    (folder / "empty.tsv").write_text("Files\n")
    (folder / "names.tsv").write_text("Files\n./images/cell_01.tif\nimages/a&b.tif\n")
    reasons = {}
    for name in ("bad.tsv", "empty.tsv", "names.tsv", "absent.tsv"):
        with pytest.raises(ArchiveError) as raised:
            client.validate_file_list(name)
        reasons[name] = " ".join(raised.value.details)
    assert "first column header must be 'Files'" in reasons["bad.tsv"]
    assert "at least one file" in reasons["empty.tsv"]
    assert reasons["names.tsv"].count("invalid characters") == 2
    assert "could not be found" in reasons["absent.tsv"]


def test_async_submission_and_status_until_processed(client, standin) -> None:
    client.sign_in("jane@example.org", PASSWORD)
    put_reference_files(standin)
    submission = client.submit_async(json.loads((REFERENCE / "minimal.json").read_text()))
    assert submission == SubmissionId("S-BIAD1000", 1)
    rows = client.list_submissions(keywords="minimal REMBI")
    assert [(r.acc_no, r.version, r.status) for r in rows] == [("S-BIAD1000", 1, "PROCESSING")]
    assert client.get_submission("S-BIAD1000") is None  # not stored yet
    statuses = []
    while not statuses or statuses[-1] not in ("PROCESSED", "INVALID"):
        statuses.append(client.request_status(submission))
    assert statuses[-1] == "PROCESSED" and client.request_errors(submission) == []
    assert client.get_submission("S-BIAD1000")["accno"] == "S-BIAD1000"
    assert client.request_status(submission) == "POST_PROCESSED"


def test_invalid_submission_reports_errors(client, standin) -> None:
    client.sign_in("jane@example.org", PASSWORD)
    folder = standin.user_folder(standin.users["jane@example.org"])
    shutil.copyfile(REFERENCE / "file_list.tsv", folder / "file_list.tsv")
    submission = client.submit_async(json.loads((REFERENCE / "minimal.json").read_text()))
    status = ""
    while status not in ("PROCESSED", "INVALID"):
        status = client.request_status(submission)
    assert status == "INVALID"
    assert client.request_errors(submission) == [
        "File not found: images/cell_01.tif",
        "File not found: images/cell_02.tif",
    ]


def test_rejected_pagetab_is_permanent(client) -> None:
    client.sign_in("jane@example.org", PASSWORD)
    with pytest.raises(ArchiveError) as raised:
        client.submit_async({"section": {"type": "Study", "attributes": [{"name": "Title"}]}})
    assert raised.value.code == "bia.submission_rejected" and raised.value.status == 400
    assert any("text value" in line for line in raised.value.details)


def test_submit_answer_lost_is_uncertain(client, standin) -> None:
    client.sign_in("jane@example.org", PASSWORD)
    standin.server.faults.add(Fault("POST", "/submissions/async$", "drop_after"))
    with pytest.raises(ArchiveError) as raised:
        client.submit_async(json.loads((REFERENCE / "minimal.json").read_text()))
    assert raised.value.code == "server.uncertain"
    assert len(standin.submit_requests) == 1  # the server did act
    assert [row.acc_no for row in client.list_submissions()] == ["S-BIAD1000"]


def test_log_messages_flattens_the_log() -> None:
    body = {"log": {"message": "top", "subnodes": [{"message": "a", "subnodes": [{"message": "b"}]}]}}
    assert log_messages(body) == ["top", "a", "b"]
    assert log_messages({"message": "plain"}) == ["plain"]
    assert log_messages([1]) == []
