"""Small transports for engine tests: an in-memory server that fails on purpose, and a fake hand-off."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import BinaryIO

from bioimage_depositor.domain.transfer.transport import (
    ChunkHook,
    HandoffState,
    HandoffStatus,
    RemoteFile,
    TransferError,
    UploadGone,
    Verification,
)

CHUNK = 64 * 1024


class MemoryServer:
    """Holds uploads in memory; switches make it fail the way real servers do."""

    name = "memory"

    def __init__(self, chunk: int = CHUNK) -> None:
        self.chunk = chunk
        self.files: dict[str, bytearray] = {}
        self.lock = threading.Lock()
        self.sessions = 0
        self.handles = 0
        self.received = 0
        # faults
        self.refuse_login: TransferError | None = None
        self.unreachable_times = 0  # the next N open_session calls fail to connect
        self.drop_every: int | None = None  # the connection drops after this many bytes in one send
        self.drops_left = 0
        self.fail_send: TransferError | None = None  # raised by every send
        self.fail_paths: dict[str, TransferError] = {}  # raised by sends of these remote paths
        self.forget_handles = False  # remote_offset answers UploadGone (an expired upload)
        self.corrupt_verify = 0  # the next N verifications report a checksum mismatch
        self.on_chunk = None  # callable(handle, offset) called before each chunk is stored

    def open_session(self) -> MemorySession:
        if self.refuse_login is not None:
            raise self.refuse_login
        with self.lock:
            if self.unreachable_times > 0:
                self.unreachable_times -= 1
                raise TransferError("connection.failed", "Cannot reach the memory server.")
            self.sessions += 1
        return MemorySession(self)

    def content(self, remote_path: str) -> bytes:
        matches = [bytes(data) for handle, data in self.files.items() if handle.endswith(":" + remote_path)]
        assert matches, f"{remote_path} was never uploaded"
        return matches[-1]


class MemorySession:
    def __init__(self, server: MemoryServer) -> None:
        self.server = server
        self.closed = False

    def prepare(self, item: RemoteFile) -> str:
        with self.server.lock:
            self.server.handles += 1
            handle = f"h{self.server.handles}:{item.remote_path}"
            self.server.files[handle] = bytearray()
        return handle

    def remote_offset(self, handle: str, item: RemoteFile) -> int | None:
        if self.server.forget_handles:
            raise UploadGone()
        data = self.server.files.get(handle)
        return None if data is None else len(data)

    def send(self, handle: str, item: RemoteFile, source: BinaryIO, offset: int, hook: ChunkHook) -> int:
        if self.server.fail_send is not None:
            raise self.server.fail_send
        if item.remote_path in self.server.fail_paths:
            raise self.server.fail_paths[item.remote_path]
        data = self.server.files[handle]
        del data[offset:]
        sent_here = 0
        while True:
            chunk = source.read(self.server.chunk)
            if not chunk:
                break
            if hook(memoryview(chunk)) is False:
                break
            if self.server.on_chunk is not None:
                self.server.on_chunk(handle, len(data))
            drop = self.server.drop_every
            if drop is not None and self.server.drops_left > 0 and sent_here + len(chunk) > drop:
                keep = drop - sent_here  # part of the chunk arrives, then the connection dies
                data.extend(chunk[:keep])
                self.server.received += keep
                self.server.drops_left -= 1
                raise TransferError("connection.lost", "The memory connection dropped.")
            data.extend(chunk)
            sent_here += len(chunk)
            self.server.received += len(chunk)
        return len(data)

    def verify(self, handle: str, item: RemoteFile) -> Verification:
        data = self.server.files[handle]
        if self.server.corrupt_verify > 0:
            self.server.corrupt_verify -= 1
            return Verification(len(data) == item.size, "md5", False, "checksum differs")
        import hashlib

        digest = hashlib.md5(bytes(data)).hexdigest()
        return Verification(len(data) == item.size, "md5", digest == item.md5, "")

    def abandon(self, handle: str) -> None:
        self.server.files.pop(handle, None)

    def close(self) -> None:
        self.closed = True


class FakeHandoff:
    """A hand-off that 'moves' files by reporting progress; it records starts and re-attachments."""

    name = "fake hand-off"

    def __init__(self, failed: Sequence[str] = (), steps: int = 3) -> None:
        self.failed = tuple(failed)
        self.steps = steps
        self.started: list[list[tuple[str, RemoteFile]]] = []
        self.reattached = 0
        self.cancelled = False
        self.id_before_start: str | None = None

    def start(self, files: Sequence[tuple[str, RemoteFile]], state: HandoffState) -> None:
        if state.get_meta("fake.task_id") is not None:
            self.reattached += 1
            return
        state.set_meta("fake.task_id", f"task-{len(self.started) + 1}")
        self.id_before_start = state.get_meta("fake.task_id")
        self.started.append(list(files))

    def poll(self, state: HandoffState) -> Iterator[HandoffStatus]:
        files = self.started[-1] if self.started else []
        total = sum(item.size for _, item in files)
        for step in range(1, self.steps + 1):
            yield HandoffStatus("active", total * step // (self.steps + 1), total, 0, len(files))
        final = "failed" if self.failed else "succeeded"
        yield HandoffStatus(final, total, total, len(files) - len(self.failed), len(files),
                            message="2 checksums differed" if self.failed else "", failed_files=self.failed)

    def cancel(self, state: HandoffState) -> None:
        self.cancelled = True
