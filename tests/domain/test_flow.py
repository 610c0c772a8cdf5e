from __future__ import annotations

from bioimage_depositor.domain import flow
from bioimage_depositor.domain.deposition import Deposition


def test_flow_order_and_navigation():
    dep = Deposition()
    keys = [page.key for page in flow.pages_for(dep)]
    assert keys[0] == "study" and keys[-1] == "review"
    assert flow.next_page(dep, "study").key == keys[1]
    assert flow.previous_page(dep, "study") is None
    assert flow.next_page(dep, "review") is None
    assert flow.previous_page(dep, "review").key == keys[-2]
    assert flow.next_page(dep, "unknown-page").key == "study"


def test_problem_locations_map_to_pages():
    assert flow.page_for_location(("study", "contributors", 0, "orcid")).key == "study"
    assert flow.page_for_location(("components", 0)).key == "review"


def test_section_titles_for_grouping():
    assert flow.section_title(("components", 0, "name")) == "Study components"
    assert flow.section_title(("study", "title")) == "Study"
