"""A resumable copy into ``file://`` targets, standing in for the transfer engine in submission tests.

It behaves as the engine promises: a file whose bytes are already at the target
is not sent again (the engine asks the server how much it holds), a file is
written under a temporary name and renamed, so a kill mid-copy leaves nothing
half-written at its final name, and the report lists every file. Each physical
copy is appended to an upload log next to the stand-in's storage, which is how
tests count "one upload per file" across processes.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import signal
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bioimage_depositor.domain.archives.uploads import TransferReport, TransferTarget, UploadItem


def target_folder(url: str) -> Path:
    parts = urlsplit(url)
    if parts.scheme != "file":
        raise ValueError(f"the fake transfer only writes file:// targets, not {parts.scheme}://")
    return Path(unquote(parts.path))


class CopyTransfer:
    """Copy ``items`` into a ``file://`` target, once each.

    Parameters
    ----------
    log
        File that gets one line ``<target key>\\t<remote path>`` per physical copy.
    kill_after
        SIGKILL this process after this many copies (fault tests); ``None`` never.
    """

    def __init__(self, log: Path, kill_after: int | None = None) -> None:
        self.log = log
        self.kill_after = kill_after
        self.copies = 0
        self.calls: list[tuple[str, int]] = []

    def __call__(self, items: Sequence[UploadItem], target: TransferTarget) -> TransferReport:
        root = target_folder(target.url)
        self.calls.append((target.key, len(items)))
        sent = 0
        for item in items:
            destination = root / item.remote_path
            if destination.is_file() and filecmp.cmp(item.local_path, destination, shallow=False):
                continue  # already there: a resumed transfer does not send it again
            destination.parent.mkdir(parents=True, exist_ok=True)
            partial = destination.with_name(destination.name + ".partial")
            shutil.copyfile(item.local_path, partial)
            os.replace(partial, destination)
            sent += item.size
            with open(self.log, "a", encoding="utf-8") as stream:
                stream.write(f"{target.key}\t{item.remote_path}\n")
                stream.flush()
                os.fsync(stream.fileno())
            self.copies += 1
            if self.kill_after is not None and self.copies >= self.kill_after:
                os.kill(os.getpid(), signal.SIGKILL)
        return TransferReport(files_total=len(items), files_done=len(items), bytes_sent=sent)


def upload_counts(log: Path) -> dict[tuple[str, str], int]:
    """``(target key, remote path) -> copies`` from an upload log."""
    counts: dict[tuple[str, str], int] = {}
    if not log.exists():
        return counts
    for line in log.read_text(encoding="utf-8").splitlines():
        key, _, path = line.partition("\t")
        counts[(key, path)] = counts.get((key, path), 0) + 1
    return counts
