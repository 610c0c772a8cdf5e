"""File menu: Accounts… opens the accounts window; closing the window stops uploads and submissions cleanly."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog

from bioimage_depositor.domain.drafts import DraftStore
from bioimage_depositor.ui.accounts_dialog import AccountsDialog
from bioimage_depositor.ui.main_window import MainWindow


def test_accounts_action_opens_the_accounts_window(qtbot, tmp_path) -> None:
    window = MainWindow(DraftStore(tmp_path / "drafts"))
    qtbot.addWidget(window)
    action = next(a for a in window.menuBar().actions()[0].menu().actions() if "Accounts" in a.text())
    action.trigger()
    dialog = window.findChild(AccountsDialog)
    assert isinstance(dialog, QDialog) and dialog.isVisible()
    dialog.close()


def test_closing_the_window_stops_a_running_upload(qtbot, tmp_path) -> None:
    source = tmp_path / "pkg"
    source.mkdir()
    (source / "big.bin").write_bytes(b"\0" * 3_000_000)
    window = MainWindow(DraftStore(tmp_path / "drafts"))
    qtbot.addWidget(window)
    panel = window.wizard.pages["upload"].panel
    panel.set_source(str(source))
    panel.set_target((tmp_path / "out").as_uri())
    panel.limit_spin.setValue(1)
    panel.start()
    qtbot.waitUntil(lambda: panel.last_snapshot is not None and panel.last_snapshot.bytes_sent > 0, timeout=15000)
    window.close()
    assert not panel.controller.running or panel.controller.wait(10)
    assert panel.controller.wait(0), "the transfer thread ended with the window"
