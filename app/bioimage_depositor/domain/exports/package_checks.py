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
from typing import Any

from . import validators

#: What each kind of check is, for :attr:`PackageCheck.kind` and the problem codes of :mod:`.check_locations`.
BIA_RO_CRATE, EMPIAR_JSON, NGFF_SCENE = "bia_ro_crate", "empiar", "ngff_scene"


@dataclass(frozen=True)
class CheckIssue:
    """One message of a validator and the place in the checked file it concerns.

    ``pointer`` is a JSON path into the checked document (``("imagesets", 0, "directory")``) for
    the EMPIAR JSON and the NGFF scene; for the RO-Crate it is ``("@id", <id>)``, ``("@id", <id>,
    <property>)`` or ``("row", <file_path>)``; ``()`` when the validator does not say.
    """

    message: str
    severity: str = "error"  # "error" or "warning"
    pointer: tuple[str | int, ...] = ()


@dataclass(frozen=True)
class PackageCheck:
    """The verdict of one validator on one file or folder of the package."""

    name: str  # what was checked, e.g. "BIA RO-Crate", "EMPIAR deposition.json (component-em)"
    target: str  # path relative to the package
    available: bool
    ok: bool
    messages: tuple[str, ...] = field(default=())
    kind: str = ""  # BIA_RO_CRATE, EMPIAR_JSON or NGFF_SCENE
    issues: tuple[CheckIssue, ...] = field(default=())  # the problems among ``messages``, with their places

    @property
    def summary(self) -> str:
        """One line for people."""
        if not self.available:
            return f"{self.name}: not checked — {self.messages[0] if self.messages else 'validator not installed'}"
        if self.ok:
            return f"{self.name}: valid"
        return f"{self.name}: {len(self.messages)} problem(s)"


def _crate_issue(issue: validators.CrateIssue) -> CheckIssue:
    if issue.row:
        pointer: tuple[str | int, ...] = ("row", issue.row)
    elif issue.entity:
        pointer = ("@id", issue.entity, issue.property) if issue.property else ("@id", issue.entity)
    else:
        pointer = ()
    return CheckIssue(issue.message, issue.severity, pointer)


def _json_issues(messages: list[str]) -> tuple[CheckIssue, ...]:
    return tuple(CheckIssue(message, "error", validators.json_issue_pointer(message)) for message in messages)


def _read_json(path: Path) -> tuple[Any, str]:
    """The parsed file, or None and why it cannot be read (a hand-edited or truncated package)."""
    try:
        return json.loads(path.read_text(encoding="utf-8")), ""
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        return None, f"{path.name} cannot be read as JSON: {error}."


def check_package(package: str | Path, *, run_rocrate_validator: bool = True) -> list[PackageCheck]:
    """Validate every archive file of an exported package; slow (seconds): run it off the UI thread.

    Parameters
    ----------
    package
        The package folder.
    run_rocrate_validator
        Whether to run ``bia-ro-crate validate`` (seconds per crate; about 20 s for 100,000 files).

    Returns
    -------
    list of PackageCheck
        One per checked file or folder: the RO-Crate, each EMPIAR ``deposition.json``, each scene.
        :func:`.check_locations.locate_checks` maps their issues back to the draft's fields.
    """
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
                BIA_RO_CRATE,
                tuple(_crate_issue(issue) for issue in result.issues),
            )
        )
    for path in sorted((root / "empiar").glob("*/deposition.json")):
        relative = path.relative_to(root).as_posix()
        name = f"EMPIAR deposition ({path.parent.name})"
        if not validators.empiar_schema_available():
            checks.append(
                PackageCheck(name, relative, False, False, ("empiar-depositor is not installed",), EMPIAR_JSON)
            )
            continue
        doc, unreadable = _read_json(path)
        errors = [unreadable] if unreadable else validators.validate_empiar_json(doc)
        checks.append(PackageCheck(name, relative, True, not errors, tuple(errors), EMPIAR_JSON, _json_issues(errors)))
    for path in sorted((root / "correlation").glob("*.zarr/zarr.json")):
        relative = path.relative_to(root).as_posix()
        doc, unreadable = _read_json(path)
        errors = [unreadable] if unreadable else validators.validate_scene(doc)
        checks.append(
            PackageCheck(
                f"OME-NGFF scene ({path.parent.name})",
                relative,
                True,
                not errors,
                tuple(errors),
                NGFF_SCENE,
                _json_issues(errors),
            )
        )
    return checks
