"""The error every command raises for input the user can fix: printed as one line, exit 2."""

from __future__ import annotations


class UsageError(Exception):
    """Bad input that the user can fix; printed as one line, exit 2."""
