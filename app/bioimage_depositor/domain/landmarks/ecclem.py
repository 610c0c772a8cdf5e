"""Read ec-CLEM transformation files (Icy plugin; ``anrcrocoval/ec-clem``, formerly ``perrinelab``).

ec-CLEM writes XML under an Icy ``<root>`` element, in three shapes this reader accepts:

* the **transformation schema** (``XmlTransformationWriter``)::

      <transformation type="AFFINE|RIGID|SIMILARITY|SPLINE" noiseModel="…" date="…">
        <sequenceSize dimension="…" type="source|target">
          <dimensionSize name="X" pixelSize="0.1">512</dimensionSize> …
        </sequenceSize>
        <sequenceFileName type="source|target">/path/image.tif</sequenceFileName>
        <dataset type="source|target" n="…" dimension="2|3" pointType="FIDUCIAL">
          <point id="0"><coordinate dimension="0">x</coordinate>…</point> …
        </dataset>
      </transformation>

  Point coordinates are in micrometres (ec-CLEM multiplies ROI positions by the pixel
  size); source point ``i`` pairs with target point ``i``. When a file holds several
  ``<transformation>`` elements (ec-CLEM's history), the last one is read.
* the **matrix export**: ``<MatrixTransformation m00=… m33=… process_date=…/>`` (the
  homogeneous matrix, source → target, 3×3 in 2-D or 4×4), optionally followed by a
  ``<transformation>`` with the image sizes only;
* the **older easyCLEM** file: ``<TargetSize …/>`` and one ``<MatrixTransformation>`` per
  registration step, combined in document order as ec-CLEM did. Its units are not stated.

Source is the moving image, target the reference. When a file carries both fiducials
and a matrix, the matrix's direction is checked against the fiducials and an inverse is
turned round (with a note). Malformed files raise :class:`~.errors.LandmarkImportError`
naming the element and its line.
"""

from __future__ import annotations

import math
import re

import numpy as np

from ._common import check_size, parse_number
from ._xml import XmlNode, parse_xml
from .affine import FloatArray, check_last_row, invert_transform
from .errors import (
    IMPORT_NO_LANDMARKS,
    IMPORT_NOT_FINITE,
    IMPORT_XML_STRUCTURE,
    FitError,
    LandmarkImportError,
    MatrixError,
)
from .fitting import FitModel, check_direction, fit_landmarks
from .model import LandmarkImport, frozen_points

#: ec-CLEM's transformation types and the fit model of ours that matches each (None: non-linear).
ECCLEM_MODELS: dict[str, FitModel | None] = {
    "AFFINE": "affine",
    "RIGID": "rigid",
    "SIMILARITY": "similarity",
    "SPLINE": None,
}

_MATRIX_ENTRY = re.compile(r"m(\d)(\d)")
_SIDES = ("source", "target")


def read_ecclem_xml(raw: bytes, source: str = "transformation.xml") -> LandmarkImport:
    """Read an ec-CLEM transformation XML file.

    Parameters
    ----------
    raw
        The file's bytes, exactly as read.
    source
        The file name, for messages.

    Returns
    -------
    LandmarkImport
        The fiducial pairs (source = moving, target = reference) in x, y[, z] order and
        micrometres, ec-CLEM's transform type and matching fit model, the matrix when the file
        has one (moving → reference), the raw bytes.

    Raises
    ------
    LandmarkImportError
        ``landmarks.import.empty``, ``.xml_syntax`` (line and column), ``.xml_structure`` (element
        and line), ``.not_finite`` or ``.no_landmarks``.
    """
    check_size(raw, source)
    root = parse_xml(raw, source)
    transformations = [root] if root.tag == "transformation" else root.child_elements("transformation")
    matrix_nodes = root.child_elements("MatrixTransformation")
    if not transformations and not matrix_nodes:
        raise LandmarkImportError(
            IMPORT_XML_STRUCTURE,
            f"{source} is not an ec-CLEM transformation file: its <{root.tag}> element (line {root.line}) holds "
            "no <transformation> or <MatrixTransformation> element.",
            source=source,
            element=root.tag,
            line=root.line,
        )
    notes: list[str] = []
    details: dict[str, object] = {}
    transform_type = ""
    model: FitModel | None = None
    names: list[str] = []
    moving: list[list[float]] = []
    fixed: list[list[float]] = []
    ndim: int | None = None
    element: XmlNode | None = None
    if transformations:
        element = transformations[-1]
        if len(transformations) > 1:
            notes.append(
                f"The file holds {len(transformations)} ec-CLEM transformations; the last one (line {element.line}) "
                "was read."
            )
        transform_type = element.attrib.get("type", "")
        if transform_type in ECCLEM_MODELS:
            model = ECCLEM_MODELS[transform_type]
            if model is None:
                notes.append(
                    "ec-CLEM used a non-rigid spline; a rigid, similarity or affine fit of these fiducials only "
                    "approximates it."
                )
        elif transform_type:
            notes.append(f"ec-CLEM's transform type '{transform_type}' is not one this program knows; choose a fit.")
        details.update(_sequence_details(element))
        for key in ("noiseModel", "date"):
            if key in element.attrib:
                details[key] = element.attrib[key]
        datasets = element.child_elements("dataset")
        if datasets:
            names, moving, fixed, ndim = _read_datasets(datasets, element, source)
    for target_size in root.child_elements("TargetSize"):
        details["legacy_target_size"] = dict(target_size.attrib)
    matrix: FloatArray | None = None
    if matrix_nodes:
        matrix = _read_matrices(matrix_nodes, source)
        if len(matrix_nodes) > 1:
            notes.append(
                f"The file holds {len(matrix_nodes)} matrices (successive ec-CLEM registrations); they were "
                "combined in order."
            )
        matrix, ndim = _match_dimensions(matrix, ndim, root, element, source, notes)
    if ndim is None or (not names and matrix is None):
        where = element if element is not None else root
        raise LandmarkImportError(
            IMPORT_NO_LANDMARKS,
            f"{source} holds no fiducial points and no matrix (in {where.describe('type')}, line {where.line}); "
            "place the fiducials in ec-CLEM and save the transformation again.",
            source=source,
            line=where.line,
        )
    if matrix is not None and names:
        matrix = _orient(matrix, moving, fixed, ndim, model, notes)
    unit = "micrometer" if transformations else ""
    if not transformations:
        notes.append(
            "Older ec-CLEM files do not state the units of their matrix; check it against one landmark pair "
            "and confirm the units of both images."
        )
    return LandmarkImport(
        format="ecclem-xml",
        source=source,
        raw=raw,
        names=tuple(names),
        moving=frozen_points(moving, ndim),
        fixed=frozen_points(fixed, ndim),
        ndim=ndim,
        axis_order="xyz"[:ndim],
        moving_unit=unit,
        fixed_unit=unit,
        transform_type=transform_type,
        model=model,
        matrix=matrix,
        notes=tuple(notes),
        details=details,
    )


def _read_datasets(
    datasets: list[XmlNode], parent: XmlNode, source: str
) -> tuple[list[str], list[list[float]], list[list[float]], int]:
    """The paired fiducials of a ``<transformation>``: names, source points, target points, axes."""
    by_side: dict[str, list[XmlNode]] = {side: [] for side in _SIDES}
    for node in datasets:
        side = node.attrib.get("type", "")
        if side not in by_side:
            raise _structure(source, node, f"has type “{side}”; ec-CLEM writes source or target there")
        by_side[side].append(node)
    read: dict[str, tuple[list[str], list[list[float]], int]] = {}
    for side in _SIDES:
        candidates = by_side[side]
        if not candidates:
            raise _structure(
                source, parent, f"has no {side} <dataset>; ec-CLEM pairs a source dataset with a target dataset"
            )
        fiducial = [node for node in candidates if node.attrib.get("pointType", "FIDUCIAL") == "FIDUCIAL"]
        read[side] = _read_dataset((fiducial or candidates)[0], source)
    (names, moving, moving_dim), (_, fixed, fixed_dim) = read["source"], read["target"]
    if len(moving) != len(fixed):
        raise _structure(
            source,
            parent,
            f"has {len(moving)} source points but {len(fixed)} target points; ec-CLEM pairs them in order, so both "
            "need the same number",
        )
    if moving_dim != fixed_dim:
        raise _structure(source, parent, f"has {moving_dim}-D source points but {fixed_dim}-D target points")
    return names, moving, fixed, moving_dim


def _read_dataset(node: XmlNode, source: str) -> tuple[list[str], list[list[float]], int]:
    ndim: int | None = None
    declared = node.attrib.get("dimension")
    if declared is not None:
        if declared.strip() not in ("2", "3"):
            raise _structure(source, node, f"has dimension “{declared}”; it must be 2 or 3")
        ndim = int(declared)
    points = node.child_elements("point")
    declared_n = node.attrib.get("n")
    if declared_n is not None and declared_n.strip() != str(len(points)):
        raise _structure(source, node, f"says n=“{declared_n}” but holds {len(points)} <point> elements")
    names: list[str] = []
    rows: list[list[float]] = []
    for index, point in enumerate(points):
        coordinates = point.child_elements("coordinate")
        if ndim is None:
            ndim = len(coordinates)
            if ndim not in (2, 3):
                raise _structure(source, point, f"has {ndim} coordinates; a point has 2 or 3")
        if len(coordinates) != ndim:
            raise _structure(source, point, f"has {len(coordinates)} coordinates but the dataset is {ndim}-D")
        values: list[float | None] = [None] * ndim
        for coordinate in coordinates:
            axis_text = coordinate.attrib.get("dimension", "")
            if axis_text.strip() not in {str(axis) for axis in range(ndim)}:
                raise _structure(source, coordinate, f"has dimension “{axis_text}”; it must be 0 to {ndim - 1}")
            axis = int(axis_text)
            if values[axis] is not None:
                raise _structure(source, coordinate, f"repeats dimension {axis} of the same point")
            value = parse_number(coordinate.text)
            if value is None:
                shown = coordinate.text.strip()[:20]
                raise _structure(source, coordinate, f"holds “{shown}”, which is not a number")
            if not math.isfinite(value):
                raise LandmarkImportError(
                    IMPORT_NOT_FINITE,
                    f"{source}: {coordinate.describe('dimension')} of {point.describe('id')} in the "
                    f"{node.attrib.get('type', '')} dataset (line {coordinate.line}) is not a finite number.",
                    source=source,
                    line=coordinate.line,
                )
            values[axis] = value
        names.append(point.attrib.get("id", str(index)))
        rows.append([float(v) for v in values if v is not None])
    return names, rows, ndim if ndim is not None else 2


def _read_matrices(nodes: list[XmlNode], source: str) -> FloatArray:
    """The product of the ``<MatrixTransformation>`` elements, applied in document order."""
    combined = np.eye(4)
    for position, node in enumerate(nodes):
        entries: dict[tuple[int, int], float] = {}
        for key, text in node.attrib.items():
            match = _MATRIX_ENTRY.fullmatch(key)
            if not match:
                continue
            value = parse_number(text)
            if value is None or not math.isfinite(value):
                raise _structure(source, node, f"has {key}=“{text[:20]}”, which is not a finite number")
            entries[(int(match.group(1)), int(match.group(2)))] = value
        if not entries:
            raise _structure(source, node, "has no m00 … m33 attributes")
        size = max(max(i, j) for i, j in entries) + 1
        missing = [f"m{i}{j}" for i in range(size) for j in range(size) if (i, j) not in entries]
        if size not in (3, 4) or missing:
            problem = f"lacks {', '.join(missing[:4])}" if missing else f"describes a {size}×{size} matrix"
            raise _structure(source, node, f"{problem}; ec-CLEM writes a full 3×3 (2-D) or 4×4 (3-D) matrix")
        matrix = np.array([[entries[(i, j)] for j in range(size)] for i in range(size)], dtype=np.float64)
        try:
            check_last_row(matrix)
        except MatrixError as error:
            raise _structure(source, node, error.message[0].lower() + error.message[1:].rstrip(".")) from None
        if position and combined.shape != matrix.shape:
            raise _structure(source, node, "has another size than the matrix before it; they cannot be combined")
        combined = matrix if position == 0 else matrix @ combined
    return combined


def _match_dimensions(
    matrix: FloatArray,
    ndim: int | None,
    root: XmlNode,
    element: XmlNode | None,
    source: str,
    notes: list[str],
) -> tuple[FloatArray, int]:
    """Reconcile the matrix size with the fiducials (or the image sizes): ec-CLEM writes 4×4 even in 2-D."""
    size = matrix.shape[0] - 1
    if ndim is None:
        if size == 3 and _z_untouched(matrix) and _images_look_2d(root):
            notes.append("The 4×4 matrix leaves z unchanged and the images are 2-D, so it was read as a 2-D transform.")
            return _drop_z(matrix), 2
        return matrix, size
    if size == ndim:
        return matrix, ndim
    if size == 3 and ndim == 2 and _z_untouched(matrix):
        return _drop_z(matrix), 2
    where = element if element is not None else root
    raise _structure(source, where, f"has {ndim}-D fiducial points but a {size}-D matrix")


def _orient(
    matrix: FloatArray,
    moving: list[list[float]],
    fixed: list[list[float]],
    ndim: int,
    model: FitModel | None,
    notes: list[str],
) -> FloatArray:
    """Make the matrix map moving → reference, as the fiducial pairs show (``correlative.md`` §6.5).

    A direction is plausible when its RMS is close to what a fresh least-squares fit of the
    fiducials achieves; only then is a matrix turned round, and only an implausible forward
    direction earns a warning (a near-identity matrix fits both ways about equally well).
    """
    x = np.array(moving, dtype=np.float64).reshape(-1, ndim)
    y = np.array(fixed, dtype=np.float64).reshape(-1, ndim)
    check = check_direction(matrix, x, y)
    try:
        best: float | None = fit_landmarks(x, y, model or "affine").rms
    except FitError:
        best = None  # too few or degenerate fiducials: compare the two directions only
    slack = 1e-9 * max(1.0, float(np.abs(y).max()))

    def plausible(rms: float) -> bool:
        return rms <= 3.0 * best + slack if best is not None else True

    if best is None:
        forward_ok, inverse_better = check.direction != "inverse", check.direction == "inverse"
    else:
        forward_ok = plausible(check.forward_rms)
        inverse_better = not forward_ok and plausible(check.inverse_rms)
    if inverse_better:
        notes.append(
            "The file's matrix maps the target onto the source; it was inverted so that it maps the moving "
            "(source) image onto the reference (target)."
        )
        return invert_transform(matrix)
    if not forward_ok or (best is None and check.direction == "unclear"):
        notes.append(
            f"The file's matrix does not map the source fiducials onto the target ones (RMS {check.forward_rms:.3g} "
            f"forward, {check.inverse_rms:.3g} inverted); check it, or refit from the fiducials."
        )
    return matrix


def _z_untouched(matrix: FloatArray) -> bool:
    expected = np.array([0.0, 0.0, 1.0, 0.0])
    return bool(np.max(np.abs(matrix[2] - expected)) <= 1e-12 and np.max(np.abs(matrix[:, 2] - expected)) <= 1e-12)


def _drop_z(matrix: FloatArray) -> FloatArray:
    keep = [0, 1, 3]
    return np.asarray(matrix[np.ix_(keep, keep)], dtype=np.float64)


def _images_look_2d(root: XmlNode) -> bool:
    """No image size says there is more than one z slice."""
    for node in root.iter():
        if node.tag == "dimensionSize" and node.attrib.get("name") == "Z":
            if (parse_number(node.text) or 0) > 1:
                return False
        if node.tag == "TargetSize" and (parse_number(node.attrib.get("nz", "")) or 0) > 1:
            return False
    return True


def _sequence_details(element: XmlNode) -> dict[str, object]:
    """Image file names, sizes and pixel sizes (µm) of the source and target, for provenance."""
    details: dict[str, object] = {}
    for node in element.child_elements("sequenceSize"):
        side = node.attrib.get("type", "")
        if side not in _SIDES:
            continue
        sizes: dict[str, object] = {}
        for dimension in node.child_elements("dimensionSize"):
            name = dimension.attrib.get("name", "?")
            sizes[name] = {
                "size": parse_number(dimension.text),
                "pixel_size_um": parse_number(dimension.attrib.get("pixelSize", "")),
            }
        details[f"{side}_size"] = sizes
    for node in element.child_elements("sequenceFileName"):
        side = node.attrib.get("type") or node.attrib.get("path", "")
        if side in _SIDES and node.text.strip():
            details[f"{side}_file"] = node.text.strip()
    return details


def _structure(source: str, node: XmlNode, problem: str) -> LandmarkImportError:
    keys = ("type", "id", "dimension") if node.tag != "coordinate" else ("dimension",)
    return LandmarkImportError(
        IMPORT_XML_STRUCTURE,
        f"{source}: {node.describe(*keys)} at line {node.line} {problem}.",
        source=source,
        element=node.tag,
        line=node.line,
    )
