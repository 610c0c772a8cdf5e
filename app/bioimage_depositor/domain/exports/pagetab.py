"""The BIA PageTab submission: what the BioImage Archive accepts today, rendered from a Deposition.

Output (paths relative to the package's ``bia/pagetab/`` folder)::

    submission.json            the submission in PageTab JSON: the form to submit
    submission.tsv             the same tree in PageTab TSV
    file_lists/<name>.tsv      one file list per study component and per annotation set

Template
    A deposition with BIA study components is one ``BioImages.v5`` submission.
    The v5 template itself has an ``Annotation`` section type (submission-tool,
    ``BioImages.v5.json.ts``), so annotation sets of such a study go into the same
    submission as ``Annotation`` sections next to the study components they
    annotate. A deposition with annotation sets but no BIA study component (the
    annotated images live elsewhere, e.g. in EMPIAR) is a ``BioImages.MIFA.v1``
    submission, the BIA's annotations-only template. The section type is
    :data:`ANNOTATION_SECTION` (``Annotation``, as both templates spell it); the
    BIA's ingest (May 2026) looks for ``Annotations``, which is unverified against
    the live service, so the package summary asks depositors to confirm with the
    BIA before submitting annotations through the API.

What goes in
    :func:`bia_part` decides: the study, the BIA study components, every shared
    object except those only EMPIAR components use, and the annotation sets. One
    PageTab section per object with generated, unique accnos (``Biosample-1``,
    ``Study Component-2``, ``o1``; never null), organisations referenced from
    authors, one ``Associations`` subsection per combination of the component's
    biosamples, specimens, acquisitions, correlations and analyses, whose values
    are the targets' exact ``Title`` (read from the model, never typed twice).
    Organisms and imaging methods are written twice, as the v5 attribute with
    ``Ontology``/``TermId`` value qualifiers and as the v4-style subsection the
    ingest reads for the taxon id. Multi-valued REMBI variables are one
    attribute with one value per line, because the ingest turns repeated
    attributes into a nested list it cannot read. An image correlation's
    ``Transformation matrix`` is :func:`.crossrefs.transformation_text` (the
    depositor's text plus the NGFF scene's path and the matrices), the same
    text the other exports name.

Links
    Web links with their description, then the cross-archive references of
    :func:`.crossrefs.cross_references` (the ones the RO-Crate carries too,
    including a correlative study's EMPIAR entries once their accessions are
    known): a bare accession with its ``Type`` (EMPIAR, BioStudies, IDR, which
    the ingest expands into URLs), and EMDB entries as their URL, because the
    ingest's link-type list (May 2026) has no ``emdb`` and would reject the study.

Extra attributes the templates lack but the model holds, so that importing the
package gives the same draft: ``Country`` on organisations, ``Preprint`` on
publications (the Publication table allows custom columns), ``Features
analysed`` on image analyses and ``Source study component`` on annotation
sections (the exact ``Name`` of each study component the annotations were made
on). BioStudies accepts attributes outside a template.
"""

from __future__ import annotations

import itertools
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .. import vocab
from ..deposition import AnnotationSet, Deposition, FileEntry, StudyComponent
from ..identifiers import IdentifierError, parse_accession
from ..pagetab_format import (
    Attribute,
    Link,
    Section,
    Submission,
    parse_json,
    parse_tsv,
    to_json,
    to_json_bytes,
    to_tsv_bytes,
    tsv_cell,
)
from ..rembi import ANNOTATION_TYPES, OntologyTerm
from .base import ExportContext, Rendered
from .crossrefs import cross_references, transformation_text
from .rocrate import is_source_image_key
from .transform_files import with_transform_files

__all__ = [
    "ALLOWED_LINK_TYPES",
    "ANNOTATION_SECTION",
    "FILE_LIST_DIR",
    "SUBMISSION_JSON",
    "SUBMISSION_TSV",
    "TEMPLATE_MIFA",
    "TEMPLATE_V5",
    "PageTabBuild",
    "bia_part",
    "build",
    "check_pagetab",
    "render",
    "template_for",
]

TEMPLATE_V5 = "BioImages.v5"
TEMPLATE_MIFA = "BioImages.MIFA.v1"
#: Section type of an annotation set in BioImages.v5 and BioImages.MIFA.v1 (v4 wrote ``Annotations``).
ANNOTATION_SECTION = "Annotation"
SUBMISSION_JSON = "submission.json"
SUBMISSION_TSV = "submission.tsv"
FILE_LIST_DIR = "file_lists"
SOURCE_IMAGE_COLUMN = "source_image"
FBBI_NAME = "Biological Imaging Methods Ontology (FBbi)"
OBO_PURL = "http://purl.obolibrary.org/obo/"

#: Link ``Type`` values the BIA's ingest accepts for a link that is not a full URL (lower-case).
ALLOWED_LINK_TYPES = frozenset(
    {
        "array design",
        "arrayexpress",
        "bioproject",
        "biosamples",
        "biostudies",
        "chebi",
        "chemagora",
        "compound",
        "dbsnp",
        "doi",
        "ega",
        "ena",
        "empiar",
        "ensembl",
        "expression atlas",
        "expression atlas (single cell)",
        "external",
        "geo",
        "gene ontology",
        "idr",
        "intact",
        "interpro",
        "nct",
        "nucleotide",
        "omim",
        "pdbe",
        "pfam",
        "rfam",
        "rnacentral",
        "sourcedata",
        "uniprot",
    }
)


_NCBI_CURIE = re.compile(r"^NCBITaxon:(\d+)$")
_FBBI_CURIE = re.compile(r"^FBbi:(\d+)$")
_PATH_OK = re.compile(r"^(?!\./)(?!.*/$)(?!.*\.\./)[0-9A-Za-z!\-_*'(). /]+$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_URL_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)


# ---------------------------------------------------------------- what the BIA part is


def _used_ids(components: Iterable[StudyComponent], field_name: str) -> set[str]:
    return {ref for component in components for ref in getattr(component, field_name)}


def bia_part(deposition: Deposition) -> Deposition:
    """The part of a deposition that the BIA PageTab submission carries.

    The BIA study components and annotation sets, every shared object except
    those that only EMPIAR components use, annotation sources restricted to BIA
    components, and ``correlative`` set when an image correlation remains (a
    PageTab study is correlative exactly when it has an ``Image correlation``
    section). A correlation's structured transforms are not PageTab content:
    its ``Transformation matrix`` text names the NGFF scene and gives the
    matrices (:func:`.crossrefs.transformation_text`), and the scene file (with
    the depositor's landmark files held by EMPIAR components) is listed in the
    file list of the first BIA component that uses the correlation
    (:mod:`.transform_files`). Importing the PageTab of a deposition gives back
    this part.

    Parameters
    ----------
    deposition
        The whole deposition.

    Returns
    -------
    Deposition
        A new deposition; ``deposition`` is not changed.
    """
    bia = [c for c in with_transform_files(deposition).components if c.archive == "BIA"]
    other = [c for c in deposition.components if c.archive != "BIA"]
    kept: dict[str, list] = {}
    for field_name, section in (
        ("biosample_ids", "biosamples"),
        ("specimen_ids", "specimens"),
        ("acquisition_ids", "acquisitions"),
        ("correlation_ids", "correlations"),
        ("analysis_ids", "analyses"),
    ):
        in_bia = _used_ids(bia, field_name)
        elsewhere = _used_ids(other, field_name)
        kept[section] = [item for item in getattr(deposition, section) if item.id in in_bia or item.id not in elsewhere]
    # The PageTab has no structured transform: its text names the NGFF scene and the matrices.
    kept["correlations"] = [
        c.model_copy(
            update={
                "transformation_matrix": transformation_text(deposition, c),
                "coordinate_systems": [],
                "transforms": [],
            }
        )
        for c in kept["correlations"]
    ]
    bia_ids = {c.id for c in bia}
    annotations = [
        a.model_copy(update={"source_component_ids": [ref for ref in a.source_component_ids if ref in bia_ids]})
        for a in deposition.annotations
    ]
    # Wizard state that is not deposition content (marks of values filled in from image metadata) is not
    # in a PageTab either.
    state: dict[str, object] = {"prefilled": []} if "prefilled" in Deposition.model_fields else {}
    return deposition.model_copy(
        update={
            "components": bia,
            "annotations": annotations,
            "correlative": bool(kept["correlations"]),
            **kept,
            **state,
        }
    )


def template_for(deposition: Deposition) -> str | None:
    """The PageTab template of the deposition's BIA part, or None when nothing goes to the BIA."""
    if any(c.archive == "BIA" for c in deposition.components):
        return TEMPLATE_V5
    if deposition.annotations:
        return TEMPLATE_MIFA
    return None


# ---------------------------------------------------------------- helpers


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].strip("-")


def file_list_paths(deposition: Deposition) -> dict[str, str]:
    """The file list of every BIA component and annotation set, by object id.

    Paths are relative to the PageTab folder and are what the ``File List``
    attribute names (the depositor uploads ``file_lists/`` next to the data).
    """
    # The components and annotation sets of bia_part, without building it (its file lists are not needed).
    components = [c for c in deposition.components if c.archive == "BIA"]
    names: dict[str, str] = {}
    taken: set[str] = set()
    items: list[tuple[str, str, str]] = [
        (c.id, _slug(c.name) or f"component-{i}", "") for i, c in enumerate(components, 1)
    ]
    items += [(a.id, _slug(a.title) or f"set-{i}", "annotations-") for i, a in enumerate(deposition.annotations, 1)]
    for object_id, slug, prefix in items:
        stem = prefix + slug
        candidate, n = stem, 1
        while candidate.casefold() in taken:
            n += 1
            candidate = f"{stem}-{n}"
        taken.add(candidate.casefold())
        names.setdefault(object_id, f"{FILE_LIST_DIR}/{candidate}.tsv")
    return names


def _attr(name: str, value: object, **qualifiers: str) -> list[Attribute]:
    """An attribute list with one attribute, or none when the value is empty."""
    text = "" if value is None else str(value)
    if not text:
        return []
    return [Attribute(name, text, valqual=[(k, v) for k, v in qualifiers.items() if v])]


def _lines(values: Sequence[str]) -> str:
    return "\n".join(v for v in values if v)


def _organism_forms(term: OntologyTerm) -> tuple[str, str, str, str]:
    """(v5 label, TermId, NCBI taxon ID, common name) of an organism term."""
    match = _NCBI_CURIE.match(term.id)
    known = vocab.organisms().get(term.id) if match else None
    common = known.common_name if known is not None else ""
    label = f"{term.label} ({common})" if common else term.label
    if match:
        return label, f"NCBITaxon_{match.group(1)}", f"NCBI:txid{match.group(1)}", common
    return label, term.id, term.id, common


def _method_forms(term: OntologyTerm) -> tuple[str, str]:
    """(TermId, Ontology Term ID) of an imaging method term."""
    match = _FBBI_CURIE.match(term.id)
    if match:
        return f"FBbi_{match.group(1)}", f"{OBO_PURL}FBbi_{match.group(1)}"
    return term.id, term.id


class _Accnos:
    """Hands out accnos ``<Type>-<n>`` per type, unique within the submission."""

    def __init__(self) -> None:
        self._counters: dict[str, itertools.count[int]] = {}

    def __call__(self, kind: str) -> str:
        counter = self._counters.setdefault(kind, itertools.count(1))
        return f"{kind}-{next(counter)}"


# ---------------------------------------------------------------- file lists


def _file_list_tsv(files: Sequence[FileEntry], *, annotation: bool) -> bytes:
    """A PageTab file list: ``Files`` first, then every attribute column used in the list.

    A ``source_image`` attribute (any spelling :func:`.rocrate.is_source_image_key`
    accepts) fills the ``source_image`` column, which annotation lists always have.
    """
    keys = list(dict.fromkeys(key for entry in files for key in entry.attributes))
    source_keys = [key for key in keys if is_source_image_key(key)]
    has_source = annotation or bool(source_keys)
    attribute_columns = [key for key in keys if key not in source_keys]
    columns = ([SOURCE_IMAGE_COLUMN] if has_source else []) + attribute_columns
    lines = ["\t".join(["Files", *(tsv_cell(c) for c in columns)])]
    tabs = len(columns)
    for entry in files:
        attributes = entry.attributes
        values = [entry.deposit_path or entry.path]
        if has_source:
            values.append(next((attributes[k] for k in source_keys if attributes.get(k)), ""))
        values.extend([attributes.get(column, "") for column in attribute_columns])
        row = "\t".join(values)
        # Model text has no tabs or line breaks; only a leading quote needs quoting, which is rare.
        if '"' in row or "\n" in row or "\r" in row or row.count("\t") != tabs:
            row = "\t".join(tsv_cell(value) for value in values)
        lines.append(row)
    return ("\n".join(lines) + "\n").encode("utf-8", "backslashreplace")


# ---------------------------------------------------------------- the submission tree


@dataclass
class PageTabBuild:
    """A rendered PageTab submission: the tree, its template and its file lists."""

    submission: Submission
    template: str
    file_lists: dict[str, bytes] = field(default_factory=dict)  # relative path -> TSV bytes
    file_list_of: dict[str, str] = field(default_factory=dict)  # object id -> relative path


def _links(part: Deposition, full: Deposition, ctx: ExportContext) -> list[Link]:
    """Study links: web pages, then the cross-archive references the RO-Crate also carries."""
    links = [Link(related.url, _attr("Description", related.description)) for related in part.study.links]
    described: dict[tuple[str, str], str] = {}
    for related in part.study.related_accessions:
        try:
            described.setdefault(parse_accession(related.accession), related.description)
        except IdentifierError:
            continue  # rules.check_deposition blocks the export
    for ref in cross_references(full, ctx).bia:
        # The ingest expands a bare accession from its Type; it has no "emdb" type, so EMDB gets its URL.
        url = ref.url if ref.archive == "EMDB" else ref.accession
        description = described.get((ref.archive, ref.accession), ref.description)
        links.append(Link(url, _attr("Type", ref.link_type) + _attr("Description", description)))
    return links


def _study_attributes(part: Deposition) -> list[Attribute]:
    study = part.study
    attributes = _attr("Description", study.description)
    for keyword in study.keywords:
        attributes += _attr("Keywords", keyword)
    attributes += _attr("Acknowledgements", study.acknowledgements)
    term = vocab.licences().get(study.licence) if study.licence else None
    if term is not None:
        attributes += _attr("License", term.id, URL=term.get_extra("pagetab_url"))
    else:
        attributes += _attr("License", study.licence)
    return attributes


def _people(part: Deposition) -> list[Section]:
    study = part.study
    org_accno = {affiliation.id: f"o{i}" for i, affiliation in enumerate(study.affiliations, 1)}
    sections = []
    for person in study.contributors:
        attributes = _attr("Name", person.name) + _attr("E-mail", person.email)
        attributes += _attr("Role", ", ".join(r for r in person.roles if r))
        attributes += _attr("ORCID", person.orcid)
        for ref in person.affiliation_ids:
            if ref in org_accno:
                attributes.append(Attribute("affiliation", org_accno[ref], reference=True))
        sections.append(Section("Author", attributes=attributes))
    for affiliation in study.affiliations:
        attributes = _attr("Name", affiliation.name) + _attr("Address", affiliation.address)
        attributes += _attr("RORID", affiliation.ror) + _attr("Country", affiliation.country)
        sections.append(Section("Organization", org_accno[affiliation.id], attributes))
    for publication in study.publications:
        attributes = _attr("Title", publication.title) + _attr("Authors", publication.authors)
        attributes += _attr("DOI", publication.doi) + _attr("Pubmed ID", publication.pubmed_id)
        attributes += _attr("Year", publication.year)
        attributes += _attr("Preprint", "yes" if publication.preprint else "")
        sections.append(Section("Publication", attributes=attributes))
    for funding in study.funding:
        sections.append(
            Section("Funding", attributes=_attr("Agency", funding.funder) + _attr("grant_id", funding.grant_id))
        )
    return sections


def _rembi_sections(part: Deposition, accno: _Accnos) -> list[Section]:
    sections = []
    for sample in part.biosamples:
        attributes = _attr("Title", sample.title)
        organisms = []
        for term in sample.organisms:
            label, term_id, ncbi, common = _organism_forms(term)
            attributes += _attr("Organism", label, Ontology="NCBITaxon", TermId=term_id)
            organisms.append(
                Section(
                    "Organism",
                    accno("Organism"),
                    _attr("Scientific name", term.label) + _attr("Common name", common) + _attr("NCBI taxon ID", ncbi),
                )
            )
        attributes += _attr("Description", sample.description)
        attributes += _attr("Biological entity", sample.biological_entity)
        attributes += _attr("Experimental variable", _lines(sample.experimental_variables))
        attributes += _attr("Extrinsic variable", _lines(sample.extrinsic_variables))
        attributes += _attr("Intrinsic variable", _lines(sample.intrinsic_variables))
        sections.append(Section("Biosample", accno("Biosample"), attributes, organisms))
    for specimen in part.specimens:
        attributes = _attr("Title", specimen.title)
        attributes += _attr("Sample preparation protocol", specimen.sample_preparation_protocol)
        attributes += _attr("Growth protocol", specimen.growth_protocol)
        sections.append(Section("Specimen", accno("Specimen"), attributes))
    for acquisition in part.acquisitions:
        attributes = _attr("Title", acquisition.title)
        attributes += _attr("Imaging instrument", acquisition.imaging_instrument)
        attributes += _attr("Image acquisition parameters", acquisition.image_acquisition_parameters)
        methods = []
        for term in acquisition.imaging_methods:
            term_id, iri = _method_forms(term)
            attributes += _attr("Imaging method", term.label, Ontology="FBbi", TermId=term_id)
            methods.append(
                Section(
                    "Imaging Method",
                    accno("Imaging Method"),
                    _attr("Ontology Value", term.label)
                    + _attr("Ontology Name", FBBI_NAME)
                    + _attr("Ontology Term ID", iri),
                )
            )
        sections.append(Section("Image acquisition", accno("Image acquisition"), attributes, methods))
    for correlation in part.correlations:
        attributes = _attr("Title", correlation.title)
        attributes += _attr("Spatial and temporal alignment", correlation.spatial_temporal_alignment)
        attributes += _attr("Fiducials used", correlation.fiducials_used)
        attributes += _attr("Transformation matrix", correlation.transformation_matrix)
        sections.append(Section("Image correlation", accno("Image correlation"), attributes))
    for analysis in part.analyses:
        attributes = _attr("Title", analysis.title) + _attr("Image analysis overview", analysis.overview)
        attributes += _attr("Features analysed", analysis.features_analysed)
        sections.append(Section("Image analysis", accno("Image analysis"), attributes))
    return sections


def _annotation_section(annotation: AnnotationSet, names: dict[str, str], file_list: str, accno: _Accnos) -> Section:
    attributes = _attr("Title", annotation.title) + _attr("Annotation Overview", annotation.overview)
    attributes += _attr("Annotation Type", ", ".join(annotation.annotation_types))
    attributes += _attr("Annotation Method", annotation.method)
    attributes += _attr("Annotation Criteria", annotation.criteria)
    attributes += _attr("Annotation Coverage", annotation.coverage)
    attributes += _attr("Annotation Confidence Level", annotation.confidence_level)
    for ref in annotation.source_component_ids:
        attributes += _attr("Source study component", names.get(ref, ""))
    attributes += _attr("File List", file_list)
    return Section(ANNOTATION_SECTION, accno(ANNOTATION_SECTION), attributes)


_ASSOCIATION_COLUMNS = (
    ("Biosample", "biosample_ids", "biosamples"),
    ("Specimen", "specimen_ids", "specimens"),
    ("Image acquisition", "acquisition_ids", "acquisitions"),
    ("Image correlation", "correlation_ids", "correlations"),
    ("Image analysis", "analysis_ids", "analyses"),
)


def _associations(component: StudyComponent, part: Deposition) -> list[Section]:
    """One ``Associations`` row per combination of the component's objects, by their exact titles."""
    columns: list[tuple[str, list[str]]] = []
    for name, field_name, section in _ASSOCIATION_COLUMNS:
        titles = {item.id: item.title for item in getattr(part, section)}
        values = [titles[ref] for ref in getattr(component, field_name) if ref in titles]
        if values:
            columns.append((name, list(dict.fromkeys(values))))
    if not columns:
        return []
    rows = itertools.product(*(values for _, values in columns))
    return [
        Section(
            "Associations", attributes=[Attribute(name, value) for (name, _), value in zip(columns, row, strict=True)]
        )
        for row in rows
    ]


def build(deposition: Deposition, ctx: ExportContext) -> PageTabBuild | None:
    """Build the PageTab submission of a deposition's BIA part.

    Parameters
    ----------
    deposition
        The deposition (its EMPIAR components are left out, see :func:`bia_part`).
    ctx
        The export context; a real BIA accession makes this a resubmission.

    Returns
    -------
    PageTabBuild or None
        None when nothing goes to the BIA.
    """
    template = template_for(deposition)
    if template is None:
        return None
    part = bia_part(deposition)
    lists = file_list_paths(deposition)
    accno = _Accnos()
    study = part.study
    header = _attr("Title", study.title)
    header += _attr("ReleaseDate", study.release_date.isoformat() if study.release_date else "")
    header += _attr("AttachTo", "BioImages") + _attr("Template", template)
    root = Section("Study", attributes=_study_attributes(part), links=_links(part, deposition, ctx))
    root.subsections += _people(part)
    root.subsections += _rembi_sections(part, accno)
    names = {c.id: c.name for c in part.components}
    file_lists: dict[str, bytes] = {}
    for annotation in part.annotations:
        path = lists[annotation.id]
        root.subsections.append(_annotation_section(annotation, names, path, accno))
        file_lists[path] = _file_list_tsv(annotation.files, annotation=True)
    for component in part.components:
        path = lists[component.id]
        attributes = _attr("Name", component.name) + _attr("Description", component.description)
        attributes += _attr("File List", path)
        root.subsections.append(
            Section("Study Component", accno("Study Component"), attributes, _associations(component, part))
        )
        file_lists[path] = _file_list_tsv(component.files, annotation=False)
    submission = Submission(
        attributes=header,
        section=root,
        accno=ctx.bia_accession if ctx.has_bia_accession else "",
    )
    return PageTabBuild(submission=submission, template=template, file_lists=file_lists, file_list_of=lists)


def render(deposition: Deposition, ctx: ExportContext) -> Rendered:
    """Render the BIA PageTab submission (JSON and TSV) and its file lists.

    Parameters
    ----------
    deposition
        The deposition; it should have no blocking problems (the package
        refuses to export otherwise), but rendering never raises on content.
    ctx
        The export context.

    Returns
    -------
    Rendered
        ``submission.json``, ``submission.tsv`` and ``file_lists/*.tsv``; empty
        when nothing goes to the BIA.
    """
    result = build(deposition, ctx)
    if result is None:
        return {}
    out: Rendered = {
        SUBMISSION_JSON: to_json_bytes(result.submission),
        SUBMISSION_TSV: to_tsv_bytes(result.submission),
    }
    out.update(result.file_lists)
    return dict(sorted(out.items()))


# ---------------------------------------------------------------- structural check


def _get(section: Section | Submission, name: str) -> list[Attribute]:
    wanted = name.casefold()
    return [a for a in section.attributes if a.name.casefold() == wanted]


def _first(section: Section | Submission, name: str) -> str:
    found = _get(section, name)
    return found[0].value if found else ""


_REQUIRED: dict[str, tuple[str, ...]] = {
    "author": ("Name",),
    "organization": ("Name",),
    "biosample": ("Title", "Organism", "Biological entity"),
    "specimen": ("Title", "Sample preparation protocol"),
    "image acquisition": ("Title", "Imaging instrument", "Image acquisition parameters", "Imaging method"),
    "image correlation": ("Title", "Spatial and temporal alignment"),
    "image analysis": ("Title", "Image analysis overview"),
    ANNOTATION_SECTION.casefold(): (
        "Title",
        "Annotation Overview",
        "Annotation Type",
        "Annotation Method",
        "File List",
    ),
    "study component": ("Name", "Description", "File List"),
    "associations": ("Biosample", "Specimen", "Image acquisition"),
    "organism": ("Scientific name", "NCBI taxon ID"),
    "imaging method": ("Ontology Value", "Ontology Term ID"),
}

_ASSOCIATION_TARGETS = {
    "biosample": "biosample",
    "specimen": "specimen",
    "image acquisition": "image acquisition",
    "image correlation": "image correlation",
    "image analysis": "image analysis",
}


def check_pagetab(rendered: Rendered) -> list[str]:
    """Check a rendered PageTab folder against the BIA's rules as bia.md states them.

    Not the archive's validator (there is none offline) but the structure the
    BioStudies server and the BIA's ingest need: header attributes, required
    attributes per section type, unique non-empty accnos, resolvable
    organisation references and associations (each value the exact ``Title``
    of a section of the right type), file lists that exist with ``Files`` first,
    links the ingest can expand, licences it can map, bare DOIs.

    Parameters
    ----------
    rendered
        What :func:`render` returned.

    Returns
    -------
    list of str
        One sentence per problem; empty when the submission is well formed.
    """
    problems: list[str] = []
    if not rendered:
        return problems
    try:
        submission = parse_json(json.loads(rendered[SUBMISSION_JSON].decode("utf-8")))
    except (KeyError, ValueError) as error:
        return [f"submission.json is missing or unreadable: {error}"]
    try:
        from_tsv = parse_tsv(rendered[SUBMISSION_TSV].decode("utf-8"))
    except (KeyError, ValueError) as error:
        problems.append(f"submission.tsv is missing or unreadable: {error}")
    else:
        if to_json(from_tsv) != to_json(submission):
            problems.append("submission.tsv does not describe the same tree as submission.json")
    template = _first(submission, "Template")
    if template not in (TEMPLATE_V5, TEMPLATE_MIFA):
        problems.append(f"Template is {template!r}, not {TEMPLATE_V5} or {TEMPLATE_MIFA}")
    if _first(submission, "AttachTo") != "BioImages":
        problems.append("AttachTo is not BioImages")
    if not _first(submission, "Title"):
        problems.append("the submission has no Title")
    if not _ISO_DATE.match(_first(submission, "ReleaseDate")):
        problems.append("ReleaseDate is not a YYYY-MM-DD date")
    root = submission.section
    if root.type != "Study":
        problems.append(f"the root section is {root.type!r}, not Study")
    for name in ("Description", "Keywords", "License"):
        if not _first(root, name):
            problems.append(f"the Study has no {name}")
    licence = _get(root, "License")
    if licence:
        term = vocab.licences().get(licence[0].value)
        if term is None or term.id != licence[0].value:
            problems.append(f"License {licence[0].value!r} is not a licence name the BIA maps")
        elif licence[0].qualifier("URL") != term.get_extra("pagetab_url"):
            problems.append("License has no URL qualifier pointing to its legal code")
    for link in root.links:
        link_type = next((a.value for a in link.attributes if a.name.casefold() == "type"), "")
        if not _URL_SCHEME.match(link.url) and link_type.casefold() not in ALLOWED_LINK_TYPES:
            problems.append(f"link {link.url!r} is not a URL and its Type {link_type!r} is not one the BIA expands")
    sections = list(root.walk())[1:]
    accnos = [s.accno for s in sections if s.accno]
    for value in sorted({a for a in accnos if accnos.count(a) > 1}):
        problems.append(f"accno {value!r} is used twice")
    titles: dict[str, list[str]] = {}
    for section in sections:
        kind = section.type.casefold()
        for name in _REQUIRED.get(kind, ()):
            if not _first(section, name):
                problems.append(f"{section.type} {section.accno or ''} has no {name}".replace("  ", " "))
        if kind in _ASSOCIATION_TARGETS.values():
            titles.setdefault(kind, []).append(_first(section, "Title"))
    org_accnos = {s.accno for s in sections if s.type.casefold() in ("organization", "organisation")}
    file_lists: list[str] = []
    component_names = {_first(s, "Name") for s in sections if s.type.casefold() == "study component"}
    for section in sections:
        kind = section.type.casefold()
        if kind == "author":
            for attribute in section.attributes:
                if attribute.reference and attribute.value not in org_accnos:
                    problems.append(f"author {_first(section, 'Name')!r} refers to a missing organisation")
        if kind == "associations":
            for attribute in section.attributes:
                target = _ASSOCIATION_TARGETS.get(attribute.name.casefold())
                if target is None:
                    problems.append(f"Associations has an unknown column {attribute.name!r}")
                elif titles.get(target, []).count(attribute.value) != 1:
                    problems.append(
                        f"association {attribute.name} = {attribute.value!r} does not name exactly one "
                        f"{target} section by its Title"
                    )
        if kind == "study component" and not any(s.type == "Associations" for s in section.subsections):
            problems.append(f"Study Component {_first(section, 'Name')!r} has no Associations")
        if kind == ANNOTATION_SECTION.casefold():
            for value in re.split(r"\s*,\s*", _first(section, "Annotation Type")):
                if value and value not in ANNOTATION_TYPES:
                    problems.append(f"annotation type {value!r} is not one of the BIA's")
            for attribute in _get(section, "Source study component"):
                if component_names and attribute.value not in component_names:
                    problems.append(f"annotations name a study component {attribute.value!r} that does not exist")
        if kind == "publication":
            doi = _first(section, "DOI")
            if doi and not re.match(r"^10\.\d{4,9}/\S+$", doi):
                problems.append(f"publication DOI {doi!r} is not a bare DOI")
        if kind == "biosample":
            for attribute in _get(section, "Organism"):
                if not attribute.qualifier("TermId"):
                    problems.append(f"organism {attribute.value!r} has no TermId qualifier")
        if kind in ("study component", ANNOTATION_SECTION.casefold()):
            file_lists.extend(a.value for a in _get(section, "File List"))
    for name in sorted({f for f in file_lists if file_lists.count(f) > 1}):
        problems.append(f"file list {name} is named by two sections")
    for name in file_lists:
        if not _PATH_OK.match(name):
            problems.append(f"file list name {name!r} breaks the BioStudies path rules")
        content = rendered.get(name)
        if content is None:
            problems.append(f"file list {name} is named but not written")
            continue
        header = content.decode("utf-8").split("\n", 1)[0].split("\t")
        if header[0] != "Files":
            problems.append(f"file list {name} does not start with a Files column")
        if len(set(header)) != len(header):
            problems.append(f"file list {name} has a column twice")
    return problems
