"""When to try a failed transfer step again, and how long to wait first.

Networks drop, servers restart and laptops sleep: a transient failure is retried
with exponential backoff and jitter (so that many clients cut off together do not
come back together), and the count of attempts starts again whenever the file
made progress, as tus-js-client does. A file that keeps failing without moving
forward gives up after :attr:`RetryPolicy.max_attempts` tries with the last error.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RetryPolicy:
    """How failures are retried.

    Attributes
    ----------
    base_delay
        Seconds before the first retry (before jitter).
    factor
        Growth of the delay per failed attempt.
    max_delay
        Ceiling of one delay in seconds.
    max_attempts
        Failed attempts in a row, without progress in between, before the file is given up.
    """

    base_delay: float = 1.0
    factor: float = 2.0
    max_delay: float = 60.0
    max_attempts: int = 8

    def __post_init__(self) -> None:
        if self.base_delay < 0 or self.max_delay < 0 or self.factor < 1 or self.max_attempts < 1:
            raise ValueError("retry delays must be non-negative, factor >= 1 and max_attempts >= 1")


@dataclass
class Backoff:
    """The retry state of one file: counts failures and proposes the next delay.

    Parameters
    ----------
    policy
        The limits to apply.
    rng
        Source of jitter; a seeded :class:`random.Random` makes tests repeatable.
    """

    policy: RetryPolicy = field(default_factory=RetryPolicy)
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0

    def progress(self) -> None:
        """Record that the file moved forward: the next failure is treated as the first."""
        self.failures = 0

    def failed(self) -> float | None:
        """Record a failure; return the seconds to wait before retrying, or ``None`` to give up.

        The delay is drawn uniformly from the upper half of the exponential step
        ("equal jitter"): never shorter than half the step, so a dead server is not
        hammered, and never longer than :attr:`RetryPolicy.max_delay`.
        """
        self.failures += 1
        if self.failures >= self.policy.max_attempts:
            return None
        step = min(self.policy.max_delay, self.policy.base_delay * self.policy.factor ** (self.failures - 1))
        return step / 2 + self.rng.uniform(0, step / 2)
