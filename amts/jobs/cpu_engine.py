"""A deterministic CPU-bound engine for measuring job parallelism (``cpu-bound``).

It burns a fixed amount of pure-Python work per segment -- like a CPU-bound local model, it cannot
scale with threads -- then returns the pseudo-localised text, so outputs stay structure-valid.
"""

from __future__ import annotations

from collections.abc import Sequence

from amts.engines.base import Engine, Request
from amts.engines.simple import pseudo_localize


def burn(text: str, rounds: int) -> int:
    """``rounds`` iterations of integer hashing seeded by ``text``: fixed work, deterministic result."""
    value = len(text) + 1
    for i in range(rounds):
        value = (value * 1_000_003 + i) % 2_147_483_647
    return value


class CpuBoundEngine(Engine):
    name = "cpu-bound"
    checks_script = False
    batch_size = 64

    def __init__(self, rounds: int = 20_000) -> None:
        self.rounds = int(rounds)

    def translate(self, requests: Sequence[Request], src: str, tgt: str) -> list[str]:
        out = []
        for request in requests:
            burn(request.text, self.rounds)
            out.append(pseudo_localize(request.text))
        return out
