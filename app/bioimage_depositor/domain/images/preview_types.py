"""The records a preview is made of: what readers hand over and what the caller gets.

Separate from :mod:`.preview` so that each format's reader can build a
:class:`PlaneView` without importing the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class ChannelDisplay:
    """How one channel was drawn: its index in the file, name, colour and contrast window."""

    index: int
    name: str | None
    colour: tuple[int, int, int]
    contrast: tuple[float, float]

    def to_json(self) -> dict[str, object]:
        """A plain dict."""
        return {
            "index": self.index,
            "name": self.name,
            "colour": "#{:02x}{:02x}{:02x}".format(*self.colour),
            "contrast": [float(f"{self.contrast[0]:.6g}"), float(f"{self.contrast[1]:.6g}")],
        }


@dataclass(frozen=True, eq=False)
class PreviewImage:
    """A picture of a file, ready to show, plus what it shows.

    Attributes
    ----------
    pixels : numpy.ndarray
        ``(height, width, 3)`` uint8 RGB; the longer side is at most the requested size.
    series, level : int
        The series and pyramid level read (level 0 = full resolution).
    level_shape : dict
        Shape of the level read (axis → size).
    z, t : int or None
        The Z plane and time point shown (``None`` when the image has no such axis).
    z_count, t_count, series_count : int
        How many there are, for sliders.
    channels : tuple of ChannelDisplay
        Channels composited, with colour and contrast; empty for RGB images shown as they are.
    format : str
        The file's format.
    notes : tuple of str
        Things the viewer should know (only some channels shown, strided read, flipped MRC origin, …).
    """

    pixels: np.ndarray
    series: int = 0
    level: int = 0
    level_shape: dict[str, int] = field(default_factory=dict)
    z: int | None = None
    t: int | None = None
    z_count: int = 1
    t_count: int = 1
    series_count: int = 1
    channels: tuple[ChannelDisplay, ...] = ()
    format: str = ""
    notes: tuple[str, ...] = ()

    @property
    def width(self) -> int:
        """Width of the picture in pixels."""
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        """Height of the picture in pixels."""
        return int(self.pixels.shape[0])

    def describe(self) -> dict[str, object]:
        """What was shown, as a plain dict (no pixels)."""
        return {
            "format": self.format,
            "width": self.width,
            "height": self.height,
            "series": self.series,
            "series_count": self.series_count,
            "level": self.level,
            "level_shape": dict(self.level_shape),
            "z": self.z,
            "z_count": self.z_count,
            "t": self.t,
            "t_count": self.t_count,
            "channels": [channel.to_json() for channel in self.channels],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class ChannelSetting:
    """How the viewer wants one channel drawn.

    Attributes
    ----------
    visible : bool
        Whether the channel is part of the composite.
    colour : tuple of int, optional
        Display colour (R, G, B); ``None`` keeps the file's or the default colour.
    contrast : tuple of float, optional
        Display window (low, high) in the plane's values; ``None`` means automatic
        (the 0.1–99.9 percentiles of the plane shown).
    """

    visible: bool = True
    colour: tuple[int, int, int] | None = None
    contrast: tuple[float, float] | None = None


@dataclass
class PlaneView:
    """What a format reader hands to the compositor: reduced planes or a ready RGB picture.

    ``planes`` are float32 2-D arrays, already reduced to about the preview
    size, one per channel to composite; ``rgb`` replaces them for images that
    are stored as display colours (RGB photos, RGB TIFF).
    """

    planes: list[np.ndarray] = field(default_factory=list)
    channel_indices: list[int] = field(default_factory=list)
    channel_names: list[str | None] = field(default_factory=list)
    channel_colours: list[tuple[int, int, int] | None] = field(default_factory=list)
    rgb: np.ndarray | None = None
    series: int = 0
    series_count: int = 1
    level: int = 0
    level_shape: dict[str, int] = field(default_factory=dict)
    z: int | None = None
    z_count: int = 1
    t: int | None = None
    t_count: int = 1
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, eq=False)
class PreviewPlanes:
    """The reduced planes of one view, kept so the picture can be composited again without reading the file.

    A viewer changing a channel's colour, contrast or visibility calls
    :func:`~.preview.compose_preview` on these instead of reading the file again.

    Attributes
    ----------
    view : PlaneView
        What the reader returned (planes already reduced to the preview size).
    format : str
        The file's format.
    colours : tuple
        Default display colour of each plane (the file's own where it states distinct ones).
    auto_contrast : tuple
        Automatic (low, high) window of each plane.
    value_range : tuple
        (minimum, maximum) of each reduced plane, the bounds for a manual window.
    """

    view: PlaneView
    format: str
    colours: tuple[tuple[int, int, int], ...] = ()
    auto_contrast: tuple[tuple[float, float], ...] = ()
    value_range: tuple[tuple[float, float], ...] = ()

    @property
    def channel_count(self) -> int:
        """How many channel planes there are (0 for an RGB picture shown as stored)."""
        return len(self.view.planes)
