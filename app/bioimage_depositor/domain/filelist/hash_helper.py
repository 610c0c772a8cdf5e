"""Hash many small files in a helper process, so they run beside the large ones instead of after them.

Large files hash at full speed in threads: :mod:`hashlib` and reads release
the interpreter lock for megabytes at a time. Small files are the opposite:
most of their cost is Python between four system calls, under the lock. A
thread doing that beside the large-file threads makes them wait for the lock
after every chunk, so the job would run one kind after the other. A helper
process has its own interpreter and lock: the small files are hashed there at
the same time as the large ones here, and the window's thread is never held up
by them either.

The helper is a plain ``python -I -S -c <source>`` (standard library only, no
import of this package, started in a few milliseconds) that reads a list of
files from a temporary file and writes one line per file to another. It is used only from a
normal Python installation: a frozen bundle has no interpreter to start, and
then everything is hashed in threads as before. Whatever the helper does not
report (it crashed, was killed, or could not start) is hashed in threads too,
so using it never loses a file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

#: Fewer small files than this are not worth starting a process for.
MIN_FILES = 500

# The helper's whole program: argv = sha256 flag, input file, output file. Input: records
# "size NUL mtime_ns NUL path NUL"; output, one line per file in order: "i md5 sha256|-" (hashed),
# "i M" (not as listed: size or time differ) or "i E errno" (could not be read).
HELPER_SOURCE = r"""
import hashlib, os, sys
flags = os.O_RDONLY | getattr(os, "O_BINARY", 0)
with_sha = sys.argv[1] == "1"
with open(sys.argv[2], "rb") as source:
    parts = source.read().split(b"\0")
with open(sys.argv[3], "wb") as out:
    for index in range(len(parts) // 3):
        size, mtime, path = int(parts[3 * index]), int(parts[3 * index + 1]), parts[3 * index + 2]
        try:
            fd = os.open(path, flags)
            try:
                data = os.read(fd, size + 1)
                after = os.fstat(fd)
            finally:
                os.close(fd)
        except OSError as error:
            out.write(b"%d E %d\n" % (index, error.errno or 0))
            continue
        if len(data) != size or after.st_size != size or after.st_mtime_ns != mtime:
            out.write(b"%d M\n" % index)
            continue
        sha = hashlib.sha256(data).hexdigest().encode() if with_sha else b"-"
        out.write(b"%d %s %s\n" % (index, hashlib.md5(data, usedforsecurity=False).hexdigest().encode(), sha))
"""
#: How often the thread waiting for a helper looks at it and at the cancel request (seconds).
POLL_S = 0.05


class HelperResult(NamedTuple):
    """What the helper said about one file: ``kind`` is ``"ok"``, ``"changed"`` or ``"error"``."""

    position: int
    kind: str
    md5: str = ""
    sha256: str | None = None
    errno: int = 0


def available() -> bool:
    """Whether a helper process can be started (a normal Python, not a frozen bundle)."""
    return not getattr(sys, "frozen", False) and bool(sys.executable) and os.path.exists(sys.executable)


class HashHelper:
    """One helper process hashing ``files`` (``(path, size, mtime_ns)``), read back with :meth:`results`.

    The list goes to the helper and the answers come back through two
    temporary files rather than pipes: this process then does no per-file work
    at all while the helper runs (work here would compete for the interpreter
    lock with the large-file threads), and reads the answers in one go at the end.

    Parameters
    ----------
    files : sequence of (str, int, int)
        Absolute path, size and modification time as listed; a file that no
        longer matches is reported ``"changed"`` for the caller to hash itself.
    sha256 : bool
        Also compute SHA-256.
    """

    def __init__(self, files: Sequence[tuple[str, int, int]], *, sha256: bool) -> None:
        self.files = files
        self.folder = tempfile.mkdtemp(prefix="bioimage-depositor-md5-")
        self.input = os.path.join(self.folder, "files")
        self.output = os.path.join(self.folder, "checksums")
        with open(self.input, "wb") as stream:
            stream.write(b"".join(b"%d\0%d\0%s\0" % (size, mtime, os.fsencode(path)) for path, size, mtime in files))
        creation = getattr(subprocess, "CREATE_NO_WINDOW", 0)  # no console window flashing up on Windows
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", HELPER_SOURCE, "1" if sha256 else "0", self.input, self.output],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                creationflags=creation,
            )
        except OSError:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise

    def results(self, stop: Callable[[], bool]) -> Iterator[HelperResult]:
        """Wait for the helper (killed when ``stop()`` turns true), then yield what it reported."""
        try:
            while True:
                try:
                    self.process.wait(POLL_S)
                    break
                except subprocess.TimeoutExpired:
                    if stop():
                        self.kill()
            if stop():
                return
            try:
                with open(self.output, "rb") as stream:
                    lines = stream.read().split(b"\n")
            except OSError:
                return  # it could not even start writing: the caller hashes everything itself
            for line in lines[:-1]:  # the last piece is empty, or a line cut short by a crash
                fields = line.split()
                try:
                    position = int(fields[0])
                    if fields[1] == b"M":
                        yield HelperResult(position, "changed")
                    elif fields[1] == b"E":
                        yield HelperResult(position, "error", errno=int(fields[2]))
                    else:
                        sha = None if fields[2] == b"-" else fields[2].decode("ascii")
                        yield HelperResult(position, "ok", fields[1].decode("ascii"), sha)
                except (IndexError, ValueError, UnicodeDecodeError):
                    return  # not our helper talking: the caller hashes what is left
        finally:
            self.close()

    def kill(self) -> None:
        """Stop the helper now (from any thread); :meth:`results` then ends."""
        if self.process.poll() is None:
            self.process.kill()

    def close(self) -> None:
        """End the helper (killed if still running), reap it and remove its files."""
        self.kill()
        self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


__all__ = ["HELPER_SOURCE", "MIN_FILES", "HashHelper", "HelperResult", "available"]
