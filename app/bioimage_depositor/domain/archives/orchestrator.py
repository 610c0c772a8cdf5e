"""Which submission machines run for a draft, and in which order.

``archives="bia"`` submits the BIA study, ``"empiar"`` every EMPIAR component's
entry, ``"all"`` both. For a correlative study with parts in both archives
(``correlative.md`` §3) the order is fixed because each archive needs the
other's accession:

1. the BIA study (its accession ``S-BIAD…``);
2. the EMPIAR entries, exported again with that accession, so each entry's
   ``biostudies_references`` and image-set details name the BIA study;
3. the BIA study resubmitted under its accession with ``Link``s to the EMPIAR
   entries (the back-link), once every entry has its accession.

The inputs of each stage come from ``inputs_for(bia_accession, empiar_accessions)``,
which exports the draft's package with those accessions in its context: the
exporters stay the only place that knows how a reference is written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Literal

from ..transfer.transport import TransferError
from .bia_submission import BiaSubmission
from .empiar_submission import EmpiarSubmission
from .errors import ArchiveError
from .inputs import SubmissionInputs
from .journal import Journal

Archives = Literal["bia", "empiar", "all"]
InputsFor = Callable[[str | None, Mapping[str, str]], SubmissionInputs]


def run_submission(
    archives: Archives,
    inputs_for: InputsFor,
    journal: Journal,
    *,
    bia: Callable[[], BiaSubmission],
    empiar: Callable[[], EmpiarSubmission],
) -> None:
    """Advance a draft's submission as far as it goes.

    Parameters
    ----------
    archives
        What to submit.
    inputs_for
        Exports the draft with the given BIA accession and EMPIAR accessions (component id →
        accession) and returns what to send.
    journal
        Holds the record (saved after every step) and reports progress.
    bia, empiar
        Build the machines (only called when that archive has work to do).

    Raises
    ------
    ArchiveError
        When a step fails (the record keeps everything done so far), or ``plan.nothing``
        when the draft has nothing for the archives asked for.
    TransferError
        When the transfer function fails (also saved as the record's ``last_error``).
    """
    record = journal.record
    first = inputs_for(record.bia.accession or None, {})
    want_bia = archives in ("bia", "all") and first.bia is not None
    want_empiar = archives in ("empiar", "all") and bool(first.empiar)
    if not want_bia and not want_empiar:
        target = {"bia": "the BioImage Archive", "empiar": "EMPIAR", "all": "either archive"}[archives]
        raise ArchiveError(
            "plan.nothing",
            f"The draft has nothing to submit to {target}: no study component goes there.",
            permanent=True,
        )
    try:
        journal.record.last_error = None
        bia_machine = bia() if want_bia else None
        if bia_machine is not None:
            assert first.bia is not None
            bia_machine.run(first.bia)
        if want_empiar:
            # EMPIAR entries name the BIA study once it has an accession (correlative.md §3 step 2).
            parts = inputs_for(record.bia.accession or None, {}) if want_bia else first
            empiar_machine = empiar()
            for part in parts.empiar:
                empiar_machine.run(part)
        linked = record.empiar_accessions()
        components = {part.component_id for part in first.empiar}
        if (
            bia_machine is not None
            and want_empiar
            and first.correlative
            and record.bia.accession
            and components
            and components <= set(linked)
        ):
            final = inputs_for(record.bia.accession, linked)
            assert final.bia is not None
            bia_machine.run_backlink(final.bia, {key: linked[key] for key in sorted(components)})
    except TransferError as error:  # ArchiveError included; the engine raises plain TransferErrors
        journal.record.last_error = (
            error.to_json()
            if isinstance(error, ArchiveError)
            else {"code": error.code, "message": str(error), "permanent": error.permanent}
        )
        journal.save()
        raise
