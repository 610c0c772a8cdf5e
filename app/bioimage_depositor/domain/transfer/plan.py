"""What to send: the files under a source file or folder, and where each goes on the target.

A folder's *contents* go into the target (as ``rclone copy`` does), with ``/``
separators; a single file goes into the target under its own name. Symbolic links
are followed, because the user means the data they point to, but a link back to
a folder above it (a loop) is reported and not entered, so a scan always ends.
Broken links, unreadable folders and special files (pipes, devices) become
:class:`~.ledger.Problem` entries, never exceptions: the rest is still sent.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from .ledger import PlannedFile, Problem


class SourceError(Exception):
    """The source cannot be used at all (missing, not a file or folder); ``str()`` is for the user."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def check_source(source: str | os.PathLike[str]) -> Path:
    """Return ``source`` made absolute, or raise :class:`SourceError` with a sentence for the user."""
    path = Path(os.path.abspath(os.fspath(source)))
    try:
        info = path.stat()
    except FileNotFoundError:
        raise SourceError("source.missing", f"{path}: no such file or folder.") from None
    except OSError as error:
        raise SourceError("source.unreadable", f"{path}: cannot be read ({error.strerror or error}).") from None
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
        raise SourceError("source.special", f"{path}: is neither a file nor a folder.")
    return path


def scan_source(source: str | os.PathLike[str]) -> Iterator[PlannedFile | Problem]:
    """Yield every file to send under ``source`` (sorted by path), and every problem found.

    Parameters
    ----------
    source
        A file or a folder; checked with :func:`check_source`.

    Raises
    ------
    SourceError
        When ``source`` itself cannot be used.
    """
    root = check_source(source)
    info = root.stat()
    if stat.S_ISREG(info.st_mode):
        yield PlannedFile(str(root), root.name, info.st_size, info.st_mtime_ns, info.st_ino)
        return
    yield from _walk(root, "", {(info.st_dev, info.st_ino)})


def _walk(folder: Path, prefix: str, ancestors: set[tuple[int, int]]) -> Iterator[PlannedFile | Problem]:
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError as error:
        yield Problem(str(folder), "local.unreadable", f"{folder}: the folder cannot be read "
                      f"({error.strerror or error}); its files are not sent.")
        return
    for entry in entries:
        remote = f"{prefix}{entry.name}"
        path = Path(entry.path)
        try:
            info = entry.stat(follow_symlinks=True)
        except FileNotFoundError:
            yield Problem(str(path), "local.broken_link", f"{path}: the link points to nothing; it is not sent.")
            continue
        except OSError as error:
            if error.errno == getattr(os, "ELOOP", 40):
                yield Problem(str(path), "local.link_loop", f"{path}: the links form a loop; it is not sent.")
            else:
                yield Problem(str(path), "local.unreadable", f"{path}: cannot be read ({error.strerror or error}).")
            continue
        if stat.S_ISDIR(info.st_mode):
            key = (info.st_dev, info.st_ino)
            if key in ancestors:
                yield Problem(
                    str(path), "local.link_loop", f"{path}: links back to a folder above it (a loop); not entered."
                )
                continue
            ancestors.add(key)
            yield from _walk(path, f"{remote}/", ancestors)
            ancestors.discard(key)
        elif stat.S_ISREG(info.st_mode):
            yield PlannedFile(str(path), remote, info.st_size, info.st_mtime_ns, info.st_ino)
        else:
            yield Problem(str(path), "local.special", f"{path}: is not a regular file (a pipe, socket or device); "
                          "it is not sent.")
