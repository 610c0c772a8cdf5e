"""Generated drafts: every valid one exports to valid files; every missing required field is our own problem.

The real BIA validator is too slow for hundreds of drafts; it runs on the examples and three
variants in test_rocrate.py. Here each generated crate goes through the in-process emulation
of its checks and of the submission profile (_bia_crate_checks.py), each EMPIAR JSON through
the empiar-depositor schema plus our extra checks, and each scene through the NGFF schemas
plus the shape check.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

import pytest
from _bia_crate_checks import profile_problems, structural_problems
from _export_drafts import CTX, CTX_ACCESSIONS, clem, light, no_blocking, render_all, with_annotations
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bioimage_depositor.domain.deposition import Deposition, FileEntry
from bioimage_depositor.domain.exports import pagetab, validators
from bioimage_depositor.domain.exports.package import (
    ExportBlockedError,
    export_package,
    export_problems,
    render_package,
)
from bioimage_depositor.domain.exports.rocrate import RESERVED_COLUMNS
from bioimage_depositor.domain.exports.transform_files import transform_files, with_transform_files

BASES: dict[str, Callable[[], Deposition]] = {
    "light": light,
    "clem": clem,
    "annotated": lambda: with_annotations(light()),
}

_TEXT = st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs"))


def prose(min_size: int, max_size: int = 60) -> st.SearchStrategy[str]:
    return st.text(_TEXT, min_size=min_size, max_size=max_size)


person_name = st.from_regex(
    r"\A[A-ZÉØ][a-zéøñ]{1,8}(?:[-'][A-Z]?[a-zéøñ]{1,6})? [A-Z][a-zéøñ']{1,10}\Z", fullmatch=True
)
attribute_key = st.from_regex(r"\A[a-z][a-z _]{0,10}[a-z]\Z", fullmatch=True).filter(
    lambda key: key.casefold() not in RESERVED_COLUMNS and key.replace(" ", "_") != "source_image"
)
attribute_value = st.text(_TEXT, max_size=20)


@st.composite
def variants(draw):
    base = draw(st.sampled_from(sorted(BASES)))
    dep = BASES[base]()
    study = dep.study
    if draw(st.booleans()):
        study.title = draw(prose(30, 120))
    if draw(st.booleans()):
        study.description = draw(prose(30, 200))
    study.keywords = draw(st.lists(prose(1, 20), min_size=1, max_size=4))
    study.acknowledgements = draw(prose(0, 40))
    for person in study.contributors:
        if draw(st.booleans()):
            person.name = draw(person_name)
    for affiliation in study.affiliations:
        affiliation.address = draw(prose(0, 40))
    for section in (dep.biosamples, dep.specimens, dep.acquisitions, dep.correlations, dep.analyses):
        for index, item in enumerate(section):
            if draw(st.booleans()):
                item.title = f"{index}: {draw(prose(1, 30))}"  # stays unique within its section
    for biosample in dep.biosamples:
        biosample.description = draw(prose(0, 60))
        biosample.intrinsic_variables = draw(st.lists(prose(1, 20), max_size=2))
    for component in dep.components:
        component.name = f"{component.id}: {draw(prose(0, 30))}"
        component.description = draw(prose(1, 80))
        for entry in component.files:
            entry.attributes = draw(st.dictionaries(attribute_key, attribute_value, max_size=3))
        if component.empiar is not None:
            image_set = component.empiar.image_sets[0]
            image_set.name = draw(prose(1, 60))
            image_set.details = draw(prose(0, 60))
            image_set.category_other = draw(prose(1, 30))
            component.empiar.scale = draw(st.sampled_from(["", "1", "3", "5"]))
    for annotation in dep.annotations:
        annotation.overview = draw(prose(1, 60))
        annotation.method = draw(prose(1, 60))
        annotation.criteria = draw(prose(0, 40))
    if dep.correlative and draw(st.booleans()):  # a landmark table kept with the scene, by either side
        holder = draw(st.sampled_from(dep.components))
        holder.files.append(FileEntry(path="correlation/landmarks.csv", size_bytes=draw(st.integers(0, 10**6))))
    ctx = draw(st.sampled_from([CTX, CTX_ACCESSIONS]))
    return dep, ctx


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
@given(variants())
def test_valid_drafts_export_to_valid_crates_json_and_scenes(variant):
    dep, ctx = variant
    assume(no_blocking(dep) == [])
    rendered = render_all(dep, ctx)
    assert rendered == render_all(dep, ctx)  # deterministic
    assert rendered["rocrate"], "every base has BIA components"
    assert structural_problems(rendered["rocrate"]) == []
    assert profile_problems(rendered["rocrate"]) == []
    for data in rendered["empiar"].values():
        assert validators.validate_empiar_json(json.loads(data)) == []
    for data in rendered["ngff"].values():
        assert validators.validate_scene(json.loads(data)) == []
    for files in rendered.values():
        for data in files.values():
            assert b"\r" not in data and data.endswith(b"\n")
            data.decode("utf-8")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(variants())
def test_valid_drafts_give_whole_packages_that_list_every_file(variant):
    """The whole package: PageTab passes its own check, every file is in the manifest and the BIA lists."""
    dep, ctx = variant
    assume(no_blocking(dep) == [] and export_problems(dep) == [])
    files, missing, _ = render_package(dep, ctx)  # raises if the PageTab fails its structural check
    assert missing == []
    assert pagetab.check_pagetab({k.removeprefix("bia/pagetab/"): v for k, v in files.items()}) == []
    rows = list(csv.DictReader(io.StringIO(files["MANIFEST.tsv"].decode()), delimiter="\t"))
    received = with_transform_files(dep)
    assert len(rows) == sum(len(c.files) for c in received.components) + sum(len(a.files) for a in dep.annotations)
    listed = {
        line.split("\t")[0]
        for name, data in files.items()
        if name.startswith("bia/pagetab/file_lists/")
        for line in data.decode().splitlines()[1:]
    }
    bia = {row["deposited_path"] for row in rows if row["archive"] == "BIA"}
    assert listed == bia
    for item in transform_files(dep):  # registration files reach both archives of the correlation
        archives = {row["archive"] for row in rows if row["deposited_path"] == item.path}
        users = {c.archive for c in dep.components if set(c.correlation_ids) & set(item.correlation_ids)}
        assert archives == users, item.path


# ---------------------------------------------------------------- required fields


def _clear(path: str) -> Callable[[Deposition], None]:
    """Set the attribute at a dotted path (with [i] indices) to its empty value."""

    def change(dep: Deposition) -> None:
        target: object = dep
        parts = path.replace("[", ".").replace("]", "").split(".")
        for part in parts[:-1]:
            target = target[int(part)] if part.isdigit() else getattr(target, part)  # type: ignore[index]
        current = getattr(target, parts[-1])
        empty = [] if isinstance(current, list) else (None if current is None or not isinstance(current, str) else "")
        setattr(target, parts[-1], empty)

    return change


REQUIRED: list[tuple[str, str, str]] = [
    # (base, field cleared, problem code)
    ("light", "study.title", "study.title.missing"),
    ("light", "study.keywords", "study.keywords.missing"),
    ("light", "study.contributors[0].affiliation_ids", "contributor.affiliation.missing"),
    ("light", "study.description", "study.description.missing"),
    ("light", "study.licence", "study.licence.missing"),
    ("light", "study.release_date", "study.release_date.missing"),
    ("light", "study.contributors", "study.contributors.missing"),
    ("light", "study.contributors[0].name", "contributor.name.missing"),
    ("light", "study.affiliations[0].name", "affiliation.name.missing"),
    ("light", "biosamples[0].title", "biosample.title.missing"),
    ("light", "biosamples[0].organisms", "biosample.organism.missing"),
    ("light", "biosamples[0].biological_entity", "biosample.biological_entity.missing"),
    ("light", "specimens[0].title", "specimen.title.missing"),
    ("light", "specimens[0].sample_preparation_protocol", "specimen.preparation.missing"),
    ("light", "acquisitions[0].title", "acquisition.title.missing"),
    ("light", "acquisitions[0].imaging_instrument", "acquisition.instrument.missing"),
    ("light", "acquisitions[0].imaging_methods", "acquisition.method.missing"),
    ("light", "acquisitions[0].image_acquisition_parameters", "acquisition.parameters.missing"),
    ("light", "analyses[0].title", "analysis.title.missing"),
    ("light", "analyses[0].overview", "analysis.overview.missing"),
    ("light", "components[0].name", "component.name.missing"),
    ("light", "components[0].description", "component.description.missing"),
    ("light", "components[0].biosample_ids", "component.biosamples.missing"),
    ("light", "components[0].specimen_ids", "component.specimens.missing"),
    ("light", "components[0].acquisition_ids", "component.acquisitions.missing"),
    ("annotated", "annotations[0].title", "annotation.title.missing"),
    ("annotated", "annotations[0].overview", "annotation.overview.missing"),
    ("annotated", "annotations[0].method", "annotation.method.missing"),
    ("annotated", "annotations[0].annotation_types", "annotation.types.missing"),
    ("clem", "correlations[0].title", "correlation.title.missing"),
    ("clem", "correlations[0].spatial_temporal_alignment", "correlation.alignment.missing"),
    ("clem", "correlations[0].transforms[0].matrix", "correlation.transform.matrix.missing"),
    ("clem", "correlations[0].transforms[0].input", "correlation.transform.input.missing"),
    ("clem", "correlations[0].coordinate_systems[0].axes[0].unit", "correlation.axis.unit.space"),
    ("clem", "components[1].empiar.experiment_type", "empiar.experiment_type.missing"),
    ("clem", "components[1].empiar.image_sets", "empiar.imageset.missing"),
    ("clem", "components[1].empiar.image_sets[0].name", "empiar.imageset.name.missing"),
    ("clem", "components[1].empiar.image_sets[0].directory", "empiar.imageset.directory.missing"),
    ("clem", "components[1].empiar.image_sets[0].category", "empiar.imageset.category.missing"),
    ("clem", "components[1].empiar.image_sets[0].category_other", "empiar.imageset.category_other.missing"),
    ("clem", "components[1].empiar.image_sets[0].header_format", "empiar.imageset.header_format.missing"),
    ("clem", "components[1].empiar.image_sets[0].data_format", "empiar.imageset.data_format.missing"),
    ("clem", "components[1].empiar.image_sets[0].voxel_type", "empiar.imageset.voxel_type.missing"),
    (
        "clem",
        "components[1].empiar.image_sets[0].num_images_or_tilt_series",
        "empiar.imageset.num_images_or_tilt_series.missing",
    ),
    ("clem", "components[1].empiar.image_sets[0].frames_per_image", "empiar.imageset.frames_per_image.missing"),
    ("clem", "study.contributors[0].email", "empiar.contact.email.missing"),
    ("clem", "study.affiliations[0].country", "empiar.contact.country.missing"),
    ("clem", "components[0].files", "bia.files.no_images"),
]


@pytest.mark.parametrize(("base", "path", "code"), REQUIRED, ids=[f"{b}:{p}" for b, p, _ in REQUIRED])
def test_each_required_field_removed_is_our_own_problem(base, path, code, tmp_path):
    dep = BASES[base]()
    assert no_blocking(dep) == []
    _clear(path)(dep)
    problems = no_blocking(dep)
    assert code in {p.code for p in problems}, [p.code for p in problems]
    found = next(p for p in problems if p.code == code)
    assert found.message.endswith((".", ")")) and len(found.message) > 15  # a sentence, not a key
    with pytest.raises(ExportBlockedError) as refused:  # never an invalid package
        export_package(dep, tmp_path / "package", CTX)
    assert code in {p.code for p in refused.value.problems}
    assert not (tmp_path / "package").exists()


@pytest.mark.parametrize("base", sorted(BASES))
def test_no_contact_address_at_all_is_our_own_problem(base):
    dep = BASES[base]()
    for person in dep.study.contributors:
        person.email = ""
    assert "study.contact.missing" in {p.code for p in no_blocking(dep)}


def test_examples_render_byte_identical_after_a_draft_round_trip():
    from bioimage_depositor.domain.draft_file import DraftEnvelope, serialise_draft

    for build in (light, clem):
        dep = build()
        reloaded = DraftEnvelope.model_validate_json(serialise_draft(DraftEnvelope(deposition=dep))).deposition
        for ctx in (CTX, CTX_ACCESSIONS):
            assert render_all(dep, ctx) == render_all(reloaded, ctx)
