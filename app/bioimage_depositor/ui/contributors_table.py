"""The contributors table of the Study page: name, ORCID, e-mail and organisation per row.

Organisations are typed by name here and matched to the study's affiliation
objects, so two people at the same institute share one organisation record
(PageTab references it once) without the depositor managing ids.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..domain.problems import Problem
from ..domain.rembi import Affiliation, Contributor, Study

COLUMNS = (("name", "Name"), ("orcid", "ORCID iD"), ("email", "E-mail"), ("affiliation_ids", "Organisation"))
_ERROR_BRUSH = QBrush(QColor(198, 40, 40, 60))


class ContributorsTable(QWidget):
    """Editable table of contributors with add and remove buttons."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels([title for _, title in COLUMNS])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.AllEditTriggers & ~QAbstractItemView.EditTrigger.CurrentChanged
        )
        self.table.setTabKeyNavigation(True)
        self.table.setMinimumHeight(140)
        self.table.setAccessibleName("Contributors")
        self.table.itemChanged.connect(self._on_table_item_changed)
        self.add_button = QPushButton("&Add person", self)
        self.remove_button = QPushButton("Re&move person", self)
        self.add_button.clicked.connect(self._on_add_button_clicked)
        self.remove_button.clicked.connect(self._on_remove_button_clicked)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self._study: Study | None = None
        self._loading = False

    def load(self, study: Study) -> None:
        """Show ``study``'s contributors; edits are written back into it."""
        self._study = study
        names = {a.id: a.name for a in study.affiliations}
        self._loading = True
        self.table.setRowCount(0)
        for person in study.contributors:
            organisation = "; ".join(names.get(ref, "") for ref in person.affiliation_ids)
            self._append_row([person.name, person.orcid, person.email, organisation])
        self._loading = False

    def _append_row(self, values: list[str]) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        for column, value in enumerate(values):
            self.table.setItem(row, column, QTableWidgetItem(value))

    def _on_add_button_clicked(self) -> None:
        self._loading = True
        self._append_row(["", "", "", self._default_organisation()])
        self._loading = False
        row = self.table.rowCount() - 1
        self.table.setCurrentCell(row, 0)
        first = self.table.item(row, 0)
        if first is not None:
            self.table.editItem(first)
        self._apply()

    def _default_organisation(self) -> str:
        """New people usually work where the previous one does."""
        last = self.table.rowCount() - 1
        item = self.table.item(last, 3) if last >= 0 else None
        return item.text() if item else ""

    def _on_remove_button_clicked(self) -> None:
        rows = sorted({index.row() for index in self.table.selectedIndexes()}, reverse=True)
        if not rows and self.table.currentRow() >= 0:
            rows = [self.table.currentRow()]
        for row in rows:
            self.table.removeRow(row)
        if rows:
            self._apply()

    def _on_table_item_changed(self, item: QTableWidgetItem) -> None:
        if self._loading:
            return
        self._apply()
        # show the normalised identifier (a pasted ORCID URL becomes the bare iD)
        if self._study is not None and item.column() in (1, 2) and item.row() < len(self._study.contributors):
            person = self._study.contributors[item.row()]
            stored = person.orcid if item.column() == 1 else person.email
            if stored and stored != item.text():
                self._loading = True
                item.setText(stored)
                self._loading = False

    def _cell(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text() if item else ""

    def _apply(self) -> None:
        """Rebuild the study's contributors and affiliations from the table."""
        study = self._study
        if study is None:
            return
        by_name = {a.name.casefold(): a for a in study.affiliations if a.name}
        used: dict[str, Affiliation] = {}
        contributors = []
        for row in range(self.table.rowCount()):
            previous = study.contributors[row] if row < len(study.contributors) else None
            refs = []
            for organisation in (part.strip() for part in self._cell(row, 3).split(";")):
                if not organisation:
                    continue
                affiliation = by_name.get(organisation.casefold()) or Affiliation(name=organisation)
                by_name[organisation.casefold()] = affiliation
                used[affiliation.id] = affiliation
                refs.append(affiliation.id)
            contributors.append(
                Contributor(
                    name=self._cell(row, 0),
                    orcid=self._cell(row, 1),
                    email=self._cell(row, 2),
                    roles=previous.roles if previous else [],
                    affiliation_ids=refs,
                )
            )
        study.contributors = contributors
        study.affiliations = list(used.values())
        self.edited.emit()

    def show_problems(self, problems: list[Problem]) -> None:
        """Tint the cells that have problems and put the message in their tooltip."""
        columns = {key: index for index, (key, _) in enumerate(COLUMNS)}
        marks: dict[tuple[int, int], list[str]] = {}
        for problem in problems:
            loc = problem.location
            if len(loc) >= 4 and loc[1] == "contributors" and isinstance(loc[2], int) and loc[3] in columns:
                marks.setdefault((loc[2], columns[str(loc[3])]), []).append(problem.message)
        self._loading = True
        for row in range(self.table.rowCount()):
            for column in range(self.table.columnCount()):
                item = self.table.item(row, column)
                if item is None:
                    item = QTableWidgetItem("")
                    self.table.setItem(row, column, item)
                messages = marks.get((row, column))
                item.setBackground(_ERROR_BRUSH if messages else QBrush())
                item.setToolTip("\n".join(messages) if messages else "")
        self._loading = False

    def focus_cell(self, row: int, key: str) -> None:
        """Select and start editing the cell of ``key`` in ``row``."""
        columns = [k for k, _ in COLUMNS]
        if 0 <= row < self.table.rowCount() and key in columns:
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)
            self.table.setCurrentCell(row, columns.index(key))
