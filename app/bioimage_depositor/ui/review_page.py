"""The Review page: every remaining problem, grouped by page, what will be deposited where, and Export.

Each problem is a link: activating it opens the page that edits that part of
the deposition and focuses the field. Export writes the deposition package
into a folder of the user's choice (the embedded default destination: no
archive account is needed), from a snapshot of the draft, in the background.
Then the archives' own validators check the package, also in the background
(the BIA's takes seconds to minutes), and their messages join the list, each
at the field it concerns (:mod:`.validator_messages`).

What only a package can get wrong (:func:`~..domain.exports.package.export_problems`: an
imported BigWarp / ec-CLEM file changed or gone since its import, a file where the scene goes,
landmarks that give no fiducial table) is checked too, before any export: in the background
whenever the page is shown and after each pause in editing while it is shown, since it reads and
hashes the user's files. Those problems join the list at their fields like the rules' own.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QShowEvent
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
    export_problems,
)
from ..domain.exports.package_checks import PackageCheck, check_package
from ..domain.problems import Problem
from .background import run_in_background
from .draft_session import DraftSession
from .page_base import WizardPage
from .validator_messages import LOCATION_ROLE, add_validator_group, field_problems, problem_item

log = logging.getLogger(__name__)


#: After an edit on the shown page, how long the page waits for a pause before checking the package files again.
PACKAGE_CHECK_DELAY_MS = 400
#: How long a check of the package files may run before the page says that it is checking.
PACKAGE_CHECK_NOTE_DELAY_MS = 500
#: The export problem the page finds on every edit itself (instant), so a background result never overrides it.
_INSTANT_CODES = frozenset({"bia.file_list.empty"})


def package_probe(deposition: Deposition) -> Deposition:
    """What :func:`export_problems` reads of ``deposition``, copied in about a millisecond on the UI thread.

    A full snapshot of a draft listing 100,000 files holds the window for a third of a second,
    so the file lists are copied as lists of the same entries: the check reads only their paths,
    and an edit made while it runs schedules a newer check whose result replaces this one. The
    correlations (whose imported files and landmarks are read) are small and copied whole.
    """
    return deposition.model_copy(
        update={
            "correlations": [correlation.model_copy(deep=True) for correlation in deposition.correlations],
            "components": [c.model_copy(update={"files": list(c.files)}) for c in deposition.components],
            "annotations": [a.model_copy(update={"files": list(a.files)}) for a in deposition.annotations],
        }
    )


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
    package_problems_changed = Signal()  # ``package_problems`` changed (the wizard counts them per page)

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
        self.package_status = QLabel()  # says when the package files are being checked, or could not be
        self.package_status.setWordWrap(True)
        self.package_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.package_status.setAccessibleName("Package file check")
        self.package_status.setTextFormat(Qt.TextFormat.PlainText)
        self.package_status.hide()
        self.body_layout.addWidget(self.package_status)
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
        self._exporting = False  # Export stays disabled while it runs, whatever a check meanwhile finds
        self._rule_problems: list[Problem] = []
        self.package_problems: list[Problem] = []  # export_problems of the last check, minus the instant ones
        self.package_check_pending = False
        self._package_generation = 0
        self._package_timer = QTimer(self, singleShot=True, interval=PACKAGE_CHECK_DELAY_MS)
        self._package_timer.timeout.connect(self.check_package_files)
        self._package_note_timer = QTimer(self, singleShot=True, interval=PACKAGE_CHECK_NOTE_DELAY_MS)
        self._package_note_timer.timeout.connect(self._on_package_note_timer_timeout)

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
            self._exporting = False  # an export of the previous draft still running reports to nobody
            self._forget_package_files()
        super().load(session)
        self.update_problems(session.problems)
        if self.isVisible():
            self.check_package_files()

    def showEvent(self, event: QShowEvent) -> None:
        """Check the package files on entry: they may have changed on disk (in Fiji, say) or on another page."""
        super().showEvent(event)
        if self.session is not None:
            self.check_package_files()

    def update_problems(self, problems: list[Problem]) -> None:
        """Show every problem of the deposition (this page owns none, so it is always complete).

        Adds what only the package refuses: an empty BIA file list
        (:func:`~..domain.exports.package.empty_file_list_problems`, instant, so found on every edit)
        and the last background check of :func:`~..domain.exports.package.export_problems`, which is
        made again after a pause when the page is on screen. Export is not offered while any is an error.
        """
        super().update_problems(problems)
        self._rule_problems = problems
        self._show_all_problems()
        if self.session is not None and self.isVisible():
            self._package_timer.start()  # restarted by every edit: one check once the typing pauses

    def _show_all_problems(self) -> None:
        """The rules' problems, then the package's not already among them (as ``validate`` lists them)."""
        if self.session is None:
            return
        shown = [*self._rule_problems, *empty_file_list_problems(self.session.deposition)]
        known = set(shown)
        shown += [problem for problem in self.package_problems if problem not in known]
        self.show_problems(shown)

    # ------------------------------------------------------------ package files

    def check_package_files(self) -> None:
        """Find what only a package can get wrong, in the background; an older check's result is dropped.

        :func:`~..domain.exports.package.export_problems` reads and hashes each imported tool file
        and walks every path, so it runs in a worker on :func:`package_probe` of the draft.
        """
        if self.session is None:
            return
        self._package_timer.stop()
        self._package_generation += 1
        generation = self._package_generation
        self.package_check_pending = True
        self._package_note_timer.start()  # quick checks (the usual case) never flash a note
        probe = package_probe(self.session.deposition)

        def work() -> list[Problem]:
            return [problem for problem in export_problems(probe) if problem.code not in _INSTANT_CODES]

        def done(problems: list[Problem]) -> None:
            if generation == self._package_generation:  # else a newer check's result is coming
                self._on_package_files_checked(problems)

        def failed(error: BaseException) -> None:
            if generation == self._package_generation:
                self._on_package_files_check_failed(error)
            else:
                log.warning("an outdated check of the package files failed: %r", error)

        run_in_background(work, done, failed, owner=self)

    def _on_package_files_checked(self, problems: list[Problem]) -> None:
        self._end_package_check("")
        self._set_package_problems(problems)
        self._show_all_problems()

    def _on_package_files_check_failed(self, error: BaseException) -> None:
        log.error("checking the package files failed", exc_info=error)
        reason = str(error) or type(error).__name__
        self._end_package_check(
            f"Could not check the package files: {reason}. Export checks them again; details are in the log."
        )
        self._set_package_problems([])  # not known now: Export itself refuses a package it cannot make
        self._show_all_problems()

    def _end_package_check(self, failure: str) -> None:
        self.package_check_pending = False
        self._package_note_timer.stop()
        self._set_package_status(failure, failed=bool(failure))

    def _on_package_note_timer_timeout(self) -> None:
        if self.package_check_pending:
            self._set_package_status("Checking the imported landmark and tool files and the package paths…")

    def _set_package_status(self, text: str, *, failed: bool = False) -> None:
        """One line under the summary; hidden when there is nothing to say, red when the check failed."""
        self.package_status.setText(text)
        self.package_status.setStyleSheet("color: #c62828" if failed else "")
        self.package_status.setVisible(bool(text))

    def _forget_package_files(self) -> None:
        """Drop the previous draft's package check, and any result of it still on its way."""
        self._package_generation += 1
        self._package_timer.stop()
        self._end_package_check("")
        self._set_package_problems([])

    def _set_package_problems(self, problems: list[Problem]) -> None:
        if problems != self.package_problems:
            self.package_problems = problems
            self.package_problems_changed.emit()

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
            else:  # fixed meanwhile (or a package check found it gone): its details go with it
                self.problem_details.setText("")

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
        self._exporting = True
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
        self._end_export()
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
        self._end_export()
        if isinstance(error, ExportError):
            message = str(error) or error.code
        elif isinstance(error, OSError):
            message = f"The folder could not be written: {error.strerror or error}."
        else:
            log.error("export failed", exc_info=error)
            message = f"Unexpected error: {error}. Details are in the log."
        self.export_status.setText(f"<span style='color:#c62828'>Export failed: {message}</span>")

    def _end_export(self) -> None:
        """Offer Export again, unless a problem found while it ran (a package check, an edit) blocks it."""
        self._exporting = False
        self.export_button.setEnabled(not any(problem.blocking for problem in self._problems))

    def _show_summary(self, problems: list[Problem]) -> None:
        assert self.session is not None
        deposition = self.session.deposition
        errors = sum(p.blocking for p in problems)
        lines = []
        if errors:
            lines.append(f"<b>{errors} problem(s) must be fixed</b> before the deposition can be exported.")
        else:
            lines.append("<b>No blocking problems.</b> The deposition can be exported.")
        self.export_button.setEnabled(not errors and not self._exporting)
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
