"""Property-based: random valid drafts export to well-formed packages; a missing required field blocks export."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bioimage_depositor.domain.deposition import AnnotationSet, Deposition, FileEntry
from bioimage_depositor.domain.draft_file import read_draft_file
from bioimage_depositor.domain.exports import pagetab
from bioimage_depositor.domain.exports.base import ExportContext
from bioimage_depositor.domain.exports.package import ExportBlockedError, export_package, render_package
from bioimage_depositor.domain.imports.pagetab_import import canonical_ids, import_pagetab
from bioimage_depositor.domain.rembi import CONTRIBUTOR_ROLES
from bioimage_depositor.domain.rules import check_deposition

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = {p.name: read_draft_file(p).deposition for p in sorted((ROOT / "examples").glob("*.draft.json"))}
CTX = ExportContext(export_date=dt.date(2026, 11, 25), app_version="test")

# Anything a depositor might paste: letters of any script, punctuation, quotes, tabs,
# line breaks, invisible characters. Surrogates are not text a form can hold.
RAW = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
BLOCK_RAW = st.text(st.characters(blacklist_categories=("Cs",), whitelist_characters="\n"), max_size=60)
NAMES = st.sampled_from(["Jane Smith", "José Álvarez-Núñez", "Siobhán O'Neill", "Zhang Wei", "Anna-Lena Müller"])
KEYS = st.from_regex(r"[A-Za-z][A-Za-z0-9 ]{0,10}[A-Za-z0-9]", fullmatch=True).filter(
    lambda k: (
        k.casefold() not in {"files", "type", "dataset", "file path", "size in bytes"}
        and not k.casefold().replace(" ", "_").startswith(("source_image", "file_path", "size_in_bytes"))
    )
)


def text(draw: st.DrawFn, suffix: str = "x", block: bool = False) -> str:
    """Random text that stays non-empty after the model cleans it."""
    return draw(BLOCK_RAW if block else RAW) + suffix


@st.composite
def valid_drafts(draw: st.DrawFn) -> Deposition:
    """An example draft with its text fields replaced by random text, kept free of blocking problems."""
    deposition = EXAMPLES[draw(st.sampled_from(sorted(EXAMPLES)))].model_copy(deep=True)
    study = deposition.study
    study.title = text(draw, " — live imaging of dividing cells")
    study.description = text(draw, "\nCells were imaged every thirty seconds.", block=True)
    study.keywords = [text(draw, f" k{i}") for i in range(draw(st.integers(1, 4)))]
    study.acknowledgements = draw(BLOCK_RAW)
    # EMPIAR has its own rules for names (initials, characters), so people get realistic ones.
    for person in study.contributors:
        person.name = draw(NAMES)
        person.roles = draw(st.lists(st.sampled_from(CONTRIBUTOR_ROLES), max_size=3, unique=True))
    for affiliation in study.affiliations:
        affiliation.name = text(draw, " Institute")
        affiliation.address = draw(RAW)
    for publication in study.publications:
        publication.title = text(draw, " paper")
        publication.authors = draw(RAW)
    for funding in study.funding:
        funding.funder = text(draw, " Trust")
        funding.grant_id = draw(RAW)
    for link in study.links:
        link.description = draw(RAW)
    for index, sample in enumerate(deposition.biosamples):
        sample.title = text(draw, f" sample {index}")
        sample.description = draw(BLOCK_RAW)
        sample.biological_entity = text(draw, " cells", block=True)
        sample.intrinsic_variables = [text(draw, f" v{i}") for i in range(draw(st.integers(0, 3)))]
        sample.experimental_variables = [text(draw, f" e{i}") for i in range(draw(st.integers(0, 2)))]
    for index, specimen in enumerate(deposition.specimens):
        specimen.title = text(draw, f" specimen {index}")
        specimen.sample_preparation_protocol = text(draw, " fixed", block=True)
        specimen.growth_protocol = draw(BLOCK_RAW)
    for index, acquisition in enumerate(deposition.acquisitions):
        acquisition.title = text(draw, f" acquisition {index}")
        acquisition.imaging_instrument = text(draw, " microscope", block=True)
        acquisition.image_acquisition_parameters = text(draw, " 60x", block=True)
    for index, correlation in enumerate(deposition.correlations):
        correlation.title = text(draw, f" correlation {index}")
        correlation.spatial_temporal_alignment = text(draw, " landmarks", block=True)
        correlation.fiducials_used = draw(BLOCK_RAW)
    for index, analysis in enumerate(deposition.analyses):
        analysis.title = text(draw, f" analysis {index}")
        analysis.overview = text(draw, " tracked", block=True)
        analysis.features_analysed = draw(BLOCK_RAW)
    for index, component in enumerate(deposition.components):
        component.name = text(draw, f" component {index}")
        component.description = text(draw, " images", block=True)
        keys = draw(st.lists(KEYS, max_size=3, unique_by=str.casefold))
        for entry in component.files:
            entry.attributes = {key: text(draw, " value") for key in keys if draw(st.booleans())}
    bia = [c for c in deposition.components if c.archive == "BIA"]
    if bia and draw(st.booleans()):
        images = [entry.deposited_path for entry in bia[0].files]
        deposition.annotations.append(
            AnnotationSet(
                title=text(draw, " masks"),
                overview=text(draw, " overview"),
                annotation_types=draw(
                    st.lists(
                        st.sampled_from(["segmentation_mask", "tracks", "counts"]), min_size=1, max_size=2, unique=True
                    )
                ),
                method=text(draw, " by hand"),
                source_component_ids=[bia[0].id],
                files=[
                    FileEntry(path=f"masks/mask_{i:02d}.tif", attributes={"source_image": image})
                    for i, image in enumerate(images)
                ],
            )
        )
    assume(not [p for p in check_deposition(deposition) if p.blocking])
    return deposition


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(valid_drafts())
def test_random_valid_drafts_give_well_formed_pagetab_that_imports_back(deposition):
    files, _, _ = render_package(deposition, CTX)
    rendered = {k.removeprefix("bia/pagetab/"): v for k, v in files.items() if k.startswith("bia/pagetab/")}
    assert pagetab.check_pagetab(rendered) == []
    expected = canonical_ids(pagetab.bia_part(deposition))
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for name, data in files.items():
            target = root.joinpath(*name.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        from_json = import_pagetab(root)
        from_tsv = import_pagetab(root / "bia" / "pagetab" / "submission.tsv")
    assert from_json.report.unrepresented == []
    assert from_json.deposition == expected
    assert from_tsv.deposition == expected


def _first_bia(d: Deposition):
    return next(c for c in d.components if c.archive == "BIA")


def _set(getter: Callable[[Deposition], object], name: str, value: object) -> Callable[[Deposition], None]:
    def apply(d: Deposition) -> None:
        setattr(getter(d), name, value)

    return apply


def _all_emails(d: Deposition) -> None:
    for person in d.study.contributors:
        person.email = ""


REMOVALS: dict[str, tuple[Callable[[Deposition], bool], Callable[[Deposition], None]]] = {
    "study title": (lambda d: True, _set(lambda d: d.study, "title", "")),
    "study description": (lambda d: True, _set(lambda d: d.study, "description", "")),
    "keywords": (lambda d: True, _set(lambda d: d.study, "keywords", [])),
    "licence": (lambda d: True, _set(lambda d: d.study, "licence", "")),
    "release date": (lambda d: True, _set(lambda d: d.study, "release_date", None)),
    "contributors": (lambda d: True, _set(lambda d: d.study, "contributors", [])),
    "contributor name": (lambda d: True, _set(lambda d: d.study.contributors[0], "name", "")),
    "contributor organisation": (lambda d: True, _set(lambda d: d.study.contributors[0], "affiliation_ids", [])),
    "contact e-mail": (lambda d: True, _all_emails),
    "organisation name": (lambda d: True, _set(lambda d: d.study.affiliations[0], "name", "")),
    "publication title": (lambda d: bool(d.study.publications), _set(lambda d: d.study.publications[0], "title", "")),
    "funder": (lambda d: bool(d.study.funding), _set(lambda d: d.study.funding[0], "funder", "")),
    "biosample title": (lambda d: True, _set(lambda d: d.biosamples[0], "title", "")),
    "organism": (lambda d: True, _set(lambda d: d.biosamples[0], "organisms", [])),
    "biological entity": (lambda d: True, _set(lambda d: d.biosamples[0], "biological_entity", "")),
    "specimen title": (lambda d: True, _set(lambda d: d.specimens[0], "title", "")),
    "preparation protocol": (lambda d: True, _set(lambda d: d.specimens[0], "sample_preparation_protocol", "")),
    "acquisition title": (lambda d: True, _set(lambda d: d.acquisitions[0], "title", "")),
    "instrument": (lambda d: True, _set(lambda d: d.acquisitions[0], "imaging_instrument", "")),
    "acquisition parameters": (lambda d: True, _set(lambda d: d.acquisitions[0], "image_acquisition_parameters", "")),
    "imaging method": (lambda d: True, _set(lambda d: d.acquisitions[0], "imaging_methods", [])),
    "correlation title": (lambda d: bool(d.correlations), _set(lambda d: d.correlations[0], "title", "")),
    "alignment": (lambda d: bool(d.correlations), _set(lambda d: d.correlations[0], "spatial_temporal_alignment", "")),
    "analysis title": (lambda d: bool(d.analyses), _set(lambda d: d.analyses[0], "title", "")),
    "analysis overview": (lambda d: bool(d.analyses), _set(lambda d: d.analyses[0], "overview", "")),
    "component name": (lambda d: True, _set(_first_bia, "name", "")),
    "component description": (lambda d: True, _set(_first_bia, "description", "")),
    "component biosample": (lambda d: True, _set(_first_bia, "biosample_ids", [])),
    "component specimen": (lambda d: True, _set(_first_bia, "specimen_ids", [])),
    "component acquisition": (lambda d: True, _set(_first_bia, "acquisition_ids", [])),
    "components": (lambda d: True, _set(lambda d: d, "components", [])),
    "annotation title": (lambda d: bool(d.annotations), _set(lambda d: d.annotations[0], "title", "")),
    "annotation overview": (lambda d: bool(d.annotations), _set(lambda d: d.annotations[0], "overview", "")),
    "annotation types": (lambda d: bool(d.annotations), _set(lambda d: d.annotations[0], "annotation_types", [])),
    "annotation method": (lambda d: bool(d.annotations), _set(lambda d: d.annotations[0], "method", "")),
}


@SETTINGS
@given(valid_drafts(), st.sampled_from(sorted(REMOVALS)))
def test_removing_a_required_field_blocks_export_before_anything_is_written(deposition, field):
    applies, remove = REMOVALS[field]
    assume(applies(deposition))
    remove(deposition)
    assert [p for p in check_deposition(deposition) if p.blocking], field
    with tempfile.TemporaryDirectory() as folder:
        with pytest.raises(ExportBlockedError):
            export_package(deposition, Path(folder) / "pkg", CTX)
        assert list(Path(folder).iterdir()) == []


def _with_annotations(deposition: Deposition) -> Deposition:
    component = _first_bia(deposition)
    deposition.annotations.append(
        AnnotationSet(
            title="Masks",
            overview="Masks of every cell.",
            annotation_types=["segmentation_mask"],
            method="Drawn by hand.",
            source_component_ids=[component.id],
            files=[FileEntry(path="masks/m.tif", attributes={"source_image": component.files[0].deposited_path})],
        )
    )
    return deposition


@pytest.mark.parametrize("field", sorted(REMOVALS))
def test_every_required_field_of_the_examples_is_checked(field):
    applies, remove = REMOVALS[field]
    checked = 0
    for original in EXAMPLES.values():
        deposition = _with_annotations(original.model_copy(deep=True))
        assert not [p for p in check_deposition(deposition) if p.blocking]
        if not applies(deposition):
            continue
        remove(deposition)
        assert [p for p in check_deposition(deposition) if p.blocking], field
        checked += 1
    assert checked, field
