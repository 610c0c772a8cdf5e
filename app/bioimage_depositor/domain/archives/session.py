"""Everything a submission run needs around the state machines, shared by the ``submit`` command and the wizard.

The machines (:mod:`.bia_submission`, :mod:`.empiar_submission`, :mod:`.orchestrator`)
do not know where the servers are, where the credentials come from, how a draft
becomes a package, or how a run is stopped. This module gathers those pieces,
without Qt, so the command line and the Submit page run the very same
submission:

* :class:`Servers`: the API and upload roots (production, the archives' test
  servers, or the addresses in the environment, which tests point at local stand-ins);
* credentials: the BIA e-mail and password and the EMPIAR API token, from the
  environment or the keyring (:class:`~..secrets.SecretStore`), never kept anywhere else;
* :func:`package_inputs`: export the draft with the accessions known so far;
* :class:`SubmissionRun`: the lock, record, journal, machines and clients of one run;
* :class:`RunControl`: stop a run between two steps (and a transfer between two chunks);
* the account checks of the Accounts window, and the plan, progress and receipt shown to the user.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from ..deposition import ArchiveAccessions, Deposition
from ..draft_file import DraftEnvelope
from ..exports import empiar as empiar_export
from ..exports import pagetab as pagetab_export
from ..exports.package import context_for_draft, export_package
from ..secrets import SecretStore
from ..transfer.engine import TransferJob
from ..transfer.progress import TransferSnapshot
from . import bia_client, empiar_client
from .bia_submission import BiaSubmission
from .empiar_submission import EmpiarOptions, EmpiarSubmission
from .engine_transfer import engine_transfer
from .errors import ArchiveError
from .http import RetryPolicy
from .inputs import SubmissionInputs, read_inputs
from .journal import Journal, Observer, PollSettings, StepEvent
from .orchestrator import Archives, InputsFor, run_submission
from .state import SubmissionRecord, SubmissionStore
from .uploads import TransferFn, TransferReport, TransferTarget, UploadItem, UploadRoots

BIA_LOGIN_ENV = "BIOIMAGE_DEPOSITOR_BIA_LOGIN"
BIA_PASSWORD_ENV = "BIOIMAGE_DEPOSITOR_BIA_PASSWORD"
EMPIAR_TOKEN_ENV = "BIOIMAGE_DEPOSITOR_EMPIAR_TOKEN"
BIA_API_ENV = "BIOIMAGE_DEPOSITOR_BIA_API_URL"
EMPIAR_API_ENV = "BIOIMAGE_DEPOSITOR_EMPIAR_API_URL"
#: Keyring accounts (service ``bioimage-depositor``) the Accounts window stores the secrets under.
BIA_KEYRING_ACCOUNT = "bia:{login}"
EMPIAR_KEYRING_ACCOUNT = "empiar:token"
#: Where users manage these credentials.
BIA_ACCOUNT_PAGE = "https://www.ebi.ac.uk/biostudies/submissions/"
EMPIAR_TOKEN_PAGE = "https://empiar.org/deposition/api_token"
GLOBUS_PERSONAL_PAGE = "https://www.globus.org/globus-connect-personal"

#: The pseudo-archive of the export step (it is not journaled: exports are repeatable).
PACKAGE = "Package"

#: Account checks answer a person waiting at a window: fewer, shorter retries than a submission.
CHECK_RETRY = RetryPolicy(attempts=3, base_delay=0.5, max_delay=5.0, max_retry_after=30.0)


# ---------------------------------------------------------------- servers


@dataclass(frozen=True)
class Servers:
    """The archives' API roots and upload roots."""

    bia_api: str
    empiar_api: str
    uploads: UploadRoots

    @classmethod
    def from_environment(
        cls,
        *,
        dev: bool = False,
        bia_api: str | None = None,
        empiar_api: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Servers:
        """Production (or, with ``dev``, the test servers), unless the arguments or the environment say otherwise."""
        env = os.environ if environ is None else environ
        bia = bia_api or env.get(BIA_API_ENV) or (bia_client.BETA_URL if dev else bia_client.PRODUCTION_URL)
        empiar = (
            empiar_api
            or env.get(EMPIAR_API_ENV)
            or (empiar_client.DEV_URL if dev else empiar_client.PRODUCTION_URL)
        )
        return cls(bia, empiar, UploadRoots.from_environment(dev=dev))


# ---------------------------------------------------------------- credentials

_shared_store: SecretStore | None = None
_shared_guard = threading.Lock()


def shared_secret_store() -> SecretStore:
    """The program's one secret store.

    Secrets kept for the session only (no keyring) live inside a store object,
    so the Accounts window and the submission must share it. The first call
    probes the keyring, which can block: call it off the UI thread.
    """
    global _shared_store
    with _shared_guard:
        if _shared_store is None:
            _shared_store = SecretStore()
        return _shared_store


def bia_keyring_account(login: str) -> str:
    """The keyring account of a BIA e-mail address (e-mail addresses are not case-sensitive)."""
    return BIA_KEYRING_ACCOUNT.format(login=login.strip().lower())


def bia_login_from_environment(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The BIA e-mail address given explicitly, else from :data:`BIA_LOGIN_ENV` ("" when neither)."""
    env = os.environ if environ is None else environ
    return (explicit or env.get(BIA_LOGIN_ENV) or "").strip()


def bia_credentials(
    login: str, *, store: SecretStore | None = None, environ: Mapping[str, str] | None = None
) -> tuple[str, str]:
    """The BIA account's e-mail and password: the password from :data:`BIA_PASSWORD_ENV`, else the keyring.

    Raises
    ------
    ArchiveError
        ``auth.missing`` when there is no e-mail address or no password.
    """
    login = login.strip()
    if not login:
        raise ArchiveError(
            "auth.missing",
            "No BioImage Archive account is set: sign in on the Accounts window of the program (on the command "
            f"line, give --bia-login E-MAIL or set {BIA_LOGIN_ENV}).",
            permanent=True,
            archive="BIA",
        )
    env = os.environ if environ is None else environ
    password = env.get(BIA_PASSWORD_ENV) or (store or SecretStore()).get(bia_keyring_account(login))
    if not password:
        raise ArchiveError(
            "auth.missing",
            f"No password for the BioImage Archive account {login}: sign in on the Accounts window of the program "
            f"(it keeps the password in the keyring), or set {BIA_PASSWORD_ENV} for a command-line run.",
            permanent=True,
            archive="BIA",
        )
    return login, password


def empiar_token(*, store: SecretStore | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The EMPIAR API token: from :data:`EMPIAR_TOKEN_ENV`, else the keyring.

    Raises
    ------
    ArchiveError
        ``auth.missing`` when there is none.
    """
    env = os.environ if environ is None else environ
    token = env.get(EMPIAR_TOKEN_ENV) or (store or SecretStore()).get(EMPIAR_KEYRING_ACCOUNT)
    if not token:
        raise ArchiveError(
            "auth.missing",
            f"No EMPIAR API token: create one at {EMPIAR_TOKEN_PAGE} and paste it on the Accounts window of the "
            f"program, or set {EMPIAR_TOKEN_ENV} for a command-line run.",
            permanent=True,
            archive="EMPIAR",
        )
    return token


# ---------------------------------------------------------------- account checks


@dataclass(frozen=True)
class BiaAccount:
    """What a successful BIA sign-in tells about the account (nothing secret)."""

    email: str
    username: str
    upload_type: str
    has_upload_folder: bool


def check_bia_account(login: str, password: str, api_url: str) -> BiaAccount:
    """Sign in to the BIA (and out again) to test an e-mail address and password.

    Raises
    ------
    ArchiveError
        ``auth.failed`` for a wrong e-mail or password; network and server errors as usual.
    """
    client = bia_client.BiaClient(api_url, retry=CHECK_RETRY)
    try:
        profile = client.sign_in(login.strip(), password)
        client.sign_out()
    finally:
        client.close()
    return BiaAccount(profile.email, profile.username, profile.upload_type, bool(profile.secret))


def check_empiar_token(token: str, api_url: str) -> int | None:
    """Ask EMPIAR whether it accepts ``token``; returns how many entries the account has (``None``: not listed).

    The API has no "who am I" call. Listing the user's entries needs a valid
    token on every server: one that does not offer the listing still checks the
    token first (401 for a wrong one) before saying so.

    Raises
    ------
    ArchiveError
        ``auth.failed`` for a token EMPIAR does not accept; network and server errors as usual.
    """
    client = empiar_client.EmpiarClient(token.strip(), api_url, retry=CHECK_RETRY)
    try:
        entries = client.find_entries()
    finally:
        client.close()
    return None if entries is None else len(entries)


@dataclass(frozen=True)
class GlobusStatus:
    """Whether Globus Connect Personal is set up on this computer (read from its local files; no network)."""

    sdk_available: bool
    collection_id: str | None

    @property
    def installed(self) -> bool:
        """Whether a personal collection is set up here."""
        return self.collection_id is not None


def globus_status() -> GlobusStatus:
    """The local Globus Connect Personal collection, if any."""
    try:
        import globus_sdk
    except ImportError:
        return GlobusStatus(False, None)
    try:
        collection = globus_sdk.LocalGlobusConnectPersonal().endpoint_id
    except Exception:  # an unreadable or half-written config file means "not usable"
        collection = None
    return GlobusStatus(True, str(collection) if collection else None)


# ---------------------------------------------------------------- stopping a run


class SubmissionStopped(ArchiveError):
    """The user stopped the run; everything done so far is saved."""

    def __init__(self) -> None:
        super().__init__(
            "submission.stopped",
            "The submission was stopped. Nothing is lost: continue it to go on from the step it reached.",
            permanent=False,
        )


class RunControl:
    """Lets another thread stop a run at the next step boundary, poll or transfer chunk.

    The machines save every outcome before they report it, so stopping right
    after a report loses nothing. A stop is never taken at a ``requested`` mark
    (the request is about to be sent): stopping there would leave a resumed run
    unsure whether the archive got the request.
    """

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._jobs: set[TransferJob] = set()
        self._guard = threading.Lock()

    @property
    def stopped(self) -> bool:
        """Whether a stop was asked for."""
        return self._stop.is_set()

    def stop(self) -> None:
        """Ask the run to stop (returns at once; transfers stop after the current chunk)."""
        self._stop.set()
        with self._guard:
            jobs = list(self._jobs)
        for job in jobs:
            job.stop()

    def check(self) -> None:
        """Raise :class:`SubmissionStopped` when a stop was asked for."""
        if self._stop.is_set():
            raise SubmissionStopped()

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (polls, retries), ending early with :class:`SubmissionStopped` on a stop."""
        if self._stop.wait(max(0.0, seconds)):
            raise SubmissionStopped()

    def observe(self, observer: Observer | None = None) -> Observer:
        """An observer that forwards events and stops the run after any event but a ``requested`` mark."""

        def forward(event: StepEvent) -> None:
            if observer is not None:
                observer(event)
            if event.phase != "requested":
                self.check()

        return forward

    def track(self, job: TransferJob) -> None:
        """Stop ``job`` with the run (and at once when the run is already stopping)."""
        with self._guard:
            self._jobs.add(job)
        if self._stop.is_set():
            job.stop()

    def untrack(self, job: TransferJob) -> None:
        """Forget a finished job."""
        with self._guard:
            self._jobs.discard(job)


TransferProgress = Callable[[TransferTarget, TransferSnapshot], None]


def engine_transfer_fn(
    *, parallel: int = 2, progress: TransferProgress | None = None, control: RunControl | None = None
) -> TransferFn:
    """The resumable engine as the machines' transfer step, with progress and a stop.

    Like :func:`~.engine_transfer.engine_transfer` (same ledger per target, so
    either continues the other's transfer), plus progress snapshots for a
    progress bar and a :class:`RunControl` that stops the job between chunks.
    """

    def transfer(items: Sequence[UploadItem], target: TransferTarget) -> TransferReport:
        if control is not None:
            control.check()
        running: list[TransferJob] = []

        def on_job(job: TransferJob | None) -> None:
            if control is None:
                return
            if job is not None:
                running.append(job)
                control.track(job)
            else:
                for finished in running:
                    control.untrack(finished)

        callback = (lambda snapshot: progress(target, snapshot)) if progress is not None else None
        try:
            return engine_transfer(items, target, parallel=parallel, progress=callback, on_job=on_job)
        finally:
            if control is not None:
                control.check()  # a stopped job's report is incomplete by design, not a failure

    return transfer


# ---------------------------------------------------------------- packages


def package_inputs(envelope: DraftEnvelope, folder: Path, observer: Observer | None = None) -> InputsFor:
    """Export the draft with the given accessions (one folder per combination) and read what to send."""

    def inputs_for(bia_accession: str | None, empiar_accessions: Mapping[str, str]) -> SubmissionInputs:
        pairs = sorted(empiar_accessions.items())
        key = hashlib.sha256(json.dumps([envelope.revision, bia_accession, pairs]).encode()).hexdigest()[:16]
        out = folder / key
        ctx = context_for_draft(envelope.modified, bia_accession=bia_accession, empiar_accessions=pairs)
        if observer is not None:
            observer(StepEvent(PACKAGE, "export", "start"))
        # Exports are deterministic and hold metadata only, so writing again is cheap and always current.
        export_package(envelope.deposition, out, ctx, overwrite=True)
        inputs = read_inputs(envelope.deposition, out)
        if observer is not None:
            named = f"naming {bia_accession}" if bia_accession else ""
            observer(StepEvent(PACKAGE, "export", "done", detail=named))
        return inputs

    return inputs_for


# ---------------------------------------------------------------- one run


@dataclass(frozen=True)
class RunSettings:
    """What to submit and how patiently."""

    archives: Archives = "all"
    bia_poll_interval: float = 15.0
    empiar_poll_interval: float = 20.0
    wait_timeout: float = 3600.0


class SubmissionRun:
    """One run of a draft's submission: lock, record, journal, machines and clients.

    :meth:`open` (or entering a ``with`` block) takes the submission lock and
    reads the record (:attr:`record`); :meth:`close` (leaving the block) closes
    the clients and gives the lock back.

    Parameters
    ----------
    envelope
        The draft (a snapshot: the run does not see later edits).
    servers
        Where the archives are.
    bia_credentials, empiar_token
        Called only when an archive has work to do.
    options
        The EMPIAR choices (thumbnail, rights, Globus identity, entries to adopt).
    transfer
        The transfer step.
    settings
        Archives and polling.
    observer
        Told about every step (after it is saved).
    sleep
        Pause between status polls.
    client_sleep
        Pause between retries of an API call (``None``: the clients' default).
    store
        The record store; the draft's in the state folder by default.
    """

    def __init__(
        self,
        envelope: DraftEnvelope,
        servers: Servers,
        *,
        bia_credentials: Callable[[], tuple[str, str]],
        empiar_token: Callable[[], str],
        options: EmpiarOptions,
        transfer: TransferFn,
        settings: RunSettings | None = None,
        observer: Observer | None = None,
        sleep: Callable[[float], None] = time.sleep,
        client_sleep: Callable[[float], None] | None = None,
        store: SubmissionStore | None = None,
    ) -> None:
        self.envelope = envelope
        self.servers = servers
        self.store = store or SubmissionStore(envelope.draft_id)
        self.record: SubmissionRecord | None = None
        self._bia_credentials = bia_credentials
        self._empiar_token = empiar_token
        self._options = options
        self._transfer = transfer
        self._settings = settings or RunSettings()
        self._observer = observer
        self._sleep = sleep
        self._client_sleep = client_sleep
        self._clients: list[Any] = []
        self._locked = False

    def open(self) -> SubmissionRecord:
        """Take the lock and read the record (:attr:`record`).

        Raises
        ------
        ArchiveError
            ``state.busy`` (another process runs it), ``state.damaged`` / ``state.unreadable``.
        """
        self.store.acquire()
        self._locked = True
        try:
            self.record = self.store.load()
        except BaseException:
            self.close()
            raise
        return self.record

    def __enter__(self) -> SubmissionRun:
        """:meth:`open`, for ``with``."""
        self.open()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        """Close the clients and give the lock back."""
        self.close()

    def close(self) -> None:
        """Close the clients and release the lock (never raises)."""
        for client in self._clients:
            client.close()
        self._clients.clear()
        if self._locked:
            self.store.release()
            self._locked = False

    def run(self) -> SubmissionRecord:
        """Advance the submission as far as it goes (see :func:`~.orchestrator.run_submission`).

        Raises
        ------
        ArchiveError, TransferError
            When a step fails (the record keeps everything done so far).
        ExportError
            When the draft cannot be exported (``ExportBlockedError`` lists its problems).
        """
        if self.record is None:
            raise RuntimeError("open the run before running it")
        record = self.record
        settings = self._settings
        journal = Journal(self.store, record, self._observer, sleep=self._sleep)
        sleep_kw: dict[str, Any] = {"sleep": self._client_sleep} if self._client_sleep is not None else {}

        def make_bia() -> BiaSubmission:
            client = bia_client.BiaClient(self.servers.bia_api, **sleep_kw)
            self._clients.append(client)
            return BiaSubmission(
                client,
                self._bia_credentials,
                self.servers.uploads.bia,
                self._transfer,
                journal,
                PollSettings(interval=settings.bia_poll_interval, timeout=settings.wait_timeout),
            )

        def connect_empiar() -> empiar_client.EmpiarClient:
            client = empiar_client.EmpiarClient(self._empiar_token(), self.servers.empiar_api, **sleep_kw)
            self._clients.append(client)
            return client

        def make_empiar() -> EmpiarSubmission:
            return EmpiarSubmission(
                connect_empiar,
                self.servers.uploads.empiar,
                self._transfer,
                journal,
                self._options,
                PollSettings(interval=settings.empiar_poll_interval, timeout=settings.wait_timeout),
            )

        folder = self.store.folder / f"{self.envelope.draft_id}.packages"
        inputs_for = package_inputs(self.envelope, folder, self._observer)
        run_submission(settings.archives, inputs_for, journal, bia=make_bia, empiar=make_empiar)
        return record


# ---------------------------------------------------------------- plan, progress and receipt


@dataclass(frozen=True)
class PlannedEntry:
    """An EMPIAR entry the submission makes: one per EMPIAR study component."""

    component_id: str
    name: str
    files: int


@dataclass(frozen=True)
class SubmissionPlan:
    """What a submission of a deposition does, in order (for the Submit page)."""

    bia: bool
    bia_components: tuple[str, ...]
    bia_files: int
    annotation_sets: int
    empiar: tuple[PlannedEntry, ...]
    backlink: bool

    @property
    def empty(self) -> bool:
        """Whether nothing goes to any archive."""
        return not self.bia and not self.empiar


def plan_for(deposition: Deposition, archives: Archives = "all") -> SubmissionPlan:
    """What :func:`~.orchestrator.run_submission` does for ``deposition`` (no export, no I/O)."""
    bia = archives in ("bia", "all") and pagetab_export.template_for(deposition) is not None
    bia_parts = [c for c in deposition.components if c.archive == "BIA"]
    entries: tuple[PlannedEntry, ...] = ()
    if archives in ("empiar", "all"):
        entries = tuple(
            PlannedEntry(c.id, c.name or c.id, len(c.files)) for c in empiar_export.empiar_components(deposition)
        )
    return SubmissionPlan(
        bia=bia,
        bia_components=tuple(c.name or c.id for c in bia_parts) if bia else (),
        bia_files=sum(len(c.files) for c in bia_parts) + sum(len(a.files) for a in deposition.annotations)
        if bia
        else 0,
        annotation_sets=len(deposition.annotations) if bia else 0,
        empiar=entries,
        backlink=bia and bool(entries) and deposition.correlative,
    )


def is_finished(record: SubmissionRecord, plan: SubmissionPlan) -> bool:
    """Whether every accession of the plan is known (and the correlative back-link stored)."""
    if plan.empty:
        return False
    if plan.bia and not record.bia.done:
        return False
    for entry in plan.empiar:
        progress = record.empiar.get(entry.component_id)
        if progress is None or not progress.done:
            return False
    return not plan.backlink or record.backlink.done


def has_started(record: SubmissionRecord) -> bool:
    """Whether a run has done (or tried) anything for this draft."""
    return bool(record.events or record.last_error or record.bia.account or record.empiar)


def receipt_text(record: SubmissionRecord, names: Mapping[str, str] | None = None) -> str:
    """A plain-text account of what the archives confirmed, for the user's records (no secrets)."""
    names = names or {}
    lines = []
    bia = record.bia
    if bia.accession:
        when = f", stored {bia.completed_at:%Y-%m-%d %H:%M} UTC" if bia.completed_at else ""
        version = f" (version {bia.version})" if bia.version else ""
        lines.append(f"BioImage Archive study {bia.accession}{version}{when}; account {bia.account}.")
    elif bia.acc_no:
        lines.append(f"BioImage Archive study {bia.acc_no} submitted, not yet stored (status {bia.status or '?'}).")
    for key, progress in sorted(record.empiar.items()):
        name = names.get(key, key)
        if progress.accession:
            when = f", {progress.completed_at:%Y-%m-%d %H:%M} UTC" if progress.completed_at else ""
            lines.append(f"EMPIAR entry {progress.entry_id} for '{name}': {progress.accession}{when}.")
        elif progress.submitted:
            lines.append(f"EMPIAR entry {progress.entry_id} for '{name}' submitted; the accession is awaited.")
        elif progress.entry_id is not None:
            lines.append(f"EMPIAR entry {progress.entry_id} for '{name}' created, not yet submitted.")
    if record.backlink.done:
        linked = ", ".join(sorted(record.backlink.empiar_accessions.values()))
        lines.append(f"The BIA study {bia.accession} links {linked} (version {record.backlink.version}).")
    return "\n".join(lines)


def draft_accessions(record: SubmissionRecord, names: Mapping[str, str] | None = None) -> ArchiveAccessions:
    """The accessions (and receipt) of a record, as the draft stores them."""
    return ArchiveAccessions(
        bia=record.bia.accession,
        empiar=record.empiar_accessions(),
        receipt=receipt_text(record, names),
    )
