"""A form built from a ``forms/*.toml`` layout and bound to one model object.

The layout file says which editor each field uses; this view creates them,
writes every edit into the bound object (the model cleans and normalises it),
and shows the rules' problems under the right field. Problems of a field appear
once it has been edited or already holds a value, or after
:meth:`reveal_all_problems`, so a new object does not open as a wall of red.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QBoxLayout, QFormLayout, QHBoxLayout, QLabel, QPushButton, QWidget

from ..domain.base import Model
from ..domain.problems import Location, Problem
from ..domain.text import invisible_characters
from .choices import CHOICES
from .editors import (
    ChoiceEditor,
    Editor,
    LineEditor,
    MultiChoiceEditor,
    NumberEditor,
    RefsEditor,
    StringListEditor,
    TermListEditor,
    TextEditor,
)
from .field_widgets import FieldBlock
from .form_spec import FieldSpec, PageForm

_REF_NOUNS = {
    "biosamples": "biosample",
    "specimens": "specimen",
    "acquisitions": "image acquisition",
    "correlations": "image correlation",
    "analyses": "image analysis",
    "components": "study component",
}


class PrefilledTag(QWidget):
    """A small "from the image files" tag under a field, with a button to confirm the value."""

    confirmed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel("From the image files: please check")
        self.label.setObjectName("prefilledTag")
        self.label.setStyleSheet(
            "QLabel#prefilledTag { background: rgba(38, 120, 200, 0.16); border-radius: 3px; padding: 1px 6px; }"
        )
        self.confirm_button = QPushButton("✓ Confirm")
        self.confirm_button.setToolTip("The value is right: remove the mark.")
        self.confirm_button.setAccessibleName("Confirm the value filled in from the image files")
        self.confirm_button.clicked.connect(self.confirmed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.label)
        layout.addWidget(self.confirm_button)
        layout.addStretch(1)

    def set_note(self, note: str) -> None:
        """Say where the value came from (tooltip)."""
        text = (note or "Filled in from the image files' metadata.") + " Edit it or press Confirm."
        self.label.setToolTip(text)
        self.setAccessibleDescription(text)


def make_editor(spec: FieldSpec) -> Editor:
    """The editor for a field's ``widget`` hint."""
    kind, _, arg = spec.widget.partition(":")
    if kind == "line":
        return LineEditor(spec.example)
    if kind == "text":
        return TextEditor(spec.example)
    if kind == "int":
        return NumberEditor(int, spec.example)
    if kind == "float":
        return NumberEditor(float, spec.example)
    if kind == "choice":
        return ChoiceEditor(CHOICES[arg])
    if kind == "multichoice":
        return MultiChoiceEditor(CHOICES[arg])
    if kind == "strings":
        return StringListEditor(spec.plain_label.lower().rstrip("s"), spec.example)
    if kind == "terms":
        noun = "organism" if arg == "organisms" else "imaging method"
        return TermListEditor(arg, noun, spec.example)
    if kind == "refs":
        return RefsEditor(_REF_NOUNS.get(arg, arg))
    raise ValueError(f"unknown widget {spec.widget!r} for field {spec.key!r}")


class FormView(QWidget):
    """Edits one object of the model through the fields of a page form."""

    changed = Signal(str)  # the field key
    prefill_confirmed = Signal(str)  # the field key whose "from the image files" mark the user confirmed
    new_reference_requested = Signal(str)  # the refs section, e.g. "biosamples"
    invisible_removed = Signal(str)  # a sentence naming removed characters

    def __init__(self, form: PageForm, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = form
        self.obj: Model | None = None
        self.location: Location = ()
        self.touched: set[str] = set()
        self._loading = False
        self._last_problems: list[Problem] = []
        self.editors: dict[str, Editor] = {}
        self.blocks: dict[str, FieldBlock] = {}
        self.prefilled_tags: dict[str, PrefilledTag] = {}
        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        for spec in form.fields:
            editor = make_editor(spec)
            editor.edited.connect(lambda key=spec.key: self._on_editor_edited(key))
            if isinstance(editor, RefsEditor):
                section = spec.widget.partition(":")[2]
                editor.new_requested.connect(lambda section=section: self.new_reference_requested.emit(section))
            block = FieldBlock(spec, editor)
            label = QLabel(spec.label + (" *" if spec.required else ""))
            label.setBuddy(editor.focus_target())
            layout.addRow(label, block)
            self.editors[spec.key] = editor
            self.blocks[spec.key] = block

    def set_reference_options(self, options: Callable[[str], list[tuple[str, str]]]) -> None:
        """Give every references field its choices, as (id, title) per section."""
        for spec in self.form.fields:
            kind, _, section = spec.widget.partition(":")
            if kind == "refs":
                editor = self.editors[spec.key]
                assert isinstance(editor, RefsEditor)
                editor.set_options(options(section))

    def bind(self, obj: Model | None, location: Location) -> None:
        """Show ``obj`` (located at ``location`` in the deposition) and edit it from now on."""
        self.obj = obj
        self.location = location
        self._loading = True
        for key, editor in self.editors.items():
            editor.set_value(getattr(obj, key) if obj is not None else None)
        self._loading = False
        self.touched = {key for key in self.editors if obj is not None and getattr(obj, key) not in ("", None, [])}
        self.setEnabled(obj is not None)
        self.show_problems(self._last_problems)

    def _on_editor_edited(self, key: str) -> None:
        if self._loading or self.obj is None:
            return
        editor = self.editors[key]
        raw = getattr(editor, "raw_text", None)
        if raw is not None:
            found = invisible_characters(raw(), multiline=isinstance(editor, TextEditor))
            if found:
                names = ", ".join(sorted({f"{c.name.lower()} ({c.codepoint})" for c in found}))
                self.invisible_removed.emit(
                    f"Removed invisible characters from '{self.form.field(key).plain_label}': {names}."
                )
        setattr(self.obj, key, editor.value())
        self.touched.add(key)
        tag = self.prefilled_tags.get(key)
        if tag is not None:
            tag.hide()  # an edited value is the user's own
        self.changed.emit(key)

    def set_prefilled(self, marks: Mapping[str, str]) -> None:
        """Mark the fields whose value was filled in from the image files (key → where it came from)."""
        for key, tag in self.prefilled_tags.items():
            tag.setVisible(key in marks)
        for key, note in marks.items():
            block = self.blocks.get(key)
            if block is None:
                continue
            existing = self.prefilled_tags.get(key)
            if existing is not None:
                tag = existing
            else:
                tag = PrefilledTag(block)
                tag.confirmed.connect(lambda key=key: self._on_tag_confirmed(key))
                layout = block.layout()
                if isinstance(layout, QBoxLayout):
                    layout.insertWidget(1, tag)  # right under the editor
                self.prefilled_tags[key] = tag
            tag.set_note(note)
            tag.show()

    def prefilled_keys(self) -> set[str]:
        """The fields currently marked as filled in from the image files."""
        return {key for key, tag in self.prefilled_tags.items() if not tag.isHidden()}

    def _on_tag_confirmed(self, key: str) -> None:
        self.prefilled_tags[key].hide()
        self.prefill_confirmed.emit(key)

    def show_problems(self, problems: list[Problem]) -> None:
        """Show the problems located inside the bound object under their fields."""
        self._last_problems = problems
        depth = len(self.location)
        by_key: dict[str, list[Problem]] = {key: [] for key in self.blocks}
        for problem in problems:
            loc = problem.location
            if self.obj is None or loc[:depth] != self.location or len(loc) <= depth:
                continue
            key = str(loc[depth])
            if key in by_key:
                by_key[key].append(problem)
        for key, block in self.blocks.items():
            block.problem_label.show_problems(by_key[key] if key in self.touched else [])

    def reveal_all_problems(self) -> None:
        """Show every field's problems, edited or not."""
        self.touched = set(self.blocks)
        self.show_problems(self._last_problems)

    def focus_field(self, key: str) -> QWidget | None:
        """Focus the editor of ``key``; return its block for scrolling."""
        editor = self.editors.get(key)
        if editor is None:
            return None
        editor.focus_target().setFocus(Qt.FocusReason.OtherFocusReason)
        return self.blocks[key]
