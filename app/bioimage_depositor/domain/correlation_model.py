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

What the Correlation page records besides (all optional, so older drafts load unchanged)
------------------------------------------------------------------------------------
* A coordinate system stands for one dataset taking part: a study component of the draft
  (``component_id``) or data already public elsewhere (``accession``: S-BIAD…, S-BSST…,
  EMPIAR-…, EMD-…), never both.
* A transform says how it was made (``method``: a typed matrix, a landmark or transform file,
  or landmarks clicked in the program; ``fit_model``), keeps the clicked landmarks and the two
  images they were clicked on (:class:`Landmark`, :class:`LandmarkImage`) so they can be edited
  again, and names the imported tool file (:class:`ProvenanceFile`: path, size, SHA-256) that
  goes into both uploads next to the NGFF scene as provenance.

:func:`check_transforms` returns the problems of one correlation's transforms (names,
axes, units, matrix shapes, references, connectivity) for :mod:`..rules`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Annotated

from pydantic import Field

from .base import Id, Model, normalised
from .identifiers import IdentifierError, parse_accession
from .problems import Location, Problem
from .text import Line

#: How a transform was made (``""`` in drafts written before the Correlation page recorded it).
TRANSFORM_METHODS: tuple[str, ...] = ("", "matrix", "file", "landmarks")

#: Least-squares models a transform may have been fitted with (``""`` for a typed or tool matrix).
FIT_MODEL_NAMES: tuple[str, ...] = ("", "translation", "rigid", "similarity", "affine")

_SHA256 = re.compile(r"^[0-9a-f]{64}$")

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
    """A named physical space: the axes (in order, with units) the images of one dataset live in."""

    name: Line = ""  # unique within its correlation, e.g. "lm_airyscan"
    component_id: Id = ""  # the study component whose images use this system; "" for a shared display space
    axes: list[Axis] = Field(default_factory=list)
    # Data already public in an archive (S-BIAD…, S-BSST…, EMPIAR-…, EMD-…) whose images use this system;
    # "" for a component of this draft or a display space. Normalised like the study's related accessions.
    accession: Annotated[str, normalised(parse_accession)] = ""


class ProvenanceFile(Model):
    """The landmark or transform file (BigWarp CSV/JSON, ec-CLEM XML) a transform was made from.

    The file goes into both uploads next to the NGFF scene, byte for byte, because neither
    archive can hold the landmarks in its metadata (``correlative.md`` §6.6). The SHA-256 of
    the bytes read at import lets the package check that the file it copies is still the one
    the transform was computed from.
    """

    path: str = ""  # absolute local path of the file as imported; the program never changes it
    name: Line = ""  # file name, as it will be deposited next to the scene
    sha256: Line = ""  # lower-case hex digest of the bytes read at import
    size_bytes: int | None = None
    format: Line = ""  # "bigwarp-csv", "bigwarp-json" or "ecclem-xml"
    moving_unit: Line = ""  # units the file's coordinates were read in (stated by the file or chosen by the user)
    fixed_unit: Line = ""


class LandmarkImage(Model):
    """One of the two images landmarks were clicked on, with the pixel size used to place them in space."""

    path: Line = ""  # the image's FileEntry.path in the component's file list
    pixel_size_x: float | None = None  # size of one full-resolution pixel, in ``unit``
    pixel_size_y: float | None = None
    unit: Line = ""  # an NGFF unit name, e.g. "micrometer"


class Landmark(Model):
    """One landmark pair: the same feature in the moving and the reference image.

    Clicked landmarks are in full-resolution pixels of the two images (:class:`LandmarkImage`),
    in x, y order, as the images are shown (``None`` for a value that is not finite).
    """

    name: Line = ""
    moving: list[float | None] = Field(default_factory=list)
    fixed: list[float | None] = Field(default_factory=list)


class AffineTransform(Model):
    """An affine map from one coordinate system into another, in NGFF's matrix convention."""

    name: Line = ""  # short provenance, e.g. "BigWarp landmark fit, 12 fiducials, RMS 85 nm"
    input: Line = ""  # name of the moving coordinate system
    output: Line = ""  # name of the reference coordinate system
    # Rows, M x (N + 1). None stands for a value that is not a finite number (drafts store NaN as
    # null so they stay loadable); check_transforms reports it and no export is written with it.
    matrix: list[list[float | None]] = Field(default_factory=list)
    method: Line = ""  # one of TRANSFORM_METHODS
    fit_model: Line = ""  # one of FIT_MODEL_NAMES
    landmarks: list[Landmark] = Field(default_factory=list)  # clicked in the program (method "landmarks")
    moving_image: LandmarkImage | None = None
    reference_image: LandmarkImage | None = None
    source_file: ProvenanceFile | None = None  # the imported tool file (method "file")


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
    accessions: set[str] = set()
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
        problems.extend(_check_dataset(system, sloc, accessions))
    for index, transform in enumerate(transforms):
        tloc = (*location, "transforms", index)
        problems.extend(_check_making_of(transform, tloc))
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


def _check_dataset(system: CoordinateSystem, sloc: Location, seen: set[str]) -> list[Problem]:
    """The public dataset a system stands for: a readable accession, not also a component, named once."""
    if not system.accession:
        return []
    here = (*sloc, "accession")
    try:
        _, accession = parse_accession(system.accession)
    except IdentifierError as error:
        return [Problem("correlation.system.accession.format", here, error.message)]
    problems = []
    if system.component_id:
        problems.append(
            Problem(
                "correlation.system.dataset.both",
                here,
                "A coordinate system belongs either to a study component of this draft or to public data "
                "given by accession, not to both.",
            )
        )
    if accession in seen:
        problems.append(
            Problem(
                "correlation.system.accession.duplicate",
                here,
                f"{accession} has two coordinate systems in this correlation; keep one.",
            )
        )
    seen.add(accession)
    return problems


def _check_making_of(transform: AffineTransform, tloc: Location) -> list[Problem]:
    """How a transform was made: known method and model, finite landmarks, a well-formed provenance file."""
    problems: list[Problem] = []
    if transform.method not in TRANSFORM_METHODS:
        problems.append(
            Problem(
                "correlation.transform.method.unknown",
                (*tloc, "method"),
                f"'{transform.method}' is not a way of making a transform this program knows "
                "(a typed matrix, a landmark file or clicked landmarks).",
            )
        )
    if transform.fit_model not in FIT_MODEL_NAMES:
        problems.append(
            Problem(
                "correlation.transform.fit_model.unknown",
                (*tloc, "fit_model"),
                f"'{transform.fit_model}' is not a fit model; use rigid, similarity or affine.",
            )
        )
    lengths: set[int] = set()
    for index, landmark in enumerate(transform.landmarks):
        values = [*landmark.moving, *landmark.fixed]
        lengths.update((len(landmark.moving), len(landmark.fixed)))
        if any(value is None or not math.isfinite(value) for value in values):
            problems.append(
                Problem(
                    "correlation.transform.landmarks.not_finite",
                    (*tloc, "landmarks", index),
                    f"Landmark {landmark.name or index + 1} has a coordinate that is not a finite number; "
                    "place it again.",
                )
            )
    if lengths and (len(lengths) > 1 or not lengths <= {2, 3}):
        problems.append(
            Problem(
                "correlation.transform.landmarks.dimension",
                (*tloc, "landmarks"),
                "Every landmark needs the same number of coordinates (x, y or x, y, z) in both images.",
            )
        )
    for side in ("moving_image", "reference_image"):
        image: LandmarkImage | None = getattr(transform, side)
        if image is None:
            continue
        sizes = [size for size in (image.pixel_size_x, image.pixel_size_y) if size is not None]
        if any(not math.isfinite(size) or size <= 0 for size in sizes) or (sizes and image.unit not in SPACE_UNITS):
            problems.append(
                Problem(
                    "correlation.transform.pixel_size",
                    (*tloc, side),
                    "The pixel size of a landmark image must be a positive number with a unit such as micrometer.",
                )
            )
    source = transform.source_file
    if source is not None:
        if not source.name or not _SHA256.match(source.sha256):
            problems.append(
                Problem(
                    "correlation.transform.source_file.incomplete",
                    (*tloc, "source_file"),
                    "The landmark file this transform was imported from is not fully recorded; import it again "
                    "so that it can go into the uploads.",
                )
            )
        for unit in (source.moving_unit, source.fixed_unit):
            if unit and unit not in SPACE_UNITS:
                problems.append(
                    Problem(
                        "correlation.transform.source_file.unit",
                        (*tloc, "source_file"),
                        f"'{unit}' is not a length unit; import the landmark file again and choose its units.",
                    )
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
