"""A table that edits a list of small model objects (funding, publications, links…).

Each column is one field. Cells are written into the objects as they are
edited; a number column that cannot be read keeps the typed text, tints the
cell and says why, instead of silently dropping it. Rows are added, removed
and reordered with buttons or the keyboard (Insert, Delete, Ctrl+Up/Down).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
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

from ..domain.problems import Location, Problem

ERROR_BRUSH = QBrush(QColor(198, 40, 40, 60))


@dataclass(frozen=True)
class Column:
    """One editable field shown as a table column."""

    field: str
    title: str
    kind: str = "text"  # "text" | "int" | "bool" | "list" (items separated by ";")
    tooltip: str = ""


class ModelTable(QWidget):
    """Edits ``items`` (a list of models inside the deposition) as rows."""

    edited = Signal()

    def __init__(
        self, columns: list[Column], factory: Callable[[], Any], noun: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.columns = columns
        self.factory = factory
        self.items: list[Any] = []
        self.location: Location = ()
        self._loading = False
        self._typing_errors: dict[tuple[int, int], str] = {}
        self.table = QTableWidget(0, len(columns), self)
        self.table.setHorizontalHeaderLabels([c.title for c in columns])
        for index, column in enumerate(columns):
            header = self.table.horizontalHeaderItem(index)
            if header is not None and column.tooltip:
                header.setToolTip(column.tooltip)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.AllEditTriggers & ~QAbstractItemView.EditTrigger.CurrentChanged
        )
        self.table.setMinimumHeight(96)
        self.table.setMaximumHeight(200)
        self.table.setAccessibleName(noun)
        self.table.itemChanged.connect(self._on_table_item_changed)
        self.add_button = QPushButton(f"Add {noun}", self)
        self.remove_button = QPushButton("Remove", self)
        self.up_button = QPushButton("Up", self)
        self.down_button = QPushButton("Down", self)
        self.add_button.clicked.connect(self.add_row)
        self.remove_button.clicked.connect(self.remove_rows)
        self.up_button.clicked.connect(lambda: self.move_row(-1))
        self.down_button.clicked.connect(lambda: self.move_row(1))
        for keys, action in (
            ("Insert", self.add_row),
            ("Delete", self.remove_rows),
            ("Ctrl+Up", lambda: self.move_row(-1)),
            ("Ctrl+Down", lambda: self.move_row(1)),
        ):
            shortcut = QShortcut(QKeySequence(keys), self.table)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(action)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.remove_button, self.up_button, self.down_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self.setFocusProxy(self.table)

    # ------------------------------------------------------------ model <-> cells

    def bind(self, items: list[Any], location: Location) -> None:
        """Edit ``items``, located at ``location`` in the deposition."""
        self.items = items
        self.location = location
        self._typing_errors.clear()
        self._reload()

    def _cell_text(self, obj: Any, column: Column) -> str:
        value = getattr(obj, column.field)
        if column.kind == "bool":
            return ""
        if column.kind == "list":
            return "; ".join(value)
        return "" if value is None else str(value)

    def _reload(self) -> None:
        self._loading = True
        self.table.setRowCount(0)
        for obj in self.items:
            row = self.table.rowCount()
            self.table.insertRow(row)
            for index, column in enumerate(self.columns):
                item = QTableWidgetItem(self._cell_text(obj, column))
                if column.kind == "bool":
                    item.setFlags(
                        Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                    )
                    item.setCheckState(Qt.CheckState.Checked if getattr(obj, column.field) else Qt.CheckState.Unchecked)
                self.table.setItem(row, index, item)
        self._loading = False

    def _on_table_item_changed(self, item: QTableWidgetItem) -> None:
        if self._loading or not 0 <= item.row() < len(self.items):
            return
        obj = self.items[item.row()]
        column = self.columns[item.column()]
        key = (item.row(), item.column())
        self._typing_errors.pop(key, None)
        if column.kind == "bool":
            setattr(obj, column.field, item.checkState() == Qt.CheckState.Checked)
        elif column.kind == "int":
            text = item.text().strip()
            if not text:
                setattr(obj, column.field, None)
            elif text.isdigit():
                setattr(obj, column.field, int(text))
            else:
                setattr(obj, column.field, None)
                self._typing_errors[key] = f"'{text}' is not a number; type digits only, e.g. 2026."
        elif column.kind == "list":
            setattr(obj, column.field, [part for part in item.text().split(";") if part.strip()])
        else:
            setattr(obj, column.field, item.text())
            stored = getattr(obj, column.field)
            if stored != item.text() and stored:
                self._loading = True  # show the normalised value (a DOI URL becomes the bare DOI)
                item.setText(stored)
                self._loading = False
        self.edited.emit()

    # ------------------------------------------------------------ rows

    def add_row(self) -> None:
        """Append an object and start editing its first cell."""
        self.items.append(self.factory())
        self._reload()
        row = self.table.rowCount() - 1
        self.table.setCurrentCell(row, 0)
        first = self.table.item(row, 0)
        if first is not None and self.columns[0].kind != "bool":
            self.table.editItem(first)
        self.edited.emit()

    def remove_rows(self) -> None:
        """Remove the selected rows."""
        rows = sorted({index.row() for index in self.table.selectedIndexes()}, reverse=True)
        if not rows and self.table.currentRow() >= 0:
            rows = [self.table.currentRow()]
        for row in rows:
            if 0 <= row < len(self.items):
                del self.items[row]
        if rows:
            self._typing_errors.clear()
            self._reload()
            self.edited.emit()

    def move_row(self, step: int) -> None:
        """Move the current row up or down."""
        row = self.table.currentRow()
        target = row + step
        if not 0 <= row < len(self.items) or not 0 <= target < len(self.items):
            return
        self.items[row], self.items[target] = self.items[target], self.items[row]
        self._typing_errors.clear()
        self._reload()
        self.table.setCurrentCell(target, max(self.table.currentColumn(), 0))
        self.edited.emit()

    # ------------------------------------------------------------ problems

    def typing_problems(self) -> list[Problem]:
        """Cells whose text could not be stored (e.g. letters in a year), as problems to show."""
        return [
            Problem("input.not_a_number", (*self.location, row, self.columns[column].field), message)
            for (row, column), message in sorted(self._typing_errors.items())
        ]

    def mark_problems(self, problems: list[Problem]) -> None:
        """Tint the cells that have problems (or typing errors) and put the messages in their tooltips."""
        depth = len(self.location)
        fields = {column.field: index for index, column in enumerate(self.columns)}
        marks: dict[tuple[int, int], list[str]] = {key: [msg] for key, msg in self._typing_errors.items()}
        for problem in problems:
            loc = problem.location
            if loc[:depth] != self.location or len(loc) <= depth + 1 or not isinstance(loc[depth], int):
                continue
            column = fields.get(str(loc[depth + 1]))
            if column is not None:
                marks.setdefault((int(loc[depth]), column), []).append(problem.message)
        self._loading = True
        for row in range(self.table.rowCount()):
            for column in range(self.table.columnCount()):
                item = self.table.item(row, column)
                if item is None:
                    continue
                messages = marks.get((row, column))
                item.setBackground(ERROR_BRUSH if messages else QBrush())
                item.setToolTip("\n".join(messages) if messages else self.columns[column].tooltip)
        self._loading = False

    def focus_cell(self, row: int, field: str) -> None:
        """Select the cell of ``field`` in ``row``."""
        names = [column.field for column in self.columns]
        if 0 <= row < self.table.rowCount() and field in names:
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)
            self.table.setCurrentCell(row, names.index(field))
