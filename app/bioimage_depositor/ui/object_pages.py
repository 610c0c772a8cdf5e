"""Pages for the REMBI modules that hold several reusable objects.

Biosamples, specimens, image acquisitions, correlations, analyses and
annotation sets are each a list in the deposition that study components refer
to by id. Editing an object here changes it for every component that uses it,
which the page says ("Used by …"); removing a used object asks first and
removes the references with it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

from ..domain.base import Model
from ..domain.deposition import AnnotationSet, Deposition
from ..domain.images.prefill_apply import Location, acquisition_location
from ..domain.problems import Problem
from ..domain.rembi import Biosample, ImageAcquisition, ImageAnalysis, ImageCorrelation, Specimen
from .draft_session import DraftSession
from .form_spec import load_form
from .object_list import ObjectListEditor, data_id
from .page_base import WizardPage
from .prefill_marks import PrefillMarks

#: section -> (form file, model class, component field that refers to it)
SECTIONS: dict[str, tuple[str, type[Model], str | None]] = {
    "biosamples": ("biosample", Biosample, "biosample_ids"),
    "specimens": ("specimen", Specimen, "specimen_ids"),
    "acquisitions": ("acquisition", ImageAcquisition, "acquisition_ids"),
    "correlations": ("correlation", ImageCorrelation, "correlation_ids"),
    "analyses": ("analysis", ImageAnalysis, "analysis_ids"),
    "annotations": ("annotations", AnnotationSet, None),
}


def users_of(deposition: Deposition, section: str, object_id: str) -> list[str]:
    """Names of the components that refer to an object of ``section``."""
    field = SECTIONS[section][2]
    if field is None:
        return []
    return [c.name or "(unnamed component)" for c in deposition.components if object_id in getattr(c, field)]


def component_options(deposition: Deposition) -> Callable[[str], list[tuple[str, str]]]:
    """(id, title) choices per section, for references fields."""

    def options(section: str) -> list[tuple[str, str]]:
        if section == "components":
            return [(c.id, c.name) for c in deposition.components]
        return [(o.id, o.title) for o in getattr(deposition, section)]

    return options


class ObjectListPage(WizardPage):
    """A page whose main widget is an :class:`ObjectListEditor` (``self.editor``)."""

    editor: ObjectListEditor

    def show_problems(self, problems: list[Problem]) -> None:
        """Mark objects with errors and show field problems of the selected one."""
        self.editor.show_problems(problems)

    def reveal_all_problems(self) -> None:
        """Show every problem of the selected object."""
        self.editor.form_view.reveal_all_problems()

    def focus_location(self, location: tuple[str | int, ...]) -> None:
        """Select the object and focus the field named in ``location``."""
        if len(location) > 1 and isinstance(location[1], int):
            self.editor.select(location[1])
        self.reveal_all_problems()
        if len(location) > 2:
            block = self.editor.form_view.focus_field(str(location[2]))
            if block is not None:
                self.scroll_area.ensureWidgetVisible(block)


class ObjectSectionPage(ObjectListPage):
    """A page editing one list of REMBI objects."""

    def __init__(self, section: str, parent: QWidget | None = None) -> None:
        form_name, model_class, _ = SECTIONS[section]
        form = load_form(form_name)
        super().__init__(form.title, form.subtitle, form.rembi_url, parent)
        self.key = section
        self.sections = (section,)
        self.model_class = model_class
        self.editor = ObjectListEditor(form, self._new_object, self._title_of)
        self.editor.changed.connect(self._on_editor_changed)
        self.editor.can_remove = self._confirm_remove
        self.editor.on_removed = self._forget_references
        self.editor.used_by_text = self._used_by_text
        self.editor.form_view.invisible_removed.connect(self._on_invisible_removed)
        # Acquisition fields can be filled in from the images (Image data page): mark them until confirmed.
        self.prefill_marks: PrefillMarks | None = None
        if section == "acquisitions":
            self.prefill_marks = PrefillMarks(self.editor.form_view, self._marks_prefix, lambda: self.session)
            self.editor.selection_changed.connect(lambda _row: self._refresh_marks())
        self.note = QLabel()
        self.note.setObjectName("helpLabel")
        self.note.hide()
        self.body_layout.addWidget(self.note)
        self.body_layout.addWidget(self.editor, 1)

    def _new_object(self, index: int) -> Model:
        noun = self.editor.form.noun
        obj = self.model_class()
        if hasattr(obj, "title"):
            obj.title = f"{noun[:1].upper()}{noun[1:]} {index + 1}"
        return obj

    @staticmethod
    def _title_of(obj: Model) -> str:
        return getattr(obj, "title", "") or "(untitled)"

    def _used_by_text(self, obj: Model) -> str:
        if self.session is None or SECTIONS[self.key][2] is None:
            return ""
        users = users_of(self.session.deposition, self.key, data_id(obj))
        if not users:
            return "Not used by any study component yet: link it on the Study components page."
        return "Used by: " + ", ".join(users) + ". Changes here apply to all of them."

    def _confirm_remove(self, obj: Model) -> bool:
        if self.session is None:
            return False
        users = users_of(self.session.deposition, self.key, data_id(obj))
        if not users:
            return True
        answer = QMessageBox.question(
            self,
            "Remove a shared description?",
            f"“{self._title_of(obj)}” is used by {', '.join(users)}. Remove it from them too?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes

    def _forget_references(self, obj: Model) -> None:
        field = SECTIONS[self.key][2]
        if self.session is None or field is None:
            return
        object_id = data_id(obj)
        for component in self.session.deposition.components:
            refs = getattr(component, field)
            if object_id in refs:
                setattr(component, field, [ref for ref in refs if ref != object_id])

    def load(self, session: DraftSession) -> None:
        """Edit the session's list for this section."""
        super().load(session)
        self._bind()

    def _bind(self) -> None:
        assert self.session is not None
        deposition = self.session.deposition
        self.editor.form_view.set_reference_options(component_options(deposition))
        self.editor.bind(getattr(deposition, self.key), (self.key,))
        self._refresh_marks()

    def _marks_prefix(self) -> Location | None:
        obj = self.editor.form_view.obj
        return acquisition_location(obj) if isinstance(obj, ImageAcquisition) else None

    def _refresh_marks(self) -> None:
        if self.prefill_marks is not None:
            self.prefill_marks.refresh()

    def showEvent(self, event) -> None:
        """Other pages may have added objects or components: refresh on entry."""
        if self.session is not None:
            row = self.editor.current_index()
            self._bind()
            self.editor.select(row)
            self._refresh_marks()
        super().showEvent(event)

    def _on_editor_changed(self) -> None:
        if self.session is not None:
            self.session.touch()
        self._refresh_marks()  # objects added, removed or moved

    def _on_invisible_removed(self, message: str) -> None:
        self.note.setText(message)
        self.note.show()
