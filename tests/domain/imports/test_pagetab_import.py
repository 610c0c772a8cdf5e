"""Importing PageTab submissions: the reference example, messy values, unrepresented content, round trips."""

from __future__ import annotations

import copy
import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bioimage_depositor.domain.deposition import Deposition, FileEntry, StudyComponent
from bioimage_depositor.domain.draft_file import read_draft_file
from bioimage_depositor.domain.exports import pagetab
from bioimage_depositor.domain.exports.base import ExportContext
from bioimage_depositor.domain.exports.package import export_package
from bioimage_depositor.domain.imports.pagetab_import import (
    PageTabImportError,
    canonical_ids,
    deposition_from_submission,
    import_pagetab,
)
from bioimage_depositor.domain.pagetab_format import PageTabFormatError, parse_json, parse_tsv, to_tsv
from bioimage_depositor.domain.rembi import (
    Affiliation,
    Biosample,
    Contributor,
    ImageAcquisition,
    OntologyTerm,
    Specimen,
    Study,
)

ROOT = Path(__file__).resolve().parents[3]
REFERENCE = ROOT / "tests" / "data" / "pagetab"
EXAMPLES = sorted((ROOT / "examples").glob("*.draft.json"))
CTX = ExportContext(export_date=dt.date(2026, 11, 25), app_version="test")


def minimal() -> dict:
    return json.loads((REFERENCE / "minimal.json").read_text())


def write_submission(folder: Path, data: dict, file_list: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "submission.json").write_text(json.dumps(data))
    if file_list:
        shutil.copy(REFERENCE / "file_list.tsv", folder / "file_list.tsv")
    return folder / "submission.json"


def codes(result) -> set[str]:
    return {p.code for p in result.report.problems}


def study_section(data: dict, kind: str) -> dict:
    return next(s for s in data["section"]["subsections"] if s["type"] == kind)


EXPECTED_MINIMAL = Deposition(
    study=Study(
        title="Minimal REMBI example: confocal images of fixed HeLa cells",
        description="Two confocal images of fixed HeLa cells, written by hand to test PageTab ingest.",
        keywords=["HeLa", "confocal"],
        licence="CC0",
        release_date=dt.date(2026, 1, 1),
        contributors=[
            Contributor(name="Jane Doe", email="jane.doe@example.org", roles=["submitter"], affiliation_ids=["org-1"])
        ],
        affiliations=[Affiliation(id="org-1", name="Example Institute")],
    ),
    biosamples=[
        Biosample(
            id="biosample-1",
            title="HeLa cells",
            organisms=[OntologyTerm(id="NCBITaxon:9606", label="Homo sapiens")],
            biological_entity="HeLa cell line",
        )
    ],
    specimens=[
        Specimen(
            id="specimen-1",
            title="Fixed HeLa cells",
            sample_preparation_protocol="Cells fixed in 4% PFA for 10 min and mounted.",
        )
    ],
    acquisitions=[
        ImageAcquisition(
            id="acquisition-1",
            title="Confocal imaging",
            imaging_instrument="Zeiss LSM 880",
            imaging_methods=[OntologyTerm(id="FBbi:00000251", label="confocal microscopy")],
            image_acquisition_parameters="63x/1.4 oil objective",
        )
    ],
    components=[
        StudyComponent(
            id="component-1",
            name="HeLa confocal images",
            description="Two single-plane confocal images.",
            biosample_ids=["biosample-1"],
            specimen_ids=["specimen-1"],
            acquisition_ids=["acquisition-1"],
            files=[
                FileEntry(path="images/cell_01.tif", attributes={"Description": "field 1", "Channel": "DAPI"}),
                FileEntry(path="images/cell_02.tif", attributes={"Description": "field 2", "Channel": "DAPI"}),
            ],
        )
    ],
)


def test_reference_minimal_submission_gives_the_expected_draft():
    result = import_pagetab(REFERENCE / "minimal.json")
    assert result.deposition == EXPECTED_MINIMAL
    report = result.report
    assert report.template == "BioImages.v4"
    assert report.file_lists == ["file_list.tsv"]
    assert report.unrepresented == []
    assert [p for p in report.problems if p.blocking] == []


def test_reference_minimal_as_tsv_gives_the_same_draft(tmp_path):
    (tmp_path / "submission.tsv").write_text(to_tsv(parse_json(minimal())))
    shutil.copy(REFERENCE / "file_list.tsv", tmp_path)
    assert import_pagetab(tmp_path / "submission.tsv").deposition == EXPECTED_MINIMAL
    assert import_pagetab(tmp_path).deposition == EXPECTED_MINIMAL  # a folder holding one submission


def test_json_file_list_and_missing_file_list(tmp_path):
    data = minimal()
    component = study_section(data, "Study Component")
    component["attributes"][2]["value"] = "file_list.json"
    path = write_submission(tmp_path, data, file_list=False)
    (tmp_path / "file_list.json").write_text(
        json.dumps([{"path": "a.tif", "size": 12, "attributes": [{"name": "Channel", "value": "GFP"}]}])
    )
    files = import_pagetab(path).deposition.components[0].files
    assert files == [FileEntry(path="a.tif", size_bytes=12, attributes={"Channel": "GFP"})]
    (tmp_path / "file_list.json").unlink()
    result = import_pagetab(path)
    assert result.deposition.components[0].files == []
    assert any("file_list.json" in note and "not found" in note for note in result.report.notes)
    assert "component.files.missing" in codes(result)


def test_messy_values_are_imported_as_written_and_reported(tmp_path):
    data = minimal()
    study = data["section"]
    next(a for a in study["attributes"] if a["name"] == "License")["value"] = "Creative Commons Attribution"
    author = study_section(data, "Author")
    next(a for a in author["attributes"] if a["name"] == "E-mail")["value"] = "jane..doe@example.org"
    study["subsections"].append(
        {
            "type": "Publication",
            "attributes": [
                {"name": "Title", "value": "Spindles"},
                {"name": "DOI", "value": "https://www.nature.com/articles/s41592-021-01166-8"},
                {"name": "Pubmed ID", "value": "pending"},
                {"name": "Year", "value": "2026"},
            ],
        }
    )
    organism = study_section(data, "Biosample")["subsections"][0]
    organism["attributes"][2]["value"] = "9606"
    result = import_pagetab(write_submission(tmp_path, data))
    dep = result.deposition
    assert dep.study.licence == "Creative Commons Attribution"
    assert dep.study.contributors[0].email == "jane..doe@example.org"
    assert dep.study.publications[0].doi == "https://www.nature.com/articles/s41592-021-01166-8"
    assert dep.study.publications[0].pubmed_id == "pending"
    assert dep.biosamples[0].organisms[0].id == "9606"
    assert {"study.licence.unknown", "email.format", "doi.article_url", "pubmed.format", "organism.bad_id"} <= codes(
        result
    )


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("NCBI taxon ID", "NCBI:txid9606", "NCBITaxon:9606"),  # the field's documented form
        ("NCBI taxon ID", "9606", "9606"),
        ("NCBI taxon ID", "NCBITaxon_9606", "NCBITaxon_9606"),
        ("NCBI taxon ID", "txid9606", "txid9606"),
        ("TermId", "NCBITaxon_9606", "NCBITaxon:9606"),  # the qualifier's documented form
        ("TermId", "NCBI:txid9606", "NCBI:txid9606"),
        ("TermId", "9606", "9606"),
    ],
)
def test_taxon_ids_in_odd_forms_stay_as_written(tmp_path, field, value, expected):
    data = minimal()
    biosample = study_section(data, "Biosample")
    if field == "TermId":
        biosample["subsections"] = []
        biosample["attributes"].append(
            {
                "name": "Organism",
                "value": "Homo sapiens (human)",
                "valqual": [{"name": "Ontology", "value": "NCBITaxon"}, {"name": "TermId", "value": value}],
            }
        )
    else:
        biosample["subsections"][0]["attributes"][2]["value"] = value
    result = import_pagetab(write_submission(tmp_path, data))
    term = result.deposition.biosamples[0].organisms[0]
    assert (term.id, term.label) == (expected, "Homo sapiens")
    assert ("organism.bad_id" in codes(result)) == (expected != "NCBITaxon:9606")
    assert result.report.unrepresented == []


def test_v5_web_form_organism_without_term_is_free_text(tmp_path):
    data = minimal()
    biosample = study_section(data, "Biosample")
    biosample["subsections"] = []
    biosample["attributes"].append({"name": "Organism", "value": "HeLa-like human cells"})
    result = import_pagetab(write_submission(tmp_path, data))
    assert result.deposition.biosamples[0].organisms == [OntologyTerm(id="", label="HeLa-like human cells")]
    assert "organism.not_a_term" in codes(result)


def test_anything_the_draft_cannot_hold_is_listed(tmp_path):
    data = minimal()
    data["accno"] = "S-BIAD999"
    data["attributes"].append({"name": "RootPath", "value": "lab/2026"})
    study = data["section"]
    study["attributes"].append({"name": "Funding statement", "value": "Funded by the lab."})
    study["links"] = [{"url": "10.5281/zenodo.1", "attributes": [{"name": "Type", "value": "DOI"}]}]
    study_section(data, "Organization")["attributes"].append({"name": "Website", "value": "https://example.org"})
    study["subsections"].append({"type": "Protocols", "attributes": [{"name": "Staining", "value": "DAPI"}]})
    study["subsections"].append(
        {
            "type": "Publication",
            "attributes": [
                {"name": "Title", "value": "P"},
                {"name": "Year", "value": "in press"},
                {"name": "PMC ID", "value": "PMC123"},
            ],
        }
    )
    component = study_section(data, "Study Component")
    component["subsections"][0]["attributes"][1]["value"] = "All specimens. See manuscript"
    result = import_pagetab(write_submission(tmp_path, data))
    lost = {(u.attribute, u.value) for u in result.report.unrepresented}
    assert {
        ("accno", "S-BIAD999"),
        ("RootPath", "lab/2026"),
        ("Funding statement", "Funded by the lab."),
        ("Type", "DOI"),
        ("Website", "https://example.org"),
        ("Staining", "DAPI"),
        ("Year", "in press"),
        ("PMC ID", "PMC123"),
        ("Specimen", "All specimens. See manuscript"),
    } <= lost
    sections = {u.attribute: u.section for u in result.report.unrepresented}
    assert sections["Staining"] == "Study > Protocols"
    assert sections["Website"] == "Study > Organization o1"
    assert sections["Specimen"] == "Study > Study Component Study Component-1 > Associations"
    assert result.report.accession == "S-BIAD999"
    assert result.deposition.study.links[0].url == "10.5281/zenodo.1"  # kept, and flagged by the rules
    assert "link.url.format" in codes(result)
    assert "component.specimens.missing" in codes(result)


def test_v4_spellings_and_annotations_section(tmp_path):
    data = minimal()
    acquisition = study_section(data, "Image acquisition")
    acquisition["type"] = "Image Acquisition"
    for attribute in acquisition["attributes"]:
        attribute["name"] = attribute["name"].title()
    study_section(data, "Specimen")["attributes"][1]["name"] = "Sample Preparation Protocol"
    data["section"]["subsections"].append(
        {
            "type": "Annotations",
            "accno": "Annotations-1",
            "attributes": [
                {"name": "Title", "value": "Nuclei masks"},
                {"name": "Annotation Overview", "value": "Nuclei segmented in both images."},
                {"name": "Annotation Type", "value": "segmentation_mask, masks of nuclei"},
                {"name": "Annotation Method", "value": "Cellpose 3, checked by hand."},
                {"name": "File List", "value": "annotations.tsv"},
            ],
        }
    )
    path = write_submission(tmp_path, data)
    (tmp_path / "annotations.tsv").write_text("Files\tSource Image\nmasks/cell_01.tif\timages/cell_01.tif\n")
    result = import_pagetab(path)
    dep = result.deposition
    assert dep.acquisitions[0].imaging_instrument == "Zeiss LSM 880"
    assert dep.specimens[0].sample_preparation_protocol.startswith("Cells fixed")
    annotation = dep.annotations[0]
    assert annotation.annotation_types == ["segmentation_mask"]
    assert annotation.files == [FileEntry(path="masks/cell_01.tif", attributes={"source_image": "images/cell_01.tif"})]
    assert ("Annotation Type", "masks of nuclei") in {(u.attribute, u.value) for u in result.report.unrepresented}


def test_association_titles_differing_in_case_are_matched_with_a_note(tmp_path):
    data = minimal()
    study_section(data, "Study Component")["subsections"][0]["attributes"][0]["value"] = "hela  cells"
    result = import_pagetab(write_submission(tmp_path, data))
    assert result.deposition.components[0].biosample_ids == ["biosample-1"]
    assert any("matched to the section titled 'HeLa cells'" in note for note in result.report.notes)


def test_tables_of_subsections_and_is_reference_spelling(tmp_path):
    data = minimal()
    subsections = data["section"]["subsections"]
    author = subsections.pop(0)
    for attribute in author["attributes"]:
        if attribute.get("reference"):
            attribute.pop("reference")
            attribute["isReference"] = "true"
    subsections.insert(0, [author])  # a table of one row
    assert import_pagetab(write_submission(tmp_path, data)).deposition == EXPECTED_MINIMAL


def test_unusable_input_raises_a_clear_error(tmp_path):
    with pytest.raises(PageTabImportError, match="no such file"):
        import_pagetab(tmp_path / "missing.json")
    (tmp_path / "other.json").write_text('{"hello": "world"}')
    with pytest.raises(PageTabImportError, match="not a PageTab submission"):
        import_pagetab(tmp_path / "other.json")
    (tmp_path / "broken.json").write_text('{"section": ')
    with pytest.raises(PageTabImportError, match="not valid JSON"):
        import_pagetab(tmp_path / "broken.json")
    (tmp_path / "notes.tsv").write_text("Hello\tworld\n")
    with pytest.raises(PageTabImportError, match="does not start with a 'Submission' line"):
        import_pagetab(tmp_path / "notes.tsv")
    (tmp_path / "latin.tsv").write_bytes("Submission\nTitle\tCaf\xe9\n".encode("latin-1"))
    with pytest.raises(PageTabImportError, match="not UTF-8"):
        import_pagetab(tmp_path / "latin.tsv")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(PageTabImportError, match="without a PageTab submission"):
        import_pagetab(empty)


def test_tsv_comments_quotes_and_multiline_values(tmp_path):
    text = (
        "# exported by hand\n"
        "Submission\n"
        'Title\tA study of "quoted" things in twenty-five characters\n'
        "ReleaseDate\t2027-01-01\n\n"
        "Study\n"
        'Description\t"First paragraph.\n\nSecond ""quoted"" paragraph."\n'
        "Keywords\tone\n"
        "# a comment between attributes\n"
        "Keywords\ttwo\n\n"
        "Link\thttps://example.org/code\n"
        "Description\tcode\n"
    )
    (tmp_path / "s.tsv").write_text(text)
    dep = import_pagetab(tmp_path / "s.tsv").deposition
    assert dep.study.title == 'A study of "quoted" things in twenty-five characters'
    assert dep.study.description == 'First paragraph.\n\nSecond "quoted" paragraph.'
    assert dep.study.keywords == ["one", "two"]
    assert dep.study.links[0].url == "https://example.org/code"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_round_trip_through_an_exported_package(path, tmp_path):
    original = read_draft_file(path).deposition
    original.components[0].files[0].deposit_path = "renamed/for-the-archive.tif"
    original.components[0].files[0].md5 = "d41d8cd98f00b204e9800998ecf8427e"
    original.components[0].files[0].source = "/lab/raw/original name.tif"
    result = export_package(original, tmp_path / "pkg", CTX)
    expected = canonical_ids(pagetab.bia_part(original))
    for source in (result.path, result.path / "bia" / "pagetab" / "submission.json"):
        imported = import_pagetab(source)
        assert imported.deposition == expected
        assert imported.report.unrepresented == []
    # from the TSV spelling, and without the manifest: file details are what a file list carries
    shutil.copytree(result.path / "bia" / "pagetab", tmp_path / "bare")
    bare = import_pagetab(tmp_path / "bare" / "submission.tsv").deposition
    for dataset in [*expected.components, *expected.annotations]:
        dataset.files = [FileEntry(path=entry.deposited_path, attributes=entry.attributes) for entry in dataset.files]
    assert bare == expected


def test_canonical_ids_follows_every_reference():
    original = read_draft_file(ROOT / "examples" / "clem-hela-mito-er.draft.json").deposition
    canonical = canonical_ids(original)
    assert [b.id for b in canonical.biosamples] == ["biosample-1"]
    assert canonical.components[1].acquisition_ids == ["acquisition-2"]
    assert canonical.components[0].correlation_ids == ["correlation-1"]
    assert canonical.study.contributors[0].affiliation_ids == ["org-1"]
    assert canonical_ids(canonical) == canonical


def test_import_never_fails_on_content():
    data = copy.deepcopy(minimal())
    data["section"]["subsections"] = [
        {"type": "Biosample", "attributes": [{"name": "Title", "value": ""}]},
        {
            "type": "Study Component",
            "attributes": [{"name": "Name", "value": "x"}],
            "subsections": [{"type": "Associations", "attributes": [{"name": "Biosample", "value": "nope"}]}],
        },
        {"type": "Author", "attributes": [{"name": "affiliation", "value": "o9", "reference": True}]},
    ]
    result = deposition_from_submission(parse_json(data))
    assert result.deposition.components[0].biosample_ids == []
    assert ("affiliation", "o9") in {(u.attribute, u.value) for u in result.report.unrepresented}
    assert any(p.blocking for p in result.report.problems)


TSV_PIECES = st.sampled_from(
    [
        "Submission",
        "Study",
        "Biosample",
        "Study Component",
        "Associations",
        "Organism",
        "Link",
        "Links",
        "Files",
        "File",
        "Data[]",
        "Data[S-1]",
        "Title",
        "<affiliation>",
        "(q)",
        "[TermId]",
        "S-1",
        "o1",
        '"',
        '""',
        "#",
        "x",
    ]
)
TSV_TEXT = st.lists(
    st.one_of(TSV_PIECES, st.sampled_from(["\t", "\n", "\n\n", "\r\n"]), st.text(max_size=5)), max_size=60
).map("".join)
JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5), TSV_PIECES),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.sampled_from(
                [
                    "type",
                    "accno",
                    "attributes",
                    "section",
                    "subsections",
                    "links",
                    "files",
                    "name",
                    "value",
                    "url",
                    "path",
                    "reference",
                    "valqual",
                    "size",
                ]
            ),
            children,
            max_size=5,
        ),
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(TSV_TEXT)
def test_any_tsv_is_read_or_refused_cleanly(text):
    try:
        submission = parse_tsv("Submission\n" + text) if text.startswith("\n") else parse_tsv(text)
    except PageTabFormatError:
        return
    deposition_from_submission(submission)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_any_json_is_read_or_refused_cleanly(data):
    try:
        submission = parse_json({"type": "submission", "section": data} if isinstance(data, dict) else data)
    except PageTabFormatError:
        return
    deposition_from_submission(submission)


def test_round_trip_ignores_wizard_state_that_is_not_deposited(tmp_path):
    from bioimage_depositor.domain import deposition as model

    if not hasattr(model, "PrefilledValue"):
        pytest.skip("this version of the model has no prefilled marks")
    original = read_draft_file(EXAMPLES[0]).deposition
    acquisition = original.acquisitions[0]
    original.prefilled.append(
        model.PrefilledValue(
            location=["acquisitions", acquisition.id, "imaging_instrument"], value=acquisition.imaging_instrument
        )
    )
    result = export_package(original, tmp_path / "pkg", CTX)
    imported = import_pagetab(result.path).deposition
    assert imported == canonical_ids(pagetab.bia_part(original)) and imported.prefilled == []
