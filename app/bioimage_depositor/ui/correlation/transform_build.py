"""From what the Correlation page collects to the draft's transform, and the same in words.

The page gathers a matrix in one of three ways (typed, a tool's file, landmarks clicked on
two previews) in the axis order and units of its source; the draft stores NGFF's z, y, x
order in the units of the two coordinate systems. This module does that last step once for
all three ways, lifting a 2-D fit to the 3-D systems when needed (z unchanged), and writes
the sentences for the BIA "Image correlation" free-text fields.

It imports no Qt, so its logic is tested without widgets; it lives next to the page because
only the page needs it (the conversions themselves are :mod:`...domain.landmarks`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ...domain.correlation_model import SPACE_UNITS, AffineTransform, CoordinateSystem
from ...domain.landmarks import (
    FitResult,
    as_homogeneous,
    fit_summary,
    prepare_for_ngff,
    spatial_axes,
    to_affine_transform,
    unit_factor,
)
from ...domain.landmarks.affine import FloatArray
from ...domain.landmarks.ngff_convert import UNIT_SYMBOLS

#: Units offered first in the page's unit choosers (the rest of NGFF's list follows).
COMMON_UNITS: tuple[str, ...] = ("nanometer", "micrometer", "angstrom", "millimeter")

#: Every unit a chooser offers, common ones first.
UNIT_CHOICES: tuple[str, ...] = COMMON_UNITS + tuple(u for u in SPACE_UNITS if u not in COMMON_UNITS)

#: Pixels smaller than this (in micrometres) suggest an electron or X-ray image, measured in nanometres
#: (Airyscan and confocal pixels are 35 nm or more; FIB-SEM, SBF-SEM and TEM pixels a few nanometres).
NANOMETER_PIXELS_BELOW_UM = 0.025


class TransformBuildError(Exception):
    """The page's inputs cannot make a transform yet; ``message`` says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def unit_symbol(unit: str) -> str:
    """``"µm"`` for ``"micrometer"``; the name itself when it has no short symbol."""
    return UNIT_SYMBOLS.get(unit, unit)


def system_unit(system: CoordinateSystem) -> str:
    """The unit shared by the system's spatial axes, or ``""`` when they have none or differ."""
    units = {axis.unit for axis in system.axes if axis.type == "space"}
    return units.pop() if len(units) == 1 else ""


def system_ndim(system: CoordinateSystem) -> int:
    """How many spatial axes the system has."""
    return sum(1 for axis in system.axes if axis.type == "space")


def default_unit(archive: str, pixel_size_um: float | None = None) -> str:
    """A sensible unit for a dataset's coordinate system.

    Parameters
    ----------
    archive
        ``"BIA"``, ``"EMPIAR"``, or for public data ``"BioStudies"``, ``"EMDB"``, ``"IDR"``.
    pixel_size_um
        The images' pixel size in micrometres, when the files state it.

    Returns
    -------
    str
        ``"nanometer"`` for EM-sized pixels (or EM archives when the size is unknown), else
        ``"micrometer"``.
    """
    if pixel_size_um is not None and pixel_size_um > 0:
        return "nanometer" if pixel_size_um < NANOMETER_PIXELS_BELOW_UM else "micrometer"
    return "nanometer" if archive in ("EMPIAR", "EMDB") else "micrometer"


def slug(text: str, fallback: str = "system") -> str:
    """A short coordinate-system name from free text: ``"Airyscan volumes of HeLa"`` → ``"airyscan_volumes_of"``."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    name = "_".join(words[:3])[:32].strip("_")
    return name or fallback


def unique_name(base: str, taken: Iterable[str]) -> str:
    """``base``, or ``base_2``, ``base_3``… when it is already used."""
    used = set(taken)
    name, counter = base, 2
    while name in used:
        name = f"{base}_{counter}"
        counter += 1
    return name


def new_system(name: str, unit: str, *, component_id: str = "", accession: str = "", ndim: int = 3) -> CoordinateSystem:
    """A coordinate system with ``ndim`` spatial axes in NGFF order, all in ``unit``."""
    return CoordinateSystem(name=name, component_id=component_id, accession=accession, axes=spatial_axes(ndim, unit))


@dataclass(frozen=True)
class Target:
    """The two coordinate systems a transform maps between, as far as the matrix needs them."""

    input: str
    output: str
    input_unit: str
    output_unit: str
    ndim: int


def target_of(systems: Sequence[CoordinateSystem], input_name: str, output_name: str) -> Target:
    """Check that a transform can be written between two systems and return their units and axis count.

    Raises
    ------
    TransformBuildError
        When a system is not chosen or unknown, they are the same, have no single spatial unit,
        carry non-spatial axes, or differ in their number of axes.
    """
    if not input_name or not output_name:
        raise TransformBuildError("Choose the moving and the reference coordinate system first.")
    if input_name == output_name:
        raise TransformBuildError("The moving and the reference coordinate system must be different.")
    found = {system.name: system for system in systems}
    ends = []
    for role, name in (("moving", input_name), ("reference", output_name)):
        system = found.get(name)
        if system is None:
            raise TransformBuildError(f"The {role} coordinate system '{name}' no longer exists; choose another.")
        unit = system_unit(system)
        if not unit:
            raise TransformBuildError(f"Give the spatial axes of '{name}' one unit (e.g. micrometer) first.")
        if len(system.axes) != system_ndim(system) or system_ndim(system) not in (2, 3):
            raise TransformBuildError(
                f"'{name}' needs two or three spatial axes (y, x or z, y, x) for a transform made on this page."
            )
        ends.append((unit, system_ndim(system)))
    if ends[0][1] != ends[1][1]:
        raise TransformBuildError(
            f"'{input_name}' has {ends[0][1]} axes but '{output_name}' has {ends[1][1]}; give both the same axes."
        )
    return Target(input_name, output_name, ends[0][0], ends[1][0], ends[0][1])


def embed_in_3d(matrix: ArrayLike, axis_order: str) -> tuple[FloatArray, str]:
    """A 2-D transform as a 3-D one that leaves z unchanged.

    Parameters
    ----------
    matrix
        Homogeneous 3 × 3 (or 2 × 3) matrix; a 4 × 4 one is returned as it is.
    axis_order
        ``"xy"`` (tools) or ``"yx"`` (NGFF).

    Returns
    -------
    tuple
        The 4 × 4 matrix and its axis order (``"xyz"`` or ``"zyx"``).
    """
    m = as_homogeneous(matrix)
    if m.shape == (4, 4):
        return m, axis_order
    out = np.eye(4)
    first = 1 if axis_order.lower().startswith("y") else 0  # NGFF puts z first, the tools put it last
    out[first : first + 2, first : first + 2] = m[:2, :2]
    out[first : first + 2, 3] = m[:2, 2]
    return out, ("zyx" if first else "xyz")


def build_transform(
    matrix: ArrayLike,
    *,
    axis_order: str,
    moving_unit: str,
    fixed_unit: str,
    target: Target,
    name: str = "",
) -> tuple[AffineTransform, bool]:
    """The draft's transform for a matrix from any of the page's sources.

    Parameters
    ----------
    matrix
        Maps moving points to reference points, in ``axis_order`` and the given units.
    axis_order
        ``"xy"``/``"xyz"`` (tools, clicked landmarks) or ``"yx"``/``"zyx"`` (NGFF order).
    moving_unit, fixed_unit
        Units of the matrix's moving (input) and reference (output) coordinates.
    target
        The two coordinate systems (:func:`target_of`).
    name
        Provenance text for the transform.

    Returns
    -------
    tuple
        The :class:`AffineTransform` (NGFF z, y, x order, the systems' units) and whether a 2-D
        matrix was lifted to 3-D with z unchanged.

    Raises
    ------
    TransformBuildError
        When the matrix has more axes than the systems.
    MatrixError
        For a matrix that is not a usable affine or a unit that is not a length.
    """
    m = as_homogeneous(matrix)
    n = m.shape[0] - 1
    lifted = False
    if n == 2 and target.ndim == 3:
        m, axis_order = embed_in_3d(m, axis_order)
        lifted = True
    elif n != target.ndim:
        raise TransformBuildError(
            f"The matrix is {n}-D but '{target.input}' and '{target.output}' have {target.ndim} axes; "
            "give the coordinate systems three axes (z, y, x) or use a 2-D matrix."
        )
    zyx = prepare_for_ngff(
        m,
        moving_unit=moving_unit,
        fixed_unit=fixed_unit,
        input_unit=target.input_unit,
        output_unit=target.output_unit,
        axis_order=axis_order,
    )
    return to_affine_transform(zyx, input=target.input, output=target.output, name=name), lifted


@dataclass(frozen=True)
class PixelScale:
    """How big one full-resolution pixel of an image is."""

    x: float
    y: float
    unit: str

    def factors(self, unit: str) -> FloatArray:
        """Multiply x, y pixel coordinates by these to get lengths in ``unit``."""
        to = unit_factor(self.unit, unit)
        return np.array([self.x * to, self.y * to])


def to_physical(points: ArrayLike, scale: PixelScale, unit: str) -> FloatArray:
    """``N × 2`` pixel coordinates (x, y) as lengths in ``unit``."""
    return np.asarray(points, dtype=np.float64).reshape(-1, 2) * scale.factors(unit)


def picture_matrix(
    fit_matrix: ArrayLike,
    *,
    moving_scale: PixelScale,
    reference_scale: PixelScale,
    unit: str,
    moving_pixels_per_picture: tuple[float, float],
    reference_pixels_per_picture: tuple[float, float],
) -> FloatArray:
    """The 2-D map from moving-preview pixels to reference-preview pixels, for painting the overlay.

    Parameters
    ----------
    fit_matrix
        3 × 3 fit mapping moving to reference lengths in ``unit`` (x, y order).
    moving_scale, reference_scale
        Pixel sizes of the two images.
    unit
        The unit the fit was made in.
    moving_pixels_per_picture, reference_pixels_per_picture
        Full-resolution pixels per preview pixel along x and y (previews are reduced).

    Returns
    -------
    numpy.ndarray
        3 × 3 homogeneous matrix, preview pixels → preview pixels.
    """
    moving = moving_scale.factors(unit) * np.asarray(moving_pixels_per_picture, dtype=np.float64)
    reference = reference_scale.factors(unit) * np.asarray(reference_pixels_per_picture, dtype=np.float64)
    into = np.diag([moving[0], moving[1], 1.0])
    back = np.diag([1.0 / reference[0], 1.0 / reference[1], 1.0])
    return np.asarray(back @ as_homogeneous(fit_matrix) @ into, dtype=np.float64)


# ---------------------------------------------------------------- words


@dataclass(frozen=True)
class Descriptions:
    """Text for the BIA "Image correlation" fields, from one transform."""

    alignment: str
    fiducials: str
    transformation: str


def _pairs(count: int) -> str:
    return f"{count} landmark pair{'s' if count != 1 else ''}"


def describe_landmarks(
    fit: FitResult, *, unit: str, moving_file: str, reference_file: str, target: Target, lifted: bool
) -> Descriptions:
    """Sentences for a transform fitted to landmarks clicked on this page."""
    tool = f"Landmarks clicked in BioImage Depositor on {moving_file} (moving) and {reference_file} (reference)"
    alignment = fit_summary(fit, unit=unit, tool=tool)
    if lifted:
        alignment += " The 2-D fit was made on one plane of each image and applied with z unchanged."
    return Descriptions(
        alignment=alignment,
        fiducials=f"{_pairs(fit.n_pairs)} on features visible in both {moving_file} and {reference_file}.",
        transformation=f"{fit.model.capitalize()} transform {_ends(target)}, fitted to {_pairs(fit.n_pairs)}.",
    )


def describe_file(
    fit: FitResult | None, *, file_name: str, tool: str, unit: str, target: Target, used_tool_matrix: bool
) -> Descriptions:
    """Sentences for a transform imported from a BigWarp or ec-CLEM file."""
    source = f"{tool} file {file_name}"
    if fit is not None and not used_tool_matrix:
        alignment = fit_summary(fit, unit=unit, tool=f"Landmarks from the {source}")
        how = f"fitted to the {_pairs(fit.n_pairs)} of the {source}"
    elif fit is not None and fit.n_pairs:
        alignment = (
            f"Transform computed by {tool} ({source}); on its {_pairs(fit.n_pairs)} the RMS residual is "
            f"{fit.rms:.3g} {unit_symbol(unit)}."
        )
        how = f"as computed by {tool} ({source})"
    else:
        alignment = f"Transform computed by {tool} ({source})."
        how = f"as computed by {tool} ({source})"
    fiducials = f"{_pairs(fit.n_pairs)} listed in the {source}." if fit is not None and fit.n_pairs else ""
    return Descriptions(
        alignment=alignment,
        fiducials=fiducials,
        transformation=f"Affine transform {_ends(target)}, {how}; the original file is kept next to the scene.",
    )


def describe_matrix(target: Target) -> Descriptions:
    """Sentences for a typed matrix."""
    return Descriptions(
        alignment="Affine transform entered as a matrix.",
        fiducials="",
        transformation=f"Affine transform {_ends(target)}, entered as a matrix.",
    )


def _ends(target: Target) -> str:
    return (
        f"from {target.input} ({unit_symbol(target.input_unit)}) to {target.output} ({unit_symbol(target.output_unit)})"
    )


def describe_stored(transform: AffineTransform) -> Descriptions:
    """Sentences for a transform already in the draft (when the page did not make it in this session)."""
    ends = f"from {transform.input} to {transform.output}"
    count = len(transform.landmarks)
    source = transform.source_file
    if transform.method == "file" and source is not None:
        return Descriptions(
            alignment=transform.name or f"Transform imported from {source.name}.",
            fiducials=f"Landmarks listed in {source.name}.",
            transformation=f"Affine transform {ends}, from {source.name}; the original file is kept next to the scene.",
        )
    if transform.method == "landmarks" and count:
        return Descriptions(
            alignment=transform.name or f"{transform.fit_model or 'Affine'} fit of {_pairs(count)}.",
            fiducials=f"{_pairs(count)} on features visible in both images.",
            transformation=f"{(transform.fit_model or 'affine').capitalize()} transform {ends}, fitted to "
            f"{_pairs(count)}.",
        )
    return Descriptions(
        alignment=transform.name or "Affine transform entered as a matrix.",
        fiducials="",
        transformation=f"Affine transform {ends}.",
    )
