"""Checks over a whole deposition, as the archives and their curators would apply them.

:func:`check_deposition` returns every problem at once, in model order, so the
wizard can show each one next to its field and the Review page can list them
all. The rules encode what the BIA's ``BioImages.v5`` template requires, what
the BIA ingest needs to build a study without curator repairs (unique titles,
resolvable associations), and what EMPIAR's schema and server check.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

from . import vocab
from .deposition import AnnotationSet, Archive, Deposition, StudyComponent
from .empiar_fields import (
    DATA_FORMATS,
    EXPERIMENT_TYPES,
    HEADER_FORMATS,
    IMAGESET_CATEGORIES,
    SCALES,
    VOXEL_TYPES,
    EmpiarEntry,
)
from .filelist import naming
from .identifiers import (
    IdentifierError,
    parse_accession,
    parse_doi,
    parse_email,
    parse_orcid,
    parse_pubmed_id,
    parse_ror,
)
from .problems import Location, Problem, Severity
from .rembi import OntologyTerm, Study

MIN_TITLE = 25  # REMBI/BIA minimum for study title and description
MAX_TITLE = 255  # EMPIAR's limit, and a sane one for a title anywhere
ISO_COUNTRY = re.compile(r"^[A-Z]{2}$")
_URL = re.compile(r"^https?://[^\s/$.?#].[^\s]*$", re.I)
_NCBI_TAXON = re.compile(r"^NCBITaxon:\d+$")
_EMPIAR_OTHER_TEXT = re.compile(r"^[A-Z0-9 ]+$")
_EMPIAR_DIRECTORY = re.compile(r"^data/[^/].*")


class _Collector:
    """Accumulates problems; keeps each rule a one-liner."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(
        self,
        code: str,
        location: Location,
        message: str,
        severity: Severity = "error",
        params: dict[str, str] | None = None,
    ) -> None:
        self.problems.append(Problem(code, location, message, severity, params or {}))

    def require(self, value: object, code: str, location: Location, message: str) -> bool:
        """Add an error when ``value`` is empty; return whether it was present."""
        if value in ("", None, [], ()):
            self.add(code, location, message)
            return False
        return True

    def identifier(self, value: str, parse: Callable[[str], object], code_prefix: str, location: Location) -> None:
        """Add the parser's own message when a non-empty identifier does not parse."""
        if not value:
            return
        try:
            parse(value)
        except IdentifierError as error:
            self.add(error.code if error.code.startswith(code_prefix) else code_prefix, location, error.message)


def check_deposition(deposition: Deposition) -> list[Problem]:
    """Return every problem in ``deposition``: errors block deposition, warnings advise.

    Parameters
    ----------
    deposition
        The draft's content, possibly incomplete.

    Returns
    -------
    list of Problem
        In model order: study, shared objects, components, whole-deposition rules.
    """
    out = _Collector()
    _check_study(out, deposition.study)
    _check_objects(out, deposition)
    _check_components(out, deposition)
    _check_annotations(out, deposition)
    _check_deposition_shape(out, deposition)
    _check_exports(out, deposition)
    return out.problems


def blocking(problems: Iterable[Problem]) -> list[Problem]:
    """The errors among ``problems``."""
    return [problem for problem in problems if problem.blocking]


# ------------------------------------------------------------------ study


def _check_study(out: _Collector, study: Study) -> None:
    loc: Location = ("study",)
    if out.require(study.title, "study.title.missing", (*loc, "title"), "Give the study a title."):
        if len(study.title) < MIN_TITLE:
            out.add(
                "study.title.too_short",
                (*loc, "title"),
                f"The title needs at least {MIN_TITLE} characters; say what was imaged and why.",
            )
        elif len(study.title) > MAX_TITLE:
            out.add(
                "study.title.too_long",
                (*loc, "title"),
                f"The title has {len(study.title)} characters; keep it under {MAX_TITLE} "
                "and move the detail into the description.",
            )
    if (
        out.require(
            study.description,
            "study.description.missing",
            (*loc, "description"),
            "Describe the study: what was imaged, how, and what the data show.",
        )
        and len(study.description) < MIN_TITLE
    ):
        out.add(
            "study.description.too_short",
            (*loc, "description"),
            f"The description needs at least {MIN_TITLE} characters.",
        )
    if not [k for k in study.keywords if k]:
        out.add("study.keywords.missing", (*loc, "keywords"), "Add at least one keyword.")
    _check_duplicates(
        out,
        [k.casefold() for k in study.keywords],
        "study.keywords.duplicate",
        (*loc, "keywords"),
        "The keyword '{}' is listed twice.",
        "warning",
    )
    if out.require(study.licence, "study.licence.missing", (*loc, "licence"), "Choose a licence (CC0 or CC BY 4.0)."):
        term = vocab.licences().get(study.licence)
        if term is None:
            out.add(
                "study.licence.unknown",
                (*loc, "licence"),
                f"'{study.licence}' is not a licence the BioImage Archive accepts; "
                "choose CC0 or CC BY 4.0 from the list.",
            )
        elif term.get_extra("web_form") != "true":
            out.add(
                "study.licence.not_offered",
                (*loc, "licence"),
                f"The BIA offers only CC0 and CC BY 4.0 to new studies; {term.id} needs the archive's agreement.",
                "warning",
            )
    if study.release_date is None:
        out.add(
            "study.release_date.missing",
            (*loc, "release_date"),
            "Choose a release date (the data stay private until then).",
        )
    _check_people(out, study)
    for index, publication in enumerate(study.publications):
        ploc = (*loc, "publications", index)
        out.require(publication.title, "publication.title.missing", (*ploc, "title"), "Give the publication's title.")
        out.identifier(publication.doi, parse_doi, "doi", (*ploc, "doi"))
        out.identifier(publication.pubmed_id, parse_pubmed_id, "pubmed", (*ploc, "pubmed_id"))
        if publication.year is not None and not 1900 <= publication.year <= 2100:
            out.add("publication.year.range", (*ploc, "year"), "Give the year of publication, e.g. 2026.")
    for index, funding in enumerate(study.funding):
        floc = (*loc, "funding", index)
        out.require(funding.funder, "funding.funder.missing", (*floc, "funder"), "Name the funder.")
    for index, link in enumerate(study.links):
        lloc = (*loc, "links", index)
        if out.require(link.url, "link.url.missing", (*lloc, "url"), "Give the link's address.") and not _URL.match(
            link.url
        ):
            out.add("link.url.format", (*lloc, "url"), "A link must be a full web address starting with https://.")
    for index, related in enumerate(study.related_accessions):
        rloc = (*loc, "related_accessions", index, "accession")
        if out.require(related.accession, "accession.missing", rloc, "Give the accession."):
            out.identifier(related.accession, parse_accession, "accession", rloc)


def _check_people(out: _Collector, study: Study) -> None:
    loc: Location = ("study",)
    if not study.contributors:
        out.add("study.contributors.missing", (*loc, "contributors"), "Add at least one contributor.")
    affiliation_ids = {affiliation.id for affiliation in study.affiliations}
    used_affiliations: set[str] = set()
    for index, person in enumerate(study.contributors):
        ploc = (*loc, "contributors", index)
        out.require(person.name, "contributor.name.missing", (*ploc, "name"), "Give the contributor's name.")
        out.identifier(person.orcid, parse_orcid, "orcid", (*ploc, "orcid"))
        out.identifier(person.email, parse_email, "email", (*ploc, "email"))
        if not person.affiliation_ids:
            out.add(
                "contributor.affiliation.missing",
                (*ploc, "affiliation_ids"),
                "Choose the contributor's organisation (the BIA requires one per person).",
            )
        for ref in person.affiliation_ids:
            used_affiliations.add(ref)
            if ref not in affiliation_ids:
                out.add(
                    "contributor.affiliation.unknown",
                    (*ploc, "affiliation_ids"),
                    "This contributor refers to an organisation that no longer exists; choose it again.",
                )
    if study.contributors and not any(person.email for person in study.contributors):
        out.add(
            "study.contact.missing",
            (*loc, "contributors", 0, "email"),
            "Give an e-mail address for at least one contributor, so the archive can reach you.",
        )
    _check_duplicates(
        out,
        [p.email.casefold() for p in study.contributors if p.email],
        "contributor.email.duplicate",
        (*loc, "contributors"),
        "The e-mail address {} is given for two contributors.",
        "warning",
    )
    _check_duplicates(
        out,
        [p.orcid for p in study.contributors if p.orcid],
        "contributor.orcid.duplicate",
        (*loc, "contributors"),
        "The ORCID iD {} is given for two contributors.",
    )
    for index, affiliation in enumerate(study.affiliations):
        aloc = (*loc, "affiliations", index)
        out.require(affiliation.name, "affiliation.name.missing", (*aloc, "name"), "Give the organisation's name.")
        out.identifier(affiliation.ror, parse_ror, "ror", (*aloc, "ror"))
        if affiliation.country:
            if affiliation.country.upper() == "UK":
                out.add(
                    "affiliation.country.uk",
                    (*aloc, "country"),
                    "Use GB for the United Kingdom (the ISO code EMPIAR requires).",
                )
            elif not ISO_COUNTRY.match(affiliation.country):
                out.add(
                    "affiliation.country.format",
                    (*aloc, "country"),
                    "Give the country as a two-letter ISO code, e.g. DE, GB, US.",
                )
        if affiliation.id not in used_affiliations:
            out.add(
                "affiliation.unused",
                aloc,
                f"No contributor belongs to '{affiliation.name or 'this organisation'}'.",
                "warning",
            )


# ------------------------------------------------------------------ REMBI objects


def _check_term(out: _Collector, term: OntologyTerm, location: Location, kind: str) -> None:
    if not term.is_term:
        example = "Homo sapiens" if kind == "organism" else "confocal microscopy"
        out.add(
            f"{kind}.not_a_term",
            location,
            f"'{term.label}' was typed as free text; pick the {kind.replace('_', ' ')} from the "
            f"list (e.g. {example}) so the archive can link it.",
        )
        return
    if kind == "organism":
        if not _NCBI_TAXON.match(term.id):
            out.add(f"{kind}.bad_id", location, f"'{term.id}' is not an NCBI Taxonomy id.")
    elif vocab.imaging_methods().get(term.id) is None:
        out.add(
            f"{kind}.bad_id",
            location,
            f"'{term.label or term.id}' is not an imaging method of the FBbi ontology.",
        )


def _check_unique_titles(out: _Collector, items: Sequence[object], section: str, noun: str) -> None:
    titles = [getattr(item, "title", "") for item in items]
    counts = Counter(t.casefold() for t in titles if t)
    for index, title in enumerate(titles):
        if title and counts[title.casefold()] > 1:
            out.add(
                f"{section}.title.duplicate",
                (section, index, "title"),
                f"Two {noun}s are called '{title}'; the archive links components by title, so each needs its own.",
            )


def _check_objects(out: _Collector, deposition: Deposition) -> None:
    for index, sample in enumerate(deposition.biosamples):
        loc: Location = ("biosamples", index)
        out.require(sample.title, "biosample.title.missing", (*loc, "title"), "Give the biosample a short title.")
        if not sample.organisms:
            out.add("biosample.organism.missing", (*loc, "organisms"), "Choose the organism that was imaged.")
        for oindex, organism in enumerate(sample.organisms):
            _check_term(out, organism, (*loc, "organisms", oindex), "organism")
        out.require(
            sample.biological_entity,
            "biosample.biological_entity.missing",
            (*loc, "biological_entity"),
            "Describe the biological entity, e.g. 'HeLa cells' or 'adult brain tissue'.",
        )
    for index, specimen in enumerate(deposition.specimens):
        loc = ("specimens", index)
        out.require(specimen.title, "specimen.title.missing", (*loc, "title"), "Give the specimen a short title.")
        out.require(
            specimen.sample_preparation_protocol,
            "specimen.preparation.missing",
            (*loc, "sample_preparation_protocol"),
            "Describe how the sample was prepared for imaging.",
        )
    for index, acquisition in enumerate(deposition.acquisitions):
        loc = ("acquisitions", index)
        out.require(
            acquisition.title, "acquisition.title.missing", (*loc, "title"), "Give the acquisition a short title."
        )
        out.require(
            acquisition.imaging_instrument,
            "acquisition.instrument.missing",
            (*loc, "imaging_instrument"),
            "Describe the instrument (make, model, objective, detector).",
        )
        out.require(
            acquisition.image_acquisition_parameters,
            "acquisition.parameters.missing",
            (*loc, "image_acquisition_parameters"),
            "Give the acquisition parameters (pixel size, exposure, channels…).",
        )
        if not acquisition.imaging_methods:
            out.add("acquisition.method.missing", (*loc, "imaging_methods"), "Choose the imaging method.")
        for mindex, method in enumerate(acquisition.imaging_methods):
            _check_term(out, method, (*loc, "imaging_methods", mindex), "imaging_method")
    for index, correlation in enumerate(deposition.correlations):
        loc = ("correlations", index)
        out.require(
            correlation.title, "correlation.title.missing", (*loc, "title"), "Give the correlation a short title."
        )
        out.require(
            correlation.spatial_temporal_alignment,
            "correlation.alignment.missing",
            (*loc, "spatial_temporal_alignment"),
            "Describe how the images were aligned (manual overlay, landmark registration…).",
        )
    for index, analysis in enumerate(deposition.analyses):
        loc = ("analyses", index)
        out.require(analysis.title, "analysis.title.missing", (*loc, "title"), "Give the analysis a short title.")
        out.require(
            analysis.overview,
            "analysis.overview.missing",
            (*loc, "overview"),
            "Summarise how the images were analysed.",
        )
    for section, noun in (
        ("biosamples", "biosample"),
        ("specimens", "specimen"),
        ("acquisitions", "image acquisition"),
        ("correlations", "image correlation"),
        ("analyses", "image analysis"),
    ):
        _check_unique_titles(out, getattr(deposition, section), section, noun)


# ------------------------------------------------------------------ components

_REFERENCES = (
    ("biosample_ids", "biosamples", "biosample", True),
    ("specimen_ids", "specimens", "specimen", True),
    ("acquisition_ids", "acquisitions", "image acquisition", True),
    ("correlation_ids", "correlations", "image correlation", False),
    ("analysis_ids", "analyses", "image analysis", False),
)


def _check_components(out: _Collector, deposition: Deposition) -> None:
    if not deposition.components:
        out.add(
            "deposition.components.missing",
            ("components",),
            "Add a study component: a set of images made the same way.",
        )
    used: dict[str, set[str]] = {section: set() for _, section, _, _ in _REFERENCES}
    for index, component in enumerate(deposition.components):
        loc: Location = ("components", index)
        out.require(component.name, "component.name.missing", (*loc, "name"), "Give the component a name.")
        out.require(
            component.description,
            "component.description.missing",
            (*loc, "description"),
            "Describe what this component's images show.",
        )
        for field_name, section, noun, required in _REFERENCES:
            existing = {item.id for item in getattr(deposition, section)}
            refs: list[str] = getattr(component, field_name)
            used[section].update(refs)
            for ref in refs:
                if ref not in existing:
                    out.add(
                        "component.reference.missing",
                        (*loc, field_name),
                        f"This component uses a {noun} that does not exist ({ref}); choose it again.",
                    )
            if required and component.archive == "BIA" and not refs:
                out.add(
                    f"component.{section}.missing",
                    (*loc, field_name),
                    f"Choose the {noun} of this component (the BIA requires one).",
                )
        if not component.files:
            out.add(
                "component.files.missing",
                (*loc, "files"),
                "This component has no files yet; add its images before export.",
                "warning",
            )
        _check_file_paths(out, component, loc)
        if component.archive == "EMPIAR":
            _check_empiar(out, component.empiar, (*loc, "empiar"))
    for _field, section, noun, _required in _REFERENCES:
        for index, item in enumerate(getattr(deposition, section)):
            if item.id not in used[section]:
                out.add(
                    f"{section}.unused",
                    (section, index),
                    f"No study component uses the {noun} '{item.title or item.id}'; "
                    "the archive drops objects no component refers to.",
                    "warning",
                )
    names = [component.name.casefold() for component in deposition.components if component.name]
    _check_duplicates(
        out,
        names,
        "component.name.duplicate",
        ("components",),
        "Two components are called '{}'; give each its own name.",
    )


def _check_file_paths(out: _Collector, component: StudyComponent | AnnotationSet, loc: Location) -> None:
    # ``deposit_path or path`` inline rather than the property: lists run to 100,000 files.
    paths = [entry.deposit_path or entry.path for entry in component.files]
    if len(set(paths)) != len(paths):  # Counter only when something repeats
        _check_duplicates(out, paths, "files.path.duplicate", (*loc, "files"), "The file path {} is listed twice.")
    for findex, entry in enumerate(component.files):
        if not entry.path:
            out.add("file.path.missing", (*loc, "files", findex, "path"), "A file in this list has no path.")
    # Annotation sets are deposited with the BIA study.
    archive: Archive = component.archive if isinstance(component, StudyComponent) else "BIA"
    for proposal in naming.propose_fixes(component.files, archive):
        _report_bad_name(out, proposal, archive, (*loc, "files", proposal.index, "path"))
    _check_case_duplicates(out, paths, loc)
    if isinstance(component, StudyComponent) and archive == "EMPIAR":
        _check_empiar_layout(out, component, paths, loc)


# What each naming reason says about a path, completing "'a#b.tif' …".
_NAME_REASONS = {
    "double_space": "has two spaces in a row",
    "structure": "is not a plain relative path (it starts with ./, ends with / or has an empty or .. part)",
    "edge": "has a name that starts or ends with a space or ends with a dot",
    "reserved": "uses a name Windows reserves for devices (CON, NUL, COM1…)",
    "too_long": f"has a name longer than {naming.MAX_NAME_BYTES} bytes",
}


def _report_bad_name(out: _Collector, proposal: naming.RenameProposal, archive: Archive, location: Location) -> None:
    what = [f"contains {naming.describe_characters(proposal.characters)}"] if proposal.characters else []
    what += [_NAME_REASONS[reason] for reason in proposal.reasons if reason in _NAME_REASONS]
    params = {"path": proposal.current, "proposed": proposal.proposed, "characters": proposal.characters}
    if archive == "BIA":
        out.add(
            "file.path.invalid_bia",
            location,
            f"'{proposal.current}' {' and '.join(what)}, which the BIA does not accept; apply the suggested "
            f"name '{proposal.proposed}' (your own file keeps its name).",
            params=params,
        )
    else:
        out.add(
            "file.path.unsafe_empiar",
            location,
            f"'{proposal.current}' {' and '.join(what)}, which breaks downloads on Windows; apply the suggested "
            f"name '{proposal.proposed}' (your own file keeps its name).",
            "warning",
            params,
        )


def _check_case_duplicates(out: _Collector, paths: Sequence[str], loc: Location) -> None:
    distinct = set(paths)
    if len({path.casefold() for path in distinct}) == len(distinct):
        return  # no two different paths fold to the same one (the usual case, decided without a loop)
    first: dict[str, str] = {}
    for findex, path in enumerate(paths):
        if not path:
            continue
        other = first.setdefault(path.casefold(), path)
        if other != path:  # exact repeats are files.path.duplicate
            out.add(
                "files.path.case_duplicate",
                (*loc, "files", findex, "path"),
                f"'{path}' and '{other}' differ only in upper and lower case, which Windows and macOS "
                "treat as one file; rename one of them.",
                "warning",
                {"path": path, "other": other},
            )


def _check_empiar_layout(out: _Collector, component: StudyComponent, paths: Sequence[str], loc: Location) -> None:
    """Files must lie in the image sets' folders under data/, and those folders must exist."""
    image_sets = component.empiar.image_sets if component.empiar else []
    directories = [image_set.directory for image_set in image_sets if _EMPIAR_DIRECTORY.match(image_set.directory)]
    present = [path for path in paths if path]
    if not present:
        return
    suggestions = naming.empiar_suggested_directories(present)
    example = suggestions[0] if suggestions else "data/<the folder you added>"
    # A path's image set and folder length depend only on its folder (a file name has no "/"), and a
    # component's thousands of files sit in a few folders: decide once per folder.
    by_folder: dict[str, str | None] = {}
    homes = []
    for path in paths:
        parent = path.rpartition("/")[0]
        if parent not in by_folder:
            by_folder[parent] = naming.empiar_image_set_for(path, directories)
        homes.append(by_folder[parent])
    used = set(homes)
    for index, image_set in enumerate(image_sets):
        if image_set.directory not in directories:
            continue  # empiar.imageset.directory.layout reports it
        folder = naming.normalise_empiar_directory(image_set.directory)
        if folder not in used:
            out.add(
                "empiar.imageset.directory.empty",
                (*loc, "empiar", "image_sets", index, "directory"),
                f"No file of this component is inside {folder}; use the folder you added, e.g. {example}.",
                params={"directory": folder, "suggestion": example},
            )
    long_folders: set[str] = set()
    too_long: dict[str, bool] = {}
    any_inside = any(home is not None for home in used)
    for findex, (path, home) in enumerate(zip(paths, homes, strict=True)):
        if not path:
            continue
        if home is None and any_inside:  # when nothing fits, the image-set error above says it once
            top = naming.empiar_upload_path(path.split("/", 1)[0]) if "/" in path else naming.EMPIAR_DATA_DIR
            out.add(
                "file.path.outside_imageset",
                (*loc, "files", findex, "path"),
                f"'{path}' is not inside any image set's folder; move it into one or add an image set for {top}.",
                "warning",
                {"path": path},
            )
        parent = path.rpartition("/")[0]
        if parent not in too_long:
            too_long[parent] = naming.empiar_folder_too_long(path)
        if not too_long[parent]:
            continue
        folder = naming.empiar_upload_path(path).rsplit("/", 1)[0]
        if folder not in long_folders:
            long_folders.add(folder)
            out.add(
                "file.path.empiar_folder_too_long",
                (*loc, "files", findex, "path"),
                f"The folder of '{path}' is {len(folder)} characters long as {naming.EMPIAR_DATA_DIR}/…, more "
                f"than the {naming.EMPIAR_DIRECTORY_MAX} EMPIAR allows for an image set; shorten its folder names.",
                "warning",
                {"path": path, "folder": folder},
            )


def _check_empiar(out: _Collector, entry: EmpiarEntry | None, loc: Location) -> None:
    if entry is None or not entry.image_sets:
        out.add(
            "empiar.imageset.missing",
            (*loc, "image_sets"),
            "A component that goes to EMPIAR needs at least one image set.",
        )
    if entry is None:
        return
    if entry.experiment_type is None:
        out.add("empiar.experiment_type.missing", (*loc, "experiment_type"), "Choose the EMPIAR experiment type.")
    elif entry.experiment_type not in EXPERIMENT_TYPES:
        out.add("empiar.experiment_type.unknown", (*loc, "experiment_type"), "Choose an experiment type from the list.")
    if entry.scale and entry.scale not in SCALES:
        out.add("empiar.scale.unknown", (*loc, "scale"), "Choose the scale from the list (molecule … organism).")
    for index, image_set in enumerate(entry.image_sets):
        iloc = (*loc, "image_sets", index)
        out.require(image_set.name, "empiar.imageset.name.missing", (*iloc, "name"), "Name the image set.")
        if out.require(
            image_set.directory,
            "empiar.imageset.directory.missing",
            (*iloc, "directory"),
            "Give the image set's folder inside the upload, e.g. data/fib_sem_stack.",
        ) and not _EMPIAR_DIRECTORY.match(image_set.directory):
            out.add(
                "empiar.imageset.directory.layout",
                (*iloc, "directory"),
                "EMPIAR image sets live under the upload's data/ folder, e.g. data/fib_sem_stack.",
            )
        for field_name, table, label, other_pattern in (
            ("category", IMAGESET_CATEGORIES, "category", None),
            ("header_format", HEADER_FORMATS, "header format", _EMPIAR_OTHER_TEXT),
            ("data_format", DATA_FORMATS, "data format", _EMPIAR_OTHER_TEXT),
            ("voxel_type", VOXEL_TYPES, "voxel type", _EMPIAR_OTHER_TEXT),
        ):
            code = getattr(image_set, field_name)
            if not out.require(
                code, f"empiar.imageset.{field_name}.missing", (*iloc, field_name), f"Choose the {label}."
            ):
                continue
            if code not in table:
                out.add(
                    f"empiar.imageset.{field_name}.unknown", (*iloc, field_name), f"Choose the {label} from the list."
                )
            elif code == "OT":
                other = getattr(image_set, f"{field_name}_other")
                if not other:
                    out.add(
                        f"empiar.imageset.{field_name}_other.missing",
                        (*iloc, f"{field_name}_other"),
                        f"Describe the {label} you chose as 'other'.",
                    )
                elif other_pattern and not other_pattern.match(other):
                    out.add(
                        f"empiar.imageset.{field_name}_other.format",
                        (*iloc, f"{field_name}_other"),
                        f"EMPIAR accepts only capital letters, digits and spaces here, e.g. '{other.upper()}'.",
                    )
        for count_field in ("num_images_or_tilt_series", "frames_per_image"):
            value = getattr(image_set, count_field)
            if value is None:
                out.add(
                    f"empiar.imageset.{count_field}.missing",
                    (*iloc, count_field),
                    "Give the number of images and frames (EMPIAR requires both).",
                )
            elif value < 1:
                out.add(f"empiar.imageset.{count_field}.range", (*iloc, count_field), "This must be at least 1.")
        for size_field in ("image_width", "image_height", "pixel_width", "pixel_height"):
            value = getattr(image_set, size_field)
            if value is not None and value <= 0:
                out.add(f"empiar.imageset.{size_field}.range", (*iloc, size_field), "This must be greater than 0.")


# ------------------------------------------------------------------ annotations and shape


def _check_annotations(out: _Collector, deposition: Deposition) -> None:
    component_ids = {component.id for component in deposition.components}
    for index, annotation in enumerate(deposition.annotations):
        loc: Location = ("annotations", index)
        out.require(annotation.title, "annotation.title.missing", (*loc, "title"), "Give the annotations a title.")
        out.require(
            annotation.overview, "annotation.overview.missing", (*loc, "overview"), "Summarise what was annotated."
        )
        if not annotation.annotation_types:
            out.add("annotation.types.missing", (*loc, "annotation_types"), "Choose at least one annotation type.")
        out.require(
            annotation.method, "annotation.method.missing", (*loc, "method"), "Describe how the annotations were made."
        )
        for ref in annotation.source_component_ids:
            if ref not in component_ids:
                out.add(
                    "annotation.source.missing",
                    (*loc, "source_component_ids"),
                    f"These annotations refer to a component that does not exist ({ref}).",
                )
        _check_file_paths(out, annotation, loc)
    _check_unique_titles(out, deposition.annotations, "annotations", "annotation set")


def _check_deposition_shape(out: _Collector, deposition: Deposition) -> None:
    if deposition.correlative:
        if len(deposition.components) < 2:
            out.add(
                "correlative.components.too_few",
                ("components",),
                "A correlative study needs at least two components, one per modality.",
            )
        if not deposition.correlations:
            out.add(
                "correlative.correlation.missing",
                ("correlations",),
                "Describe how the modalities were correlated (an Image Correlation).",
            )
        elif not any(component.correlation_ids for component in deposition.components):
            out.add(
                "correlative.correlation.unused",
                ("components",),
                "Associate the image correlation with the components it aligns.",
            )
    elif len(deposition.archives()) > 1:
        out.add(
            "deposition.split_not_correlative",
            ("correlative",),
            "Components go to both the BIA and EMPIAR; mark the study as correlative so the two deposits are linked.",
            "warning",
        )


def _check_duplicates(
    out: _Collector,
    values: Sequence[str],
    code: str,
    location: Location,
    message: str,
    severity: Severity = "error",
) -> None:
    for value, count in Counter(values).items():
        if value and count > 1:
            out.add(code, location, message.format(value), severity)


# ------------------------------------------------------------------ export readiness
# What the archives' formats need beyond the templates' required fields, so that a draft with no
# errors always exports to a package the archives' own validators accept (exports/validators.py):
# the BIA RO-Crate's single file list, EMPIAR's people and citations, and the NGFF scene's transforms.


def _check_exports(out: _Collector, deposition: Deposition) -> None:
    _check_bia_file_list(out, deposition)
    if any(component.archive == "EMPIAR" for component in deposition.components):
        _check_empiar_people(out, deposition)
        _check_empiar_citations(out, deposition)
        _check_empiar_entries(out, deposition)
    _check_correlation_transforms(out, deposition)


def _check_bia_file_list(out: _Collector, deposition: Deposition) -> None:
    """The BIA RO-Crate lists every BIA file in one table; its cells must resolve."""
    from .exports.rocrate import is_image_path

    groups: list[tuple[Location, StudyComponent | AnnotationSet]] = [
        (("components", index), component)
        for index, component in enumerate(deposition.components)
        if component.archive == "BIA"
    ]
    groups += [(("annotations", index), annotation) for index, annotation in enumerate(deposition.annotations)]
    # Deposited paths once per group (the property costs a call per file, and lists run to 100,000 files).
    paths = [[entry.deposit_path or entry.path for entry in group.files] for _, group in groups]
    component_paths = [
        group_paths for (loc, _), group_paths in zip(groups, paths, strict=True) if loc[0] == "components"
    ]
    if component_paths and not any(is_image_path(path) for group_paths in component_paths for path in group_paths):
        first = next(loc for loc, _ in groups)
        out.add(
            "bia.files.no_images",
            (*first, "files"),
            "None of the components going to the BIA has an image file yet; add the images before export "
            "(the BIA does not take a study without them).",
        )
    images = {path for group_paths in component_paths for path in group_paths}
    earlier: set[str] = set()  # paths of the groups before this one
    plain_keys: set[str] = set()  # attribute names known to need no check
    for (loc, group), group_paths in zip(groups, paths, strict=True):
        # Most groups have no shared path and only ordinary attribute names: decide that with set
        # operations, and walk the files one by one (in model order, so problems keep their order)
        # only when something is to be reported.
        keys: set[str] = set()
        for entry in group.files:
            if entry.attributes:
                keys.update(entry.attributes)
        odd_keys = any(not _is_plain_attribute(key) for key in keys - plain_keys)
        if not odd_keys:
            plain_keys |= keys
        if odd_keys or not earlier.isdisjoint(group_paths):
            _check_bia_group(out, loc, group, group_paths, earlier, images)
        earlier.update(group_paths)
        earlier.discard("")


def _is_plain_attribute(key: str) -> bool:
    """Whether a file attribute name needs no check: named, not reserved, not a source-image column."""
    from .exports.rocrate import RESERVED_COLUMNS, is_source_image_key

    name = key.strip()
    return bool(name) and name.casefold() not in RESERVED_COLUMNS and not is_source_image_key(key)


def _check_bia_group(
    out: _Collector,
    loc: Location,
    group: StudyComponent | AnnotationSet,
    paths: Sequence[str],
    earlier: set[str],
    images: set[str],
) -> None:
    """Shared paths, attribute names and source images of one BIA file list, file by file."""
    from .exports.rocrate import RESERVED_COLUMNS, is_source_image_key, source_images

    for findex, (entry, path) in enumerate(zip(group.files, paths, strict=True)):
        floc = (*loc, "files", findex)
        if path and path in earlier:
            out.add(
                "files.path.shared",
                (*floc, "path"),
                f"'{path}' is also listed in another component or annotation set; the BIA file list holds "
                "each file once, so list it in one place only.",
                params={"path": path},
            )
        for key in entry.attributes:
            if not key.strip():
                out.add("file.attribute.name.missing", (*floc, "attributes"), "A file attribute has no name.")
            elif key.strip().casefold() in RESERVED_COLUMNS and not is_source_image_key(key):
                out.add(
                    "file.attribute.reserved",
                    (*floc, "attributes"),
                    f"The attribute name '{key}' is a column the BIA's file list uses itself; rename it "
                    f"(e.g. '{key} (sample)').",
                    params={"name": key},
                )
        for source in source_images(entry):
            if source not in images:
                out.add(
                    "file.source_image.unknown",
                    (*floc, "attributes"),
                    f"The source image '{source}' is not a file of a component deposited to the BIA; give "
                    "the path exactly as it is deposited.",
                    params={"path": source},
                )


def _contributor_location(deposition: Deposition, person: object) -> Location:
    index = next(i for i, other in enumerate(deposition.study.contributors) if other is person)
    return ("study", "contributors", index)


def _check_empiar_people(out: _Collector, deposition: Deposition) -> None:
    """Authors as EMPIAR name tuples; the corresponding author and PIs as full EMPIAR contacts."""
    from .empiar_format import COUNTRIES, name_problems, split_name
    from .exports.empiar import contact_affiliation, corresponding_author, principal_investigators

    study = deposition.study
    for index, person in enumerate(study.contributors):
        if not person.name:
            continue  # contributor.name.missing
        for code, message in name_problems(split_name(person.name)):
            severity: Severity = "warning" if code == "empiar.name.apostrophe" else "error"
            out.add(code, ("study", "contributors", index, "name"), message, severity, {"name": person.name})
    corresponding = corresponding_author(study)
    if corresponding is None:
        return  # study.contact.missing / study.contributors.missing
    contacts = [(corresponding, "corresponding author")]
    contacts += [(pi, "principal investigator") for pi in principal_investigators(study) if pi is not corresponding]
    for person, role in contacts:
        ploc = _contributor_location(deposition, person)
        who = person.name or "this contributor"
        if not person.email:
            out.add(
                "empiar.contact.email.missing",
                (*ploc, "email"),
                f"EMPIAR needs the e-mail address of the {role} ({who}).",
            )
        affiliation = contact_affiliation(study, person)
        if affiliation is None:
            continue  # contributor.affiliation.missing
        if not affiliation.country:
            out.add(
                "empiar.contact.country.missing",
                (*ploc, "affiliation_ids"),
                f"EMPIAR needs the country of the {role}'s organisation ({affiliation.name or who}); add it to the "
                "organisation.",
            )
        elif affiliation.country.upper() not in COUNTRIES and affiliation.country.upper() != "UK":
            aindex = study.affiliations.index(affiliation)
            out.add(
                "empiar.contact.country.unknown",
                ("study", "affiliations", aindex, "country"),
                f"EMPIAR does not know the country code '{affiliation.country}'; use an ISO 3166 code such as GB.",
            )
        for field_name, limit in (("name", 255), ("address", 255)):
            if len(getattr(affiliation, field_name)) > limit:
                aindex = study.affiliations.index(affiliation)
                out.add(
                    f"empiar.contact.organisation_{field_name}.too_long",
                    ("study", "affiliations", aindex, field_name),
                    f"EMPIAR accepts at most {limit} characters here.",
                )


def _check_empiar_citations(out: _Collector, deposition: Deposition) -> None:
    from .empiar_format import citation_authors, empiar_doi, name_problems

    study = deposition.study
    if not study.publications:
        out.add(
            "empiar.citation.missing",
            ("study", "publications"),
            "EMPIAR needs a citation; until you add the paper, the study itself is cited as unpublished.",
            "warning",
        )
    for index, publication in enumerate(study.publications):
        ploc = ("study", "publications", index)
        if len(publication.title) > 255:
            out.add(
                "empiar.citation.title.too_long", (*ploc, "title"), "EMPIAR accepts titles of up to 255 characters."
            )
        for name in citation_authors(publication.authors):
            for code, message in name_problems(name):
                severity: Severity = "warning" if code == "empiar.name.apostrophe" else "error"
                out.add(code, (*ploc, "authors"), f"{name.surname or publication.authors}: {message}", severity)
        if publication.doi and not empiar_doi(publication.doi):
            out.add(
                "empiar.citation.doi.format",
                (*ploc, "doi"),
                "EMPIAR cannot store this DOI (it allows letters, digits and -._;()/: up to 80 characters); "
                "the EMPIAR citation will be written without it.",
                "warning",
            )


def _check_empiar_entries(out: _Collector, deposition: Deposition) -> None:
    from .exports.empiar import MAX_TITLE, entry_title

    emdb = any(related.accession.startswith("EMD-") for related in deposition.study.related_accessions)
    for index, component in enumerate(deposition.components):
        entry = component.empiar
        if component.archive != "EMPIAR" or entry is None:
            continue
        loc: Location = ("components", index, "empiar")
        if deposition.study.title and len(entry_title(deposition, component)) > MAX_TITLE:
            out.add(
                "empiar.title.too_long",
                ("components", index, "name"),
                f"The EMPIAR title '<study title> – {component.name}' is longer than {MAX_TITLE} characters; "
                "shorten the component name or the study title.",
            )
        if entry.experiment_type == 3 and not emdb:
            out.add(
                "empiar.experiment_type.emdb_missing",
                (*loc, "experiment_type"),
                "Raw data for EMDB structures need the EMDB entry: add its EMD- accession to the related accessions.",
            )
        elif entry.experiment_type == 2:
            out.add(
                "empiar.experiment_type.simulated",
                (*loc, "experiment_type"),
                "EMPIAR accepts simulated data only with its permission, asked before deposition.",
                "warning",
            )
        if entry.release_policy == "EP" and not emdb:
            out.add(
                "empiar.release.emdb_missing",
                (*loc, "release_policy"),
                "'Release with the EMDB entry' needs the EMD- accession among the related accessions.",
                "warning",
            )
        if deposition.correlative and entry.experiment_type not in (None, 6, 7, 8):
            out.add(
                "empiar.experiment_type.not_correlative",
                (*loc, "experiment_type"),
                "A correlative study is usually deposited to EMPIAR as CLEM (7) or CLXM (8).",
                "warning",
            )
        if deposition.correlative and entry.release_policy == "RE" and deposition.study.release_date is not None:
            out.add(
                "empiar.release.not_aligned",
                (*loc, "release_policy"),
                "EMPIAR releases this entry right after processing, while the BIA study waits for its release date; "
                "choose 'hold until the paper is published' to release both together.",
                "warning",
            )
        for sindex, image_set in enumerate(entry.image_sets):
            iloc = (*loc, "image_sets", sindex)
            if len(image_set.name) > 200:
                out.add(
                    "empiar.imageset.name.too_long", (*iloc, "name"), "EMPIAR accepts names of up to 200 characters."
                )
            if ".." in image_set.directory.split("/") or image_set.directory.endswith("/"):
                out.add(
                    "empiar.imageset.directory.layout",
                    (*iloc, "directory"),
                    "Give the folder as data/<folder>, without '..' or a trailing '/'.",
                )
            if image_set.category == "OT" and "'" in image_set.category_other:
                out.add(
                    "empiar.imageset.category_other.apostrophe",
                    (*iloc, "category_other"),
                    "EMPIAR reads this text as Python text, where an apostrophe would end it; "
                    "it will be written with a typographic apostrophe (’).",
                    "warning",
                )


def _check_correlation_transforms(out: _Collector, deposition: Deposition) -> None:
    from .correlation_model import check_transforms

    component_ids = [component.id for component in deposition.components]
    for index, correlation in enumerate(deposition.correlations):
        out.problems.extend(
            check_transforms(
                correlation.coordinate_systems, correlation.transforms, ("correlations", index), component_ids
            )
        )
    if deposition.correlative and deposition.correlations and not any(c.transforms for c in deposition.correlations):
        out.add(
            "correlative.transforms.missing",
            ("correlations", 0, "transforms"),
            "No registration transform is recorded, so the package will have no OME-NGFF scene; add the "
            "transform between the modalities.",
            "warning",
        )
