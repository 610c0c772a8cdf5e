"""Bandwidth limit and transfer-rate estimate.

:class:`TokenBucket` caps the bytes per second all parallel files send together
(the ``--limit-rate`` option); :class:`RateMeter` smooths the measured rate with
an exponentially weighted moving average, so that the ETA shown to the user does
not jump with every burst; :func:`parse_rate` reads ``10M``/``500k`` the way
curl's ``--limit-rate`` does (binary multiples).
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable

_RATE_RE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([kmgt]?)(?:i?b)?(?:/s)?\s*$", re.IGNORECASE)
_MULTIPLIERS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def parse_rate(text: str) -> float:
    """Bytes per second from a rate such as ``"10M"``, ``"500k"``, ``"2.5MiB/s"`` or ``"1048576"``.

    Parameters
    ----------
    text
        A positive number with an optional ``k``, ``M``, ``G`` or ``T`` suffix (multiples of 1024,
        as in curl), optionally followed by ``B``/``iB`` and ``/s``.

    Returns
    -------
    float
        The rate in bytes per second.

    Raises
    ------
    ValueError
        With a sentence for the user when the text is not a positive rate.
    """
    match = _RATE_RE.match(text)
    if not match:
        raise ValueError(f"'{text}' is not a rate; write it like 10M (10 MiB/s) or 500k (500 KiB/s).")
    value = float(match.group(1)) * _MULTIPLIERS[match.group(2).lower()]
    if value < 1:
        raise ValueError(f"'{text}' is too small a rate; give at least 1 byte per second.")
    return value


class TokenBucket:
    """A thread-safe bandwidth cap shared by every worker of a transfer.

    Tokens (bytes) refill at ``rate`` per second up to ``burst``. A caller may take
    more than is available: the balance goes negative and the caller sleeps until it
    is paid back, so chunks larger than the burst still pass at the right average rate.

    Parameters
    ----------
    rate
        Bytes per second.
    burst
        Most bytes that can pass without waiting after an idle period; default a quarter second's worth.
    clock
        Monotonic clock (injectable for tests).
    """

    def __init__(self, rate: float, burst: float | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = float(rate)
        self.burst = float(burst) if burst is not None else max(self.rate / 4, 1.0)
        self._clock = clock
        self._tokens = self.burst
        self._last = clock()
        self._lock = threading.Lock()

    def _take(self, amount: int) -> float:
        """Take ``amount`` tokens now; return the seconds the caller must wait to pay back a debt."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= amount
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def acquire(self, amount: int, interrupt: threading.Event | None = None) -> bool:
        """Account for ``amount`` bytes about to be sent, sleeping as long as the limit requires.

        Parameters
        ----------
        amount
            Bytes about to be sent.
        interrupt
            When set (pause, cancel), the wait ends early.

        Returns
        -------
        bool
            ``False`` when the wait was interrupted.
        """
        delay = self._take(amount)
        if delay <= 0:
            return True
        if interrupt is None:
            time.sleep(delay)
            return True
        return not interrupt.wait(delay)


class RateMeter:
    """Exponentially weighted moving average of a byte counter's rate.

    Parameters
    ----------
    time_constant
        Seconds over which older samples fade to about a third of their weight;
        longer means a steadier ETA that reacts more slowly.
    """

    def __init__(self, time_constant: float = 5.0) -> None:
        self.time_constant = time_constant
        self._rate: float | None = None
        self._last_time: float | None = None
        self._last_value = 0

    @property
    def rate(self) -> float | None:
        """Smoothed bytes per second, or ``None`` before two samples."""
        return self._rate

    def update(self, value: int, now: float) -> float | None:
        """Feed the counter's current ``value`` at time ``now``; return the smoothed rate."""
        if self._last_time is None:
            self._last_time, self._last_value = now, value
            return None
        elapsed = now - self._last_time
        if elapsed <= 0:
            return self._rate
        instant = max(0, value - self._last_value) / elapsed
        if self._rate is None:
            self._rate = instant
        else:
            weight = 1 - math.exp(-elapsed / self.time_constant)
            self._rate += weight * (instant - self._rate)
        self._last_time, self._last_value = now, value
        return self._rate

    def eta(self, remaining: int) -> float | None:
        """Seconds left for ``remaining`` bytes at the smoothed rate, or ``None`` when unknown."""
        if remaining <= 0:
            return 0.0
        if not self._rate or self._rate <= 0:
            return None
        return remaining / self._rate
