"""The deposition wizard: the pages of the flow, a page list, and Back / Next.

The page order comes from :func:`bioimage_depositor.domain.flow.pages_for`; this
widget only shows it. Next is enabled from the page's cached completeness, and
Enter presses Next when it is enabled. Back never loses anything because pages
write into the draft as the user types.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..domain import flow
from ..domain.problems import Problem
from .components_page import ComponentsPage
from .correlation_page import CorrelationPage
from .draft_session import DraftSession
from .empiar_page import EmpiarPage
from .guide import GuideWindow, section_for_page
from .image_data_page import ImageDataPage
from .object_pages import SECTIONS, ObjectSectionPage
from .page_base import WizardPage
from .review_page import ReviewPage
from .study_page import StudyPage
from .submit_page import SubmitPage
from .upload_page import UploadPage


class DepositionWizard(QWidget):
    """Shows one draft's pages with navigation."""

    page_changed = Signal(str)
    close_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session: DraftSession | None = None
        self.pages: dict[str, WizardPage] = {
            "study": StudyPage(),
            "components": ComponentsPage(),
            "files": ImageDataPage(),
            **{
                section: CorrelationPage() if section == "correlations" else ObjectSectionPage(section)
                for section in SECTIONS
            },
            "empiar": EmpiarPage(),
            "review": ReviewPage(),
            "upload": UploadPage(),
            "submit": SubmitPage(),
        }
        self._flow_keys: list[str] = []
        review = self.pages["review"]
        assert isinstance(review, ReviewPage)
        review.problem_activated.connect(self._on_review_problem_activated)
        review.package_problems_changed.connect(self._refresh_page_list_marks)
        upload = self.pages["upload"]
        assert isinstance(upload, UploadPage)
        review.package_exported.connect(upload.offer_package)

        self.page_list = QListWidget()
        self.page_list.setObjectName("pageList")
        self.page_list.setFixedWidth(190)
        self.page_list.setAccessibleName("Pages")
        self.page_list.currentRowChanged.connect(self._on_page_list_row_changed)
        self.stack = QStackedWidget()
        for page in self.pages.values():
            self.stack.addWidget(page)
            page.complete_changed.connect(self._update_buttons)

        self.close_button = QPushButton("Drafts")
        self.close_button.setToolTip("Back to the list of drafts (Ctrl+D; everything is saved)")
        self.close_button.clicked.connect(self.close_requested)
        self.help_button = QPushButton("Help")
        self.help_button.setToolTip("What this page asks for, in the user guide (F1)")
        self.help_button.clicked.connect(self.show_help)
        QShortcut(QKeySequence(QKeySequence.StandardKey.HelpContents), self, self.show_help)
        self.guide_window: GuideWindow | None = None
        self.back_button = QPushButton("< &Back")
        self.next_button = QPushButton("&Next >")
        self.next_button.setDefault(True)
        self.back_button.clicked.connect(self.go_back)
        self.next_button.clicked.connect(self.go_next)

        buttons = QHBoxLayout()
        buttons.setContentsMargins(24, 8, 24, 12)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.help_button)
        buttons.addStretch(1)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.next_button)
        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.addWidget(self.stack, 1)
        right.addLayout(buttons)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.page_list)
        layout.addLayout(right, 1)

    # ------------------------------------------------------------ session

    def open_session(self, session: DraftSession) -> None:
        """Show ``session``'s draft, on the page it was left on."""
        self.session = session
        session.problems_changed.connect(self._on_session_problems_changed)
        for page in self.pages.values():
            page.load(session)
            page.update_problems(session.problems)
        self._rebuild_page_list()
        start = session.envelope.current_page or "study"
        self.show_page(start if start in self.pages else "study")

    def _rebuild_page_list(self) -> None:
        assert self.session is not None
        self._flow_keys = [spec.key for spec in flow.pages_for(self.session.deposition)]
        current = self.current_key()
        self.page_list.blockSignals(True)
        self.page_list.clear()
        for spec in flow.pages_for(self.session.deposition):
            item = QListWidgetItem(spec.title)
            item.setData(Qt.ItemDataRole.UserRole, spec.key)
            self.page_list.addItem(item)
            if spec.key == current:
                self.page_list.setCurrentItem(item)
        self.page_list.blockSignals(False)
        self._refresh_page_list_marks()

    def _refresh_page_list_marks(self) -> None:
        if self.session is None:
            return
        review = self.pages["review"]
        assert isinstance(review, ReviewPage)
        # the package's own problems (a changed transform file...) count on the page of their field too
        known = set(self.session.problems)
        problems = [*self.session.problems, *(p for p in review.package_problems if p not in known)]
        for row in range(self.page_list.count()):
            item = self.page_list.item(row)
            key = item.data(Qt.ItemDataRole.UserRole)
            page = self.pages[key]
            errors = sum(p.blocking for p in page.own_problems(problems))
            title = next(spec.title for spec in flow.ALL_PAGES if spec.key == key)
            item.setText(f"{title}  ({errors})" if errors else title)
            item.setToolTip(f"{errors} problem(s) to fix on this page" if errors else "Nothing to fix here")

    def _on_session_problems_changed(self, problems: list[Problem]) -> None:
        if self.session is not None and [p.key for p in flow.pages_for(self.session.deposition)] != self._flow_keys:
            self._rebuild_page_list()  # a page was added or dropped (correlative, EMPIAR)
        for page in self.pages.values():
            page.update_problems(problems)
        self._refresh_page_list_marks()
        self._update_buttons()

    # ------------------------------------------------------------ navigation

    def current_key(self) -> str:
        """The key of the page on screen."""
        page = self.stack.currentWidget()
        return page.key if isinstance(page, WizardPage) else ""

    def show_page(self, key: str) -> None:
        """Switch to the page called ``key`` and remember it in the draft."""
        page = self.pages[key]
        self.stack.setCurrentWidget(page)
        for row in range(self.page_list.count()):
            if self.page_list.item(row).data(Qt.ItemDataRole.UserRole) == key:
                self.page_list.blockSignals(True)
                self.page_list.setCurrentRow(row)
                self.page_list.blockSignals(False)
        if self.session is not None:
            self.session.set_current_page(key)
        self._update_buttons()
        self.page_changed.emit(key)

    def go_next(self) -> None:
        """Move to the next page if this one is complete."""
        if self.session is None:
            return
        page = self.pages[self.current_key()]
        if not page.is_complete():
            reveal = getattr(page, "reveal_all_problems", None)
            if reveal:
                reveal()
            return
        target = flow.next_page(self.session.deposition, self.current_key())
        if target is not None:
            self.show_page(target.key)

    def show_help(self) -> None:
        """Open the user guide at the section explaining the current page."""
        if self.guide_window is None:
            self.guide_window = GuideWindow(self)
        self.guide_window.show_section(section_for_page(self.current_key()))
        self.guide_window.show()
        self.guide_window.raise_()

    def go_back(self) -> None:
        """Move to the previous page (always allowed: nothing is lost)."""
        if self.session is None:
            return
        target = flow.previous_page(self.session.deposition, self.current_key())
        if target is not None:
            self.show_page(target.key)

    def _update_buttons(self, *_args: object) -> None:
        if self.session is None:
            return
        key = self.current_key()
        page = self.pages.get(key)
        has_next = flow.next_page(self.session.deposition, key) is not None
        self.next_button.setVisible(has_next)
        self.next_button.setEnabled(bool(page and page.is_complete()))
        self.back_button.setEnabled(flow.previous_page(self.session.deposition, key) is not None)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter presses Next when the page is valid.

        Widgets that use Enter themselves (multi-line text, the term finder,
        table editors) accept the key, so it only reaches here from one-line
        fields, buttons and lists, as in a dialog with a default button.
        """
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self.next_button.isVisible() and self.next_button.isEnabled():
                self.go_next()
            event.accept()
            return
        super().keyPressEvent(event)

    def _on_page_list_row_changed(self, row: int) -> None:
        if row >= 0:
            self.show_page(self.page_list.item(row).data(Qt.ItemDataRole.UserRole))

    def _on_review_problem_activated(self, location: tuple[str | int, ...]) -> None:
        target = flow.page_for_location(location)
        self.show_page(target.key)
        self.pages[target.key].focus_location(location)
