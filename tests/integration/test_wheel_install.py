"""The built wheel, installed into a fresh virtual environment, runs every command.

resources/ and forms/ live outside the package folder in the repository, so
this is the test that proves the wheel carries them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def run(cmd, **kwargs):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900, **kwargs)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    work = tmp_path_factory.mktemp("wheel")
    built = run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(work), str(ROOT)])
    if built.returncode != 0:  # no hatchling in this environment: let build fetch it
        built = run([sys.executable, "-m", "build", "--wheel", "--outdir", str(work), str(ROOT)])
    assert built.returncode == 0, built.stdout + built.stderr
    wheel = next(work.glob("bioimage_depositor-*.whl"))
    env_dir = work / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    installed = run([str(bindir / "python"), "-m", "pip", "install", "-q", str(wheel)])
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return bindir, wheel


def test_wheel_contains_resources_and_forms(installed):
    import zipfile

    _, wheel = installed
    names = zipfile.ZipFile(wheel).namelist()
    for expected in (
        "bioimage_depositor/_data/resources/vocab/organisms.tsv",
        "bioimage_depositor/_data/resources/vocab/imaging_methods.json",
        "bioimage_depositor/_data/resources/vocab/licences.json",
        "bioimage_depositor/_data/forms/study.toml",
        "bioimage_depositor/_data/resources/style/app.qss",
        "bioimage_depositor/_data/resources/ro-crate/ro-crate-1.1-context.jsonld",
        "bioimage_depositor/_data/docs/user-guide.md",  # F1 help reads it
        "bioimage_depositor/_data/resources/icons/bioimage-depositor.svg",
        "bioimage_depositor/_data/resources/desktop/org.bioimagedepositor.BioImageDepositor.desktop",
        "bioimage_depositor/_data/resources/desktop/org.bioimagedepositor.BioImageDepositor.metainfo.xml",
        *(f"bioimage_depositor/_data/forms/{form.name}" for form in (ROOT / "forms").glob("*.toml")),
    ):
        assert expected in names


def test_installed_command_runs_version_and_validate(installed, tmp_path):
    bindir, _ = installed
    exe = str(bindir / "bioimage-depositor")
    env = {**os.environ, "BIOIMAGE_DEPOSITOR_HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    version = run([exe, "--version"], env=env, cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("bioimage-depositor 0.")
    for example in sorted((ROOT / "examples").glob("*.draft.json")):
        result = run([exe, "validate", str(example), "--json"], env=env, cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert json.loads(result.stdout)["valid"] is True
    missing = run([exe, "validate", str(tmp_path / "missing.json")], env=env, cwd=tmp_path)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_installed_gui_module_imports_with_its_bundled_forms(installed, tmp_path):
    bindir, _ = installed
    code = (
        "from bioimage_depositor.ui.form_spec import load_form;"
        "from bioimage_depositor.paths import resource_path;"
        "print(load_form('study').title, resource_path('style','app.qss').is_file())"
    )
    env = {**os.environ, "BIOIMAGE_DEPOSITOR_HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    result = run([str(bindir / "python"), "-c", code], env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["Study", "True"]
