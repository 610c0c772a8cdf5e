"""Turn the files and folders a user drops into file-list rows.

Scientists drop anything from one image to a folder of 100,000 movie frames, so
the walk uses :func:`os.scandir` (file types come with the directory listing and
each file costs one ``stat`` for its size, the only thing a scan needs; images
are never opened here) and runs in a worker thread with progress reports and
cancellation (:mod:`.progress`).

Paths are relative to the *parent* of a dropped folder, so dropping
``/data/run1`` gives ``run1/cell_01.tif``. Keeping the folder's name is what the
archives expect: EMPIAR places an uploaded folder at ``data/<folder>/…`` and an
image set names that folder, and in a BIA file list the folder groups the
component's files. It also keeps two dropped folders apart. A dropped file is
listed under its own name. Paths always use ``/``.

A scan never raises on what it finds: unreadable folders, vanished files,
symbolic-link loops, links leading out of the dropped folder, special files and
names that cannot be stored are reported as :class:`ScanProblem` records and
skipped, and operating-system clutter (``.DS_Store``, ``Thumbs.db``…) is skipped
and counted. Ordinary dot-files are kept: OME-Zarr v2 stores its metadata in
``.zattrs`` and ``.zarray``.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from ..deposition import FileEntry
from .progress import Progress, ProgressCallback, Reporter

#: How symbolic links met inside a dropped folder are treated.
#: ``"inside"`` (default) follows a link only when its target lies inside the same dropped folder;
#: ``"follow"`` follows every link; ``"skip"`` ignores links. Loops are detected in every mode.
SymlinkPolicy = Literal["inside", "follow", "skip"]

# Files the operating system or a file manager leaves behind; never data. Compared case-insensitively.
_JUNK_FILES = frozenset(
    {
        ".ds_store",
        ".localized",
        "thumbs.db",
        "ehthumbs.db",
        "ehthumbs_vista.db",
        "desktop.ini",
        "icon\r",
        ".directory",
    }
)
_JUNK_DIRS = frozenset(
    {
        ".spotlight-v100",
        ".trashes",
        ".fseventsd",
        ".temporaryitems",
        ".documentrevisions-v100",
        ".appledouble",
        "__macosx",
        "$recycle.bin",
        "system volume information",
    }
)
# How many files to add between two looks at the clock and the cancel flag.
_CHECK_EVERY = 256


def is_system_clutter(name: str, *, is_dir: bool = False) -> bool:
    """Whether ``name`` is operating-system clutter rather than data.

    Parameters
    ----------
    name
        A file or folder name (one path component).
    is_dir
        Whether it names a folder.

    Returns
    -------
    bool
        True for macOS resource forks (``._*``), ``.DS_Store``, ``Thumbs.db``,
        ``desktop.ini``, recycle bins, Spotlight indexes and similar.
    """
    if name.startswith("._"):
        return True
    return name.lower() in (_JUNK_DIRS if is_dir else _JUNK_FILES)


@dataclass(frozen=True)
class ScanProblem:
    """Something a scan skipped and the user may want to know about.

    Attributes
    ----------
    code
        Stable code: ``scan.missing``, ``scan.unreadable``, ``scan.special``,
        ``scan.name.undecodable``, ``scan.symlink.loop``, ``scan.symlink.outside``,
        ``scan.symlink.broken``, ``scan.symlink.repeat``, ``scan.symlink.skipped``
        or ``scan.path.clash``.
    source
        Absolute local path of what was skipped.
    message
        One sentence for the user.
    """

    code: str
    source: str
    message: str


@dataclass
class ScanResult:
    """What a scan found.

    Attributes
    ----------
    entries
        One row per file, in folder order (each folder's files by name, then its sub-folders).
    problems
        What was skipped and why.
    clutter_skipped
        How many system files and folders (``.DS_Store``, ``Thumbs.db``…) were left out.
    cancelled
        Whether the scan stopped early; ``entries`` then holds what was found so far.
    """

    entries: list[FileEntry] = field(default_factory=list)
    problems: list[ScanProblem] = field(default_factory=list)
    clutter_skipped: int = 0
    cancelled: bool = False

    @property
    def total_bytes(self) -> int:
        """Sum of the sizes of the files found."""
        return sum(entry.size_bytes or 0 for entry in self.entries)


def _storable(name: str) -> bool:
    """Whether a name survives being written to a draft (UTF-8): undecodable bytes do not."""
    if name.isascii():
        return True
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _within(root: str, target: str) -> bool:
    try:
        return os.path.commonpath([root, target]) == root
    except ValueError:  # different drives on Windows
        return False


class _Walk:
    """State of one scan; a class only to keep the recursion-free walk readable."""

    def __init__(self, policy: SymlinkPolicy, include_clutter: bool, reporter: Reporter) -> None:
        self.policy = policy
        self.include_clutter = include_clutter
        self.reporter = reporter
        self.result = ScanResult()
        self.bytes = 0
        self.seen_sources: set[str] = set()
        self.seen_paths: dict[str, str] = {}
        self.visited_dirs: set[tuple[int, int]] = set()
        self.current = ""

    # -- reporting

    def problem(self, code: str, source: str, message: str) -> None:
        self.result.problems.append(ScanProblem(code, source, message))

    def tick(self, *, force: bool = False) -> None:
        self.reporter.report(Progress(len(self.result.entries), None, self.bytes, None, self.current), force=force)

    # -- adding

    def add_file(self, source: str, path: str, size: int) -> None:
        if source in self.seen_sources:  # the same file dropped twice, or a file and its folder
            return
        self.seen_sources.add(source)
        other = self.seen_paths.setdefault(path, source)
        if other != source:
            self.problem(
                "scan.path.clash",
                source,
                f"Two files would both be listed as '{path}' ({other} and {source}); rename one folder.",
            )
        self.result.entries.append(FileEntry(path=path, source=source, size_bytes=size))
        self.bytes += size
        if len(self.result.entries) % _CHECK_EVERY == 0:
            self.tick()

    # -- walking

    def add_root(self, raw: str | os.PathLike[str]) -> None:
        source = os.path.abspath(os.fspath(raw))
        name = os.path.basename(source.rstrip("/\\" if os.sep == "\\" else "/"))
        if not _storable(name):
            self.problem("scan.name.undecodable", source, _undecodable_message(source))
            return
        if not self.include_clutter and is_system_clutter(name, is_dir=os.path.isdir(source)):
            self.result.clutter_skipped += 1
            return
        try:
            info = os.stat(source)  # a dropped link is followed: the user chose it
        except FileNotFoundError:
            self.problem("scan.missing", source, f"'{source}' no longer exists; it was not added.")
            return
        except OSError as error:
            self.problem("scan.unreadable", source, _unreadable_message(source, error))
            return
        if stat.S_ISDIR(info.st_mode):
            self.walk(source, name, (info.st_dev, info.st_ino))
        elif stat.S_ISREG(info.st_mode):
            self.add_file(source, name or source, info.st_size)
        else:
            self.problem("scan.special", source, _special_message(source))

    def walk(self, root: str, prefix: str, root_id: tuple[int, int]) -> None:
        root_real = os.path.realpath(root)
        self.visited_dirs.add(root_id)
        # (folder, its path in the list, the folders above it) — an explicit stack, as trees can be deep.
        stack: list[tuple[str, str, frozenset[tuple[int, int]]]] = [(root, prefix, frozenset({root_id}))]
        while stack:
            if self.reporter.cancelled:
                self.result.cancelled = True
                return
            folder, rel, ancestors = stack.pop()
            self.current = rel
            try:
                with os.scandir(folder) as listing:
                    items = sorted(listing, key=lambda item: item.name)
            except OSError as error:
                self.problem("scan.unreadable", folder, _unreadable_message(folder, error))
                continue
            subfolders: list[tuple[str, str, frozenset[tuple[int, int]]]] = []
            for item in items:
                if self.reporter.cancelled:
                    self.result.cancelled = True
                    return
                child = self.visit(item, rel, ancestors, root_real)
                if child is not None:
                    subfolders.append(child)
            stack.extend(reversed(subfolders))
            self.tick()

    def visit(
        self,
        item: os.DirEntry[str],
        rel: str,
        ancestors: frozenset[tuple[int, int]],
        root_real: str,
    ) -> tuple[str, str, frozenset[tuple[int, int]]] | None:
        """Add a file or return a sub-folder to walk; report anything skipped."""
        name = item.name
        path = f"{rel}/{name}" if rel else name
        if not _storable(name):
            self.problem("scan.name.undecodable", item.path, _undecodable_message(item.path))
            return None
        try:
            if item.is_symlink():
                return self.visit_link(item, path, ancestors, root_real)
            is_dir = item.is_dir(follow_symlinks=False)
            if not self.include_clutter and is_system_clutter(name, is_dir=is_dir):
                self.result.clutter_skipped += 1
                return None
            if is_dir:
                info = item.stat(follow_symlinks=False)
                return self.enter(item.path, path, (info.st_dev, info.st_ino), ancestors)
            if item.is_file(follow_symlinks=False):
                self.add_file(item.path, path, item.stat(follow_symlinks=False).st_size)
                return None
            self.problem("scan.special", item.path, _special_message(item.path))
        except FileNotFoundError:
            self.problem("scan.missing", item.path, f"'{item.path}' disappeared during the scan; it was not added.")
        except OSError as error:
            self.problem("scan.unreadable", item.path, _unreadable_message(item.path, error))
        return None

    def enter(
        self, source: str, path: str, identity: tuple[int, int], ancestors: frozenset[tuple[int, int]]
    ) -> tuple[str, str, frozenset[tuple[int, int]]] | None:
        if identity in ancestors:
            self.problem(
                "scan.symlink.loop",
                source,
                f"'{source}' leads back into a folder that contains it; it was skipped to avoid an endless loop.",
            )
            return None
        if identity in self.visited_dirs:
            self.problem(
                "scan.symlink.repeat",
                source,
                f"'{source}' is a folder already added under another name; it was skipped.",
            )
            return None
        self.visited_dirs.add(identity)
        return source, path, ancestors | {identity}

    def visit_link(
        self,
        item: os.DirEntry[str],
        path: str,
        ancestors: frozenset[tuple[int, int]],
        root_real: str,
    ) -> tuple[str, str, frozenset[tuple[int, int]]] | None:
        source = item.path
        if self.policy == "skip":
            self.problem("scan.symlink.skipped", source, f"'{source}' is a link; links are not followed.")
            return None
        try:
            info = os.stat(source)
        except FileNotFoundError:
            self.problem("scan.symlink.broken", source, f"'{source}' is a link to something that does not exist.")
            return None
        except OSError as error:  # ELOOP: a link to itself or a ring of links
            self.problem("scan.symlink.loop", source, f"'{source}' is a link that cannot be resolved ({error}).")
            return None
        if self.policy == "inside" and not _within(root_real, os.path.realpath(source)):
            self.problem(
                "scan.symlink.outside",
                source,
                f"'{source}' links to a place outside the folder you added; it was skipped "
                "(add its target directly to include it).",
            )
            return None
        if stat.S_ISDIR(info.st_mode):
            if not self.include_clutter and is_system_clutter(item.name, is_dir=True):
                self.result.clutter_skipped += 1
                return None
            return self.enter(source, path, (info.st_dev, info.st_ino), ancestors)
        if stat.S_ISREG(info.st_mode):
            if not self.include_clutter and is_system_clutter(item.name):
                self.result.clutter_skipped += 1
                return None
            self.add_file(source, path, info.st_size)
            return None
        self.problem("scan.special", source, _special_message(source))
        return None


def _unreadable_message(source: str, error: OSError) -> str:
    reason = error.strerror or type(error).__name__
    return f"'{source}' could not be read ({reason}); check its permissions and add it again."


def _special_message(source: str) -> str:
    return f"'{source}' is not a regular file (a device, pipe or socket); it was skipped."


def _undecodable_message(source: str) -> str:
    shown = source.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
    return f"The name '{shown}' is not valid text in any language; rename it and add it again."


def scan_paths(
    paths: Iterable[str | os.PathLike[str]],
    *,
    symlinks: SymlinkPolicy = "inside",
    include_clutter: bool = False,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> ScanResult:
    """Walk dropped files and folders into file-list rows.

    Parameters
    ----------
    paths
        What the user dropped or chose: files and folders, in any mix.
    symlinks
        ``"inside"`` follows links whose target is inside the same dropped folder,
        ``"follow"`` follows every link, ``"skip"`` follows none. A dropped item that
        is itself a link is always followed.
    include_clutter
        Keep ``.DS_Store``, ``Thumbs.db``, ``._*`` and similar system files.
    progress
        Called about ten times a second with the files and bytes found so far
        (``total`` is ``None``); returning ``False`` cancels.
    cancel
        Set from another thread to stop the scan.

    Returns
    -------
    ScanResult
        Rows with ``path`` (relative, ``/``-separated, starting with the dropped
        folder's name), ``source`` (absolute) and ``size_bytes``; skipped items and
        why; and whether the scan was cancelled.

    Notes
    -----
    ``FileEntry.path`` is cleaned text (NFC, no invisible characters, single
    spaces), so a name like ``a  b.tif`` is listed as ``a b.tif`` while
    ``source`` keeps the exact name on disk.
    """
    reporter = Reporter(progress, cancel)
    walk = _Walk(symlinks, include_clutter, reporter)
    for raw in paths:
        if reporter.cancelled:
            walk.result.cancelled = True
            break
        walk.add_root(raw)
        if walk.result.cancelled:
            break
    walk.current = ""
    walk.tick(force=True)
    return walk.result
