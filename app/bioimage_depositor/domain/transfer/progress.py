"""Immutable progress snapshots and the final report of a transfer.

A :class:`TransferSnapshot` is what a progress bar, a terminal line or a
``--json`` line shows; the engine sends one at most about ten times a second, from
its own thread, so a Qt page must hand it to the UI thread (a queued signal) and
may keep it as it is: snapshots never change after they are made. A
:class:`TransferReport` says, once the job has ended, what was sent, skipped,
resumed, verified and what failed and why.
"""

from __future__ import annotations

from dataclasses import dataclass

from .ledger import Problem

#: Job status, in snapshots and in the report.
PLANNING, RUNNING, PAUSED, COMPLETED, FAILED, CANCELLED = (
    "planning",
    "running",
    "paused",
    "completed",
    "failed",
    "cancelled",
)


@dataclass(frozen=True)
class FileProgress:
    """One file being worked on.

    Attributes
    ----------
    file_id
        The ledger row.
    remote_path
        Where it goes, relative to the target.
    size
        Its size in bytes.
    done
        Bytes the server holds or has been sent so far.
    phase
        ``"connecting"``, ``"sending"``, ``"verifying"`` or ``"waiting"`` (backing off after an error).
    message
        The last error while ``"waiting"``; otherwise empty.
    """

    file_id: int
    remote_path: str
    size: int
    done: int
    phase: str
    message: str = ""


@dataclass(frozen=True)
class TransferSnapshot:
    """The whole transfer at one moment (see the module docstring).

    ``bytes_done`` counts bytes the server holds or that are on their way (finished
    files, plus the committed part of unfinished ones); ``bytes_sent`` only what went
    on the wire in this run. ``rate`` is an exponentially smoothed bytes per second
    and ``eta`` the seconds left at that rate, ``None`` while unknown.
    """

    status: str
    planning: bool
    files_total: int
    files_done: int
    files_failed: int
    bytes_total: int
    bytes_done: int
    bytes_sent: int
    rate: float | None
    eta: float | None
    active: tuple[FileProgress, ...] = ()
    message: str = ""

    @property
    def fraction(self) -> float:
        """Share of bytes done, between 0 and 1 (1 for an empty transfer)."""
        return 1.0 if self.bytes_total <= 0 else min(1.0, self.bytes_done / self.bytes_total)

    def to_json(self) -> dict[str, object]:
        """A plain dictionary for ``--json`` output."""
        return {
            "event": "progress",
            "status": self.status,
            "planning": self.planning,
            "files_total": self.files_total,
            "files_done": self.files_done,
            "files_failed": self.files_failed,
            "bytes_total": self.bytes_total,
            "bytes_done": self.bytes_done,
            "bytes_sent": self.bytes_sent,
            "rate_bytes_per_s": None if self.rate is None else round(self.rate, 1),
            "eta_s": None if self.eta is None else round(self.eta, 1),
            "active": [
                {"path": f.remote_path, "size": f.size, "done": f.done, "phase": f.phase, "message": f.message}
                for f in self.active
            ],
            "message": self.message,
        }


@dataclass(frozen=True)
class FailedFile:
    """A file that was not sent, and why (``message`` is a sentence for the user)."""

    remote_path: str
    local_path: str
    code: str
    message: str


@dataclass(frozen=True)
class TransferReport:
    """What a job did (see the module docstring).

    Attributes
    ----------
    status
        ``"completed"`` (every file verified), ``"failed"`` (some files failed or the
        transfer stopped on an error), ``"paused"`` (stopped on request; run again to
        continue) or ``"cancelled"``.
    sent
        Files whose bytes went out in this run and that are now verified.
    skipped
        Files already verified by an earlier run and unchanged since.
    resumed
        Files that continued from bytes already on the server instead of starting at 0.
    verified
        Files verified now, over all runs.
    failed
        Files that could not be sent, with the reason.
    problems
        What planning could not include (symlink loops, unreadable folders).
    error_code, message
        Why the whole transfer stopped early (wrong password, remote disk full), if it did.
    """

    status: str
    files_total: int
    sent: int
    skipped: int
    resumed: int
    verified: int
    bytes_total: int
    bytes_sent: int
    duration_s: float
    failed: tuple[FailedFile, ...] = ()
    problems: tuple[Problem, ...] = ()
    error_code: str | None = None
    message: str = ""
    verification: str = ""

    @property
    def ok(self) -> bool:
        """Whether every file is verified and nothing was left out."""
        return self.status == COMPLETED and not self.failed and not self.problems

    def to_json(self) -> dict[str, object]:
        """A plain dictionary for ``--json`` output."""
        return {
            "event": "report",
            "status": self.status,
            "files_total": self.files_total,
            "sent": self.sent,
            "skipped": self.skipped,
            "resumed": self.resumed,
            "verified": self.verified,
            "bytes_total": self.bytes_total,
            "bytes_sent": self.bytes_sent,
            "duration_s": round(self.duration_s, 3),
            "failed": [
                {"path": f.remote_path, "local": f.local_path, "code": f.code, "message": f.message}
                for f in self.failed
            ],
            "problems": [{"path": p.path, "code": p.code, "message": p.message} for p in self.problems],
            "error_code": self.error_code,
            "message": self.message,
            "verification": self.verification,
        }
