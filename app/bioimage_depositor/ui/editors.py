"""Field editors used by form-built pages, one per kind of value in the model.

Each editor shows a value, emits ``edited`` when the user changes it, and
returns the new value from :meth:`value`; :class:`~.form_view.FormView` writes
it into the model. Lists are edited as small tables with add, remove and
reorder buttons and full keyboard use (Insert adds, Delete removes,
Ctrl+Up/Down move).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QDoubleValidator, QIntValidator, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..domain import ols, vocab
from ..domain.rembi import OntologyTerm
from .background import run_in_background


class Editor(QWidget):
    """Base of composite editors: a value in, ``edited`` out."""

    edited = Signal()

    def value(self) -> object:
        """The value as the model stores it."""
        raise NotImplementedError

    def set_value(self, value: object) -> None:
        """Show ``value`` without emitting ``edited``."""
        raise NotImplementedError

    def focus_target(self) -> QWidget:
        """The widget that takes focus when the Review page jumps here."""
        return self


class LineEditor(Editor):
    """One line of text."""

    def __init__(self, placeholder: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText(placeholder)
        self.edit.setMaxLength(20_000)
        self.edit.textEdited.connect(lambda _text: self.edited.emit())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        self.setFocusProxy(self.edit)

    def value(self) -> str:
        return self.edit.text()

    def set_value(self, value: object) -> None:
        self.edit.setText("" if value is None else str(value))

    def raw_text(self) -> str:
        """The text exactly as typed (before the model cleans it)."""
        return self.edit.text()


class TextEditor(Editor):
    """Several lines of text; Tab moves focus instead of inserting a tab."""

    def __init__(self, placeholder: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QPlainTextEdit(self)
        self.edit.setPlaceholderText(placeholder)
        self.edit.setTabChangesFocus(True)
        self.edit.setMinimumHeight(64)
        self.edit.setMaximumHeight(130)
        self._loading = False
        self.edit.textChanged.connect(self._on_edit_text_changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        self.setFocusProxy(self.edit)

    def _on_edit_text_changed(self) -> None:
        if not self._loading:
            self.edited.emit()

    def value(self) -> str:
        return self.edit.toPlainText()

    def set_value(self, value: object) -> None:
        self._loading = True
        self.edit.setPlainText("" if value is None else str(value))
        self._loading = False

    def raw_text(self) -> str:
        """The text exactly as typed."""
        return self.edit.toPlainText()


class NumberEditor(Editor):
    """An optional integer or decimal number; empty means unknown."""

    def __init__(self, kind: type, placeholder: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText(placeholder)
        if kind is int:
            self.edit.setValidator(QIntValidator(0, 2_000_000_000, self.edit))
        else:
            validator = QDoubleValidator(0.0, 1e12, 6, self.edit)
            validator.setNotation(QDoubleValidator.Notation.StandardNotation)
            self.edit.setValidator(validator)
        self.edit.textEdited.connect(lambda _text: self.edited.emit())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        self.edit.setMaximumWidth(220)
        self.setFocusProxy(self.edit)

    def value(self) -> int | float | None:
        text = self.edit.text().strip().replace(",", ".")
        if not text:
            return None
        try:
            return self.kind(float(text)) if self.kind is int else float(text)
        except ValueError:
            return None

    def set_value(self, value: object) -> None:
        self.edit.setText("" if value is None else f"{value}")


class ChoiceEditor(Editor):
    """A fixed list of options; the first entry means "not chosen yet"."""

    def __init__(self, options: list[tuple[object, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = QComboBox(self)
        self.combo.addItem("Choose…", None)
        for value, label in options:
            self.combo.addItem(label if str(value) == label else f"{label}", value)
        self._loading = False
        self.combo.currentIndexChanged.connect(self._on_combo_changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo)
        self.setFocusProxy(self.combo)

    def _on_combo_changed(self, _index: int) -> None:
        if not self._loading:
            self.edited.emit()

    def value(self) -> object:
        data = self.combo.currentData()
        return data

    def set_value(self, value: object) -> None:
        self._loading = True
        index = self.combo.findData(value) if value not in (None, "") else 0
        if index < 0:  # a value the list does not offer: keep it visible rather than lose it
            self.combo.addItem(f"{value} (not in the list)", value)
            index = self.combo.count() - 1
        self.combo.setCurrentIndex(index)
        self._loading = False


class MultiChoiceEditor(Editor):
    """Several options, each a check box."""

    def __init__(self, options: list[tuple[object, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self.boxes: list[tuple[object, QCheckBox]] = []
        for index, (value, label) in enumerate(options):
            box = QCheckBox(label, self)
            box.toggled.connect(self._on_box_toggled)
            grid.addWidget(box, index // 3, index % 3)
            self.boxes.append((value, box))
        self._loading = False
        if self.boxes:
            self.setFocusProxy(self.boxes[0][1])

    def _on_box_toggled(self, _checked: bool) -> None:
        if not self._loading:
            self.edited.emit()

    def value(self) -> list[object]:
        return [value for value, box in self.boxes if box.isChecked()]

    def set_value(self, value: object) -> None:
        chosen = set(value) if isinstance(value, list | tuple | set) else set()
        self._loading = True
        for option, box in self.boxes:
            box.setChecked(option in chosen)
        self._loading = False


class _ListButtons(QWidget):
    """Add / remove / up / down buttons shared by the list editors."""

    def __init__(self, noun: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.add = QPushButton(f"Add {noun}", self)
        self.remove = QPushButton("Remove", self)
        self.up = QPushButton("Up", self)
        self.down = QPushButton("Down", self)
        self.up.setToolTip("Move up (Ctrl+Up)")
        self.down.setToolTip("Move down (Ctrl+Down)")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for button in (self.add, self.remove, self.up, self.down):
            row.addWidget(button)
        row.addStretch(1)


class StringListEditor(Editor):
    """A list of short texts (keywords, variables), one per row, editable in place.

    The line below the list adds entries quickly: type or paste them separated
    by commas or semicolons and press Enter; each becomes a row.
    """

    def __init__(self, noun: str = "item", placeholder: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget(self)
        self.list.setMaximumHeight(96)
        self.list.setAccessibleName(f"{noun}s")
        self.list.itemChanged.connect(self._on_list_item_changed)
        self.entry = QLineEdit(self)
        self.entry.setPlaceholderText(f"Type {noun}s separated by commas and press Enter, e.g. {placeholder}")
        self.entry.setAccessibleName(f"Add {noun}s")
        self.entry.installEventFilter(self)
        self.buttons = _ListButtons(noun, self)
        self.buttons.add.clicked.connect(self._on_add_button_clicked)
        self.buttons.remove.clicked.connect(self.remove_current)
        self.buttons.up.clicked.connect(lambda: self.move_current(-1))
        self.buttons.down.clicked.connect(lambda: self.move_current(1))
        _list_shortcuts(self.list, self.entry.setFocus, self.remove_current, self.move_current)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addWidget(self.entry)
        layout.addWidget(self.buttons)
        self._loading = False
        self.setFocusProxy(self.entry)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Enter in the quick-add line adds its entries and goes no further (it must not press Next)."""
        if (
            watched is self.entry
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self.add_entries(self.entry.text())
            return True
        return super().eventFilter(watched, event)

    def _new_item(self, text: str) -> QListWidgetItem:
        item = QListWidgetItem(text)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        return item

    def add_entries(self, text: str) -> None:
        """Append every comma- or semicolon-separated entry of ``text`` as a row."""
        parts = [part.strip() for part in text.replace(";", ",").replace("\n", ",").split(",")]
        parts = [part for part in parts if part]
        if not parts:
            return
        self._loading = True
        for part in parts:
            self.list.addItem(self._new_item(part))
        self._loading = False
        self.entry.clear()
        self.edited.emit()

    def _on_add_button_clicked(self) -> None:
        if self.entry.text().strip():
            self.add_entries(self.entry.text())
        else:
            self.entry.setFocus()

    def remove_current(self) -> None:
        """Remove the selected row."""
        row = self.list.currentRow()
        if row >= 0:
            self.list.takeItem(row)
            self.edited.emit()

    def move_current(self, step: int) -> None:
        """Move the selected row up or down."""
        row = self.list.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.list.count():
            return
        item = self.list.takeItem(row)
        self.list.insertItem(target, item)
        self.list.setCurrentRow(target)
        self.edited.emit()

    def _on_list_item_changed(self, item: QListWidgetItem) -> None:
        if self._loading:
            return
        if "," in item.text() or ";" in item.text():  # a pasted list becomes several rows
            row = self.list.row(item)
            parts = [p.strip() for p in item.text().replace(";", ",").split(",") if p.strip()]
            self._loading = True
            item.setText(parts[0] if parts else "")
            for offset, part in enumerate(parts[1:], start=1):
                self.list.insertItem(row + offset, self._new_item(part))
            self._loading = False
        self.edited.emit()

    def value(self) -> list[str]:
        texts = (self.list.item(i).text() for i in range(self.list.count()))
        return [text for text in texts if text.strip()]

    def set_value(self, value: object) -> None:
        self._loading = True
        self.list.clear()
        for text in value if isinstance(value, list) else []:
            self.list.addItem(self._new_item(str(text)))
        self._loading = False


def _list_shortcuts(
    widget: QWidget, add: Callable[[], None], remove: Callable[[], None], move: Callable[[int], None]
) -> None:
    """Keyboard use of a list: Insert adds, Delete removes, Ctrl+Up/Down reorder."""
    for keys, action in (
        ("Insert", add),
        ("Delete", remove),
        ("Ctrl+Up", lambda: move(-1)),
        ("Ctrl+Down", lambda: move(1)),
    ):
        shortcut = QShortcut(QKeySequence(keys), widget)
        shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
        shortcut.activated.connect(action)


class TermListEditor(Editor):
    """Terms from a bundled vocabulary, picked by type-ahead; free text is kept but marked.

    Typing shows matching terms with their ids; Enter or a click on a suggestion
    adds the term. Text that matches no term exactly is added as free text and
    marked "not a term", which the rules report, so nothing typed is lost.
    """

    def __init__(self, vocabulary: str, noun: str, placeholder: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vocabulary_name = vocabulary
        self.list = QListWidget(self)
        self.list.setMaximumHeight(80)
        self.list.setAccessibleName(f"Chosen {noun}s")
        self.input = QLineEdit(self)
        article = "an" if noun[:1] in "aeiou" else "a"
        self.input.setPlaceholderText(f"Type to find {article} {noun}, e.g. {placeholder}" if placeholder else "")
        self.input.setAccessibleName(f"Find {noun}")
        self._suggestions = QStringListModel(self)
        self._suggested: dict[str, vocab.Term] = {}
        self.completer = QCompleter(self._suggestions, self)
        self.completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setMaxVisibleItems(12)
        self.input.setCompleter(self.completer)
        self.input.textEdited.connect(self._on_input_text_edited)
        self.completer.activated.connect(self._on_completer_activated)
        self.input.installEventFilter(self)
        # online lookup (organisms only; FBbi imaging methods are bundled in full)
        self._online_timer = QTimer(self, singleShot=True, interval=400)
        self._online_timer.timeout.connect(self._on_online_timer_timeout)
        self._online_generation = 0
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.clicked.connect(self.remove_current)
        _list_shortcuts(self.list, self.input.setFocus, self.remove_current, lambda _step: None)
        self.note = QLabel(self)
        self.note.setObjectName("helpLabel")
        row = QHBoxLayout()
        row.addWidget(self.input, 1)
        row.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addLayout(row)
        layout.addWidget(self.note)
        self.terms: list[OntologyTerm] = []
        self.setFocusProxy(self.input)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Enter in the finder adds the typed term and is not passed on (it must not press Next)."""
        if (
            watched is self.input
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and not self._popup_visible()
        ):
            self._on_input_return_pressed()
            return True
        return super().eventFilter(watched, event)

    def _popup_visible(self) -> bool:
        popup = self.completer.popup()
        return popup is not None and popup.isVisible()

    def _vocabulary(self) -> vocab.Vocabulary:
        return vocab.organisms() if self.vocabulary_name == "organisms" else vocab.imaging_methods()

    @staticmethod
    def _display(term: vocab.Term) -> str:
        return f"{term.display}  —  {term.id}"

    def _on_input_text_edited(self, text: str) -> None:
        matches = self._vocabulary().search(text, limit=15) if len(text.strip()) >= 2 else []
        self._suggested = {self._display(term): term for term in matches}
        self._suggestions.setStringList(list(self._suggested))
        self._online_generation += 1
        if self.vocabulary_name == "organisms" and ols.online_lookup_enabled() and len(text.strip()) >= 3:
            self._online_timer.start()

    def _on_online_timer_timeout(self) -> None:
        generation = self._online_generation
        text = self.input.text()
        run_in_background(
            lambda: ols.search_organisms(text),
            lambda terms: self._on_online_results(generation, terms),
            lambda _error: None,  # offline or refused: the bundled list is what the user gets
        )

    def _on_online_results(self, generation: int, terms: list[vocab.Term]) -> None:
        if generation != self._online_generation:
            return  # the user kept typing; a newer lookup is on its way
        known = {term.id for term in self._suggested.values()}
        added = False
        for term in terms:
            if term.id not in known:
                self._suggested[f"{term.label}  —  {term.id}  (online, OLS)"] = term
                added = True
        if added:
            self._suggestions.setStringList(list(self._suggested))
            if self.input.hasFocus():
                self.completer.complete()

    def _on_completer_activated(self, text: str) -> None:
        term = self._suggested.get(text)
        if term is not None:
            self._add(OntologyTerm(id=term.id, label=term.label))

    def _on_input_return_pressed(self) -> None:
        text = self.input.text().strip()
        if not text or text in self._suggested:
            return  # the completer's own activation adds picked suggestions
        term = self._vocabulary().find_label(text) or self._vocabulary().get(text)
        self._add(OntologyTerm(id=term.id, label=term.label) if term else OntologyTerm(label=text))

    def _add(self, term: OntologyTerm) -> None:
        if any(existing.id == term.id and existing.label == term.label for existing in self.terms):
            self.input.clear()
            return
        self.terms.append(term)
        self._refresh()
        self.input.clear()
        self.edited.emit()

    def remove_current(self) -> None:
        """Remove the selected term."""
        row = self.list.currentRow()
        if 0 <= row < len(self.terms):
            del self.terms[row]
            self._refresh()
            self.edited.emit()

    def _refresh(self) -> None:
        self.list.clear()
        free = 0
        for term in self.terms:
            if term.is_term:
                known = self._vocabulary().get(term.id)
                label = known.display if known else term.label
                self.list.addItem(f"{label}  —  {term.id}")
            else:
                free += 1
                self.list.addItem(f"⚠ {term.label}  —  not a term (free text)")
        self.note.setText(
            "Free text cannot be linked by the archive; pick a term from the suggestions." if free else ""
        )
        self.note.setVisible(bool(free))

    def value(self) -> list[OntologyTerm]:
        return [term.model_copy() for term in self.terms]

    def set_value(self, value: object) -> None:
        self.terms = [t.model_copy() for t in value] if isinstance(value, list) else []
        self._refresh()


class RefsEditor(Editor):
    """Links to other objects by id: tick existing ones to reuse them, or create a new one."""

    new_requested = Signal()

    def __init__(self, noun: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.noun = noun
        self.list = QListWidget(self)
        self.list.setMaximumHeight(96)
        self.list.setAccessibleName(f"{noun}s used")
        self.list.itemChanged.connect(self._on_list_item_changed)
        self.new_button = QPushButton(f"New {noun}…", self)
        self.new_button.clicked.connect(self.new_requested)
        self.empty_note = QLabel(f"No {noun} described yet.", self)
        self.empty_note.setObjectName("helpLabel")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        bottom = QHBoxLayout()
        bottom.addWidget(self.empty_note, 1)
        bottom.addWidget(self.new_button)
        layout.addLayout(bottom)
        self._loading = False
        self._options: list[tuple[str, str]] = []
        self._chosen: list[str] = []
        self.setFocusProxy(self.list)

    def set_options(self, options: list[tuple[str, str]]) -> None:
        """The objects that can be linked, as (id, title)."""
        self._options = options
        self._rebuild()

    def _rebuild(self) -> None:
        self._loading = True
        self.list.clear()
        known = {object_id for object_id, _ in self._options}
        for object_id, title in self._options:
            item = QListWidgetItem(title or f"(untitled {self.noun})")
            item.setData(Qt.ItemDataRole.UserRole, object_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if object_id in self._chosen else Qt.CheckState.Unchecked)
            self.list.addItem(item)
        for missing in (ref for ref in self._chosen if ref not in known):
            item = QListWidgetItem(f"⚠ missing {self.noun} ({missing})")
            item.setData(Qt.ItemDataRole.UserRole, missing)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.list.addItem(item)
        self.empty_note.setVisible(not self._options)
        self.list.setVisible(bool(self._options) or bool(self._chosen))
        self._loading = False

    def _on_list_item_changed(self, _item: QListWidgetItem) -> None:
        if self._loading:
            return
        self._chosen = [
            self.list.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.list.count())
            if self.list.item(i).checkState() == Qt.CheckState.Checked
        ]
        self.edited.emit()

    def value(self) -> list[str]:
        return list(self._chosen)

    def set_value(self, value: object) -> None:
        self._chosen = [str(v) for v in value] if isinstance(value, list) else []
        self._rebuild()
