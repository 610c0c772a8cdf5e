"""FTP upload throughput on loopback: our engine (MD5 computed while sending) against plain ftplib.

Run: ``.venv/bin/python benchmarks/transfer_ftp.py [--mib 512] [--runs 3]``

Starts the tests' pyftpdlib server (``tests/integration/ftp_server.py``, unthrottled)
as a subprocess on 127.0.0.1, writes one random file of ``--mib`` MiB to a temporary
folder, and uploads it ``--runs`` times each, alternating:

* baseline: ``ftplib.FTP.storbinary`` with 1 MiB blocks (no hashing, no ledger);
* ours: :class:`TransferJob` + :class:`FtpTransport` with a new ledger each run
  (connect, plan, ledger reservations, MD5 computed on the hashing thread in the
  same pass, size verification). Creating and closing the ledger file happens
  once per transfer, whatever its size, and is timed apart: each fsyncs, and
  while the server on the same disk has hundreds of MiB waiting to be written an
  fsync waits for them (0.3 s each here), which says nothing about throughput;
* ours, MD5 cached: the same, with the file's MD5 already in a checksum cache, as
  after the Image data page computed it or an earlier transfer sent the file: the
  engine sends without hashing again.

Prints medians, MiB/s and the ratios to the baseline (target ≥ 0.9), with the CPU
seconds each used in this process (the client) and in the server, and the CPU an
MD5 of the file alone takes. MD5 is sequential, so hashing one file in the pass
needs at least that much time on one core, and client, server and hash share the
machine's cores; the script prints the ratio those two limits allow, whatever the
engine does.
"""

from __future__ import annotations

import argparse
import ftplib
import hashlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))
from cpu_usage import estimated_best_ratio, own_cpu, process_cpu
from ftp_server import PASSWORD, USER, FtpServer

from bioimage_depositor.domain.filelist.checksum_cache import CachedChecksum, ChecksumCache
from bioimage_depositor.domain.transfer.engine import TransferJob
from bioimage_depositor.domain.transfer.ftp import FtpTransport
from bioimage_depositor.domain.transfer.ledger import Ledger

MIB = 1024 * 1024


def md5_of(source: Path) -> tuple[str, float]:
    """The MD5 of ``source`` and the CPU seconds it took on its own (8 MiB reads, page cache warm)."""
    before = own_cpu()
    digest = hashlib.md5(usedforsecurity=False)
    with open(source, "rb", buffering=0) as stream:
        while block := stream.read(8 * MIB):
            digest.update(block)
    return digest.hexdigest(), own_cpu() - before


def baseline(port: int, source: Path) -> None:
    with ftplib.FTP() as ftp:
        ftp.connect("127.0.0.1", port)
        ftp.login(USER, PASSWORD)
        with open(source, "rb") as stream:
            ftp.storbinary("STOR plain.bin", stream, blocksize=MIB)


def ours(port: int, source: Path, ledger: Ledger, cache: ChecksumCache | None) -> None:
    transport = FtpTransport("127.0.0.1", port, USER, PASSWORD, "cached" if cache is not None else "engine")
    report = TransferJob(ledger, transport, source=source, checksums=cache).run()
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
        info = source.stat()
        cache = ChecksumCache(work / "checksums.sqlite3")
        cache.store([CachedChecksum(str(source), info.st_size, info.st_mtime_ns, md5_of(source)[0], None, 0.0)])
        server = FtpServer(root).start()
        base_name, fresh_name, cached_name = (
            "ftplib storbinary (1 MiB blocks)", "ours, MD5 in the same pass", "ours, MD5 already cached"
        )
        try:
            times: dict[str, list[float]] = {base_name: [], fresh_name: [], cached_name: []}
            cpu: dict[str, list[tuple[float, float]]] = {name: [] for name in times}
            ledger_seconds: list[float] = []
            pid = server.process.pid if server.process is not None else 0
            for run in range(args.runs):
                order = list(times) if run % 2 == 0 else list(reversed(times))
                for name in order:
                    if name == base_name:
                        mine_before, server_before = own_cpu(), process_cpu(pid)
                        start = time.perf_counter()
                        baseline(server.port, source)
                    else:
                        # the ledger is opened once per transfer, not per byte: timed apart (see the docstring)
                        opened = time.perf_counter()
                        ledger = Ledger(work / f"ledger-{len(ledger_seconds)}.sqlite3")
                        ledger_open = time.perf_counter() - opened
                        mine_before, server_before = own_cpu(), process_cpu(pid)
                        start = time.perf_counter()
                        ours(server.port, source, ledger, cache if name == cached_name else None)
                    times[name].append(time.perf_counter() - start)
                    cpu[name].append((own_cpu() - mine_before, process_cpu(pid) - server_before))
                    if name != base_name:
                        closed = time.perf_counter()
                        ledger.close()
                        ledger_seconds.append(ledger_open + time.perf_counter() - closed)
                    print(f"  run {run + 1}: {name}: {times[name][-1]:.2f} s", flush=True)
            md5_seconds = statistics.median(md5_of(source)[1] for _ in range(args.runs))
        finally:
            server.stop()
            cache.close()
        medians = {name: statistics.median(values) for name, values in times.items()}
        print(f"\nmedian of {args.runs}, {args.mib} MiB over loopback, load average {os.getloadavg()[0]:.2f}:")
        print(f"  {'':36s} {'s':>9s} {'MiB/s':>14s} {'client CPU s':>13s} {'server CPU s':>13s}")
        for name, seconds in medians.items():
            client = statistics.median(c for c, _ in cpu[name])
            served = statistics.median(s for _, s in cpu[name])
            print(f"  {name:36s} {seconds:7.2f} s {args.mib / seconds:8.0f} MiB/s {client:13.2f} {served:13.2f}")
        print(f"  MD5 of the file alone: {md5_seconds:.2f} s CPU")
        print(f"  opening and closing a new ledger (once per transfer, not timed above): median "
              f"{statistics.median(ledger_seconds):.3f} s, longest {max(ledger_seconds):.3f} s")
        base = medians[base_name]
        base_cpu = statistics.median(c + s for c, s in cpu[base_name])
        print(f"estimated best ratio with MD5 in the pass on {os.cpu_count()} cores (MD5 on one core; client, "
              f"server and MD5 CPU spread over all): {estimated_best_ratio(base, base_cpu, md5_seconds):.2f}")
        print(f"throughput ratio ours, MD5 in the same pass / ftplib: {base / medians[fresh_name]:.2f} (target ≥ 0.9)")
        print(f"throughput ratio ours, MD5 already cached / ftplib: {base / medians[cached_name]:.2f} (target ≥ 0.9)")


if __name__ == "__main__":
    main()
