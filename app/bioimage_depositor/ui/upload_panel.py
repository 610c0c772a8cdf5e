"""The upload controls and progress, usable on the wizard's Upload page and in the "continue" dialog.

The user picks what to send (the exported package by default) and where
(``file://``, ``ftp://``, ``ftps://``, ``tus+https://``, ``globus://``), then
sees total and per-file progress, rate and ETA, can pause, resume, stop or
cancel, and gets the failed files with their reasons and a retry. Everything
slow runs in :class:`~.transfer_controller.TransferController`'s worker.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..domain.humanize import human_bytes, human_duration, human_rate
from ..domain.transfer.progress import TransferReport, TransferSnapshot
from ..domain.transfer.targets import parse_target
from ..domain.transfer.transport import TransferError
from .transfer_controller import TransferController, TransferRequest

#: Schemes whose servers ask for a password typed here.
PASSWORD_SCHEMES = ("ftp", "ftps", "ascp")
PHASE_TEXT = {"connecting": "connecting", "sending": "sending", "verifying": "verifying", "waiting": "retrying"}


class UploadPanel(QWidget):
    """Choose source and target, run the transfer, and show how it goes.

    Signals
    -------
    settings_changed()
        The source, target or options changed (the page stores them for next time).
    finished(object)
        The :class:`TransferReport` of a run that ended.
    """

    settings_changed = Signal()
    finished = Signal(object)

    def __init__(self, controller: TransferController | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller or TransferController(self)
        self.last_report: TransferReport | None = None
        self.last_snapshot: TransferSnapshot | None = None
        self.draft_id = ""

        self.source_edit = QLineEdit()
        self.source_edit.setPlaceholderText("The exported package folder, or any file or folder")
        self.source_edit.setAccessibleName("Send from")
        source_button = QPushButton("Choos&e…")
        source_button.setToolTip("Choose the folder to send")
        source_button.clicked.connect(self._on_source_button_clicked)
        source_row = QHBoxLayout()
        source_row.addWidget(self.source_edit, 1)
        source_row.addWidget(source_button)

        self.target_edit = QLineEdit()
        self.target_edit.setPlaceholderText("ftp://user@host/folder · file:///media/disk/folder · tus+https://host/files")
        self.target_edit.setAccessibleName("Send to")
        self.target_edit.setToolTip(
            "Where to send: ftp:// or ftps:// (the BIA's secret directory), file:// (a local or mounted folder), "
            "tus+https:// (resumable HTTP), globus://collection-id/path (Globus Connect Personal)."
        )
        target_button = QPushButton("Fol&der…")
        target_button.setToolTip("Send to a local or mounted folder")
        target_button.clicked.connect(self._on_target_button_clicked)
        target_row = QHBoxLayout()
        target_row.addWidget(self.target_edit, 1)
        target_row.addWidget(target_button)
        self.target_problem = QLabel()
        self.target_problem.setObjectName("problemText")
        self.target_problem.setWordWrap(True)
        self.target_problem.hide()

        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setPlaceholderText("Leave empty to use the keyring or BIOIMAGE_DEPOSITOR_PASSWORD")
        self.password_edit.setAccessibleName("Password")
        self.remember_check = QCheckBox("Remember in the system &keyring")
        password_row = QHBoxLayout()
        password_row.addWidget(self.password_edit, 1)
        password_row.addWidget(self.remember_check)
        self.password_label = QLabel("Pass&word:")
        self.password_label.setBuddy(self.password_edit)
        self.parallel_spin = QSpinBox()
        self.parallel_spin.setRange(1, 16)
        self.parallel_spin.setValue(2)
        self.parallel_spin.setAccessibleName("Files at once")
        self.limit_spin = QSpinBox()
        self.limit_spin.setRange(0, 100_000)
        self.limit_spin.setSuffix(" MiB/s")
        self.limit_spin.setSpecialValueText("no limit")
        self.limit_spin.setAccessibleName("Bandwidth limit")
        options_row = QHBoxLayout()
        options_row.addWidget(self.parallel_spin)
        limit_label = QLabel("&Limit:")
        limit_label.setBuddy(self.limit_spin)
        options_row.addSpacing(16)
        options_row.addWidget(limit_label)
        options_row.addWidget(self.limit_spin)
        options_row.addStretch(1)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        source_label = QLabel("Send fro&m:")
        source_label.setBuddy(self.source_edit)
        target_label = QLabel("Send &to:")
        target_label.setBuddy(self.target_edit)
        form.addRow(source_label, source_row)
        form.addRow(target_label, target_row)
        form.addRow("", self.target_problem)
        form.addRow(self.password_label, password_row)
        parallel_label = QLabel("Files &at once:")
        parallel_label.setBuddy(self.parallel_spin)
        form.addRow(parallel_label, options_row)

        self.start_button = QPushButton("&Start upload")
        self.start_button.setObjectName("primaryButton")
        self.pause_button = QPushButton("&Pause")
        self.stop_button = QPushButton("St&op")
        self.stop_button.setToolTip("Stop now and continue later from where it stopped")
        self.cancel_button = QPushButton("&Cancel upload")
        self.cancel_button.setToolTip("Stop and delete the partial files on the server (finished files stay)")
        # wide enough for both of its texts, so switching to "Continue upload" never clips
        metrics = self.start_button.fontMetrics()
        self.start_button.setMinimumWidth(
            max(metrics.horizontalAdvance(text) for text in ("Start upload", "Continue upload")) + 32
        )
        self.start_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(self._on_pause_button_clicked)
        self.stop_button.clicked.connect(self.controller.stop)
        self.cancel_button.clicked.connect(self.controller.cancel)
        buttons = QHBoxLayout()
        for button in (self.start_button, self.pause_button, self.stop_button, self.cancel_button):
            buttons.addWidget(button)
        buttons.addStretch(1)

        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setAccessibleName("Upload progress")
        self.summary_label = QLabel("Nothing sent yet.")
        self.summary_label.setObjectName("uploadSummary")
        self.summary_label.setWordWrap(True)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.status_label.setOpenExternalLinks(True)

        self.active_table = QTableWidget(0, 3)
        self.active_table.setHorizontalHeaderLabels(["File", "Progress", "State"])
        self.active_table.verticalHeader().hide()
        self.active_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.active_table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        header = self.active_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.active_table.setMaximumHeight(150)
        self.active_table.setAccessibleName("Files being sent")
        self.active_table.hide()

        self.failed_box = QGroupBox("Files that were not sent")
        self.failed_list = QListWidget()
        self.failed_list.setAccessibleName("Failed files")
        self.retry_button = QPushButton("Retr&y failed files")
        self.retry_button.clicked.connect(self.start)
        failed_layout = QVBoxLayout(self.failed_box)
        failed_layout.addWidget(self.failed_list)
        failed_layout.addWidget(self.retry_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.failed_box.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.status_label)
        layout.addWidget(self.active_table)
        layout.addWidget(self.failed_box)
        layout.addStretch(1)

        self.source_edit.textChanged.connect(self._on_inputs_changed)
        self.target_edit.textChanged.connect(self._on_inputs_changed)
        self.parallel_spin.valueChanged.connect(self.settings_changed)
        self.limit_spin.valueChanged.connect(self.settings_changed)
        self.controller.transfer_started.connect(self._on_controller_transfer_started)
        self.controller.progress_changed.connect(self._on_controller_progress_changed)
        self.controller.transfer_finished.connect(self._on_controller_transfer_finished)
        self.controller.transfer_failed.connect(self._on_controller_transfer_failed)
        self.controller.auto_paused_changed.connect(self._on_controller_auto_paused_changed)
        self.controller.password_notice.connect(self._on_controller_password_notice)
        self._on_inputs_changed()

    # ------------------------------------------------------------ inputs

    def set_source(self, path: str) -> None:
        """Preset what to send (the exported package)."""
        self.source_edit.setText(path)

    def set_target(self, url: str) -> None:
        """Preset where to send."""
        self.target_edit.setText(url)

    def _target_error(self) -> str:
        text = self.target_edit.text().strip()
        if not text:
            return ""
        try:
            parse_target(text)
        except TransferError as error:
            return str(error)
        return ""

    def _on_inputs_changed(self, *_args: object) -> None:
        if not self.controller.running:
            self.last_report = None  # "Continue" refers to the transfer of this source to this target only
        error = self._target_error()
        self.target_problem.setText(error)
        self.target_problem.setVisible(bool(error))
        scheme = self.target_edit.text().strip().split("://", 1)[0].lower()
        needs_password = scheme in PASSWORD_SCHEMES
        for widget in (self.password_label, self.password_edit, self.remember_check):
            widget.setVisible(needs_password)
        self._update_buttons()
        self.settings_changed.emit()

    def _on_source_button_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder to send", self.source_edit.text())
        if folder:
            self.source_edit.setText(folder)

    def _on_target_button_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Send into this folder")
        if folder:
            self.target_edit.setText(QUrl.fromLocalFile(folder).toString())

    def _request(self) -> TransferRequest:
        limit = self.limit_spin.value()
        return TransferRequest(
            source=self.source_edit.text().strip(),
            target_url=self.target_edit.text().strip(),
            password=self.password_edit.text() or None,
            remember_password=self.remember_check.isChecked(),
            parallel=self.parallel_spin.value(),
            limit_rate=float(limit) * 1024 * 1024 if limit else None,
            draft_id=self.draft_id,
        )

    # ------------------------------------------------------------ control

    def start(self) -> None:
        """Start, or continue from its ledger, the transfer described by the form."""
        if self.controller.running:
            return
        request = self._request()
        if not request.source:
            self._show_status("Choose what to send first (export the package on the Review page).", error=True)
            return
        if not request.target_url or self._target_error():
            self._show_status(self._target_error() or "Say where to send the files.", error=True)
            self.target_edit.setFocus()
            return
        self.failed_list.clear()
        self.failed_box.hide()
        self.last_report = None
        self._show_status("Starting…")
        self.controller.start(request)
        self._update_buttons()

    def _on_pause_button_clicked(self) -> None:
        if self.controller.paused:
            self.controller.resume()
        else:
            self.controller.pause()
        self._update_buttons()

    def _update_buttons(self) -> None:
        running = self.controller.running
        ready = bool(self.source_edit.text().strip() and self.target_edit.text().strip()) and not self._target_error()
        self.start_button.setEnabled(ready and not running)
        self.start_button.setText("Contin&ue upload" if self._has_history() and not running else "&Start upload")
        self.pause_button.setEnabled(running)
        self.pause_button.setText("&Resume" if self.controller.paused else "&Pause")
        self.stop_button.setEnabled(running)
        self.cancel_button.setEnabled(running)
        self.retry_button.setEnabled(not running)
        for widget in (self.source_edit, self.target_edit, self.password_edit, self.parallel_spin, self.limit_spin):
            widget.setEnabled(not running)

    def _has_history(self) -> bool:
        return self.last_report is not None and self.last_report.status != "completed"

    def _show_status(self, text: str, *, error: bool = False) -> None:
        self.status_label.setObjectName("problemText" if error else "")
        self.status_label.style().unpolish(self.status_label)
        self.status_label.style().polish(self.status_label)
        self.status_label.setText(text)

    # ------------------------------------------------------------ controller signals

    def _on_controller_transfer_started(self, target: str) -> None:
        self._show_status(f"Sending to {target}. You can close the program at any time; it continues from here.")
        self._update_buttons()

    def _on_controller_progress_changed(self, snapshot: TransferSnapshot) -> None:
        self.last_snapshot = snapshot
        self.progress_bar.setValue(int(snapshot.fraction * 1000))
        planning = " (still listing files…)" if snapshot.planning else ""
        failed = f", {snapshot.files_failed} failed" if snapshot.files_failed else ""
        paused = "Paused. " if snapshot.status == "paused" else ""
        self.summary_label.setText(
            f"{paused}{human_bytes(snapshot.bytes_done)} of {human_bytes(snapshot.bytes_total)} "
            f"({snapshot.fraction * 100:.0f}%) · {human_rate(snapshot.rate)} · "
            f"{human_duration(snapshot.eta)} left · {snapshot.files_done} of {snapshot.files_total} files"
            f"{failed}{planning}"
        )
        self.active_table.setVisible(bool(snapshot.active))
        self.active_table.setRowCount(len(snapshot.active))
        for row, item in enumerate(snapshot.active):
            percent = 100 * item.done / item.size if item.size else 100
            state = PHASE_TEXT.get(item.phase, item.phase)
            cells = (item.remote_path, f"{percent:.0f}% of {human_bytes(item.size)}", state)
            for column, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                if item.message:
                    cell.setToolTip(item.message)
                self.active_table.setItem(row, column, cell)
        self._update_buttons()

    def _on_controller_transfer_finished(self, report: TransferReport) -> None:
        self.last_report = report
        self.active_table.setRowCount(0)
        self.active_table.hide()
        if self.last_snapshot is not None:  # the final figures, without a rate or time left that no longer apply
            snapshot = self.last_snapshot
            done = report.bytes_total if report.status == "completed" else snapshot.bytes_done
            self.summary_label.setText(
                f"{human_bytes(done)} of {human_bytes(report.bytes_total)} · "
                f"{report.verified} of {report.files_total} files verified"
            )
        if report.status == "completed" or report.bytes_total:
            self.progress_bar.setValue(1000 if report.status == "completed" else self.progress_bar.value())
        self._show_status(report_text(report), error=not report.ok and report.status != "paused")
        self.failed_list.clear()
        for failed in report.failed:
            item = QListWidgetItem(f"{failed.remote_path} — {failed.message}")
            item.setToolTip(failed.local_path)
            self.failed_list.addItem(item)
        for problem in report.problems:
            self.failed_list.addItem(QListWidgetItem(f"{problem.path} — {problem.message}"))
        self.failed_box.setVisible(bool(report.failed or report.problems))
        self._update_buttons()
        self.finished.emit(report)

    def _on_controller_transfer_failed(self, message: str) -> None:
        self._show_status(message, error=True)
        self._update_buttons()

    def _on_controller_auto_paused_changed(self, reason: str) -> None:
        self._show_status(reason or "Sending again.")
        self._update_buttons()

    def _on_controller_password_notice(self, notice: str) -> None:
        self.status_label.setText(notice)

    def open_target_folder(self) -> None:
        """Open a ``file://`` target in the file manager (after a local copy)."""
        url = QUrl(self.target_edit.text().strip())
        if url.isLocalFile() and Path(url.toLocalFile()).is_dir():
            QDesktopServices.openUrl(url)


def report_text(report: TransferReport) -> str:
    """What a finished run did, in one or two sentences."""
    done = (
        f"{report.verified} of {report.files_total} files verified on the server "
        f"({report.sent} sent now, {report.resumed} resumed, {report.skipped} already there; "
        f"{human_bytes(report.bytes_sent)} sent in {human_duration(report.duration_s)})."
    )
    if report.status == "completed" and report.ok:
        return f"Upload complete: {done}"
    if report.status == "paused":
        return f"Stopped. {done} Press Continue upload to carry on from here."
    if report.status == "cancelled":
        return f"Upload cancelled; partial files were removed from the server. {done}"
    reason = f"{report.message} " if report.message else ""
    return f"{reason}{done} Fix what is listed below, then retry: only what is missing is sent."
