"""The main window: the start page or an open draft in the wizard, and the title bar state.

Opening, creating and importing drafts touch the disk, so they run in the
background; the window shows the result or a message that says what went wrong
and what the user can do (open anyway, restore the last good version).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMessageBox, QStackedWidget, QWidget

from .. import APP_NAME
from ..domain.draft_errors import DraftDamagedError, DraftError, DraftLockedError
from ..domain.draft_file import DraftEnvelope
from ..domain.draft_lock import DraftLock
from ..domain.drafts import DraftStore
from .background import run_in_background
from .draft_session import DraftSession, SaveState
from .help_menu import HelpMenu
from .settings import ui_settings
from .start_page import StartPage

if TYPE_CHECKING:  # the wizard and its pages are imported when first needed (see MainWindow.wizard)
    from ..domain.imports.pagetab_import import ImportReport
    from ..domain.transfer.ledger import LedgerSummary
    from .wizard import DepositionWizard

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    """Top-level window of the program."""

    def __init__(self, store: DraftStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.session: DraftSession | None = None
        self.last_import_report: ImportReport | None = None
        self.start_page = StartPage(store)
        self._wizard: DepositionWizard | None = None
        self.stack = QStackedWidget()
        self.stack.addWidget(self.start_page)
        self.setCentralWidget(self.stack)
        self.start_page.new_requested.connect(self.create_draft)
        self.start_page.open_requested.connect(self.open_draft)
        self.start_page.import_requested.connect(self.import_draft)
        self.start_page.submission_requested.connect(self.import_submission)
        self.start_page.interrupted.continue_requested.connect(self.continue_upload)
        self._build_menu()
        self.help_menu = HelpMenu(self)
        self.resize(1180, 760)
        self.setMinimumSize(900, 600)
        settings = ui_settings()
        geometry = settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        self._update_title()
        self.start_page.refresh()

    @property
    def wizard(self) -> DepositionWizard:
        """The wizard's pages, built the first time a draft is shown (or anyone asks)."""
        if self._wizard is None:
            from .wizard import DepositionWizard

            wizard = DepositionWizard()
            wizard.close_requested.connect(self.close_draft)
            self.stack.addWidget(wizard)
            self._wizard = wizard
        return self._wizard

    def _build_menu(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        new_action = QAction("&New deposition", self, shortcut=QKeySequence(QKeySequence.StandardKey.New))
        new_action.triggered.connect(lambda: self.create_draft("Untitled deposition"))
        drafts_action = QAction("&Drafts…", self, shortcut=QKeySequence("Ctrl+D"))
        drafts_action.triggered.connect(self.close_draft)
        save_action = QAction("&Save now", self, shortcut=QKeySequence(QKeySequence.StandardKey.Save))
        save_action.triggered.connect(self._on_save_action_triggered)
        accounts_action = QAction("&Accounts…", self)
        accounts_action.setToolTip("Sign in to the BioImage Archive, EMPIAR and Globus")
        accounts_action.triggered.connect(self.show_accounts)
        quit_action = QAction("&Quit", self, shortcut=QKeySequence(QKeySequence.StandardKey.Quit))
        quit_action.triggered.connect(self.close)
        for action in (new_action, drafts_action, save_action, accounts_action, quit_action):
            file_menu.addAction(action)

    def show_accounts(self) -> None:
        """Open the Accounts window; the Submit page shows the accounts in use as they change."""
        from .accounts_dialog import AccountsDialog
        from .submit_page import SubmitPage

        dialog = AccountsDialog(self)
        page = self.wizard.pages["submit"]
        assert isinstance(page, SubmitPage)
        dialog.accounts_changed.connect(page.refresh_accounts)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def continue_upload(self, summary: LedgerSummary) -> None:
        """Open the upload window on an interrupted transfer and resume it from its ledger."""
        from .interrupted_uploads import UploadDialog

        dialog = UploadDialog(summary, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _result: self.start_page.interrupted.refresh())
        dialog.show()
        dialog.panel.start()

    def _on_save_action_triggered(self) -> None:
        if self.session is not None:
            self.session.save_soon()

    # ------------------------------------------------------------ title

    def _update_title(self, *_args: object) -> None:
        if self.session is None:
            self.setWindowTitle(APP_NAME)
            return
        state = self.session.state
        mark = "*" if state in (SaveState.PENDING, SaveState.FAILED) else ""
        self.setWindowTitle(f"{mark}{self.session.name} — {state.value} — {APP_NAME}")

    # ------------------------------------------------------------ open / create

    def create_draft(self, name: str) -> None:
        """Create a draft in the background and open it."""
        self.close_draft()

        def create() -> tuple[DraftEnvelope, DraftLock]:
            envelope = self.store.create(name)
            return envelope, self.store.lock(envelope.draft_id)

        run_in_background(create, self._on_opened, self._on_open_failed)

    def open_draft(self, name_or_id: str, *, force: bool = False) -> None:
        """Lock and load a draft of the store in the background, then show it."""
        self.close_draft()

        def load() -> tuple[DraftEnvelope, DraftLock]:
            lock = self.store.lock(name_or_id, force=force)
            try:
                return self.store.load(name_or_id), lock
            except BaseException:
                lock.release()
                raise

        self._pending_open = name_or_id
        run_in_background(load, self._on_opened, self._on_open_failed)

    def import_draft(self, path: str) -> None:
        """Copy a portable draft file into the store, then open it."""

        def do_import() -> str:
            return self.store.import_file(Path(path)).draft_id

        run_in_background(do_import, self.open_draft, self._on_open_failed)

    def import_submission(self, path: str) -> None:
        """Start a new draft from a PageTab submission (or an exported package) and open it."""
        self.close_draft()

        def do_import() -> tuple[DraftEnvelope, DraftLock, ImportReport]:
            from ..domain.imports.pagetab_import import import_pagetab

            result = import_pagetab(Path(path))
            title = result.deposition.study.title or Path(path).stem
            envelope = self.store.create(
                f"From {result.report.accession or Path(path).name}: {title}"[:120], result.deposition
            )
            return envelope, self.store.lock(envelope.draft_id), result.report

        run_in_background(do_import, self._on_submission_imported, self._on_open_failed)

    def _on_submission_imported(self, result: tuple[DraftEnvelope, DraftLock, ImportReport]) -> None:
        envelope, lock, report = result
        self._on_opened((envelope, lock))
        self.last_import_report = report
        lines = [f"Imported {report.source}."]
        if report.unrepresented:
            lines.append(f"{len(report.unrepresented)} value(s) have no place in the draft and were not imported:")
            lines.extend(f"• {item.line()}" for item in report.unrepresented[:12])
            if len(report.unrepresented) > 12:
                lines.append(f"… and {len(report.unrepresented) - 12} more.")
        lines.extend(report.notes[:6])
        problems = sum(p.blocking for p in report.problems)
        if problems:
            lines.append(f"{problems} problem(s) to fix are listed on the Review page.")
        self.statusBar().showMessage(lines[0], 15000)
        if len(lines) > 1:
            box = QMessageBox(QMessageBox.Icon.Information, "Submission imported", "\n".join(lines), parent=self)
            box.open()  # not modal-blocking: the draft is already open behind it

    def _on_opened(self, result: tuple[DraftEnvelope, DraftLock]) -> None:
        envelope, lock = result
        self.session = DraftSession(self.store, envelope, lock, self)
        self.session.save_state_changed.connect(self._update_title)
        self.session.save_failed.connect(self._on_session_save_failed)
        self.wizard.open_session(self.session)
        self.stack.setCurrentWidget(self.wizard)
        self._update_title()

    def _on_open_failed(self, error: BaseException) -> None:
        if isinstance(error, DraftLockedError):
            answer = QMessageBox.question(
                self,
                "Draft already open",
                f"{error.message}\n\nOpen it here anyway? Only do this if that window is no longer in use; "
                "otherwise the two windows would overwrite each other's work.",
                QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer == QMessageBox.StandardButton.Open:
                self.open_draft(self._pending_open, force=True)
            return
        if isinstance(error, DraftDamagedError) and error.good_versions:
            newest = error.good_versions[0]
            answer = QMessageBox.question(
                self,
                "Draft damaged",
                f"{error.message}\n\nRestore the last good version (saved {newest.saved:%Y-%m-%d %H:%M})? "
                "The damaged file is kept aside, not deleted.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Yes,
            )
            if answer == QMessageBox.StandardButton.Yes:
                draft_id = self._pending_open
                run_in_background(
                    lambda: self.store.restore(draft_id, newest).draft_id, self.open_draft, self._on_open_failed
                )
            return
        message = error.message if isinstance(error, DraftError) else f"Unexpected error: {error}"
        if not isinstance(error, DraftError | OSError):
            log.error("opening a draft failed", exc_info=error)
        QMessageBox.warning(self, "Could not open the draft", message)
        self.start_page.refresh()

    def _on_session_save_failed(self, message: str) -> None:
        self.statusBar().showMessage(f"Could not save: {message}. Your edits are kept; saving will be retried.")

    def close_draft(self) -> None:
        """Save and close the open draft, and show the start page."""
        if self.session is not None:
            session, self.session = self.session, None
            if not session.close():
                QMessageBox.warning(
                    self,
                    "Not saved",
                    "The last changes could not be written to disk. They are lost only if you quit now; "
                    "check the disk and try again.",
                )
                self.session = session
                return
            session.deleteLater()
        self.stack.setCurrentWidget(self.start_page)
        self._update_title()
        self.start_page.refresh()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Stop running work after its current step, save the draft and the window geometry, then close.

        Uploads and submissions keep their state on disk, so they continue from here next time.
        """
        self._stop_background_work()
        if self.session is not None and not self.session.close():
            answer = QMessageBox.warning(
                self,
                "Quit without saving?",
                "The last changes could not be saved. Quit anyway?",
                QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Discard:
                event.ignore()
                return
            self.session.release_lock()
        ui_settings().setValue("window/geometry", self.saveGeometry())
        event.accept()

    def _stop_background_work(self) -> None:
        if self._wizard is None:
            return  # no page was ever built, so nothing of theirs runs
        from .submit_page import SubmitPage
        from .upload_page import UploadPage

        upload = self._wizard.pages["upload"]
        submit = self._wizard.pages["submit"]
        assert isinstance(upload, UploadPage) and isinstance(submit, SubmitPage)
        upload.panel.controller.stop()
        submit.controller.stop()
        upload.panel.controller.wait(10)
        submit.controller.wait(10)

    def keyPressEvent(self, event) -> None:
        """Escape on the wizard does nothing destructive."""
        if event.key() == Qt.Key.Key_Escape:
            event.accept()
            return
        super().keyPressEvent(event)


def prepare_wizard() -> None:
    """Import the wizard's modules in a worker while the start page is shown; a failure is left for later.

    They take about 1.3 s to import (image readers, exporters, archive clients), which the first
    paint no longer waits for. Only modules are loaded here, no widget is made: widgets belong to
    the UI thread, which builds the wizard when a draft opens (and imports again should this fail).
    """
    try:
        from . import wizard  # noqa: F401
    except Exception:  # the UI thread's own import reports it properly
        log.warning("preparing the wizard in the background failed", exc_info=True)
