"""Start-up guard: ``--version`` and every ``--help`` answer without importing the heavy libraries.

The command line builds its parser from light modules and imports the domain (pydantic
models, numpy, image readers, HTTP and Globus clients, Qt) only inside the handler that
runs. These tests check that structurally, in a fresh interpreter, rather than by timing.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

import bioimage_depositor
from bioimage_depositor.commands import globus_cmd, preview, submit

#: Libraries none of --version, --help or a command's --help may import.
HEAVY = (
    "numpy",
    "pydantic",
    "requests",
    "PySide6",
    "tifffile",
    "zarr",
    "globus_sdk",
    "ome_types",
    "PIL",
    "mrcfile",
    "jsonschema",
    "keyring",
)

#: Runs in a fresh interpreter: each argv through cli.main, then which heavy modules it left loaded.
_PROBE = textwrap.dedent(
    """
    import argparse, contextlib, io, json, sys
    from bioimage_depositor.cli import build_parser, main

    heavy = set(sys.argv[1].split(","))

    def leaf_commands(parser, prefix=()):
        actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not actions:
            return [list(prefix)]
        found = [list(prefix)] if prefix else []
        for name, sub in actions[0].choices.items():
            found += leaf_commands(sub, (*prefix, name))
        return found

    def loaded():
        return sorted(name for name in sys.modules if name.split(".")[0] in heavy)

    parser = build_parser()
    report = {"build_parser": loaded()}
    for argv in [["--version"], ["--help"]] + [[*command, "--help"] for command in leaf_commands(parser)]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
            main(argv)
        report[" ".join(argv)] = loaded()
    print(json.dumps(report))
    """
)


def _run_probe() -> dict[str, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, ",".join(HEAVY)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_version_and_help_import_no_heavy_library():
    report = _run_probe()
    assert "submit --help" in report and "globus login --help" in report and "drafts list --help" in report
    offenders = {argv: modules for argv, modules in report.items() if modules}
    assert offenders == {}, "import these inside the command's handler, not at module level"


def test_importing_the_package_does_not_read_its_metadata():
    code = (
        "import sys; early = 'importlib.metadata' in sys.modules; import bioimage_depositor; "
        "print(early, 'importlib.metadata' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    early, after = done.stdout.split()
    assert after == "False" or early == "True"


def test_version_is_found_when_asked_for():
    from importlib.metadata import version

    assert bioimage_depositor.__version__ == version("bioimage-depositor")
    assert bioimage_depositor.__version__ != bioimage_depositor.UNKNOWN_VERSION


def test_other_missing_attributes_still_raise():
    with pytest.raises(AttributeError, match="no_such_thing"):
        bioimage_depositor.no_such_thing  # noqa: B018


def test_constants_spelled_out_for_help_agree_with_the_domain():
    from bioimage_depositor.domain.archives import session
    from bioimage_depositor.domain.images import preview as image_preview
    from bioimage_depositor.domain.transfer import globus_auth

    assert globus_cmd.CLIENT_ID_ENV == globus_auth.CLIENT_ID_ENV
    assert submit.BIA_LOGIN_ENV == session.BIA_LOGIN_ENV
    assert (preview.MIN_SIZE, preview.MAX_SIZE) == (image_preview.MIN_SIZE, image_preview.MAX_SIZE)
