"""The BIA PageTab renderer: structure, associations, file lists, spellings, determinism."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from bioimage_depositor.domain.deposition import AnnotationSet, Deposition, FileEntry
from bioimage_depositor.domain.draft_file import read_draft_file
from bioimage_depositor.domain.exports import pagetab
from bioimage_depositor.domain.exports.base import ExportContext
from bioimage_depositor.domain.pagetab_format import Section, parse_json, parse_tsv, to_json, tsv_records
from bioimage_depositor.domain.rembi import RelatedAccession
from bioimage_depositor.domain.rules import check_deposition

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = sorted((ROOT / "examples").glob("*.draft.json"))
CTX = ExportContext(export_date=dt.date(2026, 11, 25), app_version="test")


def example(stem: str) -> Deposition:
    return read_draft_file(ROOT / "examples" / f"{stem}.draft.json").deposition


def submission_of(rendered: dict[str, bytes]):
    return parse_json(json.loads(rendered[pagetab.SUBMISSION_JSON]))


def sections(rendered: dict[str, bytes], kind: str) -> list[Section]:
    return [s for s in submission_of(rendered).section.walk() if s.type == kind]


def attrs(section: Section, name: str) -> list[str]:
    return [a.value for a in section.attributes if a.name == name]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_render_and_pass_structure_check(path):
    deposition = read_draft_file(path).deposition
    assert not [p for p in check_deposition(deposition) if p.blocking]
    rendered = pagetab.render(deposition, CTX)
    assert {pagetab.SUBMISSION_JSON, pagetab.SUBMISSION_TSV} <= set(rendered)
    assert pagetab.check_pagetab(rendered) == []


def test_json_has_the_pagetab_shape():
    rendered = pagetab.render(example("light-microscopy-hela-spindle"), CTX)
    data = json.loads(rendered[pagetab.SUBMISSION_JSON])
    assert data["type"] == "submission"
    assert "accno" not in data  # a new study: no accession yet
    header = {a["name"]: a["value"] for a in data["attributes"]}
    assert header == {
        "Title": "Live-cell confocal imaging of mitotic spindle assembly in HeLa cells expressing EGFP-tubulin",
        "ReleaseDate": "2027-03-01",
        "AttachTo": "BioImages",
        "Template": "BioImages.v5",
    }
    study = data["section"]
    assert study["type"] == "Study"
    for attribute in study["attributes"]:
        assert set(attribute) <= {"name", "value", "reference", "valqual", "nmqual"}
        assert isinstance(attribute["value"], str) and attribute["value"]
    licence = next(a for a in study["attributes"] if a["name"] == "License")
    assert licence["value"] == "CC BY 4.0"
    assert licence["valqual"] == [{"name": "URL", "value": "https://creativecommons.org/licenses/by/4.0/legalcode"}]
    assert [a["value"] for a in study["attributes"] if a["name"] == "Keywords"][:2] == ["mitosis", "mitotic spindle"]
    assert study["links"][0]["url"] == "https://github.com/example-lab/spindle-analysis"
    kinds = [s["type"] for s in study["subsections"]]
    assert kinds == [
        "Author",
        "Author",
        "Organization",
        "Publication",
        "Funding",
        "Biosample",
        "Specimen",
        "Specimen",
        "Image acquisition",
        "Image analysis",
        "Study Component",
        "Study Component",
    ]
    assert '"accno": null' not in rendered[pagetab.SUBMISSION_JSON].decode()


def test_accnos_are_generated_unique_and_never_null():
    for path in EXAMPLES:
        submission = submission_of(pagetab.render(read_draft_file(path).deposition, CTX))
        accnos = [s.accno for s in submission.section.walk() if s.accno]
        assert len(accnos) == len(set(accnos))
        for section in submission.section.walk():
            if section.type in ("Biosample", "Specimen", "Image acquisition", "Study Component", "Organization"):
                assert section.accno


def test_authors_reference_organisation_blocks():
    rendered = pagetab.render(example("light-microscopy-hela-spindle"), CTX)
    orgs = {s.accno: s for s in sections(rendered, "Organization")}
    assert list(orgs) == ["o1"]
    assert attrs(orgs["o1"], "RORID") == ["https://ror.org/02catss52"]
    for author in sections(rendered, "Author"):
        refs = [a for a in author.attributes if a.reference]
        assert [r.name for r in refs] == ["affiliation"]
        assert all(r.value in orgs for r in refs)
    first = sections(rendered, "Author")[0]
    assert attrs(first, "Role") == ["corresponding author, data acquisition"]
    assert attrs(first, "ORCID") == ["0000-0002-1825-0097"]
    assert attrs(first, "E-mail") == ["j.carberry@example.org"]


def test_every_association_names_the_exact_title_of_a_section_of_its_type():
    for path in EXAMPLES:
        rendered = pagetab.render(read_draft_file(path).deposition, CTX)
        submission = submission_of(rendered)
        titles: dict[str, list[str]] = {}
        for section in submission.section.walk():
            titles.setdefault(section.type, []).extend(attrs(section, "Title"))
        associations = [s for s in submission.section.walk() if s.type == "Associations"]
        assert associations
        for row in associations:
            names = [a.name for a in row.attributes]
            assert {"Biosample", "Specimen", "Image acquisition"} <= set(names)
            for attribute in row.attributes:
                assert titles[attribute.name].count(attribute.value) == 1, attribute


def test_association_rows_cover_every_combination():
    deposition = example("light-microscopy-hela-spindle")
    component = deposition.components[0]
    component.specimen_ids = [s.id for s in deposition.specimens]
    rendered = pagetab.render(deposition, CTX)
    first = sections(rendered, "Study Component")[0]
    rows = [s for s in first.subsections if s.type == "Associations"]
    assert [attrs(r, "Specimen")[0] for r in rows] == ["Live cells, untreated", "Live cells, 50 nM nocodazole"]
    assert all(attrs(r, "Image analysis") == ["Spindle pole tracking"] for r in rows)


def test_ontology_terms_are_written_in_both_forms():
    rendered = pagetab.render(example("light-microscopy-hela-spindle"), CTX)
    biosample = sections(rendered, "Biosample")[0]
    organism = next(a for a in biosample.attributes if a.name == "Organism")
    assert organism.value == "Homo sapiens (human)"
    assert organism.valqual == [("Ontology", "NCBITaxon"), ("TermId", "NCBITaxon_9606")]
    sub = biosample.subsections[0]
    assert sub.type == "Organism" and sub.accno == "Organism-1"
    assert [(a.name, a.value) for a in sub.attributes] == [
        ("Scientific name", "Homo sapiens"),
        ("Common name", "human"),
        ("NCBI taxon ID", "NCBI:txid9606"),
    ]
    acquisition = sections(rendered, "Image acquisition")[0]
    method = next(a for a in acquisition.attributes if a.name == "Imaging method")
    assert method.valqual == [("Ontology", "FBbi"), ("TermId", "FBbi_00000253")]
    imaging = acquisition.subsections[0]
    assert imaging.type == "Imaging Method"
    assert attrs(imaging, "Ontology Value") == [method.value]
    assert attrs(imaging, "Ontology Name") == ["Biological Imaging Methods Ontology (FBbi)"]
    assert attrs(imaging, "Ontology Term ID") == ["http://purl.obolibrary.org/obo/FBbi_00000253"]


def test_v5_sentence_case_spellings():
    rendered = pagetab.render(example("light-microscopy-hela-spindle"), CTX)
    names = {a.name for s in submission_of(rendered).section.walk() for a in s.attributes}
    assert {
        "Imaging instrument",
        "Image acquisition parameters",
        "Sample preparation protocol",
        "Biological entity",
        "Image analysis overview",
        "Growth protocol",
    } <= names
    assert not {"Imaging Instrument", "Image Acquisition Parameters", "Sample Preparation Protocol"} & names


def test_publications_funding_and_variables():
    rendered = pagetab.render(example("light-microscopy-hela-spindle"), CTX)
    publication = sections(rendered, "Publication")[0]
    assert attrs(publication, "DOI") == ["10.5555/spindle.2026.001"]
    assert attrs(publication, "Year") == ["2026"]
    assert attrs(publication, "Preprint") == ["yes"]
    funding = sections(rendered, "Funding")[0]
    assert (attrs(funding, "Agency"), attrs(funding, "grant_id")) == (["Wellcome Trust"], ["226789/Z/22/Z"])
    biosample = sections(rendered, "Biosample")[0]
    # one attribute per kind (the ingest cannot read repeated ones), one value per line
    assert attrs(biosample, "Experimental variable") == ["nocodazole treatment (50 nM, 2 h)"]


def test_file_lists_have_files_first_and_every_attribute_column():
    deposition = example("light-microscopy-hela-spindle")
    deposition.components[0].files[0].attributes["channel"] = "EGFP"
    deposition.components[0].files[1].deposit_path = "untreated/cell-02.ome.tif"
    rendered = pagetab.render(deposition, CTX)
    component = sections(rendered, "Study Component")[0]
    name = attrs(component, "File List")[0]
    assert name == "file_lists/untreated-hela-cells.tsv"
    rows = tsv_records(rendered[name].decode())
    assert rows[0] == ["Files", "treatment", "channel"]
    assert rows[1] == ["untreated/cell_01.ome.tif", "none", "EGFP"]
    assert rows[2] == ["untreated/cell-02.ome.tif", "none", ""]  # the deposited name, not the original
    assert len(rows) == 1 + len(deposition.components[0].files)


def test_correlative_study_keeps_only_the_bia_side():
    deposition = example("clem-hela-mito-er")
    rendered = pagetab.render(deposition, CTX)
    names = [attrs(s, "Name")[0] for s in sections(rendered, "Study Component")]
    assert names == ["Airyscan volumes of HeLa cells"]
    assert [attrs(s, "Title")[0] for s in sections(rendered, "Image acquisition")] == ["Airyscan confocal volumes"]
    correlation = sections(rendered, "Image correlation")[0]
    assert attrs(correlation, "Spatial and temporal alignment")
    row = sections(rendered, "Associations")[0]
    assert attrs(row, "Image correlation") == attrs(correlation, "Title")
    assert submission_of(rendered).section.links == []  # the EMPIAR accession is not known yet


def test_correlative_study_links_the_empiar_entry_once_known():
    deposition = example("clem-hela-mito-er")
    ctx = ExportContext(CTX.export_date, "test", empiar_accessions=(("component-em", "EMPIAR-10310"),))
    links = submission_of(pagetab.render(deposition, ctx)).section.links
    assert [(link.url, next((a.name, a.value) for a in link.attributes)) for link in links] == [
        ("EMPIAR-10310", ("Type", "EMPIAR"))
    ]


def test_related_accessions_become_typed_links():
    deposition = example("light-microscopy-hela-spindle")
    deposition.study.related_accessions = [
        RelatedAccession(accession="EMPIAR-10310", description="EM of the same cells"),
        RelatedAccession(accession="EMD-12345", description="Map"),
        RelatedAccession(accession="S-BIAD123", description="Earlier study"),
    ]
    rendered = pagetab.render(deposition, CTX)
    links = submission_of(rendered).section.links
    typed = [(link.url, {a.name: a.value for a in link.attributes}) for link in links[1:]]
    assert typed == [
        ("EMPIAR-10310", {"Type": "EMPIAR", "Description": "EM of the same cells"}),
        ("https://www.ebi.ac.uk/emdb/EMD-12345", {"Type": "EMDB", "Description": "Map"}),
        ("S-BIAD123", {"Type": "BioStudies", "Description": "Earlier study"}),
    ]
    assert pagetab.check_pagetab(rendered) == []


def test_resubmission_carries_the_accession():
    ctx = ExportContext(CTX.export_date, "test", bia_accession="S-BIAD1234")
    data = json.loads(pagetab.render(example("light-microscopy-hela-spindle"), ctx)[pagetab.SUBMISSION_JSON])
    assert data["accno"] == "S-BIAD1234"


def _with_annotations(deposition: Deposition) -> Deposition:
    source = deposition.components[0].files[0].deposited_path
    deposition.annotations.append(
        AnnotationSet(
            title="Spindle pole masks",
            overview="Segmentation masks of the two spindle poles in every frame.",
            annotation_types=["segmentation_mask", "point_annotations"],
            method="Drawn in napari by one expert, checked by a second.",
            source_component_ids=[deposition.components[0].id],
            files=[FileEntry(path="masks/cell_01_poles.tif", attributes={"source_image": source, "frames": "120"})],
        )
    )
    return deposition


def test_annotation_sets_go_in_the_v5_submission_with_source_images():
    deposition = _with_annotations(example("light-microscopy-hela-spindle"))
    assert not [p for p in check_deposition(deposition) if p.blocking]
    rendered = pagetab.render(deposition, CTX)
    assert pagetab.check_pagetab(rendered) == []
    assert sections(rendered, "Annotation") and not sections(rendered, "Annotations")
    annotation = sections(rendered, "Annotation")[0]
    assert attrs(annotation, "Annotation Type") == ["segmentation_mask, point_annotations"]
    assert attrs(annotation, "Source study component") == ["Untreated HeLa cells"]
    rows = tsv_records(rendered[attrs(annotation, "File List")[0]].decode())
    assert rows[0] == ["Files", "source_image", "frames"]
    assert rows[1] == ["masks/cell_01_poles.tif", "untreated/cell_01.ome.tif", "120"]
    assert json.loads(rendered[pagetab.SUBMISSION_JSON])["attributes"][3]["value"] == "BioImages.v5"


def test_annotations_only_use_the_mifa_template():
    deposition = _with_annotations(example("clem-hela-mito-er"))
    deposition.components = [c for c in deposition.components if c.archive == "EMPIAR"]
    deposition.annotations[0].source_component_ids = [deposition.components[0].id]
    assert pagetab.template_for(deposition) == pagetab.TEMPLATE_MIFA
    rendered = pagetab.render(deposition, CTX)
    header = {a["name"]: a["value"] for a in json.loads(rendered[pagetab.SUBMISSION_JSON])["attributes"]}
    assert header["Template"] == "BioImages.MIFA.v1"
    assert not sections(rendered, "Study Component")


def test_nothing_for_the_bia_renders_nothing():
    deposition = example("clem-hela-mito-er")
    deposition.components = [c for c in deposition.components if c.archive == "EMPIAR"]
    assert pagetab.render(deposition, CTX) == {}


def test_tsv_describes_the_same_tree_as_json_including_multiline_values():
    deposition = example("light-microscopy-hela-spindle")
    deposition.specimens[0].growth_protocol = '"Quoted" start\n\nsecond paragraph\twith tab'
    rendered = pagetab.render(deposition, CTX)
    tsv = rendered[pagetab.SUBMISSION_TSV].decode()
    assert "\r" not in tsv and tsv.endswith("\n")
    assert to_json(parse_tsv(tsv)) == to_json(submission_of(rendered))


def test_render_is_deterministic():
    for path in EXAMPLES:
        first = pagetab.render(read_draft_file(path).deposition, CTX)
        second = pagetab.render(read_draft_file(path).deposition, CTX)
        assert first == second


def test_structure_check_catches_broken_associations():
    rendered = pagetab.render(example("light-microscopy-hela-spindle"), CTX)
    data = json.loads(rendered[pagetab.SUBMISSION_JSON])
    component = next(s for s in data["section"]["subsections"] if s["type"] == "Study Component")
    component["subsections"][0]["attributes"][0]["value"] = "All specimens. See manuscript"
    broken = dict(rendered)
    broken[pagetab.SUBMISSION_JSON] = json.dumps(data).encode()
    problems = pagetab.check_pagetab(broken)
    assert any("does not name exactly one biosample" in p for p in problems)
