"""Which datasets a correlation links: study components of the draft and data already public.

A correlative study often spans archives: light microscopy in the BIA, EM in EMPIAR, maybe
a map already in EMDB. Ticking a component associates the correlation with it (the same
association the Study components page edits, which the BIA needs) and gives it a
coordinate system; public data is added by accession (S-BIAD…, S-BSST…, EMPIAR-…, EMD-…),
read with :func:`~...domain.identifiers.parse_accession`, gets a coordinate system too, and
is listed among the study's related accessions so both archives link to it. A dataset whose
coordinate system a transform still uses cannot be taken out; the panel says why.

The coordinate system's unit starts from the archive (nanometres for EMPIAR and EMDB,
micrometres otherwise) and follows the images' pixel size once a worker has read it from
the component's first file (:class:`PixelSizes`).
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...domain.deposition import Deposition, StudyComponent
from ...domain.identifiers import IdentifierError, parse_accession
from ...domain.images import PixelSize
from ...domain.rembi import ImageCorrelation, RelatedAccession
from ..background import run_in_background
from .images import probe_pixel_size
from .transform_build import default_unit, new_system, slug, unique_name


class PixelSizes(QObject):
    """Pixel sizes of files, read once each in the background."""

    found = Signal(str)  # source

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.known: dict[str, PixelSize | None] = {}
        self._asked: set[str] = set()

    def request(self, source: str) -> None:
        """Read the pixel size of ``source`` unless it is known or being read."""
        if not source or source in self.known or source in self._asked:
            return
        self._asked.add(source)
        run_in_background(
            lambda: probe_pixel_size(source),
            lambda size: self._on_worker_done(source, size),
            lambda _error: self._on_worker_done(source, None),
        )

    def _on_worker_done(self, source: str, size: PixelSize | None) -> None:
        if not shiboken6.isValid(self):
            return  # the page closed while the file was read
        self._asked.discard(source)
        self.known[source] = size
        self.found.emit(source)


def first_source(component: StudyComponent) -> str:
    """The local path of the component's first file that has one ("" when none)."""
    return next((entry.source for entry in component.files if entry.source), "")


def menu_text(text: str) -> str:
    """User text for a checkbox or button, with ``&`` doubled so it never becomes a mnemonic."""
    return text.replace("&", "&&")


class AccessionEdit(QLineEdit):
    """A line edit whose Enter adds the accession instead of pressing the wizard's Next."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter means "add"."""
        super().keyPressEvent(event)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()


class DatasetsPanel(QWidget):
    """Tick the components that take part; add public data by accession."""

    changed = Signal()  # the draft was edited (associations, systems or related accessions)

    def __init__(self, pixel_sizes: PixelSizes, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pixel_sizes = pixel_sizes
        self.deposition: Deposition | None = None
        self.correlation: ImageCorrelation | None = None
        self.checkboxes: dict[str, QCheckBox] = {}
        self._auto_units: dict[str, str] = {}  # system name -> unit chosen by default (replaced by the probe)
        title = QLabel("Datasets in this correlation")
        title.setObjectName("sectionTitle")
        help_label = QLabel(
            "Tick the study components whose images are aligned, and add data that is already public by its "
            "accession. Each gets a coordinate system below."
        )
        help_label.setObjectName("helpLabel")
        help_label.setWordWrap(True)
        self.components_box = QVBoxLayout()
        self.components_box.setContentsMargins(0, 0, 0, 0)
        self.no_components = QLabel("The draft has no study components yet: add them on the Study components page.")
        self.no_components.setObjectName("helpLabel")
        self.accession_edit = AccessionEdit()
        self.accession_edit.setPlaceholderText("S-BIAD1234, S-BSST567, EMPIAR-10310 or EMD-12345")
        self.accession_edit.setAccessibleName("Accession of public data")
        self.accession_edit.setToolTip(
            "An entry of the BioImage Archive/BioStudies, EMPIAR or EMDB; a link to its page works too."
        )
        accession_label = QLabel("&Public data")
        accession_label.setBuddy(self.accession_edit)
        self.add_button = QPushButton("Add")
        self.add_button.setToolTip("Add the public dataset (Enter in the box)")
        self.public_list = QListWidget()
        self.public_list.setAccessibleName("Public data in this correlation")
        self.public_list.setMaximumHeight(72)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Take the selected public dataset out of this correlation")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setObjectName("problemLabel")
        self.message.hide()

        entry_row = QHBoxLayout()
        entry_row.addWidget(accession_label)
        entry_row.addWidget(self.accession_edit, 1)
        entry_row.addWidget(self.add_button)
        public_row = QHBoxLayout()
        public_row.addWidget(self.public_list, 1)
        public_row.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(help_label)
        layout.addLayout(self.components_box)
        layout.addWidget(self.no_components)
        layout.addLayout(entry_row)
        layout.addLayout(public_row)
        layout.addWidget(self.message)
        self.add_button.clicked.connect(self._on_add_button_clicked)
        self.accession_edit.returnPressed.connect(self._on_add_button_clicked)
        self.remove_button.clicked.connect(self._on_remove_button_clicked)
        self.public_list.currentRowChanged.connect(lambda row: self.remove_button.setEnabled(row >= 0))
        pixel_sizes.found.connect(self._on_pixel_sizes_found)

    # ------------------------------------------------------------ binding

    def bind(self, deposition: Deposition, correlation: ImageCorrelation | None) -> None:
        """Show which datasets take part in ``correlation``."""
        self.deposition = deposition
        self.correlation = correlation
        self.message.hide()
        while self.components_box.count():
            item = self.components_box.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.checkboxes = {}
        for component in deposition.components:
            box = QCheckBox(menu_text(f"{component.name or '(unnamed component)'}  —  {component.archive}"))
            box.setToolTip(f"Images of this component take part in the correlation; they go to {component.archive}.")
            box.setChecked(correlation is not None and correlation.id in component.correlation_ids)
            box.toggled.connect(lambda checked, component=component: self.set_component(component, checked))
            self.components_box.addWidget(box)
            self.checkboxes[component.id] = box
            if correlation is not None and box.isChecked():
                self.pixel_sizes.request(first_source(component))
        self.no_components.setVisible(not deposition.components)
        self._fill_public()
        self.setEnabled(correlation is not None)

    def _fill_public(self) -> None:
        self.public_list.clear()
        if self.correlation is None:
            return
        for system in self.correlation.coordinate_systems:
            if system.accession:
                item = QListWidgetItem(f"{system.accession}  (coordinate system '{system.name}')")
                item.setData(Qt.ItemDataRole.UserRole, system.accession)
                self.public_list.addItem(item)
        self.remove_button.setEnabled(False)

    # ------------------------------------------------------------ components

    def set_component(self, component: StudyComponent, taking_part: bool) -> bool:
        """Add or take out a component; False (with a message) when a transform still needs it."""
        if self.correlation is None:
            return False
        correlation = self.correlation
        system = next((s for s in correlation.coordinate_systems if s.component_id == component.id), None)
        if taking_part:
            if correlation.id not in component.correlation_ids:
                component.correlation_ids = [*component.correlation_ids, correlation.id]
            if system is None:
                self._add_system(component=component)
            self.pixel_sizes.request(first_source(component))
            self._say("")
        else:
            if system is not None and self._in_use(system.name):
                self._set_checked(component.id, True)
                self._say(
                    f"'{component.name}' cannot be taken out: the transform between '{system.name}' and another "
                    "system uses it. Remove that transform first."
                )
                return False
            component.correlation_ids = [ref for ref in component.correlation_ids if ref != correlation.id]
            if system is not None:
                correlation.coordinate_systems = [s for s in correlation.coordinate_systems if s is not system]
            self._say("")
        self._set_checked(component.id, taking_part)
        self.changed.emit()
        return True

    def _set_checked(self, component_id: str, checked: bool) -> None:
        box = self.checkboxes.get(component_id)
        if box is not None and box.isChecked() != checked:
            box.blockSignals(True)
            box.setChecked(checked)
            box.blockSignals(False)

    def _add_system(self, *, component: StudyComponent | None = None, accession: str = "", archive: str = "") -> str:
        assert self.correlation is not None
        taken = [s.name for s in self.correlation.coordinate_systems]
        if component is not None:
            base = slug(component.name, fallback=component.archive.lower())
            unit = default_unit(component.archive)
        else:
            base = slug(accession, fallback="public")
            unit = default_unit(archive)
        name = unique_name(base, taken)
        self.correlation.coordinate_systems = [
            *self.correlation.coordinate_systems,
            new_system(name, unit, component_id=component.id if component else "", accession=accession),
        ]
        if component is not None:
            self._auto_units[name] = unit
        return name

    def _on_pixel_sizes_found(self, source: str) -> None:
        """Use the images' pixel size for the unit of a system the user has not touched yet."""
        if self.correlation is None or self.deposition is None:
            return
        size = self.pixel_sizes.known.get(source)
        if size is None or not size.x:
            return
        changed = False
        for system in self.correlation.coordinate_systems:
            component = next((c for c in self.deposition.components if c.id == system.component_id), None)
            if component is None or first_source(component) != source:
                continue
            auto = self._auto_units.get(system.name)
            if auto is None or self._in_use(system.name):
                continue
            unit = default_unit(component.archive, size.x)
            if unit != auto and all(axis.unit == auto for axis in system.axes):
                for axis in system.axes:
                    axis.unit = unit
                changed = True
            self._auto_units.pop(system.name, None)
        if changed:
            self.changed.emit()

    def forget_auto_unit(self, system_name: str) -> None:
        """The user chose this system's unit: the images' pixel size must not replace it."""
        self._auto_units.pop(system_name, None)

    # ------------------------------------------------------------ public data

    def _on_add_button_clicked(self) -> None:
        if self.add_accession(self.accession_edit.text()):
            self.accession_edit.clear()

    def add_accession(self, text: str) -> bool:
        """Add public data by accession; False (with the reason shown) when the text is not one."""
        if self.correlation is None or self.deposition is None:
            return False
        if not text.strip():
            self._say("Type an accession such as S-BIAD1234, EMPIAR-10310 or EMD-12345.")
            return False
        try:
            archive, accession = parse_accession(text)
        except IdentifierError as error:
            self._say(error.message)
            return False
        if any(s.accession == accession for s in self.correlation.coordinate_systems):
            self._say(f"{accession} is already part of this correlation.")
            return False
        self._add_system(accession=accession, archive=archive)
        study = self.deposition.study
        if not any(related.accession == accession for related in study.related_accessions):
            description = f"Correlated with this study ({self.correlation.title or 'image correlation'})"
            study.related_accessions = [
                *study.related_accessions,
                RelatedAccession(accession=accession, description=description),
            ]
            self._say(
                f"{accession} was also added to the study's related accessions, so both archives link to it. Make a "
                "transform to its coordinate system below, or take it out here if a link is all you need.",
                problem=False,
            )
        else:
            self._say(
                "Make a transform to its coordinate system below, or take it out here if the study's related "
                "accession is all you need.",
                problem=False,
            )
        self._fill_public()
        self.changed.emit()
        return True

    def _on_remove_button_clicked(self) -> None:
        item = self.public_list.currentItem()
        if item is not None:
            self.remove_accession(str(item.data(Qt.ItemDataRole.UserRole)))

    def remove_accession(self, accession: str) -> bool:
        """Take public data out of the correlation (its study-level related accession stays)."""
        if self.correlation is None:
            return False
        system = next((s for s in self.correlation.coordinate_systems if s.accession == accession), None)
        if system is None:
            return False
        if self._in_use(system.name):
            self._say(
                f"{accession} cannot be taken out: a transform uses its coordinate system '{system.name}'. "
                "Remove that transform first."
            )
            return False
        self.correlation.coordinate_systems = [s for s in self.correlation.coordinate_systems if s is not system]
        self._say("")
        self._fill_public()
        self.changed.emit()
        return True

    # ------------------------------------------------------------ helpers

    def _in_use(self, system_name: str) -> bool:
        assert self.correlation is not None
        return any(system_name in (t.input, t.output) for t in self.correlation.transforms)

    def _say(self, text: str, *, problem: bool = True) -> None:
        if not text:
            self.message.hide()
            return
        safe = text.replace("&", "&amp;").replace("<", "&lt;")
        self.message.setText(f"<span style='color:#c62828'>✖ {safe}</span>" if problem else safe)
        self.message.show()
