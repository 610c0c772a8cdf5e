"""Text hygiene for everything a depositor types or pastes.

Curators of the BioImage Archive regularly repair metadata that carries
zero-width spaces, bidirectional marks, non-breaking spaces and stray control
characters copied from PDFs and word processors. Those characters are invisible
in a form but break searches, file names and exact-match associations. Every
free-text field in the model passes through :func:`clean_text`, and
:func:`invisible_characters` reports what was removed so the UI can say so.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Annotated

from pydantic import BeforeValidator

# Characters that are not in Unicode category Cf/Cc but still render as nothing
# or as an ordinary space and so hide in pasted text.
_SPACE_LIKE = {
    "\u00a0",  # no-break space
    "\u1680",
    "\u2000",
    "\u2001",
    "\u2002",
    "\u2003",
    "\u2004",
    "\u2005",
    "\u2006",
    "\u2007",
    "\u2008",
    "\u2009",
    "\u200a",
    "\u2028",
    "\u2029",  # line / paragraph separators
    "\u202f",
    "\u205f",
    "\u3000",
}
_LINE_BREAKS = {"\n"}
_MULTISPACE = re.compile(r"[ \t]{2,}")
# Most values (file paths, ids, names) are plain printable ASCII with single spaces;
# they are already clean, and recognising them with one regex keeps large drafts fast.
_ALREADY_CLEAN_LINE = re.compile(r"(?:[!-~]+(?: [!-~]+)*)?")


@dataclass(frozen=True)
class InvisibleCharacter:
    """One invisible or control character found in a value."""

    index: int
    codepoint: str  # "U+200B"
    name: str  # "ZERO WIDTH SPACE"


def _is_invisible(ch: str, *, multiline: bool) -> bool:
    if multiline and ch in _LINE_BREAKS:
        return False
    if ch in _SPACE_LIKE:
        return True
    category = unicodedata.category(ch)
    # Cf: format characters (zero-width, bidi marks, BOM); Cc: control characters
    # (tabs and line breaks in a one-line field are controls too).
    return category in {"Cf", "Cc", "Co", "Cs"}


def invisible_characters(value: str, *, multiline: bool = False) -> list[InvisibleCharacter]:
    """List the invisible and control characters in ``value``.

    Parameters
    ----------
    value
        Text as typed or pasted.
    multiline
        Whether line breaks are legitimate (descriptions, protocols).
    """
    found = []
    for index, ch in enumerate(value):
        if _is_invisible(ch, multiline=multiline):
            name = unicodedata.name(ch, "CONTROL CHARACTER")
            found.append(InvisibleCharacter(index, f"U+{ord(ch):04X}", name))
    return found


def clean_text(value: str, *, multiline: bool = False) -> str:
    """Return ``value`` normalised to NFC with invisible characters removed and ends trimmed.

    Space-like characters (no-break space, thin space, ideographic space) become
    ordinary spaces; tabs become spaces; format and control characters are dropped;
    runs of spaces collapse to one. In multi-line text, line breaks are kept
    (Windows and old-Mac line ends become Unix ones), each line is right-trimmed, and
    more than one blank line in a row collapses to one.
    """
    if not multiline and _ALREADY_CLEAN_LINE.fullmatch(value):
        return value
    text = unicodedata.normalize("NFC", value)
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for ch in text:
        if ch in _SPACE_LIKE or ch == "\t" or (not multiline and ch in "\r\n"):
            out.append(" ")
        elif _is_invisible(ch, multiline=multiline):
            continue
        else:
            out.append(ch)
    # normalise again: removing a zero-width character can bring a letter and its
    # combining accent together, which NFC then composes
    text = unicodedata.normalize("NFC", "".join(out))
    if multiline:
        lines = [_MULTISPACE.sub(" ", line).rstrip() for line in text.split("\n")]
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    else:
        text = _MULTISPACE.sub(" ", text)
    return text.strip()


def _clean_line(value: object) -> object:
    return clean_text(value) if isinstance(value, str) else value


def _clean_block(value: object) -> object:
    return clean_text(value, multiline=True) if isinstance(value, str) else value


#: A one-line free-text field: cleaned on the way into the model.
Line = Annotated[str, BeforeValidator(_clean_line)]
#: A multi-line free-text field (descriptions, protocols): cleaned, line breaks kept.
Block = Annotated[str, BeforeValidator(_clean_block)]
