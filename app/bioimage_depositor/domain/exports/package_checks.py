"""Check a written deposition package with the archives' own validators.

After an export the wizard (and ``export --check``) runs each archive's own
check on the files as written: ``bia-ro-crate validate`` 0.3.1 on the BIA
RO-Crate, the JSON schema shipped in ``empiar-depositor`` (plus the rules it
misses) on each EMPIAR deposition file, and the OME-NGFF 0.6 scene schema with
a matrix-shape check on each correlation scene. A validator that is not
installed is reported as such, never as a pass.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from . import validators


@dataclass(frozen=True)
class PackageCheck:
    """The verdict of one validator on one file or folder of the package."""

    name: str  # what was checked, e.g. "BIA RO-Crate", "EMPIAR deposition.json (component-em)"
    target: str  # path relative to the package
    available: bool
    ok: bool
    messages: tuple[str, ...] = field(default=())

    @property
    def summary(self) -> str:
        """One line for people."""
        if not self.available:
            return f"{self.name}: not checked — {self.messages[0] if self.messages else 'validator not installed'}"
        if self.ok:
            return f"{self.name}: valid"
        return f"{self.name}: {len(self.messages)} problem(s)"


def check_package(package: str | Path, *, run_rocrate_validator: bool = True) -> list[PackageCheck]:
    """Validate every archive file of an exported package; slow (seconds): run it off the UI thread."""
    root = Path(package)
    checks: list[PackageCheck] = []
    crate = root / "bia" / "ro-crate"
    if (crate / "ro-crate-metadata.json").is_file() and run_rocrate_validator:
        result = validators.validate_rocrate_dir(crate)
        checks.append(
            PackageCheck(
                "BIA RO-Crate (bia-ro-crate validate)",
                "bia/ro-crate",
                result.available,
                result.ok,
                tuple(result.messages),
            )
        )
    for path in sorted((root / "empiar").glob("*/deposition.json")):
        relative = path.relative_to(root).as_posix()
        name = f"EMPIAR deposition ({path.parent.name})"
        if not validators.empiar_schema_available():
            checks.append(PackageCheck(name, relative, False, False, ("empiar-depositor is not installed",)))
            continue
        errors = validators.validate_empiar_json(json.loads(path.read_text(encoding="utf-8")))
        checks.append(PackageCheck(name, relative, True, not errors, tuple(errors)))
    for path in sorted((root / "correlation").glob("*.zarr/zarr.json")):
        relative = path.relative_to(root).as_posix()
        errors = validators.validate_scene(json.loads(path.read_text(encoding="utf-8")))
        checks.append(PackageCheck(f"OME-NGFF scene ({path.parent.name})", relative, True, not errors, tuple(errors)))
    return checks
