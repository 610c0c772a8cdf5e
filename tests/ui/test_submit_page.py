"""The Submit page against both archive stand-ins: a whole correlative submission, no duplicates, resuming."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from bioimage_depositor import paths
from bioimage_depositor.domain.archives import session as archive_session
from bioimage_depositor.domain.archives.session import (
    EMPIAR_KEYRING_ACCOUNT,
    Servers,
    bia_keyring_account,
    shared_secret_store,
)
from bioimage_depositor.domain.archives.state import SubmissionStore
from bioimage_depositor.domain.archives.uploads import UploadRoots
from bioimage_depositor.domain.drafts import DraftStore
from bioimage_depositor.ui.accounts_dialog import BIA_LOGIN_KEY, GLOBUS_IDENTITY_KEY
from bioimage_depositor.ui.background import default_runner
from bioimage_depositor.ui.draft_session import DraftSession
from bioimage_depositor.ui.settings import ui_settings
from bioimage_depositor.ui.submit_page import SubmitPage
from tests.standins.http_base import Fault
from tests.standins.scenario import BIA_LOGIN, BIA_PASSWORD, GLOBUS_IDENTITY, Scenario, make_scenario
from tests.ui.test_responsiveness import Heartbeat

RUN_TIMEOUT_MS = 90_000


@pytest.fixture(autouse=True)
def fresh_secret_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive_session, "_shared_store", None)


@pytest.fixture
def scenario(tmp_path: Path):
    made = make_scenario(tmp_path / "s")
    yield made
    made.stop()


@pytest.fixture
def servers(scenario: Scenario) -> Servers:
    uploads = UploadRoots(scenario.bia.upload_root, scenario.empiar.upload_root)
    return Servers(scenario.bia.url, scenario.empiar.url, uploads)


@pytest.fixture
def session(qtbot, scenario: Scenario):
    store = DraftStore()
    opened = DraftSession(store, store.load(scenario.draft_id), None)
    yield opened
    opened.close()


@pytest.fixture
def make_page(qtbot, servers, session):
    pages: list[SubmitPage] = []

    def make() -> SubmitPage:
        page = SubmitPage(servers=servers, poll_interval=0.01)
        qtbot.addWidget(page)
        page.resize(900, 1000)
        page.show()
        page.load(session)
        page.update_problems(session.problems)
        qtbot.waitUntil(lambda: page.record is not None and page.stored is not None, timeout=10_000)
        pages.append(page)
        return page

    yield make
    for page in pages:
        page.controller.stop()
        assert page.controller.wait(30), "the submission thread must end with the test"
        if page.accounts_dialog is not None:
            qtbot.waitUntil(lambda p=page: not p.accounts_dialog.busy, timeout=20_000)
    assert default_runner().wait_for_done(10_000)


def store_accounts(scenario: Scenario) -> None:
    """What signing in on the Accounts window leaves behind (that window has its own tests)."""
    ui_settings().setValue(BIA_LOGIN_KEY, BIA_LOGIN)
    ui_settings().setValue(GLOBUS_IDENTITY_KEY, GLOBUS_IDENTITY)
    shared_secret_store().set(bia_keyring_account(BIA_LOGIN), BIA_PASSWORD)
    shared_secret_store().set(EMPIAR_KEYRING_ACCOUNT, scenario.empiar_token)


def run(qtbot, page: SubmitPage, button=None):
    button = button or (page.continue_button if page.continue_button.isVisible() else page.submit_button)
    assert button.isVisible() and button.isEnabled()
    with qtbot.waitSignal(page.controller.submission_finished, timeout=RUN_TIMEOUT_MS) as finished:
        button.click()
    qtbot.waitUntil(lambda: not page.controller.running, timeout=5_000)
    return finished.args[0]


def step_texts(page: SubmitPage) -> list[str]:
    return [page.steps_list.item(row).text() for row in range(page.steps_list.count())]


def test_the_page_says_what_will_happen_in_the_correlative_order(qtbot, make_page, scenario) -> None:
    page = make_page()
    text = page.plan_label.text()
    bia = text.index("BioImage Archive</b>: one study")
    empiar = text.index("EMPIAR</b>: one entry per EMPIAR component")
    link = text.index("the study is updated to link the EMPIAR entries")
    assert bia < empiar < link
    names = [c.name for c in scenario.deposition.components]
    assert all(name in text for name in names)
    assert page.empiar_group.isVisible()
    assert "not signed in" in page.accounts_label.text() and "no API token" in page.accounts_label.text()
    assert page.submit_button.isEnabled() and not page.continue_button.isVisible()


def test_a_full_submission_reaches_both_archives_once_and_stores_the_accessions(
    qtbot, make_page, scenario, session
) -> None:
    store_accounts(scenario)
    page = make_page()
    assert "password kept <b>for this session only</b>" in page.accounts_label.text()
    page.thumbnail_edit.setText(str(scenario.thumbnail))
    # A slow sign-in: a submission that blocked the UI thread would stall it for these 2.5 s.
    slow = scenario.bia.server.faults.add(Fault("POST", "/auth/login", "delay", seconds=2.5))
    heartbeat = Heartbeat()
    outcome = run(qtbot, page, page.submit_button)
    heartbeat.timer.stop()
    assert outcome.ok, outcome.message

    (study,) = scenario.bia.studies_of(scenario.bia_user.email)
    (entry,) = scenario.empiar.entries_of(scenario.empiar_user)
    assert entry.accession and entry.thumbnail is not None and GLOBUS_IDENTITY in entry.shared_with
    assert [version.version for version in study.versions] == [1, 2]  # submitted, then linked to EMPIAR
    assert "Submitted." in page.status_label.text()
    shown = page.accessions_label.text()
    assert study.acc_no in shown and entry.accession in shown
    assert study.acc_no in page.receipt_view.toPlainText()
    steps = "\n".join(step_texts(page))
    for expected in (
        "Draft: exported for the archives",
        "BioImage Archive: signed in",
        "BioImage Archive: files transferred to your private upload folder",
        "BioImage Archive: file list validated",
        "BioImage Archive: study submitted",
        "BioImage Archive: accession received",
        "EMPIAR · ",
        "entry submitted",
        "BioImage Archive: updated study stored",
    ):
        assert expected in steps, expected
    assert "(in progress)" not in steps
    assert page.last_snapshot is not None and page.last_snapshot.files_done == page.last_snapshot.files_total

    accessions = session.deposition.accessions
    assert accessions.bia == study.acc_no
    assert accessions.empiar == {"component-em": entry.accession}
    assert session.flush()
    saved = DraftStore().load(scenario.draft_id)
    assert saved.deposition.accessions == accessions
    secrets = (BIA_PASSWORD, scenario.empiar_token, scenario.bia_user.secret)
    written = [DraftStore().folder(scenario.draft_id), paths.config_dir(), SubmissionStore(scenario.draft_id).folder]
    assert all(folder.is_dir() for folder in written)
    files = [p for folder in written for p in folder.rglob("*") if p.is_file()]
    assert files and not [p for p in files for s in secrets if s.encode() in p.read_bytes()]
    assert slow.times == 0 and heartbeat.longest < 1_200, f"the event loop stalled for {heartbeat.longest} ms"

    # A second press checks, and sends nothing.
    requests_before = len(scenario.bia.server.log) + len(scenario.empiar.server.log)
    again = run(qtbot, page, page.submit_button)
    assert again.ok, again.message
    assert len(scenario.bia.server.log) + len(scenario.empiar.server.log) == requests_before
    assert len(scenario.bia.studies_of(scenario.bia_user.email)) == 1
    assert len(scenario.empiar.entries_of(scenario.empiar_user)) == 1
    assert "already stored" in "\n".join(step_texts(page))


def test_stopped_midway_then_reopened_and_continued_ends_with_one_entry(qtbot, make_page, scenario) -> None:
    store_accounts(scenario)
    page = make_page()

    def stop_after_the_entry_exists(event) -> None:
        # Runs in the worker (direct connection), so the stop lands right after this saved step.
        if (event.archive, event.step, event.phase) == ("EMPIAR", "entry", "done"):
            page.controller.stop()

    page.controller.step_reported.connect(stop_after_the_entry_exists, Qt.ConnectionType.DirectConnection)
    outcome = run(qtbot, page, page.submit_button)
    assert outcome.stopped and not outcome.ok
    assert "Stopped." in page.status_label.text() and "Continue submission" in page.status_label.text()
    assert page.continue_button.isVisible() and not page.submit_button.isVisible()
    (entry,) = scenario.empiar.entries_of(scenario.empiar_user)
    assert not entry.submitted and len(scenario.bia.studies_of(scenario.bia_user.email)) == 1
    page.controller.step_reported.disconnect(stop_after_the_entry_exists)

    # The program is reopened: a new page reads the saved state from disk.
    reopened = make_page()
    assert reopened.continue_button.isVisible() and reopened.continue_button.isEnabled()
    assert "was started" in reopened.status_label.text()
    assert any("EMPIAR · " in text and "entry created" in text for text in step_texts(reopened))
    outcome = run(qtbot, reopened, reopened.continue_button)
    assert outcome.ok, outcome.message
    (entry,) = scenario.empiar.entries_of(scenario.empiar_user)
    (study,) = scenario.bia.studies_of(scenario.bia_user.email)
    assert entry.submitted and entry.accession
    assert [version.version for version in study.versions] == [1, 2]
    creates = [r for r in scenario.empiar.server.log if r.method == "POST" and r.path.endswith("/deposit_entry/")]
    assert len(creates) == 1
    assert not reopened.continue_button.isVisible() and reopened.submit_button.isVisible()
    assert entry.accession in reopened.accessions_label.text()


def test_stopped_during_the_transfer_continues_without_a_second_study(qtbot, make_page, scenario) -> None:
    store_accounts(scenario)
    page = make_page()

    def stop_while_sending(archive, snapshot) -> None:
        if archive == "BIA":  # in the worker: stops the transfer job itself
            page.controller.stop()

    page.controller.transfer_progressed.connect(stop_while_sending, Qt.ConnectionType.DirectConnection)
    outcome = run(qtbot, page, page.submit_button)
    page.controller.transfer_progressed.disconnect(stop_while_sending)
    assert outcome.stopped
    record = SubmissionStore(scenario.draft_id).load()
    assert record.bia.account == BIA_LOGIN and not record.bia.transfer_done and not record.bia.acc_no
    assert scenario.bia.submit_requests == [] and scenario.empiar.entries == {}

    outcome = run(qtbot, page, page.continue_button)
    assert outcome.ok, outcome.message
    record = SubmissionStore(scenario.draft_id).load()
    assert record.bia.transfer_done and record.bia.transfer_report["files_done"] == record.bia.transfer_report[
        "files_total"
    ]
    assert len(scenario.bia.studies_of(scenario.bia_user.email)) == 1
    assert len(scenario.empiar.entries_of(scenario.empiar_user)) == 1


def test_a_busy_archive_gets_a_sentence_and_continue_finishes_the_job(qtbot, make_page, scenario) -> None:
    store_accounts(scenario)
    scenario.empiar.server.faults.add(Fault("POST", "/submit_entry/", "throttle", retry_after="7200"))
    page = make_page()
    outcome = run(qtbot, page, page.submit_button)
    assert not outcome.ok and not outcome.stopped
    text = page.status_label.text()
    assert "Continue submission goes on from this step" in text and "Traceback" not in text
    assert page.status_label.objectName() == "problemText"
    assert page.continue_button.isVisible()
    assert any(t.startswith("✓") and "entry created" in t for t in step_texts(page))

    outcome = run(qtbot, page, page.continue_button)
    assert outcome.ok, outcome.message
    (entry,) = scenario.empiar.entries_of(scenario.empiar_user)
    assert entry.accession and entry.accession in page.accessions_label.text()


def test_missing_accounts_are_explained_and_nothing_is_sent(qtbot, make_page, scenario) -> None:
    page = make_page()
    outcome = run(qtbot, page, page.submit_button)
    assert not outcome.ok
    assert "No BioImage Archive account is set: sign in on the Accounts window" in page.status_label.text()
    assert scenario.bia.server.log == [] and scenario.empiar.server.log == []


def test_a_draft_with_blocking_problems_cannot_be_submitted(qtbot, make_page, session) -> None:
    page = make_page()
    session.deposition.study.title = ""
    session.revalidate()
    page.update_problems(session.problems)
    assert not page.submit_button.isEnabled()
    assert page.blocking_label.isVisible() and "problem(s) to fix" in page.blocking_label.text()


def test_the_accounts_button_opens_the_accounts_window(qtbot, make_page) -> None:
    page = make_page()
    page.accounts_button.click()
    dialog = page.accounts_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)
    dialog.close()
