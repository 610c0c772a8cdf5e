"""One image of a landmark pair: click to place a point, drag to move it, Delete to remove it.

The view paints a preview pixmap scaled to fit (the scaled copy is cached per widget size,
so a repaint while dragging is one blit plus the markers) and the landmarks on top. It owns
no landmark data: the page's :class:`~.pairs.PairList` holds the points in full-resolution
pixels; the view converts mouse positions into those pixels and reports what the user did
through signals, and the page updates the list, refits and asks the views to repaint.

Keyboard: Page Up / Page Down choose a landmark, the arrow keys nudge it (Shift: ten
times further), Delete or Backspace removes its pair, Insert places a point at the
centre of the view and Escape drops a pair that has only one point.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from ...domain.landmarks.affine import FloatArray

#: A press within this many screen pixels of a landmark grabs it instead of placing a new one.
GRAB_RADIUS = 9.0
MARKER_RADIUS = 5.0
NORMAL = QColor(255, 214, 0)
CHOSEN = QColor(0, 229, 255)


def fit_geometry(picture: QSize, area: QSize) -> tuple[float, float, float]:
    """Scale and offset that fit a picture into an area, keeping its aspect ratio: ``(scale, x0, y0)``."""
    if picture.isEmpty() or area.isEmpty():
        return 1.0, 0.0, 0.0
    scale = min(area.width() / picture.width(), area.height() / picture.height())
    return scale, (area.width() - picture.width() * scale) / 2, (area.height() - picture.height() * scale) / 2


class LandmarkView(QWidget):
    """Shows one preview with numbered landmarks and turns clicks and drags into landmark edits."""

    point_placed = Signal(float, float)  # full-resolution x, y of a click on an empty spot
    point_dragged = Signal(int, float, float)  # pair index, new x, y (while the button is held)
    drag_finished = Signal(int)  # pair index
    point_selected = Signal(int)
    remove_requested = Signal(int)
    cancel_requested = Signal()

    def __init__(self, role: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.role = role
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # paints every pixel: parents need not repaint
        self.setMinimumSize(240, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(False)
        self.setAccessibleName(f"{role.capitalize()} image landmarks")
        self.setAccessibleDescription(
            "Click to place a landmark, drag one to move it. Page Up and Page Down choose a landmark, the arrow "
            "keys move it, Delete removes its pair, Insert places one in the middle, Escape drops an unpaired point."
        )
        self.setToolTip(self.accessibleDescription())
        self.pixmap: QPixmap | None = None
        self.full_size = (1, 1)
        self.message = "Choose an image."
        self.points: FloatArray | None = None
        self.names: list[str] = []
        self.selected = -1
        self.pending = -1
        self.paint_count = 0
        self._scaled: QPixmap | None = None
        self._markers: dict[tuple[str, str], tuple[QPixmap, QPointF]] = {}
        self._dragging = -1

    def sizeHint(self) -> QSize:
        """Room for a useful picture."""
        return QSize(420, 340)

    # ------------------------------------------------------------ content

    def set_image(self, pixmap: QPixmap | None, full_size: tuple[int, int] = (1, 1), message: str = "") -> None:
        """Show ``pixmap`` (a preview of an image ``full_size`` pixels large), or ``message`` without one."""
        self.pixmap = pixmap
        self.full_size = (max(1, full_size[0]), max(1, full_size[1]))
        self.message = message
        self._scaled = None
        self.update()

    def set_points(self, points: FloatArray | None, names: list[str], selected: int = -1, pending: int = -1) -> None:
        """The landmarks to draw (``N × 2`` full-resolution pixels, NaN rows are not drawn)."""
        self.points = points
        self.names = names
        self.selected = selected
        self.pending = pending
        self.update()

    # ------------------------------------------------------------ geometry

    def _geometry(self) -> tuple[float, float, float]:
        """Screen pixels per full-resolution pixel, and the picture's top-left corner on screen."""
        if self.pixmap is None:
            return 1.0, 0.0, 0.0
        scale, x0, y0 = fit_geometry(self.pixmap.size(), self.size())
        return scale * self.pixmap.width() / self.full_size[0], x0, y0

    def to_screen(self, x: float, y: float) -> QPointF:
        """Widget position of a full-resolution pixel position."""
        per_full, x0, y0 = self._geometry()
        return QPointF(x0 + x * per_full, y0 + y * per_full)

    def to_image(self, point: QPointF) -> tuple[float, float]:
        """Full-resolution pixel position of a widget position, kept inside the image."""
        per_full, x0, y0 = self._geometry()
        x = (point.x() - x0) / per_full
        y = (point.y() - y0) / per_full
        return min(max(x, 0.0), float(self.full_size[0])), min(max(y, 0.0), float(self.full_size[1]))

    def _inside(self, point: QPointF) -> bool:
        per_full, x0, y0 = self._geometry()
        right, bottom = x0 + self.full_size[0] * per_full, y0 + self.full_size[1] * per_full
        return x0 <= point.x() <= right and y0 <= point.y() <= bottom

    def hit(self, point: QPointF) -> int:
        """The landmark under a widget position, or -1."""
        if self.points is None or not len(self.points):
            return -1
        per_full, x0, y0 = self._geometry()
        dx = x0 + self.points[:, 0] * per_full - point.x()
        dy = y0 + self.points[:, 1] * per_full - point.y()
        distance = np.nan_to_num(dx * dx + dy * dy, nan=np.inf)  # an unplaced side is never grabbed
        index = int(np.argmin(distance))
        return index if distance[index] <= GRAB_RADIUS * GRAB_RADIUS else -1

    # ------------------------------------------------------------ painting

    def resizeEvent(self, event: QResizeEvent) -> None:
        """The cached scaled picture no longer fits."""
        self._scaled = None
        super().resizeEvent(event)

    def _scaled_pixmap(self) -> QPixmap | None:
        if self.pixmap is None:
            return None
        if self._scaled is None:
            scale, _x0, _y0 = fit_geometry(self.pixmap.size(), self.size())
            target = QSize(max(1, round(self.pixmap.width() * scale)), max(1, round(self.pixmap.height() * scale)))
            self._scaled = self.pixmap.scaled(
                target, Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
        return self._scaled

    def paintEvent(self, event: QPaintEvent) -> None:
        """The picture, then the landmarks (numbered; the selected one ringed; an unpaired one dashed)."""
        self.paint_count += 1
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().color(self.backgroundRole()).darker(115))
        scaled = self._scaled_pixmap()
        if scaled is None:
            painter.setPen(self.palette().color(self.foregroundRole()))
            painter.drawText(
                QRectF(self.rect()).adjusted(12, 12, -12, -12),
                Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignCenter,
                self.message,
            )
            painter.end()
            return
        _per_full, x0, y0 = self._geometry()
        painter.drawPixmap(QPointF(x0, y0), scaled)
        if self.points is not None:
            self._paint_points(painter)
        if self.hasFocus():
            painter.setPen(QPen(self.palette().color(self.palette().ColorRole.Highlight), 2))
            painter.drawRect(QRectF(self.rect()).adjusted(1, 1, -1, -1))
        painter.end()

    def _marker(self, text: str, style: str) -> tuple[QPixmap, QPointF]:
        """A landmark's ring and number, rendered once per label and style and reused.

        Drawing text and antialiased circles is the costly part of a repaint; a cached pixmap
        per landmark turns the hundred markers of a busy image into a hundred blits, which keeps
        a repaint cheap while a landmark is dragged.
        """
        key = (text, style)
        cached = self._markers.get(key)
        if cached is not None:
            return cached
        colour = CHOSEN if style == "chosen" else NORMAL
        pen = QPen(colour, 3 if style == "chosen" else 2, Qt.PenStyle.DashLine if style == "pending" else
                   Qt.PenStyle.SolidLine)
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        font.setBold(True)
        metrics = QFontMetrics(font)
        ring = MARKER_RADIUS + 2
        width = 2 * ring + 2 + metrics.horizontalAdvance(text) + 3
        height = max(2 * ring, ring + metrics.height()) + 2
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(QSize(int(width), int(height)) * ratio)
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        centre = QPointF(ring, height - ring)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(pen)
        painter.drawEllipse(centre, MARKER_RADIUS, MARKER_RADIUS)
        painter.setFont(font)
        baseline = QPointF(2 * ring + 1, metrics.ascent())
        painter.setPen(QColor(0, 0, 0, 210))
        painter.drawText(baseline + QPointF(1, 1), text)
        painter.setPen(colour)
        painter.drawText(baseline, text)
        painter.end()
        self._markers[key] = (pixmap, centre)
        return pixmap, centre

    def _paint_points(self, painter: QPainter) -> None:
        assert self.points is not None
        per_full, x0, y0 = self._geometry()
        for index, (x, y) in enumerate(self.points):
            if x != x or y != y:  # NaN: this side is not placed yet
                continue
            style = "chosen" if index == self.selected else "pending" if index == self.pending else "normal"
            label = self.names[index] if index < len(self.names) else str(index + 1)
            pixmap, centre = self._marker(label, style)
            painter.drawPixmap(QPointF(x0 + x * per_full - centre.x(), y0 + y * per_full - centre.y()), pixmap)

    # ------------------------------------------------------------ mouse

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """Grab the landmark under the pointer, or place a new point."""
        if event.button() != Qt.MouseButton.LeftButton or self.pixmap is None:
            super().mousePressEvent(event)
            return
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        position = event.position()
        index = self.hit(position)
        if index >= 0:
            self._dragging = index
            self.selected = index
            self.point_selected.emit(index)
            self.update()
        elif self._inside(position):
            self.point_placed.emit(*self.to_image(position))
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        """Drag the grabbed landmark."""
        if self._dragging >= 0 and event.buttons() & Qt.MouseButton.LeftButton:
            self.point_dragged.emit(self._dragging, *self.to_image(event.position()))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        """Finish a drag."""
        if self._dragging >= 0 and event.button() == Qt.MouseButton.LeftButton:
            index = self._dragging
            self._dragging = -1
            self.drag_finished.emit(index)
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def dragging(self) -> bool:
        """Whether a landmark is being dragged."""
        return self._dragging >= 0

    # ------------------------------------------------------------ keyboard

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Choose, nudge, place and remove landmarks without a mouse."""
        key = event.key()
        count = 0 if self.points is None else len(self.points)
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and 0 <= self.selected < count:
            self.remove_requested.emit(self.selected)
        elif key in (Qt.Key.Key_PageDown, Qt.Key.Key_PageUp) and count:
            step = 1 if key == Qt.Key.Key_PageDown else -1
            self.selected = (self.selected + step) % count if self.selected >= 0 else 0
            self.point_selected.emit(self.selected)
            self.update()
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down) and self._can_nudge():
            self._nudge(key, 10.0 if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else 1.0)
        elif key == Qt.Key.Key_Insert and self.pixmap is not None:
            self.point_placed.emit(self.full_size[0] / 2, self.full_size[1] / 2)
        elif key == Qt.Key.Key_Escape and self.pending >= 0:
            self.cancel_requested.emit()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def _can_nudge(self) -> bool:
        return (
            self.points is not None
            and 0 <= self.selected < len(self.points)
            and self.pixmap is not None
            and not any(value != value for value in self.points[self.selected])  # NaN: side not placed
        )

    def _nudge(self, key: int, screen_pixels: float) -> None:
        assert self.points is not None
        per_full = self._geometry()[0]
        step = screen_pixels / max(per_full, 1e-9)
        dx = {Qt.Key.Key_Left: -step, Qt.Key.Key_Right: step}.get(key, 0.0)  # type: ignore[call-overload]
        dy = {Qt.Key.Key_Up: -step, Qt.Key.Key_Down: step}.get(key, 0.0)  # type: ignore[call-overload]
        x, y = self.points[self.selected]
        x = min(max(float(x) + dx, 0.0), float(self.full_size[0]))
        y = min(max(float(y) + dy, 0.0), float(self.full_size[1]))
        self.point_dragged.emit(self.selected, x, y)
        self.drag_finished.emit(self.selected)
