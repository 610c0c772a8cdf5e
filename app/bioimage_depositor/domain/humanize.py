"""Sizes, rates and durations written for people, the same in the wizard and on the command line."""

from __future__ import annotations


def human_bytes(count: float | None) -> str:
    """``1536`` → ``"1.5 KiB"`` (binary multiples, as Linux file managers use); ``None`` → ``""``."""
    if count is None:
        return ""
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "PiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} PiB"


def human_rate(bytes_per_second: float | None) -> str:
    """``2_500_000`` → ``"2.4 MiB/s"``; ``None`` → ``"--/s"`` while unknown."""
    return "--/s" if not bytes_per_second else f"{human_bytes(bytes_per_second)}/s"


def human_duration(seconds: float | None) -> str:
    """``3725`` → ``"1:02:05"``; ``65`` → ``"1:05"``; ``None`` → ``"--:--"`` while unknown."""
    if seconds is None:
        return "--:--"
    whole = int(seconds + 0.5)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
