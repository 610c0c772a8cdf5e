"""The EMPIAR entry page: experiment type, release and image sets of each EMPIAR component.

Shown only when a component goes to EMPIAR (the flow decides). Each EMPIAR
component gets its entry when the page first shows it, so the depositor never
has to create one explicitly.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from ..domain.base import Model
from ..domain.empiar_fields import EmpiarEntry, EmpiarImageSet
from ..domain.images.prefill_apply import Location, image_set_location
from ..domain.problems import Problem
from .component_combo import ComponentCombo
from .draft_session import DraftSession
from .form_spec import load_form
from .form_view import FormView
from .object_list import ObjectListEditor
from .page_base import WizardPage
from .prefill_marks import PrefillMarks


class EmpiarPage(WizardPage):
    """Edits the EMPIAR-specific fields of the components that go to EMPIAR."""

    key = "empiar"
    sections = ("components",)

    def __init__(self, parent: QWidget | None = None) -> None:
        form = load_form("empiar_entry")
        super().__init__(form.title, form.subtitle, form.rembi_url, parent)
        self.component_combo = ComponentCombo()
        self.component_combo.setAccessibleName("EMPIAR component")
        self.component_combo.currentIndexChanged.connect(self._on_component_combo_changed)
        chooser = QHBoxLayout()
        label = QLabel("Com&ponent:")
        label.setBuddy(self.component_combo)
        chooser.addWidget(label)
        chooser.addWidget(self.component_combo, 1)
        self.entry_form = FormView(form)
        self.entry_form.changed.connect(self._on_changed)
        sets_form = load_form("empiar_imageset")
        heading = QLabel(sets_form.title)
        heading.setObjectName("sectionTitle")
        self.image_sets = ObjectListEditor(
            sets_form, lambda i: EmpiarImageSet(name=f"Image set {i + 1}"), self._set_title
        )
        self.image_sets.changed.connect(self._on_changed)
        # Image-set fields can be filled in from the file headers (Image data page): mark them until confirmed.
        self.prefill_marks = PrefillMarks(self.image_sets.form_view, self._marks_prefix, lambda: self.session)
        self.image_sets.selection_changed.connect(lambda _row: self.prefill_marks.refresh())
        self.image_sets.changed.connect(self.prefill_marks.refresh)  # sets added, removed or moved
        self.body_layout.addLayout(chooser)
        self.body_layout.addWidget(self.entry_form)
        self.body_layout.addWidget(heading)
        self.body_layout.addWidget(self.image_sets, 1)

    @staticmethod
    def _set_title(obj: Model) -> str:
        return getattr(obj, "name", "") or "(unnamed image set)"

    def load(self, session: DraftSession) -> None:
        """Offer the session's EMPIAR components."""
        super().load(session)
        self._fill_components()

    def showEvent(self, event) -> None:
        """Components may have changed archive since: refresh on entry."""
        if self.session is not None:
            self._fill_components()
        super().showEvent(event)

    def _fill_components(self) -> None:
        assert self.session is not None
        self.component_combo.fill(
            self.session.deposition.components,
            include=lambda component: component.archive == "EMPIAR",
            label=lambda index, component: component.name or f"Component {index + 1}",
        )

    def current_component(self) -> int | None:
        """The index of the component being edited."""
        return self.component_combo.component_index()

    def _on_component_combo_changed(self, _position: int) -> None:
        if self.session is None:
            return
        index = self.current_component()
        if index is None:
            self.entry_form.bind(None, ())
            self.image_sets.bind([], ())
            return
        component = self.session.deposition.components[index]
        if component.empiar is None:
            component.empiar = EmpiarEntry()
            self.session.touch()
        self.entry_form.bind(component.empiar, ("components", index, "empiar"))
        self.image_sets.bind(component.empiar.image_sets, ("components", index, "empiar", "image_sets"))
        self.prefill_marks.refresh()
        self.show_problems(self.session.problems)

    def _marks_prefix(self) -> Location | None:
        index, row = self.current_component(), self.image_sets.current_index()
        if self.session is None or index is None or row < 0:
            return None
        return image_set_location(self.session.deposition.components[index], row)

    def _on_changed(self, *_args: object) -> None:
        if self.session is not None:
            self.session.touch()

    def own_problems(self, problems: list[Problem]) -> list[Problem]:
        """Only problems inside an EMPIAR entry belong to this page."""
        return [
            p for p in problems if len(p.location) > 2 and p.location[0] == "components" and p.location[2] == "empiar"
        ]

    def show_problems(self, problems: list[Problem]) -> None:
        """Show the selected component's entry and image-set problems."""
        index = self.current_component()
        self.section_problems.show_problems(
            [p for p in problems if index is not None and p.location == ("components", index, "empiar", "image_sets")]
        )
        self.entry_form.show_problems(problems)
        self.image_sets.show_problems(problems)

    def reveal_all_problems(self) -> None:
        """Show every problem of the selected entry and image set."""
        self.entry_form.reveal_all_problems()
        self.image_sets.form_view.reveal_all_problems()

    def focus_location(self, location: tuple[str | int, ...]) -> None:
        """Select the component and image set named in ``location`` and focus the field."""
        if len(location) > 1 and isinstance(location[1], int):
            self.component_combo.select_component(location[1])
        self.reveal_all_problems()
        if len(location) > 5 and location[3] == "image_sets" and isinstance(location[4], int):
            self.image_sets.select(location[4])
            self.image_sets.form_view.reveal_all_problems()
            block = self.image_sets.form_view.focus_field(str(location[5]))
        elif len(location) > 3:
            block = self.entry_form.focus_field(str(location[3]))
        else:
            block = None
        if block is not None:
            self.scroll_area.ensureWidgetVisible(block)
