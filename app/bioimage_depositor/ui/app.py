"""Start the graphical program: application object, style, crash handling, main window."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from .. import APP_ID, APP_NAME, __version__
from ..domain import vocab
from ..domain.drafts import DraftStore
from ..paths import resource_path
from .background import run_in_background
from .crash_dialog import install_excepthook
from .main_window import MainWindow, prepare_wizard
from .style import apply_style

log = logging.getLogger(__name__)

#: Set to ``1`` by the bundle's smoke test: report the first painted window, then quit (exit 0).
SMOKE_TEST_ENV = "BIOIMAGE_DEPOSITOR_SMOKE_TEST"
_IMPORTED_AT = time.monotonic()  # fallback clock where the OS start time of the process is not readable


def _warm_up_vocabularies() -> None:
    """Load the bundled vocabularies off the UI thread so the first validation is instant."""
    vocab.licences()
    vocab.imaging_methods()
    vocab.organisms()


def _install_stored_globus_login() -> None:
    """A stored Globus sign-in serves globus:// uploads (reads the keyring; the SDK loads here, not at start)."""
    from ..domain.transfer.globus_auth import install_stored_login

    install_stored_login()


#: How long a thread may keep the interpreter lock while another waits for it (Python's default: 5 ms).
#: Workers parse, copy and encode large drafts in Python code, and the UI thread waits its turn after each
#: step of its own: at 5 ms, saving a 100,000-file draft stalled the window 50-150 ms at a time about twenty
#: times; at 1 ms, four or five times, at most 50-65 ms.
UI_SWITCH_INTERVAL_S = 0.001


def create_window(store: DraftStore) -> MainWindow:
    """Build the main window for ``store`` (tests use this without ``exec``)."""
    sys.setswitchinterval(UI_SWITCH_INTERVAL_S)
    run_in_background(_warm_up_vocabularies)
    run_in_background(_install_stored_globus_login)
    run_in_background(prepare_wizard)
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
    if os.environ.get(SMOKE_TEST_ENV) == "1":
        window.installEventFilter(_FirstPaintReporter(window))
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


# ------------------------------------------------------------------ smoke test hook


def _seconds_since_process_start() -> tuple[float, str]:
    """Seconds since the process started and what that start was.

    On Linux the kernel's start time (``/proc/self/stat``, 10 ms ticks) counts the
    bundle's bootloader and the Python start-up too, which is what a user waits for;
    elsewhere the clock starts when this module was imported, which leaves those out.
    """
    try:
        after_name = Path("/proc/self/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
        started = int(after_name[19]) / os.sysconf("SC_CLK_TCK")  # field 22, starttime, in ticks since boot
        return time.clock_gettime(time.CLOCK_BOOTTIME) - started, "process start"
    except (OSError, ValueError, IndexError, AttributeError):  # not Linux
        return time.monotonic() - _IMPORTED_AT, "ui.app import"


def _smoke_facts() -> list[str]:
    """What a frozen bundle can lose without failing to start: package metadata and keyring backends."""
    import importlib.metadata

    from ..diagnostics import keyring_backend, package_versions

    loaded, failed = [], []
    for entry in importlib.metadata.entry_points(group="keyring.backends"):
        try:
            entry.load()
            loaded.append(entry.name)
        except Exception as error:  # a backend for another OS may not import; say which and why
            failed.append(f"{entry.name}({type(error).__name__})")
    versions = " ".join(f"{name}={version.replace(' ', '-')}" for name, version in package_versions().items())
    return [
        f"PACKAGES {versions}",
        f"KEYRING-BACKENDS loaded={','.join(sorted(loaded)) or '-'} failed={','.join(sorted(failed)) or '-'}",
        f"KEYRING {keyring_backend()}",
        f"QT-PLATFORM {QApplication.platformName()}",
        # the SVG window icon renders only when Qt's SVG icon engine / image format plugins were bundled
        f"WINDOW-ICON {'rendered' if not QApplication.windowIcon().pixmap(32, 32).isNull() else 'missing'}",
    ]


class _FirstPaintReporter(QObject):
    """Print ``WINDOW SHOWN <seconds>`` once the window has painted, then quit (the bundle's smoke test)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self._report)  # let the paint finish before taking the time
        return False

    def _report(self) -> None:
        seconds, since = _seconds_since_process_start()
        try:
            print(f"WINDOW SHOWN {seconds:.3f} (seconds since {since})", flush=True)
            # Only in smoke-test runs, after the measurement and right before quitting: blocking briefly is harmless.
            print("\n".join(_smoke_facts()), flush=True)
            window = self.parent()
            if isinstance(window, MainWindow):  # the wizard is built lazily: check its modules were bundled
                print(f"WIZARD-PAGES {len(window.wizard.pages)}", flush=True)
            code = 0
        except Exception as error:  # a smoke run must end with a verdict, not wait in an unseen crash dialog
            log.exception("smoke-test report failed")
            with contextlib.suppress(OSError):
                print(f"SMOKE-TEST FAILED {type(error).__name__}: {error}", file=sys.stderr, flush=True)
            code = 1
        QApplication.exit(code)
