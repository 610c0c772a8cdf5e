"""FTP upload throughput on loopback: our engine (MD5 computed while sending) against plain ftplib.

Run: ``.venv/bin/python benchmarks/transfer_ftp.py [--mib 512] [--runs 3]``

Starts the tests' pyftpdlib server (``tests/integration/ftp_server.py``, unthrottled)
as a subprocess on 127.0.0.1, writes one random file of ``--mib`` MiB to a temporary
folder, and uploads it ``--runs`` times each, alternating:

* baseline: ``ftplib.FTP.storbinary`` with 1 MiB blocks (no hashing, no ledger);
* ours: :class:`TransferJob` + :class:`FtpTransport` with a fresh ledger each run
  (ledger writes per chunk, MD5 on the hashing thread, size verification).

Prints medians, MiB/s and the ratio ours/baseline (target ≥ 0.9), with the CPU
seconds each used in this process (the client) and in the server, and the CPU an
MD5 of the file alone takes: when the machine has no idle core, the ratio cannot
exceed about (baseline CPU) / (baseline CPU + MD5 CPU), whatever the engine does.
"""

from __future__ import annotations

import argparse
import ftplib
import hashlib
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))
from ftp_server import PASSWORD, USER, FtpServer

from bioimage_depositor.domain.transfer.engine import TransferJob
from bioimage_depositor.domain.transfer.ftp import FtpTransport
from bioimage_depositor.domain.transfer.ledger import Ledger

MIB = 1024 * 1024
_TICK = os.sysconf("SC_CLK_TCK")


def client_cpu() -> float:
    """CPU seconds of this process, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def process_cpu(pid: int) -> float:
    """CPU seconds of another process (the server), from /proc; 0 where there is no /proc."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def md5_cpu(source: Path) -> float:
    """CPU seconds an MD5 of ``source`` takes on its own (8 MiB reads, page cache warm)."""
    before = client_cpu()
    digest = hashlib.md5(usedforsecurity=False)
    with open(source, "rb", buffering=0) as stream:
        while block := stream.read(8 * MIB):
            digest.update(block)
    return client_cpu() - before


def baseline(port: int, source: Path) -> None:
    with ftplib.FTP() as ftp:
        ftp.connect("127.0.0.1", port)
        ftp.login(USER, PASSWORD)
        with open(source, "rb") as stream:
            ftp.storbinary("STOR plain.bin", stream, blocksize=MIB)


def ours(port: int, source: Path, work: Path, run: int) -> None:
    with Ledger(work / f"ledger-{run}.sqlite3") as ledger:
        report = TransferJob(ledger, FtpTransport("127.0.0.1", port, USER, PASSWORD, "engine"), source=source).run()
    if not report.ok:
        raise SystemExit(f"transfer failed: {report}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=512)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bd-bench-ftp-") as folder:
        work = Path(folder)
        root = work / "ftproot"
        root.mkdir()
        source = work / "data.bin"
        with open(source, "wb") as stream:
            block = os.urandom(MIB)
            for _ in range(args.mib):
                stream.write(block)
        server = FtpServer(root).start()
        try:
            times: dict[str, list[float]] = {"ftplib storbinary (1 MiB blocks)": [], "ours (engine + MD5 + ledger)": []}
            cpu: dict[str, list[tuple[float, float]]] = {name: [] for name in times}
            pid = server.process.pid if server.process is not None else 0
            for run in range(args.runs):
                order = list(times) if run % 2 == 0 else list(reversed(times))
                for name in order:
                    mine_before, server_before = client_cpu(), process_cpu(pid)
                    start = time.perf_counter()
                    if name.startswith("ftplib"):
                        baseline(server.port, source)
                    else:
                        ours(server.port, source, work, run)
                    times[name].append(time.perf_counter() - start)
                    cpu[name].append((client_cpu() - mine_before, process_cpu(pid) - server_before))
                    print(f"  run {run + 1}: {name}: {times[name][-1]:.2f} s", flush=True)
            md5_seconds = statistics.median(md5_cpu(source) for _ in range(args.runs))
        finally:
            server.stop()
        medians = {name: statistics.median(values) for name, values in times.items()}
        print(f"\nmedian of {args.runs}, {args.mib} MiB over loopback, load average {os.getloadavg()[0]:.2f}:")
        print(f"  {'':36s} {'s':>9s} {'MiB/s':>14s} {'client CPU s':>13s} {'server CPU s':>13s}")
        for name, seconds in medians.items():
            client = statistics.median(c for c, _ in cpu[name])
            served = statistics.median(s for _, s in cpu[name])
            print(f"  {name:36s} {seconds:7.2f} s {args.mib / seconds:8.0f} MiB/s {client:13.2f} {served:13.2f}")
        print(f"  MD5 of the file alone: {md5_seconds:.2f} s CPU")
        base, mine = medians["ftplib storbinary (1 MiB blocks)"], medians["ours (engine + MD5 + ledger)"]
        print(f"throughput ratio ours / ftplib: {base / mine:.2f} (target ≥ 0.9)")


if __name__ == "__main__":
    main()
