"""Unexpected errors end up here: a dialog with copyable details and the log's path.

Nothing a user does should produce a traceback on a terminal or a silent exit;
an unexpected exception in a slot is logged and shown, and the program keeps
running because the draft is autosaved and still intact.
"""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType

from PySide6.QtWidgets import QApplication, QMessageBox

from ..logs import log_file

log = logging.getLogger(__name__)


def show_crash_dialog(error: BaseException, details: str) -> None:
    """Tell the user something went wrong, with details they can copy into a report."""
    box = QMessageBox(QApplication.activeWindow())
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle("Something went wrong")
    box.setText(
        "BioImage Depositor hit an unexpected error. Your draft is saved automatically, so no work is lost.\n\n"
        f"{type(error).__name__}: {error}"
    )
    box.setInformativeText(f"Details are in the log file:\n{log_file()}\nPlease include it when you report this.")
    box.setDetailedText(details)
    box.exec()


def install_excepthook() -> None:
    """Route uncaught exceptions (e.g. raised inside Qt slots) to the log and the crash dialog."""

    def hook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            QApplication.quit()
            return
        details = "".join(traceback.format_exception(kind, error, tb))
        log.critical("uncaught exception\n%s", details)
        if QApplication.instance() is not None:
            show_crash_dialog(error, details)
        else:
            sys.__excepthook__(kind, error, tb)

    sys.excepthook = hook
