"""Suggestions for form fields from what image files already say, with their sources.

The wizard shows these as *suggestions*: each names the field it is for, the
value, the files it came from and a note; the user accepts or edits them.
Nothing here touches the deposition model. When files of one component
disagree (two objectives, two pixel sizes, mixed voxel types) the
disagreement is reported as a :class:`Conflict` listing every value and its
files, and that part is left out of the suggestion rather than resolved by
majority or by order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .. import empiar_fields
from .model import JPEG, MRC, MRCS, OME_TIFF, OME_ZARR, PNG, TIFF, ChannelInfo, ImageInfo, SeriesInfo


@dataclass(frozen=True)
class Suggestion:
    """A proposed value for one form field, with the files it came from."""

    field: str
    value: object
    sources: tuple[str, ...]
    note: str = ""

    def to_json(self) -> dict[str, object]:
        """A plain dict."""
        return {"field": self.field, "value": self.value, "sources": list(self.sources), "note": self.note}


@dataclass(frozen=True)
class ConflictValue:
    """One of the values files disagree on, and the files that state it."""

    value: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Conflict:
    """Files of one component disagree about something a field describes."""

    field: str
    aspect: str
    values: tuple[ConflictValue, ...]
    message: str

    def to_json(self) -> dict[str, object]:
        """A plain dict."""
        return {
            "field": self.field,
            "aspect": self.aspect,
            "message": self.message,
            "values": [{"value": v.value, "sources": list(v.sources)} for v in self.values],
        }


@dataclass(frozen=True)
class PrefillResult:
    """Suggestions, conflicts, and files that could not be used."""

    suggestions: tuple[Suggestion, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()  # (path, reason)

    def get(self, field: str) -> Suggestion | None:
        """The suggestion for ``field``, if any."""
        return next((s for s in self.suggestions if s.field == field), None)

    def value(self, field: str) -> object:
        """The suggested value for ``field``, or ``None``."""
        suggestion = self.get(field)
        return suggestion.value if suggestion else None

    def to_json(self) -> dict[str, object]:
        """A plain dict."""
        return {
            "suggestions": [s.to_json() for s in self.suggestions],
            "conflicts": [c.to_json() for c in self.conflicts],
            "skipped": [{"path": p, "reason": r} for p, r in self.skipped],
        }


# ---------------------------------------------------------------- helpers


def _num(value: float | None, digits: int = 4) -> str:
    """Short, stable text for a number (float noise from TIFF rationals removed)."""
    if value is None:
        return "?"
    return f"{value:.{digits}g}"


class _Aspect:
    """Values one aspect takes across sources: value text → sources, in first-seen order."""

    def __init__(self) -> None:
        self.values: dict[str, list[str]] = {}
        self.missing: list[str] = []

    def add(self, value: str | None, source: str) -> None:
        if value is None or value == "":
            self.missing.append(source)
        else:
            self.values.setdefault(value, [])
            if source not in self.values[value]:
                self.values[value].append(source)

    @property
    def agreed(self) -> str | None:
        return next(iter(self.values)) if len(self.values) == 1 else None

    @property
    def sources(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for sources in self.values.values():
            for source in sources:
                seen[source] = None
        return tuple(seen)

    def conflict(self, field: str, aspect: str) -> Conflict | None:
        if len(self.values) < 2:
            return None
        values = tuple(ConflictValue(v, tuple(s)) for v, s in self.values.items())
        listing = "; ".join(f"{v.value} ({len(v.sources)} file{'s' if len(v.sources) != 1 else ''})" for v in values)
        return Conflict(field, aspect, values, f"The files disagree about the {aspect}: {listing}.")


_Row = tuple[str, SeriesInfo, ImageInfo]


def _series_sources(infos: Sequence[ImageInfo]) -> tuple[list[_Row], list[tuple[str, str]]]:
    """(source label, series, file) for every series of every readable file, and the skipped files."""
    rows: list[_Row] = []
    skipped: list[tuple[str, str]] = []
    for info in infos:
        if info.error is not None:
            skipped.append((info.path, info.error.message))
            continue
        for series in info.series:
            label = info.path if len(info.series) == 1 else f"{info.path} [series {series.index}]"
            rows.append((label, series, info))
    return rows, skipped


# ---------------------------------------------------------------- REMBI Image Acquisition


def _microscope_text(series: SeriesInfo) -> str | None:
    instrument = series.instrument
    if instrument is None or not instrument.microscope:
        return None
    text = instrument.microscope
    return f"{text} ({instrument.microscope_type.lower()})" if instrument.microscope_type and \
        instrument.microscope_type.lower() not in ("other", "unknown") else text


def _objective_text(series: SeriesInfo) -> str | None:
    instrument = series.instrument
    if instrument is None:
        return None
    name = instrument.objective_model
    if name and instrument.objective_manufacturer and instrument.objective_manufacturer.lower() not in name.lower():
        name = f"{name} ({instrument.objective_manufacturer})"
    facts = []
    if instrument.nominal_magnification:
        facts.append(f"{_num(instrument.nominal_magnification)}× nominal magnification")
    if instrument.lens_na:
        facts.append(f"NA {_num(instrument.lens_na)}")
    if instrument.immersion and instrument.immersion.lower() not in ("other", "unknown"):
        facts.append(f"{instrument.immersion.lower()} immersion")
    if not name and not facts:
        return None
    return "; ".join(p for p in (name, ", ".join(facts)) if p)


def _detector_text(series: SeriesInfo) -> str | None:
    return series.instrument.detector if series.instrument and series.instrument.detector else None


def _pixel_text(series: SeriesInfo) -> str | None:
    size = series.pixel_size
    if size is None or size.x is None:
        return None
    text = f"{_num(size.x)} × {_num(size.y if size.y is not None else size.x)} µm (x × y)"
    if size.z is not None and series.shape.get("Z", 1) > 1:
        text += f", z step {_num(size.z)} µm"
    return text


def _channel_text(channel: ChannelInfo) -> str:
    facts = []
    if channel.excitation_nm:
        facts.append(f"excitation {_num(channel.excitation_nm)} nm")
    if channel.emission_nm:
        facts.append(f"emission {_num(channel.emission_nm)} nm")
    if channel.fluor:
        facts.append(f"fluorophore {channel.fluor}")
    if channel.contrast_method and channel.contrast_method.lower() not in ("other", "fluorescence"):
        facts.append(channel.contrast_method.lower())
    name = channel.name or "unnamed channel"
    return f"{name} ({', '.join(facts)})" if facts else name


def _channels_text(series: SeriesInfo) -> str | None:
    channels = series.channels
    if not channels:
        return None
    if not any(c.name or c.excitation_nm or c.emission_nm or c.fluor for c in channels):
        return None
    return "; ".join(_channel_text(c) for c in channels)


def _dimensions_text(series: SeriesInfo) -> str | None:
    shape = series.shape
    if "X" not in shape or "Y" not in shape:
        return None
    parts = [f"{shape['X']} × {shape['Y']} pixels (x × y)"]
    labels = {"Z": ("z-plane", "z-planes"), "C": ("channel", "channels"), "T": ("time point", "time points"),
              "I": ("image", "images")}
    for axis, (one, many) in labels.items():
        if shape.get(axis, 1) > 1:
            parts.append(f"{shape[axis]} {many if shape[axis] != 1 else one}")
    if shape.get("S", 1) == 3:
        parts.append("RGB")
    parts.append(series.dtype)
    return ", ".join(parts)


def _date_text(series: SeriesInfo) -> str | None:
    return series.acquisition_date[:10] if series.acquisition_date else None


def _summarise_dimensions(aspect: _Aspect) -> str | None:
    if not aspect.values:
        return None
    if len(aspect.values) == 1:
        return aspect.agreed
    shown = [f"{value} ({len(sources)} files)" if len(sources) > 1 else value
             for value, sources in list(aspect.values.items())[:3]]
    more = len(aspect.values) - 3
    return "varies between files: " + "; ".join(shown) + (f"; and {more} other sizes" if more > 0 else "")


def prefill_acquisition(infos: Sequence[ImageInfo]) -> PrefillResult:
    """Suggest REMBI Image Acquisition text from the files of one study component.

    Parameters
    ----------
    infos : sequence of ImageInfo
        Probes of the component's files (unreadable ones are listed in ``skipped``).

    Returns
    -------
    PrefillResult
        Suggestions for ``imaging_instrument`` (microscope, objective with
        magnification, NA and immersion, detector) and
        ``image_acquisition_parameters`` (pixel size in µm, channels with
        wavelengths in nm and fluorophores, dimensions, acquisition date), each
        with its source files; conflicts between files, never resolved.
    """
    rows, skipped = _series_sources(infos)
    extractors: dict[str, tuple[str, Callable[[SeriesInfo], str | None]]] = {
        "microscope": ("imaging_instrument", _microscope_text),
        "objective": ("imaging_instrument", _objective_text),
        "detector": ("imaging_instrument", _detector_text),
        "pixel size": ("image_acquisition_parameters", _pixel_text),
        "channels": ("image_acquisition_parameters", _channels_text),
    }
    aspects = {name: _Aspect() for name in extractors}
    dimensions, dates = _Aspect(), _Aspect()
    for source, series, _info in rows:
        for name, (_field, extract) in extractors.items():
            aspects[name].add(extract(series), source)
        dimensions.add(_dimensions_text(series), source)
        dates.add(_date_text(series), source)

    conflicts = [c for name, (field, _e) in extractors.items() if (c := aspects[name].conflict(field, name))]
    suggestions: list[Suggestion] = []

    def build(field: str, lines: list[tuple[str, str | None, tuple[str, ...]]], conflicted: list[str]) -> None:
        present = [(label, value, sources) for label, value, sources in lines if value]
        if not present:
            return
        text = "\n".join(f"{label}: {value}" for label, value, _s in present)
        sources = tuple(dict.fromkeys(s for _l, _v, group in present for s in group))
        note = "From the image files' metadata."
        if conflicted:
            note += f" Left out because the files disagree: {', '.join(conflicted)} (see the conflicts)."
        suggestions.append(Suggestion(field, text, sources, note))

    def line(label: str, name: str) -> tuple[str, str | None, tuple[str, ...]]:
        aspect = aspects[name]
        return label, aspect.agreed, aspect.sources if aspect.agreed else ()

    instrument_conflicts = [n for n in ("microscope", "objective", "detector") if aspects[n].conflict("", n)]
    build("imaging_instrument", [line("Microscope", "microscope"), line("Objective", "objective"),
                                 line("Detector", "detector")], instrument_conflicts)

    date_text = None
    if dates.values:
        ordered = sorted(dates.values)
        date_text = ordered[0] if len(ordered) == 1 else f"{ordered[0]} to {ordered[-1]}"
    parameter_conflicts = [n for n in ("pixel size", "channels") if aspects[n].conflict("", n)]
    build(
        "image_acquisition_parameters",
        [
            line("Pixel size", "pixel size"),
            line("Channels", "channels"),
            ("Image dimensions", _summarise_dimensions(dimensions), dimensions.sources),
            ("Acquisition date", date_text, dates.sources),
        ],
        parameter_conflicts,
    )
    return PrefillResult(tuple(suggestions), tuple(conflicts), tuple(skipped))


# ---------------------------------------------------------------- EMPIAR image set

#: numpy dtype name → EMPIAR voxel type (code, "other" text).
_VOXEL_CODES: dict[str, tuple[str, str]] = {
    "uint8": ("T1", ""),
    "int8": ("T2", ""),
    "uint16": ("T3", ""),
    "int16": ("T4", ""),
    "uint32": ("T5", ""),
    "int32": ("T6", ""),
    "float32": ("T7", ""),
    "bool": ("T8", ""),
    "uint4": ("T9", ""),
    "float16": ("OT", "16 BIT FLOAT"),
    "float64": ("OT", "64 BIT FLOAT"),
    "int64": ("OT", "SIGNED 64 BIT INTEGER"),
    "uint64": ("OT", "UNSIGNED 64 BIT INTEGER"),
    "complex_int16": ("OT", "COMPLEX 16 BIT INTEGER"),
    "complex64": ("OT", "COMPLEX 32 BIT FLOAT"),
    "complex128": ("OT", "COMPLEX 64 BIT FLOAT"),
}


def voxel_type_for(dtype: str) -> tuple[str, str]:
    """EMPIAR ``voxel_type`` code and "other" text for a numpy dtype name.

    MRC mode 0 is signed (``int8`` → ``T2``) per MRC2014 and mrcfile, unless
    IMOD marked the bytes unsigned (then the probe reports ``uint8`` → ``T1``);
    mode 6 → ``T3``, mode 1 → ``T4``, mode 2 → ``T7``, mode 101 → ``T9``;
    float16 (mode 12) is ``T10`` where the EMPIAR table has it (schema 1.6b31),
    otherwise ``('OT', '16 BIT FLOAT')`` as schema 1.6b30 requires.
    """
    if dtype == "float16" and "T10" in empiar_fields.VOXEL_TYPES:
        return "T10", ""
    code, other = _VOXEL_CODES.get(dtype, ("OT", dtype.upper().replace("_", " ")))
    other = "".join(ch for ch in other.upper() if ch.isalnum() or ch == " ")  # EMPIAR allows [A-Z0-9 ] only
    return code, other


def _format_codes(info: ImageInfo) -> tuple[str, str]:
    """(header_format, data_format) codes; "OT" codes carry their text after a colon."""
    if info.format in (TIFF, OME_TIFF):
        return ("T9", "T9") if "EER" in info.format_detail else ("T3", "T3")
    return {
        MRC: ("T1", "T1"),
        MRCS: ("T2", "T2"),
        PNG: ("T10", "T10"),
        JPEG: ("T11", "T11"),
        OME_ZARR: ("OT:OME ZARR", "OT:OME ZARR"),
    }.get(info.format or "", ("OT:UNKNOWN", "OT:UNKNOWN"))


def _frames(info: ImageInfo, series: SeriesInfo) -> tuple[int, str]:
    if info.mrc is not None:
        mrc = info.mrc
        if mrc.kind == "stack" and not info.path.lower().endswith(".st"):
            return mrc.nz, "each file taken as one movie of nz frames; for a particle stack use 1 and count particles"
        return 1, ""
    for axis in ("T", "I"):
        if series.shape.get(axis, 1) > 1:
            return series.shape[axis], f"the {axis} axis taken as frames"
    return 1, ""


def _pixel_angstrom(info: ImageInfo, series: SeriesInfo) -> tuple[float | None, float | None]:
    if info.mrc is not None and info.mrc.voxel_size_angstrom:
        x, y, _z = info.mrc.voxel_size_angstrom
        return x, y
    size = series.pixel_size
    if size is None:
        return None, None
    return (size.x * 1e4 if size.x else None), (size.y * 1e4 if size.y else None)


def prefill_empiar_image_set(infos: Sequence[ImageInfo]) -> PrefillResult:
    """Suggest EMPIAR image-set fields from MRC (and TIFF, PNG, JPEG) headers.

    Parameters
    ----------
    infos : sequence of ImageInfo
        Probes of the files of one image set.

    Returns
    -------
    PrefillResult
        Suggestions named after :class:`~bioimage_depositor.domain.empiar_fields.EmpiarImageSet`
        fields: ``image_width``, ``image_height`` (pixels), ``pixel_width``,
        ``pixel_height`` (Å), ``voxel_type`` (+ ``voxel_type_other``),
        ``header_format`` / ``data_format`` (+ ``*_other``),
        ``num_images_or_tilt_series`` and ``frames_per_image``; conflicts
        where files disagree.
    """
    rows, skipped = _series_sources(infos)
    first_series = [(src, series, info) for src, series, info in rows if series.index == 0]
    fields = {name: _Aspect() for name in ("image_width", "image_height", "pixel_width", "pixel_height",
                                          "voxel_type", "header_format", "data_format", "frames_per_image")}
    frame_notes: dict[str, str] = {}
    rgb_sources = []
    for source, series, info in first_series:
        fields["image_width"].add(str(series.width) if series.width else None, source)
        fields["image_height"].add(str(series.height) if series.height else None, source)
        px, py = _pixel_angstrom(info, series)
        fields["pixel_width"].add(_num(px, 5) if px else None, source)
        fields["pixel_height"].add(_num(py, 5) if py else None, source)
        code, other = voxel_type_for(series.dtype)
        fields["voxel_type"].add(f"{code}:{other}" if code == "OT" else code, source)
        if series.shape.get("S", 1) > 1:
            rgb_sources.append(source)
        header, data = _format_codes(info)
        fields["header_format"].add(header, source)
        fields["data_format"].add(data, source)
        frames, note = _frames(info, series)
        fields["frames_per_image"].add(str(frames), source)
        if note:
            frame_notes[str(frames)] = note

    suggestions: list[Suggestion] = []
    conflicts: list[Conflict] = []
    aspect_names = {"image_width": "image width", "image_height": "image height", "pixel_width": "pixel width (Å)",
                    "pixel_height": "pixel height (Å)", "voxel_type": "voxel type", "header_format": "header format",
                    "data_format": "data format", "frames_per_image": "frames per image"}
    for name, aspect in fields.items():
        conflict = aspect.conflict(name, aspect_names[name])
        if conflict:
            conflicts.append(conflict)
            continue
        value = aspect.agreed
        if value is None:
            continue
        sources = aspect.sources
        if name in ("voxel_type", "header_format", "data_format"):
            code, _, other = value.partition(":")
            note = "RGB colour images: each sample is one byte." if name == "voxel_type" and rgb_sources else ""
            suggestions.append(Suggestion(name, code, sources, note))
            if code == "OT":
                suggestions.append(Suggestion(f"{name}_other", other, sources))
        elif name in ("pixel_width", "pixel_height"):
            suggestions.append(Suggestion(name, float(value), sources, "In ångström, from the file headers."))
        else:
            suggestions.append(Suggestion(name, int(value), sources, frame_notes.get(value, "")
                                          if name == "frames_per_image" else ""))
    files = tuple(dict.fromkeys(info.path for _s, _series, info in first_series))
    if files:
        suggestions.append(Suggestion("num_images_or_tilt_series", len(files), files,
                                      "The number of readable files in this image set."))
    return PrefillResult(tuple(suggestions), tuple(conflicts), tuple(skipped))
