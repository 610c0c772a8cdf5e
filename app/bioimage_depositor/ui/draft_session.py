"""The open draft: the one deposition the pages edit, saved automatically in the background.

Pages change ``session.deposition`` in place and call :meth:`DraftSession.touch`.
After a short pause the session takes a snapshot of the envelope on the UI
thread, a slice at a time (:mod:`.draft_snapshots`; one snapshot serves the
validation and the save of the same edits), and rebuilds, checks and writes it
in workers, so saves never block typing and never overtake each other. A save
that fails (disk full, folder removed) is reported through
``save_state_changed`` and retried on the next edit; the in-memory draft is
never discarded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from enum import Enum

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from ..domain.deposition import Deposition
from ..domain.draft_errors import DraftError
from ..domain.draft_file import DraftEnvelope
from ..domain.draft_lock import DraftLock
from ..domain.drafts import DraftStore
from ..domain.problems import Problem
from ..domain.rules import check_deposition
from .background import BackgroundRunner
from .draft_snapshots import DraftSnapshot, SnapshotCopier
from .gc_pause import collector_paused

log = logging.getLogger(__name__)

AUTOSAVE_DELAY_MS = 600
VALIDATE_DELAY_MS = 250


class SaveState(Enum):
    """What the title bar says about the draft on disk."""

    SAVED = "Saved"
    PENDING = "Unsaved changes"
    SAVING = "Saving…"
    FAILED = "Not saved"


class DraftSession(QObject):
    """Holds the open draft, its lock, autosave and the current list of problems."""

    save_state_changed = Signal(object)  # SaveState
    save_failed = Signal(str)
    problems_changed = Signal(list)

    def __init__(
        self, store: DraftStore, envelope: DraftEnvelope, lock: DraftLock | None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.envelope = envelope
        self._lock = lock
        self._revision = envelope.revision
        self._dirty = False
        self._in_flight = False
        self.state = SaveState.SAVED
        self.problems: list[Problem] = check_deposition(envelope.deposition)
        self._writer = BackgroundRunner(max_threads=1, parent=self)
        self._save_timer = QTimer(self, singleShot=True, interval=AUTOSAVE_DELAY_MS)
        self._save_timer.timeout.connect(self._on_save_timer_timeout)
        self._validate_timer = QTimer(self, singleShot=True, interval=VALIDATE_DELAY_MS)
        self._validate_timer.timeout.connect(self._on_validate_timer_timeout)
        self._validator = BackgroundRunner(max_threads=1, parent=self)
        self._validation_generation = 0
        self._closed = False
        self._edits = 0  # counts touch() calls, so a snapshot is reused only while nothing changed
        self._snapshots = SnapshotCopier(self)
        self._save_waiting = False  # a save asked for a snapshot that is still being copied

    @property
    def closed(self) -> bool:
        """Whether the session was closed (its draft is no longer on screen); late results are dropped."""
        return self._closed

    @property
    def deposition(self) -> Deposition:
        """The deposition being edited (mutate it, then call :meth:`touch`)."""
        return self.envelope.deposition

    @property
    def name(self) -> str:
        """The draft's name, as shown in the title bar."""
        return self.envelope.name

    def touch(self, *, validate_now: bool = False) -> None:
        """Record an edit: schedule validation and an autosave."""
        self._edits += 1
        self._drop_snapshot_copy()  # it may hold entries from before this edit; the timers below ask again
        self._dirty = True
        self._set_state(SaveState.PENDING)
        self._save_timer.start()
        if validate_now:
            self.revalidate()
        else:
            self._validate_timer.start()

    def set_current_page(self, key: str) -> None:
        """Remember the page so reopening the draft returns to it."""
        if self.envelope.current_page != key:
            self.envelope.current_page = key
            self.touch()

    def revalidate(self) -> None:
        """Run the rules now, on the UI thread, and publish the problems (after structural edits)."""
        self._validate_timer.stop()
        self._validation_generation += 1
        self.problems = check_deposition(self.deposition)
        self.problems_changed.emit(self.problems)

    def _on_validate_timer_timeout(self) -> None:
        """Run the rules on a snapshot in a worker, so typing in a large draft never waits for them."""
        if self._closed:
            return
        self._validation_generation += 1
        generation = self._validation_generation
        self._request_snapshot(lambda snapshot: self._validate_in_worker(snapshot, generation))

    def _validate_in_worker(self, snapshot: DraftSnapshot, generation: int) -> None:
        def check() -> list[Problem]:
            with collector_paused(), snapshot.use() as envelope:
                return check_deposition(envelope.deposition)

        def publish(problems: list[Problem]) -> None:
            if generation == self._validation_generation and not self._closed:  # else a newer run is coming
                self.problems = problems
                self.problems_changed.emit(problems)

        self._validator.submit(check, publish, lambda error: log.error("validation failed: %r", error))

    # ------------------------------------------------------------ saving

    def save_soon(self) -> None:
        """Start the autosave now instead of after the pause."""
        if self._dirty:
            self._save_timer.stop()
            self._on_save_timer_timeout()

    def _on_save_timer_timeout(self) -> None:
        if self._in_flight or self._save_waiting or self._closed or not self._dirty:
            return  # the running save re-checks ``_dirty`` when it finishes
        self._save_waiting = True
        self._set_state(SaveState.SAVING)
        self._request_snapshot(self._save_in_worker)

    def _save_in_worker(self, snapshot: DraftSnapshot) -> None:
        """Write ``snapshot`` in the writer; the copy is the only work the UI thread did."""
        self._save_waiting = False
        self._dirty = False  # edits from now on are not in this snapshot: they mark the draft dirty again
        self._in_flight = True
        self._snapshots.forget()  # held by the jobs until they end; the session keeps no second copy
        expected = self._revision

        def save() -> tuple[int, datetime]:
            with collector_paused():
                with snapshot.use() as envelope:
                    # a copy: the envelope may be shared with a validation still running, and save() updates it
                    saved = self.store.save(envelope.model_copy(), expected_revision=expected)
                    result = saved.revision, saved.modified
                    del saved, envelope
                snapshot.release()  # the copy of the draft is freed in this worker, not on the UI thread
                return result

        self._writer.submit(save, self._on_writer_saved, self._on_writer_failed)

    def _request_snapshot(self, then: Callable[[DraftSnapshot], None]) -> None:
        """Call ``then`` with a snapshot of the envelope as it is now (reused while no edit or save came since)."""
        self.envelope.revision = self._revision
        self._snapshots.request(self.envelope, (self._edits, self._revision), then)

    def _drop_snapshot_copy(self) -> None:
        """Abandon a snapshot still being copied; a save that waited for it is asked for again by its timer."""
        self._snapshots.cancel()
        if self._save_waiting:
            self._save_waiting = False
            self._set_state(SaveState.PENDING)

    def _on_writer_saved(self, saved: tuple[int, datetime]) -> None:
        self._in_flight = False
        self._revision, self.envelope.modified = saved
        self.envelope.revision = self._revision
        if self._dirty:
            self._save_timer.start()
            self._set_state(SaveState.PENDING)
        else:
            self._set_state(SaveState.SAVED)

    def _on_writer_failed(self, error: BaseException) -> None:
        self._in_flight = False
        self._dirty = True  # keep the edits; the next edit or close tries again
        message = error.message if isinstance(error, DraftError) else f"{error}"
        log.error("saving draft %s failed: %s", self.envelope.draft_id, message)
        self._set_state(SaveState.FAILED)
        self.save_failed.emit(message)

    def _set_state(self, state: SaveState) -> None:
        if state != self.state:
            self.state = state
            self.save_state_changed.emit(state)

    def flush(self, timeout_ms: int = 10_000) -> bool:
        """Write outstanding edits and wait for them (used when closing); True if all saved."""
        self._save_timer.stop()
        self._drop_snapshot_copy()  # the draft is saved from the live envelope below instead
        self._validator.wait_for_done(timeout_ms)
        self._writer.wait_for_done(timeout_ms)
        QCoreApplication.processEvents()  # deliver the finished save's result to this object
        if self._dirty or self.state is SaveState.FAILED:
            snapshot = self.envelope.model_copy(deep=True)
            snapshot.revision = self._revision
            try:
                saved = self.store.save(snapshot, expected_revision=snapshot.revision)
            except (DraftError, OSError) as error:
                log.error("final save of draft %s failed: %s", self.envelope.draft_id, error)
                self._set_state(SaveState.FAILED)
                return False
            self._revision = saved.revision
            self._dirty = False
            self._set_state(SaveState.SAVED)
        return True

    def close(self) -> bool:
        """Save, then release the lock; if saving fails the lock is kept and False returned."""
        self._validate_timer.stop()
        ok = self.flush()
        if ok:
            self._closed = True  # results still in flight are dropped from now on
            self.release_lock()
        return ok

    def release_lock(self) -> None:
        """Let other windows open this draft (after closing, or when the user discards edits)."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None
