"""EMPIAR deposition JSON, one ``deposition.json`` per study component that goes to EMPIAR.

The JSON must pass the schema shipped in ``empiar-depositor`` (draft-07) *and* what that
schema misses (``empiar.md`` §4). How each value is built:

* ``title``: the study title; with several EMPIAR components, ``"<study title> – <component>"``.
* ``authors``: every contributor, in order, as ``"('Surname', 'Initials')"``
  (:mod:`..empiar_format`: how names are split, and why apostrophes become ’), with
  ``author_orcid`` only for a checksum-valid ORCID iD.
* ``corresponding_author``: the contributor with the role "corresponding author", else the
  first with an e-mail address; ``principal_investigator``: every contributor with the role
  "principal investigator", else the corresponding author. Both are in ``authors`` (all
  contributors are). Organisation, country and street come from the person's first
  affiliation that has a country (``GB``, never ``UK``).
* ``release_date``, ``experiment_type``, ``scale`` (a *string*): from the component's EMPIAR entry.
* ``imagesets``: tuple strings built only from the code tables of :mod:`..empiar_fields`.
  For a correlative study each set's ``details`` ends with a sentence naming the BIA study
  (accession from the context, or "not assigned yet") and the NGFF scene's path in the upload
  (``data/correlation/…``).
* ``citation``: one per publication (``published`` = has a DOI or PubMed id and is not a
  preprint; ``preprint`` from the model; both always written because of the schema's duplicate
  ``published`` key). Without a publication EMPIAR still needs one citation: the study itself,
  unpublished, by all authors.
* references: ``biostudies_references`` (the BIA accession of a correlative study, once known,
  and related S- accessions), ``cross_references`` (EMD-), ``empiar_references`` (related
  EMPIAR entries and sibling components' known accessions), ``idr_references``.

Rules that keep this valid are in :func:`bioimage_depositor.domain.rules.check_deposition`
(EMPIAR section); this renderer does not repeat them.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..deposition import Deposition, StudyComponent
from ..empiar_fields import DATA_FORMATS, HEADER_FORMATS, IMAGESET_CATEGORIES, VOXEL_TYPES, EmpiarImageSet
from ..empiar_format import PersonName, choice_tuple, citation_authors, empiar_doi, split_name
from ..identifiers import IdentifierError, parse_orcid
from ..rembi import Affiliation, Contributor, Study
from .base import ExportContext, Rendered
from .crossrefs import (
    CrossReference,
    accession_url,
    correlation_provenance_paths,
    cross_references,
    transform_upload_paths,
)

DEPOSITION_FILE = "deposition.json"
CORRESPONDING = "corresponding author"
PRINCIPAL = "principal investigator"
MAX_TITLE = 255


def empiar_components(deposition: Deposition) -> list[StudyComponent]:
    """The study components that go to EMPIAR, in model order."""
    return [component for component in deposition.components if component.archive == "EMPIAR"]


def entry_paths(deposition: Deposition) -> dict[str, str]:
    """Path of each component's ``deposition.json`` inside this renderer's folder, by component id."""
    taken: set[str] = set()
    out = {}
    for component in empiar_components(deposition):
        base = re.sub(r"[^A-Za-z0-9_-]+", "_", component.id).strip("_") or "entry"
        name, counter = base, 2
        while name in taken:
            name = f"{base}_{counter}"
            counter += 1
        taken.add(name)
        out[component.id] = f"{name}/{DEPOSITION_FILE}"
    return out


def entry_title(deposition: Deposition, component: StudyComponent) -> str:
    """The EMPIAR ``title`` of a component's entry."""
    if len(empiar_components(deposition)) > 1:
        return f"{deposition.study.title} – {component.name}"
    return deposition.study.title


def corresponding_author(study: Study) -> Contributor | None:
    """The contributor EMPIAR lists as corresponding author (role first, else the first with an e-mail)."""
    for person in study.contributors:
        if CORRESPONDING in person.roles:
            return person
    return next((person for person in study.contributors if person.email), None)


def principal_investigators(study: Study) -> list[Contributor]:
    """The contributors EMPIAR lists as principal investigators (role, else the corresponding author)."""
    found = [person for person in study.contributors if PRINCIPAL in person.roles]
    if found:
        return found
    corresponding = corresponding_author(study)
    return [corresponding] if corresponding is not None else []


def contact_affiliation(study: Study, person: Contributor) -> Affiliation | None:
    """The affiliation a contact's organisation and country come from: the first one with a country."""
    affiliations = {affiliation.id: affiliation for affiliation in study.affiliations}
    mine = [affiliations[ref] for ref in person.affiliation_ids if ref in affiliations]
    return next((affiliation for affiliation in mine if affiliation.country), mine[0] if mine else None)


def _orcid(value: str) -> str | None:
    if not value:
        return None
    try:
        return parse_orcid(value)
    except IdentifierError:
        return None


def _author(name: PersonName, order: int, orcid: str | None) -> dict[str, Any]:
    return {"name": name.tuple_string(), "order_id": order, "author_orcid": orcid}


def _person(study: Study, person: Contributor) -> dict[str, Any]:
    name = split_name(person.name)
    affiliation = contact_affiliation(study, person)
    country = affiliation.country.upper() if affiliation else ""
    country = "GB" if country == "UK" else country  # rules report UK; EMPIAR's enum has only GB
    out: dict[str, Any] = {
        "author_orcid": _orcid(person.orcid),
        "first_name": name.given,
        "middle_name": None,
        "last_name": name.surname,
        "organization": affiliation.name if affiliation else "",
        "street": (affiliation.address or None) if affiliation else None,
        "state_or_province": None,
        "telephone": None,
        "fax": None,
        "email": person.email,
        "country": country,
    }
    return out


def _choice(code: str, other: str) -> str:
    return choice_tuple(code, other)


def _image_set(image_set: EmpiarImageSet, extra_details: str) -> dict[str, Any]:
    for field_name, table in (
        ("category", IMAGESET_CATEGORIES),
        ("header_format", HEADER_FORMATS),
        ("data_format", DATA_FORMATS),
        ("voxel_type", VOXEL_TYPES),
    ):
        if getattr(image_set, field_name) not in table:
            raise ValueError(f"EMPIAR {field_name} {getattr(image_set, field_name)!r} is not a known code")
    details = " ".join(part for part in (image_set.details.strip(), extra_details) if part)
    return {
        "name": image_set.name,
        "directory": image_set.directory,
        "category": _choice(image_set.category, image_set.category_other),
        "header_format": _choice(image_set.header_format, image_set.header_format_other),
        "data_format": _choice(image_set.data_format, image_set.data_format_other),
        "num_images_or_tilt_series": image_set.num_images_or_tilt_series,
        "frames_per_image": image_set.frames_per_image,
        "frame_range_min": None,
        "frame_range_max": None,
        "voxel_type": _choice(image_set.voxel_type, image_set.voxel_type_other),
        "pixel_width": image_set.pixel_width,
        "pixel_height": image_set.pixel_height,
        "details": details or None,
        "micrographs_file_pattern": None,
        "picked_particles_file_pattern": None,
        "picked_particles_directory": None,
        "image_width": image_set.image_width,
        "image_height": image_set.image_height,
    }


def _known_orcid(study: Study, name: PersonName) -> str | None:
    """The ORCID of the contributor a citation name stands for (same surname and first initial), if any."""
    for person in study.contributors:
        own = split_name(person.name)
        if own.surname.casefold() == name.surname.casefold() and own.initials[:1] == name.initials[:1]:
            return _orcid(person.orcid)
    return None


def _citations(study: Study, authors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    citations = []
    for publication in study.publications:
        names = citation_authors(publication.authors)
        cited = (
            [_author(name, index, _known_orcid(study, name)) for index, name in enumerate(names)] if names else authors
        )
        doi = publication.doi if publication.doi and empiar_doi(publication.doi) else None
        citations.append(
            _citation(
                cited,
                publication.title,
                published=bool(publication.doi or publication.pubmed_id) and not publication.preprint,
                preprint=publication.preprint,
                year=publication.year,
                doi=doi,
                pubmedid=publication.pubmed_id or None,
            )
        )
    if not citations:
        citations.append(
            _citation(
                authors,
                study.title[:MAX_TITLE],
                published=False,
                preprint=False,
                details="Publication in preparation; this citation describes the deposited study.",
            )
        )
    return citations


def _citation(
    authors: list[dict[str, Any]],
    title: str,
    *,
    published: bool,
    preprint: bool,
    year: int | None = None,
    doi: str | None = None,
    pubmedid: str | None = None,
    details: str | None = None,
) -> dict[str, Any]:
    return {
        "authors": authors,
        "editors": [],
        "published": published,
        "preprint": preprint,
        "j_or_nj_citation": True,
        "title": title,
        "volume": None,
        "country": None,
        "first_page": None,
        "last_page": None,
        "year": year,
        "language": None,
        "doi": doi,
        "pubmedid": pubmedid,
        "details": details,
        "book_chapter_title": None,
        "publisher": None,
        "publication_location": None,
        "journal": None,
        "journal_abbreviation": None,
        "issue": None,
    }


def _references(refs: tuple[CrossReference, ...], archive: str) -> list[dict[str, str]]:
    return [{"name": ref.accession} for ref in refs if ref.archive == archive]


def correlative_details(deposition: Deposition, component: StudyComponent, ctx: ExportContext) -> str:
    """The sentence appended to each image set's ``details`` in a correlative study ("" otherwise)."""
    if not deposition.correlative or "BIA" not in deposition.archives():
        return ""
    if ctx.has_bia_accession:
        bia = (
            f"Light microscopy of the same samples: BioImage Archive study {ctx.bia_accession} "
            f"({accession_url('BioStudies', ctx.bia_accession)})."
        )
    else:
        bia = "Light microscopy of the same samples: BioImage Archive study (accession not assigned yet)."
    paths = transform_upload_paths(deposition, "EMPIAR")
    scenes = [paths[ref] for ref in component.correlation_ids if ref in paths]
    if not scenes:
        return bia
    kept = [
        f"data/{path}"
        for correlation in deposition.correlations
        if correlation.id in component.correlation_ids and correlation.id in paths
        for path in correlation_provenance_paths(deposition, correlation)
    ]
    landmarks = f" Landmark and tool files: {', '.join(dict.fromkeys(kept))}." if kept else ""
    return f"{bia} Transform: {', '.join(scenes)} (OME-NGFF 0.6 scene).{landmarks}"


def entry(deposition: Deposition, component: StudyComponent, ctx: ExportContext) -> dict[str, Any]:
    """The deposition JSON of one EMPIAR component, as a dict."""
    study = deposition.study
    settings = component.empiar
    if settings is None:
        raise ValueError(f"component {component.id} goes to EMPIAR but has no EMPIAR entry")
    authors = [
        _author(split_name(person.name), index, _orcid(person.orcid)) for index, person in enumerate(study.contributors)
    ]
    corresponding = corresponding_author(study)
    refs = cross_references(deposition, ctx).empiar
    siblings = dict(ctx.empiar_accessions)
    sibling_refs = [
        {"name": siblings[other.id]}
        for other in empiar_components(deposition)
        if other.id != component.id and siblings.get(other.id)
    ]
    empiar_refs = _references(refs, "EMPIAR")
    empiar_refs += [ref for ref in sibling_refs if ref not in empiar_refs]
    extra = correlative_details(deposition, component, ctx)
    doc: dict[str, Any] = {
        "title": entry_title(deposition, component),
        "release_date": settings.release_policy,
        "experiment_type": settings.experiment_type,
    }
    if settings.scale:
        doc["scale"] = str(settings.scale)
    doc.update(
        {
            "cross_references": _references(refs, "EMDB"),
            "biostudies_references": _references(refs, "BioStudies"),
            "idr_references": _references(refs, "IDR"),
            "empiar_references": empiar_refs,
            "workflows": [],
            "authors": authors,
            "corresponding_author": _person(study, corresponding) if corresponding is not None else {},
            "principal_investigator": [_person(study, person) for person in principal_investigators(study)],
            "imagesets": [_image_set(image_set, extra) for image_set in settings.image_sets],
            "citation": _citations(study, authors),
        }
    )
    return doc


def render(deposition: Deposition, ctx: ExportContext) -> Rendered:
    """Render one ``deposition.json`` per EMPIAR component.

    Parameters
    ----------
    deposition
        A deposition without blocking problems (:func:`~..rules.check_deposition`).
    ctx
        The BIA accession (written into ``biostudies_references`` of a correlative study once
        it is real) and EMPIAR accessions already assigned.

    Returns
    -------
    Rendered
        ``{"<component id>/deposition.json": bytes}`` (see :func:`entry_paths`); empty when no
        component goes to EMPIAR. Keys appear in schema order; two-space indent; UTF-8.
    """
    paths = entry_paths(deposition)
    out: Rendered = {}
    for component in empiar_components(deposition):
        text = json.dumps(entry(deposition, component, ctx), indent=2, ensure_ascii=False) + "\n"
        out[paths[component.id]] = text.encode("utf-8")
    return out


# ---------------------------------------------------------------- where a JSON path came from

_PERSON_FIELDS: dict[str, str | None] = {
    "name": "name",
    "first_name": "name",
    "middle_name": "name",
    "last_name": "name",
    "email": "email",
    "author_orcid": "orcid",
    "order_id": None,
}
_CONTACT_AFFILIATION_FIELDS = {"organization": "name", "street": "address", "country": "country"}
_IMAGE_SET_FIELDS = frozenset(
    {
        "name",
        "directory",
        "num_images_or_tilt_series",
        "frames_per_image",
        "pixel_width",
        "pixel_height",
        "image_width",
        "image_height",
        "details",
    }
)
_CHOICE_FIELDS = ("category", "header_format", "data_format", "voxel_type")
_CITATION_FIELDS = {
    "title": "title",
    "doi": "doi",
    "pubmedid": "pubmed_id",
    "year": "year",
    "authors": "authors",
    "editors": "authors",
    "published": "preprint",
    "preprint": "preprint",
}
_ENTRY_FIELDS = {"release_date": "release_policy", "experiment_type": "experiment_type", "scale": "scale"}
_REFERENCE_LISTS = frozenset({"cross_references", "biostudies_references", "idr_references", "empiar_references"})

JsonPath = tuple[str | int, ...]


def _contributor(deposition: Deposition, person: Contributor | None) -> int | None:
    return next((i for i, other in enumerate(deposition.study.contributors) if other is person), None)


def _person_location(deposition: Deposition, person: Contributor | None, rest: JsonPath) -> JsonPath | None:
    index = _contributor(deposition, person)
    if index is None or person is None:
        return None
    location: JsonPath = ("study", "contributors", index)
    key = rest[0] if rest else ""
    if isinstance(key, str) and key in _CONTACT_AFFILIATION_FIELDS:
        affiliation = contact_affiliation(deposition.study, person)
        if affiliation is None:
            return (*location, "affiliation_ids")
        position = next(i for i, other in enumerate(deposition.study.affiliations) if other is affiliation)
        return ("study", "affiliations", position, _CONTACT_AFFILIATION_FIELDS[key])
    if isinstance(key, str) and key in _PERSON_FIELDS:
        field_name = _PERSON_FIELDS[key]
        return location if field_name is None else (*location, field_name)
    return location


def _citation_location(deposition: Deposition, index: int, rest: JsonPath) -> JsonPath | None:
    study = deposition.study
    key = rest[0] if rest else ""
    if not study.publications:  # the study cites itself, by all contributors (see _citations)
        if key == "title":
            return ("study", "title")
        if key == "authors" and len(rest) > 1 and isinstance(rest[1], int) and rest[1] < len(study.contributors):
            return _person_location(deposition, study.contributors[rest[1]], rest[2:])
        return ("study", "publications")
    if index >= len(study.publications):
        return None
    location: JsonPath = ("study", "publications", index)
    publication = study.publications[index]
    if key == "authors" and not publication.authors and len(rest) > 1 and isinstance(rest[1], int):
        if rest[1] < len(study.contributors):  # no author list of its own: the contributors were cited
            return _person_location(deposition, study.contributors[rest[1]], rest[2:])
    if isinstance(key, str) and key in _CITATION_FIELDS:
        return (*location, _CITATION_FIELDS[key])
    return location


def _image_set_location(
    component_location: JsonPath, image_set: EmpiarImageSet, index: int, rest: JsonPath
) -> JsonPath:
    location: JsonPath = (*component_location, "empiar", "image_sets", index)
    key = rest[0] if rest else ""
    if key in _CHOICE_FIELDS:
        code = getattr(image_set, str(key))
        return (*location, f"{key}_other" if code == "OT" else str(key))
    if key in _IMAGE_SET_FIELDS:
        return (*location, str(key))
    return location


def source_location(deposition: Deposition, component: StudyComponent, path: JsonPath) -> JsonPath | None:
    """The draft location a value of a component's ``deposition.json`` was written from.

    Parameters
    ----------
    deposition
        The deposition that was exported.
    component
        The EMPIAR component whose ``deposition.json`` the path is in.
    path
        JSON keys and indices from the document's top, e.g. ``("imagesets", 0, "directory")``.

    Returns
    -------
    tuple or None
        A location in the deposition (``("components", 1, "empiar", "image_sets", 0,
        "directory")``); the component's EMPIAR entry for a path that names nothing more
        precise; None when the package itself wrote the value.
    """
    index = next((i for i, other in enumerate(deposition.components) if other is component), None)
    if index is None:
        return None
    component_location: JsonPath = ("components", index)
    study = deposition.study
    head = path[0] if path else ""
    rest = path[1:]
    position = rest[0] if rest and isinstance(rest[0], int) else None
    if head == "title":
        return ("study", "title") if len(empiar_components(deposition)) == 1 else (*component_location, "name")
    if isinstance(head, str) and head in _ENTRY_FIELDS:
        return (*component_location, "empiar", _ENTRY_FIELDS[head])
    if head in _REFERENCE_LISTS:
        return ("study", "related_accessions")
    if head == "authors" and position is not None and position < len(study.contributors):
        return _person_location(deposition, study.contributors[position], rest[1:])
    if head == "corresponding_author":
        return _person_location(deposition, corresponding_author(study), rest)
    if head == "principal_investigator" and position is not None:
        people = principal_investigators(study)
        return _person_location(deposition, people[position], rest[1:]) if position < len(people) else None
    if head == "imagesets" and position is not None and component.empiar is not None:
        image_sets = component.empiar.image_sets
        if position < len(image_sets):
            return _image_set_location(component_location, image_sets[position], position, rest[1:])
    if head == "citation" and position is not None:
        return _citation_location(deposition, position, rest[1:])
    if head == "imagesets":
        return (*component_location, "empiar", "image_sets")
    return None
