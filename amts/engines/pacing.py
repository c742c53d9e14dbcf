"""Several requests in flight, within a budget: shared by the network engines (``openai``, ``aws``).

A served model or a cloud API answers one request in hundreds of milliseconds; sending batches one
after another leaves it idle. :func:`ordered_map` keeps ``concurrency`` requests in flight and returns
the answers in request order. :class:`Pacer` keeps all of one engine's threads inside the provider's
requests-per-minute and tokens-per-minute limits (a sliding 60-second window), and when the server
says "429, retry after N seconds" it holds *every* thread, not only the one that was told.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

WINDOW = 60.0


class Pacer:
    """At most ``requests_per_minute`` requests and ``tokens_per_minute`` tokens in any 60 s window."""

    def __init__(
        self,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rpm = float(requests_per_minute) if requests_per_minute else None
        self.tpm = float(tokens_per_minute) if tokens_per_minute else None
        self.clock, self.sleep = clock, sleep
        self._sent: deque[tuple[float, int]] = deque()  # (time, tokens) of requests in the window
        self._tokens = 0
        self._resume_at = 0.0
        self._lock = threading.Lock()

    def acquire(self, tokens: int = 0) -> float:
        """Block until one more request of ``tokens`` fits the budget; return the seconds waited."""
        if self.tpm is not None and tokens > self.tpm:
            tokens = int(self.tpm)  # a request bigger than the whole budget still goes, alone
        waited = 0.0
        while True:
            with self._lock:
                now = self.clock()
                while self._sent and self._sent[0][0] <= now - WINDOW:
                    self._tokens -= self._sent.popleft()[1]
                wait = self._resume_at - now
                if self.rpm is not None and len(self._sent) >= self.rpm:
                    wait = max(wait, self._sent[0][0] + WINDOW - now)
                if self.tpm is not None and self._tokens + tokens > self.tpm:
                    freed, until = self._tokens, now
                    for stamp, used in self._sent:
                        freed -= used
                        until = stamp + WINDOW
                        if freed + tokens <= self.tpm:
                            break
                    wait = max(wait, until - now)
                if wait <= 0:
                    self._sent.append((now, tokens))
                    self._tokens += tokens
                    return waited
            self.sleep(wait)
            waited += wait

    def pause(self, seconds: float) -> None:
        """The server asked to slow down: nobody sends for ``seconds`` from now."""
        with self._lock:
            self._resume_at = max(self._resume_at, self.clock() + max(0.0, seconds))


def ordered_map(call: Callable[[T], R], items: Iterable[T], concurrency: int) -> list[R]:
    """``[call(item) for item in items]`` with up to ``concurrency`` calls running at once.

    Results keep the order of ``items``; the first failure (in that order) is raised once the calls
    already running have finished.
    """
    work: Sequence[T] = list(items)
    if concurrency <= 1 or len(work) <= 1:
        return [call(item) for item in work]
    with ThreadPoolExecutor(max_workers=min(concurrency, len(work)), thread_name_prefix="amts-request") as pool:
        # each call in a copy of the caller's context (the book's Markdown dialect among it)
        futures = [pool.submit(contextvars.copy_context().run, call, item) for item in work]
        try:
            return [future.result() for future in futures]
        except BaseException:
            for future in futures:
                future.cancel()
            raise
