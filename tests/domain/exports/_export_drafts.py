"""Drafts for the export tests: the two examples, awkward variants of them, and export contexts."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path

from bioimage_depositor.domain.deposition import AnnotationSet, Deposition, FileEntry
from bioimage_depositor.domain.exports import empiar, ngff, rocrate
from bioimage_depositor.domain.exports.base import ExportContext, Rendered
from bioimage_depositor.domain.rembi import Contributor, Funding, Publication, RelatedAccession, RelatedLink
from bioimage_depositor.domain.rules import check_deposition

ROOT = Path(__file__).resolve().parents[3]
CTX = ExportContext(export_date=dt.date(2026, 11, 25), app_version="test")
CTX_ACCESSIONS = ExportContext(
    export_date=dt.date(2026, 11, 25),
    app_version="test",
    bia_accession="S-BIAD1234",
    empiar_accessions=(("component-em", "EMPIAR-10999"),),
)


def _examples_module():
    name = "bioimage_depositor_examples"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / "make_examples.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def light() -> Deposition:
    return _examples_module().light_microscopy()


def clem() -> Deposition:
    return _examples_module().clem()


def with_annotations(dep: Deposition) -> Deposition:
    """The light-microscopy example plus a MIFA annotation set whose masks name their source images."""
    sources = [entry.deposited_path for entry in dep.components[0].files]
    dep.annotations.append(
        AnnotationSet(
            id="annotations-spindle-masks",
            title="Spindle segmentation masks",
            overview="One label image per untreated cell marking the spindle region in every frame.",
            annotation_types=["segmentation_mask", "point_annotations"],
            method="Spindles outlined in napari by one annotator, poles marked as points.",
            criteria="All frames from NEBD to anaphase onset",
            coverage="All untreated cells",
            confidence_level="Checked by a second annotator",
            source_component_ids=[dep.components[0].id],
            files=[
                FileEntry(
                    path=f"masks/{Path(source).name.replace('.ome.tif', '_mask.tif')}",
                    size_bytes=1024,
                    attributes={"source_image": source, "annotator": "A. N. Other"},
                )
                for source in sources
            ]
            + [FileEntry(path="masks/poles.csv", size_bytes=99, attributes={"Source Image": ", ".join(sources)})],
        )
    )
    return dep


def awkward(dep: Deposition) -> Deposition:
    """Names, values and ids that break naive writers: apostrophes, quotes, commas, '#', 'NA', unicode."""
    dep.study.contributors.append(
        Contributor(
            name="Seán O'Brien",
            email="sean.obrien@example.org",
            roles=["data curation"],
            affiliation_ids=list(dep.study.contributors[0].affiliation_ids),
        )
    )
    dep.study.keywords.append('"quoted", keyword #1')
    dep.study.acknowledgements = 'Thanks to the facility\'s staff — and to "everyone".'
    dep.study.funding.append(Funding(funder="Fondation d'Été", grant_id="NA"))
    dep.study.publications.append(
        Publication(
            title="A preprint with a DOI",
            authors="O'Brien S, Carberry J, et al.",
            doi="10.1101/2026.01.01.123456",
            preprint=True,
        )
    )
    dep.study.links.append(RelatedLink(url="https://example.org/protocols?id=7&lang=en", description="Protocol, v2"))
    dep.study.related_accessions.append(RelatedAccession(accession="EMD-12345", description="Sub-tomogram average"))
    for component in dep.components:
        for index, entry in enumerate(component.files):
            entry.attributes = {
                **entry.attributes,
                "note": ['a "quoted", value', "NA", "#hash, comma", "[bracketed]"][index % 4],
                "1": "numeric column name",
            }
    return dep


def no_blocking(dep: Deposition) -> list:
    return [p for p in check_deposition(dep) if p.blocking]


def render_all(dep: Deposition, ctx: ExportContext = CTX) -> dict[str, Rendered]:
    return {"rocrate": rocrate.render(dep, ctx), "empiar": empiar.render(dep, ctx), "ngff": ngff.render(dep, ctx)}
