"""Loopback throughput of our tus client, hashing included, against one streamed ``curl`` PATCH.

Run: ``.venv/bin/python benchmarks/transfer_tus.py [--size-mib 512] [--runs 3] [--inline] [--workdir DIR]``

It starts the npm ``@tus/server`` with ``@tus/file-store`` (tests/servers/tus, run
``npm ci`` there first) on 127.0.0.1, writes one file of ``--size-mib`` MiB in a
temporary folder (never in the repository), and times, ``--runs`` times each in
alternating order, the data phase of one upload (the creation ``POST`` is done
before the clock starts, for every contender alike):

* **curl**: one ``curl -X PATCH -T file`` (streamed from the file, explicit
  ``Content-Length``, no ``Expect: 100-continue``): the baseline;
* **ours + hashing (engine)**: :meth:`TusSession.send` with a hook that does what the
  engine's hook does: offers each piece to a
  :class:`~bioimage_depositor.domain.transfer.hashing.StreamHasher` on a helper
  thread, in the same pass, computing what :class:`TransferJob` computes for a tus
  target: MD5, plus SHA-256 only when the transport asks for it (``wants_sha256``;
  our tus transport does not, so MD5 alone, which is what the archives use);
* **ours + MD5 and SHA-256**: the same with both digests, for comparison;
* **ours + MD5/SHA-256 on the sending thread** (only with ``--inline``): the hook
  itself updates both digests (64 KiB slices) before each piece is sent;
* **ours, MD5 already cached**: the client alone, which is what the engine does
  when the checksum cache already holds the file's MD5 (the Image data page
  computed it, or an earlier transfer sent the file).

Each ours+hashing run checks its MD5 against one computed beforehand. It prints
medians, MiB/s, each contender's ratio to curl (higher is better; the target is
at least 0.9), CPU seconds of the client and of the server, the ratio a client
that hashes could reach at all on this machine (an MD5 is sequential: one core
for its whole CPU time, and client, server and hash share the cores), and the
peak RSS of this process (the client), which must stay far below the file size.

The server stores into the page cache, and client and server share the machine's
cores: figures are for ratios in the same run, not promises.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests

from bioimage_depositor.domain.transfer import tus
from bioimage_depositor.domain.transfer.hashing import StreamHasher
from bioimage_depositor.domain.transfer.transport import RemoteFile

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))
from cpu_usage import estimated_best_ratio, own_cpu, process_cpu  # noqa: E402
from tus_server import NodeTusServer, node_missing_reason  # noqa: E402

MIB = 1024 * 1024
SLICE = 64 * 1024


def make_file(path: Path, size: int) -> str:
    """Write ``size`` bytes of incompressible data; return its MD5."""
    block = os.urandom(8 * MIB)
    digest = hashlib.md5()
    with open(path, "wb") as out:
        written = 0
        while written < size:
            part = block[: min(len(block), size - written)]
            out.write(part)
            digest.update(part)
            written += len(part)
    return digest.hexdigest()


def create_upload(url: str, size: int) -> str:
    response = requests.post(url, headers={"Tus-Resumable": "1.0.0", "Upload-Length": str(size)}, timeout=30)
    response.raise_for_status()
    return response.headers["Location"]


def delete_upload(handle: str) -> None:
    requests.delete(handle, headers={"Tus-Resumable": "1.0.0"}, timeout=30)


def md5_seconds(path: Path) -> float:
    """CPU seconds an MD5 of ``path`` takes on its own (page cache warm)."""
    before = own_cpu()
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb", buffering=0) as stream:
        while block := stream.read(8 * MIB):
            digest.update(block)
    return own_cpu() - before


def curl_run(url: str, path: Path, size: int) -> float:
    handle = create_upload(url, size)
    start = time.perf_counter()
    result = subprocess.run(
        [
            "curl", "-sS", "-X", "PATCH", "-T", str(path), "-o", "/dev/null", "-w", "%{http_code}",
            "-H", "Tus-Resumable: 1.0.0", "-H", "Upload-Offset: 0",
            "-H", "Content-Type: application/offset+octet-stream", "-H", "Expect:", handle,
        ],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    if result.stdout.strip() != "204":
        raise SystemExit(f"curl PATCH failed: HTTP {result.stdout} {result.stderr}")
    delete_upload(handle)
    return seconds


def ours_run(url: str, path: Path, size: int, mode: str, expected_md5: str) -> float:
    transport = tus.from_url("tus+" + url, None)

    def session_transport() -> tus.TusTransport:
        return transport

    session = transport.open_session()
    item = RemoteFile(path.name, size)
    handle = session.prepare(item)
    hook: Callable[[memoryview], bool]
    hasher: StreamHasher | None = None
    if mode in ("engine", "both"):
        # what TransferJob decides for this transport (engine.py: sha256 or transport.wants_sha256)
        sha256 = mode == "both" or bool(getattr(session_transport(), "wants_sha256", False))
        hasher = StreamHasher(str(path), size, start=0, sha256=sha256)
        position = 0

        def hook(piece: memoryview) -> bool:  # what the engine's hook does with the bytes
            nonlocal position
            assert hasher is not None
            hasher.offer(position, piece)
            position += len(piece)
            return True

    elif mode == "inline":
        md5, sha = hashlib.md5(), hashlib.sha256()

        def hook(piece: memoryview) -> bool:
            for begin in range(0, len(piece), SLICE):
                part = piece[begin : begin + SLICE]
                md5.update(part)
                sha.update(part)
            return True

    else:

        def hook(piece: memoryview) -> bool:
            return True

    start = time.perf_counter()
    with open(path, "rb") as source:
        committed = session.send(handle, item, source, 0, hook)
    digest = hasher.finish()[0] if hasher is not None else md5.hexdigest() if mode == "inline" else expected_md5
    seconds = time.perf_counter() - start
    if committed != size or digest != expected_md5:
        raise SystemExit(f"upload incomplete or wrong digest: {committed} of {size}, {digest}")
    session.abandon(handle)
    session.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=512)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--inline", action="store_true", help="also time hashing on the sending thread")
    parser.add_argument("--workdir", type=Path, default=None, help="where to create the data (default: system temp)")
    args = parser.parse_args()
    reason = node_missing_reason()
    if reason:
        raise SystemExit(f"cannot start @tus/server: {reason}")
    if shutil.which("curl") is None:
        raise SystemExit("curl is needed for the baseline")
    work = Path(tempfile.mkdtemp(prefix="bd-bench-tus-", dir=args.workdir))
    if work.resolve().is_relative_to(REPO):
        raise SystemExit("refusing to write benchmark data inside the repository")
    server = NodeTusServer(work / "store")
    try:
        size = args.size_mib * MIB
        path = work / "upload.bin"
        expected = make_file(path, size)
        server.start()
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
        piece = tus.DEFAULT_PIECE_SIZE // 1024
        print(f"{size / MIB:,.0f} MiB to @tus/server on 127.0.0.1:{server.port}, pieces of {piece} KiB")
        contenders: dict[str, Callable[[], float]] = {
            "curl -X PATCH -T (baseline)": lambda: curl_run(server.url, path, size),
            "ours + hashing as the engine does (MD5)": lambda: ours_run(server.url, path, size, "engine", expected),
            "ours + MD5 and SHA-256 (StreamHasher)": lambda: ours_run(server.url, path, size, "both", expected),
            "ours, MD5 already cached": lambda: ours_run(server.url, path, size, "none", expected),
        }
        if args.inline:
            contenders["ours + MD5/SHA-256 on the sending thread"] = lambda: ours_run(
                server.url, path, size, "inline", expected
            )
        contenders[next(iter(contenders))]()  # one untimed upload: warm page cache and server
        times: dict[str, list[float]] = {name: [] for name in contenders}
        cpu: dict[str, list[float]] = {name: [] for name in contenders}
        served: dict[str, list[float]] = {name: [] for name in contenders}
        pid = server.process.pid if server.process is not None else 0
        order = list(contenders)
        for round_index in range(args.runs):
            for name in order if round_index % 2 == 0 else list(reversed(order)):
                used, serving = own_cpu(children=True), process_cpu(pid)
                seconds = contenders[name]()
                used, serving = own_cpu(children=True) - used, process_cpu(pid) - serving
                times[name].append(seconds)
                cpu[name].append(used)
                served[name].append(serving)
                rate = size / MIB / seconds
                print(f"  round {round_index + 1}: {name}: {seconds:.2f} s ({rate:,.0f} MiB/s), {used:.2f} s CPU")
        medians = {name: statistics.median(values) for name, values in times.items()}
        baseline = medians[order[0]]
        print(f"\nmedian of {args.runs}, load average now {os.getloadavg()[0]:.2f}:")
        print(f"  {'contender':46s} {'s':>7s} {'MiB/s':>8s} {'ratio to curl':>14s} {'client CPU s':>13s} "
              f"{'server CPU s':>13s}")
        for name, seconds in medians.items():
            print(
                f"  {name:46s} {seconds:7.2f} {size / MIB / seconds:8.0f} {baseline / seconds:14.2f} "
                f"{statistics.median(cpu[name]):13.2f} {statistics.median(served[name]):13.2f}"
            )
        md5_cpu = md5_seconds(path)
        baseline_cpu = statistics.median(cpu[order[0]]) + statistics.median(served[order[0]])
        print(f"  MD5 of the file alone: {md5_cpu:.2f} s CPU; estimated best ratio with MD5 in the pass on "
              f"{os.cpu_count()} cores: {estimated_best_ratio(baseline, baseline_cpu, md5_cpu):.2f}")
        print(f"throughput ratio ours + hashing (engine) / curl: {baseline / medians[order[1]]:.2f} (target ≥ 0.9)")
        print(f"throughput ratio ours, MD5 already cached / curl: "
              f"{baseline / medians['ours, MD5 already cached']:.2f} (target ≥ 0.9)")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS of this process (the client): {peak:.0f} MiB for a {size / MIB:,.0f} MiB file")
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
