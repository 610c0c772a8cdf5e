"""The Image correlation page: the REMBI fields, the datasets linked across archives, and the transforms.

It is the generic object-list page for ``correlations`` (same list, form, buttons and
problem marks as the other REMBI pages, from ``forms/correlation.toml``), with three parts
below the form for the selected correlation:

* **Datasets** — the study components that take part (each with its archive) and data
  already public, by accession (:mod:`.correlation.datasets_panel`);
* **Coordinate systems** — one per dataset, axes z, y, x with units
  (:mod:`.correlation.systems_table`);
* **Registration transform** — typed, imported from BigWarp/ec-CLEM, or made by clicking
  landmarks on two previews with a live overlay (:mod:`.correlation.transform_editor`).

A stored transform fills the BIA "Image correlation" free-text fields when they are empty
(or still hold the page's own earlier text), and on request replaces them.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from ..domain.problems import Problem
from ..domain.rembi import ImageCorrelation
from .correlation.datasets_panel import DatasetsPanel, PixelSizes
from .correlation.images import ImageLoader
from .correlation.systems_table import SystemsTable
from .correlation.transform_build import Descriptions
from .correlation.transform_editor import TransformEditor
from .object_pages import ObjectSectionPage

#: The REMBI text fields a transform can describe, and what each is filled from.
TEXT_FIELDS = (
    ("spatial_temporal_alignment", "alignment"),
    ("fiducials_used", "fiducials"),
    ("transformation_matrix", "transformation"),
)


def _rule() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.HLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    return line


class CorrelationPage(ObjectSectionPage):
    """Image correlations, with their datasets, coordinate systems and transforms."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("correlations", parent)
        self.loader = ImageLoader(self)
        self.pixel_sizes = PixelSizes(self)
        self.datasets = DatasetsPanel(self.pixel_sizes)
        self.systems = SystemsTable(self.pixel_sizes)
        self.transforms = TransformEditor(self.loader)
        self.details = QWidget()
        details_layout = QVBoxLayout(self.details)
        details_layout.setContentsMargins(0, 8, 0, 0)
        details_layout.setSpacing(10)
        for part in (self.datasets, self.systems, self.transforms):
            details_layout.addWidget(_rule())
            details_layout.addWidget(part)
        self.body_layout.addWidget(self.details)
        self.guide = QLabel(
            "Describe each correlation in the form, then link its datasets, give their coordinate systems and make "
            "the registration transform in the sections below the form."
        )
        self.guide.setObjectName("helpLabel")
        self.guide.setWordWrap(True)
        self.body_layout.insertWidget(0, self.guide)
        # what the page itself last wrote into each text field, so it can keep that text current
        self._generated: dict[tuple[str, str], str] = {}
        self._last_problems: list[Problem] = []
        self.editor.selection_changed.connect(lambda _row: self._bind_details())
        self.editor.changed.connect(self._on_editor_list_changed)
        self.datasets.changed.connect(self._on_datasets_changed)
        self.systems.changed.connect(self._on_systems_changed)
        self.systems.unit_chosen.connect(self.datasets.forget_auto_unit)
        self.transforms.changed.connect(self._touch)
        self.transforms.written.connect(lambda d: self.fill_descriptions(d, replace=False))
        self.transforms.describe_requested.connect(lambda d: self.fill_descriptions(d, replace=True))

    # ------------------------------------------------------------ binding

    def current(self) -> ImageCorrelation | None:
        """The selected correlation."""
        row = self.editor.current_index()
        items = self.editor.items
        obj = items[row] if 0 <= row < len(items) else None
        return obj if isinstance(obj, ImageCorrelation) else None

    def _bind(self) -> None:
        super()._bind()
        self._bind_details()

    def _bind_details(self) -> None:
        if self.session is None:
            return
        deposition = self.session.deposition
        correlation = self.current()
        location = ("correlations", self.editor.current_index())
        self.datasets.bind(deposition, correlation)
        self.systems.bind(deposition, correlation)
        self.transforms.bind(deposition, correlation, location)
        self.details.setVisible(correlation is not None)
        self.show_problems(self._last_problems)

    def _on_editor_list_changed(self) -> None:
        correlation = self.current()
        if correlation is not self.transforms.correlation:
            self._bind_details()

    # ------------------------------------------------------------ edits

    def _touch(self) -> None:
        if self.session is not None:
            self.session.touch()

    def _on_datasets_changed(self) -> None:
        self.systems.refresh()
        self.transforms.refresh_systems()
        self._touch()

    def _on_systems_changed(self) -> None:
        if self.session is not None:
            self.datasets.bind(self.session.deposition, self.current())
        self.transforms.refresh_systems()
        self._touch()

    def fill_descriptions(self, descriptions: Descriptions, *, replace: bool) -> list[str]:
        """Write a transform's sentences into the correlation's text fields.

        Parameters
        ----------
        descriptions
            The sentences for alignment, fiducials and transformation.
        replace
            Overwrite whatever the fields hold (the user asked); otherwise only fill empty
            fields and fields that still hold the page's own earlier text.

        Returns
        -------
        list of str
            The fields that were written.
        """
        correlation = self.current()
        if correlation is None:
            return []
        written = []
        for field, attribute in TEXT_FIELDS:
            text = getattr(descriptions, attribute)
            if not text:
                continue
            current = getattr(correlation, field)
            ours = self._generated.get((correlation.id, field))
            if replace or not current.strip() or current == ours:
                if current != text:
                    setattr(correlation, field, text)
                    written.append(field)
                self._generated[(correlation.id, field)] = getattr(correlation, field)
        if written:
            view = self.editor.form_view
            view.bind(correlation, view.location)
            self._touch()
        return written

    # ------------------------------------------------------------ problems

    def show_problems(self, problems: list[Problem]) -> None:
        """Form problems as on the other pages; systems' and transforms' problems next to them."""
        self._last_problems = problems
        super().show_problems(problems)
        row = self.editor.current_index()
        systems = [
            p
            for p in problems
            if p.location[:2] == ("correlations", row) and len(p.location) > 2 and p.location[2] == "coordinate_systems"
        ]
        self.systems.show_problems(systems)
        self.transforms.show_problems(problems)

    def focus_location(self, location: tuple[str | int, ...]) -> None:
        """Select the correlation, then focus the field, the systems table or the transform named."""
        super().focus_location(location)
        if len(location) < 3:
            return
        if location[2] == "coordinate_systems":
            self.systems.table.setFocus()
            self.scroll_area.ensureWidgetVisible(self.systems)
        elif location[2] == "transforms":
            if len(location) > 3 and isinstance(location[3], int):
                self.transforms.select_transform(location[3])
            self.transforms.transform_combo.setFocus()
            self.scroll_area.ensureWidgetVisible(self.transforms)
