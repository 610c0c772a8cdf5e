"""A combo box that chooses one study component, shared by the pages that work per component.

It stores each item's index in the deposition's component list, so a page can
show only some components (EMPIAR ones, say) and still know which one is meant,
and a refresh keeps the same component chosen when others are added or renamed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtWidgets import QComboBox, QWidget

from ..domain.deposition import StudyComponent


def _default_label(index: int, component: StudyComponent) -> str:
    return f"{component.name or f'Component {index + 1}'}  →  {component.archive}"


class ComponentCombo(QComboBox):
    """Lists study components; :meth:`component_index` is the chosen one's index in the deposition."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Study component")

    def fill(
        self,
        components: Sequence[StudyComponent],
        include: Callable[[StudyComponent], bool] = lambda _component: True,
        label: Callable[[int, StudyComponent], str] = _default_label,
    ) -> None:
        """Offer the components ``include`` accepts; keep the previous choice when it is still offered.

        Emits ``currentIndexChanged`` once at the end, so the page shows the chosen component.
        """
        previous = self.component_index()
        self.blockSignals(True)
        self.clear()
        for index, component in enumerate(components):
            if include(component):
                self.addItem(label(index, component), index)
        position = self.findData(previous) if previous is not None else -1
        self.setCurrentIndex(position if position >= 0 else (0 if self.count() else -1))
        self.blockSignals(False)
        self.currentIndexChanged.emit(self.currentIndex())

    def component_index(self) -> int | None:
        """The chosen component's index in the deposition's list, or None."""
        data = self.currentData()
        return data if isinstance(data, int) else None

    def select_component(self, index: int) -> None:
        """Choose the component at ``index`` of the deposition, if it is offered."""
        position = self.findData(index)
        if position >= 0:
            self.setCurrentIndex(position)
