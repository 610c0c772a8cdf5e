"""Read BigWarp landmark files (Fiji; ``saalfeldlab/bigwarp``): the CSV table and the newer JSON.

CSV (``LandmarkTableModel.save``): no header, one row per landmark, every field quoted by
opencsv — ``"Pt-0","true","10.5","20.0","3.0","11.2","19.8","3.1"``: name, active flag,
moving x, y[, z], then fixed (reference) x, y[, z]; 6 columns in 2-D, 8 in 3-D. Some
development versions of BigWarp add an integer id after the active flag (7 or 9 columns);
those are read too. Unplaced points are written as ``Infinity`` and are never active.

JSON (``TransformWriterJson``; "Export landmarks/transform"): ``{"type": "Thin Plate
Spline" | "Affine" | "Similarity" | "Rotation" | "Translation", "landmarks": {"type":
"BigWarpLandmarks", "numDimensions", "movingPoints", "fixedPoints", "active", "names"},
"mask"?}``. The same ``landmarks`` object inside a BigWarp settings file (under
``"Transform"``) and on its own are accepted as well.

Only active rows are used. BigWarp files do not state units: coordinates are in
BigWarp's world space (calibrated units when the images are calibrated), so the units
are left for the user to confirm. Every malformed input becomes a
:class:`~.errors.LandmarkImportError` naming the line and column (CSV) or the JSON path.
"""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

from ._common import check_size, decode_text, parse_number
from .errors import (
    IMPORT_CSV_ACTIVE,
    IMPORT_CSV_COLUMNS,
    IMPORT_CSV_VALUE,
    IMPORT_EMPTY,
    IMPORT_JSON_STRUCTURE,
    IMPORT_JSON_SYNTAX,
    IMPORT_NO_LANDMARKS,
    IMPORT_NOT_FINITE,
    LandmarkImportError,
)
from .fitting import FitModel
from .model import LandmarkImport, frozen_points

#: BigWarp's transform types and the fit model of ours that matches each (None: non-linear).
BIGWARP_MODELS: dict[str, FitModel | None] = {
    "Thin Plate Spline": None,
    "Affine": "affine",
    "Similarity": "similarity",
    "Rotation": "rigid",
    "Translation": "translation",
}

#: Column count → (number of axes, whether an id column follows the active flag).
_LAYOUTS = {6: (2, False), 7: (2, True), 8: (3, False), 9: (3, True)}

UNITS_NOTE = (
    "BigWarp files do not state units: the coordinates are in BigWarp's world space (the images' "
    "calibrated units, or pixels for uncalibrated images). Confirm the units of both images."
)
_TPS_NOTE = (
    "BigWarp used a thin-plate spline, a non-linear warp; a rigid, similarity or affine fit of "
    "these landmarks only approximates it."
)


def read_bigwarp_csv(raw: bytes, source: str = "landmarks.csv") -> LandmarkImport:
    """Read a BigWarp landmarks CSV file.

    Parameters
    ----------
    raw
        The file's bytes, exactly as read.
    source
        The file name, for messages.

    Returns
    -------
    LandmarkImport
        The active pairs in x, y[, z] order, units unknown (``""``), the raw bytes.

    Raises
    ------
    LandmarkImportError
        ``landmarks.import.empty``, ``.csv_columns``, ``.csv_active``, ``.csv_value``,
        ``.not_finite`` or ``.no_landmarks``, naming the line and column.
    """
    check_size(raw, source)
    text = decode_text(raw)
    reader = csv.reader(io.StringIO(text, newline=""))
    layout: tuple[int, bool] | None = None
    first_line = 0
    names: list[str] = []
    moving: list[list[float]] = []
    fixed: list[list[float]] = []
    rows = skipped = 0
    notes: list[str] = []
    try:
        for row in reader:
            line = reader.line_num
            if not any(field.strip() for field in row):
                continue
            if layout is None and rows == 0 and _is_header(row):
                notes.append(f"Line {line} was read as a header and skipped.")
                continue
            if layout is None:
                if len(row) not in _LAYOUTS:
                    raise LandmarkImportError(
                        IMPORT_CSV_COLUMNS,
                        f"{source}, line {line} has {len(row)} values; a BigWarp landmark row has 6 (2-D: name, "
                        "active, moving x, y, reference x, y) or 8 (3-D: with z after each y).",
                        source=source,
                        line=line,
                        found=len(row),
                    )
                layout = _LAYOUTS[len(row)]
                first_line = line
            ndim, has_id = layout
            expected = 2 * ndim + 2 + int(has_id)
            if len(row) != expected:
                raise LandmarkImportError(
                    IMPORT_CSV_COLUMNS,
                    f"{source}, line {line} has {len(row)} values but line {first_line} has {expected}; every row "
                    "of a BigWarp file has the same number.",
                    source=source,
                    line=line,
                    found=len(row),
                    expected=expected,
                )
            rows += 1
            name = row[0].strip()
            active = _active(row[1], source, line)
            start = 3 if has_id else 2
            columns = _column_names(ndim)
            values = [_value(row[start + k], source, line, start + k + 1, columns[k]) for k in range(2 * ndim)]
            if not active:
                skipped += 1
                continue
            point_moving, point_fixed = values[:ndim], values[ndim:]
            for side, point in (("moving", point_moving), ("reference", point_fixed)):
                if not all(math.isfinite(v) for v in point):
                    raise LandmarkImportError(
                        IMPORT_NOT_FINITE,
                        f"{source}, line {line} ({name or 'unnamed'}) is marked active but its {side} point is not "
                        "placed (a coordinate is Infinity or NaN); place it in BigWarp or mark the row inactive.",
                        source=source,
                        line=line,
                        side=side,
                    )
            names.append(name or f"Pt-{rows - 1}")
            moving.append(point_moving)
            fixed.append(point_fixed)
    except csv.Error as error:
        raise LandmarkImportError(
            IMPORT_CSV_VALUE,
            f"{source}, line {reader.line_num} cannot be read as CSV ({error}).",
            source=source,
            line=reader.line_num,
        ) from None
    if layout is None:
        raise LandmarkImportError(IMPORT_EMPTY, f"{source} has no landmark rows.", source=source)
    if not names:
        raise LandmarkImportError(
            IMPORT_NO_LANDMARKS,
            f"None of the {rows} landmarks in {source} is active; activate the pairs to use in BigWarp.",
            source=source,
            rows=rows,
        )
    ndim = layout[0]
    if skipped:
        notes.append(f"{skipped} inactive landmark{'s were' if skipped > 1 else ' was'} left out.")
    notes.append(UNITS_NOTE)
    return LandmarkImport(
        format="bigwarp-csv",
        source=source,
        raw=raw,
        names=tuple(names),
        moving=frozen_points(moving, ndim),
        fixed=frozen_points(fixed, ndim),
        ndim=ndim,
        axis_order="xyz"[:ndim],
        skipped=skipped,
        notes=tuple(notes),
    )


def read_bigwarp_json(raw: bytes, source: str = "landmarks.json") -> LandmarkImport:
    """Read a BigWarp landmarks/transform JSON file (or the landmarks of a BigWarp settings file).

    Parameters
    ----------
    raw
        The file's bytes, exactly as read.
    source
        The file name, for messages.

    Returns
    -------
    LandmarkImport
        The active pairs in x, y[, z] order, BigWarp's transform type and the matching fit model,
        units unknown (``""``), the raw bytes.

    Raises
    ------
    LandmarkImportError
        ``landmarks.import.empty``, ``.json_syntax`` (with line and column), ``.json_structure``
        (with the JSON path), ``.not_finite`` or ``.no_landmarks``.
    """
    check_size(raw, source)
    try:
        doc = json.loads(decode_text(raw))
    except json.JSONDecodeError as error:
        raise LandmarkImportError(
            IMPORT_JSON_SYNTAX,
            f"{source} is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}.",
            source=source,
            line=error.lineno,
            column=error.colno,
        ) from None
    except RecursionError:
        raise LandmarkImportError(
            IMPORT_JSON_SYNTAX, f"{source} nests JSON too deeply to be a landmark file.", source=source
        ) from None
    landmarks, path, transform_type, masked = _locate(doc, source)
    ndim = landmarks.get("numDimensions")
    if isinstance(ndim, bool) or ndim not in (2, 3):
        raise _structure(source, _join(path, "numDimensions"), "must be 2 or 3", found=ndim)
    moving_points = _list(landmarks, "movingPoints", path, source)
    fixed_points = _list(landmarks, "fixedPoints", path, source)
    active = _list(landmarks, "active", path, source)
    notes: list[str] = []
    if "names" in landmarks:
        names = _list(landmarks, "names", path, source)
    else:
        names = [f"Pt-{index}" for index in range(len(moving_points))]
        notes.append("The file has no landmark names; they were numbered Pt-0, Pt-1, ….")
    count = len(moving_points)
    for key, values in (("fixedPoints", fixed_points), ("active", active), ("names", names)):
        if len(values) != count:
            raise _structure(
                source,
                _join(path, key),
                f"has {len(values)} entries but movingPoints has {count}; each landmark needs one of each",
            )
    kept_names: list[str] = []
    moving: list[list[float]] = []
    fixed: list[list[float]] = []
    skipped = 0
    for index in range(count):
        flag = active[index]
        if not isinstance(flag, bool):
            raise _structure(source, f"{_join(path, 'active')}[{index}]", "must be true or false", found=flag)
        name = names[index]
        if not isinstance(name, str):
            raise _structure(source, f"{_join(path, 'names')}[{index}]", "must be a text", found=name)
        point_moving = _point(moving_points[index], ndim, f"{_join(path, 'movingPoints')}[{index}]", source)
        point_fixed = _point(fixed_points[index], ndim, f"{_join(path, 'fixedPoints')}[{index}]", source)
        if not flag:
            skipped += 1
            continue
        for side, point, key in (("moving", point_moving, "movingPoints"), ("reference", point_fixed, "fixedPoints")):
            if not all(math.isfinite(v) for v in point):
                raise LandmarkImportError(
                    IMPORT_NOT_FINITE,
                    f"{source}: landmark {name or index} ({_join(path, key)}[{index}]) is marked active but its "
                    f"{side} point is not placed (a coordinate is Infinity or NaN).",
                    source=source,
                    path=f"{_join(path, key)}[{index}]",
                    side=side,
                )
        kept_names.append(name or f"Pt-{index}")
        moving.append(point_moving)
        fixed.append(point_fixed)
    if not kept_names:
        raise LandmarkImportError(
            IMPORT_NO_LANDMARKS,
            f"{source} has {'no landmarks' if count == 0 else f'{count} landmarks but none is active'}.",
            source=source,
            rows=count,
        )
    model: FitModel | None = None
    if transform_type:
        if transform_type in BIGWARP_MODELS:
            model = BIGWARP_MODELS[transform_type]
            if model is None:
                notes.append(_TPS_NOTE)
        else:
            notes.append(f"BigWarp's transform type '{transform_type}' is not one this program knows; choose a fit.")
    if masked:
        notes.append("The file also defines a BigWarp transform mask; the mask is not carried over.")
    if skipped:
        notes.append(f"{skipped} inactive landmark{'s were' if skipped > 1 else ' was'} left out.")
    notes.append(UNITS_NOTE)
    return LandmarkImport(
        format="bigwarp-json",
        source=source,
        raw=raw,
        names=tuple(kept_names),
        moving=frozen_points(moving, ndim),
        fixed=frozen_points(fixed, ndim),
        ndim=ndim,
        axis_order="xyz"[:ndim],
        transform_type=transform_type,
        model=model,
        skipped=skipped,
        notes=tuple(notes),
    )


def _is_header(row: list[str]) -> bool:
    """A hand-added header row: no true/false in the active column and no number anywhere."""
    if len(row) < 2 or row[1].strip().lower() in ("true", "false"):
        return False
    return all(parse_number(field) is None for field in row)


def _active(text: str, source: str, line: int) -> bool:
    flag = text.strip().lower()
    if flag in ("true", "false"):
        return flag == "true"
    shown = text if len(text) <= 20 else text[:17] + "..."
    raise LandmarkImportError(
        IMPORT_CSV_ACTIVE,
        f"{source}, line {line}, column 2 (active) is “{shown}”; BigWarp writes true or false there.",
        source=source,
        line=line,
        column=2,
    )


def _value(text: str, source: str, line: int, column: int, what: str) -> float:
    value = parse_number(text)
    if value is None:
        shown = text if len(text) <= 20 else text[:17] + "..."
        raise LandmarkImportError(
            IMPORT_CSV_VALUE,
            f"{source}, line {line}, column {column} ({what}) is “{shown}”, which is not a number.",
            source=source,
            line=line,
            column=column,
        )
    return value


def _column_names(ndim: int) -> list[str]:
    axes = "xyz"[:ndim]
    return [f"moving {axis}" for axis in axes] + [f"reference {axis}" for axis in axes]


def _locate(doc: Any, source: str) -> tuple[dict[str, Any], str, str, bool]:
    """Find the landmarks object: (object, its JSON path, BigWarp's transform type, whether a mask is set)."""
    if not isinstance(doc, dict):
        raise LandmarkImportError(
            IMPORT_JSON_STRUCTURE,
            f"{source} is not a BigWarp landmark file: it is JSON, but not an object with 'landmarks'.",
            source=source,
        )
    holder, path = doc, ""
    if "landmarks" not in doc and isinstance(doc.get("Transform"), dict):
        holder, path = doc["Transform"], "Transform"  # a BigWarp settings file
    if "landmarks" in holder:
        landmarks = holder["landmarks"]
        where = _join(path, "landmarks")
        if not isinstance(landmarks, dict):
            raise _structure(source, where, "must be an object with movingPoints, fixedPoints, active and names")
        kind = holder.get("type", "")
        return landmarks, where, kind if isinstance(kind, str) else "", "mask" in holder
    if "movingPoints" in doc:
        return doc, "", "", False  # the landmarks object on its own (LandmarkTableModel.toJson)
    raise LandmarkImportError(
        IMPORT_JSON_STRUCTURE,
        f"{source} is not a BigWarp landmark file: it has no 'landmarks' object.",
        source=source,
    )


def _list(holder: dict[str, Any], key: str, path: str, source: str) -> list[Any]:
    value = holder.get(key)
    if not isinstance(value, list):
        problem = "is missing" if key not in holder else "must be a list"
        raise _structure(source, _join(path, key), problem)
    return value


def _point(value: Any, ndim: int, where: str, source: str) -> list[float]:
    if not isinstance(value, list) or len(value) != ndim:
        size = len(value) if isinstance(value, list) else "no"
        raise _structure(source, where, f"must be a list of {ndim} numbers (numDimensions); it has {size}")
    for axis, number in enumerate(value):
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise _structure(source, f"{where}[{axis}]", "must be a number", found=number)
    return [float(number) for number in value]


def _structure(source: str, where: str, problem: str, **params: object) -> LandmarkImportError:
    found = params.get("found", ...)
    shown = "" if found is ... else f" (found {json.dumps(found)[:40]})"
    return LandmarkImportError(
        IMPORT_JSON_STRUCTURE,
        f"{source}: {where or 'the top level'} {problem}{shown}.",
        source=source,
        path=where,
    )


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
