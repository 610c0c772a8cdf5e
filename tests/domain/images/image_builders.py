"""Builders of small, real image files for the image tests (OME-TIFF from real OME-XML, MRC, PNG, JPEG, OME-Zarr)."""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from pathlib import Path

import mrcfile
import numpy as np
import tifffile
from PIL import Image

OME_NS = "http://www.openmicroscopy.org/Schemas/OME/2016-06"


@dataclass
class Channel:
    name: str
    excitation: float | None = None
    excitation_unit: str = "nm"
    emission: float | None = None
    emission_unit: str = "nm"
    fluor: str | None = None
    color: int | None = None  # OME signed RGBA integer


@dataclass
class Instrument:
    microscope_manufacturer: str = "Zeiss"
    microscope_model: str = "LSM 880"
    microscope_type: str = "Inverted"
    objective_manufacturer: str = "Zeiss"
    objective_model: str = "Plan-Apochromat 63x/1.40 Oil DIC M27"
    magnification: float = 63.0
    na: float = 1.4
    immersion: str = "Oil"


@dataclass
class OmeImage:
    size_x: int = 64
    size_y: int = 48
    size_z: int = 1
    size_c: int = 1
    size_t: int = 1
    pixel_type: str = "uint16"
    physical_x: float | None = None
    physical_x_unit: str = "µm"
    physical_y: float | None = None
    physical_y_unit: str = "µm"
    physical_z: float | None = None
    physical_z_unit: str = "µm"
    channels: list[Channel] = field(default_factory=list)
    name: str = "image"
    date: str | None = None
    dimension_order: str = "XYZCT"


def rgba(r: int, g: int, b: int, a: int = 255) -> int:
    """OME Color: a signed 32-bit RGBA integer."""
    value = (r << 24) | (g << 16) | (b << 8) | a
    return value - (1 << 32) if value >= 1 << 31 else value


def _attr(name: str, value: object) -> str:
    return f' {name}="{value}"' if value is not None else ""


def ome_xml(images: list[OmeImage], instrument: Instrument | None = None, *, ifd_counts: bool = True) -> str:
    """A real OME-XML document (2016-06 schema) describing ``images`` stored IFD after IFD."""
    parts = [f'<?xml version="1.0" encoding="UTF-8"?><OME xmlns="{OME_NS}" '
             'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
             f'xsi:schemaLocation="{OME_NS} {OME_NS}/ome.xsd">']
    if instrument is not None:
        i = instrument
        parts.append(
            '<Instrument ID="Instrument:0">'
            f'<Microscope Manufacturer="{i.microscope_manufacturer}" Model="{i.microscope_model}" '
            f'Type="{i.microscope_type}"/>'
            f'<Objective ID="Objective:0" Manufacturer="{i.objective_manufacturer}" Model="{i.objective_model}" '
            f'NominalMagnification="{i.magnification}" LensNA="{i.na}" Immersion="{i.immersion}"/>'
            "</Instrument>"
        )
    ifd = 0
    for n, image in enumerate(images):
        planes = image.size_z * image.size_c * image.size_t
        parts.append(f'<Image ID="Image:{n}" Name="{image.name}">')
        if image.date:
            parts.append(f"<AcquisitionDate>{image.date}</AcquisitionDate>")
        if instrument is not None:
            parts.append('<InstrumentRef ID="Instrument:0"/><ObjectiveSettings ID="Objective:0"/>')
        parts.append(
            f'<Pixels ID="Pixels:{n}" DimensionOrder="{image.dimension_order}" Type="{image.pixel_type}" '
            f'SizeX="{image.size_x}" SizeY="{image.size_y}" SizeZ="{image.size_z}" SizeC="{image.size_c}" '
            f'SizeT="{image.size_t}"'
            + _attr("PhysicalSizeX", image.physical_x)
            + (_attr("PhysicalSizeXUnit", image.physical_x_unit) if image.physical_x is not None else "")
            + _attr("PhysicalSizeY", image.physical_y)
            + (_attr("PhysicalSizeYUnit", image.physical_y_unit) if image.physical_y is not None else "")
            + _attr("PhysicalSizeZ", image.physical_z)
            + (_attr("PhysicalSizeZUnit", image.physical_z_unit) if image.physical_z is not None else "")
            + ">"
        )
        channels = image.channels or [Channel(name=f"C{c}") for c in range(image.size_c)]
        for c, channel in enumerate(channels):
            parts.append(
                f'<Channel ID="Channel:{n}:{c}" Name="{channel.name}" SamplesPerPixel="1"'
                + _attr("ExcitationWavelength", channel.excitation)
                + (_attr("ExcitationWavelengthUnit", channel.excitation_unit) if channel.excitation else "")
                + _attr("EmissionWavelength", channel.emission)
                + (_attr("EmissionWavelengthUnit", channel.emission_unit) if channel.emission else "")
                + _attr("Fluor", channel.fluor)
                + _attr("Color", channel.color)
                + "/>"
            )
        parts.append(f'<TiffData IFD="{ifd}" PlaneCount="{planes}"/>' if ifd_counts else "<TiffData/>")
        parts.append("</Pixels></Image>")
        ifd += planes
    parts.append("</OME>")
    return "".join(parts)


def write_ome_tiff(path: Path, arrays: list[np.ndarray], xml: str, **kwargs) -> Path:
    """Write arrays (each in the image's TCZYX order, squeezed) IFD after IFD with ``xml`` as description."""
    with tifffile.TiffWriter(path, bigtiff=kwargs.pop("bigtiff", False)) as tif:
        for i, data in enumerate(arrays):
            tif.write(
                data,
                description=xml.encode() if i == 0 else None,
                metadata=None,
                photometric="minisblack",
                **kwargs,
            )
    return path


def write_pyramid(path: Path, shape_cyx: tuple[int, int, int], levels: int, *, tile: int = 64,
                  dtype: str = "uint16", metadata: dict | None = None) -> Path:
    """A pyramidal OME-TIFF (levels in SubIFDs, each half the size of the one above)."""
    c, y, x = shape_cyx
    yy, xx = np.mgrid[0:y, 0:x]
    base = np.stack([((xx + yy * (k + 1)) % 4096).astype(dtype) for k in range(c)])
    meta = {"axes": "CYX", "PhysicalSizeX": 0.2, "PhysicalSizeY": 0.2, **(metadata or {})}
    with tifffile.TiffWriter(path, bigtiff=True) as tif:
        tif.write(base, subifds=levels - 1, tile=(tile, tile), photometric="minisblack", metadata=meta)
        data = base
        for _ in range(levels - 1):
            data = data[:, ::2, ::2]
            tif.write(np.ascontiguousarray(data), subfiletype=1, tile=(tile, tile), photometric="minisblack",
                      metadata=None)
    return path


def write_mrc(path: Path, data: np.ndarray, voxel_size: float | tuple[float, float, float] = 1.0, *,
              stack: bool = False) -> Path:
    with mrcfile.new(path, overwrite=True) as mrc:
        mrc.set_data(data)
        mrc.voxel_size = voxel_size
        if stack:
            mrc.set_image_stack()
    return path


def patch_int32(path: Path, offset: int, value: int, order: str = "<") -> None:
    with path.open("r+b") as handle:
        handle.seek(offset)
        handle.write(struct.pack(order + "i", value))


def write_png(path: Path, data: np.ndarray, **kwargs) -> Path:
    Image.fromarray(data).save(path, format="PNG", **kwargs)
    return path


def write_jpeg(path: Path, data: np.ndarray, **kwargs) -> Path:
    Image.fromarray(data).save(path, format="JPEG", **kwargs)
    return path


def tiff_tag_offset(path: Path, code: int) -> tuple[int, str, int]:
    """(file offset of the tag's value field, byte order, type) of a tag in IFD0 of a classic TIFF."""
    raw = path.read_bytes()
    order = "<" if raw[:2] == b"II" else ">"
    ifd = struct.unpack(order + "I", raw[4:8])[0]
    count = struct.unpack(order + "H", raw[ifd : ifd + 2])[0]
    for i in range(count):
        entry = ifd + 2 + 12 * i
        tag, dtype = struct.unpack(order + "HH", raw[entry : entry + 4])
        if tag == code:
            return entry + 8, order, dtype
    raise KeyError(code)


def patch_tiff_tag(path: Path, code: int, value: int) -> None:
    """Overwrite an inline SHORT/LONG tag value of IFD0 (e.g. ImageWidth)."""
    offset, order, dtype = tiff_tag_offset(path, code)
    with path.open("r+b") as handle:
        handle.seek(offset)
        handle.write(struct.pack(order + ("H" if dtype == 3 else "I"), value) + (b"\0\0" if dtype == 3 else b""))


def write_ome_zarr(path: Path, data: np.ndarray, *, levels: int = 2, zarr_format: int = 2,
                   channels: list[tuple[str, str]] | None = None, scale: tuple[float, ...] = (1.0, 0.5, 0.25, 0.25),
                   unit: str = "micrometer") -> Path:
    """A CZYX OME-Zarr image (NGFF 0.4 on Zarr v2, or 0.5 on Zarr v3)."""
    import zarr

    group = zarr.open_group(str(path), mode="w", zarr_format=zarr_format)
    datasets = []
    level = data
    for i in range(levels):
        array = group.create_array(str(i), shape=level.shape, chunks=(1, 1, 32, 32), dtype=level.dtype)
        array[:] = level
        factor = 2**i
        datasets.append({"path": str(i), "coordinateTransformations": [
            {"type": "scale", "scale": [scale[0], scale[1], scale[2] * factor, scale[3] * factor]}]})
        level = np.ascontiguousarray(level[:, :, ::2, ::2])
    axes = [{"name": "c", "type": "channel"}] + [{"name": n, "type": "space", "unit": unit} for n in "zyx"]
    multiscales = [{"version": "0.4", "name": "zimg", "axes": axes, "datasets": datasets}]
    omero = {"channels": [{"label": name, "color": colour, "window": {"start": 0, "end": 100}}
                          for name, colour in (channels or [])]}
    if zarr_format == 2:
        group.attrs.update({"multiscales": multiscales, "omero": omero})
    else:
        for entry in multiscales:
            entry.pop("version")
        group.attrs.update({"ome": {"version": "0.5", "multiscales": multiscales, "omero": omero}})
    return path


def read_json(path: Path) -> object:
    return json.loads(path.read_text())


def read_bytes_counter():
    """A callable returning bytes read by this process so far (Linux /proc/self/io ``rchar``), or None."""
    proc = Path("/proc/self/io")
    if not proc.exists():
        return None

    def current() -> int:
        for line in proc.read_text().splitlines():
            if line.startswith("rchar:"):
                return int(line.split()[1])
        return 0

    return current
