"""Runs a draft's submission for the Submit page: a worker thread, Qt signals, and a stop between steps.

The submission (:class:`~..domain.archives.session.SubmissionRun`, the same
state machines as the ``submit`` command) blocks for as long as uploads and
archive processing take. This controller owns the thread it runs in, turns its
step events, transfer snapshots and outcome into queued Qt signals (so widgets
are touched on the UI thread only), and does everything that may block —
parsing the draft snapshot, the keyring, the export — in that worker too.

Every outcome, including an unexpected exception, ends in one
:class:`SubmissionOutcome` with a sentence for the user; a traceback only
goes to the log.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from ..domain.archives.empiar_submission import EmpiarOptions
from ..domain.archives.errors import ArchiveError
from ..domain.archives.orchestrator import Archives
from ..domain.archives.session import (
    RunControl,
    RunSettings,
    Servers,
    SubmissionRun,
    SubmissionStopped,
    bia_credentials,
    empiar_token,
    engine_transfer_fn,
    shared_secret_store,
)
from ..domain.archives.state import SubmissionRecord
from ..domain.archives.uploads import TransferTarget
from ..domain.draft_errors import DraftError
from ..domain.draft_file import parse_draft
from ..domain.exports.package import ExportBlockedError, ExportError
from ..domain.transfer.progress import TransferSnapshot
from ..domain.transfer.transport import TransferError

log = logging.getLogger(__name__)

#: Said after every failure that leaves the record in place.
CONTINUE_HINT = (
    "Everything done so far is saved: Continue submission goes on from this step without sending anything twice."
)


@dataclass(frozen=True)
class SubmissionRequest:
    """What to submit and how.

    Attributes
    ----------
    draft
        The draft as serialised on the UI thread (``serialise_draft``): the run sees this snapshot.
    archives
        ``"all"``, ``"bia"`` or ``"empiar"``.
    bia_login
        The BIA e-mail address chosen on the Accounts window (the password is in the keyring).
    thumbnail
        PNG shown for the EMPIAR entries ("" for none).
    globus_identity
        The Globus identity EMPIAR shares the upload folder with ("" for none).
    poll_interval
        Seconds between status checks; ``None`` for each archive's default.
    wait_timeout
        Stop waiting for an archive after this long (a later run continues to wait).
    parallel
        Files sent at the same time.
    servers
        Where the archives are; ``None`` for production or the addresses in the environment.
    """

    draft: bytes
    archives: Archives = "all"
    bia_login: str = ""
    thumbnail: str = ""
    globus_identity: str = ""
    poll_interval: float | None = None
    wait_timeout: float = 3600.0
    parallel: int = 2
    servers: Servers | None = None


@dataclass(frozen=True)
class SubmissionOutcome:
    """How a run ended.

    Attributes
    ----------
    record
        A copy of the submission record as the run left it (``None`` when it could not be read).
    ok
        The run went through without an error.
    stopped
        The user stopped it.
    message
        A sentence for the user ("" when all went well).
    details
        Server messages (already free of secrets), for a details line.
    code
        The error's stable code ("" when none).
    """

    record: SubmissionRecord | None
    ok: bool
    stopped: bool = False
    message: str = ""
    details: tuple[str, ...] = ()
    code: str = ""


class SubmissionController(QObject):
    """Run one submission at a time in a worker thread; report through signals.

    Signals
    -------
    step_reported(object)
        A :class:`~..domain.archives.journal.StepEvent`, after its outcome is saved.
    transfer_progressed(str, object)
        The archive (``"BIA"``/``"EMPIAR"``) and a :class:`TransferSnapshot`, about ten a second.
    submission_finished(object)
        The :class:`SubmissionOutcome` when the run ends (finished, failed or stopped).
    """

    step_reported = Signal(object)
    transfer_progressed = Signal(str, object)
    submission_finished = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: threading.Thread | None = None
        self._control: RunControl | None = None
        self._busy = False

    @property
    def running(self) -> bool:
        """Whether a run is under way (cleared just before its end is signalled)."""
        return self._busy

    def start(self, request: SubmissionRequest) -> None:
        """Start (or continue from the saved record) the submission of ``request`` in a worker thread."""
        if self._busy:
            raise RuntimeError("a submission is already running")
        self._busy = True
        self._control = RunControl()
        self._thread = threading.Thread(
            target=self._work, args=(request, self._control), name="submission", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop after the current step (a transfer after its current chunk); the record keeps everything."""
        if self._control is not None:
            self._control.stop()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the worker ends (tests, closing the program); ``True`` when it has."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # ------------------------------------------------------------ worker thread

    def _work(self, request: SubmissionRequest, control: RunControl) -> None:
        try:
            outcome = self._run(request, control)
        except Exception as error:  # a bug: log it, tell the user, keep the program running
            log.exception("the submission stopped unexpectedly")
            outcome = SubmissionOutcome(
                None,
                False,
                message=f"The submission stopped because of an unexpected problem ({type(error).__name__}); the "
                f"details are in the log. {CONTINUE_HINT}",
                code="internal",
            )
        self._busy = False
        self.submission_finished.emit(outcome)

    def _on_transfer_progress(self, target: TransferTarget, snapshot: TransferSnapshot) -> None:
        self.transfer_progressed.emit(target.archive, snapshot)

    def _run(self, request: SubmissionRequest, control: RunControl) -> SubmissionOutcome:
        try:
            envelope = parse_draft(request.draft, "submission snapshot")
        except DraftError as error:
            return SubmissionOutcome(None, False, message=error.message, code=error.code)
        thumbnail = Path(request.thumbnail) if request.thumbnail else None
        if thumbnail is not None and not thumbnail.is_file():
            return SubmissionOutcome(
                None,
                False,
                message=f"The EMPIAR thumbnail {thumbnail} cannot be found. Choose another picture, or clear the "
                "field to submit without one.",
                code="local.thumbnail",
            )
        store = shared_secret_store()
        default = RunSettings()
        settings = RunSettings(
            archives=request.archives,
            bia_poll_interval=request.poll_interval or default.bia_poll_interval,
            empiar_poll_interval=request.poll_interval or default.empiar_poll_interval,
            wait_timeout=request.wait_timeout,
        )
        run = SubmissionRun(
            envelope,
            request.servers or Servers.from_environment(),
            # The wizard's credentials are the Accounts window's: the keyring (or this session's memory).
            bia_credentials=lambda: bia_credentials(request.bia_login, store=store, environ={}),
            empiar_token=lambda: empiar_token(store=store, environ={}),
            options=EmpiarOptions(thumbnail=thumbnail, globus_identity=request.globus_identity.strip()),
            transfer=engine_transfer_fn(
                parallel=max(1, request.parallel), progress=self._on_transfer_progress, control=control
            ),
            settings=settings,
            observer=control.observe(self.step_reported.emit),
            sleep=control.sleep,
            client_sleep=control.sleep,
        )
        try:
            record = run.open()
        except ArchiveError as error:  # another process runs this submission, or the record is damaged
            return SubmissionOutcome(None, False, message=str(error), code=error.code)
        try:
            return self._advance(run, record)
        finally:
            run.close()

    def _advance(self, run: SubmissionRun, record: SubmissionRecord) -> SubmissionOutcome:
        def copy() -> SubmissionRecord:
            return record.model_copy(deep=True)

        try:
            run.run()
        except SubmissionStopped:
            return SubmissionOutcome(
                copy(), False, stopped=True, message=f"Stopped. {CONTINUE_HINT}", code="submission.stopped"
            )
        except ExportBlockedError as error:
            count = len(error.problems)
            return SubmissionOutcome(
                copy(),
                False,
                message=f"The draft has {count} problem(s) to fix before it can be submitted; the Review page "
                "lists them. Nothing was sent.",
                details=tuple(f"{p.path}: {p.message}" for p in error.problems[:10]),
                code=error.code,
            )
        except ExportError as error:
            return SubmissionOutcome(copy(), False, message=error.message, code=error.code)
        except TransferError as error:  # ArchiveError, or the transfer engine's own errors
            details = error.details if isinstance(error, ArchiveError) else ()
            return SubmissionOutcome(
                copy(), False, message=f"{error} {CONTINUE_HINT}", details=tuple(details[:10]), code=error.code
            )
        except OSError as error:  # a package or data file vanished while being read
            return SubmissionOutcome(
                copy(),
                False,
                message=f"A file could not be read ({error.strerror or error}"
                + (f": {error.filename}" if error.filename else "")
                + f"). Check that the disk holding the data is connected. {CONTINUE_HINT}",
                code="local.unreadable",
            )
        return SubmissionOutcome(copy(), True)

