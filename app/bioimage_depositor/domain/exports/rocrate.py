"""The BIA RO-Crate: ``ro-crate-metadata.json`` plus one TSV file list, for the BIA components.

No public endpoint takes a BIA RO-Crate yet (``bia.md`` §1), but it is the format the BIA
ingests internally and will take next, so the package carries one that passes
``bia-ro-crate validate`` (bia-ro-crate-validator 0.3.1) *and* the stricter, unreleased
``bia-submission`` profile (``bia.md`` §6.6).

Mapping from the deposition model
---------------------------------
=============================  ==============================================================
Model                          Crate
=============================  ==============================================================
Study                          root ``./`` (``Dataset`` + ``bia:Study``): name, description,
                               licence URL (RO-Crate form from the bundled vocabulary, not
                               ``legalcode``), ``datePublished`` = release date, keywords,
                               acknowledgement, ``accessionId`` = ``ctx.bia_accession``
Contributor                    ``Person`` + ``bia:Contributor``; ``@id`` = ORCID IRI when given
Affiliation                    ``Organization`` + ``bia:Affiliation``; ``@id`` = ROR IRI when given
Publication                    ``ScholarlyArticle`` + ``bia:Publication``; ``@id`` = doi.org IRI
Funding                        ``bia:Grant`` (identifier = grant id) → ``bia:FundingBody``
Link, related accessions,      ``bia:ExternalReference`` (``@id`` = the URL) in ``seeAlso``
EMPIAR back-links
BIA study component            ``bia:Dataset`` + ``bia:RembiDataset`` with the four REMBI
                               associations, correlation and analysis methods
Biosample                      ``bia:BioSample`` (description = biological entity, then the
                               description) → ``bia:Taxon`` (``@id`` = NCBITaxon IRI)
Specimen (preparation)         ``bia:SpecimenImagingPreparationProtocol``; its growth protocol
                               becomes a ``bia:Protocol`` in the dataset's ``associatedProtocol``
(biosamples × preparations)    one ``bia:Specimen`` per dataset (``associatedSpecimen`` is single)
Image acquisition              ``bia:ImageAcquisitionProtocol`` with ``imagingMethodName`` and
                               ``fbbiId``
Image correlation / analysis   ``bia:ImageCorrelationMethod`` / ``bia:ImageAnalysisMethod``
Annotation set                 ``bia:Dataset`` + ``bia:MifaDataset`` → ``bia:AnnotationMethod``
                               (``methodType`` = the annotation types)
Files of both                  rows of ``file_list.tsv`` (with a correlative study's scene and
                               landmark files, :mod:`.transform_files`)
=============================  ==============================================================

Traps avoided (``bia.md`` §9): every key is in the embedded context (the BIA term object is
copied verbatim from the validator, ``resources/ro-crate/``); the document is flattened;
every entity has exactly one BIA class; local ``@id`` values start with ``#`` and are
percent-encoded, so no file-list cell is numeric-looking or contains a comma, and cells
repeat the ``@id`` exactly; ``type`` cells use the full IRI ``http://bia/Image``; the file list
is tab-separated and every column is declared in the ``csvw:Schema``; only entities something
refers to are written (no orphan warnings).

Where no accession exists yet, ``accessionId`` is :data:`~.base.ACCESSION_PLACEHOLDER` (the
validator requires the key) and the metadata descriptor's ``description`` says so; no DOI is
written for a placeholder.

Files: component files are typed ``http://bia/Image`` unless their extension says they are
documents or tables (:data:`NON_IMAGE_EXTENSIONS`, type left empty as the BIA's own examples
do); annotation files are ``http://bia/AnnotationData``. A file attribute named
``source_image`` (any case, spaces or underscores) fills the ``source_image`` column: the
deposited path(s) of the BIA image(s) it derives from, comma-separated; files named there
are always typed ``http://bia/Image``. Every other attribute becomes a free column.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Protocol
from urllib.parse import quote

from ...paths import resource_path
from .. import vocab
from ..deposition import AnnotationSet, Deposition, FileEntry, StudyComponent
from ..rembi import Affiliation, Biosample, OntologyTerm
from .base import ExportContext, Rendered
from .crossrefs import cross_references, transformation_text
from .provenance import Origin
from .transform_files import with_transform_files

METADATA_FILE = "ro-crate-metadata.json"
FILE_LIST = "file_list.tsv"
RO_CRATE_CONTEXT = "https://w3id.org/ro/crate/1.1/context"
IMAGE_TYPE = "http://bia/Image"
ANNOTATION_TYPE = "http://bia/AnnotationData"

#: Extensions of files that are not images (their ``type`` cell stays empty).
NON_IMAGE_EXTENSIONS = frozenset(
    {
        ".csv",
        ".doc",
        ".docx",
        ".html",
        ".ijm",
        ".ipynb",
        ".json",
        ".m",
        ".md",
        ".pdf",
        ".py",
        ".r",
        ".rtf",
        ".tsv",
        ".txt",
        ".xls",
        ".xlsx",
        ".xml",
        ".yaml",
        ".yml",
    }
)

#: Column names this renderer writes itself; a file attribute may not use them (rules.py).
RESERVED_COLUMNS = ("file_path", "size_in_bytes", "dataset", "type", "source_image")

_BUILT_IN_COLUMNS = (
    ("file_path", "http://bia/filePath"),
    ("size_in_bytes", "http://bia/sizeInBytes"),
    ("dataset", "http://schema.org/isPartOf"),
    ("type", "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
)
_SOURCE_COLUMN = ("source_image", "http://bia/associatedSourceImage")

PLACEHOLDER_NOTE = (
    "accessionId {accession} is a placeholder: the BioImage Archive assigns the real S-BIAD accession when the "
    "study is accepted. Replace it (re-export with the accession) before using this crate for a submission."
)


@functools.cache
def bia_context() -> dict[str, object]:
    """The BIA term object of validator 0.3.1, embedded verbatim as the crate's second context."""
    data: dict[str, object] = json.loads(
        resource_path("ro-crate", "bia-ro-crate-context-0.3.1.json").read_text("utf-8")
    )
    return data


@functools.lru_cache(maxsize=1024)  # the same few attribute names repeat on every file
def is_source_image_key(key: str) -> bool:
    """Whether a file attribute names the file's source image(s) (``source_image``, ``Source Image``…)."""
    return key.strip().casefold().replace(" ", "_") == "source_image"


def source_images(entry: FileEntry) -> list[str]:
    """The deposited paths a file's ``source_image`` attribute names (comma-separated), in order."""
    values: list[str] = []
    if not entry.attributes:
        return values
    for key, value in entry.attributes.items():
        if is_source_image_key(key):
            values.extend(part.strip() for part in value.strip().strip("[]").split(",") if part.strip())
    return values


def is_image_path(path: str) -> bool:
    """Whether a component file is typed as an image (by its extension)."""
    name = path.rpartition("/")[2]
    dot = name.rfind(".")
    return dot <= 0 or name[dot:].casefold() not in NON_IMAGE_EXTENSIONS


def bia_components(deposition: Deposition) -> list[StudyComponent]:
    """The study components that go to the BIA, in model order."""
    return [component for component in deposition.components if component.archive == "BIA"]


def has_crate(deposition: Deposition) -> bool:
    """Whether the deposition has anything for the BIA (a component or an annotation set)."""
    return bool(bia_components(deposition) or deposition.annotations)


# ---------------------------------------------------------------- ids


def _tsv_text(rows: Callable[[], Iterable[Sequence[str]]] | Sequence[Sequence[str]], width: int) -> bytes:
    """A whole file list, byte for byte as ``csv.writer`` (tab, minimal quoting, newline) writes it.

    Rows are joined directly and the result checked once for what would need quoting (a tab, quote
    or line break inside a cell, which model text almost never has); only then is each row written
    through :func:`_tsv_row`. Over 100,000 rows this is several times faster than the csv module.
    ``rows`` is the rows, or a function giving them afresh (so a second pass needs no stored copy).
    """
    produce = rows if callable(rows) else (lambda: rows)
    lines = list(map("\t".join, produce()))
    text = "\n".join(lines) + "\n"
    tabs = (width - 1) * len(lines)  # every row has ``width`` cells
    # (A row of one empty cell is written '""' by csv; our lists have at least four columns.)
    if width < 2 or '"' in text or "\r" in text or text.count("\n") != len(lines) or text.count("\t") != tabs:
        text = "".join(_tsv_row(list(row)) + "\n" for row in produce())
    return text.encode("utf-8")


def _tsv_row(cells: list[str]) -> str:
    """One file-list row, byte for byte as ``csv.writer`` (tab, minimal quoting) writes it, without its line end.

    Plain cells (no tab, quote or line break: nearly all of them) are joined directly, which is
    several times faster than the csv module over 100,000 rows; anything else goes through it.
    """
    line = "\t".join(cells)
    if '"' in line or "\n" in line or "\r" in line or line.count("\t") != len(cells) - 1 or line == "":
        buffer = io.StringIO()
        csv.writer(buffer, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL).writerow(cells)
        return buffer.getvalue()[:-1]
    return line


def _local(text: str) -> str:
    """A ``#fragment`` id: percent-encoded, so never numeric-looking and never containing a comma."""
    return "#" + quote(text, safe="-_.~")


class _Ids:
    """Hands out unique ``@id`` values: the preferred one, else a numbered variant."""

    def __init__(self) -> None:
        self._used: set[str] = {"./", METADATA_FILE, FILE_LIST}

    def take(self, preferred: str) -> str:
        candidate, counter = preferred, 2
        while candidate in self._used:
            candidate = f"{preferred}-{counter}"
            counter += 1
        self._used.add(candidate)
        return candidate

    def used(self, value: str) -> bool:
        return value in self._used


def _iri(url: str) -> str:
    """``url`` with what an IRI may not hold (spaces, angle brackets, quotes, braces…) percent-encoded."""
    return quote(url, safe="!#$%&'()*+,-./:;=?@[]_~")


def _ref(target: str) -> dict[str, str]:
    return {"@id": target}


def _refs(targets: Iterable[str]) -> list[dict[str, str]]:
    return [_ref(target) for target in targets]


def _dedupe(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


# ---------------------------------------------------------------- rendering


# Crate property -> the model field it is written from (see provenance.Origin), per kind of entity.
_ROOT_FIELDS: dict[str, str | None] = {
    "name": "title",
    "description": "description",
    "license": "licence",
    "datePublished": "release_date",
    "keywords": "keywords",
    "acknowledgement": "acknowledgements",
    "author": "contributors",
    "relatedPublication": "publications",
    "funding": "funding",
    "seeAlso": "links",
    "accessionId": None,  # the context's accession or the placeholder: the package's own
    "doi": None,
    "hasPart": None,
}
_CONTRIBUTOR_FIELDS = {"name": "name", "email": "email", "role": "roles", "memberOf": "affiliation_ids"}
_AFFILIATION_FIELDS = {"name": "name", "address": "address"}
_PUBLICATION_FIELDS = {
    "name": "title",
    "authorNames": "authors",
    "yearPublished": "year",
    "pubmedId": "pubmed_id",
    "doi": "doi",
}
_FUNDER_FIELDS = {"name": "funder"}
_GRANT_FIELDS = {"identifier": "grant_id", "funder": "funder"}
_LINK_FIELDS = {"description": "description"}
_RELATED_FIELDS = {"description": "description", "additionalType": "accession"}
_BIOSAMPLE_FIELDS = {
    "name": "title",
    "description": "biological_entity",
    "organismClassification": "organisms",
    "intrinsicVariableDescription": "intrinsic_variables",
    "extrinsicVariableDescription": "extrinsic_variables",
    "experimentalVariableDescription": "experimental_variables",
}
_PREPARATION_FIELDS = {"name": "title", "description": "sample_preparation_protocol"}
_ACQUISITION_FIELDS = {
    "name": "title",
    "description": "image_acquisition_parameters",
    "imagingInstrumentDescription": "imaging_instrument",
    "imagingMethodName": "imaging_methods",
    "fbbiId": "imaging_methods",
}
_CORRELATION_FIELDS = {
    "name": "title",
    "description": "spatial_temporal_alignment",
    "fiducialsUsed": "fiducials_used",
    "transformationMatrix": "transformation_matrix",
}
_ANALYSIS_FIELDS = {"name": "title", "description": "overview", "featuresAnalysed": "features_analysed"}
_DATASET_FIELDS = {
    "name": "name",
    "description": "description",
    "associatedBiologicalEntity": "biosample_ids",
    "associatedSpecimen": "specimen_ids",
    "associatedSpecimenImagingPreparationProtocol": "specimen_ids",
    "associatedImageAcquisitionProtocol": "acquisition_ids",
    "associatedImageCorrelationMethod": "correlation_ids",
    "associatedImageAnalysisMethod": "analysis_ids",
    "associatedProtocol": "specimen_ids",
}
_SPECIMEN_FIELDS = {"biologicalEntity": "biosample_ids", "imagingPreparationProtocol": "specimen_ids"}
_MIFA_FIELDS = {"name": "title", "description": "overview", "associatedAnnotationMethod": "method"}
_ANNOTATION_METHOD_FIELDS = {
    "name": "title",
    "description": "method",
    "methodType": "annotation_types",
    "annotationCriteria": "criteria",
    "annotationCoverage": "coverage",
}
_PACKAGE_ORIGIN = Origin(None)


class _Identified(Protocol):
    id: str


def _index(items: Iterable[_Identified]) -> dict[str, int]:
    """Position of each object in its model list, by id."""
    return {item.id: position for position, item in enumerate(items)}


class _CrateBuilder:
    def __init__(self, deposition: Deposition, ctx: ExportContext) -> None:
        self.deposition = deposition
        self.ctx = ctx
        self.ids = _Ids()
        self.graph: list[dict[str, object]] = []
        # The components as the BIA receives them: with a correlative study's scene and landmark files.
        self.components = bia_components(with_transform_files(deposition))
        self.origins: dict[str, Origin] = {}  # @id -> what in the draft it was written from
        self.column_groups: dict[str, StudyComponent | AnnotationSet] = {}  # attribute column -> first list using it

    def add(self, entity: dict[str, object], origin: Origin = _PACKAGE_ORIGIN) -> None:
        self.graph.append({key: value for key, value in entity.items() if value not in ("", None, [])})
        self.origins[str(entity["@id"])] = origin

    # -------------------------------------------------------- people

    def people(self) -> list[str]:
        study = self.deposition.study
        affiliations = {affiliation.id: affiliation for affiliation in study.affiliations}
        used = _dedupe(ref for person in study.contributors for ref in person.affiliation_ids if ref in affiliations)
        affiliation_ids: dict[str, str] = {}
        by_ror: dict[str, str] = {}
        pending: list[tuple[str, Affiliation]] = []
        affiliation_index = _index(study.affiliations)
        for key in used:
            affiliation = affiliations[key]
            if affiliation.ror and affiliation.ror in by_ror:  # same organisation twice: one entity
                affiliation_ids[key] = by_ror[affiliation.ror]
                continue
            preferred = affiliation.ror if affiliation.ror.startswith("https://ror.org/") else _local(affiliation.id)
            entity_id = self.ids.take(preferred)
            affiliation_ids[key] = entity_id
            if affiliation.ror:
                by_ror[affiliation.ror] = entity_id
            pending.append((entity_id, affiliation))
        authors = []
        for index, person in enumerate(study.contributors, start=1):
            preferred = f"https://orcid.org/{person.orcid}" if _is_orcid(person.orcid) else f"#contributor-{index}"
            origin = Origin(("study", "contributors", index - 1), _CONTRIBUTOR_FIELDS)
            entity_id = self.ids.take(preferred)
            authors.append(entity_id)
            self.add(
                {
                    "@id": entity_id,
                    "@type": ["Person", "bia:Contributor"],
                    "name": person.name,
                    "email": person.email,
                    "role": _dedupe(role for role in person.roles if role),
                    "memberOf": _refs(
                        _dedupe(affiliation_ids[ref] for ref in person.affiliation_ids if ref in affiliation_ids)
                    ),
                },
                origin,
            )
        for entity_id, affiliation in pending:
            self.add(
                {
                    "@id": entity_id,
                    "@type": ["Organization", "bia:Affiliation"],
                    "name": affiliation.name,
                    "address": affiliation.address,
                },
                Origin(("study", "affiliations", affiliation_index[affiliation.id]), _AFFILIATION_FIELDS),
            )
        return authors

    # -------------------------------------------------------- study-level references

    def publications(self) -> list[str]:
        out = []
        for index, publication in enumerate(self.deposition.study.publications, start=1):
            preferred = (
                _iri(f"https://doi.org/{publication.doi}") if _is_doi(publication.doi) else f"#publication-{index}"
            )
            entity_id = self.ids.take(preferred)
            out.append(entity_id)
            self.add(
                {
                    "@id": entity_id,
                    "@type": ["ScholarlyArticle", "bia:Publication"],
                    "name": publication.title,
                    "authorNames": publication.authors,
                    "yearPublished": publication.year,
                    "pubmedId": publication.pubmed_id,
                    "doi": publication.doi if _is_doi(publication.doi) else "",
                },
                Origin(("study", "publications", index - 1), _PUBLICATION_FIELDS),
            )
        return out

    def funding(self) -> list[str]:
        funders: dict[str, str] = {}
        grants = []
        for index, funding in enumerate(self.deposition.study.funding, start=1):
            if funding.funder not in funders:
                funder_id = self.ids.take(f"#funder-{len(funders) + 1}")
                funders[funding.funder] = funder_id
                self.add(
                    {"@id": funder_id, "@type": ["bia:FundingBody"], "name": funding.funder},
                    Origin(("study", "funding", index - 1), _FUNDER_FIELDS),
                )
            grant_id = self.ids.take(f"#grant-{index}")
            grants.append(grant_id)
            self.add(
                {
                    "@id": grant_id,
                    "@type": ["Grant", "bia:Grant"],
                    "identifier": funding.grant_id,
                    "funder": _refs([funders[funding.funder]]),
                },
                Origin(("study", "funding", index - 1), _GRANT_FIELDS),
            )
        return grants

    def see_also(self) -> list[str]:
        study = self.deposition.study
        refs: list[tuple[str, str, str, Origin]] = []  # (url, description, additionalType, origin)
        for index, link in enumerate(study.links):
            refs.append((link.url, link.description, "", Origin(("study", "links", index), _LINK_FIELDS)))
        related = {item.accession: index for index, item in enumerate(study.related_accessions)}
        components = _index(self.deposition.components)
        empiar = {accession: component for component, accession in self.ctx.empiar_accessions}
        for ref in cross_references(self.deposition, self.ctx).bia:
            if ref.accession in related:
                origin = Origin(("study", "related_accessions", related[ref.accession]), _RELATED_FIELDS)
            elif empiar.get(ref.accession) in components:
                origin = Origin(("components", components[empiar[ref.accession]]))
            else:
                origin = _PACKAGE_ORIGIN
            refs.append((ref.url, f"{ref.description} ({ref.accession})", ref.link_type, origin))
        out = []
        for raw_url, description, kind, origin in refs:
            url = _iri(raw_url)
            if not url or self.ids.used(url):
                continue  # the same page twice, or already the @id of a publication/person
            self.ids.take(url)
            out.append(url)
            self.add(
                {"@id": url, "@type": ["bia:ExternalReference"], "description": description, "additionalType": kind},
                origin,
            )
        return out

    # -------------------------------------------------------- REMBI objects

    def rembi(self) -> dict[tuple[str, str], str]:
        """Write every REMBI object a BIA dataset uses; return (kind, model id) → @id."""
        deposition = self.deposition
        used: dict[str, list[str]] = {
            kind: [] for kind in ("biosample", "specimen", "acquisition", "correlation", "analysis")
        }
        for component in self.components:
            used["biosample"] += component.biosample_ids
            used["specimen"] += component.specimen_ids
            used["acquisition"] += component.acquisition_ids
            used["correlation"] += component.correlation_ids
            used["analysis"] += component.analysis_ids
        wanted = {kind: set(ids) for kind, ids in used.items()}
        ids: dict[tuple[str, str], str] = {}
        position = {
            section: _index(getattr(deposition, section))
            for section in ("biosamples", "specimens", "acquisitions", "correlations", "analyses")
        }
        taxa: dict[str, str] = {}
        for biosample in deposition.biosamples:
            if biosample.id in wanted["biosample"]:
                ids["biosample", biosample.id] = self._biosample(biosample, taxa, position["biosamples"][biosample.id])
        for specimen in deposition.specimens:
            if specimen.id not in wanted["specimen"]:
                continue
            entity_id = self.ids.take(_local(specimen.id))
            ids["specimen", specimen.id] = entity_id
            self.add(
                {
                    "@id": entity_id,
                    "@type": ["bia:SpecimenImagingPreparationProtocol"],
                    "name": specimen.title,
                    "description": specimen.sample_preparation_protocol,
                },
                Origin(("specimens", position["specimens"][specimen.id]), _PREPARATION_FIELDS),
            )
            if specimen.growth_protocol:
                growth_id = self.ids.take(_local(f"growth-{specimen.id}"))
                ids["growth", specimen.id] = growth_id
                self.add(
                    {
                        "@id": growth_id,
                        "@type": ["bia:Protocol"],
                        "name": f"Growth protocol: {specimen.title}",
                        "description": specimen.growth_protocol,
                    },
                    Origin(("specimens", position["specimens"][specimen.id], "growth_protocol")),
                )
        for acquisition in deposition.acquisitions:
            if acquisition.id not in wanted["acquisition"]:
                continue
            entity_id = self.ids.take(_local(acquisition.id))
            ids["acquisition", acquisition.id] = entity_id
            self.add(
                {
                    "@id": entity_id,
                    "@type": ["bia:ImageAcquisitionProtocol"],
                    "name": acquisition.title,
                    "description": acquisition.image_acquisition_parameters,
                    "imagingInstrumentDescription": acquisition.imaging_instrument,
                    "imagingMethodName": _dedupe(_method_label(term) for term in acquisition.imaging_methods),
                    "fbbiId": _dedupe(term.id for term in acquisition.imaging_methods if term.is_term),
                },
                Origin(("acquisitions", position["acquisitions"][acquisition.id]), _ACQUISITION_FIELDS),
            )
        for correlation in deposition.correlations:
            if correlation.id not in wanted["correlation"]:
                continue
            entity_id = self.ids.take(_local(correlation.id))
            ids["correlation", correlation.id] = entity_id
            self.add(
                {
                    "@id": entity_id,
                    "@type": ["bia:ImageCorrelationMethod"],
                    "name": correlation.title,
                    "description": correlation.spatial_temporal_alignment,
                    "fiducialsUsed": correlation.fiducials_used,
                    "transformationMatrix": transformation_text(deposition, correlation),
                },
                Origin(("correlations", position["correlations"][correlation.id]), _CORRELATION_FIELDS),
            )
        for analysis in deposition.analyses:
            if analysis.id not in wanted["analysis"]:
                continue
            entity_id = self.ids.take(_local(analysis.id))
            ids["analysis", analysis.id] = entity_id
            self.add(
                {
                    "@id": entity_id,
                    "@type": ["bia:ImageAnalysisMethod"],
                    "name": analysis.title,
                    "description": analysis.overview,
                    "featuresAnalysed": analysis.features_analysed,
                },
                Origin(("analyses", position["analyses"][analysis.id]), _ANALYSIS_FIELDS),
            )
        return ids

    def _biosample(self, biosample: Biosample, taxa: dict[str, str], position: int) -> str:
        entity_id = self.ids.take(_local(biosample.id))
        taxon_ids = []
        for organism_index, organism in enumerate(biosample.organisms):
            term = vocab.organisms().get(organism.id) if organism.is_term else None
            key = term.iri if term is not None else f"label:{organism.label}"
            if key not in taxa:
                taxon_id = self.ids.take(term.iri if term is not None else _local(f"taxon-{organism.label}"))
                taxa[key] = taxon_id
                self.add(
                    {
                        "@id": taxon_id,
                        "@type": ["bia:Taxon"],
                        "scientificName": term.label if term is not None else organism.label,
                        "commonName": term.common_name if term is not None else "",
                    },
                    Origin(("biosamples", position, "organisms", organism_index)),
                )
            taxon_ids.append(taxa[key])
        description = "\n\n".join(part for part in (biosample.biological_entity, biosample.description) if part)
        self.add(
            {
                "@id": entity_id,
                "@type": ["bia:BioSample"],
                "name": biosample.title,
                "description": description,
                "organismClassification": _refs(_dedupe(taxon_ids)),
                "intrinsicVariableDescription": [v for v in biosample.intrinsic_variables if v],
                "extrinsicVariableDescription": [v for v in biosample.extrinsic_variables if v],
                "experimentalVariableDescription": [v for v in biosample.experimental_variables if v],
            },
            Origin(("biosamples", position), _BIOSAMPLE_FIELDS),
        )
        return entity_id

    # -------------------------------------------------------- datasets

    def datasets(self, rembi: dict[tuple[str, str], str]) -> tuple[list[str], dict[str, str]]:
        """Write one dataset per BIA component and annotation set; return @ids and model id → @id."""
        out: list[str] = []
        dataset_ids: dict[str, str] = {}

        def pick(kind: str, refs: list[str]) -> list[str]:
            return _dedupe(rembi[kind, ref] for ref in refs if (kind, ref) in rembi)

        positions = _index(self.deposition.components)
        annotation_positions = _index(self.deposition.annotations)
        for component in self.components:
            location = ("components", positions[component.id])
            entity_id = self.ids.take(_local(component.id))
            out.append(entity_id)
            dataset_ids[component.id] = entity_id
            biosamples = pick("biosample", component.biosample_ids)
            preparations = pick("specimen", component.specimen_ids)
            specimen_id = ""
            if biosamples and preparations:
                specimen_id = self.ids.take(_local(f"specimen-of-{component.id}"))
            self.add(
                {
                    "@id": entity_id,
                    "@type": ["Dataset", "bia:Dataset", "bia:RembiDataset"],
                    "name": component.name,
                    "description": component.description,
                    "associatedBiologicalEntity": _refs(biosamples),
                    "associatedSpecimen": _ref(specimen_id) if specimen_id else None,
                    "associatedSpecimenImagingPreparationProtocol": _refs(preparations),
                    "associatedImageAcquisitionProtocol": _refs(pick("acquisition", component.acquisition_ids)),
                    "associatedImageCorrelationMethod": _refs(pick("correlation", component.correlation_ids)),
                    "associatedImageAnalysisMethod": _refs(pick("analysis", component.analysis_ids)),
                    "associatedProtocol": _refs(pick("growth", component.specimen_ids)),
                },
                Origin(location, _DATASET_FIELDS),
            )
            if specimen_id:
                self.add(
                    {
                        "@id": specimen_id,
                        "@type": ["bia:Specimen"],
                        "biologicalEntity": _refs(biosamples),
                        "imagingPreparationProtocol": _refs(preparations),
                    },
                    Origin(location, _SPECIMEN_FIELDS),
                )
        for annotation in self.deposition.annotations:
            entity_id = self.ids.take(_local(annotation.id))
            method_id = self.ids.take(_local(f"method-{annotation.id}"))
            out.append(entity_id)
            dataset_ids[annotation.id] = entity_id
            annotation_location = ("annotations", annotation_positions[annotation.id])
            self.add(
                {
                    "@id": entity_id,
                    "@type": ["Dataset", "bia:Dataset", "bia:MifaDataset"],
                    "name": annotation.title,
                    "description": annotation.overview,
                    "associatedAnnotationMethod": _refs([method_id]),
                },
                Origin(annotation_location, _MIFA_FIELDS),
            )
            self.add(
                {
                    "@id": method_id,
                    "@type": ["bia:AnnotationMethod"],
                    "name": annotation.title,
                    "description": annotation.method,
                    "methodType": list(annotation.annotation_types),
                    "annotationCriteria": annotation.criteria,
                    "annotationCoverage": annotation.coverage,
                },
                Origin(annotation_location, _ANNOTATION_METHOD_FIELDS),
            )
        return out, dataset_ids

    # -------------------------------------------------------- file list

    def file_list(self, dataset_ids: dict[str, str]) -> bytes:
        groups: list[tuple[StudyComponent | AnnotationSet, bool]] = [(c, False) for c in self.components]
        groups += [(a, True) for a in self.deposition.annotations]
        extra: list[str] = []
        seen_keys: set[str] = set()
        self.column_groups.clear()
        for group, _ in groups:
            for entry in group.files:
                for key in entry.attributes:
                    if key not in seen_keys:
                        seen_keys.add(key)
                        if not is_source_image_key(key):
                            extra.append(key)
                            self.column_groups[key] = group
        # Only files that carry a source-image attribute need parsing (usually annotation files).
        entry_sources = (
            {
                id(entry): source_images(entry)
                for group, _ in groups
                for entry in group.files
                if any(is_source_image_key(key) for key in entry.attributes)
            }
            if len(extra) < len(seen_keys)
            else {}
        )
        sources = {path for paths in entry_sources.values() for path in paths}
        with_sources = bool(sources)
        header = [name for name, _ in _BUILT_IN_COLUMNS] + (["source_image"] if with_sources else []) + extra
        self._schema(header, with_sources, extra)

        def rows() -> Iterator[list[str]]:
            # One pass per file, 100,000 times in a large study: plain loop, is_image_path inlined.
            yield header
            for group, is_annotation in groups:
                dataset = dataset_ids[group.id]
                for entry in group.files:
                    path = entry.deposit_path or entry.path
                    if is_annotation:
                        kind = ANNOTATION_TYPE
                    elif path in sources:
                        kind = IMAGE_TYPE
                    else:
                        dot = path.rfind(".")
                        image = dot <= path.rfind("/") + 1 or path[dot:].casefold() not in NON_IMAGE_EXTENSIONS
                        kind = IMAGE_TYPE if image else ""
                    row = [path, "" if entry.size_bytes is None else str(entry.size_bytes), dataset, kind]
                    if with_sources:
                        row.append(", ".join(entry_sources.get(id(entry), ())))
                    if extra:
                        attributes = entry.attributes
                        row += [attributes.get(key, "") for key in extra]
                    yield row

        return _tsv_text(rows, len(header))

    def _schema(self, header: list[str], with_sources: bool, extra: list[str]) -> None:
        columns = list(_BUILT_IN_COLUMNS) + ([_SOURCE_COLUMN] if with_sources else []) + [(key, "") for key in extra]
        assert [name for name, _ in columns] == header
        column_ids = []
        for name, property_url in columns:
            column_id = self.ids.take(_local(f"col-{name}" if property_url else f"col-attribute-{name}"))
            column_ids.append(column_id)
            group = None if property_url else self.column_groups.get(name)
            self.add(
                {"@id": column_id, "@type": ["csvw:Column"], "columnName": name, "propertyUrl": property_url},
                Origin(self._files_location(group)) if group is not None else _PACKAGE_ORIGIN,
            )
        schema_id = self.ids.take("#file-list-schema")
        self.add({"@id": schema_id, "@type": ["csvw:Schema"], "column": _refs(column_ids)})
        self.add(
            {
                "@id": FILE_LIST,
                "@type": ["File", "bia:FileList", "csvw:Table"],
                "name": "File list",
                "encodingFormat": "text/tab-separated-values",
                "tableSchema": _ref(schema_id),
            }
        )

    def _files_location(self, group: StudyComponent | AnnotationSet) -> tuple[str | int, ...]:
        section = "components" if isinstance(group, StudyComponent) else "annotations"
        items: Sequence[StudyComponent | AnnotationSet] = getattr(self.deposition, section)
        return (section, next(index for index, item in enumerate(items) if item.id == group.id), "files")

    # -------------------------------------------------------- whole crate

    def build(self) -> Rendered:
        study = self.deposition.study
        authors = self.people()
        publications = self.publications()
        grants = self.funding()
        see_also = self.see_also()
        rembi = self.rembi()
        datasets, dataset_ids = self.datasets(rembi)
        file_list = self.file_list(dataset_ids)
        licence = vocab.licences().get(study.licence) if study.licence else None
        accession = self.ctx.bia_accession
        root = {
            "@id": "./",
            "@type": ["Dataset", "bia:Study"],
            "name": study.title,
            "description": study.description,
            "license": licence.iri if licence is not None else study.licence,
            "datePublished": study.release_date.isoformat() if study.release_date else "",
            "keywords": _dedupe(keyword for keyword in study.keywords if keyword),
            "acknowledgement": study.acknowledgements,
            "accessionId": accession,
            "doi": f"10.6019/{accession}" if self.ctx.has_bia_accession else "",
            "author": _refs(authors),
            "hasPart": _refs([FILE_LIST, *datasets]),
            "relatedPublication": _refs(publications),
            "funding": _refs(grants),
            "seeAlso": _refs(see_also),
        }
        descriptor: dict[str, object] = {
            "@id": METADATA_FILE,
            "@type": "CreativeWork",
            "conformsTo": _ref("https://w3id.org/ro/crate/1.1"),
            "about": _ref("./"),
        }
        if not self.ctx.has_bia_accession:
            descriptor["description"] = PLACEHOLDER_NOTE.format(accession=accession)
        root_clean = {key: value for key, value in root.items() if value not in ("", None, [])}
        self.origins["./"] = Origin(("study",), _ROOT_FIELDS)
        self.origins[METADATA_FILE] = _PACKAGE_ORIGIN
        document = {
            "@context": [RO_CRATE_CONTEXT, bia_context()],
            "@graph": [descriptor, root_clean, *self.graph],
        }
        text = json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        return {METADATA_FILE: text.encode("utf-8"), FILE_LIST: file_list}


def _method_label(term: OntologyTerm) -> str:
    found = vocab.imaging_methods().get(term.id) if term.is_term else None
    return found.label if found is not None else term.label


def _is_orcid(value: str) -> bool:
    from ..identifiers import IdentifierError, parse_orcid

    try:
        return parse_orcid(value) == value
    except IdentifierError:
        return False


def _is_doi(value: str) -> bool:
    from ..identifiers import DOI_PATTERN

    return bool(value) and bool(DOI_PATTERN.match(value))


def render(deposition: Deposition, ctx: ExportContext) -> Rendered:
    """Render the BIA RO-Crate of ``deposition``.

    Parameters
    ----------
    deposition
        A deposition without blocking problems (:func:`~..rules.check_deposition`); with
        problems the crate is still written but may not validate.
    ctx
        Export date, BIA accession (or the placeholder) and known EMPIAR accessions.

    Returns
    -------
    Rendered
        ``ro-crate-metadata.json`` and ``file_list.tsv`` (paths relative to the crate root,
        which is the root the file list's paths are relative to); empty when nothing goes to
        the BIA.
    """
    if not has_crate(deposition):
        return {}
    return _CrateBuilder(deposition, ctx).build()


def origins(deposition: Deposition, ctx: ExportContext) -> dict[str, Origin]:
    """What in the draft each entity of the crate was written from, by ``@id``.

    Builds the crate as :func:`render` does (same ids, since the build is deterministic) and
    returns the origins it recorded, for mapping the validator's messages back to fields
    (:mod:`.check_locations`). File-list rows are not listed: a row is found by its path.

    Parameters
    ----------
    deposition, ctx
        As given to :func:`render`.

    Returns
    -------
    dict
        ``@id`` → :class:`~.provenance.Origin`; empty when nothing goes to the BIA.
    """
    if not has_crate(deposition):
        return {}
    builder = _CrateBuilder(deposition, ctx)
    builder.build()
    return builder.origins
