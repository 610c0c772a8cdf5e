from __future__ import annotations

from bioimage_depositor.domain import flow
from bioimage_depositor.domain.deposition import Deposition, StudyComponent
from bioimage_depositor.domain.layouts import apply_layout
from bioimage_depositor.domain.rembi import ImageCorrelation


def keys(dep):
    return [page.key for page in flow.pages_for(dep)]


def test_a_plain_bia_study_skips_correlation_and_empiar():
    dep = Deposition()
    assert keys(dep) == [
        "study", "components", "files", "biosamples", "specimens", "acquisitions", "analyses", "annotations", "review",
        "upload", "submit",
    ]


def test_correlative_study_adds_the_correlation_page():
    dep = Deposition(correlative=True)
    assert "correlations" in keys(dep) and "empiar" not in keys(dep)
    dep = Deposition(correlations=[ImageCorrelation(title="x")])
    assert "correlations" in keys(dep)


def test_an_empiar_component_adds_the_empiar_page_before_review():
    dep = Deposition(components=[StudyComponent(archive="EMPIAR")])
    assert keys(dep)[-4:] == ["empiar", "review", "upload", "submit"]


def test_correlative_layout_shows_every_page():
    dep = Deposition()
    apply_layout(dep, "correlative")
    assert keys(dep) == [page.key for page in flow.ALL_PAGES]


def test_navigation_follows_the_branches():
    dep = Deposition()
    assert flow.next_page(dep, "acquisitions").key == "analyses"
    dep.correlative = True
    assert flow.next_page(dep, "acquisitions").key == "correlations"
    assert flow.previous_page(dep, "analyses").key == "correlations"
    assert flow.previous_page(dep, "study") is None
    assert flow.next_page(dep, "review").key == "upload"
    assert flow.next_page(dep, "upload").key == "submit"
    assert flow.next_page(dep, "submit") is None
    assert flow.previous_page(dep, "submit").key == "upload"
    assert flow.next_page(dep, "unknown-page").key == "study"
    assert flow.previous_page(dep, "unknown-page") is None


def test_problem_locations_map_to_pages():
    assert flow.page_for_location(("study", "contributors", 0, "orcid")).key == "study"
    assert flow.page_for_location(("components", 0, "name")).key == "components"
    assert flow.page_for_location(("components", 1, "empiar", "image_sets", 0, "name")).key == "empiar"
    assert flow.page_for_location(("correlative",)).key == "components"
    assert flow.page_for_location(("components", 0, "files", 3, "path")).key == "files"
    assert flow.page_for_location(("biosamples", 0, "organisms", 0)).key == "biosamples"


def test_section_titles_for_grouping():
    assert flow.section_title(("components", 0, "name")) == "Study components"
    assert flow.section_title(("components", 0, "empiar", "experiment_type")) == "EMPIAR entry"
    assert flow.section_title(("study", "title")) == "Study"
