"""Start the graphical program: application object, style, crash handling, main window."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from .. import APP_ID, APP_NAME, __version__
from ..domain import vocab
from ..domain.drafts import DraftStore
from ..paths import resource_path
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
    QApplication.setWindowIcon(QIcon(str(resource_path("icons", "bioimage-depositor.svg"))))
    install_excepthook()
    apply_style(app)
    store = DraftStore(Path(drafts_dir)) if drafts_dir else DraftStore()
    window = create_window(store)
    window.show()
    if draft:
        QTimer.singleShot(0, lambda: open_from_command_line(window, store, draft))
    return app.exec()


def open_from_command_line(window: MainWindow, store: DraftStore, draft: str) -> None:
    """Open ``draft``: a folder of the store opens in place, another file is copied into the store first."""
    path = Path(draft)
    if not path.exists():
        window.open_draft(draft)  # a name or id of the store
        return
    folder = path if path.is_dir() else path.parent
    if folder.resolve().parent == store.root.resolve():
        window.open_draft(folder.name)
    else:
        window.import_draft(str(path))
        window.statusBar().showMessage(
            f"Opened a copy of {path} in your drafts; the original file is unchanged.", 15000
        )
