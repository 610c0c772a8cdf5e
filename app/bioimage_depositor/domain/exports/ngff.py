"""OME-NGFF 0.6 scenes: the registration transforms of a correlative study, as files.

No archive has a field for a transform (``correlative.md``), so the structured form goes into
both uploads as an OME-NGFF 0.6 *scene*: the ``zarr.json`` of a Zarr v3 group whose
``attributes.ome.scene`` lists coordinate systems and the transformations between them.

One scene is written per :class:`~..rembi.ImageCorrelation` that has transforms, at
``<correlation id>.zarr/zarr.json`` (see :func:`.crossrefs.scene_paths`); the package puts
this renderer's folder at ``correlation/`` in the BIA upload and ``data/correlation/`` in
the EMPIAR upload, which is what the EMPIAR ``details`` and the BIA ``Transformation
matrix`` text name.

Every coordinate system is defined in the scene itself (no ``path``), with its axes in
order and a unit on every axis that has one, so a reader needs nothing else to interpret
the matrices. The first coordinate system is NGFF's suggested display space: the output
(reference) system of the first transform, then the others in model order. Transforms are
written as ``affine`` (rows = output axes, columns = input axes + 1) with the
correlation's provenance text as ``name``.

Beside each scene the renderer writes the provenance the package keeps with it, in
``<scene stem>_files/`` (:mod:`.transform_provenance`): the BigWarp / ec-CLEM file a transform
was imported from, byte for byte once its SHA-256 is checked, and the fiducial table of
landmarks clicked in the program. A tool file that has gone or changed is left out here and
blocks the export (:func:`.package.export_problems`).

``version`` is ``"0.6rc0"``, the version of the bundled schemas the scenes are validated
against (:func:`validate_scene`, defined in :mod:`.validators` and re-exported here); the
final 0.6 schemas must be bundled before writing ``"0.6"``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..correlation_model import AffineTransform, CoordinateSystem
from ..deposition import Deposition
from ..rembi import ImageCorrelation
from .base import ExportContext, Rendered
from .crossrefs import scene_paths
from .transform_provenance import kept_contents
from .validators import validate_scene

__all__ = ["NGFF_VERSION", "dumps", "ordered_systems", "render", "scene", "validate_scene"]

NGFF_VERSION = "0.6rc0"

_NUMBER_ARRAY = re.compile(r"\[\s*(-?[0-9][0-9.eE+-]*(?:,\s*-?[0-9][0-9.eE+-]*)*)\s*\]")


def dumps(doc: dict[str, Any]) -> str:
    """JSON with a two-space indent, each matrix row and parameter array on one line, and a final newline."""
    text = json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False)
    return _NUMBER_ARRAY.sub(lambda m: "[" + ", ".join(v.strip() for v in m.group(1).split(",")) + "]", text) + "\n"


def _system(system: CoordinateSystem) -> dict[str, Any]:
    axes = []
    for axis in system.axes:
        entry: dict[str, Any] = {"name": axis.name, "type": axis.type}
        if axis.unit:
            entry["unit"] = axis.unit
        axes.append(entry)
    return {"name": system.name, "axes": axes}


def _transform(transform: AffineTransform) -> dict[str, Any]:
    doc: dict[str, Any] = {"type": "affine"}
    if transform.name:
        doc["name"] = transform.name
    doc["input"] = {"name": transform.input}
    doc["output"] = {"name": transform.output}
    doc["affine"] = [[float(value) if value is not None else None for value in row] for row in transform.matrix]
    return doc


def ordered_systems(correlation: ImageCorrelation) -> list[CoordinateSystem]:
    """The correlation's coordinate systems with the display (reference) system first."""
    systems = list(correlation.coordinate_systems)
    if correlation.transforms:
        reference = correlation.transforms[0].output
        systems.sort(key=lambda system: system.name != reference)  # stable: the rest keep model order
    return systems


def scene(correlation: ImageCorrelation) -> dict[str, Any]:
    """The ``zarr.json`` document of one correlation's scene.

    Parameters
    ----------
    correlation
        A correlation with at least one transform.

    Returns
    -------
    dict
        ``{"zarr_format": 3, "node_type": "group", "attributes": {"ome": {"version", "scene"}}}``.
    """
    return {
        "zarr_format": 3,
        "node_type": "group",
        "attributes": {
            "ome": {
                "version": NGFF_VERSION,
                "scene": {
                    "coordinateSystems": [_system(system) for system in ordered_systems(correlation)],
                    "coordinateTransformations": [_transform(transform) for transform in correlation.transforms],
                },
            }
        },
    }


def render(deposition: Deposition, ctx: ExportContext) -> Rendered:
    """Render the NGFF scene of every correlation that has a structured transform.

    Parameters
    ----------
    deposition
        A deposition without blocking problems; scenes are written for correlative and other
        studies alike when a correlation carries transforms.
    ctx
        Unused (scenes carry no dates or accessions); accepted for the renderer signature.

    Returns
    -------
    Rendered
        ``{"<correlation id>.zarr/zarr.json": bytes}`` plus the kept files
        (``"<correlation id>_files/<name>": bytes``) that can be written; empty when no correlation
        has a transform.
    """
    paths = scene_paths(deposition)
    out: Rendered = {}
    for correlation in deposition.correlations:
        if correlation.id in paths:
            out[paths[correlation.id]] = dumps(scene(correlation)).encode("utf-8")
    for content in kept_contents(deposition):  # empty unless the study is correlative
        if content.data is not None:
            out[content.file.relative] = content.data
    return out


_SCENE_PREFIX = ("attributes", "ome", "scene")
_TRANSFORM_FIELDS = {"affine": "matrix", "input": "input", "output": "output", "name": "name"}


def source_location(
    deposition: Deposition, correlation: ImageCorrelation, path: tuple[str | int, ...]
) -> tuple[str | int, ...] | None:
    """The draft location a value of a correlation's scene was written from.

    Parameters
    ----------
    deposition
        The deposition that was exported.
    correlation
        The correlation whose scene the path is in.
    path
        JSON keys and indices from the top of ``zarr.json``, e.g.
        ``("attributes", "ome", "scene", "coordinateTransformations", 0, "affine")``.

    Returns
    -------
    tuple or None
        A location under ``("correlations", i)``: a coordinate system (in model order, although
        the scene lists the display system first), an axis and its unit, a transform and its
        matrix; the correlation's transforms for anything else inside the scene; None for what
        the package itself writes (``zarr_format``, ``node_type``, ``version``).
    """
    index = next((i for i, other in enumerate(deposition.correlations) if other is correlation), None)
    if index is None:
        return None
    location: tuple[str | int, ...] = ("correlations", index)
    if tuple(path[:3]) != _SCENE_PREFIX:
        return None
    rest = path[3:]
    head = rest[0] if rest else ""
    position = rest[1] if len(rest) > 1 and isinstance(rest[1], int) else None
    if head == "coordinateSystems":
        systems = ordered_systems(correlation)
        if position is None or position >= len(systems):
            return (*location, "coordinate_systems")
        model_index = next(i for i, system in enumerate(correlation.coordinate_systems) if system is systems[position])
        system_location = (*location, "coordinate_systems", model_index)
        tail = rest[2:]
        if tail[:1] == ("axes",) and len(tail) > 1 and isinstance(tail[1], int):
            axis = (*system_location, "axes", tail[1])
            return (*axis, str(tail[2])) if len(tail) > 2 and tail[2] in ("name", "type", "unit") else axis
        return (*system_location, "name") if tail[:1] == ("name",) else system_location
    if head == "coordinateTransformations" and position is not None and position < len(correlation.transforms):
        transform_location = (*location, "transforms", position)
        key = rest[2] if len(rest) > 2 else ""
        field_name = _TRANSFORM_FIELDS.get(key) if isinstance(key, str) else None
        return (*transform_location, field_name) if field_name else transform_location
    return (*location, "transforms")
