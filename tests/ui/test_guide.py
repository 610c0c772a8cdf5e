"""In-program help: F1 on a page opens the guide's section for it; every page has a section."""

from __future__ import annotations

from bioimage_depositor.domain import flow
from bioimage_depositor.ui.guide import PAGE_SECTIONS, guide_sections, section_for_page
from bioimage_depositor.ui.wizard import DepositionWizard


def test_every_page_links_to_an_existing_guide_section() -> None:
    sections = guide_sections()
    for page in flow.ALL_PAGES:
        anchor = section_for_page(page.key)
        assert anchor in PAGE_SECTIONS.values() and anchor in sections, page.key
        assert len(sections[anchor]) > 200, f"section {anchor} is empty"


def test_help_button_opens_the_section_of_the_current_page(qtbot) -> None:
    wizard = DepositionWizard()
    qtbot.addWidget(wizard)
    wizard.stack.setCurrentWidget(wizard.pages["upload"])
    wizard.help_button.click()
    window = wizard.guide_window
    assert window is not None and window.isVisible()
    assert window.section == "resuming-an-upload"
    assert "Resuming an interrupted upload" in window.browser.toPlainText()
    window.show_section("")
    assert "Headless use" in window.browser.toPlainText()
    window.close()
