"""The layering rule: domain/ never imports Qt or the UI layer."""

from __future__ import annotations

import ast
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[1] / "app" / "bioimage_depositor" / "domain"
FORBIDDEN = ("PySide6", "shiboken6", "superqt", "qtpy", "pytestqt", "bioimage_depositor.ui")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level and node.module and node.module.startswith("ui"):
                names.append("bioimage_depositor.ui")
            elif node.level >= 2 and (node.module or "").startswith("ui"):
                names.append("bioimage_depositor.ui")
            elif node.module:
                names.append(node.module)
    return names


def test_domain_never_imports_qt_or_ui():
    offenders = {}
    files = sorted(DOMAIN.rglob("*.py"))
    assert files, "domain package not found"
    for path in files:
        bad = [name for name in _imports(path) if name.startswith(FORBIDDEN)]
        if bad:
            offenders[str(path.relative_to(DOMAIN))] = bad
    assert offenders == {}


def test_architecture_check_catches_a_qt_import(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("from PySide6.QtCore import QObject\nimport superqt\n")
    assert _imports(probe) == ["PySide6.QtCore", "superqt"]
