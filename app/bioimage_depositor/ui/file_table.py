"""The table model of a component's file list: fast for 100,000 rows, sortable and filterable.

Rows are the component's ``FileEntry`` objects (the draft is the only state);
what the image probe learned (format, dimensions, or why a file is unreadable)
is kept beside them, keyed by source path, because it is derived from the
files and need not be saved. Sorting and filtering happen here, on a list of
row numbers computed with Python's own sort and substring search: a
QSortFilterProxyModel would call ``data()`` once per comparison and stall the
window for seconds on a large list.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from ..domain.deposition import FileEntry
from ..domain.images.model import ImageInfo

COLUMNS = ("Path", "Deposited as", "Size", "Format", "Dimensions", "MD5")
_WARN = QBrush(QColor(230, 140, 0, 70))
_ModelIndex = QModelIndex | QPersistentModelIndex


def human_size(size: int | None) -> str:
    """A size for people: 1.5 GB."""
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"


class FileTableModel(QAbstractTableModel):
    """Shows one component's files with what the probe found out about them."""

    def __init__(self) -> None:
        super().__init__()
        self.files: list[FileEntry] = []
        self.infos: dict[str, ImageInfo] = {}
        self.order: list[int] = []  # file indexes in display order (sorted, filtered)
        self._sort: tuple[int, Qt.SortOrder] = (0, Qt.SortOrder.AscendingOrder)
        self._filter = ""
        self._haystack: list[str] | None = None  # lower-case text of each row, built when filtering

    def set_files(self, files: list[FileEntry]) -> None:
        """Show ``files`` (the component's own list, edited in place)."""
        self.files = files
        self.refresh()

    def refresh(self) -> None:
        """The list or the probe results changed: recompute the display order."""
        self.beginResetModel()
        self._haystack = None
        self.order = self._compute_order()
        self.endResetModel()

    def set_filter(self, text: str) -> None:
        """Show only files with ``text`` in any column (case-insensitive)."""
        self._filter = text.strip().casefold()
        self.beginResetModel()
        self.order = self._compute_order()  # reuses the row texts: typing in the filter stays fast
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by ``column`` (called by the view when a header is clicked)."""
        self._sort = (column, order)
        self.layoutAboutToBeChanged.emit()
        self.order = self._compute_order()
        self.layoutChanged.emit()

    def _text(self, index: int, column: int) -> str:
        entry = self.files[index]
        if column == 0:
            return entry.path
        if column == 1:
            return entry.deposit_path
        if column == 5:
            return entry.md5
        info = self.infos.get(entry.source)
        if info is None:
            return ""
        if column == 3:
            return "unreadable" if info.error else (info.format or "")
        if column == 4 and not info.error:
            return " × ".join(f"{axis}{size}" for axis, size in info.shape.items())
        return ""

    def _compute_order(self) -> list[int]:
        indexes: Sequence[int] = range(len(self.files))
        if self._filter:
            if self._haystack is None:
                self._haystack = [
                    "\t".join(self._text(i, c) for c in (0, 1, 3, 4, 5)).casefold() for i in range(len(self.files))
                ]
            needle, haystack = self._filter, self._haystack
            indexes = [i for i in indexes if needle in haystack[i]]
        column, order = self._sort
        reverse = order == Qt.SortOrder.DescendingOrder
        if column == 2:
            return sorted(indexes, key=lambda i: self.files[i].size_bytes or 0, reverse=reverse)
        return sorted(indexes, key=lambda i: self._text(i, column).casefold(), reverse=reverse)

    def rowCount(self, parent: _ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's default argument
        """Number of files shown."""
        return 0 if parent.isValid() else len(self.order)

    def columnCount(self, parent: _ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's default argument
        """Number of columns."""
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Column titles."""
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: _ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Cell text, tooltips and the tint of renamed or unreadable files."""
        if not index.isValid() or index.row() >= len(self.order):
            return None
        entry = self.files[self.order[index.row()]]
        info = self.infos.get(entry.source)
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 2:
                return human_size(entry.size_bytes)
            return self._text(self.order[index.row()], column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if info is not None and info.error:
                return info.error.message
            if column == 1 and entry.deposit_path:
                return "Deposited under this name; your file keeps its own name."
            return entry.source
        if role == Qt.ItemDataRole.BackgroundRole:
            if info is not None and info.error and column == 3:
                return _WARN
            if column == 1 and entry.deposit_path:
                return _WARN
        return None

    def entry(self, row: int) -> FileEntry | None:
        """The file shown in ``row``."""
        return self.files[self.order[row]] if 0 <= row < len(self.order) else None

    def file_index(self, row: int) -> int:
        """The index in the component's list of the file shown in ``row``."""
        return self.order[row]
