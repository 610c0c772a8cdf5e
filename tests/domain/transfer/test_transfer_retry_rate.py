from __future__ import annotations

import random
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bioimage_depositor.domain.transfer.rate import RateMeter, TokenBucket, parse_rate
from bioimage_depositor.domain.transfer.retry import Backoff, RetryPolicy


@given(
    base=st.floats(0.01, 5), factor=st.floats(1, 4), cap=st.floats(0.01, 100), attempts=st.integers(1, 12),
    seed=st.integers(0, 2**32),
)
def test_delays_grow_within_bounds_and_give_up_after_max_attempts(base, factor, cap, attempts, seed):
    policy = RetryPolicy(base, factor, cap, attempts)
    backoff = Backoff(policy, random.Random(seed))
    delays = []
    while (delay := backoff.failed()) is not None:
        delays.append(delay)
    assert len(delays) == attempts - 1
    for n, delay in enumerate(delays):
        step = min(cap, base * factor**n)
        assert step / 2 <= delay <= step + 1e-9


def test_progress_resets_the_attempt_count():
    backoff = Backoff(RetryPolicy(1, 2, 60, 3), random.Random(1))
    assert backoff.failed() is not None
    assert backoff.failed() is not None
    backoff.progress()
    first_again = backoff.failed()
    assert first_again is not None and 0.5 <= first_again <= 1
    assert backoff.failed() is not None
    assert backoff.failed() is None


def test_jitter_spreads_clients_apart():
    delays = {Backoff(RetryPolicy(1, 2, 60, 5), random.Random(seed)).failed() for seed in range(20)}
    assert len(delays) == 20


def test_bad_policy_is_refused():
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)


@pytest.mark.parametrize(
    "text, expected",
    [("10M", 10 * 1024**2), ("500k", 500 * 1024), ("1.5G", 1.5 * 1024**3), ("2048", 2048), ("2MiB/s", 2 * 1024**2),
     ("3 KB", 3 * 1024)],
)
def test_parse_rate(text, expected):
    assert parse_rate(text) == expected


@pytest.mark.parametrize("text", ["", "fast", "-5M", "0", "10X", "M"])
def test_parse_rate_refuses_nonsense_with_a_sentence(text):
    with pytest.raises(ValueError, match="rate"):
        parse_rate(text)


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_token_bucket_debt_gives_the_average_rate():
    clock = FakeClock()
    bucket = TokenBucket(1000, burst=100, clock=clock)
    assert bucket._take(100) == 0  # the burst passes at once
    assert bucket._take(500) == pytest.approx(0.5)  # then bytes are paid at the rate
    clock.now += 0.5
    assert bucket._take(100) == pytest.approx(0.1)
    clock.now += 10  # idle time refills up to the burst only
    assert bucket._take(100) == 0
    assert bucket._take(1) > 0


def test_token_bucket_wait_is_interrupted_by_pause():
    bucket = TokenBucket(10)  # 10 bytes/s: a 1000-byte chunk would wait ~100 s
    halt = threading.Event()
    threading.Timer(0.05, halt.set).start()
    assert bucket.acquire(1000, halt) is False


def test_rate_meter_smooths_and_estimates():
    meter = RateMeter(time_constant=2.0)
    assert meter.update(0, 0.0) is None
    assert meter.update(1000, 1.0) == pytest.approx(1000)
    rate = meter.update(1000, 2.0)  # a stall pulls the average down, not to zero
    assert 0 < rate < 1000
    assert meter.eta(0) == 0
    assert meter.eta(5000) == pytest.approx(5000 / rate)
    assert RateMeter().eta(10) is None
