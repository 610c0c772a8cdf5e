"""What every renderer shares: the export context and the shape of its result."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from ..deposition import Deposition

#: Relative POSIX path inside the renderer's folder -> file content.
Rendered = dict[str, bytes]

#: Accession written where the archive has not assigned one yet (clearly not a real one).
ACCESSION_PLACEHOLDER = "S-BIAD-PLACEHOLDER"


@dataclass(frozen=True)
class ExportContext:
    """Values a renderer needs besides the deposition; fixed per export so output is deterministic.

    Attributes
    ----------
    export_date
        The date written into the package (the draft's last change, not "now").
    app_version
        The program version, recorded as the generator.
    bia_accession
        The BIA study's accession when it has one (resubmission, back-links), else the placeholder.
    empiar_accessions
        EMPIAR accessions already assigned, by component id.
    """

    export_date: dt.date
    app_version: str
    bia_accession: str = ACCESSION_PLACEHOLDER
    empiar_accessions: tuple[tuple[str, str], ...] = ()

    @property
    def has_bia_accession(self) -> bool:
        """Whether a real BIA accession is known."""
        return self.bia_accession != ACCESSION_PLACEHOLDER


Renderer = Callable[[Deposition, ExportContext], Rendered]
