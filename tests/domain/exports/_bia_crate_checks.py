"""Fast, in-process checks of a rendered BIA RO-Crate, for tests that cannot afford the real validator.

Two parts:

* :func:`structural_problems` re-implements the checks of bia-ro-crate-validator 0.3.1 that
  our renderer could plausibly break (bia.md §6.2-6.5): context keys, flattening, unique and
  resolvable @ids, exactly one BIA class per entity, the per-type required properties, the
  file list linked from the root, no orphans, and the TSV read back with pandas the way the
  validator reads it (declared columns, unique paths, dataset cells, full-IRI types,
  source_image references to Image rows).
* :func:`profile_problems` emulates the unreleased ``bia-submission`` profile from its JSON
  (``data/bia-submission-ro-crate-profile.json``, a trimmed copy of bia-ro-crate-validator
  HEAD 6accbc1): every requirement kind that file uses is interpreted generically.

The real validator still runs on a handful of crates (test_rocrate.py); these checks run on
hundreds of generated ones.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import pandas as pd

from bioimage_depositor.paths import resource_path

PROFILE = Path(__file__).with_name("data") / "bia-submission-ro-crate-profile.json"
RO_CRATE_CONTEXT = "https://w3id.org/ro/crate/1.1/context"
IMAGE = "http://bia/Image"
ANNOTATION = "http://bia/AnnotationData"

#: BIA classes registered in 0.3.1 (bia_ro_crate.models.ro_crate_models), in "bia:X" form.
REGISTERED = {
    "bia:Study",
    "bia:Publication",
    "bia:Contributor",
    "bia:Affiliation",
    "bia:Grant",
    "bia:FundingBody",
    "bia:ExternalReference",
    "bia:Dataset",
    "bia:FileList",
    "bia:Image",
    "bia:AnnotationData",
    "bia:Specimen",
    "bia:CreationProcess",
    "bia:BioSample",
    "bia:Taxon",
    "bia:Protocol",
    "bia:SpecimenImagingPreparationProtocol",
    "bia:SignalChannel",
    "bia:ImageAcquisitionProtocol",
    "bia:AnnotationMethod",
    "bia:ImageAnalysisMethod",
    "bia:ImageCorrelationMethod",
    "csvw:Schema",
    "csvw:Column",
}

#: Required properties per BIA class (the pydantic models of 0.3.1), lists marked with a minimum.
REQUIRED = {
    "bia:Study": ("name", "description", "license", "datePublished", "author", "hasPart", "accessionId"),
    "bia:Contributor": ("name",),
    "bia:Affiliation": ("name",),
    "bia:Dataset": ("name",),
    "bia:FileList": ("tableSchema",),
    "csvw:Schema": ("column",),
    "csvw:Column": ("columnName",),
    "bia:Specimen": ("biologicalEntity", "imagingPreparationProtocol"),
    "bia:BioSample": ("description",),
    "bia:Protocol": ("name", "description"),
    "bia:SpecimenImagingPreparationProtocol": ("name", "description"),
    "bia:ImageAcquisitionProtocol": ("name", "description", "imagingInstrumentDescription"),
    "bia:AnnotationMethod": ("name", "description"),
    "bia:ImageAnalysisMethod": ("name", "description"),
    "bia:ImageCorrelationMethod": ("name", "description"),
}

_SINGLE_REF_KEYS = {
    "associatedSpecimen",
    "associatedCreationProcess",
    "growthProtocol",
    "tableSchema",
    "resultOf",
    "subject",
}


def _norm_type(value: str) -> str:
    return "bia:" + value.removeprefix("http://bia/") if value.startswith("http://bia/") else value


def types_of(entity: dict) -> set[str]:
    raw = entity.get("@type", [])
    return {_norm_type(t) for t in ([raw] if isinstance(raw, str) else raw)}


def _allowed_keys() -> set[str]:
    ro = json.loads(resource_path("ro-crate", "ro-crate-1.1-context.jsonld").read_text("utf-8"))["@context"]
    bia = json.loads(resource_path("ro-crate", "bia-ro-crate-context-0.3.1.json").read_text("utf-8"))
    return set(ro) | set(bia) | {"@id", "@type"}


ALLOWED_KEYS = _allowed_keys()


def _refs(value: object) -> list[str]:
    if isinstance(value, dict):
        return [value["@id"]] if set(value) == {"@id"} else []
    if isinstance(value, list):
        return [ref for item in value for ref in _refs(item)]
    return []


def read_tsv(text: str) -> tuple[list[str], list[dict[str, str]]]:
    """The file list as the csv module reads it (strings, quotes resolved)."""
    reader = csv.reader(io.StringIO(text), delimiter="\t")
    rows = list(reader)
    header = rows[0]
    return header, [dict(zip(header, row, strict=True)) for row in rows[1:]]


def structural_problems(rendered: dict[str, bytes]) -> list[str]:
    problems: list[str] = []
    doc = json.loads(rendered["ro-crate-metadata.json"])
    bia = json.loads(resource_path("ro-crate", "bia-ro-crate-context-0.3.1.json").read_text("utf-8"))
    if doc.get("@context") != [RO_CRATE_CONTEXT, bia]:
        problems.append("@context is not [RO-Crate 1.1, BIA terms verbatim]")
    graph = doc["@graph"]
    ids = [entity["@id"] for entity in graph]
    if len(ids) != len(set(ids)):
        problems.append(f"duplicate @id: {sorted(i for i in ids if ids.count(i) > 1)}")
    by_id = {entity["@id"]: entity for entity in graph}
    referenced: set[str] = set()
    for entity in graph:
        eid = entity["@id"]
        for key, value in entity.items():
            if key not in ALLOWED_KEYS:
                problems.append(f"{eid}: key {key!r} is not in the context")
            if key in ("@id", "@type"):
                continue
            items = value if isinstance(value, list) else [value]
            for item in items:
                if isinstance(item, dict) and set(item) != {"@id"}:
                    problems.append(f"{eid}.{key}: nested object (not flattened)")
            if value in ("", [], None):
                problems.append(f"{eid}.{key}: empty value")
            if key in ("conformsTo", "about"):
                continue
            for ref in _refs(value):
                referenced.add(ref)
                if ref not in by_id:
                    problems.append(f"{eid}.{key}: undefined reference {ref}")
            if key in _SINGLE_REF_KEYS and isinstance(value, list):
                problems.append(f"{eid}.{key}: must be a single reference")
        if eid == "ro-crate-metadata.json":
            if entity.get("about") != {"@id": "./"} or entity.get("conformsTo") != {
                "@id": "https://w3id.org/ro/crate/1.1"
            }:
                problems.append("descriptor is not an RO-Crate 1.1 descriptor")
            continue
        bia_types = types_of(entity) & REGISTERED
        if len(bia_types) != 1:
            problems.append(f"{eid}: {len(bia_types)} registered BIA classes {sorted(bia_types)}")
        for kind in bia_types:
            for key in REQUIRED.get(kind, ()):
                if entity.get(key) in (None, "", []):
                    problems.append(f"{eid}: {kind} needs {key}")
        if re.search(r'[\s<>"{}|\\^`]', eid):
            problems.append(f"{eid!r}: not a valid IRI")
        if eid.startswith("#") and (eid[1:].lstrip("-").replace(".", "").isdigit() or "," in eid):
            problems.append(f"{eid}: id would be read as a number or split at a comma")
    root = by_id.get("./", {})
    if not str(root.get("license", "")).startswith(("https://", "http://")):
        problems.append("root licence is not a URL")
    try:
        dt.date.fromisoformat(str(root.get("datePublished", "")))
    except ValueError:
        problems.append("root datePublished is not an ISO date")
    parts = set(_refs(root.get("hasPart", [])))
    datasets = {e["@id"] for e in graph if "bia:Dataset" in types_of(e)}
    file_lists = [e for e in graph if "bia:FileList" in types_of(e)]
    if len(file_lists) != 1:
        problems.append(f"{len(file_lists)} file lists")
        return problems
    if not {file_lists[0]["@id"], *datasets} <= parts:
        problems.append("root hasPart lacks the file list or a dataset")
    # The file list, read the way the validator reads it.
    schema = by_id[file_lists[0]["tableSchema"]["@id"]]
    columns = [by_id[ref] for ref in _refs(schema["column"])]
    names = [column["columnName"] for column in columns]
    by_property = {column.get("propertyUrl"): column["columnName"] for column in columns if column.get("propertyUrl")}
    text = rendered[file_lists[0]["@id"]].decode("utf-8")
    header, rows = read_tsv(text)
    frame = pd.read_csv(io.StringIO(text), delimiter="\t")
    if list(frame.columns) != header:
        problems.append(f"pandas reads the header as {list(frame.columns)}, not {header}")
    if set(header) - set(names):
        problems.append(f"undeclared columns {sorted(set(header) - set(names))}")
    path_col = by_property.get("http://bia/filePath")
    dataset_col = by_property.get("http://schema.org/isPartOf")
    type_col = by_property.get("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    source_col = by_property.get("http://bia/associatedSourceImage")
    if not path_col or not dataset_col:
        problems.append("file list lacks file_path or dataset")
        return problems
    paths = [row[path_col] for row in rows]
    if len(paths) != len(set(paths)) or not frame[path_col].is_unique:
        problems.append("file_path values are not unique")
    if [str(v) for v in frame[path_col]] != paths:
        problems.append("pandas changes some file_path values")
    kinds = {row[path_col]: row.get(type_col or "", "") for row in rows}
    for index, row in enumerate(rows):
        cell = row[dataset_col]
        if cell not in datasets or str(frame[dataset_col][index]) != cell:
            problems.append(f"row {row[path_col]}: dataset {cell!r} is not a Dataset @id")
        if type_col and row[type_col] not in ("", IMAGE, ANNOTATION):
            problems.append(f"row {row[path_col]}: type {row[type_col]!r}")
        if source_col and row[source_col]:
            for ref in (part.strip().strip("\"'") for part in row[source_col].strip("[] ").split(",")):
                if kinds.get(ref) != IMAGE:
                    problems.append(f"row {row[path_col]}: source {ref!r} is not an Image row")
    for column in columns:
        referenced.add(column["@id"])
    for cell_column in (dataset_col,):
        referenced.update(row[cell_column] for row in rows)
    orphans = set(by_id) - referenced - {"ro-crate-metadata.json", "./"}
    if orphans:
        problems.append(f"orphan entities {sorted(orphans)}")
    return problems


def profile_problems(rendered: dict[str, bytes]) -> list[str]:
    """Emulate the bia-submission profile (every requirement kind its JSON uses)."""
    profile = json.loads(PROFILE.read_text("utf-8"))
    graph = json.loads(rendered["ro-crate-metadata.json"])["@graph"]
    by_id = {entity["@id"]: entity for entity in graph}
    requirements = list(profile["submissionRequirements"])
    if any("bia:RembiDataset" in types_of(e) for e in graph):
        requirements += profile["rembiMetadataModel"]["requirements"]
    if any("bia:MifaDataset" in types_of(e) for e in graph):
        requirements += profile["mifaMetadataModel"]["requirements"]
    problems = []
    for req in requirements:
        target = req["target"]
        if "@id" in target:
            targets = [by_id[target["@id"]]] if target["@id"] in by_id else []
        else:
            targets = [e for e in graph if _norm_type(target["@type"]) in types_of(e)]
        rid = req["id"]
        if len(targets) < req.get("minimumCount", 1):
            problems.append(f"{rid}: {len(targets)} targets")
            continue
        for entity in targets:
            for wanted in req.get("requireTypes", []):
                if _norm_type(wanted) not in types_of(entity) and wanted not in types_of(entity):
                    problems.append(f"{rid}: {entity['@id']} lacks type {wanted}")
            for key in req.get("requiredProperties", []):
                if entity.get(key) in (None, "", []):
                    problems.append(f"{rid}: {entity['@id']} lacks {key}")
            for key, spec in req.get("requiredPropertyReferences", {}).items():
                refs = _refs(entity.get(key, []))
                if len(refs) < spec.get("minimumCount", 1):
                    problems.append(f"{rid}: {entity['@id']}.{key} has {len(refs)} references")
                for ref in refs:
                    if _norm_type(spec["targetType"]) not in types_of(by_id.get(ref, {})):
                        problems.append(f"{rid}: {entity['@id']}.{key} -> {ref} is not {spec['targetType']}")
            if "requiredColumn" in req or "requiredRow" in req:
                schema = by_id[entity["tableSchema"]["@id"]]
                columns = [by_id[ref] for ref in _refs(schema["column"])]
                if "requiredColumn" in req:
                    wanted = req["requiredColumn"]
                    if not any(
                        c["columnName"] == wanted["columnName"] and c.get("propertyUrl") == wanted["propertyUrl"]
                        for c in columns
                    ):
                        problems.append(f"{rid}: no column {wanted}")
                if "requiredRow" in req:
                    spec = req["requiredRow"]
                    _, rows = read_tsv(rendered[entity["@id"]].decode("utf-8"))
                    if not any(row.get(spec["columnName"]) in spec["acceptedValues"] for row in rows):
                        problems.append(f"{rid}: no row with {spec['columnName']} in {spec['acceptedValues']}")
        if "requireAtLeastOneType" in req:
            wanted_types = {_norm_type(t) for t in req["requireAtLeastOneType"]}
            if not any(types_of(entity) & wanted_types for entity in targets):
                problems.append(f"{rid}: no target has any of {sorted(wanted_types)}")
    return problems
