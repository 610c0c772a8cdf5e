"""Kill the submitting program at every step of both state machines, then run it again.

Each case runs ``submit`` on a correlative draft (LM to the BIA, FIB-SEM to EMPIAR) in a
child process against the BioStudies and EMPIAR stand-ins and SIGKILLs it at one point:

* at the start of every step, and right after a creating request's "about to ask" mark
  was saved (the program's own observer kills it);
* after the server acted on a request but before the answer reached the program (the
  stand-in kills the child, then drops the connection): create entry, submit study,
  validate, thumbnail, rights, share, acknowledge, submit entry, the back-link;
* in the middle of each transfer (the fake transfer kills it after N copies).

The second run must finish, and the archives must hold exactly one BIA study (two
versions: the study and its back-link), exactly one EMPIAR entry, submitted once, and
every file uploaded exactly once with the right bytes.

The matrix runs its child processes from a fork server that imported the program once
(``submission_child --serve``): each run is still its own process, killed with SIGKILL and
resumed by a new process, but without paying Python's start-up 72 times. The last test
starts the program as a plain ``python -m`` process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from tests.standins.fake_transfer import upload_counts
from tests.standins.http_base import Fault
from tests.standins.scenario import GLOBUS_IDENTITY, GRANTEE, ROOT, Scenario, make_scenario

from bioimage_depositor.domain.archives.state import SubmissionStore

#: (case id, kind, detail). Kinds: "step" (ARCHIVE:step:phase event), "copies" (after N files),
#: "server" (archive, method, path regex, matching requests to let through first).
KILL_POINTS: list[tuple[str, str, object]] = [
    ("bia-sign-in", "step", "BIA:sign_in:start"),
    ("bia-transfer", "step", "BIA:transfer:start"),
    ("bia-transfer-midway", "copies", 2),
    ("bia-transfer-done", "step", "BIA:transfer:done"),
    ("bia-validate", "step", "BIA:validate:start"),
    ("bia-validate-answer-lost", "server", ("bia", "POST", r"/fileLists/validate$", 0)),
    ("bia-submit", "step", "BIA:submit:start"),
    ("bia-submit-requested", "step", "BIA:submit:requested"),
    ("bia-submit-answer-lost", "server", ("bia", "POST", r"/submissions/async$", 0)),
    ("bia-process", "step", "BIA:process:start"),
    ("bia-process-waiting", "step", "BIA:process:waiting"),
    ("bia-process-done", "step", "BIA:process:done"),
    ("empiar-entry", "step", "EMPIAR:entry:start"),
    ("empiar-entry-requested", "step", "EMPIAR:entry:requested"),
    ("empiar-create-answer-lost", "server", ("empiar", "POST", r"/deposit_entry/$", 0)),
    ("empiar-directory", "step", "EMPIAR:directory:start"),
    ("empiar-thumbnail", "step", "EMPIAR:thumbnail:start"),
    ("empiar-thumbnail-answer-lost", "server", ("empiar", "POST", r"/image_upload/$", 0)),
    ("empiar-rights", "step", "EMPIAR:rights:start"),
    ("empiar-rights-answer-lost", "server", ("empiar", "POST", r"/grant_rights/$", 0)),
    ("empiar-share", "step", "EMPIAR:share:start"),
    ("empiar-share-answer-lost", "server", ("empiar", "GET", r"/share_globus_directory/$", 0)),
    ("empiar-transfer", "step", "EMPIAR:transfer:start"),
    ("empiar-transfer-midway", "copies", 7),  # the BIA sends 5 files first
    ("empiar-acknowledge", "step", "EMPIAR:acknowledge:start"),
    ("empiar-acknowledge-answer-lost", "server", ("empiar", "POST", r"/acknowledge_upload/$", 0)),
    ("empiar-submit", "step", "EMPIAR:submit:start"),
    ("empiar-submit-requested", "step", "EMPIAR:submit:requested"),
    ("empiar-submit-answer-lost", "server", ("empiar", "POST", r"/submit_entry/$", 0)),
    ("empiar-accession", "step", "EMPIAR:accession:start"),
    ("empiar-accession-done", "step", "EMPIAR:accession:done"),
    ("link-submit", "step", "BIA:link_submit:start"),
    ("link-submit-requested", "step", "BIA:link_submit:requested"),
    ("link-submit-answer-lost", "server", ("bia", "POST", r"/submissions/async$", 1)),
    ("link-process", "step", "BIA:link_process:start"),
    ("link-process-done", "step", "BIA:link_process:done"),
]

CHILD_TIMEOUT_S = 120


class ForkServer:
    """A process that imported the program once and forks one child process per submission run."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.standins.submission_child", "--serve"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def _send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def _answer(self) -> dict:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line, "the fork server died"
        return json.loads(line)

    def run(self, argv: list[str], env: dict[str, str], output: Path, arm=None) -> int:
        self._send(json.dumps({"argv": argv, "env": env, "output": str(output)}))
        pid = self._answer()["pid"]
        if arm is not None:
            arm(pid)
        # A hung run must not hang the suite: kill that child after the timeout.
        watchdog = threading.Timer(CHILD_TIMEOUT_S, lambda: os.kill(pid, signal.SIGKILL))
        watchdog.start()
        try:
            self._send("go")
            return self._answer()["status"]
        finally:
            watchdog.cancel()

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def fork_servers():
    servers = [ForkServer(), ForkServer()]
    yield servers
    for server in servers:
        server.close()


def _run_forked(server: ForkServer, scenario: Scenario, env_extra: dict[str, str], server_fault: tuple | None) -> int:
    env = scenario.env()
    env.update(env_extra)
    output = scenario.root / "output.txt"
    armed: list[Fault] = []

    def arm(pid: int) -> None:
        if server_fault is not None:
            archive, method, path, skip = server_fault
            target = scenario.bia.server if archive == "bia" else scenario.empiar.server
            armed.append(target.faults.add(Fault(method, path, "kill_after", pid=pid, skip=skip)))

    status = server.run(scenario.argv(), env, output, arm)
    scenario.last_output = output.read_text(encoding="utf-8", errors="replace")
    assert all(fault.times == 0 for fault in armed), "the request to lose the answer of was never sent"
    return status


def _run_child(scenario: Scenario, env_extra: dict[str, str], server_fault: tuple | None) -> int:
    """The program as users start it: a fresh ``python -m`` process."""
    env = scenario.env()
    env.update(env_extra)
    command = [sys.executable, "-m", "tests.standins.submission_child", *scenario.argv()]
    child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if server_fault is not None:
        archive, method, path, skip = server_fault
        server = scenario.bia.server if archive == "bia" else scenario.empiar.server
        server.faults.add(Fault(method, path, "kill_after", pid=child.pid, skip=skip))
    output, _ = child.communicate(timeout=CHILD_TIMEOUT_S)
    scenario.last_output = output.decode("utf-8", "replace")
    return child.returncode


def _links(section: dict) -> list[str]:
    urls = []
    for item in section.get("links") or []:
        for link in item if isinstance(item, list) else [item]:
            urls.append(link["url"])
    for item in section.get("subsections") or []:
        for sub in item if isinstance(item, list) else [item]:
            urls += _links(sub)
    return urls


def check_single_outcome(scenario: Scenario) -> None:
    """One study (study + back-link versions), one submitted entry, one upload per file, bytes equal."""
    studies = scenario.bia.studies_of(scenario.bia_user.email)
    assert len(studies) == 1, [s.acc_no for s in studies]
    study = studies[0]
    assert [v.version for v in study.versions] == [1, 2]
    assert len(scenario.bia.submit_requests) == 2  # the study and its back-link, nothing sent twice
    assert all(r.status in ("PROCESSED", "POST_PROCESSED") for r in scenario.bia.submit_requests)

    entries = scenario.empiar.entries_of(scenario.empiar_user)
    assert len(entries) == 1, [e.entry_id for e in entries]
    entry = entries[0]
    assert entry.submitted and entry.accession and entry.acknowledged
    assert entry.metadata["biostudies_references"] == [{"name": study.acc_no}]
    assert entry.thumbnail is not None
    assert entry.rights == {"e": {GRANTEE: "3"}}
    assert entry.shared_with == [GLOBUS_IDENTITY]
    assert entry.accession in _links(study.versions[-1].pagetab["section"])
    assert entry.accession not in _links(study.versions[0].pagetab["section"])

    counts = upload_counts(scenario.upload_log)
    assert counts and set(counts.values()) == {1}, {k: v for k, v in counts.items() if v != 1}
    bia_folder = scenario.bia.user_folder(scenario.bia_user)
    empiar_folder = scenario.empiar.upload_folder(entry)
    for component in scenario.deposition.components:
        folder, key = (
            (bia_folder, f"bia:{scenario.bia_user.email}")
            if component.archive == "BIA"
            else (empiar_folder, f"empiar:{entry.entry_id}")
        )
        for file in component.files:
            assert counts[(key, file.deposited_path)] == 1
            assert (folder / file.deposited_path).read_bytes() == Path(file.source).read_bytes()
    partials = [p for p in scenario.root.rglob("*.partial")]
    assert all(not (bia_folder / p.name).exists() for p in partials)

    record = SubmissionStore(scenario.draft_id).load()
    assert record.bia.accession == study.acc_no
    assert record.empiar_accessions() == {"component-em": entry.accession}
    assert record.backlink.done


def _case(server: ForkServer, tmp_path: Path, case: str, kind: str, detail: object) -> None:
    scenario = make_scenario(tmp_path / case)
    try:
        env: dict[str, str] = {}
        server_fault = None
        if kind == "step":
            env["STANDIN_KILL_AT"] = str(detail)
        elif kind == "copies":
            env["STANDIN_KILL_AFTER_COPIES"] = str(detail)
        else:
            server_fault = detail  # type: ignore[assignment]
        first = _run_forked(server, scenario, env, server_fault)
        assert first == -signal.SIGKILL, f"{case}: the program was not killed:\n{scenario.last_output}"
        second = _run_forked(server, scenario, {}, None)
        assert second == 0, f"{case}: the resumed run failed:\n{scenario.last_output}"
        check_single_outcome(scenario)
    finally:
        scenario.stop()


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "fork"), reason="the fork server needs os.fork")
def test_kill_at_every_step_then_resume(tmp_path: Path, fork_servers: list[ForkServer]) -> None:
    # Two cases at a time, one per fork server.
    failures: list[str] = []
    cases = [KILL_POINTS[i :: len(fork_servers)] for i in range(len(fork_servers))]

    def run(server: ForkServer, points: list[tuple[str, str, object]]) -> None:
        for case, kind, detail in points:
            try:
                _case(server, tmp_path, case, kind, detail)
            except AssertionError as error:
                failures.append(f"{case}: {error}")

    with ThreadPoolExecutor(max_workers=len(fork_servers)) as pool:
        list(pool.map(run, fork_servers, cases))
    assert not failures, "\n\n".join(failures)


def test_resume_without_entry_listing_asks_the_user_then_adopts(tmp_path: Path) -> None:
    """EMPIAR cannot be asked which entries exist: the run stops with guidance instead of creating a second entry."""
    scenario = make_scenario(tmp_path / "no-listing", entry_listing=False)
    try:
        first = _run_child(scenario, {}, ("empiar", "POST", r"/deposit_entry/$", 0))
        assert first == -signal.SIGKILL
        second = _run_child(scenario, {}, None)
        assert second == 1
        output = scenario.last_output
        assert "empiar.create_uncertain" not in output  # codes are for programs; users get the sentence
        assert "--empiar-entry" in output and "stopped before the answer" in output
        entries = scenario.empiar.entries_of(scenario.empiar_user)
        assert len(entries) == 1  # nothing created twice
        record = json.loads(SubmissionStore(scenario.draft_id).path.read_text())
        assert record["last_error"]["code"] == "empiar.create_uncertain"
        # The user finds the entry on the EMPIAR website and names it.
        scenario.extra_args = ["--empiar-entry", f"component-em={entries[0].entry_id}"]
        third = _run_child(scenario, {}, None)
        assert third == 0, scenario.last_output
        check_single_outcome(scenario)
        assert entries[0].redepositions == 1  # the adopted entry got the current metadata
    finally:
        scenario.stop()
