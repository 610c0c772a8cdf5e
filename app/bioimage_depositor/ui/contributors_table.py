"""The contributors table of the Study page: name, ORCID, e-mail, roles and organisation per row.

Organisations are typed by name here and matched to the study's affiliation
objects (case-insensitively), so two people at the same institute share one
organisation record, which the Organisations table then completes with address,
country and ROR id. Several organisations are separated by ";".
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QTableWidgetItem, QWidget

from ..domain.rembi import CONTRIBUTOR_ROLES, Affiliation, Contributor, Study
from .model_table import Column, ModelTable

COLUMNS = [
    Column("name", "Name"),
    Column("orcid", "ORCID iD", tooltip="Paste the iD in any form, e.g. https://orcid.org/0000-0002-1825-0097"),
    Column("email", "E-mail"),
    Column("roles", "Roles", "list", "Separate roles with ';': " + "; ".join(CONTRIBUTOR_ROLES)),
    Column("affiliation_ids", "Organisation", "list", "The organisation's name; separate several with ';'"),
]


class ContributorsTable(ModelTable):
    """Editable table of the study's contributors."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(COLUMNS, self._new_contributor, "person", parent)
        self.table.setMaximumHeight(260)
        self.study: Study | None = None

    def load(self, study: Study) -> None:
        """Show ``study``'s contributors; edits are written back into it."""
        self.study = study
        self.bind(study.contributors, ("study", "contributors"))

    def _new_contributor(self) -> Contributor:
        """New people usually work where the previous one does."""
        previous = self.items[-1].affiliation_ids if self.items else []
        return Contributor(affiliation_ids=list(previous))

    def _cell_text(self, obj: Any, column: Column) -> str:
        if column.field != "affiliation_ids" or self.study is None:
            return super()._cell_text(obj, column)
        names = {a.id: a.name for a in self.study.affiliations}
        return "; ".join(names.get(ref, "") for ref in obj.affiliation_ids)

    def _on_table_item_changed(self, item: QTableWidgetItem) -> None:
        column = self.columns[item.column()] if 0 <= item.column() < len(self.columns) else None
        if self._loading or column is None or column.field != "affiliation_ids":
            super()._on_table_item_changed(item)
            return
        if self.study is None or not 0 <= item.row() < len(self.items):
            return
        self.items[item.row()].affiliation_ids = self._affiliation_ids(item.text())
        self.edited.emit()

    def _affiliation_ids(self, text: str) -> list[str]:
        """Ids of the organisations named in ``text``, creating the ones the study lacks."""
        assert self.study is not None
        by_name = {a.name.casefold(): a for a in self.study.affiliations if a.name}
        refs = []
        for name in (part.strip() for part in text.split(";")):
            if not name:
                continue
            affiliation = by_name.get(name.casefold())
            if affiliation is None:
                affiliation = Affiliation(name=name)
                self.study.affiliations.append(affiliation)
                by_name[name.casefold()] = affiliation
            refs.append(affiliation.id)
        return refs
