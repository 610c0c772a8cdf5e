"""``bioimage-depositor globus login|logout|status``: the Globus sign-in for headless use.

``globus://`` transfers (and EMPIAR's Globus hand-off) need the user's Globus
sign-in. On a workstation or a transfer node without a browser, ``globus login``
prints the address to open anywhere, then reads the code Globus shows from
standard input; the sign-in is kept in the system keyring, where ``transfer``
finds it. Tokens are never printed.

Exit codes: 0 done (``status``: signed in); 1 ``status``: not signed in, or
Globus could not be reached; 2 unusable input (no client id configured, a bad
or empty code, a bad collection id).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import TYPE_CHECKING

from ..cli_errors import UsageError

if TYPE_CHECKING:  # the Globus SDK is imported when an action runs, not when --help is built
    from ..domain.transfer.globus_auth import GlobusLoginError

EXIT_OK, EXIT_NOT_SIGNED_IN, EXIT_UNUSABLE = 0, 1, 2
#: ``globus_auth.CLIENT_ID_ENV``, named in --help; spelled out here so --help does not import the Globus SDK
#: (tests/test_cli_startup.py checks that the two agree).
CLIENT_ID_ENV = "BIOIMAGE_DEPOSITOR_GLOBUS_CLIENT_ID"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``globus`` command and its ``login``, ``logout`` and ``status`` actions."""
    parser = subparsers.add_parser(
        "globus",
        help="sign in to Globus (for globus:// transfers and EMPIAR), sign out, or show the sign-in",
        description="Sign in to Globus as this program, so globus:// transfers can start and watch Globus "
        "tasks. 'login' prints an address to open in any browser and reads the code Globus then shows. "
        f"The program's Globus client id comes from {CLIENT_ID_ENV}.",
    )
    actions = parser.add_subparsers(dest="globus_action", metavar="ACTION", required=True)
    login = actions.add_parser("login", help="sign in: open the printed address, then paste the code shown")
    login.add_argument(
        "--collection",
        action="append",
        default=[],
        metavar="ID",
        help="also ask for data access to this Globus collection (GCSv5, e.g. the archive's destination); repeatable",
    )
    login.set_defaults(handler=cmd_globus_login)
    logout = actions.add_parser("logout", help="revoke the sign-in at Globus and remove it from this computer")
    logout.set_defaults(handler=cmd_globus_logout)
    status = actions.add_parser("status", help="show who is signed in (exit 1 when nobody is)")
    status.add_argument("--json", action="store_true", help="print the status as JSON")
    status.set_defaults(handler=cmd_globus_status)


def _fail(error: GlobusLoginError) -> int:
    if error.permanent:
        raise UsageError(str(error))
    print(f"bioimage-depositor: {error}", file=sys.stderr)
    return EXIT_NOT_SIGNED_IN


def cmd_globus_login(args: argparse.Namespace) -> int:
    """Print the authorize address, read the code from stdin, keep the sign-in."""
    from ..domain.transfer import globus_auth
    from ..domain.transfer.globus_auth import GlobusLoginError

    try:
        flow = globus_auth.start_login(args.collection)
    except GlobusLoginError as error:
        return _fail(error)
    print("Open this address in a web browser (on any computer) and sign in to Globus:\n")
    print(f"  {flow.authorize_url}\n")
    print("Then paste the code Globus shows here and press Enter.")
    sys.stdout.flush()
    prompt = "Code: " if sys.stdin.isatty() else ""
    try:
        code = input(prompt) if prompt else sys.stdin.readline()
    except EOFError:
        code = ""
    if not code.strip():
        raise UsageError("no code was given; run 'bioimage-depositor globus login' again and paste the code.")
    try:
        login = flow.finish(code)
    except GlobusLoginError as error:
        return _fail(error)
    status = globus_auth.login_status()
    print(f"Signed in to Globus as {login.identity.display()}.")
    if status.persistent:
        print("The sign-in is kept in the system keyring; globus:// transfers use it from now on.")
    else:
        print(
            "bioimage-depositor: warning: no system keyring is available, so the sign-in lasts only until this "
            "command ends; later commands will not see it. Set up a keyring (e.g. gnome-keyring or "
            "keyrings.alt) and sign in again.",
            file=sys.stderr,
        )
    return EXIT_OK


def cmd_globus_logout(args: argparse.Namespace) -> int:
    """Revoke and remove the stored sign-in."""
    from ..domain.transfer import globus_auth

    result = globus_auth.sign_out()
    print(result.message)
    return EXIT_OK


def cmd_globus_status(args: argparse.Namespace) -> int:
    """Say who is signed in, whether a client id is configured and where the sign-in is kept."""
    from ..domain.transfer import globus_auth

    status = globus_auth.login_status()
    login = status.login
    if args.json:
        data = {
            "configured": status.configured,
            "signed_in": status.signed_in,
            "persistent": status.persistent,
            "identity": vars(login.identity) if login else None,
            "collections": list(login.collections) if login else [],
            "signed_in_at": login.signed_in_at if login else None,
        }
        print(json.dumps(data, indent=2))
        return EXIT_OK if status.signed_in else EXIT_NOT_SIGNED_IN
    if login is not None:
        when = datetime.fromtimestamp(login.signed_in_at).strftime("%Y-%m-%d %H:%M") if login.signed_in_at else ""
        print(f"Signed in to Globus as {login.identity.display()}" + (f" since {when}." if when else "."))
        if login.collections:
            print("Data access asked for: " + ", ".join(login.collections))
        print("Kept in the system keyring." if status.persistent else "Kept for this session only (no keyring).")
    else:
        print("Not signed in to Globus. Run 'bioimage-depositor globus login'.")
    if not status.configured:
        print(globus_auth.NOT_CONFIGURED)
    return EXIT_OK if status.signed_in else EXIT_NOT_SIGNED_IN
