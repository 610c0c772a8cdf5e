r"""File-name rules of the archives, and fixed names proposed for files that break them.

The BIA's server rejects a file list whose paths do not match
:data:`BIA_PATH_PATTERN` ("The given file path contains invalid characters"),
and since March 2026 its web tool also blocks uploads of such files, offering the
replacements in :data:`BIA_REPLACEMENTS` (from the submission tool's
``sanitize.utils.ts``). Scientists' folders are full of ``#``, ``µm``, ``&``,
accented names and double spaces, so the wizard proposes a fixed name for every
offending file. A fix only ever sets ``FileEntry.deposit_path``: the user's file
on disk and its ``path``/``source`` are never changed, and the upload reads the
original while the archive sees the fixed name.

EMPIAR documents no character rule, but its files travel by Aspera or Globus
into a public FTP tree and are downloaded to every operating system, so names
that Windows cannot hold (``: * ? " < > | \\``, control characters, trailing dots
or spaces, ``CON``/``NUL``…) are flagged (as warnings) and fixed with the same
replacements. EMPIAR's layout rules (everything under ``data/``, image sets
naming folders of at most 200 characters) are here too.

Fixes work per path component, keep folders consistent (every file of a renamed
folder moves to the same fixed folder), and are unique within the list ignoring
case (``_2``, ``_3``… before the extension), so that two names that map to the
same fix, or differ only by case, stay two files on every system.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter, methodcaller

from ..deposition import Archive, FileEntry

#: The BioStudies server's file-path rule (``FileSourcesList.kt``), verbatim.
BIA_PATH_PATTERN = r"^(?!\./)(?!.*/$)(?!.*\.\./)[0-9A-Za-z!\-_*'(). /]+$"
BIA_PATH = re.compile(BIA_PATH_PATTERN)

#: Characters the BIA accepts in a path component (the pattern's set without ``/``).
BIA_CHARACTERS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!-_*'(). ")

#: The BIA web tool's suggested replacements (bia.md §3). Control characters are dropped and
#: runs of spaces collapse to one; neither fits a one-character table.
BIA_REPLACEMENTS: dict[str, str] = {
    "&": "Et",
    "$": "S",
    "@": "A",
    "=": "-",
    ";": "-",
    ":": "-",
    "+": "--",
    ",": "-",
    "?": "-",
    "\\": "-",
    "{": "(",
    "[": "(",
    "^": "-",
    "}": ")",
    "]": ")",
    "%": "-",
    "`": "-",
    '"': "'",
    ">": ")",
    "<": "(",
    "~": "-",
    "#": "-",
    "|": "I",
}

# Letters with a single ASCII spelling that Unicode decomposition does not provide
# (decomposition already turns é into e + accent, ﬁ into fi, ² into 2, µ into Greek mu).
_TRANSLITERATIONS: dict[str, str] = {
    "ß": "ss",
    "ẞ": "SS",
    "æ": "ae",
    "Æ": "AE",
    "œ": "oe",
    "Œ": "OE",
    "ø": "o",
    "Ø": "O",
    "đ": "d",
    "Đ": "D",
    "ð": "d",
    "Ð": "D",
    "þ": "th",
    "Þ": "Th",
    "ł": "l",
    "Ł": "L",
    "ı": "i",
    "ħ": "h",
    "Ħ": "H",
    "µ": "u",  # micro sign, as in "10µm"
    "μ": "u",  # Greek mu, which micro signs often are
    "×": "x",  # "60×"
    "–": "-",  # en dash
    "—": "-",  # em dash
    "‐": "-",  # hyphen
    "‑": "-",  # non-breaking hyphen
    "−": "-",  # minus sign
    "‘": "'",
    "’": "'",
    "“": "'",
    "”": "'",
}
#: What a character with no ASCII spelling becomes (CJK, emoji, Greek letters other than mu…).
UNKNOWN_REPLACEMENT = "_"
#: The name given when nothing of a name survives.
EMPTY_NAME = "unnamed"

#: Longest file or folder name, in UTF-8 bytes, on the file systems both archives and users run.
MAX_NAME_BYTES = 255
#: EMPIAR's top-level folder: every uploaded file lands under it.
EMPIAR_DATA_DIR = "data"
#: EMPIAR's limit on an image set's ``directory`` (and on file patterns).
EMPIAR_DIRECTORY_MAX = 200

# Names Windows cannot create, in any case and with any extension.
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"COM{i}" for i in range(1, 10)} | {f"LPT{i}" for i in range(1, 10)}
)
_WINDOWS_FORBIDDEN = frozenset('\\:*?"<>|')
# Extensions that are really one: the uniqueness suffix goes before all of it.
_COMPOUND_SUFFIXES = (
    ".ome.tiff",
    ".ome.tif",
    ".ome.btf",
    ".ome.zarr",
    ".ome.xml",
    ".tar.gz",
    ".tar.bz2",
    ".tar.xz",
    ".nii.gz",
)
_SPACES = re.compile(" {2,}")


@dataclass(frozen=True)
class RenameProposal:
    """A fixed name proposed for one file of a list.

    Attributes
    ----------
    index
        Position of the entry in the list the proposal was made for.
    path
        The entry's ``path`` (as on the user's disk), to catch stale proposals.
    current
        The name the archive would see now (``deposited_path``).
    proposed
        The fixed name; unique within the list, ignoring case.
    reasons
        Codes of what is wrong: ``characters``, ``double_space``, ``structure``
        (``./``, ``../``, empty or trailing ``/``), ``edge`` (leading or trailing space or
        dot), ``reserved`` (a Windows device name), ``too_long``, ``unique`` (the plain
        fix was taken, so a number was added).
    characters
        The offending characters, each once, in order of appearance.
    """

    index: int
    path: str
    current: str
    proposed: str
    reasons: tuple[str, ...]
    characters: str = ""


# ------------------------------------------------------------------ checking


def is_valid_bia_path(path: str) -> bool:
    """Whether the BIA server accepts ``path`` (its regular expression, nothing more).

    Parameters
    ----------
    path
        A relative, ``/``-separated path as written in a file list.
    """
    return BIA_PATH.fullmatch(path) is not None


# A path of at most this many characters cannot hold a name over the limit (≤ 4 bytes a character).
_SURELY_SHORT = MAX_NAME_BYTES // 4


def _too_long(path: str) -> bool:
    if len(path) <= _SURELY_SHORT:
        return False
    return any(len(part.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES for part in path.split("/"))


def _portable_part_issues(part: str) -> set[str]:
    issues: set[str] = set()
    if part != part.strip(" ") or part.endswith("."):
        issues.add("edge")
    if _is_reserved(part):
        issues.add("reserved")
    return issues


def bad_characters(path: str, archive: Archive = "BIA") -> str:
    """The characters of ``path`` an archive does not accept, each once, in order of appearance.

    Parameters
    ----------
    path
        A deposited path.
    archive
        ``"BIA"``: anything outside letters, digits, ``! - _ * ' ( ) .``, space and ``/``.
        ``"EMPIAR"``: characters Windows forbids in names, and control and format characters.
    """
    seen: dict[str, None] = {}
    if archive == "BIA":
        for ch in path:
            if ch not in BIA_CHARACTERS and ch != "/":
                seen.setdefault(ch)
    else:
        for ch in path:
            if ch.isascii() and ch.isprintable() and ch not in _WINDOWS_FORBIDDEN:
                continue
            if ch in _WINDOWS_FORBIDDEN or unicodedata.category(ch).startswith("C"):
                seen.setdefault(ch)
    return "".join(seen)


def path_issues(path: str, archive: Archive = "BIA") -> tuple[str, ...]:
    """What is wrong with ``path`` for ``archive``, as reason codes (empty when nothing is).

    Parameters
    ----------
    path
        A deposited path (relative, ``/``-separated).
    archive
        The archive whose rule applies.

    Returns
    -------
    tuple of str
        Codes as in :attr:`RenameProposal.reasons`.
    """
    if archive == "BIA":
        if BIA_PATH.fullmatch(path) and "  " not in path and not _too_long(path):
            return ()  # the common case, decided by one regular expression
        reasons: set[str] = set()
        if bad_characters(path, "BIA"):
            reasons.add("characters")
        if "  " in path:
            reasons.add("double_space")
        if path.startswith("./") or path.endswith("/") or "../" in path or not path:
            reasons.add("structure")
    else:
        reasons = set()
        if bad_characters(path, "EMPIAR"):
            reasons.add("characters")
        parts = path.split("/")
        if not path or any(part in ("", ".", "..") for part in parts):
            reasons.add("structure")
        for part in parts:
            reasons |= _portable_part_issues(part)
    if _too_long(path):
        reasons.add("too_long")
    return tuple(sorted(reasons))


def needs_fix(path: str, archive: Archive = "BIA") -> bool:
    """Whether ``path`` breaks ``archive``'s naming rule (see :func:`path_issues`)."""
    return bool(path_issues(path, archive))


def describe_characters(characters: str) -> str:
    """Show characters for a message: printable ones quoted, invisible ones as ``U+0009``.

    Parameters
    ----------
    characters
        Distinct characters, as from :func:`bad_characters`.
    """
    shown = [f"'{ch}'" if ch.isprintable() and not ch.isspace() else f"U+{ord(ch):04X}" for ch in characters]
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + " and " + shown[-1]


# ------------------------------------------------------------------ fixing one name


def _ascii_for(ch: str) -> str:
    """The BIA-safe spelling of one character that is not BIA-safe itself."""
    if ch in BIA_REPLACEMENTS:
        return BIA_REPLACEMENTS[ch]
    if ch in _TRANSLITERATIONS:
        return _TRANSLITERATIONS[ch]
    category = unicodedata.category(ch)
    if category.startswith("C") or category.startswith("M"):
        return ""  # control/format characters (as the web tool drops them); lone accents
    if category.startswith("Z"):
        return " "
    out = []
    for part in unicodedata.normalize("NFKD", ch):
        if part in BIA_CHARACTERS:
            out.append(part)
        elif part == "/":  # e.g. ℀ decomposes to "a/c"; never create a folder
            out.append("-")
        elif part in BIA_REPLACEMENTS:
            out.append(BIA_REPLACEMENTS[part])
        elif part in _TRANSLITERATIONS:
            out.append(_TRANSLITERATIONS[part])
        elif unicodedata.category(part).startswith("M"):
            continue
        else:
            return UNKNOWN_REPLACEMENT
    return "".join(out)


def _split_suffix(name: str) -> tuple[str, str]:
    lower = name.lower()
    for suffix in _COMPOUND_SUFFIXES:
        if lower.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], name[-len(suffix) :]
    dot = name.rfind(".")
    if dot > 0:
        return name[:dot], name[dot:]
    return name, ""


def _cut(text: str, max_bytes: int) -> str:
    """The longest start of ``text`` that fits ``max_bytes`` of UTF-8."""
    if len(text) * 4 <= max_bytes:
        return text
    return text.encode("utf-8", "surrogatepass")[: max(0, max_bytes)].decode("utf-8", "ignore")


def _nbytes(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _fit(name: str, *, is_file: bool, tag: str = "") -> str:
    """``name`` with ``tag`` added before a file's extension, shortened to :data:`MAX_NAME_BYTES`."""
    stem, suffix = _split_suffix(name) if is_file else (name, "")
    if _nbytes(suffix) >= MAX_NAME_BYTES // 2:  # not an extension worth keeping
        stem, suffix = name, ""
    if not tag and _nbytes(name) <= MAX_NAME_BYTES:
        return name
    room = MAX_NAME_BYTES - _nbytes(suffix) - _nbytes(tag)
    stem = _cut(stem, room) if _nbytes(stem) > room else stem
    return (stem.rstrip(" .") or UNKNOWN_REPLACEMENT) + tag + suffix


def _is_reserved(part: str) -> bool:
    return part.split(".", 1)[0].rstrip(" ").upper() in _WINDOWS_RESERVED


def fix_name(name: str, *, is_file: bool = True, archive: Archive = "BIA") -> str:
    """Fix one file or folder name: replacements, transliteration, spacing, edges and length.

    Parameters
    ----------
    name
        One path component.
    is_file
        Whether it is the last component (its extension is kept when shortening).
    archive
        For ``"EMPIAR"`` a ``*`` (which the BIA accepts but Windows does not) becomes ``-`` too.

    Returns
    -------
    str
        A name of BIA-safe characters with no leading or trailing space or dot, no
        Windows device name and at most 255 bytes; never empty.
    """
    if all(ch in BIA_CHARACTERS for ch in name):
        text = name
    else:
        text = "".join(ch if ch in BIA_CHARACTERS else _ascii_for(ch) for ch in name)
    if archive == "EMPIAR":
        text = text.replace("*", "-")
    text = _SPACES.sub(" ", text).strip(" ").rstrip(". ")
    if not text.strip("."):
        text = UNKNOWN_REPLACEMENT if name else EMPTY_NAME
    if _is_reserved(text):
        head, dot, tail = text.partition(".")
        text = f"{head}_{dot}{tail}"
    return _fit(text, is_file=is_file)


def _part_ok(part: str, archive: Archive, *, is_file: bool) -> bool:
    """Whether one component may stay as it is (the user's own structure is kept where it can be)."""
    if _nbytes(part) > MAX_NAME_BYTES:
        return False
    if archive == "BIA":
        if not is_file and part.endswith(".."):  # would put "../" in the path
            return False
        return part != ".." and "  " not in part and all(ch in BIA_CHARACTERS for ch in part)
    return part not in ("", ".", "..") and not bad_characters(part, "EMPIAR") and not _portable_part_issues(part)


def suggest_path(path: str, archive: Archive = "BIA") -> str:
    """Fix the components of ``path`` that break ``archive``'s rule, dropping empty and ``.`` ones.

    Parameters
    ----------
    path
        A deposited path; may be invalid in any way.
    archive
        The archive whose rule applies; components it accepts are kept as they are.

    Returns
    -------
    str
        A path ``archive`` accepts (for the BIA, one matching :data:`BIA_PATH_PATTERN`).
        Not made unique: use :func:`propose_fixes` for a list.
    """
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if not parts:
        return EMPTY_NAME
    last = len(parts) - 1
    return "/".join(_fix_part(part, archive, is_file=index == last) for index, part in enumerate(parts))


def _fix_part(part: str, archive: Archive, *, is_file: bool) -> str:
    return part if _part_ok(part, archive, is_file=is_file) else fix_name(part, is_file=is_file, archive=archive)


# ------------------------------------------------------------------ fixing a list


def _raw_prefixes(path: str) -> list[tuple[str, str]]:
    """``(raw prefix, component)`` for every kept component; the prefix identifies a folder or file."""
    out = []
    end = 0
    for part in path.split("/"):
        end += len(part) + 1
        if part not in ("", "."):
            out.append((path[: end - 1], part))
    return out


class _Namespace:
    """Fixed names handed out so far, compared ignoring case, by the original they stand for."""

    def __init__(self) -> None:
        self.mapped: dict[str, str] = {}  # raw prefix -> fixed prefix
        self.owner: dict[str, str] = {}  # casefolded fixed prefix -> raw prefix
        self.numbered: set[str] = set()  # raw prefixes whose fix needed a number

    def keep(self, raw: str) -> None:
        """Record a prefix that stays as it is (the user's own structure; never renamed)."""
        self.mapped.setdefault(raw, raw)
        self.owner.setdefault(raw.casefold(), raw)

    def keep_paths(self, paths: Sequence[str]) -> None:
        """:meth:`keep` every path and each of its folders; fast, as lists hold 100,000 good paths."""
        # Built with C-level iteration: a loop over 100,000 paths in Python costs half a second.
        self.mapped.update(zip(paths, paths, strict=True))
        backwards = paths[::-1]  # the first of paths differing only by case owns the name
        self.owner.update(zip(map(str.casefold, backwards), backwards, strict=True))
        for folder in set(map(itemgetter(0), map(methodcaller("rpartition", "/"), paths))):
            for raw, _part in _raw_prefixes(folder):
                self.keep(raw)

    def assign(self, raw: str, parent: str, name: str, *, is_file: bool) -> tuple[str, bool]:
        """Fixed prefix for ``raw``; numbered when the plain fix is taken. Returns (prefix, numbered)."""
        if raw in self.mapped:
            return self.mapped[raw], raw in self.numbered
        candidate = f"{parent}/{name}" if parent else name
        number = 1
        while self.owner.get(candidate.casefold(), raw) != raw:
            number += 1
            numbered = _fit(name, is_file=is_file, tag=f"_{number}")
            candidate = f"{parent}/{numbered}" if parent else numbered
        self.mapped[raw] = candidate
        self.owner[candidate.casefold()] = raw
        if number > 1:
            self.numbered.add(raw)
        return candidate, number > 1


def propose_fixes(entries: Sequence[FileEntry], archive: Archive = "BIA") -> list[RenameProposal]:
    """Propose a fixed name for every entry whose deposited path breaks ``archive``'s rule.

    Parameters
    ----------
    entries
        One component's (or annotation set's) file list.
    archive
        ``"BIA"`` (the server's path rule and the web tool's spacing rule) or
        ``"EMPIAR"`` (portable names).

    Returns
    -------
    list of RenameProposal
        In list order. Entries without a path get none. Proposed names pass
        :func:`needs_fix` for ``archive`` (for the BIA they match
        :data:`BIA_PATH_PATTERN`) and are unique ignoring case against every other
        name in the list. Components the archive accepts are kept; every file of a
        folder whose name is fixed moves to the same fixed folder. A file already
        renamed is judged, and re-fixed, by its ``deposit_path``.
    """
    current = [entry.deposited_path for entry in entries]
    if archive == "BIA":  # the common case first: one regular expression decides most paths
        quick = BIA_PATH.fullmatch
        issues = [
            () if not path or (len(path) <= _SURELY_SHORT and "  " not in path and quick(path)) else path_issues(path)
            for path in current
        ]
    else:
        issues = [path_issues(path, archive) if path else () for path in current]
    bad = [index for index, found in enumerate(issues) if found]
    if not bad:
        return []
    names = _Namespace()
    # Names that stay as they are come first, so that a fix never takes a name a file already has:
    # every good path and its folders, and the leading folders of a bad path that need no fix.
    good = [path for path, found in zip(current, issues, strict=True) if path and not found]
    names.keep_paths(good)
    for index in bad:
        path = current[index]
        prefixes = _raw_prefixes(path)
        clean = ""
        for raw, part in prefixes[:-1]:
            clean = f"{clean}/{part}" if clean else part
            if raw != clean or not _part_ok(part, archive, is_file=False):
                break  # a fixed or dropped part above: from here on everything gets a new place
            names.keep(raw)
    proposals = []
    for index in bad:
        path = current[index]
        prefixes = _raw_prefixes(path)
        fixed = ""
        numbered = False
        for position, (raw, part) in enumerate(prefixes):
            is_file = position == len(prefixes) - 1
            fixed, was_numbered = names.assign(raw, fixed, _fix_part(part, archive, is_file=is_file), is_file=is_file)
            numbered = numbered or was_numbered
        if not prefixes:
            fixed, numbered = names.assign(path, "", EMPTY_NAME, is_file=True)
        proposals.append(
            RenameProposal(
                index=index,
                path=entries[index].path,
                current=path,
                proposed=fixed,
                reasons=issues[index] + (("unique",) if numbered else ()),
                characters=bad_characters(path, archive),
            )
        )
    return proposals


def apply_fixes(entries: Sequence[FileEntry], proposals: Sequence[RenameProposal]) -> list[FileEntry]:
    """Return copies of ``entries`` with each proposal's name in ``deposit_path``.

    Parameters
    ----------
    entries
        The list the proposals were made for.
    proposals
        From :func:`propose_fixes`, possibly only those the user accepted.

    Returns
    -------
    list of FileEntry
        Entries without a proposal are the same objects; the others are copies that
        differ only in ``deposit_path`` (cleared when the fix equals ``path``).
        ``path``, ``source`` and the files on disk are never changed.

    Raises
    ------
    ValueError
        When a proposal no longer matches its entry (the list changed since).
    """
    out = list(entries)
    for proposal in proposals:
        if not 0 <= proposal.index < len(out) or out[proposal.index].path != proposal.path:
            raise ValueError(f"the file list changed since the fix for {proposal.path!r} was proposed")
        entry = out[proposal.index]
        deposit = "" if proposal.proposed == entry.path else proposal.proposed
        out[proposal.index] = entry.model_copy(update={"deposit_path": deposit})
    return out


# ------------------------------------------------------------------ EMPIAR layout


def empiar_upload_path(path: str) -> str:
    """Where a deposited path lands in an EMPIAR upload: under ``data/``.

    Parameters
    ----------
    path
        A deposited path, starting with the dropped folder's name (``fibsem_cell1/slice_0001.tif``).
    """
    return f"{EMPIAR_DATA_DIR}/{path}"


def normalise_empiar_directory(directory: str) -> str:
    """An image set's ``directory`` without the leading or trailing ``/`` some tools write."""
    return directory.strip().strip("/")


def empiar_image_set_for(path: str, directories: Sequence[str]) -> str | None:
    """The image-set directory a deposited path falls in (the deepest match), or ``None``.

    Parameters
    ----------
    path
        A deposited path (without ``data/``).
    directories
        The image sets' ``directory`` values (``data/…``).
    """
    upload = empiar_upload_path(path)
    best: str | None = None
    for directory in directories:
        folder = normalise_empiar_directory(directory)
        if folder and upload.startswith(folder + "/") and (best is None or len(folder) > len(best)):
            best = folder
    return best


def empiar_folder_too_long(path: str) -> bool:
    """Whether the folder holding ``path`` is too long to be named as an EMPIAR image set's directory."""
    folder = empiar_upload_path(path).rsplit("/", 1)[0]
    return len(folder) > EMPIAR_DIRECTORY_MAX


def empiar_suggested_directories(paths: Sequence[str]) -> list[str]:
    """The ``data/<folder>`` directories an upload of ``paths`` would create, one per top-level folder.

    Parameters
    ----------
    paths
        Deposited paths of a component.
    """
    tops = dict.fromkeys(path.split("/", 1)[0] for path in paths if "/" in path)
    return [empiar_upload_path(top) for top in tops]
