"""Bulk editing of file attributes (the extra columns of a BIA file list), with undo.

:class:`AttributeDialog` asks for a column (an existing one or a new, checked
name) and a value for the selected files; :func:`ask_column_name` asks for a
new name when renaming a column. The edits themselves are
:class:`QUndoCommand` objects that change the files' ``attributes`` through
:mod:`~..domain.filelist.attributes` and then call the page's ``after``
callback, which refreshes the table and saves the draft; undo puts back
exactly what was there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtGui import QUndoCommand
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ..domain.deposition import FileEntry
from ..domain.filelist.attributes import (
    AttributeChange,
    column_name_problem,
    remove_column,
    rename_column,
    set_attribute,
    undo_change,
)
from ..domain.text import clean_text

#: Examples shown in the column box: what people usually record per file.
EXAMPLE_COLUMNS = ("treatment", "time point", "channel", "replicate", "source_image")


class AttributeDialog(QDialog):
    """Column and value for the selected files; OK only once the column name is usable."""

    def __init__(
        self,
        columns: Sequence[str],
        file_count: int,
        parent: QWidget | None = None,
        *,
        column: str | None = None,
        value: str = "",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Set a file attribute")
        self.columns = list(columns)
        intro = QLabel(
            f"Give the {file_count} selected file{'s' if file_count != 1 else ''} a value in one column of the file "
            "list. Choose a column or type a new name; an empty value keeps the column with empty cells."
        )
        intro.setWordWrap(True)
        self.column_box = QComboBox()
        self.column_box.setEditable(True)
        self.column_box.addItems(self.columns)
        line = self.column_box.lineEdit()
        assert line is not None
        line.setPlaceholderText("e.g. " + ", ".join(c for c in EXAMPLE_COLUMNS if c not in self.columns)[:60])
        self.column_box.setCurrentText(column or (self.columns[0] if self.columns else ""))
        self.column_box.setAccessibleName("Attribute column")
        self.value_edit = QLineEdit(value)
        self.value_edit.setAccessibleName("Attribute value")
        self.value_edit.setPlaceholderText("e.g. 10 µM nocodazole")
        self.problem = QLabel()
        self.problem.setObjectName("problemLabel")
        self.problem.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Co&lumn:", self.column_box)
        form.addRow("&Value:", self.value_edit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.column_box.currentTextChanged.connect(self._on_column_box_text_changed)
        self._on_column_box_text_changed(self.column_box.currentText())
        self.value_edit.setFocus()
        self.resize(460, self.sizeHint().height())

    def column(self) -> str:
        """The chosen column, as the model stores it."""
        typed = clean_text(self.column_box.currentText())
        return next((c for c in self.columns if c == typed), typed)

    def value(self) -> str:
        """The value typed."""
        return self.value_edit.text()

    def problem_text(self) -> str:
        """Why the column cannot be used (empty when it can)."""
        name = self.column()
        if name in self.columns:
            return ""
        return column_name_problem(name, self.columns)

    def _on_column_box_text_changed(self, _text: str) -> None:
        problem = self.problem_text()
        self.problem.setText(f"<span style='color:#c62828'>✖ {problem}</span>" if problem else "")
        self.problem.setVisible(bool(problem))
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        if ok is not None:
            ok.setEnabled(not problem)
            ok.setText("Set" if self.column() in self.columns else "Add column")


class ColumnNameDialog(QDialog):
    """A new name for a column (rename), checked as it is typed."""

    def __init__(self, columns: Sequence[str], current: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Rename a column")
        self.columns = list(columns)
        self.current = current
        self.edit = QLineEdit(current)
        self.edit.setAccessibleName("New column name")
        self.problem = QLabel()
        self.problem.setObjectName("problemLabel")
        self.problem.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("&New name:", self.edit)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.edit.textChanged.connect(self._on_edit_text_changed)
        self._on_edit_text_changed(current)
        self.edit.selectAll()

    def name(self) -> str:
        """The new name, cleaned."""
        return clean_text(self.edit.text())

    def problem_text(self) -> str:
        """Why the name cannot be used (empty when it can)."""
        if self.name() == self.current:
            return "Type a new name."
        return column_name_problem(self.name(), self.columns, renaming=self.current)

    def _on_edit_text_changed(self, _text: str) -> None:
        problem = self.problem_text()
        self.problem.setText(f"<span style='color:#c62828'>✖ {problem}</span>" if problem else "")
        self.problem.setVisible(bool(problem))
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        if ok is not None:
            ok.setEnabled(not problem)


class SetAttributeCommand(QUndoCommand):
    """Give many files one value in one column (creating the column where missing)."""

    def __init__(self, entries: Sequence[FileEntry], column: str, value: str, after: Callable[[], None]) -> None:
        count = len(entries)
        super().__init__(f"set “{column}” for {count} file{'s' if count != 1 else ''}")
        self.entries = tuple(entries)
        self.column = column
        self.value = value
        self.after = after
        self.change: AttributeChange | None = None

    def redo(self) -> None:
        """Apply (again)."""
        self.change = set_attribute(self.entries, self.column, self.value)
        self.after()

    def undo(self) -> None:
        """Put back each file's previous value (or no value)."""
        if self.change is not None:
            undo_change(self.change)
        self.after()


class RemoveColumnCommand(QUndoCommand):
    """Remove a column from every file; undo restores each file's attributes exactly, in their order."""

    def __init__(self, entries: Sequence[FileEntry], column: str, after: Callable[[], None]) -> None:
        super().__init__(f"remove column “{column}”")
        self.entries = tuple(entries)
        self.column = column
        self.after = after
        self.saved: list[tuple[FileEntry, dict[str, str]]] = []

    def redo(self) -> None:
        """Remove the column."""
        self.saved = [(entry, dict(entry.attributes)) for entry in self.entries if self.column in entry.attributes]
        remove_column([entry for entry, _ in self.saved], self.column)
        self.after()

    def undo(self) -> None:
        """Restore the column where it was."""
        for entry, attributes in self.saved:
            entry.attributes.clear()
            entry.attributes.update(attributes)
        self.after()


class RenameColumnCommand(QUndoCommand):
    """Rename a column in every file that has it; the column keeps its place."""

    def __init__(self, entries: Sequence[FileEntry], old: str, new: str, after: Callable[[], None]) -> None:
        super().__init__(f"rename column “{old}” to “{new}”")
        self.entries = tuple(entries)
        self.old = old
        self.new = clean_text(new)
        self.after = after
        self.changed: tuple[FileEntry, ...] = ()

    def redo(self) -> None:
        """Rename."""
        self.changed = rename_column(self.entries, self.old, self.new)
        self.after()

    def undo(self) -> None:
        """Rename back."""
        rename_column(self.changed, self.new, self.old)
        self.after()
