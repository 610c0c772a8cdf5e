"""Help menu: About box with versions and the log path, and the diagnostic report on the clipboard."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QMessageBox

from bioimage_depositor import __version__
from bioimage_depositor.domain.drafts import DraftStore
from bioimage_depositor.logs import log_file
from bioimage_depositor.paths import resource_path
from bioimage_depositor.ui.main_window import MainWindow


def test_about_box_names_version_and_log(qtbot, tmp_path) -> None:
    window = MainWindow(DraftStore(tmp_path / "drafts"))
    qtbot.addWidget(window)
    window.help_menu.about_action.trigger()
    box = window.findChild(QMessageBox, "about_box")
    assert box is not None and box.isVisible()
    assert __version__ in box.text() and str(log_file()) in box.text()
    box.close()


def test_copy_diagnostic_report_fills_the_clipboard(qtbot, tmp_path) -> None:
    window = MainWindow(DraftStore(tmp_path / "drafts"))
    qtbot.addWidget(window)
    QGuiApplication.clipboard().clear()
    window.help_menu.copy_report_action.trigger()
    qtbot.waitUntil(lambda: "BioImage Depositor" in QGuiApplication.clipboard().text(), timeout=10000)
    assert "Keyring backend" in QGuiApplication.clipboard().text()


def test_window_icon_renders_from_the_svg(qtbot) -> None:
    icon = QIcon(str(resource_path("icons", "bioimage-depositor.svg")))
    assert not icon.pixmap(64, 64).isNull()
