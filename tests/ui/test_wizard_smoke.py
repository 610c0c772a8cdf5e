from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, Qt

from bioimage_depositor.ui.draft_session import SaveState


def open_new_draft(qtbot, window, name="Spindle imaging"):
    start = window.start_page
    qtbot.waitUntil(lambda: "draft" in start.status.text().lower(), timeout=5_000)
    qtbot.keyClicks(start.name_edit, name)
    qtbot.mouseClick(start.new_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.session is not None, timeout=5_000)
    return window.wizard.pages["study"]


def fill_valid_study(qtbot, page):
    qtbot.keyClicks(page.title_edit, "Live-cell confocal imaging of mitotic spindles in HeLa cells")
    page.description_edit.setPlainText("Time-lapse spinning-disk confocal images of dividing HeLa cells.")
    qtbot.keyClicks(page.keywords_edit.entry, "mitosis, spindle")
    qtbot.keyClick(page.keywords_edit.entry, Qt.Key.Key_Return)
    page.licence_combo.setCurrentIndex(page.licence_combo.findData("CC BY 4.0"))
    page.release_edit.setDate(QDate(2027, 3, 1))
    qtbot.mouseClick(page.contributors.add_button, Qt.MouseButton.LeftButton)
    table = page.contributors.table
    for column, value in zip(
        (0, 1, 2, 4),
        ["Josiah Carberry", "https://orcid.org/0000-0002-1825-0098", "j.carberry@example.org", "Brown University"],
        strict=True,
    ):
        table.item(0, column).setText(value)


def test_wizard_opens_on_the_start_page(window):
    assert window.stack.currentWidget() is window.start_page
    assert window.windowTitle() == "BioImage Depositor"


def test_study_page_shows_bad_orcid_inline_and_enables_next_when_valid(qtbot, window):
    page = open_new_draft(qtbot, window)
    wizard = window.wizard
    assert wizard.current_key() == "study"
    assert not wizard.next_button.isEnabled()

    fill_valid_study(qtbot, page)
    block = page.blocks["contributors"]
    qtbot.waitUntil(lambda: "typing error" in block.problem_label.text(), timeout=5_000)
    assert block.problem_label.isVisible()
    cell = page.contributors.table.item(0, 1)
    assert "typing error" in cell.toolTip()
    assert not wizard.next_button.isEnabled()

    cell.setText("https://orcid.org/0000-0002-1825-0097")
    qtbot.waitUntil(wizard.next_button.isEnabled, timeout=5_000)
    assert cell.text() == "0000-0002-1825-0097"  # the pasted URL was normalised in place
    assert not block.problem_label.isVisible()
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    assert wizard.current_key() == "components"


def test_edits_are_autosaved_and_reopen_on_the_same_page(qtbot, window, store):
    page = open_new_draft(qtbot, window, "Autosave check")
    fill_valid_study(qtbot, page)
    page.contributors.table.item(0, 1).setText("0000-0002-1825-0097")
    qtbot.waitUntil(window.wizard.next_button.isEnabled, timeout=5_000)
    qtbot.mouseClick(window.wizard.next_button, Qt.MouseButton.LeftButton)
    session = window.session
    qtbot.waitUntil(lambda: session.state is SaveState.SAVED, timeout=5_000)
    assert "Saved" in window.windowTitle()

    draft_id = session.envelope.draft_id
    window.close_draft()
    saved = store.load(draft_id)
    assert saved.current_page == "components"
    assert saved.deposition.study.title.startswith("Live-cell confocal imaging")
    assert saved.deposition.study.release_date == dt.date(2027, 3, 1)
    assert saved.deposition.study.contributors[0].orcid == "0000-0002-1825-0097"
    assert saved.deposition.study.affiliations[0].name == "Brown University"

    window.open_draft(draft_id)
    qtbot.waitUntil(lambda: window.session is not None, timeout=5_000)
    assert window.wizard.current_key() == "components"
    assert window.wizard.pages["study"].title_edit.text().startswith("Live-cell confocal imaging")


def test_second_window_cannot_silently_open_a_locked_draft(qtbot, window, store, monkeypatch):
    page = open_new_draft(qtbot, window, "Locked")
    del page
    draft_id = window.session.envelope.draft_id
    from bioimage_depositor.domain.draft_errors import DraftLockedError

    try:
        store.lock(draft_id)
    except DraftLockedError as error:
        assert "open in another" in error.message
    else:  # pragma: no cover - the lock must hold
        raise AssertionError("a second lock on an open draft succeeded")


def test_pasted_invisible_characters_are_removed_and_flagged(qtbot, window):
    page = open_new_draft(qtbot, window)
    from PySide6.QtWidgets import QApplication

    QApplication.clipboard().setText("HeLa\u200b cells")
    page.title_edit.setFocus()
    page.title_edit.paste()
    assert window.session.deposition.study.title == "HeLa cells"
    assert "ZERO WIDTH SPACE" in page.cleaned_note.text().upper()


def test_open_from_the_command_line_by_file_and_by_name(qtbot, window, store, tmp_path):
    from pathlib import Path

    from bioimage_depositor.ui.app import open_from_command_line

    example = sorted((Path(__file__).resolve().parents[2] / "examples").glob("clem*.draft.json"))[0]
    open_from_command_line(window, store, str(example))
    qtbot.waitUntil(lambda: window.session is not None, timeout=10_000)
    assert window.session.deposition.correlative
    assert "empiar" in window.wizard._flow_keys
    draft_id = window.session.envelope.draft_id
    window.close_draft()
    open_from_command_line(window, store, str(store.folder(draft_id)))
    qtbot.waitUntil(lambda: window.session is not None, timeout=10_000)
    assert window.session.envelope.draft_id == draft_id  # opened in place, not copied again
    window.close_draft()
    assert len(store.list()) == 1
