"""Safe reading of OME-XML and extraction of what the deposition forms need.

OME-XML comes from the user's files, so it is parsed defensively: the text is
capped at :data:`MAX_OME_XML_BYTES`, documents with a DTD or entity
declarations are refused (OME-XML never needs them, and they enable
entity-expansion attacks), and every parser exception becomes an
:class:`~.errors.ImageReadError`. ome-types parses with lxml, whose default
depth limit stops deeply nested documents early.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..humanize import human_bytes
from .errors import OME_XML_INVALID, OME_XML_TOO_LARGE, ImageReadError
from .model import ChannelInfo, InstrumentInfo, PixelSize
from .units import to_micrometres, to_nanometres

#: The largest OME-XML we parse (real files with thousands of planes stay far below).
MAX_OME_XML_BYTES = 16 * 1024 * 1024

_DOCTYPE = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


@dataclass(frozen=True)
class OmeImageMeta:
    """Metadata of one OME ``Image`` element, in our units."""

    name: str
    sizes: dict[str, int]  # "X", "Y", "Z", "C", "T" → size
    dimension_order: str
    pixel_type: str
    pixel_size: PixelSize | None
    channels: tuple[ChannelInfo, ...]
    instrument: InstrumentInfo | None
    acquisition_date: str | None


def parse_ome_xml(xml: str | bytes, *, max_bytes: int = MAX_OME_XML_BYTES) -> Any:
    """Parse OME-XML with ome-types, refusing oversized or dangerous documents.

    Parameters
    ----------
    xml : str or bytes
        The document (e.g. a TIFF's ImageDescription).
    max_bytes : int
        Refuse documents larger than this.

    Returns
    -------
    ome_types.model.OME
        The parsed document.

    Raises
    ------
    ImageReadError
        ``ome_xml_too_large`` or ``ome_xml_invalid``.
    """
    data = xml.encode("utf-8", "surrogatepass") if isinstance(xml, str) else bytes(xml)
    if len(data) > max_bytes:
        raise ImageReadError(
            OME_XML_TOO_LARGE,
            f"The OME-XML metadata is {human_bytes(len(data))}, more than the {human_bytes(max_bytes)} "
            "this program reads; its metadata was ignored.",
            size=len(data),
        )
    if _DOCTYPE.search(data):
        raise ImageReadError(OME_XML_INVALID, "The OME-XML declares a DTD or entities, which OME-XML never needs; "
                             "its metadata was ignored.")
    try:
        import ome_types

        return ome_types.from_xml(data.decode("utf-8", "replace"), validate=False)
    except RecursionError as error:
        raise ImageReadError(OME_XML_INVALID, "The OME-XML is nested too deeply to read; its metadata was ignored.") \
            from error
    except Exception as error:  # ome-types, xsdata and lxml raise many kinds; all mean "not usable"
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0][:160]
        raise ImageReadError(OME_XML_INVALID, f"The OME-XML metadata could not be read ({first_line}); "
                             "it was ignored.") from error


def _text(value: object) -> str | None:
    if value is None:
        return None
    value = getattr(value, "value", value)  # enums
    text = str(value).strip()
    return text or None


def _float(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None


def _colour(value: object) -> tuple[int, int, int] | None:
    if value is None:
        return None
    try:
        r, g, b = value.as_rgb_tuple()[:3]  # type: ignore[attr-defined]
    except Exception:
        return None
    return int(r), int(g), int(b)


def _channels(pixels: Any) -> tuple[ChannelInfo, ...]:
    result = []
    for channel in pixels.channels or ():
        result.append(
            ChannelInfo(
                name=_text(channel.name),
                excitation_nm=to_nanometres(
                    _float(channel.excitation_wavelength), channel.excitation_wavelength_unit
                ),
                emission_nm=to_nanometres(_float(channel.emission_wavelength), channel.emission_wavelength_unit),
                fluor=_text(channel.fluor),
                colour=_colour(channel.color),
                illumination=_text(channel.illumination_type),
                contrast_method=_text(channel.contrast_method),
                acquisition_mode=_text(channel.acquisition_mode),
            )
        )
    return tuple(result)


def _instrument(ome: Any, image: Any) -> InstrumentInfo | None:
    instruments = list(ome.instruments or ())
    if not instruments:
        return None
    instrument = None
    if image.instrument_ref is not None:
        instrument = next((i for i in instruments if i.id == image.instrument_ref.id), None)
    if instrument is None and len(instruments) == 1:
        instrument = instruments[0]
    if instrument is None:
        return None
    objectives = list(instrument.objectives or ())
    objective = None
    settings = image.objective_settings
    if settings is not None:
        objective = next((o for o in objectives if o.id == settings.id), None)
    if objective is None and len(objectives) == 1:
        objective = objectives[0]
    microscope = instrument.microscope
    detector = None
    detectors = list(instrument.detectors or ())
    if len(detectors) == 1:
        d = detectors[0]
        detector = " ".join(p for p in (_text(d.manufacturer), _text(d.model)) if p) or _text(d.type)
    info = InstrumentInfo(
        microscope_manufacturer=_text(microscope.manufacturer) if microscope else None,
        microscope_model=_text(microscope.model) if microscope else None,
        microscope_type=_text(microscope.type) if microscope else None,
        objective_manufacturer=_text(objective.manufacturer) if objective else None,
        objective_model=_text(objective.model) if objective else None,
        nominal_magnification=_float(objective.nominal_magnification) if objective else None,
        lens_na=_float(objective.lens_na) if objective else None,
        immersion=_text(objective.immersion) if objective else None,
        detector=detector,
    )
    return info if info.known else None


def _pixel_size(pixels: Any) -> PixelSize | None:
    size = PixelSize(
        x=to_micrometres(_float(pixels.physical_size_x), pixels.physical_size_x_unit),
        y=to_micrometres(_float(pixels.physical_size_y), pixels.physical_size_y_unit),
        z=to_micrometres(_float(pixels.physical_size_z), pixels.physical_size_z_unit),
        source="OME-XML",
    )
    return size if size.known else None


def image_metadata(ome: Any) -> list[OmeImageMeta]:
    """Per OME ``Image``: sizes, pixel size (µm), channels (nm), instrument and date."""
    result = []
    for image in ome.images or ():
        pixels = image.pixels
        date = image.acquisition_date
        result.append(
            OmeImageMeta(
                name=_text(image.name) or "",
                sizes={
                    "T": int(pixels.size_t),
                    "C": int(pixels.size_c),
                    "Z": int(pixels.size_z),
                    "Y": int(pixels.size_y),
                    "X": int(pixels.size_x),
                },
                dimension_order=_text(pixels.dimension_order) or "",
                pixel_type=_text(pixels.type) or "",
                pixel_size=_pixel_size(pixels),
                channels=_channels(pixels),
                instrument=_instrument(ome, image),
                acquisition_date=date.isoformat() if date is not None else None,
            )
        )
    return result


def read_ome_metadata(xml: str | bytes, *, max_bytes: int = MAX_OME_XML_BYTES) -> list[OmeImageMeta]:
    """Parse OME-XML and extract :class:`OmeImageMeta` per image; raises :class:`ImageReadError`."""
    ome = parse_ome_xml(xml, max_bytes=max_bytes)
    try:
        return image_metadata(ome)
    except Exception as error:  # a structurally odd but parseable document
        raise ImageReadError(OME_XML_INVALID, f"The OME-XML metadata is incomplete ({error}); it was ignored.") \
            from error
