"""The table model of a component's file list: fast for 100,000 rows, filterable.

Rows are the component's ``FileEntry`` objects (the draft is the only state);
what the image probe learned (format, dimensions, or why a file is unreadable)
is kept beside them, keyed by source path, because it is derived from the
files and need not be saved.
"""

from __future__ import annotations

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

    def set_files(self, files: list[FileEntry]) -> None:
        """Show ``files`` (the component's own list, edited in place)."""
        self.beginResetModel()
        self.files = files
        self.endResetModel()

    def refresh(self) -> None:
        """The list or the probe results changed."""
        self.beginResetModel()
        self.endResetModel()

    def rowCount(self, parent: _ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's default argument
        """Number of files."""
        return 0 if parent.isValid() else len(self.files)

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
        if not index.isValid() or index.row() >= len(self.files):
            return None
        entry = self.files[index.row()]
        info = self.infos.get(entry.source)
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return entry.path
            if column == 1:
                return entry.deposit_path
            if column == 2:
                return human_size(entry.size_bytes)
            if column == 3:
                if info is None:
                    return ""
                return "unreadable" if info.error else (info.format or "")
            if column == 4:
                if info is None or info.error:
                    return ""
                return " × ".join(f"{axis}{size}" for axis, size in info.shape.items())
            if column == 5:
                return entry.md5
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
        """The file of ``row``."""
        return self.files[row] if 0 <= row < len(self.files) else None
