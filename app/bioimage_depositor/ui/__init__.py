"""PySide6 user interface: the deposition wizard and its widgets."""
