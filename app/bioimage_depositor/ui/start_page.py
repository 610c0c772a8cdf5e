"""The start page: begin a new deposition, open one from a file, or continue a draft.

The list of drafts is read in the background (a store on a network home can be
slow) and shows each draft's name, study title and last change; a damaged draft
is listed with what is wrong rather than hidden.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .. import APP_NAME
from ..domain.drafts import DraftStore, DraftSummary
from .background import run_in_background
from .interrupted_uploads import InterruptedUploadsBanner

_ID_ROLE = Qt.ItemDataRole.UserRole + 1


class StartPage(QWidget):
    """First screen: new draft, open a draft file, or pick a draft from the list."""

    new_requested = Signal(str)  # the new draft's name
    open_requested = Signal(str)  # a draft id of the store
    import_requested = Signal(str)  # a path to a .biodraft / draft .json
    submission_requested = Signal(str)  # a PageTab submission file or an exported package folder

    def __init__(self, store: DraftStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        heading = QLabel(f"Welcome to {APP_NAME}")
        heading.setObjectName("pageTitle")
        intro = QLabel(
            "Describe your imaging study once, check it as you go, and prepare a deposition for the "
            "BioImage Archive and EMPIAR. Your work is saved automatically as you type."
        )
        intro.setWordWrap(True)
        intro.setObjectName("pageSubtitle")

        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("Name of the new deposition, e.g. 'Spindle live imaging 2026'")
        self.name_edit.setAccessibleName("New draft name")
        self.name_edit.returnPressed.connect(self._on_new_button_clicked)
        self.new_button = QPushButton("&New deposition")
        self.new_button.setDefault(True)
        self.new_button.clicked.connect(self._on_new_button_clicked)
        self.import_button = QPushButton("Open draft &file…")
        self.import_button.setToolTip("Open a .biodraft file exported on another computer")
        self.import_button.clicked.connect(self._on_import_button_clicked)
        self.submission_button = QPushButton("Start from a &submission…")
        self.submission_button.setToolTip(
            "Start a new draft from an existing BIA submission (PageTab .json or .tsv) or an exported package"
        )
        self.submission_button.clicked.connect(self._on_submission_button_clicked)
        new_row = QHBoxLayout()
        new_row.addWidget(self.name_edit, 1)
        new_row.addWidget(self.new_button)
        new_row.addWidget(self.import_button)
        new_row.addWidget(self.submission_button)

        drafts_label = QLabel("&Your drafts")
        drafts_label.setObjectName("sectionTitle")
        self.drafts = QTreeWidget()
        self.drafts.setHeaderLabels(["Name", "Study title", "Last change"])
        self.drafts.setRootIsDecorated(False)
        self.drafts.setAlternatingRowColors(True)
        self.drafts.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.drafts.header().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.drafts.header().setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.drafts.setAccessibleName("Drafts")
        self.drafts.itemActivated.connect(self._on_drafts_item_activated)
        self.drafts.itemSelectionChanged.connect(self._on_drafts_selection_changed)
        drafts_label.setBuddy(self.drafts)
        self.status = QLabel("Reading your drafts…")
        self.status.setObjectName("helpLabel")
        self.open_button = QPushButton("&Open")
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self._on_open_button_clicked)
        open_row = QHBoxLayout()
        open_row.addWidget(self.status, 1)
        open_row.addWidget(self.open_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 24, 32, 24)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addSpacing(12)
        layout.addLayout(new_row)
        layout.addSpacing(12)
        self.interrupted = InterruptedUploadsBanner()
        layout.addWidget(self.interrupted)
        layout.addSpacing(4)
        layout.addWidget(drafts_label)
        layout.addWidget(self.drafts, 1)
        layout.addLayout(open_row)
        self.setTabOrder(self.name_edit, self.new_button)
        self.setTabOrder(self.new_button, self.import_button)
        self.setTabOrder(self.import_button, self.submission_button)
        self.setTabOrder(self.submission_button, self.drafts)
        self.setTabOrder(self.drafts, self.open_button)

    def refresh(self) -> None:
        """Reload the list of drafts in the background."""
        self.status.setText("Reading your drafts…")
        run_in_background(self.store.list, self._on_list_loaded, self._on_list_failed)
        self.interrupted.refresh()

    def _on_list_loaded(self, summaries: list[DraftSummary]) -> None:
        self.drafts.clear()
        for summary in summaries:
            when = summary.modified.astimezone().strftime("%Y-%m-%d %H:%M") if summary.modified else ""
            title = summary.study_title or "(no title yet)"
            if summary.problem:
                title = f"⚠ damaged: {summary.problem}"
            item = QTreeWidgetItem(self.drafts, [summary.name, title, when])
            item.setData(0, _ID_ROLE, summary.draft_id)
            item.setToolTip(0, str(summary.path))
        count = len(summaries)
        self.status.setText(
            f"{count} draft(s) in {self.store.root}" if count else "No drafts yet: start a new deposition above."
        )
        first = self.drafts.topLevelItem(0)
        if first is not None:
            self.drafts.setCurrentItem(first)

    def _on_list_failed(self, error: BaseException) -> None:
        self.status.setText(f"Could not read the drafts folder {self.store.root}: {error}")

    def _on_new_button_clicked(self) -> None:
        name = self.name_edit.text().strip() or "Untitled deposition"
        self.name_edit.clear()
        self.new_requested.emit(name)

    def _on_import_button_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open a draft file", str(Path.home()), "Drafts (*.biodraft *.json);;All files (*)"
        )
        if path:
            self.import_requested.emit(path)

    def _on_submission_button_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Start from a submission",
            str(Path.home()),
            "PageTab submissions (*.json *.tsv *.txt);;All files (*)",
        )
        if path:
            self.submission_requested.emit(path)

    def _selected_id(self) -> str | None:
        item = self.drafts.currentItem()
        return item.data(0, _ID_ROLE) if item else None

    def _on_drafts_selection_changed(self) -> None:
        self.open_button.setEnabled(self._selected_id() is not None)

    def _on_drafts_item_activated(self, item: QTreeWidgetItem, _column: int) -> None:
        self.open_requested.emit(item.data(0, _ID_ROLE))

    def _on_open_button_clicked(self) -> None:
        draft_id = self._selected_id()
        if draft_id:
            self.open_requested.emit(draft_id)
