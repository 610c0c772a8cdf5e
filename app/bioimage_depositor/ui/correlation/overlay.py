"""The moving image warped onto the reference, semi-transparent, to judge a landmark fit by eye.

Painting is a blit of the cached, scaled reference pixmap and one ``drawPixmap`` of the
moving preview through a :class:`QTransform` built from the fitted 2-D matrix (moving
preview pixels → reference preview pixels → screen). Nothing is decoded or resampled
ahead of time, so a new matrix arriving on every mouse move while a landmark is dragged
costs one repaint; smooth filtering is switched off during a drag and back on after.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPixmap, QResizeEvent, QTransform
from PySide6.QtWidgets import QSizePolicy, QWidget

from ...domain.landmarks.affine import FloatArray
from .landmark_view import fit_geometry


def qtransform(matrix: FloatArray) -> QTransform:
    """The :class:`QTransform` of a 3 × 3 homogeneous matrix acting on column vectors (x, y, 1)."""
    m = matrix
    # Qt multiplies row vectors: x' = m11·x + m21·y + dx, so the matrix goes in transposed.
    return QTransform(
        float(m[0, 0]), float(m[1, 0]), 0.0,
        float(m[0, 1]), float(m[1, 1]), 0.0,
        float(m[0, 2]), float(m[1, 2]), 1.0,
    )  # fmt: skip


class OverlayView(QWidget):
    """Paints the reference preview and, over it, the moving preview through the current fit."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # paints every pixel: parents need not repaint
        self.setMinimumSize(240, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Overlay of the moving image on the reference image")
        self.reference: QPixmap | None = None
        self.moving: QPixmap | None = None
        self.matrix: FloatArray | None = None  # moving preview pixels → reference preview pixels
        self.opacity = 0.7
        self.fast = False
        self.message = "The overlay appears once the landmarks can be fitted."
        self.paint_count = 0
        self._scaled_reference: QPixmap | None = None

    def sizeHint(self) -> QSize:
        """Same room as a landmark view."""
        return QSize(420, 340)

    def set_images(self, reference: QPixmap | None, moving: QPixmap | None) -> None:
        """The two previews (the same pixmaps the landmark views show)."""
        if reference is not self.reference:
            self._scaled_reference = None
        self.reference = reference
        self.moving = moving
        self.update()

    def set_matrix(self, matrix: FloatArray | None, message: str = "") -> None:
        """The current fit in preview pixels, or None with a sentence saying why there is none."""
        self.matrix = matrix
        if message:
            self.message = message
        self.update()

    def set_opacity(self, opacity: float) -> None:
        """How opaque the moving image is drawn (0 to 1)."""
        self.opacity = min(max(opacity, 0.0), 1.0)
        self.update()

    def set_fast(self, fast: bool) -> None:
        """Skip smooth filtering (while a landmark is dragged)."""
        if fast != self.fast:
            self.fast = fast
            self.update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """The cached scaled reference no longer fits."""
        self._scaled_reference = None
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        """Reference, then the warped moving image at the chosen opacity."""
        self.paint_count += 1
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().color(self.backgroundRole()).darker(115))
        if self.reference is None:
            self._paint_message(painter, "Choose the reference image.")
            painter.end()
            return
        scale, x0, y0 = fit_geometry(self.reference.size(), self.size())
        if self._scaled_reference is None:
            size = QSize(max(1, round(self.reference.width() * scale)), max(1, round(self.reference.height() * scale)))
            self._scaled_reference = self.reference.scaled(
                size, Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
        painter.drawPixmap(QPointF(x0, y0), self._scaled_reference)
        if self.moving is not None and self.matrix is not None:
            view = QTransform(scale, 0.0, 0.0, scale, x0, y0)
            painter.setClipRect(QRectF(x0, y0, self.reference.width() * scale, self.reference.height() * scale))
            painter.setTransform(qtransform(self.matrix) * view)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, not self.fast)
            painter.setOpacity(self.opacity)
            painter.drawPixmap(0, 0, self.moving)
        elif self.moving is not None:
            painter.setOpacity(1.0)
            self._paint_message(painter, self.message)
        painter.end()

    def _paint_message(self, painter: QPainter, text: str) -> None:
        painter.resetTransform()
        rect = QRectF(self.rect()).adjusted(12, 12, -12, -12)
        painter.setPen(Qt.GlobalColor.black)
        painter.drawText(rect.translated(1, 1), Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignCenter, text)
        painter.setPen(Qt.GlobalColor.white)
        painter.drawText(rect, Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignCenter, text)
