"""Import a BigWarp (CSV, JSON) or ec-CLEM (XML) file: landmarks, the tool's matrix, and the file itself.

The file is read and hashed in a worker (:func:`~...domain.landmarks.load_landmark_file`);
a file that cannot be read gets its sentence inline, never a traceback. The page then asks
for the units when the file does not state them (BigWarp never does), offers a least-squares
refit of the landmarks or the tool's own matrix, shows every landmark's residual and the RMS,
and on "Use this transform" stores the transform together with the file's path, size and
SHA-256, so the original goes into both uploads next to the NGFF scene as provenance.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import numpy as np
import shiboken6
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...domain.correlation_model import ProvenanceFile
from ...domain.landmarks import (
    FitError,
    FitResult,
    LandmarkError,
    LandmarkImport,
    MatrixError,
    check_direction,
    fit_landmarks,
    invert_transform,
    load_landmark_file,
    residuals_of,
    unit_factor,
)
from ..background import run_in_background
from .slot import TransformSlot
from .transform_build import UNIT_CHOICES, TransformBuildError, build_transform, describe_file, unit_symbol

TOOLS = {"bigwarp-csv": "BigWarp", "bigwarp-json": "BigWarp", "ecclem-xml": "ec-CLEM"}
TOOL_MATRIX = "tool"
FIT_CHOICES = (("Refit: affine", "affine"), ("Refit: similarity", "similarity"), ("Refit: rigid", "rigid"))


@dataclass(frozen=True, eq=False)
class ReadFile:
    """A landmark file as read in the worker: its contents and the digest of its bytes."""

    path: str
    imported: LandmarkImport
    sha256: str


def read_file(path: str) -> ReadFile:
    """Read and hash a landmark file (blocking: call it off the UI thread)."""
    imported = load_landmark_file(path)
    return ReadFile(os.path.abspath(path), imported, hashlib.sha256(imported.raw).hexdigest())


class FileTab(QWidget):
    """Open a landmark file, choose units and model, see the residuals, and store the transform."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.slot: TransformSlot | None = None
        self.read: ReadFile | None = None
        self.fit: FitResult | None = None
        self.matrix: np.ndarray | None = None  # the transform to store, in the file's axis order
        self.matrix_units = ("", "")
        self._loading_path = ""
        self.open_button = QPushButton("&Open a landmark file…")
        self.open_button.setToolTip("BigWarp landmarks (CSV or JSON) or an ec-CLEM transformation (XML).")
        self.file_label = QLabel("No file chosen yet.")
        self.file_label.setWordWrap(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setObjectName("problemLabel")
        self.status.hide()
        self.moving_unit = self._unit_combo("Units of the moving image's landmark coordinates")
        self.fixed_unit = self._unit_combo("Units of the reference image's landmark coordinates")
        self.choice_combo = QComboBox()
        self.choice_combo.setAccessibleName("Fit model")
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Landmark", "Residual"])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setAccessibleName("Residual of each landmark")
        self.table.setMinimumHeight(120)
        self.rms_label = QLabel()
        self.provenance_note = QLabel(
            "The file itself goes into both uploads, unchanged, next to the OME-NGFF scene, so the landmarks "
            "stay with the transform as provenance."
        )
        self.provenance_note.setObjectName("helpLabel")
        self.provenance_note.setWordWrap(True)
        self.use_button = QPushButton("&Use this transform")
        self.use_button.setEnabled(False)
        moving_label = QLabel("Moving unit&s")
        moving_label.setBuddy(self.moving_unit)
        fixed_label = QLabel("R&eference units")
        fixed_label.setBuddy(self.fixed_unit)
        choice_label = QLabel("Fit mo&del")
        choice_label.setBuddy(self.choice_combo)
        top = QHBoxLayout()
        top.addWidget(self.open_button)
        top.addStretch(1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 8)
        form = QFormLayout()
        outer.addLayout(form)
        outer.addStretch(1)
        form.addRow(top)
        form.addRow(self.file_label)
        form.addRow(self.status)
        form.addRow(moving_label, self.moving_unit)
        form.addRow(fixed_label, self.fixed_unit)
        form.addRow(choice_label, self.choice_combo)
        form.addRow(self.table)
        form.addRow(self.rms_label)
        form.addRow(self.provenance_note)
        buttons = QHBoxLayout()
        buttons.addWidget(self.use_button)
        buttons.addStretch(1)
        form.addRow(buttons)
        self.open_button.clicked.connect(self._on_open_button_clicked)
        self.moving_unit.currentIndexChanged.connect(lambda _i: self.recompute())
        self.fixed_unit.currentIndexChanged.connect(lambda _i: self.recompute())
        self.choice_combo.currentIndexChanged.connect(lambda _i: self.recompute())
        self.use_button.clicked.connect(self.use_transform)
        self._set_inputs_enabled(False)

    @staticmethod
    def _unit_combo(description: str) -> QComboBox:
        combo = QComboBox()
        combo.addItem("Choose the unit…", "")
        for unit in UNIT_CHOICES:
            combo.addItem(f"{unit} ({unit_symbol(unit)})" if unit_symbol(unit) != unit else unit, unit)
        combo.setAccessibleName(description)
        return combo

    def _set_inputs_enabled(self, enabled: bool) -> None:
        for widget in (self.moving_unit, self.fixed_unit, self.choice_combo):
            widget.setEnabled(enabled)

    def bind(self, slot: TransformSlot) -> None:
        """Work on ``slot``; say which file its stored transform came from, if any."""
        self.slot = slot
        transform = slot.transform()
        source = transform.source_file if transform is not None else None
        if self.read is None and source is not None:
            self.file_label.setText(
                f"The stored transform was imported from {source.name} ({source.format}, SHA-256 "
                f"{source.sha256[:12]}…). Open it again to see its landmarks."
            )
        elif self.read is None:
            self.file_label.setText("No file chosen yet.")

    def busy(self) -> bool:
        """Whether a file is being read."""
        return bool(self._loading_path)

    # ------------------------------------------------------------ reading

    def _on_open_button_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Open a landmark or transform file",
            "",
            "Landmark files (*.csv *.json *.xml *.txt);;All files (*)",
        )
        if path:
            self.import_file(path)

    def import_file(self, path: str) -> None:
        """Read ``path`` in the background; the result (or the reason it failed) appears in the tab."""
        self._loading_path = path
        self.open_button.setEnabled(False)
        self.file_label.setText(f"Reading {os.path.basename(path)}…")
        self.status.hide()
        run_in_background(lambda: read_file(path), self._on_worker_read, self._on_worker_failed)

    def _on_worker_failed(self, error: BaseException) -> None:
        if not shiboken6.isValid(self):
            return  # the page closed while the file was read
        name = os.path.basename(self._loading_path)
        self._loading_path = ""
        self.open_button.setEnabled(True)
        if isinstance(error, LandmarkError):
            message = error.message
        else:  # an unexpected failure still ends as a sentence, never a traceback
            message = f"{name} could not be read ({type(error).__name__}: {error})."
        self.file_label.setText(f"{name} was not imported." if self.read is None else self.file_label.text())
        self._show_status(message)

    def _on_worker_read(self, read: ReadFile) -> None:
        if not shiboken6.isValid(self):
            return
        self._loading_path = ""
        self.open_button.setEnabled(True)
        self.read = read
        imported = read.imported
        tool = TOOLS.get(imported.format, imported.format)
        facts = [
            f"<b>{_escape(imported.source)}</b>: {tool} file, {imported.n_pairs} landmark pair"
            f"{'s' if imported.n_pairs != 1 else ''} in {imported.ndim}-D"
        ]
        if imported.transform_type:
            facts.append(f"transform type {_escape(imported.transform_type)}")
        if imported.matrix is not None:
            facts.append("with the tool's own matrix")
        text = ", ".join(facts) + "."
        if imported.notes:
            text += "<br>" + "<br>".join(_escape(note) for note in imported.notes)
        self.file_label.setText(text)
        self._select_unit(self.moving_unit, imported.moving_unit)
        self._select_unit(self.fixed_unit, imported.fixed_unit)
        self.choice_combo.blockSignals(True)
        self.choice_combo.clear()
        if imported.n_pairs:
            for label, model in FIT_CHOICES:
                self.choice_combo.addItem(label, model)
        if imported.matrix is not None:
            self.choice_combo.addItem(f"The matrix {tool} computed", TOOL_MATRIX)
        preferred = TOOL_MATRIX if imported.n_pairs == 0 else (imported.model or "affine")
        position = self.choice_combo.findData(preferred)
        self.choice_combo.setCurrentIndex(max(0, position))
        self.choice_combo.blockSignals(False)
        self._set_inputs_enabled(True)
        self.recompute()

    @staticmethod
    def _select_unit(combo: QComboBox, unit: str) -> None:
        combo.blockSignals(True)
        combo.setCurrentIndex(max(0, combo.findData(unit)) if unit else 0)
        combo.blockSignals(False)

    # ------------------------------------------------------------ computing

    def recompute(self) -> None:
        """Fit or evaluate the file's transform with the chosen units and model; show residuals and RMS."""
        self.fit = None
        self.matrix = None
        self.use_button.setEnabled(False)
        self.table.setRowCount(0)
        self.rms_label.clear()
        if self.read is None:
            return
        imported = self.read.imported
        moving_unit, fixed_unit = self.moving_unit.currentData(), self.fixed_unit.currentData()
        if not moving_unit or not fixed_unit:
            self._show_status(
                f"{imported.source} does not say which units its coordinates are in: choose the units of the "
                "moving and of the reference landmarks.",
                question=True,
            )
            return
        choice = str(self.choice_combo.currentData() or "")
        try:
            if choice == TOOL_MATRIX and imported.matrix is not None:
                matrix = np.asarray(imported.matrix, dtype=np.float64)
                note = ""
                if imported.n_pairs:
                    direction = check_direction(matrix, imported.moving, imported.fixed)
                    if direction.direction == "inverse":
                        matrix = invert_transform(matrix)
                        note = " The file's matrix maps reference to moving; its inverse is used."
                    self.fit = residuals_of(matrix, imported.moving, imported.fixed)
                self.matrix = matrix
                self.matrix_units = (moving_unit, fixed_unit)
                residual_unit = fixed_unit
            else:
                # both sides in the reference unit, so rigid and similarity fits are not skewed by units
                factor = unit_factor(moving_unit, fixed_unit)
                self.fit = fit_landmarks(
                    imported.moving * factor, imported.fixed, choice or "affine", names=list(imported.names)
                )
                self.matrix = np.asarray(self.fit.matrix)
                self.matrix_units = (fixed_unit, fixed_unit)
                residual_unit = fixed_unit
                note = ""
        except (FitError, MatrixError) as error:
            self._show_status(error.message)
            return
        self.status.hide()
        if self.fit is not None and self.fit.n_pairs:
            self.table.setRowCount(self.fit.n_pairs)
            for row in range(self.fit.n_pairs):
                name = imported.names[row] if row < len(imported.names) else str(row + 1)
                self.table.setItem(row, 0, QTableWidgetItem(name))
                self.table.setItem(
                    row, 1, QTableWidgetItem(f"{self.fit.residuals[row]:.3g} {unit_symbol(residual_unit)}")
                )
            notes = " ".join(self.fit.notes)
            self.rms_label.setText(
                f"RMS residual {self.fit.rms:.3g} {unit_symbol(residual_unit)}, largest "
                f"{self.fit.max_residual:.3g} {unit_symbol(residual_unit)}.{note} {notes}".strip()
            )
        else:
            self.rms_label.setText(f"The file has no landmarks to check the matrix against.{note}")
        self.use_button.setEnabled(True)

    def use_transform(self) -> bool:
        """Store the imported transform and the file's provenance in the slot."""
        if self.slot is None or self.read is None or self.matrix is None:
            return False
        imported = self.read.imported
        try:
            target = self.slot.target()
            transform, _lifted = build_transform(
                self.matrix,
                axis_order=imported.axis_order,
                moving_unit=self.matrix_units[0],
                fixed_unit=self.matrix_units[1],
                target=target,
            )
        except (TransformBuildError, MatrixError) as error:
            self._show_status(error.message)
            return False
        tool = TOOLS.get(imported.format, imported.format)
        choice = str(self.choice_combo.currentData() or "")
        used_tool = choice == TOOL_MATRIX
        descriptions = describe_file(
            self.fit,
            file_name=imported.source,
            tool=tool,
            unit=self.matrix_units[1],
            target=target,
            used_tool_matrix=used_tool,
        )
        provenance = ProvenanceFile(
            path=self.read.path,
            name=imported.source,
            sha256=self.read.sha256,
            size_bytes=len(imported.raw),
            format=imported.format,
            moving_unit=str(self.moving_unit.currentData()),
            fixed_unit=str(self.fixed_unit.currentData()),
        )
        transform = transform.model_copy(
            update={
                "name": descriptions.alignment,
                "method": "file",
                "fit_model": "" if used_tool else choice,
                "source_file": provenance,
            }
        )
        self.slot.write(transform, descriptions)
        self.rms_label.setText(self.rms_label.text() + " Stored as this correlation's transform.")
        return True

    def _show_status(self, message: str, *, question: bool = False) -> None:
        colour, mark = ("#b26a00", "⚠") if question else ("#c62828", "✖")
        self.status.setText(f"<span style='color:{colour}'>{mark} {_escape(message)}</span>")
        self.status.show()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
