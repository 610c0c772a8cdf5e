"""The human-readable traces of a fit: a one-line summary and the fiducial table kept as provenance.

``correlative.md`` (§4, §6.6) asks for the tool, model, number of landmarks and RMS
residual in the BIA "Spatial and temporal alignment" text, and for a small fiducial
table (id, moving z/y/x, fixed z/y/x, residual) next to the NGFF scene in both uploads.
Both are produced here from a :class:`~.fitting.FitResult`, deterministically.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from .fitting import FitResult
from .matrix_text import format_number
from .ngff_convert import UNIT_SYMBOLS, normalise_unit


def fit_summary(result: FitResult, *, unit: str = "", tool: str = "") -> str:
    """One sentence describing a fit, e.g. for the transform's name or the REMBI alignment text.

    Parameters
    ----------
    result
        The fit.
    unit
        The reference image's unit (``"nanometer"``, ``"nm"``…); omitted from the text when empty.
    tool
        Where the landmarks came from, e.g. ``"BigWarp landmarks"``.

    Returns
    -------
    str
        E.g. ``"BigWarp landmarks; affine least-squares fit of 12 landmark pairs (3-D), RMS residual
        85.3 nm, largest 140 nm."``
    """
    name = normalise_unit(unit)
    symbol = UNIT_SYMBOLS.get(name, name or unit.strip())
    suffix = f" {symbol}" if symbol else ""
    pairs = f"{result.n_pairs} landmark pair{'s' if result.n_pairs != 1 else ''}"
    text = (
        f"{result.model} least-squares fit of {pairs} ({result.ndim}-D), "
        f"RMS residual {result.rms:.3g}{suffix}, largest {result.max_residual:.3g}{suffix}."
    )
    return f"{tool}; {text}" if tool else text[0].upper() + text[1:]


def fiducial_table_csv(
    result: FitResult,
    *,
    names: Sequence[str] | None = None,
    axis_order: str = "xyz",
    moving_unit: str = "",
    fixed_unit: str = "",
) -> str:
    """The fiducial table of a fit as CSV, axes in NGFF order (z, y, x).

    Parameters
    ----------
    result
        The fit; its landmarks and residuals fill the rows.
    names
        Landmark names (default ``1``, ``2``, …).
    axis_order
        Axis order of the fit's points (``"xyz"`` for BigWarp and ec-CLEM); columns are written z, y, x.
    moving_unit, fixed_unit
        Units appended to the coordinate column names (``moving_z_micrometer``); the residual is in
        the fixed unit.

    Returns
    -------
    str
        ``id,moving_z,moving_y,moving_x,fixed_z,fixed_y,fixed_x,residual`` (without z in 2-D), one row
        per landmark, numbers as shortest round-trip decimals, Unix line ends.
    """
    n = result.ndim
    order = axis_order.lower()[:n]
    columns = sorted(range(n), key=lambda k: "zyx".index(order[k]) if order[k] in "zyx" else k)
    moving_suffix = f"_{normalise_unit(moving_unit) or moving_unit}" if moving_unit else ""
    fixed_suffix = f"_{normalise_unit(fixed_unit) or fixed_unit}" if fixed_unit else ""
    header = (
        ["id"]
        + [f"moving_{order[k]}{moving_suffix}" for k in columns]
        + [f"fixed_{order[k]}{fixed_suffix}" for k in columns]
        + [f"residual{fixed_suffix}"]
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for index in range(result.n_pairs):
        label = names[index] if names is not None and index < len(names) else str(index + 1)
        writer.writerow(
            [label]
            + [format_number(float(result.moving[index, k])) for k in columns]
            + [format_number(float(result.fixed[index, k])) for k in columns]
            + [format_number(float(result.residuals[index]))]
        )
    return out.getvalue()
