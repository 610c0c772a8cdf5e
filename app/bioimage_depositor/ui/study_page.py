"""The Study page: title, description, keywords, licence, release date and contributors.

Edits go straight into ``session.deposition.study``; the model cleans pasted
text (invisible characters, stray spaces) and normalises identifiers, and the
rules' problems are shown under each field. A field's problems appear once the
user has edited it or when it already holds a value, so a new draft does not
open as a wall of red.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from ..domain import vocab
from ..domain.problems import Problem
from ..domain.rembi import Affiliation, Funding, Publication, RelatedAccession, RelatedLink
from ..domain.text import invisible_characters
from .contributors_table import ContributorsTable
from .draft_session import DraftSession
from .editors import StringListEditor
from .field_widgets import FieldBlock
from .form_spec import load_form
from .model_table import Column, ModelTable
from .page_base import WizardPage

#: The Study page's list fields edited as tables: columns, factory, noun for the Add button.
TABLES: dict[str, tuple[list[Column], type, str]] = {
    "affiliations": (
        [
            Column("name", "Name"),
            Column("address", "Address"),
            Column("country", "Country", tooltip="Two letters, e.g. GB"),
            Column("ror", "ROR id", tooltip="e.g. https://ror.org/02catss52"),
        ],
        Affiliation,
        "organisation",
    ),
    "funding": ([Column("funder", "Funder"), Column("grant_id", "Grant id")], Funding, "funder"),
    "publications": (
        [
            Column("title", "Title"),
            Column("authors", "Authors"),
            Column("doi", "DOI"),
            Column("pubmed_id", "PubMed id"),
            Column("year", "Year", "int"),
            Column("preprint", "Preprint", "bool"),
        ],
        Publication,
        "publication",
    ),
    "links": ([Column("url", "Address (URL)"), Column("description", "Description")], RelatedLink, "link"),
    "related_accessions": (
        [Column("accession", "Accession"), Column("description", "How it relates")],
        RelatedAccession,
        "entry",
    ),
}

_NOT_SET = QDate(2000, 1, 1)


class StudyPage(WizardPage):
    """Edits the Study module of the deposition."""

    key = "study"
    sections = ("study",)

    def __init__(self, parent: QWidget | None = None) -> None:
        form = load_form("study")
        super().__init__(form.title, form.subtitle, form.rembi_url, parent)
        self.form = form
        self._touched: set[str] = set()
        self._loading = False
        self._last_problems: list[Problem] = []

        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText(form.field("title").example)
        self.title_edit.setMaxLength(2000)
        self.title_edit.textEdited.connect(lambda text: self._on_text_edited("title", text))

        self.description_edit = QPlainTextEdit()
        self.description_edit.setPlaceholderText(form.field("description").example)
        self.description_edit.setTabChangesFocus(True)
        self.description_edit.setMinimumHeight(90)
        self.description_edit.setMaximumHeight(170)
        self.description_edit.textChanged.connect(self._on_description_edit_text_changed)

        self.keywords_edit = StringListEditor("keyword", form.field("keywords").example)
        self.keywords_edit.edited.connect(self._on_keywords_edit_edited)

        self.licence_combo = QComboBox()
        self.licence_combo.addItem("Choose a licence…", "")
        descriptions = {"CC0": "no conditions, like the public domain", "CC BY 4.0": "reusers must credit you"}
        for term in vocab.web_form_licences():
            self.licence_combo.addItem(f"{term.id} — {descriptions.get(term.id, term.label)}", term.id)
        self.licence_combo.currentIndexChanged.connect(self._on_licence_combo_changed)

        self.release_edit = QDateEdit()
        self.release_edit.setCalendarPopup(True)
        self.release_edit.setMinimumDate(_NOT_SET)
        self.release_edit.setSpecialValueText("Not set")
        self.release_edit.setDisplayFormat("yyyy-MM-dd")
        self.release_edit.dateChanged.connect(self._on_release_edit_date_changed)

        self.contributors = ContributorsTable()
        self.contributors.edited.connect(self._on_contributors_edited)
        self.tables: dict[str, ModelTable] = {}
        for key, (columns, factory, noun) in TABLES.items():
            table = ModelTable(columns, factory, noun)
            table.edited.connect(lambda key=key: self._on_table_edited(key))
            self.tables[key] = table
        self.acknowledgements_edit = QPlainTextEdit()
        self.acknowledgements_edit.setTabChangesFocus(True)
        self.acknowledgements_edit.setMaximumHeight(90)
        self.acknowledgements_edit.textChanged.connect(self._on_acknowledgements_edit_text_changed)

        editors: dict[str, QWidget] = {
            "title": self.title_edit,
            "description": self.description_edit,
            "keywords": self.keywords_edit,
            "licence": self.licence_combo,
            "release_date": self.release_edit,
            "contributors": self.contributors,
            **self.tables,
            "acknowledgements": self.acknowledgements_edit,
        }
        layout = QFormLayout()
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.blocks: dict[str, FieldBlock] = {}
        for spec in form.fields:
            block = FieldBlock(spec, editors[spec.key])
            label = QLabel(spec.label + (" *" if spec.required else ""))
            editor = editors[spec.key]
            label.setBuddy(editor.table if isinstance(editor, ModelTable) else editor)
            layout.addRow(label, block)
            self.blocks[spec.key] = block
        self.body_layout.addLayout(layout)
        self.body_layout.addStretch(1)
        self.cleaned_note = QLabel()
        self.cleaned_note.setObjectName("helpLabel")
        self.cleaned_note.setWordWrap(True)
        self.cleaned_note.hide()
        self.body_layout.insertWidget(0, self.cleaned_note)

    # ------------------------------------------------------------ load

    def load(self, session: DraftSession) -> None:
        """Show the session's study."""
        super().load(session)
        study = session.deposition.study
        self._loading = True
        self.title_edit.setText(study.title)
        self.description_edit.setPlainText(study.description)
        self.keywords_edit.set_value(study.keywords)
        index = self.licence_combo.findData(study.licence)
        if index < 0 and study.licence:  # a licence the form does not offer: keep and show it
            self.licence_combo.addItem(study.licence, study.licence)
            index = self.licence_combo.count() - 1
        self.licence_combo.setCurrentIndex(max(index, 0))
        if study.release_date:
            date = study.release_date
            self.release_edit.setDate(QDate(date.year, date.month, date.day))
        else:
            self.release_edit.setDate(_NOT_SET)
        self.contributors.load(study)
        for key, table in self.tables.items():
            table.bind(getattr(study, key), ("study", key))
        self.acknowledgements_edit.setPlainText(study.acknowledgements)
        self._loading = False
        # fields that already hold values show their problems straight away
        self._touched = {key for key in self.blocks if getattr(study, key) not in ("", None, [])}

    # ------------------------------------------------------------ edits

    def _edited(self, key: str) -> None:
        if self._loading or self.session is None:
            return
        self._touched.add(key)
        self.session.touch()

    def _flag_invisible(self, text: str, *, multiline: bool = False) -> None:
        found = invisible_characters(text, multiline=multiline)
        if found:
            names = ", ".join(sorted({f"{c.name.lower()} ({c.codepoint})" for c in found}))
            self.cleaned_note.setText(f"Removed invisible characters from the pasted text: {names}.")
            self.cleaned_note.show()

    def _on_text_edited(self, key: str, text: str) -> None:
        if self.session is None or self._loading:
            return
        self._flag_invisible(text)
        setattr(self.session.deposition.study, key, text)
        self._edited(key)

    def _on_description_edit_text_changed(self) -> None:
        if self.session is None or self._loading:
            return
        text = self.description_edit.toPlainText()
        self._flag_invisible(text, multiline=True)
        self.session.deposition.study.description = text
        self._edited("description")

    def _on_keywords_edit_edited(self) -> None:
        if self.session is None or self._loading:
            return
        keywords = self.keywords_edit.value()
        self._flag_invisible(" ".join(keywords))
        self.session.deposition.study.keywords = keywords
        self._edited("keywords")

    def _on_licence_combo_changed(self, index: int) -> None:
        if self.session is None or self._loading:
            return
        self.session.deposition.study.licence = self.licence_combo.itemData(index) or ""
        self._edited("licence")

    def _on_release_edit_date_changed(self, date: QDate) -> None:
        if self.session is None or self._loading:
            return
        value = None if date == _NOT_SET else dt.date(date.year(), date.month(), date.day())
        self.session.deposition.study.release_date = value
        self._edited("release_date")

    def _on_contributors_edited(self) -> None:
        if self.session is not None:  # a new organisation typed here appears in the organisations table
            self.tables["affiliations"].bind(self.session.deposition.study.affiliations, ("study", "affiliations"))
        self._edited("contributors")

    def _on_table_edited(self, key: str) -> None:
        if key == "affiliations" and self.session is not None:
            self.contributors.load(self.session.deposition.study)  # renamed organisations
        self._edited(key)

    def _on_acknowledgements_edit_text_changed(self) -> None:
        if self.session is None or self._loading:
            return
        text = self.acknowledgements_edit.toPlainText()
        self._flag_invisible(text, multiline=True)
        self.session.deposition.study.acknowledgements = text
        self._edited("acknowledgements")

    # ------------------------------------------------------------ problems

    def show_problems(self, problems: list[Problem]) -> None:
        """Put each problem under its field; cell problems also tint the table."""
        self._last_problems = problems
        table_widgets: dict[str, ModelTable] = {"contributors": self.contributors, **self.tables}
        typed = [problem for table in table_widgets.values() for problem in table.typing_problems()]
        by_field: dict[str, list[Problem]] = {key: [] for key in self.blocks}
        for problem in [*problems, *typed]:
            field = str(problem.location[1]) if len(problem.location) > 1 else ""
            if field in by_field:
                by_field[field].append(problem)
        for key, block in self.blocks.items():
            shown = by_field[key] if key in self._touched or key in table_widgets else []
            block.problem_label.show_problems(shown)
        for key, table in table_widgets.items():
            table.mark_problems(by_field[key])

    def reveal_all_problems(self) -> None:
        """Show every field's problems, edited or not (after a Next attempt or from Review)."""
        self._touched = set(self.blocks)
        self.show_problems(self._last_problems)

    def focus_location(self, location: tuple[str | int, ...]) -> None:
        """Focus the widget that edits ``location`` (e.g. from the Review page)."""
        self.reveal_all_problems()
        field = str(location[1]) if len(location) > 1 else "title"
        table = self.contributors if field == "contributors" else self.tables.get(field)
        if table is not None and len(location) > 3 and isinstance(location[2], int):
            table.focus_cell(location[2], str(location[3]))
        elif field in self.blocks:
            self.blocks[field].editor.setFocus(Qt.FocusReason.OtherFocusReason)
        block = self.blocks.get(field)
        if block is not None:
            self.scroll_area.ensureWidgetVisible(block)
