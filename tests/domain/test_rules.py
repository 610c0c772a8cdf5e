from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bioimage_depositor.domain.deposition import AnnotationSet, FileEntry, StudyComponent
from bioimage_depositor.domain.empiar_fields import EmpiarEntry
from bioimage_depositor.domain.exports.rocrate import RESERVED_COLUMNS, is_source_image_key, source_images
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


# ------------------------------------------------------------------ file names and layout


def problems_with(dep, code):
    return [p for p in check_deposition(dep) if p.code == code]


def test_bia_path_rule_names_characters_and_proposed_fix():
    dep = examples.light_microscopy()
    dep.components[0].files[1].path = "control/cell #2 & µm.tif"
    [problem] = problems_with(dep, "file.path.invalid_bia")
    assert problem.path == "components[0].files[1].path"
    assert problem.blocking
    assert "'#', '&' and 'µ'" in problem.message
    assert "'control/cell -2 Et um.tif'" in problem.message
    assert problem.params["proposed"] == "control/cell -2 Et um.tif"
    assert problem.message.count(".") == problem.message.count(".tif") + 1  # one sentence


def test_applying_the_fix_clears_the_problem_without_touching_path():
    from bioimage_depositor.domain.filelist.naming import apply_fixes, propose_fixes

    dep = examples.light_microscopy()
    component = dep.components[0]
    component.files[0].path = "a#b.tif"
    component.files = apply_fixes(component.files, propose_fixes(component.files, "BIA"))
    assert component.files[0].path == "a#b.tif"
    assert problems_with(dep, "file.path.invalid_bia") == []
    assert errors(dep) == []


def test_bia_rule_uses_the_deposited_path():
    dep = examples.light_microscopy()
    dep.components[0].files[0].deposit_path = "bad?.tif"
    [problem] = problems_with(dep, "file.path.invalid_bia")
    assert "'bad?.tif'" in problem.message and "'bad-.tif'" in problem.message


def test_bia_rule_applies_to_annotation_file_lists():
    from bioimage_depositor.domain.deposition import AnnotationSet, FileEntry

    dep = examples.light_microscopy()
    dep.annotations.append(AnnotationSet(title="Masks", files=[FileEntry(path="masks/cell[1].png")]))
    [problem] = problems_with(dep, "file.path.invalid_bia")
    assert problem.path == "annotations[0].files[0].path"
    assert "'masks/cell(1).png'" in problem.message


def test_bia_proposals_in_messages_are_unique():
    dep = examples.light_microscopy()
    files = dep.components[0].files
    files[0].path = "x#.tif"
    files[1].path = "x?.tif"
    proposed = [p.params["proposed"] for p in problems_with(dep, "file.path.invalid_bia")]
    assert proposed == ["x-.tif", "x-_2.tif"]


def test_case_only_duplicates_warn():
    dep = examples.light_microscopy()
    files = dep.components[0].files
    files[1].path = files[0].path.upper()
    [problem] = problems_with(dep, "files.path.case_duplicate")
    assert problem.severity == "warning"
    assert problem.path == "components[0].files[1].path"
    assert "differ only in upper and lower case" in problem.message
    files[1].path = files[0].path  # an exact repeat is the duplicate error, not this warning
    assert problems_with(dep, "files.path.case_duplicate") == []
    assert problems_with(dep, "files.path.duplicate")


def test_empiar_names_are_warnings_with_a_fix():
    dep = examples.clem()
    dep.components[1].files[0].path = "fibsem_cell1/slice:0000.tif"
    [problem] = problems_with(dep, "file.path.unsafe_empiar")
    assert problem.severity == "warning"
    assert problem.path == "components[1].files[0].path"
    assert "'fibsem_cell1/slice-0000.tif'" in problem.message
    assert problems_with(dep, "file.path.invalid_bia") == []
    assert errors(dep) == []


def test_empiar_image_set_directory_must_hold_files():
    dep = examples.clem()
    dep.components[1].empiar.image_sets[0].directory = "data/fibsem_cel1"
    [problem] = problems_with(dep, "empiar.imageset.directory.empty")
    assert problem.path == "components[1].empiar.image_sets[0].directory"
    assert "data/fibsem_cell1" in problem.message  # the folder actually added
    assert problems_with(dep, "file.path.outside_imageset") == []  # said once, not per file


def test_empiar_file_outside_every_image_set_warns():
    from bioimage_depositor.domain.deposition import FileEntry

    dep = examples.clem()
    dep.components[1].files.append(FileEntry(path="notes/readme.txt"))
    [problem] = problems_with(dep, "file.path.outside_imageset")
    assert problem.severity == "warning"
    assert problem.path == "components[1].files[3].path"
    assert "data/notes" in problem.message


def test_empiar_folder_longer_than_an_image_set_directory_may_be_warns_once():
    dep = examples.clem()
    deep = "fibsem_cell1/" + "sub_folder/" * 20
    for entry in dep.components[1].files:
        entry.path = deep + entry.path.rsplit("/", 1)[1]
    found = problems_with(dep, "file.path.empiar_folder_too_long")
    assert len(found) == 1 and found[0].severity == "warning"


def test_file_name_rules_are_fast_on_large_lists():
    import time

    from bioimage_depositor.domain import rules
    from bioimage_depositor.domain.deposition import FileEntry

    component = StudyComponent(
        files=[FileEntry(path=f"plate_{i // 1000:03d}/image_{i:06d}.tif", size_bytes=1) for i in range(100_000)]
    )
    component.files[-1].path = "plate_099/bad#name.tif"
    out = rules._Collector()
    start = time.perf_counter()
    rules._check_file_paths(out, component, ("components", 0))
    elapsed = time.perf_counter() - start
    assert [p.code for p in out.problems] == ["file.path.invalid_bia"]
    assert elapsed < 1.5  # about 0.3 s on a 2-core VM; checked on every edit of the Image Data page


# ---------------------------------------------------------------- file-list rules: fast paths keep the results

FILE_LIST_CODES = {
    "files.path.duplicate",
    "files.path.case_duplicate",
    "files.path.shared",
    "file.attribute.name.missing",
    "file.attribute.reserved",
    "file.source_image.unknown",
}


def reference_file_list_problems(dep):
    """The file-list rules written the plain way, file by file, in model order: what the fast code must match."""
    out = []
    groups = [(("components", i), c) for i, c in enumerate(dep.components)]
    groups += [(("annotations", i), a) for i, a in enumerate(dep.annotations)]
    for loc, group in groups:
        paths = [e.deposited_path for e in group.files]
        out += [("files.path.duplicate", (*loc, "files")) for p, n in Counter(paths).items() if p and n > 1]
        first = {}
        for index, path in enumerate(paths):
            if path and first.setdefault(path.casefold(), path) != path:
                out.append(("files.path.case_duplicate", (*loc, "files", index, "path")))
    bia = [(loc, g) for loc, g in groups if loc[0] == "annotations" or g.archive == "BIA"]
    images = {e.deposited_path for loc, g in bia if loc[0] == "components" for e in g.files}
    seen = {}
    for loc, group in bia:
        for index, entry in enumerate(group.files):
            floc = (*loc, "files", index)
            path = entry.deposited_path
            if path and path in seen and seen[path] != loc:
                out.append(("files.path.shared", (*floc, "path")))
            seen.setdefault(path, loc)
            for key in entry.attributes:
                if not key.strip():
                    out.append(("file.attribute.name.missing", (*floc, "attributes")))
                elif key.strip().casefold() in RESERVED_COLUMNS and not is_source_image_key(key):
                    out.append(("file.attribute.reserved", (*floc, "attributes")))
            out += [
                ("file.source_image.unknown", (*floc, "attributes")) for s in source_images(entry) if s not in images
            ]
    return out


names = st.sampled_from(["a.tif", "A.tif", "b.tif", "x/a.tif", "X/a.tif", "notes.txt", ""])
keys = st.sampled_from(["well", "treatment", " ", "type", "Source Image", "source_image", "dataset", "Type (sample)"])
entries = st.builds(
    FileEntry,
    path=names,
    deposit_path=st.sampled_from(["", "", "b.tif", "renamed.tif"]),
    attributes=st.dictionaries(keys, st.sampled_from(["a.tif", "b.tif, x/a.tif", "missing.tif", "v"]), max_size=3),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.sampled_from(["BIA", "EMPIAR"]), st.lists(entries, max_size=6)), min_size=1, max_size=3),
    st.lists(st.lists(entries, max_size=4), max_size=2),
)
def test_file_list_rules_match_the_plain_reading(components, annotations):
    dep = examples.light_microscopy()
    dep.components = [StudyComponent(archive=archive, files=files) for archive, files in components]
    dep.annotations = [AnnotationSet(files=files) for files in annotations]
    found = [(p.code, p.location) for p in check_deposition(dep) if p.code in FILE_LIST_CODES]
    expected = reference_file_list_problems(dep)
    assert found == expected  # the same problems, in the same order
