"""Run slow work (disk, hashing, network, keyring) off the UI thread.

:func:`run_in_background` follows Anki's ``QueryOp`` idea: the caller gives a
function to run in a worker thread and callbacks for success and failure that
run back on the UI thread, so widgets are only ever touched there. Every task
is tracked, which lets tests wait for all of them (no worker outlives a test)
and lets the window finish outstanding saves before it closes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)


class _Relay(QObject):
    """Carries a worker's result back to the thread that owns this object (the UI thread).

    The slots are methods of this QObject, so Qt queues the call into the UI
    thread's event loop when a worker emits; a bare lambda would not be.
    """

    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(self, finish: Callable[[_Relay, bool, Any], None]) -> None:
        super().__init__()
        self._finish = finish
        self.succeeded.connect(self._on_self_succeeded)
        self.failed.connect(self._on_self_failed)

    @Slot(object)
    def _on_self_succeeded(self, result: Any) -> None:
        self._finish(self, True, result)

    @Slot(object)
    def _on_self_failed(self, error: Any) -> None:
        self._finish(self, False, error)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self._fn = fn
        self._relay = relay
        self.setAutoDelete(True)

    def run(self) -> None:  # runs in a pool thread
        try:
            result = self._fn()
        except BaseException as error:  # report everything; the UI decides what to say
            log.debug("background task failed", exc_info=True)
            self._deliver(self._relay.failed, error)
        else:
            self._deliver(self._relay.succeeded, result)

    @staticmethod
    def _deliver(signal: Any, value: Any) -> None:
        """Emit the result; when the application has already gone (the relay deleted), drop it quietly."""
        try:
            signal.emit(value)
        except RuntimeError:  # "Signal source has been deleted": quitting while this task ran
            log.debug("a background result arrived after its receiver was deleted; dropped")


def _receiver_alive(callback: Callable[[Any], None]) -> bool:
    """Whether a callback bound to a Qt object can still run (a closed dialog may be deleted meanwhile)."""
    receiver = getattr(callback, "__self__", None)
    return not isinstance(receiver, QObject) or shiboken6.isValid(receiver)


class BackgroundRunner(QObject):
    """Owns a thread pool and the relays of tasks still in flight."""

    def __init__(self, max_threads: int | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        if max_threads:
            self.pool.setMaxThreadCount(max_threads)
        self._relays: set[_Relay] = set()
        self._lock = threading.Lock()

    def submit(
        self,
        fn: Callable[[], Any],
        on_success: Callable[[Any], None] | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
        owner: QObject | None = None,
    ) -> None:
        """Run ``fn`` in a worker; call ``on_success(result)`` or ``on_failure(error)`` on this thread.

        The callbacks are skipped when ``owner`` (or the object a bound-method callback belongs to)
        has been deleted meanwhile, e.g. a dialog closed before its background check finished.
        """
        def finish(relay: _Relay, ok: bool, value: Any) -> None:
            with self._lock:
                self._relays.discard(relay)
            relay.deleteLater()
            callback = on_success if ok else on_failure
            if owner is not None and not shiboken6.isValid(owner):
                return
            if callback is not None and _receiver_alive(callback):
                callback(value)
            elif not ok:
                log.error("unhandled background failure: %r", value)

        relay = _Relay(finish)
        with self._lock:
            self._relays.add(relay)
        self.pool.start(_Task(fn, relay))

    def pending(self) -> int:
        """How many tasks have not yet delivered their result."""
        with self._lock:
            return len(self._relays)

    def wait_for_done(self, msecs: int = 30_000) -> bool:
        """Block until every worker thread is idle (closing the window, tests)."""
        return self.pool.waitForDone(msecs)


_default: BackgroundRunner | None = None


def default_runner() -> BackgroundRunner:
    """The application-wide runner (created on first use, on the UI thread)."""
    global _default
    if _default is None:
        _default = BackgroundRunner()
    return _default


def run_in_background(
    fn: Callable[[], Any],
    on_success: Callable[[Any], None] | None = None,
    on_failure: Callable[[BaseException], None] | None = None,
    owner: QObject | None = None,
) -> None:
    """Run ``fn`` off the UI thread with the application-wide runner (see :meth:`BackgroundRunner.submit`)."""
    default_runner().submit(fn, on_success, on_failure, owner)
