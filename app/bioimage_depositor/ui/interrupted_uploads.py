"""After a crash or a closed laptop: offer to continue the uploads that did not finish.

Every transfer keeps a ledger in the state folder; one that is neither
finished nor cancelled is an interrupted upload. The start page shows them
(looked up in the background) with a Continue button that opens the upload
panel on the same source and target, which resumes from the ledger.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDialog, QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ..domain.humanize import human_bytes
from ..domain.transfer.ledger import LedgerSummary, find_interrupted
from .background import run_in_background
from .upload_panel import UploadPanel

#: At most this many interrupted uploads are listed; older ones stay resumable from the command line.
MAX_SHOWN = 3


def summary_text(summary: LedgerSummary) -> str:
    """One line about an interrupted upload: what, where, how far."""
    percent = 100 * summary.bytes_done / summary.bytes_total if summary.bytes_total else 0
    failed = f", {summary.files_failed} failed" if summary.files_failed else ""
    return (
        f"<b>{summary.source}</b> → {summary.target}: stopped at {percent:.0f}% "
        f"({human_bytes(summary.bytes_done)} of {human_bytes(summary.bytes_total)}, "
        f"{summary.files_verified} of {summary.files_total} files verified{failed})."
    )


class InterruptedUploadsBanner(QFrame):
    """A box on the start page listing interrupted uploads, each with a Continue button."""

    continue_requested = Signal(object)  # a LedgerSummary

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noticeBanner")
        self.summaries: list[LedgerSummary] = []
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(12, 8, 12, 8)
        self._content: QWidget | None = None
        self.hide()

    def refresh(self) -> None:
        """Look for interrupted uploads in the background."""
        run_in_background(find_interrupted, self._on_found, lambda _error: self.hide())

    def _on_found(self, summaries: list[LedgerSummary]) -> None:
        self.summaries = summaries[:MAX_SHOWN]
        if self._content is not None:
            self._content.deleteLater()
            self._content = None
        if not self.summaries:
            self.hide()
            return
        self._content = QWidget(self)
        rows = QVBoxLayout(self._content)
        rows.setContentsMargins(0, 0, 0, 0)
        heading = QLabel("An upload did not finish. Continue it from where it stopped:")
        heading.setObjectName("sectionTitle")
        rows.addWidget(heading)
        for summary in self.summaries:
            row = QHBoxLayout()
            text = QLabel(summary_text(summary))
            text.setWordWrap(True)
            text.setTextFormat(Qt.TextFormat.RichText)
            button = QPushButton("Continue upload…")
            button.setAccessibleName(f"Continue upload of {summary.source}")
            button.clicked.connect(lambda _checked=False, s=summary: self.continue_requested.emit(s))
            row.addWidget(text, 1)
            row.addWidget(button)
            rows.addLayout(row)
        self._layout.addWidget(self._content)
        self.show()


class UploadDialog(QDialog):
    """The upload panel in its own window, for continuing a transfer outside a draft."""

    def __init__(self, summary: LedgerSummary, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Continue upload")
        self.resize(820, 520)
        self.panel = UploadPanel(parent=self)
        self.panel.set_source(summary.source)
        self.panel.set_target(summary.target)
        close_button = QPushButton("Close")
        close_button.clicked.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.panel, 1)
        layout.addWidget(close_button, 0, Qt.AlignmentFlag.AlignRight)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closing stops the transfer after the current chunk; the ledger keeps the rest for later."""
        self.panel.controller.stop()
        self.panel.controller.wait(10)
        super().closeEvent(event)
