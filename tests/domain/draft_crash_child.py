"""Child process of test_draft_crash.py: a fork server whose children save one draft until killed.

Usage: python draft_crash_child.py STORE_ROOT DRAFT_ID

Importing the program takes half a second; forking an already-imported process
takes milliseconds, so each round forks a saver instead of starting Python
anew. Protocol on stdin/stdout, one line each:

- the server prints ``ready`` once imported;
- for every ``go`` it reads, it forks a saver that prints ``saving <pid>`` and
  saves in a loop; the test kills that pid with SIGKILL; the server reaps it
  and prints ``reaped <signal number or -exit code>``.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

from bioimage_depositor.domain.drafts import DraftStore


def save_forever(root: str, draft_id: str) -> None:
    store = DraftStore(Path(root), history_limit=3)
    store.lock(draft_id)  # takes over the stale lock of the previous, killed saver
    envelope = store.load(draft_id)
    sys.stdout.write(f"saving {os.getpid()}\n")
    sys.stdout.flush()
    while True:
        next_revision = envelope.revision + 1
        # The content names its revision, so the test can tell a mixed-up file.
        envelope.deposition.study.title = f"revision {next_revision}"
        envelope.deposition.study.description = f"revision {next_revision}\n" * (next_revision % 97)
        store.save(envelope)


def main() -> None:
    root, draft_id = sys.argv[1], sys.argv[2]
    print("ready", flush=True)
    for command in sys.stdin:
        if command.strip() != "go":
            break
        pid = os.fork()
        if pid == 0:
            try:
                save_forever(root, draft_id)
            except BaseException:
                traceback.print_exc()
                sys.stderr.flush()
            finally:
                os._exit(1)  # never fall back into the server loop
        _, status = os.waitpid(pid, 0)
        code = os.WTERMSIG(status) if os.WIFSIGNALED(status) else -os.WEXITSTATUS(status)
        print(f"reaped {code}", flush=True)


if __name__ == "__main__":
    main()
