"""Entry script of the PyInstaller bundle: the same ``main`` the ``bioimage-depositor`` command runs.

PyInstaller needs a script file to start from; the package's own ``cli.py``
cannot be that script because it uses relative imports. No arguments open the
wizard; subcommands run headless, exactly as with the installed command.
"""

from __future__ import annotations

import sys

from bioimage_depositor.cli import main

if __name__ == "__main__":
    sys.exit(main())
