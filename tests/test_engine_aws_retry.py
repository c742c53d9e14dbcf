"""The shared retry/backoff helper (amts.engines.retry) used by the aws and openai engines."""

from __future__ import annotations

import random

import pytest

from amts.engines.retry import RetriesExhausted, RetryPolicy, call_with_retry, parse_retry_after


class Flaky:
    """Fails with the given errors in turn, then returns 'ok'."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def transient(error: BaseException) -> bool:
    return isinstance(error, TimeoutError)


def test_exponential_caps_and_full_jitter() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0, multiplier=2.0)
    assert [policy.cap(n) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    rng = random.Random(7)
    samples = [policy.delay(3, rng) for _ in range(2000)]
    assert all(0 <= s <= 4.0 for s in samples)
    assert 1.5 < sum(samples) / len(samples) < 2.5  # uniform(0, cap): mean near cap / 2
    exact = RetryPolicy(base_delay=1, max_delay=10, multiplier=3, jitter=False)
    delays = exact.delays()
    assert [next(delays) for _ in range(4)] == [1, 3, 9, 10]


def test_transient_errors_are_retried_with_growing_waits() -> None:
    waits: list[float] = []
    seen: list[int] = []
    call = Flaky(TimeoutError("t1"), TimeoutError("t2"))
    policy = RetryPolicy(attempts=5, base_delay=1, max_delay=100, jitter=False)
    result = call_with_retry(
        call, policy=policy, transient=transient, sleep=waits.append, on_retry=lambda n, e, w: seen.append(n)
    )
    assert result == "ok" and call.calls == 3 and waits == [1, 2] and seen == [1, 2]


def test_other_errors_propagate_at_once() -> None:
    call = Flaky(ValueError("bad request"))
    with pytest.raises(ValueError, match="bad request"):
        call_with_retry(call, policy=RetryPolicy(), transient=transient, sleep=lambda s: None)
    assert call.calls == 1


def test_attempts_run_out() -> None:
    call = Flaky(*[TimeoutError(f"t{i}") for i in range(5)])
    with pytest.raises(RetriesExhausted, match="3 attempt.*t2") as failure:
        call_with_retry(call, policy=RetryPolicy(attempts=3), transient=transient, sleep=lambda s: None, what="x")
    assert call.calls == 3 and isinstance(failure.value.last, TimeoutError)


def test_server_hint_and_deadline() -> None:
    waits: list[float] = []
    call = Flaky(TimeoutError("slow"))
    policy = RetryPolicy(base_delay=0.1, max_delay=5, jitter=False)
    call_with_retry(call, policy=policy, transient=transient, retry_after=lambda e: 3.0, sleep=waits.append)
    assert waits == [3.0]  # Retry-After longer than our backoff wins (but never beyond max_delay)
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    call = Flaky(*[TimeoutError("t") for _ in range(10)])
    deadline = RetryPolicy(attempts=10, base_delay=1, max_delay=100, jitter=False, deadline=5)
    with pytest.raises(RetriesExhausted):
        call_with_retry(call, policy=deadline, transient=transient, sleep=sleep, clock=lambda: now[0])
    assert call.calls == 3 and now[0] == 3  # waits 1 + 2; the next wait (4) would pass the deadline


def test_options_and_retry_after_parsing() -> None:
    policy = RetryPolicy.from_options(retries=2, backoff=0.25, max_backoff=8)
    assert (policy.attempts, policy.base_delay, policy.max_delay) == (3, 0.25, 8)
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)
    assert parse_retry_after("2") == 2.0 and parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") is None
    assert parse_retry_after(None) is None and parse_retry_after("-1") is None
