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
summary name the same path. The depositor's own files in that folder (the landmark table,
BigWarp or ec-CLEM files: :func:`provenance_files`) are named next to the scene and go into
both uploads too (:mod:`.transform_files`). So do the files the package itself keeps beside a
scene (:func:`kept_files`): the BigWarp / ec-CLEM file a transform was imported from, copied
byte for byte, and the fiducial table of landmarks clicked in the program, both in the scene's
``<scene stem>_files/`` folder (their contents: :mod:`.transform_provenance`).
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from ..correlation_model import AffineTransform, matrix_text
from ..deposition import Deposition, FileEntry, StudyComponent
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


#: What the package keeps beside a scene: the imported tool file, or the fiducial table of clicked landmarks.
KEPT_SOURCE = "source"
KEPT_FIDUCIALS = "fiducials"

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class KeptFile:
    """A provenance file the package writes beside a correlation's scene (its bytes: :mod:`.transform_provenance`).

    Attributes
    ----------
    correlation_index, transform_index
        Where the transform it belongs to sits in the draft (``("correlations", i, "transforms", k)``).
    correlation_id
        The correlation's id.
    kind
        :data:`KEPT_SOURCE` (the imported BigWarp / ec-CLEM file, byte for byte) or :data:`KEPT_FIDUCIALS`
        (the fiducial table of the landmarks clicked in the program).
    relative
        Its path inside the NGFF renderer's folder, ``<scene stem>_files/<name>``.
    """

    correlation_index: int
    transform_index: int
    correlation_id: str
    kind: str
    relative: str

    @property
    def path(self) -> str:
        """Where it is in each upload (the BIA user folder; EMPIAR's ``data/``), like the scene."""
        return f"{TRANSFORM_FOLDER}/{self.relative}"

    @property
    def transform_location(self) -> tuple[str | int, ...]:
        """The draft location of the transform it belongs to."""
        return ("correlations", self.correlation_index, "transforms", self.transform_index)


def _safe_name(name: str) -> str:
    """A file name every archive accepts: the last path part, reduced to letters, digits, ``.``, ``_``, ``-``."""
    base = re.split(r"[/\\]", name)[-1]
    return re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._") or "landmarks"


def _is_2d(transform: AffineTransform) -> bool:
    """Whether its clicked landmarks are x, y pairs (pixel sizes exist for x and y only)."""
    return bool(transform.landmarks) and all(
        len(landmark.moving) == 2 and len(landmark.fixed) == 2 for landmark in transform.landmarks
    )


def _kept_for(correlation: ImageCorrelation) -> list[tuple[int, str, str]]:
    """``(transform index, kind, file name)`` of one correlation, names unique within its folder."""
    wanted: list[tuple[int, str, str]] = []
    for index, transform in enumerate(correlation.transforms):
        source = transform.source_file
        if source is not None and source.name and _SHA256_HEX.match(source.sha256):
            wanted.append((index, KEPT_SOURCE, _safe_name(source.name)))
        if transform.method == "landmarks" and _is_2d(transform):
            wanted.append((index, KEPT_FIDUCIALS, f"transform{index}_fiducials.csv"))
    counts: dict[str, int] = {}
    for _, _, name in wanted:
        counts[name] = counts.get(name, 0) + 1
    taken: set[str] = set()
    out = []
    for index, kind, name in wanted:
        chosen = name if counts[name] == 1 else f"transform{index}_{name}"
        stem, dot, suffix = chosen.partition(".")
        counter = 2
        while chosen in taken:  # only when a prefixed name meets another file's own name
            chosen = f"{stem}_{counter}{dot}{suffix}"
            counter += 1
        taken.add(chosen)
        out.append((index, kind, chosen))
    return out


def kept_files(deposition: Deposition) -> list[KeptFile]:
    """The provenance files the package writes beside the scenes of a correlative study.

    ``correlative.md`` §6.6 asks for the original tool file next to the NGFF scene and a small fiducial
    table. For each correlation with a scene, in transform order: the file a transform was imported
    from (its ``source_file``, deposited under its own name) and, for a transform fitted to landmarks
    clicked in the program (``method == "landmarks"``, x, y pixel positions), ``transform<k>_fiducials.csv``
    (``k`` = the transform's index in the scene's ``coordinateTransformations``). Both sit in the folder
    ``<scene stem>_files/`` beside ``<scene stem>.zarr``; two names that collide are prefixed with
    ``transform<k>_``. Decided from the draft alone (no file is read), so every text naming these files
    agrees with the package.

    Returns
    -------
    list of KeptFile
        Empty for a study that is not correlative. A ``source_file`` without a name or SHA-256 is left
        out (the rules report it: ``correlation.transform.source_file.incomplete``).
    """
    if not deposition.correlative:
        return []
    return scoped(deposition, "kept_files", lambda: _kept_files(deposition))


def _kept_files(deposition: Deposition) -> list[KeptFile]:
    paths = scene_paths(deposition)
    out = []
    for cindex, correlation in enumerate(deposition.correlations):
        if correlation.id not in paths:
            continue
        folder = paths[correlation.id].split("/", 1)[0].removesuffix(".zarr") + "_files"
        for tindex, kind, name in _kept_for(correlation):
            out.append(KeptFile(cindex, tindex, correlation.id, kind, f"{folder}/{name}"))
    return out


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


# ---------------------------------------------------------------- one export's shared answers

_T = TypeVar("_T")
_SCOPE: contextvars.ContextVar[tuple[Deposition, dict[str, Any]] | None] = contextvars.ContextVar(
    "export_scope", default=None
)


@contextlib.contextmanager
def export_scope(deposition: Deposition) -> Iterator[None]:
    """While one deposition is exported, compute what several renderers ask about it only once.

    Questions such as "which files are registration files" walk every file (100,000 in a large
    study) and are asked by the PageTab, the RO-Crate, EMPIAR, the summary and the manifest.
    Inside this block the answers for ``deposition`` are kept; rendering does not change the
    deposition, and outside the block (where the wizard edits it) nothing is kept.
    """
    current = _SCOPE.get()
    if current is not None and current[0] is deposition:
        yield
        return
    token = _SCOPE.set((deposition, {}))
    try:
        yield
    finally:
        _SCOPE.reset(token)


def scoped(deposition: Deposition, key: str, compute: Callable[[], _T]) -> _T:
    """``compute()``, or its answer for ``deposition`` kept by the current :func:`export_scope`."""
    current = _SCOPE.get()
    if current is None or current[0] is not deposition:
        return compute()
    answers = current[1]
    if key not in answers:
        answers[key] = compute()
    value: _T = answers[key]
    return value


def provenance_files(deposition: Deposition) -> list[tuple[StudyComponent, FileEntry]]:
    """The depositor's registration files: files under ``correlation/`` of a correlative study's components.

    ``correlative.md`` asks for the raw landmark and tool files (BigWarp CSV/JSON, ec-CLEM XML,
    the fiducial table) next to the NGFF scene, in both uploads. A depositor puts them in the
    :data:`TRANSFORM_FOLDER` folder of a component that uses the correlation (as the examples'
    ``correlation/landmarks.csv``); they belong to that component's correlations.

    Returns
    -------
    list
        ``(component, file)`` in model order; empty for a study that is not correlative.
    """
    if not deposition.correlative:
        return []
    prefix = f"{TRANSFORM_FOLDER}/"
    return scoped(
        deposition,
        "provenance_files",
        lambda: [
            (component, entry)
            for component in deposition.components
            if component.correlation_ids and any_path_starts_with(component.files, prefix)
            for entry in component.files
            if (entry.deposit_path or entry.path).startswith(prefix)
        ],
    )


def any_path_starts_with(files: Sequence[FileEntry], prefix: str) -> bool:
    """Whether a path or deposited path of ``files`` may start with ``prefix`` (never a false "no").

    Decided by one search in the joined paths rather than a test per file: file lists run to
    100,000 entries. A "yes" may come from a renamed file's original path, so callers still check
    each file.
    """
    needle = "\n" + prefix
    return needle in "\n" + "\n".join([entry.path for entry in files]) or needle in "\n" + "\n".join(
        [entry.deposit_path for entry in files]
    )


def correlation_provenance_paths(deposition: Deposition, correlation: ImageCorrelation) -> list[str]:
    """Upload paths (relative to the upload root) of the files kept with a correlation's scene.

    First what the package keeps beside the scene (:func:`kept_files`), then the depositor's own
    files under ``correlation/`` (:func:`provenance_files`); a depositor's file at a path the package
    writes is left out (``correlation.scene_path.taken`` reports it).
    """
    written = {f"{TRANSFORM_FOLDER}/{path}" for path in scene_paths(deposition).values()}
    kept = [item.path for item in kept_files(deposition) if item.correlation_id == correlation.id]
    written.update(item.path for item in kept_files(deposition))
    paths = [
        entry.deposit_path or entry.path
        for component, entry in provenance_files(deposition)
        if correlation.id in component.correlation_ids
    ]
    return kept + [path for path in dict.fromkeys(paths) if path not in written]


def transformation_text(deposition: Deposition, correlation: ImageCorrelation) -> str:
    """The BIA ``Transformation matrix`` text: the depositor's text plus the scene path and matrices.

    Returns the depositor's text unchanged when the correlation has no structured transform.
    Landmark and tool files kept with the scene (:func:`provenance_files`) are named after it.
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
    kept = correlation_provenance_paths(deposition, correlation)
    if kept:
        generated += f". Landmark and tool files: {', '.join(kept)}"
    if correlation.transformation_matrix:
        return f"{correlation.transformation_matrix.rstrip('. ')}. {generated}"
    return generated
