"""The open draft: the one deposition the pages edit, saved automatically in the background.

Pages change ``session.deposition`` in place and call :meth:`DraftSession.touch`.
After a short pause the session snapshots the envelope on the UI thread (one
:func:`~..domain.draft_file.take_snapshot`, shared by the validation and the save
of the same edits) and rebuilds, checks and writes it in workers, so saves never
block typing and never overtake each other. The rebuild happens once per
snapshot, and the workers run with Python's cycle collector paused: a draft
listing 100,000 files makes each rebuild create several hundred thousand
objects, and the full collections they triggered held the interpreter lock, and
so the window, for 0.4–0.6 s each. A save that fails (disk full, folder removed)
is reported through ``save_state_changed`` and retried on the next edit; the
in-memory draft is never discarded.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import Enum
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from ..domain.deposition import Deposition
from ..domain.draft_errors import DraftError
from ..domain.draft_file import FILE_LIST_SECTIONS, DraftEnvelope, envelope_from_snapshot, take_snapshot
from ..domain.draft_lock import DraftLock
from ..domain.drafts import DraftStore
from ..domain.problems import Problem
from ..domain.rules import check_deposition
from .background import BackgroundRunner
from .gc_pause import collector_paused, freeze_survivors

log = logging.getLogger(__name__)

#: File entries freed per step when a rebuilt snapshot is taken apart (about a millisecond each).
_TEAR_DOWN_SLICE = 1000

AUTOSAVE_DELAY_MS = 600
VALIDATE_DELAY_MS = 250


class SaveState(Enum):
    """What the title bar says about the draft on disk."""

    SAVED = "Saved"
    PENDING = "Unsaved changes"
    SAVING = "Saving…"
    FAILED = "Not saved"


class _Snapshot:
    """One consistent copy of the envelope: dumped on the UI thread, rebuilt once by whichever worker needs it first.

    The validation and the save of the same edits share the rebuilt envelope through :meth:`use`. The save
    calls :meth:`release`; the last job using it then takes it apart in small steps
    (:func:`_take_apart`), because dropping 100,000 file entries at once is one long deallocation that holds
    the interpreter lock, and so the window, for 0.1-0.2 s.
    """

    def __init__(self, payload: dict[str, Any]) -> None:
        self._payload = payload  # kept until the snapshot dies: a job that starts after release() rebuilds
        self._envelope: DraftEnvelope | None = None
        self._users = 0
        self._released = False
        self._lock = threading.Lock()

    @contextmanager
    def use(self) -> Iterator[DraftEnvelope]:
        """The rebuilt envelope, for the duration of the block (in a worker; read-only, it may be shared)."""
        with self._lock:
            if self._envelope is None:
                with collector_paused():
                    self._envelope = envelope_from_snapshot(self._payload)
                    # Once the collector runs again its next collection would walk every object of the new
                    # envelope (0.15-0.2 s for 100,000 files, holding the window); they are acyclic and freed
                    # by reference counting, so they go straight to the generation it never walks.
                    freeze_survivors()
                self._released = False
            self._users += 1
            envelope = self._envelope
        try:
            yield envelope
        finally:
            del envelope
            self._leave()

    def release(self) -> None:
        """No job needs the rebuilt envelope any more: free it once the last user is done."""
        with self._lock:
            self._released = True
        self._leave(entering=False)

    def _leave(self, *, entering: bool = True) -> None:
        with self._lock:
            if entering:
                self._users -= 1
            doomed = self._envelope if self._released and self._users == 0 else None
            if doomed is not None:
                self._envelope = None
        if doomed is not None:
            _take_apart(doomed)


def _take_apart(envelope: DraftEnvelope) -> None:
    """Free a rebuilt envelope's file lists a slice at a time, letting the UI thread run between slices."""
    for section in FILE_LIST_SECTIONS:
        for part in getattr(envelope.deposition, section):
            files = part.files
            while files:
                del files[-_TEAR_DOWN_SLICE:]


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
        self._snapshot: tuple[tuple[int, int], _Snapshot] | None = None

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
        snapshot = self._take_snapshot()  # a consistent copy; everything slow is in the worker

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
        if self._in_flight or not self._dirty:
            return  # the running save re-checks ``_dirty`` when it finishes
        self._dirty = False
        self._in_flight = True
        # Taking the snapshot is the only work done here; rebuilding, encoding and writing happen in the writer.
        snapshot = self._take_snapshot()
        self._snapshot = None  # held by the jobs until they end; the session needs no second copy of the draft
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

        self._set_state(SaveState.SAVING)
        self._writer.submit(save, self._on_writer_saved, self._on_writer_failed)

    def _take_snapshot(self) -> _Snapshot:
        """A snapshot of the envelope as it is now, reusing the last one when no edit or save came since."""
        key = (self._edits, self._revision)
        if self._snapshot is None or self._snapshot[0] != key:
            self.envelope.revision = self._revision
            with collector_paused():
                self._snapshot = (key, _Snapshot(take_snapshot(self.envelope)))
                freeze_survivors()  # as in _Snapshot.envelope: the copy is acyclic and short-lived
        return self._snapshot[1]

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
