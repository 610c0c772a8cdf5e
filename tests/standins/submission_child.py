"""The program under fault: ``submit`` run in a child process that can SIGKILL itself at a chosen point.

Environment:

``STANDIN_UPLOAD_LOG``
    The fake transfer's upload log (shared with the test process).
``STANDIN_KILL_AT``
    ``ARCHIVE:step:phase``: kill this process when the submission machine reports that
    event (``start``: before the step does anything; ``requested``: after the "about to
    ask" mark is saved, before the request is sent; ``done``: after the outcome is saved).
``STANDIN_KILL_AFTER_COPIES``
    Kill this process after that many files were copied by the fake transfer.

Run as ``python -m tests.standins.submission_child submit DRAFT ...`` from the repository root, or as
``python -m tests.standins.submission_child --serve``: a fork server that has imported the program
once and forks a fresh child process for every job it reads on stdin (one JSON object per line:
``{"argv": [...], "env": {...}, "output": PATH}``). It answers ``{"pid": N}``, waits for a line
``go`` (so the test can arm a server-side kill for that pid first), lets the child run and answers
``{"status": exit status}`` (negative: killed by that signal). Python start-up then costs
nothing per run, which keeps dozens of kill-and-resume runs fast.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import sys
import traceback
from pathlib import Path

from bioimage_depositor.commands import submit
from bioimage_depositor.domain.archives.journal import StepEvent

from .fake_transfer import CopyTransfer


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="submission_child")
    commands = parser.add_subparsers(dest="command", required=True)
    submit.register(commands)
    args = parser.parse_args(argv)
    kill_at = os.environ.get("STANDIN_KILL_AT", "")
    copies = os.environ.get("STANDIN_KILL_AFTER_COPIES")
    transfer = CopyTransfer(Path(os.environ["STANDIN_UPLOAD_LOG"]), kill_after=int(copies) if copies else None)

    def observer(event: StepEvent) -> None:
        if kill_at and f"{event.archive}:{event.step}:{event.phase}" == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    return submit.run_submit(args, transfer=transfer, observer=observer)


def _child(job: dict, go: int) -> None:
    """Runs in the forked process: wait for the go signal, then run the job; never returns."""
    code = 70
    try:
        os.read(go, 1)
        os.environ.clear()
        os.environ.update(job["env"])
        out = os.open(job["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(out, 1)
        os.dup2(out, 2)
        code = main(job["argv"])
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


#: What a submission run imports; ``submit`` imports it only when it runs, so the server does it up front.
PRELOAD = (
    "bioimage_depositor.domain.archives.engine_transfer",
    "bioimage_depositor.domain.archives.session",
    "bioimage_depositor.domain.exports.package",
)


def serve() -> int:
    for name in PRELOAD:  # once here, not in every forked child
        importlib.import_module(name)
    for line in sys.stdin:
        job = json.loads(line)
        go_read, go_write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(go_write)
            _child(job, go_read)
        os.close(go_read)
        print(json.dumps({"pid": pid}), flush=True)
        assert sys.stdin.readline().strip() == "go"
        os.write(go_write, b"g")
        os.close(go_write)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"status": os.waitstatus_to_exitcode(status)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(serve() if sys.argv[1:] == ["--serve"] else main(sys.argv[1:]))
