"""Error codes and error types of the image readers.

Readers never let a library's exception reach the caller: a file that cannot be
read becomes an :class:`ImageIssue` (inside :class:`~.model.ImageInfo`) or a
:class:`PreviewError`, each with a stable ``code`` that scripts, tests and the
UI rely on, and a sentence a scientist understands. The UI may translate the
code; the message is the English fallback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

#: Stable error codes. Keep these strings unchanged: the UI and scripts match on them.
NOT_FOUND = "not_found"
PERMISSION_DENIED = "permission_denied"
IO_ERROR = "io_error"
EMPTY = "empty"
UNKNOWN_FORMAT = "unknown_format"
TRUNCATED = "truncated"
CORRUPT = "corrupt"
TOO_LARGE = "too_large"
UNSUPPORTED = "unsupported"
CODEC_MISSING = "codec_missing"
ZARR_MISSING = "zarr_missing"
OME_XML_INVALID = "ome_xml_invalid"
OME_XML_TOO_LARGE = "ome_xml_too_large"
OUT_OF_RANGE = "out_of_range"
CANCELLED = "cancelled"

#: Codes of notes: facts about a readable file the user should know.
MISLABELLED = "mislabelled"
TRAILING_DATA = "trailing_data"
METADATA_IGNORED = "metadata_ignored"

#: A callable a long operation polls; it returns True when the caller wants it to stop.
CancelCheck = Callable[[], bool]


@dataclass(frozen=True)
class ImageIssue:
    """Why a file cannot be read, or a note about a file that can.

    Attributes
    ----------
    code : str
        One of the module's code constants, e.g. ``"truncated"``.
    message : str
        One sentence for the user, naming what is wrong and, where possible, what to do.
    params : dict
        Values the message was built from (sizes, names), for translations.
    """

    code: str
    message: str
    params: dict[str, object] = field(default_factory=dict, compare=False, hash=False)

    def to_json(self) -> dict[str, object]:
        """A plain dict for ``--json`` output."""
        return {"code": self.code, "message": self.message}


class ImageReadError(Exception):
    """A file could not be read; carries an :class:`ImageIssue`.

    Readers raise it internally; :func:`~.probe.probe` turns it into
    ``ImageInfo.error`` and :func:`~.preview.render_preview` re-raises it as
    :class:`PreviewError`.
    """

    def __init__(self, code: str, message: str, **params: object) -> None:
        super().__init__(message)
        self.issue = ImageIssue(code, message, dict(params))

    @property
    def code(self) -> str:
        """The stable error code."""
        return self.issue.code

    @property
    def message(self) -> str:
        """The sentence for the user."""
        return self.issue.message


class PreviewError(ImageReadError):
    """A preview could not be made: the only exception :func:`render_preview` raises."""


def check_cancel(cancel: CancelCheck | None) -> None:
    """Raise ``ImageReadError("cancelled")`` when the caller asked to stop."""
    if cancel is not None and cancel():
        raise ImageReadError(CANCELLED, "Cancelled.")


def issue_from_exception(error: BaseException, what: str) -> ImageIssue:
    """Map an unexpected library exception to an issue with a stable code.

    Parameters
    ----------
    error : BaseException
        What the library raised.
    what : str
        The kind of file, for the message (``"TIFF"``).
    """
    if isinstance(error, ImageReadError):
        return error.issue
    if isinstance(error, PermissionError):
        return ImageIssue(PERMISSION_DENIED, "The file cannot be opened: permission denied.")
    if isinstance(error, MemoryError):
        return ImageIssue(TOO_LARGE, f"The {what} file needs more memory to read than is available.")
    if isinstance(error, EOFError):
        return ImageIssue(TRUNCATED, f"The {what} file ends too early; it may be incomplete (truncated).")
    if isinstance(error, OSError) and error.errno is not None:
        return ImageIssue(IO_ERROR, f"The file could not be read: {error.strerror or error}.")
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if "imagecodecs" in text:
        return ImageIssue(
            CODEC_MISSING,
            f"The {what} file uses a compression this installation cannot decode ({text[:120]}). "
            "Install the 'imagecodecs' package to read it.",
        )
    lowered = text.lower()
    if any(word in lowered for word in ("truncat", "end of file", "eof", "unexpected end", "too short")):
        return ImageIssue(TRUNCATED, f"The {what} file ends too early; it may be incomplete ({text[:160]}).")
    return ImageIssue(CORRUPT, f"The {what} file is damaged or not valid ({text[:160]}).")
