"""Turn a fitted, typed or imported matrix into what an OME-NGFF 0.6 scene holds.

Landmark tools work in x, y[, z] order, often in pixels or micrometres; an NGFF scene
lists axes as z, y, x with an explicit unit on each, and prefers the least expressive
transformation type that fits (``correlative.md`` §5–6). This module does the three
conversions once:

* :func:`reverse_axes`: x, y, z ↔ z, y, x (``P·M·P`` with the reversal permutation);
* :func:`rescale` and :func:`unit_factor`: pixels → physical units, µm → nm, … as
  ``S_out · M · S_in⁻¹``;
* :func:`ngff_transformation`: the NGFF transformation object — ``identity``,
  ``translation``, ``scale``, ``sequence[scale, translation]``, ``rotation``,
  ``sequence[rotation, translation]`` or ``affine`` — with explicit ``input`` and
  ``output`` systems.

:func:`prepare_for_ngff` chains the first two for a landmark fit;
:func:`to_affine_transform` and :func:`spatial_axes` build the draft's
:class:`~..correlation_model.AffineTransform` and axes that ``exports/ngff.py`` writes.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..correlation_model import AffineTransform, Axis
from .affine import FloatArray, as_homogeneous
from .errors import MATRIX_DIMENSION_MISMATCH, MATRIX_UNIT_UNKNOWN, MatrixError

#: Metres per unit for every NGFF spatial unit (exact decimal fractions, so µm → nm is exactly 1000).
METRES_PER_UNIT: dict[str, Fraction] = {
    "angstrom": Fraction(1, 10**10),
    "attometer": Fraction(1, 10**18),
    "centimeter": Fraction(1, 10**2),
    "decimeter": Fraction(1, 10),
    "exameter": Fraction(10**18),
    "femtometer": Fraction(1, 10**15),
    "foot": Fraction("0.3048"),
    "gigameter": Fraction(10**9),
    "hectometer": Fraction(10**2),
    "inch": Fraction("0.0254"),
    "kilometer": Fraction(10**3),
    "megameter": Fraction(10**6),
    "meter": Fraction(1),
    "micrometer": Fraction(1, 10**6),
    "mile": Fraction("1609.344"),
    "millimeter": Fraction(1, 10**3),
    "nanometer": Fraction(1, 10**9),
    "parsec": Fraction("30856775814913673"),
    "petameter": Fraction(10**15),
    "picometer": Fraction(1, 10**12),
    "terameter": Fraction(10**12),
    "yard": Fraction("0.9144"),
    "yoctometer": Fraction(1, 10**24),
    "yottameter": Fraction(10**24),
    "zeptometer": Fraction(1, 10**21),
    "zettameter": Fraction(10**21),
}

#: Spellings tools and people use for the common units, mapped to the NGFF (UDUNITS-2) name.
UNIT_ALIASES: dict[str, str] = {
    "um": "micrometer",
    "µm": "micrometer",
    "μm": "micrometer",
    "micron": "micrometer",
    "microns": "micrometer",
    "micrometre": "micrometer",
    "micrometers": "micrometer",
    "nm": "nanometer",
    "nanometre": "nanometer",
    "nanometers": "nanometer",
    "mm": "millimeter",
    "millimetre": "millimeter",
    "pm": "picometer",
    "a": "angstrom",
    "å": "angstrom",
    "Å": "angstrom",
    "angstroms": "angstrom",
    "m": "meter",
    "metre": "meter",
    "cm": "centimeter",
}

#: Short symbols for messages and free text.
UNIT_SYMBOLS: dict[str, str] = {
    "angstrom": "Å",
    "picometer": "pm",
    "nanometer": "nm",
    "micrometer": "µm",
    "millimeter": "mm",
    "centimeter": "cm",
    "meter": "m",
}

#: A matrix entry within this distance of the value a simpler type needs counts as that value.
SIMPLE_TYPE_TOLERANCE = 1e-12


def normalise_unit(unit: str) -> str:
    """The NGFF name of ``unit`` (``"µm"`` → ``"micrometer"``), or ``""`` when it is not a spatial unit."""
    text = unit.strip()
    if text in METRES_PER_UNIT:
        return text
    lowered = text.lower()
    if lowered in METRES_PER_UNIT:
        return lowered
    return UNIT_ALIASES.get(text, UNIT_ALIASES.get(lowered, ""))


def unit_factor(from_unit: str, to_unit: str) -> float:
    """The number to multiply a length in ``from_unit`` by to express it in ``to_unit``.

    Raises
    ------
    MatrixError
        ``landmarks.matrix.unit_unknown`` for a unit that is not a spatial unit.
    """
    factors = []
    for unit in (from_unit, to_unit):
        name = normalise_unit(unit)
        if not name:
            raise MatrixError(
                MATRIX_UNIT_UNKNOWN,
                f"'{unit}' is not a length unit; use one such as micrometer or nanometer.",
                unit=unit,
            )
        factors.append(METRES_PER_UNIT[name])
    return float(factors[0] / factors[1])


def reverse_axes(matrix: ArrayLike) -> FloatArray:
    """Swap the axis order of a transform: x, y[, z] ↔ [z, ]y, x.

    Parameters
    ----------
    matrix
        Homogeneous or NGFF-shaped matrix in one axis order.

    Returns
    -------
    numpy.ndarray
        The homogeneous matrix of the same transform in the reversed axis order.
    """
    m = as_homogeneous(matrix)
    n = m.shape[0] - 1
    order = [*range(n - 1, -1, -1), n]
    return np.asarray(m[np.ix_(order, order)], dtype=np.float64)


def rescale(matrix: ArrayLike, input_scale: ArrayLike, output_scale: ArrayLike) -> FloatArray:
    """Re-express a transform for input and output coordinates measured in other units.

    If ``matrix`` maps input coordinates ``p`` to output coordinates ``q``, the result maps
    ``p · input_scale`` to ``q · output_scale`` (``S_out · M · S_in⁻¹``). Pixels → physical:
    the scales are the pixel sizes; micrometres → nanometres: both scales are 1000.

    Parameters
    ----------
    matrix
        Homogeneous or NGFF-shaped matrix.
    input_scale, output_scale
        One number for every axis, or a single number for all axes; all non-zero.

    Returns
    -------
    numpy.ndarray
        The homogeneous matrix in the new units.

    Raises
    ------
    MatrixError
        ``landmarks.matrix.dimension_mismatch`` for a wrong number of scales or a zero scale.
    """
    m = as_homogeneous(matrix)
    n = m.shape[0] - 1
    scales = []
    for name, value in (("input", input_scale), ("output", output_scale)):
        array = np.broadcast_to(np.asarray(value, dtype=np.float64), (n,)) if np.ndim(value) == 0 else None
        if array is None:
            array = np.asarray(value, dtype=np.float64)
        if array.shape != (n,) or not np.all(np.isfinite(array)) or np.any(array == 0):
            raise MatrixError(
                MATRIX_DIMENSION_MISMATCH,
                f"The {name} scale needs {n} finite, non-zero numbers (one per axis).",
                side=name,
            )
        scales.append(array)
    out = m.copy()
    out[:n, :n] = (scales[1][:, None] * m[:n, :n]) / scales[0][None, :]
    out[:n, n] = scales[1] * m[:n, n]
    return out


def prepare_for_ngff(
    matrix: ArrayLike,
    *,
    moving_unit: str,
    fixed_unit: str,
    input_unit: str,
    output_unit: str,
    axis_order: str = "xyz",
) -> FloatArray:
    """Convert a landmark-tool matrix to NGFF's z, y, x order and the scene's units.

    Parameters
    ----------
    matrix
        Maps moving to reference coordinates, in ``axis_order`` (``"xy"``/``"xyz"`` for
        BigWarp and ec-CLEM, ``"yx"``/``"zyx"`` when already in NGFF order).
    moving_unit, fixed_unit
        The units of the moving and reference landmark coordinates.
    input_unit, output_unit
        The units of the scene's input (moving) and output (reference) coordinate systems.
    axis_order
        Axis order of ``matrix``.

    Returns
    -------
    numpy.ndarray
        Homogeneous matrix in NGFF axis order and units, ready for :func:`ngff_transformation`.
    """
    m = rescale(
        matrix,
        unit_factor(moving_unit, input_unit),
        unit_factor(fixed_unit, output_unit),
    )
    order = axis_order.lower()
    return reverse_axes(m) if order.startswith("x") else m


def spatial_axes(ndim: int, unit: str) -> list[Axis]:
    """Spatial axes in NGFF order — ``y, x`` or ``z, y, x`` — all in ``unit`` (an NGFF unit name)."""
    if ndim not in (2, 3):
        raise MatrixError(MATRIX_DIMENSION_MISMATCH, f"A coordinate system has 2 or 3 spatial axes, not {ndim}.")
    names = ("z", "y", "x")[3 - ndim :]
    return [Axis(name=name, type="space", unit=unit) for name in names]


def ngff_affine_rows(matrix: ArrayLike) -> list[list[float]]:
    """The rows NGFF's ``affine`` parameter holds: the homogeneous matrix without its last row."""
    m = as_homogeneous(matrix)
    return [[_clean(value) for value in row] for row in m[:-1]]


def to_affine_transform(matrix: ArrayLike, *, input: str, output: str, name: str = "") -> AffineTransform:
    """The draft's :class:`~..correlation_model.AffineTransform` for a matrix in NGFF axis order.

    Parameters
    ----------
    matrix
        Homogeneous or NGFF-shaped matrix, already in the systems' axis order and units
        (see :func:`prepare_for_ngff`).
    input, output
        Names of the moving and reference coordinate systems.
    name
        Provenance text, e.g. ``"BigWarp landmarks, affine fit, 12 pairs, RMS 85 nm"``.
    """
    rows: list[list[float | None]] = [list(row) for row in ngff_affine_rows(matrix)]
    return AffineTransform(name=name, input=input, output=output, matrix=rows)


def ngff_transformation(
    matrix: ArrayLike,
    *,
    input: str,
    output: str,
    name: str = "",
    input_path: str = "",
    output_path: str = "",
) -> dict[str, Any]:
    """The OME-NGFF 0.6 transformation object for a matrix, using the least expressive type that fits.

    Parameters
    ----------
    matrix
        Homogeneous or NGFF-shaped matrix in the coordinate systems' axis order and units.
    input, output
        Names of the input (moving) and output (reference) coordinate systems.
    name
        Optional provenance text stored as the transformation's ``name``.
    input_path, output_path
        Image subgroup paths when a system is defined inside an image (omitted when empty).

    Returns
    -------
    dict
        ``{"type": …, ["name": …,] "input": {…}, "output": {…}, <parameters>}`` where the type is
        ``identity``, ``translation``, ``scale``, ``rotation``, ``sequence`` (of ``scale`` or
        ``rotation`` then ``translation``) or ``affine``. Rotations are used only when the linear
        part is orthonormal with determinant +1.
    """
    m = as_homogeneous(matrix)
    n = m.shape[0] - 1
    linear = m[:n, :n]
    translation = m[:n, n]
    # relative to the linear part, so a translation of 1e-13 nm next to a unit rotation counts as none
    tolerance = SIMPLE_TYPE_TOLERANCE * max(1.0, float(np.abs(linear).max()))
    has_translation = bool(np.any(np.abs(translation) > tolerance))
    off_diagonal = linear - np.diag(np.diag(linear))
    steps: list[dict[str, Any]] = []
    if np.all(np.abs(linear - np.eye(n)) <= tolerance):
        if not has_translation:
            return _wrap({"type": "identity"}, input, output, name, input_path, output_path)
    elif np.all(np.abs(off_diagonal) <= tolerance):
        steps.append({"type": "scale", "scale": [_clean(value) for value in np.diag(linear)]})
    elif _is_rotation(linear, tolerance):
        steps.append({"type": "rotation", "rotation": [[_clean(value) for value in row] for row in linear]})
    else:
        return _wrap({"type": "affine", "affine": ngff_affine_rows(m)}, input, output, name, input_path, output_path)
    if has_translation:
        steps.append({"type": "translation", "translation": [_clean(value) for value in translation]})
    if len(steps) == 1:
        return _wrap(steps[0], input, output, name, input_path, output_path)
    return _wrap({"type": "sequence", "transformations": steps}, input, output, name, input_path, output_path)


def _is_rotation(linear: FloatArray, tolerance: float) -> bool:
    n = linear.shape[0]
    return bool(
        np.all(np.abs(linear @ linear.T - np.eye(n)) <= tolerance)
        and abs(float(np.linalg.det(linear)) - 1.0) <= tolerance
    )


def _wrap(
    body: dict[str, Any], input: str, output: str, name: str, input_path: str, output_path: str
) -> dict[str, Any]:
    doc: dict[str, Any] = {"type": body["type"]}
    if name:
        doc["name"] = name
    doc["input"] = {"name": input, **({"path": input_path} if input_path else {})}
    doc["output"] = {"name": output, **({"path": output_path} if output_path else {})}
    doc.update({key: value for key, value in body.items() if key != "type"})
    return doc


def _clean(value: float) -> float:
    return float(value) + 0.0  # turns -0.0 into 0.0 so the JSON never shows "-0.0"
