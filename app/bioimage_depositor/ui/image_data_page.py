"""The Image data page: each component's files, checked, named, checksummed and previewed.

Folders and files are added with buttons or by dropping them on the page. The
scan, the image probe, checksums and previews all run in workers with visible
progress and a Cancel button; the page only shows their results. Names that
break the archive's rules get a proposed fixed name that is used in the
deposition while the user's files keep theirs. "Fill in from the images"
proposes Image acquisition text from the files' own metadata and says where
files disagree instead of choosing for the user.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..domain.deposition import FileEntry, StudyComponent
from ..domain.filelist.checksum_cache import ChecksumCache
from ..domain.filelist.checksums import apply_checksums, compute_checksums
from ..domain.filelist.naming import apply_fixes, propose_fixes
from ..domain.filelist.progress import Progress
from ..domain.filelist.scan import scan_paths
from ..domain.images.errors import ImageReadError
from ..domain.images.model import ImageInfo
from ..domain.images.prefill import PrefillResult, prefill_acquisition
from ..domain.images.preview import render_preview
from ..domain.images.preview_types import PreviewImage
from ..domain.images.probe import probe
from ..domain.problems import Problem
from .background import run_in_background
from .component_combo import ComponentCombo
from .draft_session import DraftSession
from .file_table import FileTableModel, human_size
from .page_base import WizardPage

log = logging.getLogger(__name__)
PREVIEW_SIZE = 360


class _ProgressRelay(QObject):
    """Carries progress reports from a worker to the UI thread (queued signal)."""

    reported = Signal(object)


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
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.hide()
        self.add_folder_button.clicked.connect(self._on_add_folder_button_clicked)
        self.add_files_button.clicked.connect(self._on_add_files_button_clicked)
        self.remove_button.clicked.connect(self.remove_selected)
        self.fix_button.clicked.connect(self._on_fix_button_clicked)
        self.checksum_button.clicked.connect(self.compute_checksums)
        self.prefill_button.clicked.connect(self.prefill_from_images)
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
        self.model = FileTableModel()
        self.filter_edit.textChanged.connect(self.model.set_filter)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setColumnWidth(0, 300)
        self.table.setColumnWidth(1, 200)
        self.table.verticalHeader().setVisible(False)
        self.table.setMinimumHeight(260)
        self.table.setAccessibleName("Files")
        selection = self.table.selectionModel()
        assert selection is not None
        selection.currentRowChanged.connect(self._on_table_current_changed)

        self.preview = QLabel("Select a file to see it.")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(PREVIEW_SIZE, PREVIEW_SIZE)
        self.preview.setWordWrap(True)
        self.preview_info = QLabel()
        self.preview_info.setObjectName("helpLabel")
        self.preview_info.setWordWrap(True)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(8, 0, 0, 0)
        side_layout.addWidget(self.preview)
        side_layout.addWidget(self.preview_info)
        side_layout.addStretch(1)
        split = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.filter_edit)
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
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        self.body_layout.addLayout(top)
        self.body_layout.addLayout(buttons)
        self.body_layout.addWidget(split, 1)
        self.body_layout.addLayout(progress_row)
        self.body_layout.addWidget(self.status)

        self._relay = _ProgressRelay(self)
        self._relay.reported.connect(self._on_relay_reported)
        self._cancel: threading.Event | None = None
        self._busy = False
        self._preview_generation = 0
        self.last_prefill: PrefillResult | None = None

    # ------------------------------------------------------------ components

    def load(self, session: DraftSession) -> None:
        """Offer the session's components."""
        super().load(session)
        self._fill_components()

    def showEvent(self, event) -> None:
        """Components may have been added or renamed: refresh on entry."""
        if self.session is not None:
            self._fill_components()
        super().showEvent(event)

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
        self.model.set_files(component.files if component is not None else [])
        for widget in (
            self.add_folder_button,
            self.add_files_button,
            self.remove_button,
            self.fix_button,
            self.checksum_button,
            self.prefill_button,
            self.table,
        ):
            widget.setEnabled(component is not None and not self._busy)
        self._summarise()
        if self.session is not None:
            self.show_problems(self.session.problems)

    def _summarise(self) -> None:
        component = self.component()
        if component is None:
            self.status.setText("Add a study component first (previous page).")
            return
        total = sum(entry.size_bytes or 0 for entry in component.files)
        hashed = sum(1 for entry in component.files if entry.md5)
        self.status.setText(
            f"{len(component.files)} file(s), {human_size(total)}; checksums for {hashed}."
            if component.files
            else "No files yet: drop a folder here or press “Add folder…”."
        )

    # ------------------------------------------------------------ background work

    def _start(self, label: str) -> threading.Event:
        self._busy = True
        self._cancel = threading.Event()
        self.progress.setRange(0, 0)
        self.progress.setFormat(label)
        self.progress.show()
        self.cancel_button.show()
        self._on_component_combo_changed(self.component_combo.currentIndex())
        return self._cancel

    def _finish(self, message: str) -> None:
        self._busy = False
        self._cancel = None
        self.progress.hide()
        self.cancel_button.hide()
        self._on_component_combo_changed(self.component_combo.currentIndex())
        self.model.refresh()
        self.status.setText(message)
        if self.session is not None:
            self.session.touch()

    def busy(self) -> bool:
        """Whether a scan, probe or checksum run is in progress."""
        return self._busy

    def cancel(self) -> None:
        """Stop the running scan or checksum run at the next file."""
        if self._cancel is not None:
            self._cancel.set()

    def _reporter(self) -> Callable[[Progress], None]:
        relay = self._relay
        return lambda progress: relay.reported.emit(progress)

    def _on_relay_reported(self, progress: Progress) -> None:
        if progress.total:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int((progress.fraction or 0.0) * 1000))
        label = self.progress.format().split(":")[0]
        self.progress.setFormat(f"{label}: {progress.done}/{progress.total or '?'} — {progress.current[-60:]}")

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
        run_in_background(
            lambda: scan_paths(paths, progress=reporter, cancel=cancel),
            lambda result: self._on_scanned(component, result),
            self._on_failed,
        )

    def _on_scanned(self, component: StudyComponent, result: Any) -> None:
        known = {entry.source for entry in component.files}
        fresh = [entry for entry in result.entries if entry.source not in known]
        component.files.extend(fresh)
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
        self._probe([entry.source for entry in fresh])

    def _probe(self, sources: list[str]) -> None:
        """Read format and dimensions of new files in the background (headers only)."""
        if not sources:
            return
        cancel = self._start("Reading image headers")
        relay = self._relay
        total = len(sources)

        def work() -> dict[str, ImageInfo]:
            found: dict[str, ImageInfo] = {}
            for done, source in enumerate(sources, start=1):
                if cancel.is_set():
                    break
                found[source] = probe(source)
                if done % 20 == 0 or done == total:
                    relay.reported.emit(Progress(done, total, 0, None, source))
            return found

        run_in_background(work, self._on_probed, self._on_failed)

    def _on_probed(self, found: dict[str, ImageInfo]) -> None:
        self.model.infos.update(found)
        unreadable = sum(1 for info in found.values() if info.error)
        message = f"Read the headers of {len(found)} file(s)."
        if unreadable:
            message += f" {unreadable} could not be read as images (see the Format column's tooltip)."
        self._finish(message)

    def remove_selected(self) -> None:
        """Take the selected files out of the list (the files themselves stay on disk)."""
        component = self.component()
        if component is None:
            return
        selection = self.table.selectionModel()
        chosen = selection.selectedRows() if selection is not None else []
        rows = sorted({self.model.file_index(index.row()) for index in chosen}, reverse=True)
        for row in rows:
            del component.files[row]
        if rows:
            self._finish(f"Removed {len(rows)} file(s) from the list; nothing was deleted from disk.")

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
        message = f"Checksums: {report.hashed_files} computed, {report.cached_files} from earlier runs."
        if report.problems:
            message += f" {len(report.problems)} problem(s): {report.problems[0].message}"
        if report.cancelled:
            message += " Cancelled; the finished ones are kept and the rest resume next time."
        self._finish(message)

    def _on_failed(self, error: BaseException) -> None:
        log.error("image data task failed", exc_info=error)
        self._finish(f"That did not work: {error}")

    # ------------------------------------------------------------ preview and prefill

    def _on_table_current_changed(self, current: Any, _previous: Any) -> None:
        entry: FileEntry | None = self.model.entry(current.row())
        if entry is None or not entry.source:
            return
        self._preview_generation += 1
        generation = self._preview_generation
        self.preview.setText("Loading preview…")
        source = entry.source
        run_in_background(
            lambda: render_preview(source, size=PREVIEW_SIZE),
            lambda image: self._on_previewed(generation, image),
            lambda error: self._on_preview_failed(generation, error),
        )

    def _on_previewed(self, generation: int, image: PreviewImage) -> None:
        if generation != self._preview_generation:
            return
        pixels = np.ascontiguousarray(image.pixels)
        height, width = pixels.shape[:2]
        qimage = QImage(pixels.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()
        self.preview.setPixmap(QPixmap.fromImage(qimage))
        details = [image.format] + [f"{axis} {size}" for axis, size in image.level_shape.items()]
        if image.z is not None:
            details.append(f"plane {image.z + 1} of {image.z_count}")
        if image.level:
            details.append(f"pyramid level {image.level}")
        self.preview_info.setText(" · ".join(details) + ("\n" + "\n".join(image.notes) if image.notes else ""))

    def _on_preview_failed(self, generation: int, error: BaseException) -> None:
        if generation != self._preview_generation:
            return
        self.preview.setPixmap(QPixmap())
        reason = error.message if isinstance(error, ImageReadError) else f"{error}"
        self.preview.setText(f"No preview: {reason}")
        self.preview_info.clear()

    def prefill_from_images(self) -> None:
        """Propose Image acquisition text from the files' metadata; fill only empty fields."""
        component = self.component()
        if component is None or self.session is None:
            return
        infos = [self.model.infos[e.source] for e in component.files if e.source in self.model.infos]
        result = prefill_acquisition(infos)
        self.last_prefill = result
        acquisitions = {a.id: a for a in self.session.deposition.acquisitions}
        target = next((acquisitions[ref] for ref in component.acquisition_ids if ref in acquisitions), None)
        filled = []
        if target is not None:
            for suggestion in result.suggestions:
                if hasattr(target, suggestion.field) and not getattr(target, suggestion.field):
                    setattr(target, suggestion.field, str(suggestion.value))
                    filled.append(suggestion.field.replace("_", " "))
        lines = []
        if filled:
            lines.append(
                f"Filled in from the images ({target.title if target else ''}): {', '.join(filled)}. "
                "Check them on the Image acquisition page."
            )
        elif target is None:
            lines.append("This component has no image acquisition to fill in yet.")
        else:
            lines.append("Nothing to fill in: the fields already have text, or the files carry no such metadata.")
        for conflict in result.conflicts:
            lines.append(f"Files disagree — {conflict.message}")
        self.status.setText(" ".join(lines))
        if filled:
            self.session.touch()

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
