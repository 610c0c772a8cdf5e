"""The coordinate systems of a correlation: one per dataset, with its axes and unit.

Every transform maps between two of these, and the OME-NGFF scene lists them with an
explicit unit on each axis. The name can be edited in place (transforms follow the new
name); the unit and the axes are chosen from lists. Changing the unit of a system that a
transform uses re-expresses that transform in the new unit (the same physical mapping, e.g.
translations × 1000 from µm to nm), and the table says so; the axes of a system in use are
not changed, because the stored matrix would no longer fit them. The last column shows the
pixel size the images state, which the default unit came from.
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...domain.correlation_model import CoordinateSystem
from ...domain.deposition import Deposition
from ...domain.landmarks import MatrixError, ngff_affine_rows, rescale, spatial_axes, unit_factor
from ...domain.problems import Problem
from ...domain.rembi import ImageCorrelation
from ..field_widgets import ProblemLabel
from .datasets_panel import PixelSizes, first_source
from .transform_build import UNIT_CHOICES, system_ndim, system_unit, unit_symbol

COL_NAME, COL_DATASET, COL_AXES, COL_UNIT, COL_PIXELS = range(5)
AXES = (("z, y, x", 3), ("y, x", 2))


class SystemsTable(QWidget):
    """Edits the names, axes and units of a correlation's coordinate systems."""

    changed = Signal()
    renamed = Signal(str, str)  # old, new
    unit_chosen = Signal(str)  # system name whose unit the user chose

    def __init__(self, pixel_sizes: PixelSizes, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pixel_sizes = pixel_sizes
        self.deposition: Deposition | None = None
        self.correlation: ImageCorrelation | None = None
        self._filling = False
        title = QLabel("Coordinate s&ystems")
        title.setObjectName("sectionTitle")
        help_label = QLabel(
            "The space each dataset's images live in: axes in OME-NGFF order and the unit of every axis. "
            "Transforms map points of one system into another."
        )
        help_label.setObjectName("helpLabel")
        help_label.setWordWrap(True)
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["Name", "Dataset", "Axes", "Unit", "Pixel size in the files"])
        self.table.verticalHeader().hide()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_AXES, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_UNIT, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setAccessibleName("Coordinate systems")
        self.table.setToolTip("F2 or typing renames a system; the unit and axes are chosen in their columns.")
        title.setBuddy(self.table)
        self.note = QLabel()
        self.note.setObjectName("helpLabel")
        self.note.setWordWrap(True)
        self.note.hide()
        self.problems = ProblemLabel()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(help_label)
        layout.addWidget(self.table)
        layout.addWidget(self.note)
        layout.addWidget(self.problems)
        self.table.itemChanged.connect(self._on_table_item_changed)
        pixel_sizes.found.connect(lambda _source: self._fill_pixel_column())

    def bind(self, deposition: Deposition, correlation: ImageCorrelation | None) -> None:
        """Show ``correlation``'s systems."""
        self.deposition = deposition
        self.correlation = correlation
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the rows from the model."""
        self._filling = True
        systems = self.correlation.coordinate_systems if self.correlation is not None else []
        self.table.setRowCount(len(systems))
        for row, system in enumerate(systems):
            name = QTableWidgetItem(system.name)
            name.setToolTip("The system's name in the OME-NGFF scene; double-click or press F2 to rename it.")
            self.table.setItem(row, COL_NAME, name)
            dataset = QTableWidgetItem(self._dataset_text(system))
            dataset.setFlags(dataset.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.table.setItem(row, COL_DATASET, dataset)
            self.table.setCellWidget(row, COL_AXES, self._axes_combo(system))
            self.table.setCellWidget(row, COL_UNIT, self._unit_combo(system))
        self._fill_pixel_column()
        self.table.resizeRowsToContents()
        height = self.table.horizontalHeader().height() + sum(self.table.rowHeight(r) for r in range(len(systems)))
        self.table.setFixedHeight(max(height + 6, 60))
        self._filling = False
        self.setEnabled(self.correlation is not None)

    def _dataset_text(self, system: CoordinateSystem) -> str:
        if system.accession:
            return f"{system.accession} (public)"
        if system.component_id and self.deposition is not None:
            component = next((c for c in self.deposition.components if c.id == system.component_id), None)
            if component is not None:
                return f"{component.name or '(unnamed)'}  —  {component.archive}"
            return "(a removed component)"
        return "Display space"

    def _axes_combo(self, system: CoordinateSystem) -> QComboBox:
        combo = QComboBox()
        combo.setAccessibleName(f"Axes of {system.name}")
        for label, count in AXES:
            combo.addItem(label, count)
        ndim = system_ndim(system)
        position = combo.findData(ndim)
        if position < 0 or len(system.axes) != ndim:
            combo.addItem(", ".join(axis.name for axis in system.axes) or "(none)", -1)
            position = combo.count() - 1
        combo.setCurrentIndex(position)
        combo.currentIndexChanged.connect(lambda _i, name=system.name, combo=combo: self.set_axes(name, combo))
        return combo

    def _unit_combo(self, system: CoordinateSystem) -> QComboBox:
        combo = QComboBox()
        combo.setAccessibleName(f"Unit of {system.name}")
        unit = system_unit(system)
        if not unit:
            combo.addItem("Choose…", "")
        for choice in UNIT_CHOICES:
            combo.addItem(f"{choice} ({unit_symbol(choice)})" if unit_symbol(choice) != choice else choice, choice)
        combo.setCurrentIndex(max(0, combo.findData(unit)))
        combo.currentIndexChanged.connect(
            lambda _i, name=system.name, combo=combo: self.set_unit(name, str(combo.currentData() or ""))
        )
        return combo

    def _fill_pixel_column(self) -> None:
        if self.correlation is None or self.deposition is None:
            return
        was = self._filling
        self._filling = True
        for row, system in enumerate(self.correlation.coordinate_systems):
            if row >= self.table.rowCount():
                break
            text = "–"
            component = next((c for c in self.deposition.components if c.id == system.component_id), None)
            if component is not None:
                source = first_source(component)
                if not source:
                    text = "no local files"
                elif source not in self.pixel_sizes.known:
                    text = "reading…"
                    self.pixel_sizes.request(source)
                else:
                    size = self.pixel_sizes.known[source]
                    text = (
                        f"{size.x:.4g} µm ({os.path.basename(source)})"
                        if size is not None and size.x
                        else f"not stated in {os.path.basename(source)}"
                    )
            item = QTableWidgetItem(text)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.table.setItem(row, COL_PIXELS, item)
        self._filling = was

    # ------------------------------------------------------------ edits

    def _on_table_item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() != COL_NAME:
            return
        self.rename(item.row(), item.text())

    def rename(self, row: int, text: str) -> bool:
        """Rename the system in ``row``; transforms follow. False (name restored) when the name is unusable."""
        if self.correlation is None or not 0 <= row < len(self.correlation.coordinate_systems):
            return False
        system = self.correlation.coordinate_systems[row]
        new = text.strip()
        old = system.name
        if new == old:
            return True
        if not new or any(s.name == new for s in self.correlation.coordinate_systems if s is not system):
            self._say(
                f"'{new}' cannot be used: every coordinate system needs its own, non-empty name."
                if new
                else "A coordinate system needs a name."
            )
            self.refresh()
            return False
        system.name = new
        for transform in self.correlation.transforms:
            if transform.input == old:
                transform.input = new
            if transform.output == old:
                transform.output = new
        self._say("")
        self.renamed.emit(old, new)
        self.changed.emit()
        self.refresh()
        return True

    def set_unit(self, name: str, unit: str) -> bool:
        """Give system ``name`` a unit; transforms that use it are re-expressed in the new unit."""
        system = self._system(name)
        if system is None or not unit:
            return False
        old = system_unit(system)
        if old == unit:
            return True
        redone = []
        if old and self.correlation is not None:
            factor = unit_factor(old, unit)
            for transform in self.correlation.transforms:
                if name not in (transform.input, transform.output) or not transform.matrix:
                    continue
                try:
                    matrix = rescale(
                        transform.matrix,
                        factor if transform.input == name else 1.0,
                        factor if transform.output == name else 1.0,
                    )
                except MatrixError:
                    continue  # a matrix that is not usable yet is reported by the rules; nothing to convert
                transform.matrix = [list(row) for row in ngff_affine_rows(matrix)]
                redone.append(transform.name or f"{transform.input} → {transform.output}")
        for axis in system.axes:
            if axis.type == "space":
                axis.unit = unit
        self.unit_chosen.emit(name)
        if redone:
            self._say(
                f"The transform between '{name}' and another system was re-expressed in {unit}: the same "
                "mapping, in the new unit."
                if len(redone) == 1
                else f"{len(redone)} transforms using '{name}' were re-expressed in {unit}: the same mappings."
            )
        else:
            self._say("")
        self.changed.emit()
        return True

    def set_axes(self, name: str, combo: QComboBox) -> bool:
        """Give system ``name`` two or three spatial axes, unless a transform uses it."""
        system = self._system(name)
        count = combo.currentData()
        if system is None or count not in (2, 3) or self.correlation is None:
            return False
        if any(name in (t.input, t.output) for t in self.correlation.transforms):
            self._say(f"A transform uses '{name}', so its axes stay as they are; remove the transform to change them.")
            self.refresh()
            return False
        system.axes = spatial_axes(int(count), system_unit(system) or "micrometer")
        self._say("")
        self.changed.emit()
        return True

    def _system(self, name: str) -> CoordinateSystem | None:
        if self.correlation is None:
            return None
        return next((s for s in self.correlation.coordinate_systems if s.name == name), None)

    def _say(self, text: str) -> None:
        self.note.setText(text)
        self.note.setVisible(bool(text))

    def show_problems(self, problems: list[Problem]) -> None:
        """Show the problems of the systems (names, axes, units, datasets)."""
        self.problems.show_problems(problems)
