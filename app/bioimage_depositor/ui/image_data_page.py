"""The Image data page: each component's files, checked, named, checksummed, described and previewed.

Folders and files are added with buttons or by dropping them on the page. The
scan, the image probe, checksums, thumbnails and previews all run in workers
with visible progress and a Cancel button; the page only shows their results.
Long jobs (reading the headers of 100,000 files) run as a chain of short
tasks, so a preview or thumbnail asked for meanwhile is never stuck behind
them, and results reach the table in batches without per-row signals.

Names that break the archive's rules get a proposed fixed name that is used
in the deposition while the user's files keep theirs. Per-file attributes
(the extra columns of a BIA file list) are edited in the table or for a whole
selection at once, with undo. "Fill in from the images" proposes Image
acquisition text (and, for EMPIAR components, the image-set fields) from the
files' own metadata, fills only empty fields, marks what it filled, and says
where files disagree instead of choosing for the user.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPoint, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..domain.deposition import FileEntry, StudyComponent
from ..domain.filelist.attributes import attribute_columns
from ..domain.filelist.checksum_cache import ChecksumCache
from ..domain.filelist.checksums import apply_checksums, compute_checksums
from ..domain.filelist.naming import apply_fixes, propose_fixes
from ..domain.filelist.progress import Progress
from ..domain.filelist.scan import ScanResult, scan_paths
from ..domain.humanize import human_bytes
from ..domain.images.model import ImageInfo
from ..domain.images.prefill import Conflict, PrefillResult
from ..domain.images.prefill_apply import (
    AppliedPrefill,
    file_name,
    plan_empiar_prefill,
    prefill_acquisition_into,
    prefill_empiar_into,
)
from ..domain.images.probe import probe
from ..domain.problems import Problem
from .attribute_edit import (
    AttributeDialog,
    ColumnNameDialog,
    RemoveColumnCommand,
    RenameColumnCommand,
    SetAttributeCommand,
)
from .background import run_in_background
from .component_combo import ComponentCombo
from .draft_session import DraftSession
from .file_table import (
    COL_DEPOSIT,
    COL_DIMENSIONS,
    COL_FORMAT,
    COL_MD5,
    COL_PATH,
    COL_SIZE,
    COL_THUMBNAIL,
    FileTableModel,
)
from .gc_pause import collector_paused, freeze_survivors, thaw
from .page_base import WizardPage
from .preview_panel import PREVIEW_SIZE, PreviewPanel
from .thumbnails import DISPLAY_SIZE, ThumbnailLoader, default_disk_cache

log = logging.getLogger(__name__)

#: Seconds one header-reading task runs before handing the worker back (previews and thumbnails go between).
PROBE_SLICE_S = 0.25
#: Rows above and below the visible ones whose thumbnails are kept wanted (smooth small scrolls).
THUMBNAIL_MARGIN = 4
#: Pause after typing in the filter before the table is filtered (milliseconds).
FILTER_DELAY_MS = 150
#: Most attribute edits that can be undone.
UNDO_LIMIT = 50


class _ProgressRelay(QObject):
    """Carries progress reports from a worker to the UI thread (queued signal)."""

    reported = Signal(object)


class _ScanOutcome:
    """What the scan worker hands back: the scan, the files new to the list, and the list's totals."""

    def __init__(self, result: ScanResult, fresh: list[FileEntry], total_bytes: int, hashed: int, start: int) -> None:
        self.result = result
        self.fresh = fresh
        self.total_bytes = total_bytes
        self.hashed = hashed
        self.start = start  # where the new files will begin in the component's list
        # Computed here so the UI thread need not: the new files sorted by path, and their sources.
        keys = [entry.path.casefold() for entry in fresh]
        self.path_order = [start + i for i in sorted(range(len(fresh)), key=keys.__getitem__)]
        self.sources = [entry.source for entry in fresh]
        self.columns = attribute_columns(fresh)


class ImageDataPage(WizardPage):
    """Edits the file list of each study component."""

    key = "files"
    sections = ("components",)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "Image data",
            "Add the images of each study component: drop folders here or use the buttons. Names the archive "
            "would reject get a fixed name for the deposition; your files are never renamed.",
            parent=parent,
        )
        self.setAcceptDrops(True)
        self.component_combo = ComponentCombo()
        self.component_combo.currentIndexChanged.connect(self._on_component_combo_changed)
        self.add_folder_button = QPushButton("Add f&older…")
        self.add_files_button = QPushButton("Add fi&les…")
        self.remove_button = QPushButton("&Remove selected")
        self.fix_button = QPushButton("Fix na&mes")
        self.checksum_button = QPushButton("Compute &checksums")
        self.prefill_button = QPushButton("Fill in from the &images")
        self.attribute_button = QPushButton("Set &attribute…")
        self.attribute_button.setToolTip(
            "Give the selected files a value in a column of the file list (a new column or an existing one)."
        )
        self.thumbnails_box = QCheckBox("T&humbnails")
        self.thumbnails_box.setChecked(True)
        self.thumbnails_box.setToolTip("Show a small picture of each file in the table (made in the background).")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.hide()
        self.add_folder_button.clicked.connect(self._on_add_folder_button_clicked)
        self.add_files_button.clicked.connect(self._on_add_files_button_clicked)
        self.remove_button.clicked.connect(self.remove_selected)
        self.fix_button.clicked.connect(self._on_fix_button_clicked)
        self.checksum_button.clicked.connect(self.compute_checksums)
        self.prefill_button.clicked.connect(self.prefill_from_images)
        self.attribute_button.clicked.connect(self._on_attribute_button_clicked)
        self.thumbnails_box.toggled.connect(self._on_thumbnails_box_toggled)
        self.cancel_button.clicked.connect(self.cancel)
        top = QHBoxLayout()
        label = QLabel("Com&ponent:")
        label.setBuddy(self.component_combo)
        top.addWidget(label)
        top.addWidget(self.component_combo, 1)
        buttons = QHBoxLayout()
        for button in (
            self.add_folder_button,
            self.add_files_button,
            self.remove_button,
            self.fix_button,
            self.checksum_button,
            self.prefill_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)

        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter files by any column…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setAccessibleName("Filter files")
        self.model = FileTableModel()
        # Filtering 100,000 rows takes tens of milliseconds: do it once typing pauses, not per keystroke.
        self.filter_timer = QTimer(self, singleShot=True, interval=FILTER_DELAY_MS)
        self.filter_timer.timeout.connect(lambda: self.model.set_filter(self.filter_edit.text()))
        self.filter_edit.textChanged.connect(self.filter_timer.start)
        self.model.attribute_edited.connect(self._on_model_attribute_edited)
        self.thumbnails = ThumbnailLoader(self, disk_cache=default_disk_cache())
        self.thumbnails.thumbnails_ready.connect(self._on_thumbnails_ready)
        self.model.thumbnails = self.thumbnails
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setUndoLimit(UNDO_LIMIT)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COL_PATH, Qt.SortOrder.AscendingOrder)
        self.table.setIconSize(QSize(DISPLAY_SIZE, DISPLAY_SIZE))
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._on_header_context_menu_requested)
        vertical = self.table.verticalHeader()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # never measures 100,000 rows
        vertical.setVisible(False)
        self._apply_column_widths()
        self._apply_row_height()
        self.table.setMinimumHeight(300)
        self.table.setAccessibleName("Files")
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._on_table_context_menu_requested)
        selection = self.table.selectionModel()
        assert selection is not None
        selection.currentRowChanged.connect(self._on_table_current_changed)
        self._add_table_actions()

        self.visible_timer = QTimer(self, singleShot=True, interval=40)
        self.visible_timer.timeout.connect(self._on_visible_timer_timeout)
        scroll = self.table.verticalScrollBar()
        if scroll is not None:
            scroll.valueChanged.connect(self.visible_timer.start)
        for signal in (
            self.model.modelReset,
            self.model.layoutChanged,
            self.model.rowsInserted,
            self.model.rowsRemoved,
        ):
            signal.connect(self.visible_timer.start)

        self.preview = PreviewPanel(size=PREVIEW_SIZE)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(8, 0, 0, 0)
        side_layout.addWidget(self.preview)
        split = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        tools = QHBoxLayout()
        tools.addWidget(self.filter_edit, 1)
        tools.addWidget(self.attribute_button)
        tools.addWidget(self.thumbnails_box)
        left_layout.addLayout(tools)
        left_layout.addWidget(self.table, 1)
        split.addWidget(left)
        split.addWidget(side)
        split.setStretchFactor(0, 1)
        split.setSizes([760, PREVIEW_SIZE + 20])

        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setObjectName("helpLabel")
        self.prefill_report = QLabel()
        self.prefill_report.setWordWrap(True)
        self.prefill_report.setTextFormat(Qt.TextFormat.RichText)
        self.prefill_report.setAccessibleName("What was filled in from the images")
        self.prefill_report.hide()
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        self.body_layout.addLayout(top)
        self.body_layout.addLayout(buttons)
        self.body_layout.addWidget(split, 1)
        self.body_layout.addLayout(progress_row)
        self.body_layout.addWidget(self.status)
        self.body_layout.addWidget(self.prefill_report)

        self._relay = _ProgressRelay(self)
        self._relay.reported.connect(self._on_relay_reported)
        self._cancel: threading.Event | None = None
        self._quiet_cancel: threading.Event | None = None
        self._busy = False
        self._label = ""
        self.last_prefill: PrefillResult | None = None
        self.last_applied: list[AppliedPrefill] = []

    # ------------------------------------------------------------ table set-up

    def _apply_column_widths(self) -> None:
        for column, width in (
            (COL_THUMBNAIL, DISPLAY_SIZE + 12),
            (COL_PATH, 240),
            (COL_DEPOSIT, 120),
            (COL_SIZE, 70),
            (COL_FORMAT, 80),
            (COL_DIMENSIONS, 150),
            (COL_MD5, 100),
        ):
            self.table.setColumnWidth(column, width)
        self.table.setColumnHidden(COL_THUMBNAIL, not self.thumbnails_box.isChecked())

    def _apply_row_height(self) -> None:
        text_height = self.fontMetrics().height() + 8
        height = max(text_height, DISPLAY_SIZE + 4) if self.thumbnails_box.isChecked() else text_height
        self.table.verticalHeader().setDefaultSectionSize(height)

    def _add_table_actions(self) -> None:
        self.undo_action = self.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = self.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcut(QKeySequence.StandardKey.Redo)
        self.set_attribute_action = QAction("Set attribute for the selected files…", self)
        self.set_attribute_action.triggered.connect(self._on_attribute_button_clicked)
        for action in (self.undo_action, self.redo_action):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.table.addAction(action)

    def _on_thumbnails_box_toggled(self, checked: bool) -> None:
        self.model.thumbnails = self.thumbnails if checked else None
        self.table.setColumnHidden(COL_THUMBNAIL, not checked)
        self._apply_row_height()
        self.thumbnails.set_paused(not checked)
        if not checked:
            self.thumbnails.keep_only(())

    # ------------------------------------------------------------ components

    def load(self, session: DraftSession) -> None:
        """Offer the session's components."""
        super().load(session)
        self._stop_quiet_probe()
        thaw()  # the previous draft's rows were frozen (see gc_pause); let the collector free them
        self.model.infos.clear()
        self.undo_stack.clear()
        self._fill_components()

    def showEvent(self, event) -> None:
        """Components may have been added or renamed: refresh on entry, and read headers not read yet."""
        if self.session is not None:
            self._fill_components()
        super().showEvent(event)
        if self._quiet_cancel is None:
            self._probe_missing()

    def hideEvent(self, event) -> None:
        """Another page is shown: stop reading headers nobody looks at (they are read when it comes back)."""
        self._stop_quiet_probe()
        super().hideEvent(event)

    def _fill_components(self) -> None:
        assert self.session is not None
        self.component_combo.fill(self.session.deposition.components)

    def component(self) -> StudyComponent | None:
        """The component whose files are shown."""
        if self.session is None:
            return None
        index = self.component_combo.component_index()
        components = self.session.deposition.components
        return components[index] if index is not None and index < len(components) else None

    def _on_component_combo_changed(self, _index: int) -> None:
        component = self.component()
        files = component.files if component is not None else []
        if files is not self.model.files:
            self._stop_quiet_probe()
            self.undo_stack.clear()
            self.model.set_files(files)
            self.preview.clear()
            self.prefill_report.hide()
            self._probe_missing()
        self._update_enabled()
        self._summarise()
        if self.session is not None:
            self.show_problems(self.session.problems)

    def _update_enabled(self) -> None:
        component = self.component()
        for widget in (
            self.add_folder_button,
            self.add_files_button,
            self.remove_button,
            self.fix_button,
            self.checksum_button,
            self.prefill_button,
            self.attribute_button,
        ):
            widget.setEnabled(component is not None and not self._busy)
        self.table.setEnabled(component is not None)
        if component is not None:
            empiar = component.archive == "EMPIAR"
            self.prefill_button.setToolTip(
                "Fill the EMPIAR image sets (size, pixel spacing, voxel type, formats) and the image acquisition "
                "from the file headers; only empty fields are filled."
                if empiar
                else "Fill the image acquisition (instrument, pixel size, channels, dimensions) from the files' "
                "metadata; only empty fields are filled."
            )

    def _summarise(self, total: int | None = None, hashed: int | None = None) -> None:
        component = self.component()
        if component is None:
            self.status.setText("Add a study component first (previous page).")
            return
        files = component.files
        if not files:
            self.status.setText("No files yet: drop a folder here or press “Add folder…”.")
            return
        if total is None:
            total = sum([entry.size_bytes or 0 for entry in files])
        if hashed is None:
            hashed = sum([1 for entry in files if entry.md5])
        self.status.setText(f"{len(files)} file(s), {human_bytes(total)}; checksums for {hashed}.")

    # ------------------------------------------------------------ background work

    def _start(self, label: str) -> threading.Event:
        self._stop_quiet_probe()
        self._busy = True
        self._label = label
        self._cancel = threading.Event()
        self.progress.setRange(0, 0)
        self.progress.setFormat(label)
        self.progress.show()
        self.cancel_button.show()
        self._update_enabled()
        return self._cancel

    def _finish(self, message: str, *, touch: bool = True) -> None:
        self._busy = False
        self._cancel = None
        self.progress.hide()
        self.cancel_button.hide()
        self._update_enabled()
        self.status.setText(message)
        if touch and self.session is not None:
            self.session.touch()

    def busy(self) -> bool:
        """Whether a scan, probe or checksum run is in progress."""
        return self._busy

    def cancel(self) -> None:
        """Stop the running scan, header reading or checksum run at the next file."""
        if self._cancel is not None:
            self._cancel.set()
        self._stop_quiet_probe()

    def _reporter(self) -> Callable[[Progress], None]:
        relay = self._relay
        return lambda progress: relay.reported.emit(progress)

    def _on_relay_reported(self, progress: Progress) -> None:
        if not self._busy:
            return
        fraction = progress.fraction
        if fraction is not None:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(fraction * 1000))
        self.progress.setFormat(f"{self._label}: {progress.done}/{progress.total or '?'} — {progress.current[-60:]}")

    def _on_failed(self, error: BaseException) -> None:
        log.error("image data task failed", exc_info=error)
        self._finish(f"That did not work: {error}", touch=False)

    # ------------------------------------------------------------ adding files

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        """Accept dropped files and folders."""
        mime = event.mimeData()
        if mime is not None and mime.hasUrls() and self.component() is not None and not self._busy:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        """Scan what was dropped."""
        mime = event.mimeData()
        if mime is None:
            return
        paths = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.add_paths(paths)

    def _on_add_folder_button_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of images", str(Path.home()))
        if folder:
            self.add_paths([folder])

    def _on_add_files_button_clicked(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Add image files", str(Path.home()))
        if files:
            self.add_paths(files)

    def add_paths(self, paths: list[str]) -> None:
        """Scan files and folders in the background and add what they hold to the component."""
        component = self.component()
        if component is None or self._busy:
            return
        cancel = self._start("Scanning")
        reporter = self._reporter()
        existing = list(component.files)  # a snapshot: the list is not edited while the page is busy

        def work() -> _ScanOutcome:
            with collector_paused():  # a full collection in mid-scan would hold the UI thread for ~0.5 s
                result = scan_paths(paths, progress=reporter, cancel=cancel)
                known = {entry.source for entry in existing}
                fresh = [entry for entry in result.entries if entry.source not in known]
                total = sum(e.size_bytes or 0 for e in existing) + sum(e.size_bytes or 0 for e in fresh)
                hashed = sum(1 for entry in existing if entry.md5)
                outcome = _ScanOutcome(result, fresh, total, hashed, len(existing))
                freeze_survivors()  # the new rows live as long as the draft
            return outcome

        run_in_background(work, lambda outcome: self._on_scanned(component, outcome), self._on_failed)

    def _on_scanned(self, component: StudyComponent, outcome: _ScanOutcome) -> None:
        result, fresh = outcome.result, outcome.fresh
        start = len(component.files)
        component.files.extend(fresh)
        if component.files is self.model.files:
            if start == outcome.start:
                self.model.files_appended(start, outcome.path_order, outcome.columns)
            else:  # the list changed meanwhile (it should not): let the model work it out
                self.model.files_appended(start)
        notes = [f"Added {len(fresh)} file(s)."]
        if len(fresh) < len(result.entries):
            notes.append(f"{len(result.entries) - len(fresh)} were already in the list.")
        if result.clutter_skipped:
            notes.append(f"Skipped {result.clutter_skipped} system file(s) such as .DS_Store.")
        if result.problems:
            notes.append(f"{len(result.problems)} could not be read: {result.problems[0].message}")
        if result.cancelled:
            notes.append("The scan was cancelled; what was found so far is listed.")
        self._finish(" ".join(notes))
        self.status.setText(
            f"{' '.join(notes)} {len(component.files)} file(s), {human_bytes(outcome.total_bytes)} in the list."
        )
        self._probe(outcome.sources)

    def _probe(self, sources: list[str], then: Callable[[], None] | None = None, *, quiet: bool = False) -> None:
        """Read format and dimensions of files in the background (headers only), a slice at a time.

        Each task reads headers for :data:`PROBE_SLICE_S` seconds and returns
        what it found; the next slice is queued behind any preview or
        thumbnail asked for meanwhile, so those never wait for all the files.
        A ``quiet`` run (filling in the columns of a reopened draft) shows no
        progress and keeps every button usable; any other job stops it.
        """
        self._stop_quiet_probe()
        if not sources:
            if then is not None:
                then()
            return
        if quiet:
            cancel = self._quiet_cancel = threading.Event()
        else:
            cancel = self._start("Reading image headers")
        relay = self._relay
        total = len(sources)
        state = {"unreadable": 0}

        def work(start: int) -> tuple[int, dict[str, ImageInfo]]:
            found: dict[str, ImageInfo] = {}
            deadline = time.monotonic() + PROBE_SLICE_S
            index = start
            with collector_paused():
                while index < total and not cancel.is_set():
                    found[sources[index]] = probe(sources[index])
                    index += 1
                    if time.monotonic() >= deadline:
                        break
                if len(found) > 1000:
                    freeze_survivors()
            if not quiet:
                relay.reported.emit(Progress(index, total, 0, None, sources[index - 1] if index else ""))
            return index, found

        def on_slice(outcome: tuple[int, dict[str, ImageInfo]]) -> None:
            reached, found = outcome
            if found and not (quiet and cancel.is_set()):
                self.model.infos.update(found)
                self.model.infos_updated(found)
            state["unreadable"] += sum(1 for info in found.values() if info.error)
            if reached < total and not cancel.is_set() and self.session is not None:
                run_in_background(lambda: work(reached), on_slice, on_failed)
                return
            if quiet:
                if self._quiet_cancel is cancel:
                    self._quiet_cancel = None
                return
            message = f"Read the headers of {reached} file(s)."
            if state["unreadable"]:
                message += f" {state['unreadable']} could not be read as images (see the Format column's tooltip)."
            if reached < total:
                message += f" Stopped before the other {total - reached}."
            self._finish(message, touch=False)
            if then is not None and reached == total:
                then()

        def on_failed(error: BaseException) -> None:
            if quiet:
                log.error("reading image headers failed", exc_info=error)
                if self._quiet_cancel is cancel:
                    self._quiet_cancel = None
            else:
                self._on_failed(error)

        run_in_background(lambda: work(0), on_slice, on_failed)

    def _stop_quiet_probe(self) -> None:
        if self._quiet_cancel is not None:
            self._quiet_cancel.set()
            self._quiet_cancel = None

    def _probe_missing(self) -> None:
        """Fill the Format and Dimensions columns of files read in an earlier session (quietly)."""
        component = self.component()
        if component is None or self._busy or not self.isVisible():
            return
        infos = self.model.infos
        missing = [entry.source for entry in component.files if entry.source and entry.source not in infos]
        if missing:
            self._probe(missing, quiet=True)

    def remove_selected(self) -> None:
        """Take the selected files out of the list (the files themselves stay on disk)."""
        component = self.component()
        if component is None or self._busy:
            return
        gone = set(self.selected_file_indexes())
        if not gone:
            return
        component.files[:] = [entry for i, entry in enumerate(component.files) if i not in gone]
        self.undo_stack.clear()  # the removed files' edits can no longer be undone in place
        self.model.refresh()
        self.preview.clear()
        self._finish(f"Removed {len(gone)} file(s) from the list; nothing was deleted from disk.")

    def selected_file_indexes(self) -> list[int]:
        """Indexes (in the component's list) of the selected files."""
        selection = self.table.selectionModel()
        rows = selection.selectedRows() if selection is not None else []
        return sorted({self.model.file_index(index.row()) for index in rows})

    # ------------------------------------------------------------ attributes

    def _after_attribute_edit(self) -> None:
        self.model.entries_changed()
        if self.session is not None:
            self.session.touch()

    def set_attribute(self, file_indexes: Sequence[int], column: str, value: str) -> None:
        """Give the files at ``file_indexes`` ``value`` in ``column`` (undoable)."""
        component = self.component()
        if component is None or not file_indexes:
            return
        entries = [component.files[i] for i in file_indexes]
        self.undo_stack.push(SetAttributeCommand(entries, column, value, self._after_attribute_edit))
        self.status.setText(f"Set “{column}” for {len(entries)} file(s). Press Ctrl+Z in the table to undo.")

    def remove_attribute_column(self, column: str) -> None:
        """Remove an attribute column from every file (undoable)."""
        component = self.component()
        if component is not None:
            self.undo_stack.push(RemoveColumnCommand(component.files, column, self._after_attribute_edit))
            self.status.setText(f"Removed the column “{column}”. Press Ctrl+Z in the table to undo.")

    def rename_attribute_column(self, old: str, new: str) -> None:
        """Rename an attribute column in every file (undoable); ``new`` must be checked already."""
        component = self.component()
        if component is not None:
            self.undo_stack.push(RenameColumnCommand(component.files, old, new, self._after_attribute_edit))

    def _on_model_attribute_edited(self, file_index: int, column: str, value: str) -> None:
        self.set_attribute([file_index], column, value)

    def _on_attribute_button_clicked(self) -> None:
        component = self.component()
        if component is None:
            return
        chosen = self.selected_file_indexes()
        if not chosen:
            self.status.setText("Select the files first (click, Shift+click, Ctrl+A), then set their attribute.")
            return
        current = self.table.currentIndex()
        column = self.model.attribute_name(current.column()) if current.isValid() else None
        dialog = AttributeDialog(self.model.attribute_names, len(chosen), self, column=column)
        if dialog.exec() == QDialog.DialogCode.Accepted and not dialog.problem_text():
            self.set_attribute(chosen, dialog.column(), dialog.value())

    def _on_header_context_menu_requested(self, position: QPoint) -> None:
        header = self.table.horizontalHeader()
        column = header.logicalIndexAt(position)
        name = self.model.attribute_name(column)
        menu = QMenu(self)
        add = menu.addAction("Add a column for every file…")
        rename = remove = None
        if name is not None:
            rename = menu.addAction(f"Rename “{name}”…")
            remove = menu.addAction(f"Remove the column “{name}”")
        chosen = menu.exec(header.mapToGlobal(position))
        component = self.component()
        if chosen is None or component is None:
            return
        if chosen is add:
            dialog = AttributeDialog(self.model.attribute_names, len(component.files), self, column="")
            if dialog.exec() == QDialog.DialogCode.Accepted and not dialog.problem_text():
                self.set_attribute(list(range(len(component.files))), dialog.column(), dialog.value())
        elif chosen is rename and name is not None:
            rename_dialog = ColumnNameDialog(self.model.attribute_names, name, self)
            if rename_dialog.exec() == QDialog.DialogCode.Accepted and not rename_dialog.problem_text():
                self.rename_attribute_column(name, rename_dialog.name())
        elif chosen is remove and name is not None:
            self.remove_attribute_column(name)

    def _on_table_context_menu_requested(self, position: QPoint) -> None:
        menu = QMenu(self)
        menu.addAction(self.set_attribute_action)
        menu.addSeparator()
        menu.addAction(self.undo_action)
        menu.addAction(self.redo_action)
        menu.addSeparator()
        remove = menu.addAction("Remove the selected files from the list")
        viewport = self.table.viewport()
        chosen = menu.exec(viewport.mapToGlobal(position) if viewport is not None else position)
        if chosen is remove:
            self.remove_selected()

    # ------------------------------------------------------------ thumbnails

    def visible_rows(self) -> range:
        """The table rows on screen now."""
        viewport = self.table.viewport()
        count = self.model.rowCount()
        if viewport is None or count == 0:
            return range(0)
        first = self.table.rowAt(0)
        last = self.table.rowAt(viewport.height() - 1)
        first = 0 if first < 0 else first
        last = count - 1 if last < 0 else last
        return range(first, last + 1)

    def _on_visible_timer_timeout(self) -> None:
        if not self.thumbnails_box.isChecked():
            return
        rows = self.visible_rows()
        if not rows:
            self.thumbnails.keep_only(())
            return
        margin = range(max(0, rows.start - THUMBNAIL_MARGIN), min(self.model.rowCount(), rows.stop + THUMBNAIL_MARGIN))
        wanted = []
        for row in margin:
            entry = self.model.entry(row)
            if entry is not None:
                wanted.append(entry.source)
        self.thumbnails.keep_only(wanted)

    def _on_thumbnails_ready(self) -> None:
        rows = self.visible_rows()
        if rows:
            self.model.thumbnails_updated(rows.start, rows.stop - 1)

    # ------------------------------------------------------------ names and checksums

    def _on_fix_button_clicked(self) -> None:
        component = self.component()
        if component is None:
            return
        proposals = propose_fixes(component.files, component.archive)
        if not proposals:
            self.status.setText(f"Every name is already accepted by {component.archive}.")
            return
        sample = "\n".join(f"{p.path}  →  {p.proposed}" for p in proposals[:8])
        more = f"\n… and {len(proposals) - 8} more" if len(proposals) > 8 else ""
        answer = QMessageBox.question(
            self,
            "Fix file names",
            f"{len(proposals)} name(s) would be rejected by {component.archive}. Deposit them as:\n\n{sample}{more}\n\n"
            "Your files keep their names; only the deposition uses the fixed ones.",
            QMessageBox.StandardButton.Apply | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Apply,
        )
        if answer == QMessageBox.StandardButton.Apply:
            self.apply_name_fixes()

    def apply_name_fixes(self) -> int:
        """Set the fixed names the archive accepts; return how many files got one."""
        component = self.component()
        if component is None:
            return 0
        proposals = propose_fixes(component.files, component.archive)
        component.files[:] = apply_fixes(component.files, proposals)
        self.undo_stack.clear()  # the rows are new objects now
        self.model.entries_changed()
        self._finish(f"{len(proposals)} file(s) will be deposited under a fixed name.")
        return len(proposals)

    def compute_checksums(self) -> None:
        """MD5 of every file, in the background, reusing the cache of earlier runs."""
        component = self.component()
        if component is None or self._busy or not component.files:
            return
        cancel = self._start("Checksums")
        reporter = self._reporter()
        sources = [entry.source for entry in component.files if entry.source]

        def work() -> Any:
            with ChecksumCache() as cache:
                return compute_checksums(sources, cache=cache, progress=reporter, cancel=cancel)

        run_in_background(work, lambda report: self._on_checksummed(component, report), self._on_failed)

    def _on_checksummed(self, component: StudyComponent, report: Any) -> None:
        component.files[:] = apply_checksums(component.files, report)
        self.undo_stack.clear()
        if component.files is self.model.files:
            self.model.entries_changed()
        message = f"Checksums: {report.hashed_files} computed, {report.cached_files} from earlier runs."
        if report.problems:
            message += f" {len(report.problems)} problem(s): {report.problems[0].message}"
        if report.cancelled:
            message += " Cancelled; the finished ones are kept and the rest resume next time."
        self._finish(message)

    # ------------------------------------------------------------ preview

    def _on_table_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        entry: FileEntry | None = self.model.entry(current.row())
        if entry is None or not entry.source:
            return
        if entry.source != self.preview.source:
            self.preview.show_file(entry.source, self.model.infos.get(entry.source))

    # ------------------------------------------------------------ prefill

    def prefill_from_images(self) -> None:
        """Fill empty Image acquisition (and, for EMPIAR, image-set) fields from the files' metadata.

        Files whose headers were not read yet are read first, in the background.
        """
        component = self.component()
        if component is None or self.session is None or self._busy:
            return
        missing = [e.source for e in component.files if e.source and e.source not in self.model.infos]
        self._probe(missing, then=lambda: self._apply_prefill(component))

    def _apply_prefill(self, component: StudyComponent) -> None:
        if self.session is None or component not in self.session.deposition.components:
            return
        deposition = self.session.deposition
        infos = self.model.infos
        probes = [infos[e.source] for e in component.files if e.source in infos]
        applied: list[AppliedPrefill] = []
        notes: list[str] = []
        acquisitions = {a.id: a for a in deposition.acquisitions}
        target = next((acquisitions[ref] for ref in component.acquisition_ids if ref in acquisitions), None)
        if target is not None:
            applied.append(prefill_acquisition_into(deposition, target, probes))
        elif component.archive != "EMPIAR":
            notes.append(
                "This component has no image acquisition to fill in yet (link one on the Study components page)."
            )
        if component.archive == "EMPIAR":
            plan = plan_empiar_prefill(component)
            if plan.message:
                notes.append(plan.message)
            applied.extend(prefill_empiar_into(deposition, component, plan, infos))
            if plan.unplaced:
                notes.append(f"{plan.unplaced} file(s) are in no image set's folder and were not used.")
        self.last_applied = applied
        self.last_prefill = PrefillResult(
            conflicts=tuple(c for a in applied for c in a.conflicts),
            skipped=tuple(s for a in applied for s in a.skipped),
        )
        self._show_prefill_report(applied, notes)
        if any(a.filled for a in applied):
            self.session.touch()

    def _show_prefill_report(self, applied: list[AppliedPrefill], notes: list[str]) -> None:
        lines: list[str] = []
        filled_any = False
        for item in applied:
            if item.filled:
                filled_any = True
                fields = ", ".join(name.replace("_", " ") for name in item.filled)
                lines.append(
                    f"<b>Filled in</b> for {_escape(item.target)}: {_escape(fields)}. They are marked "
                    "“from the image files” until you confirm or edit them."
                )
            for name, mine, theirs in item.kept[:4]:
                lines.append(
                    f"Kept your {_escape(name.replace('_', ' '))} for {_escape(item.target)} "
                    f"(“{_escape(_short(mine))}”; the files say “{_escape(_short(theirs))}”)."
                )
            for conflict in item.conflicts:
                lines.append(
                    f"<span style='color:#b26a00'>⚠ Files disagree</span> ({_escape(item.target)}): "
                    f"{_conflict_text(conflict)} Left empty for you to decide."
                )
            if item.skipped:
                name, reason = file_name(item.skipped[0][0]), item.skipped[0][1].rstrip(".")
                lines.append(
                    f"{len(item.skipped)} file(s) could not be read and were not used "
                    f"(e.g. {_escape(name)}: {_escape(reason)})."
                )
        lines.extend(_escape(note) for note in notes)
        if not filled_any and not any(item.conflicts for item in applied):
            lines.insert(0, "Nothing to fill in: the fields already have text, or the files carry no such metadata.")
        self.prefill_report.setText("<br>".join(lines))
        self.prefill_report.setVisible(bool(lines))
        self.status.setText(
            "Filled in from the images; see below."
            if filled_any
            else "Nothing was filled in from the images; see below."
        )

    # ------------------------------------------------------------ problems

    def own_problems(self, problems: list[Problem]) -> list[Problem]:
        """File-list problems of every component belong here."""
        return [
            p for p in problems if len(p.location) > 2 and p.location[0] == "components" and p.location[2] == "files"
        ]

    def update_problems(self, problems: list[Problem]) -> None:
        """Show file problems but never hold Next: metadata may be drafted before the data exist.

        File problems still block the export, on the Review page.
        """
        self.show_problems(problems)
        if not self._complete:
            self._complete = True
            self.complete_changed.emit(True)

    def show_problems(self, problems: list[Problem]) -> None:
        """Show the current component's file problems above the table."""
        index = self.component_combo.component_index()
        mine = [p for p in problems if p.location[:3] == ("components", index, "files")]
        self.section_problems.show_problems(mine[:6])


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _short(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _conflict_text(conflict: Conflict) -> str:
    values = "; ".join(
        f"“{_escape(_short(v.value, 40))}” in {len(v.sources)} file{'s' if len(v.sources) != 1 else ''}"
        + (f" (e.g. {_escape(file_name(v.sources[0]))})" if v.sources else "")
        for v in conflict.values[:4]
    )
    more = f"; and {len(conflict.values) - 4} other values" if len(conflict.values) > 4 else ""
    return f"{_escape(conflict.aspect)}: {values}{more}."
