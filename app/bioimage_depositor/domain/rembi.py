"""REMBI metadata objects: the study and the reusable sample, preparation and imaging records.

REMBI (Recommended Metadata for Biological Images) describes a study by a small
set of modules. Biosamples, specimens, acquisitions, correlations and analyses
are described once and *referenced by id* from study components, because the
BIA resolves associations between them by exact title and curators spend hours
repairing copies that drifted apart. Field names follow REMBI; the PageTab and
RO-Crate spellings are produced by the exporters.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field

from .base import Id, Model, new_id, normalised
from .correlation_model import AffineTransform, CoordinateSystem
from .identifiers import parse_accession, parse_doi, parse_email, parse_orcid, parse_pubmed_id, parse_ror
from .text import Block, Line

Orcid = Annotated[str, normalised(parse_orcid)]
Ror = Annotated[str, normalised(parse_ror)]
Doi = Annotated[str, normalised(parse_doi)]
PubmedId = Annotated[str, normalised(parse_pubmed_id)]
Email = Annotated[str, normalised(parse_email)]
Accession = Annotated[str, normalised(parse_accession)]

#: Roles offered for contributors (the BIA form's list, in REMBI wording).
CONTRIBUTOR_ROLES = (
    "corresponding author",
    "principal investigator",
    "submitter",
    "first author",
    "data acquisition",
    "data curation",
    "data analyst",
    "software development",
    "experiment performer",
)


class OntologyTerm(Model):
    """A value from a controlled vocabulary; ``id`` is empty when the user typed free text."""

    id: Line = ""  # canonical CURIE: "NCBITaxon:9606", "FBbi:00000251"
    label: Line = ""

    @property
    def is_term(self) -> bool:
        """Whether this value was picked from a vocabulary rather than typed freely."""
        return bool(self.id)


class Affiliation(Model):
    """An organisation contributors belong to (PageTab ``organization``)."""

    id: Id = Field(default_factory=lambda: new_id("org"))
    name: Line = ""
    address: Line = ""
    country: Line = ""  # ISO 3166-1 alpha-2, as EMPIAR requires
    ror: Ror = ""


class Contributor(Model):
    """A person credited in the study."""

    name: Line = ""
    orcid: Orcid = ""
    email: Email = ""
    roles: list[Line] = Field(default_factory=list)
    affiliation_ids: list[Id] = Field(default_factory=list)


class Funding(Model):
    """A funder and grant that supported the work."""

    funder: Line = ""
    grant_id: Line = ""


class Publication(Model):
    """A paper or preprint that describes the data."""

    title: Line = ""
    authors: Line = ""
    doi: Doi = ""
    pubmed_id: PubmedId = ""
    year: int | None = None
    preprint: bool = False


class RelatedLink(Model):
    """A web page that belongs with the study (code, protocols, project page)."""

    url: Line = ""
    description: Line = ""


class RelatedAccession(Model):
    """An entry in another archive this study relates to (S-BIAD…, EMPIAR-…, EMD-…)."""

    accession: Accession = ""
    description: Line = ""


class Study(Model):
    """The study: what was done, by whom, under which licence, released when."""

    title: Line = ""
    description: Block = ""
    keywords: list[Line] = Field(default_factory=list)
    licence: Line = ""  # a licence id from the bundled BIA list: "CC0", "CC BY 4.0"
    release_date: dt.date | None = None
    acknowledgements: Block = ""
    contributors: list[Contributor] = Field(default_factory=list)
    affiliations: list[Affiliation] = Field(default_factory=list)
    funding: list[Funding] = Field(default_factory=list)
    publications: list[Publication] = Field(default_factory=list)
    links: list[RelatedLink] = Field(default_factory=list)
    related_accessions: list[RelatedAccession] = Field(default_factory=list)


class Biosample(Model):
    """What was imaged: the organism and the biological entity, with its variables."""

    id: Id = Field(default_factory=lambda: new_id("biosample"))
    title: Line = ""
    description: Block = ""
    organisms: list[OntologyTerm] = Field(default_factory=list)
    biological_entity: Block = ""
    intrinsic_variables: list[Line] = Field(default_factory=list)
    extrinsic_variables: list[Line] = Field(default_factory=list)
    experimental_variables: list[Line] = Field(default_factory=list)


class Specimen(Model):
    """How the biosample was grown and prepared for imaging."""

    id: Id = Field(default_factory=lambda: new_id("specimen"))
    title: Line = ""
    sample_preparation_protocol: Block = ""
    growth_protocol: Block = ""


class ImageAcquisition(Model):
    """How the images were taken: instrument, imaging method, parameters."""

    id: Id = Field(default_factory=lambda: new_id("acquisition"))
    title: Line = ""
    imaging_instrument: Block = ""
    imaging_methods: list[OntologyTerm] = Field(default_factory=list)
    image_acquisition_parameters: Block = ""


class ImageCorrelation(Model):
    """How images of different modalities were brought into one coordinate space."""

    id: Id = Field(default_factory=lambda: new_id("correlation"))
    title: Line = ""
    spatial_temporal_alignment: Block = ""
    fiducials_used: Block = ""
    transformation_matrix: Block = ""  # free text as the archives take it (file path, short matrix)
    # Structured form, written to the OME-NGFF 0.6 scene (see correlation_model); empty in older drafts.
    coordinate_systems: list[CoordinateSystem] = Field(default_factory=list)
    transforms: list[AffineTransform] = Field(default_factory=list)


class ImageAnalysis(Model):
    """How the images were analysed to reach the published results."""

    id: Id = Field(default_factory=lambda: new_id("analysis"))
    title: Line = ""
    overview: Block = ""
    features_analysed: Block = ""


#: MIFA annotation types, as the BIA's data model names them (``methodType``).
ANNOTATION_TYPES = (
    "class_labels",
    "bounding_boxes",
    "counts",
    "derived_annotations",
    "geometrical_annotations",
    "graphs",
    "point_annotations",
    "segmentation_mask",
    "tracks",
    "weak_annotations",
    "other",
)

AnnotationType = Literal[
    "class_labels",
    "bounding_boxes",
    "counts",
    "derived_annotations",
    "geometrical_annotations",
    "graphs",
    "point_annotations",
    "segmentation_mask",
    "tracks",
    "weak_annotations",
    "other",
]
