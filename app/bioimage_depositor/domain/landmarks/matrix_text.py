"""A matrix typed or pasted by a depositor, and the same matrix written back as text.

Many labs already have their registration matrix from another tool, a paper's
supplement or a spreadsheet, and paste it into the Correlation page. This module reads
what they paste, forgivingly in form and strictly in content:

* rows are separated by new lines or semicolons, values by spaces, tabs or commas;
  brackets as in ``[[1, 0, 5], [0, 1, 3]]`` (Python, JSON) or ``[1 0 5; 0 1 3]`` (MATLAB)
  are accepted, and a typographic minus sign (−) counts as ``-``;
* the accepted shapes are 2×3 and 3×3 (2-D) and 3×4 and 4×4 (3-D); a square matrix must
  end with ``0 … 0 1`` (projective matrices are not registrations between images);
* a single row of 6, 9, 12 or 16 numbers is read row by row, as BigWarp and MoBIE write
  affines, and the result says so;
* values must be finite numbers, and the matrix must be invertible.

Every problem is a :class:`~.errors.MatrixError` naming the row and value.
:func:`format_matrix` writes a matrix back deterministically (shortest round-trip
decimals, aligned columns), so ``parse_matrix(format_matrix(m))`` gives ``m`` exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .affine import FloatArray, as_homogeneous, check_last_row, is_singular
from .errors import (
    MATRIX_EMPTY,
    MATRIX_NOT_A_NUMBER,
    MATRIX_NOT_FINITE,
    MATRIX_RAGGED,
    MATRIX_SHAPE,
    MATRIX_SINGULAR,
    MatrixError,
)

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_NOT_FINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
_ROW_SPLIT = re.compile(r"[;\n\r]+")
_VALUE_SPLIT = re.compile(r"[\s,]+")
_ROW_BRACKETS = re.compile(r"\]\s*[,;]?\s*\[")
_MINUS_SIGNS = str.maketrans({"\u2212": "-", "\u2012": "-", "\u2013": "-", "\ufe63": "-", "\uff0d": "-"})
_FLAT_SHAPES = {6: (2, 3), 9: (3, 3), 12: (3, 4), 16: (4, 4)}
_ACCEPTED = "2 rows of 3 numbers or 3 rows of 3 (2-D), 3 rows of 4 or 4 rows of 4 (3-D)"


@dataclass(frozen=True, eq=False)
class ParsedMatrix:
    """A matrix read from text.

    Attributes
    ----------
    matrix : numpy.ndarray
        The homogeneous ``(n+1) × (n+1)`` matrix (read-only).
    rows, columns : int
        The shape as typed (after a single row was unpacked, the unpacked shape).
    notes : tuple of str
        How the text was interpreted when that was not obvious (e.g. a single row unpacked).
    """

    matrix: FloatArray
    rows: int
    columns: int
    notes: tuple[str, ...] = ()

    @property
    def ndim(self) -> int:
        """Number of spatial axes the matrix maps (2 or 3)."""
        return int(self.matrix.shape[0] - 1)


def parse_matrix(text: str) -> ParsedMatrix:
    """Read a 2-D or 3-D affine matrix from text typed or pasted by a user.

    Parameters
    ----------
    text
        E.g. three lines ``0.998 -0.052 0 1520``, ``0.052 0.998 0 -310.5``, ``0 0 1 42``.

    Returns
    -------
    ParsedMatrix
        The homogeneous matrix and how the text was read.

    Raises
    ------
    MatrixError
        ``landmarks.matrix.empty``, ``.not_a_number`` (naming row and value), ``.not_finite``,
        ``.ragged``, ``.shape``, ``.last_row`` or ``.singular``.
    """
    cleaned = text.translate(_MINUS_SIGNS).strip()
    if "[" in cleaned or "]" in cleaned:
        cleaned = _ROW_BRACKETS.sub(";", cleaned).replace("[", " ").replace("]", " ")
    rows: list[list[float]] = []
    for line in _ROW_SPLIT.split(cleaned):
        tokens = [token for token in _VALUE_SPLIT.split(line.strip(" \t,")) if token]
        if not tokens:
            continue
        row_number = len(rows) + 1
        rows.append([_value(token, row_number, column) for column, token in enumerate(tokens, start=1)])
    if not rows:
        raise MatrixError(
            MATRIX_EMPTY,
            f"Type or paste a matrix: {_ACCEPTED}, one row per line.",
        )
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(rows[0]):
            raise MatrixError(
                MATRIX_RAGGED,
                f"Row {number} has {len(row)} number{'s' if len(row) != 1 else ''} but row 1 has {len(rows[0])}; "
                "every row needs the same count.",
                row=number,
                found=len(row),
                expected=len(rows[0]),
            )
    notes: list[str] = []
    if len(rows) == 1 and len(rows[0]) in _FLAT_SHAPES:
        shape = _FLAT_SHAPES[len(rows[0])]
        rows = [rows[0][i * shape[1] : (i + 1) * shape[1]] for i in range(shape[0])]
        notes.append(
            f"Read the {shape[0] * shape[1]} numbers as {shape[0]} rows of {shape[1]}, row by row "
            "(as BigWarp and MoBIE write them)."
        )
    shape = (len(rows), len(rows[0]))
    if shape not in {(2, 3), (3, 3), (3, 4), (4, 4)}:
        raise MatrixError(
            MATRIX_SHAPE,
            f"The matrix must be {_ACCEPTED}; this one has {shape[0]} row{'s' if shape[0] != 1 else ''} of {shape[1]}.",
            rows=shape[0],
            columns=shape[1],
        )
    array = np.array(rows, dtype=np.float64)
    if shape[0] == shape[1]:
        try:
            check_last_row(array)
        except MatrixError as error:
            if shape == (3, 3):
                # a 3 × 3 is as often a 3-D rotation or scaling without translation as a 2-D homogeneous matrix
                raise MatrixError(
                    error.code,
                    error.message + " For a 3-D rotation or scaling, add a fourth column with the translation "
                    "(0 0 0 if there is none).",
                    **error.params,
                ) from None
            raise
    matrix = as_homogeneous(array)
    n = matrix.shape[0] - 1
    if is_singular(matrix[:n, :n]):
        raise MatrixError(
            MATRIX_SINGULAR,
            "The matrix flattens space (its determinant is zero), so it cannot map one image onto another; "
            "check for a missing or mistyped value.",
        )
    matrix.setflags(write=False)
    return ParsedMatrix(matrix=matrix, rows=shape[0], columns=shape[1], notes=tuple(notes))


def format_matrix(matrix: ArrayLike, *, homogeneous: bool = False) -> str:
    """Write a matrix as text that :func:`parse_matrix` reads back exactly.

    Parameters
    ----------
    matrix
        Homogeneous ``(n+1) × (n+1)`` or NGFF-shaped ``n × (n+1)`` matrix.
    homogeneous
        Include the last row ``0 … 0 1`` (default: leave it out, as NGFF does).

    Returns
    -------
    str
        One row per line, values right-aligned in columns separated by two spaces, each the
        shortest decimal that reads back as the same float; integers without a decimal point,
        ``-0`` written as ``0``. No trailing newline.
    """
    full = as_homogeneous(matrix)
    shown = full if homogeneous else full[:-1]
    cells = [[format_number(float(value)) for value in row] for row in shown]
    widths = [max(len(row[column]) for row in cells) for column in range(len(cells[0]))]
    return "\n".join("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)) for row in cells)


def format_number(value: float) -> str:
    """The shortest text that reads back as ``value``: ``1520``, ``-310.5``, ``0.998``, ``1e-05``."""
    if value == 0.0:
        return "0"  # also for -0.0, which would otherwise print as "-0"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _value(token: str, row: int, column: int) -> float:
    if _NUMBER.fullmatch(token):
        return float(token)
    shown = token if len(token) <= 20 else token[:17] + "..."
    if _NOT_FINITE.fullmatch(token):
        raise MatrixError(
            MATRIX_NOT_FINITE,
            f"Row {row}, value {column} (“{shown}”) is not a finite number.",
            row=row,
            column=column,
            token=shown,
        )
    raise MatrixError(
        MATRIX_NOT_A_NUMBER,
        f"Row {row}, value {column} (“{shown}”) is not a number; use digits, a decimal point and an optional "
        "exponent such as 1.5e-3.",
        row=row,
        column=column,
        token=shown,
    )
