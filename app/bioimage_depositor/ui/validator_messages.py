"""The archives' validator messages in the Review page's problem tree.

After an export, :func:`~..domain.exports.package_checks.check_package` runs the BIA RO-Crate
validator, the EMPIAR schema and the NGFF scene checks, and
:func:`~..domain.exports.check_locations.locate_checks` places each message at the draft field
it concerns. The Review page lists the located ones in the same groups as the draft's own
problems (so a message sits with the other problems of its page and opens its field), and this
module builds the extra group that gives each validator's verdict and the messages about the
package as a whole.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem

from ..domain.exports.check_locations import UNAVAILABLE, LocatedCheck
from ..domain.exports.provenance import PACKAGE
from ..domain.problems import Problem
from .location_text import describe_location

#: Item data role holding a problem's location (shared with the Review page).
LOCATION_ROLE = Qt.ItemDataRole.UserRole + 1
#: Text of the "Where" column for a message about the package as a whole.
WHOLE_PACKAGE = "whole package"
GROUP_TITLE = "Archive validators"
_QUIET = QBrush(QColor("#6b6b6b"))


def verdict(check: LocatedCheck) -> str:
    """One line for a validator's result: ✔ valid, ✖ problems (and how many sit at a field), • not run."""
    found = check.check
    if not found.available:
        return f"• {found.name}: not run"
    if found.ok and not found.issues:
        return f"✔ {found.summary}"
    problems = [p for p in check.problems if p.code != UNAVAILABLE]
    mark = "✖" if any(p.blocking for p in problems) else "⚠"
    located = check.located
    where = f"; {located} shown at their fields above" if located else ""
    return f"{mark} {found.summary}{where}"


def field_problems(checks: Sequence[LocatedCheck]) -> list[Problem]:
    """The validators' messages that concern a field of the draft, in check order."""
    return [problem for check in checks for problem in check.problems if problem.location != PACKAGE]


def problem_item(parent: QTreeWidgetItem, problem: Problem, *, from_validator: bool, note: str = "") -> QTreeWidgetItem:
    """A tree row for one problem: mark and message, its location, a tooltip; activating it opens the field."""
    mark = "✖" if problem.blocking else "⚠"
    in_package = problem.location == PACKAGE
    where = WHOLE_PACKAGE if in_package else describe_location(problem.location)
    item = QTreeWidgetItem(parent, [f"{mark} {problem.message}", where])
    path = "" if in_package else problem.path  # the exact field, for whoever helps the depositor
    if from_validator:
        source = problem.params.get("check", "an archive validator")
        tip = f"Reported by {source} on {problem.params.get('target', 'the package')}"
        item.setToolTip(0, f"{tip}{note}:\n{problem.params.get('message', problem.message)}")
        item.setToolTip(1, f"{tip}\n{path}" if path else tip)
    else:
        item.setToolTip(0, f"{problem.code}: {problem.message}")
        item.setToolTip(1, path)
    if problem.location != PACKAGE:
        item.setData(0, LOCATION_ROLE, problem.location)
    return item


def add_validator_group(tree: QTreeWidget, checks: Sequence[LocatedCheck], note: str) -> QTreeWidgetItem:
    """Append the group with each validator's verdict and its messages about the package as a whole.

    Parameters
    ----------
    tree
        The Review page's problem tree.
    checks
        The located results of the last export's checks.
    note
        When and where they were made, e.g. "package exported to /data/pkg at 14:05".
    """
    group = QTreeWidgetItem(tree, [f"{GROUP_TITLE} — {note}", ""])
    group.setFirstColumnSpanned(True)
    group.setExpanded(True)
    if not checks:
        QTreeWidgetItem(group, ["Nothing in this package has an archive validator.", ""])
    for check in checks:
        row = QTreeWidgetItem(group, [verdict(check), check.check.target])
        row.setToolTip(0, check.check.name)
        row.setExpanded(True)
        for problem in check.problems:
            if problem.location == PACKAGE:
                problem_item(row, problem, from_validator=True)
        if not check.check.available:
            row.setForeground(0, _QUIET)
    return group
