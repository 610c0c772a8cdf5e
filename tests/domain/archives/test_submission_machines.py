"""The BIA and EMPIAR state machines and their orchestration, run in-process against the stand-ins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from tests.standins.fake_transfer import CopyTransfer, upload_counts
from tests.standins.http_base import Fault
from tests.standins.scenario import (
    BIA_LOGIN,
    BIA_PASSWORD,
    GLOBUS_IDENTITY,
    GRANTEE,
    Scenario,
    light_deposition,
    make_scenario,
)

from bioimage_depositor.domain.archives.bia_client import BiaClient
from bioimage_depositor.domain.archives.bia_submission import BiaSubmission
from bioimage_depositor.domain.archives.empiar_client import EmpiarClient
from bioimage_depositor.domain.archives.empiar_submission import EmpiarOptions, EmpiarSubmission, Grant
from bioimage_depositor.domain.archives.errors import ArchiveError
from bioimage_depositor.domain.archives.http import RetryPolicy
from bioimage_depositor.domain.archives.inputs import SubmissionInputs, read_inputs
from bioimage_depositor.domain.archives.journal import Journal, PollSettings, StepEvent
from bioimage_depositor.domain.archives.orchestrator import run_submission
from bioimage_depositor.domain.archives.state import SubmissionStore
from bioimage_depositor.domain.archives.uploads import TransferReport, TransferTarget, UploadItem
from bioimage_depositor.domain.deposition import Deposition
from bioimage_depositor.domain.exports.package import context_for_draft, export_package
from bioimage_depositor.domain.transfer.transport import TransferError

FAST = RetryPolicy(attempts=4, base_delay=0.001, max_delay=0.01)


class Harness:
    """Builds the machines for a scenario the way the submit command does, with fast clocks."""

    def __init__(self, scenario: Scenario, transfer=None, deposition: Deposition | None = None) -> None:
        self.scenario = scenario
        self.deposition = deposition or scenario.deposition
        self.transfer = transfer or CopyTransfer(scenario.upload_log)
        self.events: list[StepEvent] = []
        self.store = SubmissionStore(scenario.draft_id)
        self.options = EmpiarOptions(
            thumbnail=scenario.thumbnail,
            grants=(Grant("e", GRANTEE, 3),),
            globus_identity=GLOBUS_IDENTITY,
        )
        self.poll = PollSettings(interval=0.001, timeout=30)
        self.observer = self.events.append

    def inputs_for(self, bia: str | None, empiar: Mapping[str, str]) -> SubmissionInputs:
        ctx = context_for_draft(dt.date(2026, 11, 25), bia_accession=bia, empiar_accessions=sorted(empiar.items()))
        out = self.scenario.root / "packages" / f"{bia}-{'-'.join(sorted(empiar.values()))}"
        export_package(self.deposition, out, ctx, overwrite=True)
        return read_inputs(self.deposition, out)

    def run(self, archives: str = "all") -> Journal:
        journal = Journal(self.store, self.store.load(), self.observer, sleep=lambda s: None)

        def bia() -> BiaSubmission:
            client = BiaClient(self.scenario.bia.url, retry=FAST, sleep=lambda s: None)
            return BiaSubmission(
                client,
                lambda: (BIA_LOGIN, BIA_PASSWORD),
                self.scenario.bia.upload_root,
                self.transfer,
                journal,
                self.poll,
            )

        def empiar() -> EmpiarSubmission:
            def connect() -> EmpiarClient:
                return EmpiarClient(
                    self.scenario.empiar_token, self.scenario.empiar.url, retry=FAST, sleep=lambda s: None
                )

            return EmpiarSubmission(
                connect, self.scenario.empiar.upload_root, self.transfer, journal, self.options, self.poll
            )

        run_submission(archives, self.inputs_for, journal, bia=bia, empiar=empiar)  # type: ignore[arg-type]
        return journal


@pytest.fixture
def scenario(tmp_path: Path):
    made = make_scenario(tmp_path / "s")
    yield made
    made.stop()


def single_study(scenario: Scenario):
    (study,) = scenario.bia.studies_of(BIA_LOGIN)
    return study


def test_correlative_order_and_a_finished_run_does_nothing(scenario) -> None:
    harness = Harness(scenario)
    journal = harness.run()
    study = single_study(scenario)
    (entry,) = scenario.empiar.entries_of(scenario.empiar_user)
    record = journal.record
    assert record.bia.accession == study.acc_no and record.empiar_accessions() == {"component-em": entry.accession}
    # BIA first, EMPIAR referencing it, then the BIA back-link.
    order = [(e.archive, e.step) for e in harness.events if e.phase == "done"]
    assert order.index(("BIA", "process")) < order.index(("EMPIAR", "entry")) < order.index(("BIA", "link_process"))
    assert entry.metadata["biostudies_references"] == [{"name": study.acc_no}]
    details = " ".join(image_set["details"] for image_set in entry.metadata["imagesets"])
    assert study.acc_no in details
    assert [v.version for v in study.versions] == [1, 2]
    # Every step's outcome was saved before the next step started.
    saved_steps = [(e.archive, e.step, e.outcome) for e in SubmissionStore(scenario.draft_id).load().events]
    assert ("BIA", "transfer", "done") in saved_steps and ("EMPIAR", "accession", "done") in saved_steps

    before_bia, before_empiar = len(scenario.bia.server.log), len(scenario.empiar.server.log)
    harness.events.clear()
    harness.run()
    assert len(scenario.bia.server.log) == before_bia and len(scenario.empiar.server.log) == before_empiar
    assert {e.phase for e in harness.events} == {"skipped"}


def test_lost_answers_are_reconciled_without_duplicates(scenario) -> None:
    for server, method, path in (
        (scenario.bia.server, "POST", r"/submissions/async$"),
        (scenario.empiar.server, "POST", r"/deposit_entry/$"),
        (scenario.empiar.server, "POST", r"/submit_entry/$"),
        (scenario.empiar.server, "POST", r"/image_upload/$"),
    ):
        server.faults.add(Fault(method, path, "drop_after"))
    Harness(scenario).run()
    assert len(single_study(scenario).versions) == 2
    assert len(scenario.bia.submit_requests) == 2
    (entry,) = scenario.empiar.entries_of(scenario.empiar_user)
    assert entry.accession and entry.redepositions == 1  # the adopted entry gets its metadata once more
    assert len(scenario.empiar.server.requests("POST", "/submit_entry/")) == 1


def test_throttling_and_server_errors_are_ridden_out(scenario) -> None:
    bia, empiar = scenario.bia.server, scenario.empiar.server
    bia.faults.add(Fault("POST", r"/fileLists/validate$", "status", times=2, status=502))
    bia.faults.add(Fault("GET", r"/status$", "throttle", times=2, retry_after="0"))
    empiar.faults.add(Fault("POST", r"/deposit_entry/$", "throttle", times=3, retry_after="0"))
    empiar.faults.add(Fault("GET", r"/fetch_entry_upload_directory/$", "status", times=2, status=504))
    empiar.faults.add(Fault("POST", r"/grant_rights/$", "status", times=1, status=500))
    Harness(scenario).run()
    assert len(single_study(scenario).versions) == 2
    assert len(scenario.empiar.entries_of(scenario.empiar_user)) == 1
    assert [r.status for r in empiar.requests("POST", "/deposit_entry/")] == [429, 429, 429, 200]


def test_invalid_submission_is_reported_and_a_fixed_run_starts_again(scenario) -> None:
    harness = Harness(scenario)
    user_folder = scenario.bia.user_folder(scenario.bia_user)
    victim = scenario.deposition.components[0].files[0].deposited_path

    def vandal(event: StepEvent) -> None:
        harness.events.append(event)
        if (event.archive, event.step, event.phase) == ("BIA", "submit", "done"):
            (user_folder / victim).unlink()  # the upload folder lost a file before processing

    harness.observer = vandal
    with pytest.raises(ArchiveError) as raised:
        harness.run("bia")
    error = raised.value
    assert error.code == "bia.submission_invalid" and error.permanent
    assert f"File not found: {victim}" in error.details
    record = SubmissionStore(scenario.draft_id).load()
    assert record.bia.errors == list(error.details) and not record.bia.acc_no and not record.bia.transfer_done
    assert record.last_error["code"] == "bia.submission_invalid"
    harness.observer = harness.events.append
    harness.run("bia")
    (study,) = scenario.bia.studies_of(BIA_LOGIN)
    assert study.acc_no == "S-BIAD1001"  # the invalid request's number is not reused
    assert upload_counts(scenario.upload_log)[(f"bia:{BIA_LOGIN}", victim)] == 2  # sent again: it was gone


def test_slow_processing_stops_and_the_next_run_keeps_waiting(scenario) -> None:
    scenario.bia.steps_per_poll = 1
    harness = Harness(scenario)
    harness.poll = PollSettings(interval=0.001, timeout=0.0)
    with pytest.raises(ArchiveError) as raised:
        harness.run("bia")
    assert raised.value.code == "bia.still_processing" and not raised.value.permanent
    harness.poll = PollSettings(interval=0.001, timeout=30)
    harness.run("bia")
    assert len(scenario.bia.submit_requests) == 1 and single_study(scenario).versions


def test_a_different_account_cannot_continue(scenario) -> None:
    harness = Harness(scenario)
    harness.transfer = failing_transfer
    with pytest.raises(TransferError):
        harness.run("bia")
    scenario.bia.add_user("someone@example.org", "other-password")
    journal = Journal(harness.store, harness.store.load(), sleep=lambda s: None)
    machine = BiaSubmission(
        BiaClient(scenario.bia.url, retry=FAST),
        lambda: ("someone@example.org", "other-password"),
        scenario.bia.upload_root,
        CopyTransfer(scenario.upload_log),
        journal,
    )
    with pytest.raises(ArchiveError) as raised:
        machine.run(harness.inputs_for(None, {}).bia)
    assert raised.value.code == "bia.account_changed" and BIA_LOGIN in str(raised.value)


def failing_transfer(items: Sequence[UploadItem], target: TransferTarget) -> TransferReport:
    raise TransferError("connection.lost", "The network went away.")


def test_changed_or_missing_local_files_stop_before_uploading(scenario) -> None:
    source = Path(scenario.deposition.components[0].files[1].source)
    source.write_bytes(source.read_bytes() + b"more")
    with pytest.raises(ArchiveError) as raised:
        Harness(scenario).run("bia")
    assert raised.value.code == "local.changed" and str(source) in str(raised.value)
    assert not scenario.upload_log.exists()


def test_incomplete_transfer_report_stops_the_machine(scenario) -> None:
    def half(items: Sequence[UploadItem], target: TransferTarget) -> TransferReport:
        return TransferReport(files_total=len(items), files_done=len(items) - 1, failed=(items[0].remote_path,))

    with pytest.raises(ArchiveError) as raised:
        Harness(scenario, transfer=half).run("bia")
    assert raised.value.code == "transfer.incomplete" and not raised.value.permanent
    assert scenario.bia.submit_requests == []


def test_metadata_changed_before_submission_is_redeposited(scenario) -> None:
    harness = Harness(scenario)
    harness.transfer = failing_transfer
    with pytest.raises(TransferError):
        harness.run("empiar")
    (entry,) = scenario.empiar.entries_of(scenario.empiar_user)
    harness.deposition.study.title = "Correlative imaging of mitochondria-ER contacts, revised title"
    harness.transfer = CopyTransfer(scenario.upload_log)
    harness.run("empiar")
    assert entry.redepositions == 1 and entry.metadata["title"] == harness.deposition.study.title
    assert len(scenario.empiar.entries_of(scenario.empiar_user)) == 1 and entry.accession


def test_acknowledgement_missing_on_older_servers_is_skipped(tmp_path) -> None:
    scenario = make_scenario(tmp_path / "old", async_create=False, async_submit=False, require_ack=False)
    try:
        scenario.empiar.server.faults.add(Fault("POST", "/acknowledge_upload/", "status", status=404, body={}))
        harness = Harness(scenario)
        harness.run("empiar")
        skipped = [e for e in harness.events if e.step == "acknowledge"]
        assert skipped[-1].phase == "skipped"
        (entry,) = scenario.empiar.entries_of(scenario.empiar_user)
        assert entry.accession and not any(e.step == "directory" and e.phase == "done" for e in harness.events)
    finally:
        scenario.stop()


def test_plan_for_a_light_microscopy_draft(tmp_path) -> None:
    scenario = make_scenario(tmp_path / "lm", deposition=light_deposition(tmp_path / "lm-data"))
    try:
        harness = Harness(scenario)
        with pytest.raises(ArchiveError) as raised:
            harness.run("empiar")
        assert raised.value.code == "plan.nothing" and "EMPIAR" in str(raised.value)
        harness.run("all")
        assert len(scenario.bia.studies_of(BIA_LOGIN)) == 1 and scenario.empiar.entries == {}
        assert scenario.bia.submit_requests[0].version == 1 and len(scenario.bia.submit_requests) == 1
    finally:
        scenario.stop()
