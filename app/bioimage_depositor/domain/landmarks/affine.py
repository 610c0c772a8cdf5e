"""Homogeneous affine matrices: the one representation every transform of the Correlation page uses.

A transform between two ``n``-dimensional spaces (``n`` = 2 or 3) is held as a float
``(n+1) × (n+1)`` numpy array ``M`` acting on column vectors: a point ``p`` maps to
``M[:n, :n] @ p + M[:n, n]``, and the last row is ``[0 … 0 1]``. Fits
(:mod:`.fitting`), typed matrices (:mod:`.matrix_text`) and imported tool matrices all
end up in this form, so applying, inverting and chaining them is done once, here.
The axis order is whatever the points use (x, y[, z] for BigWarp and ec-CLEM);
:mod:`.ngff_convert` turns it into NGFF's z, y, x.

NGFF and the draft store the matrix without its last row (``n × (n+1)``);
:func:`as_homogeneous` accepts both shapes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .errors import (
    MATRIX_DIMENSION_MISMATCH,
    MATRIX_LAST_ROW,
    MATRIX_NOT_FINITE,
    MATRIX_SHAPE,
    MATRIX_SINGULAR,
    MatrixError,
)

FloatArray = NDArray[np.float64]

#: A last row further than this from ``[0 … 0 1]`` makes a matrix projective, not affine.
LAST_ROW_TOLERANCE = 1e-9
#: Linear parts with a condition number above this are treated as singular (not invertible).
SINGULAR_CONDITION = 1e12

_SHAPES = "2 rows of 3 numbers, 3 rows of 3, 3 rows of 4, or 4 rows of 4"


def as_homogeneous(matrix: ArrayLike) -> FloatArray:
    """Return ``matrix`` as a new float ``(n+1) × (n+1)`` homogeneous matrix.

    Parameters
    ----------
    matrix
        ``n × (n+1)`` (the affine rows, as NGFF stores them) or ``(n+1) × (n+1)``
        (with the last row ``[0 … 0 1]``), for ``n`` = 2 or 3.

    Returns
    -------
    numpy.ndarray
        A fresh ``(n+1) × (n+1)`` float64 array.

    Raises
    ------
    MatrixError
        ``landmarks.matrix.shape`` for any other shape, ``landmarks.matrix.not_finite``
        for NaN or infinity, ``landmarks.matrix.last_row`` for a projective last row.
    """
    try:
        array = np.array(matrix, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise MatrixError(MATRIX_SHAPE, f"The matrix must be {_SHAPES}; it is not a table of numbers.") from error
    if array.ndim != 2 or array.shape not in {(2, 3), (3, 3), (3, 4), (4, 4)}:
        shape = "×".join(str(size) for size in array.shape) or "a single number"
        raise MatrixError(MATRIX_SHAPE, f"The matrix must be {_SHAPES}; it is {shape}.", shape=array.shape)
    if not np.all(np.isfinite(array)):
        raise MatrixError(MATRIX_NOT_FINITE, "The matrix contains a value that is not a finite number.")
    rows, cols = array.shape
    if rows == cols:
        check_last_row(array)
        return array
    out = np.eye(cols, dtype=np.float64)
    out[:rows, :] = array
    return out


def check_last_row(matrix: FloatArray) -> None:
    """Raise ``landmarks.matrix.last_row`` unless the square ``matrix`` ends with ``[0 … 0 1]``."""
    size = matrix.shape[0]
    expected = np.zeros(size)
    expected[-1] = 1.0
    if np.max(np.abs(matrix[-1] - expected)) > LAST_ROW_TOLERANCE:
        found = " ".join(_short(value) for value in matrix[-1])
        wanted = " ".join(["0"] * (size - 1) + ["1"])
        raise MatrixError(
            MATRIX_LAST_ROW,
            f"The last row of a {size}×{size} matrix must be {wanted} (it is {found}); "
            f"give {size - 1} rows of {size} numbers instead, or correct the last row.",
            found=found,
        )


def dimension_of(matrix: ArrayLike) -> int:
    """The number of spatial axes (2 or 3) a homogeneous or NGFF-shaped matrix maps."""
    return int(as_homogeneous(matrix).shape[0] - 1)


def is_singular(linear: FloatArray) -> bool:
    """Whether the ``n × n`` linear part collapses space (determinant zero to working precision)."""
    singular_values = np.linalg.svd(linear, compute_uv=False)
    largest = float(singular_values[0])
    return largest == 0.0 or float(singular_values[-1]) * SINGULAR_CONDITION <= largest


def apply_transform(matrix: ArrayLike, points: ArrayLike) -> FloatArray:
    """Map points through an affine transform.

    Parameters
    ----------
    matrix
        Homogeneous or NGFF-shaped matrix (see :func:`as_homogeneous`).
    points
        One point (``n`` numbers) or ``N × n`` points, in the matrix's axis order.

    Returns
    -------
    numpy.ndarray
        The mapped points, in the shape of ``points``.

    Raises
    ------
    MatrixError
        For a bad matrix, or ``landmarks.matrix.dimension_mismatch`` when the points have
        another number of axes than the matrix.
    """
    m = as_homogeneous(matrix)
    n = m.shape[0] - 1
    try:
        array = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise MatrixError(MATRIX_DIMENSION_MISMATCH, "The points are not a table of numbers.") from error
    if array.ndim not in (1, 2) or array.shape[-1] != n:
        raise MatrixError(
            MATRIX_DIMENSION_MISMATCH,
            f"The matrix maps {n}-D points, but the points have shape {array.shape}.",
            ndim=n,
            shape=array.shape,
        )
    return np.asarray(array @ m[:n, :n].T + m[:n, n], dtype=np.float64)


def invert_transform(matrix: ArrayLike) -> FloatArray:
    """Return the inverse transform (reference → moving when ``matrix`` is moving → reference).

    Raises
    ------
    MatrixError
        ``landmarks.matrix.singular`` when the matrix flattens space and has no inverse.
    """
    m = as_homogeneous(matrix)
    n = m.shape[0] - 1
    linear = m[:n, :n]
    if is_singular(linear):
        raise MatrixError(
            MATRIX_SINGULAR,
            "The matrix flattens space (its determinant is zero), so it has no inverse and cannot map "
            "one image onto another.",
        )
    inverse_linear = np.linalg.inv(linear)
    out = np.eye(n + 1, dtype=np.float64)
    out[:n, :n] = inverse_linear
    out[:n, n] = -inverse_linear @ m[:n, n]
    return out


def compose_transforms(matrices: Sequence[ArrayLike]) -> FloatArray:
    """Chain transforms applied in the given order (first element first), like an NGFF ``sequence``.

    Parameters
    ----------
    matrices
        One or more matrices with the same number of axes; ``[A, B]`` means "apply A, then B",
        i.e. the homogeneous product ``B @ A``.

    Returns
    -------
    numpy.ndarray
        The homogeneous matrix of the whole chain.

    Raises
    ------
    MatrixError
        ``landmarks.matrix.dimension_mismatch`` for an empty list or mixed 2-D and 3-D matrices.
    """
    if not matrices:
        raise MatrixError(MATRIX_DIMENSION_MISMATCH, "There is no transform to chain.")
    homogeneous = [as_homogeneous(matrix) for matrix in matrices]
    sizes = {m.shape[0] for m in homogeneous}
    if len(sizes) != 1:
        raise MatrixError(
            MATRIX_DIMENSION_MISMATCH,
            "A 2-D and a 3-D transform cannot be chained; all transforms need the same number of axes.",
        )
    out = homogeneous[0]
    for m in homogeneous[1:]:
        out = m @ out
    return np.asarray(out, dtype=np.float64)


def _short(value: float) -> str:
    return f"{value:g}"
