"""The Submit page: send the deposition to the archives and watch each step, resumable after any interruption.

The page says what will happen (the BIA study, one EMPIAR entry per EMPIAR
component, and for a correlative study the order BIA → EMPIAR → the BIA study
linking the EMPIAR entries), which accounts are used, and runs the same
persisted state machine as the ``submit`` command in
:class:`~.submission_controller.SubmissionController`'s worker thread. Steps
appear as they are saved; the transfer shows its progress. After a crash or
quit the page reads the saved record, shows where it stopped and offers
"Continue submission", which goes on from that step without creating a second
entry or sending a file twice. The accessions and receipt are stored in the
draft (:class:`~..domain.deposition.ArchiveAccessions`).
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QShowEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from ..domain.archives.journal import StepEvent
from ..domain.archives.session import (
    PACKAGE,
    Servers,
    SubmissionPlan,
    draft_accessions,
    has_started,
    is_finished,
    plan_for,
)
from ..domain.archives.state import SubmissionRecord, SubmissionStore
from ..domain.draft_file import serialise_draft
from ..domain.humanize import human_bytes, human_rate
from ..domain.problems import Problem
from ..domain.transfer.progress import TransferSnapshot
from .accounts_dialog import AccountsDialog, StoredSecrets, read_stored_secrets, saved_bia_login, saved_globus_identity
from .background import run_in_background
from .draft_session import DraftSession
from .page_base import WizardPage
from .settings import ui_settings
from .submission_controller import SubmissionController, SubmissionOutcome, SubmissionRequest

log = logging.getLogger(__name__)

ARCHIVE_NAMES = {PACKAGE: "Draft", "BIA": "BioImage Archive", "EMPIAR": "EMPIAR"}
#: What each step of the machines means to the user (``(archive, step)`` → text).
STEP_TEXT = {
    (PACKAGE, "export"): "exported for the archives",
    ("BIA", "sign_in"): "signed in",
    ("BIA", "transfer"): "files transferred to your private upload folder",
    ("BIA", "validate"): "file list validated",
    ("BIA", "submit"): "study submitted",
    ("BIA", "process"): "accession received",
    ("BIA", "study"): "study already stored",
    ("BIA", "link"): "the study already links the EMPIAR entries",
    ("BIA", "link_submit"): "study updated with the EMPIAR accessions",
    ("BIA", "link_process"): "updated study stored",
    ("EMPIAR", "entry"): "entry created",
    ("EMPIAR", "metadata"): "entry metadata sent",
    ("EMPIAR", "directory"): "upload folder ready",
    ("EMPIAR", "thumbnail"): "thumbnail uploaded",
    ("EMPIAR", "rights"): "rights granted",
    ("EMPIAR", "share"): "upload folder shared with your Globus identity",
    ("EMPIAR", "transfer"): "files transferred",
    ("EMPIAR", "acknowledge"): "upload confirmed to EMPIAR",
    ("EMPIAR", "submit"): "entry submitted",
    ("EMPIAR", "accession"): "accession received",
}
PHASE_MARK = {"start": "…", "requested": "…", "waiting": "⋯", "done": "✓", "skipped": "–", "failed": "✗"}
#: How many saved events the page shows for an earlier run (the record keeps up to 500).
HISTORY_ROWS = 60


@dataclass(frozen=True)
class _Row:
    archive: str
    component: str
    step: str
    detail: str


def _row_key(archive: str, component: str, step: str, detail: str) -> tuple[str, str, str, str]:
    # Each file list is validated on its own, so its name tells the rows apart.
    return (archive, component, step, detail if step == "validate" else "")


class SubmitPage(WizardPage):
    """Submit the draft to the BIA and EMPIAR and follow the steps.

    Parameters
    ----------
    controller
        Runs the submission; a new one by default.
    servers
        Where the archives are; ``None`` for production or the addresses in the environment.
    poll_interval
        Seconds between status checks; ``None`` for the archives' defaults (tests pass a small value).
    """

    key = "submit"

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        controller: SubmissionController | None = None,
        servers: Servers | None = None,
        poll_interval: float | None = None,
    ) -> None:
        super().__init__(
            "Submit",
            "Send the deposition to the archives: sign in, transfer the files, let the archives check them, submit, "
            "and receive the accessions. Every step is saved as it happens, so after a crash, a closed laptop or a "
            "network drop the submission continues where it stopped, without duplicating anything.",
            parent=parent,
        )
        self._complete = True
        self.controller = controller or SubmissionController(self)
        self.servers = servers
        self.poll_interval = poll_interval
        self.record: SubmissionRecord | None = None
        self.stored: StoredSecrets | None = None
        self.plan: SubmissionPlan | None = None
        self.blocking = 0
        self.accounts_dialog: AccountsDialog | None = None
        self.last_outcome: SubmissionOutcome | None = None
        self.last_snapshot: TransferSnapshot | None = None
        self._rows: dict[tuple[str, str, str, str], QListWidgetItem] = {}
        self._generation = 0
        self._names: dict[str, str] = {}
        self._run_draft_id = ""  # the draft the running (or last) submission belongs to

        self.controller.step_reported.connect(self._on_controller_step_reported)
        self.controller.transfer_progressed.connect(self._on_controller_transfer_progressed)
        self.controller.submission_finished.connect(self._on_controller_submission_finished)

        self.plan_label = QLabel()
        self.plan_label.setWordWrap(True)
        self.plan_label.setTextFormat(Qt.TextFormat.RichText)
        plan_group = QGroupBox("What will happen")
        QVBoxLayout(plan_group).addWidget(self.plan_label)

        self.accounts_label = QLabel("Looking at the stored accounts…")
        self.accounts_label.setWordWrap(True)
        self.accounts_label.setTextFormat(Qt.TextFormat.RichText)
        self.accounts_button = QPushButton("&Accounts…")
        self.accounts_button.setToolTip("Sign in to the BioImage Archive, add the EMPIAR token, set up Globus")
        self.accounts_button.clicked.connect(self.show_accounts)
        accounts_group = QGroupBox("Accounts in use")
        accounts_row = QHBoxLayout(accounts_group)
        accounts_row.addWidget(self.accounts_label, 1)
        accounts_row.addWidget(self.accounts_button, 0, Qt.AlignmentFlag.AlignTop)

        self.thumbnail_edit = QLineEdit()
        self.thumbnail_edit.setPlaceholderText("optional: a PNG of at least 400 × 400 pixels shown for the entries")
        self.thumbnail_edit.setAccessibleName("EMPIAR thumbnail")
        self.thumbnail_edit.editingFinished.connect(self._on_thumbnail_edit_editing_finished)
        browse_button = QPushButton("Bro&wse…")
        browse_button.clicked.connect(self._on_browse_button_clicked)
        thumbnail_row = QHBoxLayout()
        thumbnail_row.addWidget(self.thumbnail_edit, 1)
        thumbnail_row.addWidget(browse_button)
        thumbnail_label = QLabel("T&humbnail:")
        thumbnail_label.setBuddy(self.thumbnail_edit)
        self.empiar_group = QGroupBox("EMPIAR entries")
        empiar_form = QFormLayout(self.empiar_group)
        empiar_form.addRow(thumbnail_label, thumbnail_row)

        self.submit_button = QPushButton("&Submit to the archives")
        self.submit_button.setObjectName("primaryButton")
        self.submit_button.clicked.connect(self.submit)
        self.continue_button = QPushButton("&Continue submission")
        self.continue_button.setObjectName("primaryButton")
        self.continue_button.setToolTip("Go on from the saved step; nothing already done is done again")
        self.continue_button.clicked.connect(self.submit)
        self.continue_button.hide()
        self.stop_button = QPushButton("S&top")
        self.stop_button.setToolTip("Stop after the current step; continue later from there")
        self.stop_button.clicked.connect(self.stop)
        self.stop_button.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.submit_button)
        buttons.addWidget(self.continue_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)

        self.blocking_label = QLabel()
        self.blocking_label.setObjectName("problemText")
        self.blocking_label.setWordWrap(True)
        self.blocking_label.hide()
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label.hide()
        self.details_label = QLabel()
        self.details_label.setObjectName("helpLabel")
        self.details_label.setWordWrap(True)
        self.details_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details_label.hide()

        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setAccessibleName("Transfer progress")
        self.progress_label = QLabel()
        self.progress_label.setObjectName("helpLabel")
        self.progress_bar.hide()
        self.progress_label.hide()
        self.steps_list = QListWidget()
        self.steps_list.setAccessibleName("Submission steps")
        self.steps_list.setMinimumHeight(240)
        self.steps_list.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        steps_group = QGroupBox("Steps")
        steps_box = QVBoxLayout(steps_group)
        steps_box.addWidget(self.progress_label)
        steps_box.addWidget(self.progress_bar)
        steps_box.addWidget(self.steps_list)

        self.accessions_label = QLabel()
        self.accessions_label.setWordWrap(True)
        self.accessions_label.setTextFormat(Qt.TextFormat.RichText)
        self.accessions_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.receipt_view = QPlainTextEdit()
        self.receipt_view.setReadOnly(True)
        self.receipt_view.setAccessibleName("Receipt")
        self.receipt_view.setMaximumHeight(110)
        self.copy_button = QPushButton("C&opy receipt")
        self.copy_button.clicked.connect(self._on_copy_button_clicked)
        self.results_group = QGroupBox("Accessions")
        results_box = QVBoxLayout(self.results_group)
        results_box.addWidget(self.accessions_label)
        results_box.addWidget(self.receipt_view)
        copy_row = QHBoxLayout()
        copy_row.addStretch(1)
        copy_row.addWidget(self.copy_button)
        results_box.addLayout(copy_row)
        self.results_group.hide()

        for group in (plan_group, accounts_group, self.empiar_group):
            self.body_layout.addWidget(group)
        self.body_layout.addLayout(buttons)
        widgets: tuple[QWidget, ...] = (
            self.blocking_label,
            self.status_label,
            self.details_label,
            steps_group,
            self.results_group,
        )
        for widget in widgets:
            self.body_layout.addWidget(widget)
        self.body_layout.addStretch(1)

    # ------------------------------------------------------------ loading

    def load(self, session: DraftSession) -> None:
        """Show this draft's plan, accounts, stored accessions and saved submission state."""
        super().load(session)
        self._generation += 1
        self.record = None
        self.last_outcome = None
        self._clear_steps()
        self._show_status("")
        self.thumbnail_edit.setText(str(ui_settings().value(self._setting("thumbnail"), "") or ""))
        self._refresh_plan()
        self._show_accessions()
        self.refresh_accounts()
        self.refresh_record()

    def showEvent(self, event: QShowEvent) -> None:
        """Read the saved state again when the page comes into view (a command-line run may have moved it)."""
        super().showEvent(event)
        if self.session is not None and not self.controller.running:
            self.refresh_record()

    def _setting(self, name: str) -> str:
        draft_id = self.session.envelope.draft_id if self.session is not None else ""
        return f"submit/{draft_id}/{name}"

    def refresh_record(self) -> None:
        """Read the draft's submission record in the background and show it."""
        if self.session is None:
            return
        draft_id = self.session.envelope.draft_id
        generation = self._generation

        def read() -> SubmissionRecord:
            return SubmissionStore(draft_id).load()

        def shown(record: SubmissionRecord) -> None:
            if generation == self._generation and not self.controller.running:
                self._show_record(record)

        def failed(error: BaseException) -> None:
            if generation == self._generation:
                self._show_status(f"The saved submission state cannot be read: {error}", error=True)

        run_in_background(read, shown, failed, owner=self)
    def refresh_accounts(self) -> None:
        """Show which accounts the submission will use (the keyring is read in the background)."""
        login = saved_bia_login()
        generation = self._generation

        def shown(stored: StoredSecrets) -> None:
            if generation == self._generation:
                self.stored = stored
                self._show_accounts(login, saved_globus_identity())

        def failed(error: BaseException) -> None:
            self.accounts_label.setText(html.escape(f"The keyring cannot be read: {error}"))

        run_in_background(lambda: read_stored_secrets(login), shown, failed, owner=self)
    # ------------------------------------------------------------ problems and plan

    def update_problems(self, problems: list[Problem]) -> None:
        """Count the draft's blocking problems (they stop the export) and refresh the plan."""
        super().update_problems(problems)
        self.blocking = sum(p.blocking for p in problems)
        if self.blocking:
            self.blocking_label.setText(
                f"The draft has {self.blocking} problem(s) to fix before it can be submitted; the Review page "
                "lists them."
            )
        self.blocking_label.setVisible(bool(self.blocking))
        self._refresh_plan()

    def _refresh_plan(self) -> None:
        if self.session is None:
            return
        deposition = self.session.deposition
        self.plan = plan = plan_for(deposition)
        self._names = {c.id: c.name or c.id for c in deposition.components}
        self.plan_label.setText(_plan_html(plan, deposition.study.title))
        self.empiar_group.setVisible(bool(plan.empiar))
        self._update_buttons()

    def _show_accounts(self, login: str, globus: str) -> None:
        plan, stored = self.plan, self.stored
        if plan is None or stored is None:
            return
        where = "in the system keyring" if stored.persistent else "<b>for this session only</b> (no system keyring)"
        lines = []
        if plan.bia:
            if login and stored.bia_password:
                lines.append(f"BioImage Archive: {html.escape(login)}, password kept {where}.")
            elif login:
                lines.append(f"BioImage Archive: {html.escape(login)}, <b>no password stored</b>: sign in on Accounts.")
            else:
                lines.append("BioImage Archive: <b>not signed in</b>: sign in on Accounts.")
        if plan.empiar:
            if stored.empiar_token:
                lines.append(f"EMPIAR: API token kept {where}.")
            else:
                lines.append("EMPIAR: <b>no API token</b>: add it on Accounts.")
            identity = html.escape(globus) if globus else "none (optional)"
            lines.append(f"Globus identity the EMPIAR upload folder is shared with: {identity}.")
        self.accounts_label.setText("<br>".join(lines) or "No archive account is needed yet.")

    # ------------------------------------------------------------ accounts

    def show_accounts(self) -> None:
        """Open the Accounts window (one per page, reused)."""
        if self.accounts_dialog is None:
            self.accounts_dialog = AccountsDialog(self, servers=self.servers)
            self.accounts_dialog.accounts_changed.connect(self.refresh_accounts)
            self.accounts_dialog.finished.connect(lambda _result: self.refresh_accounts())
        self.accounts_dialog.open()

    # ------------------------------------------------------------ running

    def submit(self) -> None:
        """Start the submission (or continue it from the saved step) in the background."""
        if self.session is None or self.controller.running:
            return
        self._save_thumbnail()
        request = SubmissionRequest(
            # Serialising is cheap; parsing, exporting and sending all happen in the worker.
            draft=serialise_draft(self.session.envelope),
            bia_login=saved_bia_login(),
            thumbnail=self.thumbnail_edit.text().strip(),
            globus_identity=saved_globus_identity(),
            poll_interval=self.poll_interval,
            servers=self.servers,
        )
        self._generation += 1  # results of earlier background reads are stale now
        self._run_draft_id = self.session.envelope.draft_id
        # The saved steps stay listed: a continued run updates them and adds the rest below.
        self._show_status("Submitting… the steps appear below as they are done.")
        self.details_label.hide()
        self.controller.start(request)
        self._update_buttons()

    def stop(self) -> None:
        """Stop after the current step."""
        if self.controller.running:
            self.controller.stop()
            self.stop_button.setEnabled(False)
            self._show_status("Stopping after the current step…")

    def _open_session_of_run(self) -> DraftSession | None:
        """The page's session when it is still open and is the draft being submitted (else ``None``)."""
        session = self.session
        if session is None or not isValid(session) or session.closed:
            return None
        return session if session.envelope.draft_id == self._run_draft_id else None

    def _on_controller_step_reported(self, event: StepEvent) -> None:
        if self._open_session_of_run() is None:
            return  # the user moved to another draft; the run goes on and its record keeps every step
        self._set_row(event.archive, event.component, event.step, event.phase, event.detail)
        if event.step == "transfer" and event.phase in ("done", "skipped"):
            self.progress_bar.hide()
            self.progress_label.hide()

    def _on_controller_transfer_progressed(self, archive: str, snapshot: TransferSnapshot) -> None:
        if self._open_session_of_run() is None:
            return
        self.last_snapshot = snapshot
        self.progress_bar.show()
        self.progress_label.show()
        self.progress_bar.setValue(int(snapshot.fraction * 1000))
        rate = f", {human_rate(snapshot.rate)}" if snapshot.rate else ""
        self.progress_label.setText(
            f"{ARCHIVE_NAMES.get(archive, archive)}: {snapshot.files_done} of {snapshot.files_total} file(s), "
            f"{human_bytes(snapshot.bytes_done)} of {human_bytes(snapshot.bytes_total)}{rate}"
        )

    def _on_controller_submission_finished(self, outcome: SubmissionOutcome) -> None:
        self.last_outcome = outcome
        if self._open_session_of_run() is None:
            # Another draft is open now: this one shows (and stores) its saved state when it is opened again.
            self._update_buttons()
            return
        self.progress_bar.hide()
        self.progress_label.hide()
        if outcome.record is not None:
            self.record = outcome.record
            self._store_accessions(outcome.record)
        finished = self.record is not None and self.plan is not None and is_finished(self.record, self.plan)
        if outcome.ok and finished:
            self._show_status("Submitted. The accessions are below and saved in the draft.")
        elif outcome.ok:
            self._show_status("The submission went as far as it can for now. Continue submission goes on later.")
        else:
            self._show_status(outcome.message, error=not outcome.stopped)
        if outcome.details:
            self.details_label.setText("\n".join(outcome.details))
            self.details_label.show()
        self._update_buttons()

    def _store_accessions(self, record: SubmissionRecord) -> None:
        session = self.session
        if session is None or session.envelope.draft_id != record.draft_id:
            return
        found = draft_accessions(record, self._names)
        if not (found.bia or found.empiar):
            return
        if found != session.deposition.accessions:
            session.deposition.accessions = found
            session.touch()
        self._show_accessions()

    # ------------------------------------------------------------ showing state

    def _show_record(self, record: SubmissionRecord) -> None:
        self.record = record
        self._clear_steps()
        latest: dict[tuple[str, str, str, str], _Row] = {}
        outcomes: dict[tuple[str, str, str, str], str] = {}
        for event in record.events[-HISTORY_ROWS:]:
            key = _row_key(event.archive, event.component, event.step, event.detail)
            latest[key] = _Row(event.archive, event.component, event.step, event.detail)
            outcomes[key] = event.outcome
        for key, row in latest.items():
            self._set_row(row.archive, row.component, row.step, outcomes[key], row.detail)
        # A run that ended while another draft was open (or in the command line) left its accessions here only.
        self._store_accessions(record)
        plan = self.plan
        if plan is not None and has_started(record) and not is_finished(record, plan):
            when = f"{record.updated:%Y-%m-%d %H:%M} UTC"
            error = record.last_error or {}
            failed = bool(error) and error.get("code") != "submission.stopped"
            if failed:
                reason = f" It stopped with: {error.get('message', '')}"
            else:
                reason = " It was stopped after the last step below." if error else ""
            self._show_status(
                f"A submission of this draft was started and last saved on {when}; the steps done so far are "
                f"below.{reason} Continue submission goes on from there without sending anything twice.",
                error=failed,
            )
        elif plan is not None and is_finished(record, plan):
            self._show_status("This draft is submitted. The accessions are below.")
        else:
            self._show_status("Nothing has been sent yet.")
        self._update_buttons()

    def _show_accessions(self) -> None:
        if self.session is None:
            return
        stored = self.session.deposition.accessions
        lines = []
        if stored.bia:
            lines.append(f"BioImage Archive study: <b>{html.escape(stored.bia)}</b>")
        for component_id, accession in sorted(stored.empiar.items()):
            name = html.escape(self._names.get(component_id, component_id))
            lines.append(f"EMPIAR entry for “{name}”: <b>{html.escape(accession)}</b>")
        self.accessions_label.setText("<br>".join(lines))
        self.receipt_view.setPlainText(stored.receipt)
        self.results_group.setVisible(bool(lines))

    def _clear_steps(self) -> None:
        self._rows.clear()
        self.steps_list.clear()
        self.progress_bar.hide()
        self.progress_label.hide()

    def _set_row(self, archive: str, component: str, step: str, phase: str, detail: str) -> None:
        key = _row_key(archive, component, step, detail)
        item = self._rows.get(key)
        if item is None:
            item = QListWidgetItem()
            self._rows[key] = item
            self.steps_list.addItem(item)
        where = ARCHIVE_NAMES.get(archive, archive)
        if component:
            where += f" · {self._names.get(component, component)}"
        what = STEP_TEXT.get((archive, step), step.replace("_", " "))
        if phase == "waiting":
            what += ": waiting for the archive"
        elif phase in ("start", "requested"):
            what += " (in progress)"
        elif phase == "failed":
            what += ": failed"
        suffix = f" — {detail}" if detail and phase != "start" else ""
        if suffix and phase in ("done", "skipped") and " ".join(detail.lower().split()[:2]) in what.lower():
            what, suffix = detail, ""  # "signed in — signed in as …" says it twice
        item.setText(f"{PHASE_MARK.get(phase, '·')}  {where}: {what}{suffix}")
        item.setData(Qt.ItemDataRole.UserRole, phase)
        self.steps_list.scrollToItem(item)

    def _show_status(self, text: str, *, error: bool = False) -> None:
        self.status_label.setObjectName("problemText" if error else "")
        self.status_label.style().unpolish(self.status_label)
        self.status_label.style().polish(self.status_label)
        self.status_label.setText(text)
        self.status_label.setVisible(bool(text))

    def _update_buttons(self) -> None:
        running = self.controller.running
        plan = self.plan
        record = self.record
        resumable = (
            record is not None and plan is not None and has_started(record) and not is_finished(record, plan)
        )
        can_run = not running and self.blocking == 0 and plan is not None and not plan.empty
        self.continue_button.setVisible(resumable and not running)
        self.continue_button.setEnabled(can_run)
        self.submit_button.setVisible(not (resumable and not running))
        self.submit_button.setEnabled(can_run)
        self.stop_button.setEnabled(running)
        self.accounts_button.setEnabled(True)

    # ------------------------------------------------------------ small slots

    def _save_thumbnail(self) -> None:
        if self.session is not None:
            ui_settings().setValue(self._setting("thumbnail"), self.thumbnail_edit.text().strip())

    def _on_thumbnail_edit_editing_finished(self) -> None:
        self._save_thumbnail()

    def _on_browse_button_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Thumbnail for the EMPIAR entries", "", "Images (*.png *.jpg)")
        if path:
            self.thumbnail_edit.setText(path)
            self._save_thumbnail()

    def _on_copy_button_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.receipt_view.toPlainText())


def _plan_html(plan: SubmissionPlan, title: str) -> str:
    """The plan as numbered steps, in the order the submission does them."""
    if plan.empty:
        return "Nothing goes to an archive yet: add study components on the Study components page."
    steps = []
    if plan.bia:
        parts = ", ".join(f"“{html.escape(name)}”" for name in plan.bia_components) or "annotations only"
        sets = f", {plan.annotation_sets} annotation set(s)" if plan.annotation_sets else ""
        steps.append(
            f"<b>BioImage Archive</b>: one study, “{html.escape(title or 'untitled')}”, with {parts} "
            f"({plan.bia_files} file(s){sets}). The files go to your private upload folder, the archive checks the "
            "file lists, the study is submitted and receives an S-BIAD accession."
        )
    if plan.empiar:
        entries = ", ".join(f"“{html.escape(e.name)}” ({e.files} file(s))" for e in plan.empiar)
        named = " Each entry names the BIA study." if plan.bia else ""
        steps.append(
            f"<b>EMPIAR</b>: one entry per EMPIAR component: {entries}. Each entry is created, its files are "
            f"transferred with Globus, then it is submitted and receives an EMPIAR accession.{named}"
        )
    if plan.backlink:
        steps.append(
            "<b>BioImage Archive</b>: the study is updated to link the EMPIAR entries. A correlative study goes "
            "in this order because each archive refers to the other's accession."
        )
    return "<ol style='margin-left: -20px'>" + "".join(f"<li>{step}</li>" for step in steps) + "</ol>"
