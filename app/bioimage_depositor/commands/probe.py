"""``bioimage-depositor probe FILE... [--json]``: what image files are and what their metadata says.

Prints, per file, the format, series, shape (axis → size), pixel type, pixel
size (µm), channels (name, excitation/emission nm, fluorophore), instrument
(microscope, objective, magnification, NA, immersion), pyramid levels and,
for unreadable files, the error. Pixel data is never read.

Exit codes: 0 every file was read; 1 at least one file could not be read;
2 at least one path does not exist (the other files are still reported).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the image readers (numpy, tifffile...) are imported when the command runs
    from ..domain.images import ImageInfo, SeriesInfo

EXIT_OK, EXIT_PROBLEMS, EXIT_UNUSABLE = 0, 1, 2


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``probe`` command."""
    parser = subparsers.add_parser(
        "probe",
        help="describe image files: format, shape, pixel size, channels, instrument",
        description="Describe image files (TIFF, OME-TIFF, MRC/MRCS, PNG, JPEG, OME-Zarr) from their headers "
        "and metadata, without reading pixel data.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="image files or OME-Zarr folders")
    parser.add_argument("--json", action="store_true", help="print a JSON list, one record per file")
    parser.set_defaults(handler=cmd_probe)


def _num(value: float | None, unit: str = "") -> str:
    return "?" if value is None else f"{value:.6g}{unit}"


def _shape(shape: dict[str, int]) -> str:
    return " ".join(f"{axis}={size}" for axis, size in shape.items()) or "?"


def _series_rows(series: SeriesInfo, info: ImageInfo) -> list[tuple[str, str]]:
    rows = [("shape", _shape(series.shape)), ("dtype", series.dtype)]
    size = series.pixel_size
    rows.append(
        ("pixel size", f"x {_num(size.x, ' µm')}, y {_num(size.y, ' µm')}, z {_num(size.z, ' µm')}  ({size.source})"
         if size else "not stated")
    )
    if info.mrc is not None and info.mrc.voxel_size_angstrom:
        vx, vy, vz = info.mrc.voxel_size_angstrom
        rows.append(("voxel size", f"x {_num(vx, ' Å')}, y {_num(vy, ' Å')}, z {_num(vz, ' Å')}"))
    if info.mrc is not None:
        rows.append(("MRC", f"mode {info.mrc.mode}, {info.mrc.kind}, nx {info.mrc.nx} ny {info.mrc.ny} "
                     f"nz {info.mrc.nz}, ispg {info.mrc.ispg}"))
    for i, channel in enumerate(series.channels):
        facts = [
            f"ex {_num(channel.excitation_nm, ' nm')}" if channel.excitation_nm else "",
            f"em {_num(channel.emission_nm, ' nm')}" if channel.emission_nm else "",
            f"fluor {channel.fluor}" if channel.fluor else "",
        ]
        text = channel.name or "(unnamed)"
        extra = ", ".join(f for f in facts if f)
        rows.append(("channel" if i == 0 else "", f"{i}: {text}" + (f" ({extra})" if extra else "")))
    if not series.channels:
        rows.append(("channels", "not stated"))
    instrument = series.instrument
    if instrument is not None:
        objective = ", ".join(
            p for p in (
                instrument.objective_model or "",
                f"{_num(instrument.nominal_magnification)}×" if instrument.nominal_magnification else "",
                f"NA {_num(instrument.lens_na)}" if instrument.lens_na else "",
                instrument.immersion or "",
            ) if p
        )
        rows.append(("microscope", instrument.microscope or "not stated"))
        rows.append(("objective", objective or "not stated"))
        if instrument.detector:
            rows.append(("detector", instrument.detector))
    else:
        rows.append(("instrument", "not stated"))
    levels = series.levels or (series.shape,)
    rows.append(("pyramid levels", f"{len(levels)}: " + ", ".join(
        f"{level.get('X', '?')}×{level.get('Y', '?')}" for level in levels)))
    if series.acquisition_date:
        rows.append(("acquired", series.acquisition_date))
    if series.compression and series.compression not in ("none",):
        rows.append(("compression", series.compression))
    return rows


def _print_block(info: ImageInfo) -> None:
    print(info.path)
    rows: list[tuple[str, str]] = []
    if info.format:
        rows.append(("format", info.format + (f" ({info.format_detail})" if info.format_detail else "")))
    if info.error is not None:
        rows.append(("error", f"[{info.error.code}] {info.error.message}"))
    else:
        rows.append(("series", str(len(info.series))))
        for series in info.series:
            if len(info.series) > 1:
                rows.append(("", f"— series {series.index}" + (f" '{series.name}'" if series.name else "")))
            rows.extend(_series_rows(series, info))
    for note in info.notes:
        rows.append(("note", f"[{note.code}] {note.message}"))
    for key, value in rows:
        print(f"  {key:<15} {value}")
    print()


def cmd_probe(args: argparse.Namespace) -> int:
    """Probe every file given; see the module docstring for exit codes."""
    from ..domain.images import probe
    from ..domain.images.errors import NOT_FOUND

    logging.captureWarnings(True)  # library warnings go to the log file, not the terminal
    infos = [probe(Path(name)) for name in args.files]
    missing = any(info.error is not None and info.error.code == NOT_FOUND for info in infos)
    failed = any(info.error is not None for info in infos)
    if args.json:
        json.dump([info.to_json() for info in infos], sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        for info in infos:
            _print_block(info)
    return EXIT_UNUSABLE if missing else EXIT_PROBLEMS if failed else EXIT_OK
