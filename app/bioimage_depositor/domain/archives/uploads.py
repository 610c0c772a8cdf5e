"""What the submission machines hand to the transfer engine, and what they expect back.

The machines do not move bytes. They call an injected :data:`TransferFn` with
the files and a :class:`TransferTarget`, and continue only when the returned
:class:`TransferReport` says every file arrived. The function must be
resumable (the transfer engine's ledger, keyed by ``TransferTarget.key``):
after a crash the machine calls it again with the same arguments and it sends
only what is missing.

Targets
    * BIA: the user's secret folder on the BioStudies FTP server,
      ``ftp://ftp-private.ebi.ac.uk/<secret>/``, with the shared login that the
      account's ``uploadType`` selects (``bia.md`` §5);
    * EMPIAR: the entry's ``data/`` folder on the EMPIAR Globus collection,
      ``globus://<collection>/<entry directory>/data/`` (``empiar.md`` §5.2).

    The roots are configurable (:class:`UploadRoots`), so tests point them at a
    ``file://`` folder of a local stand-in server.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: Shared FTP logins of the BioStudies upload server by the account's ``uploadType`` (public, bia.md §5).
BIA_FTP_LOGINS = {"nfs": ("bsftp", "bsftp1"), "ftp": ("bs-upload", "vsr5nW7Y")}
BIA_FTP_ROOT = "ftp://ftp-private.ebi.ac.uk/"
#: EMPIAR's Globus destination collection (production), empiar.md §5.2.
EMPIAR_GLOBUS_ROOT = "globus://138b5c78-adef-4c12-89e6-2cd170bf63ed/"
EMPIAR_GLOBUS_ROOT_DEV = "globus://22baf81d-120c-495f-9c83-b3f74b423950/"

BIA_UPLOAD_ENV = "BIOIMAGE_DEPOSITOR_BIA_UPLOAD_URL"
EMPIAR_UPLOAD_ENV = "BIOIMAGE_DEPOSITOR_EMPIAR_UPLOAD_URL"


@dataclass(frozen=True)
class UploadItem:
    """One local file and where it goes, relative to the target folder (``/``-separated)."""

    local_path: Path
    remote_path: str
    size: int
    md5: str = ""


@dataclass(frozen=True)
class TransferTarget:
    """Where a set of files goes.

    Attributes
    ----------
    archive
        ``"BIA"`` or ``"EMPIAR"``.
    url
        The target folder, ending in ``/``. It may contain the secret BIA folder, so it
        is kept out of ``repr``; show :attr:`label` instead.
    key
        A stable name for the transfer's ledger, the same on every resumed run.
    label
        How to name the target to the user (no secrets).
    username, password
        Login for the target, where the protocol needs one (the public shared BIA FTP login).
    """

    archive: str
    url: str = field(repr=False)
    key: str
    label: str
    username: str = ""
    password: str = field(default="", repr=False)


@dataclass(frozen=True)
class TransferReport:
    """What a transfer call achieved."""

    files_total: int
    files_done: int
    bytes_sent: int = 0
    failed: tuple[str, ...] = ()
    detail: str = ""

    @property
    def complete(self) -> bool:
        """Whether every file arrived."""
        return not self.failed and self.files_done >= self.files_total

    def to_json(self) -> dict[str, object]:
        """A plain dict for the submission record."""
        return {
            "files_total": self.files_total,
            "files_done": self.files_done,
            "bytes_sent": self.bytes_sent,
            "failed": list(self.failed),
            "detail": self.detail,
        }


#: The transfer engine as the machines see it: ``(files, target) -> report``; raises TransferError on failure.
TransferFn = Callable[[Sequence[UploadItem], TransferTarget], TransferReport]


@dataclass(frozen=True)
class UploadRoots:
    """The roots of the two archives' upload areas."""

    bia: str = BIA_FTP_ROOT
    empiar: str = EMPIAR_GLOBUS_ROOT

    @classmethod
    def from_environment(cls, *, dev: bool = False) -> UploadRoots:
        """The production (or development) roots, overridden by the environment variables when set."""
        return cls(
            bia=os.environ.get(BIA_UPLOAD_ENV) or BIA_FTP_ROOT,
            empiar=os.environ.get(EMPIAR_UPLOAD_ENV) or (EMPIAR_GLOBUS_ROOT_DEV if dev else EMPIAR_GLOBUS_ROOT),
        )


def join_url(root: str, *parts: str) -> str:
    """``root`` plus the path ``parts``, as a folder URL ending in ``/``."""
    path = "/".join(part.strip("/") for part in parts if part.strip("/"))
    return root.rstrip("/") + "/" + (path + "/" if path else "")


def bia_target(root: str, secret: str, upload_type: str, email: str) -> TransferTarget:
    """The BIA upload target of a signed-in account."""
    username, password = BIA_FTP_LOGINS.get(upload_type, BIA_FTP_LOGINS["ftp"])
    return TransferTarget(
        archive="BIA",
        url=join_url(root, secret),
        key=f"bia:{email.lower()}",
        label=f"your BioImage Archive upload folder ({email})",
        username=username,
        password=password,
    )


def empiar_target(root: str, entry_id: int, directory: str) -> TransferTarget:
    """The upload target of an EMPIAR entry (its ``data/`` folder)."""
    return TransferTarget(
        archive="EMPIAR",
        url=join_url(root, directory, "data"),
        key=f"empiar:{entry_id}",
        label=f"the upload folder of EMPIAR entry {entry_id}",
    )


def check_local_files(items: Sequence[UploadItem]) -> list[str]:
    """Sentences for files that are missing or changed size since they were listed (empty when all is well)."""
    problems = []
    for item in items:
        try:
            size = item.local_path.stat().st_size
        except OSError:
            problems.append(f"{item.local_path} is missing (it goes to {item.remote_path}).")
            continue
        if size != item.size:
            problems.append(f"{item.local_path} changed size since it was listed ({item.size} → {size} bytes).")
    return problems
