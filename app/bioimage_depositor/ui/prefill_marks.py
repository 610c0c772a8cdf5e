"""Keeps a form's "from the image files" marks in step with the draft's record of prefilled values.

The Image data page records every value it fills in from file metadata in
``Deposition.prefilled`` (see :mod:`~..domain.images.prefill_apply`). A form
page that shows such fields attaches a :class:`PrefillMarks` to its
:class:`~.form_view.FormView`: it shows the marks of the bound object, drops
a mark when its field is edited, and drops it when the user presses Confirm.
Because the record lives in the draft, the marks survive saving and reopening.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject

from ..domain.images.prefill_apply import Location, forget_mark, prefilled_marks
from .draft_session import DraftSession
from .form_view import FormView


class PrefillMarks(QObject):
    """Shows and clears the prefilled marks of whatever object ``form_view`` is bound to.

    Parameters
    ----------
    form_view : FormView
        The form to mark.
    prefix : callable
        Returns the location of the bound object for marks (``None`` when it has none).
    session : callable
        Returns the open draft session (``None`` when no draft is open).
    """

    def __init__(
        self,
        form_view: FormView,
        prefix: Callable[[], Location | None],
        session: Callable[[], DraftSession | None],
    ) -> None:
        super().__init__(form_view)
        self.form_view = form_view
        self._prefix = prefix
        self._session = session
        form_view.changed.connect(self._on_form_view_changed)
        form_view.prefill_confirmed.connect(self._on_form_view_prefill_confirmed)

    def refresh(self) -> None:
        """Show the marks of the object the form shows now."""
        session, prefix = self._session(), self._prefix()
        if session is None or prefix is None or self.form_view.obj is None:
            self.form_view.set_prefilled({})
            return
        marks = prefilled_marks(session.deposition, prefix)
        self.form_view.set_prefilled({key: mark.note for key, mark in marks.items()})

    def _forget(self, key: str) -> bool:
        session, prefix = self._session(), self._prefix()
        if session is None or prefix is None:
            return False
        return forget_mark(session.deposition, (*prefix, key))

    def _on_form_view_changed(self, key: str) -> None:
        self._forget(key)  # the page saves the edit itself

    def _on_form_view_prefill_confirmed(self, key: str) -> None:
        session = self._session()
        if self._forget(key) and session is not None:
            session.touch()
