"""UI test fixtures: a main window over a temporary draft store, with no worker left running."""

from __future__ import annotations

import pytest

from bioimage_depositor.domain.drafts import DraftStore
from bioimage_depositor.ui.app import create_window
from bioimage_depositor.ui.background import default_runner


@pytest.fixture
def store(tmp_path):
    return DraftStore(tmp_path / "drafts")


@pytest.fixture
def window(qtbot, store):
    win = create_window(store)
    qtbot.addWidget(win)
    win.show()
    yield win
    if win.session is not None:
        win.session.close()
    assert default_runner().wait_for_done(10_000), "a background task outlived the test"
    qtbot.waitUntil(lambda: default_runner().pending() == 0, timeout=5_000)
