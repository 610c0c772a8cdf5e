"""Small building blocks of form pages: a field with its help, example and inline problem."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from ..domain.problems import Problem
from .form_spec import FieldSpec


class ProblemLabel(QLabel):
    """The sentence under a field that says what is wrong with it (hidden when nothing is)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setObjectName("problemLabel")
        self.hide()
        self.problems: list[Problem] = []

    def show_problems(self, problems: list[Problem]) -> None:
        """Show the most severe problems first; hide when there are none."""
        self.problems = sorted(problems, key=lambda p: p.severity != "error")
        if not self.problems:
            self.clear()
            self.hide()
            return
        lines = []
        for problem in self.problems:
            colour = "#c62828" if problem.blocking else "#b26a00"
            mark = "✖" if problem.blocking else "⚠"
            lines.append(f"<span style='color:{colour}'>{mark} {_escape(problem.message)}</span>")
        self.setText("<br>".join(lines))
        self.show()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class FieldBlock(QWidget):
    """An editor with its help line, example and problem label, stacked vertically."""

    def __init__(self, spec: FieldSpec, editor: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.editor = editor
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(editor)
        self.problem_label = ProblemLabel(self)
        layout.addWidget(self.problem_label)
        hint = spec.help + (f"<br><i>Example: {_escape(spec.example)}</i>" if spec.example else "")
        self.help_label = QLabel(hint, self)
        self.help_label.setWordWrap(True)
        self.help_label.setObjectName("helpLabel")
        self.help_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        layout.addWidget(self.help_label)
        editor.setToolTip(spec.help)
        editor.setWhatsThis(spec.help)
