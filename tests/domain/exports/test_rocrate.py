"""The BIA RO-Crate renderer, checked by bia-ro-crate-validator 0.3.1 itself and by the submission profile."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from _bia_crate_checks import profile_problems, read_tsv, structural_problems
from _export_drafts import CTX, CTX_ACCESSIONS, awkward, clem, light, no_blocking, with_annotations
from hypothesis import given, settings
from hypothesis import strategies as st

from bioimage_depositor.domain.deposition import StudyComponent
from bioimage_depositor.domain.exports import rocrate, validators
from bioimage_depositor.domain.exports.base import ACCESSION_PLACEHOLDER

VALIDATOR = validators.validator_version()
needs_validator = pytest.mark.skipif(VALIDATOR is None, reason="bia-ro-crate-validator is not installed")


def graph(rendered):
    return {e["@id"]: e for e in json.loads(rendered[rocrate.METADATA_FILE])["@graph"]}


def of_type(rendered, kind):
    return [e for e in graph(rendered).values() if kind in e["@type"]]


def write(rendered, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in rendered.items():
        (folder / name).write_bytes(data)
    return folder


# The real validator: both examples and three variants (a few seconds each, so few runs).
REAL_CASES = {
    "light-example": (light, CTX),
    "clem-example": (clem, CTX),
    "light-with-annotations": (lambda: with_annotations(light()), CTX),
    "clem-awkward-with-accessions": (lambda: awkward(clem()), CTX_ACCESSIONS),
    "light-awkward-annotations": (lambda: awkward(with_annotations(light())), CTX),
}


@needs_validator
@pytest.mark.parametrize("case", REAL_CASES)
def test_bia_ro_crate_validate_accepts_the_crate(case, tmp_path):
    build, ctx = REAL_CASES[case]
    deposition = build()
    assert no_blocking(deposition) == []
    crate = write(rocrate.render(deposition, ctx), tmp_path / case)
    result = validators.validate_rocrate_dir(crate)
    assert result.available and result.exit_code == 0 and result.ok, result.output
    assert result.messages == ()  # not even a warning (no orphans)
    assert result.infos == ()


@pytest.mark.parametrize("case", REAL_CASES)
def test_crate_passes_structure_and_submission_profile(case):
    build, ctx = REAL_CASES[case]
    rendered = rocrate.render(build(), ctx)
    assert structural_problems(rendered) == []
    assert profile_problems(rendered) == []


@needs_validator
def test_validator_failure_is_reported_with_a_mapped_message(tmp_path):
    rendered = rocrate.render(light(), CTX)
    crate = write(rendered, tmp_path / "broken")
    header, *rows = (crate / rocrate.FILE_LIST).read_text().splitlines()
    (crate / rocrate.FILE_LIST).write_text("\n".join([header + "\tchannel", *(row + "\tGFP" for row in rows)]) + "\n")
    result = validators.validate_rocrate_dir(crate)
    assert result.available and not result.ok and result.exit_code == 1
    assert result.messages == ("The file list has columns that ro-crate-metadata.json does not declare: {'channel'}.",)


def test_missing_validator_is_reported_not_raised(monkeypatch, tmp_path):
    monkeypatch.setattr(validators, "validator_version", lambda: None)
    result = validators.validate_rocrate_dir(tmp_path)
    assert not result.available and not result.ok and result.exit_code is None
    assert "not installed" in result.summary and "validator" in result.summary


def test_unstartable_interpreter_is_reported(tmp_path):
    result = validators.validate_rocrate_dir(tmp_path, python=str(tmp_path / "no-such-python"))
    assert not result.available and "could not be started" in result.messages[0]


# ---------------------------------------------------------------- content


def test_root_study_placeholder_is_marked_and_has_no_doi():
    rendered = rocrate.render(light(), CTX)
    entities = graph(rendered)
    root = entities["./"]
    assert root["@type"] == ["Dataset", "bia:Study"]
    assert root["accessionId"] == ACCESSION_PLACEHOLDER
    assert "doi" not in root
    assert "placeholder" in entities[rocrate.METADATA_FILE]["description"]
    assert root["license"] == "https://creativecommons.org/licenses/by/4.0/"  # RO-Crate form, not legalcode
    assert root["datePublished"] == "2027-03-01"


def test_real_accession_replaces_the_placeholder():
    entities = graph(rocrate.render(clem(), CTX_ACCESSIONS))
    assert entities["./"]["accessionId"] == "S-BIAD1234"
    assert entities["./"]["doi"] == "10.6019/S-BIAD1234"
    assert "description" not in entities[rocrate.METADATA_FILE]


def test_people_use_orcid_and_ror_iris():
    entities = graph(rocrate.render(light(), CTX))
    carberry = entities["https://orcid.org/0000-0002-1825-0097"]
    assert carberry["@type"] == ["Person", "bia:Contributor"]
    assert carberry["memberOf"] == [{"@id": "https://ror.org/02catss52"}]
    assert carberry["role"] == ["corresponding author", "data acquisition"]
    assert entities["#contributor-2"]["name"] == "Ana Souza"
    assert entities["https://ror.org/02catss52"]["@type"] == ["Organization", "bia:Affiliation"]
    assert entities["./"]["author"] == [{"@id": "https://orcid.org/0000-0002-1825-0097"}, {"@id": "#contributor-2"}]


def test_publication_funding_and_links():
    entities = graph(rocrate.render(light(), CTX))
    paper = entities["https://doi.org/10.5555/spindle.2026.001"]
    assert paper["@type"] == ["ScholarlyArticle", "bia:Publication"]
    assert paper["doi"] == "10.5555/spindle.2026.001" and paper["yearPublished"] == 2026
    grant = entities["#grant-1"]
    assert grant["identifier"] == "226789/Z/22/Z"
    assert entities[grant["funder"][0]["@id"]]["name"] == "Wellcome Trust"
    link = entities["https://github.com/example-lab/spindle-analysis"]
    assert link["@type"] == ["bia:ExternalReference"] and link["description"] == "Analysis code"


def test_rembi_dataset_has_the_four_associations_and_objects():
    rendered = rocrate.render(light(), CTX)
    entities = graph(rendered)
    dataset = entities["#component-untreated"]
    assert dataset["@type"] == ["Dataset", "bia:Dataset", "bia:RembiDataset"]
    for key in (
        "associatedBiologicalEntity",
        "associatedSpecimen",
        "associatedSpecimenImagingPreparationProtocol",
        "associatedImageAcquisitionProtocol",
    ):
        assert dataset[key]
    assert dataset["associatedImageAnalysisMethod"] == [{"@id": "#analysis-spindle"}]
    specimen = entities[dataset["associatedSpecimen"]["@id"]]
    assert specimen["biologicalEntity"] == [{"@id": "#biosample-hela"}]
    assert specimen["imagingPreparationProtocol"] == [{"@id": "#specimen-untreated"}]
    biosample = entities["#biosample-hela"]
    assert biosample["organismClassification"] == [{"@id": "http://purl.obolibrary.org/obo/NCBITaxon_9606"}]
    taxon = entities["http://purl.obolibrary.org/obo/NCBITaxon_9606"]
    assert taxon == {
        "@id": "http://purl.obolibrary.org/obo/NCBITaxon_9606",
        "@type": ["bia:Taxon"],
        "commonName": "human",
        "scientificName": "Homo sapiens",
    }
    acquisition = entities["#acquisition-spinning-disk"]
    assert acquisition["imagingMethodName"] == ["spinning disk confocal microscopy"]
    assert acquisition["fbbiId"] == ["FBbi:00000253"]
    growth = entities[dataset["associatedProtocol"][0]["@id"]]
    assert growth["@type"] == ["bia:Protocol"] and growth["description"].startswith("DMEM")


def test_correlation_method_names_the_scene():
    entities = graph(rocrate.render(clem(), CTX))
    method = entities["#correlation-landmarks"]
    assert method["@type"] == ["bia:ImageCorrelationMethod"]
    assert method["fiducialsUsed"] == "Sapphire disc grid pattern and lipid droplets"
    assert "correlation/correlation-landmarks.zarr/zarr.json" in method["transformationMatrix"]
    assert "[1000, 0, 0, 42]" in method["transformationMatrix"]
    assert entities["#component-lm"]["associatedImageCorrelationMethod"] == [{"@id": "#correlation-landmarks"}]


def test_only_bia_components_and_what_they_use_are_in_the_crate():
    rendered = rocrate.render(clem(), CTX)
    entities = graph(rendered)
    assert "#component-em" not in entities
    assert "#acquisition-fibsem" not in entities  # used only by the EMPIAR component
    _, rows = read_tsv(rendered[rocrate.FILE_LIST].decode())
    assert [row["file_path"] for row in rows] == [
        "lm/cell1_airyscan.czi",
        "lm/cell2_airyscan.czi",
        "lm/cell3_airyscan.czi",
        "correlation/correlation-landmarks.zarr/zarr.json",  # the scene is deposited with the LM data
    ]
    assert rows[-1]["dataset"] == "#component-lm" and rows[-1]["type"] == ""  # not an image


def test_empiar_back_link_once_the_accession_is_known():
    without = graph(rocrate.render(clem(), CTX))
    assert not [e for e in without.values() if "bia:ExternalReference" in e["@type"]]
    entities = graph(rocrate.render(clem(), CTX_ACCESSIONS))
    link = entities["https://www.ebi.ac.uk/empiar/EMPIAR-10999/"]
    assert link["additionalType"] == "EMPIAR"
    assert link["description"] == "FIB-SEM volumes of the same cells (EMPIAR-10999)"
    assert {"@id": "https://www.ebi.ac.uk/empiar/EMPIAR-10999/"} in entities["./"]["seeAlso"]


def test_mifa_dataset_and_annotation_method():
    rendered = rocrate.render(with_annotations(light()), CTX)
    entities = graph(rendered)
    dataset = entities["#annotations-spindle-masks"]
    assert dataset["@type"] == ["Dataset", "bia:Dataset", "bia:MifaDataset"]
    method = entities[dataset["associatedAnnotationMethod"][0]["@id"]]
    assert method["methodType"] == ["segmentation_mask", "point_annotations"]
    assert method["annotationCriteria"].startswith("All frames")
    header, rows = read_tsv(rendered[rocrate.FILE_LIST].decode())
    assert header[:5] == ["file_path", "size_in_bytes", "dataset", "type", "source_image"]
    masks = [row for row in rows if row["dataset"] == "#annotations-spindle-masks"]
    assert {row["type"] for row in masks} == {"http://bia/AnnotationData"}
    assert masks[0]["source_image"] == "untreated/cell_01.ome.tif"
    assert masks[-1]["source_image"] == "untreated/cell_01.ome.tif, untreated/cell_02.ome.tif"
    assert "annotator" in header and "Source Image" not in header


def test_file_list_cells_repeat_ids_exactly_even_when_encoded():
    dep = light()
    dep.components[0].id = "component 1, raw"  # space and comma: percent-encoded
    rendered = rocrate.render(dep, CTX)
    assert "#component%201%2C%20raw" in graph(rendered)
    frame = pd.read_csv(io.BytesIO(rendered[rocrate.FILE_LIST]), delimiter="\t")
    assert set(frame["dataset"]) == {"#component%201%2C%20raw", "#component-nocodazole"}
    assert structural_problems(rendered) == []


def test_free_columns_survive_quotes_commas_and_hashes():
    rendered = rocrate.render(awkward(light()), CTX)
    frame = pd.read_csv(io.BytesIO(rendered[rocrate.FILE_LIST]), delimiter="\t", keep_default_na=False)
    assert list(frame["note"]) == ['a "quoted", value', "NA", 'a "quoted", value', "NA"]
    columns = [e for e in graph(rendered).values() if "csvw:Column" in e["@type"]]
    assert {c["columnName"] for c in columns} == set(frame.columns)
    assert next(c for c in columns if c["columnName"] == "note").get("propertyUrl") is None


def test_non_image_files_are_listed_without_a_type():
    dep = light()
    dep.components[0].files[1].path = "untreated/README.txt"
    _, rows = read_tsv(rocrate.render(dep, CTX)[rocrate.FILE_LIST].decode())
    assert [row["type"] for row in rows][:2] == ["http://bia/Image", ""]


def test_nothing_for_the_bia_renders_nothing():
    dep = clem()
    dep.components = [c for c in dep.components if c.archive == "EMPIAR"]
    assert rocrate.render(dep, CTX) == {}


def test_render_is_deterministic_and_byte_stable():
    first = rocrate.render(awkward(with_annotations(light())), CTX)
    second = rocrate.render(awkward(with_annotations(light())), CTX)
    assert first == second
    text = first[rocrate.METADATA_FILE].decode("utf-8")
    assert text.endswith("}\n") and "\r" not in text
    assert first[rocrate.FILE_LIST].endswith(b"\n") and b"\r" not in first[rocrate.FILE_LIST]


def test_rules_refuse_what_the_file_list_cannot_hold():
    dep = with_annotations(light())
    dep.components[0].files[0].attributes["Type"] = "raw"
    dep.annotations[0].files[0].attributes["source_image"] = "untreated/missing.tif"
    dep.components.append(
        StudyComponent(
            name="Copy",
            description="Same files again",
            biosample_ids=["biosample-hela"],
            specimen_ids=["specimen-untreated"],
            acquisition_ids=["acquisition-spinning-disk"],
            files=[dep.components[0].files[1].model_copy()],
        )
    )
    codes = {p.code for p in no_blocking(dep)}
    assert {"file.attribute.reserved", "file.source_image.unknown", "files.path.shared"} <= codes


def test_bia_components_without_images_block_export():
    dep = light()
    for component in dep.components:
        component.files = []
    assert "bia.files.no_images" in {p.code for p in no_blocking(dep)}


def test_odd_dois_and_links_become_valid_iris():
    from bioimage_depositor.domain.rembi import Publication, RelatedLink

    dep = light()
    dep.study.publications.append(
        Publication(title="Old SICI paper", doi="10.1002/(SICI)1097-4636(199905)45:2<120::AID-JBM7>3.0.CO;2-K")
    )
    dep.study.links.append(RelatedLink(url="https://example.org/a|b{c}^d", description="odd"))
    assert no_blocking(dep) == []
    rendered = rocrate.render(dep, CTX)
    entities = graph(rendered)
    assert "https://doi.org/10.1002/(SICI)1097-4636(199905)45:2%3C120::AID-JBM7%3E3.0.CO;2-K" in entities
    assert "https://example.org/a%7Cb%7Bc%7D%5Ed" in entities
    assert structural_problems(rendered) == []


# ---------------------------------------------------------------- the fast file-list writer


@settings(max_examples=400, deadline=None)
@given(
    st.integers(1, 5).flatmap(
        lambda width: st.lists(
            st.lists(st.text(alphabet='a \t"\n\r,#é\\', max_size=5), min_size=width, max_size=width), max_size=6
        ).map(lambda rows: (width, rows))
    )
)
def test_file_list_text_is_what_the_csv_module_writes(sized):
    width, rows = sized
    header = [f"c{i}" for i in range(width)]
    buffer = io.StringIO()
    csv.writer(buffer, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL).writerows([header, *rows])
    assert rocrate._tsv_text([tuple(header), *map(tuple, rows)], width) == buffer.getvalue().encode("utf-8")


@pytest.mark.parametrize(
    "path", ["a/b.tif", "a/b", "a.b/c", "a/.hidden", "notes.TXT", "x/table.csv", "plain", ".csv", "a/b.c.json"]
)
def test_image_typing_of_the_file_list_matches_is_image_path(path):
    dep = light()
    dep.components[0].files[0].path = path
    _, rows = read_tsv(rocrate.render(dep, CTX)[rocrate.FILE_LIST].decode())
    assert rows[0]["file_path"] == path
    assert rows[0]["type"] == (rocrate.IMAGE_TYPE if rocrate.is_image_path(path) else "")
