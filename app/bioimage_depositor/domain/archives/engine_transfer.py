"""The submission state machines' transfer step, done by the resumable transfer engine.

The state machines only need ``(files, target) -> report``
(:data:`~.uploads.TransferFn`). This adapter gives them the real engine: one
ledger per upload target (named by the target's stable key, so a resumed
submission continues the same ledger), the files planned into it, and a
:class:`~..transfer.engine.TransferJob` that resumes whatever a crash left.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from urllib.parse import quote, urlsplit, urlunsplit

from ..filelist.checksum_cache import open_user_cache
from ..transfer.engine import TransferJob
from ..transfer.ledger import Ledger, PlannedFile, transfers_dir
from ..transfer.progress import TransferSnapshot
from ..transfer.retry import RetryPolicy
from ..transfer.targets import open_transport
from ..transfer.transport import TransferError
from .uploads import TransferReport, TransferTarget, UploadItem


def _url_with_user(url: str, username: str) -> str:
    """``url`` with ``username`` in it (the password stays out of URLs, logs and ledgers)."""
    parts = urlsplit(url)
    if not username or parts.scheme == "file":  # a folder has no login
        return url
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit((parts.scheme, f"{quote(username, safe='')}@{host}{port}", parts.path, parts.query, ""))


def ledger_for(target: TransferTarget) -> Ledger:
    """The ledger of uploads to ``target``: the same file on every resumed run."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", target.key)[:80] or "target"
    return Ledger(transfers_dir() / f"submit-{name}.sqlite3")


def engine_transfer(
    items: Sequence[UploadItem],
    target: TransferTarget,
    *,
    parallel: int = 2,
    progress: Callable[[TransferSnapshot], None] | None = None,
    retry: RetryPolicy | None = None,
    on_job: Callable[[TransferJob | None], None] | None = None,
) -> TransferReport:
    """Send ``items`` to ``target`` with the resumable engine and report what arrived.

    ``on_job`` is called with the running job (so a caller can stop it between chunks) and
    with ``None`` once it has ended.

    Raises
    ------
    TransferError
        When the whole transfer stopped (wrong password, full remote disk, server unreachable);
        files that failed one by one are listed in the report instead.
    OSError
        When a local file vanished before it could be planned.
    """
    url = _url_with_user(target.url, target.username)
    transport = open_transport(url, target.password or None)
    ledger = ledger_for(target)
    checksums = open_user_cache()
    try:
        ledger.set_meta("target", target.label)
        planned = []
        for item in items:
            info = item.local_path.stat()
            planned.append(PlannedFile(str(item.local_path), item.remote_path, info.st_size, info.st_mtime_ns,
                                       info.st_ino))
        ledger.add_files(planned)
        job = TransferJob(ledger, transport, parallel=parallel, progress=progress, retry=retry, checksums=checksums)
        if on_job is not None:
            on_job(job)
        report = job.run()
    finally:
        if on_job is not None:
            on_job(None)
        ledger.close()
        if checksums is not None:
            checksums.close()
    if report.error_code:
        raise TransferError(report.error_code, report.message, permanent=True)
    return TransferReport(
        files_total=report.files_total,
        files_done=report.verified,
        bytes_sent=report.bytes_sent,
        failed=tuple(f"{failed.remote_path}: {failed.message}" for failed in report.failed),
        detail=report.verification or report.message,
    )
