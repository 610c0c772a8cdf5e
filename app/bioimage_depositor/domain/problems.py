"""Problems found in a deposition: what is wrong, where, and how bad.

Rules never raise on bad input; they return :class:`Problem` records. The code is
stable (tests, scripts and the UI's field mapping rely on it), the location is a
path into the model (``("study", "contributors", 0, "orcid")``) so the wizard can
put the message next to the right field, and the message is a sentence a
scientist understands, with the next step where there is one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]
Location = tuple[str | int, ...]


def format_location(location: Location) -> str:
    """Render a location as ``study.contributors[0].orcid``."""
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


@dataclass(frozen=True)
class Problem:
    """One thing to fix (error) or consider (warning) before depositing."""

    code: str
    location: Location
    message: str
    severity: Severity = "error"
    params: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def path(self) -> str:
        """The location as dotted text."""
        return format_location(self.location)

    @property
    def blocking(self) -> bool:
        """Whether this problem stops the deposition (warnings do not)."""
        return self.severity == "error"

    def to_json(self) -> dict[str, object]:
        """A plain dict for ``--json`` output."""
        return {
            "code": self.code,
            "severity": self.severity,
            "location": self.path,
            "message": self.message,
        }

    def is_under(self, *prefix: str | int) -> bool:
        """Whether this problem is located at or below ``prefix``."""
        return self.location[: len(prefix)] == prefix
