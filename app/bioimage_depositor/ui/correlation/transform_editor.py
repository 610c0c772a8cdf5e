"""The transforms of one correlation: which systems each maps between, and the three ways to make one.

A correlation usually has one transform (light microscopy onto EM); more are possible.
The editor picks the transform, its moving (input) and reference (output) coordinate
systems, and shows three tabs that each make it in their own way — a typed matrix, a
BigWarp/ec-CLEM file, landmarks clicked on two previews. Whatever a tab stores goes
through :class:`~.slot.TransformSlot`; the editor then updates its summary and tells the
page, which fills the BIA free-text fields and saves the draft.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ...domain.correlation_model import AffineTransform, CoordinateSystem
from ...domain.deposition import Deposition
from ...domain.landmarks import MatrixError, ngff_affine_rows, rescale, unit_factor
from ...domain.problems import Location, Problem
from ...domain.rembi import ImageCorrelation
from ..field_widgets import ProblemLabel
from .file_tab import FileTab
from .images import ImageLoader
from .landmark_tab import LandmarkTab
from .matrix_tab import MatrixTab
from .slot import TransformSlot
from .transform_build import Descriptions, describe_stored, system_unit, unit_symbol

TAB_MATRIX, TAB_FILE, TAB_LANDMARKS = range(3)
METHOD_TABS = {"matrix": TAB_MATRIX, "file": TAB_FILE, "landmarks": TAB_LANDMARKS}
HOW = {"matrix": "typed as a matrix", "file": "imported from a file", "landmarks": "fitted to clicked landmarks"}


def default_ends(deposition: Deposition, systems: list[CoordinateSystem]) -> tuple[str, str]:
    """Moving and reference system for a new transform: light microscopy (BIA) onto EM (EMPIAR, EMDB)."""
    archives = {c.id: c.archive for c in deposition.components}

    def is_em(system: CoordinateSystem) -> bool:
        if system.accession:
            return system.accession.startswith(("EMPIAR-", "EMD-"))
        return archives.get(system.component_id) == "EMPIAR"

    reference = next((s.name for s in systems if is_em(s)), systems[-1].name if len(systems) > 1 else "")
    moving = next((s.name for s in systems if s.name != reference), "")
    return moving, reference


class TransformEditor(QWidget):
    """Choose a transform and its systems; make it in one of three tabs."""

    changed = Signal()  # the draft was edited
    written = Signal(object)  # Descriptions of a transform a tab just stored
    describe_requested = Signal(object)  # Descriptions the user asked to write into the text fields

    def __init__(self, loader: ImageLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.deposition: Deposition | None = None
        self.correlation: ImageCorrelation | None = None
        self.location: Location = ()
        self.slot: TransformSlot | None = None
        self.last_descriptions: dict[tuple[str, int], Descriptions] = {}
        self._filling = False
        title = QLabel("Registration transform")
        title.setObjectName("sectionTitle")
        help_label = QLabel(
            "How points of the moving images map onto the reference images. Make it one of three ways; the "
            "result is stored in OME-NGFF z, y, x order with explicit units and written to an OME-NGFF scene "
            "that goes into both uploads."
        )
        help_label.setObjectName("helpLabel")
        help_label.setWordWrap(True)
        self.transform_combo = QComboBox()
        self.transform_combo.setAccessibleName("Transform")
        self.add_button = QPushButton("Add transform")
        self.add_button.setToolTip("Start another transform of this correlation (e.g. for a third dataset).")
        self.remove_button = QPushButton("Remove transform")
        self.moving_combo = QComboBox()
        self.moving_combo.setAccessibleName("Moving coordinate system")
        self.moving_combo.setToolTip("The input of the transform: usually the light-microscopy images.")
        self.reference_combo = QComboBox()
        self.reference_combo.setAccessibleName("Reference coordinate system")
        self.reference_combo.setToolTip("The output of the transform: usually the EM images everything is shown in.")
        self.matrix_tab = MatrixTab()
        self.file_tab = FileTab()
        self.landmark_tab = LandmarkTab(loader)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.matrix_tab, "Type a matri&x")
        self.tabs.addTab(self.file_tab, "Import a &landmark file")
        self.tabs.addTab(self.landmark_tab, "&Click landmarks")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.describe_button = QPushButton("&Write the descriptions")
        self.describe_button.setToolTip(
            "Fill the Alignment, Fiducials and Transformation fields above from this transform (replacing them)."
        )
        self.problems = ProblemLabel()

        moving_label = QLabel("Mo&ving system")
        moving_label.setBuddy(self.moving_combo)
        reference_label = QLabel("&Reference system")
        reference_label.setBuddy(self.reference_combo)
        choose = QHBoxLayout()
        choose.addWidget(QLabel("Transform"))
        choose.addWidget(self.transform_combo, 1)
        choose.addWidget(self.add_button)
        choose.addWidget(self.remove_button)
        ends = QGridLayout()
        ends.addWidget(moving_label, 0, 0)
        ends.addWidget(self.moving_combo, 0, 1)
        ends.addWidget(reference_label, 0, 2)
        ends.addWidget(self.reference_combo, 0, 3)
        ends.setColumnStretch(1, 1)
        ends.setColumnStretch(3, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.summary, 1)
        bottom.addWidget(self.describe_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(help_label)
        layout.addLayout(choose)
        layout.addLayout(ends)
        layout.addWidget(self.problems)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(bottom)
        self.transform_combo.currentIndexChanged.connect(self._on_transform_combo_changed)
        self.moving_combo.currentIndexChanged.connect(lambda _i: self._on_ends_changed())
        self.reference_combo.currentIndexChanged.connect(lambda _i: self._on_ends_changed())
        self.add_button.clicked.connect(self.add_transform)
        self.remove_button.clicked.connect(self.remove_transform)
        self.describe_button.clicked.connect(self._on_describe_button_clicked)

    # ------------------------------------------------------------ binding

    def bind(self, deposition: Deposition, correlation: ImageCorrelation | None, location: Location) -> None:
        """Edit ``correlation``'s transforms (its first one, or a new one when it has none)."""
        self.deposition = deposition
        self.correlation = correlation
        self.location = location
        keep = self.slot.index if self.slot is not None and self.slot.correlation is correlation else 0
        self.setEnabled(correlation is not None)
        if correlation is None:
            self.slot = None
            return
        self.select_transform(min(keep, len(correlation.transforms)))

    def refresh_systems(self) -> None:
        """The systems changed (added, removed, renamed, new unit): offer them again."""
        if self.correlation is not None and self.slot is not None:
            self.select_transform(self.slot.index)

    def select_transform(self, index: int) -> None:
        """Show transform ``index`` (``len(transforms)`` for a new one) and bind the tabs to it."""
        assert self.deposition is not None and self.correlation is not None
        transforms = self.correlation.transforms
        index = max(0, min(index, len(transforms)))
        transform = transforms[index] if index < len(transforms) else None
        systems = self.correlation.coordinate_systems
        if transform is not None:
            moving, reference = transform.input, transform.output
        elif self.slot is not None and self.slot.index == index and self.slot.correlation is self.correlation:
            moving, reference = self.slot.input, self.slot.output
        else:
            moving, reference = default_ends(self.deposition, systems)
        names = {s.name for s in systems}
        if moving not in names or reference not in names:
            fallback = default_ends(self.deposition, systems)
            moving = moving if moving in names else fallback[0]
            reference = reference if reference in names else fallback[1]
        self.slot = TransformSlot(self.deposition, self.correlation, index, moving, reference, self._on_slot_write)
        self._filling = True
        self._fill_transform_combo()
        for combo, chosen in ((self.moving_combo, moving), (self.reference_combo, reference)):
            combo.clear()
            for system in systems:
                unit = unit_symbol(system_unit(system)) or "no unit"
                combo.addItem(f"{system.name} ({unit})", system.name)
            combo.setCurrentIndex(combo.findData(chosen))
        self._filling = False
        self.remove_button.setEnabled(transform is not None)
        self._bind_tabs(select_tab=True)
        self._update_summary()

    def _fill_transform_combo(self) -> None:
        assert self.correlation is not None and self.slot is not None
        self.transform_combo.blockSignals(True)
        self.transform_combo.clear()
        for number, transform in enumerate(self.correlation.transforms, start=1):
            how = HOW.get(transform.method, "")
            self.transform_combo.addItem(
                f"{number}. {transform.input or '?'} → {transform.output or '?'}" + (f" ({how})" if how else ""),
                number - 1,
            )
        if self.slot.index >= len(self.correlation.transforms):
            self.transform_combo.addItem("New transform (not stored yet)", len(self.correlation.transforms))
        self.transform_combo.setCurrentIndex(self.transform_combo.findData(self.slot.index))
        self.transform_combo.blockSignals(False)

    def _bind_tabs(self, *, select_tab: bool) -> None:
        assert self.slot is not None
        for tab in (self.matrix_tab, self.file_tab, self.landmark_tab):
            tab.bind(self.slot)
        if select_tab:
            transform = self.slot.transform()
            if transform is not None and transform.method in METHOD_TABS:
                self.tabs.setCurrentIndex(METHOD_TABS[transform.method])
            elif transform is not None and transform.matrix:
                self.tabs.setCurrentIndex(TAB_MATRIX)
            elif self.slot.files_of(self.slot.input) and self.slot.files_of(self.slot.output):
                self.tabs.setCurrentIndex(TAB_LANDMARKS)
            else:
                self.tabs.setCurrentIndex(TAB_FILE)

    # ------------------------------------------------------------ edits

    def _on_transform_combo_changed(self, _position: int) -> None:
        index = self.transform_combo.currentData()
        if isinstance(index, int) and self.correlation is not None:
            self.select_transform(index)

    def add_transform(self) -> None:
        """Start a new transform (stored once a tab makes it)."""
        if self.correlation is not None:
            self.slot = None  # new ends are chosen by default_ends
            self.select_transform(len(self.correlation.transforms))

    def remove_transform(self) -> None:
        """Remove the selected transform from the draft."""
        if self.correlation is None or self.slot is None or self.slot.transform() is None:
            return
        del self.correlation.transforms[self.slot.index]
        self.changed.emit()
        self.select_transform(max(0, self.slot.index - 1) if self.correlation.transforms else 0)

    def _on_ends_changed(self) -> None:
        if self._filling or self.slot is None:
            return
        moving = str(self.moving_combo.currentData() or "")
        reference = str(self.reference_combo.currentData() or "")
        transform = self.slot.transform()
        self.slot.input, self.slot.output = moving, reference
        if transform is not None and (transform.input, transform.output) != (moving, reference):
            self._retarget(transform, moving, reference)
            self._fill_transform_combo()
            self.changed.emit()
        self._bind_tabs(select_tab=False)
        self._update_summary()

    def _retarget(self, transform: AffineTransform, moving: str, reference: str) -> None:
        """Point ``transform`` at other systems, re-expressing its matrix when their units differ."""
        assert self.correlation is not None
        units = {s.name: system_unit(s) for s in self.correlation.coordinate_systems}
        old_in, old_out = units.get(transform.input, ""), units.get(transform.output, "")
        new_in, new_out = units.get(moving, ""), units.get(reference, "")
        if transform.matrix and all((old_in, old_out, new_in, new_out)):
            try:
                matrix = rescale(transform.matrix, unit_factor(old_in, new_in), unit_factor(old_out, new_out))
                transform.matrix = [list(row) for row in ngff_affine_rows(matrix)]
            except MatrixError:
                pass  # a matrix that is not usable is reported by the rules as it is
        transform.input, transform.output = moving, reference

    def _on_slot_write(self, transform: AffineTransform, descriptions: Descriptions) -> None:
        assert self.correlation is not None and self.slot is not None
        self.last_descriptions[(self.correlation.id, self.slot.index)] = descriptions
        self._fill_transform_combo()
        self.remove_button.setEnabled(True)
        self._update_summary()
        self.written.emit(descriptions)
        self.changed.emit()

    def _on_describe_button_clicked(self) -> None:
        descriptions = self.current_descriptions()
        if descriptions is not None:
            self.describe_requested.emit(descriptions)

    def current_descriptions(self) -> Descriptions | None:
        """What the text fields should say about the selected transform, or None when there is none."""
        if self.correlation is None or self.slot is None:
            return None
        transform = self.slot.transform()
        if transform is None:
            return None
        made = self.last_descriptions.get((self.correlation.id, self.slot.index))
        return made if made is not None and made.alignment else describe_stored(transform)

    def _update_summary(self) -> None:
        transform = self.slot.transform() if self.slot is not None else None
        self.describe_button.setEnabled(transform is not None)
        if transform is None:
            self.summary.setText("Nothing stored yet: make the transform in one of the tabs.")
            return
        how = HOW.get(transform.method, "")
        stored = f"Stored: {transform.input} → {transform.output}" + (f", {how}" if how else "")
        if transform.source_file is not None:
            stored += f"; {transform.source_file.name} goes into the package as provenance"
        if not transform.matrix:
            stored += "; no matrix yet"
        self.summary.setText(stored + ".")

    # ------------------------------------------------------------ problems

    def show_problems(self, problems: list[Problem]) -> None:
        """Show the problems of the selected transform and of the correlation's transforms as a whole."""
        depth = len(self.location)
        mine = []
        for problem in problems:
            loc = problem.location
            if loc[:depth] != self.location or len(loc) <= depth or loc[depth] != "transforms":
                continue
            if len(loc) == depth + 1 or (self.slot is not None and loc[depth + 1] == self.slot.index):
                mine.append(problem)
        self.problems.show_problems(mine)
