"""Retries with exponential backoff and jitter, shared by the network engines.

Cloud APIs throttle (HTTP 429, ``ThrottlingException``) and fail transiently (5xx, resets, timeouts);
the right answer is to wait a growing, randomised delay and try again -- "full jitter" keeps many
clients from retrying in lock step. The same delays pace polling of long-running jobs.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import TypeVar

from amts.engines.base import EngineError

T = TypeVar("T")


class RetriesExhausted(EngineError):
    """Every attempt failed with a transient error; ``last`` is the final one."""

    def __init__(self, what: str, attempts: int, last: BaseException) -> None:
        self.attempts, self.last = attempts, last
        super().__init__(f"{what} failed after {attempts} attempt(s): {last}")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry.

    The n-th retry (n = 0, 1, ...) waits ``uniform(0, min(max_delay, base_delay * multiplier**n))``
    seconds when ``jitter`` is on, else exactly that cap; a server's ``Retry-After`` hint wins
    when it is longer (capped at ``max_delay``). ``deadline`` bounds the whole call in seconds.
    """

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    multiplier: float = 2.0
    jitter: bool = True
    deadline: float | None = None

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("retry attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.multiplier < 1:
            raise ValueError("retry delays must be >= 0 and the multiplier >= 1")

    @classmethod
    def from_options(
        cls,
        retries: int | None = None,
        backoff: float | None = None,
        max_backoff: float | None = None,
        deadline: float | None = None,
        base: RetryPolicy | None = None,
    ) -> RetryPolicy:
        """Build a policy from user-facing engine options; ``retries`` counts retries, not attempts."""
        policy = base or cls()
        changes: dict[str, object] = {}
        if retries is not None:
            changes["attempts"] = int(retries) + 1
        if backoff is not None:
            changes["base_delay"] = float(backoff)
        if max_backoff is not None:
            changes["max_delay"] = float(max_backoff)
        if deadline is not None:
            changes["deadline"] = float(deadline)
        return replace(policy, **changes) if changes else policy

    def cap(self, retry: int) -> float:
        """The longest wait before retry number ``retry`` (0-based)."""
        return min(self.max_delay, self.base_delay * self.multiplier**retry)

    def delay(self, retry: int, rng: random.Random | None = None) -> float:
        cap = self.cap(retry)
        if not self.jitter:
            return cap
        return (rng or random).uniform(0, cap)

    def delays(self, rng: random.Random | None = None) -> Iterator[float]:
        """Endless backoff delays, e.g. for polling a job (caller decides when to stop)."""
        retry = 0
        while True:
            yield self.delay(retry, rng)
            retry += 1


def call_with_retry(
    call: Callable[[], T],
    *,
    policy: RetryPolicy,
    transient: Callable[[BaseException], bool],
    retry_after: Callable[[BaseException], float | None] | None = None,
    what: str = "request",
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    on_retry: Callable[[int, BaseException, float], None] | None = None,
    rng: random.Random | None = None,
) -> T:
    """Run ``call``; retry it while it raises an error ``transient`` accepts.

    Non-transient errors propagate at once (retrying a bad request only hides it). When attempts or
    the deadline run out, :class:`RetriesExhausted` is raised from the last error.
    """
    started = clock()
    for attempt in range(1, policy.attempts + 1):
        try:
            return call()
        except Exception as error:  # noqa: BLE001 - classified just below
            if not transient(error):
                raise
            if attempt == policy.attempts:
                raise RetriesExhausted(what, attempt, error) from error
            wait = policy.delay(attempt - 1, rng)
            hint = retry_after(error) if retry_after else None
            if hint is not None:
                wait = max(wait, min(hint, policy.max_delay))
            if policy.deadline is not None and clock() - started + wait > policy.deadline:
                raise RetriesExhausted(what, attempt, error) from error
            if on_retry:
                on_retry(attempt, error, wait)
            sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from an HTTP ``Retry-After`` header (delta-seconds form; dates are ignored)."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None
