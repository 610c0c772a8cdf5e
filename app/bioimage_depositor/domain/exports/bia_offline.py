"""Run the ``bia-ro-crate`` CLI (bia-ro-crate-validator 0.3.1) with no network access.

The validator (through rdflib, pyld and roc-validator) fetches the RO-Crate 1.1 JSON-LD
context from ``https://w3id.org/ro/crate/1.1/context`` on every run and fails without a
network (``bia.md`` §8). This module serves the bundled copy
(``resources/ro-crate/ro-crate-1.1-context.jsonld``, RO-Crate context 1.1.0) to urllib and
requests instead, *refuses* every other remote fetch (the validator must never reach EBI or
w3id.org), writes each log record as one machine-readable line, and then runs the
unmodified CLI so that its exit code is the verdict.

It is meant to be run in a subprocess by :func:`.validators.validate_rocrate_dir`::

    python -m bioimage_depositor.domain.exports.bia_offline [-v] validate <crate_dir>

Importing the module has no effect; :func:`main` installs the patches.
"""

from __future__ import annotations

import io
import json
import logging
import os
import sys
import urllib.error
import urllib.request
import urllib.response
import warnings
from email.message import Message
from pathlib import Path
from typing import Any

#: Prefix of the lines that carry one validator log record as JSON.
ISSUE_PREFIX = "BIADEP-ISSUE "

#: Environment variable with the path of the local context file (set by validators.py, so the
#: child needs nothing of this program but this module when run by another interpreter).
CONTEXT_ENV = "BIADEP_RO_CRATE_CONTEXT"

CONTEXT_URLS = frozenset(
    {
        "https://w3id.org/ro/crate/1.1/context",
        "http://w3id.org/ro/crate/1.1/context",
        "https://www.researchobject.org/ro-crate/1.1/context.jsonld",
    }
)


def _is_context(url: str) -> bool:
    return url.split("#")[0].rstrip("/") in CONTEXT_URLS


class _JsonLineHandler(logging.Handler):
    """Writes ``ISSUE_PREFIX {"level": ..., "message": ...}`` lines to stdout."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = json.dumps({"level": record.levelname, "message": record.getMessage()}, ensure_ascii=False)
        except Exception:  # a broken log record must not change the verdict
            return
        sys.stdout.write(ISSUE_PREFIX + line + "\n")
        sys.stdout.flush()


def _install(context: bytes) -> None:
    import requests
    import urllib3
    from requests.adapters import HTTPAdapter

    class LocalContextHandler(urllib.request.BaseHandler):
        handler_order = 100  # before the default HTTP(S) handlers

        def _serve(self, req: urllib.request.Request) -> Any:
            if not _is_context(req.full_url):
                raise urllib.error.URLError(f"offline validation: refusing to fetch {req.full_url}")
            headers = Message()
            headers["Content-Type"] = "application/ld+json"
            response = urllib.response.addinfourl(io.BytesIO(context), headers, req.full_url, 200)
            response.msg = "OK"  # type: ignore[attr-defined]  # read by http.client-style callers
            return response

        https_open = _serve
        http_open = _serve

    urllib.request.install_opener(urllib.request.build_opener(LocalContextHandler()))

    def send(self: HTTPAdapter, request: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_context(request.url):
            raise requests.exceptions.ConnectionError(f"offline validation: refusing to fetch {request.url}")
        raw = urllib3.HTTPResponse(
            body=io.BytesIO(context),
            headers={"Content-Type": "application/ld+json"},
            status=200,
            preload_content=False,
            request_url=request.url,
        )
        return self.build_response(request, raw)

    HTTPAdapter.send = send  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> int:
    """Run ``bia-ro-crate`` with the local context; return its exit code."""
    warnings.simplefilter("ignore")  # pyld's SyntaxWarnings about "@" terms are noise here
    context_file = os.environ.get(CONTEXT_ENV)
    if not context_file:
        from bioimage_depositor.paths import resource_path

        context_file = str(resource_path("ro-crate", "ro-crate-1.1-context.jsonld"))
    _install(Path(context_file).read_bytes())
    from bia_ro_crate.cli import bia_ro_crate

    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(_JsonLineHandler())
    bia_ro_crate.pretty_exceptions_enable = False  # plain tracebacks, parsed by validators.py
    try:
        bia_ro_crate(args=list(sys.argv[1:] if argv is None else argv), prog_name="bia-ro-crate", standalone_mode=True)
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
