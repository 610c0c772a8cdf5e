"""Click matching landmarks on the moving and the reference image, see the fit and the overlay live.

Two previews side by side (files of the two coordinate systems' components, read in the
background by :class:`~.images.ImageLoader`): a click on one image and a click on the other
make a pair; a landmark can be dragged, nudged with the keyboard or deleted. After every
change the pairs are refitted (rigid, similarity or affine; placed in space with each
image's pixel size, in the reference image's unit), the table shows every pair's residual,
the RMS is shown, and the overlay paints the moving image through the fit onto the
reference. A drag refits on every mouse move but writes the draft only when the button
is released.

When the transform was typed or imported, the fit replaces it only after "Use this fit";
from then on (or for a new transform) the draft follows the landmarks.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from ...domain.correlation_model import AffineTransform, Landmark, LandmarkImage
from ...domain.deposition import FileEntry
from ...domain.landmarks import MatrixError, unit_factor
from .images import ImageLoader, ShownImage
from .landmark_view import LandmarkView
from .overlay import OverlayView
from .pairs import PairList, Side
from .pairs_table import PairsModel, PairsTable
from .slot import TransformSlot
from .transform_build import (
    UNIT_CHOICES,
    Descriptions,
    PixelScale,
    TransformBuildError,
    build_transform,
    describe_landmarks,
    picture_matrix,
    system_unit,
    unit_symbol,
)

MODELS = (("Affine", "affine"), ("Similarity (rotation, uniform scale)", "similarity"), ("Rigid (rotation)", "rigid"))


class ImageSide(QWidget):
    """One image of the pair: which file, its pixel size, and the clickable view."""

    def __init__(
        self, role: Side, title: str, mnemonic_label: str, size_label: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.role = role
        self.file_combo = QComboBox()
        self.file_combo.setAccessibleName(f"{title} file")
        self.file_combo.setMinimumContentsLength(18)
        self.file_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.size_box = QDoubleSpinBox()
        self.size_box.setDecimals(6)
        self.size_box.setRange(1e-6, 1e6)
        self.size_box.setValue(1.0)
        self.size_box.setAccessibleName(f"{title} pixel size")
        self.size_box.setToolTip("The size of one full-resolution pixel; filled in from the file when it says.")
        self.unit_combo = QComboBox()
        for unit in UNIT_CHOICES:
            self.unit_combo.addItem(unit_symbol(unit), unit)
        self.unit_combo.setAccessibleName(f"{title} pixel size unit")
        self.view = LandmarkView("moving" if role == "moving" else "reference")
        self.status = QLabel()
        self.status.setObjectName("helpLabel")
        self.status.setWordWrap(True)
        file_label = QLabel(mnemonic_label)
        file_label.setBuddy(self.file_combo)
        pixel_label = QLabel(size_label)
        pixel_label.setBuddy(self.size_box)
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(file_label, 0, 0)
        grid.addWidget(self.file_combo, 0, 1, 1, 2)
        grid.addWidget(pixel_label, 1, 0)
        grid.addWidget(self.size_box, 1, 1)
        grid.addWidget(self.unit_combo, 1, 2)
        grid.setColumnStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(grid)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.status)
        self.image: ShownImage | None = None
        self.files: list[FileEntry] = []

    def scale(self) -> PixelScale:
        """The pixel size as entered."""
        value = float(self.size_box.value())
        return PixelScale(value, value, str(self.unit_combo.currentData()))

    def current_file(self) -> FileEntry | None:
        """The chosen file entry."""
        index = self.file_combo.currentData()
        return self.files[index] if isinstance(index, int) and 0 <= index < len(self.files) else None

    def set_unit(self, unit: str) -> None:
        """Choose ``unit`` in the unit box (signals blocked)."""
        position = self.unit_combo.findData(unit)
        if position >= 0:
            self.unit_combo.blockSignals(True)
            self.unit_combo.setCurrentIndex(position)
            self.unit_combo.blockSignals(False)


class LandmarkTab(QWidget):
    """Two clickable previews, the pairs table, the fit and the overlay."""

    fit_changed = Signal()

    def __init__(self, loader: ImageLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loader = loader
        self.slot: TransformSlot | None = None
        self.pairs = PairList()
        self.selected = -1
        self.adopted = False  # the draft follows the landmarks (a new transform, or after "Use this fit")
        self._loading = False
        self._pixel_size_from_file = True
        self._deferred = False  # previews to read once the tab is shown
        self.moving = ImageSide("moving", "Moving image", "Moving ima&ge", "Pixel si&ze")
        self.fixed = ImageSide("fixed", "Reference image", "Reference imag&e", "Pixel &size")
        self.model_combo = QComboBox()
        for label, model in MODELS:
            self.model_combo.addItem(label, model)
        self.model_combo.setToolTip(
            "Rigid keeps shape and size, similarity allows one uniform scale, affine any "
            "linear distortion (it needs three pairs in 2-D)."
        )
        # A read-only line edit, not a label: its text changes on every mouse move of a drag, and a label
        # would ask the whole page to lay itself out again (and repaint) each time.
        self.rms_label = QLineEdit("No fit yet.")
        self.rms_label.setReadOnly(True)
        self.rms_label.setFrame(False)
        self.rms_label.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        palette = self.rms_label.palette()  # looks like a label, but opaque, so no parent repaints beneath it
        palette.setColor(palette.ColorRole.Base, palette.color(palette.ColorRole.Window))
        self.rms_label.setPalette(palette)
        self.rms_label.setAccessibleName("Fit and RMS residual")
        self.notes_label = QLabel()
        self.notes_label.setWordWrap(True)
        self.notes_label.setObjectName("helpLabel")
        self.notes_label.hide()
        self.hint = QLabel("Click a feature on the moving image, then the same feature on the reference image.")
        self.hint.setObjectName("helpLabel")
        self.hint.setWordWrap(True)
        self.use_button = QPushButton("&Use this fit")
        self.use_button.setToolTip("Replace the stored transform with this landmark fit.")
        self.use_button.hide()
        self.remove_button = QPushButton("Remove pair")
        self.remove_button.setToolTip("Remove the selected pair (Delete key in a view or the table).")
        self.table_model = PairsModel(self.pairs, self)
        self.table = PairsTable(self.table_model)
        self.overlay = OverlayView()
        self.opacity_slider = QSlider(Qt.Orientation.Horizontal)
        self.opacity_slider.setRange(0, 100)
        self.opacity_slider.setValue(70)
        self.opacity_slider.setAccessibleName("Overlay opacity")
        self.opacity_slider.setToolTip("How opaque the moving image is drawn over the reference.")

        model_label = QLabel("Fit mo&del")
        model_label.setBuddy(self.model_combo)
        pairs_label = QLabel("Landmar&k pairs")
        pairs_label.setBuddy(self.table)
        opacity_label = QLabel("&Opacity")
        opacity_label.setBuddy(self.opacity_slider)

        views = QHBoxLayout()
        views.addWidget(self.moving, 1)
        views.addWidget(self.fixed, 1)
        fit_row = QHBoxLayout()
        fit_row.addWidget(model_label)
        fit_row.addWidget(self.model_combo)
        fit_row.addWidget(self.rms_label, 1)
        fit_row.addWidget(self.use_button)
        left = QVBoxLayout()
        left.addWidget(pairs_label)
        left.addWidget(self.table, 1)
        remove_row = QHBoxLayout()
        remove_row.addWidget(self.remove_button)
        remove_row.addStretch(1)
        left.addLayout(remove_row)
        right = QVBoxLayout()
        right.addWidget(self.overlay, 1)
        opacity_row = QHBoxLayout()
        opacity_row.addWidget(opacity_label)
        opacity_row.addWidget(self.opacity_slider, 1)
        right.addLayout(opacity_row)
        lower = QHBoxLayout()
        lower.addLayout(left, 1)
        lower.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.hint)
        layout.addLayout(views, 3)
        layout.addLayout(fit_row)
        layout.addWidget(self.notes_label)
        layout.addLayout(lower, 2)

        for side in (self.moving, self.fixed):
            side.file_combo.currentIndexChanged.connect(lambda _i, side=side: self._on_file_chosen(side))
            side.size_box.valueChanged.connect(lambda _v: self._on_scale_changed())
            side.unit_combo.currentIndexChanged.connect(lambda _i: self._on_scale_changed())
            side.view.point_placed.connect(lambda x, y, side=side: self.place(side.role, x, y))
            side.view.point_dragged.connect(lambda i, x, y, side=side: self.drag(side.role, i, x, y))
            side.view.drag_finished.connect(self._on_view_drag_finished)
            side.view.point_selected.connect(self.select)
            side.view.remove_requested.connect(self.remove)
            side.view.cancel_requested.connect(self._on_view_cancel_requested)
        self.model_combo.currentIndexChanged.connect(lambda _i: self._on_scale_changed())
        self.table.remove_requested.connect(self.remove)
        self.table.row_selected.connect(self.select)
        self.remove_button.clicked.connect(lambda: self.remove(self.selected))
        self.opacity_slider.valueChanged.connect(lambda value: self.overlay.set_opacity(value / 100))
        self.use_button.clicked.connect(self.use_fit)
        loader.loaded.connect(self._on_loader_loaded)
        loader.failed.connect(self._on_loader_failed)

    # ------------------------------------------------------------ binding

    def bind(self, slot: TransformSlot) -> None:
        """Work on ``slot``: offer the two systems' files and load the stored landmarks, if any."""
        self.slot = slot
        self._loading = True
        transform = slot.transform()
        stored = transform is not None and transform.method == "landmarks"
        self.adopted = transform is None or stored
        if stored and transform is not None:
            complete = [lm for lm in transform.landmarks if len(lm.moving) == 2 and len(lm.fixed) == 2]
            self.pairs.set_pairs(
                [lm.name for lm in complete],
                [[float("nan") if v is None else v for v in lm.moving] for lm in complete],
                [[float("nan") if v is None else v for v in lm.fixed] for lm in complete],
            )
            self.model_combo.setCurrentIndex(max(0, self.model_combo.findData(transform.fit_model or "affine")))
        elif not self.adopted:
            self.pairs.set_pairs([], [], [])
        self._fill_side(self.moving, slot.input, transform.moving_image if stored and transform else None)
        self._fill_side(self.fixed, slot.output, transform.reference_image if stored and transform else None)
        self._loading = False
        self.selected = -1
        self.table_model.reset(self.fixed.scale().unit)
        self._refresh_views()
        self._refit()
        self._update_use_button()

    def _fill_side(self, side: ImageSide, system_name: str, stored: LandmarkImage | None) -> None:
        assert self.slot is not None
        side.files = self.slot.files_of(system_name)
        system = self.slot.system(system_name)
        side.file_combo.blockSignals(True)
        side.file_combo.clear()
        for index, entry in enumerate(side.files):
            side.file_combo.addItem(entry.path, index)
        wanted = stored.path if stored is not None else ""
        position = next((i for i, e in enumerate(side.files) if e.path == wanted), 0)
        side.file_combo.setCurrentIndex(position if side.files else -1)
        side.file_combo.setEnabled(bool(side.files))
        side.file_combo.blockSignals(False)
        unit = stored.unit if stored is not None and stored.unit else (system_unit(system) if system else "")
        side.set_unit(unit or "micrometer")
        if stored is not None and stored.pixel_size_x:
            side.size_box.blockSignals(True)
            side.size_box.setValue(stored.pixel_size_x)
            side.size_box.blockSignals(False)
        if system is None:
            side.view.set_image(None, message="Choose the coordinate system first.")
        elif not side.files:
            side.view.set_image(
                None,
                message=(
                    f"'{system_name}' has no image files in this draft (public data, or files not added yet): import a "
                    "landmark file or type the matrix instead."
                ),
            )
        self._show_file(side, pixel_size_from_file=stored is None)

    def _show_file(self, side: ImageSide, *, pixel_size_from_file: bool = True) -> None:
        entry = side.current_file()
        side.image = None
        self._pixel_size_from_file = pixel_size_from_file
        if entry is None:
            self._sync_overlay_images()
            return
        # previews are read only when the tab is on screen (or already cached): no decoding for nothing
        shown = self.loader.cached(entry.source)
        if shown is None and self.isVisible():
            shown = self.loader.request(entry.source)
        elif shown is None:
            self._deferred = True
        if shown is None:
            side.view.set_image(None, message=f"Reading {entry.path}…")
            side.status.setText("")
        else:
            self._apply_image(side, shown, pixel_size_from_file)
        self._sync_overlay_images()

    def showEvent(self, event: QShowEvent) -> None:
        """Read the previews that were not needed while the tab was hidden."""
        super().showEvent(event)
        if self._deferred:
            self._deferred = False
            for side in (self.moving, self.fixed):
                if side.image is None:
                    self._show_file(side, pixel_size_from_file=self._pixel_size_from_file)
            self._refit()

    def _on_file_chosen(self, side: ImageSide) -> None:
        if self._loading:
            return
        self._show_file(side)
        self._refit()
        self._write()

    def _on_loader_loaded(self, source: str, shown: ShownImage) -> None:
        for side in (self.moving, self.fixed):
            entry = side.current_file()
            if entry is not None and entry.source == source:
                self._apply_image(side, shown, self._pixel_size_from_file)
        self._sync_overlay_images()
        self._refit()

    def _on_loader_failed(self, source: str, message: str) -> None:
        for side in (self.moving, self.fixed):
            entry = side.current_file()
            if entry is not None and entry.source == source:
                side.image = None
                side.view.set_image(None, message=message)
                side.status.setText("")
        self._sync_overlay_images()

    def _apply_image(self, side: ImageSide, shown: ShownImage, pixel_size_from_file: bool) -> None:
        side.image = shown
        side.view.set_image(shown.pixmap, (shown.width, shown.height))
        size = shown.pixel_size
        facts = f"{shown.width} × {shown.height} pixels"
        if size is not None and size.x:
            facts += f", pixel size {size.x:.4g} µm ({size.source or 'from the file'})"
            if pixel_size_from_file:
                unit = str(side.unit_combo.currentData())
                side.size_box.blockSignals(True)
                side.size_box.setValue(size.x * unit_factor("micrometer", unit))
                side.size_box.blockSignals(False)
        else:
            facts += "; the file does not state its pixel size: enter it"
        side.status.setText(facts + ". " + " ".join(shown.notes))
        self._refresh_views()

    def _sync_overlay_images(self) -> None:
        self.overlay.set_images(
            self.fixed.image.pixmap if self.fixed.image else None,
            (self.moving.image.overlay or self.moving.image.pixmap) if self.moving.image else None,
        )

    # ------------------------------------------------------------ editing

    def place(self, side: Side, x: float, y: float) -> None:
        """A click on an empty spot of one image: start a pair or complete the pending one."""
        index = self.pairs.place(side, x, y)
        self.selected = index
        self.table_model.reset(self.fixed.scale().unit)
        self._refresh_views()
        self._refit()
        self.table.select_row(index)
        if not self.pairs.is_pending(index):
            self._write()
        other = "reference" if side == "moving" else "moving"
        self.hint.setText(
            f"Now click the same feature on the {other} image."
            if self.pairs.is_pending(index)
            else "Pair placed. Click the next feature, or drag a landmark to correct it."
        )

    def drag(self, side: Side, index: int, x: float, y: float) -> None:
        """A landmark is being dragged: move it and refit (the draft is written on release)."""
        if not 0 <= index < len(self.pairs):
            return
        self.pairs.move(side, index, x, y)
        self.overlay.set_fast(True)
        self._refit()
        self.table_model.row_moved(index)
        (self.moving if side == "moving" else self.fixed).view.update()

    def _on_view_drag_finished(self, _index: int) -> None:
        self.overlay.set_fast(False)
        self._write()

    def select(self, index: int) -> None:
        """Select pair ``index`` in both views and the table."""
        self.selected = index
        self.table.select_row(index)
        self._refresh_views()

    def remove(self, index: int) -> None:
        """Delete pair ``index``."""
        if not 0 <= index < len(self.pairs):
            return
        self.pairs.remove(index)
        self.selected = min(index, len(self.pairs) - 1)
        self._refit()
        self.table_model.reset()
        self._refresh_views()
        self.table.select_row(self.selected)
        self._write()

    def _on_view_cancel_requested(self) -> None:
        pending = self.pairs.pending()
        if pending is not None:
            self.remove(pending)

    def _on_scale_changed(self) -> None:
        if self._loading:
            return
        self.table_model.reset(self.fixed.scale().unit)
        self._refit()
        self._write()

    def _refresh_views(self) -> None:
        pending = self.pairs.pending()
        for side in (self.moving, self.fixed):
            side.view.set_points(
                self.pairs.points(side.role), self.pairs.names, self.selected, -1 if pending is None else pending
            )
        self.remove_button.setEnabled(0 <= self.selected < len(self.pairs))

    # ------------------------------------------------------------ fitting

    def model(self) -> str:
        """The chosen fit model."""
        return str(self.model_combo.currentData())

    def _refit(self) -> None:
        moving_scale, reference_scale = self.moving.scale(), self.fixed.scale()
        try:
            fit = self.pairs.refit(self.model(), moving_scale, reference_scale)
        except MatrixError as error:  # a unit that is not a length cannot happen from the combo; still say so
            fit = None
            self.pairs.fit_error = error.message
        self.table_model.residuals_changed()
        unit = unit_symbol(reference_scale.unit)
        if fit is None:
            self.rms_label.setText(self.pairs.fit_error or "No fit yet.")
            self.rms_label.setCursorPosition(0)
            self.set_note("")
            self.overlay.set_matrix(None, self.pairs.fit_error)
        else:
            self.rms_label.setText(
                f"{fit.model.capitalize()} fit of {fit.n_pairs} pairs: RMS residual {fit.rms:.3g} {unit}, "
                f"largest {fit.max_residual:.3g} {unit}."
            )
            self.rms_label.setCursorPosition(0)
            self.set_note(" ".join(fit.notes))
            if self.moving.image is not None and self.fixed.image is not None:
                self.overlay.set_matrix(
                    picture_matrix(
                        fit.matrix,
                        moving_scale=moving_scale,
                        reference_scale=reference_scale,
                        unit=reference_scale.unit,
                        moving_pixels_per_picture=self.moving.image.pixels_per_picture,
                        reference_pixels_per_picture=self.fixed.image.pixels_per_picture,
                    )
                )
        self.fit_changed.emit()

    def set_note(self, text: str) -> None:
        """Show a sentence about the fit under it (only touched when it changes: a new text relays the page)."""
        if text != self.notes_label.text():
            self.notes_label.setText(text)
            self.notes_label.setVisible(bool(text))

    def _update_use_button(self) -> None:
        self.use_button.setVisible(not self.adopted)
        self.use_button.setEnabled(self.pairs.fit is not None)

    def use_fit(self) -> bool:
        """Let the landmark fit replace the stored transform from now on."""
        self.adopted = True
        written = self._write()
        self._update_use_button()
        return written

    def _write(self) -> bool:
        """Store the landmarks (and the fit, when there is one) in the draft, if the draft follows them."""
        self._update_use_button()
        if self.slot is None or not self.adopted or self._loading:
            return False
        moving_entry, fixed_entry = self.moving.current_file(), self.fixed.current_file()
        rows = self.pairs.complete()
        landmarks = [
            Landmark(
                name=self.pairs.names[i],
                moving=[float(v) for v in self.pairs.moving[i]],
                fixed=[float(v) for v in self.pairs.fixed[i]],
            )
            for i in rows
        ]
        moving_scale, reference_scale = self.moving.scale(), self.fixed.scale()
        extra = {
            "method": "landmarks",
            "fit_model": self.model(),
            "landmarks": landmarks,
            "moving_image": _image(moving_entry, moving_scale),
            "reference_image": _image(fixed_entry, reference_scale),
        }
        fit = self.pairs.fit
        try:
            target = self.slot.target()
        except TransformBuildError as error:
            self.set_note(error.message)
            return False
        if fit is None:
            if not landmarks and self.slot.transform() is None:
                return False  # nothing worth a transform yet
            current = self.slot.transform()
            base = current.model_copy(update={"matrix": [], "name": ""}) if current is not None else None
            if base is None:
                base = AffineTransform(input=target.input, output=target.output)
            self.slot.write(
                base.model_copy(update={**extra, "input": target.input, "output": target.output}),
                Descriptions("", "", ""),
            )
            return True
        try:
            transform, lifted = build_transform(
                fit.matrix,
                axis_order="xy",
                moving_unit=reference_scale.unit,
                fixed_unit=reference_scale.unit,
                target=target,
            )
        except (TransformBuildError, MatrixError) as error:
            self.set_note(error.message)
            return False
        descriptions = describe_landmarks(
            fit,
            unit=reference_scale.unit,
            moving_file=_file_name(moving_entry),
            reference_file=_file_name(fixed_entry),
            target=target,
            lifted=lifted,
        )
        self.slot.write(transform.model_copy(update={**extra, "name": descriptions.alignment}), descriptions)
        return True


def _image(entry: FileEntry | None, scale: PixelScale) -> LandmarkImage | None:
    if entry is None:
        return None
    return LandmarkImage(path=entry.path, pixel_size_x=scale.x, pixel_size_y=scale.y, unit=scale.unit)


def _file_name(entry: FileEntry | None) -> str:
    return (entry.deposit_path or entry.path).rsplit("/", 1)[-1] if entry is not None else "(no file)"
