"""The table of landmark pairs: positions in both images and each pair's residual after the fit.

A :class:`QAbstractTableModel` over the page's :class:`~.pairs.PairList`, so a drag that
moves one point and refits changes one row's coordinates and the residual column with one
``dataChanged`` each, and the view repaints only the visible cells. Delete removes the
selected pair, as in the landmark views.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from .pairs import PairList
from .transform_build import unit_symbol

COLUMNS = ("Pair", "Moving x", "Moving y", "Ref. x", "Ref. y", "Residual")
COL_RESIDUAL = 5

ModelIndex = QModelIndex | QPersistentModelIndex


class PairsModel(QAbstractTableModel):
    """Rows of a :class:`PairList`: name, moving and reference pixel positions, residual."""

    def __init__(self, pairs: PairList, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pairs = pairs
        self.unit = ""
        self._residuals = pairs.residuals()

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        """One row per pair."""
        return 0 if parent.isValid() else len(self.pairs)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        """Name, four coordinates, residual."""
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Column titles (the residual's carries the unit)."""
        if role != Qt.ItemDataRole.DisplayRole or orientation != Qt.Orientation.Horizontal:
            return None
        if section == COL_RESIDUAL and self.unit:
            return f"Residual ({unit_symbol(self.unit)})"
        return COLUMNS[section]

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Pixel positions with one decimal; the residual with three significant digits, or a dash."""
        if not index.isValid() or index.row() >= len(self.pairs):
            return None
        row, column = index.row(), index.column()
        if role == Qt.ItemDataRole.TextAlignmentRole and column:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and column == COL_RESIDUAL:
            return "Distance between the reference landmark and the moving landmark mapped by the fit."
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if column == 0:
            return self.pairs.names[row]
        if column == COL_RESIDUAL:
            value = float(self._residuals[row]) if row < len(self._residuals) else math.nan
            return "–" if math.isnan(value) else f"{value:.3g}"
        points = self.pairs.moving if column in (1, 2) else self.pairs.fixed
        value = float(points[row, (column - 1) % 2])
        return "–" if math.isnan(value) else f"{value:.1f}"

    # ------------------------------------------------------------ updates

    def reset(self, unit: str = "") -> None:
        """Pairs were added or removed (or a new set loaded)."""
        self.beginResetModel()
        self.unit = unit or self.unit
        self._residuals = self.pairs.residuals()
        self.endResetModel()

    def row_moved(self, row: int) -> None:
        """One pair's point moved and the fit changed: update its coordinates and every residual."""
        self._residuals = self.pairs.residuals()
        if 0 <= row < len(self.pairs):
            self.dataChanged.emit(self.index(row, 1), self.index(row, 4), [Qt.ItemDataRole.DisplayRole])
        self.residuals_changed()

    def residuals_changed(self) -> None:
        """The fit changed (model, pixel size): update the residual column."""
        self._residuals = self.pairs.residuals()
        if len(self.pairs):
            last = self.index(len(self.pairs) - 1, COL_RESIDUAL)
            self.dataChanged.emit(self.index(0, COL_RESIDUAL), last, [Qt.ItemDataRole.DisplayRole])


class PairsTable(QTableView):
    """The pairs table; Delete asks to remove the selected pair."""

    remove_requested = Signal(int)
    row_selected = Signal(int)

    def __init__(self, model: PairsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        # The residual's title carries the unit: a fixed width that fits it, set when the unit changes. Not
        # ResizeToContents, which would measure every row on each residual update while a landmark is dragged.
        self.horizontalHeader().setSectionResizeMode(COL_RESIDUAL, QHeaderView.ResizeMode.Fixed)
        model.modelReset.connect(self._fit_residual_column)
        self._fit_residual_column()
        self.setAccessibleName("Landmark pairs")
        self.setToolTip("Landmark pairs and their residuals. Delete removes the selected pair.")
        self.setMinimumHeight(150)
        self.selectionModel().currentRowChanged.connect(self._on_selection_current_row_changed)

    def _fit_residual_column(self) -> None:
        title = str(self.model().headerData(COL_RESIDUAL, Qt.Orientation.Horizontal))
        self.horizontalHeader().resizeSection(COL_RESIDUAL, self.fontMetrics().horizontalAdvance(title) + 28)

    def select_row(self, row: int) -> None:
        """Select pair ``row`` without reporting it back."""
        self.blockSignals(True)
        self.selectionModel().blockSignals(True)
        if 0 <= row < self.model().rowCount():
            self.selectRow(row)
            self.scrollTo(self.model().index(row, 0))
        else:
            self.clearSelection()
        self.selectionModel().blockSignals(False)
        self.blockSignals(False)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Delete or Backspace removes the selected pair."""
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self.currentIndex().isValid():
            self.remove_requested.emit(self.currentIndex().row())
            event.accept()
            return
        super().keyPressEvent(event)

    def _on_selection_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.row_selected.emit(current.row())
