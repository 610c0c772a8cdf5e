"""The Correlation page works from the keyboard: unique mnemonics in every tab, landmarks without a mouse."""

from __future__ import annotations

import re

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTabBar

from tests.ui.test_correlation_page import open_page, wait_for_previews
from tests.ui.test_keyboard import RESERVED, mnemonics


def tab_mnemonics(widget):
    """Letters of the tab bars' Alt shortcuts (not QLabel/QAbstractButton, so the shared check misses them)."""
    found = {}
    for bar in widget.findChildren(QTabBar):
        if not bar.isVisibleTo(widget):
            continue
        for index in range(bar.count()):
            match = re.search(r"&(\w)", bar.tabText(index).replace("&&", ""))
            if match:
                found.setdefault(match.group(1).lower(), []).append(bar.tabText(index))
    return found


def test_every_tab_of_the_page_has_unique_mnemonics(qtbot, window, store, tmp_path):
    page = open_page(qtbot, window, store, tmp_path / "images")
    tabs = page.transforms.tabs
    for index in range(tabs.count()):
        tabs.setCurrentIndex(index)
        found = mnemonics(page)
        for letter, labels in tab_mnemonics(page).items():
            found.setdefault(letter, []).extend(labels)
        clashes = {letter: labels for letter, labels in found.items() if len(labels) > 1 or letter in RESERVED}
        assert clashes == {}, f"tab {tabs.tabText(index)}: {clashes}"
        assert len(found) >= 8  # the form's fields and the tab's own controls all have one


def test_landmarks_can_be_placed_moved_and_removed_with_the_keyboard(qtbot, window, store, tmp_path):
    page = open_page(qtbot, window, store, tmp_path / "images", keep_transform=False)
    tab = wait_for_previews(qtbot, page)
    moving, fixed = tab.moving.view, tab.fixed.view
    moving.setFocus()
    qtbot.keyClick(moving, Qt.Key.Key_Insert)  # a point in the middle of the moving image
    assert tab.pairs.pending() == 0
    qtbot.keyClick(moving, Qt.Key.Key_Escape)  # changed my mind: the unpaired point goes
    assert len(tab.pairs) == 0
    qtbot.keyClick(moving, Qt.Key.Key_Insert)
    fixed.setFocus()
    qtbot.keyClick(fixed, Qt.Key.Key_Insert)
    assert len(tab.pairs) == 1 and tab.pairs.pending() is None
    before = tab.pairs.fixed[0].copy()
    qtbot.keyClick(fixed, Qt.Key.Key_PageDown)
    assert fixed.selected == 0
    qtbot.keyClick(fixed, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(fixed, Qt.Key.Key_Up)
    per_full = fixed.to_screen(1, 0).x() - fixed.to_screen(0, 0).x()
    assert np.allclose(tab.pairs.fixed[0] - before, [10 / per_full, -1 / per_full])
    stored = window.session.deposition.correlations[0].transforms[0].landmarks[0].fixed
    assert np.allclose(stored, tab.pairs.fixed[0])  # a keyboard nudge is stored like a finished drag
    qtbot.keyClick(fixed, Qt.Key.Key_Delete)
    assert len(tab.pairs) == 0
    # the pairs table removes with Delete too
    tab.place("moving", 10, 10)
    tab.place("fixed", 20, 20)
    tab.table.setFocus()
    tab.table.selectRow(0)
    qtbot.keyClick(tab.table, Qt.Key.Key_Delete)
    assert len(tab.pairs) == 0


def test_the_matrix_box_does_not_trap_the_tab_key(qtbot, window, store, tmp_path):
    page = open_page(qtbot, window, store, tmp_path / "images")
    box = page.transforms.matrix_tab.text
    window.activateWindow()
    box.setFocus()
    qtbot.waitUntil(box.hasFocus, timeout=2_000)
    qtbot.keyClick(box, Qt.Key.Key_Tab)
    assert not box.hasFocus()
    assert "\t" not in box.toPlainText()
