"""The user guide inside the program: F1 on any page opens the guide's section for that page.

The guide is one Markdown file (docs/user-guide.md, shipped in the wheel and the
bundle); sections start at ``<a id="...">`` anchors. Qt renders Markdown but does
not scroll to such anchors, so the window shows the section itself, with a link
to the whole guide, which is also what a user pressing F1 wants to read.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QDialog, QHBoxLayout, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from ..paths import docs_path

#: The guide section that explains each wizard page.
PAGE_SECTIONS: dict[str, str] = {
    "study": "first-deposition",
    "components": "first-deposition",
    "files": "first-deposition",
    "biosamples": "first-deposition",
    "specimens": "first-deposition",
    "acquisitions": "first-deposition",
    "correlations": "correlative-deposition",
    "analyses": "first-deposition",
    "annotations": "first-deposition",
    "empiar": "correlative-deposition",
    "review": "when-something-fails",
    "upload": "resuming-an-upload",
    "submit": "submitting",
}
_ANCHOR = re.compile(r'^<a id="([a-z0-9-]+)"></a>\s*$', re.MULTILINE)


def guide_file() -> Path:
    """Where the guide's Markdown lives (source tree, wheel or bundle)."""
    return docs_path("user-guide.md")


@cache
def guide_sections() -> dict[str, str]:
    """The guide's Markdown cut at its anchors: ``{anchor: text}``, plus ``""`` for the whole guide."""
    text = guide_file().read_text(encoding="utf-8")
    sections = {"": text}
    matches = list(_ANCHOR.finditer(text))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        sections[match.group(1)] = text[match.end() : end].strip()
    return sections


class GuideWindow(QDialog):
    """A non-modal window showing one section of the guide (or all of it)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("User guide")
        self.resize(760, 640)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.setOpenLinks(False)
        self.browser.anchorClicked.connect(self._on_browser_anchor_clicked)
        self.browser.setSearchPaths([str(guide_file().parent)])
        whole = QPushButton("&Whole guide")
        whole.clicked.connect(lambda: self.show_section(""))
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(whole)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser, 1)
        layout.addLayout(buttons)
        self.section = ""

    def show_section(self, anchor: str) -> None:
        """Show the section ``anchor`` (``""`` for the whole guide)."""
        sections = guide_sections()
        self.section = anchor if anchor in sections else ""
        self.browser.setMarkdown(sections[self.section])
        self.browser.verticalScrollBar().setValue(0)

    def _on_browser_anchor_clicked(self, url: QUrl) -> None:
        if url.scheme() in ("http", "https", "mailto"):
            from PySide6.QtGui import QDesktopServices

            QDesktopServices.openUrl(url)
        elif url.fragment():
            self.show_section(url.fragment())


def section_for_page(page_key: str) -> str:
    """The guide anchor explaining ``page_key`` (the whole guide when there is none)."""
    return PAGE_SECTIONS.get(page_key, "")
