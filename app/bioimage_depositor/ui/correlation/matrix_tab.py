"""Type or paste a registration matrix: read as it is typed, stored in NGFF order when confirmed.

The text is parsed on every change with :func:`~...domain.landmarks.parse_matrix`, and the
sentence under the box says what was understood or what is wrong (row and value). Pressing
"Use this matrix" converts it to the coordinate systems' z, y, x order (from x, y, z when
the user says it came from BigWarp, ec-CLEM or MoBIE), lifts a 2-D matrix to 3-D systems
with z unchanged, stores it, and rewrites the box with the stored matrix formatted the
same way every time (:func:`~...domain.landmarks.format_matrix`).
"""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...domain.landmarks import MatrixError, ParsedMatrix, format_matrix, parse_matrix
from .slot import TransformSlot
from .transform_build import TransformBuildError, build_transform, describe_matrix, unit_symbol

ORDERS = (
    ("z, y, x (NGFF order, as stored)", "zyx"),
    ("x, y, z (BigWarp, ec-CLEM, MoBIE)", "xyz"),
)


class MatrixTab(QWidget):
    """A text box for the matrix, its axis order, a live verdict and a button to store it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.slot: TransformSlot | None = None
        self.parsed: ParsedMatrix | None = None
        self.text = QPlainTextEdit()
        self.text.setTabChangesFocus(True)  # Tab leaves the box, so the keyboard is never trapped
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setPlaceholderText("0.998  -0.052  0  1520\n0.052   0.998  0  -310.5\n0       0      1  42")
        self.text.setFixedHeight(96)
        self.text.setAccessibleName("Matrix entries")
        self.order_combo = QComboBox()
        for label, order in ORDERS:
            self.order_combo.addItem(label, order)
        self.order_combo.setToolTip("The axis order of the rows and columns as typed; the draft stores z, y, x.")
        self.units_label = QLabel()
        self.units_label.setObjectName("helpLabel")
        self.units_label.setWordWrap(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setObjectName("problemLabel")
        self.use_button = QPushButton("&Use this matrix")
        self.use_button.setToolTip("Store the matrix as this correlation's transform.")
        text_label = QLabel("Matrix entrie&s")
        text_label.setBuddy(self.text)
        order_label = QLabel("Axis or&der")
        order_label.setBuddy(self.order_combo)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 8)
        form = QFormLayout()
        outer.addLayout(form)
        outer.addStretch(1)
        form.addRow(text_label, self.text)
        form.addRow("", self.status)
        form.addRow(order_label, self.order_combo)
        form.addRow("", self.units_label)
        buttons = QHBoxLayout()
        buttons.addWidget(self.use_button)
        buttons.addStretch(1)
        form.addRow("", buttons)
        self.text.textChanged.connect(self._on_text_text_changed)
        self.order_combo.currentIndexChanged.connect(lambda _i: self._update_units())
        self.use_button.clicked.connect(self.use_matrix)
        self._on_text_text_changed()

    def bind(self, slot: TransformSlot) -> None:
        """Show the slot's stored matrix (formatted) or keep what is being typed for a new transform."""
        self.slot = slot
        transform = slot.transform()
        if transform is not None and transform.matrix:
            try:
                shown = format_matrix(transform.matrix)
            except MatrixError:
                shown = ""
            if shown and shown != self.text.toPlainText():
                self.text.setPlainText(shown)
                self.order_combo.setCurrentIndex(0)
        self._update_units()

    def _update_units(self) -> None:
        if self.slot is None:
            self.units_label.clear()
            return
        try:
            target = self.slot.target()
        except TransformBuildError as error:
            self.units_label.setText(error.message)
            return
        self.units_label.setText(
            f"The matrix maps points of {target.input} (in {unit_symbol(target.input_unit)}) to {target.output} "
            f"(in {unit_symbol(target.output_unit)}); the last column is the translation."
        )

    def _on_text_text_changed(self) -> None:
        text = self.text.toPlainText()
        if not text.strip():
            self.parsed = None
            self.status.setText("Type or paste the matrix: one row per line, numbers separated by spaces or commas.")
            self.status.setStyleSheet("")
            self.use_button.setEnabled(False)
            return
        try:
            self.parsed = parse_matrix(text)
        except MatrixError as error:
            self.parsed = None
            self.status.setText(f"✖ {error.message}")
            self.status.setStyleSheet("color: #c62828;")
            self.use_button.setEnabled(False)
            return
        notes = " ".join(self.parsed.notes)
        self.status.setText(f"✓ A {self.parsed.ndim}-D affine matrix. {notes}".strip())
        self.status.setStyleSheet("color: #2e7d32;")
        self.use_button.setEnabled(True)

    def use_matrix(self) -> bool:
        """Store the typed matrix as the slot's transform; say why not inline when it cannot be."""
        if self.slot is None or self.parsed is None:
            return False
        order = str(self.order_combo.currentData())
        axis_order = order[-self.parsed.ndim :] if order == "zyx" else order[: self.parsed.ndim]
        try:
            target = self.slot.target()
            transform, lifted = build_transform(
                self.parsed.matrix,
                axis_order=axis_order,
                moving_unit=target.input_unit,
                fixed_unit=target.output_unit,
                target=target,
                name="Affine matrix entered by hand",
            )
        except (TransformBuildError, MatrixError) as error:
            self.status.setText(f"✖ {error.message}")
            self.status.setStyleSheet("color: #c62828;")
            return False
        transform = transform.model_copy(update={"method": "matrix"})
        self.slot.write(transform, describe_matrix(target))
        self.text.setPlainText(format_matrix(transform.matrix))
        self.order_combo.setCurrentIndex(0)
        lifted_note = " The 2-D matrix was applied with z unchanged." if lifted else ""
        self.status.setText(f"✓ Stored in z, y, x order, as the OME-NGFF scene will hold it.{lifted_note}")
        self.status.setStyleSheet("color: #2e7d32;")
        return True
