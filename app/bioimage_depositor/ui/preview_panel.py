"""The preview beside the file table: a picture, sliders for series, Z and T, and per-channel display.

Reading happens in a worker through
:func:`~..domain.images.preview.read_preview_planes`, which reads only the
planes shown, at the pyramid level that fills the view (chosen by the domain,
so the level is always automatic). The reduced planes are kept: switching a
channel off, giving it another colour or another contrast window only
composites them again (also in a worker), without touching the file. Moving
the Z, T or series slider reads new planes after a short pause, so dragging a
slider does not queue a read per step. Every result carries a generation
number and stale ones are dropped, so a slow read never overwrites a newer
picture.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from superqt import QDoubleRangeSlider

from ..domain.images.errors import ImageReadError
from ..domain.images.model import ImageInfo
from ..domain.images.preview import compose_preview, read_preview_planes
from ..domain.images.preview_types import ChannelSetting, PreviewImage, PreviewPlanes
from .background import run_in_background

log = logging.getLogger(__name__)

PREVIEW_SIZE = 360
#: Pause after a slider moves before the new plane is read (milliseconds).
READ_DELAY_MS = 120
#: Pause after a display control changes before compositing again (milliseconds).
COMPOSE_DELAY_MS = 15


def _swatch(colour: tuple[int, int, int]) -> QIcon:
    pixmap = QPixmap(14, 14)
    pixmap.fill(QColor(*colour))
    return QIcon(pixmap)


class ChannelRow(QWidget):
    """One channel's display controls: shown or hidden, colour, automatic or manual contrast."""

    changed = Signal()

    def __init__(
        self,
        name: str,
        colour: tuple[int, int, int],
        value_range: tuple[float, float],
        auto: tuple[float, float],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.default_colour = colour
        self.colour = colour
        self.auto_limits = auto
        self._loading = False
        self.visible_box = QCheckBox(name)
        self.visible_box.setChecked(True)
        self.visible_box.setToolTip("Show or hide this channel in the picture.")
        self.colour_button = QToolButton()
        self.colour_button.setIcon(_swatch(colour))
        self.colour_button.setIconSize(QSize(14, 14))
        self.colour_button.setToolTip("Choose the colour this channel is drawn in.")
        self.colour_button.setAccessibleName(f"Colour of {name}")
        self.auto_box = QCheckBox("Auto")
        self.auto_box.setChecked(True)
        self.auto_box.setToolTip(
            "Automatic contrast (0.1–99.9 % of the values shown); untick or drag the slider "
            "to set it yourself, tick again to reset."
        )
        self.contrast = QDoubleRangeSlider(Qt.Orientation.Horizontal)
        self.contrast.setAccessibleName(f"Contrast of {name}")
        self.contrast.setToolTip(
            "Display window: values below the left handle are black, above the right one full colour."
        )
        self.contrast.setMinimumWidth(90)
        self.set_range(value_range, auto)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.visible_box, 2)
        layout.addWidget(self.colour_button)
        layout.addWidget(self.auto_box)
        layout.addWidget(self.contrast, 3)
        self.visible_box.toggled.connect(self._on_control_changed)
        self.auto_box.toggled.connect(self._on_auto_box_toggled)
        self.contrast.valueChanged.connect(self._on_contrast_value_changed)
        self.colour_button.clicked.connect(self._on_colour_button_clicked)

    def set_range(self, value_range: tuple[float, float], auto: tuple[float, float]) -> None:
        """New plane: its value range and automatic window (a manual window is kept)."""
        self._loading = True
        self.auto_limits = auto
        low, high = value_range
        if not self.auto_box.isChecked():
            current: tuple[float, float] = tuple(self.contrast.value())  # type: ignore[assignment]
            low, high = min(low, current[0]), max(high, current[1])
        self.contrast.setRange(low, high)
        if self.auto_box.isChecked():
            self.contrast.setValue((max(low, auto[0]), min(high, auto[1])))
        self._loading = False

    def setting(self) -> ChannelSetting:
        """What the composite should do with this channel."""
        manual: tuple[float, float] | None = None
        if not self.auto_box.isChecked():
            values: tuple[float, float] = tuple(self.contrast.value())  # type: ignore[assignment]
            manual = (float(values[0]), float(values[1]))
        return ChannelSetting(visible=self.visible_box.isChecked(), colour=self.colour, contrast=manual)

    def set_colour(self, colour: tuple[int, int, int]) -> None:
        """Draw the channel in ``colour``."""
        self.colour = colour
        self.colour_button.setIcon(_swatch(colour))
        self.changed.emit()

    def set_contrast(self, low: float, high: float) -> None:
        """Use a manual window (as dragging the slider does)."""
        self.contrast.setValue((low, high))

    def reset(self) -> None:
        """Back to shown, default colour and automatic contrast."""
        self._loading = True
        self.visible_box.setChecked(True)
        self.colour = self.default_colour
        self.colour_button.setIcon(_swatch(self.colour))
        self.auto_box.setChecked(True)
        self.contrast.setValue(self.auto_limits)
        self._loading = False
        self.changed.emit()

    def _on_control_changed(self, *_args: object) -> None:
        if not self._loading:
            self.changed.emit()

    def _on_auto_box_toggled(self, checked: bool) -> None:
        if self._loading:
            return
        if checked:
            self._loading = True
            self.contrast.setValue(self.auto_limits)
            self._loading = False
        self.changed.emit()

    def _on_contrast_value_changed(self, _value: object) -> None:
        if self._loading:
            return
        if self.auto_box.isChecked():
            self._loading = True
            self.auto_box.setChecked(False)
            self._loading = False
        self.changed.emit()

    def _on_colour_button_clicked(self) -> None:
        chosen = QColorDialog.getColor(QColor(*self.colour), self, f"Colour of {self.visible_box.text()}")
        if chosen.isValid():
            self.set_colour((chosen.red(), chosen.green(), chosen.blue()))


class _Slider(QWidget):
    """A labelled slider for one axis (series, Z or T) with a "7 / 15" readout; hidden when there is one."""

    moved = Signal(int)

    def __init__(self, label: str, what: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel(label)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setAccessibleName(what)
        self.slider.setPageStep(1)
        self.label.setBuddy(self.slider)
        self.readout = QLabel()
        self.readout.setMinimumWidth(60)
        self.readout.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.readout)
        self.slider.valueChanged.connect(self._on_slider_value_changed)

    def set_state(self, value: int | None, count: int) -> None:
        """Show ``value`` of ``count`` (hidden for a single one)."""
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, count - 1))
        self.slider.setValue(value or 0)
        self.slider.blockSignals(False)
        self.readout.setText(f"{(value or 0) + 1} / {count}")
        self.setVisible(count > 1)

    def _on_slider_value_changed(self, value: int) -> None:
        self.readout.setText(f"{value + 1} / {self.slider.maximum() + 1}")
        self.moved.emit(value)


class PreviewPanel(QWidget):
    """Shows one file: picture, navigation and channel display, all computed off the UI thread."""

    picture_shown = Signal()  # a new picture is on screen
    failed = Signal(str)  # no picture, and why

    def __init__(self, parent: QWidget | None = None, size: int = PREVIEW_SIZE) -> None:
        super().__init__(parent)
        self.picture_size = size
        self.picture = QLabel("Select a file to see it.")
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(size, size)
        self.picture.setWordWrap(True)
        self.picture.setAccessibleName("Preview")
        self.info = QLabel()
        self.info.setObjectName("helpLabel")
        self.info.setWordWrap(True)
        self.series_slider = _Slider("Seri&es", "Series")
        self.z_slider = _Slider("&Z", "Z plane")
        self.t_slider = _Slider("&T", "Time point")
        for slider in (self.series_slider, self.z_slider, self.t_slider):
            slider.hide()
        self.series_slider.moved.connect(lambda value: self.select(series=value))
        self.z_slider.moved.connect(lambda value: self.select(z=value))
        self.t_slider.moved.connect(lambda value: self.select(t=value))
        self.channels_title = QLabel("Channels")
        self.channels_title.setObjectName("helpLabel")
        self.channel_rows: list[ChannelRow] = []
        self.channels_box = QWidget()
        self.channels_layout = QGridLayout(self.channels_box)
        self.channels_layout.setContentsMargins(0, 0, 0, 0)
        self.reset_button = QPushButton("Reset displa&y")
        self.reset_button.setToolTip("Show every channel again in its own colour, with automatic contrast.")
        self.reset_button.clicked.connect(self.reset_display)
        for widget in (self.channels_title, self.channels_box, self.reset_button):
            widget.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.picture)
        layout.addWidget(self.info)
        layout.addWidget(self.series_slider)
        layout.addWidget(self.z_slider)
        layout.addWidget(self.t_slider)
        layout.addWidget(self.channels_title)
        layout.addWidget(self.channels_box)
        layout.addWidget(self.reset_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)

        self.source = ""
        self.image_info: ImageInfo | None = None
        self.planes: PreviewPlanes | None = None
        self.image: PreviewImage | None = None
        self._series: int = 0
        self._z: int | None = None
        self._t: int | None = None
        self._generation = 0
        self._compose_generation = 0
        self._channel_signature: tuple[object, ...] = ()
        self._read_timer = QTimer(self, singleShot=True, interval=READ_DELAY_MS)
        self._read_timer.timeout.connect(self._read)
        self._compose_timer = QTimer(self, singleShot=True, interval=COMPOSE_DELAY_MS)
        self._compose_timer.timeout.connect(self._compose)
        self._awaiting = False  # a read or composite is on its way
        self.reads = 0  # planes read (tests check that display changes do not read the file)

    # ------------------------------------------------------------ what to show

    def show_file(self, source: str, info: ImageInfo | None = None) -> None:
        """Show ``source`` from its first series, central Z plane and first time point."""
        self.source = source
        self.image_info = info
        self._series, self._z, self._t = 0, None, None
        self._channel_signature = ()
        self.planes = None
        self.picture.setText("Loading preview…")
        self._read_timer.stop()
        self._read()

    def clear(self, message: str = "Select a file to see it.") -> None:
        """Show no file."""
        self._generation += 1
        self.source = ""
        self.planes = None
        self.image = None
        self.picture.setPixmap(QPixmap())
        self.picture.setText(message)
        self.info.clear()
        for slider in (self.series_slider, self.z_slider, self.t_slider):
            slider.hide()
        self._set_channel_rows([])

    def select(self, *, series: int | None = None, z: int | None = None, t: int | None = None) -> None:
        """Show another series, Z plane or time point (as the sliders do), read after a short pause."""
        if series is not None and series != self._series:
            self._series, self._z, self._t = series, None, None
            self._channel_signature = ()
        if z is not None:
            self._z = z
        if t is not None:
            self._t = t
        self._read_timer.start()

    def busy(self) -> bool:
        """Whether a read or composite is pending."""
        return self._read_timer.isActive() or self._compose_timer.isActive() or self._awaiting

    # ------------------------------------------------------------ reading (worker)

    def _read(self) -> None:
        if not self.source:
            return
        self._generation += 1
        generation = self._generation
        source, size, info = self.source, self.picture_size, self.image_info
        series, z, t = self._series, self._z, self._t
        self._awaiting = True

        def stale() -> bool:
            return generation != self._generation

        run_in_background(
            lambda: read_preview_planes(source, size, series, z, t, info=info, cancel=stale),
            lambda planes: self._on_planes_read(generation, planes),
            lambda error: self._on_read_failed(generation, error),
        )

    def _on_planes_read(self, generation: int, planes: PreviewPlanes) -> None:
        if generation != self._generation:
            return
        self.reads += 1
        self.planes = planes
        view = planes.view
        self._series, self._z, self._t = view.series, view.z, view.t
        self.series_slider.set_state(view.series, view.series_count)
        self.z_slider.set_state(view.z, view.z_count)
        self.t_slider.set_state(view.t, view.t_count)
        signature = (self.source, view.series, tuple(view.channel_indices), tuple(view.channel_names))
        if signature != self._channel_signature:
            self._channel_signature = signature
            names = [
                name or f"Channel {index + 1}"
                for index, name in zip(view.channel_indices, view.channel_names, strict=True)
            ]
            rows = (
                [
                    ChannelRow(name, planes.colours[i], planes.value_range[i], planes.auto_contrast[i])
                    for i, name in enumerate(names)
                ]
                if len(view.planes) > 1
                else []
            )
            self._set_channel_rows(rows)
        else:
            for i, row in enumerate(self.channel_rows):
                row.set_range(planes.value_range[i], planes.auto_contrast[i])
        self._compose()

    def _on_read_failed(self, generation: int, error: BaseException) -> None:
        if generation != self._generation:
            return
        self._awaiting = False
        reason = error.message if isinstance(error, ImageReadError) else f"{error}"
        if isinstance(error, ImageReadError) and error.code == "cancelled":
            return
        self.planes = None
        self.image = None
        self.picture.setPixmap(QPixmap())
        self.picture.setText(f"No preview: {reason}")
        self.info.clear()
        self._set_channel_rows([])
        self.failed.emit(reason)

    # ------------------------------------------------------------ channels

    def _set_channel_rows(self, rows: list[ChannelRow]) -> None:
        for row in self.channel_rows:
            self.channels_layout.removeWidget(row)
            row.deleteLater()
        self.channel_rows = rows
        for position, row in enumerate(rows):
            self.channels_layout.addWidget(row, position, 0)
            row.changed.connect(self._compose_timer.start)
        for widget in (self.channels_title, self.channels_box, self.reset_button):
            widget.setVisible(bool(rows))

    def settings(self) -> list[ChannelSetting]:
        """The display setting of every channel shown."""
        return [row.setting() for row in self.channel_rows]

    def reset_display(self) -> None:
        """Every channel shown in its default colour with automatic contrast."""
        for row in self.channel_rows:
            row.blockSignals(True)
            row.reset()
            row.blockSignals(False)
        self._compose()

    # ------------------------------------------------------------ compositing (worker)

    def _compose(self) -> None:
        planes = self.planes
        if planes is None:
            return
        self._compose_timer.stop()
        self._compose_generation += 1
        generation = self._compose_generation
        settings = self.settings()
        self._awaiting = True
        compose: Callable[[], PreviewImage] = lambda: compose_preview(planes, settings)  # noqa: E731
        run_in_background(
            compose,
            lambda image: self._on_composed(generation, image),
            lambda error: self._on_read_failed(self._generation, error),
        )

    def _on_composed(self, generation: int, image: PreviewImage) -> None:
        if generation != self._compose_generation:
            return
        self._awaiting = False
        self.image = image
        pixels = np.ascontiguousarray(image.pixels)
        height, width = pixels.shape[:2]
        qimage = QImage(pixels.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()
        pixmap = QPixmap.fromImage(qimage)
        factor = self.picture_size // max(1, width, height)
        if factor >= 2:  # small images: whole pixels, enlarged without smoothing (no invented detail)
            pixmap = pixmap.scaled(
                width * factor,
                height * factor,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.FastTransformation,
            )
        self.picture.setPixmap(pixmap)
        self.info.setText(self._describe(image))
        self.picture_shown.emit()

    def _describe(self, image: PreviewImage) -> str:
        details = [image.format] + [f"{axis} {size}" for axis, size in image.level_shape.items()]
        if image.level:
            levels = ""
            if self.image_info is not None and image.series < len(self.image_info.series):
                levels = f" of {len(self.image_info.series[image.series].levels)}"
            details.append(f"pyramid level {image.level}{levels} (chosen to fit the view)")
        text = " · ".join(details)
        if image.notes:
            text += "\n" + "\n".join(image.notes)
        return text
