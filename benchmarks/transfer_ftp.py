"""FTP upload throughput on loopback: our engine (MD5 computed while sending) against plain ftplib.

Run: ``.venv/bin/python benchmarks/transfer_ftp.py [--mib 512] [--runs 3]``

Starts the tests' pyftpdlib server (``tests/integration/ftp_server.py``, unthrottled)
as a subprocess on 127.0.0.1, writes one random file of ``--mib`` MiB to a temporary
folder, and uploads it ``--runs`` times each, alternating:

* baseline: ``ftplib.FTP.storbinary`` with 1 MiB blocks (no hashing, no ledger);
* ours: :class:`TransferJob` + :class:`FtpTransport` with a fresh ledger each run
  (ledger writes per chunk, MD5 on the hashing thread, size verification).

Prints medians, MiB/s and the ratio ours/baseline (target ≥ 0.9).
"""

from __future__ import annotations

import argparse
import ftplib
import os
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
            for run in range(args.runs):
                order = list(times) if run % 2 == 0 else list(reversed(times))
                for name in order:
                    start = time.perf_counter()
                    if name.startswith("ftplib"):
                        baseline(server.port, source)
                    else:
                        ours(server.port, source, work, run)
                    times[name].append(time.perf_counter() - start)
                    print(f"  run {run + 1}: {name}: {times[name][-1]:.2f} s", flush=True)
        finally:
            server.stop()
        medians = {name: statistics.median(values) for name, values in times.items()}
        print(f"\nmedian of {args.runs}, {args.mib} MiB over loopback, load average {os.getloadavg()[0]:.2f}:")
        for name, seconds in medians.items():
            print(f"  {name:36s} {seconds:7.2f} s {args.mib / seconds:8.0f} MiB/s")
        base, mine = medians["ftplib storbinary (1 MiB blocks)"], medians["ours (engine + MD5 + ledger)"]
        print(f"throughput ratio ours / ftplib: {base / mine:.2f} (target ≥ 0.9)")


if __name__ == "__main__":
    main()
