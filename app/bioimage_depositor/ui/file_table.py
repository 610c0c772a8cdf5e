"""The table model of a component's file list: fast for 100,000 rows, sortable, filterable, editable attributes.

Rows are the component's ``FileEntry`` objects (the draft is the only state);
what the image probe learned (format, dimensions, or why a file is unreadable)
is kept beside them, keyed by source path, because it is derived from the
files and need not be saved. Sorting and filtering happen here, on a list of
row numbers computed with Python's own sort and substring search over
precomputed keys: a QSortFilterProxyModel would call ``data()`` once per
comparison and stall the window for seconds on a large list.

After the fixed columns come the file list's attribute columns (the extra
columns of a BIA file list, ``FileEntry.attributes``). Their cells are
editable; an edit is not written here but announced with
:attr:`FileTableModel.attribute_edited`, so the page applies it the same way
as its bulk edits (and can undo it).

The first column shows a thumbnail. The model asks a thumbnail source only
for rows the view paints (``data()`` is called for visible cells only), so a
100,000-row list costs nothing until it is scrolled.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPixmap

from ..domain.deposition import FileEntry
from ..domain.filelist.attributes import attribute_columns
from ..domain.humanize import human_bytes
from ..domain.images.model import ImageInfo

COL_THUMBNAIL, COL_PATH, COL_DEPOSIT, COL_SIZE, COL_FORMAT, COL_DIMENSIONS, COL_MD5 = range(7)
FIXED_COLUMNS = ("", "Path", "Deposited as", "Size", "Format", "Dimensions", "MD5")
_WARN = QBrush(QColor(230, 140, 0, 70))
_ModelIndex = QModelIndex | QPersistentModelIndex
_ROLES = frozenset(
    {
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.EditRole,
        Qt.ItemDataRole.DecorationRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.BackgroundRole,
        Qt.ItemDataRole.AccessibleTextRole,
    }
)


def dimensions_text(info: ImageInfo | None) -> str:
    """``Z15 × C2 × Y512 × X512`` for a readable probe, else empty."""
    if info is None or info.error:
        return ""
    return " × ".join(f"{axis}{size}" for axis, size in info.shape.items())


def format_text(info: ImageInfo | None) -> str:
    """The format name, ``unreadable``, or empty while unknown."""
    if info is None:
        return ""
    return "unreadable" if info.error else (info.format or "")


class ThumbnailSource(Protocol):
    """What the model needs from a thumbnail loader (see :mod:`.thumbnails`)."""

    def lookup(self, entry: FileEntry) -> tuple[QPixmap, str]:
        """The pixmap to show now (a placeholder while loading) and its tooltip; requests it when missing."""
        ...


class FileTableModel(QAbstractTableModel):
    """Shows one component's files with what the probe found out about them."""

    attribute_edited = Signal(int, str, str)  # file index, column name, new value

    def __init__(self) -> None:
        super().__init__()
        self.files: list[FileEntry] = []
        self.infos: dict[str, ImageInfo] = {}
        self.attribute_names: list[str] = []
        self.thumbnails: ThumbnailSource | None = None
        self.order: list[int] = []  # file indexes in display order (sorted, filtered)
        self._sort: tuple[int, Qt.SortOrder] = (COL_PATH, Qt.SortOrder.AscendingOrder)
        self._filter = ""
        self._haystack: list[str] | None = None  # lower-case text of each row, built when filtering

    # ------------------------------------------------------------ whole-list changes

    def set_files(self, files: list[FileEntry]) -> None:
        """Show ``files`` (the component's own list, edited in place)."""
        self.files = files
        self.refresh()

    def refresh(self) -> None:
        """The list or the probe results changed: recompute columns and the display order."""
        self.beginResetModel()
        self._haystack = None
        self.attribute_names = attribute_columns(self.files)
        self.order = self._compute_order()
        self.endResetModel()

    def files_appended(
        self, start: int, path_order: Sequence[int] | None = None, columns: Sequence[str] | None = None
    ) -> None:
        """Files ``start:`` were appended to the list: insert them in display order without a reset.

        Parameters
        ----------
        start : int
            Index of the first new file.
        path_order : sequence of int, optional
            The new files' indexes sorted by path, as the scan worker computes
            them; used when the table is sorted by path, so the UI thread does
            not sort 100,000 paths itself.
        columns : sequence of str, optional
            The attribute columns the new files use, if the caller knows them.

        Rows already shown keep their selection: the new rows are inserted at
        the end (a valid insert) and then moved into place (a valid re-layout).
        """
        new = range(start, len(self.files))
        if not new:
            return
        self._haystack = None
        names = attribute_columns(self.files[start:]) if columns is None else columns
        added = [name for name in names if name not in self.attribute_names]
        if added:
            self._set_attribute_names(self.attribute_names + added)
        column, order = self._sort
        reverse = order == Qt.SortOrder.DescendingOrder
        if (
            path_order is not None
            and len(path_order) == len(new)
            and not self._filter
            and column in (COL_PATH, COL_THUMBNAIL)
        ):
            batch = list(reversed(path_order)) if reverse else list(path_order)
        else:
            fresh = self._filtered(new)
            if not fresh:
                return
            keys = self._sort_keys()
            batch = sorted(fresh, key=keys.__getitem__, reverse=reverse)
        before = self.order
        self.beginInsertRows(QModelIndex(), len(before), len(before) + len(batch) - 1)
        self.order = before + batch
        self.endInsertRows()
        if not before:
            return
        keys = self._sort_keys()
        # Two sorted runs: Python's sort merges them in one linear pass.
        merged = sorted(self.order, key=keys.__getitem__, reverse=reverse)
        self.layoutAboutToBeChanged.emit()
        appended = self.order
        self.order = merged
        self._remap_persistent(appended)
        self.layoutChanged.emit()

    def _remap_persistent(self, old: list[int]) -> None:
        persistent = self.persistentIndexList()
        if not persistent:
            return
        position = {file_index: row for row, file_index in enumerate(self.order)}
        for index in persistent:
            if index.row() < len(old):
                row = position.get(old[index.row()], -1)
                self.changePersistentIndex(index, self.index(row, index.column()) if row >= 0 else QModelIndex())

    def infos_updated(self, sources: Iterable[str] | None = None) -> None:
        """Probe results arrived: repaint their columns, and re-sort only when the order depends on them."""
        del sources  # every visible row is repainted; the view asks only for what it shows
        if self._filter or self._sort[0] in (COL_FORMAT, COL_DIMENSIONS):
            self._haystack = None
            self.layoutAboutToBeChanged.emit()
            self.order = self._compute_order()
            self.layoutChanged.emit()
        elif self.order:
            self.dataChanged.emit(self.index(0, COL_FORMAT), self.index(len(self.order) - 1, COL_DIMENSIONS))

    def entries_changed(self) -> None:
        """Values of existing rows changed (checksums, names, attributes): repaint and update columns."""
        self._haystack = None
        names = attribute_columns(self.files)
        if names != self.attribute_names:
            self._set_attribute_names(names)
        if self.order:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.order) - 1, self.columnCount() - 1))

    def thumbnails_updated(self, first_row: int, last_row: int) -> None:
        """Thumbnails of rows ``first_row``–``last_row`` (display rows) are ready to paint."""
        last_row = min(last_row, len(self.order) - 1)
        if 0 <= first_row <= last_row:
            self.dataChanged.emit(
                self.index(first_row, COL_THUMBNAIL),
                self.index(last_row, COL_THUMBNAIL),
                [Qt.ItemDataRole.DecorationRole],
            )

    def _set_attribute_names(self, names: list[str]) -> None:
        old = self.attribute_names
        if names[: len(old)] == old and len(names) > len(old):
            first = len(FIXED_COLUMNS) + len(old)
            self.beginInsertColumns(QModelIndex(), first, first + len(names) - len(old) - 1)
            self.attribute_names = names
            self.endInsertColumns()
            return
        if len(names) == len(old) - 1:
            gone = next(i for i, name in enumerate(old) if i >= len(names) or names[i] != name)
            if old[:gone] + old[gone + 1 :] == names:
                column = len(FIXED_COLUMNS) + gone
                self.beginRemoveColumns(QModelIndex(), column, column)
                self.attribute_names = names
                self.endRemoveColumns()
                return
        if len(names) == len(old):
            self.attribute_names = names
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, len(FIXED_COLUMNS), self.columnCount() - 1)
            return
        self.beginResetModel()
        self.attribute_names = names
        self.endResetModel()

    # ------------------------------------------------------------ filter and sort

    def set_filter(self, text: str) -> None:
        """Show only files with ``text`` in any column (case-insensitive)."""
        self._filter = text.strip().casefold()
        self.beginResetModel()
        self.order = self._compute_order()  # reuses the row texts: typing in the filter stays fast
        self.endResetModel()

    @property
    def filter_text(self) -> str:
        """The current filter (case-folded), empty when every file is shown."""
        return self._filter

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by ``column`` (called by the view when a header is clicked)."""
        self._sort = (column, order)
        self.layoutAboutToBeChanged.emit()
        old = self.order
        self.order = self._compute_order()
        self._remap_persistent(old)
        self.layoutChanged.emit()

    def _attribute(self, index: int, name: str) -> str:
        return self.files[index].attributes.get(name, "")

    def _text(self, index: int, column: int) -> str:
        entry = self.files[index]
        if column in (COL_PATH, COL_THUMBNAIL):
            return entry.path
        if column == COL_DEPOSIT:
            return entry.deposit_path
        if column == COL_MD5:
            return entry.md5
        if column == COL_SIZE:
            return str(entry.size_bytes or "")
        if column == COL_FORMAT:
            return format_text(self.infos.get(entry.source))
        if column == COL_DIMENSIONS:
            return dimensions_text(self.infos.get(entry.source))
        name = self.attribute_name(column)
        return entry.attributes.get(name, "") if name is not None else ""

    def _sort_keys(self) -> list[Any]:
        """The sort key of every file for the current sort column (built in one pass, no call per row)."""
        column = self._sort[0]
        files = self.files
        if column == COL_SIZE:
            return [entry.size_bytes or 0 for entry in files]
        if column in (COL_PATH, COL_THUMBNAIL):
            return [entry.path.casefold() for entry in files]
        if column == COL_DEPOSIT:
            return [entry.deposit_path.casefold() for entry in files]
        if column == COL_MD5:
            return [entry.md5 for entry in files]
        if column in (COL_FORMAT, COL_DIMENSIONS):
            infos = self.infos
            text = format_text if column == COL_FORMAT else dimensions_text
            return [text(infos.get(entry.source)).casefold() for entry in files]
        name = self.attribute_name(column) or ""
        return [entry.attributes.get(name, "").casefold() for entry in files]

    def _filtered(self, indexes: Sequence[int]) -> list[int]:
        if not self._filter:
            return list(indexes)
        if self._haystack is None or len(self._haystack) != len(self.files):
            self._haystack = self._build_haystack()
        needle, haystack = self._filter, self._haystack
        return [i for i in indexes if needle in haystack[i]]

    def _build_haystack(self) -> list[str]:
        infos = self.infos
        rows = []
        for entry in self.files:
            info = infos.get(entry.source)
            parts = [entry.path, entry.deposit_path, entry.md5, format_text(info), dimensions_text(info)]
            if entry.attributes:
                parts.extend(entry.attributes.values())
            rows.append("\t".join(parts).casefold())
        return rows

    def _compute_order(self) -> list[int]:
        indexes = self._filtered(range(len(self.files)))
        keys = self._sort_keys()
        return sorted(indexes, key=keys.__getitem__, reverse=self._sort[1] == Qt.SortOrder.DescendingOrder)

    # ------------------------------------------------------------ Qt model interface

    def rowCount(self, parent: _ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's default argument
        """Number of files shown."""
        return 0 if parent.isValid() else len(self.order)

    def columnCount(self, parent: _ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's default argument
        """Fixed columns plus one per attribute."""
        return 0 if parent.isValid() else len(FIXED_COLUMNS) + len(self.attribute_names)

    def attribute_name(self, column: int) -> str | None:
        """The attribute shown in ``column``, or None for a fixed column."""
        position = column - len(FIXED_COLUMNS)
        return self.attribute_names[position] if 0 <= position < len(self.attribute_names) else None

    def attribute_column(self, name: str) -> int | None:
        """The column showing attribute ``name``."""
        return len(FIXED_COLUMNS) + self.attribute_names.index(name) if name in self.attribute_names else None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Column titles, and what each column is for."""
        if orientation != Qt.Orientation.Horizontal:
            return None
        name = self.attribute_name(section)
        if role == Qt.ItemDataRole.DisplayRole:
            return name if name is not None else (FIXED_COLUMNS[section] if section < len(FIXED_COLUMNS) else None)
        if role == Qt.ItemDataRole.ToolTipRole:
            if name is not None:
                return (
                    f"File attribute “{name}”: a column of the file list. Double-click a cell to edit it; "
                    "right-click the header to rename or remove the column."
                )
            if section == COL_THUMBNAIL:
                return "Thumbnails"
        return None

    def flags(self, index: _ModelIndex) -> Qt.ItemFlag:
        """Attribute cells are editable; the rest is read-only."""
        base = super().flags(index)
        if index.isValid() and self.attribute_name(index.column()) is not None:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: _ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Cell text, thumbnails, tooltips and the tint of renamed or unreadable files."""
        if role not in _ROLES or not index.isValid() or index.row() >= len(self.order):
            return None  # the view asks for a dozen roles per cell: answer the others at once
        file_index = self.order[index.row()]
        entry = self.files[file_index]
        column = index.column()
        if column == COL_THUMBNAIL:
            if self.thumbnails is None:
                return None
            if role == Qt.ItemDataRole.DecorationRole:
                return self.thumbnails.lookup(entry)[0]
            if role == Qt.ItemDataRole.ToolTipRole:
                return self.thumbnails.lookup(entry)[1]
            if role == Qt.ItemDataRole.AccessibleTextRole:
                return self.thumbnails.lookup(entry)[1]
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if column == COL_SIZE:
                return human_bytes(entry.size_bytes)
            return self._text(file_index, column)
        info = self.infos.get(entry.source)
        if role == Qt.ItemDataRole.ToolTipRole:
            if info is not None and info.error and column == COL_FORMAT:
                return info.error.message
            if column == COL_DEPOSIT and entry.deposit_path:
                return "Deposited under this name; your file keeps its own name."
            if self.attribute_name(column) is not None:
                return "Double-click to edit; select several files and use “Set attribute…” to change them all."
            return entry.source
        if role == Qt.ItemDataRole.BackgroundRole:
            if info is not None and info.error and column == COL_FORMAT:
                return _WARN
            if column == COL_DEPOSIT and entry.deposit_path:
                return _WARN
        return None

    def setData(self, index: _ModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        """An attribute cell was edited: announce it (the page applies it, undoably)."""
        name = self.attribute_name(index.column()) if index.isValid() else None
        if name is None or role != Qt.ItemDataRole.EditRole or index.row() >= len(self.order):
            return False
        file_index = self.order[index.row()]
        text = "" if value is None else str(value)
        if self.files[file_index].attributes.get(name, "") == text:
            return False
        self.attribute_edited.emit(file_index, name, text)
        return True

    # ------------------------------------------------------------ rows

    def entry(self, row: int) -> FileEntry | None:
        """The file shown in ``row``."""
        return self.files[self.order[row]] if 0 <= row < len(self.order) else None

    def file_index(self, row: int) -> int:
        """The index in the component's list of the file shown in ``row``."""
        return self.order[row]

    def row_of(self, file_index: int) -> int:
        """The display row of the file at ``file_index`` (-1 when filtered out)."""
        try:
            return self.order.index(file_index)
        except ValueError:
            return -1
