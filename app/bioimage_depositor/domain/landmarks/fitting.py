"""Least-squares fits of matching landmark pairs, moving → reference, in 2-D and 3-D.

A correlative study registers the moving modality (usually light microscopy) onto the
reference (usually EM) from landmarks clicked or imported in pairs. This module finds
the transform of a chosen model that maps the moving landmarks onto their reference
partners with the least sum of squared distances, and says how well it does:

* ``translation``: shift only (the mean offset);
* ``rigid``: rotation + translation (Kabsch/Umeyama, never a mirror image);
* ``similarity``: rigid + one uniform scale (Umeyama);
* ``affine``: any linear map + translation (ordinary linear least squares).

Every fit returns a :class:`FitResult`: the homogeneous matrix (in the axis order of
the points), the residual of every landmark in reference units, and the RMS error.
Inputs that cannot give a meaningful transform raise :class:`~.errors.FitError` with a
stable code: too few pairs (:data:`MIN_PAIRS`), mismatched counts or dimensions, values
that are not finite numbers, or points that all sit on one spot, one line or one plane
(:data:`REQUIRED_SPREAD`), in either image.

All fits work on centred coordinates, so a cloud of landmarks far from the origin
(stage coordinates in nanometres) is fitted as accurately as one near it; 1,000 pairs
take well under a millisecond (``benchmarks/landmark_fit.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

import numpy as np
from numpy.typing import ArrayLike

from .affine import FloatArray, as_homogeneous, invert_transform
from .errors import (
    FIT_COUNT_MISMATCH,
    FIT_DEGENERATE,
    FIT_DIMENSION,
    FIT_MODEL_UNKNOWN,
    FIT_NOT_FINITE,
    FIT_NOT_NUMBERS,
    FIT_TOO_FEW,
    FitError,
    MatrixError,
)

FitModel = Literal["translation", "rigid", "similarity", "affine"]
#: The models, from the least to the most expressive.
FIT_MODELS: tuple[FitModel, ...] = get_args(FitModel)

#: Fewest landmark pairs each model needs, by number of axes.
MIN_PAIRS: dict[FitModel, dict[int, int]] = {
    "translation": {2: 1, 3: 1},
    "rigid": {2: 2, 3: 3},
    "similarity": {2: 2, 3: 3},
    "affine": {2: 3, 3: 4},
}

#: How many independent directions the landmarks of each image must span (the rank of the
#: centred points): 1 = not all at one spot, 2 = not all on one line, 3 = not all in one plane.
REQUIRED_SPREAD: dict[FitModel, dict[int, int]] = {
    "translation": {2: 0, 3: 0},
    "rigid": {2: 1, 3: 2},
    "similarity": {2: 1, 3: 2},
    "affine": {2: 2, 3: 3},
}

#: Singular values of the centred points below this fraction of the largest count as zero.
RANK_TOLERANCE = 1e-9

_SPREAD_WORDS = {1: "all sit at the same spot", 2: "all lie on one line", 3: "all lie in one plane"}
_NEED_WORDS = {1: "two that differ", 2: "three that are not on one line", 3: "four that are not in one plane"}
_SIDES = {"moving": "moving", "fixed": "reference"}


@dataclass(frozen=True, eq=False)
class FitResult:
    """A fitted transform and how well it maps the moving landmarks onto the reference ones.

    Attributes
    ----------
    model : str
        ``"translation"``, ``"rigid"``, ``"similarity"`` or ``"affine"``.
    matrix : numpy.ndarray
        ``(n+1) × (n+1)`` homogeneous matrix mapping moving points to reference points, in the
        axis order of the input points.
    moving, fixed : numpy.ndarray
        The ``N × n`` landmark pairs the fit used (read-only copies).
    residual_vectors : numpy.ndarray
        ``N × n``: the mapped moving landmark minus its reference partner, in reference units.
    residuals : numpy.ndarray
        ``N``: the length of each residual vector, in reference units.
    rms : float
        Root mean square of ``residuals``.
    scale : float
        The uniform scale of the fit (1 for translation and rigid; for affine the geometric
        mean of the axis scalings, ``|det|^(1/n)``).
    notes : tuple of str
        Facts the user should know about this fit (e.g. that a mirror image would fit better).
    """

    model: FitModel
    matrix: FloatArray
    moving: FloatArray
    fixed: FloatArray
    residual_vectors: FloatArray
    residuals: FloatArray
    rms: float
    scale: float
    notes: tuple[str, ...] = field(default=())

    @property
    def ndim(self) -> int:
        """Number of spatial axes (2 or 3)."""
        return int(self.matrix.shape[0] - 1)

    @property
    def n_pairs(self) -> int:
        """Number of landmark pairs fitted."""
        return int(self.moving.shape[0])

    @property
    def max_residual(self) -> float:
        """The largest residual, in reference units (0 when there are no landmarks)."""
        return float(np.max(self.residuals)) if self.residuals.size else 0.0

    @property
    def affine_rows(self) -> list[list[float]]:
        """The matrix without its last row, as nested lists (``n × (n+1)``, NGFF's ``affine`` shape)."""
        return [[float(value) + 0.0 for value in row] for row in self.matrix[:-1]]


@dataclass(frozen=True)
class DirectionCheck:
    """Which way a matrix maps a set of landmark pairs (:func:`check_direction`)."""

    direction: Literal["forward", "inverse", "unclear"]
    forward_rms: float  # RMS of matrix·moving − fixed
    inverse_rms: float  # RMS of matrix⁻¹·moving − fixed (inf when the matrix has no inverse)


def fit_landmarks(
    moving: ArrayLike,
    fixed: ArrayLike,
    model: FitModel | str,
    *,
    names: Sequence[str] | None = None,
) -> FitResult:
    """Fit a transform of ``model`` that maps the moving landmarks onto the fixed (reference) ones.

    Parameters
    ----------
    moving, fixed
        ``N × n`` coordinates (``n`` = 2 or 3) of the same ``N`` landmarks in the moving and
        the reference image, pair ``i`` being row ``i`` of each, in the same axis order.
    model
        One of :data:`FIT_MODELS`.
    names
        Optional landmark names (e.g. BigWarp's ``Pt-3``), used in error messages.

    Returns
    -------
    FitResult
        The transform, residuals in reference units and the RMS error.

    Raises
    ------
    FitError
        With a stable code: ``landmarks.fit.model_unknown``, ``.not_numbers``, ``.dimension``,
        ``.count_mismatch``, ``.not_finite``, ``.too_few`` or ``.degenerate``.
    """
    if model not in FIT_MODELS:
        raise FitError(
            FIT_MODEL_UNKNOWN,
            f"Unknown transform model '{model}'; choose one of {', '.join(FIT_MODELS)}.",
            model=str(model),
        )
    fit_model: FitModel = model
    x, y = check_pairs(moving, fixed, fit_model, names=names)
    mean_x = x.mean(axis=0)
    mean_y = y.mean(axis=0)
    xc = x - mean_x
    yc = y - mean_y
    n = x.shape[1]
    notes: list[str] = []
    if fit_model == "translation":
        linear = np.eye(n)
        scale = 1.0
    elif fit_model == "affine":
        solution, *_ = np.linalg.lstsq(xc, yc, rcond=None)
        linear = solution.T
        scale = float(abs(np.linalg.det(linear)) ** (1.0 / n))
    else:
        linear, scale, mirrored = _umeyama(xc, yc, with_scale=fit_model == "similarity")
        if mirrored:
            notes.append(
                "The landmarks fit a mirror image better than any rotation: one image may be flipped. "
                f"A {fit_model} fit cannot mirror; flip the image, or use an affine fit."
            )
    matrix = np.eye(n + 1)
    matrix[:n, :n] = linear
    matrix[:n, n] = mean_y - linear @ mean_x
    return _result(fit_model, matrix, x, y, scale, tuple(notes))


def fit_translation(moving: ArrayLike, fixed: ArrayLike, *, names: Sequence[str] | None = None) -> FitResult:
    """Least-squares translation (the mean offset); see :func:`fit_landmarks`."""
    return fit_landmarks(moving, fixed, "translation", names=names)


def fit_rigid(moving: ArrayLike, fixed: ArrayLike, *, names: Sequence[str] | None = None) -> FitResult:
    """Least-squares rotation + translation, never a reflection; see :func:`fit_landmarks`."""
    return fit_landmarks(moving, fixed, "rigid", names=names)


def fit_similarity(moving: ArrayLike, fixed: ArrayLike, *, names: Sequence[str] | None = None) -> FitResult:
    """Least-squares rotation + uniform scale + translation (Umeyama); see :func:`fit_landmarks`."""
    return fit_landmarks(moving, fixed, "similarity", names=names)


def fit_affine(moving: ArrayLike, fixed: ArrayLike, *, names: Sequence[str] | None = None) -> FitResult:
    """Least-squares general affine map; see :func:`fit_landmarks`."""
    return fit_landmarks(moving, fixed, "affine", names=names)


def residuals_of(matrix: ArrayLike, moving: ArrayLike, fixed: ArrayLike, *, model: FitModel = "affine") -> FitResult:
    """Evaluate an existing matrix (typed, or from a tool) on landmark pairs, as if it were a fit.

    Parameters
    ----------
    matrix
        Homogeneous or NGFF-shaped matrix mapping moving to reference points.
    moving, fixed
        ``N × n`` landmark pairs in the matrix's axis order (``N`` may be 0).
    model
        The label to carry in the result (the matrix itself is not changed).

    Returns
    -------
    FitResult
        The residuals and RMS of ``matrix`` on these pairs.

    Raises
    ------
    FitError, MatrixError
        For bad pairs, a bad matrix, or a matrix with another number of axes than the pairs.
    """
    x, y = check_pairs(moving, fixed, "translation", allow_empty=True)
    m = as_homogeneous(matrix)
    if m.shape != (x.shape[1] + 1, x.shape[1] + 1):
        raise FitError(
            FIT_DIMENSION,
            f"The matrix maps {m.shape[0] - 1}-D points but the landmarks are {x.shape[1]}-D.",
        )
    n = x.shape[1]
    scale = float(abs(np.linalg.det(m[:n, :n])) ** (1.0 / n))
    return _result(model, m, x, y, scale, ())


def check_direction(matrix: ArrayLike, moving: ArrayLike, fixed: ArrayLike) -> DirectionCheck:
    """Tell whether ``matrix`` maps moving → reference (forward) or reference → moving (inverse).

    Tools that resample images often export the inverse of the landmark transform; applying
    the matrix and its inverse to the pairs shows which one it is (``correlative.md`` §6.5).

    Parameters
    ----------
    matrix
        Homogeneous matrix to check.
    moving, fixed
        Landmark pairs in the matrix's axis order.

    Returns
    -------
    DirectionCheck
        ``"forward"`` or ``"inverse"`` when one direction fits at least ten times better than
        the other, else ``"unclear"`` (also when there are no pairs, or when a near-identity
        matrix fits both ways about equally well).
    """
    result = residuals_of(matrix, moving, fixed)
    forward = result.rms
    if result.n_pairs == 0:
        return DirectionCheck("unclear", forward, forward)
    try:
        inverse = residuals_of(invert_transform(matrix), moving, fixed).rms
    except MatrixError:
        inverse = float("inf")
    if forward * 10 <= inverse:
        direction: Literal["forward", "inverse", "unclear"] = "forward"
    elif inverse * 10 <= forward:
        direction = "inverse"
    else:
        direction = "unclear"
    return DirectionCheck(direction, forward, inverse)


def check_pairs(
    moving: ArrayLike,
    fixed: ArrayLike,
    model: FitModel,
    *,
    names: Sequence[str] | None = None,
    allow_empty: bool = False,
) -> tuple[FloatArray, FloatArray]:
    """Validate landmark pairs for ``model`` and return them as float arrays.

    Raises
    ------
    FitError
        The same codes as :func:`fit_landmarks`.
    """
    x = _points(moving, "moving")
    y = _points(fixed, "fixed")
    if x.shape[0] != y.shape[0]:
        raise FitError(
            FIT_COUNT_MISMATCH,
            f"There are {x.shape[0]} moving landmarks but {y.shape[0]} reference landmarks; "
            "each landmark needs a partner in the other image.",
            moving=x.shape[0],
            fixed=y.shape[0],
        )
    if x.shape[1] != y.shape[1]:
        raise FitError(
            FIT_DIMENSION,
            f"The moving landmarks are {x.shape[1]}-D but the reference landmarks are {y.shape[1]}-D; "
            "both need the same number of axes.",
            moving=x.shape[1],
            fixed=y.shape[1],
        )
    n = x.shape[1]
    for side, points in (("moving", x), ("fixed", y)):
        bad = ~np.isfinite(points).all(axis=1)
        if bad.any():
            index = int(np.argmax(bad))
            raise FitError(
                FIT_NOT_FINITE,
                f"Landmark {_label(index, names)} has a {_SIDES[side]} coordinate that is not a finite number "
                "(NaN or infinity); place it again or leave it out.",
                index=index,
                side=side,
            )
    count = x.shape[0]
    needed = MIN_PAIRS[model][n]
    if count < needed and not (allow_empty and count == 0):
        raise FitError(
            FIT_TOO_FEW,
            f"A {model} fit in {n}-D needs at least {needed} landmark pair{'s' if needed > 1 else ''}; "
            f"there {'is' if count == 1 else 'are'} {count}.",
            model=model,
            ndim=n,
            needed=needed,
            found=count,
        )
    spread = REQUIRED_SPREAD[model][n]
    if spread:
        for side, points in (("moving", x), ("fixed", y)):
            rank = _spread(points)
            if rank < spread:
                raise FitError(
                    FIT_DEGENERATE,
                    f"The {_SIDES[side]} landmarks {_SPREAD_WORDS[rank + 1]}; a {model} fit in {n}-D needs "
                    f"{_NEED_WORDS[spread]}. Add landmarks spread over the image.",
                    model=model,
                    ndim=n,
                    side=side,
                    rank=rank,
                )
    return x, y


def _points(points: ArrayLike, side: str) -> FloatArray:
    try:
        array = np.array(points, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise FitError(
            FIT_NOT_NUMBERS,
            f"The {_SIDES[side]} landmarks are not a table of numbers.",
            side=side,
        ) from error
    if array.ndim != 2 or array.shape[1] not in (2, 3):
        raise FitError(
            FIT_DIMENSION,
            f"The {_SIDES[side]} landmarks must be rows of 2 (x, y) or 3 (x, y, z) coordinates; "
            f"they have shape {array.shape}.",
            side=side,
            shape=array.shape,
        )
    array.setflags(write=False)
    return array


def _spread(points: FloatArray) -> int:
    """Rank of the centred points: how many independent directions they span."""
    if points.shape[0] < 2:
        return 0
    centred = points - points.mean(axis=0)
    singular_values = np.linalg.svd(centred, compute_uv=False)
    largest = float(singular_values[0])
    if largest == 0.0 or not np.isfinite(largest):
        return 0
    return int(np.count_nonzero(singular_values > largest * RANK_TOLERANCE))


def _umeyama(xc: FloatArray, yc: FloatArray, *, with_scale: bool) -> tuple[FloatArray, float, bool]:
    """Rotation (and scale) that best maps centred ``xc`` onto centred ``yc``; never a reflection.

    Returns the linear part, the scale, and whether a reflection would have fitted clearly better.
    """
    count, n = xc.shape
    covariance = yc.T @ xc / count
    u, singular_values, vt = np.linalg.svd(covariance)
    signs = np.ones(n)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        signs[-1] = -1.0  # the reflection guard: flip the weakest axis rather than mirror the image
    rotation = (u * signs) @ vt
    scale = 1.0
    if with_scale:
        variance = float((xc**2).sum() / count)
        scale = float((singular_values * signs).sum() / variance)
    linear = scale * rotation
    mirrored = False
    if signs[-1] < 0:
        reflection = u @ vt
        reflected_scale = float(singular_values.sum() / float((xc**2).sum() / count)) if with_scale else 1.0
        kept = float(((xc @ linear.T - yc) ** 2).sum())
        flipped = float(((xc @ (reflected_scale * reflection).T - yc) ** 2).sum())
        mirrored = flipped < 0.25 * kept  # i.e. the mirror's RMS is under half the rotation's
    return linear, scale, mirrored


def _result(
    model: FitModel, matrix: FloatArray, x: FloatArray, y: FloatArray, scale: float, notes: tuple[str, ...]
) -> FitResult:
    n = x.shape[1]
    vectors = x @ matrix[:n, :n].T + matrix[:n, n] - y
    residuals = np.sqrt((vectors**2).sum(axis=1))
    rms = float(np.sqrt((residuals**2).mean())) if residuals.size else 0.0
    for array in (matrix, vectors, residuals):
        array.setflags(write=False)
    return FitResult(
        model=model,
        matrix=matrix,
        moving=x,
        fixed=y,
        residual_vectors=vectors,
        residuals=residuals,
        rms=rms,
        scale=scale,
        notes=notes,
    )


def _label(index: int, names: Sequence[str] | None) -> str:
    if names is not None and index < len(names) and names[index]:
        return f"'{names[index]}' (row {index + 1})"
    return str(index + 1)
