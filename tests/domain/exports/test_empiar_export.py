"""The EMPIAR deposition JSON: the empiar-depositor schema plus the rules it misses."""

from __future__ import annotations

import ast
import json

import pytest
from _export_drafts import CTX, CTX_ACCESSIONS, awkward, clem, light, no_blocking

from bioimage_depositor.domain.deposition import StudyComponent
from bioimage_depositor.domain.empiar_fields import EmpiarEntry, EmpiarImageSet
from bioimage_depositor.domain.empiar_format import (
    citation_authors,
    is_valid_name_tuple,
    name_problems,
    name_tuple,
    split_name,
)
from bioimage_depositor.domain.exports import empiar, validators
from bioimage_depositor.domain.rembi import Affiliation, Contributor, Publication
from bioimage_depositor.domain.rules import check_deposition

needs_schema = pytest.mark.skipif(not validators.empiar_schema_available(), reason="empiar-depositor not installed")


def doc_of(deposition, ctx=CTX, component="component-em"):
    rendered = empiar.render(deposition, ctx)
    return json.loads(rendered[empiar.entry_paths(deposition)[component]])


def codes(deposition):
    return {p.code for p in check_deposition(deposition)}


@needs_schema
@pytest.mark.parametrize("ctx", [CTX, CTX_ACCESSIONS], ids=["placeholder", "accessions"])
@pytest.mark.parametrize("build", [clem, lambda: awkward(clem())], ids=["clem", "clem-awkward"])
def test_clem_entry_is_valid(build, ctx):
    deposition = build()
    assert no_blocking(deposition) == []
    doc = doc_of(deposition, ctx)
    assert validators.validate_empiar_json(doc) == []


def test_bia_only_deposition_has_no_empiar_entry():
    assert empiar.render(light(), CTX) == {}


def test_clem_entry_fields():
    doc = doc_of(clem())
    assert doc["title"].startswith("Correlative light and FIB-SEM")
    assert (doc["release_date"], doc["experiment_type"], doc["scale"]) == ("HP", 7, "3")
    assert doc["authors"] == [
        {"name": "('Smith', 'J')", "order_id": 0, "author_orcid": "0000-0002-1825-0097"},
        {"name": "('Doe', 'A')", "order_id": 1, "author_orcid": None},
    ]
    contact = doc["corresponding_author"]
    assert (contact["first_name"], contact["last_name"], contact["email"]) == (
        "Jane",
        "Smith",
        "jane.smith@example.org",
    )
    assert (contact["country"], contact["organization"]) == ("GB", "Example Institute of Cell Biology")
    assert [pi["last_name"] for pi in doc["principal_investigator"]] == ["Doe"]
    image_set = doc["imagesets"][0]
    assert image_set["category"] == "('OT', 'FIB-SEM slices')"
    assert (image_set["header_format"], image_set["data_format"], image_set["voxel_type"]) == (
        "('T3', '')",
        "('T3', '')",
        "('T1', '')",
    )
    assert image_set["directory"] == "data/fibsem_cell1"
    citation = doc["citation"][0]
    assert citation["published"] is False and citation["preprint"] is False
    assert citation["authors"][0] == {"name": "('Smith', 'J')", "order_id": 0, "author_orcid": "0000-0002-1825-0097"}


def test_correlative_details_and_references_follow_the_accessions():
    pending = doc_of(clem(), CTX)
    assert pending["biostudies_references"] == []
    assert "accession not assigned yet" in pending["imagesets"][0]["details"]
    assert "data/correlation/correlation-landmarks.zarr/zarr.json" in pending["imagesets"][0]["details"]
    known = doc_of(awkward(clem()), CTX_ACCESSIONS)
    assert known["biostudies_references"] == [{"name": "S-BIAD1234"}]
    assert known["cross_references"] == [{"name": "EMD-12345"}]
    assert "BioImage Archive study S-BIAD1234" in known["imagesets"][0]["details"]
    assert known["imagesets"][0]["details"].startswith("Pixel size in ångström.")


def test_placeholder_accession_is_never_sent_to_empiar():
    doc = doc_of(clem(), CTX)
    assert "PLACEHOLDER" not in json.dumps(doc)


def test_contacts_fall_back_to_first_email_and_corresponding_author():
    dep = clem()
    for person in dep.study.contributors:
        person.roles = []
    dep.study.contributors[0].email = ""
    assert codes(dep) & {"empiar.contact.email.missing", "study.contact.missing"} == set()
    doc = doc_of(dep)
    assert doc["corresponding_author"]["last_name"] == "Doe"
    assert [pi["last_name"] for pi in doc["principal_investigator"]] == ["Doe"]
    assert "('Doe', 'A')" in [a["name"] for a in doc["authors"]]


def test_contact_without_country_is_a_problem_before_export():
    dep = clem()
    dep.study.affiliations[0].country = ""
    assert "empiar.contact.country.missing" in {p.code for p in no_blocking(dep)}
    dep.study.affiliations[0].country = "UK"
    assert "affiliation.country.uk" in {p.code for p in no_blocking(dep)}
    dep.study.affiliations[0].country = "ZZ"
    assert "empiar.contact.country.unknown" in {p.code for p in no_blocking(dep)}


def test_corresponding_author_needs_an_email():
    dep = clem()
    dep.study.contributors[0].email = ""
    assert "empiar.contact.email.missing" in {p.code for p in no_blocking(dep)}


def test_no_publication_cites_the_study_and_warns():
    dep = clem()
    dep.study.publications = []
    problems = {p.code: p for p in check_deposition(dep)}
    assert problems["empiar.citation.missing"].severity == "warning"
    citation = doc_of(dep)["citation"][0]
    assert citation["title"] == dep.study.title and citation["published"] is False and citation["preprint"] is False
    assert [a["name"] for a in citation["authors"]] == ["('Smith', 'J')", "('Doe', 'A')"]


def test_published_paper_and_preprint_flags():
    dep = clem()
    dep.study.publications = [
        Publication(title="A published paper", authors="Smith J, Doe A", doi="10.5555/abc.1", year=2027),
        Publication(title="The preprint", authors="Smith J", doi="10.1101/2026.01.01.123456", preprint=True),
    ]
    citations = doc_of(dep)["citation"]
    assert [(c["published"], c["preprint"]) for c in citations] == [(True, False), (False, True)]
    assert citations[0]["doi"] == "10.5555/abc.1" and citations[0]["year"] == 2027


@needs_schema
def test_two_empiar_components_get_titles_and_sibling_references():
    dep = clem()
    second = dep.components[1].model_copy(deep=True)
    second.id = "component-em2"
    second.name = "FIB-SEM volume of cell 2"
    second.files = [f.model_copy(update={"path": f.path.replace("cell1", "cell2")}) for f in second.files]
    second.empiar.image_sets[0].directory = "data/fibsem_cell2"
    dep.components.append(second)
    assert no_blocking(dep) == []
    ctx = CTX_ACCESSIONS.__class__(
        export_date=CTX.export_date, app_version="t", empiar_accessions=(("component-em", "EMPIAR-10999"),)
    )
    rendered = empiar.render(dep, ctx)
    assert sorted(rendered) == ["component-em/deposition.json", "component-em2/deposition.json"]
    doc2 = json.loads(rendered["component-em2/deposition.json"])
    assert doc2["title"].endswith("– FIB-SEM volume of cell 2")
    assert doc2["empiar_references"] == [{"name": "EMPIAR-10999"}]
    assert validators.validate_empiar_json(doc2) == []


def test_render_is_deterministic():
    assert empiar.render(awkward(clem()), CTX_ACCESSIONS) == empiar.render(awkward(clem()), CTX_ACCESSIONS)


# ---------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("full", "surname", "initials", "given"),
    [
        ("Josiah Carberry", "Carberry", "J", "Josiah"),
        ("Carberry, Josiah", "Carberry", "J", "Josiah"),
        ("Jean-Luc Picard", "Picard", "JL", "Jean-Luc"),
        ("J. R. R. Tolkien", "Tolkien", "JRR", "J. R. R."),
        ("Ludwig van Beethoven", "van Beethoven", "L", "Ludwig"),
        ("Ana Maria  da Silva", "da Silva", "AM", "Ana Maria"),
        ("Madonna", "Madonna", "", ""),
        ("Seán O'Brien", "O'Brien", "S", "Seán"),
    ],
)
def test_split_name(full, surname, initials, given):
    name = split_name(full)
    assert (name.surname, name.initials, name.given) == (surname, initials, given)


def test_apostrophes_become_typographic_in_tuples_only():
    name = split_name("Seán O'Brien")
    assert name.tuple_string() == "('O\u2019Brien', 'S')"
    assert ast.literal_eval(name.tuple_string()) == ("O\u2019Brien", "S")
    assert is_valid_name_tuple(name.tuple_string())
    assert not is_valid_name_tuple("('O'Brien', 'S')")  # passes EMPIAR's regex, not a literal
    assert [code for code, _ in name_problems(name)] == ["empiar.name.apostrophe"]
    dep = clem()
    dep.study.contributors[1].name = "Alan O'Doe"
    warning = [p for p in check_deposition(dep) if p.code == "empiar.name.apostrophe"]
    assert warning and warning[0].severity == "warning" and warning[0].path == "study.contributors[1].name"
    doc = doc_of(dep)
    assert doc["authors"][1]["name"] == "('O\u2019Doe', 'A')"
    assert doc["principal_investigator"][0]["last_name"] == "O'Doe"  # plain field keeps the real apostrophe
    assert validators.validate_empiar_json(doc) == [] or not validators.empiar_schema_available()


@pytest.mark.parametrize(
    ("full", "code"),
    [
        ("Madonna", "empiar.name.initials"),
        ("Jane Smith (PhD)", "empiar.name.characters"),
        ("Jane Smith 2", "empiar.name.characters"),
        ("Jane Sm\\ith", "empiar.name.characters"),
        ("J " + "x" * 70, "empiar.name.too_long"),
    ],
)
def test_names_empiar_cannot_store_are_errors(full, code):
    dep = clem()
    dep.study.contributors[1].name = full
    problems = [p for p in no_blocking(dep) if p.code == code]
    assert problems and problems[0].path == "study.contributors[1].name"


def test_citation_author_lists():
    names = citation_authors("Sarkans U, Chiu W; Collinson L and Jane A. Smith, et al.")
    assert [(n.surname, n.initials) for n in names] == [
        ("Sarkans", "U"),
        ("Chiu", "W"),
        ("Collinson", "L"),
        ("Smith", "JA"),
    ]
    assert name_tuple("d'Arcy", "T") == "('d\u2019Arcy', 'T')"


# ---------------------------------------------------------------- what the schema misses


def _valid_doc():
    return doc_of(clem(), CTX_ACCESSIONS)


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda d: d["imagesets"][0].update(category="('T1', '')junk"), "imagesets/0/category"),
        (lambda d: d["imagesets"][0].update(header_format="junk('OT', 'X')"), "imagesets/0/header_format"),
        (lambda d: d["authors"][1].update(name="('O'Brien', 'J')"), "authors/1/name"),
        (lambda d: d["authors"][0].update(author_orcid="0000-0002-1825-0098"), "authors/0/author_orcid"),
        (lambda d: d.update(scale=3), "scale"),
        (lambda d: d["citation"][0].pop("preprint"), "citation/0/preprint"),
        (lambda d: d["imagesets"][0].update(directory="/data/fibsem_cell1"), "imagesets/0/directory"),
        (lambda d: d["corresponding_author"].update(last_name="Nobody", author_orcid=None), "corresponding_author"),
        (lambda d: d.update(experiment_type=3, cross_references=[]), "cross_references"),
    ],
)
def test_extra_checks_catch_what_the_schema_lets_through(mutate, fragment):
    doc = _valid_doc()
    mutate(doc)
    errors = validators.validate_empiar_json(doc)
    assert any(fragment in error for error in errors), errors


def test_schema_errors_are_reported():
    doc = _valid_doc()
    doc["corresponding_author"]["country"] = "UK"
    del doc["title"]
    errors = validators.validate_empiar_json(doc)
    if validators.empiar_schema_available():
        assert any("title" in e and "required" in e for e in errors)
    assert any("corresponding_author/country" in e for e in errors)


def test_missing_schema_package_is_said_clearly(monkeypatch):
    monkeypatch.setattr(validators, "_empiar_schema", lambda: None)
    errors = validators.validate_empiar_json(_valid_doc())
    assert errors[0] == validators.EMPIAR_SCHEMA_MISSING
    assert not validators.empiar_schema_available()


def test_rules_cover_empiar_entry_policies():
    dep = clem()
    dep.components[1].empiar.experiment_type = 3
    assert "empiar.experiment_type.emdb_missing" in {p.code for p in no_blocking(dep)}
    dep.components[1].empiar.experiment_type = 4
    dep.components[1].empiar.release_policy = "RE"
    found = codes(dep)
    assert {"empiar.experiment_type.not_correlative", "empiar.release.not_aligned"} <= found
    dep.components[1].empiar.image_sets[0].category_other = "cell's slices"
    assert "empiar.imageset.category_other.apostrophe" in codes(dep)
    assert doc_of(dep)["imagesets"][0]["category"] == "('OT', 'cell\u2019s slices')"


def test_component_without_empiar_settings_is_refused_by_rules():
    dep = clem()
    dep.components.append(StudyComponent(id="component-x", name="X", description="Nothing yet", archive="EMPIAR"))
    assert "empiar.imageset.missing" in {p.code for p in no_blocking(dep)}
    dep.components[-1].empiar = EmpiarEntry(experiment_type=7, image_sets=[EmpiarImageSet(name="x")])
    assert "empiar.imageset.directory.missing" in {p.code for p in no_blocking(dep)}


def test_organisation_comes_from_the_affiliation_with_a_country():
    dep = clem()
    dep.study.affiliations.insert(0, Affiliation(id="org-lab", name="A lab without country"))
    dep.study.contributors[0].affiliation_ids.insert(0, "org-lab")
    doc = doc_of(dep)
    assert doc["corresponding_author"]["organization"] == "Example Institute of Cell Biology"
    dep.study.contributors.append(Contributor(name="X Y", affiliation_ids=["org-lab"]))
    assert doc_of(dep)["authors"][-1]["name"] == "('Y', 'X')"
