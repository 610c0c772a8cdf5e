"""The Help menu: About (versions, where the log is), copy a diagnostic report, open the log folder.

Support requests start with "which version, which system, what does the log
say"; these actions answer that without the user hunting for folders, and the
report masks anything that looks like a credential (see :mod:`..diagnostics`).
"""

from __future__ import annotations

import platform

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QMainWindow, QMessageBox

from .. import APP_ID, APP_NAME, __version__
from ..diagnostics import diagnostic_report
from ..logs import log_file
from .background import run_in_background


def about_text() -> str:
    """Rich text for the About box: what the program is, versions, and the log folder."""
    return (
        f"<h3>{APP_NAME} {__version__}</h3>"
        "<p>Deposit imaging data to the BioImage Archive and EMPIAR: REMBI metadata, previews, "
        "deposition packages checked by the archives' validators, and resumable uploads.</p>"
        f"<p>Python {platform.python_version()} · PySide6 {pyside_version} · {platform.system()} "
        f"{platform.machine()}<br>Application id: {APP_ID}</p>"
        f"<p>Log file: <code>{log_file()}</code></p>"
    )


class HelpMenu:
    """Builds the Help menu of ``window`` and owns its actions."""

    def __init__(self, window: QMainWindow) -> None:
        self.window = window
        menu = window.menuBar().addMenu("&Help")
        self.about_action = QAction(f"&About {APP_NAME}", window)
        self.about_action.triggered.connect(self.show_about)
        self.copy_report_action = QAction("&Copy diagnostic report", window)
        self.copy_report_action.setToolTip("Copy versions, folders and the end of the log (passwords masked)")
        self.copy_report_action.triggered.connect(self.copy_report)
        self.open_log_action = QAction("Open &log folder", window)
        self.open_log_action.triggered.connect(self.open_log_folder)
        for action in (self.copy_report_action, self.open_log_action):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.about_action)

    def show_about(self) -> None:
        """Show the About box (non-blocking for tests: ``open`` rather than ``exec``)."""
        box = QMessageBox(self.window)
        box.setWindowTitle(f"About {APP_NAME}")
        box.setIconPixmap(self.window.windowIcon().pixmap(64, 64))
        box.setText(about_text())
        box.setObjectName("about_box")
        box.open()

    def copy_report(self) -> None:
        """Build the report off the UI thread (it reads the log), then put it on the clipboard."""
        def done(report: str) -> None:
            QGuiApplication.clipboard().setText(report)
            self.window.statusBar().showMessage("Diagnostic report copied; paste it into your message.", 8000)

        def failed(error: BaseException) -> None:
            self.window.statusBar().showMessage(f"Could not build the diagnostic report: {error}", 8000)

        run_in_background(diagnostic_report, done, failed)

    def open_log_folder(self) -> None:
        """Open the log folder in the file manager."""
        folder = log_file().parent
        folder.mkdir(parents=True, exist_ok=True)
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
            self.window.statusBar().showMessage(f"The log folder is {folder}", 15000)
