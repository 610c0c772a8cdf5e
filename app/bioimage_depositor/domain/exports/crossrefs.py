"""Cross-archive references: what each side of a deposition says about the other archives.

A correlative study is split between the BIA (light microscopy) and EMPIAR (EM), and
each archive must point at the other (``correlative.md`` §2–3): EMPIAR through
``biostudies_references`` and the image sets' ``details``, the BIA through a study
``Link`` (PageTab) or a ``seeAlso`` ExternalReference (RO-Crate). Each needs the other's
accession, so the first deposit cannot carry its back-link yet: :func:`cross_references`
returns the references that can be written *now* (from the draft's related accessions
and the accessions in the :class:`~.base.ExportContext`) and, in ``pending``, a sentence
for each back-link that has to wait, for the package summary.

The transform files (the NGFF scene) go into both uploads under one folder,
:data:`TRANSFORM_FOLDER`; :func:`transform_upload_paths` says where each archive will
see them, so the EMPIAR ``details``, the BIA ``Transformation matrix`` text and the
summary name the same path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..correlation_model import matrix_text
from ..deposition import Deposition
from ..identifiers import IdentifierError, parse_accession
from ..rembi import ImageCorrelation
from .base import ExportContext

#: Folder of the transform files (the NGFF renderer's output) inside each upload.
TRANSFORM_FOLDER = "correlation"

#: Entry-page URLs, as the BIA ingest expands a PageTab ``Link`` of that ``Type``.
_URLS = {
    "EMPIAR": "https://www.ebi.ac.uk/empiar/{0}/",
    "EMDB": "https://www.ebi.ac.uk/emdb/{0}",
    "BioStudies": "https://www.ebi.ac.uk/biostudies/studies/{0}",
    "IDR": "https://idr.openmicroscopy.org/search/?query=Name:{0}",
}

#: PageTab ``Link`` ``Type`` per archive (the BIA ingest lower-cases it).
LINK_TYPES = {"EMPIAR": "EMPIAR", "EMDB": "EMDB", "BioStudies": "BioStudies", "IDR": "IDR"}


@dataclass(frozen=True)
class CrossReference:
    """A reference to an entry in another archive."""

    archive: str  # "EMPIAR", "EMDB", "BioStudies" (BIA), "IDR"
    accession: str  # "EMPIAR-10310", "EMD-1234", "S-BIAD1234", "idr0140"
    description: str

    @property
    def url(self) -> str:
        """The entry's web page (the RO-Crate ``seeAlso`` @id)."""
        return accession_url(self.archive, self.accession)

    @property
    def link_type(self) -> str:
        """The PageTab ``Link`` ``Type`` value."""
        return LINK_TYPES[self.archive]


@dataclass(frozen=True)
class CrossReferences:
    """The references each archive's part of a deposition carries.

    Attributes
    ----------
    bia
        What the BIA study links to (PageTab ``Link`` blocks, RO-Crate ``seeAlso``): the
        EMPIAR entries of a correlative study once their accessions are known, and every
        related accession of the study.
    empiar
        What every EMPIAR entry refers to (sorted into the JSON's ``biostudies_references``,
        ``cross_references``, ``empiar_references`` and ``idr_references`` by archive).
    pending
        One sentence per back-link that cannot be written yet because the other archive has
        not assigned its accession.
    """

    bia: tuple[CrossReference, ...]
    empiar: tuple[CrossReference, ...]
    pending: tuple[str, ...]


def accession_url(archive: str, accession: str) -> str:
    """The public web page of an accession in ``archive``.

    Parameters
    ----------
    archive
        ``"EMPIAR"``, ``"EMDB"``, ``"BioStudies"`` or ``"IDR"``.
    accession
        The accession in canonical form.

    Returns
    -------
    str
        An https URL.
    """
    return _URLS[archive].format(accession)


def _related(deposition: Deposition) -> list[CrossReference]:
    refs = []
    for related in deposition.study.related_accessions:
        try:
            archive, accession = parse_accession(related.accession)
        except IdentifierError:
            continue  # reported by rules.check_deposition; never written half-right
        refs.append(CrossReference(archive, accession, related.description or f"{archive} entry"))
    return refs


def _unique(refs: list[CrossReference]) -> tuple[CrossReference, ...]:
    seen: set[tuple[str, str]] = set()
    out = []
    for ref in refs:
        key = (ref.archive, ref.accession)
        if key not in seen:
            seen.add(key)
            out.append(ref)
    return tuple(out)


def cross_references(deposition: Deposition, ctx: ExportContext) -> CrossReferences:
    """Collect the cross-archive references of ``deposition`` for both archives.

    Parameters
    ----------
    deposition
        The deposition being exported.
    ctx
        Supplies the BIA accession (``bia_accession``, or the placeholder) and EMPIAR
        accessions already assigned (``empiar_accessions``, by component id).

    Returns
    -------
    CrossReferences
        Deterministic: model order, then the context's order; duplicates dropped.
    """
    related = _related(deposition)
    archives = deposition.archives()
    empiar_ids = dict(ctx.empiar_accessions)
    bia_refs: list[CrossReference] = []
    empiar_refs: list[CrossReference] = []
    pending: list[str] = []
    split = "BIA" in archives and "EMPIAR" in archives
    for component in deposition.components:
        if component.archive != "EMPIAR" or not split:
            continue
        accession = empiar_ids.get(component.id, "")
        if accession:
            bia_refs.append(CrossReference("EMPIAR", accession, component.name or "EMPIAR entry"))
        else:
            pending.append(
                f"The BIA study cannot link to the EMPIAR entry for '{component.name}' yet: once EMPIAR assigns "
                "its accession, add it and re-export, then resubmit the BIA study with the link."
            )
    if split:
        if ctx.has_bia_accession:
            empiar_refs.append(
                CrossReference("BioStudies", ctx.bia_accession, "Light microscopy of this study (BioImage Archive)")
            )
        else:
            pending.append(
                "The EMPIAR entry cannot name the BIA study yet: deposit the BIA study first, then re-export "
                "with its S-BIAD accession so that biostudies_references and the image-set details carry it."
            )
    bia_refs.extend(ref for ref in related if not (ref.archive == "BioStudies" and ref.accession == ctx.bia_accession))
    empiar_refs.extend(related)
    return CrossReferences(_unique(bia_refs), _unique(empiar_refs), tuple(pending))


# ---------------------------------------------------------------- transforms


def scene_name(correlation: ImageCorrelation, taken: set[str] | None = None) -> str:
    """The folder name of a correlation's NGFF scene, e.g. ``correlation-landmarks.zarr``.

    Derived from the correlation's id, reduced to characters every archive accepts in a
    path; ``taken`` (names already used) makes it unique.
    """
    base = re.sub(r"[^A-Za-z0-9_-]+", "_", correlation.id).strip("_") or "correlation"
    name = f"{base}.zarr"
    counter = 2
    while taken is not None and name in taken:
        name = f"{base}_{counter}.zarr"
        counter += 1
    if taken is not None:
        taken.add(name)
    return name


def scene_paths(deposition: Deposition) -> dict[str, str]:
    """Path of each scene inside the NGFF renderer's folder, by correlation id.

    Only correlations with at least one transform get a scene.
    """
    taken: set[str] = set()
    return {
        correlation.id: f"{scene_name(correlation, taken)}/zarr.json"
        for correlation in deposition.correlations
        if correlation.transforms
    }


def transform_upload_paths(deposition: Deposition, archive: str) -> dict[str, str]:
    """Where each scene sits in an archive's upload, by correlation id.

    Parameters
    ----------
    deposition
        The deposition.
    archive
        ``"BIA"`` (paths relative to the user's upload folder) or ``"EMPIAR"`` (under the
        reserved ``data/`` folder of the entry).

    Returns
    -------
    dict
        ``{correlation id: "correlation/<id>.zarr/zarr.json"}`` (prefixed with ``data/`` for EMPIAR).
    """
    prefix = "data/" if archive == "EMPIAR" else ""
    return {key: f"{prefix}{TRANSFORM_FOLDER}/{path}" for key, path in scene_paths(deposition).items()}


def transformation_text(deposition: Deposition, correlation: ImageCorrelation) -> str:
    """The BIA ``Transformation matrix`` text: the depositor's text plus the scene path and matrices.

    Returns the depositor's text unchanged when the correlation has no structured transform.
    """
    path = transform_upload_paths(deposition, "BIA").get(correlation.id)
    if path is None:
        return correlation.transformation_matrix
    units = {
        system.name: ", ".join(sorted({axis.unit for axis in system.axes if axis.unit}))
        for system in correlation.coordinate_systems
    }
    parts = []
    for transform in correlation.transforms:
        axes = next(
            (s.axes for s in correlation.coordinate_systems if s.name == transform.input),
            [],
        )
        order = ", ".join(axis.name for axis in axes)
        parts.append(
            f"{transform.input} -> {transform.output} affine {matrix_text(transform.matrix)} "
            f"(axes {order}; {units.get(transform.input, '')} -> {units.get(transform.output, '')})"
        )
    generated = f"{path} (OME-NGFF 0.6 scene): " + "; ".join(parts)
    if correlation.transformation_matrix:
        return f"{correlation.transformation_matrix.rstrip('. ')}. {generated}"
    return generated
