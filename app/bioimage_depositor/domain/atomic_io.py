"""Crash-safe file writing: a file is either the old version or the new one, never half of each.

Drafts hold days of typing. Writing them in place would leave a truncated file
if the program, the machine or the power dies mid-write, so every write goes to
a temporary file in the same folder, is flushed to the disk, and then replaces
the target with :func:`os.replace`, which is atomic on POSIX and on Windows
(NTFS) within one volume.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path

#: Suffix of the temporary files; readers that scan folders skip names ending in it.
TEMP_SUFFIX = ".tmp"

# On Windows a virus scanner or the search indexer may hold the target open for
# a moment, which makes os.replace fail with "access denied"; retrying briefly
# is the usual cure.
_REPLACE_ATTEMPTS = 10 if sys.platform == "win32" else 1
_REPLACE_PAUSE_S = 0.05


def fsync_dir(folder: str | os.PathLike[str]) -> None:
    """Flush a folder's entries to disk so a just-renamed file survives a power cut.

    Parameters
    ----------
    folder
        The folder whose entries changed.

    Notes
    -----
    Windows cannot open folders as files and some file systems refuse ``fsync``
    on folders; both are ignored, as the rename itself has already happened.
    """
    if sys.platform == "win32":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _replace(source: str, target: Path) -> None:
    for attempt in range(_REPLACE_ATTEMPTS):
        try:
            os.replace(source, target)
            return
        except PermissionError:
            if attempt == _REPLACE_ATTEMPTS - 1:
                raise
            time.sleep(_REPLACE_PAUSE_S)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` so that ``path`` never holds a partial file.

    Parameters
    ----------
    path
        Target file; its folder must exist.
    data
        The complete new content.

    Raises
    ------
    OSError
        When the data cannot be written; ``path`` is then unchanged and the
        temporary file has been removed.
    """
    target = Path(path)
    # The temporary file must be on the same volume as the target for the
    # rename to be atomic, hence the same folder rather than the system temp dir.
    fd, temp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=target.parent
    )
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        _replace(temp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    fsync_dir(target.parent)
