from __future__ import annotations

import pytest

from bioimage_depositor.domain.deposition import Deposition
from bioimage_depositor.domain.layouts import LAYOUTS, apply_layout
from bioimage_depositor.domain.rules import check_deposition


@pytest.mark.parametrize("layout", [layout.key for layout in LAYOUTS])
def test_every_layout_resolves_its_references(layout):
    dep = Deposition()
    components = apply_layout(dep, layout)
    assert components and all(c in dep.components for c in components)
    codes = {p.code for p in check_deposition(dep)}
    assert "component.reference.missing" not in codes
    assert not any(code.endswith(".unused") for code in codes)
    assert not {"component.biosamples.missing", "component.specimens.missing", "component.acquisitions.missing"} & codes


def test_shared_objects_are_referenced_not_copied():
    dep = Deposition()
    apply_layout(dep, "specimens")
    first, second = dep.components
    assert first.biosample_ids == second.biosample_ids and len(dep.biosamples) == 1
    assert first.specimen_ids != second.specimen_ids


def test_correlative_layout_marks_the_study_and_goes_to_both_archives():
    dep = Deposition()
    apply_layout(dep, "correlative")
    assert dep.correlative and dep.archives() == {"BIA", "EMPIAR"}
    codes = {p.code for p in check_deposition(dep)}
    assert not codes & {"correlative.components.too_few", "correlative.correlation.missing"}


def test_layouts_add_to_an_existing_study():
    dep = Deposition()
    apply_layout(dep, "single")
    apply_layout(dep, "single")
    assert [c.name for c in dep.components] == ["Component 1", "Component 2"]
    assert len({b.title for b in dep.biosamples}) == 2
