"""The Upload page: send the exported package to the archive (or any folder), resumably.

The page is the wizard's last step. It offers the package written by the Review
page's Export as what to send and remembers, per draft, where it was sent and
how (target address, files at once, bandwidth limit) so that coming back after
a crash continues the same transfer from its ledger. Passwords are never stored
here: they go to the system keyring when the user asks.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from ..domain.transfer.targets import display_url
from .draft_session import DraftSession
from .page_base import WizardPage
from .settings import ui_settings
from .upload_panel import UploadPanel


class UploadPage(WizardPage):
    """Wraps :class:`UploadPanel` for one draft."""

    key = "upload"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "Upload",
            "Send the deposition package to the archive's upload area (the BIA's FTP secret directory, "
            "a Globus collection) or to a folder. Uploads continue where they stopped after a crash, a network "
            "drop or sleep, and every file is verified at the end.",
            parent=parent,
        )
        self.panel = UploadPanel(parent=self.body)
        self.body_layout.addWidget(self.panel)
        self.panel.settings_changed.connect(self._on_panel_settings_changed)
        self._loading = False
        self._complete = True

    def load(self, session: DraftSession) -> None:
        """Restore this draft's last source, target and options."""
        super().load(session)
        self._loading = True
        try:
            self.panel.draft_id = session.envelope.draft_id
            settings = ui_settings()
            prefix = f"upload/{session.envelope.draft_id}/"
            self.panel.set_source(str(settings.value(prefix + "source", "") or ""))
            self.panel.set_target(str(settings.value(prefix + "target", "") or ""))
            self.panel.parallel_spin.setValue(_int_setting(settings.value(prefix + "parallel"), 2))
            self.panel.limit_spin.setValue(_int_setting(settings.value(prefix + "limit_mib"), 0))
        finally:
            self._loading = False

    def offer_package(self, path: str) -> None:
        """Use a freshly exported package as what to send, unless a transfer is running."""
        if not self.panel.controller.running:
            self.panel.set_source(path)

    def _on_panel_settings_changed(self) -> None:
        if self._loading or self.session is None:
            return
        settings = ui_settings()
        prefix = f"upload/{self.session.envelope.draft_id}/"
        settings.setValue(prefix + "source", self.panel.source_edit.text().strip())
        # never the password: a URL typed with one is stored without it
        settings.setValue(prefix + "target", display_url(self.panel.target_edit.text().strip()))
        settings.setValue(prefix + "parallel", self.panel.parallel_spin.value())
        settings.setValue(prefix + "limit_mib", self.panel.limit_spin.value())


def _int_setting(value: object, default: int) -> int:
    """An integer read back from the INI file (stored as text), or ``default`` when missing or garbled."""
    try:
        return int(str(value))
    except ValueError:
        return default
