"""Remove debug information from a Linux bundle's shared libraries, then prove every library still loads.

Run with the build environment's Python after PyInstaller::

    python packaging/bundle_strip.py dist/bioimage-depositor

Several inputs ship DWARF debug sections: a pyenv-built libpython (31 MB, 6 MB
without them), the interpreter's extension modules and most imagecodecs codecs,
about 80 MB in all. Only files that carry a ``.debug_info`` section are touched,
with ``strip --strip-debug`` (symbols stay), and PyInstaller's own ``strip``
option is not used because it rewrites every binary, including the
patchelf-repaired libraries of manylinux wheels. Afterwards each library is
loaded with ``dlopen`` from inside the bundle; a failure other than a missing
*system* library (Wayland or GTK on a machine without them, the same before
stripping) stops the build.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

#: dlopen's message for a dependency it cannot find: "<file>: <dependency>: cannot open shared object file: ..."
_MISSING = re.compile(r"([^\s:/]+\.so[^\s:]*): cannot open shared object file")


def shared_libraries(root: Path) -> list[Path]:
    """Every regular ELF shared object under ``root`` (symlinks excluded)."""
    found = []
    for path in sorted(root.rglob("*.so*")):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as stream:
                if stream.read(4) == b"\x7fELF":
                    found.append(path)
    return found


def has_debug_info(path: Path) -> bool:
    """Whether ``path`` has a ``.debug_info`` section (read with readelf, part of binutils like strip)."""
    sections = subprocess.run(["readelf", "-S", "--wide", str(path)], capture_output=True, text=True, check=False)
    return ".debug_info" in sections.stdout


def strip_debug(paths: list[Path]) -> int:
    """``strip --strip-debug`` each file that has debug info; return the bytes saved."""
    before = sum(path.stat().st_size for path in paths)
    targets = [path for path in paths if has_debug_info(path)]
    for path in targets:
        subprocess.run(["strip", "--strip-debug", str(path)], check=True)
    return before - sum(path.stat().st_size for path in paths)


def load_check(paths: list[Path], root: Path) -> tuple[list[str], list[str]]:
    """``dlopen`` each library: (real failures, libraries that need a system library this machine lacks)."""
    failures, needs_system = [], []
    for path in paths:
        try:
            ctypes.CDLL(str(path), mode=os.RTLD_LAZY | os.RTLD_LOCAL)
        except OSError as error:
            message = str(error)
            named = _MISSING.search(message)
            missing = named.group(1) if named else ""
            if missing and not any(root.rglob(missing)):
                needs_system.append(f"{path.name} ({missing})")
            else:
                failures.append(f"{path.relative_to(root)}: {message}")
    return failures, needs_system


def main(argv: list[str]) -> int:
    """Command-line entry: ``bundle_strip.py BUNDLE_DIR``."""
    if len(argv) != 1:
        print("usage: python packaging/bundle_strip.py BUNDLE_DIR", file=sys.stderr)
        return 2
    if not sys.platform.startswith("linux"):
        print("bundle_strip.py: only Linux bundles are stripped here")
        return 0
    if shutil.which("strip") is None or shutil.which("readelf") is None:
        print("bundle_strip.py: strip/readelf (binutils) not installed; bundle left as it is")
        return 0
    root = Path(argv[0]).resolve()
    libraries = shared_libraries(root)
    saved = strip_debug(libraries)
    failures, needs_system = load_check(libraries, root)
    loaded = len(libraries) - len(failures) - len(needs_system)
    print(f"stripped debug info: {saved / 1e6:.0f} MB saved; {loaded} of {len(libraries)} libraries load")
    if needs_system:
        missing = sorted({entry.split("(")[1].rstrip(")") for entry in needs_system})
        print(f"  {len(needs_system)} need system libraries not installed here: {', '.join(missing)}")
    if failures:
        print("these libraries no longer load:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
