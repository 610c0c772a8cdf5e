"""Snapshots of the open draft for the workers that validate and save it, without freezing the window.

A draft may list 100,000 files. Workers cannot read the live draft (the pages
edit it in place), so the UI thread hands them a copy. Three things about that
copy used to stall the window for 0.1-0.6 s each, and are avoided here:

* copying 100,000 file entries in one go (about 0.1 s): :class:`SnapshotCopier`
  copies them a slice per event-loop turn, and starts again if the draft is
  edited meanwhile (:meth:`SnapshotCopier.cancel`);
* Python's cycle collector walking the new objects (0.15-0.6 s, holding the
  interpreter lock): the collector is paused while they are made and they are
  then moved out of its sight (:mod:`.gc_pause`); they are acyclic and are freed
  by reference counting;
* freeing the rebuilt copy in one deallocation (0.1-0.2 s): the last worker
  using a :class:`DraftSnapshot` takes it apart a slice at a time.

The validation and the save of the same edits share one snapshot, rebuilt once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from PySide6.QtCore import QObject, QTimer

from ..domain.draft_file import (
    FILE_LIST_SECTIONS,
    DraftEnvelope,
    copy_file_entries,
    envelope_from_snapshot,
    snapshot_skeleton,
)
from .gc_pause import collector_paused, freeze_survivors

#: File entries copied per event-loop turn (about 5 ms) and freed per step when a copy is taken apart.
SLICE = 5000


class DraftSnapshot:
    """One consistent copy of the draft: made on the UI thread, rebuilt once by whichever worker needs it first.

    Workers read the rebuilt envelope inside :meth:`use`. The save calls
    :meth:`release` when it is done; the last job still using the envelope then
    takes it apart. A job that starts later rebuilds it from the copy again.
    """

    def __init__(self, payload: dict[str, Any]) -> None:
        self._payload = payload
        self._envelope: DraftEnvelope | None = None
        self._users = 0
        self._released = False
        self._lock = threading.Lock()

    @contextmanager
    def use(self) -> Iterator[DraftEnvelope]:
        """The rebuilt envelope for the duration of the block (in a worker; read-only, it may be shared)."""
        with self._lock:
            if self._envelope is None:
                with collector_paused():
                    self._envelope = envelope_from_snapshot(self._payload)
                    freeze_survivors()
                self._released = False
            self._users += 1
            envelope = self._envelope
        try:
            yield envelope
        finally:
            del envelope
            self._leave(entering=True)

    def release(self) -> None:
        """No job needs the rebuilt envelope any more: free it once the last user is done."""
        with self._lock:
            self._released = True
        self._leave(entering=False)

    def _leave(self, *, entering: bool) -> None:
        with self._lock:
            if entering:
                self._users -= 1
            doomed = self._envelope if self._released and self._users == 0 else None
            if doomed is not None:
                self._envelope = None
        if doomed is not None:
            _take_apart(doomed)


def _take_apart(envelope: DraftEnvelope) -> None:
    """Free an envelope's file lists a slice at a time, letting the UI thread run between slices."""
    for section in FILE_LIST_SECTIONS:
        for part in getattr(envelope.deposition, section):
            files = part.files
            while files:
                del files[-SLICE:]


class _Copy:
    """A snapshot being copied: the payload made so far and the file lists still to copy."""

    def __init__(self, envelope: DraftEnvelope, key: object) -> None:
        self.key = key
        self.payload, self._lists = snapshot_skeleton(envelope)
        self._copied: list[dict[str, Any]] = []
        self.waiting: list[Callable[[DraftSnapshot], None]] = []

    def step(self) -> bool:
        """Copy up to :data:`SLICE` more entries; ``True`` when the copy is complete."""
        budget = SLICE
        while self._lists and budget > 0:
            part_payload, files = self._lists[0]
            start = len(self._copied)
            self._copied.extend(copy_file_entries(files[start : start + budget]))
            budget -= len(self._copied) - start
            if len(self._copied) >= len(files):
                part_payload["files"] = self._copied
                self._copied = []
                self._lists.pop(0)
        return not self._lists


class SnapshotCopier(QObject):
    """Makes :class:`DraftSnapshot` objects on the UI thread, a slice of file entries per event-loop turn.

    :meth:`request` calls ``then(snapshot)`` once the copy is complete (at once
    when the last snapshot is still current). The owner must call :meth:`cancel`
    whenever the draft changes: a copy that mixed entries from before and after
    an edit would describe a draft that never existed.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._copy: _Copy | None = None
        self._done: tuple[object, DraftSnapshot] | None = None
        self._collector = ExitStack()

    def request(self, envelope: DraftEnvelope, key: object, then: Callable[[DraftSnapshot], None]) -> None:
        """Get a snapshot of ``envelope`` as it is now; ``key`` changes whenever the envelope does."""
        if self._done is not None and self._done[0] == key:
            then(self._done[1])
            return
        if self._copy is not None and self._copy.key != key:
            self.cancel()
        if self._copy is None:
            self._collector.enter_context(collector_paused())
            self._copy = _Copy(envelope, key)
            self._timer.start()
        self._copy.waiting.append(then)

    def cancel(self) -> None:
        """Drop the copy under way and its waiting requests (the draft changed, or is being closed)."""
        self._timer.stop()
        if self._copy is not None:
            self._copy = None
            self._collector.close()

    def forget(self) -> None:
        """Do not hand out the last snapshot again (so the session holds no second copy of the draft)."""
        self._done = None

    def _on_timer_timeout(self) -> None:
        copy = self._copy
        if copy is None:
            return
        if not copy.step():
            self._timer.start()
            return
        self._copy = None
        freeze_survivors()  # the copy is acyclic and short-lived: keep the collector from walking it
        self._collector.close()
        snapshot = DraftSnapshot(copy.payload)
        self._done = (copy.key, snapshot)
        for then in copy.waiting:
            then(snapshot)
