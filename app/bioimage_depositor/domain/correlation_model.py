"""Structured registration transforms of a correlative study, in OME-NGFF 0.6 terms.

Neither the BIA nor EMPIAR has a field for a registration transform: both keep it as
files plus free text (see ``correlative.md``). The structured form therefore lives in
an OME-NGFF 0.6 *scene* (``exports/ngff.py``) that goes into both uploads, and this
module is the small model it is written from. It is attached to
:class:`~bioimage_depositor.domain.rembi.ImageCorrelation` as two optional lists, so
drafts written before it existed load unchanged (issue 7 adds landmark fitting and
import from BigWarp / ec-CLEM on top of it).

Conventions, the same as NGFF's
------------------------------
* A :class:`CoordinateSystem` names its axes in order; spatial axes normally come as
  ``z, y, x`` (:func:`zyx_axes`). Every spatial axis carries a unit from
  :data:`SPACE_UNITS` (UDUNITS-2 names, as NGFF requires): a transform between systems
  in different units scales the linear part, and nothing is left implicit.
* An :class:`AffineTransform` maps points of its ``input`` system (the moving modality,
  usually light microscopy) *forward* into its ``output`` system (the reference,
  usually EM). ``matrix`` holds the rows of the homogeneous matrix without its last
  ``[0 … 0 1]`` row: ``len(output axes)`` rows of ``len(input axes) + 1`` numbers, the
  last column being the translation, in the axis order of the systems (so z, y, x —
  not the x, y, z of BigWarp or ec-CLEM).

:func:`check_transforms` returns the problems of one correlation's transforms (names,
axes, units, matrix shapes, references, connectivity) for :mod:`..rules`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from pydantic import Field

from .base import Id, Model
from .problems import Location, Problem
from .text import Line

#: NGFF 0.6 spatial units (UDUNITS-2 names).
SPACE_UNITS: tuple[str, ...] = (
    "angstrom",
    "attometer",
    "centimeter",
    "decimeter",
    "exameter",
    "femtometer",
    "foot",
    "gigameter",
    "hectometer",
    "inch",
    "kilometer",
    "megameter",
    "meter",
    "micrometer",
    "mile",
    "millimeter",
    "nanometer",
    "parsec",
    "petameter",
    "picometer",
    "terameter",
    "yard",
    "yoctometer",
    "yottameter",
    "zeptometer",
    "zettameter",
)

#: NGFF 0.6 time units (UDUNITS-2 names).
TIME_UNITS: tuple[str, ...] = (
    "attosecond",
    "centisecond",
    "day",
    "decisecond",
    "exasecond",
    "femtosecond",
    "gigasecond",
    "hectosecond",
    "hour",
    "kilosecond",
    "megasecond",
    "microsecond",
    "millisecond",
    "minute",
    "nanosecond",
    "petasecond",
    "picosecond",
    "second",
    "terasecond",
    "yoctosecond",
    "yottasecond",
    "zeptosecond",
    "zettasecond",
)

#: Axis types NGFF names; custom types are allowed by the spec but not offered here.
AXIS_TYPES: tuple[str, ...] = ("space", "time", "channel")


class Axis(Model):
    """One axis of a coordinate system, e.g. ``z`` (space, nanometer)."""

    name: Line = ""
    type: Line = "space"  # one of AXIS_TYPES
    unit: Line = ""  # SPACE_UNITS for space axes, TIME_UNITS for time axes


class CoordinateSystem(Model):
    """A named physical space: the axes (in order, with units) the images of one component live in."""

    name: Line = ""  # unique within its correlation, e.g. "lm_airyscan"
    component_id: Id = ""  # the study component whose images use this system; "" for a shared display space
    axes: list[Axis] = Field(default_factory=list)


class AffineTransform(Model):
    """An affine map from one coordinate system into another, in NGFF's matrix convention."""

    name: Line = ""  # short provenance, e.g. "BigWarp landmark fit, 12 fiducials, RMS 85 nm"
    input: Line = ""  # name of the moving coordinate system
    output: Line = ""  # name of the reference coordinate system
    # Rows, M x (N + 1). None stands for a value that is not a finite number (drafts store NaN as
    # null so they stay loadable); check_transforms reports it and no export is written with it.
    matrix: list[list[float | None]] = Field(default_factory=list)


def zyx_axes(unit: str) -> list[Axis]:
    """Three spatial axes in NGFF order (z, y, x), all in ``unit``.

    Parameters
    ----------
    unit
        A name from :data:`SPACE_UNITS`, e.g. ``"nanometer"``.

    Returns
    -------
    list of Axis
        ``z``, ``y``, ``x``.
    """
    return [Axis(name=name, type="space", unit=unit) for name in ("z", "y", "x")]


def matrix_text(matrix: Sequence[Sequence[float | None]]) -> str:
    """The matrix as short text, e.g. ``[[1, 0, 0, 12.5], …]``, for the archives' free-text fields."""
    return "[" + ", ".join("[" + ", ".join(_number(v) for v in row) + "]" for row in matrix) + "]"


def _number(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "NaN"
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))


def check_transforms(
    systems: Sequence[CoordinateSystem],
    transforms: Sequence[AffineTransform],
    location: Location,
    component_ids: Iterable[str],
) -> list[Problem]:
    """Return the problems of one correlation's coordinate systems and transforms.

    Parameters
    ----------
    systems, transforms
        The correlation's ``coordinate_systems`` and ``transforms``.
    location
        Where the correlation sits in the model, e.g. ``("correlations", 0)``.
    component_ids
        Ids of the deposition's study components (a system may name one).

    Returns
    -------
    list of Problem
        Errors for anything that would make the NGFF scene invalid or ambiguous.
    """
    problems: list[Problem] = []

    def add(code: str, where: Location, message: str) -> None:
        problems.append(Problem(code, where, message))

    if transforms and not systems:
        add(
            "correlation.coordinate_systems.missing",
            (*location, "coordinate_systems"),
            "Describe the coordinate systems (axes and units) the transforms map between.",
        )
    known_components = set(component_ids)
    axis_counts: dict[str, int] = {}
    for index, system in enumerate(systems):
        sloc = (*location, "coordinate_systems", index)
        if not system.name:
            add("correlation.system.name.missing", (*sloc, "name"), "Give the coordinate system a name.")
        elif system.name in axis_counts:
            add(
                "correlation.system.name.duplicate",
                (*sloc, "name"),
                f"Two coordinate systems are called '{system.name}'; each needs its own name.",
            )
        else:
            axis_counts[system.name] = len(system.axes)
        if system.component_id and system.component_id not in known_components:
            add(
                "correlation.system.component.missing",
                (*sloc, "component_id"),
                "This coordinate system belongs to a component that no longer exists; choose it again.",
            )
        problems.extend(_check_axes(system.axes, sloc))
    for index, transform in enumerate(transforms):
        tloc = (*location, "transforms", index)
        ends: list[int] = []
        for end in ("input", "output"):
            name = getattr(transform, end)
            if not name:
                add(f"correlation.transform.{end}.missing", (*tloc, end), f"Choose the transform's {end} system.")
            elif name not in axis_counts:
                add(
                    f"correlation.transform.{end}.unknown",
                    (*tloc, end),
                    f"The transform's {end} '{name}' is not one of this correlation's coordinate systems.",
                )
            else:
                ends.append(axis_counts[name])
        if transform.input and transform.input == transform.output:
            add(
                "correlation.transform.same_system",
                (*tloc, "output"),
                "A transform must map between two different coordinate systems.",
            )
        if not transform.matrix:
            add("correlation.transform.matrix.missing", (*tloc, "matrix"), "Give the transform's matrix.")
            continue
        if any(value is None or not math.isfinite(value) for row in transform.matrix for value in row):
            add(
                "correlation.transform.matrix.not_finite",
                (*tloc, "matrix"),
                "The matrix contains a value that is not a finite number.",
            )
        if len(ends) == 2:
            n_in, n_out = ends
            shape = (len(transform.matrix), {len(row) for row in transform.matrix})
            if shape != (n_out, {n_in + 1}):
                add(
                    "correlation.transform.matrix.shape",
                    (*tloc, "matrix"),
                    f"An affine from {n_in} to {n_out} axes needs {n_out} rows of {n_in + 1} numbers "
                    "(the last column is the translation).",
                )
    problems.extend(_check_connected(axis_counts, transforms, location))
    return problems


def _check_axes(axes: Sequence[Axis], sloc: Location) -> list[Problem]:
    problems: list[Problem] = []
    aloc = (*sloc, "axes")
    if not 2 <= len(axes) <= 5:
        problems.append(
            Problem("correlation.axes.count", aloc, "A coordinate system needs between 2 and 5 axes (e.g. z, y, x).")
        )
    names = [axis.name for axis in axes]
    if len(set(names)) != len(names):
        problems.append(
            Problem("correlation.axes.duplicate", aloc, "Each axis of a coordinate system needs its own name.")
        )
    spatial = sum(1 for axis in axes if axis.type == "space")
    if axes and not 2 <= spatial <= 3:
        problems.append(
            Problem("correlation.axes.spatial", aloc, "A coordinate system needs two or three spatial axes.")
        )
    for index, axis in enumerate(axes):
        here = (*aloc, index)
        if not axis.name:
            problems.append(
                Problem("correlation.axis.name.missing", (*here, "name"), "Give the axis a name (z, y, x…).")
            )
        if axis.type not in AXIS_TYPES:
            problems.append(
                Problem("correlation.axis.type.unknown", (*here, "type"), "The axis type is space, time or channel.")
            )
        elif axis.type == "space" and axis.unit not in SPACE_UNITS:
            problems.append(
                Problem(
                    "correlation.axis.unit.space",
                    (*here, "unit"),
                    "Give the spatial axis a unit such as micrometer or nanometer.",
                )
            )
        elif axis.type == "time" and axis.unit and axis.unit not in TIME_UNITS:
            problems.append(
                Problem("correlation.axis.unit.time", (*here, "unit"), "Give the time axis a unit such as second.")
            )
    return problems


def _check_connected(
    axis_counts: dict[str, int], transforms: Sequence[AffineTransform], location: Location
) -> list[Problem]:
    if len(axis_counts) < 2 or not transforms:
        return []
    neighbours: dict[str, set[str]] = {name: set() for name in axis_counts}
    for transform in transforms:
        if transform.input in neighbours and transform.output in neighbours:
            neighbours[transform.input].add(transform.output)
            neighbours[transform.output].add(transform.input)
    start = next(iter(neighbours))
    seen = {start}
    stack = [start]
    while stack:
        for other in neighbours[stack.pop()]:
            if other not in seen:
                seen.add(other)
                stack.append(other)
    missing = [name for name in axis_counts if name not in seen]
    if not missing:
        return []
    return [
        Problem(
            "correlation.transforms.disconnected",
            (*location, "transforms"),
            f"No transform connects {', '.join(repr(m) for m in missing)} to the other coordinate systems.",
        )
    ]
