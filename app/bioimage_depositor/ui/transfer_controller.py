"""Runs one resumable transfer for the UI: a worker thread, Qt signals, and network/sleep awareness.

The engine (:class:`~..domain.transfer.engine.TransferJob`) blocks while it
works and calls back from its own thread. This controller owns that thread,
turns the engine's snapshots and final report into queued Qt signals (so
widgets are touched on the UI thread only), and does everything that may block
before the first byte — keyring lookup, opening the ledger, building the
transport — in the worker too.

It also pauses by itself when the network goes away and resumes when it comes
back (``QNetworkInformation``, when the platform offers a backend), and notices
when the computer has slept (the wall clock jumps ahead of the monotonic one),
so a laptop closed mid-upload carries on without the user.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtNetwork import QNetworkInformation

from ..domain.filelist.checksum_cache import open_user_cache
from ..domain.secrets import SecretStore, resolve_password
from ..domain.transfer.engine import TransferJob
from ..domain.transfer.ledger import LedgerError, open_transfer_ledger
from ..domain.transfer.plan import SourceError, check_source
from ..domain.transfer.targets import open_transport, parse_target
from ..domain.transfer.transport import TransferError

log = logging.getLogger(__name__)

#: Seconds between two checks of the clocks; a wall-clock jump larger than this plus the slack means sleep.
SLEEP_CHECK_S = 2.0
SLEEP_SLACK_S = 10.0


@dataclass(frozen=True)
class TransferRequest:
    """What the user asked for: a local file or folder, a target URL, and how to send it."""

    source: str
    target_url: str
    password: str | None = None  # typed in the form; None looks in the environment and keyring
    remember_password: bool = False
    parallel: int = 2
    limit_rate: float | None = None  # bytes per second
    draft_id: str = ""  # so an interrupted upload can be traced back to its draft


class TransferController(QObject):
    """Start, pause, resume, stop and cancel one transfer at a time; report through signals.

    Signals
    -------
    transfer_started(str)
        The target as shown (no password); the worker is connecting.
    progress_changed(object)
        A :class:`TransferSnapshot`, at most about ten a second.
    transfer_finished(object)
        The :class:`TransferReport` when the job ends (completed, failed, paused or cancelled).
    transfer_failed(str)
        The transfer could not start (bad source, bad target, wrong ledger): a sentence for the user.
    auto_paused_changed(str)
        Why the controller paused or resumed by itself ("" when it resumed).
    """

    transfer_started = Signal(str)
    progress_changed = Signal(object)
    transfer_finished = Signal(object)
    transfer_failed = Signal(str)
    auto_paused_changed = Signal(str)
    password_notice = Signal(str)

    def __init__(self, parent: QObject | None = None, *, watch_network: bool = True) -> None:
        super().__init__(parent)
        self._job: TransferJob | None = None
        self._thread: threading.Thread | None = None
        self._user_paused = False
        self._auto_paused = False
        self._lock = threading.Lock()
        self._busy = False
        self._network: QNetworkInformation | None = None
        if watch_network:
            self._watch_network()
        self._clock_timer = QTimer(self)
        self._clock_timer.setInterval(int(SLEEP_CHECK_S * 1000))
        self._clock_timer.timeout.connect(self._on_clock_timer_timeout)
        self._clock_mark = (time.time(), time.monotonic())

    # ------------------------------------------------------------ state

    @property
    def running(self) -> bool:
        """Whether a transfer is under way (cleared just before its end is signalled)."""
        return self._busy

    @property
    def paused(self) -> bool:
        """Whether the transfer is paused, by the user or automatically."""
        return self._user_paused or self._auto_paused

    # ------------------------------------------------------------ control

    def start(self, request: TransferRequest) -> None:
        """Start (or resume from its ledger) the transfer of ``request`` in a worker thread."""
        if self.running:
            raise RuntimeError("a transfer is already running")
        self._user_paused = self._auto_paused = False
        self._busy = True
        self._thread = threading.Thread(target=self._work, args=(request,), name="transfer", daemon=True)
        self._thread.start()
        self._clock_mark = (time.time(), time.monotonic())
        self._clock_timer.start()

    def pause(self) -> None:
        """Pause after the current chunk."""
        self._user_paused = True
        self._apply_pause()

    def resume(self) -> None:
        """Resume a pause the user asked for (an automatic pause lifts when the network returns)."""
        self._user_paused = False
        self._apply_pause()

    def stop(self) -> None:
        """Stop after the current chunk; the ledger keeps everything to continue later."""
        with self._lock:
            job = self._job
        if job is not None:
            job.stop()

    def cancel(self) -> None:
        """Stop and discard the partial remote files (files already sent stay sent)."""
        with self._lock:
            job = self._job
        if job is not None:
            job.cancel()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the worker ends (tests, closing the program); ``True`` when it has."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _apply_pause(self) -> None:
        with self._lock:
            job = self._job
        if job is None:
            return
        if self.paused:
            job.pause()
        else:
            job.resume()

    # ------------------------------------------------------------ worker thread

    def _work(self, request: TransferRequest) -> None:
        try:
            job = self._prepare(request)
        except (TransferError, SourceError, LedgerError) as error:
            self._busy = False
            self.transfer_failed.emit(str(error))
            return
        except OSError as error:
            self._busy = False
            self.transfer_failed.emit(f"The transfer could not start: {error.strerror or error}.")
            return
        except Exception as error:  # a bug: log it, tell the user, keep the program running
            log.exception("transfer could not start")
            self._busy = False
            self.transfer_failed.emit(f"The transfer could not start ({type(error).__name__}); see the log.")
            return
        with self._lock:
            self._job = job
            if self.paused:
                job.pause()
        try:
            report = job.run()
        except Exception as error:  # the engine reports expected failures; anything else is a bug
            log.exception("transfer stopped unexpectedly")
            self._busy = False
            self.transfer_failed.emit(f"The transfer stopped unexpectedly ({type(error).__name__}); see the log.")
            return
        finally:
            job.ledger.close()
            if job.checksums is not None:
                job.checksums.close()
            with self._lock:
                self._job = None
        self._busy = False
        self.transfer_finished.emit(report)

    def _prepare(self, request: TransferRequest) -> TransferJob:
        source = check_source(request.source)
        target = parse_target(request.target_url)
        store = SecretStore()
        if request.password:
            password: str | None = request.password
            if request.remember_password:
                store.set(target.account, request.password)
                if not store.persistent:
                    self.password_notice.emit(store.notice)
        else:
            choice = resolve_password(target.password, target.account, store)
            password = choice.password
            if choice.warning:
                self.password_notice.emit(choice.warning)
        transport = open_transport(target.url, password)
        ledger = open_transfer_ledger(source, target.display)
        if request.draft_id:
            ledger.set_meta("draft_id", request.draft_id)
        self.transfer_started.emit(target.display)
        return TransferJob(
            ledger,
            transport,
            source=source,
            parallel=request.parallel,
            limit_rate=request.limit_rate,
            progress=self.progress_changed.emit,
            checksums=open_user_cache(),
        )

    # ------------------------------------------------------------ network and sleep

    def _watch_network(self) -> None:
        try:
            if not QNetworkInformation.loadDefaultBackend():
                return
        except (RuntimeError, AttributeError):
            return
        network = QNetworkInformation.instance()
        if network is None or not network.supports(QNetworkInformation.Feature.Reachability):
            return
        self._network = network
        network.reachabilityChanged.connect(self._on_network_reachability_changed)

    def _on_network_reachability_changed(self, reachability: QNetworkInformation.Reachability) -> None:
        offline = reachability == QNetworkInformation.Reachability.Disconnected
        self.set_network_available(not offline)

    def set_network_available(self, available: bool) -> None:
        """Pause while the network is gone and resume when it is back (called by the network watcher)."""
        if available == (not self._auto_paused):
            return
        self._auto_paused = not available
        self._apply_pause()
        log.info("network %s; transfer %s", "back" if available else "lost", "resumed" if available else "paused")
        self.auto_paused_changed.emit("" if available else "The network is unavailable; waiting for it to return.")

    def _on_clock_timer_timeout(self) -> None:
        wall, mono = time.time(), time.monotonic()
        last_wall, last_mono = self._clock_mark
        self._clock_mark = (wall, mono)
        if not self.running:
            self._clock_timer.stop()
            return
        if (wall - last_wall) - (mono - last_mono) > SLEEP_SLACK_S:
            self.woke_from_sleep()

    def woke_from_sleep(self) -> None:
        """The computer slept: reconnect at once instead of waiting for dead connections to time out."""
        log.info("the computer slept; reconnecting the transfer")
        with self._lock:
            job = self._job
        if job is None or self.paused:
            return
        job.pause()
        QTimer.singleShot(500, self._apply_pause)
        self.auto_paused_changed.emit("The computer slept; reconnecting…")
        QTimer.singleShot(1500, lambda: self.auto_paused_changed.emit(""))
