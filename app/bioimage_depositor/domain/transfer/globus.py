"""Globus hand-off: the whole file set becomes one Globus transfer task that runs server-side.

For multi-terabyte sets (EMPIAR) the bytes do not go through this program: the
user's Globus Connect Personal (GCP) collection sends them to the archive's
collection, Globus retries faults itself, and the task survives closing the
program. Our job is to submit the task exactly once and watch it (transfers.md §4):

1. the source is the local GCP collection (``LocalGlobusConnectPersonal``), with a
   clear error when GCP is not installed or set up;
2. a **submission id** is fetched and persisted in the ledger **first**: Globus
   treats a re-submission with the same id as the same task, so a crash between
   submitting and saving the task id cannot create a duplicate;
3. the task is built with ``sync_level="checksum"``, ``verify_checksum=True``,
   ``preserve_timestamp``, ``fail_on_quota_errors`` and one item per file with
   ``checksum_algorithm="MD5"`` and, when the file list already knows it, the MD5 as
   ``external_checksum`` (end-to-end check against our own hash);
4. the **task id** is persisted as soon as Globus returns it;
5. on a restart, a stored task id is re-attached to (polled, never resubmitted);
   a stored submission id without a task id is resubmitted with that same id. A
   task that ended in failure or was cancelled is replaced by a new one: with
   ``sync_level="checksum"`` it sends only what the destination lacks.

The ``TransferClient`` comes from a factory, because signing in to Globus belongs
to the app (a native-app login with the ``data_access`` consent for the archive's
collection): :func:`register_client_factory` installs it; until then a Globus
target reports that the user must sign in. A ``ConsentRequired`` answer becomes a
permanent error asking the user to sign in again and approve data access.
"""

from __future__ import annotations

import os
import posixpath
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import PureWindowsPath
from typing import Any
from urllib.parse import unquote, urlsplit

import globus_sdk

from .transport import HandoffState, HandoffStatus, RemoteFile, TransferError

#: Builds an authenticated ``globus_sdk.TransferClient`` (the app's Globus sign-in provides it).
ClientFactory = Callable[[], globus_sdk.TransferClient]

#: Ledger keys this transport keeps (see :class:`~.transport.HandoffState`).
SUBMISSION_KEY = "globus.submission_id"
TASK_KEY = "globus.task_id"
BYTES_KEY = "globus.bytes_total"
FILES_KEY = "globus.files_total"

#: Seconds between two ``get_task`` calls while a task runs (the SDK's own examples use 15).
DEFAULT_POLL_INTERVAL_S = 15.0
DEFAULT_LABEL = "BioImage Depositor upload"
GCP_DOWNLOAD = "https://www.globus.org/globus-connect-personal"

_registered_factory: ClientFactory | None = None


def register_client_factory(factory: ClientFactory | None) -> None:
    """Install (or, with ``None``, remove) the factory that Globus targets use for their ``TransferClient``.

    Parameters
    ----------
    factory
        Called once per :meth:`GlobusTransport.start`/``poll``/``cancel`` when the transport
        was not given its own factory; may raise :class:`TransferError` (e.g. ``auth.required``).
    """
    global _registered_factory
    _registered_factory = factory


class GlobusTransport:
    """A hand-off to a Globus transfer task from the local GCP collection to ``destination``.

    Parameters
    ----------
    destination
        The destination collection's id (a UUID).
    base_path
        Folder on the destination under which each file's ``remote_path`` goes (``/`` separators).
    client_factory
        Builds the authenticated ``TransferClient``; default: the one installed with
        :func:`register_client_factory`.
    source_endpoint
        The source collection id; default: the local Globus Connect Personal's.
    gcp_config_dir
        Where GCP keeps its configuration, when not in the default place.
    label
        The task's label as shown in the Globus web app.
    poll_interval
        Seconds between two status requests in :meth:`poll`.
    sleep
        The function :meth:`poll` waits with (tests pass one that returns at once).
    """

    name = "Globus"

    def __init__(
        self,
        destination: str,
        base_path: str = "/",
        *,
        client_factory: ClientFactory | None = None,
        source_endpoint: str | None = None,
        gcp_config_dir: str | None = None,
        label: str = DEFAULT_LABEL,
        poll_interval: float = DEFAULT_POLL_INTERVAL_S,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.destination = destination
        self.base_path = "/" + base_path.strip("/") if base_path.strip("/") else "/"
        self._client_factory = client_factory
        self._source_endpoint = source_endpoint
        self._gcp_config_dir = gcp_config_dir
        self.label = label
        self.poll_interval = poll_interval
        self._sleep = sleep
        self._client: globus_sdk.TransferClient | None = None

    # ------------------------------------------------------------------ HandoffTransport

    def start(self, files: Sequence[tuple[str, RemoteFile]], state: HandoffState) -> None:
        """Submit the task once, or re-attach to the one ``state`` records.

        Parameters
        ----------
        files
            ``(local path, file)`` pairs; the local paths must be inside a folder GCP shares.
        state
            The ledger's key/value store; the submission id and task id are written there.

        Raises
        ------
        TransferError
            GCP missing, not signed in, consent required, Globus refusing the task (permanent),
            or Globus unreachable (transient).
        """
        client = self._transfer_client()
        task_id = _meta(state, TASK_KEY)
        if task_id:
            task = _call(lambda: client.get_task(task_id), "checking the Globus task")
            if task.get("status") != "FAILED":
                return  # running, paused or finished: re-attach, never submit twice
            # a failed or cancelled task: submit a new one; with checksum sync it sends only what is missing
            state.set_meta(SUBMISSION_KEY, "")
            state.set_meta(TASK_KEY, "")
        if not files:
            state.set_meta(FILES_KEY, "0")
            state.set_meta(BYTES_KEY, "0")
            return
        source = self.source_endpoint()
        state.set_meta(FILES_KEY, str(len(files)))
        state.set_meta(BYTES_KEY, str(sum(item.size for _path, item in files)))
        submission_id = _meta(state, SUBMISSION_KEY)
        if not submission_id:
            answer = _call(client.get_submission_id, "preparing the Globus task")
            submission_id = str(answer["value"])
            state.set_meta(SUBMISSION_KEY, submission_id)  # persisted before the task exists
        data = self.transfer_data(files, source, submission_id)
        result = _call(lambda: client.submit_transfer(data), "submitting the Globus task")
        task_id = result.get("task_id")
        if not task_id:
            said = result.get("message") or "no task id returned"
            raise TransferError("globus.rejected", f"Globus did not create a task ({said}).")
        state.set_meta(TASK_KEY, str(task_id))

    def poll(self, state: HandoffState) -> Iterator[HandoffStatus]:
        """Yield the task's status every ``poll_interval`` seconds until it succeeds, fails or is cancelled."""
        task_id = _meta(state, TASK_KEY)
        if not task_id:
            if _meta(state, FILES_KEY) == "0":
                yield HandoffStatus("succeeded", message="Nothing to send.")
                return
            raise TransferError("globus.not_started", "The Globus task has not been submitted yet.")
        client = self._transfer_client()
        while True:
            task = _call(lambda: client.get_task(task_id), "checking the Globus task")
            status = task_status(task, bytes_total=_meta_int(state, BYTES_KEY), files_total=_meta_int(state, FILES_KEY))
            yield status
            if status.state != "active":
                return
            self._sleep(self.poll_interval)

    def cancel(self, state: HandoffState) -> None:
        """Ask Globus to cancel the task. Never raises."""
        task_id = _meta(state, TASK_KEY)
        if not task_id:
            return
        try:
            client = self._transfer_client()
            client.cancel_task(task_id)
        except (globus_sdk.GlobusError, TransferError):
            pass  # the task may already have ended; the next poll tells

    # ------------------------------------------------------------------ pieces

    def source_endpoint(self) -> str:
        """The source collection: the one given, or the local Globus Connect Personal's.

        Raises
        ------
        TransferError
            ``globus.no_local_endpoint`` (permanent) when GCP is not installed or not set up.
        """
        if self._source_endpoint:
            return self._source_endpoint
        try:
            endpoint_id = globus_sdk.LocalGlobusConnectPersonal(config_dir=self._gcp_config_dir).endpoint_id
        except (globus_sdk.GlobusError, OSError):
            endpoint_id = None
        if not endpoint_id:
            raise TransferError(
                "globus.no_local_endpoint",
                "Globus Connect Personal is not installed or not set up on this computer, so Globus cannot read "
                f"the files from it. Install it from {GCP_DOWNLOAD}, sign in, make sure the folders with your "
                "data are shared in its settings, keep it running, and start the transfer again.",
                permanent=True,
            )
        return str(endpoint_id)

    def transfer_data(
        self, files: Sequence[tuple[str, RemoteFile]], source: str, submission_id: str
    ) -> globus_sdk.TransferData:
        """The task document: checksum sync and verification, one item per file with its MD5 when known."""
        data = globus_sdk.TransferData(
            source,
            self.destination,
            label=self.label,
            submission_id=submission_id,
            sync_level="checksum",
            verify_checksum=True,
            preserve_timestamp=True,
            fail_on_quota_errors=True,
        )
        for local_path, item in files:
            data.add_item(
                gcp_path(local_path),
                posixpath.join(self.base_path, item.remote_path.lstrip("/")),
                external_checksum=item.md5 if item.md5 else globus_sdk.MISSING,
                checksum_algorithm="MD5",
            )
        return data

    def _transfer_client(self) -> globus_sdk.TransferClient:
        if self._client is None:
            factory = self._client_factory or _registered_factory
            if factory is None:
                raise TransferError(
                    "auth.required",
                    "Sign in to Globus first: Globus transfers need your Globus account, and this program "
                    "is not signed in to Globus.",
                    permanent=True,
                )
            self._client = _call(factory, "signing in to Globus")
        return self._client


def task_status(
    task: Mapping[str, Any], *, bytes_total: int | None = None, files_total: int | None = None
) -> HandoffStatus:
    """Turn a Globus task document (``get_task``) into a :class:`HandoffStatus`.

    Parameters
    ----------
    task
        The task document: ``status``, ``nice_status``, ``bytes_transferred``, ``files_transferred``,
        ``files_skipped``, ``faults``, ``effective_bytes_per_second``, ``fatal_error`` …
    bytes_total, files_total
        What was handed off (from the ledger), when known; else the task's own ``files`` count.
    """
    raw = str(task.get("status") or "").upper()
    done_files = int(task.get("files_transferred") or 0) + int(task.get("files_skipped") or 0)
    total_files = files_total if files_total is not None else int(task.get("files") or 0)
    rate = task.get("effective_bytes_per_second")
    fatal = task.get("fatal_error") or {}
    nice = task.get("nice_status_short_description") or task.get("nice_status") or ""
    faults = int(task.get("faults") or 0)
    if raw == "SUCCEEDED":
        state, message = "succeeded", "Globus transferred and verified every file."
    elif raw == "FAILED":
        cancelled = str(fatal.get("code") or "").upper() in ("CANCELED", "CANCELLED") or bool(
            task.get("canceled_by_admin")
        )
        state = "cancelled" if cancelled else "failed"
        reason = fatal.get("description") or task.get("canceled_by_admin_message") or nice or "no reason given"
        message = f"The Globus task was {'cancelled' if cancelled else 'stopped'}: {reason}"
    elif raw == "INACTIVE":
        state = "active"
        message = f"Globus paused the task ({nice or 'no reason given'}); it may need you to sign in again."
    else:
        state = "active"
        message = f"Globus: {nice or raw.lower() or 'queued'}"
        if faults:
            message += f"; {faults} fault{'s' if faults != 1 else ''} so far (Globus retries them)"
    return HandoffStatus(
        state=state,
        bytes_done=int(task.get("bytes_transferred") or 0),
        bytes_total=bytes_total if bytes_total is not None else 0,
        files_done=min(done_files, total_files) if total_files else done_files,
        files_total=total_files,
        rate_bytes_per_s=float(rate) if rate is not None else None,
        message=message,
    )


def gcp_path(local_path: str, *, windows: bool | None = None) -> str:
    r"""The path Globus Connect Personal knows a local file by.

    POSIX paths are used as they are (absolute); on Windows ``C:\data\a.tif`` becomes ``/C/data/a.tif``.
    """
    if windows if windows is not None else os.name == "nt":
        path = PureWindowsPath(local_path)
        drive = path.drive.rstrip(":")
        return "/" + "/".join(part for part in (drive, *path.parts[1:]) if part)
    return posixpath.abspath(local_path)


def from_url(url: str, password: str | None) -> GlobusTransport:
    """The transport for ``globus://<collection-uuid>/<path>``.

    Parameters
    ----------
    url
        The destination collection id as the host, the destination folder as the path.
    password
        Unused: Globus uses the app's Globus sign-in, never a password.

    Raises
    ------
    TransferError
        ``target.invalid`` (permanent) when the URL does not name a collection id.
    """
    del password  # Globus authenticates with the sign-in's tokens
    parts = urlsplit(url)
    try:
        collection = str(uuid.UUID(parts.netloc))
    except ValueError:
        raise TransferError(
            "target.invalid",
            f"'{url}' does not name a Globus collection; use globus://<collection id>/<folder>.",
            permanent=True,
        ) from None
    if parts.scheme.lower() != "globus":
        raise TransferError("target.invalid", f"'{url}' is not a globus:// address.", permanent=True)
    return GlobusTransport(collection, unquote(parts.path) or "/")


# ---------------------------------------------------------------------- helpers


def _call(action: Callable[[], Any], doing: str) -> Any:
    """Run one Globus call, turning its failures into :class:`TransferError` (permanent or transient)."""
    try:
        return action()
    except globus_sdk.GlobusAPIError as error:
        raise api_error(error, doing) from None
    except globus_sdk.NetworkError as error:
        raise TransferError(
            "connection.lost", f"Globus could not be reached while {doing} ({type(error).__name__})."
        ) from None


def api_error(error: globus_sdk.GlobusAPIError, doing: str) -> TransferError:
    """The :class:`TransferError` for an error answer from the Globus API."""
    code = error.code or ""
    said = error.message or code or f"HTTP {error.http_status}"
    if error.info.consent_required:
        return TransferError(
            "auth.consent_required",
            "Globus needs your consent before this program may use the archive's collection. Sign in to "
            "Globus again and approve data access for the destination collection, then start the transfer again.",
            permanent=True,
        )
    if error.http_status == 401 or code.startswith("AuthenticationFailed"):
        return TransferError(
            "auth.failed", "Your Globus sign-in has expired or was refused; sign in to Globus again.", permanent=True
        )
    if error.http_status == 403 or "PermissionDenied" in code:
        return TransferError("permission.denied", f"Globus refused this while {doing}: {said}", permanent=True)
    if error.http_status == 404 or "NotFound" in code:
        return TransferError("target.not_found", f"Globus does not know it ({doing}): {said}", permanent=True)
    if error.http_status == 429 or error.http_status >= 500 or "ServiceUnavailable" in code:
        return TransferError("server.error", f"Globus is unavailable ({doing}): {said}; retrying.")
    return TransferError("globus.rejected", f"Globus refused this while {doing}: {said}", permanent=True)


def _meta(state: HandoffState, key: str) -> str:
    return state.get_meta(key) or ""


def _meta_int(state: HandoffState, key: str) -> int | None:
    value = _meta(state, key)
    return int(value) if value.isdigit() else None


__all__ = [
    "BYTES_KEY",
    "FILES_KEY",
    "SUBMISSION_KEY",
    "TASK_KEY",
    "ClientFactory",
    "GlobusTransport",
    "api_error",
    "from_url",
    "gcp_path",
    "register_client_factory",
    "task_status",
]
