"""The landmark pairs being clicked on the Correlation page, and their fit, kept cheap to change.

A pair is made in two clicks, one on each preview; until the second click it is *pending*
(one side only) and takes no part in the fit. Points are stored in full-resolution pixels
of each image (x, y) in two ``N × 2`` arrays (NaN for a side not yet placed), so moving one
point while it is dragged changes one row, and a refit is one least-squares solve on the
complete rows (about 0.5 ms for 1,000 pairs).

No Qt here: the views, the table and the overlay read this object and are told what
changed, and the tests drive it directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from ...domain.landmarks import MIN_PAIRS, FitError, FitResult, fit_landmarks
from ...domain.landmarks.affine import FloatArray
from .transform_build import PixelScale, to_physical

Side = Literal["moving", "fixed"]


class PairList:
    """Landmark pairs in pixels of the moving and the reference image, with the latest fit."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.moving: FloatArray = np.empty((0, 2))
        self.fixed: FloatArray = np.empty((0, 2))
        self._counter = 0
        self.fit: FitResult | None = None
        self.fit_error = ""
        self.fit_rows: NDArray[np.intp] = np.empty(0, dtype=np.intp)  # indices of the pairs the fit used

    def __len__(self) -> int:
        return len(self.names)

    # ------------------------------------------------------------ editing

    def set_pairs(
        self, names: Sequence[str], moving: Sequence[Sequence[float]], fixed: Sequence[Sequence[float]]
    ) -> None:
        """Replace every pair (e.g. from the draft)."""
        self.names = [str(name) for name in names]
        self.moving = np.array(moving, dtype=np.float64).reshape(-1, 2)
        self.fixed = np.array(fixed, dtype=np.float64).reshape(-1, 2)
        numbers = [int(name) for name in self.names if name.isdigit()]
        self._counter = max(numbers, default=len(self.names))

    def pending(self) -> int | None:
        """The index of the pair that has only one side, if any."""
        for index in range(len(self.names) - 1, -1, -1):
            if self.is_pending(index):
                return index
        return None

    def is_pending(self, index: int) -> bool:
        """Whether pair ``index`` still misses one side."""
        return bool(np.isnan(self.moving[index]).any() or np.isnan(self.fixed[index]).any())

    def place(self, side: Side, x: float, y: float) -> int:
        """A click on one image: complete the pending pair from that side, or start a new pair.

        Returns
        -------
        int
            The index of the pair the point belongs to.
        """
        pending = self.pending()
        if pending is not None:
            # completes the pending pair, or moves its placed point when the same image is clicked again
            self.points(side)[pending] = (x, y)
            return pending
        self._counter += 1
        self.names.append(str(self._counter))
        placed = np.array([[x, y]])
        empty = np.full((1, 2), np.nan)
        self.moving = np.vstack([self.moving, placed if side == "moving" else empty])
        self.fixed = np.vstack([self.fixed, placed if side == "fixed" else empty])
        return len(self.names) - 1

    def move(self, side: Side, index: int, x: float, y: float) -> None:
        """Put one side of pair ``index`` somewhere else."""
        (self.moving if side == "moving" else self.fixed)[index] = (x, y)

    def remove(self, index: int) -> None:
        """Delete pair ``index`` (both sides)."""
        if 0 <= index < len(self.names):
            del self.names[index]
            self.moving = np.delete(self.moving, index, axis=0)
            self.fixed = np.delete(self.fixed, index, axis=0)
            self.fit = None  # its rows no longer match; the caller refits
            self.fit_rows = np.empty(0, dtype=np.intp)

    def points(self, side: Side) -> FloatArray:
        """``N × 2`` points of one side (NaN where not placed)."""
        return self.moving if side == "moving" else self.fixed

    def complete(self) -> NDArray[np.intp]:
        """Indices of the pairs with both sides placed."""
        return np.flatnonzero(~(np.isnan(self.moving).any(axis=1) | np.isnan(self.fixed).any(axis=1)))

    # ------------------------------------------------------------ fitting

    def refit(self, model: str, moving_scale: PixelScale, reference_scale: PixelScale) -> FitResult | None:
        """Fit the complete pairs in the reference image's unit; keep the result or the reason there is none.

        Returns
        -------
        FitResult or None
            ``None`` (with :attr:`fit_error` set) when the pairs cannot be fitted yet.
        """
        rows = self.complete()
        self.fit_rows = rows
        unit = reference_scale.unit
        needed = MIN_PAIRS.get(model, {}).get(2, 3)  # type: ignore[call-overload]
        if len(rows) < needed:
            self.fit = None
            missing = needed - len(rows)
            self.fit_error = (
                f"Place {missing} more landmark pair{'s' if missing != 1 else ''} for a {model} fit "
                f"(it needs {needed})."
            )
            return None
        try:
            self.fit = fit_landmarks(
                to_physical(self.moving[rows], moving_scale, unit),
                to_physical(self.fixed[rows], reference_scale, unit),
                model,
                names=[self.names[i] for i in rows],
            )
        except FitError as error:
            self.fit = None
            self.fit_error = error.message
            return None
        self.fit_error = ""
        return self.fit

    def residual_of(self, index: int) -> float | None:
        """The latest fit's residual of pair ``index`` (in the reference unit), or None when it took no part."""
        if self.fit is None:
            return None
        found = np.flatnonzero(self.fit_rows == index)
        return float(self.fit.residuals[found[0]]) if found.size else None

    def residuals(self) -> FloatArray:
        """Residual per pair (NaN for pairs that took no part in the fit)."""
        out = np.full(len(self.names), np.nan)
        rows = self.fit_rows
        fits = self.fit is not None and len(rows) == self.fit.n_pairs
        if self.fit is not None and fits and (not len(rows) or int(np.max(rows)) < len(out)):
            out[rows] = self.fit.residuals
        return out
