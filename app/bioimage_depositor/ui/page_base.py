"""What every wizard page has in common: a header, the session it edits, and its completeness.

A page edits ``session.deposition`` directly, calls ``session.touch()`` after
each edit, and receives the whole list of problems whenever validation runs; it
shows those located in its own sections next to the right widgets. Whether the
page is complete is cached from the last validation, so :meth:`is_complete` is
free to call (no I/O, no rules).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from ..domain.problems import Problem
from .draft_session import DraftSession
from .field_widgets import ProblemLabel


class WizardPage(QWidget):
    """Base class of the wizard's pages."""

    complete_changed = Signal(bool)

    key = ""
    sections: tuple[str, ...] = ()

    def __init__(self, title: str, subtitle: str = "", link: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session: DraftSession | None = None
        self._complete = False
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        header = QVBoxLayout()
        header.setContentsMargins(24, 16, 24, 8)
        heading = QLabel(title, self)
        heading.setObjectName("pageTitle")
        header.addWidget(heading)
        if subtitle or link:
            extra = f" <a href='{link}'>What REMBI asks here</a>" if link else ""
            sub = QLabel(subtitle + extra, self)
            sub.setObjectName("pageSubtitle")
            sub.setWordWrap(True)
            sub.setOpenExternalLinks(True)
            sub.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
            header.addWidget(sub)
        outer.addLayout(header)
        self.scroll_area = QScrollArea(self)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.body = QWidget()
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(24, 8, 24, 24)
        # problems about a whole section ("add at least one component") rather than a field
        self.section_problems = ProblemLabel(self.body)
        self.body_layout.addWidget(self.section_problems)
        self.scroll_area.setWidget(self.body)
        outer.addWidget(self.scroll_area)

    # -- to override
    def load(self, session: DraftSession) -> None:
        """Fill the widgets from the session's deposition."""
        self.session = session

    def show_problems(self, problems: list[Problem]) -> None:
        """Show the problems located on this page next to their fields."""

    def focus_location(self, location: tuple[str | int, ...]) -> None:
        """Put the keyboard focus on the widget editing ``location``."""

    # -- shared
    def own_problems(self, problems: list[Problem]) -> list[Problem]:
        """The problems located in this page's sections."""
        return [p for p in problems if p.location and p.location[0] in self.sections]

    def update_problems(self, problems: list[Problem]) -> None:
        """Recompute completeness from ``problems`` and show them."""
        mine = self.own_problems(problems)
        complete = not any(p.blocking for p in mine)
        self.section_problems.show_problems([p for p in mine if len(p.location) == 1])
        self.show_problems(mine)
        if complete != self._complete:
            self._complete = complete
            self.complete_changed.emit(complete)

    def is_complete(self) -> bool:
        """Whether Next may be pressed (cached; no work done here)."""
        return self._complete
