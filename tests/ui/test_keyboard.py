"""Keyboard use: every page's mnemonics are unique and none clashes with Back, Next or the File menu."""

from __future__ import annotations

import re

from PySide6.QtWidgets import QAbstractButton, QLabel

RESERVED = {"b": "Back", "n": "Next", "f": "File menu"}


def mnemonics(widget):
    found = {}
    for child in widget.findChildren(QLabel) + widget.findChildren(QAbstractButton):
        if not child.isVisibleTo(widget):
            continue
        match = re.search(r"&(\w)", child.text().replace("&&", ""))
        if match:
            found.setdefault(match.group(1).lower(), []).append(child.text())
    return found


def test_each_page_has_unique_mnemonics(qtbot, window, store):
    from pathlib import Path

    example = sorted((Path(__file__).resolve().parents[2] / "examples").glob("clem*.draft.json"))[0]
    envelope = store.import_file(example)
    window.open_draft(envelope.draft_id)
    qtbot.waitUntil(lambda: window.session is not None, timeout=5_000)
    wizard = window.wizard
    for key in list(wizard._flow_keys):
        wizard.show_page(key)
        found = mnemonics(wizard.pages[key])
        clashes = {letter: labels for letter, labels in found.items() if len(labels) > 1 or letter in RESERVED}
        assert clashes == {}, f"page {key}: {clashes}"
