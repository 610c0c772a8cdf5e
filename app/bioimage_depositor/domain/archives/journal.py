"""Step bookkeeping shared by the submission machines: save the outcome, then tell the observer.

A machine calls :meth:`Journal.start` when a step begins and :meth:`Journal.commit`
when its outcome is known. ``commit`` writes the whole record atomically before
it returns, so the next step never starts before the previous one's outcome is
on disk. Observers (the wizard's progress view, the command line's output, the
fault tests) see every event after it is saved.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from .state import Event, SubmissionRecord, SubmissionStore, utc_now

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StepEvent:
    """A step starting or ending.

    Attributes
    ----------
    archive
        ``"BIA"`` or ``"EMPIAR"``.
    step
        The step's name (``"transfer"``, ``"submit"`` ...).
    phase
        ``"start"``, ``"done"``, ``"skipped"``, ``"waiting"`` (polling) or ``"requested"``
        (a creating request is about to be sent; its mark is saved).
    component
        The study component, for EMPIAR entries.
    detail
        A short sentence for the user (no secrets).
    """

    archive: str
    step: str
    phase: str
    component: str = ""
    detail: str = ""


Observer = Callable[[StepEvent], None]


@dataclass(frozen=True)
class PollSettings:
    """How to wait for an archive that processes a request in the background.

    Attributes
    ----------
    interval
        Seconds between status requests.
    timeout
        Seconds after which a run stops waiting (the next run continues to poll).
    """

    interval: float = 15.0
    timeout: float = 3600.0


class Journal:
    """Saves the record after every step outcome and forwards events to an observer.

    Parameters
    ----------
    store
        Where the record is saved.
    record
        The record being advanced (mutated in place by the machines).
    observer
        Called with every event, after the record is saved.
    sleep, monotonic
        Clock functions (tests pass fast ones).
    """

    def __init__(
        self,
        store: SubmissionStore,
        record: SubmissionRecord,
        observer: Observer | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.record = record
        self._observer = observer
        self.sleep = sleep
        self.monotonic = monotonic

    def _emit(self, event: StepEvent) -> None:
        log.info("%s %s %s %s %s", event.archive, event.component, event.step, event.phase, event.detail)
        if self._observer is not None:
            self._observer(event)

    def start(self, archive: str, step: str, component: str = "", detail: str = "") -> None:
        """Announce that a step begins (nothing is saved)."""
        self._emit(StepEvent(archive, step, "start", component, detail))

    def save(self) -> None:
        """Save the record now (for marks and progress that are not step outcomes)."""
        self.store.save(self.record)

    def mark(self, archive: str, step: str, component: str = "", detail: str = "") -> None:
        """Save a "request about to be sent" mark, then tell the observer."""
        self.store.save(self.record)
        self._emit(StepEvent(archive, step, "requested", component, detail))

    def commit(self, archive: str, step: str, outcome: str = "done", component: str = "", detail: str = "") -> None:
        """Record a step outcome and save the record, then tell the observer."""
        self.record.events.append(
            Event(at=utc_now(), archive=archive, step=step, outcome=outcome, component=component, detail=detail)
        )
        self.store.save(self.record)
        self._emit(StepEvent(archive, step, outcome, component, detail))

    def waiting(self, archive: str, step: str, component: str = "", detail: str = "") -> None:
        """Tell the observer the machine is waiting for the archive (nothing is saved)."""
        self._emit(StepEvent(archive, step, "waiting", component, detail))
