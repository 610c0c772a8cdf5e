"""Length units: OME-XML, TIFF and NGFF state sizes in many units; we report µm and nm.

Kept separate so every reader converts the same way, and so a unit we do not
know (``pixel``, ``reference frame``, a typo) gives ``None`` rather than a wrong
number.
"""

from __future__ import annotations

import math

#: Metres per unit, for the spellings found in OME-XML (UnitsLength values),
#: OME-NGFF (UDUNITS names), ImageJ (``unit=micron``) and TIFF resolution units.
_METRES: dict[str, float] = {
    "ym": 1e-24, "yoctometer": 1e-24,
    "zm": 1e-21, "zeptometer": 1e-21,
    "am": 1e-18, "attometer": 1e-18,
    "fm": 1e-15, "femtometer": 1e-15,
    "pm": 1e-12, "picometer": 1e-12,
    "å": 1e-10, "Å": 1e-10, "angstrom": 1e-10, "ångström": 1e-10, "a": 1e-10,
    "nm": 1e-9, "nanometer": 1e-9, "nanometre": 1e-9,
    "µm": 1e-6, "μm": 1e-6, "um": 1e-6, "micrometer": 1e-6, "micrometre": 1e-6, "micron": 1e-6,
    "microns": 1e-6, "\\u00B5m": 1e-6,
    "mm": 1e-3, "millimeter": 1e-3, "millimetre": 1e-3,
    "cm": 1e-2, "centimeter": 1e-2, "centimetre": 1e-2,
    "dm": 1e-1, "decimeter": 1e-1,
    "m": 1.0, "meter": 1.0, "metre": 1.0,
    "dam": 1e1, "decameter": 1e1,
    "hm": 1e2, "hectometer": 1e2,
    "km": 1e3, "kilometer": 1e3,
    "in": 0.0254, "inch": 0.0254,
    "ft": 0.3048, "foot": 0.3048,
    "yd": 0.9144, "yard": 0.9144,
    "thou": 2.54e-5, "mil": 2.54e-5,
    "li": 0.0254 / 12, "line": 0.0254 / 12,
    "pt": 0.0254 / 72, "point": 0.0254 / 72,
    "mi": 1609.344, "mile": 1609.344,
}


def _unit_key(unit: object) -> str | None:
    if unit is None:
        return None
    value = getattr(unit, "value", unit)  # enums such as ome_types' UnitsLength
    text = str(value).strip()
    if text in _METRES:
        return text
    lowered = text.lower()
    return lowered if lowered in _METRES else None


def _clean(value: float) -> float:
    """Drop the binary noise unit conversion adds (65 nm → 0.065 µm, not 0.06500000000000001)."""
    return float(f"{value:.12g}")


def known_unit(unit: object) -> bool:
    """Whether ``unit`` is a length unit we can convert."""
    return _unit_key(unit) is not None


def to_metres(value: float | None, unit: object) -> float | None:
    """Convert ``value`` in ``unit`` to metres; ``None`` for unknown units or non-finite values."""
    if value is None:
        return None
    key = _unit_key(unit)
    if key is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number):
        return None
    return number * _METRES[key]


def to_micrometres(value: float | None, unit: object = "µm") -> float | None:
    """Convert a length to µm (the unit REMBI and the BIA use for pixel sizes).

    Zero and negative sizes are treated as unknown: files write 0 when the size
    was never set.
    """
    metres = to_metres(value, unit)
    if metres is None or metres <= 0:
        return None
    return _clean(metres * 1e6)


def to_nanometres(value: float | None, unit: object = "nm") -> float | None:
    """Convert a wavelength to nm; ``None`` when unknown, zero or negative."""
    metres = to_metres(value, unit)
    if metres is None or metres <= 0:
        return None
    return _clean(metres * 1e9)


def micrometres_to_angstrom(value: float | None) -> float | None:
    """µm → Å (EMPIAR states pixel sizes in ångström)."""
    return None if value is None else value * 1e4
