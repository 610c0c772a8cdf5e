"""A list of model objects beside the form that edits the selected one.

Used for every REMBI module that can have several entries (biosamples,
specimens, acquisitions…) and for EMPIAR image sets. Add, duplicate, remove
and reorder work with buttons and the keyboard (Insert, Delete, Ctrl+Up/Down).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ..domain.base import Model
from ..domain.problems import Location, Problem
from .form_spec import PageForm
from .form_view import FormView


def data_id(obj: Model) -> str:
    """The id of a model object that has one."""
    value: str = getattr(obj, "id", "")
    return value


class ObjectListEditor(QWidget):
    """Edits ``items`` (a list inside the deposition) one object at a time."""

    changed = Signal()  # an object was added, removed, moved or edited
    selection_changed = Signal(int)

    def __init__(
        self,
        form: PageForm,
        factory: Callable[[int], Model],
        title_of: Callable[[Model], str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.form = form
        self.factory = factory
        self.title_of = title_of
        self.items: list[Any] = []
        self.location: Location = ()
        self.can_remove: Callable[[Model], bool] = lambda _obj: True
        self.on_removed: Callable[[Model], None] = lambda _obj: None
        noun = form.noun or "item"
        self.list = QListWidget()
        self.list.setAccessibleName(f"{noun}s")
        self.list.setMinimumWidth(200)
        self.list.currentRowChanged.connect(self._on_list_row_changed)
        # no mnemonics here: the page's fields own the Alt letters; the list has keys of its own
        self.add_button = QPushButton(f"Add {noun}")
        self.add_button.setToolTip("Add (Insert key in the list)")
        self.duplicate_button = QPushButton("Duplicate")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove (Delete key in the list)")
        self.up_button = QPushButton("Up")
        self.down_button = QPushButton("Down")
        self.add_button.clicked.connect(self.add)
        self.duplicate_button.clicked.connect(self.duplicate)
        self.remove_button.clicked.connect(self.remove)
        self.up_button.clicked.connect(lambda: self.move_selected(-1))
        self.down_button.clicked.connect(lambda: self.move_selected(1))
        for keys, action in (
            ("Insert", self.add),
            ("Delete", self.remove),
            ("Ctrl+Up", lambda: self.move_selected(-1)),
            ("Ctrl+Down", lambda: self.move_selected(1)),
        ):
            shortcut = QShortcut(QKeySequence(keys), self.list)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(action)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.duplicate_button)
        buttons.addWidget(self.remove_button)
        order = QHBoxLayout()
        order.addWidget(self.up_button)
        order.addWidget(self.down_button)
        order.addStretch(1)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 8, 0)
        left_layout.addWidget(self.list, 1)
        left_layout.addLayout(buttons)
        left_layout.addLayout(order)

        self.form_view = FormView(form)
        self.form_view.changed.connect(self._on_form_view_changed)
        self.empty_note = QLabel(f"Nothing here yet. Press “Add {noun}” to describe one.")
        self.empty_note.setObjectName("helpLabel")
        self.used_by = QLabel()
        self.used_by.setObjectName("helpLabel")
        self.used_by.setWordWrap(True)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(8, 0, 0, 0)
        right_layout.addWidget(self.empty_note)
        right_layout.addWidget(self.used_by)
        right_layout.addWidget(self.form_view)
        right_layout.addStretch(1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([240, 760])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self.used_by_text: Callable[[Model], str] = lambda _obj: ""

    # ------------------------------------------------------------ binding

    def bind(self, items: list[Any], location: Location) -> None:
        """Edit ``items``, which sits at ``location`` in the deposition."""
        self.items = items
        self.location = location
        self.refresh(select=0 if items else -1)

    def refresh(self, select: int | None = None) -> None:
        """Rebuild the list from the items, keeping or changing the selection."""
        row = self.list.currentRow() if select is None else select
        self.list.blockSignals(True)
        self.list.clear()
        for obj in self.items:
            self.list.addItem(QListWidgetItem(self.title_of(obj)))
        self.list.blockSignals(False)
        row = min(row, len(self.items) - 1)
        self.list.setCurrentRow(row)
        self._show(row)
        has = bool(self.items)
        self.empty_note.setVisible(not has)
        self.form_view.setVisible(has)
        for button in (self.duplicate_button, self.remove_button, self.up_button, self.down_button):
            button.setEnabled(has)

    def current_index(self) -> int:
        """The selected object's index, or -1."""
        return self.list.currentRow()

    def _show(self, row: int) -> None:
        obj = self.items[row] if 0 <= row < len(self.items) else None
        self.form_view.bind(obj, (*self.location, row) if obj is not None else ())
        self.used_by.setText(self.used_by_text(obj) if obj is not None else "")
        self.used_by.setVisible(bool(self.used_by.text()))

    def _on_list_row_changed(self, row: int) -> None:
        self._show(row)
        self.selection_changed.emit(row)

    def _on_form_view_changed(self, key: str) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self.items) and key in ("title", "name"):
            item = self.list.item(row)
            if item is not None:
                item.setText(self.title_of(self.items[row]))
        self.changed.emit()

    # ------------------------------------------------------------ list edits

    def add(self) -> None:
        """Append a new object and select it."""
        self.items.append(self.factory(len(self.items)))
        self.refresh(select=len(self.items) - 1)
        self.form_view.editors[self.form.fields[0].key].focus_target().setFocus()
        self.changed.emit()

    def duplicate(self) -> None:
        """Copy the selected object (with a new id) below it."""
        row = self.list.currentRow()
        if not 0 <= row < len(self.items):
            return
        source = self.items[row]
        data = source.model_dump()
        fresh = self.factory(len(self.items))
        if "id" in data:
            data["id"] = data_id(fresh)
        for key in ("title", "name"):
            if data.get(key):
                data[key] = f"{data[key]} (copy)"
        self.items.insert(row + 1, type(source).model_validate(data))
        self.refresh(select=row + 1)
        self.changed.emit()

    def remove(self) -> None:
        """Remove the selected object if the page allows it."""
        row = self.list.currentRow()
        if not 0 <= row < len(self.items) or not self.can_remove(self.items[row]):
            return
        removed = self.items.pop(row)
        self.on_removed(removed)
        self.refresh(select=max(0, row - 1) if self.items else -1)
        self.changed.emit()

    def move_selected(self, step: int) -> None:
        """Move the selected object up or down."""
        row = self.list.currentRow()
        target = row + step
        if not 0 <= row < len(self.items) or not 0 <= target < len(self.items):
            return
        self.items[row], self.items[target] = self.items[target], self.items[row]
        self.refresh(select=target)
        self.changed.emit()

    def select(self, row: int) -> None:
        """Select the object at ``row``."""
        if 0 <= row < len(self.items):
            self.list.setCurrentRow(row)

    def show_problems(self, problems: list[Problem]) -> None:
        """Show field problems for the selected object and mark objects that have errors."""
        depth = len(self.location)
        bad_rows = {
            p.location[depth]
            for p in problems
            if p.blocking and p.location[:depth] == self.location and len(p.location) > depth
        }
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item is not None:
                mark = "✖ " if row in bad_rows else ""
                item.setText(mark + self.title_of(self.items[row]))
        self.form_view.show_problems(problems)
