"""What a landmark or transform file brings into the program: pairs, units, the tool's own matrix, the bytes.

Every importer (:mod:`.bigwarp`, :mod:`.ecclem`) returns one :class:`LandmarkImport`.
It keeps the raw file bytes so the original goes into both uploads as provenance
(``correlative.md`` §6.6), the pairs the tool treats as active, in the tool's axis order
(x, y[, z]), the units when the file states them, the tool's transform type, and, when
the file carries one, the tool's own matrix, so the Correlation page can refit with our
least-squares fits (:mod:`.fitting`) or keep the tool's matrix and show its residuals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .affine import FloatArray
from .fitting import FitModel


@dataclass(frozen=True)
class LandmarkPair:
    """One landmark in both images: its name and its moving and reference coordinates."""

    name: str
    moving: tuple[float, ...]
    fixed: tuple[float, ...]


@dataclass(frozen=True, eq=False)
class LandmarkImport:
    """The contents of one landmark or transform file.

    Attributes
    ----------
    format : str
        ``"bigwarp-csv"``, ``"bigwarp-json"`` or ``"ecclem-xml"``.
    source : str
        The file name the user picked (for messages and provenance).
    raw : bytes
        The file exactly as read, to keep next to the NGFF scene.
    names : tuple of str
        One name per active pair (BigWarp's ``Pt-0``…; ec-CLEM's point ids).
    moving, fixed : numpy.ndarray
        ``N × n`` coordinates of the active pairs (read-only), ``N`` may be 0 when the file
        only carries a matrix.
    ndim : int
        2 or 3.
    axis_order : str
        ``"xy"`` or ``"xyz"``: the order of the columns of ``moving``/``fixed`` and of ``matrix``.
    moving_unit, fixed_unit : str
        NGFF unit names (e.g. ``"micrometer"``), or ``""`` when the file does not say.
    transform_type : str
        The tool's own name for its transform (``"Thin Plate Spline"``, ``"AFFINE"``…), or ``""``.
    model : str or None
        Our fit model closest to ``transform_type`` (``None`` for non-linear or unknown types).
    matrix : numpy.ndarray or None
        The tool's own homogeneous matrix, moving → reference, in ``axis_order``, when the file
        carries one.
    skipped : int
        Rows the tool marks inactive (or unpaired), left out of ``moving``/``fixed``.
    notes : tuple of str
        Facts the user should know about this file (what was skipped, what is unverified).
    details : dict
        Further facts as plain values (image file names, pixel sizes, dates) for provenance.
    """

    format: str
    source: str
    raw: bytes
    names: tuple[str, ...]
    moving: FloatArray
    fixed: FloatArray
    ndim: int
    axis_order: str
    moving_unit: str = ""
    fixed_unit: str = ""
    transform_type: str = ""
    model: FitModel | None = None
    matrix: FloatArray | None = None
    skipped: int = 0
    notes: tuple[str, ...] = ()
    details: dict[str, object] = field(default_factory=dict)

    @property
    def n_pairs(self) -> int:
        """Number of active landmark pairs."""
        return int(self.moving.shape[0])

    @property
    def pairs(self) -> tuple[LandmarkPair, ...]:
        """The active pairs as :class:`LandmarkPair` records, in file order."""
        return tuple(
            LandmarkPair(name, tuple(float(v) for v in m), tuple(float(v) for v in f))
            for name, m, f in zip(self.names, self.moving, self.fixed, strict=True)
        )


def frozen_points(rows: list[list[float]], ndim: int) -> FloatArray:
    """An ``N × ndim`` read-only float array (``0 × ndim`` when ``rows`` is empty)."""
    array = np.array(rows, dtype=np.float64).reshape(len(rows), ndim)
    array.setflags(write=False)
    return array
