"""Headless subcommands beyond ``validate`` and ``drafts``, one module each.

Each module defines ``register(subparsers)``, which adds its parser and sets
``handler`` to a function ``(args) -> int`` returning the exit code (0 ok,
1 problems found, 2 unusable input). Errors the user can fix are raised as
:class:`bioimage_depositor.cli_errors.UsageError` and printed as one line.

Every module is imported to build the parser, so ``--help`` and ``--version``
pay for whatever it imports at the top: keep module level to the standard
library and light modules, and import the domain (pydantic models, numpy, image
readers, HTTP and Globus clients) inside the handler that needs it, with
``if TYPE_CHECKING:`` imports for annotations. ``tests/test_cli_startup.py``
checks this.
"""

from __future__ import annotations

import argparse
import importlib

#: Module names under this package, in the order their commands appear in --help.
COMMAND_MODULES: tuple[str, ...] = (
    "export",
    "import_cmd",
    "probe",
    "preview",
    "transfer",
    "globus_cmd",
    "submit",
    "desktop",
)


def register_all(subparsers: argparse._SubParsersAction) -> None:
    """Let every command module add its parser."""
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}").register(subparsers)
