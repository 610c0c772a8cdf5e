"""CPU seconds of this process and of another one (a test server), for the transfer benchmarks.

Both transfer benchmarks compare a client with a baseline while the server runs
on the same two cores; CPU seconds per contender show how much of a ratio is the
machine's limit rather than the client's.
"""

from __future__ import annotations

import os
import resource

_TICK = os.sysconf("SC_CLK_TCK")


def own_cpu(*, children: bool = False) -> float:
    """CPU seconds of this process, all threads (plus finished child processes, such as curl, if asked)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    seconds = usage.ru_utime + usage.ru_stime
    if children:
        finished = resource.getrusage(resource.RUSAGE_CHILDREN)
        seconds += finished.ru_utime + finished.ru_stime
    return seconds


def process_cpu(pid: int) -> float:
    """CPU seconds of another process (the server), from /proc; 0 where there is no /proc."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def estimated_best_ratio(baseline_seconds: float, baseline_cpu: float, hash_cpu: float) -> float:
    """An estimate of the best ratio to the baseline a client that also hashes can reach on this machine.

    A digest of one file is sequential, so it needs ``hash_cpu`` on one core however
    it is scheduled; and everything (baseline client, server and the hash) shares
    ``os.cpu_count()`` cores.
    """
    cores = os.cpu_count() or 1
    return baseline_seconds / max(baseline_seconds, hash_cpu, (baseline_cpu + hash_cpu) / cores)
