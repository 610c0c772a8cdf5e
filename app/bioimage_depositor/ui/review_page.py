"""The Review page: every remaining problem, grouped by page, what will be deposited where, and Export.

Each problem is a link: activating it opens the page that edits that part of
the deposition and focuses the field. Export writes the deposition package
into a folder of the user's choice (the embedded default destination: no
archive account is needed), from a snapshot of the draft, in the background.
Then the archives' own validators check the package, also in the background
(the BIA's takes seconds to minutes), and their messages join the list, each
at the field it concerns (:mod:`.validator_messages`).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from ..domain import flow
from ..domain.deposition import Deposition
from ..domain.draft_file import parse_draft, serialise_draft
from ..domain.exports.base import ExportContext
from ..domain.exports.check_locations import LocatedCheck, locate_checks
from ..domain.exports.package import (
    ExportError,
    ExportResult,
    context_for_draft,
    empty_file_list_problems,
    export_package,
)
from ..domain.exports.package_checks import PackageCheck, check_package
from ..domain.problems import Problem
from .background import run_in_background
from .draft_session import DraftSession
from .page_base import WizardPage
from .validator_messages import LOCATION_ROLE, add_validator_group, field_problems, problem_item

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
    package_exported = Signal(str)  # the folder of a package just written (the Upload page sends it)

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
        header = self.tree.header()
        header.setStretchLastSection(False)  # the message takes the room; "Where" is as wide as its paths
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.setAccessibleName("Remaining problems")
        self.tree.itemActivated.connect(self._on_tree_item_activated)
        self.tree.currentItemChanged.connect(self._on_tree_current_item_changed)
        self.body_layout.addWidget(self.tree, 1)
        # The whole of the selected row: validator messages are often longer than the column.
        self.problem_details = QLabel()
        self.problem_details.setWordWrap(True)
        self.problem_details.setTextFormat(Qt.TextFormat.RichText)
        self.problem_details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem_details.setAccessibleName("Selected problem")
        self.body_layout.addWidget(self.problem_details)
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
        self.validator_results: list[LocatedCheck] | None = None  # the last export's checks, located in the draft
        self._validator_note = ""
        self._check_generation = 0
        self._problems: list[Problem] = []

    def load(self, session: DraftSession) -> None:
        """Show the session's deposition (and forget the export and checks of a previous draft)."""
        if session is not self.session:
            self._check_generation += 1  # checks still running belong to the previous draft: drop them
            self.last_export = None
            self.last_checks = None
            self.validator_results = None
            self.export_status.setText("")
            self.check_status.setText("")
            self.problem_details.setText("")
        super().load(session)
        self.update_problems(session.problems)

    def update_problems(self, problems: list[Problem]) -> None:
        """Show every problem of the deposition (this page owns none, so it is always complete).

        Adds an empty BIA file list (:func:`~..domain.exports.package.empty_file_list_problems`),
        which only the package refuses, so Export is not offered for it. (The other export check, a
        file where a scene goes, walks every path: it is left to the export itself, which says so.)
        """
        super().update_problems(problems)
        if self.session is not None:
            problems = [*problems, *empty_file_list_problems(self.session.deposition)]
        self.show_problems(problems)

    def show_problems(self, problems: list[Problem]) -> None:
        """Rebuild the grouped problem list and the summary from all problems and the last validator run."""
        if self.session is None:
            return
        self._problems = problems
        self._show_summary(problems)
        current = self.tree.currentItem()
        selected = (current.text(0), current.text(1)) if current is not None else None
        self.tree.clear()
        groups: dict[str, QTreeWidgetItem] = {}
        validated = field_problems(self.validator_results or [])
        note = f" ({self._validator_note}; export again after changes to re-check)"
        for problem, from_validator in [(p, False) for p in problems] + [(p, True) for p in validated]:
            title = flow.section_title(problem.location)
            group = groups.get(title)
            if group is None:
                group = QTreeWidgetItem(self.tree, [title, ""])
                group.setFirstColumnSpanned(True)
                group.setExpanded(True)
                groups[title] = group
            problem_item(group, problem, from_validator=from_validator, note=note)
        if not problems and not validated:
            QTreeWidgetItem(self.tree, ["✔ Nothing left to fix or consider.", ""])
        for title, group in groups.items():
            children = [group.child(i) for i in range(group.childCount())]
            errors = sum(1 for child in children if child is not None and child.text(0).startswith("✖"))
            group.setText(0, f"{title} — {errors} to fix, {group.childCount() - errors} to consider")
        if self.validator_results is not None:
            add_validator_group(self.tree, self.validator_results, self._validator_note)
        if selected is not None:  # the list is rebuilt after every edit: keep the reader's place
            again = next(
                (
                    item
                    for item in self.tree.findItems(
                        selected[0], Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive
                    )
                    if item.text(1) == selected[1]
                ),
                None,
            )
            if again is not None:
                self.tree.setCurrentItem(again)

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

        def work() -> tuple[ExportResult, Deposition, ExportContext]:
            snapshot = parse_draft(data, "export snapshot")
            ctx = context_for_draft(snapshot.modified)
            return export_package(snapshot.deposition, target, ctx, overwrite=overwrite), snapshot.deposition, ctx

        generation = self._check_generation  # a draft opened meanwhile must not show this export as its own

        def exported(outcome: tuple[ExportResult, Deposition, ExportContext]) -> None:
            if generation == self._check_generation:
                self._on_exported(outcome)

        def failed(error: BaseException) -> None:
            if generation == self._check_generation:
                self._on_export_failed(error)
            else:
                log.warning("export of a draft closed meanwhile failed: %s", error)

        run_in_background(work, exported, failed)

    def _on_exported(self, outcome: tuple[ExportResult, Deposition, ExportContext]) -> None:
        result, deposition, ctx = outcome
        self.last_export = result
        self.export_button.setEnabled(True)
        url = QUrl.fromLocalFile(str(result.path)).toString()
        self.export_status.setText(
            f"Exported {len(result.files)} files to <a href='{url}'>{result.path}</a>. "
            "Read SUMMARY.md there for what goes where; Next sends it."
        )
        self.package_exported.emit(str(result.path))
        self.check_package_at(result.path, deposition, ctx)

    def check_package_at(self, package: Path, deposition: Deposition, ctx: ExportContext) -> None:
        """Run the archives' validators on an exported package in the background and list their messages.

        Parameters
        ----------
        package
            The package folder.
        deposition, ctx
            The snapshot it was exported from and its context, to place each message at its field.
        """
        self._check_generation += 1
        generation = self._check_generation
        self.last_checks = None
        self.check_status.setText(
            "Checking the package with the archives' own validators (the BIA's takes a while on large lists)…"
        )
        note = f"package at {package}, checked {dt.datetime.now():%H:%M}"

        def work() -> tuple[list[PackageCheck], list[LocatedCheck]]:
            checks = check_package(package)
            return checks, locate_checks(deposition, ctx, checks)

        def done(outcome: tuple[list[PackageCheck], list[LocatedCheck]]) -> None:
            if generation == self._check_generation:  # else a newer export's checks are coming
                self._on_package_checked(outcome, note)

        def failed(error: BaseException) -> None:
            if generation == self._check_generation:
                self._on_package_check_failed(error)

        run_in_background(work, done, failed)

    def _on_package_checked(self, outcome: tuple[list[PackageCheck], list[LocatedCheck]], note: str) -> None:
        checks, located = outcome
        self.last_checks = checks
        self.validator_results = located
        self._validator_note = note
        lines = []
        for check in checks:
            mark = "✔" if check.ok else ("•" if not check.available else "✖")
            lines.append(f"{mark} {_escape(check.summary)}")
        if any(check.issues or not check.available for check in checks):
            lines.append("Their messages are listed above, each at the field it concerns where there is one.")
        self.check_status.setText("<br>".join(lines) or "Nothing in this package has an archive validator.")
        self.show_problems(self._problems)

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

    def _on_tree_current_item_changed(self, item: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None) -> None:
        if item is None or (item.childCount() and not item.text(1)):
            self.problem_details.setText("")
            return
        where = f" — {item.text(1)}" if item.text(1) else ""
        source = item.toolTip(1)
        self.problem_details.setText(
            f"{_escape(item.text(0))}{_escape(where)}" + (f"<br><small>{_escape(source)}</small>" if source else "")
        )

    def _on_tree_item_activated(self, item: QTreeWidgetItem, _column: int) -> None:
        location = item.data(0, LOCATION_ROLE)
        if location is not None:
            self.problem_activated.emit(tuple(location))
