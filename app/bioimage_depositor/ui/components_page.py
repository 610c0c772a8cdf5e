"""The Study components page: the study's structure at a glance, and each component's links.

A tree shows every component with the biosamples, specimens and acquisitions it
uses; objects shared by several components are marked as shared, so the
depositor sees that editing one changes all of them. Each component's form
offers to reuse existing objects (tick them) or create a new one. The common
layouts can start an empty study, and the correlative switch lives here
because it decides which pages follow.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..domain.base import Model
from ..domain.deposition import StudyComponent
from ..domain.layouts import LAYOUTS, apply_layout
from ..domain.problems import Problem
from .draft_session import DraftSession
from .form_spec import load_form
from .object_list import ObjectListEditor
from .object_pages import SECTIONS, ObjectListPage, component_options

_KINDS = (
    ("biosample_ids", "biosamples", "Biosample"),
    ("specimen_ids", "specimens", "Specimen"),
    ("acquisition_ids", "acquisitions", "Acquisition"),
    ("correlation_ids", "correlations", "Correlation"),
    ("analysis_ids", "analyses", "Analysis"),
)


class ComponentsPage(ObjectListPage):
    """Edits the study components and shows the study's structure."""

    key = "components"
    sections = ("components", "correlative")

    def __init__(self, parent: QWidget | None = None) -> None:
        form = load_form("component")
        super().__init__(form.title, form.subtitle, form.rembi_url, parent)
        self.correlative_box = QCheckBox(
            "This is a correla&tive study: several imaging modalities of the same sample, aligned to each other "
            "(parts may go to different archives)"
        )
        self.correlative_box.toggled.connect(self._on_correlative_box_toggled)

        self.layout_combo = QComboBox()
        for layout in LAYOUTS:
            self.layout_combo.addItem(layout.title, layout.key)
            self.layout_combo.setItemData(self.layout_combo.count() - 1, layout.description, 3)  # tooltip role
        self.layout_button = QPushButton("Add from la&yout")
        self.layout_button.clicked.connect(self._on_layout_button_clicked)
        self.layout_hint = QLabel()
        self.layout_hint.setObjectName("helpLabel")
        self.layout_hint.setWordWrap(True)
        self.layout_combo.currentIndexChanged.connect(self._on_layout_combo_changed)
        starter = QGroupBox("Start from a common layout")
        starter_layout = QVBoxLayout(starter)
        row = QHBoxLayout()
        row.addWidget(self.layout_combo, 1)
        row.addWidget(self.layout_button)
        starter_layout.addLayout(row)
        starter_layout.addWidget(self.layout_hint)
        self._on_layout_combo_changed(0)

        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Structure of the study", "Archive"])
        self.tree.setColumnWidth(0, 520)
        self.tree.setMinimumHeight(150)
        self.tree.setMaximumHeight(220)
        self.tree.setAccessibleName("Structure of the study")

        self.editor = ObjectListEditor(form, self._new_component, self._title_of)
        self.editor.changed.connect(self._on_editor_changed)
        self.editor.form_view.new_reference_requested.connect(self._on_new_reference_requested)
        self.created_note = QLabel()
        self.created_note.setObjectName("helpLabel")
        self.created_note.hide()

        self.body_layout.addWidget(self.correlative_box)
        self.body_layout.addWidget(starter)
        self.body_layout.addWidget(self.tree)
        self.body_layout.addWidget(self.created_note)
        self.body_layout.addWidget(self.editor, 1)

    @staticmethod
    def _new_component(index: int) -> Model:
        return StudyComponent(name=f"Component {index + 1}")

    @staticmethod
    def _title_of(obj: Model) -> str:
        assert isinstance(obj, StudyComponent)
        return f"{obj.name or '(unnamed)'}  →  {obj.archive}"

    # ------------------------------------------------------------ load

    def load(self, session: DraftSession) -> None:
        """Show the session's components."""
        super().load(session)
        self.correlative_box.blockSignals(True)
        self.correlative_box.setChecked(session.deposition.correlative)
        self.correlative_box.blockSignals(False)
        self._bind()

    def _bind(self, select: int | None = None) -> None:
        assert self.session is not None
        deposition = self.session.deposition
        self.editor.form_view.set_reference_options(component_options(deposition))
        self.editor.bind(deposition.components, ("components",))
        if select is not None:
            self.editor.select(select)
        self._refresh_tree()

    def showEvent(self, event) -> None:
        """Titles may have changed on other pages: refresh on entry."""
        if self.session is not None:
            self._bind(self.editor.current_index())
        super().showEvent(event)

    def _refresh_tree(self) -> None:
        assert self.session is not None
        deposition = self.session.deposition
        self.tree.clear()
        use_count: dict[str, int] = {}
        for component in deposition.components:
            for field, _section, _label in _KINDS:
                for ref in getattr(component, field):
                    use_count[ref] = use_count.get(ref, 0) + 1
        titles = {
            obj.id: obj.title or "(untitled)"
            for section in SECTIONS
            if section != "annotations"
            for obj in getattr(deposition, section)
        }
        for component in deposition.components:
            top = QTreeWidgetItem(self.tree, [component.name or "(unnamed component)", component.archive])
            for field, _section, label in _KINDS:
                for ref in getattr(component, field):
                    shared = " (shared)" if use_count.get(ref, 0) > 1 else ""
                    QTreeWidgetItem(top, [f"{label}: {titles.get(ref, '⚠ missing')}{shared}", ""])
            files = len(component.files)
            QTreeWidgetItem(top, [f"Files: {files}" if files else "Files: none yet", ""])
            top.setExpanded(True)
        if not deposition.components:
            QTreeWidgetItem(self.tree, ["No components yet: start from a layout above or add one below.", ""])

    # ------------------------------------------------------------ edits

    def _on_correlative_box_toggled(self, checked: bool) -> None:
        if self.session is not None:
            self.session.deposition.correlative = checked
            self.session.touch(validate_now=True)

    def _on_layout_combo_changed(self, index: int) -> None:
        self.layout_hint.setText(LAYOUTS[max(index, 0)].description)

    def _on_layout_button_clicked(self) -> None:
        if self.session is None:
            return
        deposition = self.session.deposition
        added = apply_layout(deposition, self.layout_combo.currentData())
        self.correlative_box.blockSignals(True)
        self.correlative_box.setChecked(deposition.correlative)
        self.correlative_box.blockSignals(False)
        self._bind(select=deposition.components.index(added[0]))
        self.created_note.setText(
            f"Added {len(added)} component(s) with their biosample, specimen and acquisition. "
            "Describe each on the following pages."
        )
        self.created_note.show()
        self.session.touch(validate_now=True)

    def _on_new_reference_requested(self, section: str) -> None:
        if self.session is None:
            return
        row = self.editor.current_index()
        deposition = self.session.deposition
        if not 0 <= row < len(deposition.components):
            return
        _form, model_class, field = SECTIONS[section]
        items = getattr(deposition, section)
        noun = {
            "biosamples": "Biosample",
            "specimens": "Specimen",
            "acquisitions": "Image acquisition",
            "correlations": "Image correlation",
            "analyses": "Image analysis",
        }[section]
        obj: Any = model_class.model_validate({"title": f"{noun} {len(items) + 1}"})
        items.append(obj)
        assert field is not None
        getattr(deposition.components[row], field).append(obj.id)
        self._bind(select=row)
        self.created_note.setText(f"Created “{obj.title}”; describe it on its page.")
        self.created_note.show()
        self.session.touch(validate_now=True)

    def _on_editor_changed(self) -> None:
        self._refresh_tree()
        if self.session is not None:
            self.session.touch()

    # ------------------------------------------------------------ problems

    def own_problems(self, problems: list[Problem]) -> list[Problem]:
        """Component problems, except EMPIAR entries and file lists, which have pages of their own."""
        elsewhere = ("empiar", "files")
        return [
            p
            for p in problems
            if p.location and p.location[0] in self.sections and (len(p.location) < 3 or p.location[2] not in elsewhere)
        ]

    def focus_location(self, location: tuple[str | int, ...]) -> None:
        """Select the component and focus the field named in ``location`` (or the correlative switch)."""
        super().focus_location(location)
        if location[:1] == ("correlative",):
            self.correlative_box.setFocus()
