"""The Globus hand-off against globus-sdk's own testing fixtures (recorded API responses; no network).

The submission and cancel answers come from ``globus_sdk.testing`` as they are; the task
documents are the SDK's recorded task document (from its ``task_list`` fixture) with the
status fields each test needs; error answers are built with the SDK's ``RegisteredResponse``.
A dict-backed :class:`HandoffState` stands in for the ledger, and can "crash" on a chosen write.
"""

from __future__ import annotations

import copy
import json
import uuid

import globus_sdk
import pytest
import requests
import responses  # globus_sdk.testing is built on it (test extra)
from globus_sdk.testing import RegisteredResponse, get_response_set, load_response
from globus_sdk.testing.data.transfer.task_list import TASK_LIST_DOC
from globus_sdk.transport import RetryConfig

from bioimage_depositor.domain.transfer import globus
from bioimage_depositor.domain.transfer.transport import RemoteFile, TransferError

SUBMISSION_ID = get_response_set("transfer.get_submission_id").metadata["submission_id"]
TASK_ID = get_response_set("transfer.submit_transfer").metadata["task_id"]
DESTINATION = "138b5c78-adef-4c12-89e6-2cd170bf63ed"  # EMPIAR's production collection (empiar.md §5.2)
GCP_ID = "0a5f3b8e-1d2c-4e6f-9a7b-3c4d5e6f7a8b"


class Crash(Exception):
    """The program died at this point."""


class DictState:
    """A ledger stand-in: durable key/values, with an optional crash on writing one key."""

    def __init__(self, crash_on: str | None = None) -> None:
        self.values: dict[str, str] = {}
        self.crash_on = crash_on
        self.writes: list[str] = []

    def get_meta(self, key: str) -> str | None:
        return self.values.get(key)

    def set_meta(self, key: str, value: str) -> None:
        if key == self.crash_on and value:
            self.crash_on = None
            raise Crash(key)
        self.values[key] = value
        self.writes.append(key)


@pytest.fixture
def mock():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def gcp_dir(tmp_path):
    """A Globus Connect Personal set-up as GCP writes it on Linux and macOS."""
    config = tmp_path / ".globusonline"
    (config / "lta").mkdir(parents=True)
    (config / "lta" / "client-id.txt").write_text(GCP_ID + "\n")
    return str(config)


def make_client() -> globus_sdk.TransferClient:
    return globus_sdk.TransferClient(
        authorizer=globus_sdk.AccessTokenAuthorizer("token-from-the-apps-sign-in"),
        retry_config=RetryConfig(max_retries=0),
    )


def make_transport(gcp_dir: str, **options) -> globus.GlobusTransport:
    sleeps: list[float] = []
    transport = globus.GlobusTransport(
        DESTINATION,
        "/ENTRY-123/data",
        client_factory=make_client,
        gcp_config_dir=gcp_dir,
        poll_interval=7.0,
        sleep=sleeps.append,
        **options,
    )
    transport.sleeps = sleeps  # type: ignore[attr-defined]
    return transport


FILES = [
    ("/home/ana/run1/frames_001.tif", RemoteFile("run1/frames_001.tif", 1000, md5="0123456789abcdef0123456789abcdef")),
    ("/home/ana/run1/frames_002.tif", RemoteFile("run1/frames_002.tif", 2500)),
]


def task_doc(status: str, **fields) -> dict:
    """The SDK's recorded task document, for our task, with the given status fields."""
    doc = copy.deepcopy(TASK_LIST_DOC["DATA"][0])
    doc.update(DATA_TYPE="task", task_id=TASK_ID, status=status, **fields)
    return doc


def add_task(mock, doc: dict, task_id: str = TASK_ID) -> None:
    doc = dict(doc, task_id=task_id)
    RegisteredResponse(service="transfer", path=f"/v0.10/task/{task_id}", json=doc).add(requests_mock=mock)


def requests_to(mock, path_end: str, method: str = "GET") -> list:
    calls = [c.request for c in mock.calls if c.request.method == method]
    return [r for r in calls if r.url.split("?")[0].endswith(path_end)]


def submitted_bodies(mock) -> list[dict]:
    return [json.loads(r.body) for r in requests_to(mock, "/v0.10/transfer", "POST")]


# ------------------------------------------------------------------------------------------------ submit


def test_submission_id_is_persisted_before_the_task_is_submitted(mock, gcp_dir):
    load_response("transfer.get_submission_id", requests_mock=mock)
    load_response("transfer.submit_transfer", requests_mock=mock)
    state = DictState()
    make_transport(gcp_dir).start(FILES, state)
    assert state.writes.index(globus.SUBMISSION_KEY) < state.writes.index(globus.TASK_KEY)
    assert state.values[globus.SUBMISSION_KEY] == SUBMISSION_ID
    assert state.values[globus.TASK_KEY] == TASK_ID
    assert state.values[globus.FILES_KEY] == "2" and state.values[globus.BYTES_KEY] == "3500"
    (body,) = submitted_bodies(mock)
    assert body["submission_id"] == SUBMISSION_ID
    assert body["source_endpoint"] == GCP_ID and body["destination_endpoint"] == DESTINATION
    assert body["sync_level"] in ("checksum", 3)
    assert body["verify_checksum"] is True
    assert body["preserve_timestamp"] is True and body["fail_on_quota_errors"] is True
    first, second = body["DATA"]
    assert first["source_path"] == "/home/ana/run1/frames_001.tif"
    assert first["destination_path"] == "/ENTRY-123/data/run1/frames_001.tif"
    assert first["external_checksum"] == "0123456789abcdef0123456789abcdef"
    assert first["checksum_algorithm"] == second["checksum_algorithm"] == "MD5"
    assert "external_checksum" not in second  # not known yet: Globus still verifies source against destination


def test_crash_after_submission_id_resubmits_with_the_same_id(mock, gcp_dir):
    load_response("transfer.get_submission_id", requests_mock=mock)
    # the first submission never reaches Globus (the network drops), the second is accepted
    mock.add(responses.POST, "https://transfer.api.globus.org/v0.10/transfer", body=requests.ConnectionError("down"))
    load_response("transfer.submit_transfer", requests_mock=mock)
    state = DictState()
    with pytest.raises(TransferError) as caught:
        make_transport(gcp_dir).start(FILES, state)
    assert not caught.value.permanent and caught.value.code == "connection.lost"
    assert state.values[globus.SUBMISSION_KEY] == SUBMISSION_ID and not state.get_meta(globus.TASK_KEY)
    make_transport(gcp_dir).start(FILES, state)  # the restarted program
    assert len(requests_to(mock, "/submission_id")) == 1  # no second submission id: the same one again
    assert [b["submission_id"] for b in submitted_bodies(mock)] == [SUBMISSION_ID, SUBMISSION_ID]
    assert state.values[globus.TASK_KEY] == TASK_ID


def test_crash_before_task_id_is_saved_reattaches_to_the_same_task(mock, gcp_dir):
    load_response("transfer.get_submission_id", requests_mock=mock)
    load_response("transfer.submit_transfer", requests_mock=mock)
    state = DictState(crash_on=globus.TASK_KEY)  # Globus created the task, then the program died
    with pytest.raises(Crash):
        make_transport(gcp_dir).start(FILES, state)
    # Globus answers a repeated submission id with the task it already has
    accepted = get_response_set("transfer.submit_transfer").lookup("default").json
    duplicate = dict(accepted, code="Duplicate", message="A transfer with id ... has already been submitted")
    mock.replace(responses.POST, "https://transfer.api.globus.org/v0.10/transfer", json=duplicate)
    make_transport(gcp_dir).start(FILES, state)
    bodies = submitted_bodies(mock)
    assert len(bodies) == 2 and {b["submission_id"] for b in bodies} == {SUBMISSION_ID}
    assert state.values[globus.TASK_KEY] == TASK_ID
    assert len(requests_to(mock, "/submission_id")) == 1


def test_a_stored_task_is_reattached_never_resubmitted(mock, gcp_dir):
    add_task(mock, task_doc("ACTIVE", bytes_transferred=100))
    state = DictState()
    state.values.update({globus.SUBMISSION_KEY: SUBMISSION_ID, globus.TASK_KEY: TASK_ID})
    make_transport(gcp_dir).start(FILES, state)
    assert requests_to(mock, f"/task/{TASK_ID}")
    assert not requests_to(mock, "/submission_id") and not submitted_bodies(mock)


def test_a_failed_task_is_replaced_by_a_new_checksum_sync_task(mock, gcp_dir):
    old_task = str(uuid.uuid4())
    add_task(mock, task_doc("FAILED", fatal_error={"code": "ENDPOINT_ERROR", "description": "offline"}), old_task)
    fresh_submission = str(uuid.uuid4())
    RegisteredResponse(service="transfer", path="/v0.10/submission_id", json={"value": fresh_submission}).add(
        requests_mock=mock
    )
    load_response("transfer.submit_transfer", requests_mock=mock)
    state = DictState()
    state.values.update({globus.SUBMISSION_KEY: SUBMISSION_ID, globus.TASK_KEY: old_task})
    make_transport(gcp_dir).start(FILES, state)
    (body,) = submitted_bodies(mock)
    assert body["submission_id"] == fresh_submission != SUBMISSION_ID
    assert state.values[globus.TASK_KEY] == TASK_ID


# ------------------------------------------------------------------------------------------------ errors


def test_consent_required_asks_the_user_to_sign_in_again(mock, gcp_dir):
    load_response("transfer.get_submission_id", requests_mock=mock)
    RegisteredResponse(
        service="transfer",
        method="POST",
        path="/v0.10/transfer",
        status=403,
        json={
            "code": "ConsentRequired",
            "message": "Missing required data_access consent",
            "request_id": "x8aaN2ZkN",
            "resource": "/transfer",
            "required_scopes": [
                "urn:globus:auth:scope:transfer.api.globus.org:all"
                f"[*https://auth.globus.org/scopes/{DESTINATION}/data_access]"
            ],
        },
    ).add(requests_mock=mock)
    state = DictState()
    with pytest.raises(TransferError) as caught:
        make_transport(gcp_dir).start(FILES, state)
    assert caught.value.permanent and caught.value.code == "auth.consent_required"
    assert "Sign in to Globus again" in str(caught.value)
    assert state.values[globus.SUBMISSION_KEY] == SUBMISSION_ID  # kept: after signing in, the same id is used


def test_rejected_task_is_permanent(mock, gcp_dir):
    load_response("transfer.get_submission_id", requests_mock=mock)
    load_response("transfer.submit_transfer", case="failure", requests_mock=mock)
    with pytest.raises(TransferError) as caught:
        make_transport(gcp_dir).start(FILES, DictState())
    assert caught.value.permanent and caught.value.code == "globus.rejected"
    assert "at least one item" in str(caught.value)


@pytest.mark.parametrize(
    ("status", "code", "permanent"),
    [(401, "auth.failed", True), (404, "target.not_found", True), (503, "server.error", False)],
)
def test_api_errors_while_polling(mock, gcp_dir, status, code, permanent):
    RegisteredResponse(
        service="transfer",
        path=f"/v0.10/task/{TASK_ID}",
        status=status,
        json={"code": "Error", "message": f"HTTP {status} from the stand-in", "request_id": "r", "resource": "/"},
    ).add(requests_mock=mock)
    state = DictState()
    state.values[globus.TASK_KEY] = TASK_ID
    with pytest.raises(TransferError) as caught:
        next(make_transport(gcp_dir).poll(state))
    assert (caught.value.code, caught.value.permanent) == (code, permanent)


def test_without_globus_connect_personal_nothing_is_submitted(mock, tmp_path):
    state = DictState()
    transport = make_transport(str(tmp_path / "no-gcp-here"))
    with pytest.raises(TransferError) as caught:
        transport.start(FILES, state)
    assert caught.value.permanent and caught.value.code == "globus.no_local_endpoint"
    assert "Globus Connect Personal" in str(caught.value) and globus.GCP_DOWNLOAD in str(caught.value)
    assert not mock.calls and not state.get_meta(globus.SUBMISSION_KEY)


def test_gcp_found_in_the_home_folder(monkeypatch, tmp_path, gcp_dir):
    monkeypatch.setenv("HOME", str(tmp_path))  # gcp_dir is tmp_path/.globusonline, where GCP puts it
    transport = globus.GlobusTransport(DESTINATION, "/", client_factory=make_client)
    assert transport.source_endpoint() == GCP_ID


def test_not_signed_in_is_permanent(mock, gcp_dir):
    globus.register_client_factory(None)
    transport = globus.GlobusTransport(DESTINATION, "/", gcp_config_dir=gcp_dir)
    with pytest.raises(TransferError) as caught:
        transport.start(FILES, DictState())
    assert caught.value.permanent and caught.value.code == "auth.required"
    globus.register_client_factory(make_client)
    try:
        load_response("transfer.get_submission_id", requests_mock=mock)
        load_response("transfer.submit_transfer", requests_mock=mock)
        state = DictState()
        globus.GlobusTransport(DESTINATION, "/", gcp_config_dir=gcp_dir).start(FILES, state)
        assert state.values[globus.TASK_KEY] == TASK_ID
    finally:
        globus.register_client_factory(None)


# ------------------------------------------------------------------------------------------------ poll


def test_poll_reports_progress_until_success(mock, gcp_dir):
    for doc in (
        task_doc("ACTIVE", bytes_transferred=1000, files_transferred=1, faults=2, effective_bytes_per_second=500,
                 nice_status="OK", nice_status_short_description="OK"),
        task_doc("INACTIVE", bytes_transferred=1000, files_transferred=1,
                 nice_status_short_description="Credentials expired"),
        task_doc("SUCCEEDED", bytes_transferred=3500, files_transferred=2, effective_bytes_per_second=700),
    ):
        add_task(mock, doc)
    state = DictState()
    state.values.update({globus.TASK_KEY: TASK_ID, globus.BYTES_KEY: "3500", globus.FILES_KEY: "2"})
    transport = make_transport(gcp_dir)
    reports = list(transport.poll(state))
    assert [r.state for r in reports] == ["active", "active", "succeeded"]
    first = reports[0]
    assert (first.bytes_done, first.bytes_total, first.files_done, first.files_total) == (1000, 3500, 1, 2)
    assert first.rate_bytes_per_s == 500 and "2 faults" in first.message
    assert "Credentials expired" in reports[1].message
    assert reports[-1].bytes_done == 3500 and reports[-1].files_done == 2
    assert transport.sleeps == [7.0, 7.0]  # type: ignore[attr-defined]


def test_poll_reports_failure_and_cancellation(mock, gcp_dir):
    add_task(mock, task_doc("FAILED", fatal_error={"code": "PERMISSION_DENIED", "description": "no write access"}))
    state = DictState()
    state.values[globus.TASK_KEY] = TASK_ID
    (report,) = list(make_transport(gcp_dir).poll(state))
    assert report.state == "failed" and "no write access" in report.message
    mock.replace(
        responses.GET,
        f"https://transfer.api.globus.org/v0.10/task/{TASK_ID}",
        json=task_doc("FAILED", fatal_error={"code": "CANCELED", "description": "canceled by the user"}),
    )
    (report,) = list(make_transport(gcp_dir).poll(state))
    assert report.state == "cancelled"


def test_cancel_cancels_the_stored_task(mock, gcp_dir):
    cancel = load_response("transfer.cancel_task", requests_mock=mock)
    task_id = get_response_set("transfer.cancel_task").metadata["task_id"]
    state = DictState()
    state.values[globus.TASK_KEY] = task_id
    make_transport(gcp_dir).cancel(state)
    assert requests_to(mock, f"/task/{task_id}/cancel", "POST")
    assert cancel is not None
    make_transport(gcp_dir).cancel(DictState())  # nothing stored: nothing to cancel, no error
    state.values[globus.TASK_KEY] = str(uuid.uuid4())  # unknown to the mock: the error is swallowed
    make_transport(gcp_dir).cancel(state)


def test_nothing_to_send(gcp_dir):
    state = DictState()
    transport = make_transport(gcp_dir)
    transport.start([], state)
    assert [r.state for r in transport.poll(state)] == ["succeeded"]


# ------------------------------------------------------------------------------------------------ parsing


def test_from_url():
    transport = globus.from_url(f"globus://{DESTINATION}/ENTRY-123/data/", None)
    assert transport.destination == DESTINATION and transport.base_path == "/ENTRY-123/data"
    assert globus.from_url(f"globus://{DESTINATION}", None).base_path == "/"
    for bad in ("globus://not-a-uuid/x", "globus:///x"):
        with pytest.raises(TransferError) as caught:
            globus.from_url(bad, None)
        assert caught.value.permanent and caught.value.code == "target.invalid"


def test_gcp_paths():
    assert globus.gcp_path("/data/run 1/a.tif", windows=False) == "/data/run 1/a.tif"
    assert globus.gcp_path("C:\\Users\\ana\\run1\\a.tif", windows=True) == "/C/Users/ana/run1/a.tif"
    assert globus.gcp_path("D:\\a.tif", windows=True) == "/D/a.tif"
