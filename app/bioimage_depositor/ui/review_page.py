"""The Review page: every remaining problem, grouped by page, and what will be deposited where.

Each problem is a link: activating it opens the page that edits that part of
the deposition and focuses the field.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QWidget

from ..domain import flow
from ..domain.problems import Problem
from .draft_session import DraftSession
from .page_base import WizardPage

_LOCATION_ROLE = Qt.ItemDataRole.UserRole + 1


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
        for title, group in groups.items():
            children = [group.child(i) for i in range(group.childCount())]
            errors = sum(1 for child in children if child is not None and child.text(0).startswith("✖"))
            group.setText(0, f"{title} — {errors} to fix, {group.childCount() - errors} to consider")

    def _show_summary(self, problems: list[Problem]) -> None:
        assert self.session is not None
        deposition = self.session.deposition
        errors = sum(p.blocking for p in problems)
        lines = []
        if errors:
            lines.append(f"<b>{errors} problem(s) must be fixed</b> before the deposition can be exported.")
        else:
            lines.append("<b>No blocking problems.</b> The deposition can be exported.")
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
