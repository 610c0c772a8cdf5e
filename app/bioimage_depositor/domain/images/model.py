"""What a probe learns about an image file, as immutable, JSON-ready records.

The records are plain frozen dataclasses (not pydantic models) because they are
created by the thousand in worker threads while a folder is scanned, never edited
and never validated against user input; :meth:`ImageInfo.to_json` gives the
shape the ``probe --json`` command prints and the UI caches.

Axis letters follow tifffile: ``X``, ``Y``, ``Z`` (space), ``C`` (channel),
``T`` (time), ``S`` (samples of one pixel, e.g. RGB), ``I`` (images of a stack
or sequence with no other meaning, e.g. MRC stack frames), ``Q`` (unknown).
Physical sizes are in micrometres, wavelengths in nanometres, and MRC voxel
sizes in ångström, as each community states them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import ImageIssue

#: Format names reported in ``ImageInfo.format``.
TIFF = "TIFF"
OME_TIFF = "OME-TIFF"
MRC = "MRC"
MRCS = "MRCS"
PNG = "PNG"
JPEG = "JPEG"
OME_ZARR = "OME-Zarr"

FORMATS = (TIFF, OME_TIFF, MRC, MRCS, PNG, JPEG, OME_ZARR)


def _round(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else float(f"{value:.{digits}g}")


@dataclass(frozen=True)
class PixelSize:
    """Physical size of one pixel (voxel), in micrometres; ``None`` where unknown."""

    x: float | None = None
    y: float | None = None
    z: float | None = None
    source: str = ""  # where the values came from: "OME-XML", "ImageJ", "TIFF resolution", "MRC header", …

    @property
    def known(self) -> bool:
        """Whether any of the three sizes is known."""
        return any(v is not None for v in (self.x, self.y, self.z))

    def to_json(self) -> dict[str, object]:
        """A plain dict; sizes in µm."""
        return {"x": _round(self.x), "y": _round(self.y), "z": _round(self.z), "unit": "µm", "source": self.source}


@dataclass(frozen=True)
class ChannelInfo:
    """One channel: its name, light and colour as the file states them."""

    name: str | None = None
    excitation_nm: float | None = None
    emission_nm: float | None = None
    fluor: str | None = None
    colour: tuple[int, int, int] | None = None  # display colour stated in the file (RGB 0–255)
    illumination: str | None = None  # e.g. "Epifluorescence"
    contrast_method: str | None = None  # e.g. "Fluorescence", "Brightfield"
    acquisition_mode: str | None = None  # e.g. "LaserScanningConfocalMicroscopy"

    def to_json(self) -> dict[str, object]:
        """A plain dict; wavelengths in nm."""
        return {
            "name": self.name,
            "excitation_nm": _round(self.excitation_nm),
            "emission_nm": _round(self.emission_nm),
            "fluor": self.fluor,
            "colour": "#{:02x}{:02x}{:02x}".format(*self.colour) if self.colour else None,
            "illumination": self.illumination,
            "contrast_method": self.contrast_method,
            "acquisition_mode": self.acquisition_mode,
        }


@dataclass(frozen=True)
class InstrumentInfo:
    """The microscope and objective used, as far as the file says."""

    microscope_manufacturer: str | None = None
    microscope_model: str | None = None
    microscope_type: str | None = None  # "Inverted", "Upright", …
    objective_manufacturer: str | None = None
    objective_model: str | None = None
    nominal_magnification: float | None = None
    lens_na: float | None = None
    immersion: str | None = None  # "Oil", "Water", "Air", …
    detector: str | None = None  # model or type of the detector / camera

    @property
    def microscope(self) -> str | None:
        """Manufacturer and model in one phrase, e.g. ``"Zeiss LSM 880"``."""
        parts = [p for p in (self.microscope_manufacturer, self.microscope_model) if p]
        if len(parts) == 2 and parts[1].lower().startswith(parts[0].lower()):
            parts = parts[1:]
        return " ".join(parts) or None

    @property
    def known(self) -> bool:
        """Whether the file said anything about the instrument."""
        return any(
            v is not None
            for v in (
                self.microscope,
                self.microscope_type,
                self.objective_model,
                self.objective_manufacturer,
                self.nominal_magnification,
                self.lens_na,
                self.immersion,
                self.detector,
            )
        )

    def to_json(self) -> dict[str, object]:
        """A plain dict."""
        return {
            "microscope": self.microscope,
            "microscope_manufacturer": self.microscope_manufacturer,
            "microscope_model": self.microscope_model,
            "microscope_type": self.microscope_type,
            "objective_manufacturer": self.objective_manufacturer,
            "objective_model": self.objective_model,
            "nominal_magnification": _round(self.nominal_magnification),
            "lens_na": _round(self.lens_na),
            "immersion": self.immersion,
            "detector": self.detector,
        }


@dataclass(frozen=True)
class SeriesInfo:
    """One image (series) of a file: its shape, pixel type, pyramid and metadata.

    ``shape`` maps axis letters to sizes in storage order; ``levels`` holds the
    shape of every pyramid level, the full resolution first.
    """

    index: int
    shape: dict[str, int]
    dtype: str
    name: str = ""
    levels: tuple[dict[str, int], ...] = ()
    pixel_size: PixelSize | None = None
    channels: tuple[ChannelInfo, ...] = ()
    instrument: InstrumentInfo | None = None
    acquisition_date: str | None = None  # ISO 8601 as the file states it
    compression: str | None = None

    @property
    def width(self) -> int | None:
        """Size along X in pixels."""
        return self.shape.get("X")

    @property
    def height(self) -> int | None:
        """Size along Y in pixels."""
        return self.shape.get("Y")

    @property
    def pyramid_levels(self) -> int:
        """How many resolutions the series has (1 when not pyramidal)."""
        return max(1, len(self.levels))

    def to_json(self) -> dict[str, object]:
        """A plain dict."""
        return {
            "index": self.index,
            "name": self.name,
            "shape": dict(self.shape),
            "dtype": self.dtype,
            "pyramid_levels": [dict(level) for level in (self.levels or (self.shape,))],
            "pixel_size": self.pixel_size.to_json() if self.pixel_size else None,
            "channels": [channel.to_json() for channel in self.channels],
            "instrument": self.instrument.to_json() if self.instrument else None,
            "acquisition_date": self.acquisition_date,
            "compression": self.compression,
        }


@dataclass(frozen=True)
class MrcInfo:
    """What an MRC/MRCS header says, after validation."""

    nx: int
    ny: int
    nz: int
    mode: int
    dtype: str  # numpy name; "uint4" for mode 101
    voxel_size_angstrom: tuple[float | None, float | None, float | None] | None  # x, y, z; z only for volumes
    ispg: int
    kind: str  # "image" (one section), "stack" (images or movie frames), "volume"
    mx: int = 0
    my: int = 0
    mz: int = 0
    byte_order: str = "<"
    nversion: int = 0
    exttyp: str = ""
    extended_header_bytes: int = 0
    labels: tuple[str, ...] = ()
    imod_unsigned_bytes: bool = False  # IMOD marks mode-0 data as unsigned

    @property
    def is_stack(self) -> bool:
        """Whether the sections are separate images (frames of a movie, particles, tilts)."""
        return self.kind == "stack"

    def to_json(self) -> dict[str, object]:
        """A plain dict; voxel size in Å."""
        return {
            "nx": self.nx,
            "ny": self.ny,
            "nz": self.nz,
            "mode": self.mode,
            "dtype": self.dtype,
            "voxel_size_angstrom": (
                {"x": _round(v[0]), "y": _round(v[1]), "z": _round(v[2])}
                if (v := self.voxel_size_angstrom)
                else None
            ),
            "ispg": self.ispg,
            "kind": self.kind,
            "is_stack": self.is_stack,
            "mx": self.mx,
            "my": self.my,
            "mz": self.mz,
            "byte_order": "little" if self.byte_order == "<" else "big",
            "nversion": self.nversion,
            "exttyp": self.exttyp,
            "extended_header_bytes": self.extended_header_bytes,
            "labels": list(self.labels),
        }


@dataclass(frozen=True)
class ImageInfo:
    """Everything a probe learned about one file, or why it could not.

    When ``error`` is set the file is unreadable and ``series`` is empty (or
    holds what was learned before the failure). ``notes`` are facts worth
    showing for readable files, such as a misleading file extension.
    The convenience properties (``shape``, ``dtype``, ``pixel_size``, …) are
    those of the first series.
    """

    path: str
    format: str | None = None
    format_detail: str = ""  # "BigTIFF", "ImageJ hyperstack", "EER", "OME-NGFF 0.4", …
    size_bytes: int | None = None
    series: tuple[SeriesInfo, ...] = ()
    mrc: MrcInfo | None = None
    notes: tuple[ImageIssue, ...] = ()
    error: ImageIssue | None = None

    @property
    def ok(self) -> bool:
        """Whether the file could be read."""
        return self.error is None

    @property
    def first(self) -> SeriesInfo | None:
        """The first series, or ``None``."""
        return self.series[0] if self.series else None

    @property
    def shape(self) -> dict[str, int]:
        """Shape of the first series (axis letter → size)."""
        return dict(self.first.shape) if self.first else {}

    @property
    def dtype(self) -> str | None:
        """Pixel type of the first series."""
        return self.first.dtype if self.first else None

    @property
    def pixel_size(self) -> PixelSize | None:
        """Pixel size of the first series."""
        return self.first.pixel_size if self.first else None

    @property
    def channels(self) -> tuple[ChannelInfo, ...]:
        """Channels of the first series."""
        return self.first.channels if self.first else ()

    @property
    def instrument(self) -> InstrumentInfo | None:
        """Instrument of the first series."""
        return self.first.instrument if self.first else None

    @property
    def acquisition_date(self) -> str | None:
        """Acquisition date of the first series."""
        return self.first.acquisition_date if self.first else None

    def to_json(self) -> dict[str, Any]:
        """A plain, JSON-serialisable dict: the ``probe --json`` record of this file."""
        first = self.first
        return {
            "path": self.path,
            "format": self.format,
            "format_detail": self.format_detail,
            "size_bytes": self.size_bytes,
            "series_count": len(self.series),
            "shape": self.shape,
            "dtype": self.dtype,
            "pixel_size": self.pixel_size.to_json() if self.pixel_size else None,
            "channels": [channel.to_json() for channel in self.channels],
            "instrument": self.instrument.to_json() if self.instrument else None,
            "pyramid_levels": [dict(level) for level in (first.levels or (first.shape,))] if first else [],
            "acquisition_date": self.acquisition_date,
            "series": [series.to_json() for series in self.series],
            "mrc": self.mrc.to_json() if self.mrc else None,
            "notes": [note.to_json() for note in self.notes],
            "error": self.error.to_json() if self.error else None,
        }


def failed(path: str, issue: ImageIssue, *, format: str | None = None, size_bytes: int | None = None,
           notes: tuple[ImageIssue, ...] = ()) -> ImageInfo:
    """An :class:`ImageInfo` for a file that could not be read."""
    return ImageInfo(path=path, format=format, size_bytes=size_bytes, notes=notes, error=issue)


__all__ = [
    "FORMATS",
    "JPEG",
    "MRC",
    "MRCS",
    "OME_TIFF",
    "OME_ZARR",
    "PNG",
    "TIFF",
    "ChannelInfo",
    "ImageInfo",
    "InstrumentInfo",
    "MrcInfo",
    "PixelSize",
    "SeriesInfo",
    "failed",
]
