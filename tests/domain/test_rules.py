from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from bioimage_depositor.domain.deposition import StudyComponent
from bioimage_depositor.domain.empiar_fields import EmpiarEntry
from bioimage_depositor.domain.rembi import Contributor, OntologyTerm
from bioimage_depositor.domain.rules import check_deposition

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _load_examples_module():
    spec = importlib.util.spec_from_file_location("make_examples", EXAMPLES / "make_examples.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_examples"] = module
    spec.loader.exec_module(module)
    return module


examples = _load_examples_module()


def codes(deposition):
    return {p.code for p in check_deposition(deposition)}


def errors(deposition):
    return [p for p in check_deposition(deposition) if p.blocking]


def test_examples_have_no_errors():
    assert errors(examples.light_microscopy()) == []
    assert errors(examples.clem()) == []


def test_empty_deposition_reports_the_essentials_with_locations():
    from bioimage_depositor.domain.deposition import Deposition

    problems = {p.code: p for p in check_deposition(Deposition())}
    for code in (
        "study.title.missing",
        "study.description.missing",
        "study.keywords.missing",
        "study.licence.missing",
        "study.release_date.missing",
        "study.contributors.missing",
        "deposition.components.missing",
    ):
        assert code in problems
    assert problems["study.title.missing"].path == "study.title"
    assert all(p.message.endswith(".") for p in problems.values())


def test_bad_orcid_is_reported_at_its_field():
    dep = examples.light_microscopy()
    dep.study.contributors[1].orcid = "0000-0002-1825-0098"
    [problem] = [p for p in check_deposition(dep) if p.code == "orcid.checksum"]
    assert problem.path == "study.contributors[1].orcid"
    assert problem.blocking


def test_component_referencing_missing_object():
    dep = examples.light_microscopy()
    dep.components[0].specimen_ids = ["specimen-gone"]
    found = [p for p in check_deposition(dep) if p.code == "component.reference.missing"]
    assert found and found[0].path == "components[0].specimen_ids"


def test_unused_object_is_a_warning():
    dep = examples.light_microscopy()
    dep.components[1].specimen_ids = ["specimen-untreated"]
    [problem] = [p for p in check_deposition(dep) if p.code == "specimens.unused"]
    assert problem.severity == "warning"
    assert errors(dep) == []


def test_empiar_component_needs_an_image_set():
    dep = examples.clem()
    dep.components[1].empiar = EmpiarEntry(experiment_type=7)
    assert "empiar.imageset.missing" in codes(dep)
    dep.components[1].empiar = None
    assert "empiar.imageset.missing" in codes(dep)


def test_empiar_other_text_must_be_upper_case():
    dep = examples.clem()
    image_set = dep.components[1].empiar.image_sets[0]
    image_set.header_format = "OT"
    image_set.header_format_other = "zeiss atlas"
    assert "empiar.imageset.header_format_other.format" in codes(dep)


def test_correlative_study_needs_two_components_and_a_correlation():
    dep = examples.clem()
    dep.components = dep.components[:1]
    assert "correlative.components.too_few" in codes(dep)
    dep = examples.clem()
    dep.correlations = []
    for component in dep.components:
        component.correlation_ids = []
    assert "correlative.correlation.missing" in codes(dep)


def test_split_archives_without_correlative_flag_warns():
    dep = examples.clem()
    dep.correlative = False
    assert "deposition.split_not_correlative" in codes(dep)


@pytest.mark.parametrize("label", ["human", "Homo sapiens-ish"])
def test_free_text_organism_is_not_a_term(label):
    dep = examples.light_microscopy()
    dep.biosamples[0].organisms = [OntologyTerm(label=label)]
    [problem] = [p for p in check_deposition(dep) if p.code == "organism.not_a_term"]
    assert problem.path == "biosamples[0].organisms[0]"


def test_imaging_method_outside_fbbi_methods_is_rejected():
    dep = examples.light_microscopy()
    dep.acquisitions[0].imaging_methods = [OntologyTerm(id="FBbi:99999999", label="made up")]
    assert "imaging_method.bad_id" in codes(dep)


@pytest.mark.parametrize(
    "licence, code",
    [("CC-BY 4.0 please", "study.licence.unknown"), ("CC BY-NC 4.0", "study.licence.not_offered")],
)
def test_licences(licence, code):
    dep = examples.light_microscopy()
    dep.study.licence = licence
    assert code in codes(dep)


def test_duplicate_titles_break_associations():
    dep = examples.light_microscopy()
    dep.specimens[1].title = dep.specimens[0].title
    assert "specimens.title.duplicate" in codes(dep)


def test_uk_country_code():
    dep = examples.clem()
    dep.study.affiliations[0].country = "UK"
    assert "affiliation.country.uk" in codes(dep)


def test_contact_email_required_somewhere():
    dep = examples.light_microscopy()
    for person in dep.study.contributors:
        person.email = ""
    assert "study.contact.missing" in codes(dep)


def test_bia_component_requires_its_associations():
    dep = examples.light_microscopy()
    dep.components.append(StudyComponent(name="Extra", description="Extra images"))
    found = codes(dep)
    assert {"component.biosamples.missing", "component.specimens.missing", "component.acquisitions.missing"} <= found


def test_huge_title_is_flagged_not_truncated():
    dep = examples.light_microscopy()
    dep.study.title = "x" * 10_000
    assert len(dep.study.title) == 10_000
    assert "study.title.too_long" in codes(dep)


def test_problem_json_shape():
    dep = examples.light_microscopy()
    dep.study.contributors.append(Contributor(name="No Org"))
    problem = next(p for p in check_deposition(dep) if p.code == "contributor.affiliation.missing")
    assert problem.to_json() == {
        "code": "contributor.affiliation.missing",
        "severity": "error",
        "location": "study.contributors[2].affiliation_ids",
        "message": problem.message,
    }
