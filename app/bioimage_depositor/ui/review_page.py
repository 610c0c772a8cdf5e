"""The Review page: every remaining problem, grouped by page, what will be deposited where, and Export.

Each problem is a link: activating it opens the page that edits that part of
the deposition and focuses the field. Export writes the deposition package
into a folder of the user's choice (the embedded default destination: no
archive account is needed), from a snapshot of the draft, in the background.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from ..domain import flow
from ..domain.draft_file import parse_draft, serialise_draft
from ..domain.exports.package import ExportError, ExportResult, context_for_draft, export_package
from ..domain.exports.package_checks import PackageCheck, check_package
from ..domain.problems import Problem
from .background import run_in_background
from .draft_session import DraftSession
from .page_base import WizardPage

_LOCATION_ROLE = Qt.ItemDataRole.UserRole + 1
log = logging.getLogger(__name__)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def package_folder_name(draft_name: str) -> str:
    """A safe folder name for a draft's package: 'Spindle imaging' -> 'Spindle-imaging-package'."""
    stem = re.sub(r"[^0-9A-Za-z._-]+", "-", draft_name).strip("-._") or "deposition"
    return f"{stem[:60]}-package"


class ReviewPage(WizardPage):
    """Lists remaining problems and summarises the deposition."""

    key = "review"
    sections = ()
    problem_activated = Signal(tuple)  # the problem's location

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "Review",
            "Everything that still needs attention, and what will go to which archive. "
            "Double-click a problem (or press Enter) to go to its field.",
            parent=parent,
        )
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.body_layout.addWidget(self.summary)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Problem", "Where"])
        self.tree.setColumnWidth(0, 620)
        self.tree.setAccessibleName("Remaining problems")
        self.tree.itemActivated.connect(self._on_tree_item_activated)
        self.body_layout.addWidget(self.tree, 1)
        self.export_button = QPushButton("&Export package…")
        self.export_button.setToolTip(
            "Write the files each archive takes (PageTab, RO-Crate, EMPIAR JSON, file lists, manifest) into a folder"
        )
        self.export_button.clicked.connect(self._on_export_button_clicked)
        self.export_status = QLabel()
        self.export_status.setWordWrap(True)
        self.export_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.export_status.setOpenExternalLinks(True)
        row = QHBoxLayout()
        row.addWidget(self.export_status, 1)
        row.addWidget(self.export_button)
        self.body_layout.addLayout(row)
        self.check_status = QLabel()
        self.check_status.setWordWrap(True)
        self.check_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body_layout.addWidget(self.check_status)
        self.last_export: ExportResult | None = None
        self.last_checks: list[PackageCheck] | None = None

    def load(self, session: DraftSession) -> None:
        """Show the session's deposition."""
        super().load(session)
        self.update_problems(session.problems)

    def update_problems(self, problems: list[Problem]) -> None:
        """Show every problem of the deposition (this page owns none, so it is always complete)."""
        super().update_problems(problems)
        self.show_problems(problems)

    def show_problems(self, problems: list[Problem]) -> None:
        """Rebuild the grouped problem list and the summary from all problems."""
        if self.session is None:
            return
        self._show_summary(problems)
        self.tree.clear()
        groups: dict[str, QTreeWidgetItem] = {}
        for problem in problems:
            title = flow.section_title(problem.location)
            group = groups.get(title)
            if group is None:
                group = QTreeWidgetItem(self.tree, [title, ""])
                group.setFirstColumnSpanned(True)
                group.setExpanded(True)
                groups[title] = group
            mark = "✖" if problem.blocking else "⚠"
            item = QTreeWidgetItem(group, [f"{mark} {problem.message}", problem.path])
            item.setToolTip(0, f"{problem.code}: {problem.message}")
            item.setData(0, _LOCATION_ROLE, problem.location)
        if not problems:
            QTreeWidgetItem(self.tree, ["✔ Nothing left to fix or consider.", ""])
        for title, group in groups.items():
            children = [group.child(i) for i in range(group.childCount())]
            errors = sum(1 for child in children if child is not None and child.text(0).startswith("✖"))
            group.setText(0, f"{title} — {errors} to fix, {group.childCount() - errors} to consider")

    # ------------------------------------------------------------ export

    def _on_export_button_clicked(self) -> None:
        if self.session is None:
            return
        parent = QFileDialog.getExistingDirectory(
            self, "Choose where to write the deposition package", str(Path.home())
        )
        if not parent:
            return
        target = Path(parent) / package_folder_name(self.session.name)
        overwrite = False
        if target.exists():
            answer = QMessageBox.question(
                self,
                "Replace the package?",
                f"{target} already exists. Replace it with a fresh export? Only an earlier package is replaced; "
                "any other folder is left alone.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
            overwrite = True
        self.export_to(target, overwrite=overwrite)

    def export_to(self, target: Path, *, overwrite: bool = False) -> None:
        """Export a snapshot of the draft into ``target`` in the background."""
        if self.session is None:
            return
        envelope = self.session.envelope
        data = serialise_draft(envelope)
        self.export_button.setEnabled(False)
        self.export_status.setText(f"Exporting to {target}…")

        def work() -> ExportResult:
            snapshot = parse_draft(data, "export snapshot")
            return export_package(
                snapshot.deposition, target, context_for_draft(snapshot.modified), overwrite=overwrite
            )

        run_in_background(work, self._on_exported, self._on_export_failed)

    def _on_exported(self, result: ExportResult) -> None:
        self.last_export = result
        self.export_button.setEnabled(True)
        url = QUrl.fromLocalFile(str(result.path)).toString()
        self.export_status.setText(
            f"Exported {len(result.files)} files to <a href='{url}'>{result.path}</a>. "
            "Read SUMMARY.md there for what goes where."
        )
        self.last_checks = None
        self.check_status.setText("Checking the package with the archives' own validators…")
        run_in_background(lambda: check_package(result.path), self._on_package_checked, self._on_package_check_failed)

    def _on_package_checked(self, checks: list[PackageCheck]) -> None:
        self.last_checks = checks
        lines = []
        for check in checks:
            mark = "✔" if check.ok else ("•" if not check.available else "✖")
            lines.append(f"{mark} {_escape(check.summary)}")
            lines.extend(f"&nbsp;&nbsp;&nbsp;– {_escape(message)}" for message in check.messages[:5] if check.available)
        self.check_status.setText("<br>".join(lines) or "Nothing in this package has an archive validator.")

    def _on_package_check_failed(self, error: BaseException) -> None:
        log.error("package check failed", exc_info=error)
        self.last_checks = []
        self.check_status.setText(f"The validators could not be run: {_escape(str(error))}")

    def _on_export_failed(self, error: BaseException) -> None:
        self.export_button.setEnabled(True)
        if isinstance(error, ExportError):
            message = str(error) or error.code
        elif isinstance(error, OSError):
            message = f"The folder could not be written: {error.strerror or error}."
        else:
            log.error("export failed", exc_info=error)
            message = f"Unexpected error: {error}. Details are in the log."
        self.export_status.setText(f"<span style='color:#c62828'>Export failed: {message}</span>")

    def _show_summary(self, problems: list[Problem]) -> None:
        assert self.session is not None
        deposition = self.session.deposition
        errors = sum(p.blocking for p in problems)
        lines = []
        if errors:
            lines.append(f"<b>{errors} problem(s) must be fixed</b> before the deposition can be exported.")
        else:
            lines.append("<b>No blocking problems.</b> The deposition can be exported.")
        self.export_button.setEnabled(not errors)
        by_archive: dict[str, list[str]] = {}
        for component in deposition.components:
            files = len(component.files)
            by_archive.setdefault(component.archive, []).append(
                f"{component.name or '(unnamed component)'} — {files} file(s)"
            )
        if by_archive:
            for archive, names in sorted(by_archive.items()):
                archive_name = "BioImage Archive" if archive == "BIA" else "EMPIAR"
                lines.append(f"<b>{archive_name}</b>: " + "; ".join(names))
        else:
            lines.append("No study components yet: nothing will be deposited until one is added.")
        self.summary.setText("<br>".join(lines))

    def _on_tree_item_activated(self, item: QTreeWidgetItem, _column: int) -> None:
        location = item.data(0, _LOCATION_ROLE)
        if location is not None:
            self.problem_activated.emit(tuple(location))
