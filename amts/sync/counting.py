"""An engine that records every request it gets: how tests and the benchmark count engine calls.

Its "translation" is a marked copy of the source (placeholders intact), so outputs stay valid and
every sentence that went to the engine is visible in the result.
"""

from __future__ import annotations

from collections.abc import Sequence

from amts.engines import Engine, Request


class CountingEngine(Engine):
    name = "counting"
    checks_script = False
    batch_size = 256

    def __init__(self, marker: str = "〔MT〕") -> None:
        self.marker = marker
        self.requests: list[Request] = []
        self.batches = 0

    def translate(self, requests: Sequence[Request], src: str, tgt: str) -> list[str]:
        self.requests.extend(requests)
        self.batches += 1
        return [f"{self.marker}{r.text}" for r in requests]

    @property
    def calls(self) -> int:
        """Segments translated so far (one per request)."""
        return len(self.requests)
