"""Start the graphical program: application object, style, crash handling, main window."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QApplication

from .. import APP_ID, APP_NAME, __version__
from ..domain import vocab
from ..domain.drafts import DraftStore
from .background import run_in_background
from .crash_dialog import install_excepthook
from .main_window import MainWindow
from .style import apply_style

log = logging.getLogger(__name__)


def _warm_up_vocabularies() -> None:
    """Load the bundled vocabularies off the UI thread so the first validation is instant."""
    vocab.licences()
    vocab.imaging_methods()
    vocab.organisms()


def create_window(store: DraftStore) -> MainWindow:
    """Build the main window for ``store`` (tests use this without ``exec``)."""
    run_in_background(_warm_up_vocabularies)
    return MainWindow(store)


def run_app(draft: str | None = None, drafts_dir: str | None = None) -> int:
    """Run the wizard until the window closes; return the exit code."""
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setOrganizationName("BioImage Depositor")
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    QApplication.setDesktopFileName(APP_ID)
    install_excepthook()
    apply_style(app)
    store = DraftStore(Path(drafts_dir)) if drafts_dir else DraftStore()
    window = create_window(store)
    window.show()
    if draft:
        path = Path(draft)
        if path.exists():
            QTimer.singleShot(0, lambda: window.import_draft(str(path)))
        else:
            QTimer.singleShot(0, lambda: window.open_draft(draft))
    return app.exec()
