"""Import a BioStudies PageTab submission (JSON or TSV, BioImages v4/v5/MIFA) into a new Deposition.

A depositor who updates a study, or starts from a previous one, gives the
program the submission they sent (or downloaded) and, when they are next to it,
its file lists. Real submissions are messy, so the import follows three rules:

* **As written.** A value that breaks our rules (a DOI given as an article URL,
  a mistyped e-mail, "pending" as a PubMed id, a free-text licence, a taxon id
  in an odd form) goes into the draft as it is and is reported by
  :func:`~bioimage_depositor.domain.rules.check_deposition`; the import never
  fails on content. The model still normalises identifiers that parse (a
  doi.org URL becomes the bare DOI), and a value written in the documented
  syntax of its PageTab field is translated into the model's: ``NCBI taxon ID``
  ``NCBI:txid9606`` (as BIA tooling writes it), ``TermId`` ``NCBITaxon_9606`` and
  ``FBbi_00000251``, and the OBO PURL of ``Ontology Term ID`` become the CURIEs
  ``NCBITaxon:9606`` and ``FBbi:00000251``. Any other spelling stays as written
  (e.g. ``9606`` or ``NCBITaxon_9606`` in ``NCBI taxon ID``, ``NCBI:txid9606`` as
  a ``TermId``) and the rules flag it.
* **Nothing dropped unannounced.** Every attribute, link, file or section the
  model has no place for is listed in :attr:`ImportReport.unrepresented` with
  its section path, name and value.
* **Round trip.** Ids are positional (``biosample-1``, ``component-2``,
  ``org-1``…, the same scheme :func:`canonical_ids` gives any deposition), so
  importing the package exported from a draft ``d`` gives
  ``canonical_ids(bia_part(d))`` exactly: the PageTab carries the BIA part of a
  deposition, not its EMPIAR components. When the submission sits inside an
  exported package, the package's ``MANIFEST.tsv`` restores what a PageTab file
  list does not carry (original paths before renames, local sources, sizes,
  checksums); from a bare submission those stay empty.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from ..deposition import AnnotationSet, Deposition, FileEntry, StudyComponent
from ..exports.rocrate import is_source_image_key
from ..identifiers import IdentifierError, parse_accession
from ..pagetab_format import (
    Attribute,
    FileRef,
    PageTabFormatError,
    Section,
    Submission,
    parse_json,
    parse_json_file_list,
    parse_tsv,
    parse_tsv_file_list,
)
from ..problems import Problem
from ..rembi import (
    ANNOTATION_TYPES,
    Affiliation,
    Biosample,
    Contributor,
    Funding,
    ImageAcquisition,
    ImageAnalysis,
    ImageCorrelation,
    OntologyTerm,
    Publication,
    RelatedAccession,
    RelatedLink,
    Specimen,
    Study,
)
from ..rules import check_deposition
from ..vocab import organisms

__all__ = [
    "ImportReport",
    "ImportResult",
    "PageTabImportError",
    "Unrepresented",
    "canonical_ids",
    "deposition_from_submission",
    "import_pagetab",
    "read_submission",
]

#: Largest submission or file list read (a file list of millions of rows is still far below this).
MAX_BYTES = 1 << 30
PACKAGE_SUBMISSION = Path("bia") / "pagetab" / "submission.json"
MANIFEST = "MANIFEST.tsv"

_ARCHIVE_LINK_TYPES = {"empiar", "emdb", "biostudies", "idr"}
_URL_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)
_NCBI_FIELD = re.compile(r"^NCBI:txid(\d+)$")
_NCBI_TERM_ID = re.compile(r"^NCBITaxon_(\d+)$")
_FBBI_TERM_ID = re.compile(r"^FBbi_(\d+)$")
_FBBI_PURL = re.compile(r"^https?://purl\.obolibrary\.org/obo/FBbi_(\d+)$")
_SOURCE_IMAGE = "source_image"


class PageTabImportError(Exception):
    """Input that cannot be read as a PageTab submission at all (exit 2 on the command line)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Unrepresented:
    """One piece of the submission the draft has no place for."""

    section: str  # "Study > Biosample Biosample-1"
    attribute: str
    value: str
    reason: str = ""

    def line(self) -> str:
        """One readable line: ``section: attribute = value (reason)``."""
        value = self.value if len(self.value) <= 120 else self.value[:117] + "..."
        reason = f" ({self.reason})" if self.reason else ""
        return f"{self.section}: {self.attribute} = {value!r}{reason}"

    def to_json(self) -> dict[str, str]:
        """A plain dict for ``--json`` output."""
        return {"section": self.section, "attribute": self.attribute, "value": self.value, "reason": self.reason}


@dataclass
class ImportReport:
    """What an import did besides filling the draft."""

    source: str = ""
    template: str = ""
    accession: str = ""  # the submission's accno (S-BIAD…) when it has one
    file_lists: list[str] = field(default_factory=list)  # file lists read
    unrepresented: list[Unrepresented] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the reader did or could not find
    problems: list[Problem] = field(default_factory=list)  # check_deposition of the result

    def to_json(self) -> dict[str, object]:
        """A plain dict for ``--json`` output."""
        return {
            "source": self.source,
            "template": self.template,
            "accession": self.accession,
            "file_lists": self.file_lists,
            "unrepresented": [item.to_json() for item in self.unrepresented],
            "notes": self.notes,
            "problems": [problem.to_json() for problem in self.problems],
        }


@dataclass
class ImportResult:
    """A new deposition and the report of how it was read."""

    deposition: Deposition
    report: ImportReport


# ---------------------------------------------------------------- names


def _key(name: str) -> str:
    """Attribute names match ignoring case, spaces, hyphens and underscores ("E-mail" = "Email")."""
    return re.sub(r"[\s_-]+", "", name).casefold()


class _Reader:
    """Reads the attributes of one section by name; whatever is not read is reported."""

    def __init__(self, section: Section, label: str, report: ImportReport) -> None:
        self.section = section
        self.label = label
        self.report = report
        self._used: set[int] = set()

    def all(self, *names: str) -> list[Attribute]:
        keys = {_key(n) for n in names}
        found = []
        for index, attribute in enumerate(self.section.attributes):
            if _key(attribute.name) in keys:
                self._used.add(index)
                found.append(attribute)
        return found

    def values(self, *names: str) -> list[str]:
        return [a.value for a in self.all(*names) if a.value.strip()]

    def one(self, *names: str) -> str:
        """The value of a single-valued field; extra values are reported."""
        found = [a for a in self.all(*names) if a.value.strip()]
        for extra in found[1:]:
            self.lost(extra.name, extra.value, "the draft keeps one value here")
        return found[0].value if found else ""

    def lost(self, name: str, value: str, reason: str) -> None:
        self.report.unrepresented.append(Unrepresented(self.label, name, value, reason))

    def finish(self) -> None:
        for index, attribute in enumerate(self.section.attributes):
            if index in self._used or not attribute.value.strip():
                continue
            qualifiers = "".join(f" [{n}: {v}]" for n, v in [*attribute.nmqual, *attribute.valqual])
            self.lost(attribute.name, attribute.value + qualifiers, "no field for it in the draft")


def _label(parent: str, section: Section) -> str:
    own = f"{section.type} {section.accno}".strip()
    return f"{parent} > {own}" if parent else own


# ---------------------------------------------------------------- value forms


def _taxon_id(value: str, pattern: re.Pattern[str]) -> str:
    """The model's CURIE when ``value`` is in its field's documented syntax, else ``value`` as written."""
    match = pattern.match(value.strip())
    return f"NCBITaxon:{match.group(1)}" if match else value


def _fbbi_id(value: str, pattern: re.Pattern[str]) -> str:
    match = pattern.match(value.strip())
    return f"FBbi:{match.group(1)}" if match else value


def _split_label(value: str) -> tuple[str, str]:
    """``"Homo sapiens (human)"`` → ``("Homo sapiens", "human")``, the v5 form's organism label."""
    match = re.match(r"^(.*\S)\s*\(([^()]*)\)\s*$", value)
    return (match.group(1), match.group(2).strip()) if match else (value, "")


def _year(value: str) -> int | None:
    text = value.strip()
    return int(text) if re.fullmatch(r"\d{1,4}", text) else None


# ---------------------------------------------------------------- the conversion


_T = TypeVar("_T")


class _Converter:
    def __init__(self, load_file_list: Callable[[str], list[FileRef] | None] | None, report: ImportReport) -> None:
        self.load_file_list = load_file_list
        self.report = report
        self.study = Study()
        self.orgs: list[tuple[str, Affiliation]] = []  # (accno, affiliation)
        self.people: list[tuple[Contributor, list[Attribute], str]] = []  # affiliation refs resolved later
        self.biosamples: list[Biosample] = []
        self.specimens: list[Specimen] = []
        self.acquisitions: list[ImageAcquisition] = []
        self.correlations: list[ImageCorrelation] = []
        self.analyses: list[ImageAnalysis] = []
        self.annotations: list[tuple[AnnotationSet, list[str], str]] = []  # source names resolved later
        self.components: list[tuple[StudyComponent, list[Section], str]] = []  # associations resolved later

    # -- helpers

    @staticmethod
    def _new_id(kind: str, items: list[_T]) -> str:
        return f"{kind}-{len(items) + 1}"

    def _files(self, reader: _Reader, section: Section, *, annotation: bool) -> list[FileEntry]:
        files: list[FileEntry] = []
        for name in reader.values("File List", "FileList"):
            refs = self.load_file_list(name) if self.load_file_list else None
            if refs is None:
                self.report.notes.append(
                    f"{reader.label}: the file list '{name}' was not found next to the submission; "
                    "add its files on the Image Data page."
                )
                continue
            self.report.file_lists.append(name)
            files.extend(self._entries(refs, annotation=annotation, label=f"{reader.label} > file list {name}"))
        if section.files:
            self.report.notes.append(f"{reader.label}: {len(section.files)} file(s) attached directly were added.")
            files.extend(self._entries(section.files, annotation=annotation, label=reader.label))
        return files

    def _entries(self, refs: Iterable[FileRef], *, annotation: bool, label: str) -> list[FileEntry]:
        entries = []
        for ref in refs:
            attributes: dict[str, str] = {}
            for attribute in ref.attributes:
                name = attribute.name
                if is_source_image_key(name):  # "Source Image" in the BIA's training material
                    name = _SOURCE_IMAGE
                if not attribute.value:
                    continue
                if name in attributes and attributes[name] != attribute.value:
                    self.report.unrepresented.append(
                        Unrepresented(f"{label} > {ref.path}", name, attribute.value, "a second column of that name")
                    )
                    continue
                attributes[name] = attribute.value
            entries.append(FileEntry(path=ref.path, size_bytes=ref.size, attributes=attributes))
        return entries

    # -- sections

    def header(self, submission: Submission) -> None:
        reader = _Reader(Section("Submission", attributes=submission.attributes), "Submission", self.report)
        self.study.title = reader.one("Title")
        released = reader.one("ReleaseDate", "Release Date")
        if released:
            try:
                self.study.release_date = dt.date.fromisoformat(released.strip()[:10])
            except ValueError:
                reader.lost("ReleaseDate", released, "not a YYYY-MM-DD date")
        self.report.template = reader.one("Template")
        if self.report.template and not self.report.template.startswith("BioImages"):
            self.report.notes.append(
                f"The submission uses the template '{self.report.template}', not a BioImages one; "
                "its sections were read by their types."
            )
        reader.all("AttachTo")  # the collection: always BioImages for this program
        if submission.accno:
            self.report.accession = submission.accno
            reader.lost(
                "accno",
                submission.accno,
                "drafts do not hold accessions; give it to 'export --bia-accession' to resubmit this study",
            )
        reader.finish()

    def root(self, section: Section) -> None:
        reader = _Reader(section, section.type or "Study", self.report)
        study = self.study
        for title in reader.all("Title"):  # older submissions repeat the title in the study section
            if not study.title:
                study.title = title.value
            elif title.value.strip() and title.value.strip() != study.title.strip():
                reader.lost("Title", title.value, "differs from the submission's Title, which was used")
        study.description = reader.one("Description", "Abstract")
        study.keywords = [value.strip() for value in reader.values("Keywords", "Keyword")]
        study.licence = reader.one("License", "Licence")
        study.acknowledgements = reader.one("Acknowledgements", "Acknowledgement", "Acknowledgments")
        reader.finish()
        for link in section.links:
            self.link(link.url, link.attributes, reader.label)
        for sub in section.subsections:
            self.section(sub, reader.label)
        if section.files:
            self.report.unrepresented.append(
                Unrepresented(
                    reader.label,
                    "Files",
                    f"{len(section.files)} file(s), first {section.files[0].path}",
                    "files attached to the study itself have no place in the draft",
                )
            )

    def link(self, url: str, attributes: list[Attribute], label: str) -> None:
        link_section = Section("Link", attributes=attributes)
        reader = _Reader(link_section, f"{label} > Link {url}", self.report)
        link_type = reader.one("Type")
        description = reader.one("Description")
        is_accession = link_type.strip().casefold() in _ARCHIVE_LINK_TYPES
        if not is_accession and not _URL_SCHEME.match(url.strip()):
            try:
                parse_accession(url)
            except IdentifierError:
                pass
            else:
                is_accession = True
        if is_accession:
            self.study.related_accessions.append(RelatedAccession(accession=url, description=description))
        else:
            self.study.links.append(RelatedLink(url=url, description=description))
            if link_type:
                reader.lost("Type", link_type, "the draft keeps a link's address and description only")
        reader.finish()

    def section(self, section: Section, parent: str) -> None:
        label = _label(parent, section)
        kind = _key(section.type)
        handler = {
            "author": self.author,
            "contact": self.author,
            "organization": self.org,
            "organisation": self.org,
            "publication": self.publication,
            "funding": self.funding,
            "biosample": self.biosample,
            "specimen": self.specimen,
            "imageacquisition": self.acquisition,
            "imagecorrelation": self.correlation,
            "imageanalysis": self.analysis,
            "annotation": self.annotation,
            "annotations": self.annotation,
            "studycomponent": self.component,
        }.get(kind)
        if handler is not None:
            handler(section, label)
            return
        reader = _Reader(section, label, self.report)
        reader.finish()
        if not section.attributes:
            self.report.unrepresented.append(Unrepresented(label, "(section)", section.type, "unknown section type"))
        for link in section.links:
            self.report.unrepresented.append(Unrepresented(label, "Link", link.url, "links inside this section"))
        for sub in section.subsections:
            self.section(sub, label)

    def _unexpected_children(self, section: Section, label: str, allowed: set[str]) -> list[Section]:
        kept = []
        for sub in section.subsections:
            if _key(sub.type) in allowed:
                kept.append(sub)
            else:
                self.section(sub, label)
        for link in section.links:
            self.report.unrepresented.append(Unrepresented(label, "Link", link.url, "links inside this section"))
        return kept

    def author(self, section: Section, label: str) -> None:
        reader = _Reader(section, label, self.report)
        person = Contributor(
            name=reader.one("Name"),
            email=reader.one("E-mail", "Email"),
            orcid=reader.one("ORCID", "ORCID iD"),
            roles=[r.strip() for v in reader.values("Role", "Roles") for r in v.split(",") if r.strip()],
        )
        refs = reader.all("affiliation", "Organisation", "Organization")
        self.people.append((person, refs, label))
        reader.finish()
        self._unexpected_children(section, label, set())

    def org(self, section: Section, label: str) -> None:
        reader = _Reader(section, label, self.report)
        affiliation = Affiliation(
            id=self._new_id("org", self.orgs),
            name=reader.one("Name"),
            address=reader.one("Address"),
            ror=reader.one("RORID", "ROR", "ROR ID"),
            country=reader.one("Country"),
        )
        self.orgs.append((section.accno, affiliation))
        reader.finish()
        self._unexpected_children(section, label, set())

    def publication(self, section: Section, label: str) -> None:
        reader = _Reader(section, label, self.report)
        publication = Publication(
            title=reader.one("Title"),
            authors=reader.one("Authors"),
            doi=reader.one("DOI"),
            pubmed_id=reader.one("Pubmed ID", "PubMed", "PMID"),
        )
        year = reader.one("Year")
        if year:
            publication.year = _year(year)
            if publication.year is None:
                reader.lost("Year", year, "not a year")
        preprint = reader.one("Preprint")
        if preprint:
            if preprint.strip().casefold() in {"yes", "true"}:
                publication.preprint = True
            elif preprint.strip().casefold() not in {"no", "false"}:
                reader.lost("Preprint", preprint, "neither yes nor no")
        self.study.publications.append(publication)
        reader.finish()
        self._unexpected_children(section, label, set())

    def funding(self, section: Section, label: str) -> None:
        reader = _Reader(section, label, self.report)
        self.study.funding.append(
            Funding(funder=reader.one("Agency", "Funder", "Funding agency"), grant_id=reader.one("grant_id", "Grant"))
        )
        reader.finish()
        self._unexpected_children(section, label, set())

    def biosample(self, section: Section, label: str) -> None:
        reader = _Reader(section, label, self.report)
        sample = Biosample(
            id=self._new_id("biosample", self.biosamples),
            title=reader.one("Title"),
            description=reader.one("Description"),
            biological_entity=reader.one("Biological entity"),
        )
        for field_name, name in (
            ("intrinsic_variables", "Intrinsic variable"),
            ("extrinsic_variables", "Extrinsic variable"),
            ("experimental_variables", "Experimental variable"),
        ):
            values = [line for v in reader.values(name, name + "s") for line in v.split("\n") if line.strip()]
            setattr(sample, field_name, values)
        subsections = self._unexpected_children(section, label, {"organism"})
        terms: list[OntologyTerm] = []
        for sub in subsections:
            sub_reader = _Reader(sub, _label(label, sub), self.report)
            term = OntologyTerm(
                id=_taxon_id(sub_reader.one("NCBI taxon ID", "NCBI Taxon", "Taxon ID"), _NCBI_FIELD),
                label=sub_reader.one("Scientific name"),
            )
            self._check_common_name(sub_reader, term, sub_reader.one("Common name"))
            terms.append(term)
            sub_reader.finish()
        for attribute in reader.all("Organism"):
            if not attribute.value.strip():
                continue
            scientific, common = _split_label(attribute.value)
            term_id = attribute.qualifier("TermId")
            if subsections:
                # The v4 subsection wins, as in the BIA's ingest; say so when the two disagree.
                if not any(
                    t.label == scientific or (term_id and t.id == _taxon_id(term_id, _NCBI_TERM_ID)) for t in terms
                ):
                    reader.lost("Organism", attribute.value, "differs from the Organism subsection, which was used")
                continue
            term = OntologyTerm(id=_taxon_id(term_id, _NCBI_TERM_ID) if term_id else "", label=scientific)
            self._check_common_name(reader, term, common, original=attribute.value)
            terms.append(term)
        sample.organisms = terms
        self.biosamples.append(sample)
        reader.finish()

    def _check_common_name(self, reader: _Reader, term: OntologyTerm, common: str, original: str = "") -> None:
        if not common:
            return
        known = organisms().get(term.id) if term.id else None
        if known is None or known.common_name.casefold() != common.casefold():
            reader.lost("Common name", original or common, "the draft takes common names from the taxonomy")

    def specimen(self, section: Section, label: str) -> None:
        reader = _Reader(section, label, self.report)
        self.specimens.append(
            Specimen(
                id=self._new_id("specimen", self.specimens),
                title=reader.one("Title"),
                sample_preparation_protocol=reader.one("Sample preparation protocol"),
                growth_protocol=reader.one("Growth protocol"),
            )
        )
        reader.finish()
        self._unexpected_children(section, label, set())

    def acquisition(self, section: Section, label: str) -> None:
        reader = _Reader(section, label, self.report)
        acquisition = ImageAcquisition(
            id=self._new_id("acquisition", self.acquisitions),
            title=reader.one("Title"),
            imaging_instrument=reader.one("Imaging instrument"),
            image_acquisition_parameters=reader.one("Image acquisition parameters"),
        )
        subsections = self._unexpected_children(section, label, {"imagingmethod"})
        terms: list[OntologyTerm] = []
        for sub in subsections:
            sub_reader = _Reader(sub, _label(label, sub), self.report)
            terms.append(
                OntologyTerm(
                    id=_fbbi_id(sub_reader.one("Ontology Term ID"), _FBBI_PURL),
                    label=sub_reader.one("Ontology Value"),
                )
            )
            ontology = sub_reader.one("Ontology Name")
            if ontology and "fbbi" not in ontology.casefold():
                sub_reader.lost("Ontology Name", ontology, "imaging methods come from FBbi")
            sub_reader.finish()
        for attribute in reader.all("Imaging method"):
            if not attribute.value.strip():
                continue
            term_id = attribute.qualifier("TermId")
            if subsections:
                if not any(
                    t.label == attribute.value or (term_id and t.id == _fbbi_id(term_id, _FBBI_TERM_ID)) for t in terms
                ):
                    reader.lost("Imaging method", attribute.value, "differs from the Imaging Method subsections")
                continue
            terms.append(OntologyTerm(id=_fbbi_id(term_id, _FBBI_TERM_ID) if term_id else "", label=attribute.value))
        acquisition.imaging_methods = terms
        self.acquisitions.append(acquisition)
        reader.finish()

    def correlation(self, section: Section, label: str) -> None:
        reader = _Reader(section, label, self.report)
        self.correlations.append(
            ImageCorrelation(
                id=self._new_id("correlation", self.correlations),
                title=reader.one("Title"),
                spatial_temporal_alignment=reader.one("Spatial and temporal alignment"),
                fiducials_used=reader.one("Fiducials used"),
                transformation_matrix=reader.one("Transformation matrix"),
            )
        )
        reader.finish()
        self._unexpected_children(section, label, set())

    def analysis(self, section: Section, label: str) -> None:
        reader = _Reader(section, label, self.report)
        self.analyses.append(
            ImageAnalysis(
                id=self._new_id("analysis", self.analyses),
                title=reader.one("Title"),
                overview=reader.one("Image analysis overview"),
                features_analysed=reader.one("Features analysed", "Features analyzed"),
            )
        )
        reader.finish()
        self._unexpected_children(section, label, set())

    def annotation(self, section: Section, label: str) -> None:
        reader = _Reader(section, label, self.report)
        annotation = AnnotationSet(
            id=self._new_id("annotations", self.annotations),
            title=reader.one("Title"),
            overview=reader.one("Annotation Overview"),
            method=reader.one("Annotation Method"),
            criteria=reader.one("Annotation Criteria"),
            coverage=reader.one("Annotation Coverage"),
            confidence_level=reader.one("Annotation Confidence Level"),
        )
        types = []
        for value in reader.values("Annotation Type", "Annotation Types"):
            for part in re.split(r"[,\n]", value):
                item = part.strip()
                if item in ANNOTATION_TYPES:
                    types.append(item)
                elif item:
                    reader.lost("Annotation Type", item, "not one of the BIA's annotation types")
        annotation.annotation_types = list(dict.fromkeys(types))  # type: ignore[arg-type]
        sources = reader.values("Source study component", "Source study components")
        annotation.files = self._files(reader, section, annotation=True)
        self.annotations.append((annotation, sources, label))
        reader.finish()
        self._unexpected_children(section, label, set())

    def component(self, section: Section, label: str) -> None:
        reader = _Reader(section, label, self.report)
        component = StudyComponent(
            id=self._new_id("component", self.components),
            name=reader.one("Name", "Title"),
            description=reader.one("Description"),
            archive="BIA",
        )
        component.files = self._files(reader, section, annotation=False)
        associations = self._unexpected_children(section, label, {"associations"})
        self.components.append((component, associations, label))
        reader.finish()

    # -- references, once every section is known

    def resolve(self) -> Deposition:
        by_accno = {accno: affiliation for accno, affiliation in self.orgs if accno}
        affiliations = [affiliation for _, affiliation in self.orgs]
        contributors = []
        for person, refs, label in self.people:
            ids: list[str] = []
            for ref in refs:
                value = ref.value.strip()
                if not value:
                    continue
                for part in [p.strip() for p in value.split(",")] if ref.reference else [value]:
                    target = by_accno.get(part)
                    if target is None and not ref.reference:
                        target = next((a for a in affiliations if a.name == part), None)
                        if target is None:
                            target = Affiliation(id=f"org-{len(affiliations) + 1}", name=part)
                            affiliations.append(target)
                            self.report.notes.append(f"{label}: organisation '{part}' was added from its name.")
                    if target is None:
                        self.report.unrepresented.append(
                            Unrepresented(label, ref.name, part, "no organisation has this accno")
                        )
                    elif target.id not in ids:
                        ids.append(target.id)
            person.affiliation_ids = ids
            contributors.append(person)
        self.study.contributors = contributors
        self.study.affiliations = affiliations
        components = [self._associate(component, rows, label) for component, rows, label in self.components]
        names = {c.name: c.id for c in components if c.name}
        annotations = []
        for annotation, sources, label in self.annotations:
            ids = []
            for name in sources:
                if name in names:
                    ids.append(names[name])
                else:
                    self.report.unrepresented.append(
                        Unrepresented(label, "Source study component", name, "no study component has this name")
                    )
            annotation.source_component_ids = list(dict.fromkeys(ids))
            annotations.append(annotation)
        return Deposition(
            correlative=bool(self.correlations),
            study=self.study,
            biosamples=self.biosamples,
            specimens=self.specimens,
            acquisitions=self.acquisitions,
            correlations=self.correlations,
            analyses=self.analyses,
            annotations=annotations,
            components=components,
        )

    def _associate(self, component: StudyComponent, rows: list[Section], label: str) -> StudyComponent:
        targets: dict[str, tuple[str, list]] = {
            "biosample": ("biosample_ids", self.biosamples),
            "specimen": ("specimen_ids", self.specimens),
            "imageacquisition": ("acquisition_ids", self.acquisitions),
            "imagecorrelation": ("correlation_ids", self.correlations),
            "imageanalysis": ("analysis_ids", self.analyses),
        }
        refs: dict[str, list[str]] = {field_name: [] for field_name, _ in targets.values()}
        for row in rows:
            row_label = _label(label, row)
            for attribute in row.attributes:
                value = attribute.value
                if not value.strip():
                    continue
                target = targets.get(_key(attribute.name))
                if target is None:
                    self.report.unrepresented.append(
                        Unrepresented(row_label, attribute.name, value, "not an association the draft knows")
                    )
                    continue
                field_name, items = target
                found = next((item for item in items if item.title == value), None)
                if found is None:
                    loose = " ".join(value.split()).casefold()
                    found = next((item for item in items if " ".join(item.title.split()).casefold() == loose), None)
                    if found is not None:
                        self.report.notes.append(
                            f"{row_label}: {attribute.name} '{value}' was matched to the section titled "
                            f"'{found.title}' (the BIA matches titles exactly; the export writes the exact title)."
                        )
                if found is None:
                    self.report.unrepresented.append(
                        Unrepresented(row_label, attribute.name, value, f"no {attribute.name} section has this Title")
                    )
                elif found.id not in refs[field_name]:
                    refs[field_name].append(found.id)
        return component.model_copy(update=refs)


def deposition_from_submission(
    submission: Submission,
    *,
    load_file_list: Callable[[str], list[FileRef] | None] | None = None,
    source: str = "",
    report: ImportReport | None = None,
) -> ImportResult:
    """Convert a parsed PageTab submission into a new deposition.

    Parameters
    ----------
    submission
        The submission tree (:func:`~bioimage_depositor.domain.pagetab_format.parse_json`
        or :func:`~bioimage_depositor.domain.pagetab_format.parse_tsv`).
    load_file_list
        Returns the rows of the file list a ``File List`` attribute names, or
        None when it cannot be found; without it, components get no files.
    source
        What to call the submission in the report.
    report
        A report to fill (the one ``load_file_list`` writes its notes to); a new one by default.

    Returns
    -------
    ImportResult
        The deposition (never rejected for its content) and the report, whose
        ``problems`` are the rules' verdict on the result.
    """
    report = report if report is not None else ImportReport()
    report.source = source or report.source
    converter = _Converter(load_file_list, report)
    converter.header(submission)
    converter.root(submission.section)
    deposition = converter.resolve()
    if deposition.correlations:
        report.notes.append(
            "The study has an image correlation, so the draft is marked correlative; the PageTab holds only its "
            "BIA part: add the components deposited in EMPIAR (or other archives) to complete it."
        )
    report.problems = check_deposition(deposition)
    return ImportResult(deposition, report)


# ---------------------------------------------------------------- files on disk


def _read_bytes(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise PageTabImportError("import.too_large", f"{path} is too large to be a submission.")
        return path.read_bytes()
    except FileNotFoundError:
        raise PageTabImportError("import.not_found", f"{path}: no such file.") from None
    except OSError as error:
        raise PageTabImportError("import.unreadable", f"{path} cannot be read ({error.strerror or error}).") from None


def _decode(data: bytes, path: Path) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PageTabImportError(
            "import.encoding", f"{path} is not UTF-8 text; save it as UTF-8 and try again."
        ) from None


def _find_submission(path: Path) -> Path:
    if not path.is_dir():
        return path
    for candidate in (path / PACKAGE_SUBMISSION, path / "submission.json", path / "submission.tsv"):
        if candidate.is_file():
            return candidate
    found = sorted(p for p in path.iterdir() if p.suffix.lower() in (".json", ".tsv") and p.is_file())
    if len(found) == 1:
        return found[0]
    raise PageTabImportError(
        "import.no_submission",
        f"{path} is a folder without a PageTab submission (submission.json or submission.tsv); name the file.",
    )


def read_submission(path: str | Path) -> tuple[Submission, Path]:
    """Read a PageTab submission file (JSON or TSV) or the submission of a package folder.

    Returns
    -------
    tuple
        The submission tree and the file it came from.

    Raises
    ------
    PageTabImportError
        When there is no such file, or it is not a PageTab submission.
    """
    file = _find_submission(Path(path))
    text = _decode(_read_bytes(file), file)
    stripped = text.lstrip()
    try:
        if file.suffix.lower() == ".json" or stripped.startswith(("{", "[")):
            try:
                data = json.loads(text)
            except (ValueError, RecursionError):
                raise PageTabImportError("import.bad_json", f"{file} is not valid JSON.") from None
            return parse_json(data), file
        return parse_tsv(text), file
    except PageTabFormatError as error:
        raise PageTabImportError(error.code, f"{file}: {error.message}") from None


def _file_list_loader(folder: Path, report: ImportReport) -> Callable[[str], list[FileRef] | None]:
    def load(name: str) -> list[FileRef] | None:
        relative = name.strip().replace("\\", "/").lstrip("/")
        if ".." in relative.split("/"):
            report.notes.append(f"the file list name '{name}' leaves the submission's folder; it was not read.")
            return None
        candidates = [folder / relative, folder / Path(relative).name]
        if not Path(relative).suffix:
            candidates += [folder / (relative + ".tsv"), folder / (relative + ".json")]
        for candidate in candidates:
            if not candidate.is_file():
                continue
            suffix = candidate.suffix.lower()
            if suffix in (".xlsx", ".xls"):
                report.notes.append(f"the file list {name} is an Excel file; save it as TSV to import its files.")
                return None
            text = _decode(_read_bytes(candidate), candidate)
            try:
                if suffix == ".json" or text.lstrip().startswith("["):
                    return parse_json_file_list(json.loads(text))
                return parse_tsv_file_list(text)[1]
            except (PageTabFormatError, ValueError) as error:
                message = getattr(error, "message", str(error))
                report.notes.append(f"the file list {name} could not be read: {message}")
                return None
        return None

    return load


def _manifest_rows(package: Path) -> dict[tuple[str, str], dict[str, str]]:
    try:
        text = (package / MANIFEST).read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    rows = {}
    for row in csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE):
        if row.get("archive") == "BIA":
            rows[(row.get("component") or "", row.get("deposited_path") or "")] = row
    return rows


def _apply_manifest(deposition: Deposition, rows: dict[tuple[str, str], dict[str, str]]) -> None:
    """Restore original paths, sources, sizes and checksums that the package's manifest records."""
    datasets: list[tuple[str, list[FileEntry]]] = [(c.name, c.files) for c in deposition.components]
    datasets += [(a.title, a.files) for a in deposition.annotations]
    for name, files in datasets:
        for entry in files:
            row = rows.get((name, entry.path))
            if row is None:
                continue
            original = row.get("original_path") or entry.path
            size = row.get("size_bytes") or ""
            deposited = row.get("deposited_path") or entry.path
            entry.path = original
            entry.deposit_path = deposited if deposited != original else ""
            entry.source = row.get("source") or ""
            entry.size_bytes = int(size) if size.isdigit() else entry.size_bytes
            entry.md5 = row.get("md5") or ""


def import_pagetab(path: str | Path) -> ImportResult:
    """Import a PageTab submission (a file, or a package folder) with the file lists next to it.

    Parameters
    ----------
    path
        ``submission.json``/``.tsv`` of any BioImages template, or an exported
        package folder (its ``bia/pagetab/submission.json`` and ``MANIFEST.tsv``).

    Returns
    -------
    ImportResult
        The new deposition and the import report.

    Raises
    ------
    PageTabImportError
        When the input cannot be read as a PageTab submission at all.
    """
    submission, file = read_submission(path)
    report = ImportReport(source=str(file))
    result = deposition_from_submission(
        submission, load_file_list=_file_list_loader(file.parent, report), source=str(file), report=report
    )
    package = file.parent.parent.parent if file.parent.name == "pagetab" and file.parent.parent.name == "bia" else None
    if package is not None and (package / MANIFEST).is_file():
        _apply_manifest(result.deposition, _manifest_rows(package))
        result.report.notes.append(f"paths, sizes and checksums were restored from {package / MANIFEST}.")
    return result


# ---------------------------------------------------------------- comparing depositions


def canonical_ids(deposition: Deposition) -> Deposition:
    """The same deposition with every object id replaced by its positional id.

    Biosamples become ``biosample-1``, ``biosample-2``…, likewise ``specimen``,
    ``acquisition``, ``correlation``, ``analysis``, ``annotations``,
    ``component`` and ``org`` (affiliations), and every reference follows. Two
    depositions are equal *modulo generated ids* when their canonical forms are
    equal; the importer produces this form directly.
    """
    data = deposition.model_dump()
    mapping: dict[str, str] = {}
    for key, prefix in (
        ("biosamples", "biosample"),
        ("specimens", "specimen"),
        ("acquisitions", "acquisition"),
        ("correlations", "correlation"),
        ("analyses", "analysis"),
        ("annotations", "annotations"),
        ("components", "component"),
    ):
        for index, item in enumerate(data[key], 1):
            mapping[f"{key}:{item['id']}"] = item["id"] = f"{prefix}-{index}"
    for index, affiliation in enumerate(data["study"]["affiliations"], 1):
        mapping[f"affiliations:{affiliation['id']}"] = affiliation["id"] = f"org-{index}"

    def remap(section: str, refs: list[str]) -> list[str]:
        return [mapping.get(f"{section}:{ref}", ref) for ref in refs]

    for person in data["study"]["contributors"]:
        person["affiliation_ids"] = remap("affiliations", person["affiliation_ids"])
    for component in data["components"]:
        for field_name, section in (
            ("biosample_ids", "biosamples"),
            ("specimen_ids", "specimens"),
            ("acquisition_ids", "acquisitions"),
            ("correlation_ids", "correlations"),
            ("analysis_ids", "analyses"),
        ):
            component[field_name] = remap(section, component[field_name])
    for annotation in data["annotations"]:
        annotation["source_component_ids"] = remap("components", annotation["source_component_ids"])
    return Deposition.model_validate(data)
