"""Progress reports and cancellation shared by the long file-list operations.

Scanning 100,000 files or hashing terabytes runs in a worker thread while the
wizard stays responsive. Each operation takes the same two hooks: a progress
callback, called from the thread that runs the operation at most a few times a
second, and a cancel request, either a :class:`threading.Event` set by the UI or
the progress callback returning ``False``. Operations never print; what they
have to say goes through these hooks or into the result they return.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

#: Seconds between two progress reports; fast enough for a progress bar, rare enough to cost nothing.
REPORT_INTERVAL_S = 0.1


@dataclass(frozen=True)
class Progress:
    """How far an operation has got.

    Attributes
    ----------
    done
        Files finished (found, for a scan; hashed or taken from the cache, for checksums).
    total
        Files to do, or ``None`` while unknown (a scan cannot know in advance).
    bytes_done
        Bytes finished, including partial progress through large files.
    bytes_total
        Bytes to do, or ``None`` while unknown.
    current
        The file or folder being worked on, for a status line; may be empty.
    """

    done: int
    total: int | None
    bytes_done: int
    bytes_total: int | None = None
    current: str = ""

    @property
    def fraction(self) -> float | None:
        """Share done between 0 and 1 (by bytes when known, else by files), or ``None`` when unknown."""
        if self.bytes_total:
            return min(1.0, self.bytes_done / self.bytes_total)
        if self.total:
            return min(1.0, self.done / self.total)
        if self.total == 0 or self.bytes_total == 0:
            return 1.0
        return None


#: Called with each report; returning ``False`` (not merely a falsy ``None``) asks the operation to stop.
ProgressCallback = Callable[[Progress], bool | None]


class Reporter:
    """Throttles progress reports and gathers the two ways of asking an operation to stop.

    Parameters
    ----------
    callback
        The caller's progress callback, or ``None``.
    cancel
        An event the caller sets to stop the operation, or ``None``.
    interval
        Minimum seconds between two reports (the final report is always sent);
        default :data:`REPORT_INTERVAL_S`.
    """

    def __init__(
        self,
        callback: ProgressCallback | None,
        cancel: threading.Event | None,
        interval: float | None = None,
    ) -> None:
        self._callback = callback
        self._external = cancel
        # Set when the callback answers False; kept apart so the caller's event is never modified.
        self._stop = threading.Event()
        self._interval = REPORT_INTERVAL_S if interval is None else interval
        self._last = 0.0

    @property
    def cancelled(self) -> bool:
        """Whether stopping was requested (safe to poll from any thread)."""
        return self._stop.is_set() or (self._external is not None and self._external.is_set())

    def stop(self) -> None:
        """Request cancellation from inside the operation."""
        self._stop.set()

    def due(self) -> bool:
        """Whether enough time has passed for another report."""
        return self._callback is not None and time.monotonic() - self._last >= self._interval

    def report(self, progress: Progress, *, force: bool = False) -> None:
        """Send ``progress`` when due (or when ``force``); a ``False`` reply requests cancellation."""
        if self._callback is None or not (force or self.due()):
            return
        self._last = time.monotonic()
        if self._callback(progress) is False:
            self._stop.set()
