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
Files of both                  rows of ``file_list.tsv``
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
from collections.abc import Iterable
from urllib.parse import quote

from ...paths import resource_path
from .. import vocab
from ..deposition import AnnotationSet, Deposition, FileEntry, StudyComponent
from ..rembi import Affiliation, Biosample, OntologyTerm
from .base import ExportContext, Rendered
from .crossrefs import cross_references, transformation_text

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


class _CrateBuilder:
    def __init__(self, deposition: Deposition, ctx: ExportContext) -> None:
        self.deposition = deposition
        self.ctx = ctx
        self.ids = _Ids()
        self.graph: list[dict[str, object]] = []
        self.components = bia_components(deposition)

    def add(self, entity: dict[str, object]) -> None:
        self.graph.append({key: value for key, value in entity.items() if value not in ("", None, [])})

    # -------------------------------------------------------- people

    def people(self) -> list[str]:
        study = self.deposition.study
        affiliations = {affiliation.id: affiliation for affiliation in study.affiliations}
        used = _dedupe(ref for person in study.contributors for ref in person.affiliation_ids if ref in affiliations)
        affiliation_ids: dict[str, str] = {}
        by_ror: dict[str, str] = {}
        pending: list[tuple[str, Affiliation]] = []
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
                }
            )
        for entity_id, affiliation in pending:
            self.add(
                {
                    "@id": entity_id,
                    "@type": ["Organization", "bia:Affiliation"],
                    "name": affiliation.name,
                    "address": affiliation.address,
                }
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
                }
            )
        return out

    def funding(self) -> list[str]:
        funders: dict[str, str] = {}
        grants = []
        for index, funding in enumerate(self.deposition.study.funding, start=1):
            if funding.funder not in funders:
                funder_id = self.ids.take(f"#funder-{len(funders) + 1}")
                funders[funding.funder] = funder_id
                self.add({"@id": funder_id, "@type": ["bia:FundingBody"], "name": funding.funder})
            grant_id = self.ids.take(f"#grant-{index}")
            grants.append(grant_id)
            self.add(
                {
                    "@id": grant_id,
                    "@type": ["Grant", "bia:Grant"],
                    "identifier": funding.grant_id,
                    "funder": _refs([funders[funding.funder]]),
                }
            )
        return grants

    def see_also(self) -> list[str]:
        refs: list[tuple[str, str, str]] = []  # (url, description, additionalType)
        for link in self.deposition.study.links:
            refs.append((link.url, link.description, ""))
        for ref in cross_references(self.deposition, self.ctx).bia:
            refs.append((ref.url, f"{ref.description} ({ref.accession})", ref.link_type))
        out = []
        for raw_url, description, kind in refs:
            url = _iri(raw_url)
            if not url or self.ids.used(url):
                continue  # the same page twice, or already the @id of a publication/person
            self.ids.take(url)
            out.append(url)
            self.add(
                {"@id": url, "@type": ["bia:ExternalReference"], "description": description, "additionalType": kind}
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
        taxa: dict[str, str] = {}
        for biosample in deposition.biosamples:
            if biosample.id in wanted["biosample"]:
                ids["biosample", biosample.id] = self._biosample(biosample, taxa)
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
                }
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
                    }
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
                }
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
                }
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
                }
            )
        return ids

    def _biosample(self, biosample: Biosample, taxa: dict[str, str]) -> str:
        entity_id = self.ids.take(_local(biosample.id))
        taxon_ids = []
        for organism in biosample.organisms:
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
                    }
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
            }
        )
        return entity_id

    # -------------------------------------------------------- datasets

    def datasets(self, rembi: dict[tuple[str, str], str]) -> tuple[list[str], dict[str, str]]:
        """Write one dataset per BIA component and annotation set; return @ids and model id → @id."""
        out: list[str] = []
        dataset_ids: dict[str, str] = {}

        def pick(kind: str, refs: list[str]) -> list[str]:
            return _dedupe(rembi[kind, ref] for ref in refs if (kind, ref) in rembi)

        for component in self.components:
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
                }
            )
            if specimen_id:
                self.add(
                    {
                        "@id": specimen_id,
                        "@type": ["bia:Specimen"],
                        "biologicalEntity": _refs(biosamples),
                        "imagingPreparationProtocol": _refs(preparations),
                    }
                )
        for annotation in self.deposition.annotations:
            entity_id = self.ids.take(_local(annotation.id))
            method_id = self.ids.take(_local(f"method-{annotation.id}"))
            out.append(entity_id)
            dataset_ids[annotation.id] = entity_id
            self.add(
                {
                    "@id": entity_id,
                    "@type": ["Dataset", "bia:Dataset", "bia:MifaDataset"],
                    "name": annotation.title,
                    "description": annotation.overview,
                    "associatedAnnotationMethod": _refs([method_id]),
                }
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
                }
            )
        return out, dataset_ids

    # -------------------------------------------------------- file list

    def file_list(self, dataset_ids: dict[str, str]) -> bytes:
        groups: list[tuple[StudyComponent | AnnotationSet, bool]] = [(c, False) for c in self.components]
        groups += [(a, True) for a in self.deposition.annotations]
        extra: list[str] = []
        seen_keys: set[str] = set()
        for group, _ in groups:
            for entry in group.files:
                for key in entry.attributes:
                    if key not in seen_keys:
                        seen_keys.add(key)
                        if not is_source_image_key(key):
                            extra.append(key)
        # Only files that carry a source-image attribute need parsing (usually annotation files).
        entry_sources = {
            id(entry): source_images(entry)
            for group, _ in groups
            for entry in group.files
            if len(extra) < len(seen_keys) and any(is_source_image_key(key) for key in entry.attributes)
        }
        sources = {path for paths in entry_sources.values() for path in paths}
        with_sources = bool(sources)
        header = [name for name, _ in _BUILT_IN_COLUMNS] + (["source_image"] if with_sources else []) + extra
        rows: list[list[str]] = []
        for group, is_annotation in groups:
            dataset = dataset_ids[group.id]
            for entry in group.files:
                path = entry.deposited_path
                if is_annotation:
                    kind = ANNOTATION_TYPE
                elif path in sources or is_image_path(path):
                    kind = IMAGE_TYPE
                else:
                    kind = ""
                row = [path, "" if entry.size_bytes is None else str(entry.size_bytes), dataset, kind]
                if with_sources:
                    row.append(", ".join(entry_sources.get(id(entry), ())))
                attributes = entry.attributes
                row += [attributes.get(key, "") for key in extra]
                rows.append(row)
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(header)
        writer.writerows(rows)
        self._schema(header, with_sources, extra)
        return buffer.getvalue().encode("utf-8")

    def _schema(self, header: list[str], with_sources: bool, extra: list[str]) -> None:
        columns = list(_BUILT_IN_COLUMNS) + ([_SOURCE_COLUMN] if with_sources else []) + [(key, "") for key in extra]
        assert [name for name, _ in columns] == header
        column_ids = []
        for name, property_url in columns:
            column_id = self.ids.take(_local(f"col-{name}" if property_url else f"col-attribute-{name}"))
            column_ids.append(column_id)
            self.add({"@id": column_id, "@type": ["csvw:Column"], "columnName": name, "propertyUrl": property_url})
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
